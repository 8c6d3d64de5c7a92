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
