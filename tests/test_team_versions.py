"""Optimistic locking on every record a form edits (issue 12), on a plan file and on a server:
Ana saves first; Raj, saving from the copy both loaded, is refused with who changed it and when,
and nothing of his is written (the record keeps Ana's values, the audit trail has no new event).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from helpers_builders import (  # noqa: F401
    make_ci,
    make_deployment,
    make_person,
    make_ready_release,
    make_release,
    make_review,
    make_stage,
    make_window,
    plan,
    plan_template,
)

from relman_desktop.models.planfile import open_plan
from relman_desktop.services import (
    approvals,
    audit,
    cab,
    changes,
    cis,
    evidence,
    locking,
    people,
    rules,
    stages,
    templates,
    windows,
    workflow,
)
from relman_desktop.services.base import Ctx, StaleVersion

AT_1042 = dt.datetime(2026, 11, 27, 10, 42, tzinfo=dt.UTC)


@pytest.fixture
def pair(engine: str, request: pytest.FixtureRequest) -> tuple[Ctx, Ctx]:
    """Ana and Raj, release managers and approvers, each on their own connection (on a server,
    signed in as their own database roles, as the audit trail then names them)."""
    shared = request.getfixturevalue("pg_plan" if engine == "postgresql" else "plan")
    admin = Ctx(shared, actor="admin", clock=lambda: AT_1042)
    for email, login in (("ana@example.com", "ana"), ("raj@example.com", "raj")):
        make_person(admin, email, roles=["release_manager", "approver", "cab_member"])
        people.update_person(admin, email, {"login": login})
    if engine == "postgresql":
        from team_pg import as_role

        plans = as_role(shared, "ana"), as_role(shared, "raj")
    else:
        plans = shared, open_plan(shared.path)
        request.addfinalizer(plans[1].close)
    return Ctx(plans[0], clock=lambda: AT_1042, actor="ana"), Ctx(
        plans[1], clock=lambda: AT_1042, actor="raj"
    )


def refused(raj: Ctx, write: Callable[[], Any], label: str) -> None:
    """``write`` (Raj's, from the old copy) is refused with the one line, and writes nothing."""
    head = audit.head(raj)
    with pytest.raises(StaleVersion) as caught:
        write()
    assert str(caught.value) == (
        f"{label} was changed by ana@example.com at 10:42; reload and try again"
    )
    assert audit.head(raj) == head


def test_people_and_cis(pair) -> None:
    ana, raj = pair
    make_person(ana, "eve@example.com", "Eve")
    seen = locking.version_of(raj, "person", "eve@example.com")
    people.update_person(ana, "eve@example.com", {"team": "Payments"}, version=seen)
    refused(
        raj,
        lambda: people.update_person(raj, "eve@example.com", {"team": "Cards"}, version=seen),
        "eve@example.com",
    )
    refused(
        raj, lambda: people.delete_person(raj, "eve@example.com", version=seen), "eve@example.com"
    )
    assert [p.team for p in people.list_people(raj) if p.email == "eve@example.com"] == ["Payments"]

    make_ci(ana, "payments-api")
    seen = locking.version_of(raj, "ci", "payments-api")
    cis.update_ci(ana, "payments-api", {"environment": "staging"}, version=seen)
    refused(
        raj,
        lambda: cis.update_ci(raj, "payments-api", {"environment": "dr"}, version=seen),
        "CI payments-api",
    )
    refused(raj, lambda: cis.delete_ci(raj, "payments-api", version=seen), "CI payments-api")
    assert [c.environment for c in cis.list_cis(raj)] == ["staging"]
    # reloaded, Raj's edit goes through
    cis.update_ci(raj, "payments-api", {"environment": "dr"}, version=seen + 1)
    assert [c.environment for c in cis.list_cis(ana)] == ["dr"]


def test_workflow_states_and_transitions(pair) -> None:
    ana, raj = pair
    seen = locking.version_of(raj, "workflow_state", "Build")
    workflow.rename_state(ana, "Build", "Develop", version=seen)
    refused(
        raj,
        lambda: workflow.rename_state(raj, "Develop", "Make", version=seen),
        "workflow state Develop",
    )
    refused(
        raj,
        lambda: workflow.set_state_role(raj, "Develop", None, version=seen),
        "workflow state Develop",
    )
    assert "Develop" in [s.name for s in workflow.list_states(raj)]

    tid = workflow.transition_id(raj, "Planning", "Develop")
    seen = locking.version_of(raj, "workflow_transition", tid)
    kept = workflow.set_transition_guards(ana, tid, [{"guard": "changes_approved"}], version=seen)
    refused(
        raj,
        lambda: workflow.set_transition_guards(raj, tid, [], version=seen),
        "the transition Planning → Develop",
    )
    refused(
        raj,
        lambda: workflow.remove_transition(raj, tid, version=seen),
        "the transition Planning → Develop",
    )
    assert [t.guards for t in workflow.list_transitions(raj) if t.id == tid] == [kept]


def test_approval_stages_and_approvals(pair) -> None:
    ana, raj = pair
    make_release(ana, "REL-1")
    make_stage(ana, "REL-1", "Business", approvers=["raj@example.com"])
    sid = stages.stage_id(raj, "REL-1", "Business")
    seen = locking.version_of(raj, "approval_stage", sid)
    stages.set_rule(ana, "REL-1", "Business", "any", version=seen)
    label = "approval stage Business of REL-1"
    refused(raj, lambda: stages.rename_stage(raj, "REL-1", "Business", "Biz", version=seen), label)
    refused(raj, lambda: stages.set_rule(raj, "REL-1", "Business", "all", version=seen), label)
    refused(raj, lambda: stages.remove_stage(raj, "REL-1", "Business", version=seen), label)
    assert [(s.name, s.rule) for s in approvals.list_stages(raj, "REL-1")] == [("Business", "any")]

    aid = approvals.approval_id_for(raj, "REL-1", "Business", "raj@example.com")
    seen = locking.version_of(raj, "approval", aid)
    approvals.delegate(ana, aid, "ana@example.com", version=seen)
    label = "raj@example.com's approval in REL-1"
    refused(
        raj,
        lambda: stages.delegate(raj, "REL-1", "Business", "raj@example.com", "x@y", version=seen),
        label,
    )
    refused(
        raj,
        lambda: stages.decide(
            raj, "REL-1", "Business", "raj@example.com", "approved", None, version=seen
        ),
        label,
    )
    assert approvals.approval_state(raj, aid)["decision"] == "pending"


def test_deployments_and_reviews(pair) -> None:
    ana, raj = pair
    make_release(ana, "REL-1")
    dep = make_deployment(ana, "REL-1", "production", outcome=None)
    seen = locking.version_of(raj, "deployment", dep)
    evidence.update_deployment(ana, dep, version=seen, outcome="success")
    refused(
        raj,
        lambda: evidence.update_deployment(raj, dep, version=seen, outcome="failed"),
        "the deployment of REL-1 to production",
    )
    assert [d["outcome"] for d in evidence.list_deployments(raj, "REL-1")] == ["success"]

    # a form that showed no review yet hands back 0: a review recorded meanwhile is not lost
    evidence.record_review(ana, "REL-1", "successful", lessons_learned="Ana's", version=0)
    refused(
        raj,
        lambda: evidence.record_review(raj, "REL-1", "failed", lessons_learned="Raj's", version=0),
        "the review of REL-1",
    )
    seen = locking.version_of(raj, "review", "REL-1")
    evidence.record_review(ana, "REL-1", "successful", lessons_learned="Ana's 2", version=seen)
    refused(
        raj,
        lambda: evidence.record_review(raj, "REL-1", "failed", version=seen),
        "the review of REL-1",
    )
    assert evidence.get_review(raj, "REL-1")["lessons_learned"] == "Ana's 2"


def test_templates_rules_and_windows(pair) -> None:
    ana, raj = pair
    templates.create_template(ana, "Standard", "minor")
    seen = locking.version_of(raj, "template", "Standard")
    templates.update_template(ana, "Standard", default_duration_days=12, version=seen)
    label = "template 'Standard'"
    refused(
        raj,
        lambda: templates.update_template(raj, "Standard", default_duration_days=5, version=seen),
        label,
    )
    refused(raj, lambda: templates.delete_template(raj, "Standard", version=seen), label)
    assert templates.get_template(raj, "Standard").default_duration_days == 12

    rid = rules.create_rule(
        ana,
        "Flag risky",
        "on_create",
        [{"field": "risk", "op": "gte", "value": "high"}],
        [{"action": "add_stage", "name": "CAB", "rule": "all", "approvers": ["ana@example.com"]}],
    )
    seen = locking.version_of(raj, "rule", rid)
    rules.update_rule(ana, rid, enabled=False, version=seen)
    refused(
        raj, lambda: rules.update_rule(raj, rid, enabled=True, version=seen), "rule 'Flag risky'"
    )
    refused(raj, lambda: rules.delete_rule(raj, rid, version=seen), "rule 'Flag risky'")
    assert [r.enabled for r in rules.list_rules(raj)] == [False]

    wid = make_window(ana, "Freeze", "freeze", AT_1042, AT_1042 + dt.timedelta(days=1))
    seen = locking.version_of(raj, "calendar_window", wid)
    windows.update_window(ana, wid, version=seen, title="Year-end freeze")
    refused(raj, lambda: windows.delete_window(raj, wid, version=seen), "window 'Year-end freeze'")
    assert windows.get_window(raj, wid).title == "Year-end freeze"


def test_cab_decisions_and_meeting(pair) -> None:
    ana, raj = pair
    board = ["ana@example.com", "raj@example.com"]
    make_ready_release(ana, "REL-2026-014", status="Awaiting Approval")
    make_stage(ana, "REL-2026-014", "CAB", "majority", board)
    meeting = cab.create_meeting(ana, chair="ana@example.com", title="Weekly CAB")
    [item] = meeting.items
    assert item.version == 1
    # the presenter's timer is not an edit: a decision made after it still goes through
    cab.record_time(ana, meeting.id, item.id, 90)
    cab.record_decision(ana, meeting.id, item.id, "approve", version=item.version)
    refused(
        raj,
        lambda: cab.record_decision(
            raj, meeting.id, item.id, "reject", "Too risky", version=item.version
        ),
        "the decision on REL-2026-014 in 'Weekly CAB'",
    )
    assert [i.decision for i in cab.get_meeting(raj, meeting.id).items] == ["approve"]

    seen = cab.get_meeting(raj, meeting.id).version
    cab.close_meeting(ana, meeting.id, version=seen)
    refused(
        raj,
        lambda: cab.close_meeting(raj, meeting.id, version=seen),
        "the CAB meeting 'Weekly CAB'",
    )


def test_a_change_deleted_from_an_old_copy(pair) -> None:
    ana, raj = pair
    changes.create_change(
        ana, {"key": "CHG-7", "title": "Card limits", "type": "normal", "category": "feature"}
    )
    seen = locking.version_of(raj, "change", "CHG-7")
    changes.update_change(ana, "CHG-7", {"title": "Card limits v2"}, version=seen)
    refused(raj, lambda: changes.delete_change(raj, "CHG-7", version=seen), "CHG-7")
    assert changes.get_change(raj, "CHG-7").title == "Card limits v2"


def test_an_old_plan_upgrades_with_versions_and_downgrades_again(plan_path) -> None:
    """0010_versions adds row_version to a plan made before it (rows start at 1) and its
    downgrade takes the columns away again."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from relman_desktop.models.planfile import _alembic_config

    open_plan(plan_path, create=True).close()
    engine = create_engine(f"sqlite:///{plan_path}")
    with engine.connect() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009_team")
        conn.commit()
        for table in ("people", "configuration_items", "deployments", "cab_agenda_items"):
            assert "row_version" not in {
                r[1] for r in conn.execute(text(f"PRAGMA table_info({table})"))
            }
        conn.execute(
            text("INSERT INTO people (email, name, roles) VALUES ('eve@example.com', 'Eve', '[]')")
        )
        conn.commit()
    engine.dispose()
    with open_plan(plan_path) as upgraded:  # opening an older plan upgrades it
        ctx = Ctx(upgraded, actor="me", clock=lambda: AT_1042)
        assert locking.version_of(ctx, "person", "eve@example.com") == 1
        people.update_person(ctx, "eve@example.com", {"team": "Payments"}, version=1)
        with pytest.raises(StaleVersion, match="^eve@example.com was changed by me at 10:42"):
            people.update_person(ctx, "eve@example.com", {"team": "Cards"}, version=1)
