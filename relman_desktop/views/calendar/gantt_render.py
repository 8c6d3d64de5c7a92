"""Painting the Gantt chart: one renderer that draws only the rows and days asked for.

The calendar widget, the PNG export and each tile of the PDF export all call the same
``GanttRenderer`` with a different window onto the chart: the content coordinates to show
(x in days × pixels-per-day from the chart's first day, y in rows × row height) and where
that lands on the device. Whatever lies outside is never touched, so one repaint costs the
same at 100 and at 100,000 rows.

No colour is the only signal: freezes are hatched, maintenance shaded with a label,
deployment windows are diamonds, conflicts carry a badge naming the rules (✖ error,
⚠ warning), the critical path has a thick outline and the word "critical", baselines are
dashed outlines.

What lives where: this module holds the renderer and its drawing helpers (badges, the
deployment diamond, dependency arrows); the palettes are in ``gantt_colors``; rows, geometry,
zoom levels, heights and the time scale's ticks are in ``gantt_geometry``. The names the tests
and older callers import from here are re-exported.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)

from .gantt_colors import THEMES, GanttColors, _c, colors_for
from .gantt_data import GanttData, GanttRelease, GanttTask
from .gantt_geometry import (
    ZOOMS,
    Geometry,
    Preview,
    Row,
    _next_major,
    header_height_for,
    major_ticks,
    minor_ticks,
    minor_width,
    row_height_for,
)

# --- the renderer -------------------------------------------------------------------------------


class GanttRenderer:
    """Paints a window onto the chart. ``rows`` is the flat list of shown rows."""

    def __init__(
        self, data: GanttData, rows: list[Row], geom: Geometry, colors: GanttColors, font: QFont
    ) -> None:
        self.data = data
        self.rows = rows
        self.geom = geom
        self.colors = colors
        self.font = QFont(font)
        self.small = QFont(font)
        self.small.setPointSizeF(max(6.5, font.pointSizeF() * 0.85))
        self.bold = QFont(font)
        self.bold.setBold(True)
        self.baseline: dict[str, Any] | None = None
        self.selected: int = -1
        self.preview: Preview | None = None
        self.show_weekends = True
        self._row_of: dict[str, int] = {}
        self._edges_by_key: dict[str, list[tuple[str, str, str]]] = {}
        self._successors: dict[str, list[int]] = {}
        self.set_rows(rows)

    def set_rows(self, rows: list[Row]) -> None:
        self.rows = rows
        self._row_of = {r.key: i for i, r in enumerate(rows)}
        by_key: dict[str, list[tuple[str, str, str]]] = {}
        for e in self.data.edges:
            by_key.setdefault(e[0], []).append(e)
            by_key.setdefault(e[1], []).append(e)
        self._edges_by_key = by_key
        succ: dict[str, list[int]] = {}
        for i, r in enumerate(rows):
            if r.task is not None:
                for pred, _type in r.task.predecessors:
                    succ.setdefault(f"{r.release.key}/{pred}", []).append(i)
        self._successors = succ

    def row_of(self, key: str) -> int:
        return self._row_of.get(key, -1)

    def header_height(self) -> int:
        return header_height_for(self.font)

    def content_width(self) -> float:
        return self.geom.x_of_date(self.data.last_day + dt.timedelta(days=1))

    def content_height(self) -> float:
        return len(self.rows) * self.geom.row_h

    # --- body ------------------------------------------------------------------------------

    def paint_body(self, p: QPainter, view: QRectF, dest: QPointF) -> None:
        """Paint content rectangle ``view`` with its top-left at ``dest`` on the device."""
        c, g = self.colors, self.geom
        p.save()
        p.setClipRect(QRectF(dest.x(), dest.y(), view.width(), view.height()))
        p.translate(dest.x() - view.x(), dest.y() - view.y())
        p.fillRect(view, _c(c.base))
        first = max(0, int(view.top() // g.row_h))
        last = min(len(self.rows) - 1, int(view.bottom() // g.row_h))
        for i in range(first, last + 1):
            if i % 2:
                p.fillRect(
                    QRectF(view.left(), g.row_top(i), view.width(), g.row_h), _c(c.alternate)
                )
        self._weekends(p, view)
        self._grid(p, view)
        self._windows(p, view)
        if 0 <= self.selected < len(self.rows) and first <= self.selected <= last:
            sel = _c(c.selection)
            sel.setAlpha(40)
            p.fillRect(QRectF(view.left(), g.row_top(self.selected), view.width(), g.row_h), sel)
        self._today(p, view)
        if self.baseline:
            for i in range(first, last + 1):
                self._baseline(p, i)
        self._arrows(p, first, last)
        p.setFont(self.font)
        for i in range(first, last + 1):
            row = self.rows[i]
            if row.task is None:
                self._release(p, i, row.release)
            else:
                self._task(p, i, row.task)
        if self.preview is not None:
            self._preview(p, first, last)
        p.restore()

    def _weekends(self, p: QPainter, view: QRectF) -> None:
        g = self.geom
        if not self.show_weekends or g.ppd < 6:
            return
        day = g.date_at(view.left())
        end = g.date_at(view.right()) + dt.timedelta(days=1)
        colour = _c(self.colors.weekend)
        while day <= end:
            if day.weekday() >= 5:
                p.fillRect(QRectF(g.x_of_date(day), view.top(), g.ppd, view.height()), colour)
            day += dt.timedelta(days=1)

    def _grid(self, p: QPainter, view: QRectF) -> None:
        p.setPen(QPen(_c(self.colors.grid), 1))
        for day, _label in minor_ticks(self.geom, view.left(), view.right()):
            x = round(self.geom.x_of_date(day)) + 0.5
            p.drawLine(QPointF(x, view.top()), QPointF(x, view.bottom()))

    def _windows(self, p: QPainter, view: QRectF) -> None:
        g, c = self.geom, self.colors
        a, b = g.time_at(view.left()), g.time_at(view.right() + 1)
        for band in self.data.windows:
            for s, e in band.between(a, b):
                x0, x1 = g.x_of_time(s), g.x_of_time(e)
                rect = QRectF(x0, view.top(), max(1.5, x1 - x0), view.height())
                if band.kind == "maintenance":
                    p.fillRect(rect, _c(c.maintenance))
                elif band.kind == "freeze":
                    hatch = _c(c.freeze)
                    hatch.setAlpha(150 if band.hard else 90)
                    tint = _c(c.freeze)
                    tint.setAlpha(28)
                    p.fillRect(rect, tint)
                    brush = QBrush(
                        hatch,
                        Qt.BrushStyle.BDiagPattern if band.hard else Qt.BrushStyle.FDiagPattern,
                    )
                    p.fillRect(rect, brush)
                    pen = QPen(_c(c.freeze), 1.5)
                    p.setPen(pen)
                    p.drawLine(QPointF(x0, view.top()), QPointF(x0, view.bottom()))
                    p.drawLine(QPointF(x1, view.top()), QPointF(x1, view.bottom()))
                elif band.kind == "business_event":
                    p.fillRect(rect, _c(c.event))
                    p.fillRect(rect, QBrush(_c(c.event).darker(140), Qt.BrushStyle.Dense7Pattern))
                else:  # holiday
                    p.fillRect(rect, QBrush(_c(c.holiday)))
                    p.fillRect(rect, QBrush(_c(c.subtle), Qt.BrushStyle.Dense6Pattern))

    def _today(self, p: QPainter, view: QRectF) -> None:
        x = self.geom.x_of_time(dt.datetime.combine(self.data.today, dt.time(12), tzinfo=dt.UTC))
        if view.left() - 2 <= x <= view.right() + 2:
            pen = QPen(_c(self.colors.today), 2, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.drawLine(QPointF(x, view.top()), QPointF(x, view.bottom()))

    def _baseline(self, p: QPainter, i: int) -> None:
        assert self.baseline is not None
        row, g = self.rows[i], self.geom
        snap = self.baseline.get(row.release.key)
        if not snap:
            return
        if row.task is None:
            start, end = _day(snap.get("planned_start")), _day(snap.get("planned_end"))
            top = g.row_top(i) + round(g.row_h * 0.12)
            height = round(g.row_h * 0.56)
        else:
            pair = (snap.get("tasks") or {}).get(row.task.local_id)
            if not pair:
                return
            start, end = _day(pair[0]), _day(pair[1])
            top = g.row_top(i) + round(g.row_h * 0.2)
            height = round(g.row_h * 0.56)
        if start is None or end is None:
            return
        x0, x1 = g.x_of_date(start), g.x_of_date(end + dt.timedelta(days=1))
        pen = QPen(_c(self.colors.baseline), 1.5, Qt.PenStyle.DashLine)
        p.setPen(pen)
        ghost = _c(self.colors.baseline)
        ghost.setAlpha(40)
        p.setBrush(ghost)
        p.drawRect(QRectF(x0, top, max(2.0, x1 - x0), height))
        p.setBrush(Qt.BrushStyle.NoBrush)

    def _anchor(self, i: int, row: Row, end: bool) -> QPointF | None:
        rect = self.geom.bar_rect(i, row)
        if rect is None and row.task is None:
            rect = self.geom.deploy_rect(i, row.release)
        if rect is None:
            return None
        return QPointF(rect.right() if end else rect.left(), rect.center().y())

    def _arrows(self, p: QPainter, first: int, last: int) -> None:
        """Arrows touching a visible row: releases by their dependencies, tasks by their links."""
        seen: set[tuple[int, int]] = set()
        pairs: list[tuple[int, int, bool]] = []

        def add(a: int, b: int, crit: bool) -> None:
            if a >= 0 and b >= 0 and (a, b) not in seen:
                seen.add((a, b))
                pairs.append((a, b, crit))

        for i in range(first, last + 1):
            row = self.rows[i]
            if row.task is None:
                for pre, dep, _kind in self._edges_by_key.get(row.release.key, ()):
                    a, b = self.row_of(pre), self.row_of(dep)
                    if a >= 0 and b >= 0:
                        add(a, b, self.rows[a].release.critical and self.rows[b].release.critical)
                continue
            task = row.task
            for pred, _type in task.predecessors:
                a = self.row_of(f"{row.release.key}/{pred}")
                if a >= 0:
                    other = self.rows[a].task
                    add(a, i, task.critical and other is not None and other.critical)
            for j in self._successors.get(row.key, ()):  # possibly below the visible band
                succ = self.rows[j].task
                add(i, j, task.critical and succ is not None and succ.critical)
        for a, b, crit in pairs:
            start, end = self._anchor(a, self.rows[a], True), self._anchor(b, self.rows[b], False)
            if start is None or end is None:
                continue
            colour = _c(self.colors.critical if crit else self.colors.arrow)
            _arrow(p, start, end, colour, 2.0 if crit else 1.2, self.geom.row_h)

    def _release(self, p: QPainter, i: int, rel: GanttRelease, *, ghost: bool = False) -> None:
        c, g = self.colors, self.geom
        planned = g.planned_rect(i, rel)
        right = None
        if planned is not None:
            fill = _c(c.preview if ghost else c.bar)
            if ghost:
                fill.setAlpha(110)
            p.setBrush(fill)
            if rel.critical and not ghost:
                p.setPen(QPen(_c(c.critical), 3))
            else:
                p.setPen(
                    QPen(
                        _c(c.preview if ghost else c.bar_border),
                        1.5 if ghost else 1,
                        Qt.PenStyle.DashLine if ghost else Qt.PenStyle.SolidLine,
                    )
                )
            p.drawRoundedRect(planned, 3, 3)
            if i == self.selected and not ghost:
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(_c(c.selection), 2, Qt.PenStyle.DotLine))
                p.drawRoundedRect(planned.adjusted(-3, -3, 3, 3), 4, 4)
            if planned.width() > 46 and not ghost:
                p.setPen(_c(c.bar_text))
                fm = QFontMetricsF(self.small)
                p.setFont(self.small)
                text = fm.elidedText(rel.title, Qt.TextElideMode.ElideRight, planned.width() - 8)
                p.drawText(
                    planned.adjusted(4, 0, -4, 0),
                    Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                    text,
                )
                p.setFont(self.font)
            right = planned.right()
        actual = g.actual_rect(i, rel, self.data.today)
        if actual is not None and not ghost:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(_c(c.actual))
            p.drawRect(actual)
            right = max(right or actual.right(), actual.right())
        deploy = g.deploy_rect(i, rel)
        if deploy is not None:
            _deploy_marker(p, deploy, c, ghost)
            right = max(right or deploy.right(), deploy.right())
        if right is not None and not ghost:
            self._tags(p, i, rel, right)

    def _tags(self, p: QPainter, i: int, rel: GanttRelease, right: float) -> None:
        """The conflict badge (rules named) and the critical-path word, right of the bar."""
        c, g = self.colors, self.geom
        x = right + 5
        fm = QFontMetricsF(self.small)
        p.setFont(self.small)
        if rel.conflicts:
            rect = badge_rect(fm, rel, x, g.row_top(i), g.row_h)
            error = rel.worst_severity == "error"
            p.setPen(QPen(_c(c.text if not error else c.error).darker(110), 1))
            p.setBrush(_c(c.error if error else c.warning))
            p.drawRoundedRect(rect, 4, 4)
            p.setPen(_c(c.error_text if error else c.warning_text))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, badge_text(rel))
            x = rect.right() + 5
        if rel.critical:
            p.setPen(_c(c.critical))
            p.setFont(self.bold)
            p.drawText(
                QRectF(x, g.row_top(i), 200, g.row_h), Qt.AlignmentFlag.AlignVCenter, "critical"
            )
        p.setFont(self.font)

    def _task(self, p: QPainter, i: int, task: GanttTask, *, ghost: bool = False) -> None:
        c, g = self.colors, self.geom
        rect = g.task_rect(i, task)
        if rect is None:
            return
        p.setPen(
            QPen(_c(c.critical), 2.5)
            if task.critical and not ghost
            else QPen(
                _c(c.preview if ghost else c.bar_border),
                1,
                Qt.PenStyle.DashLine if ghost else Qt.PenStyle.SolidLine,
            )
        )
        fill = _c(c.preview if ghost else c.task)
        if ghost:
            fill.setAlpha(110)
        p.setBrush(fill)
        p.drawRect(rect)
        if task.percent > 0 and not ghost:
            done = QRectF(
                rect.x(), rect.y(), rect.width() * min(100, task.percent) / 100, rect.height()
            )
            p.fillRect(done.adjusted(1, 1, 0, -1), _c(c.task_done))
        if i == self.selected and not ghost:
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(_c(c.selection), 2, Qt.PenStyle.DotLine))
            p.drawRect(rect.adjusted(-3, -3, 3, 3))
        if task.critical and not ghost:
            p.setPen(_c(c.critical))
            p.setFont(self.small)
            p.drawText(
                QRectF(rect.right() + 5, g.row_top(i), 120, g.row_h),
                Qt.AlignmentFlag.AlignVCenter,
                "critical",
            )
            p.setFont(self.font)

    def _preview(self, p: QPainter, first: int, last: int) -> None:
        pv = self.preview
        assert pv is not None
        i = self.row_of(pv.key)
        if i >= 0:
            if pv.release is not None:
                self._release(p, i, pv.release, ghost=True)
            elif pv.task is not None:
                self._task(p, i, pv.task, ghost=True)
        g, c = self.geom, self.colors
        p.setFont(self.small)
        for key, days in pv.moved.items():
            j = self.row_of(key)
            if j < first or j > last or key == pv.key:
                continue
            rel = self.rows[j].release
            shifted = _shifted_release(rel, days)
            self._release(p, j, shifted, ghost=True)
            rect = g.planned_rect(j, shifted) or g.deploy_rect(j, shifted)
            if rect is not None:
                p.setPen(_c(c.preview))
                p.drawText(
                    QRectF(rect.right() + 6, g.row_top(j), 160, g.row_h),
                    Qt.AlignmentFlag.AlignVCenter,
                    f"would move {days:+d} d",
                )
        p.setFont(self.font)

    # --- header ----------------------------------------------------------------------------

    def paint_header(self, p: QPainter, x0: float, width: float, dest: QRectF) -> None:
        """The time scale for content x from ``x0`` (``width`` wide) into ``dest``: the larger
        unit, the smaller unit, and a strip naming windows and today."""
        c, g = self.colors, self.geom
        p.save()
        p.setClipRect(dest)
        p.fillRect(dest, _c(c.header))
        fm = QFontMetricsF(self.font)
        tier = fm.height() + 6
        p.translate(dest.x() - x0, dest.y())
        p.setFont(self.font)
        grid = QPen(_c(c.grid), 1)
        for day, label in major_ticks(g, x0, x0 + width):
            x = g.x_of_date(day)
            p.setPen(grid)
            p.drawLine(QPointF(x + 0.5, 0), QPointF(x + 0.5, tier))
            p.setPen(_c(c.text))
            span_end = g.x_of_date(_next_major(g, day))
            left = max(x, x0) + 4
            room = span_end - left - 4
            if room > 12:
                text = fm.elidedText(label, Qt.TextElideMode.ElideRight, room)
                p.drawText(QRectF(left, 0, room, tier), Qt.AlignmentFlag.AlignVCenter, text)
        p.setFont(self.small)
        sfm = QFontMetricsF(self.small)
        ticks = minor_ticks(g, x0 - 200, x0 + width)
        for n, (day, label) in enumerate(ticks):
            x = g.x_of_date(day)
            nxt = g.x_of_date(ticks[n + 1][0]) if n + 1 < len(ticks) else x + minor_width(g, day)
            p.setPen(grid)
            p.drawLine(QPointF(x + 0.5, tier), QPointF(x + 0.5, 2 * tier))
            room = nxt - x - 4
            if room >= sfm.horizontalAdvance(label[:2]) + 2:
                weekend = g.ppd >= 30 and day.weekday() >= 5
                p.setPen(_c(c.subtle if weekend else c.text))
                text = sfm.elidedText(label, Qt.TextElideMode.ElideRight, room)
                p.drawText(QRectF(x + 3, tier, room, tier), Qt.AlignmentFlag.AlignVCenter, text)
        self._window_strip(p, x0, width, 2 * tier, tier, sfm)
        p.setPen(QPen(_c(c.grid), 1))
        p.drawLine(QPointF(x0, tier + 0.5), QPointF(x0 + width, tier + 0.5))
        p.drawLine(QPointF(x0, 2 * tier + 0.5), QPointF(x0 + width, 2 * tier + 0.5))
        p.setPen(QPen(_c(c.subtle), 1))
        p.drawLine(QPointF(x0, 3 * tier - 0.5), QPointF(x0 + width, 3 * tier - 0.5))
        p.restore()

    def _window_strip(
        self, p: QPainter, x0: float, width: float, top: float, h: float, fm: QFontMetricsF
    ) -> None:
        c, g = self.colors, self.geom
        a, b = g.time_at(x0), g.time_at(x0 + width + 1)
        labelled: list[tuple[float, float]] = []
        x = g.x_of_time(dt.datetime.combine(self.data.today, dt.time(12), tzinfo=dt.UTC))
        if x0 - 40 <= x <= x0 + width + 40:
            text = "Today"
            w = fm.horizontalAdvance(text) + 8
            rect = QRectF(x - w / 2, top + 2, w, h - 4)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(_c(c.today))
            p.drawRoundedRect(rect, 3, 3)
            p.setPen(
                _c(c.base) if self.colors is not THEMES["high-contrast"] else QColor("#000000")
            )
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
            labelled.append((rect.left() - 2, rect.right() + 2))
        for band in self.data.windows:
            for s, e in band.between(a, b):
                xa, xb = g.x_of_time(s), g.x_of_time(e)
                rect = QRectF(xa, top + 2, max(2.0, xb - xa), h - 4)
                if band.kind == "maintenance":
                    p.fillRect(rect, _c(c.maintenance))
                    p.fillRect(
                        QRectF(rect.x(), rect.bottom() - 3, rect.width(), 3),
                        _c(c.maintenance_border),
                    )
                    label = "maint."
                elif band.kind == "freeze":
                    p.fillRect(rect, QBrush(_c(c.freeze), Qt.BrushStyle.BDiagPattern))
                    label = f"Freeze: {band.title}" if band.hard else f"Soft freeze: {band.title}"
                elif band.kind == "business_event":
                    p.fillRect(rect, _c(c.event))
                    label = f"Event: {band.title}"
                else:
                    p.fillRect(rect, _c(c.holiday))
                    label = f"Holiday: {band.title}"
                left = max(xa, x0) + 3
                for lo, hi in labelled:  # start after a label already there (today's)
                    if lo <= left < hi:
                        left = hi + 3
                room = min(xb, x0 + width) - left - 2
                if (
                    band.kind != "maintenance"
                    and room < fm.horizontalAdvance(label)
                    and xb < x0 + width
                ):
                    room = max(
                        room, min(fm.horizontalAdvance(label), 260)
                    )  # names may run past a short window
                if room < fm.horizontalAdvance("maint.") or any(
                    lo < left + room and left < hi for lo, hi in labelled
                ):
                    continue
                text = fm.elidedText(label, Qt.TextElideMode.ElideRight, room)
                if band.kind != "maintenance":
                    bg = _c(c.header)
                    bg.setAlpha(220)
                    p.fillRect(QRectF(left - 1, top + 3, fm.horizontalAdvance(text) + 3, h - 6), bg)
                p.setPen(_c(c.text))
                p.drawText(QRectF(left, top, room, h), Qt.AlignmentFlag.AlignVCenter, text)
                labelled.append((left, left + fm.horizontalAdvance(text)))

    # --- row labels (exports) ----------------------------------------------------------------

    def paint_labels(
        self, p: QPainter, first: int, last: int, dest: QRectF, header_h: float
    ) -> None:
        """Key and title of rows ``first..last`` into ``dest`` (below a heading of ``header_h``)."""
        c, g = self.colors, self.geom
        p.save()
        p.setClipRect(dest)
        p.fillRect(dest, _c(c.base))
        head = QRectF(dest.x(), dest.y(), dest.width(), header_h)
        p.fillRect(head, _c(c.header))
        p.setFont(self.bold)
        p.setPen(_c(c.text))
        p.drawText(
            head.adjusted(6, 0, -4, -4),
            Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
            "Release / task",
        )
        fm = QFontMetricsF(self.font)
        key_w = fm.horizontalAdvance("REL-2026-000 ") + 8
        for i in range(first, last + 1):
            row = self.rows[i]
            y = dest.y() + header_h + (i - first) * g.row_h
            rect = QRectF(dest.x(), y, dest.width(), g.row_h)
            if i % 2:
                p.fillRect(rect, _c(c.alternate))
            if row.task is None:
                p.setFont(self.bold)
                p.setPen(_c(c.text))
                p.drawText(
                    rect.adjusted(6, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, row.release.key
                )
                p.setFont(self.font)
                title = fm.elidedText(
                    row.release.title, Qt.TextElideMode.ElideRight, dest.width() - key_w - 10
                )
                p.drawText(rect.adjusted(6 + key_w, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter, title)
            else:
                p.setFont(self.font)
                p.setPen(_c(c.subtle))
                label = f"{row.task.local_id}  {row.task.title}"
                text = fm.elidedText(label, Qt.TextElideMode.ElideRight, dest.width() - 30)
                p.drawText(rect.adjusted(24, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter, text)
        p.setPen(QPen(_c(c.subtle), 1))
        p.drawLine(
            QPointF(dest.right() - 0.5, dest.top()), QPointF(dest.right() - 0.5, dest.bottom())
        )
        p.restore()


# --- helpers ------------------------------------------------------------------------------------


def badge_text(rel: GanttRelease) -> str:
    rules = sorted({c.rule for c in rel.conflicts})
    mark = "✖" if rel.worst_severity == "error" else "⚠"
    shown = " ".join(rules[:3]) + (" …" if len(rules) > 3 else "")
    return f"{mark} {shown}"


def badge_rect(fm: QFontMetricsF, rel: GanttRelease, x: float, top: float, row_h: int) -> QRectF:
    w = fm.horizontalAdvance(badge_text(rel)) + 10
    h = min(row_h - 4, fm.height() + 4)
    return QRectF(x, top + (row_h - h) / 2, w, h)


def badge_tooltip(rel: GanttRelease) -> str:
    lines = [f"{rel.key}: {len(rel.conflicts)} conflict{'s' if len(rel.conflicts) != 1 else ''}"]
    for c in rel.conflicts:
        lines.append(f"{c.rule} ({c.severity}): {c.message}")
        if getattr(c, "suggestion", None):
            lines.append(f"    fix: {c.suggestion}")
    return "\n".join(lines)


def _deploy_marker(p: QPainter, rect: QRectF, c: GanttColors, ghost: bool) -> None:
    """A diamond on the deployment window's start, and the window's span as a thin band."""
    fill = _c(c.preview if ghost else c.deploy)
    band = QRectF(rect.x(), rect.center().y() - 2, rect.width(), 4)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(fill)
    p.drawRect(band)
    h = rect.height()
    cx, cy = rect.center().x(), rect.center().y()
    diamond = QPolygonF(
        [
            QPointF(cx, cy - h / 2),
            QPointF(cx + h / 2, cy),
            QPointF(cx, cy + h / 2),
            QPointF(cx - h / 2, cy),
        ]
    )
    p.setPen(
        QPen(_c(c.deploy_border), 1.2, Qt.PenStyle.DashLine if ghost else Qt.PenStyle.SolidLine)
    )
    p.drawPolygon(diamond)


def _arrow(p: QPainter, a: QPointF, b: QPointF, colour: QColor, width: float, row_h: int) -> None:
    path = QPainterPath(a)
    step = 6.0
    if b.x() >= a.x() + 2 * step:
        path.lineTo(a.x() + step, a.y())
        path.lineTo(a.x() + step, b.y())
        path.lineTo(b.x(), b.y())
    else:
        mid = b.y() - row_h / 2 if b.y() > a.y() else b.y() + row_h / 2
        path.lineTo(a.x() + step, a.y())
        path.lineTo(a.x() + step, mid)
        path.lineTo(b.x() - step, mid)
        path.lineTo(b.x() - step, b.y())
        path.lineTo(b.x(), b.y())
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(colour, width))
    p.drawPath(path)
    head = QPolygonF([b, QPointF(b.x() - 7, b.y() - 4), QPointF(b.x() - 7, b.y() + 4)])
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(colour)
    p.drawPolygon(head)


def _shifted_release(rel: GanttRelease, days: int) -> GanttRelease:
    from dataclasses import replace

    step = dt.timedelta(days=days)
    return replace(
        rel,
        planned_start=rel.planned_start + step if rel.planned_start else None,
        planned_end=rel.planned_end + step if rel.planned_end else None,
        deploy_start=rel.deploy_start + step if rel.deploy_start else None,
        deploy_end=rel.deploy_end + step if rel.deploy_end else None,
        conflicts=[],
        critical=False,
    )


def _day(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


__all__ = [
    "THEMES",
    "ZOOMS",
    "GanttColors",
    "GanttRenderer",
    "Geometry",
    "Preview",
    "Row",
    "badge_rect",
    "badge_tooltip",
    "colors_for",
    "header_height_for",
    "row_height_for",
]
