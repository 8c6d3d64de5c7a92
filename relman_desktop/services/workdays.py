"""Working days: Monday to Friday, minus the plan's holidays (calendar windows of kind "holiday").

Template offsets and durations are counted in working days, so a task starting on a Friday
with a duration of two days ends on the Monday after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import CalendarWindow

NO_HOLIDAYS: frozenset[dt.date] = frozenset()


def is_workday(day: dt.date, holidays: Collection[dt.date] = NO_HOLIDAYS) -> bool:
    return day.weekday() < 5 and day not in holidays


def next_workday(day: dt.date, holidays: Collection[dt.date] = NO_HOLIDAYS) -> dt.date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_workday(day, holidays):
        day += dt.timedelta(days=1)
    return day


def add_workdays(day: dt.date, days: int, holidays: Collection[dt.date] = NO_HOLIDAYS) -> dt.date:
    """Move ``days`` working days from ``day`` (``day`` itself is not counted); negative moves back.

    With ``days == 0`` the day is returned unchanged, even on a weekend."""
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    while remaining:
        day += dt.timedelta(days=step)
        if is_workday(day, holidays):
            remaining -= 1
    return day


def count_workdays(
    start: dt.date, end: dt.date, holidays: Collection[dt.date] = NO_HOLIDAYS
) -> int:
    """Working days from ``start`` to ``end``, both included; 0 when ``end`` is before ``start``."""
    if end < start:
        return 0
    total = 0
    day = start
    while day <= end:
        if is_workday(day, holidays):
            total += 1
        day += dt.timedelta(days=1)
    return total


def workdays_between(
    start: dt.date, end: dt.date, holidays: Collection[dt.date] = NO_HOLIDAYS
) -> int:
    """How many working days ``add_workdays`` needs to go from ``start`` to ``end``
    (``start`` excluded, ``end`` included); negative when ``end`` is before ``start``."""
    if end >= start:
        return count_workdays(start + dt.timedelta(days=1), end, holidays)
    return -count_workdays(end, start - dt.timedelta(days=1), holidays)


def _local_days(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> Iterable[dt.date]:
    """The calendar days a window [start, end) covers, in the window's own time zone."""
    first = start.astimezone(tz).date()
    last = (end.astimezone(tz) - dt.timedelta(microseconds=1)).date()
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def holiday_dates(session: Session, start: dt.date, end: dt.date) -> set[dt.date]:
    """The holidays of the plan's calendar between ``start`` and ``end`` (both included),
    recurring ones (RRULE) expanded."""
    from dateutil.rrule import rrulestr

    days: set[dt.date] = set()
    windows = session.execute(
        select(CalendarWindow).where(CalendarWindow.kind == E.WindowKind.HOLIDAY)
    ).scalars()
    lo = dt.datetime.combine(start - dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    hi = dt.datetime.combine(end + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    for w in windows:
        try:
            tz: dt.tzinfo = ZoneInfo(w.timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            tz = dt.UTC
        length = w.end - w.start
        starts = [w.start]
        if w.rrule:
            try:
                rule = rrulestr(w.rrule, dtstart=w.start.astimezone(tz))
                starts = [s.astimezone(dt.UTC) for s in rule.between(lo - length, hi, inc=True)]
            except (ValueError, TypeError):
                starts = [w.start]  # an unreadable RRULE still blocks its first occurrence
        for s in starts:
            for day in _local_days(s, s + length, tz):
                if start <= day <= end:
                    days.add(day)
    return days
