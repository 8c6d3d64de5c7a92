"""Approval stages: every rule's outcome and explanation, decisions, delegation, editing, reset."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers_builders import (  # noqa: F401  (plan, plan_template: fixtures)
    make_person,
    make_ready_release,
    plan,
    plan_template,
)
from sqlalchemy import select

from relman_desktop.models.entities import AuditEvent
from relman_desktop.services import approvals as A
from relman_desktop.services.approvals import Vote, outcome
from relman_desktop.services.base import NotFound, ValidationError, release_by_key

KEY = "REL-2026-020"
ANN, BOB, CY, DEE = "ann@example.com", "bob@example.com", "cy@example.com", "dee@example.com"
T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def release(ctx):
    for email, name in [(ANN, "Ann"), (BOB, "Bob"), (CY, "Cy"), (DEE, "Dee")]:
        make_person(ctx, email, name)
    return make_ready_release(ctx, KEY)


def votes(*decisions):
    names = ["Ann", "Bob", "Cy", "Dee", "Eve"]
    return [
        Vote(names[i], d, T0 + dt.timedelta(minutes=i) if d != "pending" else None, i)
        for i, d in enumerate(decisions)
    ]


# --- every rule, as a pure function ------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, percent, decisions, status, why",
    [
        (
            "any",
            None,
            ["pending", "pending"],
            "pending",
            "0 of 2 approvers approved, any one approval is enough",
        ),
        (
            "any",
            None,
            ["pending", "approved"],
            "approved",
            "1 of 2 approvers approved, any one approval is enough",
        ),
        (
            "any",
            None,
            ["rejected", "pending"],
            "pending",
            "0 of 2 approvers approved, any one approval is enough",
        ),
        (
            "any",
            None,
            ["rejected", "rejected"],
            "rejected",
            "2 of 2 approvers rejected (Ann, Bob), any one approval is enough, so the stage can no longer pass",
        ),
        (
            "all",
            None,
            ["approved", "pending", "approved"],
            "pending",
            "2 of 3 approvers approved, all 3 must approve",
        ),
        (
            "all",
            None,
            ["approved", "approved", "approved"],
            "approved",
            "3 of 3 approvers approved, all 3 must approve",
        ),
        (
            "all",
            None,
            ["approved", "rejected", "pending"],
            "rejected",
            "1 of 3 approvers rejected (Bob), all 3 must approve, so the stage can no longer pass",
        ),
        (
            "majority",
            None,
            ["approved", "pending", "pending"],
            "pending",
            "1 of 3 approvers approved, majority needs 2",
        ),
        (
            "majority",
            None,
            ["approved", "pending", "approved"],
            "approved",
            "2 of 3 approvers approved, majority needs 2",
        ),
        (
            "majority",
            None,
            ["approved", "approved", "pending", "pending"],
            "pending",
            "2 of 4 approvers approved, majority needs 3",
        ),
        (
            "majority",
            None,
            ["rejected", "pending", "rejected"],
            "rejected",
            "2 of 3 approvers rejected (Ann, Cy), majority needs 2, so the stage can no longer pass",
        ),
        (
            "percent",
            75,
            ["approved", "approved", "pending", "pending"],
            "pending",
            "2 of 4 approvers approved, 75% needs 3",
        ),
        (
            "percent",
            75,
            ["approved", "approved", "approved", "rejected"],
            "approved",
            "3 of 4 approvers approved, 75% needs 3",
        ),
        (
            "percent",
            50,
            ["approved", "rejected", "pending", "pending"],
            "pending",
            "1 of 4 approvers approved, 50% needs 2",
        ),
        (
            "percent",
            60,
            ["rejected", "rejected", "pending"],
            "rejected",
            "2 of 3 approvers rejected (Ann, Bob), 60% needs 2, so the stage can no longer pass",
        ),
        (
            "first_response",
            None,
            ["pending", "pending"],
            "pending",
            "no approver has decided yet, the first decision wins",
        ),
        (
            "first_response",
            None,
            ["pending", "rejected", "approved"],
            "rejected",
            "Bob decided first: rejected",
        ),
        (
            "first_response",
            None,
            ["approved", "rejected"],
            "approved",
            "Ann decided first: approved",
        ),
        (
            "first_response",
            None,
            ["more_info", "pending"],
            "pending",
            "no approver has decided yet, the first decision wins",
        ),
        ("all", None, [], "pending", "no approvers assigned"),
    ],
)
def test_stage_rules(rule, percent, decisions, status, why):
    assert outcome(rule, percent, votes(*decisions)) == (status, why)


def test_more_info_keeps_the_stage_pending_and_says_who_asked():
    assert outcome("majority", None, votes("approved", "more_info", "pending")) == (
        "pending",
        "1 of 3 approvers approved, majority needs 2; more information asked by Bob",
    )


def test_first_response_goes_by_decision_time_not_list_order():
    later_first = [
        Vote("Ann", "approved", T0 + dt.timedelta(hours=2), 0),
        Vote("Bob", "rejected", T0, 1),
    ]
    assert outcome("first_response", None, later_first) == (
        "rejected",
        "Bob decided first: rejected",
    )


# --- stages through the service ------------------------------------------------------------------------


def test_add_stage_with_approvers_and_list(ctx, release):
    A.add_stage(ctx, KEY, "QA sign-off", "any", [ANN])
    A.add_stage(ctx, KEY, "CAB", "majority", [ANN, BOB, CY])
    rows = A.list_stages(ctx, KEY)
    assert [(r.position, r.name, r.rule, r.status, r.explanation) for r in rows] == [
        (
            0,
            "QA sign-off",
            "any",
            "pending",
            "0 of 1 approver approved, any one approval is enough",
        ),
        (1, "CAB", "majority", "pending", "0 of 3 approvers approved, majority needs 2"),
    ]
    assert [(a.name, a.email, a.decision, a.requested_at) for a in rows[1].approvers] == [
        ("Ann", ANN, "pending", T0),
        ("Bob", BOB, "pending", T0),
        ("Cy", CY, "pending", T0),
    ]


def test_add_stage_refusals(ctx, release):
    A.add_stage(ctx, KEY, "CAB", "all", [ANN])
    with pytest.raises(ValidationError) as dup:
        A.add_stage(ctx, KEY, "cab", "all", [BOB])
    assert (str(dup.value), dup.value.field) == (
        "Stage name: REL-2026-020 already has a stage 'cab'",
        "name",
    )
    with pytest.raises(ValidationError) as pct:
        A.add_stage(ctx, KEY, "Business", "percent", [ANN])
    assert (
        str(pct.value) == "Percent: the percent rule needs a whole number from 1 to 100, not None"
    )
    with pytest.raises(ValidationError) as bad_rule:
        A.add_stage(ctx, KEY, "Business", "most", [ANN])
    assert (
        str(bad_rule.value)
        == "Rule: 'most' is not one of any, all, majority, percent, first_response"
    )
    with pytest.raises(ValidationError) as who:
        A.add_stage(ctx, KEY, "Business", "any", ["nobody@example.com"])
    assert (str(who.value), who.value.field) == ("unknown person 'nobody@example.com'", "approvers")
    with pytest.raises(ValidationError) as empty:
        A.add_stage(ctx, KEY, "  ", "any", [ANN])
    assert str(empty.value) == "Stage name must not be empty"


def test_rename_reorder_remove_and_set_rule(ctx, release):
    qa = A.add_stage(ctx, KEY, "QA", "any", [ANN])
    cab = A.add_stage(ctx, KEY, "CAB", "all", [ANN, BOB])
    biz = A.add_stage(ctx, KEY, "Business", "any", [CY])
    A.rename_stage(ctx, qa, "QA sign-off")
    A.reorder_stages(ctx, KEY, [cab, biz, qa])
    assert [(r.position, r.name) for r in A.list_stages(ctx, KEY)] == [
        (0, "CAB"),
        (1, "Business"),
        (2, "QA sign-off"),
    ]
    with pytest.raises(ValidationError) as bad_order:
        A.reorder_stages(ctx, KEY, [cab, qa])
    assert str(bad_order.value) == "Order: give every stage of REL-2026-020 exactly once (3 stages)"
    with pytest.raises(ValidationError):
        A.rename_stage(ctx, qa, "CAB")

    A.remove_stage(ctx, biz)
    assert [(r.position, r.name) for r in A.list_stages(ctx, KEY)] == [
        (0, "CAB"),
        (1, "QA sign-off"),
    ]

    A.decide(ctx, A.approval_id_for(ctx, KEY, "CAB", ANN), "approved")
    assert A.set_stage_rule(ctx, cab, "any") == "approved"
    assert A.set_stage_rule(ctx, cab, "percent", 100) == "pending"
    assert A.list_stages(ctx, KEY)[0].explanation == "1 of 2 approvers approved, 100% needs 2"
    with ctx.read() as s:
        actions = [
            e.action
            for e in s.execute(
                select(AuditEvent).where(AuditEvent.entity == "approval_stage")
            ).scalars()
        ]
    assert actions.count("rename") == 1 and "delete" in actions and actions.count("set_rule") == 2


def test_add_and_remove_approver_recomputes_the_stage(ctx, release):
    cab = A.add_stage(ctx, KEY, "CAB", "all", [ANN])
    A.decide(ctx, A.approval_id_for(ctx, KEY, "CAB", ANN), "approved")
    assert A.list_stages(ctx, KEY)[0].status == "approved"
    A.add_approver(ctx, cab, BOB)
    assert A.list_stages(ctx, KEY)[0].status == "pending"
    with pytest.raises(ValidationError) as twice:
        A.add_approver(ctx, cab, BOB)
    assert str(twice.value) == "Approver: Bob is already an approver of stage CAB"
    A.remove_approver(ctx, cab, BOB)
    with ctx.read() as s:
        assert release_by_key(s, KEY).stages[0].status == "approved"  # stored status follows
    with pytest.raises(ValidationError) as missing:
        A.remove_approver(ctx, cab, CY)
    assert str(missing.value) == "Approver: cy@example.com is not an approver of stage CAB"


# --- decisions ------------------------------------------------------------------------------------------


def test_decide_requires_a_comment_to_reject_or_ask(ctx, release):
    A.add_stage(ctx, KEY, "CAB", "majority", [ANN, BOB, CY])
    ann = A.approval_id_for(ctx, KEY, "CAB", ANN)
    with pytest.raises(ValidationError) as rej:
        A.decide(ctx, ann, "rejected", "  ")
    assert (str(rej.value), rej.value.field) == (
        "Comment: a comment is required when rejecting",
        "comment",
    )
    with pytest.raises(ValidationError) as more:
        A.decide(ctx, ann, "more_info")
    assert str(more.value) == "Comment: a comment is required when asking for more information"
    with pytest.raises(ValidationError) as pending:
        A.decide(ctx, ann, "pending")
    assert str(pending.value) == "Decision: 'pending' is not one of approved, rejected, more_info"
    with pytest.raises(NotFound):
        A.decide(ctx, 9999, "approved")

    assert A.decide(ctx, ann, "more_info", "What about the rollback?") == "pending"
    assert A.decide(ctx, ann, "approved") == "pending"
    assert A.decide(ctx, A.approval_id_for(ctx, KEY, "CAB", BOB), "approved", "ok") == "approved"
    row = A.list_stages(ctx, KEY)[0]
    assert (row.status, row.explanation) == (
        "approved",
        "2 of 3 approvers approved, majority needs 2",
    )
    assert [(a.decision, a.comment, a.decided_at) for a in row.approvers][:2] == [
        ("approved", None, T0),
        ("approved", "ok", T0),
    ]


def test_rejection_that_makes_passing_impossible_rejects_the_stage(ctx, release):
    A.add_stage(ctx, KEY, "CAB", "majority", [ANN, BOB, CY])
    assert (
        A.decide(ctx, A.approval_id_for(ctx, KEY, "CAB", ANN), "rejected", "no rollback")
        == "pending"
    )
    assert A.decide(ctx, A.approval_id_for(ctx, KEY, "CAB", BOB), "rejected", "agree") == "rejected"


def test_delegation(ctx, release):
    A.add_stage(ctx, KEY, "CAB", "all", [ANN, BOB])
    ann = A.approval_id_for(ctx, KEY, "CAB", ANN)
    with pytest.raises(ValidationError) as self_:
        A.delegate(ctx, ann, ANN)
    assert str(self_.value) == "Delegate: Ann is the approver already"
    with pytest.raises(ValidationError) as other:
        A.delegate(ctx, ann, BOB)
    assert str(other.value) == "Delegate: Bob is already an approver of stage CAB"
    with pytest.raises(ValidationError) as unknown:
        A.delegate(ctx, ann, "ghost@example.com")
    assert unknown.value.field == "to_email"

    A.delegate(ctx, ann, DEE)
    A.decide(ctx, ann, "approved", "on Ann's behalf")
    A.decide(ctx, A.approval_id_for(ctx, KEY, "CAB", BOB), "rejected", "not this week")
    row = A.list_stages(ctx, KEY)[0]
    assert [
        (a.name, a.delegated_to_name, a.delegated_to_email, a.decision) for a in row.approvers
    ] == [("Ann", "Dee", DEE, "approved"), ("Bob", None, None, "rejected")]
    assert (
        row.explanation
        == "1 of 2 approvers rejected (Bob), all 2 must approve, so the stage can no longer pass"
    )
    with pytest.raises(ValidationError) as decided:
        A.delegate(ctx, ann, CY)
    assert str(decided.value) == (
        "Delegate: Ann has already decided (approved); only a pending approval can be delegated"
    )


def test_first_response_through_the_service(ctx, release):
    A.add_stage(ctx, KEY, "Duty manager", "first_response", [ANN, BOB])
    A.delegate(ctx, A.approval_id_for(ctx, KEY, "Duty manager", BOB), DEE)
    assert A.decide(ctx, A.approval_id_for(ctx, KEY, "Duty manager", BOB), "approved") == "approved"
    assert A.list_stages(ctx, KEY)[0].explanation == "Dee (for Bob) decided first: approved"


# --- scope change --------------------------------------------------------------------------------------


def test_reset_for_scope_change_sets_decided_approvals_back_to_pending(ctx, release):
    A.add_stage(ctx, KEY, "CAB", "any", [ANN, BOB])
    A.decide(ctx, A.approval_id_for(ctx, KEY, "CAB", ANN), "approved")
    A.decide(ctx, A.approval_id_for(ctx, KEY, "CAB", BOB), "more_info", "which CIs?")
    assert A.list_stages(ctx, KEY)[0].status == "approved"
    with ctx.write() as tx:
        assert (
            A.reset_for_scope_change(
                tx, release_by_key(tx.session, KEY), "CHG-1004 was added to the scope"
            )
            == 2
        )
    row = A.list_stages(ctx, KEY)[0]
    assert row.status == "pending"
    assert [(a.decision, a.comment, a.decided_at) for a in row.approvers] == [
        ("pending", None, None),
        ("pending", None, None),
    ]
    with ctx.read() as s:
        resets = s.execute(select(AuditEvent).where(AuditEvent.action == "reset")).scalars().all()
        assert [(e.before["decision"], e.after["why"]) for e in resets] == [
            ("approved", "CHG-1004 was added to the scope"),
            ("more_info", "CHG-1004 was added to the scope"),
        ]
        stage_events = (
            s.execute(
                select(AuditEvent).where(
                    AuditEvent.entity == "approval_stage", AuditEvent.action == "status"
                )
            )
            .scalars()
            .all()
        )
        assert (stage_events[-1].before, stage_events[-1].after["status"]) == (
            {"status": "approved"},
            "pending",
        )


def test_restore_approval_puts_a_decision_and_a_delegation_back(ctx, release):
    A.add_stage(ctx, KEY, "CAB", "any", [ANN, BOB])
    ann = A.approval_id_for(ctx, KEY, "CAB", ANN)
    before = A.approval_state(ctx, ann)
    assert before == {
        "decision": "pending",
        "comment": None,
        "decided_at": None,
        "delegated_to": None,
    }
    A.delegate(ctx, ann, DEE)
    assert A.decide(ctx, ann, "approved", "ship it") == "approved"
    assert A.restore_approval(ctx, ann, before) == "pending"
    row = A.list_stages(ctx, KEY)[0]
    assert (
        row.status,
        row.approvers[0].decision,
        row.approvers[0].comment,
        row.approvers[0].delegated_to_email,
    ) == ("pending", "pending", None, None)
    with ctx.read() as s:
        last = s.execute(select(AuditEvent).where(AuditEvent.action == "restore")).scalar_one()
    assert (last.action, last.before["decision"], last.after["decision"]) == (
        "restore",
        "approved",
        "pending",
    )
