"""Conflict detection: the rules C1–C7 of PRODUCT.md §5, each finding naming its evidence.

| id | rule | severity |
|----|------|----------|
| C1 | deployment window overlaps a freeze/blackout window in scope | hard → error, soft → warning |
| C2 | deployment window not inside one occurrence of a maintenance window of each CI that requires one | error |
| C3 | two releases touch the same CI (or its parent/child) in overlapping deployment windows | error |
| C4 | one person has overlapping tasks in different releases | warning |
| C5 | a release deploys before (or while) a release it depends on ("before") deploys | error |
| C6 | deployment window overlaps a business event in scope | warning |
| C7 | the rollback does not fit between deployment end and the end of the maintenance window | warning |

Intervals are half-open: a window ending at 22:00 and one starting at 22:00 do not overlap.
Task dates are whole days, both included (a task ending on the 3rd overlaps one starting then).

It scales: the whole plan is read with a handful of Core SELECTs into a ``PlanIndex``;
C3 and C4 sweep sorted intervals per CI / per person (never all pairs), window rules look
occurrences up by bisection. Releases in a terminal state (Closed, Cancelled) and releases
without a deployment window are skipped by every rule that needs a window.

Times in messages are shown in the window's own time zone for window rules, otherwise in the
plan's display zone (PlanMeta ``timezone``, else the zone most windows use, else UTC).
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, select, type_coerce
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    CalendarWindow,
    Change,
    ConfigurationItem,
    Person,
    PlanMeta,
    Release,
    ReleaseDependency,
    Task,
    WorkflowState,
    change_cis,
    ci_relations,
    window_cis,
)

from . import windows as W
from .base import Ctx, NotFound, gc_paused, jsonable

__all__ = [
    "Conflict",
    "PlanIndex",
    "all_conflicts",
    "conflicts_for_release",
    "load_index",
    "window_clear_problems",
]

ERROR, WARNING = "error", "warning"
Interval = tuple[dt.datetime, dt.datetime]


@dataclass
class Conflict:
    """One finding. ``suggestion`` is a sentence; ``suggested_*`` the slot it proposes."""

    rule: str
    severity: str
    releases: list[str]
    message: str
    cis: list[str] = field(default_factory=list)
    windows: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    suggestion: str | None = None
    suggested_start: dt.datetime | None = None
    suggested_end: dt.datetime | None = None
    suggested_window: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


# --- the plan, indexed ---------------------------------------------------------------------------


@dataclass(eq=False)
class RelInfo:
    id: int
    key: str
    title: str
    start: dt.datetime | None
    end: dt.datetime | None
    status: str
    terminal: bool
    rollback_minutes: int | None
    direct: frozenset[int] = frozenset()
    touched: frozenset[int] = frozenset()
    envs: frozenset[str] = frozenset()
    role: E.StateRole | None = None  # what its state means (never asked by the state's name)
    scheduled: bool = field(init=False)
    active: bool = field(init=False)

    def __post_init__(self) -> None:
        self.scheduled = self.start is not None and self.end is not None and self.end > self.start
        self.active = self.scheduled and not self.terminal

    @property
    def deployed(self) -> bool:
        """Once a prerequisite is deployed, releases depending on it may deploy any time."""
        return self.role in E.DEPLOYED_ROLES


@dataclass
class CIInfo:
    id: int
    name: str
    environment: str | None
    requires_window: bool


class WinInfo:
    """A calendar window with its occurrences expanded once and looked up by bisection."""

    def __init__(self, row: Any, ci_ids: frozenset[int], span: Interval | None) -> None:
        self.id: int = row.id
        self.title: str = row.title
        self.kind = E.WindowKind(row.kind)
        self.hard: bool = bool(row.hard)
        self.start: dt.datetime = row.start
        self.end: dt.datetime = row.end
        self.timezone: str = row.timezone or "UTC"
        self.rrule: str | None = row.rrule
        self.environment: str | None = row.scope_environment
        self.ci_ids = ci_ids
        self._span = span
        self._cov: Interval | None = None
        self._occ: list[Interval] = []
        self._starts: list[dt.datetime] = []
        self._maxdur = dt.timedelta(0)
        try:
            self.tz: ZoneInfo = W.zone(self.timezone)
        except Exception:  # a bad zone name written by hand into the file: read it as UTC
            self.tz = ZoneInfo("UTC")
            self.timezone = "UTC"

    @property
    def everything(self) -> bool:
        return self.environment is None and not self.ci_ids

    def applies_to(self, rel: RelInfo) -> bool:
        return W.window_applies(self.environment, self.ci_ids, rel.touched, rel.envs)

    def applies_to_ci(self, ci: CIInfo) -> bool:
        if self.everything:
            return True
        return (
            self.environment is not None and self.environment == ci.environment
        ) or ci.id in self.ci_ids

    def _ensure(self, a: dt.datetime, b: dt.datetime) -> None:
        if self._cov is not None and self._cov[0] <= a and b <= self._cov[1]:
            return
        lo, hi = a, b
        if self._cov is not None:
            lo, hi = min(lo, self._cov[0]), max(hi, self._cov[1])
        if self._span is not None:
            lo, hi = min(lo, self._span[0]), max(hi, self._span[1])
        lo, hi = lo - dt.timedelta(days=7), hi + dt.timedelta(days=62)
        try:
            self._occ = W.expand(self.start, self.end, self.timezone, self.rrule, lo, hi)
        except Exception:  # an unreadable rule: the first occurrence still counts
            self._occ = W.expand(self.start, self.end, self.timezone, None, lo, hi)
        self._starts = [s for s, _ in self._occ]
        self._maxdur = max((e - s for s, e in self._occ), default=dt.timedelta(0))
        self._cov = (lo, hi)

    def between(self, a: dt.datetime, b: dt.datetime) -> list[Interval]:
        """Occurrences overlapping ``[a, b)`` (touching ends do not count), by start."""
        if not self.rrule:
            return [(self.start, self.end)] if self.start < b and self.end > a else []
        self._ensure(a, b)
        i = bisect.bisect_left(self._starts, b)
        out = []
        j = i - 1
        while j >= 0 and self._starts[j] + self._maxdur > a:
            s, e = self._occ[j]
            if e > a:
                out.append((s, e))
            j -= 1
        out.reverse()
        return out

    def holding(self, a: dt.datetime, b: dt.datetime) -> list[Interval]:
        """Occurrences that contain all of ``[a, b]``."""
        return [(s, e) for s, e in self.between(a, b) if s <= a and b <= e]


class PlanIndex:
    """Everything the conflict rules and the scheduling assistant read, loaded at once."""

    def __init__(self, session: Session, around: Any = None) -> None:
        """The whole plan, or — with ``around`` (a Release with a deployment window) — only
        what can conflict with it: releases deploying at an overlapping time and the releases
        it depends on or that depend on it. A guard on one release then reads a few rows,
        not the whole plan."""
        release_stmt = select(
            Release.id,
            Release.key,
            Release.title,
            Release.deploy_start,
            Release.deploy_end,
            Release.rollback_minutes,
            WorkflowState.name,
            WorkflowState.category,
            WorkflowState.role,
        ).join(WorkflowState, WorkflowState.id == Release.status_id)
        if around is not None:
            related = select(ReleaseDependency.prerequisite_id).where(ReleaseDependency.release_id == around.id).union(
                select(ReleaseDependency.release_id).where(ReleaseDependency.prerequisite_id == around.id)
            )
            release_stmt = release_stmt.where(
                (Release.id == around.id)
                | Release.id.in_(related)
                | ((Release.deploy_start < around.deploy_end) & (Release.deploy_end > around.deploy_start))
            )
        state_rows = session.execute(release_stmt).all()
        wanted = {r.id for r in state_rows} if around is not None else None
        self.cis: dict[int, CIInfo] = {
            r.id: CIInfo(r.id, r.name, r.environment, bool(r.requires_maintenance_window))
            for r in session.execute(
                select(
                    ConfigurationItem.id,
                    ConfigurationItem.name,
                    ConfigurationItem.environment,
                    ConfigurationItem.requires_maintenance_window,
                )
            )
        }
        self.neighbours: dict[int, set[int]] = defaultdict(set)
        self.parents: dict[int, set[int]] = defaultdict(set)
        for parent, child in session.execute(
            select(ci_relations.c.parent_id, ci_relations.c.child_id)
        ):
            self.neighbours[parent].add(child)
            self.neighbours[child].add(parent)
            self.parents[child].add(parent)
        direct: dict[int, set[int]] = defaultdict(set)
        touched_stmt = (
            select(Change.release_id, change_cis.c.ci_id)
            .join(change_cis, change_cis.c.change_id == Change.id)
            .where(Change.release_id.is_not(None))
        )
        if wanted is not None:
            touched_stmt = touched_stmt.where(Change.release_id.in_(wanted))
        for release_id, ci_id in session.execute(touched_stmt):
            direct[release_id].add(ci_id)

        self.releases: dict[int, RelInfo] = {}
        self.by_key: dict[str, RelInfo] = {}
        span_lo: dt.datetime | None = None
        span_hi: dt.datetime | None = None
        terminal = E.StateCategory.TERMINAL
        cis = self.cis
        nothing: frozenset[Any] = frozenset()
        for rid, key, title, start, end, rollback, state, category, role in state_rows:
            d = direct.get(rid)
            if d:
                touched = set(d)
                for c in d:
                    touched |= self.neighbours.get(c, set())
                direct_ids, touched_ids = frozenset(d), frozenset(touched)
                envs = frozenset(e for c in touched if (e := cis[c].environment) is not None)
            else:  # a release that touches no CI: one shared empty set
                direct_ids = touched_ids = envs = nothing
            info = RelInfo(
                id=rid,
                key=key,
                title=title,
                start=start,
                end=end,
                status=state,
                terminal=category == terminal,
                rollback_minutes=rollback,
                direct=direct_ids,
                touched=touched_ids,
                envs=envs,
                role=role,
            )
            self.releases[rid] = info
            self.by_key[key] = info
            if info.active:
                assert start is not None and end is not None
                if span_lo is None or start < span_lo:
                    span_lo = start
                if span_hi is None or end > span_hi:
                    span_hi = end
        self.span: Interval | None = (span_lo, span_hi) if span_lo and span_hi else None

        wcis: dict[int, set[int]] = defaultdict(set)
        for wid, cid in session.execute(select(window_cis.c.window_id, window_cis.c.ci_id)):
            wcis[wid].add(cid)
        self.windows: list[WinInfo] = [
            WinInfo(row, frozenset(wcis.get(row.id, ())), self.span)
            for row in session.execute(
                select(
                    CalendarWindow.id,
                    CalendarWindow.title,
                    CalendarWindow.kind,
                    CalendarWindow.hard,
                    CalendarWindow.start,
                    CalendarWindow.end,
                    CalendarWindow.timezone,
                    CalendarWindow.rrule,
                    CalendarWindow.scope_environment,
                ).order_by(CalendarWindow.start, CalendarWindow.id)
            )
        ]
        kinds = {k.value: k for k in E.DependencyKind}  # the stored word → its member, once
        self.dependencies: list[tuple[int, int, E.DependencyKind]] = [
            (release_id, prereq_id, kinds[kind])
            for release_id, prereq_id, kind in session.execute(
                select(
                    ReleaseDependency.release_id,
                    ReleaseDependency.prerequisite_id,
                    type_coerce(ReleaseDependency.kind, String),
                )
            )
        ]
        self._prerequisites: dict[int, list[int]] = defaultdict(list)
        self._dependents: dict[int, list[int]] = defaultdict(list)
        for release_id, prereq_id, kind in self.dependencies:
            if kind == E.DependencyKind.BEFORE:
                self._prerequisites[release_id].append(prereq_id)
                self._dependents[prereq_id].append(release_id)
        self._by_kind: dict[E.WindowKind, list[WinInfo]] = {}
        self._maintenance: dict[int, list[WinInfo]] = {}
        self.display_tz = self._display_tz(session)
        self._session = session
        self._tasks: list[Any] | None = None
        self._touching: dict[int, tuple[list[dt.datetime], list[RelInfo], dt.timedelta]] | None = (
            None
        )

    def _display_tz(self, session: Session) -> ZoneInfo:
        meta = session.get(PlanMeta, "timezone")
        names = [meta.value] if meta is not None and meta.value else []
        names += [name for name, _ in Counter(w.timezone for w in self.windows).most_common()]
        for name in names:
            try:
                return W.zone(name)
            except Exception:
                continue
        return ZoneInfo("UTC")

    # -- lookups used by the rules and the scheduling assistant --

    def windows_of(self, kind: E.WindowKind) -> list[WinInfo]:
        if kind not in self._by_kind:
            self._by_kind[kind] = [w for w in self.windows if w.kind == kind]
        return self._by_kind[kind]

    def required_cis(self, rel: RelInfo) -> list[CIInfo]:
        return sorted(
            (self.cis[c] for c in rel.touched if self.cis[c].requires_window), key=lambda c: c.name
        )

    def maintenance_for(self, ci: CIInfo) -> list[WinInfo]:
        if ci.id not in self._maintenance:
            self._maintenance[ci.id] = [
                w for w in self.windows_of(E.WindowKind.MAINTENANCE) if w.applies_to_ci(ci)
            ]
        return self._maintenance[ci.id]

    def prerequisites(self, release_id: int) -> list[int]:
        """The releases ``release_id`` must deploy after ("before" dependencies)."""
        return self._prerequisites.get(release_id, [])

    def dependents(self, release_id: int) -> list[int]:
        """The releases that must deploy after ``release_id``."""
        return self._dependents.get(release_id, [])

    def touching(self, ci_id: int) -> tuple[list[dt.datetime], list[RelInfo], dt.timedelta]:
        """Active releases touching ``ci_id`` (directly or through a relation), by start."""
        if self._touching is None:
            groups: dict[int, list[RelInfo]] = defaultdict(list)
            for rel in self.releases.values():
                if rel.active:
                    for c in rel.touched:
                        groups[c].append(rel)
            self._touching = {}
            for c, rels in groups.items():
                rels.sort(key=lambda r: (r.start, r.key))
                longest = max(r.end - r.start for r in rels)  # type: ignore[operator]
                self._touching[c] = ([r.start for r in rels], rels, longest)  # type: ignore[misc]
        return self._touching.get(ci_id, ([], [], dt.timedelta(0)))

    def clashing_releases(
        self, rel: RelInfo, a: dt.datetime, b: dt.datetime
    ) -> list[tuple[RelInfo, int]]:
        """Other active releases whose deployment overlaps ``[a, b)`` and touches a CI ``rel``
        changes (so they share the CI, its parent or its child): ``(release, ci_id)``."""
        found: list[tuple[RelInfo, int]] = []
        for c in sorted(rel.direct):
            starts, rels, longest = self.touching(c)
            j = bisect.bisect_left(starts, b) - 1
            while j >= 0 and starts[j] + longest > a:
                other = rels[j]
                if other.id != rel.id and other.end > a:  # type: ignore[operator]
                    found.append((other, c))
                j -= 1
        return found

    def tasks(self) -> list[tuple[int, str, str, str, str]]:
        """``(release_id, start, end, title, email)`` of assigned open tasks of open releases.
        Dates come as ISO text (``YYYY-MM-DD``), which sorts and compares like the dates."""
        if self._tasks is None:
            rows = self._session.execute(
                select(
                    Task.release_id,
                    cast(Task.start, String),
                    cast(Task.end, String),
                    Task.title,
                    Person.email,
                )
                .join(Person, Person.id == Task.assignee_id)
                .join(Release, Release.id == Task.release_id)
                .join(WorkflowState, WorkflowState.id == Release.status_id)
                .where(
                    Task.start.is_not(None),
                    Task.end.is_not(None),
                    Task.status.not_in([E.TaskStatus.DONE, E.TaskStatus.CANCELLED]),
                    WorkflowState.category != E.StateCategory.TERMINAL,
                )
            )
            self._tasks = [tuple(row) for row in rows]  # type: ignore[misc]
        return self._tasks


def load_index(session: Session, around: Any = None) -> PlanIndex:
    return PlanIndex(session, around)


# --- wording ----------------------------------------------------------------------------------------


def fmt_span(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> str:
    """``2026-12-20 22:00–23:30``, or ``2026-12-12 22:30 → 2026-12-13 01:30`` across midnight."""
    s, e = start.astimezone(tz), end.astimezone(tz)
    if s.date() == e.date():
        return f"{s:%Y-%m-%d %H:%M}–{e:%H:%M}"
    return f"{s:%Y-%m-%d %H:%M} → {e:%Y-%m-%d %H:%M}"


def fmt_window_span(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> str:
    """Whole local days as dates (``2026-12-19 → 2027-01-04``), otherwise as ``fmt_span``."""
    s, e = start.astimezone(tz), end.astimezone(tz)
    if s.time() == dt.time(0) and e.time() == dt.time(0):
        return f"{s:%Y-%m-%d} → {e:%Y-%m-%d}"
    return fmt_span(start, end, tz)


def _names(index: PlanIndex, ci_ids: Iterable[int]) -> list[str]:
    return sorted(index.cis[c].name for c in ci_ids)


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _quote(title: str) -> str:
    return f"\u201c{title}\u201d"


# --- the rules ----------------------------------------------------------------------------------------


def _overlap_rule(
    index: PlanIndex, rels: Iterable[RelInfo], kind: E.WindowKind, rule: str
) -> list[Conflict]:
    """C1 (freeze) and C6 (business event): the deployment overlaps a window in scope."""
    found: list[Conflict] = []
    wins = index.windows_of(kind)
    if not wins:
        return found
    for rel in rels:
        assert rel.start is not None and rel.end is not None
        for win in wins:
            if not win.applies_to(rel):
                continue
            occ = win.between(rel.start, rel.end)
            if not occ:
                continue
            s, e = occ[0]
            where = "inside" if s <= rel.start and rel.end <= e else "overlapping"
            deploy = fmt_span(rel.start, rel.end, win.tz)
            span = fmt_window_span(s, e, win.tz)
            if kind == E.WindowKind.FREEZE:
                severity = ERROR if win.hard else WARNING
                what = f"the {'hard' if win.hard else 'soft'} freeze {_quote(win.title)}"
            else:
                severity = WARNING
                what = f"the business event {_quote(win.title)}"
            found.append(
                Conflict(
                    rule=rule,
                    severity=severity,
                    releases=[rel.key],
                    windows=[win.title],
                    message=f"{rel.key} deploys {deploy} {where} {what} ({span})",
                )
            )
    return found


def _c2_c7(index: PlanIndex, rels: Iterable[RelInfo]) -> list[Conflict]:
    """C2: inside one maintenance occurrence for every CI that requires one; C7: the rollback
    still fits before the (earliest closing) maintenance window that holds the deployment ends."""
    found = []
    maint = index.windows_of(E.WindowKind.MAINTENANCE)
    for rel in rels:
        assert rel.start is not None and rel.end is not None
        required = index.required_cis(rel)
        failing: list[CIInfo] = []
        candidates: dict[str, None] = {}
        deadlines: list[tuple[dt.datetime, WinInfo]] = []
        for ci in required:
            best: tuple[dt.datetime, WinInfo] | None = None
            for win in maint:
                if not win.applies_to_ci(ci):
                    continue
                candidates[win.title] = None
                for _s, e in win.holding(rel.start, rel.end):
                    if best is None or e > best[0]:
                        best = (e, win)
            if best is None:
                failing.append(ci)
            else:
                deadlines.append(best)
        tz = index.display_tz
        if failing:
            names = [c.name for c in failing]
            deploy = fmt_span(rel.start, rel.end, tz)
            needs = "requires" if len(names) == 1 else "require"
            if candidates:
                tz = next(w.tz for w in maint if w.title in candidates)
                deploy = fmt_span(rel.start, rel.end, tz)
                windows_text = _and([_quote(t) for t in candidates])
                message = (
                    f"{rel.key} deploys {deploy} outside every maintenance window of "
                    f"{_and(names)}, which {needs} one (windows: {windows_text})"
                )
            else:
                message = (
                    f"{rel.key} deploys {deploy}, but {_and(names)} {needs} a maintenance window "
                    "and none is defined for it"
                )
            found.append(
                Conflict(
                    rule="C2",
                    severity=ERROR,
                    releases=[rel.key],
                    cis=names,
                    windows=list(candidates),
                    message=message,
                )
            )
            continue
        if not required:
            for win in maint:
                if win.applies_to(rel):
                    for _s, e in win.holding(rel.start, rel.end):
                        deadlines.append((e, win))
            if deadlines:
                deadlines = [max(deadlines, key=lambda d: d[0])]
        if not deadlines or not rel.rollback_minutes:
            continue
        closes, win = min(deadlines, key=lambda d: d[0])
        rollback = dt.timedelta(minutes=rel.rollback_minutes)
        if rel.end + rollback > closes:
            left = max(closes - rel.end, dt.timedelta(0))
            left_min = int(left.total_seconds() // 60)
            found.append(
                Conflict(
                    rule="C7",
                    severity=WARNING,
                    releases=[rel.key],
                    windows=[win.title],
                    cis=[c.name for c in required],
                    message=(
                        f"{rel.key}'s {rel.rollback_minutes}-minute rollback does not fit between the end of "
                        f"its deployment ({rel.end.astimezone(win.tz):%Y-%m-%d %H:%M}) and the end of the "
                        f"maintenance window {_quote(win.title)} ({closes.astimezone(win.tz):%Y-%m-%d %H:%M}): "
                        f"only {left_min} minutes remain"
                    ),
                )
            )
    return found


def _relation_words(index: PlanIndex, a: RelInfo, b: RelInfo, c: int) -> str:
    """How ``a`` and ``b`` meet at CI ``c`` (``c`` is one ``a`` changes)."""
    name = index.cis[c].name
    if c in b.direct:
        return f"both change {name}"
    for other in sorted(b.direct & index.neighbours.get(c, set()), key=lambda x: index.cis[x].name):
        relation = "parent" if other in index.parents.get(c, set()) else "child"
        return f"{a.key} changes {name}, {b.key} its {relation} {index.cis[other].name}"
    return f"both touch {name}"


def _c3(index: PlanIndex, focus: set[int] | None) -> list[Conflict]:
    """Sweep each CI's deployments by start; pairs overlap while the earlier has not ended."""
    groups: dict[int, list[RelInfo]] = defaultdict(list)
    for rel in index.releases.values():
        if rel.active:
            for c in rel.touched:
                groups[c].append(rel)
    if focus is not None:
        wanted = set().union(*(index.releases[r].touched for r in focus))
        groups = {c: g for c, g in groups.items() if c in wanted}
    pairs: dict[tuple[str, str], tuple[RelInfo, RelInfo, list[int]]] = {}
    for c, rels in groups.items():
        if len(rels) < 2:
            continue
        rels.sort(key=lambda r: (r.start, r.key))
        active: list[RelInfo] = []
        for rel in rels:
            active = [x for x in active if x.end > rel.start]  # type: ignore[operator]
            for other in active:
                if c not in rel.direct and c not in other.direct:
                    continue  # siblings under a shared parent do not clash
                if focus is not None and rel.id not in focus and other.id not in focus:
                    continue
                a, b = (other, rel) if (other.key < rel.key) else (rel, other)
                entry = pairs.setdefault((a.key, b.key), (a, b, []))
                entry[2].append(c)
            active.append(rel)
    found = []
    tz = index.display_tz
    for (_ka, _kb), (a, b, ci_ids) in sorted(pairs.items()):
        assert a.start and a.end and b.start and b.end
        first = min(ci_ids, key=lambda x: index.cis[x].name)
        words = (
            _relation_words(index, a, b, first)
            if first in a.direct
            else _relation_words(index, b, a, first)
        )
        evidence = set(ci_ids)
        for c in ci_ids:  # name the CI the other release changes as well
            evidence |= (a.direct | b.direct) & (index.neighbours.get(c, set()) | {c})
        found.append(
            Conflict(
                rule="C3",
                severity=ERROR,
                releases=[a.key, b.key],
                cis=_names(index, evidence),
                message=(
                    f"{a.key} ({fmt_span(a.start, a.end, tz)}) and {b.key} ({fmt_span(b.start, b.end, tz)}) "
                    f"deploy at overlapping times: {words}"
                ),
            )
        )
    return found


def _c4(index: PlanIndex, focus: set[int] | None) -> list[Conflict]:
    """Sweep each person's tasks by start date; days are inclusive."""
    per_person: dict[str, list[tuple[str, str, int, str]]] = defaultdict(list)
    for release_id, start, end, title, email in index.tasks():
        per_person[email].append((start, end, release_id, title))
    if focus is not None:
        people = {t[4] for t in index.tasks() if t[0] in focus}
        per_person = {p: ts for p, ts in per_person.items() if p in people}
    keys = {r.id: r.key for r in index.releases.values()}
    found = []
    for email in sorted(per_person):
        tasks = per_person[email]
        tasks.sort()
        pairs: dict[tuple[str, str], list[tuple[Any, Any]]] = {}
        active: list[tuple[str, int]] = []  # heap of (end, position in tasks)
        for n, t in enumerate(tasks):
            start, end, release_id, _title = t
            while active and active[0][0] < start:
                heapq.heappop(active)
            for _e, m in active:
                other = tasks[m]
                if other[2] == release_id:
                    continue
                if focus is not None and release_id not in focus and other[2] not in focus:
                    continue
                ka, kb = keys[other[2]], keys[release_id]
                if ka < kb:
                    pairs.setdefault((ka, kb), []).append((other, t))
                else:
                    pairs.setdefault((kb, ka), []).append((t, other))
            heapq.heappush(active, (end, n))
        for (ka, kb), evidence in sorted(pairs.items()):
            a, b = min(evidence)
            more = ""
            if len(evidence) > 1:
                more = f" (and {len(evidence) - 1} more overlapping pair{'s' if len(evidence) > 2 else ''})"
            found.append(
                Conflict(
                    rule="C4",
                    severity=WARNING,
                    releases=[ka, kb],
                    people=[email],
                    message=(
                        f"{email} has overlapping tasks in {ka} ({_quote(a[3])} {a[0]} → {a[1]}) "
                        f"and {kb} ({_quote(b[3])} {b[0]} → {b[1]}){more}"
                    ),
                )
            )
    return found


def _c5(index: PlanIndex, focus: set[int] | None) -> list[Conflict]:
    found = []
    tz = index.display_tz
    for release_id, prereq_id, kind in index.dependencies:
        if kind != E.DependencyKind.BEFORE:
            continue
        if focus is not None and release_id not in focus and prereq_id not in focus:
            continue
        rel, pre = index.releases[release_id], index.releases[prereq_id]
        if not rel.active or not pre.active or pre.deployed:
            continue
        assert rel.start and rel.end and pre.start and pre.end
        if rel.start < pre.end:
            when = "later" if rel.end <= pre.start else "at the same time"
            found.append(
                Conflict(
                    rule="C5",
                    severity=ERROR,
                    releases=[rel.key, pre.key],
                    message=(
                        f"{rel.key} deploys {fmt_span(rel.start, rel.end, tz)} but depends on {pre.key}, which "
                        f"deploys {when} ({fmt_span(pre.start, pre.end, tz)}); {pre.key} must finish deploying first"
                    ),
                )
            )
    return found


def _detect(index: PlanIndex, focus: set[int] | None, *, errors_only: bool = False) -> list[Conflict]:
    if focus is None:
        rels = [r for r in index.releases.values() if r.active]
    else:
        rels = [index.releases[r] for r in focus if index.releases[r].scheduled]
    rels.sort(key=lambda r: (r.start, r.key))
    found = _overlap_rule(index, rels, E.WindowKind.FREEZE, "C1")
    found += _c2_c7(index, rels)
    found += _c3(index, focus)
    if not errors_only:  # C4 and C6 only ever warn
        found += _c4(index, focus)
    found += _c5(index, focus)
    if not errors_only:
        found += _overlap_rule(index, rels, E.WindowKind.BUSINESS_EVENT, "C6")
    return found


def _order(conflicts: list[Conflict]) -> list[Conflict]:
    return sorted(conflicts, key=lambda c: (c.severity != ERROR, c.rule, c.releases, c.message))


def _suggest(index: PlanIndex, conflicts: list[Conflict], start: dt.datetime) -> None:
    """C1–C3 and C6 carry the next free slot for the release to move (for C3: the later one)."""
    from .scheduling import find_slots

    cache: dict[str, Any] = {}
    for c in conflicts:
        if c.rule not in ("C1", "C2", "C3", "C6"):
            continue
        key = c.releases[0]
        if c.rule == "C3":
            a, b = (index.by_key[k] for k in c.releases)
            key = max((a, b), key=lambda r: (r.start, r.key)).key
        if key not in cache:
            slots = find_slots(index, index.by_key[key], count=1, start=start)
            cache[key] = slots[0] if slots else None
        slot = cache[key]
        if slot is None:
            c.suggestion = (
                f"no free slot for {key} in the next 30 days; move it by hand or widen the search"
            )
            continue
        tz = next((w.tz for w in index.windows if w.title == slot.window_title), index.display_tz)
        where = f" ({slot.window_title})" if slot.window_title else ""
        c.suggestion = (
            f"move {key} to {fmt_span(slot.start, slot.end, tz)}{where}, the next free slot"
        )
        c.suggested_start, c.suggested_end, c.suggested_window = (
            slot.start,
            slot.end,
            slot.window_title,
        )


def _search_start(ctx: Ctx, today: dt.date | None) -> dt.datetime:
    if today is None or today == ctx.today():
        return ctx.now()
    return dt.datetime.combine(today, dt.time(0), tzinfo=dt.UTC)


# --- public API -----------------------------------------------------------------------------------------


def all_conflicts(
    ctx: Ctx, *, today: dt.date | None = None, suggest: bool = True
) -> list[Conflict]:
    """Every conflict in the plan, errors first. ``today`` only sets where suggested slots are
    searched from (default: now)."""
    with ctx.read() as s, gc_paused():
        index = load_index(s)
        found = _order(_detect(index, None))
        if suggest:
            _suggest(index, found, _search_start(ctx, today))
    return found


def conflicts_for_release(
    ctx: Ctx, key: str, *, today: dt.date | None = None, suggest: bool = True
) -> list[Conflict]:
    """The conflicts involving release ``key``. Its own window rules (C1, C2, C6, C7) are
    checked even when it is closed or cancelled; pairs (C3, C4, C5) only while it is open."""
    with ctx.read() as s:
        index = load_index(s)
        rel = index.by_key.get(key)
        if rel is None:
            raise NotFound(f"no release {key!r} in this plan")
        found = _order(_detect(index, {rel.id}))
        if suggest:
            _suggest(index, found, _search_start(ctx, today))
    return found


def window_clear_problems(
    session: Session, release: Any, today: dt.date | None = None
) -> list[str]:
    """For the lifecycle guard ``window_clear``: one sentence per problem — no deployment window,
    outside the maintenance windows of CIs that need one (C2), and every error-level conflict
    (C1 hard freeze, C3, C5) involving the release."""
    if release.deploy_start is None or release.deploy_end is None:
        return [f"{release.key} has no deployment window set"]
    session.flush()
    index = load_index(session, around=release)
    rel = index.by_key[release.key]
    return [c.message for c in _order(_detect(index, {rel.id}, errors_only=True)) if c.severity == ERROR]
