"""The Gantt chart of the Calendar page: a QAbstractScrollArea that paints only the visible
rows and days through ``gantt_render.GanttRenderer`` and turns mouse and keyboard input into
the calendar view's edits (``view`` is the ``CalendarView`` that owns it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QKeyCombination, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QFontMetricsF,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QMenu,
    QToolTip,
)

from .gantt_render import (
    GanttRenderer,
    badge_rect,
    badge_tooltip,
)

if TYPE_CHECKING:
    from .calendar_view import CalendarView

EDGE_GRAB = 5  # pixels either side of a bar's end that start a resize


class GanttChart(QAbstractScrollArea):
    """The time chart. Its vertical scroll bar mirrors the tree's; it owns the horizontal one."""

    def __init__(self, view: CalendarView) -> None:
        super().__init__(view)
        self.view = view
        self.setObjectName("calendar_chart")
        self.setAccessibleName("Release calendar chart")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.viewport().setMouseTracking(True)
        self.horizontalScrollBar().valueChanged.connect(lambda _v: self.viewport().update())
        self._drag: dict[str, Any] | None = None
        self._add_key_actions()

    # --- coordinates ----------------------------------------------------------------------

    @property
    def renderer(self) -> GanttRenderer:
        return self.view.renderer

    def header_height(self) -> int:
        return self.view.header_h

    def x_offset(self) -> int:
        return self.horizontalScrollBar().value()

    def y_offset(self) -> int:
        return self.view.tree.verticalScrollBar().value()

    def to_view(self, rect: QRectF) -> QRectF:
        """Content rectangle → viewport coordinates."""
        return rect.translated(-self.x_offset(), self.header_height() - self.y_offset())

    def row_at(self, y: float) -> int:
        if y < self.header_height():
            return -1
        i = int((y - self.header_height() + self.y_offset()) // self.renderer.geom.row_h)
        return i if 0 <= i < len(self.renderer.rows) else -1

    def update_scroll_range(self) -> None:
        bar = self.horizontalScrollBar()
        width = self.viewport().width()
        bar.setRange(0, max(0, int(self.renderer.content_width()) - width))
        bar.setPageStep(max(1, width))
        bar.setSingleStep(max(1, int(self.renderer.geom.ppd)))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.update_scroll_range()

    # --- painting: only what is visible --------------------------------------------------------

    def paintEvent(self, event: Any) -> None:  # noqa: N802
        p = QPainter(self.viewport())
        try:
            self.paint_visible(p, self.viewport().width(), self.viewport().height())
        finally:
            p.end()

    def paint_visible(self, p: QPainter, width: int, height: int) -> None:
        hh = self.header_height()
        x, y = self.x_offset(), self.y_offset()
        self.renderer.paint_body(p, QRectF(x, y, width, max(0, height - hh)), QPointF(0, hh))
        self.renderer.paint_header(p, x, width, QRectF(0, 0, width, hh))

    # --- mouse ------------------------------------------------------------------------------

    def hit(self, pos: QPointF) -> tuple[int, str]:
        """(row, part) under ``pos``: part is body / start / end / deploy / badge / "" (row only)."""
        i = self.row_at(pos.y())
        if i < 0:
            return -1, ""
        row, g = self.renderer.rows[i], self.renderer.geom
        x = pos.x() + self.x_offset()
        if row.task is None:
            rel = row.release
            deploy = g.deploy_rect(i, rel)
            if deploy is not None and deploy.adjusted(-2, -4, 2, 4).contains(
                QPointF(x, deploy.center().y())
            ):
                return i, "deploy"
            if rel.conflicts:
                right = max(
                    r.right()
                    for r in (
                        g.planned_rect(i, rel),
                        g.actual_rect(i, rel, self.renderer.data.today),
                        deploy,
                    )
                    if r is not None
                )
                fm = QFontMetricsF(self.renderer.small)
                badge = badge_rect(fm, rel, right + 5, g.row_top(i), g.row_h)
                if badge.left() <= x <= badge.right():
                    return i, "badge"
        bar = g.bar_rect(i, row)
        if bar is not None:
            if abs(x - bar.right()) <= EDGE_GRAB and bar.width() > 2 * EDGE_GRAB:
                return i, "end"
            if abs(x - bar.left()) <= EDGE_GRAB and bar.width() > 2 * EDGE_GRAB:
                return i, "start"
            if bar.left() <= x <= bar.right():
                return i, "body"
        return i, ""

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        i, part = self.hit(pos)
        if i >= 0:
            self.view.select_row(i)
        if event.button() == Qt.MouseButton.LeftButton and part in (
            "body",
            "start",
            "end",
            "deploy",
        ):
            if self.view.refuse_read_only(i):  # a closed or cancelled release does not move
                event.accept()
                return
            self._drag = {"row": i, "part": part, "x": pos.x(), "days": None}
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if self._drag is None:
            _i, part = self.hit(pos)
            shape = {
                "start": Qt.CursorShape.SizeHorCursor,
                "end": Qt.CursorShape.SizeHorCursor,
                "body": Qt.CursorShape.OpenHandCursor,
                "deploy": Qt.CursorShape.PointingHandCursor,
            }
            self.viewport().setCursor(shape.get(part, Qt.CursorShape.ArrowCursor))
            return
        delta = (pos.x() - self._drag["x"]) / self.renderer.geom.ppd
        self.view.drag_to(self._drag["row"], self._drag["part"], delta)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is None:
            super().mouseReleaseEvent(event)
            return
        delta = (event.position().x() - self._drag["x"]) / self.renderer.geom.ppd
        drag, self._drag = self._drag, None
        self.view.drop(drag["row"], drag["part"], delta)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        i, _part = self.hit(event.position())
        if i >= 0:
            self.view.open_row(i)  # the release (a task's row: its release, at the Tasks tab)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        i, _part = self.hit(QPointF(event.pos()))
        if i < 0:
            super().contextMenuEvent(event)
            return
        self.view.select_row(i)
        menu = QMenu(self)
        menu.setObjectName("gantt_context_menu")
        row = self.renderer.rows[i]
        menu.addAction(f"Open release {row.release.key}", lambda: self.view.open_row(i))
        if row.task is None:
            expanded = self.view.tree.isExpanded(self.view.index_of_row(i))
            menu.addAction(
                "Hide its tasks" if expanded else "Show its tasks", lambda: self.view.toggle_row(i)
            )
        menu.popup(event.globalPos())
        self.context_menu = menu  # kept for tests and until it closes

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        dy = event.angleDelta().y()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            factor = 1.25 if dy > 0 else 0.8
            self.view.zoom_by(factor, anchor_x=event.position().x())
        elif event.modifiers() & Qt.KeyboardModifier.ShiftModifier or event.angleDelta().x():
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - (dy or event.angleDelta().x()))
        else:
            bar = self.view.tree.verticalScrollBar()
            bar.setValue(bar.value() - dy)
        event.accept()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = self.viewport().mapFromGlobal(event.globalPos())  # type: ignore[attr-defined]
            text = self.tooltip_at(QPointF(pos))
            if text:
                QToolTip.showText(event.globalPos(), text, self)  # type: ignore[attr-defined]
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def tooltip_at(self, pos: QPointF) -> str:
        i, part = self.hit(pos)
        if i < 0:
            return ""
        row = self.renderer.rows[i]
        if part == "badge":
            return badge_tooltip(row.release)
        if part:
            return (
                self.view.model.data(
                    self.view.model.index_of_key(row.key), Qt.ItemDataRole.ToolTipRole
                )
                or ""
            )
        return ""

    # --- keyboard -----------------------------------------------------------------------------

    def _add_key_actions(self) -> None:
        """The chart's keys as QActions on it (Help > Keyboard Shortcuts lists them from here):
        active while the chart has the focus, and the only place the keys are defined."""
        v = self.view

        def step(delta: int) -> int:
            return max(0, min(len(self.renderer.rows) - 1, v.selected_row + delta))

        def cancel_drag() -> None:
            if self._drag is not None:
                self._drag = None
                v.cancel_preview()

        for keys, text, slot in (
            (("Left",), "Move the selected bar a day earlier", lambda: v.nudge_selected(-1)),
            (("Right",), "Move the selected bar a day later", lambda: v.nudge_selected(1)),
            (("Shift+Left",), "Shorten the selected bar by a day", lambda: v.resize_selected(-1)),
            (("Shift+Right",), "Lengthen the selected bar by a day", lambda: v.resize_selected(1)),
            (("Alt+Left",), "Previous maintenance window", lambda: v.step_deploy_window(-1)),
            (("Alt+Right",), "Next maintenance window", lambda: v.step_deploy_window(1)),
            (("Up",), "Select the row above", lambda: v.select_row(step(-1))),
            (("Down",), "Select the row below", lambda: v.select_row(step(1))),
            (("+", "="), "Zoom in", lambda: v.zoom_by(1.25)),
            (("-", "_"), "Zoom out", lambda: v.zoom_by(0.8)),
            (("F",), "Fit the selected release in view", lambda: v.fit_release()),
            (("T",), "Scroll to today", lambda: v.scroll_to_date(self.renderer.data.today)),
            (("Return", "Enter"), "Open the selected release", lambda: v.open_row(v.selected_row)),
            (("Space",), "Show or hide the release's tasks", lambda: v.toggle_row(v.selected_row)),
            (("Esc",), "Cancel a drag", cancel_drag),
        ):
            action = QAction(text, self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        # A key the shortcut system did not deliver (the window not active yet): same actions.
        combo = event.keyCombination()
        candidates = [QKeySequence(combo)]
        if combo.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier:  # "+" is Shift+= on US
            mods = combo.keyboardModifiers() & ~Qt.KeyboardModifier.ShiftModifier
            candidates.append(QKeySequence(QKeyCombination(mods, combo.key())))
        for pressed in candidates:
            for action in self.actions():
                if any(
                    k.matches(pressed) == QKeySequence.SequenceMatch.ExactMatch
                    for k in action.shortcuts()
                ):
                    action.trigger()
                    event.accept()
                    return
        super().keyPressEvent(event)
