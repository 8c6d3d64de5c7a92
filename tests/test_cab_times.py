"""A CAB meeting time typed without a zone is the plan's (or the user's) local time, stored in
UTC (issue 20)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from relman_desktop.cli import main
from relman_desktop.models.entities import CabMeeting, PlanMeta
from relman_desktop.services.base import Ctx


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def new_meeting(plan_path: Path, *argv: str) -> dict:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--plan", str(plan_path), "cab", "new", *argv, "--json"], out, err)
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


def test_a_naive_time_is_the_users_local_time(ctx: Ctx, plan_path: Path, new_york: None) -> None:
    meeting = new_meeting(plan_path, "--date", "2027-01-05T10:00")
    assert meeting["held_at"] == "2027-01-05T15:00:00Z"  # 10:00 in New York (EST, UTC-5)
    meeting = new_meeting(plan_path, "--date", "2027-07-05")  # a date alone is 10:00, in summer
    assert meeting["held_at"] == "2027-07-05T14:00:00Z"


def test_the_plans_zone_wins_over_the_users(ctx: Ctx, plan_path: Path, new_york: None) -> None:
    with ctx.plan.write() as s:
        s.add(PlanMeta(key="timezone", value="Europe/Berlin"))
    meeting = new_meeting(plan_path, "--date", "2027-01-05T10:00")
    assert meeting["held_at"] == "2027-01-05T09:00:00Z"


def test_a_time_with_an_offset_is_taken_as_written(
    ctx: Ctx, plan_path: Path, new_york: None
) -> None:
    meeting = new_meeting(plan_path, "--date", "2027-01-05T10:00+01:00")
    assert meeting["held_at"] == "2027-01-05T09:00:00Z"


@pytest.mark.parametrize(
    ("plan_zone", "typed"),
    [
        (None, "2027-03-14T02:30"),  # New York, the user's zone: 02:00 jumps to 03:00
        ("Europe/London", "2027-03-28T01:30"),  # the plan's zone: 01:00 jumps to 02:00
    ],
)
def test_a_time_the_clocks_skip_is_refused(
    ctx: Ctx, plan_path: Path, new_york: None, plan_zone: str | None, typed: str
) -> None:
    """It was stored an hour earlier than typed (01:30 in New York, 00:30 in London)."""
    if plan_zone:
        with ctx.plan.write() as s:
            s.add(PlanMeta(key="timezone", value=plan_zone))
    out, err = io.StringIO(), io.StringIO()
    code = main(["--plan", str(plan_path), "cab", "new", "--date", typed, "--json"], out, err)
    assert code == 2 and out.getvalue() == ""
    assert err.getvalue().startswith(f"relman: '{typed}' does not exist in ")
    assert "the clocks skip that time" in err.getvalue() and err.getvalue().count("\n") == 1
    with ctx.read() as s:
        assert s.execute(select(func.count()).select_from(CabMeeting)).scalar_one() == 0


def test_a_time_that_comes_twice_is_the_first(ctx: Ctx, plan_path: Path, new_york: None) -> None:
    meeting = new_meeting(plan_path, "--date", "2027-11-07T01:30")  # 01:30 EDT, then 01:30 EST
    assert meeting["held_at"] == "2027-11-07T05:30:00Z"


@pytest.mark.parametrize(
    ("name", "shown"), [("Etc/UTC", "UTC"), ("Etc/Zulu", "UTC"), ("GMT", "GMT")]
)
def test_times_after_a_utc_alias_say_utc_and_json_keeps_the_iana_name(
    ctx: Ctx, plan_path: Path, name: str, shown: str
) -> None:
    with ctx.plan.write() as s:
        s.add(PlanMeta(key="timezone", value=name))
    out, err = io.StringIO(), io.StringIO()
    argv = ["--plan", str(plan_path), "cab", "new", "--date", "2027-01-05T10:00"]
    assert main(argv, out, err) == 0, err.getvalue()
    assert f"held at 2027-01-05 10:00 {shown}," in out.getvalue()
    assert name == shown or name not in out.getvalue()
    show = io.StringIO()
    assert main(["--plan", str(plan_path), "cab", "show", "1", "--json"], show, err) == 0
    assert json.loads(show.getvalue())["timezone"] == name  # the contract: the IANA name
