"""Workflow meaning is data, not names (issue 11, item 6).

Every state carries a role; guards, impact, conflicts, the critical path, CAB eligibility and
the calendar ask for roles. The same lifecycle walked on the default workflow and on one whose
every state is renamed must behave identically; Closed and Cancelled releases (by role) are
read-only in every service until a transition reopens them.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers_builders import (
    make_change,
    make_ci,
    make_dependency,
    make_person,
    make_ready_release,
    make_task,
    set_release,
    set_task_status,
)
from sqlalchemy import text

from relman_desktop.models import enums as E
from relman_desktop.models.planfile import open_plan
from relman_desktop.services import (
    approvals,
    cab,
    changes,
    conflicts,
    critical_path,
    evidence,
    impact,
    releases,
    scheduling,
    tasks,
    workflow,
)
from relman_desktop.services.base import Ctx, GuardRefused, ReadOnlyRelease
from relman_desktop.services.guards import GUARDS, check_guard
from relman_desktop.services.lifecycle import available_transitions, can_transition, transition

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
KEY, PRE, TOGETHER, OTHER = "REL-2026-014", "REL-2026-010", "REL-2026-011", "REL-2026-012"

DEFAULT = {
    r: n
    for n, r in (
        ("Planning", "planning"),
        ("Build", "build"),
        ("Testing", "testing"),
        ("Awaiting Approval", "awaiting_approval"),
        ("Approved", "approved"),
        ("Deploying", "deploying"),
        ("Deployed", "deployed"),
        ("In Review", "in_review"),
        ("Closed", "closed"),
        ("On Hold", "on_hold"),
        ("Cancelled", "cancelled"),
        ("Rolled Back", "rolled_back"),
    )
}
RENAMED = {
    "planning": "Idea",
    "build": "Make",
    "testing": "Verify",
    "awaiting_approval": "Waiting for CAB",
    "approved": "Go",
    "deploying": "Rolling out",
    "deployed": "Live",
    "in_review": "Retro",
    "closed": "Done",
    "on_hold": "Parked",
    "cancelled": "Dropped",
    "rolled_back": "Reverted",
}


def new_ctx(path: Path, names: dict[str, str]) -> Ctx:
    ctx = Ctx(open_plan(path, create=True), actor="tester@example.com", clock=lambda: NOW)
    for role, name in names.items():
        if DEFAULT[role] != name:
            workflow.rename_state(ctx, DEFAULT[role], name)
    return ctx


def neutral(value: Any, names: dict[str, str]) -> str:
    """A transcript line with every state name replaced by <role>, so runs compare."""
    out = str(value)
    for role, name in sorted(names.items(), key=lambda kv: -len(kv[1])):
        out = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", f"<{role}>", out)
    return out


def every_guard(ctx: Ctx, key: str) -> list[tuple[str, str | None, list[str]]]:
    from relman_desktop.services.base import release_by_key

    with ctx.read() as s:
        rel = release_by_key(s, key)
        return [
            (name, param, check_guard(s, rel, name, param, ctx.today()).messages)
            for name, g in GUARDS.items()
            for param in ((p.value for p in E.Phase) if g.takes_phase else (None,))
        ]


def lifecycle(ctx: Ctx, n: dict[str, str]) -> list[str]:
    """The whole lifecycle with every guard, told as what a user sees."""
    log: list[str] = []

    def see(*parts: Any) -> None:
        log.append(neutral(" | ".join(str(p) for p in parts), n))

    make_person(ctx, "cab@example.com", "Carla CAB")
    make_ci(ctx, "payments-db")
    for key in (KEY, PRE, TOGETHER, OTHER):
        make_ready_release(
            ctx,
            key,
            status=n["planning"],
            deploy_start=dt.datetime(2026, 12, 5, 22, tzinfo=UTC),
            deploy_end=dt.datetime(2026, 12, 6, 2, tzinfo=UTC),
        )
    make_dependency(ctx, KEY, PRE, "before")
    make_dependency(ctx, KEY, TOGETHER, "together")
    set_release(
        ctx,
        PRE,
        deploy_start=dt.datetime(2026, 12, 4, 22, tzinfo=UTC),
        deploy_end=dt.datetime(2026, 12, 6, 1, tzinfo=UTC),
    )
    build = make_task(ctx, KEY, "Compile image", "build")
    deploy = make_task(ctx, KEY, "Ship to prod", "deploy")
    set_release(ctx, KEY, required_tests=["regression"])
    approvals.add_stage(ctx, KEY, "CAB", "all", ["cab@example.com"])
    see("guards at the start", every_guard(ctx, KEY))
    see("next", [(o.to_state, o.label) for o in available_transitions(ctx, KEY)])

    see("to build", transition(ctx, KEY, n["build"]))
    make_change(ctx, "CHG-1001", KEY)
    with pytest.raises(GuardRefused) as refused:
        transition(ctx, KEY, n["testing"])
    see("refused", refused.value)
    set_task_status(ctx, build, "done")
    see("to testing", transition(ctx, KEY, n["testing"]))
    evidence.record_test_run(ctx, KEY, "regression", "staging", 120, 0, 2, NOW)
    see("to awaiting approval", transition(ctx, KEY, n["awaiting_approval"]))

    see("CAB eligible", cab.eligible_releases(ctx))
    [approver] = approvals.list_stages(ctx, KEY)[0].approvers
    approvals.decide(ctx, approver.approval_id, "approved", "fine")
    set_release(ctx, KEY, rollback_plan="Redeploy 2.3.1", rollback_minutes=20)
    see("to approved", transition(ctx, KEY, n["approved"]))
    see("CAB eligible after", cab.eligible_releases(ctx))

    # dependencies_met, window_clear and the conflicts while the prerequisite is not deployed
    see("deploying?", can_transition(ctx, KEY, n["deploying"]))
    see("conflicts", sorted((c.rule, c.message) for c in conflicts.conflicts_for_release(ctx, KEY)))
    see("impact", [(m.key, m.days) for m in impact.impact(ctx, PRE, 3).moved])
    see("critical path", critical_path.release_critical_path(ctx).critical)
    set_release(ctx, PRE, status=n["deployed"])
    set_release(ctx, TOGETHER, status=n["approved"])
    see("guards once the prerequisite is deployed", every_guard(ctx, KEY))
    see(
        "conflicts after",
        sorted((c.rule, c.message) for c in conflicts.conflicts_for_release(ctx, KEY)),
    )
    see("impact after", [(m.key, m.days) for m in impact.impact(ctx, PRE, 3).moved])
    see("to deploying", transition(ctx, KEY, n["deploying"]))
    set_task_status(ctx, deploy, "done")
    see("to deployed", transition(ctx, KEY, n["deployed"]))
    see("to in review", transition(ctx, KEY, n["in_review"]))
    evidence.record_review(ctx, KEY, "successful", lessons_learned="Smooth")
    see("to closed", transition(ctx, KEY, n["closed"]))

    # read-only once closed; reopening is a transition
    see("closed next", [(o.to_state, o.label) for o in available_transitions(ctx, KEY)])
    with pytest.raises(ReadOnlyRelease) as ro:
        releases.update_release(ctx, KEY, {"title": "Renamed"})
    see("closed edit", ro.value)
    see("reopen", transition(ctx, KEY, "Reopen"))
    see("edit after reopen", releases.update_release(ctx, KEY, {"title": "Renamed"}).title)

    # on hold remembers where it was; cancelled from any open state, read-only, reopened
    see("hold", transition(ctx, OTHER, n["on_hold"]), transition(ctx, OTHER, "back"))
    see("cancel", transition(ctx, OTHER, n["cancelled"]))
    see("critical path without the cancelled", critical_path.release_critical_path(ctx).critical)
    with pytest.raises(ReadOnlyRelease) as ro:
        tasks.add_task(ctx, OTHER, {"title": "Late task", "phase": "build"})
    see("cancelled edit", ro.value)
    see("reopen cancelled", transition(ctx, OTHER, "Reopen"))
    return log


def test_renaming_every_state_changes_no_behaviour(tmp_path):
    default_ctx = new_ctx(tmp_path / "default.relman", DEFAULT)
    renamed_ctx = new_ctx(tmp_path / "renamed.relman", RENAMED)
    try:
        assert [s.name for s in workflow.list_states(renamed_ctx)][:3] == ["Idea", "Make", "Verify"]
        assert {s.role for s in workflow.list_states(renamed_ctx)} == set(RENAMED)
        by_default = lifecycle(default_ctx, DEFAULT)
        by_renamed = lifecycle(renamed_ctx, RENAMED)
    finally:
        default_ctx.plan.close()
        renamed_ctx.plan.close()
    assert by_renamed == by_default
    said = "\n".join(by_default)
    # What the transcript holds is what a user would notice, not an empty agreement:
    assert f"{PRE} (a prerequisite) is <planning>, not deployed or closed" in said
    assert (
        f"{TOGETHER} (deploys together with this release) is <planning>, not approved yet" in said
    )
    assert f"CAB eligible | ['{KEY}']" in said
    assert "CAB eligible after | []" in said
    assert "to closed | <closed>" in said
    assert (
        f"closed edit | {KEY} is <closed>: reopen it through a workflow transition to edit it"
        in said
    )
    assert "reopen | <in_review>" in said and "edit after reopen | Renamed" in said
    assert (
        f"cancelled edit | {OTHER} is <cancelled>: reopen it through a workflow transition to edit it"
        in said
    )
    guards_after = next(
        line for line in by_default if line.startswith("guards once the prerequisite")
    )
    assert "('dependencies_met', None, [])" in guards_after


def test_a_renamed_deployed_state_still_meets_dependencies(ctx):
    """The issue's report: "Deployed" renamed "Live" made dependencies_met fail."""
    make_ready_release(ctx, KEY)
    make_ready_release(ctx, PRE)
    make_dependency(ctx, KEY, PRE)
    workflow.rename_state(ctx, "Deployed", "Live")
    set_release(ctx, PRE, status="Live")
    assert dict(((g, p), m) for g, p, m in every_guard(ctx, KEY))[("dependencies_met", None)] == []


def test_a_custom_state_without_a_role_is_an_ordinary_open_state(ctx):
    make_ready_release(ctx, KEY)
    make_ready_release(ctx, PRE)
    make_dependency(ctx, KEY, PRE)
    workflow.add_state(ctx, "Pilot", position=7)
    set_release(ctx, PRE, status="Pilot")
    [pilot] = [s for s in workflow.list_states(ctx) if s.name == "Pilot"]
    assert pilot.role is None
    messages = dict(((g, p), m) for g, p, m in every_guard(ctx, KEY))[("dependencies_met", None)]
    assert messages == [f"{PRE} (a prerequisite) is Pilot, not deployed or closed"]
    # Giving it the deployed role is what makes it count as deployed.
    workflow.set_state_role(ctx, "Pilot", "deployed")
    assert dict(((g, p), m) for g, p, m in every_guard(ctx, KEY))[("dependencies_met", None)] == []
    with pytest.raises(Exception) as bad:
        workflow.set_state_role(ctx, "Pilot", "shipped")
    assert str(bad.value).startswith("Role: 'shipped' is not one of planning, build, testing")


def test_every_write_to_a_closed_release_is_refused_with_one_line(ctx):
    make_person(ctx, "cab@example.com")
    make_ready_release(
        ctx,
        KEY,
        deploy_start=dt.datetime(2026, 12, 5, 22, tzinfo=UTC),
        deploy_end=dt.datetime(2026, 12, 6, 2, tzinfo=UTC),
    )
    make_ready_release(ctx, PRE)
    task = tasks.add_task(ctx, KEY, {"title": "Build image", "phase": "build"})
    stage = approvals.add_stage(ctx, KEY, "CAB", "all", ["cab@example.com"])
    change = changes.create_change(
        ctx,
        {
            "key": "CHG-7",
            "title": "Schema",
            "type": "normal",
            "category": "fix",
            "risk": "low",
            "approval": "approved",
        },
    )
    set_release(ctx, KEY, status="Closed")
    line = f"{KEY} is Closed: reopen it through a workflow transition to edit it"
    writes = {
        "update": lambda: releases.update_release(ctx, KEY, {"title": "x"}),
        "add task": lambda: tasks.add_task(ctx, KEY, {"title": "t", "phase": "build"}),
        "update task": lambda: tasks.update_task(ctx, KEY, task, {"title": "t2"}),
        "delete task": lambda: tasks.delete_task(ctx, KEY, task),
        "stage": lambda: approvals.add_stage(ctx, KEY, "Business", "all", ["cab@example.com"]),
        "remove stage": lambda: approvals.remove_stage(ctx, stage),
        "bundle": lambda: changes.bundle_change(ctx, change, KEY),
        "test run": lambda: evidence.record_test_run(ctx, KEY, "unit", None, 1, 0, 0, NOW),
        "review": lambda: evidence.record_review(ctx, KEY, "successful"),
        "dependency": lambda: releases.add_dependency(ctx, KEY, PRE),
        "move": lambda: scheduling.move_release(
            ctx,
            KEY,
            dt.datetime(2026, 12, 12, 22, tzinfo=UTC),
            dt.datetime(2026, 12, 13, 1, tzinfo=UTC),
        ),
    }
    before = releases.get_release(ctx, KEY)
    for what, write in writes.items():
        with pytest.raises(ReadOnlyRelease) as refused:
            write()
        assert str(refused.value) == line, what
    assert releases.get_release(ctx, KEY) == before  # nothing written
    assert [t.title for t in tasks.list_tasks(ctx, KEY)] == ["Build image"]
    # Another release may still depend on it; deleting it stays possible.
    releases.add_dependency(ctx, PRE, KEY)
    transition(ctx, KEY, "Reopen")
    assert tasks.update_task(ctx, KEY, task, {"title": "Build image v2"}).title == "Build image v2"


def test_older_plan_gets_roles_from_default_names(tmp_path):
    """Migration: a plan from before roles, with one state renamed ("Live") and a custom one."""
    from alembic import command
    from sqlalchemy import create_engine

    from relman_desktop.models.planfile import _alembic_config

    path = tmp_path / "old.relman"
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        conn.execute(text("INSERT INTO plan_meta (key, value) VALUES ('format', 'relman-plan')"))
        for i, (name, category) in enumerate(
            (
                ("Planning", "open"),
                ("Live", "open"),
                ("closed", "terminal"),
                ("Parked", "hold"),
                ("In Review", "open"),
            )
        ):
            conn.execute(
                text("INSERT INTO workflow_states (name, position, category) VALUES (:n, :p, :c)"),
                {"n": name, "p": i, "c": category},
            )
        conn.commit()
    engine.dispose()
    plan = open_plan(path)
    try:
        ctx = Ctx(plan)
        roles = {s.name: s.role for s in workflow.list_states(ctx)}
        assert roles == {
            "Planning": "planning",
            "Live": None,
            "closed": "closed",
            "Parked": "on_hold",
            "In Review": "in_review",
        }
        reopen = [t for t in workflow.list_transitions(ctx) if t.label == "Reopen"]
        assert [(t.from_state, t.to_state) for t in reopen] == [("closed", "In Review")]
    finally:
        plan.close()
    con = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError):  # the role column keeps its CHECK after the upgrade
        con.execute("UPDATE workflow_states SET role = 'shipped' WHERE name = 'Live'")
    con.close()


def test_plan_json_round_trips_roles_and_old_files_get_them_by_name(ctx, tmp_path):
    from relman_desktop.exports.plan_json import export_plan
    from relman_desktop.importers.plan_json import import_plan

    workflow.rename_state(ctx, "Deployed", "Live")
    doc = export_plan(ctx)
    states = {s["name"]: s.get("role") for s in doc["workflow"]["states"]}
    assert states["Live"] == "deployed" and states["Planning"] == "planning"
    for st in doc["workflow"]["states"]:  # as a file written before roles existed
        del st["role"]
    other = Ctx(open_plan(tmp_path / "other.relman", create=True))
    try:
        import_plan(other, doc)
        roles = {s.name: s.role for s in workflow.list_states(other)}
        assert roles["Planning"] == "planning" and roles["Closed"] == "closed"
        assert roles["Live"] is None  # an unknown name gets no role; Settings > Workflow gives one
    finally:
        other.plan.close()


def test_a_rule_on_a_renamed_state_still_fires(ctx):
    """Rules name states in their conditions; a rename carries them along."""
    from relman_desktop.services import rules

    make_ready_release(ctx, KEY)
    rules.create_rule(
        ctx,
        "raise priority when building",
        "on_status_change",
        [{"field": "status", "op": "eq", "value": "Build"}],
        [{"action": "set_field", "field": "priority", "value": "high"}],
    )
    rules.create_rule(
        ctx,
        "note leaving planning",
        "on_status_change",
        [{"field": "status", "op": "in", "value": ["Build", "Testing"]}],
        [{"action": "require_test", "kind": "uat"}],
    )
    workflow.rename_state(ctx, "Build", "Make")
    conditions = {r.name: r.conditions for r in rules.list_rules(ctx)}
    assert conditions["raise priority when building"][0]["value"] == "Make"
    assert conditions["note leaving planning"][0]["value"] == ["Make", "Testing"]
    transition(ctx, KEY, "Make")
    detail = releases.get_release(ctx, KEY)
    assert (detail.priority, detail.required_tests) == ("high", ["uat"])
