"""Critical path (CPM) over a release's tasks, and over a chain of dependent releases.

Time is counted in working days: Monday to Friday, minus the plan's holidays (calendar windows
of kind holiday, ``workdays.holiday_dates``), which count as weekend days do. An activity occupies whole days: one planned
from Monday to Wednesday lasts 3 days (early start Monday, early finish Wednesday).

Links, with ``lag`` in working days (may be negative), from predecessor P to successor S:

| type | constraint |
|------|------------|
| FS | S starts ``lag`` days after the day P finishes (FS 0: the next working day) |
| SS | S starts ``lag`` days after P starts |
| FF | S finishes ``lag`` days after P finishes |
| SF | S finishes ``lag`` days after P starts (SF 0: S finishes the day before P starts) |

Forward pass: an activity with predecessors starts as soon as they allow (never before the
project start); one without keeps its planned start (or the project start when it has none).
Backward pass from the latest early finish. Total slack = late start − early start; the
critical activities are those with no slack. Loops are refused with ``CycleError`` naming them.

Release level: releases linked by ReleaseDependency, from planned start/end (else the date of
the deployment window); "before" is FS 0 from the prerequisite, "together" SS 0.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    Release,
    ReleaseDependency,
    Task,
    TaskDependency,
    WorkflowState,
)

from .base import Ctx, CycleError, ValidationError, gc_paused, release_by_key
from .workdays import holiday_dates

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "Activity",
    "Link",
    "Schedule",
    "Scheduled",
    "WorkCalendar",
    "compute_cpm",
    "finish_after",
    "first_working_day",
    "release_critical_path",
    "reschedule_successors",
    "task_critical_path",
    "working_days",
]

_MONDAY = dt.date(2001, 1, 1)  # a Monday: working-day numbers count from here
HOLIDAY_YEARS_BACK, HOLIDAY_YEARS_AHEAD = 2, 12  # holidays read around a schedule's first day


@dataclass(frozen=True)
class Activity:
    """A task or a release: planned dates (inclusive) or a duration in working days."""

    id: str
    title: str
    start: dt.date | None = None
    end: dt.date | None = None
    duration: int | None = None


@dataclass(frozen=True)
class Link:
    predecessor: str
    successor: str
    type: str = "FS"
    lag: int = 0


class Scheduled(NamedTuple):
    """One activity's CPM dates (a named tuple: 10,000 of them are made per pass)."""

    id: str
    title: str
    duration_days: int
    early_start: dt.date
    early_finish: dt.date
    late_start: dt.date
    late_finish: dt.date
    total_slack: int
    critical: bool


@dataclass(frozen=True)
class Schedule:
    """The result of a CPM pass; ``critical`` lists critical ids by early start."""

    start: dt.date | None
    finish: dt.date | None
    items: list[Scheduled]
    critical: list[str]

    def by_id(self) -> dict[str, Scheduled]:
        return {s.id: s for s in self.items}


def _weekday_number(day: dt.date) -> int:
    """Monday-to-Friday number of ``day``; a weekend day gets the number of the Monday after."""
    weeks, weekday = divmod((day - _MONDAY).days, 7)
    return weeks * 5 + min(weekday, 5)


def _weekday_date(number: int) -> dt.date:
    weeks, weekday = divmod(number, 5)
    return _MONDAY + dt.timedelta(days=weeks * 7 + weekday)


class WorkCalendar:
    """Working-day numbers: Monday to Friday, minus ``holidays``. A day off (weekend or
    holiday) gets the number of the working day after it, so arithmetic on numbers is
    arithmetic in working days (the CPM's passes stay integer sums)."""

    def __init__(self, holidays: Iterable[dt.date] = ()) -> None:
        # holidays on weekdays, by their Monday-to-Friday number (a Saturday holiday changes nothing)
        self._off = sorted({_weekday_number(d) for d in holidays if d.weekday() < 5})

    def number(self, day: dt.date) -> int:
        n = _weekday_number(day)
        return n - bisect.bisect_left(self._off, n)

    def date(self, number: int) -> dt.date:
        n = number  # the weekday number whose working number is ``number``: skip holidays
        while True:
            moved = number + bisect.bisect_right(self._off, n)
            if moved == n:
                return _weekday_date(n)
            n = moved

    def duration(self, a: Activity) -> int:
        if a.start is not None and a.end is not None:
            return max(1, self.number(a.end + dt.timedelta(days=1)) - self.number(a.start))
        return max(1, a.duration or 1)


WEEKDAYS = WorkCalendar()  # no holidays


def plan_calendar(session: Session, around: dt.date) -> WorkCalendar:
    """The plan's working days near ``around`` (years before and after it): its holidays out."""
    lo = around.replace(year=max(1, around.year - HOLIDAY_YEARS_BACK), month=1, day=1)
    hi = around.replace(year=min(9999, around.year + HOLIDAY_YEARS_AHEAD), month=12, day=31)
    return WorkCalendar(holiday_dates(session, lo, hi))


def _check_acyclic(graph: nx.DiGraph, what: str) -> list[str]:
    import networkx as nx

    try:
        return list(nx.topological_sort(graph))
    except nx.NetworkXUnfeasible:
        edges = nx.find_cycle(graph, orientation="original")
        loop = [str(u) for u, *_ in edges] + [str(edges[0][0])]
        raise CycleError(loop, what=what) from None


def compute_cpm(
    activities: Sequence[Activity],
    links: Sequence[Link],
    *,
    project_start: dt.date | None = None,
    what: str = "task dependency",
    calendar: WorkCalendar = WEEKDAYS,
) -> Schedule:
    """Forward and backward pass (see the module doc) in ``calendar``'s working days. Raises
    CycleError on a loop."""
    if not activities:
        return Schedule(None, None, [], [])
    # tens of thousands of small dicts (the graph's adjacency) and results, no cycles among them
    with gc_paused():
        return _compute_cpm(activities, links, project_start, what, calendar)


def _compute_cpm(
    activities: Sequence[Activity],
    links: Sequence[Link],
    project_start: dt.date | None,
    what: str,
    cal: WorkCalendar,
) -> Schedule:
    import networkx as nx

    acts = {a.id: a for a in activities}
    for link in links:
        for end in (link.predecessor, link.successor):
            if end not in acts:
                raise ValidationError(
                    f"the {what} {link.predecessor} → {link.successor} names no activity {end!r}"
                )
        if link.type not in ("FS", "SS", "FF", "SF"):
            raise ValidationError(f"unknown dependency type {link.type!r} (FS, SS, FF or SF)")
    graph = nx.DiGraph()
    graph.add_nodes_from(acts)
    graph.add_edges_from((lk.predecessor, lk.successor) for lk in links)
    order = _check_acyclic(graph, what)

    starts = [a.start for a in activities if a.start is not None]
    anchor = project_start or (min(starts) if starts else dt.date.today())
    zero = cal.number(anchor)
    dur = {i: cal.duration(a) for i, a in acts.items()}
    # Each link as the end of P it reads (start or finish) and the end of S it holds: S's start
    # must be ≥ P's end + lag − (S's duration when it holds S's finish). Backwards the same
    # arithmetic bounds P's finish by S's start or finish. Numbers, not words, in the loops.
    incoming: dict[str, list[tuple[str, bool, int]]] = {i: [] for i in acts}
    outgoing: dict[str, list[tuple[str, bool, int]]] = {i: [] for i in acts}
    for lk in links:
        from_finish = lk.type in ("FS", "FF")
        to_finish = lk.type in ("FF", "SF")
        p, q = lk.predecessor, lk.successor
        incoming[q].append((p, from_finish, lk.lag - (dur[q] if to_finish else 0)))
        outgoing[p].append((q, to_finish, (0 if from_finish else dur[p]) - lk.lag))

    es: dict[str, int] = {}
    ef: dict[str, int] = {}
    for i in order:  # day numbers relative to the anchor; finish numbers are exclusive
        preds = incoming[i]
        if preds:
            earliest = 0
            for p, from_finish, adjust in preds:
                bound = (ef[p] if from_finish else es[p]) + adjust
                if bound > earliest:
                    earliest = bound
        else:
            start = acts[i].start
            earliest = max(0, cal.number(start) - zero) if start is not None else 0
        es[i] = earliest
        ef[i] = earliest + dur[i]

    finish = max(ef.values())
    lf: dict[str, int] = {}
    ls: dict[str, int] = {}
    for i in reversed(order):
        latest = finish
        for q, to_finish, adjust in outgoing[i]:
            bound = (lf[q] if to_finish else ls[q]) + adjust
            if bound < latest:
                latest = bound
        lf[i] = latest
        ls[i] = latest - dur[i]

    dates: dict[int, dt.date] = {}  # a few hundred distinct days for thousands of activities
    for number in {
        *es.values(),
        *ls.values(),
        *(n - 1 for n in ef.values()),
        *(n - 1 for n in lf.values()),
    }:
        dates[number] = cal.date(zero + number)
    items = []
    for i in order:
        slack = ls[i] - es[i]
        items.append(
            Scheduled(
                i,
                acts[i].title,
                dur[i],
                dates[es[i]],
                dates[ef[i] - 1],
                dates[ls[i]],
                dates[lf[i] - 1],
                slack,
                slack <= 0,
            )
        )
    items.sort(key=lambda s: (s.early_start, s.early_finish, s.id))
    critical = [s.id for s in items if s.critical]
    return Schedule(
        start=cal.date(zero), finish=cal.date(zero + finish - 1), items=items, critical=critical
    )


def task_critical_path(ctx: Ctx, key: str) -> Schedule:
    """CPM over release ``key``'s tasks (by task id, e.g. ``T1``); cancelled tasks are left out."""
    with ctx.read() as s:
        rel = release_by_key(s, key)
        rows = s.execute(
            select(Task.id, Task.local_id, Task.title, Task.start, Task.end, Task.effort_hours)
            .where(Task.release_id == rel.id, Task.status != E.TaskStatus.CANCELLED)
            .order_by(Task.position, Task.id)
        ).all()
        local = {r.id: r.local_id for r in rows}
        deps = s.execute(
            select(
                TaskDependency.predecessor_id,
                TaskDependency.successor_id,
                TaskDependency.type,
                TaskDependency.lag_days,
            ).where(
                TaskDependency.successor_id.in_(local), TaskDependency.predecessor_id.in_(local)
            )
        ).all()
        project_start = rel.planned_start
        starts = [r.start for r in rows if r.start is not None]
        anchor = min([d for d in (project_start, *starts) if d is not None], default=ctx.today())
        calendar = plan_calendar(s, anchor)
    activities = [
        Activity(
            id=r.local_id,
            title=r.title,
            start=r.start,
            end=r.end,
            duration=math.ceil(r.effort_hours / 8) if r.effort_hours else None,
        )
        for r in rows
    ]
    links = [
        Link(
            local[d.predecessor_id],
            local[d.successor_id],
            E.LinkType(d.type).value,
            d.lag_days or 0,
        )
        for d in deps
    ]
    return compute_cpm(
        activities, links, project_start=anchor, what="task dependency", calendar=calendar
    )


def release_critical_path(ctx: Ctx, key: str | None = None) -> Schedule:
    """CPM over releases linked by dependencies: the chain holding ``key`` (default: every
    release of the plan). Cancelled releases are left out."""
    import networkx as nx

    with ctx.read() as s:
        rows = s.execute(
            select(
                Release.id,
                Release.key,
                Release.title,
                Release.planned_start,
                Release.planned_end,
                Release.deploy_start,
                WorkflowState.name,
            )
            .join(WorkflowState, WorkflowState.id == Release.status_id)
            .where(
                WorkflowState.role.is_distinct_from(E.StateRole.CANCELLED)
            )  # by role; NULL role kept
        ).all()
        deps = s.execute(
            select(
                ReleaseDependency.release_id,
                ReleaseDependency.prerequisite_id,
                ReleaseDependency.kind,
            )
        ).all()
        if key is not None:
            release_by_key(s, key)
    keys = {r.id: r.key for r in rows}
    links = [
        Link(
            keys[d.prerequisite_id],
            keys[d.release_id],
            "FS" if E.DependencyKind(d.kind) == E.DependencyKind.BEFORE else "SS",
            0,
        )
        for d in deps
        if d.release_id in keys and d.prerequisite_id in keys
    ]
    wanted = set(keys.values())
    if key is not None:
        graph = nx.Graph()
        graph.add_nodes_from(keys.values())
        graph.add_edges_from((lk.predecessor, lk.successor) for lk in links)
        wanted = nx.node_connected_component(graph, key) if key in graph else {key}
    activities = []
    for r in rows:
        if r.key not in wanted:
            continue
        start, end = r.planned_start, r.planned_end
        if start is None and r.deploy_start is not None:
            start = r.deploy_start.date()
        if end is None and start is not None:
            end = max(start, r.deploy_start.date()) if r.deploy_start is not None else start
        activities.append(Activity(id=r.key, title=r.title, start=start, end=end))
    links = [lk for lk in links if lk.predecessor in wanted and lk.successor in wanted]
    anchor = min((a.start for a in activities if a.start is not None), default=ctx.today())
    with ctx.read() as s:
        calendar = plan_calendar(s, anchor)
    return compute_cpm(
        activities, links, project_start=anchor, what="release dependency", calendar=calendar
    )


def working_days(start: dt.date, end: dt.date, calendar: WorkCalendar = WEEKDAYS) -> int:
    """How many working days a task from ``start`` to ``end`` lasts, both included, as the CPM
    counts them (at least 1)."""
    return calendar.duration(Activity("", "", start=start, end=end))


def finish_after(start: dt.date, days: int, calendar: WorkCalendar = WEEKDAYS) -> dt.date:
    """The day a task starting on ``start`` and lasting ``days`` working days finishes (a start
    on a day off counts from the working day after, as the CPM does)."""
    return calendar.date(calendar.number(start) + max(1, days) - 1)


def first_working_day(day: dt.date, calendar: WorkCalendar = WEEKDAYS) -> dt.date:
    """``day``, or the first working day after it when it is a day off."""
    return calendar.date(calendar.number(day))


def reschedule_successors(
    s: Session, release_id: int, moved: Collection[str], today: dt.date
) -> dict[str, tuple[dt.date, dt.date]]:
    """New dates for the tasks downstream of ``moved`` (task ids), as MS Project moves an
    auto-scheduled task when its predecessor moves: each starts as early as its links allow
    (lags in working days) and keeps its length. Every other task stays where the plan has it
    and is read as a fixed date, and so are done and cancelled tasks. Only tasks whose dates
    change are answered."""
    import networkx as nx

    rows = s.execute(
        select(
            Task.id, Task.local_id, Task.title, Task.start, Task.end, Task.effort_hours, Task.status
        ).where(Task.release_id == release_id, Task.status != E.TaskStatus.CANCELLED)
    ).all()
    local = {r.id: r.local_id for r in rows}
    deps = s.execute(
        select(
            TaskDependency.predecessor_id,
            TaskDependency.successor_id,
            TaskDependency.type,
            TaskDependency.lag_days,
        ).where(TaskDependency.successor_id.in_(local), TaskDependency.predecessor_id.in_(local))
    ).all()
    graph = nx.DiGraph()
    graph.add_nodes_from(local.values())
    graph.add_edges_from((local[d.predecessor_id], local[d.successor_id]) for d in deps)
    downstream: set[str] = set()
    for task in moved:
        if task in graph:
            downstream |= nx.descendants(graph, task)
    by_id = {r.local_id: r for r in rows}
    floating = {t for t in downstream - set(moved) if by_id[t].status != E.TaskStatus.DONE}
    free = {t for t in floating if by_id[t].start or by_id[t].end}  # an undated task stays so
    if not free:
        return {}
    activities = [
        Activity(
            id=r.local_id,
            title=r.title,
            start=r.start,
            end=r.end,
            duration=math.ceil(r.effort_hours / 8) if r.effort_hours else None,
        )
        for r in rows
    ]
    # Only the tasks that move keep their incoming links; the others are anchored where they are.
    links = [
        Link(local[d.predecessor_id], local[d.successor_id], E.LinkType(d.type).value, d.lag_days)
        for d in deps
        if local[d.successor_id] in floating
    ]
    starts = [a.start for a in activities if a.start is not None]
    anchor = min(starts, default=today)
    schedule = compute_cpm(
        activities,
        links,
        project_start=anchor,
        what="task dependency",
        calendar=plan_calendar(s, anchor),
    )
    answer: dict[str, tuple[dt.date, dt.date]] = {}
    for item in schedule.items:
        if item.id not in free:
            continue
        r = by_id[item.id]
        new = (item.early_start, item.early_finish)
        if (r.start, r.end) != new:
            answer[item.id] = new
    return answer
