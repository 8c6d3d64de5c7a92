"""Whole-number arguments no plan can hold are usage errors (exit 2, one line), and an empty
release key in ``audit log`` is an unknown release (issue 20: ``audit log`` with other
filters; an OverflowError traceback from SQLite or the date arithmetic before)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from relman_desktop.cli import main
from relman_desktop.services import releases
from relman_desktop.services.base import Ctx

HUGE = "99999999999999999999999"


def run(plan_path: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--plan", str(plan_path), *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def plan_with_a_meeting(ctx: Ctx, plan_path: Path) -> Path:
    releases.create_release(
        ctx,
        {
            "key": "REL-1",
            "title": "One",
            "type": "minor",
            "planned_start": dt.date(2027, 3, 1),
            "planned_end": dt.date(2027, 3, 5),
        },
    )
    ctx.plan.close()
    assert run(plan_path, "cab", "new", "--date", "2027-01-05T10:00")[0] == 0
    return plan_path


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["audit", "log", "--limit", HUGE],
            "argument --limit: must be from 1 to 10,000,000, not a number of 23 digits",
        ),
        (
            ["audit", "log", "--limit", "-1"],
            "argument --limit: must be from 1 to 10,000,000, not -1",
        ),
        (["audit", "log", "--limit", "0"], "argument --limit: must be from 1 to 10,000,000, not 0"),
        (
            ["cab", "show", HUGE],
            "argument MEETING: must be from 1 to 9,223,372,036,854,775,807, not a number of 23 digits",
        ),
        (
            ["cab", "close", HUGE],
            "argument MEETING: must be from 1 to 9,223,372,036,854,775,807, not a number of 23 digits",
        ),
        (
            ["export", "minutes", HUGE, "m.docx"],
            "argument MEETING: must be from 1 to 9,223,372,036,854,775,807, not a number of 23 digits",
        ),
        (
            ["impact", "REL-1", "--days", HUGE],
            "argument --days: must be from -3,650 to 3,650, not a number of 23 digits",
        ),
        (
            ["impact", "REL-1", "--days", "-3000000"],
            "argument --days: must be from -3,650 to 3,650, not -3,000,000",
        ),
        (["audit", "log", "--release", ""], "no release '' in this plan"),
    ],
)
def test_numbers_no_plan_holds_are_usage_errors(
    plan_with_a_meeting: Path, argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code, out, err = run(plan_with_a_meeting, *argv)
    err += capsys.readouterr().err  # argparse's usage errors go to the process's stderr
    err = "\n".join(line for line in err.splitlines() if not line.startswith("usage:")) + "\n"
    assert code == 2 and out == "", err
    assert says in err and "Traceback" not in err and err.count("\n") == 1, err


def test_sensible_numbers_still_work(plan_with_a_meeting: Path) -> None:
    code, out, _ = run(plan_with_a_meeting, "audit", "log", "--limit", "1")
    assert code == 0 and len(out.splitlines()) == 1
    assert run(plan_with_a_meeting, "cab", "show", "1")[0] == 0
    assert run(plan_with_a_meeting, "impact", "REL-1", "--days", "-3650")[0] == 0


def test_plan_copy_names_both_plans_alike_and_counts_in_words(
    plan_with_a_meeting: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One release: "1 release" (not "1 releases"); the source and the target both as full
    paths, however they were typed."""
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    assert main(["plan", "copy", str(plan_with_a_meeting), "copy.relman"], out, err) == 0
    copy = (tmp_path / "copy.relman").resolve()
    line = out.getvalue()
    assert line.startswith(f"copied {plan_with_a_meeting.resolve()} to {copy}: 1 release, ")
    verified = run(copy, "audit", "verify")[1]  # "audit trail intact: 3 events"
    assert line.endswith(f" rows; audit trail of {verified.split(': ')[1].strip()} verified\n")


def test_demo_counts_one_of_a_kind_in_the_singular(tmp_path: Path) -> None:
    code, out, _err = run(tmp_path / "one.relman", "demo", "--releases", "1")
    assert code == 0
    assert ": 1 release, " in out and "1 rule, 1 baseline" in out and "15 people" in out
    assert "configuration items" in out and "_" not in out.split(": ", 1)[1]
