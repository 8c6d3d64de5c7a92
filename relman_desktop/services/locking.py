"""Optimistic locking (team mode, issue 12): a write made against an old copy is refused.

Every record people edit in a form (releases, tasks, approvals and approval stages, changes,
windows, CAB meetings and their agenda items' decisions, workflow states and transitions,
people, CIs, templates, rules, deployments, reviews) carries ``row_version``, bumped by every update (SQLAlchemy's
``version_id_col``). A form remembers the version it loaded (``version_of``) and hands it to
the update (``version=``); when someone else changed the record since, the update is refused
with one line naming who and when, from the audit trail — "REL-2026-014 was changed by
ana@example.com at 10:42; reload and try again" — and nothing is written.

The version is read with ``SELECT … FOR UPDATE`` (a no-op on SQLite, whose writer holds the
whole file), so on a server two writers of the same row cannot both pass the check.
Two transactions that updated the same row without a version (a script, last writer wins)
still cannot interleave: the second one's UPDATE finds the version moved and is refused with
``ConcurrentEdit`` (see ``base.Ctx.write``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from relman_desktop.models.entities import (
    Approval,
    ApprovalStage,
    AuditEvent,
    CabAgendaItem,
    CabMeeting,
    CalendarWindow,
    Change,
    ConfigurationItem,
    Deployment,
    Person,
    PlanMeta,
    Release,
    Review,
    Rule,
    Task,
    Template,
    WorkflowState,
    WorkflowTransition,
)

from .base import ConcurrentEdit, Ctx, NotFound, StaleVersion, Tx

__all__ = [
    "ConcurrentEdit",
    "StaleVersion",
    "check",
    "stale_message",
    "version_of",
    "write_quietly",
]


def _release_task(s: Session, ident: Any) -> Any:
    key, local_id = ident
    return (
        select(Task)
        .join(Release, Release.id == Task.release_id)
        .where(Release.key == key, Task.local_id == local_id)
    )


# entity (as the audit trail names it) → (class, how to find one by the id a caller holds)
_FINDERS: dict[str, tuple[type, Any]] = {
    "release": (Release, lambda s, key: select(Release).where(Release.key == key)),
    "task": (Task, _release_task),
    "change": (Change, lambda s, key: select(Change).where(Change.key == key)),
    "approval": (Approval, lambda s, i: select(Approval).where(Approval.id == int(i))),
    "calendar_window": (
        CalendarWindow,
        lambda s, i: select(CalendarWindow).where(CalendarWindow.id == int(i)),
    ),
    "cab_meeting": (CabMeeting, lambda s, i: select(CabMeeting).where(CabMeeting.id == int(i))),
    "workflow_state": (
        WorkflowState,
        lambda s, name: select(WorkflowState).where(WorkflowState.name == name),
    ),
    "workflow_transition": (
        WorkflowTransition,
        lambda s, i: select(WorkflowTransition).where(WorkflowTransition.id == int(i)),
    ),
    "person": (Person, lambda s, email: select(Person).where(Person.email == email)),
    "ci": (
        ConfigurationItem,
        lambda s, n: select(ConfigurationItem).where(ConfigurationItem.name == n),
    ),
    "approval_stage": (
        ApprovalStage,
        lambda s, i: select(ApprovalStage).where(ApprovalStage.id == int(i)),
    ),
    "deployment": (Deployment, lambda s, i: select(Deployment).where(Deployment.id == int(i))),
    # a release's review, by the release's key
    "review": (
        Review,
        lambda s, key: (
            select(Review).join(Release, Release.id == Review.release_id).where(Release.key == key)
        ),
    ),
    "template": (Template, lambda s, name: select(Template).where(Template.name == name)),
    "rule": (Rule, lambda s, i: select(Rule).where(Rule.id == int(i))),
    "cab_item": (
        CabAgendaItem,
        lambda s, i: select(CabAgendaItem).where(CabAgendaItem.id == int(i)),
    ),
}


def version_of(ctx: Ctx, entity: str, ident: Any) -> int:
    """The version of a record now: what a form keeps to hand back with its update.

    ``entity`` is the audit trail's name ("release", "task", "change", "approval",
    "approval_stage", "calendar_window", "cab_meeting", "cab_item", "workflow_state",
    "workflow_transition", "person", "ci", "template", "rule", "deployment", "review");
    ``ident`` is the key, id or name the services take (a task: ``(release_key, local_id)``,
    a review: its release's key)."""
    cls, finder = _FINDERS[entity]
    with ctx.read() as s:
        obj = s.execute(finder(s, ident)).scalar_one_or_none()
        if obj is None:
            raise NotFound(f"no {entity.replace('_', ' ')} {ident!r} in this plan")
        return int(obj.row_version)


def check(
    tx: Tx,
    obj: Any,
    expected: int | None,
    *,
    label: str,
    entity: str,
    entity_id: Any,
) -> None:
    """Refuse the write when ``obj`` is no longer at version ``expected`` (None: no check).

    ``label`` names the record in the message ("REL-2026-014", "task T3 of REL-2026-014");
    ``entity``/``entity_id`` find its last audit event (who changed it, and when)."""
    if expected is None:
        return
    session = tx.session
    cls = type(obj)
    current = session.execute(
        select(cls.row_version).where(cls.id == obj.id).with_for_update()
    ).scalar_one()
    if current == expected:
        if obj.row_version != current:  # loaded before another writer committed
            session.refresh(obj)
        return
    raise StaleVersion(stale_message(session, label, entity, str(entity_id), tx.ctx.now()))


def write_quietly(session: Session, obj: Any, **values: Any) -> None:
    """Set columns that are worked out or positional (a stage's status, its place in a list)
    without moving the record's version: a form that loaded the record is not refused because
    an approver decided or someone reordered the list; what people type still moves it."""
    if not inspect(obj).persistent:
        for name, value in values.items():
            setattr(obj, name, value)
        return
    if all(getattr(obj, name) == value for name, value in values.items()):
        return
    table = type(obj).__table__
    with session.no_autoflush:  # pending edits of the record are flushed (versioned) as usual
        session.execute(update(table).where(table.c.id == obj.id).values(**values))
    for name, value in values.items():
        set_committed_value(obj, name, value)


def stale_message(
    session: Session, label: str, entity: str, entity_id: str, now: dt.datetime
) -> str:
    """The refusal: "<label> was changed by <actor> at <local time>; reload and try again"."""
    last = session.execute(
        select(AuditEvent.actor, AuditEvent.at)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    if last is None:
        return f"{label} was changed by someone else; reload and try again"
    when = _local(session, last.at, now)
    return f"{label} was changed by {last.actor} at {when}; reload and try again"


def _local(session: Session, at: dt.datetime, now: dt.datetime) -> str:
    """The time in the plan's zone (else the machine's), as every view shows times."""
    from .plan_zone import machine_zone_name

    zone_row = session.get(PlanMeta, "timezone")
    try:
        zone = ZoneInfo(zone_row.value if zone_row is not None else machine_zone_name())
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    local = at.astimezone(zone)
    today = now.astimezone(zone).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")
