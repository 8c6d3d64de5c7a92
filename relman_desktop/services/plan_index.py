"""The plan, indexed for the conflict rules and the scheduling assistant: every release with
its deployment window, the CIs it touches (with their parents and children), people's task
days and the calendar windows, read with a handful of Core SELECTs (``load_index``).

Split from ``conflicts`` so that ``scheduling`` (free slots) and ``conflicts`` (the rules,
which suggest free slots) both build on it without importing each other.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, or_, select, type_coerce
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

Interval = tuple[dt.datetime, dt.datetime]


# --- the plan, indexed ---------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
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


@dataclass(slots=True)
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


@dataclass
class Focus:
    """What one release's checks need, found through indexes (migration 0009_scale) without
    reading the plan:

    - the releases that change a CI it touches (a CI it changes, their parents and children)
      and deploy at a time overlapping its own deployment or one of the extra ``spans`` —
      every release rule C3 (and the slot search) could pair it with;
    - the releases it depends on and those depending on it (C5), with those dependencies;
    - its open assigned tasks and the open tasks of the same people on overlapping days (C4),
      with their releases.
    """

    release_ids: set[int]
    dependencies: list[Any]
    tasks: list[Any]

    @classmethod
    def read(
        cls,
        session: Session,
        release_id: int,
        spans: Iterable[Interval],
        task_days: tuple[Any, Any] | None = None,
    ) -> Focus:
        direct = set(
            session.scalars(
                select(change_cis.c.ci_id)
                .join(Change, Change.id == change_cis.c.change_id)
                .where(Change.release_id == release_id)
            )
        )
        touched = set(direct)
        if direct:
            for parent, child in session.execute(
                select(ci_relations.c.parent_id, ci_relations.c.child_id).where(
                    ci_relations.c.parent_id.in_(direct) | ci_relations.c.child_id.in_(direct)
                )
            ):
                touched |= {parent, child}
        ids = {release_id}
        intervals = list(spans)
        row = session.execute(
            select(Release.deploy_start, Release.deploy_end).where(Release.id == release_id)
        ).one_or_none()
        if row is not None and row.deploy_start is not None and row.deploy_end is not None:
            intervals.append((row.deploy_start, row.deploy_end))
        if touched and intervals:
            overlapping = or_(
                *((Release.deploy_start < b) & (Release.deploy_end > a) for a, b in intervals)
            )
            ids.update(
                session.scalars(
                    select(Change.release_id)
                    .join(change_cis, change_cis.c.change_id == Change.id)
                    .join(Release, Release.id == Change.release_id)
                    .where(change_cis.c.ci_id.in_(touched), overlapping)
                    .distinct()
                )
            )
        dependencies = session.execute(
            select(
                ReleaseDependency.release_id,
                ReleaseDependency.prerequisite_id,
                type_coerce(ReleaseDependency.kind, String),
            ).where(
                (ReleaseDependency.release_id == release_id)
                | (ReleaseDependency.prerequisite_id == release_id)
            )
        ).all()
        for a, b, _kind in dependencies:
            ids |= {a, b}
        own = session.execute(
            _open_tasks(Task.assignee_id, Task.start, Task.end).where(Task.release_id == release_id)
        ).all()
        tasks: list[Any] = []
        if own:
            people = {r.assignee_id for r in own}
            first, last = min(r.start for r in own), max(r.end for r in own)
            if task_days is not None:  # where its tasks would be after a shift (impact)
                first, last = min(first, task_days[0]), max(last, task_days[1])
            tasks = [
                tuple(r)
                for r in session.execute(
                    _open_tasks(*TASK_COLUMNS).where(
                        Task.assignee_id.in_(people), Task.start <= last, Task.end >= first
                    )
                )
            ]
            ids.update(t[0] for t in tasks)
        return cls(ids, list(dependencies), tasks)


TASK_COLUMNS = (
    Task.release_id,
    cast(Task.start, String),
    cast(Task.end, String),
    Task.title,
    Person.email,
)


def _open_tasks(*columns: Any) -> Any:
    """Assigned open tasks with days, of open releases: what rule C4 compares."""
    return (
        select(*columns)
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


class PlanIndex:
    """Everything the conflict rules and the scheduling assistant read, loaded at once."""

    def __init__(
        self,
        session: Session,
        around: Any = None,
        *,
        spans: Iterable[Interval] = (),
        task_days: tuple[Any, Any] | None = None,
        open_only: bool = False,
    ) -> None:
        """The whole plan, or — with ``around`` (a Release, or a release's id) — only what can
        conflict with that release (see ``Focus``): what one release's checks read grows with
        what it touches, not with the plan. ``spans`` (a slot search's range) widens the
        intervals in which releases sharing a CI with it are read. ``open_only`` (whole plan):
        only releases in a state that is not terminal, and the dependencies between them —
        all that the whole-plan rules look at — without the years of closed releases a plan
        piles up."""
        focus: Focus | None = None
        if around is not None:
            focus = Focus.read(
                session, around if isinstance(around, int) else around.id, spans, task_days
            )
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
        if focus is not None:
            release_stmt = release_stmt.where(Release.id.in_(focus.release_ids))
        elif open_only:
            release_stmt = release_stmt.where(WorkflowState.category != E.StateCategory.TERMINAL)
        state_rows = session.execute(release_stmt).all()

        direct: dict[int, set[int]] = defaultdict(set)
        touched_stmt = (
            select(Change.release_id, change_cis.c.ci_id)
            .join(change_cis, change_cis.c.change_id == Change.id)
            .where(Change.release_id.is_not(None))
        )
        if focus is not None:
            touched_stmt = touched_stmt.where(Change.release_id.in_(focus.release_ids))
        elif open_only:
            touched_stmt = (
                touched_stmt.join(Release, Release.id == Change.release_id)
                .join(WorkflowState, WorkflowState.id == Release.status_id)
                .where(WorkflowState.category != E.StateCategory.TERMINAL)
            )
        for release_id, ci_id in session.execute(touched_stmt):
            direct[release_id].add(ci_id)

        relation_stmt = select(ci_relations.c.parent_id, ci_relations.c.child_id)
        ci_stmt = select(
            ConfigurationItem.id,
            ConfigurationItem.name,
            ConfigurationItem.environment,
            ConfigurationItem.requires_maintenance_window,
        )
        if focus is not None:  # the CIs the loaded releases change, with parents and children
            changed = set().union(*direct.values())
            relation_stmt = relation_stmt.where(
                ci_relations.c.parent_id.in_(changed) | ci_relations.c.child_id.in_(changed)
            )
        self.neighbours: dict[int, set[int]] = defaultdict(set)
        self.parents: dict[int, set[int]] = defaultdict(set)
        for parent, child in session.execute(relation_stmt):
            self.neighbours[parent].add(child)
            self.neighbours[child].add(parent)
            self.parents[child].add(parent)
        if focus is not None:
            ci_stmt = ci_stmt.where(ConfigurationItem.id.in_(changed | set(self.neighbours)))
        self.cis: dict[int, CIInfo] = {
            r.id: CIInfo(r.id, r.name, r.environment, bool(r.requires_maintenance_window))
            for r in session.execute(ci_stmt)
        }

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
        dependency_rows = (
            focus.dependencies
            if focus is not None
            else session.execute(
                select(
                    ReleaseDependency.release_id,
                    ReleaseDependency.prerequisite_id,
                    type_coerce(ReleaseDependency.kind, String),
                )
            )
        )
        self.dependencies: list[tuple[int, int, E.DependencyKind]] = [
            (release_id, prereq_id, kinds[kind]) for release_id, prereq_id, kind in dependency_rows
        ]
        if open_only and focus is None:  # a dependency on a closed release binds nothing
            self.dependencies = [
                d for d in self.dependencies if d[0] in self.releases and d[1] in self.releases
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
        self._tasks: list[Any] | None = focus.tasks if focus is not None else None
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
            rows = self._session.execute(_open_tasks(*TASK_COLUMNS))
            self._tasks = [tuple(row) for row in rows]  # type: ignore[misc]
        return self._tasks


def load_index(
    session: Session,
    around: Any = None,
    *,
    spans: Iterable[Interval] = (),
    task_days: tuple[Any, Any] | None = None,
    open_only: bool = False,
) -> PlanIndex:
    """The whole plan's index, or only what can conflict with ``around`` (a Release or its
    id; ``spans``: further intervals to read its CI's releases in; ``task_days``: further
    days to read its people's tasks on, see ``Focus``; ``open_only``: the whole plan's
    releases that are not closed or cancelled, see ``PlanIndex``)."""
    return PlanIndex(session, around, spans=spans, task_days=task_days, open_only=open_only)
