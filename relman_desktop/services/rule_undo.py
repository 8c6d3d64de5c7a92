"""Taking back what the rules did on a move, when the move is undone (docs/changes-and-undo.md §3).

A transition's transaction records, in order: any guard overrides, the ``transition`` event,
the dates the move filled in (``record_dates``), then, for each rule that fired, the events of
its actions followed by the rule's own ``fired`` event (which names it). ``take_back`` reads
that transaction's events back by their audit sequence numbers and undoes each rule effect,
latest first, inside the undo's transaction:

- ``add_stage``: the stage is removed with its approvals ("delete", ``because`` says why);
  refused when one of its approvals has been decided on since.
- ``auto_approve_stage``: each approval it decided goes back to what it was ("restore"), the
  stage's status follows; refused when that approval changed since. On a stage the same move
  added, the approvals go with the stage.
- ``set_field``: the field goes back to its value before the move ("update"); refused when it
  holds another value than the rule set.
- ``assign_phase``: each task goes back to its assignee before ("update"); refused when it has
  been given to someone else since.
- ``require_test``: the kind of test the rule added is no longer required ("update"); if it
  was dropped since, there is nothing to take back.

"Since" is judged by value, not by whether anything was written in between: an edit made and
undone again (a decision taken back) leaves nothing to refuse. An approval is as the move left
it while its decision, comment and delegate are. An effect whose row is gone (a stage or a task
deleted since) has nothing left to take back.
A refusal raises ``UndoRefused`` with one line saying what changed since; the transaction rolls
back, so nothing is written and the same undo applies once that change is taken back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    Approval,
    ApprovalStage,
    AuditEvent,
    Person,
    Release,
    Task,
)

from .approvals import remove_stage_tx, restore_approval_tx
from .base import Tx, UndoRefused, jsonable

# Audit events a rule's action writes that follow from another (a stage's status is worked out
# from its approvals): taking back their cause takes them back.
_DERIVED = {("approval_stage", "status")}


@dataclass(frozen=True)
class Effect:
    """One audit event a rule's action wrote during the move, and the rule's name."""

    rule: str
    event: AuditEvent


def rule_effects(s: Session, key: str, first: int, last: int) -> list[Effect]:
    """The rule effects of the move of ``key`` recorded in audit events ``first``..``last`` (one
    transition's transaction), in the order they happened."""
    rows = (
        s.execute(
            select(AuditEvent)
            .where(AuditEvent.seq >= first, AuditEvent.seq <= last)
            .order_by(AuditEvent.seq)
        )
        .scalars()
        .all()
    )
    effects: list[Effect] = []
    moved = False
    pending: list[AuditEvent] = []
    for ev in rows:
        if not moved:
            moved = (ev.entity, ev.entity_id, ev.action) == ("release", key, "transition")
            continue
        if ev.entity == "rule":
            if ev.action == "fired":  # the events since the last rule are this rule's doing
                name = str((ev.after or {}).get("rule") or f"#{ev.entity_id}")
                effects += [Effect(name, e) for e in pending]
                pending = []
            continue
        if (ev.entity, ev.action) in _DERIVED or (ev.entity, ev.action) == (
            "release",
            "record_dates",
        ):
            continue
        pending.append(ev)
    return effects


def take_back(tx: Tx, key: str, first: int, last: int, what: str) -> int:
    """Undo the rule effects of the move recorded in events ``first``..``last`` (``what``: the
    move, for the audit trail and refusals). Returns how many effects were taken back; raises
    ``UndoRefused`` (nothing written) when one changed since."""
    s = tx.session
    effects = rule_effects(s, key, first, last)
    if not effects:
        return 0
    rel = s.execute(select(Release).where(Release.key == key)).scalar_one()
    added = {
        int(e.event.entity_id)
        for e in effects
        if (e.event.entity, e.event.action) == ("approval_stage", "create")
    }
    left = {  # what the move left each approval it decided as (the latest decision wins)
        int(e.event.entity_id): _decision(e.event.after or {})
        for e in effects
        if (e.event.entity, e.event.action) == ("approval", "decide")
    }
    because = f"undo of {what}"
    done = 0
    for effect in reversed(effects):
        ev = effect.event
        kind = (ev.entity, ev.action)
        if kind == ("approval_stage", "create"):
            done += _remove_stage(tx, rel, effect, left, because)
        elif kind == ("approval", "decide"):
            done += _restore_decision(tx, rel, effect, added)
        elif kind == ("task", "update") and "assignee" in (ev.after or {}):
            done += _restore_assignee(tx, rel, effect)
        elif kind == ("release", "update") and "required_tests" in (ev.after or {}):
            done += _unrequire(tx, rel, effect)
        elif kind == ("release", "update") and len(ev.after or {}) == 1:
            done += _restore_field(tx, rel, effect)
        else:
            raise UndoRefused(
                f"the rule '{effect.rule}' did “{ev.action} {ev.entity} {ev.entity_id}”, which "
                f"cannot be taken back; move {key} back through its lifecycle instead"
            )
    return done


# --- each kind of effect ------------------------------------------------------------------------


def _decision(snapshot: dict[str, Any]) -> tuple[Any, ...]:
    """What "changed since" compares for an approval: the decision, its comment, the delegate."""
    return (snapshot.get("decision"), snapshot.get("comment"), snapshot.get("delegated_to"))


def _now(a: Approval) -> tuple[Any, ...]:
    delegate = a.delegated_to.email if a.delegated_to is not None else None
    return (E.Decision(a.decision).value, a.comment, delegate)


def _decider(a: Approval) -> str:
    return a.delegated_to.name if a.delegated_to is not None else a.approver.name


def _remove_stage(
    tx: Tx, rel: Release, effect: Effect, left: dict[int, tuple[Any, ...]], because: str
) -> int:
    s = tx.session
    stage = s.get(ApprovalStage, int(effect.event.entity_id))
    if stage is None or stage.release_id != rel.id:
        return 0  # removed since: nothing left to take back
    for approval in stage.approvals:
        decided = E.Decision(approval.decision) != E.Decision.PENDING
        if decided and left.get(approval.id) != _now(approval):  # not as the move's rules left it
            raise UndoRefused(
                f"the {stage.name} stage the rule '{effect.rule}' added has a decision by "
                f"{_decider(approval)} since; take that decision back first, or move {rel.key} "
                "back through its lifecycle (the stage then stays)"
            )
    remove_stage_tx(tx, stage, because=f"{because}: added by rule '{effect.rule}'")
    return 1


def _restore_decision(tx: Tx, rel: Release, effect: Effect, added_stages: set[int]) -> int:
    s = tx.session
    ev = effect.event
    approval = s.get(Approval, int(ev.entity_id))
    if approval is None or approval.stage.release_id != rel.id:
        return 0  # the approver (or the stage) was removed since
    if approval.stage_id in added_stages:
        return 0  # the stage the same move added goes, with its approvals
    if _now(approval) != _decision(ev.after or {}):
        now = E.Decision(approval.decision).value
        raise UndoRefused(
            f"{approval.approver.name}'s approval in the {approval.stage.name} stage, which the "
            f"rule '{effect.rule}' gave, has changed since (it is {now} now); take that back "
            f"first, or move {rel.key} back through its lifecycle (the approval then stays)"
        )
    restore_approval_tx(tx, approval, dict(ev.before or {}))  # the stage's status follows
    return 1


def _task(s: Session, rel: Release, entity_id: str) -> Task | None:
    # the rules write a task's database id; the task services write "KEY/T1"
    if "/" in entity_id:
        local = entity_id.rsplit("/", 1)[1]
        return s.execute(
            select(Task).where(Task.release_id == rel.id, Task.local_id == local)
        ).scalar_one_or_none()
    task = s.get(Task, int(entity_id))
    return task if task is not None and task.release_id == rel.id else None


def _restore_assignee(tx: Tx, rel: Release, effect: Effect) -> int:
    s = tx.session
    ev = effect.event
    task = _task(s, rel, ev.entity_id)
    if task is None:
        return 0  # deleted since
    set_to = (ev.after or {}).get("assignee")
    was = (ev.before or {}).get("assignee")
    now = task.assignee.email if task.assignee is not None else None
    if now != set_to:
        raise UndoRefused(
            f"the task “{task.title}” the rule '{effect.rule}' assigned to {set_to} is assigned "
            f"to {now or 'nobody'} now; move {rel.key} back through its lifecycle instead"
        )
    person = None
    if was is not None:
        person = s.execute(select(Person).where(Person.email == was)).scalar_one_or_none()
        if person is None:
            raise UndoRefused(
                f"the task “{task.title}” the rule '{effect.rule}' assigned was {was}'s, who is no "
                f"longer in the plan; move {rel.key} back through its lifecycle instead"
            )
    task.assignee = person
    tx.audit(
        "task", ev.entity_id, "update", {"assignee": now}, {"assignee": was}, release_key=rel.key
    )
    return 1


def _unrequire(tx: Tx, rel: Release, effect: Effect) -> int:
    ev = effect.event
    had = list((ev.before or {}).get("required_tests") or [])
    added = [k for k in (ev.after or {}).get("required_tests") or [] if k not in had]
    now = list(rel.required_tests or [])
    kept = [k for k in now if k not in added]
    if kept == now:
        return 0  # no longer required: dropped since
    rel.required_tests = kept  # a new list, so the JSON column is saved
    tx.audit(
        "release",
        rel.key,
        "update",
        {"required_tests": now},
        {"required_tests": kept},
        release_key=rel.key,
    )
    return 1


def _restore_field(tx: Tx, rel: Release, effect: Effect) -> int:
    ev = effect.event
    [(name, set_to)] = (ev.after or {}).items()
    was = (ev.before or {}).get(name)
    now = jsonable(getattr(rel, name))
    if now != set_to:
        raise UndoRefused(
            f"the {name} the rule '{effect.rule}' set to {set_to} is {now} now (changed since); "
            f"move {rel.key} back through its lifecycle instead"
        )
    value: Any = was
    if name in ("priority", "risk"):
        value = E.Level(str(was))
    elif name == "strategy" and was is not None:
        value = E.StrategyKind(was)
    setattr(rel, name, value)
    tx.audit("release", rel.key, "update", {name: now}, {name: was}, release_key=rel.key)
    return 1
