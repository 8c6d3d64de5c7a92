"""The Dependencies view's canvas: pan, zoom and fit, and the mouse and keys over the scene
items (select, open, drag box-to-box to connect, Delete to remove an arrow), reported as
signals that ``graph_view.GraphView`` turns into store edits.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsLineItem, QGraphicsScene, QGraphicsView, QMenu, QWidget

from .graph_items import SELECTED, EdgeItem, NodeItem


class GraphCanvas(QGraphicsView):
    """Pan, zoom, fit, click to select, drag box-to-box to connect, Delete to remove an arrow."""

    node_clicked = Signal(str)
    open_requested = Signal(str)  # a node double-clicked, Enter on it, or "Open release"
    connect_requested = Signal(str, str)  # prerequisite, dependent
    delete_requested = Signal(str, str)  # prerequisite, dependent

    MIN_SCALE, MAX_SCALE = 0.05, 4.0

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setObjectName("dependency_canvas")
        self.setAccessibleName("Dependency graph")
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._from: NodeItem | None = None
        self._rubber: QGraphicsLineItem | None = None

    # zoom
    def zoom(self, factor: float) -> None:
        current = self.transform().m11()
        factor = max(self.MIN_SCALE / current, min(self.MAX_SCALE / current, factor))
        self.scale(factor, factor)

    READABLE = 0.75  # the smallest scale at which a box's title can be read

    def fit(self) -> None:
        """The whole graph in the window (an overview when it is large)."""
        rect = self.scene().itemsBoundingRect().adjusted(-20, -20, 20, 20)
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 1.0:  # never blow a small graph up past its natural size
            self.resetTransform()
            self.centerOn(rect.center())

    def fit_readable(self) -> None:
        """Fit when the whole graph stays readable; otherwise a readable scale from the top left
        (where the first prerequisites are), the rest a pan or an F away."""
        self.fit()
        if self.transform().m11() >= self.READABLE:
            return
        rect = self.scene().itemsBoundingRect().adjusted(-20, -20, 20, 20)
        self.resetTransform()
        self.scale(self.READABLE, self.READABLE)
        view_w = self.viewport().width() / self.READABLE
        view_h = self.viewport().height() / self.READABLE
        self.centerOn(QPointF(rect.left() + view_w / 2, rect.top() + view_h / 2))

    def scale_factor(self) -> float:
        return self.transform().m11()

    def wheelEvent(self, event: Any) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(1.15**steps)
        event.accept()

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if ctrl and key in (Qt.Key.Key_Equal, Qt.Key.Key_Plus):
            self.zoom(1.25)
        elif ctrl and key == Qt.Key.Key_Minus:
            self.zoom(0.8)
        elif key == Qt.Key.Key_F and not ctrl:
            self.fit()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._selected_node() is not None:
            self.open_requested.emit(self._selected_node().key)  # type: ignore[union-attr]
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            edges = [i for i in self.scene().selectedItems() if isinstance(i, EdgeItem)]
            for e in edges:
                self.delete_requested.emit(e.edge.prerequisite, e.edge.dependent)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _selected_node(self) -> NodeItem | None:
        return next((i for i in self.scene().selectedItems() if isinstance(i, NodeItem)), None)

    # mouse
    def mouseDoubleClickEvent(self, event: Any) -> None:  # noqa: N802
        node = self._node_at(event.position().toPoint())
        if node is not None:
            self._from = None
            self.open_requested.emit(node.key)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event: Any) -> None:  # noqa: N802
        node = self._node_at(event.pos())
        if node is None:
            super().contextMenuEvent(event)
            return
        self.scene().clearSelection()
        node.setSelected(True)
        self.node_clicked.emit(node.key)
        menu = QMenu(self)
        menu.setObjectName("graph_context_menu")
        key = node.key
        menu.addAction(f"Open release {key}", lambda: self.open_requested.emit(key))
        menu.popup(event.globalPos())
        self.context_menu = menu  # kept for tests and until it closes

    def _node_at(self, pos: Any) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            node = self._node_at(event.position().toPoint())
            if node is not None:
                self._from = node
                self.scene().clearSelection()
                node.setSelected(True)
                event.accept()
                return
            edge = next(
                (i for i in self.items(event.position().toPoint()) if isinstance(i, EdgeItem)), None
            )
            if edge is not None:
                self.scene().clearSelection()
                edge.setSelected(True)
                self.setFocus()
                event.accept()
                return
            self.scene().clearSelection()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: Any) -> None:  # noqa: N802
        if self._from is not None:
            start = self._from.scenePos() + QPointF(self._from.w / 2, 0)
            end = self.mapToScene(event.position().toPoint())
            if self._rubber is None:
                self._rubber = QGraphicsLineItem()
                self._rubber.setPen(QPen(SELECTED, 2, Qt.PenStyle.DashLine))
                self._rubber.setZValue(10)
                self.scene().addItem(self._rubber)
            self._rubber.setLine(start.x(), start.y(), end.x(), end.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802
        if self._from is not None:
            source, self._from = self._from, None
            if self._rubber is not None:
                self.scene().removeItem(self._rubber)
                self._rubber = None
            target = self._node_at(event.position().toPoint())
            if target is None or target is source:
                self.node_clicked.emit(source.key)
            else:
                self.connect_requested.emit(source.key, target.key)
            event.accept()
            return
        super().mouseReleaseEvent(event)
