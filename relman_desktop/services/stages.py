"""A release's approval stages addressed by name: how the undo stack names a stage, since a stage
removed and put back comes back with a new id. Each operation resolves the name and acts in the
approvals service; putting back a removed stage with its approvers' decisions is one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from relman_desktop.models.entities import ApprovalStage

from . import approvals
from .base import Ctx, NotFound, operation, release_by_key


def stage_id(ctx: Ctx, key: str, name: str) -> int:
    for st in approvals.list_stages(ctx, key):
        if st.name.lower() == name.lower():
            return st.id
    raise NotFound(f"{key} has no approval stage {name!r} any more")


@operation
def add_stage(
    ctx: Ctx,
    key: str,
    name: str,
    rule: str,
    approvers: Sequence[str] = (),
    percent: int | None = None,
    position: int | None = None,
) -> str:
    approvals.add_stage(ctx, key, name, rule, list(approvers), percent=percent, position=position)
    return name


@operation
def remove_stage(ctx: Ctx, key: str, name: str, *, version: int | None = None) -> None:
    approvals.remove_stage(ctx, stage_id(ctx, key, name), version=version)


@operation
def rename_stage(ctx: Ctx, key: str, name: str, new: str, *, version: int | None = None) -> None:
    """``version`` (here and below): the stage's (or the approval's) ``row_version`` as the
    form loaded it; None: no check."""
    approvals.rename_stage(ctx, stage_id(ctx, key, name), new, version=version)


@operation
def reorder_stages(ctx: Ctx, key: str, names: Sequence[str]) -> None:
    approvals.reorder_stages(ctx, key, [stage_id(ctx, key, n) for n in names])


@operation
def set_rule(
    ctx: Ctx,
    key: str,
    name: str,
    rule: str,
    percent: int | None = None,
    *,
    version: int | None = None,
) -> str:
    return approvals.set_stage_rule(ctx, stage_id(ctx, key, name), rule, percent, version=version)


@operation
def add_approver(ctx: Ctx, key: str, stage: str, email: str) -> int:
    return approvals.add_approver(ctx, stage_id(ctx, key, stage), email)


@operation
def remove_approver(ctx: Ctx, key: str, stage: str, email: str) -> None:
    approvals.remove_approver(ctx, stage_id(ctx, key, stage), email)


@operation
def decide(
    ctx: Ctx,
    key: str,
    stage: str,
    email: str,
    decision: str,
    comment: str | None,
    *,
    version: int | None = None,
) -> str:
    return approvals.decide(
        ctx, approvals.approval_id_for(ctx, key, stage, email), decision, comment, version=version
    )


@operation
def delegate(
    ctx: Ctx, key: str, stage: str, email: str, to_email: str, *, version: int | None = None
) -> None:
    approvals.delegate(
        ctx, approvals.approval_id_for(ctx, key, stage, email), to_email, version=version
    )


@operation
def restore(ctx: Ctx, key: str, stage: str, email: str, state: dict[str, Any]) -> str:
    return approvals.restore_approval(ctx, approvals.approval_id_for(ctx, key, stage, email), state)


def _decided(state: dict[str, Any]) -> bool:
    return state.get("decision") != "pending" or bool(state.get("delegated_to"))


@operation
def readd_stage(
    ctx: Ctx,
    key: str,
    name: str,
    rule: str,
    approvers: Sequence[str],
    percent: int | None,
    position: int | None,
    states: dict[str, dict[str, Any]],
) -> str:
    """Undo of removing a stage: the stage, its approvers and each one's decision, in one
    transaction (all of it comes back, or none)."""
    with ctx.write() as tx:
        rel = release_by_key(tx.session, key)
        stage: ApprovalStage = approvals.add_stage_tx(
            tx, rel, name, rule, percent, list(approvers), position
        )
        tx.session.flush()
        by_email = {a.approver.email: a for a in stage.approvals}
        for email, state in states.items():
            if _decided(state) and email in by_email:
                approvals.restore_approval_tx(tx, by_email[email], state)
    return name


@operation
def readd_approver(ctx: Ctx, key: str, stage: str, email: str, state: dict[str, Any]) -> None:
    """Undo of removing an approver: the approver and their decision, in one transaction."""
    with ctx.write() as tx:
        rel = release_by_key(tx.session, key)
        row = tx.session.execute(
            select(ApprovalStage).where(
                ApprovalStage.release_id == rel.id, ApprovalStage.name == stage
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"{key} has no approval stage {stage!r} any more")
        approval = approvals.add_approver_tx(tx, row, email)
        if _decided(state):
            approvals.restore_approval_tx(tx, approval, state)
