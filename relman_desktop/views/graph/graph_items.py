"""The Dependencies view's scene items: a release box (``NodeItem``) and a dependency arrow
(``EdgeItem``), painted directly, with the colours they share with the canvas.

Split from ``graph_view`` (which holds the page and re-exports ``NodeItem``); the canvas that
handles the mouse and keys over them is ``graph_canvas``.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem

from relman_desktop.services import graph as G

CRITICAL = QColor("#d9480f")
MOVED = QColor("#1c7ed6")
CONFLICT = QColor("#c92a2a")
EDGE = QColor("#5c6773")
SELECTED = QColor("#2f6fb3")


class NodeItem(QGraphicsItem):
    """One release: a box painted directly (no child items), cheap at 1,000 releases.

    Its fonts are sized in pixels, i.e. scene units like the box itself: a PDF or a zoomed view
    scales text and box together, so the key is never clipped nor the status line outside."""

    def __init__(self, node: G.GraphNode, w: float, h: float, zone: str = "UTC") -> None:
        super().__init__()
        self.zone = zone
        self.node = node
        self.key = node.key
        self.w, self.h = w, h
        self.critical = False
        self.moved_days: int | None = None
        self.new_conflicts = 0
        self.violated = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setAcceptHoverEvents(True)
        self.setToolTip(self._tooltip())
        self.setZValue(2)

    def _tooltip(self) -> str:
        n = self.node
        lines = [f"{n.key} — {n.title}", f"Status: {n.status}"]
        if n.application:
            lines.append(f"Application: {n.application}")
        if n.start and n.end:
            from zoneinfo import ZoneInfo

            from relman_desktop.services.plan_zone import fmt_range

            lines.append(f"Deploys {fmt_range(n.start, n.end, ZoneInfo(self.zone))}")
        if n.conflicts:
            lines.append(f"Conflicts: {n.conflicts} ({', '.join(n.conflict_rules)})")
        return "\n".join(lines)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(-self.w / 2 - 6, -self.h / 2 - 12, self.w + 12, self.h + 24)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(QRectF(-self.w / 2, -self.h / 2, self.w, self.h))
        return path

    def box(self) -> QRectF:
        return QRectF(-self.w / 2, -self.h / 2, self.w, self.h)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: Any = None
    ) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        pal = widget.palette() if widget is not None else None
        base = pal.base().color() if pal else QColor("#ffffff")
        text = pal.text().color() if pal else QColor("#1b1f24")
        rect = self.box()
        status = QColor(self.node.status_color or "#6b7b8c")
        outline = QPen(EDGE, 1.2)
        if self.critical:
            outline = QPen(CRITICAL, 3)
        if self.moved_days is not None:
            outline = QPen(MOVED, 3, Qt.PenStyle.DashLine)
        if self.isSelected():
            outline = QPen(SELECTED, 4)
        painter.setPen(outline)
        painter.setBrush(QBrush(base))
        painter.drawRoundedRect(rect, 6, 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(status)
        stripe = QRectF(rect.left() + 1.5, rect.top() + 1.5, 9, rect.height() - 3)
        painter.drawRoundedRect(stripe, 3, 3)
        if self.node.terminal:  # closed/cancelled: a hatched stripe, and the status says so
            painter.setBrush(QBrush(base, Qt.BrushStyle.BDiagPattern))
            painter.drawRoundedRect(stripe, 3, 3)
        if lod < 0.2:
            return  # an overview: colour, outline and badges are enough
        if lod < 0.5:  # too small for the title: the key alone, large
            font = QFont(painter.font())
            font.setPixelSize(20)
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(text)
            painter.drawText(
                rect.adjusted(14, 0, -4, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                self.key,
            )
            self._badges(painter, rect, font)
            return
        inner = rect.adjusted(16, 4, -8, -4)
        font = QFont(painter.font())
        font.setPixelSize(13)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(text)
        fm = QFontMetricsF(font)
        line_h = fm.height()
        painter.drawText(
            QRectF(inner.left(), inner.top(), inner.width(), line_h),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(self.key, Qt.TextElideMode.ElideRight, inner.width()),
        )
        font.setBold(False)
        font.setPixelSize(12)
        painter.setFont(font)
        fm2 = QFontMetricsF(font)
        title = fm2.elidedText(self.node.title, Qt.TextElideMode.ElideRight, inner.width())
        painter.drawText(
            QRectF(inner.left(), inner.top() + line_h, inner.width(), fm2.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            title,
        )
        font.setItalic(True)
        painter.setFont(font)
        status_text = self.node.status + ("  · critical" if self.critical else "")
        painter.drawText(
            QRectF(inner.left(), inner.top() + line_h + fm2.height(), inner.width(), fm2.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm2.elidedText(status_text, Qt.TextElideMode.ElideRight, inner.width()),
        )
        font.setItalic(False)
        self._badges(painter, rect, font)

    def _badges(self, painter: QPainter, rect: QRectF, font: QFont) -> None:
        badges: list[tuple[str, QColor]] = []
        if self.node.conflicts:
            badges.append((f"⚠ {self.node.conflicts}", CONFLICT))
        if self.new_conflicts:
            badges.append((f"NEW ⚠ {self.new_conflicts}", CONFLICT))
        if self.violated:
            badges.append(("before prereq!", CONFLICT))
        if self.moved_days is not None:
            badges.append((f"{self.moved_days:+d} d", MOVED))
        font.setBold(True)
        font.setPixelSize(11)
        painter.setFont(font)
        fm = QFontMetricsF(font)
        x = rect.right() - 4
        for label, colour in badges:
            w = fm.horizontalAdvance(label) + 10
            badge = QRectF(x - w, rect.top() - 9, w, 17)
            painter.setPen(QPen(QColor("#ffffff"), 1))
            painter.setBrush(colour)
            painter.drawRoundedRect(badge, 8, 8)
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)
            x -= w + 4


class EdgeItem(QGraphicsPathItem):
    """prerequisite → dependent, following the layout's bends; the head is part of the path."""

    def __init__(self, edge: G.GraphEdge, points: list[QPointF], critical: bool) -> None:
        super().__init__()
        self.edge = edge
        self.critical = critical
        self.violated = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setZValue(3 if critical else 1)
        self.setToolTip(
            f"{edge.dependent} depends on {edge.prerequisite} ({edge.kind}) — select and press Delete to remove"
        )
        path = QPainterPath(points[0])
        for a, b in zip(points, points[1:], strict=False):
            if a.x() == b.x() or a.y() == b.y():
                path.lineTo(b)
            else:  # a gentle S between columns
                mid = (a.x() + b.x()) / 2
                path.cubicTo(QPointF(mid, a.y()), QPointF(mid, b.y()), b)
        self.setPath(path)
        self.tip = points[-1]
        before = points[-2]
        self.angle = math.atan2(self.tip.y() - before.y(), self.tip.x() - before.x())
        if before.y() != self.tip.y() and before.x() != self.tip.x():
            self.angle = 0.0  # curves arrive horizontally
        self.label_at = path.pointAtPercent(0.5)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:  # noqa: N802
        return super().boundingRect().adjusted(-40, -14, 40, 14)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: Any = None
    ) -> None:
        colour = CRITICAL if self.critical else EDGE
        if self.violated:
            colour = CONFLICT
        width = 3.2 if self.critical else 1.6
        if self.isSelected():
            colour, width = SELECTED, 4.0
        style = Qt.PenStyle.DashLine if self.edge.kind == "together" else Qt.PenStyle.SolidLine
        painter.setPen(QPen(colour, width, style, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        size = 9 + width
        a = self.angle
        head = QPolygonF(
            [
                self.tip,
                self.tip - QPointF(math.cos(a - 0.4) * size, math.sin(a - 0.4) * size),
                self.tip - QPointF(math.cos(a + 0.4) * size, math.sin(a + 0.4) * size),
            ]
        )
        painter.setPen(QPen(colour, 1))
        painter.setBrush(colour)
        painter.drawPolygon(head)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if self.edge.kind == "together" and lod >= 0.35:
            font = QFont(painter.font())
            font.setPixelSize(11)
            painter.setFont(font)
            fm = QFontMetricsF(font)
            label = "together"
            r = QRectF(0, 0, fm.horizontalAdvance(label) + 8, fm.height() + 2)
            r.moveCenter(self.label_at)
            pal = widget.palette() if widget is not None else None
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.base().color() if pal else QColor("#ffffff"))
            painter.drawRoundedRect(r, 4, 4)
            painter.setPen(colour)
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter, label)
