"""The command line as a pipeline uses it: exit codes, one-line errors, stable --json."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from relman_desktop.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def demo_plan(tmp_path: Path) -> Path:
    path = tmp_path / "demo.relman"
    code, out, err = run("--plan", str(path), "demo")
    assert code == 0, err
    return path


def test_init_creates_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "new.relman"
    assert run("--plan", str(path), "init") == (0, f"plan ready: {path}\n", "")
    assert run("--plan", str(path), "releases") == (0, "no releases in this plan\n", "")


def test_reading_a_missing_plan_is_one_line_exit_2(tmp_path: Path) -> None:
    code, out, err = run("--plan", str(tmp_path / "nope.relman"), "releases")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("relman: there is no plan file at")


def test_not_a_plan_is_one_line_exit_2(tmp_path: Path) -> None:
    bogus = tmp_path / "x.relman"
    bogus.write_text("hello")
    assert run("--plan", str(bogus), "releases") == (
        2,
        "",
        "relman: x.relman is not a plan file (it is not a SQLite database)\n",
    )


def test_unknown_release_is_one_line_exit_2(demo_plan: Path) -> None:
    assert run("--plan", str(demo_plan), "show", "REL-404") == (
        2,
        "",
        "relman: no release 'REL-404' in this plan\n",
    )


def test_releases_json_shape(demo_plan: Path) -> None:
    code, out, _ = run("--plan", str(demo_plan), "releases", "--json")
    data = json.loads(out)
    assert code == 0 and len(data) == 40
    assert set(data[0]) >= {
        "key",
        "title",
        "version",
        "type",
        "priority",
        "risk",
        "status",
        "application",
        "manager",
        "planned_start",
        "planned_end",
        "deployment_window",
    }


def test_show_json_lists_next_states_with_unmet_guards(demo_plan: Path) -> None:
    releases = json.loads(run("--plan", str(demo_plan), "releases", "--json")[1])
    planning = next(r for r in releases if r["status"] == "Planning")
    code, out, _ = run("--plan", str(demo_plan), "show", planning["key"], "--json")
    data = json.loads(out)
    assert code == 0 and data["key"] == planning["key"]
    assert any(n["state"] == "Build" for n in data["next_states"])


def test_refused_transition_prints_each_guard_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "p.relman"
    run("--plan", str(path), "init")
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services import releases
    from relman_desktop.services.base import Ctx

    plan = open_plan(path)
    releases.create_release(Ctx(plan), {"key": "REL-1", "title": "Bare", "type": "minor"})
    plan.close()
    code, out, err = run("--plan", str(path), "transition", "REL-1", "Build")
    assert code == 1
    assert err.startswith("relman: REL-1 cannot move to Build:\n")
    assert "  - " in err and "scope" in err.lower()


def test_unknown_state_is_named(demo_plan: Path) -> None:
    releases = json.loads(run("--plan", str(demo_plan), "releases", "--json")[1])
    code, _, err = run("--plan", str(demo_plan), "transition", releases[0]["key"], "Done-ish")
    assert code == 2 and "Done-ish" in err and err.count("\n") == 1


def test_usage_mistake_exits_2(tmp_path: Path) -> None:
    code, _, _ = run("--plan", str(tmp_path / "p.relman"), "frobnicate")
    assert code == 2


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "relman_desktop", "--plan", str(tmp_path / "n.relman"), "releases"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.startswith(
        "relman: there is no plan file"
    )


def test_export_calendar_as_tiled_pdf_and_refusals(demo_plan: Path, tmp_path: Path) -> None:
    from relman_desktop.views.calendar.calendar_export import pdf_page_count

    pdf = tmp_path / "calendar.pdf"
    assert run("--plan", str(demo_plan), "export", "calendar", str(pdf), "--zoom", "week") == (
        0,
        f"wrote {pdf}\n",
        "",
    )
    assert pdf_page_count(pdf) > 1
    code, _, err = run("--plan", str(demo_plan), "export", "calendar", str(tmp_path / "c.gif"))
    assert (code, err) == (
        2,
        "relman: c.gif: the calendar can be written as .png or .pdf, not .gif\n",
    )
    code, _, err = run(
        "--plan",
        str(demo_plan),
        "export",
        "calendar",
        str(tmp_path / "c.png"),
        "--from",
        "2026-02-30",
    )
    assert code == 2 and err.count("\n") == 1
    assert "argument --from: '2026-02-30' is not a date like 2026-11-30" in err
