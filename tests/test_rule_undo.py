"""Undoing a transition takes back what the rules fired by that move did (docs/changes-and-undo.md
§3): each kind of rule action, each refusal line, and redo running the rules again."""

from __future__ import annotations

import pytest
from helpers_builders import (  # noqa: F401  (plan, plan_template: fixtures)
    make_person,
    make_ready_release,
    make_stage,
    make_task,
    plan,
    plan_template,
    set_release,
)
from sqlalchemy import select

from relman_desktop.models.entities import AuditEvent
from relman_desktop.services import approvals, audit, history_words, lifecycle, releases, rules
from relman_desktop.services.base import UndoRefused, release_by_key

KEY = "REL-2026-050"
CARA, COLE, DANA = "cara@example.com", "cole@example.com", "dana@example.com"


@pytest.fixture
def release(ctx):
    make_person(ctx, CARA, "Cara")
    make_person(ctx, COLE, "Cole")
    make_person(ctx, DANA, "Dana DBA")
    return make_ready_release(ctx, KEY, required_tests=["unit"], priority="medium")


def on_entering(ctx, state: str, name: str, *actions: dict) -> None:
    rules.create_rule(
        ctx,
        name,
        "on_status_change",
        [{"field": "status", "op": "eq", "value": state}],
        list(actions),
    )


def undo(ctx, moved: lifecycle.Moved) -> str:
    return lifecycle.undo_transition(
        ctx, moved.key, moved.came_from, moved.held, events=moved.events
    )


def stages(ctx) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [
        (st.name, st.status, [(a.email, a.decision) for a in st.approvers])
        for st in approvals.list_stages(ctx, KEY)
    ]


def last_events(ctx, n: int) -> list[tuple[str, str, str]]:
    with ctx.read() as s:
        rows = s.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(n)).scalars()
        return [(e.entity, e.action, e.after) for e in rows][::-1]


CAB = {"action": "add_stage", "name": "CAB", "rule": "all", "approvers": [CARA, COLE]}


# --- add_stage ------------------------------------------------------------------------------------


def test_undo_removes_the_stage_the_rule_added_with_its_approvals(ctx, release):
    on_entering(ctx, "Build", "builds need a CAB", CAB)
    moved = lifecycle.move(ctx, KEY, "Build")
    assert (moved.state, moved.came_from, moved.held) == ("Build", "Planning", None)
    assert stages(ctx) == [("CAB", "pending", [(CARA, "pending"), (COLE, "pending")])]

    assert undo(ctx, moved) == "Planning"

    assert lifecycle.status_of(ctx, KEY) == ("Planning", None)
    assert stages(ctx) == []
    [(entity, action, after)] = [e for e in last_events(ctx, 2) if e[0] == "approval_stage"]
    assert (entity, action) == ("approval_stage", "delete")
    assert after == {"because": f"undo of moving {KEY} to Build: added by rule 'builds need a CAB'"}
    said = [  # the History tab's words, less who did it (the engine's user on a server)
        history_words.sentence(row).removeprefix(f"{row.actor} ")
        for row in audit.history(ctx, KEY, limit=2)
    ]
    assert f"put {KEY} back in Planning (undo)" in said
    assert (
        f"removed the CAB stage (undo of moving {KEY} to Build: added by rule "
        "'builds need a CAB')" in said
    )


def test_undo_is_refused_when_the_stage_the_rule_added_has_a_decision_since(ctx, release):
    on_entering(ctx, "Build", "builds need a CAB", CAB)
    moved = lifecycle.move(ctx, KEY, "Build")
    cara = approvals.approval_id_for(ctx, KEY, "CAB", CARA)
    before = approvals.approval_state(ctx, cara)
    approvals.decide(ctx, cara, "approved", "fine")

    with pytest.raises(UndoRefused) as refused:
        undo(ctx, moved)

    assert str(refused.value) == (
        "the CAB stage the rule 'builds need a CAB' added has a decision by Cara since; take "
        f"that decision back first, or move {KEY} back through its lifecycle (the stage then "
        "stays)"
    )
    assert lifecycle.status_of(ctx, KEY) == ("Build", None)  # nothing was written
    assert stages(ctx) == [("CAB", "pending", [(CARA, "approved"), (COLE, "pending")])]

    approvals.restore_approval(ctx, cara, before)  # the decision taken back: the undo goes
    assert undo(ctx, moved) == "Planning"
    assert stages(ctx) == []


def test_a_stage_that_existed_before_the_move_is_not_touched(ctx, release):
    make_stage(ctx, KEY, "CAB", "all", [CARA])
    on_entering(ctx, "Build", "builds need a CAB", CAB)  # skipped: the stage exists already
    moved = lifecycle.move(ctx, KEY, "Build")
    undo(ctx, moved)
    assert stages(ctx) == [("CAB", "pending", [(CARA, "pending")])]


# --- auto_approve_stage -------------------------------------------------------------------------------


def test_undo_takes_back_the_decisions_the_rule_gave(ctx, release):
    make_stage(ctx, KEY, "CAB", "all", [CARA, COLE])
    on_entering(
        ctx, "Build", "CAB pre-approves builds", {"action": "auto_approve_stage", "stage": "CAB"}
    )
    moved = lifecycle.move(ctx, KEY, "Build")
    assert stages(ctx) == [("CAB", "approved", [(CARA, "approved"), (COLE, "approved")])]

    undo(ctx, moved)

    assert stages(ctx) == [("CAB", "pending", [(CARA, "pending"), (COLE, "pending")])]
    actions = [(e, a) for e, a, _ in last_events(ctx, 5)]
    assert actions.count(("approval", "restore")) == 2


def test_undo_is_refused_when_a_decision_the_rule_gave_changed_since(ctx, release):
    make_stage(ctx, KEY, "CAB", "all", [CARA, COLE])
    on_entering(
        ctx, "Build", "CAB pre-approves builds", {"action": "auto_approve_stage", "stage": "CAB"}
    )
    moved = lifecycle.move(ctx, KEY, "Build")
    cole = approvals.approval_id_for(ctx, KEY, "CAB", COLE)
    as_the_rule_left_it = approvals.approval_state(ctx, cole)
    approvals.decide(ctx, cole, "rejected", "not this week")

    with pytest.raises(UndoRefused) as refused:
        undo(ctx, moved)

    assert str(refused.value) == (
        "Cole's approval in the CAB stage, which the rule 'CAB pre-approves builds' gave, has "
        f"changed since (it is rejected now); take that back first, or move {KEY} back through "
        "its lifecycle (the approval then stays)"
    )
    assert lifecycle.status_of(ctx, KEY)[0] == "Build"
    assert stages(ctx)[0][2] == [(CARA, "approved"), (COLE, "rejected")]

    approvals.restore_approval(ctx, cole, as_the_rule_left_it)  # Cole's rejection undone
    undo(ctx, moved)
    assert stages(ctx) == [("CAB", "pending", [(CARA, "pending"), (COLE, "pending")])]


def test_decisions_on_a_stage_the_same_move_added_go_with_the_stage(ctx, release):
    on_entering(
        ctx,
        "Build",
        "CAB for builds, pre-approved",
        CAB,
        {"action": "auto_approve_stage", "stage": "CAB"},
    )
    moved = lifecycle.move(ctx, KEY, "Build")
    assert stages(ctx)[0][1] == "approved"
    undo(ctx, moved)
    assert stages(ctx) == []


# --- set_field, assign_phase, require_test ---------------------------------------------------------------


def priority(ctx) -> str:
    with ctx.read() as s:
        return str(release_by_key(s, KEY).priority.value)


def test_undo_puts_back_a_field_the_rule_set(ctx, release):
    on_entering(
        ctx,
        "Build",
        "builds are urgent",
        {"action": "set_field", "field": "priority", "value": "critical"},
    )
    moved = lifecycle.move(ctx, KEY, "Build")
    assert priority(ctx) == "critical"
    undo(ctx, moved)
    assert priority(ctx) == "medium"
    assert ("release", "update", {"priority": "medium"}) in last_events(ctx, 2)


def test_undo_is_refused_when_a_field_the_rule_set_changed_since(ctx, release):
    on_entering(
        ctx,
        "Build",
        "builds are urgent",
        {"action": "set_field", "field": "priority", "value": "critical"},
    )
    moved = lifecycle.move(ctx, KEY, "Build")
    releases.update_release(ctx, KEY, {"priority": "low"})

    with pytest.raises(UndoRefused) as refused:
        undo(ctx, moved)

    assert str(refused.value) == (
        "the priority the rule 'builds are urgent' set to critical is low now (changed since); "
        f"move {KEY} back through its lifecycle instead"
    )
    assert (lifecycle.status_of(ctx, KEY)[0], priority(ctx)) == ("Build", "low")


def assignees(ctx) -> list[tuple[str, str | None]]:
    with ctx.read() as s:
        return [
            (t.title, t.assignee.email if t.assignee else None)
            for t in release_by_key(s, KEY).tasks
        ]


def test_undo_gives_the_tasks_back_to_who_had_them(ctx, release):
    make_task(ctx, KEY, "Migrate schema", "deploy", assignee_email=COLE)
    make_task(ctx, KEY, "Switch traffic", "deploy")
    on_entering(
        ctx, "Build", "DBA deploys", {"action": "assign_phase", "phase": "deploy", "person": DANA}
    )
    moved = lifecycle.move(ctx, KEY, "Build")
    assert assignees(ctx) == [("Migrate schema", DANA), ("Switch traffic", DANA)]

    undo(ctx, moved)

    assert assignees(ctx) == [("Migrate schema", COLE), ("Switch traffic", None)]


def test_undo_is_refused_when_a_task_the_rule_assigned_went_to_someone_else(ctx, release):
    make_task(ctx, KEY, "Migrate schema", "deploy")
    on_entering(
        ctx, "Build", "DBA deploys", {"action": "assign_phase", "phase": "deploy", "person": DANA}
    )
    moved = lifecycle.move(ctx, KEY, "Build")
    from relman_desktop.services import tasks

    tasks.update_task(ctx, KEY, "T1", {"assignee_email": CARA})

    with pytest.raises(UndoRefused) as refused:
        undo(ctx, moved)

    assert str(refused.value) == (
        f"the task “Migrate schema” the rule 'DBA deploys' assigned to {DANA} is assigned to "
        f"{CARA} now; move {KEY} back through its lifecycle instead"
    )
    assert assignees(ctx) == [("Migrate schema", CARA)]


def required(ctx) -> list[str]:
    with ctx.read() as s:
        return list(release_by_key(s, KEY).required_tests)


def test_undo_drops_the_test_the_rule_required_and_keeps_those_required_since(ctx, release):
    on_entering(
        ctx, "Build", "builds need security tests", {"action": "require_test", "kind": "security"}
    )
    moved = lifecycle.move(ctx, KEY, "Build")
    releases.update_release(ctx, KEY, {"required_tests": ["unit", "security", "performance"]})

    undo(ctx, moved)

    assert required(ctx) == ["unit", "performance"]


# --- only that move, and redo ---------------------------------------------------------------------------


def test_only_the_undone_moves_rule_effects_are_taken_back(ctx, release):
    on_entering(ctx, "Build", "builds need a CAB", CAB)
    on_entering(ctx, "On Hold", "held releases get a review", {**CAB, "name": "Hold review"})
    lifecycle.move(ctx, KEY, "Build")
    second = lifecycle.move(ctx, KEY, "On Hold")
    assert [name for name, _, _ in stages(ctx)] == ["CAB", "Hold review"]

    assert undo(ctx, second) == "Build"

    assert [name for name, _, _ in stages(ctx)] == ["CAB"]


def test_redo_runs_the_rules_again_and_adds_the_stage_once(ctx, release):
    on_entering(ctx, "Build", "builds need a CAB", CAB)
    moved = lifecycle.move(ctx, KEY, "Build")
    undo(ctx, moved)

    again = lifecycle.move(ctx, KEY, "Build")  # what the store's redo runs

    assert [name for name, _, _ in stages(ctx)] == ["CAB"]
    assert again.events != moved.events
    undo(ctx, again)
    assert stages(ctx) == []


def test_an_undo_without_the_moves_events_only_puts_the_state_back(ctx, release):
    on_entering(ctx, "Build", "builds need a CAB", CAB)
    moved = lifecycle.move(ctx, KEY, "Build")
    assert lifecycle.undo_transition(ctx, KEY, moved.came_from) == "Planning"
    assert [name for name, _, _ in stages(ctx)] == ["CAB"]


def test_undo_out_of_on_hold_puts_back_where_hold_would_return(ctx, release):
    set_release(ctx, KEY, required_tests=["unit"])
    lifecycle.move(ctx, KEY, "Build")
    on_entering(ctx, "On Hold", "held releases get a hold review", {**CAB, "name": "Hold review"})
    held = lifecycle.move(ctx, KEY, "On Hold")
    back = lifecycle.move(ctx, KEY, "back")
    assert (back.state, back.came_from, back.held) == ("Build", "On Hold", "Build")

    undo(ctx, back)
    assert lifecycle.status_of(ctx, KEY) == ("On Hold", "Build")
    undo(ctx, held)
    assert lifecycle.status_of(ctx, KEY) == ("Build", None)
    assert stages(ctx) == []
