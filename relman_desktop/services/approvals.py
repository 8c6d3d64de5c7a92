"""Approval stages of a release, their approvers and decisions, and how a stage's rule turns
decisions into an outcome (PRODUCT.md §3: any, all, majority, percent N, first response).

``stage.status`` is recomputed after every decision, so lists can show it without re-deriving;
the ``approvals_complete`` guard derives it afresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import Approval, ApprovalStage, Person, Release

from . import locking, permissions
from .base import Ctx, NotFound, Tx, ValidationError, operation, person_by_email, release_by_key

RULE_WORDS = {
    E.StageRule.ANY: "any",
    E.StageRule.ALL: "all",
    E.StageRule.MAJORITY: "majority",
    E.StageRule.PERCENT: "percent",
    E.StageRule.FIRST_RESPONSE: "first response",
}


# --- rows handed to the GUI ----------------------------------------------------------------------


@dataclass(frozen=True)
class ApproverRow:
    approval_id: int
    name: str
    email: str
    decision: str
    comment: str | None
    requested_at: dt.datetime | None
    decided_at: dt.datetime | None
    delegated_to_name: str | None
    delegated_to_email: str | None
    version: int = field(default=0, compare=False)  # the approval's row_version (``locking``)


@dataclass(frozen=True)
class StageRow:
    id: int
    position: int
    name: str
    rule: str
    percent: int | None
    status: str
    explanation: str
    approvers: list[ApproverRow] = field(default_factory=list)
    version: int = field(default=0, compare=False)  # the stage's row_version (``locking``)


# --- outcome of a stage ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Vote:
    name: str
    decision: str
    decided_at: dt.datetime | None = None
    order: int = 0


def needed_approvals(rule: str, percent: int | None, n: int) -> int:
    if rule == E.StageRule.ANY:
        return 1
    if rule == E.StageRule.ALL:
        return n
    if rule == E.StageRule.MAJORITY:
        return n // 2 + 1
    if rule == E.StageRule.PERCENT:
        return max(1, -(-(percent or 100) * n // 100))  # ceiling without floats
    raise ValueError(f"no count rule for {rule!r}")


def outcome(rule: str, percent: int | None, votes: Sequence[Vote]) -> tuple[E.StageStatus, str]:
    """The stage's status under its rule, and one sentence saying why."""
    n = len(votes)
    if n == 0:
        return E.StageStatus.PENDING, "no approvers assigned"
    approved = [v for v in votes if v.decision == E.Decision.APPROVED]
    rejected = [v for v in votes if v.decision == E.Decision.REJECTED]
    asked = [v for v in votes if v.decision == E.Decision.MORE_INFO]
    if rule == E.StageRule.FIRST_RESPONSE:
        far = dt.datetime.max.replace(tzinfo=dt.UTC)
        decided = sorted(approved + rejected, key=lambda v: (v.decided_at or far, v.order))
        if not decided:
            return E.StageStatus.PENDING, "no approver has decided yet, the first decision wins"
        first = decided[0]
        status = (
            E.StageStatus.APPROVED
            if first.decision == E.Decision.APPROVED
            else E.StageStatus.REJECTED
        )
        return status, f"{first.name} decided first: {first.decision}"
    needed = needed_approvals(rule, percent, n)
    needs = {
        E.StageRule.ANY: "any one approval is enough",
        E.StageRule.ALL: "all must approve" if n == 1 else f"all {n} must approve",
        E.StageRule.MAJORITY: f"majority needs {needed}",
        E.StageRule.PERCENT: f"{percent}% needs {needed}",
    }[E.StageRule(rule)]
    noun = "approver" if n == 1 else "approvers"
    if len(approved) >= needed:
        return E.StageStatus.APPROVED, f"{len(approved)} of {n} {noun} approved, {needs}"
    if n - len(rejected) < needed:
        names = ", ".join(v.name for v in rejected)
        return (
            E.StageStatus.REJECTED,
            f"{len(rejected)} of {n} {noun} rejected ({names}), {needs}, so the stage can no longer pass",
        )
    text = f"{len(approved)} of {n} {noun} approved, {needs}"
    if asked:
        text += "; more information asked by " + ", ".join(v.name for v in asked)
    return E.StageStatus.PENDING, text


def _who(a: Approval) -> str:
    if a.delegated_to is not None:
        return f"{a.delegated_to.name} (for {a.approver.name})"
    return a.approver.name


def votes_of(stage: ApprovalStage) -> list[Vote]:
    return [
        Vote(_who(a), E.Decision(a.decision).value, a.decided_at, a.id) for a in stage.approvals
    ]


def stage_outcome(stage: ApprovalStage) -> tuple[E.StageStatus, str]:
    """(status, explanation) of a stage from its approvals, under its rule."""
    return outcome(E.StageRule(stage.rule), stage.percent, votes_of(stage))


def refresh_stage(tx: Tx, stage: ApprovalStage) -> E.StageStatus:
    """Bring ``stage.status`` up to date; audited when it moves."""
    tx.session.flush()
    tx.session.refresh(stage, ["approvals"])
    status, why = stage_outcome(stage)
    if stage.status != status:
        before = E.StageStatus(stage.status).value
        locking.write_quietly(tx.session, stage, status=status)  # worked out: no new version
        tx.audit(
            "approval_stage",
            stage.id,
            "status",
            {"status": before},
            {"status": status.value, "why": why, "stage": stage.name},
            release_key=stage.release.key,
        )
    return status


# --- validation helpers ------------------------------------------------------------------------------


def check_rule(rule: Any, percent: Any, *, prefix: str = "") -> tuple[E.StageRule, int | None]:
    words = ", ".join(r.value for r in E.StageRule)
    try:
        value = E.StageRule(str(rule).strip().lower().replace(" ", "_"))
    except ValueError:
        raise ValidationError(
            f"Rule: {rule!r} is not one of {words}", field=f"{prefix}rule"
        ) from None
    if value == E.StageRule.PERCENT:
        if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100:
            raise ValidationError(
                f"Percent: the percent rule needs a whole number from 1 to 100, not {percent!r}",
                field=f"{prefix}percent",
            )
        return value, percent
    if percent is not None:
        raise ValidationError(
            f"Percent: only the percent rule takes a percentage (rule is {value.value})",
            field=f"{prefix}percent",
        )
    return value, None


def _clean_name(name: Any, *, field: str = "name") -> str:
    text = str(name or "").strip()
    if not text:
        raise ValidationError("Stage name must not be empty", field=field)
    return text


def _stage(tx: Tx, stage_id: int) -> ApprovalStage:
    stage = tx.session.get(ApprovalStage, stage_id)
    if stage is None:
        raise NotFound(f"no approval stage #{stage_id} in this plan")
    return stage


def _approval(tx: Tx, approval_id: int) -> Approval:
    approval = tx.session.get(Approval, approval_id)
    if approval is None:
        raise NotFound(f"no approval #{approval_id} in this plan")
    return approval


def _check_stage(tx: Tx, stage: ApprovalStage, version: int | None) -> None:
    locking.check(
        tx,
        stage,
        version,
        label=f"approval stage {stage.name} of {stage.release.key}",
        entity="approval_stage",
        entity_id=stage.id,
    )


def _stage_snapshot(stage: ApprovalStage) -> dict[str, Any]:
    return {
        "name": stage.name,
        "position": stage.position,
        "rule": E.StageRule(stage.rule).value,
        "percent": stage.percent,
        "approvers": [a.approver.email for a in stage.approvals],
    }


# --- stages --------------------------------------------------------------------------------------


def add_stage_tx(
    tx: Tx,
    release: Release,
    name: str,
    rule: Any,
    percent: int | None = None,
    approvers: Iterable[str] = (),
    position: int | None = None,
) -> ApprovalStage:
    """Add a stage inside an open transaction (templates and rules use this too)."""
    s = tx.session
    name = _clean_name(name)
    rule_value, pct = check_rule(rule, percent)
    existing = (
        s.execute(
            select(ApprovalStage)
            .where(ApprovalStage.release_id == release.id)
            .order_by(ApprovalStage.position)
        )
        .scalars()
        .all()
    )
    if any(st.name.lower() == name.lower() for st in existing):
        raise ValidationError(
            f"Stage name: {release.key} already has a stage {name!r}", field="name"
        )
    emails = list(approvers)
    people = [person_by_email(s, e, field="approvers") for e in emails]
    if len({p.id for p in people}) != len(people):
        raise ValidationError("Approvers: the same person is listed twice", field="approvers")
    if position is None or position >= len(existing):
        position = len(existing)
    position = max(0, position)
    stage = ApprovalStage(
        release=release,
        name=name,
        rule=rule_value,
        percent=pct,
        position=position,
        status=E.StageStatus.PENDING,
    )
    ordered = list(existing)
    ordered.insert(position, stage)
    _renumber(ordered)
    s.add(stage)
    for person in people:
        stage.approvals.append(Approval(approver=person, requested_at=tx.ctx.now()))
    s.flush()
    tx.audit(
        "approval_stage", stage.id, "create", None, _stage_snapshot(stage), release_key=release.key
    )
    refresh_stage(tx, stage)
    return stage


def _renumber(stages: Sequence[ApprovalStage]) -> None:
    # Positions are not unique in the schema, so stages can be renumbered in place; a place in
    # the list is not an edit of the stage (its version stays)
    for i, st in enumerate(stages):
        session = object_session(st)
        if session is None:
            st.position = i
        else:
            locking.write_quietly(session, st, position=i)


@operation
def add_stage(
    ctx: Ctx,
    key: str,
    name: str,
    rule: str = "all",
    approvers: Iterable[str] = (),
    *,
    percent: int | None = None,
    position: int | None = None,
) -> int:
    """A new approval stage (at ``position``, default last) with its approvers (e-mails)."""
    with ctx.write() as tx:
        rel = release_by_key(tx.session, key)
        return add_stage_tx(tx, rel, name, rule, percent, approvers, position).id


@operation
def rename_stage(ctx: Ctx, stage_id: int, name: str, *, version: int | None = None) -> None:
    """``version`` (here and in the other stage edits): the stage's ``row_version`` as the
    form loaded it (None: no check; see ``locking``)."""
    with ctx.write() as tx:
        stage = _stage(tx, stage_id)
        _check_stage(tx, stage, version)
        new = _clean_name(name)
        if new == stage.name:
            return
        clash = tx.session.execute(
            select(ApprovalStage.id).where(
                ApprovalStage.release_id == stage.release_id,
                func.lower(ApprovalStage.name) == new.lower(),
                ApprovalStage.id != stage.id,
            )
        ).first()
        if clash:
            raise ValidationError(
                f"Stage name: {stage.release.key} already has a stage {new!r}", field="name"
            )
        before = stage.name
        stage.name = new
        tx.audit(
            "approval_stage",
            stage.id,
            "rename",
            {"name": before},
            {"name": new},
            release_key=stage.release.key,
        )


@operation
def reorder_stages(ctx: Ctx, key: str, stage_ids: Sequence[int]) -> None:
    """Put the release's stages in this order (every stage, each once)."""
    with ctx.write() as tx:
        rel = release_by_key(tx.session, key)
        stages = {st.id: st for st in rel.stages}
        if sorted(stage_ids) != sorted(stages):
            raise ValidationError(
                f"Order: give every stage of {rel.key} exactly once ({len(stages)} stages)",
                field="order",
            )
        before = [st.name for st in sorted(stages.values(), key=lambda st: st.position)]
        _renumber([stages[i] for i in stage_ids])
        after = [stages[i].name for i in stage_ids]
        if before != after:
            tx.audit(
                "release",
                rel.key,
                "reorder_stages",
                {"stages": before},
                {"stages": after},
                release_key=rel.key,
            )


@operation
def remove_stage(ctx: Ctx, stage_id: int, *, version: int | None = None) -> None:
    with ctx.write() as tx:
        stage = _stage(tx, stage_id)
        _check_stage(tx, stage, version)
        remove_stage_tx(tx, stage)


def remove_stage_tx(tx: Tx, stage: ApprovalStage, because: str | None = None) -> None:
    """Remove a stage with its approvals inside an open transaction; audited as "delete"
    (``because``: why, when it is not the person's own edit, e.g. an undo taking back a rule)."""
    rel = stage.release
    stage_id = stage.id
    before = _stage_snapshot(stage)
    rel.stages.remove(stage)
    tx.session.delete(stage)
    _renumber(sorted(rel.stages, key=lambda st: st.position))
    after = {"because": because} if because else None
    tx.audit("approval_stage", stage_id, "delete", before, after, release_key=rel.key)


@operation
def set_stage_rule(
    ctx: Ctx, stage_id: int, rule: str, percent: int | None = None, *, version: int | None = None
) -> str:
    """Change a stage's rule; returns the stage's status under the new rule."""
    with ctx.write() as tx:
        stage = _stage(tx, stage_id)
        _check_stage(tx, stage, version)
        value, pct = check_rule(rule, percent)
        before = {"rule": E.StageRule(stage.rule).value, "percent": stage.percent}
        stage.rule, stage.percent = value, pct
        tx.audit(
            "approval_stage",
            stage.id,
            "set_rule",
            before,
            {"rule": value.value, "percent": pct},
            release_key=stage.release.key,
        )
        return refresh_stage(tx, stage).value


# --- approvers ----------------------------------------------------------------------------------------


@operation
def add_approver(ctx: Ctx, stage_id: int, email: str) -> int:
    with ctx.write() as tx:
        return add_approver_tx(tx, _stage(tx, stage_id), email).id


def add_approver_tx(tx: Tx, stage: ApprovalStage, email: str) -> Approval:
    """``add_approver`` inside an open transaction."""
    person = person_by_email(tx.session, email, field="email")
    if any(a.approver_id == person.id for a in stage.approvals):
        raise ValidationError(
            f"Approver: {person.name} is already an approver of stage {stage.name}", field="email"
        )
    approval = Approval(approver=person, requested_at=tx.ctx.now())
    stage.approvals.append(approval)
    tx.session.flush()
    tx.audit(
        "approval",
        approval.id,
        "create",
        None,
        {"stage": stage.name, "approver": person.email},
        release_key=stage.release.key,
    )
    refresh_stage(tx, stage)
    return approval


@operation
def remove_approver(ctx: Ctx, stage_id: int, email: str) -> None:
    with ctx.write() as tx:
        stage = _stage(tx, stage_id)
        approval = next((a for a in stage.approvals if a.approver.email == email), None)
        if approval is None:
            raise ValidationError(
                f"Approver: {email} is not an approver of stage {stage.name}", field="email"
            )
        before = {
            "stage": stage.name,
            "approver": email,
            "decision": E.Decision(approval.decision).value,
        }
        stage.approvals.remove(approval)
        tx.session.delete(approval)
        tx.audit("approval", approval.id, "delete", before, None, release_key=stage.release.key)
        refresh_stage(tx, stage)


# --- decisions -----------------------------------------------------------------------------------------

DECISIONS_NEEDING_COMMENT = {
    E.Decision.REJECTED: "rejecting",
    E.Decision.MORE_INFO: "asking for more information",
}


def _approval_snapshot(a: Approval) -> dict[str, Any]:
    return {
        "decision": E.Decision(a.decision).value,
        "comment": a.comment,
        "decided_at": a.decided_at,
        "delegated_to": a.delegated_to.email if a.delegated_to else None,
    }


def _who_and_where(a: Approval) -> dict[str, Any]:
    """The approver and stage, for the audit event (the History tab names them in words)."""
    return {"stage": a.stage.name, "approver": a.approver.email if a.approver else None}


def decide_tx(tx: Tx, approval: Approval, decision: E.Decision, comment: str | None) -> None:
    before = _approval_snapshot(approval)
    approval.decision = decision
    approval.comment = comment
    approval.decided_at = tx.ctx.now()
    if approval.requested_at is not None and approval.decided_at < approval.requested_at:
        approval.requested_at = approval.decided_at  # a clock set back must not break the record
    tx.audit(
        "approval",
        approval.id,
        "decide",
        before,
        {**_approval_snapshot(approval), **_who_and_where(approval)},
        release_key=approval.stage.release.key,
    )


def _check_version(tx: Tx, approval: Approval, version: int | None) -> None:
    """Refuse a decision or delegation on an approval changed since ``version`` was read."""
    locking.check(
        tx,
        approval,
        version,
        label=f"{approval.approver.email}'s approval in {approval.stage.release.key}",
        entity="approval",
        entity_id=approval.id,
    )


@operation
def decide(
    ctx: Ctx,
    approval_id: int,
    decision: str,
    comment: str | None = None,
    *,
    version: int | None = None,
) -> str:
    """Record an approver's decision; returns the stage's status afterwards. Only the
    approver or their delegate decides (``permissions``); ``version``: the approval's
    ``row_version`` as the person saw it (None: no check)."""
    try:
        value = E.Decision(decision)
    except ValueError:
        value = None
    if value is None or value == E.Decision.PENDING:
        raise ValidationError(
            f"Decision: {decision!r} is not one of approved, rejected, more_info", field="decision"
        )
    text = (comment or "").strip() or None
    if value in DECISIONS_NEEDING_COMMENT and text is None:
        raise ValidationError(
            f"Comment: a comment is required when {DECISIONS_NEEDING_COMMENT[value]}",
            field="comment",
        )
    with ctx.write() as tx:
        approval = _approval(tx, approval_id)
        permissions.require_decider(tx.identity, approval)
        _check_version(tx, approval, version)
        decide_tx(tx, approval, value, text)
        return refresh_stage(tx, approval.stage).value


@operation
def delegate(ctx: Ctx, approval_id: int, to_email: str, *, version: int | None = None) -> None:
    """Hand a pending approval to someone else, who then decides in the approver's place.
    ``version``: as for ``decide``."""
    with ctx.write() as tx:
        approval = _approval(tx, approval_id)
        _check_version(tx, approval, version)
        person = person_by_email(tx.session, to_email, field="to_email")
        stage = approval.stage
        if approval.decision != E.Decision.PENDING:
            raise ValidationError(
                f"Delegate: {approval.approver.name} has already decided ({E.Decision(approval.decision).value}); "
                "only a pending approval can be delegated",
                field="to_email",
            )
        if person.id == approval.approver_id:
            raise ValidationError(
                f"Delegate: {person.name} is the approver already", field="to_email"
            )
        if any(a.approver_id == person.id for a in stage.approvals):
            raise ValidationError(
                f"Delegate: {person.name} is already an approver of stage {stage.name}",
                field="to_email",
            )
        before = _approval_snapshot(approval)
        approval.delegated_to = person
        tx.audit(
            "approval",
            approval.id,
            "delegate",
            before,
            _approval_snapshot(approval),
            release_key=stage.release.key,
        )


def approval_state(ctx: Ctx, approval_id: int) -> dict[str, Any]:
    """What an approval holds now (decision, comment, when, delegate): taken before an edit,
    it is what ``restore_approval`` puts back on undo."""
    with ctx.read() as s:
        approval = s.get(Approval, approval_id)
        if approval is None:
            raise NotFound(f"no approval #{approval_id} in this plan")
        return _approval_snapshot(approval)


@operation
def restore_approval(ctx: Ctx, approval_id: int, state: dict[str, Any]) -> str:
    """Put an approval back as ``approval_state`` saw it (the undo of a decision or a
    delegation); audited as "restore". Returns the stage's status afterwards."""
    _decision_of(state)
    with ctx.write() as tx:
        return restore_approval_tx(tx, _approval(tx, approval_id), state)


def _decision_of(state: dict[str, Any]) -> E.Decision:
    try:
        return E.Decision(state.get("decision", "pending"))
    except ValueError:
        raise ValidationError(
            f"Decision: {state.get('decision')!r} is not a decision", field="decision"
        ) from None


def restore_approval_tx(tx: Tx, approval: Approval, state: dict[str, Any]) -> str:
    """``restore_approval`` inside an open transaction."""
    before = _approval_snapshot(approval)
    approval.decision = _decision_of(state)
    approval.comment = state.get("comment")
    decided = state.get("decided_at")
    if isinstance(decided, str):
        decided = dt.datetime.fromisoformat(decided.replace("Z", "+00:00"))
    approval.decided_at = decided
    delegate_email = state.get("delegated_to")
    approval.delegated_to = person_by_email(tx.session, delegate_email) if delegate_email else None
    tx.audit(
        "approval",
        approval.id,
        "restore",
        before,
        _approval_snapshot(approval),
        release_key=approval.stage.release.key,
    )
    return refresh_stage(tx, approval.stage).value


def reset_for_scope_change(tx: Tx, release: Release, why: str) -> int:
    """Scope changed after approval (a change added or removed): every decided approval goes
    back to pending, each reset audited. Returns how many were reset."""
    count = 0
    now = tx.ctx.now()
    stages = (
        tx.session.execute(
            select(ApprovalStage)
            .where(ApprovalStage.release_id == release.id)
            .order_by(ApprovalStage.position)
        )
        .scalars()
        .all()
    )
    for stage in stages:
        for approval in stage.approvals:
            if approval.decision == E.Decision.PENDING:
                continue
            before = _approval_snapshot(approval)
            approval.decision = E.Decision.PENDING
            approval.comment = None
            approval.decided_at = None
            approval.requested_at = now
            after = {**_approval_snapshot(approval), "why": why}
            tx.audit("approval", approval.id, "reset", before, after, release_key=release.key)
            count += 1
        refresh_stage(tx, stage)
    return count


# --- reading --------------------------------------------------------------------------------------------


def list_stages(ctx: Ctx, key: str) -> list[StageRow]:
    with ctx.read() as s:
        rel = release_by_key(s, key)
        rows = []
        for stage in sorted(rel.stages, key=lambda st: st.position):
            status, why = stage_outcome(stage)
            approvers = [
                ApproverRow(
                    approval_id=a.id,
                    name=a.approver.name,
                    email=a.approver.email,
                    decision=E.Decision(a.decision).value,
                    comment=a.comment,
                    requested_at=a.requested_at,
                    decided_at=a.decided_at,
                    delegated_to_name=a.delegated_to.name if a.delegated_to else None,
                    delegated_to_email=a.delegated_to.email if a.delegated_to else None,
                    version=a.row_version,
                )
                for a in stage.approvals
            ]
            rows.append(
                StageRow(
                    stage.id,
                    stage.position,
                    stage.name,
                    E.StageRule(stage.rule).value,
                    stage.percent,
                    status.value,
                    why,
                    approvers,
                    version=stage.row_version,
                )
            )
        return rows


def approval_id_for(ctx: Ctx, key: str, stage_name: str, email: str) -> int:
    """The approval of ``email`` in a release's stage (handy for the CLI and the CAB screen)."""
    with ctx.read() as s:
        rel = release_by_key(s, key)
        row = s.execute(
            select(Approval.id)
            .join(ApprovalStage, ApprovalStage.id == Approval.stage_id)
            .join(Person, Person.id == Approval.approver_id)
            .where(
                ApprovalStage.release_id == rel.id,
                ApprovalStage.name == stage_name,
                Person.email == email,
            )
        ).first()
        if row is None:
            stages = list(
                s.execute(
                    select(ApprovalStage.name)
                    .where(ApprovalStage.release_id == rel.id)
                    .order_by(ApprovalStage.position)
                ).scalars()
            )
            if stage_name not in stages:  # a mistyped stage is not the approver's fault
                has = f"its stages: {', '.join(stages)}" if stages else "it has no approval stages"
                raise NotFound(f"{key} has no approval stage {stage_name!r} ({has})")
            raise NotFound(f"{email} is not an approver of stage {stage_name!r} of {key}")
        return int(row[0])
