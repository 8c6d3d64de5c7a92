"""CAB meetings: the frozen agenda, decisions landing as CAB approvals, undo, bulk, minutes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from helpers_builders import (  # noqa: F401
    make_change,
    make_person,
    make_ready_release,
    make_stage,
    plan,
    plan_template,
)
from sqlalchemy import select

from relman_desktop.models.entities import AuditEvent
from relman_desktop.services import approvals, cab, lifecycle
from relman_desktop.services.base import ValidationError

UTC = dt.UTC
T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
BOARD = ["marta@example.com", "david@example.com", "sofia@example.com"]


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(ctx):
    c = Clock(T0)
    ctx.clock = c
    return c


@pytest.fixture
def board(ctx):
    make_person(ctx, "marta@example.com", "Marta Kowalski", roles=["cab_member", "approver"])
    make_person(ctx, "david@example.com", "David Okafor", roles=["cab_member", "approver"])
    make_person(ctx, "sofia@example.com", "Sofia Rossi", roles=["cab_member", "approver"])
    make_person(ctx, "paul@example.com", "Paul Stakeholder", roles=["stakeholder"])
    return BOARD


def awaiting(ctx, key: str, *, rule: str = "majority", cab_stage: bool = True, **fields) -> str:
    make_ready_release(
        ctx,
        key,
        status="Awaiting Approval",
        rollback_plan="Redeploy 2.3",
        rollback_minutes=30,
        **fields,
    )
    make_change(ctx, f"CHG-{key[-3:]}", key)
    if cab_stage:
        make_stage(ctx, key, "CAB", rule, BOARD)
    return key


def decisions_of(ctx, key: str, stage: str = "CAB") -> dict[str, tuple[str, str | None]]:
    row = next(st for st in approvals.list_stages(ctx, key) if st.name == stage)
    return {a.email: (a.decision, a.comment) for a in row.approvers}


# --- the agenda --------------------------------------------------------------------------------------


def test_default_agenda_takes_releases_awaiting_approval_with_a_cab_stage(ctx, clock, board):
    awaiting(ctx, "REL-2026-001")
    awaiting(ctx, "REL-2026-002", cab_stage=False)  # no CAB stage: not for the board
    make_ready_release(ctx, "REL-2026-003", status="Testing")
    make_stage(ctx, "REL-2026-003", "cab", "all", BOARD)  # not awaiting approval yet
    awaiting(ctx, "REL-2026-004", cab_stage=False)
    make_stage(
        ctx, "REL-2026-004", "cab", "all", BOARD
    )  # the stage name is matched case-insensitively
    meeting = cab.create_meeting(ctx, chair="marta@example.com")
    assert meeting.frozen
    assert [i.release_key for i in meeting.items] == ["REL-2026-001", "REL-2026-004"]
    assert meeting.chair_name == "Marta Kowalski"
    assert {a.email for a in meeting.attendees} == set(BOARD)  # the CAB members by default


def test_agenda_freezes_at_the_cutoff_and_later_releases_go_to_the_next_meeting(ctx, clock, board):
    awaiting(ctx, "REL-2026-001")
    awaiting(ctx, "REL-2026-002", cab_stage=False)
    held = T0 + dt.timedelta(days=1)
    cutoff = T0 + dt.timedelta(hours=4)
    meeting = cab.create_meeting(ctx, held_at=held, cutoff_at=cutoff, chair="marta@example.com")
    assert not meeting.frozen  # provisional until the cut-off
    assert [i.release_key for i in meeting.items] == ["REL-2026-001"]

    clock.now = cutoff + dt.timedelta(minutes=1)  # a CAB stage added one minute after the cut-off
    approvals.add_stage(ctx, "REL-2026-002", "CAB", "majority", BOARD)
    clock.now = held  # the agenda is written down only now, yet as of the cut-off
    frozen = cab.get_meeting(ctx, meeting.id)
    assert frozen.frozen
    assert [i.release_key for i in frozen.items] == ["REL-2026-001"]
    assert all(i.id > 0 for i in frozen.items)

    nxt = cab.create_meeting(
        ctx, held_at=held + dt.timedelta(days=7), cutoff_at=held, chair="marta@example.com"
    )
    assert [i.release_key for i in nxt.items] == [
        "REL-2026-002"
    ]  # 001 is booked on the first meeting
    cab.close_meeting(ctx, meeting.id)  # 001 stayed undecided: free for a later meeting
    assert cab.eligible_releases(ctx) == ["REL-2026-001"]
    assert [i.release_key for i in cab.get_meeting(ctx, meeting.id).items] == [
        "REL-2026-001"
    ]  # frozen


def test_starting_early_freezes_the_agenda_then_and_there(ctx, clock, board):
    awaiting(ctx, "REL-2026-001")
    meeting = cab.create_meeting(
        ctx, held_at=T0 + dt.timedelta(hours=2), cutoff_at=T0 + dt.timedelta(hours=1)
    )
    started = cab.start_meeting(ctx, meeting.id)
    assert started.frozen and started.status == "running" and started.cutoff_at == T0
    clock.now = T0 + dt.timedelta(minutes=5)
    awaiting(ctx, "REL-2026-002", cab_stage=False)
    approvals.add_stage(ctx, "REL-2026-002", "CAB", "all", BOARD)
    assert [i.release_key for i in cab.get_meeting(ctx, meeting.id).items] == ["REL-2026-001"]


def test_cutoff_after_the_meeting_is_refused(ctx, clock, board):
    with pytest.raises(ValidationError, match="before the meeting"):
        cab.create_meeting(ctx, held_at=T0, cutoff_at=T0 + dt.timedelta(hours=1))


# --- decisions --------------------------------------------------------------------------------------


@pytest.fixture
def meeting(ctx, clock, board):
    for key in ("REL-2026-001", "REL-2026-002", "REL-2026-003", "REL-2026-004"):
        awaiting(ctx, key)
    m = cab.create_meeting(ctx, chair="marta@example.com", title="Weekly CAB")
    clock.now = T0 + dt.timedelta(minutes=10)
    return m


def test_each_decision_becomes_the_cab_approvals_with_a_comment(ctx, meeting):
    cab.record_decision(
        ctx,
        meeting.id,
        "REL-2026-001",
        "approve",
        conditions="Only after the backup",
        seconds_spent=95,
    )
    cab.record_decision(ctx, meeting.id, "REL-2026-002", "reject", "Rollback never rehearsed")
    cab.record_decision(ctx, meeting.id, "REL-2026-003", "more_info", "Need the load-test report")
    cab.record_decision(ctx, meeting.id, "REL-2026-004", "defer", "Wait for the vendor patch")

    approved = decisions_of(ctx, "REL-2026-001")
    assert {d for d, _ in approved.values()} == {"approved"}
    comment = approved["david@example.com"][1]
    assert "Weekly CAB" in comment and "approved" in comment and "Marta Kowalski" in comment
    assert "Conditions: Only after the backup" in comment
    rejected = decisions_of(ctx, "REL-2026-002")
    assert {d for d, _ in rejected.values()} == {"rejected"}
    assert all("Rollback never rehearsed" in c for _, c in rejected.values())
    assert {d for d, _ in decisions_of(ctx, "REL-2026-003").values()} == {"more_info"}
    assert {d for d, _ in decisions_of(ctx, "REL-2026-004").values()} == {
        "pending"
    }  # deferred: untouched

    m = cab.get_meeting(ctx, meeting.id)
    by_key = {i.release_key: i for i in m.items}
    assert (
        by_key["REL-2026-001"].decision == "approve" and by_key["REL-2026-001"].seconds_spent == 95
    )
    assert by_key["REL-2026-001"].cab_stage_status == "approved"
    assert by_key["REL-2026-002"].cab_stage_status == "rejected"
    assert (
        by_key["REL-2026-004"].decision == "defer"
        and by_key["REL-2026-004"].rationale == "Wait for the vendor patch"
    )
    assert m.status == "running"

    with ctx.read() as s:
        actions = {(e.entity, e.action) for e in s.execute(select(AuditEvent)).scalars()}
    assert {("cab_item", "decide"), ("approval", "decide"), ("approval_stage", "status")} <= actions
    # deferred and more-info releases are on the next meeting's agenda
    cab.close_meeting(ctx, meeting.id)
    assert cab.eligible_releases(ctx) == ["REL-2026-003", "REL-2026-004"]


@pytest.mark.parametrize("decision", ["reject", "defer", "more_info"])
def test_a_decision_other_than_approve_needs_a_rationale(ctx, meeting, decision):
    with pytest.raises(ValidationError, match="needs a rationale") as info:
        cab.record_decision(ctx, meeting.id, "REL-2026-001", decision, "   ")
    assert info.value.field == "rationale"
    assert {d for d, _ in decisions_of(ctx, "REL-2026-001").values()} == {"pending"}
    assert cab.get_meeting(ctx, meeting.id).items[0].decision is None


def test_the_lifecycle_guard_sees_the_cab_approval(ctx, meeting):
    check = lifecycle.can_transition(ctx, "REL-2026-001", "Approved")
    assert any("stage CAB" in m for u in check.unmet for m in u.messages)
    cab.record_decision(ctx, meeting.id, "REL-2026-001", "approve")
    check = lifecycle.can_transition(ctx, "REL-2026-001", "Approved")
    assert not any("CAB" in m for u in check.unmet for m in u.messages)
    assert check.allowed
    assert lifecycle.transition(ctx, "REL-2026-001", "Approved") == "Approved"


def test_a_rejection_overrides_an_earlier_individual_approval(ctx, meeting):
    aid = approvals.approval_id_for(ctx, "REL-2026-001", "CAB", "david@example.com")
    approvals.decide(ctx, aid, "approved", "fine by me")
    cab.record_decision(ctx, meeting.id, "REL-2026-001", "reject", "Too risky before the freeze")
    assert {d for d, _ in decisions_of(ctx, "REL-2026-001").values()} == {"rejected"}
    cab.undo_last_decision(ctx, meeting.id)
    assert decisions_of(ctx, "REL-2026-001")["david@example.com"] == ("approved", "fine by me")


def test_undo_restores_the_previous_approval_states(ctx, meeting):
    cab.record_decision(ctx, meeting.id, "REL-2026-001", "approve")
    cab.record_decision(ctx, meeting.id, "REL-2026-001", "more_info", "Which database version?")
    undone = cab.undo_last_decision(ctx, meeting.id)
    assert [(u.release_key, u.decision) for u in undone] == [("REL-2026-001", "approve")]
    assert {d for d, _ in decisions_of(ctx, "REL-2026-001").values()} == {"approved"}
    cab.undo_last_decision(ctx, meeting.id)
    assert decisions_of(ctx, "REL-2026-001") == {e: ("pending", None) for e in BOARD}
    item = cab.get_meeting(ctx, meeting.id).items[0]
    assert item.decision is None and item.decided_at is None and item.cab_stage_status == "pending"
    assert cab.undo_last_decision(ctx, meeting.id) == []


def test_a_decision_undone_is_recorded_again_the_same(ctx, meeting):
    """Redo on the app's undo stack: the same decisions recorded again after their undo."""
    bulk = [
        cab.ItemDecision(
            "REL-2026-001", "approve", conditions="Monitor for 24 h", seconds_spent=95
        ),
        cab.ItemDecision("REL-2026-002", "reject", "Rollback never rehearsed", seconds_spent=40),
    ]
    cab.record_decisions(ctx, meeting.id, bulk)
    first = {k: decisions_of(ctx, k) for k in ("REL-2026-001", "REL-2026-002")}
    cab.undo_last_decision(ctx, meeting.id, expect=["REL-2026-002", "REL-2026-001"])
    cab.record_decisions(ctx, meeting.id, bulk)
    assert {k: decisions_of(ctx, k) for k in first} == first
    items = cab.get_meeting(ctx, meeting.id).items
    assert [(i.decision, i.rationale, i.conditions, i.seconds_spent) for i in items[:2]] == [
        ("approve", None, "Monitor for 24 h", 95),
        ("reject", "Rollback never rehearsed", None, 40),
    ]
    assert len(cab.undo_last_decision(ctx, meeting.id)) == 2  # and it is one step again
    assert all(i.decision is None for i in cab.get_meeting(ctx, meeting.id).items)


def test_an_undo_expecting_another_decision_is_refused_and_changes_nothing(ctx, meeting):
    cab.record_decision(ctx, meeting.id, "REL-2026-001", "approve")
    cab.record_decision(ctx, meeting.id, "REL-2026-002", "reject", "Rollback never rehearsed")
    with pytest.raises(
        ValidationError, match="last decision in 'Weekly CAB' is on REL-2026-002, not REL-2026-001"
    ):
        cab.undo_last_decision(ctx, meeting.id, expect=["REL-2026-001"])
    assert [i.decision for i in cab.get_meeting(ctx, meeting.id).items[:2]] == ["approve", "reject"]
    assert [
        u.release_key for u in cab.undo_last_decision(ctx, meeting.id, expect=["REL-2026-002"])
    ] == ["REL-2026-002"]
    cab.undo_last_decision(ctx, meeting.id, expect=["REL-2026-001"])
    with pytest.raises(ValidationError, match="no decision on REL-2026-001 left to take back"):
        cab.undo_last_decision(ctx, meeting.id, expect=["REL-2026-001"])
    assert (
        cab.undo_last_decision(ctx, meeting.id) == []
    )  # without expect: nothing to undo is no error


def test_defer_after_approve_puts_the_approvals_back(ctx, meeting):
    cab.record_decision(ctx, meeting.id, "REL-2026-002", "approve")
    cab.record_decision(ctx, meeting.id, "REL-2026-002", "defer", "Postpone to January")
    assert {d for d, _ in decisions_of(ctx, "REL-2026-002").values()} == {"pending"}


def test_bulk_decision_each_with_its_own_reason_and_one_undo(ctx, meeting):
    rows = cab.record_decisions(
        ctx,
        meeting.id,
        [
            cab.ItemDecision("REL-2026-001", "approve"),
            cab.ItemDecision("REL-2026-002", "reject", "Conflicts with the payroll run"),
            cab.ItemDecision("REL-2026-003", "defer", "Vendor patch pending"),
        ],
    )
    assert [(r.release_key, r.decision, r.rationale) for r in rows] == [
        ("REL-2026-001", "approve", None),
        ("REL-2026-002", "reject", "Conflicts with the payroll run"),
        ("REL-2026-003", "defer", "Vendor patch pending"),
    ]
    assert (
        "Conflicts with the payroll run"
        in decisions_of(ctx, "REL-2026-002")["sofia@example.com"][1]
    )
    assert len(cab.undo_last_decision(ctx, meeting.id)) == 3
    assert all(i.decision is None for i in cab.get_meeting(ctx, meeting.id).items)


def test_a_bulk_with_one_bad_item_records_nothing(ctx, meeting):
    with pytest.raises(ValidationError, match="REL-2026-002 needs a rationale"):
        cab.record_decisions(
            ctx,
            meeting.id,
            [
                cab.ItemDecision("REL-2026-001", "approve"),
                cab.ItemDecision("REL-2026-002", "reject"),
            ],
        )
    assert all(i.decision is None for i in cab.get_meeting(ctx, meeting.id).items)


def test_a_closed_meeting_refuses_decisions(ctx, meeting):
    cab.close_meeting(ctx, meeting.id)
    with pytest.raises(ValidationError, match="closed"):
        cab.record_decision(ctx, meeting.id, "REL-2026-001", "approve")


def test_attendance_and_time(ctx, meeting):
    cab.set_attendance(ctx, meeting.id, "david@example.com", False)
    cab.set_attendance(ctx, meeting.id, "paul@example.com", True)
    cab.record_time(ctx, meeting.id, "REL-2026-003", 240)
    m = cab.get_meeting(ctx, meeting.id)
    present = {a.email: a.present for a in m.attendees}
    assert present["david@example.com"] is False and present["paul@example.com"] is True
    assert m.attendees[0].is_chair and m.attendees[0].email == "marta@example.com"
    assert {i.release_key: i.seconds_spent for i in m.items}["REL-2026-003"] == 240
    assert [r.decided for r in cab.list_meetings(ctx)] == [0]


# --- minutes -----------------------------------------------------------------------------------------


def test_minutes_list_the_meeting_attendees_and_decisions(ctx, meeting, tmp_path):
    from relman_desktop.exports.cab_minutes import export_minutes

    cab.set_attendance(ctx, meeting.id, "sofia@example.com", False)
    cab.record_decision(
        ctx, meeting.id, "REL-2026-001", "approve", conditions="Monitor for 24 h", seconds_spent=125
    )
    cab.record_decision(ctx, meeting.id, "REL-2026-002", "reject", "No rollback rehearsal")
    out = export_minutes(ctx, meeting.id, tmp_path / "minutes.docx")
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "Weekly CAB" in text and "Marta Kowalski" in text
    assert "Sofia Rossi" in cells and "Absent" in cells
    assert (
        "REL-2026-001" in text
        and "Approved" in cells
        and "Monitor for 24 h" in cells
        and "2 min 05 s" in cells
    )
    assert "Rejected" in cells and "No rollback rehearsal" in cells
    assert "Not decided" in cells  # REL-2026-003 and 004


def test_minutes_read_as_a_chair_would_sign_them(ctx, clock, meeting, tmp_path):
    from relman_desktop.exports.cab_minutes import export_minutes
    from relman_desktop.services.plan_zone import set_plan_zone
    from tests.docx_checks import all_text, check_tables, enum_leaks

    set_plan_zone(ctx, "Europe/Berlin")
    cab.set_attendance(ctx, meeting.id, "sofia@example.com", False, apologies=True)
    cab.set_attendance(ctx, meeting.id, "david@example.com", False)
    clock.now = meeting.held_at + dt.timedelta(minutes=20)
    cab.record_decision(ctx, meeting.id, "REL-2026-001", "approve", conditions="Monitor for 24 h")
    cab.record_decision(ctx, meeting.id, "REL-2026-003", "more_info", "Need the load-test report")
    nxt = cab.create_meeting(
        ctx,
        held_at=meeting.held_at + dt.timedelta(days=7),
        cutoff_at=meeting.held_at + dt.timedelta(days=6),
        title="Next CAB",
    )
    doc = Document(str(export_minutes(ctx, meeting.id, tmp_path / "minutes.docx")))
    text = all_text(doc)
    facts = {r.cells[0].text: r.cells[1].text for r in doc.tables[0].rows}
    zone = ZoneInfo("Europe/Berlin")
    held = meeting.held_at.astimezone(zone)
    assert facts["Held"].startswith(f"{held:%Y-%m-%d %H:%M}")
    assert "Decisions recorded" not in facts  # the decisions fall in the meeting, not before it
    decided = clock.now.astimezone(zone)
    assert f"Decided at\n{decided:%H:%M} {decided.tzname()}" in "\n".join(
        f"{r.cells[0].text}\n{r.cells[1].text}" for t in doc.tables for r in t.rows
    )
    attendance = {r.cells[0].text: r.cells[3].text for r in doc.tables[1].rows[1:]}
    assert attendance == {
        "Marta Kowalski": "Present",
        "Sofia Rossi": "Apologies",
        "David Okafor": "Absent",
    }
    actions = next(
        t for t in doc.tables if [c.text for c in t.rows[0].cells][2:] == ["Action", "Owner", "Due"]
    )
    rows = [[c.text for c in r.cells] for r in actions.rows[1:]]
    assert rows[0][1] == "REL-2026-001" and "Monitor for 24 h" in rows[0][2]
    assert rows[0][3] != "—" and rows[0][4]
    assert any(r[1] == "REL-2026-003" and "load-test report" in r[2] for r in rows)
    assert any(r[1] == "REL-2026-002" and r[4].startswith("next meeting, ") for r in rows)
    assert "carry over to the agenda of the next meeting" in text
    assert f"Next CAB, {nxt.held_at.astimezone(zone):%Y-%m-%d %H:%M}" in text
    footer = doc.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert doc.core_properties.author == "tester@example.com"
    assert doc.core_properties.created == clock.now
    check_tables(doc)
    assert enum_leaks(text) == []


# --- command line ------------------------------------------------------------------------------------


def test_cli_new_list_decide_and_minutes(ctx, clock, board, plan_path, tmp_path):
    import io
    import json

    from relman_desktop.cli import main

    awaiting(ctx, "REL-2026-001")
    ctx.plan.close()

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(["--plan", str(plan_path), *argv], out, err)
        return code, out.getvalue(), err.getvalue()

    code, out, _ = run(
        "cab",
        "new",
        "--date",
        "2030-01-10T14:00",
        "--cutoff",
        "2030-01-09",
        "--chair",
        "marta@example.com",
        "--title",
        "Weekly CAB",
    )
    assert (
        code == 0
        and "meeting 1: Weekly CAB" in out
        and "agenda provisional until the cut-off" in out
    )
    code, out, _ = run("cab", "new", "--chair", "marta@example.com")
    assert code == 0 and "meeting 2" in out and "agenda frozen" in out and "REL-2026-001" in out
    code, out, _ = run("cab", "list", "--json")
    rows = json.loads(out)
    assert [(r["id"], r["frozen"]) for r in rows] == [(1, False), (2, True)]
    code, _, err = run("cab", "decide", "2", "REL-2026-001", "reject")
    assert code == 2 and "needs a rationale" in err
    code, out, _ = run(
        "cab", "decide", "2", "REL-2026-001", "reject", "--rationale", "No rehearsal"
    )
    assert code == 0 and "Rejected; CAB stage rejected" in out
    code, out, _ = run("export", "minutes", "2", str(tmp_path / "m.docx"))
    assert code == 0 and (tmp_path / "m.docx").is_file()
    cells = [
        c.text for t in Document(str(tmp_path / "m.docx")).tables for r in t.rows for c in r.cells
    ]
    assert "No rehearsal" in cells
    code, _, err = run("export", "minutes", "9", str(tmp_path / "x.docx"))
    assert code == 2 and "no CAB meeting #9" in err


def test_cli_new_takes_apologies_and_chosen_items(ctx, clock, board, plan_path):
    import io
    import json

    from relman_desktop.cli import main

    for key in ("REL-2026-001", "REL-2026-002", "REL-2026-003"):
        awaiting(ctx, key)
    make_ready_release(ctx, "REL-2026-004", status="Planning")
    ctx.plan.close()

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(["--plan", str(plan_path), "cab", "new", *argv], out, err)
        return code, out.getvalue(), err.getvalue()

    base = ("--chair", "marta@example.com")
    # bad input: one line each, exit 2, no meeting made
    for argv, line in [
        (("--apologies", "nobody@example.com"), "unknown person 'nobody@example.com'"),
        (("--item", "REL-2099-999"), "no release 'REL-2099-999' in this plan"),
        (
            ("--item", "REL-2026-004"),
            "REL-2026-004 is not eligible for this meeting: it is Planning, not awaiting approval",
        ),
        (("--apologies", "marta@example.com"), "the chair cannot send apologies"),
    ]:
        code, out, err = run(*base, *argv)
        assert code == 2 and out == "", argv
        assert len(err.splitlines()) == 1 and line in err, err
    listed = io.StringIO()
    assert main(["--plan", str(plan_path), "cab", "list", "--json"], listed, io.StringIO()) == 0
    assert json.loads(listed.getvalue()) == []  # the refusals wrote nothing

    code, out, _ = run(
        *base,
        "--apologies",
        "david@example.com",
        "--item",
        "REL-2026-003",
        "--item",
        "REL-2026-001",
        "--json",
    )
    meeting = json.loads(out)
    assert code == 0 and meeting["id"] == 1
    attendance = {a["email"]: (a["present"], a["apologies"]) for a in meeting["attendees"]}
    assert attendance["david@example.com"] == (False, True)
    assert attendance["marta@example.com"] == (True, False)
    assert [i["release_key"] for i in meeting["items"]] == ["REL-2026-001", "REL-2026-003"]
    # an item already on an open meeting's agenda is not eligible for another one
    code, _, err = run(*base, "--item", "REL-2026-001")
    assert code == 2 and err.strip().endswith(
        "REL-2026-001 is not eligible for this meeting: "
        "it waits undecided on another meeting that is not closed"
    )
    code, out, _ = run(*base, "--apologies", "sofia@example.com", "--item", "REL-2026-002")
    assert code == 0 and "  apologies: Sofia Rossi\n" in out and "REL-2026-002" in out
