"""The scheduling assistant: free deployment slots (found by ``slots``), and moving a release's
deployment window.

A *free slot* for a release lasts as long as its deployment window (2 hours when it has none)
and raises no error-level conflict: no hard freeze in scope (C1), no other release touching the
same CI or its parent/child at the same time (C3), after every prerequisite it depends on and
before every release that depends on it (C5), and — when any CI it touches requires a
maintenance window — inside one occurrence of a maintenance window of each such CI (C2).

Where slots are looked for:

- Some CI needs a maintenance window: from the start of each maintenance occurrence (or the
  moment the search starts, rounded up to a quarter hour), moving past whatever blocks it until
  the slot no longer fits in the occurrence. At most one slot per occurrence, so the choices
  offered are distinct nights rather than three starts in the same night.
- No CI needs one: working days (Monday–Friday) at 20:00 local time, one per evening, where
  "local" is the plan's display zone (PlanMeta ``timezone``, else the zone most calendar
  windows use, else UTC).

What the assistant proposes (``free_slots``, ``suggest_slot``) is stricter than a free slot:

- never before the release is ready: not before the day after its last build or test task
  ends (tasks not cancelled, with an end date);
- never a slot that raises a conflict for the release: each candidate is checked with the
  per-release conflict rules (C1 hard *and* soft freezes, C2, C3, C5, C6 business events, C7
  the rollback fitting before the maintenance window closes). C4 is about people's task dates,
  which moving the deployment does not change, so it is not asked;
- each proposal says why it was chosen ("first free Saturday night maintenance slot after
  testing ends 12 Dec; 120-minute rollback fits before the window closes at 04:00").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import Release, Task

from . import conflicts as CF
from . import plan_index as C
from . import rules
from .base import Ctx, NotFound, ValidationError, release_by_key
from .slots import DEFAULT_DURATION, Slot, find_slots

__all__ = [
    "DEFAULT_DURATION",
    "DeploymentWindow",
    "Proposal",
    "Slot",
    "deployment_windows",
    "find_slots",
    "free_slots",
    "move_release",
    "no_slot_reason",
    "proposals",
    "subject_of",
    "suggest_moves",
    "suggest_slot",
    "why_no_slot",
]


@dataclass(frozen=True)
class DeploymentWindow:
    """A release's deployment window as plain data, for the calendar and its exports."""

    key: str
    title: str
    status: str
    start: dt.datetime
    end: dt.datetime
    strategy: str | None
    waves: list[dict[str, Any]]
    rollback_plan: str | None
    rollback_minutes: int | None


@dataclass(frozen=True)
class Proposal:
    """A slot the assistant proposes, with the sentence saying why it was chosen."""

    start: dt.datetime
    end: dt.datetime
    window_title: str | None = None
    reason: str = ""
    when: str = ""  # the slot in words, in its window's zone (else the plan's)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "window": self.window_title,
            "reason": self.reason,
        }


# Rules a move of the deployment window can raise; C4 (people's task dates) it cannot.
MOVE_RULES = frozenset({"C1", "C2", "C3", "C5", "C6", "C7"})
_PHASE_WORDS = {E.Phase.BUILD: "the build", E.Phase.TEST: "testing"}
_CANDIDATES = 24  # free slots looked at past the ones that raise a conflict


def _ready(session: Session, release_id: int, tz: dt.tzinfo) -> tuple[dt.datetime, str] | None:
    """When the release's build and test are over: the start of the day after its last build or
    test task ends (in the plan's zone), and the words for it ("testing end{s} 12 Dec", to be
    formatted with ``s="s"`` or ``s="ed"``)."""
    row = session.execute(
        select(Task.phase, Task.end)
        .where(
            Task.release_id == release_id,
            Task.phase.in_([E.Phase.BUILD, E.Phase.TEST]),
            Task.status != E.TaskStatus.CANCELLED,
            Task.end.is_not(None),
        )
        .order_by(Task.end.desc(), Task.phase.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    phase, end = row
    assert end is not None  # the query asks for tasks with an end date
    moment = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return moment.astimezone(dt.UTC), f"{_PHASE_WORDS[E.Phase(phase)]} end{{s}} {end:%-d %b}"


def conflicts_if_moved(
    index: C.PlanIndex, rel: C.RelInfo, start: dt.datetime, end: dt.datetime
) -> list[CF.Conflict]:
    """The conflicts ``rel`` would have deploying ``[start, end)``, from the per-release
    conflict check on the loaded index (nothing is written). The one place that asks the rules
    about a hypothetical window: an incremental tally can answer here instead."""
    saved = (rel.start, rel.end, rel.scheduled, rel.active)
    rel.start, rel.end = start, end
    rel.scheduled = True
    rel.active = not rel.terminal
    try:
        found = CF._detect(index, {rel.id})  # noqa: SLF001 - the per-release check
    finally:
        rel.start, rel.end, rel.scheduled, rel.active = saved
    return [c for c in found if c.rule in MOVE_RULES]


def _hours(minutes: int) -> str:
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} minutes" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def _zone_of(index: C.PlanIndex, slot: Slot) -> dt.tzinfo:
    return next((w.tz for w in index.windows if w.title == slot.window_title), index.display_tz)


def _why(
    index: C.PlanIndex,
    rel: C.RelInfo,
    slot: Slot,
    *,
    first: bool,
    after: str,
    skipped: dict[str, int],
) -> str:
    tz = _zone_of(index, slot)
    day = slot.start.astimezone(tz)
    where = (
        f"in \u201c{slot.window_title}\u201d" if slot.window_title else "on a working-day evening"
    )
    text = f"{'first' if first else 'next'} free slot {where} on {day:%a %-d %b}, {after}"
    if rel.rollback_minutes:
        rollback = f"rollback {_hours(rel.rollback_minutes)} fits"
        closes = [
            e
            for w in index.windows
            if w.title == slot.window_title
            for _s, e in w.holding(slot.start, slot.end)
        ]
        if closes:
            rollback += f" before the window closes at {min(closes).astimezone(tz):%H:%M}"
        text += f"; {rollback}"
    if skipped:
        rules_text = ", ".join(f"{n} with {rule}" for rule, n in sorted(skipped.items()))
        text += f" (earlier free slots would raise a conflict: {rules_text})"
    return text


def proposals(
    session: Session,
    index: C.PlanIndex,
    rel: C.RelInfo,
    *,
    count: int,
    days: int,
    start: dt.datetime | None,
    now: dt.datetime,
) -> list[Proposal]:
    """Up to ``count`` proposals for ``rel`` on a loaded index, within ``days`` from ``start``
    (None: from ``now``, said "from today"): what ``free_slots`` answers, and what the conflict
    list (``relman conflicts``) suggests."""
    after = "from today" if start is None else f"from {start.astimezone(index.display_tz):%-d %b}"
    start = start or now
    until = start + dt.timedelta(days=days)
    ready = _ready(session, rel.id, index.display_tz)
    begin = start
    if ready is not None and ready[0] > start:
        begin, after = ready[0], f"after {ready[1].format(s='s')}"
    elif ready is not None:
        after += f" ({ready[1].format(s='ed')})"
    remaining = (until - begin).total_seconds() / 86400
    if remaining <= 0:
        return []
    candidates = find_slots(
        index, rel, count=count + _CANDIDATES, days=max(1, int(-(-remaining // 1))), start=begin
    )
    proposals: list[Proposal] = []
    skipped: dict[str, int] = {}
    for slot in candidates:
        if slot.end > until:
            break
        raised = conflicts_if_moved(index, rel, slot.start, slot.end)
        if raised:
            for rule in {c.rule for c in raised}:
                skipped[rule] = skipped.get(rule, 0) + 1
            continue
        reason = _why(index, rel, slot, first=not proposals, after=after, skipped=skipped)
        when = CF.fmt_span(slot.start, slot.end, _zone_of(index, slot))
        proposals.append(Proposal(slot.start, slot.end, slot.window_title, reason, when))
        skipped = {}
        if len(proposals) >= count:
            break
    return proposals


def _day(moment: dt.datetime, tz: dt.tzinfo) -> str:
    return f"{moment.astimezone(tz):%a %-d %b}"


def no_slot_reason(
    session: Session,
    index: C.PlanIndex,
    rel: C.RelInfo,
    *,
    days: int,
    start: dt.datetime | None,
    now: dt.datetime,
) -> str:
    """Why ``proposals`` found nothing for ``rel`` within ``days``, as a clause naming what
    blocks: "no slot for REL-A in the next 60 days: REL-B, which depends on it, deploys on
    Tue 12 May, before testing of REL-A ends 14 May"."""
    tz = index.display_tz
    head = f"no slot for {rel.key} in the next {days} days"
    start = start or now
    until = start + dt.timedelta(days=days)
    ready = _ready(session, rel.id, tz)
    begin = max(start, ready[0]) if ready is not None else start
    ready_words = ready[1].format(s="s") if ready is not None and ready[0] > start else None
    if begin >= until:
        return f"{head}: {ready_words or 'its build and test end after that'}"
    duration = rel.end - rel.start if rel.scheduled else DEFAULT_DURATION  # type: ignore[operator]
    # a release that depends on it deploys before it could (C5 the other way round)
    dependents = sorted(
        (
            index.releases[i]
            for i in index.dependents(rel.id)
            if index.releases[i].active and index.releases[i].start < begin + duration  # type: ignore[operator]
        ),
        key=lambda r: (r.start, r.key),
    )
    if dependents:
        dep = dependents[0]
        text = f"{head}: {dep.key}, which depends on it, deploys on {_day(dep.start, tz)}"  # type: ignore[arg-type]
        if ready_words:
            return f"{text}, before {ready_words}"
        return text + (", which is already past" if dep.start <= now else "")  # type: ignore[operator]
    # a prerequisite that deploys too late for any slot in the search
    late = sorted(
        (
            index.releases[i]
            for i in index.prerequisites(rel.id)
            if index.releases[i].active
            and not index.releases[i].deployed
            and index.releases[i].end + duration > until  # type: ignore[operator]
        ),
        key=lambda r: (r.end, r.key),
    )
    if late:
        pre = late[-1]
        return f"{head}: it depends on {pre.key}, which deploys until {_day(pre.end, tz)}"  # type: ignore[arg-type]
    # free slots exist, but each raises a conflict: name the most common, with its evidence
    remaining = (until - begin).total_seconds() / 86400
    found: dict[str, list[CF.Conflict]] = {}
    for slot in find_slots(
        index, rel, count=_CANDIDATES, days=max(1, int(-(-remaining // 1))), start=begin
    ):
        if slot.end <= until:
            for c in conflicts_if_moved(index, rel, slot.start, slot.end):
                found.setdefault(c.rule, []).append(c)
    if found:
        rule, hits = max(found.items(), key=lambda kv: (len(kv[1]), kv[0]))
        return f"{head}: every free slot raises a conflict, e.g. {rule}: {hits[0].message}"
    required = index.required_cis(rel)
    if required:
        names = ", ".join(sorted(ci.name for ci in required))
        return (
            f"{head}: no maintenance window of {names} in them has room for its "
            f"{_hours(int(duration.total_seconds() // 60))} deployment"
        )
    return f"{head}: hard freezes and other releases on its CIs fill every working-day evening"


def free_slots(
    ctx: Ctx, key: str, count: int = 3, days: int = 30, start: dt.datetime | None = None
) -> list[Proposal]:
    """The next ``count`` slots for release ``key`` within ``days`` from ``start`` (default:
    now) that raise no conflict and come after its build and test, each with its reason."""
    if count < 1:
        raise ValidationError("ask for at least one slot", field="count")
    if days < 1:
        raise ValidationError("search at least one day ahead", field="days")
    if start is not None and start.tzinfo is None:
        raise ValidationError("the search start needs a time zone", field="start")
    with ctx.read() as s:
        row = release_by_key(s, key)  # raises NotFound naming the key
        now = ctx.now()
        begin = start or now
        # only what can block this release in the searched days (plan_index.Focus)
        index = C.load_index(s, row.id, spans=[(begin, begin + dt.timedelta(days=days))])
        rel = index.by_key[key]
        return proposals(s, index, rel, count=count, days=days, start=start, now=now)


def why_no_slot(ctx: Ctx, key: str, days: int = 30, start: dt.datetime | None = None) -> str:
    """``no_slot_reason`` for release ``key`` (when ``free_slots`` found none)."""
    with ctx.read() as s:
        row = release_by_key(s, key)
        now = ctx.now()
        begin = start or now
        index = C.load_index(s, row.id, spans=[(begin, begin + dt.timedelta(days=days))])
        return no_slot_reason(s, index, index.by_key[key], days=days, start=start, now=now)


def subject_of(index: C.PlanIndex, rule: str, keys: list[str]) -> str | None:
    """The release a conflict's fix moves: the later of two clashing deployments (C3), the
    dependent that deploys too early (C5), the release itself otherwise; None for C4."""
    if rule not in MOVE_RULES or not keys:
        return None
    if rule == "C3" and len(keys) == 2:
        a, b = (index.by_key[k] for k in keys)
        return max((a, b), key=lambda r: (r.start is not None, r.start, r.key)).key
    return keys[0]


def suggest_slot(
    ctx: Ctx, rule: str, keys: list[str], *, days: int = 60, start: dt.datetime | None = None
) -> tuple[str, Proposal | str] | None:
    """For one conflict (its rule and releases): the release to move and the first slot that
    raises no conflict for it — or, when there is none within ``days``, the clause saying what
    blocks (``no_slot_reason``); None when moving the deployment cannot fix this rule (C4:
    people's overlapping tasks)."""
    with ctx.read() as s:
        index = C.load_index(s)
        missing = [k for k in keys if k not in index.by_key]
        if missing:
            raise NotFound(f"no release {missing[0]!r} in this plan")
        key = subject_of(index, rule, keys)
        if key is None:
            return None
        rel = index.by_key[key]
        found = proposals(s, index, rel, count=1, days=days, start=start, now=ctx.now())
        if found:
            return key, found[0]
        return key, no_slot_reason(s, index, rel, days=days, start=start, now=ctx.now())


def suggest_moves(
    session: Session,
    index: C.PlanIndex,
    conflicts: list[CF.Conflict],
    start: dt.datetime | None,
    now: dt.datetime,
    index_for: Callable[[str], C.PlanIndex] | None = None,
) -> None:
    """Each conflict a move of the deployment can fix carries the scheduling assistant's first
    proposal for the release to move (the Conflicts page's "Move to suggested slot"): a slot
    after the release's build and test that raises no conflict, and why it was chosen.
    ``index_for(key)``: the index to search ``key``'s slots on, when ``index`` is one release's
    focused index and the release to move is another one (the later of a C3 pair)."""
    cache: dict[str, Proposal | str] = {}
    for c in conflicts:
        key = subject_of(index, c.rule, c.releases)
        if key is None:
            continue
        if key not in cache:
            on = index if index_for is None else index_for(key)
            found = proposals(
                session, on, on.by_key[key], count=1, days=CF.SEARCH_DAYS, start=start, now=now
            )
            cache[key] = (
                found[0]
                if found
                else no_slot_reason(
                    session, on, on.by_key[key], days=CF.SEARCH_DAYS, start=start, now=now
                )
            )
        slot = cache[key]
        if isinstance(slot, str):
            c.suggestion = f"{slot}; move it by hand on the calendar"
            continue
        c.suggestion = f"move {key} to {slot.when}: {slot.reason}"
        c.suggested_start, c.suggested_end = slot.start, slot.end
        c.suggested_window, c.suggested_reason = slot.window_title, slot.reason


def move_release(ctx: Ctx, key: str, start: dt.datetime, end: dt.datetime) -> DeploymentWindow:
    """Set release ``key``'s deployment window (audited; schedule-change rules run)."""
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValidationError(
                f"the deployment {name} needs a date, a time and a time zone", field=name
            )
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    if end <= start:
        raise ValidationError("the deployment window must end after it starts", field="end")
    with ctx.write() as tx:
        rel = release_by_key(tx.session, key)
        before = {"deploy_start": rel.deploy_start, "deploy_end": rel.deploy_end}
        rel.deploy_start, rel.deploy_end = start, end
        tx.audit(
            "release",
            rel.key,
            "move",
            before=before,
            after={"deploy_start": start, "deploy_end": end},
            release_key=rel.key,
        )
        tx.rule_events.append(("on_schedule_change", rel.id))
        rules.run_pending(tx)  # the rules this write raised act in the same transaction
        tx.session.flush()
        return _deployment_window(rel)


def _deployment_window(rel: Release) -> DeploymentWindow:
    return DeploymentWindow(
        key=rel.key,
        title=rel.title,
        status=rel.status.name,
        start=rel.deploy_start,  # type: ignore[arg-type]
        end=rel.deploy_end,  # type: ignore[arg-type]
        strategy=rel.strategy.value if rel.strategy is not None else None,
        waves=list(rel.waves or []),
        rollback_plan=rel.rollback_plan,
        rollback_minutes=rel.rollback_minutes,
    )


def deployment_windows(ctx: Ctx) -> list[DeploymentWindow]:
    """Every release that has a deployment window, by start."""
    from sqlalchemy.orm import selectinload

    with ctx.read() as s:
        rows = s.execute(
            select(Release)
            .options(selectinload(Release.status))
            .where(Release.deploy_start.is_not(None), Release.deploy_end.is_not(None))
            .order_by(Release.deploy_start, Release.key)
        ).scalars()
        return [_deployment_window(r) for r in rows]
