"""What the calendar shows for a range of days, read for that range only (issue 19).

A calendar of a 10,000-release plan shows a few months at a time; reading every release,
window and dependency to paint three months made its data grow with the plan. ``read_range``
reads what overlaps ``[start, end)``:

- the releases whose span (planned dates and deployment window, as the chart draws them)
  overlaps the range — plus the open releases that have no date at all yet (they are rows to
  schedule, wherever the chart is scrolled);
- the dependencies that touch those releases (an arrow to a release outside the range names
  it, the chart draws what it has);
- the calendar windows (maintenance, freezes, business events, holidays) that have an
  occurrence in the range: one-off windows through their interval columns, recurring ones
  through their rule;
- how many releases the plan holds, for "showing n of N".

Plain rows, no ORM objects, one short session (SQLAlchemy Core, SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, String, and_, func, or_, select, type_coerce
from sqlalchemy.orm import aliased

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    CalendarWindow,
    Release,
    ReleaseDependency,
    WorkflowState,
)

from .base import Ctx
from .keys import natural_key
from .releases import ReleaseRow, release_rows_select
from .windows import WindowInfo, _info, occurrences

__all__ = ["CalendarRange", "read_range", "release_span"]

# Ids per IN (...) list: well under SQLite's bound-parameter limit.
_CHUNK = 500


@dataclass
class CalendarRange:
    """The calendar's data for the days ``[start, end)``."""

    start: dt.date
    end: dt.date
    releases: list[ReleaseRow]  # natural key order
    # (prerequisite, dependent, kind) touching those releases
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    windows: list[WindowInfo] = field(default_factory=list)  # with an occurrence in the range
    total: int = 0  # releases in the whole plan

    def keys(self) -> set[str]:
        return {r.key for r in self.releases}


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _overlaps(start: dt.date, end: dt.date) -> ColumnElement[bool]:
    """The releases whose chart span overlaps ``[start, end)``.

    The span runs from the earliest to the latest of the planned dates and the deployment
    window (by its UTC day), so it starts before ``end`` when any of them does and ends on or
    after ``start`` when any of them does: exact, with no date arithmetic in SQL."""
    lo, hi = _midnight(start), _midnight(end)
    begins_before_end = or_(
        Release.planned_start < end,
        Release.planned_end < end,
        Release.deploy_start < hi,
        Release.deploy_end < hi,
    )
    ends_after_start = or_(
        Release.planned_start >= start,
        Release.planned_end >= start,
        Release.deploy_start >= lo,
        Release.deploy_end >= lo,
    )
    undated_open = and_(
        Release.planned_start.is_(None),
        Release.planned_end.is_(None),
        Release.deploy_start.is_(None),
        Release.deploy_end.is_(None),
        or_(
            WorkflowState.role.is_(None),
            WorkflowState.role.not_in(list(E.FINISHED_ROLES)),
        ),
    )
    return or_(and_(begins_before_end, ends_after_start), undated_open)


def read_range(ctx: Ctx, start: dt.date, end: dt.date) -> CalendarRange:
    """The releases, dependencies and windows the calendar needs for the days ``[start, end)``
    (see the module doc). ``end`` must be after ``start``."""
    if end <= start:
        raise ValueError(f"calendar range: the end {end} must be after the start {start}")
    stmt = release_rows_select().where(_overlaps(start, end))
    lo, hi = _midnight(start), _midnight(end)
    with ctx.read() as s:
        found: list[Any] = list(s.connection().execute(stmt).all())
        rows = [ReleaseRow(*r) for r in found]
        rows.sort(key=lambda r: natural_key(r.key))
        total = int(s.scalar(select(func.count(Release.id))) or 0)

        ids = [r.id for r in rows]
        prereq, dependent = aliased(Release), aliased(Release)
        seen: set[tuple[str, str]] = set()
        edges: list[tuple[str, str, str]] = []
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            pairs = (
                s.connection()
                .execute(
                    select(prereq.key, dependent.key, type_coerce(ReleaseDependency.kind, String))
                    .join(prereq, prereq.id == ReleaseDependency.prerequisite_id)
                    .join(dependent, dependent.id == ReleaseDependency.release_id)
                    .where(
                        or_(
                            ReleaseDependency.release_id.in_(chunk),
                            ReleaseDependency.prerequisite_id.in_(chunk),
                        )
                    )
                )
                .all()
            )
            for p, d, kind in pairs:
                if (p, d) not in seen:
                    seen.add((p, d))
                    edges.append((p, d, kind))
        edges.sort(key=lambda e: (natural_key(e[0]), natural_key(e[1])))

        windows_stmt = (
            select(CalendarWindow)
            .where(
                or_(
                    CalendarWindow.rrule.is_not(None),
                    and_(CalendarWindow.start < hi, CalendarWindow.end > lo),
                ),
                CalendarWindow.start < hi,
            )
            .order_by(CalendarWindow.start, CalendarWindow.id)
        )
        windows: list[WindowInfo] = []
        for w in s.execute(windows_stmt).scalars():
            info = _info(w)
            if info.rrule:
                try:
                    if not occurrences(info, lo, hi):
                        continue
                except Exception:  # an unreadable rule: the calendar still shows its first one
                    pass
            windows.append(info)
    return CalendarRange(start, end, rows, edges, windows, total)


def release_span(ctx: Ctx, key: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day release ``key`` occupies on the chart (None: no such release,
    or no dates): where the calendar must read to show it."""
    with ctx.read() as s:
        row = s.execute(
            select(
                Release.planned_start,
                Release.planned_end,
                Release.deploy_start,
                Release.deploy_end,
            ).where(Release.key == key)
        ).first()
    if row is None:
        return None
    days = [d for d in row[:2] if d is not None]
    days += [t.astimezone(dt.UTC).date() for t in row[2:] if t is not None]
    return (min(days), max(days)) if days else None
