"""The scheduling assistant: free deployment slots, and moving a release's deployment window.

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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from relman_desktop.models.entities import Release

from . import conflicts as C
from .base import Ctx, ValidationError, release_by_key

__all__ = [
    "DEFAULT_DURATION",
    "DeploymentWindow",
    "Slot",
    "deployment_windows",
    "find_slots",
    "free_slots",
    "move_release",
]

DEFAULT_DURATION = dt.timedelta(hours=2)
EVENING = dt.time(20, 0)
QUARTER = dt.timedelta(minutes=15)
NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    window_title: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "window": self.window_title}


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


def _ceil(moment: dt.datetime, step: dt.timedelta = QUARTER) -> dt.datetime:
    base = moment.replace(second=0, microsecond=0)
    if base < moment:
        base += dt.timedelta(minutes=1)
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    rest = (base - epoch) % step
    return base if not rest else base + (step - rest)


def _blocked(
    index: C.PlanIndex, rel: C.RelInfo, a: dt.datetime, b: dt.datetime
) -> dt.datetime | None:
    """None when ``[a, b)`` is free for ``rel``; otherwise the earliest moment worth retrying
    from (``datetime.max`` when no later start can help)."""
    retry: dt.datetime | None = None

    def later(moment: dt.datetime) -> None:
        nonlocal retry
        retry = moment if retry is None or moment > retry else retry

    for win in index.windows_of(C.E.WindowKind.FREEZE):
        if win.hard and win.applies_to(rel):
            for _s, e in win.between(a, b):
                later(e)
    for other, _c in index.clashing_releases(rel, a, b):
        later(other.end)  # type: ignore[arg-type]
    for prereq_id in index.prerequisites(rel.id):
        pre = index.releases[prereq_id]
        if pre.active and not pre.deployed and a < pre.end:  # type: ignore[operator]
            later(pre.end)  # type: ignore[arg-type]
    for release_id in index.dependents(rel.id):
        dep = index.releases[release_id]
        if dep.active and dep.start < b:  # type: ignore[operator]
            return NEVER
    return retry


def _holds_all(
    index: C.PlanIndex, required: list[C.CIInfo], a: dt.datetime, b: dt.datetime
) -> bool:
    for ci in required:
        if not any(win.holding(a, b) for win in index.maintenance_for(ci)):
            return False
    return True


def find_slots(
    index: C.PlanIndex,
    rel: C.RelInfo,
    *,
    count: int = 3,
    days: int = 30,
    start: dt.datetime,
    duration: dt.timedelta | None = None,
) -> list[Slot]:
    """The next ``count`` free slots for ``rel`` within ``days`` of ``start`` (see module doc)."""
    if duration is None:
        duration = rel.end - rel.start if rel.scheduled else DEFAULT_DURATION  # type: ignore[operator]
    begin = _ceil(start)
    until = start + dt.timedelta(days=days)
    required = index.required_cis(rel)
    slots: list[Slot] = []
    if required:
        occurrences: set[tuple[dt.datetime, dt.datetime, str]] = set()
        for ci in required:
            for win in index.maintenance_for(ci):
                for s, e in win.between(begin, until):
                    occurrences.add((s, e, win.title))
        for s, e, title in sorted(occurrences):
            if slots and s < slots[-1].end:
                continue  # one slot per occurrence, never overlapping the previous one
            t = max(_ceil(s, dt.timedelta(minutes=1)), begin)
            while t + duration <= e and t + duration <= until:
                if not _holds_all(index, required, t, t + duration):
                    break
                retry = _blocked(index, rel, t, t + duration)
                if retry is None:
                    slots.append(Slot(t, t + duration, title))
                    break
                if retry == NEVER:
                    return slots
                t = max(_ceil(retry, dt.timedelta(minutes=1)), t + dt.timedelta(minutes=1))
            if len(slots) >= count:
                break
        return slots
    tz = index.display_tz
    day = begin.astimezone(tz).date()
    while len(slots) < count:
        t = dt.datetime.combine(day, EVENING, tzinfo=tz).astimezone(dt.UTC)
        if t + duration > until:
            break
        if day.weekday() < 5 and t >= begin and _blocked(index, rel, t, t + duration) is None:
            slots.append(Slot(t, t + duration, None))
        day += dt.timedelta(days=1)
    return slots


def free_slots(
    ctx: Ctx, key: str, count: int = 3, days: int = 30, start: dt.datetime | None = None
) -> list[Slot]:
    """The next ``count`` free deployment slots for release ``key`` within ``days`` from
    ``start`` (default: now)."""
    if count < 1:
        raise ValidationError("ask for at least one slot", field="count")
    if days < 1:
        raise ValidationError("search at least one day ahead", field="days")
    if start is not None and start.tzinfo is None:
        raise ValidationError("the search start needs a time zone", field="start")
    with ctx.read() as s:
        index = C.load_index(s)
        rel = index.by_key.get(key)
        if rel is None:
            release_by_key(s, key)  # raises NotFound naming the key
        assert rel is not None
        return find_slots(index, rel, count=count, days=days, start=start or ctx.now())


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
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    with ctx.read() as s:
        rows = s.execute(
            select(Release)
            .options(selectinload(Release.status))
            .where(Release.deploy_start.is_not(None), Release.deploy_end.is_not(None))
            .order_by(Release.deploy_start, Release.key)
        ).scalars()
        return [_deployment_window(r) for r in rows]
