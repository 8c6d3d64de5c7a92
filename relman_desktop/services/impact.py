"""Impact analysis: "if this slips N days, what else moves, and what breaks?"

Two kinds of shift:

- **A release** (``KEY``) slips ``N`` *calendar* days: its planned dates and deployment window
  move N days, and its tasks slide with it (a task landing on a weekend or holiday starts on
  the next working day, keeping its length in working days).
- **A task** (``KEY/T3``) slips ``N`` *working* days. Its successors move through the task
  links (critical_path.py's rules, lags in working days, holidays skipped):

  | link | constraint on successor S from predecessor P |
  |------|----------------------------------------------|
  | FS lag | S starts ``lag`` working days after the day P finishes (FS 0: the next working day) |
  | SS lag | S starts ``lag`` working days after P starts |
  | FF lag | S finishes ``lag`` working days after P finishes |
  | SF lag | S finishes ``lag`` working days after P starts, less one (SF 0: the day before) |

  When the release's tasks now finish later than it did (and than its planned end), the
  release's planned end and deployment window move by those calendar days.

Slack is respected everywhere: a successor moves only by what it now lacks, so one with enough
slack does not move; nothing is pulled earlier. A shift that was already violated before only
moves the successor by how much worse it got. A release's dependents move when their start
would come before the prerequisite's new deployment end ("before") or start ("together");
releases already deployed, closed or cancelled, and tasks done or cancelled, never move.

The result also lists every release that would now deploy before a prerequisite, the conflicts
the shifted plan would have that the current one does not (the conflict service run on the
shifted plan in memory — nothing is written), and the freezes those new conflicts hit.
``apply_shift`` writes the shift in one audited transaction and returns what undo needs.

``impact`` reads what the shift touches, not the plan: the releases downstream of the shifted
one through the dependencies (with the dependencies into and out of them), and, when only one
release moves (a leaf), the conflict rules' focused index around it (``plan_index.Focus``: its
CIs with parents and children, the releases changing them where it is and where it would be,
its dependencies, its people's tasks on the days before and after). A shift that moves several
releases still reads the whole plan's conflict index (``_impact_whole`` is the old reading,
which ``tests/test_scale.py`` compares against on random plans).

Where things live: the reading of the plan as a shift needs it (``_Rel``, ``_Task``,
``_load_releases``, ``_load_near``, ``_load_tasks``) is in ``impact_load.py``; this module
computes the shift on it (``_Plan``), finds what breaks, and applies it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.models.entities import (
    Release,
    Task,
)

from . import rules
from . import workdays as W
from .base import Ctx, NotFound, ValidationError, gc_paused, jsonable, operation, release_by_key
from .impact_load import DAY, _load_near, _load_releases, _load_tasks, _Rel, _Task
from .limits import MAX_SHIFT_DAYS

__all__ = [
    "ImpactResult",
    "Move",
    "PrerequisiteViolation",
    "ShiftApplied",
    "apply_shift",
    "impact",
    "restore_dates",
]

NO_TIME = dt.timedelta(0)
# A release in one of these states has deployed: it neither moves nor holds its dependents back.


@dataclass(frozen=True)
class Move:
    """One release or task that moves: ``days`` calendar days (its start, for a release its
    deployment window), ``working_days`` the same move counted in working days."""

    key: str  # "REL-7" or "REL-7/T3"
    kind: str  # "release" | "task"
    days: int
    working_days: int
    old_start: Any
    new_start: Any
    old_end: Any
    new_end: Any
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


@dataclass(frozen=True)
class PrerequisiteViolation:
    release: str
    prerequisite: str
    kind: str
    release_start: dt.datetime
    prerequisite_end: dt.datetime
    message: str

    def as_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


@dataclass
class ImpactResult:
    key: str
    shift_days: int
    unit: str  # "calendar days" (a release) | "working days" (a task)
    moved: list[Move] = field(default_factory=list)
    prerequisite_violations: list[PrerequisiteViolation] = field(default_factory=list)
    new_conflicts: list[Any] = field(default_factory=list)  # conflicts.Conflict
    freezes_hit: list[dict[str, Any]] = field(default_factory=list)

    def moved_days(self) -> dict[str, int]:
        return {m.key: m.days for m in self.moved}

    def moved_releases(self) -> list[str]:
        return [m.key for m in self.moved if m.kind == "release"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "shift_days": self.shift_days,
            "unit": self.unit,
            "moved": [m.as_dict() for m in self.moved],
            "prerequisite_violations": [v.as_dict() for v in self.prerequisite_violations],
            "new_conflicts": [c.as_dict() for c in self.new_conflicts],
            "freezes_hit": jsonable(self.freezes_hit),
        }


# --- the shift, computed -------------------------------------------------------------------------


@dataclass
class _Plan:
    """What a shift changes: new release dates and new task dates, with the reasons."""

    rels: dict[int, _Rel]
    deps: list[tuple[int, int, str]]
    release_shift: dict[int, int] = field(default_factory=dict)  # calendar days
    release_end_only: set[int] = field(default_factory=set)  # the end moved, not the start
    task_dates: dict[int, tuple[dt.date | None, dt.date | None]] = field(default_factory=dict)
    tasks: dict[int, _Task] = field(default_factory=dict)
    moves: list[Move] = field(default_factory=list)
    holidays: frozenset[dt.date] = frozenset()
    _workdays: dict[tuple[dt.date, int], int] = field(default_factory=dict)
    _spans: dict[
        int, tuple[tuple[dt.datetime, dt.datetime], tuple[dt.datetime, dt.datetime]] | None
    ] = field(default_factory=dict)

    def span(
        self, rid: int
    ) -> tuple[tuple[dt.datetime, dt.datetime], tuple[dt.datetime, dt.datetime]] | None:
        """A release's interval before and after the shift (its start kept when only its end
        moves), or None when it has no dates. Only asked once the release's shift is final."""
        if rid not in self._spans:
            rel = self.rels[rid]
            old, new = rel.interval(), rel.interval(self.release_shift.get(rid, 0))
            if old is None or new is None:
                self._spans[rid] = None
            else:
                if rid in self.release_end_only and rel.deploy_start is None:
                    new = (old[0], new[1])
                self._spans[rid] = (old, new)
        return self._spans[rid]

    def workdays(self, anchor: dt.date, days: int) -> int:
        """``days`` calendar days from ``anchor`` counted in working days (many releases share
        an anchor day: each pair is counted once)."""
        found = self._workdays.get((anchor, days))
        if found is None:
            found = self._workdays[(anchor, days)] = W.workdays_between(
                anchor, anchor + days * DAY, self.holidays
            )
        return found


def _holidays(s: Session, around: list[dt.date], extra_days: int) -> frozenset[dt.date]:
    if not around:
        return frozenset()
    lo = min(around) - dt.timedelta(days=60)
    hi = max(around) + dt.timedelta(days=abs(extra_days) * 2 + 400)
    return frozenset(W.holiday_dates(s, lo, hi))


def _parse_key(key: str) -> tuple[str, str | None]:
    if "/" in key:
        rel, task = key.split("/", 1)
        return rel.strip(), task.strip()
    return key.strip(), None


def _plan_shift(
    s: Session, key: str, shift: int, index: Any = None, *, near: bool = False
) -> _Plan:
    if not isinstance(shift, int) or isinstance(shift, bool):
        raise ValidationError(
            f"the shift must be a whole number of days, not {shift!r}", field="days"
        )
    if abs(shift) > MAX_SHIFT_DAYS:
        raise ValidationError(
            f"the shift must be at most {MAX_SHIFT_DAYS:,} days either way, not {shift:,}",
            field="days",
        )
    rel_key, task_id = _parse_key(key)
    source = release_by_key(s, rel_key)
    rels, deps = _load_near(s, source.id) if near else _load_releases(s, index)
    plan = _Plan(rels, deps)
    src = rels[source.id]
    around = src.interval()
    plan.holidays = _holidays(s, [around[0].date()] if around else [], shift)
    if src.cancelled:
        raise ValidationError(f"{rel_key} is cancelled: it has no dates to shift")
    if task_id is None:
        if src.interval() is None and not _has_task_dates(s, src.id):
            raise ValidationError(f"{rel_key} has no planned dates or deployment window to shift")
        if shift == 0:
            return plan
        plan.release_shift[src.id] = shift
        _record_release(plan, src, shift, f"shifted {shift:+d} days")
        _slide_tasks(s, plan, [src.id])
        _propagate_releases(s, plan, src.id)
        return plan
    overrun = _shift_task(s, plan, src, task_id, shift)
    if overrun > 0:
        plan.release_shift[src.id] = overrun
        plan.release_end_only.add(src.id)
        _record_release(plan, src, overrun, f"its tasks now finish {overrun} days later")
        _propagate_releases(s, plan, src.id)
    return plan


def _has_task_dates(s: Session, release_id: int) -> bool:
    return (
        s.execute(
            select(Task.id).where(Task.release_id == release_id, Task.start.is_not(None)).limit(1)
        ).first()
        is not None
    )


def _record_release(plan: _Plan, rel: _Rel, days: int, reason: str) -> None:
    end_only = rel.id in plan.release_end_only
    assert plan.release_shift.get(rel.id) == days, "record a release once its shift is decided"
    both = plan.span(rel.id)
    old, new = both if both is not None else (None, None)
    anchor = (old[1] if end_only else old[0]).date() if old else None
    work = plan.workdays(anchor, days) if anchor else 0
    plan.moves.append(
        Move(
            key=rel.key,
            kind="release",
            days=days,
            working_days=work,
            old_start=old[0] if old else None,
            new_start=new[0] if new else None,
            old_end=old[1] if old else None,
            new_end=new[1] if new else None,
            reason=reason,
        )
    )


def _propagate_releases(s: Session, plan: _Plan, source_id: int) -> None:
    """Dependents move by whole days, only by what their slack does not absorb."""
    import networkx as nx

    rels, shift = plan.rels, plan.release_shift
    graph = nx.DiGraph()
    graph.add_edges_from((prereq_id, release_id) for release_id, prereq_id, _k in plan.deps)
    prereqs: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for release_id, prereq_id, kind in plan.deps:
        prereqs[release_id].append((prereq_id, kind))
    if source_id not in graph:
        return
    # the releases downstream of the source, prerequisites first: a depth-first postorder from
    # the source, reversed, is a topological order of what it reaches (one pass, not two)
    order = list(nx.dfs_postorder_nodes(graph, source_id))
    order.reverse()
    moved: list[int] = []
    for rid in order[1:]:
        rel = rels[rid]
        if rel.frozen or rel.cancelled:
            continue
        here = rel.interval()
        if here is None:
            continue
        need = 0
        why = ""
        for pid, kind in prereqs[rid]:
            d = shift.get(pid, 0)
            pre = rels[pid]
            if d <= 0 or pre.cancelled:
                continue
            both = plan.span(pid)  # its shift is final: it came earlier in the order
            if both is None:
                continue
            old_p, new_p = both
            anchor = 1 if kind == "before" else 0  # must start after its end / with its start
            before_gap = max(NO_TIME, old_p[anchor] - here[0])
            after_gap = max(NO_TIME, new_p[anchor] - here[0])
            lacking = after_gap - before_gap
            days = math.ceil(lacking / DAY) if lacking > NO_TIME else 0
            if days > need:
                need = days
                what = "deploys" if kind == "before" else "starts deploying"
                why = f"{pre.key} now {what} {d} days later ({kind})"
        if need > 0:
            shift[rid] = need
            _record_release(plan, rel, need, why)
            moved.append(rid)
    _slide_tasks(s, plan, moved)


def _slide_tasks(s: Session, plan: _Plan, release_ids: list[int]) -> None:
    """The tasks of releases that move whole, by the release's calendar days."""
    if not release_ids:
        return
    tasks, _links = _load_tasks(s, release_ids, links=False)
    keys = {rid: plan.rels[rid].key for rid in release_ids}
    hol = plan.holidays
    for t in tasks:
        if t.fixed or (t.start is None and t.end is None):
            continue
        days = plan.release_shift[t.release_id]
        if t.start is not None:
            new_start = _on_workday(t.start + days * DAY, hol, forward=days >= 0)
            if t.end is not None:
                length = max(1, W.count_workdays(t.start, t.end, hol))
                new_end: dt.date | None = W.add_workdays(new_start, length - 1, hol)
            else:
                new_end = None
        else:
            assert t.end is not None
            new_start, new_end = None, _on_workday(t.end + days * DAY, hol, forward=days >= 0)
        _record_task(
            plan, t, keys[t.release_id], new_start, new_end, f"moves with {keys[t.release_id]}"
        )


def _on_workday(day: dt.date, holidays: frozenset[dt.date], *, forward: bool) -> dt.date:
    step = DAY if forward else -DAY
    while not W.is_workday(day, holidays):
        day += step
    return day


def _record_task(
    plan: _Plan,
    t: _Task,
    rel_key: str,
    new_start: dt.date | None,
    new_end: dt.date | None,
    reason: str,
) -> None:
    if (new_start, new_end) == (t.start, t.end):
        return
    plan.tasks[t.id] = t
    plan.task_dates[t.id] = (new_start, new_end)
    old_anchor, new_anchor = (t.start, new_start) if t.start is not None else (t.end, new_end)
    assert old_anchor is not None and new_anchor is not None
    plan.moves.append(
        Move(
            key=f"{rel_key}/{t.local_id}",
            kind="task",
            days=(new_anchor - old_anchor).days,
            working_days=W.workdays_between(old_anchor, new_anchor, plan.holidays),
            old_start=t.start,
            new_start=new_start,
            old_end=t.end,
            new_end=new_end,
            reason=reason,
        )
    )


def _link_bound(
    link_type: str, lag: int, p_start: dt.date, p_end: dt.date, hol: frozenset[dt.date]
) -> tuple[str, dt.date]:
    """Which end of the successor the link holds, and the earliest date it allows."""
    if link_type == "FS":
        return "start", W.add_workdays(p_end, 1 + lag, hol)
    if link_type == "SS":
        return "start", W.add_workdays(p_start, lag, hol)
    if link_type == "FF":
        return "end", W.add_workdays(p_end, lag, hol)
    return "end", W.add_workdays(p_start, lag - 1, hol)  # SF


def _lacking(current: dt.date, bound: dt.date, hol: frozenset[dt.date]) -> int:
    """Working days ``current`` must move forward to reach ``bound`` (0 when it already does)."""
    return max(0, W.workdays_between(current, bound, hol)) if bound > current else 0


def _shift_task(s: Session, plan: _Plan, rel: _Rel, local_id: str, shift: int) -> int:
    """Shift one task and its successors; returns the release's overrun in calendar days."""
    import networkx as nx

    tasks, links = _load_tasks(s, [rel.id])
    by_local = {t.local_id: t for t in tasks}
    task = by_local.get(local_id)
    if task is None:
        raise NotFound(f"no task {local_id!r} in release {rel.key}")
    if task.start is None or task.end is None:
        raise ValidationError(f"{rel.key}/{local_id} has no start and end dates to shift")
    if task.status == "cancelled":
        raise ValidationError(f"{rel.key}/{local_id} is cancelled")
    dates = [d for t in tasks for d in (t.start, t.end) if d is not None]
    if dates:
        plan.holidays = _holidays(s, dates, shift)
    hol = plan.holidays
    if shift == 0:
        return 0
    by_id = {t.id: t for t in tasks}
    new: dict[int, tuple[dt.date, dt.date]] = {
        task.id: (W.add_workdays(task.start, shift, hol), W.add_workdays(task.end, shift, hol))
    }
    _record_task(plan, task, rel.key, *new[task.id], f"shifted {shift:+d} working days")
    graph = nx.DiGraph()
    incoming: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for p, q, kind, lag in links:
        graph.add_edge(p, q)
        incoming[q].append((p, kind, lag))
    if task.id in graph:
        down = nx.descendants(graph, task.id)
        for tid in (
            n for n in nx.topological_sort(graph.subgraph(down | {task.id})) if n != task.id
        ):
            succ = by_id[tid]
            if succ.fixed or succ.start is None or succ.end is None:
                continue
            need, why = 0, ""
            for pid, kind, lag in incoming[tid]:
                if pid not in new:
                    continue
                pred = by_id[pid]
                assert pred.start is not None and pred.end is not None
                which, old_bound = _link_bound(kind, lag, pred.start, pred.end, hol)
                _w, new_bound = _link_bound(kind, lag, *new[pid], hol)
                current = succ.start if which == "start" else succ.end
                more = _lacking(current, new_bound, hol) - _lacking(current, old_bound, hol)
                if more > need:
                    need = more
                    lag_text = f"{lag:+d}" if lag else ""
                    why = f"{kind}{lag_text} after {pred.local_id}"
            if need > 0:
                new[tid] = (
                    W.add_workdays(succ.start, need, hol),
                    W.add_workdays(succ.end, need, hol),
                )
                _record_task(plan, succ, rel.key, *new[tid], why)
    old_finish = max(
        [d for t in tasks if not t.fixed for d in (t.end,) if d is not None]
        + ([rel.planned_end] if rel.planned_end else []),
        default=None,
    )
    new_finish = max(
        [new.get(t.id, (t.start, t.end))[1] for t in tasks if not t.fixed and t.end is not None],
        default=None,
    )
    if old_finish is None or new_finish is None or rel.frozen:
        return 0
    return max(0, (new_finish - old_finish).days)


# --- what breaks -------------------------------------------------------------------------------------


def _violations(plan: _Plan) -> list[PrerequisiteViolation]:
    from .conflicts import fmt_span

    found = []
    rels, shift = plan.rels, plan.release_shift
    for release_id, prereq_id, kind in plan.deps:
        if kind != "before" or (release_id not in shift and prereq_id not in shift):
            continue
        rel, pre = rels[release_id], rels[prereq_id]
        if rel.cancelled or pre.cancelled or pre.deployed:
            continue
        r_span, p_span = plan.span(release_id), plan.span(prereq_id)
        if r_span is None or p_span is None:
            continue
        (old_r, new_r), (old_p, new_p) = r_span, p_span
        if new_r[0] < new_p[1] and not old_r[0] < old_p[1]:
            found.append(
                PrerequisiteViolation(
                    release=rel.key,
                    prerequisite=pre.key,
                    kind=kind,
                    release_start=new_r[0],
                    prerequisite_end=new_p[1],
                    message=(
                        f"{rel.key} would deploy {fmt_span(new_r[0], new_r[1], dt.UTC)} but depends on "
                        f"{pre.key}, which would deploy until {new_p[1]:%Y-%m-%d %H:%M} UTC"
                    ),
                )
            )
    return sorted(found, key=lambda v: (v.release, v.prerequisite))


def _conflict_key(c: Any) -> tuple[Any, ...]:
    return (c.rule, tuple(c.releases), tuple(c.windows), tuple(c.cis), tuple(c.people))


def _new_conflicts(plan: _Plan, index: Any) -> list[Any]:
    """Run the conflict rules on the shifted plan, in memory, for the releases that move (and
    those whose tasks move); whatever was not there before is new. ``index`` (the conflict
    service's PlanIndex of the current plan) is shifted in place: it is not usable afterwards."""
    from . import conflicts as C

    moved_ids = set(plan.release_shift) | {t.release_id for t in plan.tasks.values()}
    if not moved_ids:
        return []
    before = {_conflict_key(c) for c in C._detect(index, moved_ids)}
    for rid, days in plan.release_shift.items():
        info = index.releases.get(rid)
        if info is None or info.start is None or info.end is None:
            continue
        info.start, info.end = info.start + days * DAY, info.end + days * DAY
    index._touching = None  # the per-CI sweep lists are sorted by start: rebuild them
    if plan.tasks:
        rows = index.tasks()
        position: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for i, row in enumerate(rows):
            position[row].append(i)
        for tid, t in plan.tasks.items():
            if t.start is None or t.end is None or t.email is None:
                continue
            old = (t.release_id, t.start.isoformat(), t.end.isoformat(), t.title, t.email)
            spots = position.get(old)
            if not spots:
                continue
            new_start, new_end = plan.task_dates[tid]
            rows[spots.pop()] = (
                t.release_id,
                (new_start or t.start).isoformat(),
                (new_end or t.end).isoformat(),
                t.title,
                t.email,
            )
    after = C._order(C._detect(index, moved_ids))
    return [c for c in after if _conflict_key(c) not in before]


def _new_conflicts_near(s: Session, plan: _Plan) -> list[Any]:
    """``_new_conflicts`` for a shift that moves one release (a leaf): the conflict index holds
    only what can conflict with it where it is and where it would be (``plan_index.Focus``).
    A shift moving several releases reads the whole plan's index."""
    from . import conflicts as C

    moved_ids = set(plan.release_shift) | {t.release_id for t in plan.tasks.values()}
    if not moved_ids:
        return []
    if len(moved_ids) > 1:
        return _new_conflicts(plan, C.load_index(s))
    (rid,) = moved_ids
    rel, days = plan.rels[rid], plan.release_shift.get(rid, 0)
    spans = []
    if rel.deploy_start is not None and rel.deploy_end is not None and days:
        spans.append((rel.deploy_start + days * DAY, rel.deploy_end + days * DAY))
    new_days = [d for start_end in plan.task_dates.values() for d in start_end if d is not None]
    task_days = (min(new_days), max(new_days)) if new_days else None
    return _new_conflicts(plan, C.load_index(s, rid, spans=spans, task_days=task_days))


def _impact_whole(ctx: Ctx, key: str, shift_days: int) -> ImpactResult:
    """``impact`` as it was: every release and the whole plan's conflict index read (kept to
    check the focused reading against, and for benchmarks)."""
    from . import conflicts as C

    with ctx.read() as s, gc_paused():
        index = C.load_index(s)
        plan = _plan_shift(s, key, shift_days, index)
        found = _new_conflicts(plan, index)
    return _result(key, shift_days, plan, found)


def impact(ctx: Ctx, key: str, shift_days: int, *, conflicts: bool = True) -> ImpactResult:
    """What moves and what breaks if release ``key`` (or task ``KEY/T3``) slips ``shift_days``
    (calendar days for a release, working days for a task; negative moves it earlier).
    ``conflicts=False`` skips the conflict rules (new_conflicts and freezes_hit stay empty):
    on a 10,000-release plan, indexing the plan for them is most of the time.
    Reads only: the plan is not changed."""
    with ctx.read() as s, gc_paused():
        # what the shift reaches through the dependencies, then — for a shift moving one
        # release — only what can conflict with that release, before and after
        plan = _plan_shift(s, key, shift_days, near=True)
        found = _new_conflicts_near(s, plan) if conflicts else []
    return _result(key, shift_days, plan, found)


def _result(key: str, shift_days: int, plan: _Plan, found: list[Any]) -> ImpactResult:
    result = ImpactResult(
        key=key,
        shift_days=shift_days,
        unit="working days" if "/" in key else "calendar days",
        moved=plan.moves,
        prerequisite_violations=_violations(plan),
        new_conflicts=found,
    )
    for c in found:
        if c.rule == "C1":
            result.freezes_hit.append(
                {
                    "release": c.releases[0],
                    "window": c.windows[0] if c.windows else None,
                    "severity": c.severity,
                    "message": c.message,
                }
            )
    return result


# --- applying it -------------------------------------------------------------------------------------


@dataclass
class ShiftApplied:
    """What ``apply_shift`` wrote: ``before`` restores the plan (undo), ``after`` re-applies it
    (redo), both through ``restore_dates``."""

    key: str
    shift_days: int
    moved: list[Move]
    before: dict[str, Any]
    after: dict[str, Any]


_RELEASE_DATES = ("planned_start", "planned_end", "deploy_start", "deploy_end")


@operation
def apply_shift(ctx: Ctx, key: str, shift_days: int) -> ShiftApplied:
    """Write the shift ``impact`` describes, in one audited transaction (schedule rules run)."""
    with ctx.write() as tx:
        s = tx.session
        plan = _plan_shift(s, key, shift_days)
        before: dict[str, Any] = {"releases": {}, "tasks": {}}
        after: dict[str, Any] = {"releases": {}, "tasks": {}}
        for rid, days in plan.release_shift.items():
            rel = s.get(Release, rid)
            assert rel is not None
            old = {n: getattr(rel, n) for n in _RELEASE_DATES}
            delta = days * DAY
            if rid not in plan.release_end_only and rel.planned_start is not None:
                rel.planned_start = rel.planned_start + delta
            if rel.planned_end is not None:
                rel.planned_end = rel.planned_end + delta
            if rel.deploy_start is not None and rel.deploy_end is not None:
                rel.deploy_start, rel.deploy_end = rel.deploy_start + delta, rel.deploy_end + delta
            new = {n: getattr(rel, n) for n in _RELEASE_DATES}
            before["releases"][rel.key] = jsonable(old)
            after["releases"][rel.key] = jsonable(new)
            tx.audit(
                "release",
                rel.key,
                "shift",
                old,
                {**new, "shift": f"{key} {shift_days:+d}"},
                release_key=rel.key,
            )
            tx.rule_events.append(("on_schedule_change", rid))
        for tid, (start, end) in plan.task_dates.items():
            task = s.get(Task, tid)
            assert task is not None
            rel_key = plan.rels[task.release_id].key
            name = f"{rel_key}/{task.local_id}"
            old_t = {"start": task.start, "end": task.end}
            task.start, task.end = start, end
            before["tasks"][name] = jsonable(old_t)
            after["tasks"][name] = jsonable({"start": start, "end": end})
            tx.audit(
                "task", name, "shift", old_t, {"start": start, "end": end}, release_key=rel_key
            )
        s.flush()
        rules.run_pending(tx)  # the rules this write raised act in the same transaction
    return ShiftApplied(key, shift_days, plan.moves, before, after)


@operation
def restore_dates(ctx: Ctx, dates: dict[str, Any]) -> None:
    """Set release and task dates to ``dates`` (a ``ShiftApplied.before``/``after``), in one
    audited transaction: undo and redo of ``apply_shift``."""
    with ctx.write() as tx:
        s = tx.session
        for key, values in dates.get("releases", {}).items():
            rel = release_by_key(s, key)
            old = {n: getattr(rel, n) for n in _RELEASE_DATES}
            for n in ("planned_start", "planned_end"):
                setattr(rel, n, dt.date.fromisoformat(values[n]) if values.get(n) else None)
            for n in ("deploy_start", "deploy_end"):
                setattr(
                    rel,
                    n,
                    dt.datetime.fromisoformat(values[n].replace("Z", "+00:00"))
                    if values.get(n)
                    else None,
                )
            tx.audit("release", key, "restore dates", old, values, release_key=key)
            tx.rule_events.append(("on_schedule_change", rel.id))
        for name, values in dates.get("tasks", {}).items():
            rel_key, local_id = name.split("/", 1)
            rel = release_by_key(s, rel_key)
            task = s.execute(
                select(Task).where(Task.release_id == rel.id, Task.local_id == local_id)
            ).scalar_one_or_none()
            if task is None:
                raise NotFound(f"no task {local_id!r} in release {rel_key}")
            old_t = {"start": task.start, "end": task.end}
            start = dt.date.fromisoformat(values["start"]) if values.get("start") else None
            end = dt.date.fromisoformat(values["end"]) if values.get("end") else None
            # set both before the flush so the start <= end check sees the final pair
            task.start, task.end = start, end
            tx.audit("task", name, "restore dates", old_t, values, release_key=rel_key)
        rules.run_pending(tx)  # the rules this write raised act in the same transaction


@operation
def reapply_shift(ctx: Ctx, applied: ShiftApplied) -> ShiftApplied:
    """Redo of an applied what-if: the dates it wrote, put back (not a new plan of the shift, which
    could move other things now); answers ``applied`` again, which the next undo restores from."""
    restore_dates(ctx, applied.after)
    return applied
