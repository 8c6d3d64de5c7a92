"""Bundling changes: only approved ones, and approvals reset when the scope changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from relman_desktop.models.entities import Approval
from relman_desktop.services import approvals, changes, people, releases
from relman_desktop.services.base import Ctx, ValidationError


@pytest.fixture
def setup(ctx: Ctx) -> Ctx:
    people.create_person(
        ctx, {"email": "cab@example.com", "name": "Carla Board", "roles": ["cab_member"]}
    )
    releases.create_release(ctx, {"key": "REL-1", "title": "Billing 2.4", "type": "minor"})
    for key, approval in (("CHG-1", "approved"), ("CHG-2", "approved"), ("CHG-3", "pending")):
        changes.create_change(
            ctx,
            {
                "key": key,
                "title": f"Change {key}",
                "type": "normal",
                "category": "feature",
                "approval": approval,
            },
        )
    return ctx


def test_only_approved_changes_can_be_bundled(setup: Ctx) -> None:
    ctx = setup
    changes.bundle_change(ctx, "CHG-1", "REL-1")
    with pytest.raises(
        ValidationError, match="CHG-3 is pending, and only approved changes can be bundled"
    ):
        changes.bundle_change(ctx, "CHG-3", "REL-1")
    assert [c.key for c in changes.list_changes(ctx, "REL-1")] == ["CHG-1"]
    assert (
        changes.get_change(ctx, "CHG-3").bundle_refusal
        == "CHG-3 is pending, and only approved changes can be bundled"
    )


def test_change_already_in_another_release_is_refused(setup: Ctx) -> None:
    ctx = setup
    releases.create_release(ctx, {"key": "REL-2", "title": "Other", "type": "patch"})
    changes.bundle_change(ctx, "CHG-1", "REL-1")
    with pytest.raises(
        ValidationError, match="CHG-1 is already bundled into REL-1; remove it there first"
    ):
        changes.bundle_change(ctx, "CHG-1", "REL-2")


def test_scope_change_after_approval_resets_the_approvals(setup: Ctx) -> None:
    ctx = setup
    changes.bundle_change(ctx, "CHG-1", "REL-1")
    stage_id = approvals.add_stage(ctx, "REL-1", "CAB", "any")
    approvals.add_approver(ctx, stage_id, "cab@example.com")
    with ctx.read() as s:
        approval_id = s.execute(select(Approval.id)).scalar_one()
    approvals.decide(ctx, approval_id, "approved", "fine")
    changes.bundle_change(ctx, "CHG-2", "REL-1")
    with ctx.read() as s:
        assert s.execute(select(Approval.decision)).scalar_one().value == "pending"
    approvals.decide(ctx, approval_id, "approved", "fine again")
    assert changes.unbundle_change(ctx, "CHG-2") == "REL-1"
    with ctx.read() as s:
        assert s.execute(select(Approval.decision)).scalar_one().value == "pending"
