"""What a shift reads from the plan (``impact``'s data reading, split from ``impact.py``).

The releases as a shift needs them (``_Rel``: dates, deployment window, whether they may
move), their tasks (``_Task``) and the links between them, read with raw column values rather
than ORM objects (a shift at the root of a 10,000-release plan reads most of it): every release
(``_load_releases``, optionally from the conflict service's index already read), or only what a
shift of one release reaches through the dependencies (``_load_near``); the tasks of the moving
releases with the task links into them (``_load_tasks``). ``impact.py`` computes the shift on
what these return.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    Person,
    Release,
    ReleaseDependency,
    Task,
    TaskDependency,
    WorkflowState,
)

DAY = dt.timedelta(days=1)
_UNSET = object()
# Tasks of more moving releases than this are read in one pass over the tasks table rather
# than 500 releases at a time.
ONE_PASS_RELEASES = 2000


@dataclass
class _Rel:
    id: int
    key: str
    planned_start: dt.date | None
    planned_end: dt.date | None
    deploy_start: dt.datetime | None
    deploy_end: dt.datetime | None
    status: str
    frozen: bool  # deployed, closed, cancelled or finished: never moves
    cancelled: bool
    deployed: bool = False  # its state's role is deployed, in review or closed
    _base: object = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._base = _UNSET

    def interval(self, shift: int = 0) -> tuple[dt.datetime, dt.datetime] | None:
        """Its deployment window (else its planned days), moved ``shift`` days."""
        base = self._interval()
        if base is None or not shift:
            return base
        delta = shift * DAY
        return base[0] + delta, base[1] + delta

    def _interval(self) -> tuple[dt.datetime, dt.datetime] | None:
        if self._base is not _UNSET:  # the dates never change once read
            return self._base  # type: ignore[return-value]
        base: tuple[dt.datetime, dt.datetime] | None
        if self.deploy_start is not None and self.deploy_end is not None:
            base = self.deploy_start, self.deploy_end
        else:
            start = _midnight(self.planned_start) if self.planned_start else None
            end = _midnight(self.planned_end + DAY) if self.planned_end else None
            if start is None and end is None:
                base = None
            else:
                if start is None:
                    assert end is not None
                    start = end - DAY
                if end is None:
                    end = start + DAY
                base = start, end
        self._base = base
        return base


@dataclass
class _Task:
    id: int
    release_id: int
    local_id: str
    title: str
    start: dt.date | None
    end: dt.date | None
    status: str
    email: str | None

    @property
    def fixed(self) -> bool:
        return self.status in ("done", "cancelled")


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _utc(value: Any) -> dt.datetime | None:
    """A stored UTC moment read without the column type's per-row processing (10,000 rows)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:  # the stored naive UTC text: one C call makes the aware datetime
            return dt.datetime.fromisoformat(value + "+00:00")
        except ValueError:
            value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _day(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _load_releases(
    s: Session, index: Any = None
) -> tuple[dict[int, _Rel], list[tuple[int, int, str]]]:
    """Every release as a shift needs it, and the release dependencies. With ``index`` (the
    conflict service's PlanIndex, already read for the new-conflicts check) the keys, states,
    deployment windows and dependencies come from it: only the planned days are read again."""
    rels = {}
    if index is not None:
        days: Any = s.execute(
            select(
                Release.id,
                type_coerce(Release.planned_start, String),
                type_coerce(Release.planned_end, String),
                type_coerce(Release.actual_end, String),
            )
        )
        for rid, p_start, p_end, a_end in days:
            info = index.releases[rid]
            rels[rid] = _Rel(
                rid,
                info.key,
                _day(p_start),
                _day(p_end),
                info.start,
                info.end,
                info.status,
                frozen=info.terminal or info.deployed or a_end is not None,
                cancelled=info.role == E.StateRole.CANCELLED,
                deployed=info.deployed,
            )
        return rels, [
            (release_id, prereq_id, kind.value)
            for release_id, prereq_id, kind in index.dependencies
        ]
    rels = _read_rels(s, None)
    deps = [
        (release_id, prereq_id, str(kind))
        for release_id, prereq_id, kind in s.execute(
            select(
                ReleaseDependency.release_id,
                ReleaseDependency.prerequisite_id,
                type_coerce(ReleaseDependency.kind, String),
            )
        )
    ]
    return rels, deps


def _load_near(s: Session, source_id: int) -> tuple[dict[int, _Rel], list[tuple[int, int, str]]]:
    """What a shift of ``source_id`` reads instead of every release: the releases downstream of
    it through the dependencies (what can move), every dependency into or out of them, and the
    releases at their other ends (what holds them back, what a violation names)."""
    dep = ReleaseDependency
    cols = (dep.id, dep.release_id, dep.prerequisite_id, type_coerce(dep.kind, String))
    found: dict[int, tuple[int, int, str]] = {}
    downstream, frontier = {source_id}, [source_id]
    while frontier:
        step: list[int] = []
        for i in range(0, len(frontier), 500):
            chunk = frontier[i : i + 500]
            rows = s.execute(
                select(*cols).where(dep.prerequisite_id.in_(chunk) | dep.release_id.in_(chunk))
            )
            for dep_id, release_id, prereq_id, kind in rows:
                found[dep_id] = (release_id, prereq_id, str(kind))
                if prereq_id in chunk and release_id not in downstream:
                    downstream.add(release_id)
                    step.append(release_id)
        frontier = step
    deps = [found[k] for k in sorted(found)]  # the table's order, as a whole read gives it
    ids = sorted(downstream | {r for d in deps for r in d[:2]})
    return _read_rels(s, ids), deps


def _read_rels(s: Session, ids: list[int] | None) -> dict[int, _Rel]:
    """Releases as a shift needs them, read from their rows: every release (``ids`` None), or
    those of ``ids`` (500 to a statement)."""
    terminal = E.StateCategory.TERMINAL.value
    raw = [
        type_coerce(c, String)
        for c in (
            Release.planned_start,
            Release.planned_end,
            Release.deploy_start,
            Release.deploy_end,
            Release.actual_end,
            WorkflowState.category,
            WorkflowState.role,
        )
    ]
    stmt = select(Release.id, Release.key, WorkflowState.name, *raw).join(
        WorkflowState, WorkflowState.id == Release.status_id
    )
    chunks = (
        [stmt]
        if ids is None
        else [stmt.where(Release.id.in_(ids[i : i + 500])) for i in range(0, len(ids), 500)]
    )
    rels: dict[int, _Rel] = {}
    for chunk in chunks:
        rows: list[Any] = s.execute(chunk).all()  # type: ignore[assignment]
        for rid, key, state, p_start, p_end, d_start, d_end, a_end, category, role in rows:
            deployed = role in E.DEPLOYED_ROLES  # by role, never by the state's (editable) name
            rels[rid] = _Rel(
                rid,
                key,
                _day(p_start),
                _day(p_end),
                _utc(d_start),
                _utc(d_end),
                state,
                frozen=category == terminal or deployed or a_end is not None,
                cancelled=role == E.StateRole.CANCELLED,
                deployed=deployed,
            )
    return rels


def _load_tasks(
    s: Session, release_ids: list[int], *, links: bool = True
) -> tuple[list[_Task], list[tuple[int, int, str, int]]]:
    """The tasks of ``release_ids`` (by release, in their order) and, with ``links``, the task
    links into them. Many releases (a shift at the root of a big plan) are read in one pass."""
    tasks: list[_Task] = []
    found: list[tuple[int, int, str, int]] = []
    stmt = (
        select(
            Task.id,
            Task.release_id,
            Task.local_id,
            Task.title,
            type_coerce(Task.start, String),
            type_coerce(Task.end, String),
            type_coerce(Task.status, String),
            Person.email,
        )
        .outerjoin(Person, Person.id == Task.assignee_id)
        .order_by(Task.release_id, Task.position, Task.id)
    )
    if len(release_ids) > ONE_PASS_RELEASES:
        chunks: Iterable[Any] = [s.execute(stmt)]
    else:
        chunks = (
            s.execute(stmt.where(Task.release_id.in_(release_ids[i : i + 500])))
            for i in range(0, len(release_ids), 500)
        )
    by_release: dict[int, list[_Task]] = defaultdict(list)
    for rows in chunks:
        for tid, rid, local_id, title, start, end, status, email in rows:
            by_release[rid].append(
                _Task(tid, rid, local_id, title, _day(start), _day(end), status, email)
            )
    for rid in release_ids:  # only these, in the caller's order (a shift: the order they move in)
        tasks += by_release.get(rid, ())
    if not links:
        return tasks, found
    ids = [t.id for t in tasks]
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        found += [
            (p, q, E.LinkType(t).value, lag or 0)
            for p, q, t, lag in s.execute(
                select(
                    TaskDependency.predecessor_id,
                    TaskDependency.successor_id,
                    TaskDependency.type,
                    TaskDependency.lag_days,
                ).where(TaskDependency.successor_id.in_(chunk))
            )
        ]
    return tasks, found
