"""The scheduling assistant: free slots and moving a deployment window."""

from __future__ import annotations

import datetime as dt
import io
import json
import types
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from relman_desktop.cli import main
from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    AuditEvent,
    CalendarWindow,
    Change,
    ConfigurationItem,
    PlanMeta,
    Release,
    ReleaseDependency,
    WorkflowState,
)
from relman_desktop.services import scheduling as S
from relman_desktop.services.base import NotFound, ValidationError

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def local(slots):
    return [
        (
            s.start.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M"),
            s.end.astimezone(BERLIN).strftime("%H:%M"),
        )
        for s in slots
    ]


def _release(s, key, start=None, end=None, cis=(), status="Approved"):
    state = s.execute(select(WorkflowState).where(WorkflowState.name == status)).scalar_one()
    rel = Release(
        key=key,
        title=f"Release {key}",
        type=E.ReleaseType.MINOR,
        status=state,
        deploy_start=start,
        deploy_end=end,
    )
    s.add(rel)
    s.flush()
    if cis:
        change = Change(
            key=f"CHG-{key}",
            title="change",
            type=E.ChangeType.NORMAL,
            category=E.ChangeCategory.FIX,
            release=rel,
        )
        change.cis = list(cis)
        s.add(change)
    return rel


@pytest.fixture
def billing(ctx):
    """billing-db needs a maintenance window: Saturdays 22:00–04:00 Berlin from 5 December;
    a hard year-end freeze; REL-1 (90 minutes) is badly placed inside the freeze."""
    with ctx.write() as tx:
        s = tx.session
        db = ConfigurationItem(
            name="billing-db",
            ci_class=E.CIClass.DATABASE,
            environment="production",
            requires_maintenance_window=True,
        )
        s.add(db)
        s.add(
            CalendarWindow(
                title="Saturday night maintenance",
                kind=E.WindowKind.MAINTENANCE,
                start=berlin(2026, 12, 5, 22),
                end=berlin(2026, 12, 6, 4),
                timezone="Europe/Berlin",
                rrule="FREQ=WEEKLY;COUNT=26",
                scope_environment="production",
            )
        )
        s.add(
            CalendarWindow(
                title="Year-end freeze",
                kind=E.WindowKind.FREEZE,
                start=berlin(2026, 12, 19),
                end=berlin(2027, 1, 4),
                timezone="Europe/Berlin",
            )
        )
        _release(s, "REL-1", berlin(2026, 12, 20, 22), berlin(2026, 12, 20, 23, 30), cis=[db])
    return ctx


def _add(ctx, fn):
    with ctx.write() as tx:
        db = tx.session.execute(
            select(ConfigurationItem).where(ConfigurationItem.name == "billing-db")
        ).scalar_one()
        fn(tx.session, db)


def test_slots_fall_inside_maintenance_windows_and_skip_the_freeze(billing):
    slots = S.free_slots(billing, "REL-1", count=3, days=45)
    assert local(slots) == [
        ("2026-12-05 22:00", "23:30"),
        ("2026-12-12 22:00", "23:30"),
        ("2027-01-09 22:00", "23:30"),
    ]
    assert {s.window_title for s in slots} == {"Saturday night maintenance"}


def test_slots_move_past_another_release_on_the_same_ci(billing):
    _add(
        billing,
        lambda s, db: _release(
            s, "REL-2", berlin(2026, 12, 5, 21), berlin(2026, 12, 5, 23, 45), cis=[db]
        ),
    )
    assert local(S.free_slots(billing, "REL-1", count=2)) == [
        ("2026-12-05 23:45", "01:15"),
        ("2026-12-12 22:00", "23:30"),
    ]


def test_slots_wait_for_a_prerequisite(billing):
    def plan(s, db):
        pre = _release(s, "REL-API", berlin(2026, 12, 12, 22), berlin(2026, 12, 12, 23, 15))
        rel = s.execute(select(Release).where(Release.key == "REL-1")).scalar_one()
        s.add(ReleaseDependency(release_id=rel.id, prerequisite_id=pre.id))

    _add(billing, plan)
    assert local(S.free_slots(billing, "REL-1", count=2, days=45)) == [
        ("2026-12-12 23:15", "00:45"),
        ("2027-01-09 22:00", "23:30"),
    ]


def test_slots_keep_local_wall_time_across_dst(billing):
    slots = S.free_slots(billing, "REL-1", count=3, start=dt.datetime(2027, 3, 20, tzinfo=UTC))
    assert local(slots) == [
        ("2027-03-20 22:00", "23:30"),
        ("2027-03-27 22:00", "23:30"),
        ("2027-04-03 22:00", "23:30"),
    ]
    assert [s.start.hour for s in slots] == [21, 21, 20]  # UTC moves, local time does not


def test_without_maintenance_needs_slots_are_working_day_evenings(ctx):
    with ctx.write() as tx:
        s = tx.session
        s.add(PlanMeta(key="timezone", value="Europe/Berlin"))
        wiki = ConfigurationItem(
            name="wiki", ci_class=E.CIClass.APPLICATION, environment="production"
        )
        s.add(wiki)
        _release(s, "REL-W", cis=[wiki])
        s.add(
            CalendarWindow(
                title="Soft freeze",
                kind=E.WindowKind.FREEZE,
                start=berlin(2026, 11, 30),
                end=berlin(2026, 12, 1),
                timezone="Europe/Berlin",
                hard=False,
            )
        )
        s.add(
            CalendarWindow(
                title="Hard freeze",
                kind=E.WindowKind.FREEZE,
                start=berlin(2026, 12, 1),
                end=berlin(2026, 12, 2),
                timezone="Europe/Berlin",
            )
        )
    # Friday 27 November 09:00 UTC: Friday evening; Monday is in a soft freeze (a C1 warning,
    # which the assistant never proposes), Tuesday in a hard one, so Wednesday and Thursday.
    # No deployment window yet: 2 hours.
    slots = S.free_slots(ctx, "REL-W", count=3)
    assert local(slots) == [
        ("2026-11-27 20:00", "22:00"),
        ("2026-12-02 20:00", "22:00"),
        ("2026-12-03 20:00", "22:00"),
    ]
    assert slots[1].reason.endswith("(earlier free slots would raise a conflict: 1 with C1)")
    assert [s.window_title for s in slots] == [None, None, None]


def test_slot_search_limits_and_errors(billing):
    assert S.free_slots(billing, "REL-1", count=5, days=10) == [
        S.free_slots(billing, "REL-1", count=1)[0]
    ]
    with pytest.raises(NotFound, match="REL-NOPE"):
        S.free_slots(billing, "REL-NOPE")
    with pytest.raises(ValidationError):
        S.free_slots(billing, "REL-1", count=0)
    with pytest.raises(ValidationError):
        S.free_slots(billing, "REL-1", start=dt.datetime(2026, 12, 1))


def test_move_release_is_audited_and_raises_the_schedule_change_event(billing, monkeypatch):
    seen = []
    fake = types.SimpleNamespace(
        run_pending=lambda tx: (seen.extend(tx.rule_events), tx.rule_events.clear())
    )
    monkeypatch.setattr(
        S, "rules", fake
    )  # the rules the move raises run through scheduling's import

    moved = S.move_release(billing, "REL-1", berlin(2026, 12, 12, 22), berlin(2026, 12, 12, 23, 30))
    assert (moved.key, moved.start, moved.end) == (
        "REL-1",
        berlin(2026, 12, 12, 22),
        berlin(2026, 12, 12, 23, 30),
    )
    with billing.read() as s:
        rel = s.execute(select(Release).where(Release.key == "REL-1")).scalar_one()
        assert rel.deploy_start == dt.datetime(2026, 12, 12, 21, tzinfo=UTC)
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "move")).scalar_one()
    assert event.release_key == "REL-1"
    assert event.before == {
        "deploy_start": "2026-12-20T21:00:00Z",
        "deploy_end": "2026-12-20T22:30:00Z",
    }
    assert event.after == {
        "deploy_start": "2026-12-12T21:00:00Z",
        "deploy_end": "2026-12-12T22:30:00Z",
    }
    assert seen == [("on_schedule_change", rel.id)]


def test_move_release_refuses_bad_windows(billing):
    with pytest.raises(ValidationError, match="end after it starts"):
        S.move_release(billing, "REL-1", berlin(2026, 12, 12, 22), berlin(2026, 12, 12, 22))
    with pytest.raises(ValidationError, match="time zone"):
        S.move_release(
            billing, "REL-1", dt.datetime(2026, 12, 12, 22), dt.datetime(2026, 12, 12, 23)
        )
    with pytest.raises(NotFound):
        S.move_release(billing, "REL-NOPE", berlin(2026, 12, 12, 22), berlin(2026, 12, 12, 23))


def test_cli_slots_and_conflicts(billing, plan_path):
    out = io.StringIO()
    assert (
        main(["--plan", str(plan_path), "slots", "REL-1", "--count", "2", "--json"], out=out) == 0
    )
    data = json.loads(out.getvalue())
    assert data[0] == {
        "start": "2026-12-05T21:00:00Z",
        "end": "2026-12-05T22:30:00Z",
        "window": "Saturday night maintenance",
        "reason": "first free slot in \u201cSaturday night maintenance\u201d on Sat 5 Dec, "
        "from today",
    }
    assert len(data) == 2

    out = io.StringIO()
    assert main(["--plan", str(plan_path), "slots", "REL-1", "--count", "2"], out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split("  ")[0] == "2026-12-05 22:00–23:30"
    assert len(lines) == 2 and lines[0].index("Europe/Berlin") == lines[1].index("Europe/Berlin")
    assert lines[1].endswith(
        "next free slot in \u201cSaturday night maintenance\u201d on Sat 12 Dec, from today"
    )

    out = io.StringIO()
    assert main(["--plan", str(plan_path), "conflicts", "--json"], out=out) == 0
    found = json.loads(out.getvalue())
    assert [(c["rule"], c["severity"], c["releases"]) for c in found] == [
        ("C1", "error", ["REL-1"]),
        ("C2", "error", ["REL-1"]),  # a Sunday, not a Saturday night
    ]
    assert set(found[0]) >= {"message", "cis", "windows", "people", "suggestion"}
    assert found[0]["suggestion"].startswith("move REL-1 to 2026-12-05 22:00–23:30")
    # the scheduling assistant's proposal, with why it was chosen (a field added to the shape)
    assert found[0]["suggested_reason"].startswith("first free slot in \u201cSaturday night")
    assert found[0]["suggestion"].endswith(": " + found[0]["suggested_reason"])
    assert found[0]["suggested_start"] == "2026-12-05T21:00:00Z"

    out = io.StringIO()
    assert main(["--plan", str(plan_path), "conflicts"], out=out) == 0
    assert out.getvalue().startswith(
        "C1  error  REL-1  REL-1 deploys 2026-12-20 22:00–23:30 inside the hard freeze"
    )

    err = io.StringIO()
    assert main(["--plan", str(plan_path), "slots", "REL-NOPE"], out=io.StringIO(), err=err) == 2
    assert err.getvalue() == "relman: no release 'REL-NOPE' in this plan\n"


def test_every_slot_offered_satisfies_every_rule(billing):
    """Around REL-1: another release on billing-db, one on its parent, a prerequisite, a release
    that must come after, a soft freeze and the hard year-end freeze. Moving REL-1 into each slot
    offered leaves it with no conflict at all (C4, people's task dates, cannot move with it)."""
    from relman_desktop.services.conflicts import conflicts_for_release

    def plan(s, db):
        svc = ConfigurationItem(
            name="billing-service", ci_class=E.CIClass.SERVICE, environment="production"
        )
        s.add(svc)
        db.parents.append(svc)
        _release(s, "REL-DB", berlin(2026, 12, 12, 22, 30), berlin(2026, 12, 13, 0, 30), cis=[db])
        _release(s, "REL-SVC", berlin(2027, 1, 9, 21, 30), berlin(2027, 1, 10, 0, 30), cis=[svc])
        pre = _release(s, "REL-API", berlin(2026, 12, 12, 22), berlin(2026, 12, 12, 23, 15))
        after = _release(s, "REL-UI", berlin(2027, 2, 20, 22), berlin(2027, 2, 20, 23))
        rel = s.execute(select(Release).where(Release.key == "REL-1")).scalar_one()
        s.add(ReleaseDependency(release_id=rel.id, prerequisite_id=pre.id))
        s.add(ReleaseDependency(release_id=after.id, prerequisite_id=rel.id))
        s.add(
            CalendarWindow(
                title="Soft January freeze",
                kind=E.WindowKind.FREEZE,
                hard=False,
                start=berlin(2027, 1, 16),
                end=berlin(2027, 1, 18),
                timezone="Europe/Berlin",
            )
        )

    _add(billing, plan)
    slots = S.free_slots(billing, "REL-1", count=6, days=90)
    assert len(slots) >= 4
    for slot in slots:
        S.move_release(billing, "REL-1", slot.start, slot.end)
        found = [
            (c.rule, c.message)
            for c in conflicts_for_release(billing, "REL-1", suggest=False)
            if c.rule != "C4"
        ]
        assert found == [], f"slot {slot.start:%Y-%m-%d %H:%M}Z: {found}"
    # the obstacles shaped the offer: nothing before REL-API (12 Dec), then past REL-DB on the
    # same CI; no slot in the hard freeze; past REL-SVC on the parent CI; none in the soft
    # freeze either (a C1 warning); nothing that would end after REL-UI starts (20 Feb 22:00)
    assert local(slots) == [
        ("2026-12-13 00:30", "02:00"),
        ("2027-01-10 00:30", "02:00"),
        ("2027-01-23 22:00", "23:30"),
        ("2027-01-30 22:00", "23:30"),
        ("2027-02-06 22:00", "23:30"),
        ("2027-02-13 22:00", "23:30"),
    ]


# --- issue 16: the assistant never proposes a slot that raises a conflict -------------------------


def test_no_slot_before_the_release_has_been_built_and_tested(billing):
    """The assistant proposed Saturday 5 December although testing ran until 12 December."""
    from relman_desktop.models.entities import Task

    def tasks(s, _db):
        rel = s.execute(select(Release).where(Release.key == "REL-1")).scalar_one()
        for n, (phase, end) in enumerate(((E.Phase.BUILD, 4), (E.Phase.TEST, 12))):
            s.add(
                Task(
                    release_id=rel.id,
                    local_id=f"T{n}",
                    title=f"{phase.value} it",
                    phase=phase,
                    start=dt.date(2026, 12, 1),
                    end=dt.date(2026, 12, end),
                )
            )

    assert local(S.free_slots(billing, "REL-1", count=1)) == [("2026-12-05 22:00", "23:30")]
    _add(billing, tasks)
    # the first moment after testing: Sunday 00:00, still inside Saturday night's window
    [first] = S.free_slots(billing, "REL-1", count=1)
    assert local([first]) == [("2026-12-13 00:00", "01:30")]
    assert first.reason.startswith(
        "first free slot in \u201cSaturday night maintenance\u201d on Sun 13 Dec, "
    )
    assert "after testing ends 12 Dec" in first.reason


def test_no_slot_whose_rollback_does_not_fit_the_window(billing):
    """The assistant proposed a slot right after another deployment whose 3-hour rollback ran
    past the end of the maintenance window: a C7 warning right after moving there."""

    def busy(s, db):
        _release(s, "REL-DB", berlin(2026, 12, 5, 22), berlin(2026, 12, 6, 1, 30), cis=[db])
        rel = s.execute(select(Release).where(Release.key == "REL-1")).scalar_one()
        rel.rollback_minutes = 180

    _add(billing, busy)
    from relman_desktop.services import plan_index, slots

    with billing.read() as s:  # the free slot alone: 01:30–03:00, rollback until 06:00 > 04:00
        index = plan_index.load_index(s)
        raw = slots.find_slots(index, index.by_key["REL-1"], count=1, start=berlin(2026, 12, 3, 10))
    assert local(raw) == [("2026-12-06 01:30", "03:00")]

    [first] = S.free_slots(billing, "REL-1", count=1)
    assert local([first]) == [("2026-12-12 22:00", "23:30")]
    assert first.reason == (
        "first free slot in \u201cSaturday night maintenance\u201d on Sat 12 Dec, from today; "
        "rollback 3 h fits before the window closes at 04:00 "
        "(earlier free slots would raise a conflict: 1 with C7)"
    )


def test_no_slot_says_which_dependent_blocks_every_candidate(billing):
    """REL-APP depends on REL-1 and deploys on 9 December, before REL-1's testing ends: no slot
    for REL-1 can come before it, and the assistant says so in plain words."""
    from relman_desktop.models.entities import Task
    from relman_desktop.services import conflicts as CF

    def plan(s, _db):
        rel = s.execute(select(Release).where(Release.key == "REL-1")).scalar_one()
        app = _release(s, "REL-APP", berlin(2026, 12, 9, 20), berlin(2026, 12, 9, 21))
        s.add(ReleaseDependency(release_id=app.id, prerequisite_id=rel.id))
        s.add(
            Task(
                release_id=rel.id,
                local_id="T1",
                title="test it",
                phase=E.Phase.TEST,
                start=dt.date(2026, 12, 1),
                end=dt.date(2026, 12, 12),
            )
        )

    _add(billing, plan)
    key, answer = S.suggest_slot(billing, "C1", ["REL-1"])
    assert key == "REL-1"
    assert answer == (
        "no slot for REL-1 in the next 60 days: REL-APP, which depends on it, deploys on "
        "Wed 9 Dec, before testing ends 12 Dec"
    )
    (c1,) = [c for c in CF.all_conflicts(billing, suggest=S.suggest_moves) if c.rule == "C1"]
    assert c1.suggestion == f"{answer}; move it by hand on the calendar"
    assert c1.suggested_start is None


def test_no_slot_past_a_late_prerequisite_names_it(billing, plan_path):
    def plan(s, _db):
        rel = s.execute(select(Release).where(Release.key == "REL-1")).scalar_one()
        pre = _release(s, "REL-API", berlin(2027, 3, 1, 20), berlin(2027, 3, 1, 21))
        s.add(ReleaseDependency(release_id=rel.id, prerequisite_id=pre.id))

    _add(billing, plan)
    _key, answer = S.suggest_slot(billing, "C1", ["REL-1"], days=30)
    assert answer == (
        "no slot for REL-1 in the next 30 days: it depends on REL-API, which deploys until "
        "Mon 1 Mar"
    )
    out = io.StringIO()
    assert main(["--plan", str(plan_path), "slots", "REL-1", "--days", "30"], out=out) == 0
    assert out.getvalue() == f"{answer}\n"
