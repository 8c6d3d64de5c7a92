"""Walking releases through the default workflow, with its guards, overrides and refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers_builders import (  # noqa: F401  (plan, plan_template: fixtures)
    make_change,
    make_person,
    make_ready_release,
    make_release,
    make_stage,
    make_task,
    plan,
    plan_template,
    set_release,
    set_task_status,
    status_of,
)
from sqlalchemy import select

from relman_desktop.models.entities import AuditEvent, GuardOverride
from relman_desktop.services import approvals, evidence, workflow
from relman_desktop.services.base import GuardRefused, ServiceError, ValidationError
from relman_desktop.services.lifecycle import (
    available_transitions,
    can_transition,
    overrides,
    restore_status,
    transition,
)

UTC = dt.UTC
KEY = "REL-2026-014"


def audit(ctx, action=None):
    with ctx.read() as s:
        q = select(AuditEvent).where(AuditEvent.release_key == KEY).order_by(AuditEvent.seq)
        if action:
            q = q.where(AuditEvent.action == action)
        return [(e.action, e.before, e.after) for e in s.execute(q).scalars()]


@pytest.fixture
def release(ctx):
    return make_ready_release(ctx, KEY)


def test_available_transitions_from_planning(ctx, release):
    options = available_transitions(ctx, KEY)
    assert [(o.to_state, o.label) for o in options] == [
        ("Build", "Build"),
        ("On Hold", "On Hold"),
        ("Cancelled", "Cancelled"),
    ]
    assert options[0].guards == [{"guard": "scope_defined", "param": None, "soft": False}]


def test_full_walk_from_planning_to_closed(ctx, release):
    make_person(ctx, "cab@example.com", "Carla CAB")
    build = make_task(ctx, KEY, "Build image", "build")
    test = make_task(ctx, KEY, "Run regression", "test")
    deploy = make_task(ctx, KEY, "Deploy to prod", "deploy")
    verify = make_task(ctx, KEY, "Check dashboards", "verify")
    review = make_task(ctx, KEY, "Hold review", "review")
    set_release(ctx, KEY, required_tests=["regression"])
    stage = approvals.add_stage(ctx, KEY, "CAB", "all", ["cab@example.com"])

    assert transition(ctx, KEY, "Build") == "Build"

    make_change(ctx, "CHG-1001", KEY)
    set_task_status(ctx, build, "done")
    assert can_transition(ctx, KEY, "Testing").allowed
    assert transition(ctx, KEY, "Testing") == "Testing"

    evidence.record_test_run(
        ctx, KEY, "regression", "staging", 120, 0, 2, dt.datetime(2026, 11, 26, tzinfo=UTC)
    )
    set_task_status(ctx, test, "done")
    assert transition(ctx, KEY, "Awaiting Approval") == "Awaiting Approval"

    [approval] = approvals.list_stages(ctx, KEY)[0].approvers
    assert approvals.decide(ctx, approval.approval_id, "approved", "fine") == "approved"
    assert stage
    set_release(
        ctx, KEY, rollback_plan="Redeploy 2.3.1 from the artifact store", rollback_minutes=20
    )
    assert transition(ctx, KEY, "Approved") == "Approved"

    set_release(
        ctx,
        KEY,
        deploy_start=dt.datetime(2026, 12, 5, 22, tzinfo=UTC),
        deploy_end=dt.datetime(2026, 12, 6, 2, tzinfo=UTC),
    )
    assert can_transition(ctx, KEY, "Deploying").unmet == []
    assert transition(ctx, KEY, "Deploying") == "Deploying"

    set_task_status(ctx, deploy, "done")
    assert transition(ctx, KEY, "Deployed") == "Deployed"
    set_task_status(ctx, verify, "done")
    assert transition(ctx, KEY, "In Review") == "In Review"

    evidence.record_review(ctx, KEY, "successful", lessons_learned="Smooth")
    set_task_status(ctx, review, "done")
    assert transition(ctx, KEY, "Closed") == "Closed"
    assert [(o.to_state, o.label) for o in available_transitions(ctx, KEY)] == [
        ("In Review", "Reopen")
    ]

    moves = [(b["status"], a["status"]) for _, b, a in audit(ctx, "transition")]
    assert moves == [
        ("Planning", "Build"),
        ("Build", "Testing"),
        ("Testing", "Awaiting Approval"),
        ("Awaiting Approval", "Approved"),
        ("Approved", "Deploying"),
        ("Deploying", "Deployed"),
        ("Deployed", "In Review"),
        ("In Review", "Closed"),
    ]
    assert overrides(ctx, KEY) == []


def test_hard_guard_refuses_and_lists_every_unmet_guard(ctx):
    make_release(ctx, KEY, title="Payments")
    check = can_transition(ctx, KEY, "Build")
    assert not check.allowed and not check.overridable
    assert [(u.guard, u.soft, u.messages, u.jump_to) for u in check.unmet] == [
        (
            "scope_defined",
            False,
            ["no scope", "no planned start", "no planned end", "no release manager"],
            "Overview",
        )
    ]
    with pytest.raises(GuardRefused) as info:
        transition(ctx, KEY, "Build", reason="the CAB said so")
    assert str(info.value) == (
        "REL-2026-014 cannot move from Planning to Build: no scope; no planned start; no planned end; "
        "no release manager [scope defined, cannot be overridden]"
    )
    assert info.value.unmet == check.unmet
    assert status_of(ctx, KEY) == "Planning"


def test_build_to_testing_lists_hard_and_soft_guards(ctx, release):
    set_release(ctx, KEY, status="Build")
    make_task(ctx, KEY, "Build image", "build")
    make_task(ctx, KEY, "Tag repo", "build")
    check = can_transition(ctx, KEY, "Testing")
    assert [(u.guard, u.param, u.soft, u.messages) for u in check.unmet] == [
        ("changes_approved", None, False, ["no change is linked to this release"]),
        (
            "phase_tasks_done",
            "build",
            True,
            ["2 of 2 build tasks are not done: Build image, Tag repo"],
        ),
    ]
    with pytest.raises(GuardRefused) as info:
        transition(ctx, KEY, "Testing", reason="hotfix")
    assert str(info.value) == (
        "REL-2026-014 cannot move from Build to Testing: no change is linked to this release "
        "[changes approved, cannot be overridden]; 2 of 2 build tasks are not done: Build image, Tag repo "
        "[build tasks done, may be overridden with a reason]"
    )
    assert overrides(ctx, KEY) == []


def test_soft_guard_needs_a_reason_then_is_overridden_and_audited(ctx, release, engine):
    set_release(ctx, KEY, status="Build")
    make_change(ctx, "CHG-1001", KEY)
    make_task(ctx, KEY, "Tag repo", "build")
    check = can_transition(ctx, KEY, "Testing")
    assert not check.allowed and check.overridable
    with pytest.raises(GuardRefused) as info:
        transition(ctx, KEY, "Testing")
    assert str(info.value) == (
        "REL-2026-014 cannot move from Build to Testing: 1 of 1 build task is not done: Tag repo "
        "[build tasks done, may be overridden with a reason]. Give a reason to override."
    )
    with pytest.raises(ValidationError) as empty:
        transition(ctx, KEY, "Testing", reason="   ")
    assert empty.value.field == "reason"
    assert status_of(ctx, KEY) == "Build"

    assert transition(ctx, KEY, "Testing", reason="tagging is done by the pipeline") == "Testing"
    with ctx.read() as s:
        [row] = s.execute(select(GuardOverride)).scalars().all()
        assert (row.from_state, row.to_state, row.guard, row.reason, row.actor) == (
            "Build",
            "Testing",
            "phase_tasks_done(build)",
            "tagging is done by the pipeline",
            # who is signed in: the test's person on a plan file, the database role on a server
            ctx.identity().actor,
        )
    if engine == "sqlite":
        assert row.actor == "tester@example.com"
    [(action, before, after)] = audit(ctx, "override")
    assert after == {
        "guard": "phase_tasks_done",
        "param": "build",
        "missing": ["1 of 1 build task is not done: Tag repo"],
        "reason": "tagging is done by the pipeline",
        "from": "Build",
        "to": "Testing",
    }
    assert audit(ctx, "transition")[-1][2] == {
        "status": "Testing",
        "reason": "tagging is done by the pipeline",
    }


def test_on_hold_and_back_to_where_it_was(ctx, release):
    set_release(ctx, KEY, status="Testing")
    assert transition(ctx, KEY, "On Hold") == "On Hold"
    options = available_transitions(ctx, KEY)
    assert [(o.to_state, o.label, o.back) for o in options] == [
        ("Testing", "Back to Testing", True)
    ]
    assert transition(ctx, KEY, "Testing") == "Testing"  # named by the previous state
    transition(ctx, KEY, "On Hold")
    assert transition(ctx, KEY, "back") == "Testing"
    with ctx.read() as s:
        from relman_desktop.services.base import release_by_key

        assert release_by_key(s, KEY).previous_status is None


def test_on_hold_cannot_jump_elsewhere(ctx, release):
    set_release(ctx, KEY, status="Build")
    transition(ctx, KEY, "On Hold")
    with pytest.raises(ServiceError) as info:
        transition(ctx, KEY, "Cancelled")
    assert (
        str(info.value)
        == "REL-2026-014 cannot move from On Hold to Cancelled: from On Hold REL-2026-014 can move to Build"
    )


@pytest.mark.parametrize("state", ["Planning", "Approved", "Deployed", "Rolled Back"])
def test_cancelled_from_any_open_state(ctx, release, state):
    set_release(ctx, KEY, status=state)
    assert transition(ctx, KEY, "Cancelled") == "Cancelled"
    assert [(o.to_state, o.label) for o in available_transitions(ctx, KEY)] == [
        ("Planning", "Reopen")
    ]


def test_rolled_back_path(ctx, release):
    set_release(ctx, KEY, status="Deploying")
    assert transition(ctx, KEY, "Rolled Back") == "Rolled Back"
    assert [o.to_state for o in available_transitions(ctx, KEY)] == [
        "In Review",
        "On Hold",
        "Cancelled",
    ]
    assert transition(ctx, KEY, "In Review") == "In Review"
    with pytest.raises(GuardRefused) as info:
        transition(ctx, KEY, "Closed", reason="x")
    assert str(info.value) == (
        "REL-2026-014 cannot move from In Review to Closed: no post-release review recorded "
        "[review recorded, cannot be overridden]"
    )
    evidence.record_review(ctx, KEY, "rolled_back", incidents=1)
    assert transition(ctx, KEY, "Closed") == "Closed"


def test_rolled_back_from_deployed(ctx, release):
    set_release(ctx, KEY, status="Deployed")
    assert transition(ctx, KEY, "Rolled Back") == "Rolled Back"


def test_transition_not_in_workflow_names_the_allowed_states(ctx, release):
    with pytest.raises(ServiceError) as info:
        transition(ctx, KEY, "Closed")
    assert str(info.value) == (
        "REL-2026-014 cannot move from Planning to Closed: from Planning REL-2026-014 can move to "
        "Build, On Hold, Cancelled"
    )


def test_unknown_state_names_the_allowed_states(ctx, release):
    with pytest.raises(ServiceError) as info:
        can_transition(ctx, KEY, "Shipped")
    assert str(info.value) == (
        "no workflow state 'Shipped'; from Planning REL-2026-014 can move to Build, On Hold, Cancelled"
    )


def test_closed_allows_only_reopening(ctx, release):
    set_release(ctx, KEY, status="Closed")
    with pytest.raises(ServiceError) as info:
        transition(ctx, KEY, "Build")
    assert (
        str(info.value)
        == "REL-2026-014 cannot move from Closed to Build: from Closed REL-2026-014 can move to In Review"
    )
    assert transition(ctx, KEY, "Reopen") == "In Review"


def test_transition_raises_a_status_change_event_for_rules(ctx, release):
    from relman_desktop.services.rules import create_rule

    create_rule(
        ctx,
        "raise priority when building",
        "on_status_change",
        [{"field": "status", "op": "eq", "value": "Build"}],
        [{"action": "set_field", "field": "priority", "value": "high"}],
    )
    transition(ctx, KEY, "Build")
    with ctx.read() as s:
        from relman_desktop.services.base import release_by_key

        assert release_by_key(s, KEY).priority == "high"


def test_awaiting_approval_to_approved_hard_guards(ctx, release):
    make_person(ctx, "ann@example.com", "Ann")
    make_person(ctx, "bob@example.com", "Bob")
    make_person(ctx, "cy@example.com", "Cy")
    set_release(ctx, KEY, status="Awaiting Approval")
    make_stage(
        ctx,
        KEY,
        "CAB",
        "majority",
        ["ann@example.com", "bob@example.com", "cy@example.com"],
        decisions={"ann@example.com": "approved"},
    )
    check = can_transition(ctx, KEY, "Approved")
    assert [u.messages for u in check.unmet] == [
        ["stage CAB is not approved: 1 of 3 approvers approved, majority needs 2"],
        ["no rollback plan", "no rollback duration"],
    ]
    assert [u.jump_to for u in check.unmet] == ["Approvals", "Deployments"]


# --- editing the workflow ----------------------------------------------------------------------------


def test_list_states_and_transitions(ctx, release):
    states = workflow.list_states(ctx)
    assert [s.name for s in states][:3] == ["Planning", "Build", "Testing"]
    assert (states[0].release_count, states[0].category) == (1, "open")
    transitions = workflow.list_transitions(ctx)
    assert transitions[0].description == "Planning → Build"
    descriptions = [t.description for t in transitions]
    assert "On Hold → the previous state" in descriptions
    assert descriptions[-2:] == ["any open state → On Hold", "any open state → Cancelled"]


def test_add_rename_reorder_states_and_transitions(ctx, release):
    sid = workflow.add_state(ctx, "Security Review", position=3)
    assert [s.name for s in workflow.list_states(ctx)][2:5] == [
        "Testing",
        "Security Review",
        "Awaiting Approval",
    ]
    tid = workflow.add_transition(
        ctx, "Testing", "Security Review", [{"guard": "tests_passed", "param": None, "soft": False}]
    )
    workflow.add_transition(ctx, "Security Review", "Awaiting Approval")
    workflow.rename_state(ctx, "Security Review", "Sec Review")
    set_release(ctx, KEY, status="Testing", required_tests=["security"])
    check = can_transition(ctx, KEY, "Sec Review")
    assert [u.messages for u in check.unmet] == [["no security run recorded"]]
    workflow.set_transition_guards(ctx, tid, [])
    assert transition(ctx, KEY, "Sec Review") == "Sec Review"
    names = [s.name for s in workflow.list_states(ctx)]
    workflow.reorder_states(ctx, [names[-1], *names[:-1]])
    assert workflow.list_states(ctx)[0].name == "Rolled Back"
    assert sid


def test_workflow_editing_refusals(ctx, release):
    with pytest.raises(ValidationError) as busy:
        workflow.delete_state(ctx, "Planning")
    assert str(busy.value) == (
        "cannot delete state Planning: 1 release is in it (REL-2026-014); move them to another state first"
    )
    set_release(ctx, KEY, status="On Hold", previous_status_id=workflow.list_states(ctx)[1].id)
    with pytest.raises(ValidationError) as held:
        workflow.delete_state(ctx, "Build")
    assert "REL-2026-014" in str(held.value)
    with pytest.raises(ValidationError) as dup:
        workflow.add_state(ctx, "build")
    assert str(dup.value) == "State name: a state 'build' already exists"
    with pytest.raises(ValidationError) as reserved:
        workflow.add_state(ctx, "Back")
    assert str(reserved.value) == "State name: 'back' is reserved for leaving On Hold"
    with pytest.raises(ValidationError) as same:
        workflow.add_transition(ctx, "Planning", "Build")
    assert str(same.value) == "the transition Planning → Build exists already"
    with pytest.raises(ValidationError) as loop:
        workflow.add_transition(ctx, "Build", "Build")
    assert str(loop.value) == "To state: a transition from Build to itself does nothing"
    with pytest.raises(
        ValidationError
    ) as reopen:  # a terminal state is left only by a reopen transition
        workflow.add_transition(ctx, "Closed", "In Review")
    assert str(reopen.value) == "the transition Closed → In Review exists already"
    with pytest.raises(ValidationError) as unknown:
        workflow.add_transition(ctx, "Planning", "Shipped")
    assert str(unknown.value).startswith("no workflow state 'Shipped' (states: Planning, Build")
    with pytest.raises(ValidationError) as order:
        workflow.reorder_states(ctx, ["Planning", "Build"])
    assert str(order.value).startswith(
        "Order: give every state exactly once (missing: Approved, Awaiting Approval"
    )

    tid = workflow.transition_id(ctx, "Build", "Testing")
    for guards, message in [
        (
            [{"guard": "moon_phase", "soft": True}],
            "guards[0].guard: 'moon_phase' is not one of scope_defined, changes_approved, phase_tasks_done, "
            "tests_passed, approvals_complete, rollback_ready, window_clear, dependencies_met, review_recorded",
        ),
        (
            [{"guard": "phase_tasks_done", "param": "lunch", "soft": True}],
            "guards[0].param: phase_tasks_done needs a phase (plan, build, test, approve, deploy, verify, rollback, "
            "review), not 'lunch'",
        ),
        (
            [{"guard": "tests_passed", "param": "unit", "soft": True}],
            "guards[0].param: tests_passed takes no parameter",
        ),
        ([{"guard": "tests_passed", "soft": "yes"}], "guards[0].soft: true or false, not 'yes'"),
        (
            [{"guard": "tests_passed"}, {"guard": "tests_passed"}],
            "guards[1]: tests_passed is listed twice",
        ),
    ]:
        with pytest.raises(ValidationError) as info:
            workflow.set_transition_guards(ctx, tid, guards)
        assert str(info.value) == message


def test_delete_an_unused_state_removes_its_transitions(ctx, release):
    before = len(workflow.list_transitions(ctx))
    workflow.delete_state(ctx, "Rolled Back")
    assert "Rolled Back" not in [s.name for s in workflow.list_states(ctx)]
    assert len(workflow.list_transitions(ctx)) == before - 3
    assert [s.position for s in workflow.list_states(ctx)] == list(range(11))
    workflow.remove_transition(ctx, workflow.transition_id(ctx, None, "Cancelled"))
    assert [o.to_state for o in available_transitions(ctx, KEY)] == ["Build", "On Hold"]


def test_restore_status_undoes_a_move_without_guards(ctx, release):
    transition(ctx, KEY, "On Hold")
    assert restore_status(ctx, KEY, "Planning") == "Planning"
    assert [o.to_state for o in available_transitions(ctx, KEY)] == [
        "Build",
        "On Hold",
        "Cancelled",
    ]
    assert restore_status(ctx, KEY, "On Hold", previous_status="Planning") == "On Hold"
    assert transition(ctx, KEY, "back") == "Planning"
    assert [a for a, _, _ in audit(ctx)].count("restore_status") == 2


# --- a hard freeze cannot be overridden (issue 16) ------------------------------------------------


def _approved_in_freeze(ctx, *, hard):
    """KEY is Approved with its changes and approvals in order, deploying inside a freeze."""
    from helpers_builders import make_window, set_change_approval

    set_release(
        ctx,
        KEY,
        status="Approved",
        deploy_start=dt.datetime(2026, 12, 22, 20, tzinfo=UTC),
        deploy_end=dt.datetime(2026, 12, 22, 22, tzinfo=UTC),
    )
    make_change(ctx, "CHG-1001", KEY)
    set_change_approval(ctx, "CHG-1001", "approved")
    make_person(ctx, "ann@example.com", "Ann")
    make_stage(
        ctx, KEY, "CAB", "all", ["ann@example.com"], decisions={"ann@example.com": "approved"}
    )
    make_window(
        ctx,
        "Year-end freeze",
        "freeze",
        dt.datetime(2026, 12, 19, tzinfo=UTC),
        dt.datetime(2027, 1, 4, tzinfo=UTC),
        hard=hard,
    )


def test_a_soft_freeze_only_warns_and_does_not_stop_the_move(ctx, release):
    _approved_in_freeze(ctx, hard=False)
    check = can_transition(ctx, KEY, "Deploying")
    assert check.allowed and check.unmet == []
    assert transition(ctx, KEY, "Deploying") == "Deploying"


def test_a_hard_freeze_clash_cannot_be_overridden(ctx, release):
    _approved_in_freeze(ctx, hard=True)
    check = can_transition(ctx, KEY, "Deploying")
    [unmet] = check.unmet
    assert unmet.guard == "window_clear" and not unmet.soft
    assert (
        unmet.binding == "the hard freeze \u201cYear-end freeze\u201d refuses deployments inside it"
    )
    assert not check.overridable
    with pytest.raises(GuardRefused) as info:
        transition(ctx, KEY, "Deploying", reason="CFO signed the exception")
    message = str(info.value)
    assert "\n" not in message
    assert message.endswith(
        "[deployment window clear, cannot be overridden: the hard freeze \u201cYear-end freeze\u201d "
        "refuses deployments inside it]"
    )
    assert status_of(ctx, KEY) == "Approved"
    assert overrides(ctx, KEY) == []


def test_the_cli_refuses_to_override_a_hard_freeze_in_one_line(ctx, release, plan_path):
    import io

    from relman_desktop.cli import main

    _approved_in_freeze(ctx, hard=True)
    out, err = io.StringIO(), io.StringIO()
    args = ["--plan", str(plan_path), "transition", KEY, "Deploying", "--reason", "CFO says go"]
    assert main(args, out=out, err=err) == 1
    assert err.getvalue() == (
        f"relman: {KEY} cannot move to Deploying, not even with --reason: the hard freeze "
        "\u201cYear-end freeze\u201d refuses deployments inside it\n"
    )
    assert status_of(ctx, KEY) == "Approved"
