"""The .ics export: read back with icalendar, it has the events, their TZID and RRULE."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from relman_desktop.cli import main
from relman_desktop.exports.ics import export_ics
from relman_desktop.models import enums as E
from relman_desktop.models.entities import Release, WorkflowState
from relman_desktop.services import windows as W
from relman_desktop.services.base import ServiceError

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def calendar_plan(ctx):
    with ctx.write() as tx:
        s = tx.session
        state = s.execute(
            select(WorkflowState).where(WorkflowState.name == "Approved")
        ).scalar_one()
        s.add(
            Release(
                key="REL-2026-001",
                title="Billing 2.4",
                type=E.ReleaseType.MINOR,
                status=state,
                deploy_start=berlin(2026, 12, 12, 22, 30),
                deploy_end=berlin(2026, 12, 13, 1, 30),
                strategy=E.StrategyKind.CANARY,
                waves=[{"percent": 10, "bake_minutes": 60}, {"percent": 100}],
                rollback_plan="Redeploy 2.3.7 from the artefact store",
                rollback_minutes=45,
            )
        )
        s.add(
            Release(key="REL-2026-002", title="Unscheduled", type=E.ReleaseType.PATCH, status=state)
        )
    W.create_window(
        ctx,
        title="Saturday night maintenance",
        kind="maintenance",
        start=berlin(2026, 12, 5, 22),
        end=berlin(2026, 12, 6, 4),
        timezone="Europe/Berlin",
        rrule="FREQ=WEEKLY;COUNT=26",
        environment="production",
    )
    W.create_window(
        ctx,
        title="Year-end freeze",
        kind="freeze",
        start=berlin(2026, 12, 19),
        end=berlin(2027, 1, 4),
        timezone="Europe/Berlin",
    )
    W.create_window(
        ctx,
        title="Black Friday",
        kind="business_event",
        start=dt.datetime(2026, 11, 27, 5, tzinfo=dt.UTC),
        end=dt.datetime(2026, 11, 28, 5, tzinfo=dt.UTC),
        timezone="America/New_York",
        hard=False,
    )
    return ctx


def _events(path):
    """The calendar and its events by summary (overrides of one occurrence left out)."""
    cal = Calendar.from_ical(path.read_bytes())
    return cal, {str(e["SUMMARY"]): e for e in cal.walk("VEVENT") if "RECURRENCE-ID" not in e}


def test_export_writes_deployments_and_windows_with_zones_and_recurrence(calendar_plan, tmp_path):
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "calendar.ics"
    result = export_ics(calendar_plan, target)
    assert (result.deployments, result.windows) == (1, 3)
    cal, events = _events(target)
    assert set(events) == {
        "REL-2026-001 Billing 2.4 \u2014 deployment",
        "Saturday night maintenance",
        "Year-end freeze",
        "Black Friday",
    }

    deploy = events["REL-2026-001 Billing 2.4 \u2014 deployment"]
    assert str(deploy["UID"]) == "REL-2026-001-deployment@relman-desktop"
    assert deploy.decoded("DTSTART") == dt.datetime(2026, 12, 12, 21, 30, tzinfo=dt.UTC)
    assert deploy.decoded("DTEND") == dt.datetime(2026, 12, 13, 0, 30, tzinfo=dt.UTC)
    description = str(deploy["DESCRIPTION"])
    assert "Strategy: canary (waves: 10% bake 60 min, 100%)" in description
    assert "Rollback: Redeploy 2.3.7 from the artefact store (45 minutes)" in description

    night = events["Saturday night maintenance"]
    assert night["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert night.decoded("DTSTART") == berlin(2026, 12, 5, 22)
    assert night.decoded("DTEND").astimezone(BERLIN).hour == 4
    assert night["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=26"
    assert night["CATEGORIES"].cats == ["maintenance"]

    freeze = events["Year-end freeze"]
    assert "RRULE" not in freeze
    assert freeze["CATEGORIES"].cats == ["freeze", "hard"]
    assert events["Black Friday"]["DTSTART"].params["TZID"] == "America/New_York"
    assert events["Black Friday"]["CATEGORIES"].cats == ["business_event"]

    assert {tz.tz_name for tz in cal.timezones} == {"Europe/Berlin", "America/New_York"}
    assert cal.get_missing_tzids() == set()
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "calendar.ics"
    ]  # no temp file left behind


def test_uid_is_stable_across_exports(calendar_plan, tmp_path):
    export_ics(calendar_plan, tmp_path / "a.ics")
    export_ics(calendar_plan, tmp_path / "b.ics")
    uids = [
        sorted(str(e["UID"]) for e in Calendar.from_ical(p.read_bytes()).walk("VEVENT"))
        for p in (tmp_path / "a.ics", tmp_path / "b.ics")
    ]
    assert uids[0] == uids[1]
    assert (tmp_path / "a.ics").read_bytes() == (tmp_path / "b.ics").read_bytes()


def test_an_existing_file_is_replaced(calendar_plan, tmp_path):
    target = tmp_path / "calendar.ics"
    target.write_text("old")
    export_ics(calendar_plan, target)
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR")


def test_a_missing_folder_is_one_clear_line(calendar_plan, tmp_path, plan_path):
    with pytest.raises(ServiceError, match="the folder .*nowhere does not exist"):
        export_ics(calendar_plan, tmp_path / "nowhere" / "calendar.ics")
    err = io.StringIO()
    code = main(
        ["--plan", str(plan_path), "export", "ics", str(tmp_path / "nowhere" / "c.ics")],
        out=io.StringIO(),
        err=err,
    )
    assert code == 2
    assert err.getvalue().count("\n") == 1 and "does not exist" in err.getvalue()


def test_cli_export_ics(calendar_plan, tmp_path, plan_path):
    out = io.StringIO()
    target = tmp_path / "cli.ics"
    assert main(["--plan", str(plan_path), "export", "ics", str(target)], out=out) == 0
    assert out.getvalue() == f"wrote {target}: 1 deployment window, 3 calendar windows\n"
    _, events = _events(target)
    assert len(events) == 4


def test_a_local_until_becomes_utc_and_holidays_carry_their_kind():
    from relman_desktop.exports.ics import build_calendar
    from relman_desktop.services.windows import WindowInfo

    holiday = WindowInfo(
        id=7,
        title="Christmas Day",
        kind="holiday",
        hard=True,
        start=berlin(2026, 12, 25),
        end=berlin(2026, 12, 26),
        timezone="Europe/Berlin",
        rrule="FREQ=YEARLY;UNTIL=20301225T000000",
        environment=None,
        cis=(),
    )
    stamp = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)
    cal = Calendar.from_ical(build_calendar([], [holiday], stamp=stamp).to_ical())
    [event] = cal.walk("VEVENT")
    assert event["RRULE"].to_ical() == b"FREQ=YEARLY;UNTIL=20301224T230000Z"
    assert event["CATEGORIES"].cats == ["holiday"]
    assert str(event["DESCRIPTION"]) == "Holiday; applies to everything."
    assert str(event["UID"]) == "holiday-20261224T2300Z@relman-desktop"  # not the database id


def test_events_open_at_the_right_utc_instants_in_winter_and_summer(calendar_plan, tmp_path):
    """Europe/Berlin 22:00 is 21:00Z in winter and 20:00Z in summer: for a deployment exported
    in each season, and for the weekly maintenance window's occurrences expanded from the
    exported DTSTART/RRULE the way a calendar program does (local wall time, then UTC)."""
    from dateutil.rrule import rrulestr

    with calendar_plan.write() as tx:
        s = tx.session
        state = s.execute(
            select(WorkflowState).where(WorkflowState.name == "Approved")
        ).scalar_one()
        for key, start in (
            ("REL-WINTER", berlin(2027, 1, 16, 22)),
            ("REL-SUMMER", berlin(2027, 6, 12, 22)),
        ):
            s.add(
                Release(
                    key=key,
                    title=key.title(),
                    type=E.ReleaseType.MINOR,
                    status=state,
                    deploy_start=start,
                    deploy_end=start + dt.timedelta(hours=2),
                )
            )
    target = tmp_path / "calendar.ics"
    export_ics(calendar_plan, target)
    _, events = _events(target)

    def utc(event, prop):
        return event.decoded(prop).astimezone(dt.UTC)

    winter = events["REL-WINTER Rel-Winter \u2014 deployment"]
    summer = events["REL-SUMMER Rel-Summer \u2014 deployment"]
    assert utc(winter, "DTSTART") == dt.datetime(2027, 1, 16, 21, tzinfo=dt.UTC)
    assert utc(winter, "DTEND") == dt.datetime(2027, 1, 16, 23, tzinfo=dt.UTC)
    assert utc(summer, "DTSTART") == dt.datetime(2027, 6, 12, 20, tzinfo=dt.UTC)
    assert utc(summer, "DTEND") == dt.datetime(2027, 6, 12, 22, tzinfo=dt.UTC)

    night = events["Saturday night maintenance"]
    first, length = night.decoded("DTSTART"), night.decoded("DTEND") - night.decoded("DTSTART")
    assert first.astimezone(dt.UTC) == dt.datetime(2026, 12, 5, 21, tzinfo=dt.UTC)
    starts = list(rrulestr(night["RRULE"].to_ical().decode(), dtstart=first))
    assert len(starts) == 26
    by_day = {s.date(): (s.astimezone(dt.UTC), (s + length).astimezone(dt.UTC)) for s in starts}
    # the last winter night, the night of the switch to summer time (28 March 2027) — only its
    # start: how long it lasts depends on reading DTEND−DTSTART as wall-clock or exact hours —
    # and the first summer night
    assert by_day[dt.date(2027, 3, 20)] == (
        dt.datetime(2027, 3, 20, 21, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 21, 3, tzinfo=dt.UTC),
    )
    assert by_day[dt.date(2027, 3, 27)][0] == dt.datetime(2027, 3, 27, 21, tzinfo=dt.UTC)
    assert by_day[dt.date(2027, 4, 3)] == (
        dt.datetime(2027, 4, 3, 20, tzinfo=dt.UTC),
        dt.datetime(2027, 4, 4, 2, tzinfo=dt.UTC),
    )
    assert max(by_day) == dt.date(2027, 5, 29)  # the 26th Saturday

    freeze = events["Year-end freeze"]
    assert utc(freeze, "DTSTART") == dt.datetime(2026, 12, 18, 23, tzinfo=dt.UTC)
    assert utc(freeze, "DTEND") == dt.datetime(2027, 1, 3, 23, tzinfo=dt.UTC)


def _exact(event) -> dt.timedelta:
    """Real hours between DTSTART and DTEND (same-zone aware datetimes subtract as wall time)."""
    return event.decoded("DTEND").astimezone(dt.UTC) - event.decoded("DTSTART").astimezone(dt.UTC)


def test_a_night_the_clocks_change_gets_an_override_that_keeps_its_local_end(
    calendar_plan, tmp_path
):
    """The app closes the 22:00–04:00 Berlin window at 04:00 local on 27/28 March 2027 (5 hours);
    RFC 5545 would repeat the first night's 6 exact hours (05:00). That one occurrence is
    overridden by RECURRENCE-ID with its own DTEND; the ordinary nights are not."""
    from dateutil.rrule import rrulestr

    target = tmp_path / "calendar.ics"
    export_ics(calendar_plan, target)
    cal = Calendar.from_ical(target.read_bytes())
    nights = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "Saturday night maintenance"]
    master = next(e for e in nights if "RECURRENCE-ID" not in e)
    overrides = [e for e in nights if "RECURRENCE-ID" in e]
    assert len(overrides) == 1  # 26 Saturdays from December: one spring-forward night, no fall-back
    [spring] = overrides
    assert str(spring["UID"]) == str(master["UID"])
    assert "RRULE" not in spring
    assert spring.decoded("RECURRENCE-ID") == berlin(2027, 3, 27, 22)
    assert spring["RECURRENCE-ID"].params["TZID"] == "Europe/Berlin"
    assert spring.decoded("DTSTART") == berlin(2027, 3, 27, 22)
    assert spring.decoded("DTEND") == berlin(2027, 3, 28, 4)
    assert _exact(spring) == dt.timedelta(hours=5)
    assert "still ends at 04:00 local time (5 hours)" in str(spring["DESCRIPTION"])
    # the overridden start is one the master's rule produces, as RFC 5545 requires
    first = master.decoded("DTSTART")
    assert spring.decoded("RECURRENCE-ID") in list(
        rrulestr(master["RRULE"].to_ical().decode(), dtstart=first)
    )


def test_an_endless_rule_gets_overrides_for_both_changes_of_each_year_up_to_the_horizon():
    from relman_desktop.exports.ics import OVERRIDE_YEARS, build_calendar
    from relman_desktop.services.windows import WindowInfo

    nightly = WindowInfo(
        id=3,
        title="Nightly",
        kind="maintenance",
        hard=False,
        start=berlin(2026, 12, 1, 22),
        end=berlin(2026, 12, 2, 4),
        timezone="Europe/Berlin",
        rrule="FREQ=DAILY",
        environment=None,
        cis=(),
    )
    stamp = dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)
    cal = Calendar.from_ical(build_calendar([], [nightly], stamp=stamp).to_ical())
    overrides = [e for e in cal.walk("VEVENT") if "RECURRENCE-ID" in e]
    lengths = sorted({_exact(e) for e in overrides})
    assert lengths == [dt.timedelta(hours=5), dt.timedelta(hours=7)]
    assert len(overrides) == 2 * OVERRIDE_YEARS  # a spring and an autumn night per year
    autumn = min(
        (e for e in overrides if _exact(e) == dt.timedelta(hours=7)),
        key=lambda e: e.decoded("DTSTART"),
    )
    assert autumn.decoded("DTSTART") == berlin(2027, 10, 30, 22)
    assert autumn.decoded("DTEND").replace(tzinfo=None) == dt.datetime(2027, 10, 31, 4)


# --- what a calendar program shows: status, local times in every parser, UIDs across plans -----


def _set_state(ctx, key, name):
    with ctx.plan.write() as s:
        rel = s.execute(select(Release).where(Release.key == key)).scalar_one()
        rel.status = s.execute(select(WorkflowState).where(WorkflowState.name == name)).scalar_one()


@pytest.mark.parametrize(
    ("state", "status", "prefix"),
    [
        ("Approved", "CONFIRMED", ""),
        ("Cancelled", "CANCELLED", "Cancelled: "),
        ("On Hold", "TENTATIVE", "On hold: "),
    ],
)
def test_a_cancelled_or_held_deployment_does_not_look_real(
    calendar_plan, tmp_path, state, status, prefix
):
    _set_state(calendar_plan, "REL-2026-001", state)
    export_ics(calendar_plan, tmp_path / "c.ics")
    cal = Calendar.from_ical((tmp_path / "c.ics").read_bytes())
    [deploy] = [e for e in cal.walk("VEVENT") if "deployment" in str(e["SUMMARY"])]
    assert str(deploy["STATUS"]) == status
    assert str(deploy["SUMMARY"]).startswith(f"{prefix}REL-2026-001")


def test_icalendar_and_vobject_read_the_same_local_times_in_summer_and_winter(
    calendar_plan, tmp_path
):
    import vobject

    from relman_desktop.services.plan_zone import set_plan_zone

    set_plan_zone(calendar_plan, "Europe/Berlin")
    W.create_window(
        calendar_plan,
        title="Summer window",
        kind="maintenance",
        start=berlin(2027, 7, 10, 22),
        end=berlin(2027, 7, 11, 2),
        timezone="Europe/Berlin",
    )
    with calendar_plan.plan.write() as s:
        rel = s.execute(select(Release).where(Release.key == "REL-2026-002")).scalar_one()
        rel.deploy_start, rel.deploy_end = berlin(2027, 6, 19, 21, 0), berlin(2027, 6, 19, 23, 0)
    target = tmp_path / "c.ics"
    export_ics(calendar_plan, target)
    text = target.read_text(encoding="utf-8")
    by_icalendar = {
        str(e["SUMMARY"]): (e.decoded("DTSTART"), e.decoded("DTEND"))
        for e in Calendar.from_ical(text).walk("VEVENT")
        if "RECURRENCE-ID" not in e
    }
    by_vobject = {
        ev.summary.value: (ev.dtstart.value, ev.dtend.value)
        for ev in vobject.readOne(text).vevent_list
        if not hasattr(ev, "recurrence_id")
    }
    wanted = {
        "Summer window": ("2027-07-10 22:00 +0200", "2027-07-11 02:00 +0200"),
        "Year-end freeze": ("2026-12-19 00:00 +0100", "2027-01-04 00:00 +0100"),
        "REL-2026-002 Unscheduled \u2014 deployment": (
            "2027-06-19 21:00 +0200",
            "2027-06-19 23:00 +0200",
        ),
        "REL-2026-001 Billing 2.4 \u2014 deployment": (
            "2026-12-12 22:30 +0100",
            "2026-12-13 01:30 +0100",
        ),
    }
    for summary, (start, end) in wanted.items():
        for reader in (by_icalendar, by_vobject):
            got = tuple(f"{v:%Y-%m-%d %H:%M %z}" for v in reader[summary])
            assert got == (start, end), (summary, reader is by_vobject)
    # deployments are written in the plan's zone, not UTC
    assert "DTSTART;TZID=Europe/Berlin:20261212T223000" in text


def test_window_uids_survive_export_and_import_into_another_plan(calendar_plan, tmp_path):
    from relman_desktop.exports.plan_json import export_plan
    from relman_desktop.importers.plan_json import import_plan
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services.base import Ctx

    W.create_window(
        calendar_plan,
        title="Boxing Day",
        kind="holiday",
        start=berlin(2026, 12, 26),
        end=berlin(2026, 12, 27),
        timezone="Europe/Berlin",
    )
    W.create_window(
        calendar_plan,
        title="Late freeze",
        kind="freeze",
        start=berlin(2026, 12, 1),
        end=berlin(2026, 12, 2),
        timezone="Europe/Berlin",
    )
    export_ics(calendar_plan, tmp_path / "a.ics")
    other = Ctx(open_plan(tmp_path / "other.relman", create=True), actor="t")
    import_plan(other, export_plan(calendar_plan))
    export_ics(other, tmp_path / "b.ics")
    other.plan.close()

    def uids(path):
        cal = Calendar.from_ical(path.read_bytes())
        return {
            str(e["SUMMARY"]): str(e["UID"]) for e in cal.walk("VEVENT") if "RECURRENCE-ID" not in e
        }

    first, second = uids(tmp_path / "a.ics"), uids(tmp_path / "b.ics")
    assert first == second
    assert first["Boxing Day"] == "holiday-20261225T2300Z@relman-desktop"
