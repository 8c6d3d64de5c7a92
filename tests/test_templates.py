"""Working days, template validation and CRUD, and releases made from a template."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers_builders import (  # noqa: F401  (plan, plan_template: fixtures)
    make_person,
    make_window,
    plan,
    plan_template,
)
from sqlalchemy import select

from relman_desktop.models.entities import AuditEvent, TaskDependency
from relman_desktop.services import approvals, templates
from relman_desktop.services.base import CycleError, NotFound, ValidationError, release_by_key
from relman_desktop.services.workdays import (
    add_workdays,
    count_workdays,
    next_workday,
    workdays_between,
)

D = dt.date
FRI, SAT, MON = D(2026, 11, 27), D(2026, 11, 28), D(2026, 11, 30)

BODY = {
    "tasks": [
        {
            "id": "build",
            "title": "Build image",
            "phase": "build",
            "role": "release_team",
            "offset_days": 0,
            "duration_days": 2,
        },
        {
            "id": "test",
            "title": "Regression",
            "phase": "test",
            "role": "qa",
            "offset_days": 2,
            "duration_days": 3,
            "depends_on": [{"task": "build", "type": "FS", "lag_days": 0}],
        },
        {
            "id": "deploy",
            "title": "Deploy",
            "phase": "deploy",
            "role": "release_manager",
            "offset_days": 5,
            "duration_days": 1,
            "depends_on": [{"task": "test"}],
        },
    ],
    "approval_stages": [
        {"name": "QA sign-off", "rule": "any", "approvers": ["qa@example.com"]},
        {
            "name": "CAB",
            "rule": "percent",
            "percent": 60,
            "approvers": ["cab1@example.com", "cab2@example.com"],
        },
    ],
    "required_tests": ["regression", "security"],
    "rollback_rehearsal_days": 90,
}


@pytest.fixture
def people(ctx):
    for email in ("rm@example.com", "qa@example.com", "cab1@example.com", "cab2@example.com"):
        make_person(ctx, email)


# --- working days -----------------------------------------------------------------------------------


def test_add_workdays_skips_weekends_and_holidays():
    assert add_workdays(FRI, 1) == MON
    assert add_workdays(FRI, 0) == FRI
    assert add_workdays(MON, -1) == FRI
    assert add_workdays(FRI, 1, {MON}) == D(2026, 12, 1)
    assert add_workdays(FRI, 5) == D(2026, 12, 4)
    assert next_workday(SAT) == MON and next_workday(FRI) == FRI


def test_count_workdays():
    assert count_workdays(FRI, MON) == 2
    assert count_workdays(SAT, D(2026, 11, 29)) == 0
    assert count_workdays(MON, D(2026, 12, 4), {D(2026, 12, 2)}) == 4
    assert count_workdays(MON, FRI) == 0
    assert workdays_between(FRI, MON) == 1
    assert workdays_between(MON, FRI) == -1
    assert workdays_between(FRI, D(2026, 12, 4)) == 5


# --- validation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, message, field",
    [
        (
            {"tasks": [{"id": "a", "title": "A", "phase": "cook"}]},
            "tasks[0].phase: 'cook' is not one of plan, build, test, approve, deploy, verify, rollback, review",
            "tasks[0].phase",
        ),
        (
            {"tasks": [{"id": "a", "title": "A", "phase": "build", "duration_days": -1}]},
            "tasks[0].duration_days: must be 0 or more, not -1",
            "tasks[0].duration_days",
        ),
        (
            {"tasks": [{"id": "a", "title": "A", "phase": "build", "offset_days": 1.5}]},
            "tasks[0].offset_days: 1.5 is not a whole number",
            "tasks[0].offset_days",
        ),
        (
            {"tasks": [{"id": "a", "title": " ", "phase": "build"}]},
            "tasks[0].title: must be non-empty text",
            "tasks[0].title",
        ),
        (
            {
                "tasks": [
                    {"id": "a", "title": "A", "phase": "build"},
                    {"id": "a", "title": "B", "phase": "test"},
                ]
            },
            "tasks[1].id: 'a' is used by another task",
            "tasks[1].id",
        ),
        (
            {
                "tasks": [
                    {"id": "a", "title": "A", "phase": "build", "depends_on": [{"task": "zz"}]}
                ]
            },
            "tasks[0].depends_on[0].task: no task 'zz' in this template",
            "tasks[0].depends_on[0].task",
        ),
        (
            {"tasks": [{"id": "a", "title": "A", "phase": "build", "colour": "red"}]},
            "tasks[0].colour: unknown field (allowed: depends_on, duration_days, id, offset_days, phase, role, title)",
            "tasks[0].colour",
        ),
        (
            {"approval_stages": [{"name": "CAB", "rule": "percent"}]},
            "Percent: the percent rule needs a whole number from 1 to 100, not None",
            "approval_stages[0].percent",
        ),
        (
            {
                "approval_stages": [
                    {"name": "CAB", "rule": "all", "approvers": ["ghost@example.com"]}
                ]
            },
            "approval_stages[0].approvers: unknown person 'ghost@example.com'",
            "approval_stages[0].approvers",
        ),
        (
            {"required_tests": ["smoke"]},
            "required_tests: each must be one of unit, integration, performance, security, uat, regression",
            "required_tests",
        ),
        (
            {"rollback_rehearsal_days": 0},
            "rollback_rehearsal_days: must be 1 or more, not 0",
            "rollback_rehearsal_days",
        ),
    ],
)
def test_template_validation_names_the_field(ctx, people, body, message, field):
    with pytest.raises(ValidationError) as info:
        templates.create_template(ctx, "Bad", "minor", body)
    assert (str(info.value), info.value.field) == (message, field)


def test_template_task_dependency_loop_is_refused(ctx):
    body = {
        "tasks": [
            {"id": "a", "title": "A", "phase": "build", "depends_on": [{"task": "b"}]},
            {"id": "b", "title": "B", "phase": "build", "depends_on": [{"task": "a"}]},
        ]
    }
    with pytest.raises(CycleError) as info:
        templates.create_template(ctx, "Loop", "minor", body)
    assert str(info.value) == "that task dependency would close a loop: a → b → a"


def test_template_crud(ctx, people):
    tid = templates.create_template(
        ctx, "Standard minor", "standard", BODY, default_duration_days=8
    )
    info = templates.get_template(ctx, "Standard minor")
    assert (info.id, info.release_type, info.default_duration_days, info.task_count) == (
        tid,
        "standard",
        8,
        3,
    )
    assert info.body["tasks"][2]["depends_on"] == [{"task": "test", "type": "FS", "lag_days": 0}]
    with pytest.raises(ValidationError) as dup:
        templates.create_template(ctx, "Standard minor", "minor", {})
    assert str(dup.value) == "name: a template 'Standard minor' already exists"
    with pytest.raises(ValidationError) as bad_type:
        templates.update_template(ctx, "Standard minor", release_type="huge")
    assert (
        str(bad_type.value)
        == "Release type: 'huge' is not one of major, minor, patch, emergency, standard"
    )

    templates.update_template(
        ctx, "Standard minor", new_name="Std minor", body={"required_tests": ["unit"]}
    )
    assert [t.name for t in templates.list_templates(ctx)] == ["Std minor"]
    assert templates.get_template(ctx, "Std minor").body["required_tests"] == ["unit"]
    templates.delete_template(ctx, "Std minor")
    assert templates.list_templates(ctx) == []
    with pytest.raises(NotFound):
        templates.get_template(ctx, "Std minor")
    with ctx.read() as s:
        actions = [
            e.action
            for e in s.execute(select(AuditEvent).where(AuditEvent.entity == "template")).scalars()
        ]
    assert actions == ["create", "update", "delete"]


# --- instantiation -------------------------------------------------------------------------------------


def test_release_from_template_across_a_weekend(ctx, people):
    templates.create_template(ctx, "Standard minor", "standard", BODY)
    key = templates.create_release_from_template(
        ctx,
        "Standard minor",
        key="REL-2026-030",
        title="Payments 2.4",
        start=FRI,
        manager_email="rm@example.com",
        application="payments",
    )
    assert key == "REL-2026-030"
    with ctx.read() as s:
        rel = release_by_key(s, key)
        assert [(t.local_id, t.start, t.end, t.phase, t.notes) for t in rel.tasks] == [
            (
                "build",
                FRI,
                MON,
                "build",
                "role: release_team",
            ),  # offset 0 on a Friday, 2 days: ends Monday
            ("test", D(2026, 12, 1), D(2026, 12, 3), "test", "role: qa"),
            ("deploy", D(2026, 12, 4), D(2026, 12, 4), "deploy", "role: release_manager"),
        ]
        assert rel.tasks[2].assignee.email == "rm@example.com"
        assert rel.tasks[0].assignee is None
        assert (rel.planned_start, rel.planned_end) == (FRI, D(2026, 12, 4))
        assert (rel.type, rel.status.name, rel.application, rel.manager.email) == (
            "standard",
            "Planning",
            "payments",
            "rm@example.com",
        )
        assert rel.required_tests == ["regression", "security"]
        assert rel.template.name == "Standard minor"
        deps = s.execute(select(TaskDependency)).scalars().all()
        assert len(deps) == 2
    stages = approvals.list_stages(ctx, key)
    assert [(st.name, st.rule, st.percent, [a.email for a in st.approvers]) for st in stages] == [
        ("QA sign-off", "any", None, ["qa@example.com"]),
        ("CAB", "percent", 60, ["cab1@example.com", "cab2@example.com"]),
    ]


def test_release_from_template_skips_holidays_and_starts_on_a_workday(ctx, people):
    make_window(
        ctx,
        "Bank holiday",
        "holiday",
        dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 3, tzinfo=dt.UTC),
    )
    templates.create_template(ctx, "Standard minor", "standard", BODY)
    key = templates.create_release_from_template(
        ctx, "Standard minor", key="REL-2026-031", title="P", start=SAT
    )
    with ctx.read() as s:
        rel = release_by_key(s, key)
        assert [(t.start, t.end) for t in rel.tasks] == [
            (MON, D(2026, 12, 1)),
            (D(2026, 12, 3), D(2026, 12, 7)),
            (D(2026, 12, 8), D(2026, 12, 8)),
        ]
        assert rel.manager is None


def test_release_from_template_without_tasks_uses_the_default_duration(ctx):
    templates.create_template(ctx, "Empty", "patch", {}, default_duration_days=3)
    key = templates.create_release_from_template(
        ctx, "Empty", key="REL-2026-032", title="Patch", start=FRI
    )
    with ctx.read() as s:
        assert release_by_key(s, key).planned_end == D(2026, 12, 1)


def test_release_from_template_refusals(ctx, people):
    templates.create_template(ctx, "Standard minor", "standard", BODY)
    templates.create_release_from_template(
        ctx, "Standard minor", key="REL-2026-030", title="P", start=FRI
    )
    with pytest.raises(ValidationError) as dup:
        templates.create_release_from_template(
            ctx, "Standard minor", key="REL-2026-030", title="P", start=FRI
        )
    assert (str(dup.value), dup.value.field) == (
        "Key: REL-2026-030 is already used by another release",
        "key",
    )
    with pytest.raises(ValidationError) as who:
        templates.create_release_from_template(
            ctx,
            "Standard minor",
            key="REL-2026-033",
            title="P",
            start=FRI,
            manager_email="ghost@example.com",
        )
    assert who.value.field == "manager_email"
    with pytest.raises(NotFound) as none:
        templates.create_release_from_template(
            ctx, "Nope", key="REL-2026-034", title="P", start=FRI
        )
    assert str(none.value) == "no template 'Nope' in this plan"


def test_release_from_template_raises_on_create_for_rules(ctx, people):
    from relman_desktop.services.rules import create_rule

    create_rule(
        ctx,
        "security for standard",
        "on_create",
        [{"field": "type", "op": "eq", "value": "standard"}],
        [{"action": "require_test", "kind": "unit"}],
    )
    templates.create_template(ctx, "Standard minor", "standard", BODY)
    key = templates.create_release_from_template(
        ctx, "Standard minor", key="REL-2026-035", title="P", start=FRI
    )
    with ctx.read() as s:
        assert release_by_key(s, key).required_tests == ["regression", "security", "unit"]
