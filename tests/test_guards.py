"""The nine lifecycle guards: each met, and each unmet with the exact words a user reads."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers_builders import (  # noqa: F401  (plan, plan_template: fixtures)
    make_change,
    make_dependency,
    make_person,
    make_ready_release,
    make_release,
    make_review,
    make_stage,
    make_task,
    make_test_run,
    plan,
    plan_template,
    set_release,
)

from relman_desktop.services.base import release_by_key
from relman_desktop.services.guards import GUARDS, check_guard, guard_title
from relman_desktop.services.templates import create_template

UTC = dt.UTC
KEY = "REL-2026-001"


def guard(ctx, name, param=None, key=KEY):
    with ctx.read() as s:
        return check_guard(s, release_by_key(s, key), name, param, ctx.today())


def test_there_are_nine_guards_each_with_a_tab():
    assert len(GUARDS) == 9
    assert {g.jump_to for g in GUARDS.values()} <= {
        "Overview",
        "Changes",
        "Tasks",
        "Approvals",
        "Tests",
        "Deployments",
        "Review",
    }
    assert [g.name for g in GUARDS.values() if g.takes_phase] == ["phase_tasks_done"]
    assert guard_title("phase_tasks_done", "build") == "build tasks done"
    assert guard_title("window_clear") == "deployment window clear"


# --- scope_defined --------------------------------------------------------------------------


def test_scope_defined_names_every_missing_field(ctx):
    make_release(ctx, KEY, title="Payments")
    result = guard(ctx, "scope_defined")
    assert result.messages == [
        "no scope",
        "no planned start",
        "no planned end",
        "no release manager",
    ]
    assert result.jump_to == "Overview"


def test_scope_defined_blank_scope_counts_as_missing(ctx):
    make_ready_release(ctx, KEY, scope="   ")
    assert guard(ctx, "scope_defined").messages == ["no scope"]


def test_scope_defined_met(ctx):
    make_ready_release(ctx, KEY)
    assert guard(ctx, "scope_defined").met


# --- changes_approved -------------------------------------------------------------------------


def test_changes_approved_needs_a_change(ctx):
    make_ready_release(ctx, KEY)
    result = guard(ctx, "changes_approved")
    assert result.messages == ["no change is linked to this release"]
    assert result.jump_to == "Changes"


def test_changes_approved_lists_each_unapproved_change(ctx):
    make_ready_release(ctx, KEY)
    make_change(ctx, "CHG-1001", KEY, approval="approved")
    make_change(ctx, "CHG-1002", KEY, approval="pending")
    make_change(ctx, "CHG-1003", KEY, approval="rejected")
    assert guard(ctx, "changes_approved").messages == [
        "CHG-1002 is not approved (pending)",
        "CHG-1003 is not approved (rejected)",
    ]


def test_changes_approved_met(ctx):
    make_ready_release(ctx, KEY)
    make_change(ctx, "CHG-1001", KEY)
    make_change(ctx, "CHG-1009", None, approval="pending")  # not in this release
    assert guard(ctx, "changes_approved").met


# --- phase_tasks_done -----------------------------------------------------------------------------


def test_phase_tasks_done_names_the_open_tasks(ctx):
    make_ready_release(ctx, KEY)
    make_task(ctx, KEY, "Build image", "build")
    make_task(ctx, KEY, "Compile", "build", status="done")
    make_task(ctx, KEY, "Tag repo", "build", status="in_progress")
    make_task(ctx, KEY, "Old step", "build", status="cancelled")
    make_task(ctx, KEY, "Sign", "build", status="done")
    make_task(ctx, KEY, "Smoke test", "test")
    result = guard(ctx, "phase_tasks_done", "build")
    assert result.messages == ["2 of 5 build tasks are not done: Build image, Tag repo"]
    assert result.jump_to == "Tasks"


def test_phase_tasks_done_singular(ctx):
    make_ready_release(ctx, KEY)
    make_task(ctx, KEY, "Smoke test", "test", status="blocked")
    assert guard(ctx, "phase_tasks_done", "test").messages == [
        "1 of 1 test task is not done: Smoke test"
    ]


def test_phase_tasks_done_met_when_all_done_or_there_are_none(ctx):
    make_ready_release(ctx, KEY)
    make_task(ctx, KEY, "Deploy", "deploy", status="done")
    assert guard(ctx, "phase_tasks_done", "deploy").met
    assert guard(ctx, "phase_tasks_done", "verify").met


# --- tests_passed ---------------------------------------------------------------------------------


def test_tests_passed_reports_missing_and_failed_kinds(ctx):
    make_ready_release(ctx, KEY, required_tests=["regression", "security", "uat"])
    make_test_run(ctx, KEY, "security", failed=3, run_at=dt.datetime(2026, 11, 20, tzinfo=UTC))
    result = guard(ctx, "tests_passed")
    assert result.messages == [
        "no regression run recorded",
        "the latest security run failed (3 failed)",
        "no UAT run recorded",
    ]
    assert result.jump_to == "Tests"


def test_tests_passed_the_latest_run_decides(ctx):
    make_ready_release(ctx, KEY, required_tests=["regression"])
    make_test_run(ctx, KEY, "regression", failed=2, run_at=dt.datetime(2026, 11, 20, tzinfo=UTC))
    make_test_run(ctx, KEY, "regression", failed=0, run_at=dt.datetime(2026, 11, 21, tzinfo=UTC))
    assert guard(ctx, "tests_passed").met
    make_test_run(ctx, KEY, "regression", failed=1, run_at=dt.datetime(2026, 11, 22, tzinfo=UTC))
    assert guard(ctx, "tests_passed").messages == ["the latest regression run failed (1 failed)"]


def test_tests_passed_ignores_kinds_not_required(ctx):
    make_ready_release(ctx, KEY, required_tests=["unit"])
    make_test_run(ctx, KEY, "unit")
    make_test_run(ctx, KEY, "performance", failed=9)
    assert guard(ctx, "tests_passed").met


# --- approvals_complete -------------------------------------------------------------------------------


@pytest.fixture
def approvers(ctx):
    for email, name in [
        ("ann@example.com", "Ann"),
        ("bob@example.com", "Bob"),
        ("cy@example.com", "Cy"),
    ]:
        make_person(ctx, email, name)
    return ["ann@example.com", "bob@example.com", "cy@example.com"]


def test_approvals_complete_explains_the_rule(ctx, approvers):
    make_ready_release(ctx, KEY)
    make_stage(
        ctx, KEY, "QA sign-off", "any", approvers[:1], decisions={"ann@example.com": "approved"}
    )
    make_stage(ctx, KEY, "CAB", "majority", approvers, decisions={"ann@example.com": "approved"})
    result = guard(ctx, "approvals_complete")
    assert result.messages == [
        "stage CAB is not approved: 1 of 3 approvers approved, majority needs 2"
    ]
    assert result.jump_to == "Approvals"


def test_approvals_complete_rejected_stage(ctx, approvers):
    make_ready_release(ctx, KEY)
    make_stage(ctx, KEY, "CAB", "all", approvers, decisions={"bob@example.com": "rejected"})
    assert guard(ctx, "approvals_complete").messages == [
        "stage CAB is rejected: 1 of 3 approvers rejected (Bob), all 3 must approve, so the stage can no longer pass"
    ]


def test_approvals_complete_met(ctx, approvers):
    make_ready_release(ctx, KEY)
    make_stage(
        ctx,
        KEY,
        "CAB",
        "majority",
        approvers,
        decisions={"ann@example.com": "approved", "cy@example.com": "approved"},
    )
    assert guard(ctx, "approvals_complete").met


# --- rollback_ready ---------------------------------------------------------------------------------


def test_rollback_ready_needs_plan_and_duration(ctx):
    make_ready_release(ctx, KEY)
    result = guard(ctx, "rollback_ready")
    assert result.messages == ["no rollback plan", "no rollback duration"]
    assert result.jump_to == "Deployments"


def test_rollback_ready_met_without_rehearsal_rule(ctx):
    make_ready_release(ctx, KEY, rollback_plan="Redeploy 2.3", rollback_minutes=30)
    assert guard(ctx, "rollback_ready").met


def test_rollback_rehearsal_age_comes_from_the_template(ctx):
    tid = create_template(ctx, "Regulated", "major", {"rollback_rehearsal_days": 90})
    make_ready_release(ctx, KEY, rollback_plan="Redeploy 2.3", rollback_minutes=30, template_id=tid)
    assert guard(ctx, "rollback_ready").messages == [
        "rollback never rehearsed (the template asks for a rehearsal within 90 days)"
    ]
    set_release(ctx, KEY, rollback_rehearsed_on=dt.date(2026, 3, 1))
    assert guard(ctx, "rollback_ready").messages == [
        "rollback last rehearsed 2026-03-01, more than 90 days ago"
    ]
    set_release(
        ctx, KEY, rollback_rehearsed_on=dt.date(2026, 8, 29)
    )  # exactly 90 days before today
    assert guard(ctx, "rollback_ready").met


# --- window_clear -------------------------------------------------------------------------------------


def test_window_clear_needs_a_deployment_window(ctx):
    make_ready_release(ctx, KEY)
    result = guard(ctx, "window_clear")
    assert result.messages == ["no deployment window set"]
    assert result.jump_to == "Deployments"


def test_window_clear_asks_the_conflict_service(ctx, monkeypatch):
    calls = []

    def window_clear_problems(session, release, today):
        calls.append((release.key, today))
        return ["the deployment window overlaps freeze Year-end freeze (hard)"]

    from relman_desktop.services import conflicts

    monkeypatch.setattr(conflicts, "window_clear_problems", window_clear_problems)
    make_ready_release(
        ctx,
        KEY,
        deploy_start=dt.datetime(2026, 12, 5, 22, tzinfo=UTC),
        deploy_end=dt.datetime(2026, 12, 6, 2, tzinfo=UTC),
    )
    assert guard(ctx, "window_clear").messages == [
        "the deployment window overlaps freeze Year-end freeze (hard)"
    ]
    assert calls == [(KEY, dt.date(2026, 11, 27))]


# --- dependencies_met ---------------------------------------------------------------------------------


def test_dependencies_met_names_the_prerequisite_and_its_state(ctx):
    make_ready_release(ctx, KEY)
    make_release(ctx, "REL-2026-003", title="Auth", status="Build")
    make_release(ctx, "REL-2026-004", title="DB", status="Deployed")
    make_dependency(ctx, KEY, "REL-2026-003")
    make_dependency(ctx, KEY, "REL-2026-004")
    result = guard(ctx, "dependencies_met")
    assert result.messages == ["REL-2026-003 (a prerequisite) is Build, not deployed or closed"]
    assert result.jump_to == "Overview"


def test_dependencies_met_together_needs_the_partner_approved(ctx):
    make_ready_release(ctx, KEY)
    make_release(ctx, "REL-2026-005", title="UI", status="Testing")
    make_dependency(ctx, KEY, "REL-2026-005", kind="together")
    assert guard(ctx, "dependencies_met").messages == [
        "REL-2026-005 (deploys together with this release) is Testing, not approved yet"
    ]
    set_release(ctx, "REL-2026-005", status="Approved")
    assert guard(ctx, "dependencies_met").met


def test_dependencies_met_when_prerequisites_closed(ctx):
    make_ready_release(ctx, KEY)
    make_release(ctx, "REL-2026-003", title="Auth", status="Closed")
    make_dependency(ctx, KEY, "REL-2026-003")
    assert guard(ctx, "dependencies_met").met


# --- review_recorded -------------------------------------------------------------------------------------


def test_review_recorded(ctx):
    make_ready_release(ctx, KEY)
    result = guard(ctx, "review_recorded")
    assert result.messages == ["no post-release review recorded"]
    assert result.jump_to == "Review"
    make_review(ctx, KEY)
    assert guard(ctx, "review_recorded").met


def test_unknown_guard_is_reported_not_crashed(ctx):
    make_ready_release(ctx, KEY)
    assert guard(ctx, "sun_is_shining").messages == [
        "unknown guard 'sun_is_shining' in the workflow"
    ]


def test_approvals_complete_needs_at_least_one_stage(ctx):
    make_release(ctx, KEY, title="Payments")
    result = guard(ctx, "approvals_complete")
    assert not result.met
    assert result.messages == ["no approval stage is set up for this release"]
