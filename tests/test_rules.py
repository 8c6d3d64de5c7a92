"""The rules engine (when/if/then as data) and the evidence services that feed it."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers_builders import (  # noqa: F401  (plan, plan_template: fixtures)
    make_change,
    make_ci,
    make_person,
    make_ready_release,
    make_stage,
    make_task,
    plan,
    plan_template,
    set_release,
)
from sqlalchemy import select

from relman_desktop.models.entities import AuditEvent, Deployment
from relman_desktop.services import approvals, evidence, rules
from relman_desktop.services.base import NotFound, ValidationError, release_by_key

UTC = dt.UTC
KEY = "REL-2026-040"
CAB1, CAB2 = "cab1@example.com", "cab2@example.com"
RUN_AT = dt.datetime(2026, 11, 26, 18, 0, tzinfo=UTC)

CAB_PREAPPROVAL = dict(
    name="standard release with passing tests: CAB pre-approved",
    event="on_tests_recorded",
    conditions=[
        {"field": "type", "op": "eq", "value": "standard"},
        {"field": "tests_passed", "op": "eq", "value": True},
    ],
    actions=[{"action": "auto_approve_stage", "stage": "CAB"}],
)


@pytest.fixture
def release(ctx):
    make_person(ctx, CAB1, "Cara")
    make_person(ctx, CAB2, "Cole")
    key = make_ready_release(ctx, KEY, type="standard", required_tests=["regression", "unit"])
    make_stage(ctx, KEY, "CAB", "all", [CAB1, CAB2])
    return key


def fired(ctx):
    with ctx.read() as s:
        return [
            e.after
            for e in s.execute(
                select(AuditEvent).where(AuditEvent.action == "fired").order_by(AuditEvent.seq)
            ).scalars()
        ]


# --- the example of PRODUCT.md §2 --------------------------------------------------------------------------


def test_standard_release_whose_tests_passed_is_pre_approved_by_cab(ctx, release):
    rules.create_rule(ctx, **CAB_PREAPPROVAL)
    evidence.record_test_run(ctx, KEY, "regression", "staging", 120, 0, 3, RUN_AT)
    assert approvals.list_stages(ctx, KEY)[0].status == "pending"  # unit tests still missing
    assert fired(ctx) == []

    evidence.record_test_run(ctx, KEY, "unit", "ci", 800, 0, 0, RUN_AT, source="junit.xml")
    [stage] = approvals.list_stages(ctx, KEY)
    assert (stage.status, stage.explanation) == (
        "approved",
        "2 of 2 approvers approved, all 2 must approve",
    )
    assert [(a.decision, a.comment) for a in stage.approvers] == [
        ("approved", "auto-approved by rule standard release with passing tests: CAB pre-approved")
    ] * 2
    assert fired(ctx) == [
        {
            "rule": "standard release with passing tests: CAB pre-approved",
            "event": "on_tests_recorded",
            "done": ["approved 2 pending approval(s) of stage CAB; stage is approved"],
        }
    ]


def test_example_rule_does_not_fire_for_failed_tests_or_other_types(ctx, release):
    rules.create_rule(ctx, **CAB_PREAPPROVAL)
    evidence.record_test_run(ctx, KEY, "unit", "ci", 800, 0, 0, RUN_AT)
    evidence.record_test_run(ctx, KEY, "regression", "staging", 100, 4, 0, RUN_AT)
    assert approvals.list_stages(ctx, KEY)[0].status == "pending"
    set_release(ctx, KEY, type="minor")
    evidence.record_test_run(
        ctx, KEY, "regression", "staging", 104, 0, 0, RUN_AT + dt.timedelta(hours=1)
    )
    assert approvals.list_stages(ctx, KEY)[0].status == "pending"
    rules.update_rule(ctx, rules.list_rules(ctx)[0].id, enabled=False)
    set_release(ctx, KEY, type="standard")
    evidence.record_test_run(
        ctx, KEY, "regression", "staging", 104, 0, 0, RUN_AT + dt.timedelta(hours=2)
    )
    assert approvals.list_stages(ctx, KEY)[0].status == "pending"  # disabled


# --- conditions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cond, holds",
    [
        ({"field": "risk", "op": "gte", "value": "medium"}, True),
        ({"field": "risk", "op": "gte", "value": "high"}, False),
        ({"field": "priority", "op": "lte", "value": "medium"}, True),
        ({"field": "type", "op": "in", "value": ["standard", "patch"]}, True),
        ({"field": "type", "op": "not_in", "value": ["standard"]}, False),
        ({"field": "application", "op": "eq", "value": None}, True),
        ({"field": "status", "op": "ne", "value": "Build"}, True),
        ({"field": "tests_passed", "op": "eq", "value": False}, True),
        ({"field": "max_ci_criticality", "op": "gte", "value": "high"}, True),
        ({"field": "max_ci_criticality", "op": "eq", "value": "critical"}, True),
        ({"field": "change_count", "op": "gte", "value": 2}, True),
        ({"field": "change_count", "op": "lte", "value": 1}, False),
    ],
)
def test_conditions_over_fields_and_facts(ctx, release, cond, holds):
    make_ci(ctx, "payments-db", criticality="critical")
    make_ci(ctx, "web", criticality="low")
    make_change(ctx, "CHG-1", KEY, cis=["web"])
    make_change(ctx, "CHG-2", KEY, cis=["payments-db"])
    with ctx.read() as s:
        known = rules.facts(s, release_by_key(s, KEY), ctx.today())
    assert known == {
        "type": "standard",
        "risk": "medium",
        "priority": "medium",
        "application": None,
        "status": "Planning",
        "tests_passed": False,
        "max_ci_criticality": "critical",
        "change_count": 2,
    }
    assert rules.condition_holds(cond, known) is holds


def test_no_ci_means_no_criticality_and_ordered_tests_are_false():
    known = {"max_ci_criticality": None}
    assert not rules.condition_holds(
        {"field": "max_ci_criticality", "op": "gte", "value": "low"}, known
    )
    assert not rules.condition_holds(
        {"field": "max_ci_criticality", "op": "lte", "value": "critical"}, known
    )


# --- actions ------------------------------------------------------------------------------------------------


def test_actions_add_stage_assign_phase_require_test_set_field(ctx, release):
    make_person(ctx, "dba@example.com", "Dana DBA")
    make_task(ctx, KEY, "Migrate schema", "deploy")
    make_task(ctx, KEY, "Switch traffic", "deploy")
    make_task(ctx, KEY, "Build", "build")
    rules.create_rule(
        ctx,
        "high risk gets security review",
        "on_status_change",
        [
            {"field": "risk", "op": "gte", "value": "high"},
            {"field": "status", "op": "eq", "value": "Build"},
        ],
        [
            {
                "action": "add_stage",
                "name": "Security",
                "rule": "majority",
                "approvers": [CAB1, "dba@example.com"],
            },
            {"action": "assign_phase", "phase": "deploy", "person": "dba@example.com"},
            {"action": "require_test", "kind": "security"},
            {"action": "set_field", "field": "priority", "value": "critical"},
            {"action": "auto_approve_stage", "stage": "Nope"},
        ],
    )
    set_release(ctx, KEY, risk="high")
    from relman_desktop.services.lifecycle import transition

    transition(ctx, KEY, "Build")
    with ctx.read() as s:
        rel = release_by_key(s, KEY)
        assert rel.required_tests == ["regression", "unit", "security"]
        assert rel.priority == "critical"
        assert [(t.title, t.assignee.email if t.assignee else None) for t in rel.tasks] == [
            ("Migrate schema", "dba@example.com"),
            ("Switch traffic", "dba@example.com"),
            ("Build", None),
        ]
    assert [
        (st.name, st.rule, [a.email for a in st.approvers])
        for st in approvals.list_stages(ctx, KEY)
    ] == [("CAB", "all", [CAB1, CAB2]), ("Security", "majority", [CAB1, "dba@example.com"])]
    assert fired(ctx)[0]["done"] == [
        "added stage Security",
        "assigned 2 deploy task(s) to dba@example.com",
        "required security tests",
        "set priority to critical",
        "skipped: no stage 'Nope'",
    ]


def test_rules_run_in_position_order_and_each_fires_once(ctx, release):
    rules.create_rule(
        ctx,
        "second",
        "on_create",
        [],
        [{"action": "set_field", "field": "version", "value": "B"}],
        position=2,
    )
    rules.create_rule(
        ctx,
        "first",
        "on_create",
        [],
        [{"action": "set_field", "field": "version", "value": "A"}],
        position=1,
    )
    with ctx.write() as tx:
        rid = release_by_key(tx.session, KEY).id
        tx.rule_events.extend([("on_create", rid), ("on_create", rid)])
        rules.run_pending(tx)  # what every service that raises an event does at its end
    assert [f["rule"] for f in fired(ctx)] == ["first", "second"]
    with ctx.read() as s:
        assert release_by_key(s, KEY).version == "B"


def test_a_rule_retriggering_its_own_event_does_not_loop(ctx, release, monkeypatch):
    rules.create_rule(
        ctx, "echo", "on_schedule_change", [], [{"action": "require_test", "kind": "uat"}]
    )
    real_apply = rules._apply

    def apply_and_retrigger(tx, rule, rel, action):
        tx.rule_events.append(("on_schedule_change", rel.id))  # as if the action moved a date
        return real_apply(tx, rule, rel, action)

    monkeypatch.setattr(rules, "_apply", apply_and_retrigger)
    with ctx.write() as tx:
        tx.rule_events.append(("on_schedule_change", release_by_key(tx.session, KEY).id))
        rules.run_pending(tx)
    assert [f["rule"] for f in fired(ctx)] == ["echo"]


# --- validation and CRUD -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message, field",
    [
        (dict(name=" "), "name: a rule needs a name", "name"),
        (
            dict(event="on_lunch"),
            "event: 'on_lunch' is not one of on_create, on_status_change, "
            "on_tests_recorded, on_schedule_change",
            "event",
        ),
        (
            dict(conditions=[{"field": "colour", "op": "eq", "value": "x"}]),
            "conditions[0].field: 'colour' is not one of type, risk, priority, application, status, tests_passed, "
            "max_ci_criticality, change_count",
            "conditions[0].field",
        ),
        (
            dict(conditions=[{"field": "type", "op": "like", "value": "x"}]),
            "conditions[0].op: 'like' is not one of eq, ne, in, not_in, gte, lte",
            "conditions[0].op",
        ),
        (
            dict(conditions=[{"field": "type", "op": "gte", "value": "major"}]),
            "conditions[0].op: gte needs an ordered field (change_count, max_ci_criticality, priority, risk)",
            "conditions[0].op",
        ),
        (
            dict(conditions=[{"field": "risk", "op": "eq", "value": "huge"}]),
            "conditions[0].value: 'huge' is not one of low, medium, high, critical",
            "conditions[0].value",
        ),
        (
            dict(conditions=[{"field": "status", "op": "eq", "value": "Shipped"}]),
            "conditions[0].value: 'Shipped' is not one of Planning, Build, Testing, Awaiting Approval, Approved, "
            "Deploying, Deployed, In Review, Closed, On Hold, Cancelled, Rolled Back",
            "conditions[0].value",
        ),
        (
            dict(conditions=[{"field": "tests_passed", "op": "eq", "value": "yes"}]),
            "conditions[0].value: tests_passed is true or false, not 'yes'",
            "conditions[0].value",
        ),
        (
            dict(conditions=[{"field": "type", "op": "in", "value": []}]),
            "conditions[0].value: in needs a non-empty list of values",
            "conditions[0].value",
        ),
        (dict(actions=[]), "actions: a rule needs at least one action", "actions"),
        (
            dict(actions=[{"action": "deploy_now"}]),
            "actions[0].action: 'deploy_now' is not one of auto_approve_stage, add_stage, assign_phase, "
            "require_test, set_field",
            "actions[0].action",
        ),
        (
            dict(actions=[{"action": "set_field", "field": "status", "value": "Closed"}]),
            "actions[0].field: a rule may set only priority, risk, application, version, strategy, not 'status'",
            "actions[0].field",
        ),
        (
            dict(actions=[{"action": "set_field", "field": "risk", "value": "extreme"}]),
            "actions[0].value: 'extreme' is not one of low, medium, high, critical",
            "actions[0].value",
        ),
        (
            dict(
                actions=[
                    {"action": "assign_phase", "phase": "build", "person": "ghost@example.com"}
                ]
            ),
            "actions[0].person: unknown person 'ghost@example.com'",
            "actions[0].person",
        ),
        (
            dict(actions=[{"action": "require_test", "kind": "smoke"}]),
            "actions[0].kind: 'smoke' is not one of unit, integration, performance, security, uat, regression",
            "actions[0].kind",
        ),
        (
            dict(actions=[{"action": "add_stage", "name": "X", "rule": "percent", "percent": 120}]),
            "Percent: the percent rule needs a whole number from 1 to 100, not 120",
            "actions[0].percent",
        ),
        (
            dict(actions=[{"action": "auto_approve_stage"}]),
            "actions[0].stage: must be non-empty text",
            "actions[0].stage",
        ),
    ],
)
def test_rule_validation_names_the_field(ctx, kwargs, message, field):
    args = {**CAB_PREAPPROVAL, **kwargs}
    with pytest.raises(ValidationError) as info:
        rules.create_rule(ctx, **args)
    assert (str(info.value), info.value.field) == (message, field)


def test_rule_crud(ctx):
    rid = rules.create_rule(ctx, **CAB_PREAPPROVAL)
    other = rules.create_rule(
        ctx, "other", "on_create", [], [{"action": "require_test", "kind": "unit"}]
    )
    assert [(r.name, r.position, r.enabled) for r in rules.list_rules(ctx)] == [
        (CAB_PREAPPROVAL["name"], 0, True),
        ("other", 1, True),
    ]
    with pytest.raises(ValidationError) as dup:
        rules.update_rule(ctx, other, name=CAB_PREAPPROVAL["name"])
    assert str(dup.value) == f"name: a rule {CAB_PREAPPROVAL['name']!r} already exists"
    info = rules.update_rule(ctx, rid, position=5, enabled=False, conditions=[])
    assert (info.position, info.enabled, info.conditions) == (5, False, [])
    assert [r.name for r in rules.list_rules(ctx)] == ["other", CAB_PREAPPROVAL["name"]]
    rules.delete_rule(ctx, rid)
    assert [r.id for r in rules.list_rules(ctx)] == [other]
    with pytest.raises(NotFound):
        rules.delete_rule(ctx, rid)
    with ctx.read() as s:
        assert [
            e.action
            for e in s.execute(
                select(AuditEvent).where(AuditEvent.entity == "rule").order_by(AuditEvent.seq)
            ).scalars()
        ] == ["create", "create", "update", "delete"]


# --- evidence -------------------------------------------------------------------------------------------


def test_record_test_run_validation(ctx, release):
    with pytest.raises(ValidationError) as neg:
        evidence.record_test_run(ctx, KEY, "unit", "ci", 10, -1, 0, RUN_AT)
    assert (str(neg.value), neg.value.field) == (
        "Failed: must be a whole number 0 or more, not -1",
        "failed",
    )
    with pytest.raises(ValidationError) as kind:
        evidence.record_test_run(ctx, KEY, "smoke", "ci", 10, 0, 0, RUN_AT)
    assert (
        str(kind.value)
        == "Kind: 'smoke' is not one of unit, integration, performance, security, uat, regression"
    )
    with pytest.raises(ValidationError) as naive:
        evidence.record_test_run(ctx, KEY, "unit", "ci", 10, 0, 0, dt.datetime(2026, 11, 26))
    assert (str(naive.value), naive.value.field) == (
        "Run at: give a time zone with the time",
        "run_at",
    )
    rid = evidence.record_test_run(ctx, KEY, "unit", "ci", 10, 2, 1, RUN_AT, source="junit.xml")
    [row] = evidence.list_test_runs(ctx, KEY)
    assert (row["id"], row["verdict"], row["failed"], row["source"]) == (
        rid,
        "failed",
        2,
        "junit.xml",
    )


def test_deployments_review_and_links(ctx, release):
    start = dt.datetime(2026, 12, 5, 22, tzinfo=UTC)
    with pytest.raises(ValidationError) as order:
        evidence.record_deployment(
            ctx, KEY, "production", started_at=start, finished_at=start - dt.timedelta(hours=1)
        )
    assert (str(order.value), order.value.field) == (
        "Finished: the deployment cannot finish (2026-12-05 21:00) before started (2026-12-05 22:00)",
        "finished_at",
    )
    dep = evidence.record_deployment(
        ctx, KEY, "production", wave="canary 10%", started_at=start, outcome="success"
    )
    after = evidence.update_deployment(
        ctx, dep, finished_at=start + dt.timedelta(hours=2), incidents=1
    )
    assert (after["finished_at"], after["incidents"], after["wave"]) == (
        "2026-12-06T00:00:00Z",
        1,
        "canary 10%",
    )
    with pytest.raises(ValidationError) as restore:
        evidence.update_deployment(
            ctx, dep, failure_detected_at=start + dt.timedelta(hours=1), restored_at=start
        )
    assert restore.value.field == "restored_at"
    with pytest.raises(ValidationError) as bad:
        evidence.update_deployment(ctx, dep, outcome="meh")
    assert str(bad.value) == "Outcome: 'meh' is not one of success, failed, rolled_back, partial"
    with ctx.read() as s:
        assert s.get(Deployment, dep).outcome == "success"

    first = evidence.record_review(
        ctx,
        KEY,
        "successful_with_issues",
        incidents=1,
        lessons_learned="Bake longer",
        closed_by_email=CAB1,
    )
    assert (
        evidence.record_review(ctx, KEY, "successful") == first
    )  # one review per release, updated

    link = evidence.add_link(ctx, KEY, "incident", "INC-77", "caused_by", title="Checkout 500s")
    with pytest.raises(ValidationError) as dup:
        evidence.add_link(ctx, KEY, "incident", "INC-77", "caused_by")
    assert str(dup.value) == "External key: INC-77 is already linked to REL-2026-040"
    with pytest.raises(ValidationError) as rel:
        evidence.add_link(ctx, KEY, "incident", "INC-78", "blames")
    assert (
        str(rel.value)
        == "Relation: 'blames' is not one of initiated_by, fixes, caused_by, documents"
    )
    evidence.remove_link(ctx, link)
    with ctx.read() as s:
        r = release_by_key(s, KEY)
        assert (r.review.outcome, r.links) == ("successful", [])
        actions = [
            (e.entity, e.action)
            for e in s.execute(
                select(AuditEvent).where(AuditEvent.release_key == KEY).order_by(AuditEvent.seq)
            ).scalars()
        ]
    assert actions == [
        ("deployment", "create"),
        ("deployment", "update"),
        ("review", "create"),
        ("review", "update"),
        ("linked_record", "create"),
        ("linked_record", "delete"),
    ]
