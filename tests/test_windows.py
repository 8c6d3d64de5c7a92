"""Calendar windows: CRUD with validation, recurrence across DST, and scope."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    AuditEvent,
    CalendarWindow,
    Change,
    ConfigurationItem,
    Release,
    WorkflowState,
)
from relman_desktop.services import windows as W
from relman_desktop.services.base import NotFound, ValidationError

# Input checks refused before any write (pure Python): run on the plan file only (conftest.py)
FILE_ONLY_TESTS = {
    "test_create_refuses_bad_windows_naming_the_problem",
}

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def _ci(s, name, env="production", parents=()):
    ci = ConfigurationItem(name=name, ci_class=E.CIClass.SERVICE, environment=env)
    ci.parents = list(parents)
    s.add(ci)
    return ci


def _release(s, key, cis):
    state = s.execute(select(WorkflowState).where(WorkflowState.name == "Planning")).scalar_one()
    rel = Release(key=key, title=f"Release {key}", type=E.ReleaseType.MINOR, status=state)
    s.add(rel)
    s.flush()
    change = Change(
        key=f"CHG-{key}",
        title="change",
        type=E.ChangeType.NORMAL,
        category=E.ChangeCategory.FIX,
        release=rel,
    )
    change.cis = list(cis)
    s.add(change)
    s.flush()
    return rel


# --- CRUD --------------------------------------------------------------------------------------


def test_create_reads_naive_times_as_wall_time_in_the_window_zone(ctx):
    with ctx.write() as tx:
        _ci(tx.session, "billing-db")
    info = W.create_window(
        ctx,
        title="Saturday night maintenance",
        kind="maintenance",
        start=dt.datetime(2026, 12, 5, 22),
        end=dt.datetime(2026, 12, 6, 4),
        timezone="Europe/Berlin",
        rrule="RRULE:FREQ=WEEKLY;COUNT=26",
        cis=["billing-db"],
    )
    assert info.start == utc(2026, 12, 5, 21)
    assert info.end == utc(2026, 12, 6, 3)
    assert info.rrule == "FREQ=WEEKLY;COUNT=26"
    assert info.cis == ("billing-db",)
    assert W.get_window(ctx, info.id) == info
    with ctx.read() as s:
        events = s.execute(select(AuditEvent.entity, AuditEvent.action)).all()
    assert ("calendar_window", "create") in [tuple(e) for e in events]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"end": dt.datetime(2026, 12, 5, 21)}, "before or when it starts"),
        ({"end": dt.datetime(2026, 12, 5, 22)}, "before or when it starts"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone 'Mars/Olympus_Mons'"),
        ({"rrule": "FREQ=FORTNIGHTLY"}, "cannot be read"),
        ({"rrule": "every saturday"}, "cannot be read"),
        ({"cis": ["no-such-ci"]}, "unknown CI 'no-such-ci'"),
        ({"kind": "party"}, "unknown window kind 'party'"),
        ({"title": "  "}, "needs a title"),
    ],
)
def test_create_refuses_bad_windows_naming_the_problem(ctx, fields, words):
    args = {
        "title": "Night",
        "kind": "maintenance",
        "start": dt.datetime(2026, 12, 5, 22),
        "end": dt.datetime(2026, 12, 6, 4),
        "timezone": "Europe/Berlin",
    }
    args.update(fields)
    with pytest.raises(ValidationError, match=words):
        W.create_window(ctx, **args)
    assert W.list_windows(ctx) == []


def test_update_and_delete_are_audited(ctx):
    info = W.create_window(
        ctx,
        title="Freeze",
        kind="freeze",
        start=berlin(2026, 12, 19),
        end=berlin(2027, 1, 4),
        timezone="Europe/Berlin",
    )
    changed = W.update_window(
        ctx, info.id, hard=False, title="Year-end freeze", environment="production"
    )
    assert (changed.hard, changed.title, changed.environment) == (
        False,
        "Year-end freeze",
        "production",
    )
    with pytest.raises(ValidationError, match="before or when it starts"):
        W.update_window(ctx, info.id, end=berlin(2026, 12, 1))
    assert W.get_window(ctx, info.id) == changed  # nothing changed by the refused edit
    W.delete_window(ctx, info.id)
    with pytest.raises(NotFound):
        W.get_window(ctx, info.id)
    with ctx.read() as s:
        actions = (
            s.execute(select(AuditEvent.action).where(AuditEvent.entity == "calendar_window"))
            .scalars()
            .all()
        )
    assert actions == ["create", "update", "delete"]


def test_list_windows_by_kind(ctx):
    W.create_window(
        ctx, title="Night", kind="maintenance", start=utc(2026, 12, 5, 21), end=utc(2026, 12, 6, 3)
    )
    W.create_window(
        ctx, title="Freeze", kind="freeze", start=utc(2026, 12, 19), end=utc(2027, 1, 4)
    )
    assert [w.title for w in W.list_windows(ctx)] == ["Night", "Freeze"]
    assert [w.title for w in W.list_windows(ctx, kind="freeze")] == ["Freeze"]


# --- occurrences ----------------------------------------------------------------------------------


def _saturday_night(rrule="FREQ=WEEKLY"):
    return CalendarWindow(
        title="Saturday night",
        kind=E.WindowKind.MAINTENANCE,
        start=berlin(2026, 12, 5, 22),
        end=berlin(2026, 12, 6, 4),
        timezone="Europe/Berlin",
        rrule=rrule,
    )


def test_weekly_window_keeps_local_wall_time_across_the_spring_dst_change():
    window = _saturday_night()
    occ = W.occurrences(window, utc(2027, 3, 20), utc(2027, 4, 5))
    assert occ == [
        (utc(2027, 3, 20, 21), utc(2027, 3, 21, 3)),  # CET, +01:00
        (utc(2027, 3, 27, 21), utc(2027, 3, 28, 2)),  # 22:00 CET → 04:00 CEST: 5 real hours
        (utc(2027, 4, 3, 20), utc(2027, 4, 4, 2)),  # CEST, +02:00
    ]
    for start, end in occ:
        local_start, local_end = start.astimezone(BERLIN), end.astimezone(BERLIN)
        assert (local_start.weekday(), local_start.hour, local_start.minute) == (5, 22, 0)
        assert (local_end.weekday(), local_end.hour) == (6, 4)


def test_autumn_dst_change_makes_the_night_an_hour_longer():
    occ = W.occurrences(_saturday_night(), utc(2027, 10, 30), utc(2027, 11, 1))
    assert occ == [(utc(2027, 10, 30, 20), utc(2027, 10, 31, 3))]


def test_occurrences_that_only_touch_the_range_are_left_out():
    window = _saturday_night()
    assert W.occurrences(window, utc(2026, 12, 6, 3), utc(2026, 12, 12, 21)) == []
    assert W.occurrences(window, utc(2026, 12, 6, 2, 59), utc(2026, 12, 12, 21)) == [
        (utc(2026, 12, 5, 21), utc(2026, 12, 6, 3))
    ]


def test_count_and_utc_until_bound_the_recurrence():
    assert (
        len(W.occurrences(_saturday_night("FREQ=WEEKLY;COUNT=3"), utc(2026, 1, 1), utc(2028, 1, 1)))
        == 3
    )
    # UNTIL in UTC is the 19th at 22:00 local: that night is included.
    until = _saturday_night("FREQ=WEEKLY;UNTIL=20261219T210000Z")
    assert [s.date() for s, _ in W.occurrences(until, utc(2026, 1, 1), utc(2028, 1, 1))] == [
        dt.date(2026, 12, 5),
        dt.date(2026, 12, 12),
        dt.date(2026, 12, 19),
    ]


def test_a_single_window_is_one_occurrence():
    window = CalendarWindow(
        title="Freeze",
        kind=E.WindowKind.FREEZE,
        start=utc(2026, 12, 18, 23),
        end=utc(2027, 1, 3, 23),
        timezone="Europe/Berlin",
        rrule=None,
    )
    assert W.occurrences(window, utc(2026, 12, 1), utc(2026, 12, 20)) == [
        (window.start, window.end)
    ]
    assert W.occurrences(window, utc(2027, 1, 3, 23), utc(2027, 2, 1)) == []


# --- scope -----------------------------------------------------------------------------------------


def test_windows_in_scope_by_everything_environment_and_related_cis(ctx):
    with ctx.write() as tx:
        s = tx.session
        service = _ci(s, "billing-service")
        db = _ci(s, "billing-db", parents=[service])
        _ci(s, "billing-replica", parents=[service])  # a sibling of billing-db
        other = _ci(s, "hr-portal", env="intranet")
        staging = _ci(s, "billing-staging", env="staging")
        s.flush()
        rel = _release(s, "REL-1", [db])
        hr = _release(s, "REL-2", [other])
        rel_id, hr_id = rel.id, hr.id
        ids = {c.name: c for c in (service, db, other, staging)}

        def window(title, env=None, cis=()):
            w = CalendarWindow(
                title=title,
                kind=E.WindowKind.FREEZE,
                start=utc(2026, 12, 1),
                end=utc(2026, 12, 2),
                timezone="UTC",
                scope_environment=env,
            )
            w.cis = [ids[c] for c in cis]
            s.add(w)

        window("everything")
        window("production", env="production")
        window("staging", env="staging")
        window("the parent", cis=["billing-service"])
        window("the hr portal", cis=["hr-portal"])
    with ctx.read() as s:
        rel = s.get(Release, rel_id)
        assert [w.title for w in W.windows_in_scope(s, rel)] == [
            "everything",
            "production",
            "the parent",
        ]
        direct, touched = W.touched_ci_ids(s, rel_id)
        names = {s.get(ConfigurationItem, c).name for c in touched}
        assert names == {"billing-db", "billing-service"}  # the sibling is not touched
        hr = s.get(Release, hr_id)
        assert [w.title for w in W.windows_in_scope(s, hr)] == ["everything", "the hr portal"]
        assert [w.title for w in W.windows_in_scope(s, hr, kinds=["maintenance"])] == []
