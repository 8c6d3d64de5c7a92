"""The Calendar page's legend: what each mark on the chart means, in the current theme's colours."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPainter
from PySide6.QtWidgets import (
    QWidget,
)

if TYPE_CHECKING:
    from .calendar_view import CalendarView


class Legend(QWidget):
    """What each mark means, drawn with the same painter as the chart (patterns included)."""

    ITEMS = (
        "planned",
        "actual",
        "deploy",
        "maintenance",
        "freeze",
        "event",
        "holiday",
        "today",
        "critical",
        "baseline",
        "conflict",
    )

    def __init__(self, view: CalendarView) -> None:
        super().__init__(view)
        self.view = view
        self.setObjectName("calendar_legend")
        self.line_h = int(QFontMetricsF(self.font()).height() * 1.6)
        self.setMinimumHeight(self.line_h)

    def _layout(self, width: float) -> list[tuple[str, float, float]]:
        """(item, x, y) for each item, wrapping onto a new line when the next would not fit."""
        fm = QFontMetricsF(self.font())
        out, x, y = [], 4.0, 0.0
        for name in self.ITEMS:
            w = 22 + 4 + fm.horizontalAdvance(self.labels()[name]) + 12
            if x + w > width and x > 4:
                x, y = 4.0, y + self.line_h
            out.append((name, x, y))
            x += w + 4
        return out

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        lines = 1 + int(max(y for _n, _x, y in self._layout(self.width())) // self.line_h)
        if self.minimumHeight() != lines * self.line_h:
            self.setMinimumHeight(lines * self.line_h)
        super().resizeEvent(event)

    def labels(self) -> dict[str, str]:
        return {
            "planned": "planned",
            "actual": "actual",
            "deploy": "deployment window",
            "maintenance": "maintenance",
            "freeze": "freeze",
            "event": "business event",
            "holiday": "holiday",
            "today": "today",
            "critical": "critical path",
            "baseline": "baseline",
            "conflict": "conflict (✖ error, ⚠ warning)",
        }

    def paintEvent(self, event: Any) -> None:  # noqa: N802
        from .gantt_colors import _c
        from .gantt_render import _deploy_marker

        c = self.view.renderer.colors
        p = QPainter(self)
        fm = QFontMetricsF(self.font())
        h = self.line_h
        sw = 22.0
        for name, x, top in self._layout(self.width()):
            label = self.labels()[name]
            p.save()
            p.translate(0, top)
            box = QRectF(x, h / 2 - 7, sw, 14)
            if name == "planned":
                p.setPen(_c(c.bar_border))
                p.setBrush(_c(c.bar))
                p.drawRoundedRect(box.adjusted(0, 2, 0, -2), 2, 2)
            elif name == "actual":
                p.fillRect(QRectF(box.x(), box.center().y() - 2, sw, 4), _c(c.actual))
            elif name == "deploy":
                _deploy_marker(p, QRectF(box.center().x() - 7, box.y(), 14, 14), c, False)
            elif name == "maintenance":
                p.fillRect(box, _c(c.maintenance))
                p.fillRect(QRectF(box.x(), box.bottom() - 3, sw, 3), _c(c.maintenance_border))
            elif name == "freeze":
                from PySide6.QtGui import QBrush

                p.fillRect(box, QBrush(_c(c.freeze), Qt.BrushStyle.BDiagPattern))
                p.setPen(_c(c.freeze))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(box)
            elif name == "event":
                p.fillRect(box, _c(c.event))
            elif name == "holiday":
                p.fillRect(box, _c(c.holiday))
            elif name == "today":
                from PySide6.QtGui import QPen

                p.setPen(QPen(_c(c.today), 2, Qt.PenStyle.DashLine))
                p.drawLine(
                    QPointF(box.center().x(), box.top()), QPointF(box.center().x(), box.bottom())
                )
            elif name == "critical":
                from PySide6.QtGui import QPen

                p.setPen(QPen(_c(c.critical), 3))
                p.setBrush(_c(c.bar))
                p.drawRect(box.adjusted(1, 3, -1, -3))
            elif name == "baseline":
                from PySide6.QtGui import QPen

                p.setPen(QPen(_c(c.baseline), 1.5, Qt.PenStyle.DashLine))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(box.adjusted(1, 2, -1, -2))
            elif name == "conflict":
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(_c(c.error))
                p.drawRoundedRect(box, 3, 3)
                p.setPen(_c(c.error_text))
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, "✖")
            p.setPen(self.palette().windowText().color())
            tw = fm.horizontalAdvance(label)
            p.drawText(QRectF(x + sw + 4, 0, tw + 2, h), Qt.AlignmentFlag.AlignVCenter, label)
            p.restore()
        p.end()
