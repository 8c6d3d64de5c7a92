"""Calendar feeds in as windows, over every real .ics file in shared/corpus/ics."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

from relman_desktop.cli import main

CORPUS = (
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ics"
)  # shared/ beside the repo
UTC = dt.UTC


def run(plan: Path | str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--plan", str(plan), "--actor", "tester", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# Reading the corpus's feeds and refusing what is no calendar is parsing: the plan file is
# enough for those (conftest.py runs the rest on both engines)
FILE_ONLY_TESTS = {
    "test_each_feed_imports_and_reimports_without_duplicates",
    "test_not_a_calendar_is_refused_in_one_line",
}


def windows(ctx) -> list:
    from relman_desktop.services.windows import list_windows

    return list_windows(ctx)


@pytest.fixture
def plan_file(ctx) -> str:
    """A new plan to import into: a file, or a server URL (both engines)."""
    ctx.plan.close()
    return ctx.plan.location


def ctx_for(plan: Path | str):
    from relman_desktop.models.database import open_database
    from relman_desktop.services.base import Ctx

    return Ctx(open_database(plan))


# (file, --from, --until, windows expected): counted by reading each file
COUNTS = [
    ("calendarlabs_germany-holidays.ics", "2019-01-01", "2020-12-31", 34),  # 34 VEVENTs, no repeats
    ("outlook_officeholidays-germany.ics", "2008-01-01", "2020-12-31", 159),  # 159 all-day VEVENTs
    ("confluence-calendar_america-los-angeles.ics", "2021-01-01", "2021-12-31", 1),
    ("thunderbird_europe-london.ics", "2025-01-01", "2025-12-31", 5),  # daily 23–27 April 2025
    # Monday 16 Nov 2020: Event#1 (MO,TU,TH,FR), Event#2 and Event#3 (weekly on Mondays)
    ("google_school_america-chicago.ics", "2020-11-16", "2020-11-16", 3),
    ("google_machbar-public_europe-berlin.ics", "2019-02-24", "2019-02-24", 1),
]


def test_every_corpus_file_is_covered() -> None:
    assert sorted(p.name for p in CORPUS.glob("*.ics")) == sorted(c[0] for c in COUNTS)


@pytest.mark.parametrize(("name", "since", "until", "count"), COUNTS)
def test_each_feed_imports_and_reimports_without_duplicates(
    plan_file: Path, name: str, since: str, until: str, count: int
) -> None:
    argv = [
        "import",
        "ics",
        str(CORPUS / name),
        "--as",
        "holiday",
        "--from",
        since,
        "--until",
        until,
    ]
    code, out, err = run(plan_file, *argv, "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["counts"]["create"] == count
    code, out, _ = run(plan_file, *argv, "--json")
    assert json.loads(out)["counts"] == {"create": 0, "update": 0, "skip": count}
    ctx = ctx_for(plan_file)
    try:
        assert len(windows(ctx)) == count
    finally:
        ctx.plan.close()


def test_weekly_rule_with_exdates_in_chicago_time(plan_file: Path) -> None:
    code, _, err = run(
        plan_file,
        "import",
        "ics",
        str(CORPUS / "google_school_america-chicago.ics"),
        "--as",
        "event",
        "--from",
        "2020-11-16",
        "--until",
        "2020-11-30",
    )
    assert code == 0, err
    ctx = ctx_for(plan_file)
    try:
        event1 = [w for w in windows(ctx) if w.title == "Event#1"]
    finally:
        ctx.plan.close()
    days = [w.start.date() for w in event1]
    assert days == [dt.date(2020, 11, d) for d in (16, 17, 19, 20, 23, 24, 30)]  # not 26, 27
    # 08:15 in Chicago (CST, UTC-6 after the 1 November DST change) is 14:15 UTC
    assert {(w.start.hour, w.start.minute, w.end.minute) for w in event1} == {(14, 15, 30)}
    assert {w.timezone for w in event1} == {"America/Chicago"}
    assert {w.kind for w in event1} == {"business_event"}


def test_moved_occurrence_lands_where_it_was_moved(plan_file: Path) -> None:
    code, _, err = run(
        plan_file,
        "import",
        "ics",
        str(CORPUS / "google_machbar-public_europe-berlin.ics"),
        "--as",
        "event",
        "--from",
        "2019-02-01",
        "--until",
        "2019-02-28",
    )
    assert code == 0, err
    ctx = ctx_for(plan_file)
    try:
        cafe = [w for w in windows(ctx) if w.title == "mB-onTour: repairCafé"]
    finally:
        ctx.plan.close()
    # the monthly (3rd Saturday) series' 2019-02-16 11:00 occurrence has RECURRENCE-ID and was
    # moved to Sunday 2019-02-24 11:00 Berlin (10:00 UTC); another series of the same name
    # (monthly on the 2nd Saturday from 2019-01-12) gives 2019-02-09
    assert [w.start for w in cafe] == [
        dt.datetime(2019, 2, 9, 10, 0, tzinfo=UTC),
        dt.datetime(2019, 2, 24, 10, 0, tzinfo=UTC),
    ]


def test_thunderbird_overrides_and_london_zone(plan_file: Path) -> None:
    run(
        plan_file,
        "import",
        "ics",
        str(CORPUS / "thunderbird_europe-london.ics"),
        "--as",
        "maintenance",
        "--from",
        "2025-04-01",
        "--until",
        "2025-04-30",
    )
    ctx = ctx_for(plan_file)
    try:
        starts = [w.start for w in windows(ctx)]
    finally:
        ctx.plan.close()
    # daily 09:00 London (BST, UTC+1); the 24th moved to 11:00
    assert starts == [
        dt.datetime(2025, 4, d, h, 0, tzinfo=UTC)
        for d, h in ((23, 8), (24, 10), (25, 8), (26, 8), (27, 8))
    ]


def test_awkward_holiday_feed_gives_whole_days(plan_file: Path) -> None:
    """Bare DTSTART:20190101 dates, DTEND equal to DTSTART, and an empty RRULE: line each."""
    run(
        plan_file,
        "import",
        "ics",
        str(CORPUS / "calendarlabs_germany-holidays.ics"),
        "--as",
        "holiday",
        "--from",
        "2019-01-01",
        "--until",
        "2019-01-01",
    )
    ctx = ctx_for(plan_file)
    try:
        (new_year,) = windows(ctx)
    finally:
        ctx.plan.close()
    assert new_year.title == "New Year's Day"
    assert new_year.end - new_year.start == dt.timedelta(days=1)
    assert new_year.start == dt.datetime(2019, 1, 1, tzinfo=UTC)  # X-WR-TIMEZONE Etc/GMT


def test_reimport_updates_a_changed_event_by_uid(plan_file: Path, tmp_path: Path) -> None:
    feed = tmp_path / "feed.ics"
    text = (CORPUS / "confluence-calendar_america-los-angeles.ics").read_text(encoding="utf-8")
    feed.write_text(text, encoding="utf-8")
    run(
        plan_file,
        "import",
        "ics",
        str(feed),
        "--as",
        "freeze",
        "--from",
        "2021-01-01",
        "--until",
        "2021-12-31",
    )
    feed.write_text(text.replace("SUMMARY:test", "SUMMARY:Year-end freeze"), encoding="utf-8")
    code, out, _ = run(
        plan_file,
        "import",
        "ics",
        str(feed),
        "--as",
        "freeze",
        "--from",
        "2021-01-01",
        "--until",
        "2021-12-31",
        "--json",
    )
    preview = json.loads(out)
    assert preview["counts"] == {"create": 0, "update": 1, "skip": 0}
    assert preview["rows"][0]["reason"] == "title differ"
    ctx = ctx_for(plan_file)
    try:
        assert [w.title for w in windows(ctx)] == ["Year-end freeze"]
    finally:
        ctx.plan.close()


def test_dry_run_and_default_range_warning(plan_file: Path) -> None:
    code, out, _ = run(
        plan_file,
        "import",
        "ics",
        str(CORPUS / "outlook_officeholidays-germany.ics"),
        "--as",
        "holiday",
        "--from",
        "2030-01-01",
        "--until",
        "2030-12-31",
        "--dry-run",
    )
    assert code == 0
    assert "no event falls between 2030-01-01 and 2030-12-31" in out
    assert "from 2008-01-01 to 2020-12-26" in out


def test_not_a_calendar_is_refused_in_one_line(plan_file: Path, tmp_path: Path) -> None:
    junit = (
        Path(__file__).resolve().parents[2] / "shared" / "corpus" / "junit" / "pytest_junitxml.xml"
    )
    code, out, err = run(plan_file, "import", "ics", str(junit), "--as", "holiday")
    assert code == 2 and out == ""
    assert err.strip() == (
        "relman: pytest_junitxml.xml is not an iCalendar file: it does not begin "
        "with BEGIN:VCALENDAR"
    )
    fresh = tmp_path / "none.relman"
    assert run(fresh, "import", "ics", str(junit), "--as", "holiday")[0] == 2
    assert not fresh.exists()


def test_unknown_ci_is_refused_before_writing(plan_file: Path) -> None:
    code, _, err = run(
        plan_file,
        "import",
        "ics",
        str(CORPUS / "thunderbird_europe-london.ics"),
        "--as",
        "maintenance",
        "--ci",
        "billing-db",
        "--from",
        "2025-04-01",
        "--until",
        "2025-04-30",
    )
    assert code == 2 and "unknown CI 'billing-db'" in err
