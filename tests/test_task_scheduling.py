"""Tasks that schedule themselves: a new start keeps the task's length, a duration in working
days moves the end, the tasks that wait on a moved task follow it (lags in working days), done
means 100 %, and each of these is one transaction that ``restore_tasks`` puts back whole."""

from __future__ import annotations

import datetime as dt

import pytest

from relman_desktop.services import critical_path, releases, tasks
from relman_desktop.services.base import ValidationError

# Input checks refused before any write (pure Python): run on the plan file only (conftest.py)
FILE_ONLY_TESTS = {
    "test_a_bad_duration_is_refused_and_nothing_moves",
}

KEY = "REL-2026-900"
D = dt.date


@pytest.fixture
def chain(ctx):
    """T1 (Tue 1 – Thu 3 Dec) → T2 FS+1 (Tue 8 – Wed 9) → T3 SS (Tue 8), T4 on its own."""
    releases.create_release(
        ctx, {"key": KEY, "title": "Scheduling", "type": "minor", "planned_start": "2026-12-01"}
    )
    tasks.add_task(ctx, KEY, {"title": "Build", "start": "2026-12-01", "end": "2026-12-03"})
    tasks.add_task(ctx, KEY, {"title": "Deploy", "start": "2026-12-08", "end": "2026-12-09"})
    tasks.add_task(ctx, KEY, {"title": "Verify", "start": "2026-12-08", "end": "2026-12-08"})
    tasks.add_task(ctx, KEY, {"title": "Docs", "start": "2026-12-01", "end": "2026-12-01"})
    tasks.add_task_dependency(ctx, KEY, "T1", "T2", "FS", 1)
    tasks.add_task_dependency(ctx, KEY, "T2", "T3", "SS", 0)
    return ctx


def dates(ctx) -> dict[str, tuple[dt.date | None, dt.date | None]]:
    return {r.local_id: (r.start, r.end) for r in tasks.list_tasks(ctx, KEY)}


def test_moving_a_task_moves_what_waits_on_it_in_working_days_and_undo_puts_all_back(chain):
    before = dates(chain)
    undo = tasks.schedule_task(chain, KEY, "T1", {"start": "2026-12-03"})  # Thu: 3 days long
    now = dates(chain)
    assert now["T1"] == (D(2026, 12, 3), D(2026, 12, 7))  # Thu, Fri, Mon
    assert now["T2"] == (D(2026, 12, 9), D(2026, 12, 10))  # FS+1: Tue skipped, Wed–Thu
    assert now["T3"] == (D(2026, 12, 9), D(2026, 12, 9))  # SS with T2
    assert now["T4"] == before["T4"]  # not linked: stays
    assert set(undo) == {"T1", "T2", "T3"}
    tasks.restore_tasks(chain, KEY, undo)
    assert dates(chain) == before


def test_moving_a_predecessor_earlier_pulls_its_successors_back(chain):
    tasks.schedule_task(chain, KEY, "T1", {"start": "2026-11-30"})  # Monday
    assert dates(chain)["T2"] == (D(2026, 12, 4), D(2026, 12, 7))  # Thu end + lag 1 = Fri


def test_duration_in_working_days_sets_the_end_and_moves_successors(chain):
    tasks.schedule_task(chain, KEY, "T1", {"duration_days": 5})
    now = dates(chain)
    assert now["T1"] == (D(2026, 12, 1), D(2026, 12, 7))  # Tue..Mon over the weekend
    assert now["T2"][0] == D(2026, 12, 9)


@pytest.mark.parametrize("bad", [0, -2, "two", 100000])
def test_a_bad_duration_is_refused_and_nothing_moves(chain, bad):
    before = dates(chain)
    with pytest.raises(ValidationError, match="Duration"):
        tasks.schedule_task(chain, KEY, "T1", {"duration_days": bad})
    assert dates(chain) == before


def test_done_is_100_percent(chain):
    undo = tasks.schedule_task(chain, KEY, "T4", {"status": "done"})
    row = {r.local_id: r for r in tasks.list_tasks(chain, KEY)}["T4"]
    assert (row.status, row.percent_complete) == ("done", 100)
    tasks.restore_tasks(chain, KEY, undo)
    row = {r.local_id: r for r in tasks.list_tasks(chain, KEY)}["T4"]
    assert (row.status, row.percent_complete) == ("todo", 0)
    tasks.update_task(chain, KEY, "T4", {"status": "done"})  # the plain update too (CLI)
    assert {r.local_id: r for r in tasks.list_tasks(chain, KEY)}["T4"].percent_complete == 100


def test_a_done_successor_stays_where_it_happened(chain):
    tasks.update_task(chain, KEY, "T2", {"status": "done"})
    tasks.schedule_task(chain, KEY, "T1", {"start": "2026-12-03"})
    assert dates(chain)["T2"] == (D(2026, 12, 8), D(2026, 12, 9))


def test_a_new_link_moves_the_successor_in_one_transaction_and_unlink_puts_it_back(chain):
    before = dates(chain)
    undo = tasks.link_tasks(chain, KEY, "T1", "T4", "FS", 2)
    assert dates(chain)["T4"] == (D(2026, 12, 8), D(2026, 12, 8))  # Thu end, +2: Mon 7, then Tue
    tasks.unlink_tasks(chain, KEY, "T1", "T4", undo)
    assert dates(chain) == before
    assert not {r.local_id: r for r in tasks.list_tasks(chain, KEY)}["T4"].predecessors


def test_a_refused_edit_moves_nothing(chain):
    before = dates(chain)
    with pytest.raises(ValidationError):
        tasks.schedule_task(chain, KEY, "T1", {"end": "2026-11-01"})
    assert dates(chain) == before


# --- the plan's holidays are not working days -------------------------------------------------------


def _holiday(ctx, day: dt.date, title: str = "Public holiday", **extra) -> None:
    from relman_desktop.services import windows

    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    windows.create_window(
        ctx,
        title=title,
        kind="holiday",
        start=start,
        end=start + dt.timedelta(days=1),
        timezone="UTC",
        **extra,
    )


def test_a_duration_over_a_public_holiday_ends_one_working_day_later(chain):
    _holiday(chain, D(2026, 12, 2))  # Wednesday
    tasks.schedule_task(chain, KEY, "T1", {"duration_days": 3})
    rows = {r.local_id: r for r in tasks.list_tasks(chain, KEY)}
    assert (rows["T1"].start, rows["T1"].end) == (D(2026, 12, 1), D(2026, 12, 4))  # Tue, Thu, Fri
    assert rows["T1"].duration_days == 3
    # T2 waits FS+1 after T1: Mon 7 is the lag, so it starts Tue 8 and keeps its 2 days
    assert (rows["T2"].start, rows["T2"].end) == (D(2026, 12, 8), D(2026, 12, 9))
    schedule = critical_path.task_critical_path(chain, KEY).by_id()
    assert (schedule["T1"].duration_days, schedule["T1"].early_finish) == (3, D(2026, 12, 4))


def test_a_lag_and_a_moved_start_skip_a_holiday_too(chain):
    _holiday(chain, D(2026, 12, 7))  # the Monday T2's lag would take
    tasks.schedule_task(chain, KEY, "T1", {"start": "2026-11-30"})  # Mon: 3 days, Mon–Wed
    now = dates(chain)
    assert now["T1"] == (D(2026, 11, 30), D(2026, 12, 2))
    assert now["T2"] == (D(2026, 12, 4), D(2026, 12, 8))  # Thu lag, Fri start; Mon off: Fri–Tue
    assert now["T3"] == (D(2026, 12, 4), D(2026, 12, 4))


def test_a_yearly_holiday_and_a_weekend_holiday(ctx):
    """A recurring holiday (RRULE) is off every year; one on a Saturday changes nothing."""
    releases.create_release(ctx, {"key": KEY, "title": "Year end", "type": "minor"})
    tasks.add_task(ctx, KEY, {"title": "Cut-over", "start": "2026-12-31", "end": "2026-12-31"})
    _holiday(ctx, D(2020, 1, 1), "New Year's Day", rrule="FREQ=YEARLY")
    _holiday(ctx, D(2027, 1, 2), "A Saturday")
    tasks.schedule_task(ctx, KEY, "T1", {"duration_days": 3})
    row = tasks.list_tasks(ctx, KEY)[0]
    assert (row.end, row.duration_days) == (D(2027, 1, 5), 3)  # Thu 31; Fri 1 off; Mon 4, Tue 5


def test_the_calendar_counts_holidays_as_days_off():
    cal = critical_path.WorkCalendar([D(2026, 12, 2), D(2026, 12, 5)])  # a Wednesday, a Saturday
    assert critical_path.working_days(D(2026, 11, 30), D(2026, 12, 4), cal) == 4
    assert critical_path.finish_after(D(2026, 12, 1), 2, cal) == D(2026, 12, 3)
    assert critical_path.first_working_day(D(2026, 12, 2), cal) == D(2026, 12, 3)
    assert critical_path.first_working_day(D(2026, 12, 5), cal) == D(2026, 12, 7)
    assert [cal.date(cal.number(D(2026, 11, 30)) + n) for n in range(5)] == [
        D(2026, 11, 30),
        D(2026, 12, 1),
        D(2026, 12, 3),
        D(2026, 12, 4),
        D(2026, 12, 7),
    ]
