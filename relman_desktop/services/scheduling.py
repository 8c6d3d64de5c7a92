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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from relman_desktop.models.entities import Release

from . import plan_index as C
from . import rules
from .base import Ctx, ValidationError, release_by_key
from .slots import DEFAULT_DURATION, Slot, find_slots

__all__ = [
    "DEFAULT_DURATION",
    "DeploymentWindow",
    "Slot",
    "deployment_windows",
    "find_slots",
    "free_slots",
    "move_release",
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
        row = release_by_key(s, key)  # raises NotFound naming the key
        start = start or ctx.now()
        # only what can block this release in the searched days (plan_index.Focus)
        index = C.load_index(s, row.id, spans=[(start, start + dt.timedelta(days=days))])
        rel = index.by_key[key]
        return find_slots(index, rel, count=count, days=days, start=start)


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
