"""Where things sit on the Gantt chart, and its time scale: the arithmetic, no painting.

``Row`` is one line of the chart (a release, or one of its tasks), ``Geometry`` turns dates and
times into content x and rows into y (and gives each bar's rectangle), ``Preview`` holds a drag
in progress. Beside them: the zoom levels (pixels per day), the row and header heights for a
font, and the ticks of the header's two tiers (months, quarters or years over days, weeks or
months).

Split out of ``gantt_render``, which paints with them; the chart widget, the drag code, the
calendar page and the exports use the same geometry, so a bar is where the mouse finds it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontMetricsF

from .gantt_data import GanttRelease, GanttTask

ZOOMS: dict[str, float] = {"day": 44.0, "week": 16.0, "month": 5.0, "quarter": 1.6}
MIN_PPD, MAX_PPD = 0.6, 120.0
EPOCH_TIME = dt.time(0, tzinfo=dt.UTC)


# --- rows and geometry --------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the chart: a release, or one of its tasks when it is expanded."""

    release: GanttRelease
    task: GanttTask | None = None
    release_row: int = 0  # row of the release in the (filtered) tree model
    task_row: int = -1

    @property
    def key(self) -> str:
        return self.task.key if self.task is not None else self.release.key


@dataclass
class Geometry:
    """Content coordinates: x = days since ``origin`` × ``ppd``; y = row × ``row_h``."""

    origin: dt.date
    ppd: float
    row_h: int

    def x_of_date(self, day: dt.date) -> float:
        return (day - self.origin).days * self.ppd

    def x_of_time(self, moment: dt.datetime) -> float:
        origin = dt.datetime.combine(self.origin, EPOCH_TIME)
        return (moment - origin).total_seconds() / 86400.0 * self.ppd

    def date_at(self, x: float) -> dt.date:
        return self.origin + dt.timedelta(days=int(x // self.ppd))

    def time_at(self, x: float) -> dt.datetime:
        origin = dt.datetime.combine(self.origin, EPOCH_TIME)
        return origin + dt.timedelta(days=x / self.ppd)

    def row_top(self, index: int) -> float:
        return index * self.row_h

    def planned_rect(self, index: int, rel: GanttRelease) -> QRectF | None:
        if rel.planned_start is None and rel.planned_end is None:
            return None
        start = rel.planned_start or rel.planned_end
        end = rel.planned_end or rel.planned_start
        assert start is not None and end is not None
        x0, x1 = self.x_of_date(start), self.x_of_date(end + dt.timedelta(days=1))
        y = self.row_top(index)
        return QRectF(x0, y + round(self.row_h * 0.18), max(2.0, x1 - x0), round(self.row_h * 0.44))

    def actual_rect(self, index: int, rel: GanttRelease, today: dt.date) -> QRectF | None:
        if rel.actual_start is None:
            return None
        # An open release runs on to today; a closed or cancelled one without an end stops where it began.
        ongoing = not rel.finished
        end = rel.actual_end or (max(rel.actual_start, today) if ongoing else rel.actual_start)
        x0, x1 = self.x_of_date(rel.actual_start), self.x_of_date(end + dt.timedelta(days=1))
        y = self.row_top(index)
        return QRectF(
            x0, y + round(self.row_h * 0.70), max(2.0, x1 - x0), max(3, round(self.row_h * 0.14))
        )

    def deploy_rect(self, index: int, rel: GanttRelease) -> QRectF | None:
        """The deployment window: at least the diamond's width, centred on the window."""
        if rel.deploy_start is None:
            return None
        x0 = self.x_of_time(rel.deploy_start)
        x1 = self.x_of_time(rel.deploy_end) if rel.deploy_end is not None else x0
        y = self.row_top(index)
        size = max(8.0, round(self.row_h * 0.56))
        mid = (x0 + x1) / 2
        width = max(size, x1 - x0)
        return QRectF(mid - width / 2, y + (self.row_h - size) / 2, width, size)

    def task_rect(self, index: int, task: GanttTask) -> QRectF | None:
        if task.start is None and task.end is None:
            return None
        start = task.start or task.end
        end = task.end or task.start
        assert start is not None and end is not None
        x0, x1 = self.x_of_date(start), self.x_of_date(end + dt.timedelta(days=1))
        y = self.row_top(index)
        return QRectF(x0, y + round(self.row_h * 0.26), max(2.0, x1 - x0), round(self.row_h * 0.44))

    def bar_rect(self, index: int, row: Row) -> QRectF | None:
        if row.task is not None:
            return self.task_rect(index, row.task)
        return self.planned_rect(index, row.release)


@dataclass
class Preview:
    """A drag in progress: the candidate dates of the dragged item and what else would move."""

    key: str
    release: GanttRelease | None = None  # the dragged release with its candidate dates
    task: GanttTask | None = None
    moved: dict[str, int] = field(default_factory=dict)  # other release keys → days they move
    text: str = ""


# --- heights for a font -------------------------------------------------------------------------


def header_height_for(font: QFont) -> int:
    return int(3 * (QFontMetricsF(font).height() + 6))


def row_height_for(font: QFont) -> int:
    return max(24, int(QFontMetricsF(font).height() * 1.9))


# --- the time scale (the header's ticks) --------------------------------------------------------


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_WEEKDAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, n: int) -> dt.date:
    m = day.month - 1 + n
    return dt.date(day.year + m // 12, m % 12 + 1, 1)


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def major_unit(g: Geometry) -> str:
    if g.ppd >= 8:
        return "month"
    if g.ppd >= 2.5:
        return "quarter"
    return "year"


def _next_major(g: Geometry, day: dt.date) -> dt.date:
    unit = major_unit(g)
    if unit == "month":
        return _add_months(day, 1)
    if unit == "quarter":
        return _add_months(day, 3)
    return dt.date(day.year + 1, 1, 1)


def major_ticks(g: Geometry, x0: float, x1: float) -> list[tuple[dt.date, str]]:
    unit = major_unit(g)
    day = g.date_at(x0)
    if unit == "month":
        day = _month_start(day)
    elif unit == "quarter":
        day = _quarter_start(day)
    else:
        day = dt.date(day.year, 1, 1)
    out = []
    end = g.date_at(x1)
    while day <= end:
        if unit == "month":
            label = f"{_MONTH_NAMES[day.month - 1]} {day.year}"
        elif unit == "quarter":
            label = f"Q{(day.month - 1) // 3 + 1} {day.year}"
        else:
            label = str(day.year)
        out.append((day, label))
        day = _next_major(g, day)
    return out


def minor_unit(g: Geometry) -> str:
    if g.ppd >= 24:
        return "day"
    if g.ppd >= 8:
        return "week"
    return "month"


def minor_width(g: Geometry, day: dt.date) -> float:
    unit = minor_unit(g)
    if unit == "day":
        return g.ppd
    if unit == "week":
        return 7 * g.ppd
    return (_add_months(day, 1) - day).days * g.ppd


def minor_ticks(g: Geometry, x0: float, x1: float) -> list[tuple[dt.date, str]]:
    unit = minor_unit(g)
    day = g.date_at(x0)
    end = g.date_at(x1)
    out = []
    if unit == "day":
        while day <= end:
            out.append(
                (day, f"{_WEEKDAYS[day.weekday()]} {day.day}" if g.ppd >= 36 else str(day.day))
            )
            day += dt.timedelta(days=1)
    elif unit == "week":
        day -= dt.timedelta(days=day.weekday())
        while day <= end:
            week = day.isocalendar()[1]
            label = (
                f"W{week} · {day.day} {_MONTHS[day.month - 1]}"
                if g.ppd * 7 >= 90
                else f"{day.day} {_MONTHS[day.month - 1]}"
            )
            out.append((day, label))
            day += dt.timedelta(days=7)
    else:
        day = _month_start(day)
        while day <= end:
            out.append((day, _MONTHS[day.month - 1]))
            day = _add_months(day, 1)
    return out


def visible_rows(first_y: float, height: float, row_h: int, count: int) -> range:
    first = max(0, int(first_y // row_h))
    last = min(count - 1, int((first_y + height) // row_h))
    return range(first, last + 1)
