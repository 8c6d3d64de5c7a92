"""The calendar's data for a range of days: what overlaps the range is read, what lies outside
it is not (issue 19), on a plan file and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from relman_desktop.services import calendar_data, releases, windows

UTC = dt.UTC
MARCH = (dt.date(2027, 3, 1), dt.date(2027, 4, 1))  # [start, end)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    """Both engines: the range query is plain SQLAlchemy and must mean the same on each."""
    return request.param


def _release(ctx, key, **dates):
    releases.create_release(ctx, {"key": key, "title": key, "type": "minor", **dates})


@pytest.fixture
def plan_ctx(ctx):
    d = dt.date
    _release(ctx, "REL-IN", planned_start=d(2027, 3, 10), planned_end=d(2027, 3, 12))
    _release(ctx, "REL-ACROSS", planned_start=d(2027, 2, 1), planned_end=d(2027, 5, 1))
    _release(ctx, "REL-EDGE-START", planned_start=d(2027, 2, 20), planned_end=d(2027, 3, 1))
    _release(ctx, "REL-EDGE-END", planned_start=d(2027, 4, 1), planned_end=d(2027, 4, 3))
    _release(ctx, "REL-JAN", planned_start=d(2027, 1, 4), planned_end=d(2027, 1, 8))
    _release(ctx, "REL-MAY", planned_start=d(2027, 5, 3), planned_end=d(2027, 5, 7))
    # planned in January, deploying in March: its bar reaches into the range
    _release(
        ctx,
        "REL-DEPLOYS-IN",
        planned_start=d(2027, 1, 11),
        planned_end=d(2027, 1, 15),
        deploy_start=dt.datetime(2027, 3, 6, 22, tzinfo=UTC),
        deploy_end=dt.datetime(2027, 3, 6, 23, tzinfo=UTC),
    )
    # a deployment window that ends on the first day of the range (UTC)
    _release(
        ctx,
        "REL-NIGHT",
        deploy_start=dt.datetime(2027, 2, 28, 23, tzinfo=UTC),
        deploy_end=dt.datetime(2027, 3, 1, 1, tzinfo=UTC),
    )
    _release(ctx, "REL-UNDATED")  # open, no dates yet: a row to schedule wherever one looks
    releases.add_dependency(ctx, "REL-IN", "REL-JAN")  # REL-IN depends on REL-JAN
    releases.add_dependency(ctx, "REL-MAY", "REL-JAN")  # both outside: not read
    windows.create_window(
        ctx,
        title="March freeze",
        kind="freeze",
        start=dt.datetime(2027, 3, 15, tzinfo=UTC),
        end=dt.datetime(2027, 3, 20, tzinfo=UTC),
    )
    windows.create_window(
        ctx,
        title="June freeze",
        kind="freeze",
        start=dt.datetime(2027, 6, 1, tzinfo=UTC),
        end=dt.datetime(2027, 6, 5, tzinfo=UTC),
    )
    windows.create_window(
        ctx,
        title="Weekly maintenance",
        kind="maintenance",
        start=dt.datetime(2026, 11, 1, 20, tzinfo=UTC),
        end=dt.datetime(2026, 11, 2, 2, tzinfo=UTC),
        rrule="FREQ=WEEKLY",
    )
    windows.create_window(
        ctx,
        title="Autumn maintenance",  # recurs, but its last night is before March
        kind="maintenance",
        start=dt.datetime(2026, 11, 1, 20, tzinfo=UTC),
        end=dt.datetime(2026, 11, 2, 2, tzinfo=UTC),
        rrule="FREQ=WEEKLY;COUNT=4",
    )
    return ctx


def test_a_range_reads_only_the_releases_whose_bars_reach_into_it(plan_ctx):
    got = calendar_data.read_range(plan_ctx, *MARCH)
    assert [r.key for r in got.releases] == [
        "REL-ACROSS",
        "REL-DEPLOYS-IN",
        "REL-EDGE-START",
        "REL-IN",
        "REL-NIGHT",
        "REL-UNDATED",
    ]
    assert got.total == 9  # "showing 6 of 9"
    # the arrow from a release outside the range into one inside it is there; the pair
    # entirely outside is not
    assert got.edges == [("REL-JAN", "REL-IN", "before")]
    assert [w.title for w in got.windows] == ["Weekly maintenance", "March freeze"]


def test_a_wider_range_reads_more_and_a_range_elsewhere_reads_other_releases(plan_ctx):
    wide = calendar_data.read_range(plan_ctx, dt.date(2027, 1, 1), dt.date(2027, 7, 1))
    assert len(wide.releases) == 9
    assert {w.title for w in wide.windows} == {
        "Weekly maintenance",
        "March freeze",
        "June freeze",
    }
    assert ("REL-JAN", "REL-MAY", "before") in wide.edges
    may = calendar_data.read_range(plan_ctx, dt.date(2027, 5, 2), dt.date(2027, 5, 9))
    assert [r.key for r in may.releases] == ["REL-MAY", "REL-UNDATED"]


def test_the_calendar_data_for_a_range_matches_the_whole_plan_read(plan_ctx):
    """The rows the view builds from a range are the whole-plan rows that overlap it."""
    from relman_desktop.views.calendar import gantt_data as D

    whole = D.load(plan_ctx)
    part = D.load_range(plan_ctx, *MARCH)
    start, last = MARCH[0], MARCH[1] - dt.timedelta(days=1)
    expected = [
        r.key
        for r in whole.releases
        if (span := r.span()) is None or (span[0] <= last and span[1] >= start)
    ]
    assert [r.key for r in part.releases] == expected
    assert (part.first_day, part.last_day) == (start, last)
    assert part.total == 9
    # conflicts as the whole-plan check finds them for those releases
    for rel in part.releases:
        assert [c.rule for c in rel.conflicts] == [c.rule for c in whole.by_key[rel.key].conflicts]


def test_a_backwards_range_is_refused_and_a_release_span_is_its_bar(plan_ctx):
    with pytest.raises(ValueError, match="must be after the start"):
        calendar_data.read_range(plan_ctx, dt.date(2027, 3, 1), dt.date(2027, 3, 1))
    assert calendar_data.release_span(plan_ctx, "REL-DEPLOYS-IN") == (
        dt.date(2027, 1, 11),
        dt.date(2027, 3, 6),
    )
    assert calendar_data.release_span(plan_ctx, "REL-UNDATED") is None
    assert calendar_data.release_span(plan_ctx, "REL-NOPE") is None
