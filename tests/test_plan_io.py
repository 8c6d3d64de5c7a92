"""The plan interchange format (docs/plan-format.md): export, import, schema, CLI.

What a user notices: a plan survives export → import → export unchanged; a bad file is
refused as a whole, with every problem on its own line naming its JSON path, and the plan is
left exactly as it was.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from relman_desktop.exports.plan_json import dumps_plan, export_plan, write_plan_file
from relman_desktop.importers.plan_json import (
    import_plan,
    load_plan_file,
    load_schema,
    schema_path,
)
from relman_desktop.models import entities as M
from relman_desktop.models import enums as E
from relman_desktop.models.planfile import open_plan
from relman_desktop.services.base import Ctx, ValidationError

FIXTURES = Path(__file__).parent / "fixtures"
RICH = FIXTURES / "plan_rich.json"
EXAMPLE = FIXTURES / "plan_format_example.json"
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def fixture(path: Path = RICH) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def fresh_ctx(tmp_path: Path, name: str) -> Ctx:
    return Ctx(
        open_plan(tmp_path / f"{name}.relman", create=True), actor="tester", clock=lambda: NOW
    )


def count_of(ctx: Ctx, entity: Any) -> int:
    with ctx.read() as s:
        return int(s.execute(select(func.count()).select_from(entity)).scalar_one())


def refusal(ctx: Ctx, data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        import_plan(ctx, data)
    assert str(info.value).startswith("the plan JSON has ")
    return info.value.problems


# --- round trips ---------------------------------------------------------------------------------


def test_rich_plan_round_trips_exactly(ctx: Ctx, tmp_path: Path) -> None:
    import_plan(ctx, fixture())
    assert export_plan(ctx) == fixture()
    written = write_plan_file(ctx, tmp_path / "out.json")
    assert written.read_text(encoding="utf-8") == RICH.read_text(encoding="utf-8")


def test_export_import_export_gives_the_same_document(ctx: Ctx, tmp_path: Path) -> None:
    import_plan(ctx, fixture())
    first = export_plan(ctx)
    other = fresh_ctx(tmp_path, "other")
    import_plan(other, first)
    assert dumps_plan(export_plan(other)) == dumps_plan(first)
    other.plan.close()


def _instants(value: Any) -> Any:
    """Datetime strings as UTC instants, so +01:00 and the same moment in Z compare equal."""
    if isinstance(value, dict):
        return {k: _instants(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_instants(v) for v in value]
    if isinstance(value, str) and "T" in value and value[:4].isdigit():
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    return value


def _subset(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where ``actual`` differs from ``expected`` in the fields ``expected`` names."""
    if isinstance(expected, dict):
        return [p for k, v in expected.items() for p in _subset(v, actual.get(k), f"{path}.{k}")]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            p
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for p in _subset(e, a, f"{path}[{i}]")
        ]
    return [] if expected == actual else [f"{path}: {expected!r} != {actual!r}"]


def test_the_documented_example_round_trips(ctx: Ctx, tmp_path: Path) -> None:
    example = fixture(EXAMPLE)
    import_plan(ctx, example)
    example["configuration_items"].sort(key=lambda c: c["name"])  # the export's order
    exported = export_plan(ctx)
    # every field of the example comes back, the same instant even where the offset differs
    assert _subset(_instants(example), _instants(exported)) == []
    # windows keep their own zone's offset; other instants are written in UTC
    assert exported["windows"][0]["start"] == "2026-12-05T22:00:00+01:00"
    assert exported["releases"][0]["deployment_window"] == {
        "start": "2026-12-12T21:30:00Z",
        "end": "2026-12-13T00:30:00Z",
    }
    other = fresh_ctx(tmp_path, "other")
    import_plan(other, exported)
    assert export_plan(other) == exported
    other.plan.close()


def test_rich_fixture_spells_every_enumeration_value() -> None:
    words: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str):
            words.add(value)

    walk(fixture())
    missing = {
        f"{cls.__name__}.{member.name}"
        for cls in vars(E).values()
        if isinstance(cls, type) and issubclass(cls, StrEnum) and cls is not StrEnum
        for member in cls
        if member.value not in words
    }
    assert missing == set()


def test_schema_enumerations_match_the_model() -> None:
    schema = load_schema()
    assert schema_path().name == "plan-v1.schema.json"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    d = schema["$defs"]

    def values(node: dict[str, Any]) -> list[Any]:
        return [v for v in node["enum"] if v is not None]

    def words(cls: type[StrEnum]) -> list[str]:
        return [m.value for m in cls]

    checks = {
        "person.roles": (values(d["person"]["properties"]["roles"]["items"]), E.Role),
        "ci.class": (values(d["configuration_item"]["properties"]["class"]), E.CIClass),
        "level": (values(d["level"]), E.Level),
        "window.kind": (values(d["window"]["properties"]["kind"]), E.WindowKind),
        "change.type": (values(d["change"]["properties"]["type"]), E.ChangeType),
        "change.category": (values(d["change"]["properties"]["category"]), E.ChangeCategory),
        "change.approval": (values(d["change"]["properties"]["approval"]), E.ChangeApproval),
        "release.type": (values(d["release"]["properties"]["type"]), E.ReleaseType),
        "strategy.kind": (
            values(d["release"]["properties"]["strategy"]["properties"]["kind"]),
            E.StrategyKind,
        ),
        "required_tests": (
            values(d["release"]["properties"]["required_tests"]["items"]),
            E.TestKind,
        ),
        "depends_on.kind": (
            values(d["release_dependency"]["anyOf"][1]["properties"]["kind"]),
            E.DependencyKind,
        ),
        "task.phase": (values(d["task"]["properties"]["phase"]), E.Phase),
        "workflow_state.role": (values(d["workflow_state"]["properties"]["role"]), E.StateRole),
        "task.status": (values(d["task"]["properties"]["status"]), E.TaskStatus),
        "task_dependency.type": (values(d["task_dependency"]["properties"]["type"]), E.LinkType),
        "stage.rule": (values(d["approval_stage"]["properties"]["rule"]), E.StageRule),
        "stage.status": (values(d["approval_stage"]["properties"]["status"]), E.StageStatus),
        "approval.decision": (values(d["approval"]["properties"]["decision"]), E.Decision),
        "test_run.kind": (values(d["test_run"]["properties"]["kind"]), E.TestKind),
        "test_run.verdict": (values(d["test_run"]["properties"]["verdict"]), E.Verdict),
        "deployment.outcome": (values(d["deployment"]["properties"]["outcome"]), E.Outcome),
        "review.outcome": (values(d["review"]["properties"]["outcome"]), E.ReviewOutcome),
        "link.kind": (values(d["link"]["properties"]["kind"]), E.LinkKind),
        "link.relation": (values(d["link"]["properties"]["relation"]), E.LinkRelation),
        "rule.event": (values(d["rule"]["properties"]["event"]), E.RuleEvent),
        "state.category": (values(d["workflow_state"]["properties"]["category"]), E.StateCategory),
    }
    assert {name: got for name, (got, cls) in checks.items() if got != words(cls)} == {}


# --- what an import writes --------------------------------------------------------------------------


def test_import_sets_status_directly_replaces_the_workflow_and_audits(ctx: Ctx) -> None:
    summary = import_plan(ctx, fixture())
    assert summary["releases"] == 6 and summary["tasks"] == 9 and summary["workflow"] == "replaced"
    with ctx.read() as s:
        status = dict(
            s.execute(select(M.Release.key, M.WorkflowState.name).join(M.Release.status)).all()
        )
        assert status["REL-2026-002"] == "Closed"  # no guards: an import is a restore
        assert status["REL-2026-005"] == "On Hold"
        assert "Pilot" in s.execute(select(M.WorkflowState.name)).scalars().all()
        events = s.execute(select(M.AuditEvent).order_by(M.AuditEvent.seq)).scalars().all()
    per_release = [e.release_key for e in events if e.entity == "release"]
    assert sorted(per_release) == [f"REL-2026-00{i}" for i in range(1, 7)]
    assert [e.action for e in events].count("import plan") == 1
    assert events[-1].after["releases"] == 6


def test_a_second_file_may_refer_to_people_and_cis_already_in_the_plan(ctx: Ctx) -> None:
    import_plan(ctx, fixture())
    addition = {
        "format": "relman-plan",
        "version": 1,
        "releases": [
            {
                "key": "REL-2027-001",
                "title": "Follow-up",
                "type": "patch",
                "manager": "ana@example.com",
                "depends_on": ["REL-2026-001"],  # a bare key: "before"
            }
        ],
        "workflow": fixture()["workflow"],
    }
    summary = import_plan(ctx, addition)
    assert summary["workflow"] == "kept"  # the plan already had releases
    doc = export_plan(ctx)
    added = next(r for r in doc["releases"] if r["key"] == "REL-2027-001")
    assert added["status"] == "Planning"  # the workflow's first state
    assert added["depends_on"] == [{"release": "REL-2026-001", "kind": "before"}]


# --- refusals --------------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _rel(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return next(r for r in doc["releases"] if r["key"] == key)


def _set(path: list[Any], value: Any) -> Mutation:
    def apply(doc: dict[str, Any]) -> None:
        node = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return apply


BAD_INPUTS: list[tuple[str, Mutation, str]] = [
    (
        "duplicate login",
        _set(["people", 3, "login"], "relman_ana"),
        'people[3].login: duplicate login "relman_ana": people[0] ("ana@example.com") signs in '
        "with it too; a login signs in as one person",
    ),
    (
        "login of two words",
        _set(["people", 2, "login"], "cleo durand"),
        'people[2].login: "cleo durand" is not allowed here (a login is one word of at most 128 '
        "characters: a database role on a server plan, the user name on a plan file)",
    ),
    (
        "unknown person",
        _set(["changes", 0, "requester"], "zoe@example.com"),
        'changes[0].requester: no person "zoe@example.com" in this file or the plan',
    ),
    (
        "unknown CI",
        _set(["configuration_items", 1, "parents"], ["no-such-ci"]),
        'configuration_items[1].parents[0]: no configuration item "no-such-ci" in this file or the plan',
    ),
    (
        "duplicate release key",
        _set(["releases", 1, "key"], "REL-2026-001"),
        'releases[1].key: duplicate release "REL-2026-001" (also releases[0])',
    ),
    (
        "end before start",
        _set(["releases", 0, "planned_end"], "2026-11-30"),
        "releases[0].planned_end: 2026-11-30 is before planned_start 2026-12-01",
    ),
    (
        "window end before start",
        _set(["windows", 0, "end"], "2026-10-03T21:00:00+02:00"),
        "windows[0].end: 2026-10-03T21:00:00+02:00 is before start 2026-10-03T22:00:00+02:00",
    ),
    (
        "task depends on a missing task",
        _set(["releases", 0, "tasks", 1, "depends_on", 0, "task"], "T9"),
        'releases[0].tasks[1].depends_on[0].task: no task "T9" in release REL-2026-001',
    ),
    (
        "unknown workflow status",
        _set(["releases", 2, "status"], "Planing"),
        'releases[2].status: no workflow state "Planing" (states: Planning, Build, Testing, '
        "Awaiting Approval, Approved, Deploying, Deployed, In Review, Closed, On Hold, "
        "Cancelled, Rolled Back)",
    ),
    (
        "release dependency loop",
        _set(["releases", 1, "depends_on"], [{"release": "REL-2026-001", "kind": "before"}]),
        "releases[0].depends_on[0]: dependency loop REL-2026-001 → REL-2026-002 → REL-2026-001",
    ),
    (
        "release parent loop",
        _set(["releases", 2, "parent"], "REL-2026-001"),
        "releases[0].parent: parent loop REL-2026-001 → REL-2026-003 → REL-2026-001",
    ),
    (
        "task dependency loop",
        _set(
            ["releases", 0, "tasks", 0, "depends_on"], [{"task": "T3", "type": "FS", "lag_days": 0}]
        ),
        "releases[0].tasks[0].depends_on[0]: dependency loop T1 → T3 → T2 → T1 in release REL-2026-001",
    ),
    (
        "CI parent loop",
        _set(["configuration_items", 2, "parents"], ["billing-db"]),
        "configuration_items[1].parents[0]: parent loop billing-db → billing-service → billing-db",
    ),
    (
        "unknown top-level key",
        _set(["extras"], {}),
        "extras: unknown top-level key (allowed: format, version, people, configuration_items, "
        "windows, changes, releases, templates, rules, workflow, baselines, timezone)",
    ),
    (
        "misspelt field",
        _set(["releases", 0, "tasks", 0, "asignee"], "ana@example.com"),
        "releases[0].tasks[0].asignee: unknown field",
    ),
    (
        "enum value",
        _set(["releases", 0, "strategy", "kind"], "bigbang"),
        'releases[0].strategy.kind: "bigbang" is not one of: big_bang, blue_green, canary, rolling, feature_flag, null',
    ),
    (
        "missing title",
        lambda doc: doc["releases"][3].pop("title"),
        "releases[3].title: is required",
    ),
    (
        "wrong type",
        _set(["releases", 0, "tasks", 2, "effort_hours"], "twelve"),
        'releases[0].tasks[2].effort_hours: expected a number or null, got "twelve"',
    ),
    (
        "not a date",
        _set(["releases", 0, "actual_start"], "2026-13-01"),
        'releases[0].actual_start: "2026-13-01" is not a date (YYYY-MM-DD)',
    ),
    (
        "datetime without offset",
        _set(["changes", 0, "created_at"], "2026-11-02T09:14:00"),
        'changes[0].created_at: "2026-11-02T09:14:00" is not an ISO 8601 date-time with an offset '
        "(e.g. 2026-12-12T22:00:00+01:00 or 2026-12-12T21:00:00Z)",
    ),
    (
        "change in two releases",
        _set(["releases", 2, "changes"], ["CHG-1001"]),
        "releases[2].changes[0]: change CHG-1001 is already in release REL-2026-001",
    ),
    (
        "percent rule without percent",
        _set(["releases", 0, "approval_stages", 2, "percent"], None),
        'releases[0].approval_stages[2].percent: is required when the rule is "percent"',
    ),
    (
        "unknown time zone",
        _set(["windows", 0, "timezone"], "Europe/Atlantis"),
        'windows[0].timezone: "Europe/Atlantis" is not an IANA time zone (e.g. Europe/Berlin)',
    ),
]


BASE = {
    "format": "relman-plan",
    "version": 1,
    "people": [{"email": "zed@example.com", "name": "Zed"}],
    "releases": [{"key": "REL-BASE", "title": "Already planned", "type": "patch"}],
}


@pytest.mark.parametrize(
    ("mutate", "message"), [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_is_refused_with_its_path_and_nothing_is_written(
    ctx: Ctx, mutate: Mutation, message: str
) -> None:
    import_plan(ctx, copy.deepcopy(BASE))  # not empty: it must stay exactly as it was
    before = export_plan(ctx)
    events_before = count_of(ctx, M.AuditEvent)
    doc = fixture()
    mutate(doc)
    problems = refusal(ctx, doc)
    assert message in problems
    assert count_of(ctx, M.Release) == 1
    assert count_of(ctx, M.AuditEvent) == events_before
    assert export_plan(ctx) == before


def test_every_problem_is_reported_at_once(ctx: Ctx) -> None:
    doc = fixture()
    doc["changes"][0]["requester"] = "zoe@example.com"
    doc["releases"][0]["tasks"][1]["depends_on"][0]["task"] = "T9"
    doc["windows"][2]["timezone"] = "Mars/Olympus"
    doc["extras"] = 1
    with pytest.raises(ValidationError) as info:
        import_plan(ctx, doc)
    assert str(info.value) == "the plan JSON has 4 problems:"
    assert len(info.value.problems) == 4
    assert count_of(ctx, M.Release) == 0


def test_keys_already_in_the_plan_are_refused(ctx: Ctx) -> None:
    import_plan(ctx, fixture(EXAMPLE))
    problems = refusal(ctx, fixture(EXAMPLE))
    assert 'releases[0].key: release "REL-2026-001" already exists in the plan' in problems
    assert 'people[0].email: person "ana@example.com" already exists in the plan' in problems
    assert 'changes[0].key: change "CHG-1001" already exists in the plan' in problems
    assert count_of(ctx, M.Release) == 1


def test_logins_travel_with_their_people_and_stay_unique(ctx: Ctx) -> None:
    """people.login (who signs in as whom in team mode) is exported and imported; a login the
    plan already maps to someone is refused at the row that repeats it, nothing written."""
    import_plan(ctx, fixture())
    with ctx.read() as s:
        logins = dict(s.execute(select(M.Person.email, M.Person.login)).all())
    assert logins == {
        "ana@example.com": "relman_ana",
        "ben@example.com": "CORP\\ben.okafor",
        "cleo@example.com": None,
        "dev@example.com": None,
    }
    exported = {p["email"]: p["login"] for p in export_plan(ctx)["people"]}
    assert exported == logins
    doc = {
        "format": "relman-plan",
        "version": 1,
        "people": [
            {"email": "zed@example.com", "name": "Zed", "login": "zed"},
            {"email": "yan@example.com", "name": "Yan", "login": "CORP\\ben.okafor"},
        ],
    }
    problems = refusal(ctx, doc)
    assert problems == [
        'people[1].login: login "CORP\\\\ben.okafor" already signs in as ben@example.com in '
        "the plan"
    ]
    assert count_of(ctx, M.Person) == 4


def test_only_a_release_manager_imports_people_who_sign_in(ctx: Ctx) -> None:
    """Who signs in as whom is a release manager's decision, in an import as in the people
    editor: a release-team member's import of people with logins is refused, whole."""
    from relman_desktop.services import people, permissions

    with ctx.read() as s:
        login = permissions.login_of(s, ctx.actor)
    people.create_person(
        ctx, {"email": "tm@example.com", "name": "Tam", "roles": ["release_team"], "login": login}
    )
    doc = {
        "format": "relman-plan",
        "version": 1,
        "people": [{"email": "zed@example.com", "name": "Zed", "login": "zed"}],
    }
    with pytest.raises(permissions.PermissionDenied, match="change who signs in as whom"):
        import_plan(ctx, doc)
    assert count_of(ctx, M.Person) == 1
    del doc["people"][0]["login"]
    import_plan(ctx, doc)  # people without logins or roles: any writer may add them
    assert count_of(ctx, M.Person) == 2


def test_loops_are_refused_naming_the_loop(ctx: Ctx) -> None:
    doc = fixture()
    for key in ("REL-2026-002", "REL-2026-004"):
        _rel(doc, key)["depends_on"] = []
    _rel(doc, "REL-2026-002")["depends_on"] = ["REL-2026-004"]
    _rel(doc, "REL-2026-004")["depends_on"] = [{"release": "REL-2026-002", "kind": "together"}]
    problems = refusal(ctx, doc)
    assert problems == [
        "releases[1].depends_on[0]: dependency loop REL-2026-002 → REL-2026-004 → REL-2026-002"
    ]


# --- reading files ---------------------------------------------------------------------------------


def test_json_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text('{\n  "format": "relman-plan",\n  "version": 1,,\n}\n', encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_plan_file(bad)
    assert (
        str(info.value)
        == "plan.json is not valid JSON: Expecting property name enclosed in double quotes at line 3, column 16"
    )


def test_missing_file_and_non_object_are_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"^there is no file at .*nope\.json$"):
        load_plan_file(tmp_path / "nope.json")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"^list\.json holds a list, not a plan"):
        load_plan_file(tmp_path / "list.json")


# --- command line -----------------------------------------------------------------------------------


def run_cli(*argv: str) -> tuple[int, str, str]:
    from relman_desktop.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_import_creates_the_plan_and_export_writes_the_same_file(tmp_path: Path) -> None:
    plan_file = tmp_path / "new.relman"
    code, out, err = run_cli("--plan", str(plan_file), "import", "plan", str(RICH))
    assert (code, err) == (0, "")
    assert "6 releases" in out and plan_file.exists()
    target = tmp_path / "out.json"
    code, out, err = run_cli("--plan", str(plan_file), "export", "plan", str(target))
    assert (code, err) == (0, "")
    assert target.read_text(encoding="utf-8") == RICH.read_text(encoding="utf-8")
    assert not [
        p for p in tmp_path.iterdir() if p.name.startswith(".out.json")
    ]  # no temp file left


def test_cli_refusal_prints_every_problem_and_exits_2(tmp_path: Path) -> None:
    doc = fixture()
    doc["changes"][0]["requester"] = "zoe@example.com"
    doc["releases"][0]["planned_end"] = "2026-11-01"
    doc["bogus"] = True
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    plan_file = tmp_path / "p.relman"
    code, out, err = run_cli("--plan", str(plan_file), "import", "plan", str(bad))
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == "relman: the plan JSON has 3 problems:"
    assert sorted(lines[1:]) == sorted(
        [
            'changes[0].requester: no person "zoe@example.com" in this file or the plan',
            "releases[0].planned_end: 2026-11-01 is before planned_start 2026-12-01",
            "bogus: unknown top-level key (allowed: format, version, people, configuration_items, "
            "windows, changes, releases, templates, rules, workflow, baselines, timezone)",
        ]
    )
    assert not plan_file.exists()  # a refused import leaves no empty plan behind


def test_cli_bad_json_and_missing_folder_are_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": ', encoding="utf-8")
    code, _, err = run_cli("--plan", str(tmp_path / "p.relman"), "import", "plan", str(bad))
    assert code == 2
    assert err == "relman: broken.json is not valid JSON: Expecting value at line 1, column 12\n"
    run_cli("--plan", str(tmp_path / "p.relman"), "init")
    code, _, err = run_cli(
        "--plan", str(tmp_path / "p.relman"), "export", "plan", str(tmp_path / "no" / "x.json")
    )
    assert code == 2
    assert err == f"relman: the folder {tmp_path / 'no'} does not exist; create it first\n"


# --- scale ---------------------------------------------------------------------------------------------


def test_five_hundred_releases_with_5000_tasks_import_and_export_whole(ctx: Ctx) -> None:
    people = [{"email": f"p{i}@example.com", "name": f"Person {i}"} for i in range(20)]
    releases = [
        {
            "key": f"REL-{r:04d}",
            "title": f"Release {r}",
            "type": "minor",
            "manager": f"p{r % 20}@example.com",
            "depends_on": [f"REL-{r - 1:04d}"] if r else [],
            "tasks": [
                {
                    "id": f"T{t}",
                    "title": f"Task {t}",
                    "phase": "build",
                    "assignee": f"p{t}@example.com",
                    "depends_on": [{"task": f"T{t - 1}"}] if t else [],
                }
                for t in range(10)
            ],
        }
        for r in range(500)
    ]
    doc = {"format": "relman-plan", "version": 1, "people": people, "releases": releases}
    summary = import_plan(ctx, copy.deepcopy(doc))
    exported = export_plan(ctx)
    assert (summary["releases"], summary["tasks"], summary["task_dependencies"]) == (
        500,
        5000,
        4500,
    )
    assert exported["releases"][499]["tasks"][9]["depends_on"] == [
        {"task": "T8", "type": "FS", "lag_days": 0}
    ]
    assert count_of(ctx, M.AuditEvent) == 501
