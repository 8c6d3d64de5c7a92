"""Rules cannot get around the lifecycle: an imported rule passes the rule editor's checks, a
rule may set only harmless fields, and a rule that cannot be evaluated is skipped, reported
once and audited while the transition goes on (issue 20)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from helpers_builders import make_ready_release, plan, plan_template  # noqa: F401  (fixtures)
from sqlalchemy import select

from relman_desktop.cli import main
from relman_desktop.importers.plan_json import import_plan
from relman_desktop.models.entities import AuditEvent, Rule
from relman_desktop.services import rules
from relman_desktop.services.base import Ctx, ValidationError, release_by_key

KEY = "REL-2026-040"


def rule_doc(*actions: dict, conditions: list | None = None) -> dict:
    return {
        "format": "relman-plan",
        "version": 1,
        "rules": [
            {
                "name": "evil",
                "event": "on_status_change",
                "conditions": conditions or [],
                "actions": list(actions),
            }
        ],
    }


@pytest.mark.parametrize(
    "field",
    [
        "status_id",
        "status",
        "key",
        "id",
        "release_manager_id",
        "parent_id",
        "template_id",
        "closure_code",
        "planned_start",
    ],
)
def test_set_field_is_limited_to_harmless_fields(ctx: Ctx, field: str) -> None:
    with pytest.raises(ValidationError, match=f"a rule may set only .*not '{field}'"):
        rules.create_rule(
            ctx,
            "evil",
            "on_status_change",
            [],
            [{"action": "set_field", "field": field, "value": 1}],
        )
    with pytest.raises(ValidationError) as refused:
        import_plan(ctx, rule_doc({"action": "set_field", "field": field, "value": 1}))
    assert refused.value.problems == [
        f"rules[0].actions[0].field: a rule may set only priority, risk, application, version, "
        f"strategy, not {field!r}"
    ]
    assert rules.list_rules(ctx) == []


def test_imported_rules_pass_the_editors_checks(ctx: Ctx) -> None:
    bad = [
        rule_doc({"action": "set_field", "field": "risk", "value": "apocalyptic"}),
        rule_doc({"action": "assign_phase", "phase": "deploy", "person": "nobody@example.com"}),
        rule_doc(
            {"action": "auto_approve_stage", "stage": "CAB"},
            conditions=[{"field": "status", "value": "Nowhere"}],
        ),
        rule_doc(
            {"action": "auto_approve_stage", "stage": "CAB"},
            conditions=[{"field": "risk", "op": "like", "value": "x"}],
        ),
    ]
    for doc in bad:
        with pytest.raises(ValidationError) as refused:
            import_plan(ctx, doc)
        assert len(refused.value.problems) == 1 and refused.value.problems[0].startswith(
            "rules[0]."
        ), doc
    assert rules.list_rules(ctx) == []
    # a condition without "op" is what the editor accepts too (eq); it is stored complete
    import_plan(
        ctx,
        rule_doc(
            {"action": "set_field", "field": "priority", "value": "high"},
            conditions=[{"field": "risk", "value": "low"}],
        ),
    )
    assert rules.list_rules(ctx)[0].conditions == [{"field": "risk", "op": "eq", "value": "low"}]


def test_a_malformed_rule_is_skipped_reported_once_and_audited(ctx: Ctx, plan_path: Path) -> None:
    make_ready_release(ctx, KEY)
    rules.create_rule(
        ctx,
        "raise priority",
        "on_status_change",
        [],
        [{"action": "set_field", "field": "priority", "value": "critical"}],
    )
    with ctx.plan.write() as s:  # edited by hand: what no editor or import lets through
        s.add(
            Rule(
                name="broken",
                event="on_status_change",
                position=5,
                enabled=True,
                conditions=[{"field": "risk", "value": "low", "oops": 1}],
                actions=[{"action": "set_field", "field": "status_id", "value": 9}],
            )
        )
        s.add(
            Rule(
                name="no op",
                event="on_status_change",
                position=6,
                enabled=True,
                conditions=[{"field": "type"}],
                actions=[{"action": "set_field"}],
            )
        )
    ctx.plan.close()
    out, err = io.StringIO(), io.StringIO()
    code = main(["--plan", str(plan_path), "transition", KEY, "Build"], out, err)
    assert code == 0 and out.getvalue() == f"{KEY} is now Build\n", err.getvalue()
    notes = err.getvalue().splitlines()
    assert len(notes) == 2 and all(n.startswith("relman: note: rule ") for n in notes)
    assert "'broken' was skipped" in notes[0] and "'no op' was skipped" in notes[1]
    with ctx.read() as s:
        release = release_by_key(s, KEY)
        assert (release.status.name, release.key, release.priority) == ("Build", KEY, "critical")
        skipped = [
            e.after
            for e in s.execute(select(AuditEvent).where(AuditEvent.action == "skipped")).scalars()
        ]
    assert [e["rule"] for e in skipped] == ["broken", "no op"]
    # the next transition skips them again but does not audit them a second time
    err = io.StringIO()
    assert main(["--plan", str(plan_path), "transition", KEY, "On Hold"], io.StringIO(), err) == 0
    assert err.getvalue().count("relman: note: rule ") == 2
    with ctx.read() as s:
        assert len(s.execute(select(AuditEvent).where(AuditEvent.action == "skipped")).all()) == 2
    assert main(["--plan", str(plan_path), "audit", "verify"], io.StringIO(), io.StringIO()) == 0


def test_cli_import_of_a_rule_that_moves_releases_is_refused(tmp_path: Path) -> None:
    doc = tmp_path / "evil.json"
    doc.write_text(json.dumps(rule_doc({"action": "set_field", "field": "status_id", "value": 7})))
    out, err = io.StringIO(), io.StringIO()
    code = main(["--plan", str(tmp_path / "p.relman"), "import", "plan", str(doc)], out, err)
    assert code == 2 and "rules[0].actions[0].field" in err.getvalue()
    assert not (tmp_path / "p.relman").exists()


@pytest.mark.parametrize(
    "action",
    [
        {"action": "assign_phase", "phase": ["deploy"], "person": "ana@example.com"},
        {"action": "assign_phase", "phase": {"deploy": 1}, "person": "ana@example.com"},
        {"action": "require_test", "kind": ["regression"]},
        {"action": "require_test", "kind": {"regression": True}},
        {"action": "add_stage", "name": "S", "rule": "all", "approvers": [["ana@example.com"]]},
        {"action": "add_stage", "name": "S", "rule": "all", "approvers": [{"email": "x"}]},
        {"action": "set_field", "field": ["priority"], "value": "high"},
        {"action": ["set_field"], "field": "priority", "value": "high"},
    ],
)
def test_nested_junk_in_an_action_is_a_problem_not_a_crash(ctx: Ctx, action: dict) -> None:
    with pytest.raises(ValidationError) as refused:
        import_plan(ctx, rule_doc(action))
    assert len(refused.value.problems) == 1 and refused.value.problems[0].startswith(
        "rules[0].actions[0]."
    )
    with pytest.raises(ValidationError):
        rules.create_rule(ctx, "junk", "on_status_change", [], [action])
    assert rules.list_rules(ctx) == []


def test_nested_junk_in_a_stored_rule_is_skipped_and_the_transition_goes_on(
    ctx: Ctx, plan_path: Path
) -> None:
    make_ready_release(ctx, KEY)
    with ctx.plan.write() as s:  # edited by hand
        s.add(
            Rule(
                name="junk",
                event="on_status_change",
                position=5,
                enabled=True,
                conditions=[],
                actions=[{"action": "require_test", "kind": ["regression"]}],
            )
        )
    ctx.plan.close()
    out, err = io.StringIO(), io.StringIO()
    assert main(["--plan", str(plan_path), "transition", KEY, "Build"], out, err) == 0, (
        err.getvalue()
    )
    assert out.getvalue() == f"{KEY} is now Build\n"
    assert "rule 'junk' was skipped: actions[0].kind" in err.getvalue()


def test_an_action_key_the_rule_does_not_know_is_refused_not_dropped(ctx: Ctx) -> None:
    action = {"action": "set_field", "field": "priority", "value": "high", "status": "Closed"}
    with pytest.raises(ValidationError) as refused:
        import_plan(ctx, rule_doc(action))
    assert refused.value.problems == [
        "rules[0].actions[0].status: unknown key (a set_field action has field, value)"
    ]
    with pytest.raises(ValidationError, match=r"actions\[0\]\.status: unknown key"):
        rules.create_rule(ctx, "typo", "on_status_change", [], [action])


def test_a_rule_sets_a_version_no_longer_than_the_column(ctx: Ctx) -> None:
    with pytest.raises(ValidationError, match="at most 64 characters"):
        rules.create_rule(
            ctx,
            "long",
            "on_status_change",
            [],
            [{"action": "set_field", "field": "version", "value": "9" * 65}],
        )
    rules.create_rule(
        ctx,
        "ok",
        "on_status_change",
        [],
        [{"action": "set_field", "field": "version", "value": "9" * 64}],
    )


def test_an_imported_rule_with_a_blank_name_is_refused(ctx: Ctx) -> None:
    doc = rule_doc({"action": "set_field", "field": "priority", "value": "high"})
    doc["rules"][0]["name"] = "   "
    with pytest.raises(ValidationError) as refused:
        import_plan(ctx, doc)
    assert len(refused.value.problems) == 1
    assert refused.value.problems[0].startswith('rules[0].name: "   " is not allowed here')
    assert rules.list_rules(ctx) == []
