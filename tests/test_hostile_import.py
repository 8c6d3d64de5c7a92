"""Plan JSON import against hostile documents: each refused with its JSON path, nothing written
(issue 18). The bounds are the same in the JSON Schema and in the services behind the forms."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest
from hostile_inputs import MUTATIONS, mutated, raw_mutations

from relman_desktop.cli import main
from relman_desktop.importers.plan_json import load_schema
from relman_desktop.models.planfile import open_plan
from relman_desktop.services import limits, releases, tasks, windows, workflow
from relman_desktop.services.base import Ctx, ValidationError
from relman_desktop.services.text import MAX_TEXT, MAX_TITLE

FIXTURES = Path(__file__).parent / "fixtures"
BASE = json.loads((FIXTURES / "plan_rich.json").read_text(encoding="utf-8"))

# What the one line must name, for the findings the issue lists.
EXPECTED = {
    "rollback minutes 2**64": "releases[0].rollback.duration_minutes: must be at most 10080",
    "rollback minutes over a week": "releases[0].rollback.duration_minutes: must be at most 10080",
    "lag 2**64": ".depends_on[0].lag_days: must be at most 365",
    "lag under minus a year": ".depends_on[0].lag_days: must be at least -365",
    "passed count 2**64": ".test_runs[0].passed: must be at most 10000000",
    "effort NaN": ".effort_hours: NaN is not a number",
    "effort Infinity": ".effort_hours: must be at most 100000",
    "title 10 MB": "releases[0].title: must be at most 300 characters",
    "title lone surrogate": "releases[0].title: holds a lone surrogate (U+D800)",
    "title U+FFFE": "releases[0].title: holds U+FFFE, which is not a character",
    "title escape sequence": "releases[0].title: holds a control character (U+001B)",
    "window start year 1 offset": 'windows[0].start: "0001-01-01T00:30:00+05:00" is outside the years 1900–2199',
    "run at year 1 offset": '.test_runs[0].run_at: "0001-01-01T00:10:00+01:00" is outside the years',
    "rrule SECONDLY": 'windows[0].rrule: "FREQ=SECONDLY" is not allowed here',
    "rrule MINUTELY": "windows[0].rrule:",
    "rrule INTERVAL=0": 'windows[0].rrule: "FREQ=DAILY;INTERVAL=0" is not allowed here',
    "window to 9999 with rrule": 'windows[0].end: "9999-12-31T00:00:00Z" is outside the years',
    "unknown guard": 'guards[0].guard: "no_such_guard" is not one of: scope_defined',
    "unknown colour": 'workflow.states[0].color: "#zzzzzz" is not allowed here (#rgb or #rrggbb)',
    "template task duration 10**9": "templates[0].body.tasks[0].duration_days: must be between 0 and 3,650",
    "5,000-deep list in a rule": "nests lists or objects thousands of levels deep",
    "5,000-digit number": "holds a number of thousands of digits",
    "NaN literal": ".effort_hours: NaN is not a number a plan can hold",
    "lone surrogate escape": "holds a lone surrogate (U+DC00)",
}


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def empty_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("import") / "empty.relman"
    open_plan(path, create=True).close()
    return path


def _cases() -> list[tuple[str, str]]:
    cases = [(name, json.dumps(mutated(BASE, apply))) for name, apply in MUTATIONS]
    return cases + raw_mutations(BASE)


CASES = _cases()


@pytest.mark.parametrize(("name", "text"), CASES, ids=[name for name, _ in CASES])
def test_each_hostile_document_is_refused_by_path_and_writes_nothing(
    empty_plan: Path, tmp_path: Path, name: str, text: str
) -> None:
    plan = tmp_path / "plan.relman"
    plan.write_bytes(empty_plan.read_bytes())
    before = hashlib.sha256(plan.read_bytes()).hexdigest()
    doc = tmp_path / "doc.json"
    doc.write_text(text, encoding="utf-8", errors="surrogatepass")
    rc, out, err = _run("--plan", str(plan), "import", "plan", str(doc))
    assert rc == 2 and out == ""
    assert "Traceback" not in err
    if name in EXPECTED:
        assert EXPECTED[name] in err, err[:500]
    lines = err.splitlines()
    # the headline, then one line per problem, each naming where it is
    assert lines[0].startswith("relman: ")
    for line in lines[1:]:
        assert ": " in line and not line.startswith(" "), line
    assert hashlib.sha256(plan.read_bytes()).hexdigest() == before


def test_the_untouched_document_still_imports(empty_plan: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.relman"
    plan.write_bytes(empty_plan.read_bytes())
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps(BASE), encoding="utf-8")
    rc, out, _ = _run("--plan", str(plan), "import", "plan", str(doc))
    assert rc == 0 and out.startswith("imported ")


def test_the_schema_states_the_same_bounds_as_the_services() -> None:
    d = load_schema()["$defs"]
    rollback = d["release"]["properties"]["rollback"]["properties"]["duration_minutes"]
    assert rollback["maximum"] == limits.BOUNDS["rollback_minutes"][1] == 7 * 24 * 60
    lag = d["task_dependency"]["properties"]["lag_days"]
    assert (lag["minimum"], lag["maximum"]) == limits.BOUNDS["lag_days"]
    assert d["task"]["properties"]["effort_hours"]["maximum"] == limits.BOUNDS["effort_hours"][1]
    assert d["count"]["maximum"] == limits.MAX_COUNT == limits.BOUNDS["passed"][1]
    assert d["wave"]["properties"]["bake_minutes"]["maximum"] == limits.BOUNDS["bake_minutes"][1]
    assert d["approval_stage"]["properties"]["order"]["maximum"] == limits.BOUNDS["order"][1]
    assert (
        d["template"]["properties"]["default_duration_days"]["maximum"] == limits.MAX_DURATION_DAYS
    )
    assert d["text"]["maxLength"] == MAX_TITLE and d["text_or_null"]["maxLength"] == MAX_TEXT
    assert d["date"]["pattern"] == "^(19|20|21)[0-9]{2}-"
    assert (limits.EARLIEST_YEAR, limits.LATEST_YEAR) == (1900, 2199)


NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def sctx(tmp_path: Path) -> Ctx:
    return Ctx(open_plan(tmp_path / "s.relman", create=True), actor="tester", clock=lambda: NOW)


def test_the_services_refuse_what_the_import_refuses(sctx: Ctx) -> None:
    releases.create_release(sctx, {"key": "REL-1", "title": "Fine", "type": "minor"})
    refused = [
        lambda: releases.create_release(
            sctx, {"key": "REL-2", "title": "x" * 100_000, "type": "minor"}
        ),
        lambda: releases.create_release(
            sctx, {"key": "REL-2", "title": "Bad \x1b[2J", "type": "minor"}
        ),
        lambda: releases.create_release(
            sctx, {"key": "REL-2", "title": "Bad \ufffe", "type": "minor"}
        ),
        lambda: releases.update_release(sctx, "REL-1", {"rollback_minutes": 2**64}),
        lambda: releases.update_release(sctx, "REL-1", {"rollback_minutes": 7 * 24 * 60 + 1}),
        lambda: releases.update_release(sctx, "REL-1", {"planned_start": "0001-01-01"}),
        lambda: releases.update_release(
            sctx,
            "REL-1",
            {
                "deploy_start": "9999-12-31T23:00:00-05:00",
                "deploy_end": "9999-12-31T23:30:00-05:00",
            },
        ),
        lambda: windows.create_window(
            sctx,
            title="w",
            kind="maintenance",
            rrule="FREQ=SECONDLY",
            start=NOW,
            end=NOW + dt.timedelta(hours=2),
        ),
        lambda: windows.create_window(
            sctx,
            title="w",
            kind="maintenance",
            rrule="FREQ=DAILY;INTERVAL=0",
            start=NOW,
            end=NOW + dt.timedelta(hours=2),
        ),
        lambda: windows.create_window(
            sctx,
            title="w",
            kind="maintenance",
            start=NOW,
            end=dt.datetime(9999, 12, 31, tzinfo=dt.UTC),
            rrule="FREQ=WEEKLY",
        ),
        lambda: workflow.add_state(sctx, "Parked", "hold", color="#zzzzzz"),
        lambda: releases.update_release(
            sctx, "REL-1", {"strategy": "canary", "waves": [{"bake_minutes": 2**64}]}
        ),
        lambda: releases.update_release(
            sctx, "REL-1", {"strategy": "canary", "waves": [{"percent": 10, "x": 1}]}
        ),
    ]
    for attempt in refused:
        with pytest.raises(ValidationError):
            attempt()
    task = tasks.add_task(sctx, "REL-1", {"title": "Build"})
    other = tasks.add_task(sctx, "REL-1", {"title": "Deploy"})
    for bad in (2**64, 400, -400):
        with pytest.raises(ValidationError, match="Lag"):
            tasks.add_task_dependency(sctx, "REL-1", task, other, "FS", bad)
    for fields in ({"effort_hours": float("nan")}, {"effort_hours": 1e12}, {"title": "T\x00"}):
        with pytest.raises(ValidationError):
            tasks.update_task(sctx, "REL-1", task, fields)
    detail = releases.get_release(sctx, "REL-1")
    assert detail.title == "Fine" and detail.rollback_minutes is None
    assert [w.title for w in windows.list_windows(sctx)] == []
    releases.update_release(
        sctx, "REL-1", {"rollback_minutes": 7 * 24 * 60, "planned_start": "2199-12-31"}
    )
    assert releases.get_release(sctx, "REL-1").rollback_minutes == 7 * 24 * 60


def test_undo_of_a_deletion_puts_back_what_an_older_version_allowed(sctx: Ctx) -> None:
    """Bounds apply to new input; a release from before them still comes back on undo."""
    from sqlalchemy import text as sql

    from relman_desktop.importers.plan_json import restore_release

    releases.create_release(sctx, {"key": "REL-OLD", "title": "Old", "type": "minor"})
    legacy_title = "Legacy \x07 " + "t" * 400
    with sctx.plan.write() as s:
        s.execute(
            sql("UPDATE releases SET title = :t, rollback_minutes = 20000 WHERE key = 'REL-OLD'"),
            {"t": legacy_title},
        )
    snapshot = releases.delete_release(sctx, "REL-OLD")
    assert restore_release(sctx, snapshot) == "REL-OLD"
    back = releases.get_release(sctx, "REL-OLD")
    assert (back.title, back.rollback_minutes) == (legacy_title, 20000)
