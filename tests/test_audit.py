"""The audit chain: every write appends an event; any tampering is found."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from relman_desktop.cli import main
from relman_desktop.services import audit, releases
from relman_desktop.services.base import Ctx


@pytest.fixture
def trail(ctx: Ctx) -> Ctx:
    for i in range(1, 4):
        releases.create_release(ctx, {"key": f"REL-{i}", "title": f"Release {i}", "type": "minor"})
    releases.update_release(ctx, "REL-2", {"title": "Renamed"})
    return ctx


def run(plan_path: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--plan", str(plan_path), *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_intact_trail_verifies(trail: Ctx, plan_path: Path) -> None:
    result = audit.verify(trail)
    assert result.ok and result.events == 4
    assert run(plan_path, "audit", "verify") == (0, "audit trail intact: 4 events\n", "")


def tamper(plan_path: Path, sql: str) -> None:
    con = sqlite3.connect(plan_path)
    con.execute(sql)
    con.commit()
    con.close()


def test_edited_event_is_found(trail: Ctx, plan_path: Path) -> None:
    tamper(plan_path, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
    code, _, err = run(plan_path, "audit", "verify")
    assert code == 1
    assert "event 2 (create release REL-2) was altered after it was written" in err


def test_edited_payload_is_found(trail: Ctx, plan_path: Path) -> None:
    tamper(plan_path, """UPDATE audit_events SET "after" = '{"title": "Other"}' WHERE seq = 4""")
    assert "event 4 (update release REL-2) was altered" in run(plan_path, "audit", "verify")[2]


def test_deleted_event_is_found(trail: Ctx, plan_path: Path) -> None:
    tamper(plan_path, "DELETE FROM audit_events WHERE seq = 2")
    err = run(plan_path, "audit", "verify")[2]
    assert "event 2 is missing (the next one is 3)" in err


def test_deleted_last_event_is_found(trail: Ctx, plan_path: Path) -> None:
    tamper(plan_path, "DELETE FROM audit_events WHERE seq = 4")
    err = run(plan_path, "audit", "verify")[2]
    assert "events were removed from its end" in err


def test_reordered_events_are_found(trail: Ctx, plan_path: Path) -> None:
    con = sqlite3.connect(plan_path)
    con.execute("UPDATE audit_events SET seq = -1 WHERE seq = 2")
    con.execute("UPDATE audit_events SET seq = 2 WHERE seq = 3")
    con.execute("UPDATE audit_events SET seq = 3 WHERE seq = -1")
    con.commit()
    con.close()
    result = audit.verify(trail)
    assert not result.ok
    assert any("does not follow the event before it" in p for p in result.problems)
