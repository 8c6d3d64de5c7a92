"""The audit trail cannot be wiped, garbled or rewritten unnoticed: hand-edited rows are reported
by event, and a head hash kept outside the plan proves the history up to it (issues 18, 20)."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from relman_desktop.cli import main
from relman_desktop.models.entities import AuditEvent
from relman_desktop.services import audit, releases
from relman_desktop.services.base import GENESIS_HASH, Ctx, event_content, event_hash


@pytest.fixture
def trail(ctx: Ctx) -> Ctx:
    for i in range(1, 5):
        releases.create_release(ctx, {"key": f"REL-{i}", "title": f"Release {i}", "type": "minor"})
    releases.update_release(ctx, "REL-2", {"title": "Renamed"})
    return ctx


def run(plan_path: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--plan", str(plan_path), *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def sql(plan_path: Path, *statements: str) -> None:
    con = sqlite3.connect(plan_path)
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()


def rebuild_chain(ctx: Ctx, plan_path: Path) -> None:
    """What someone holding the file can do: renumber the events and recompute every hash and
    the head record, so that the chain is internally consistent again."""
    with ctx.read() as s:
        events = list(s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())
        contents = [event_content(e) for e in events]
    con = sqlite3.connect(plan_path)
    prev = GENESIS_HASH
    for new_seq, (ev, content) in enumerate(zip(events, contents, strict=True), 1):
        content["seq"] = new_seq
        new_hash = event_hash(prev, content)
        con.execute(
            "UPDATE audit_events SET seq = ?, prev_hash = ?, hash = ? WHERE id = ?",
            (new_seq, prev, new_hash, ev.id),
        )
        prev = new_hash
    con.execute(
        "UPDATE plan_meta SET value = ? WHERE key = 'audit_head'", (f"{len(events)}:{prev}",)
    )
    con.commit()
    con.close()


def test_a_wiped_trail_is_tampered(trail: Ctx, plan_path: Path) -> None:
    sql(plan_path, "DELETE FROM audit_events", "DELETE FROM plan_meta WHERE key = 'audit_head'")
    code, out, err = run(plan_path, "audit", "verify")
    assert code == 1 and out == ""
    assert "the plan holds 4 releases but no audit events: the trail was wiped" in err
    assert "Traceback" not in err


def test_a_plan_with_releases_and_no_events_is_tampered(ctx: Ctx, plan_path: Path) -> None:
    assert run(plan_path, "audit", "verify")[0] == 0  # a new plan: no events, nothing held
    sql(
        plan_path, "INSERT INTO people (name, email, roles) VALUES ('Eve', 'eve@example.com', '[]')"
    )
    code, _, err = run(plan_path, "audit", "verify")
    assert code == 1 and "1 people but no audit events" in err


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("after", "{not json", "its 'after' data is not valid JSON"),
        ("before", "[1, 2", "its 'before' data is not valid JSON"),
        ("at", "yesterday-ish", "is not a time"),
    ],
)
def test_malformed_event_rows_are_reported_by_event(
    trail: Ctx, plan_path: Path, column: str, value: str, reason: str
) -> None:
    sql(plan_path, f"""UPDATE audit_events SET "{column}" = '{value}' WHERE seq = 3""")
    code, out, err = run(plan_path, "audit", "verify")
    assert code == 1 and "Traceback" not in err
    assert "event 3 (create release" in err and reason in err, err
    code, out, _ = run(plan_path, "audit", "verify", "--json")
    assert code == 1 and json.loads(out)["ok"] is False


def test_head_prints_the_last_events_hash(trail: Ctx, plan_path: Path) -> None:
    head = audit.head(trail)
    assert head.seq == 5 and len(head.hash) == 64
    code, out, _ = run(plan_path, "audit", "head", "--json")
    assert code == 0 and json.loads(out) == {"seq": 5, "hash": head.hash}
    code, out, _ = run(plan_path, "audit", "head")
    assert out == f"{head.hash}  (event 5)\n"


def test_verify_against_an_anchor_proves_the_history_up_to_it(trail: Ctx, plan_path: Path) -> None:
    anchor = audit.head(trail).hash
    releases.create_release(trail, {"key": "REL-9", "title": "Later", "type": "patch"})
    code, out, _ = run(plan_path, "audit", "verify", "--against", anchor)
    assert code == 0 and "unchanged up to event 5" in out
    code, out, _ = run(plan_path, "audit", "verify", "--against", f"5:{anchor}", "--json")
    assert code == 0 and json.loads(out)["anchored_at"] == 5


def test_a_deleted_event_with_the_chain_rebuilt_fails_against_the_anchor(
    trail: Ctx, plan_path: Path
) -> None:
    anchor = audit.head(trail).hash
    sql(plan_path, "DELETE FROM audit_events WHERE seq = 2")
    rebuild_chain(trail, plan_path)
    assert run(plan_path, "audit", "verify")[0] == 0  # the chain alone cannot tell
    code, _, err = run(plan_path, "audit", "verify", "--against", anchor)
    assert code == 1 and "history up to that point was changed" in err


def test_a_truncated_tail_fails_against_the_anchor(trail: Ctx, plan_path: Path) -> None:
    anchor = audit.head(trail).hash
    sql(plan_path, "DELETE FROM audit_events WHERE seq = 5")
    rebuild_chain(trail, plan_path)
    assert run(plan_path, "audit", "verify")[0] == 0
    code, _, err = run(plan_path, "audit", "verify", "--against", anchor)
    assert code == 1 and "cut short" in err


def test_an_anchor_that_is_not_a_hash_is_a_usage_error(
    trail: Ctx, plan_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(plan_path, "audit", "verify", "--against", "deadbeef")
    assert code == 2 and "'deadbeef' is not a head hash" in err + capsys.readouterr().err


def test_audit_log_of_an_unknown_release_exits_2(trail: Ctx, plan_path: Path) -> None:
    code, out, err = run(plan_path, "audit", "log", "--release", "REL-NOPE")
    assert (code, out) == (2, "") and err == "relman: no release 'REL-NOPE' in this plan\n"
    code, out, _ = run(plan_path, "audit", "log", "--release", "REL-2")
    assert code == 0 and len(out.splitlines()) == 2


def test_release_notes_and_minutes_carry_the_head(
    trail: Ctx, plan_path: Path, tmp_path: Path
) -> None:
    from docx import Document

    head = audit.head(trail)
    notes, minutes = tmp_path / "notes.docx", tmp_path / "minutes.docx"
    assert run(plan_path, "export", "notes", "REL-2", str(notes))[0] == 0
    assert run(plan_path, "cab", "new", "--date", "2026-12-01")[0] == 0
    head_now = audit.head(trail)  # the meeting is recorded as events too
    assert head_now.seq > head.seq
    assert run(plan_path, "export", "minutes", "1", str(minutes))[0] == 0
    for path, expected in ((notes, head), (minutes, head_now)):
        doc = Document(str(path))
        assert doc.core_properties.identifier == f"relman-audit-head {expected.seq}:{expected.hash}"
        assert expected.hash in doc.paragraphs[-1].text
        assert f"event {expected.seq}," in doc.paragraphs[-1].text


UNTYPED = (  # the same table without NOT NULL or types, as someone editing the file by hand can make it
    "CREATE TABLE ae2 (id INTEGER PRIMARY KEY, seq, at, actor, entity, entity_id, release_key, action, "
    '"before", "after", prev_hash, hash)',
    "INSERT INTO ae2 SELECT * FROM audit_events",
    "DROP TABLE audit_events",
    "ALTER TABLE ae2 RENAME TO audit_events",
)


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        ("UPDATE audit_events SET after = '5' WHERE seq = 3", "event 3 "),
        ("UPDATE audit_events SET after = '[1, 2]' WHERE seq = 3", "event 3 "),
        (
            "UPDATE audit_events SET at = at || '+05:00' WHERE seq = 3",
            "event 3 ",
        ),  # another instant
        ("UPDATE audit_events SET seq = NULL WHERE seq = 3", "event 4 does not follow"),
        (
            "UPDATE audit_events SET seq = 'three' WHERE seq = 3",
            "its number 'three' is not a number",
        ),
        ("UPDATE audit_events SET seq = 3.5 WHERE seq = 3", "its number 3.5 is not a number"),
        (
            "UPDATE audit_events SET prev_hash = NULL WHERE seq = 3",
            "its prev_hash None is not a hash",
        ),
        ("UPDATE audit_events SET at = NULL WHERE seq = 3", "its time None is not a time"),
        ("UPDATE audit_events SET entity = NULL, actor = 5 WHERE seq = 3", "event 3 "),
        (
            "UPDATE audit_events SET after = x'00ff' WHERE seq = 3",
            "its 'after' data is not valid JSON",
        ),
    ],
)
def test_garbled_rows_of_any_type_are_tampering_and_the_log_still_reads(
    trail: Ctx, plan_path: Path, edit: str, says: str
) -> None:
    trail.plan.close()
    sql(plan_path, *UNTYPED, edit)
    code, out, err = run(plan_path, "audit", "verify")
    assert code == 1 and "Traceback" not in err and says in err, err
    code, out, err = run(plan_path, "audit", "log")
    assert code == 0 and err == "", err
    assert len(out.splitlines()) == 5  # every event listed, the garbled one marked
    if "NULL" not in edit or "seq" not in edit:
        assert out.count("[damaged: ") == (0 if "+05:00" in edit else 1), out


def test_head_of_a_trail_whose_last_number_is_garbled_is_one_line(
    trail: Ctx, plan_path: Path
) -> None:
    trail.plan.close()
    sql(plan_path, *UNTYPED, "UPDATE audit_events SET seq = 'x' WHERE seq = 5")
    code, out, err = run(plan_path, "audit", "head")
    assert code == 2 and out == ""
    assert err.startswith("relman: the audit trail's last event is damaged (number 'x', hash ")
    assert err.endswith("run relman audit verify\n") and err.count("\n") == 1
