"""What the calendar shows, loaded once per change as plain data (no Qt, no live ORM objects).

Everything comes through the services: releases (with actual dates), tasks, windows (expanded
in their own time zone), conflicts, the critical path across releases and over a release's
tasks, the dependency edges and the saved baselines.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, overload

from relman_desktop.models import enums as E

DAY = dt.timedelta(days=1)


@dataclass
class GanttTask:
    release: str
    local_id: str
    title: str
    phase: str
    status: str
    start: dt.date | None
    end: dt.date | None
    percent: int = 0
    assignee: str | None = None
    predecessors: list[tuple[str, str]] = field(default_factory=list)  # (task id, FS/SS/FF/SF)
    critical: bool = False

    @property
    def key(self) -> str:
        return f"{self.release}/{self.local_id}"


@dataclass
class GanttRelease:
    key: str
    title: str
    status: str
    application: str | None
    manager: str | None
    planned_start: dt.date | None
    planned_end: dt.date | None
    deploy_start: dt.datetime | None
    deploy_end: dt.datetime | None
    actual_start: dt.date | None = None
    actual_end: dt.date | None = None
    conflicts: list[Any] = field(default_factory=list)  # conflicts.Conflict
    critical: bool = False
    zone: str = "UTC"  # the plan's zone, for the times a reader sees (tooltips)
    role: str | None = None  # what its state means (StateRole value), never read from its name

    @property
    def read_only(self) -> bool:
        """Closed or Cancelled: the chart refuses to move or resize it."""
        return self.role in E.READ_ONLY_ROLES

    @property
    def finished(self) -> bool:
        """Closed, cancelled or rolled back: no longer under way."""
        return self.role in E.FINISHED_ROLES

    def span(self) -> tuple[dt.date, dt.date] | None:
        """First and last day the release occupies on the chart (planned, else its window)."""
        days = [d for d in (self.planned_start, self.planned_end) if d is not None]
        for t in (self.deploy_start, self.deploy_end):
            if t is not None:
                days.append(t.astimezone(dt.UTC).date())
        if not days:
            return None
        return min(days), max(days)

    @property
    def worst_severity(self) -> str | None:
        if not self.conflicts:
            return None
        return "error" if any(c.severity == "error" for c in self.conflicts) else "warning"


@dataclass
class WindowBand:
    """A calendar window and its occurrences (UTC) over the chart's range, sorted by start."""

    id: int
    title: str
    kind: str  # maintenance | freeze | business_event | holiday
    hard: bool
    occurrences: list[tuple[dt.datetime, dt.datetime]]
    scope: str = "everything"
    _starts: list[dt.datetime] = field(default_factory=list, repr=False)
    _longest: dt.timedelta = dt.timedelta(0)

    def __post_init__(self) -> None:
        self._starts = [s for s, _ in self.occurrences]
        self._longest = max((e - s for s, e in self.occurrences), default=dt.timedelta(0))

    def between(self, a: dt.datetime, b: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        """Occurrences overlapping ``[a, b)``: a bisection, so painting costs what is visible."""
        hi = bisect.bisect_left(self._starts, b)
        lo = bisect.bisect_left(self._starts, a - self._longest)
        return [(s, e) for s, e in self.occurrences[lo:hi] if e > a]


@dataclass
class GanttData:
    releases: list[GanttRelease]
    edges: list[tuple[str, str, str]]  # (prerequisite, dependent, kind)
    windows: list[WindowBand]
    baselines: dict[str, dict[str, Any]]
    today: dt.date
    first_day: dt.date
    last_day: dt.date
    conflicts: list[Any] = field(default_factory=list)
    by_key: dict[str, GanttRelease] = field(default_factory=dict)
    zone: str = "UTC"  # the plan's time zone (services.plan_zone)
    total: int = -1  # releases in the plan when only a range was read (-1: all were)

    def __post_init__(self) -> None:
        self.by_key = {r.key: r for r in self.releases}

    def statuses(self) -> list[str]:
        return sorted({r.status for r in self.releases})

    def applications(self) -> list[str]:
        return sorted({r.application for r in self.releases if r.application})

    def managers(self) -> list[str]:
        return sorted({r.manager for r in self.releases if r.manager})

    def maintenance(self) -> list[WindowBand]:
        return [w for w in self.windows if w.kind == "maintenance"]


def load_baselines(ctx: Any) -> dict[str, dict[str, Any]]:
    """Saved baselines by name: ``{release_key: {planned_start, planned_end, deploy_*, tasks}}``."""
    from relman_desktop.services import baselines

    return {b.name: b.snapshot for b in baselines.list_baselines(ctx)}


def load(ctx: Any, *, with_conflicts: bool = True, with_critical: bool = True) -> GanttData:
    """The whole calendar: releases with their conflicts and critical flag, dependency edges,
    windows expanded over the shown range, baselines."""
    from relman_desktop.services import conflicts, graph
    from relman_desktop.services import releases as R
    from relman_desktop.services import windows as W
    from relman_desktop.services.plan_zone import plan_zone_name

    rows = R.list_releases(ctx)
    zone = plan_zone_name(ctx)
    out = [_gantt_release(r, zone) for r in rows]
    today = ctx.today()
    spans = [s for s in (r.span() for r in out) if s is not None]
    first = min([s[0] for s in spans] + [today]) - dt.timedelta(days=14)
    last = max([s[1] for s in spans] + [today]) + dt.timedelta(days=45)
    first -= dt.timedelta(days=first.weekday())  # a Monday: week ticks line up

    g = graph.release_graph(ctx, with_conflicts=False)
    edges = [(e.prerequisite, e.dependent, e.kind) for e in g.edges]

    found: list[Any] = []
    if with_conflicts:
        found = conflicts.all_conflicts(ctx, suggest=False)
        attach_conflicts(out, found)

    if with_critical and edges:
        critical = critical_keys(ctx, g)
        for shown in out:
            shown.critical = shown.key in critical

    bands = window_bands(W.list_windows(ctx), first, last)
    try:
        baselines = load_baselines(ctx)
    except Exception:  # an older plan without the table: no overlay offered
        baselines = {}
    return GanttData(out, edges, bands, baselines, today, first, last, found, zone=zone)


def window_bands(windows: Any, first: dt.date, last: dt.date) -> list[WindowBand]:
    """Calendar windows as bands expanded over the days ``first``..``last`` (inclusive),
    maintenance first and freezes last (drawn on top)."""
    from relman_desktop.services import windows as W

    lo = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    hi = dt.datetime.combine(last + DAY, dt.time(), tzinfo=dt.UTC)
    bands = []
    for w in windows:
        try:
            occ = [(_utc(s), _utc(e)) for s, e in W.occurrences(w, lo, hi)]
        except Exception:  # an unreadable rule: its first occurrence still shows
            occ = [(_utc(w.start), _utc(w.end))]
        occ.sort()
        scope = w.environment or (", ".join(w.cis) if w.cis else "everything")
        bands.append(WindowBand(w.id, w.title, str(w.kind), bool(w.hard), occ, scope))
    order = ("maintenance", "holiday", "business_event", "freeze")
    bands.sort(key=lambda b: order.index(b.kind) if b.kind in order else 9)
    return bands


def range_around(today: dt.date, before: int = 8, after: int = 20) -> tuple[dt.date, dt.date]:
    """The days a calendar opening on ``today`` reads: ``before`` weeks back (from a Monday, so
    week ticks line up) to ``after`` weeks ahead, end exclusive."""
    first = today - dt.timedelta(weeks=before)
    first -= dt.timedelta(days=first.weekday())
    return first, today + dt.timedelta(weeks=after)


def load_range(ctx: Any, start: dt.date, end: dt.date, *, with_conflicts: bool = True) -> GanttData:
    """The calendar for the days ``[start, end)`` only (``services.calendar_data.read_range``):
    the releases, dependency arrows and windows there, read for that range. ``with_conflicts``
    adds the plan's conflicts to those releases (a whole-plan check: the main window's calendar
    takes them from the conflict tally instead). The critical path and the saved baselines are
    whole-plan reads: ``load_extras`` brings them, after the bars are shown."""
    from relman_desktop.services import calendar_data
    from relman_desktop.services.plan_zone import plan_zone_name

    part = calendar_data.read_range(ctx, start, end)
    zone = plan_zone_name(ctx)
    out = [_gantt_release(r, zone) for r in part.releases]
    found: list[Any] = []
    if with_conflicts:
        from relman_desktop.services import conflicts

        found = conflicts.all_conflicts(ctx, suggest=False)
        attach_conflicts(out, found)
    bands = window_bands(part.windows, start, end - DAY)
    data = GanttData(out, part.edges, bands, {}, ctx.today(), start, end - DAY, found, zone=zone)
    data.total = part.total
    return data


def attach_conflicts(releases: list[GanttRelease], found: Any) -> None:
    """Give each release the conflicts naming it (``found``: every conflict, or the ones a
    conflict tally holds for these releases)."""
    by_key = {r.key: r for r in releases}
    for r in releases:
        r.conflicts = []
    for c in found:
        for key in c.releases:
            if key in by_key:
                by_key[key].conflicts.append(c)


@dataclass
class Extras:
    """The whole-plan parts of the calendar, read after its bars: the critical releases and the
    saved baselines."""

    critical: set[str]
    baselines: dict[str, dict[str, Any]]


def load_extras(ctx: Any) -> Extras:
    from relman_desktop.services import graph

    critical = critical_keys(ctx, graph.release_graph(ctx, with_conflicts=False))
    try:
        baselines = load_baselines(ctx)
    except Exception:  # an older plan without the table: no overlay offered
        baselines = {}
    return Extras(critical, baselines)


def critical_keys(ctx: Any, g: Any) -> set[str]:
    """The releases on the critical path (``g``: the plan's ``graph.release_graph``). Only a
    chain of dependent releases is a "path": a lone release is not highlighted; when no chain
    drives the plan's end, the longest dependency chain is shown instead."""
    from relman_desktop.services import critical_path as cp

    edges = [(e.prerequisite, e.dependent) for e in g.edges]
    if not edges:
        return set()
    try:
        critical = set(cp.release_critical_path(ctx).critical)
    except Exception:  # a loop the services refuse elsewhere: no highlight, not a crash
        critical = set()
    critical &= {p for p, _d in edges} | {d for _p, d in edges}
    return critical or set(g.critical_chain)


def _gantt_release(r: Any, zone: str) -> GanttRelease:
    return GanttRelease(
        key=r.key,
        title=r.title,
        status=r.status,
        application=r.application,
        manager=r.manager,
        planned_start=r.planned_start,
        planned_end=r.planned_end,
        deploy_start=_utc(r.deploy_start),
        deploy_end=_utc(r.deploy_end),
        actual_start=r.actual_start,
        actual_end=r.actual_end,
        zone=zone,
        role=r.status_role,
    )


def load_tasks(ctx: Any, key: str) -> list[GanttTask]:
    """A release's tasks, with the critical ones over its task links marked."""
    from relman_desktop.services import critical_path as cp
    from relman_desktop.services import tasks as T

    rows = T.list_tasks(ctx, key)
    critical: set[str] = set()
    if rows:
        try:
            critical = set(cp.task_critical_path(ctx, key).critical)
        except Exception:
            critical = set()
    return [
        GanttTask(
            release=key,
            local_id=t.local_id,
            title=t.title,
            phase=t.phase,
            status=t.status,
            start=t.start,
            end=t.end,
            percent=int(t.percent_complete or 0),
            assignee=t.assignee,
            predecessors=[(p["task"], p.get("type", "FS")) for p in t.predecessors],
            critical=t.local_id in critical,
        )
        for t in rows
    ]


@overload
def _utc(value: dt.datetime) -> dt.datetime: ...
@overload
def _utc(value: None) -> None: ...
def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def shifted_dates(rel: GanttRelease, days: int) -> dict[str, Any]:
    """The release's schedule fields moved by ``days`` calendar days (only those it has)."""
    step = dt.timedelta(days=days)
    out: dict[str, Any] = {}
    for name in ("planned_start", "planned_end", "deploy_start", "deploy_end"):
        value = getattr(rel, name)
        if value is not None:
            out[name] = value + step
    return out


def schedule_fields(rel: GanttRelease, names: Any) -> dict[str, Any]:
    return {n: getattr(rel, n) for n in names}
