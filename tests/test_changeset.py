"""What a write changed, derived once from its transaction's audit events (services/changeset.py):
the operation's own rows, what rules did in the same transaction, renames, and the same summary
for writes made by another process."""

from __future__ import annotations

from helpers_builders import make_person, make_ready_release

from relman_desktop.services import changeset, lifecycle, releases, rules, tasks
from relman_desktop.services.base import Ctx, ValidationError
from relman_desktop.services.changeset import Action, ChangeSet, Kind

KEY = "REL-2026-040"


def test_an_operation_answers_its_result_and_what_it_created(ctx):
    make_ready_release(ctx, KEY)
    outcome = changeset.run(ctx, tasks.add_task, KEY, {"title": "Deploy"})

    assert outcome.result == "T1"
    assert outcome.changes.created(Kind.TASKS) == {f"{KEY}/T1"}
    assert outcome.changes.releases(Kind.TASKS) == {KEY}
    assert outcome.changes.kinds == {Kind.TASKS}


def test_a_refused_operation_raises_and_records_nothing(ctx):
    make_ready_release(ctx, KEY)
    with ctx.recording() as recorded:
        try:
            tasks.add_task(ctx, KEY, {"title": ""})
        except ValidationError:
            pass
    assert recorded == []


def test_what_a_rule_did_in_the_same_transaction_is_in_the_change_set(ctx):
    make_person(ctx, "cab@example.com", "Cara")
    make_ready_release(ctx, KEY, risk="high")
    rules.create_rule(
        ctx,
        "high risk gets a CAB",
        "on_status_change",
        [{"field": "risk", "op": "gte", "value": "high"}],
        [{"action": "add_stage", "name": "CAB", "rule": "all", "approvers": ["cab@example.com"]}],
    )

    outcome = changeset.run(ctx, lifecycle.transition, KEY, "Build")

    assert outcome.changes.updated(Kind.RELEASES) == {KEY}  # the transition itself
    assert len(outcome.changes.created(Kind.APPROVALS)) == 1  # the stage the rule added
    assert outcome.changes.releases(Kind.APPROVALS) == {KEY}
    assert Kind.RULES not in outcome.changes.kinds  # a rule firing changes no rule


def test_a_renamed_release_is_reported_under_both_keys(ctx):
    make_ready_release(ctx, KEY)
    outcome = changeset.run(ctx, releases.update_release, KEY, {"key": "REL-2026-041"})

    assert outcome.changes.renamed == ((KEY, "REL-2026-041"),)
    assert outcome.changes.deleted(Kind.RELEASES) == {KEY}
    assert outcome.changes.updated(Kind.RELEASES) == {"REL-2026-041"}


def test_writes_by_another_process_are_summed_up_from_the_audit_trail(ctx, plan_path):
    make_ready_release(ctx, KEY)
    seen = changeset.last_seq(ctx)
    from relman_desktop.models.planfile import open_plan

    other_plan = open_plan(plan_path)
    try:
        other = Ctx(other_plan, actor="cli@example.com")
        tasks.add_task(other, KEY, {"title": "Deploy"})
        releases.update_release(other, KEY, {"title": "Renamed elsewhere"})
    finally:
        other_plan.close()

    elsewhere = changeset.changes_since(ctx, seen)
    assert elsewhere.created(Kind.TASKS) == {f"{KEY}/T1"}
    assert elsewhere.updated(Kind.RELEASES) == {KEY}
    assert elsewhere.seq == changeset.last_seq(ctx) > seen
    assert not changeset.changes_since(ctx, elsewhere.seq)  # nothing newer


def test_an_unknown_entity_counts_as_a_change_to_the_whole_plan():
    class Ev:
        seq, entity, entity_id, action, release_key, before, after = (
            7,
            "gizmo",
            "1",
            "create",
            None,
            None,
            None,
        )

    cs = ChangeSet.from_events([Ev()])
    assert cs.whole_plan
    assert Kind.PEOPLE in cs  # any view asking "did my kind change?" hears yes
    assert cs.seq == 7
    assert cs.ids(Kind.PLAN, Action.CREATED) == {"1"}
