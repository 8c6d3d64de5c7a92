"""Live for everyone (issue 12): a write on a server plan reaches another connection as the
same change set the writer recorded (LISTEN/NOTIFY), only once committed."""

from __future__ import annotations

import multiprocessing
import time

import pytest
from helpers_builders import make_release
from team_pg import open_server_plan, url_of

from relman_desktop.services import changeset, live, releases
from relman_desktop.services.base import Ctx, ValidationError
from relman_desktop.services.changeset import Kind


def wait_for(listener: live.Listener, count: int) -> list[changeset.ChangeSet]:
    """Poll as the window's timer does, until ``count`` change sets arrived (or 10 s)."""
    received: list[changeset.ChangeSet] = []
    deadline = time.monotonic() + 10
    while len(received) < count and time.monotonic() < deadline:
        received += listener.poll()
        time.sleep(0.01)
    return received


def test_a_write_reaches_another_connection_as_its_change_set(pg_plan) -> None:
    writer = Ctx(pg_plan, actor="ana")
    make_release(writer, "REL-1", title="Payments")
    with live.Listener(url_of(pg_plan), skip_own=False) as listener:
        assert listener.poll() == []  # nothing yet, and poll does not wait
        outcome = changeset.run(writer, releases.update_release, "REL-1", {"title": "Cards"})
        received = wait_for(listener, 1)
        assert received == [outcome.changes]
        (changes,) = received
        assert changes.updated(Kind.RELEASES) == {"REL-1"}
        assert not changes.whole_plan
        assert listener.poll() == []  # each change set is handed over once

        with pytest.raises(ValidationError):  # refused: rolled back, so never announced
            releases.update_release(writer, "REL-1", {"title": ""})
        releases.update_release(writer, "REL-1", {"key": "REL-2"})  # a rename
        (renamed,) = wait_for(listener, 1)
        assert renamed.renamed == (("REL-1", "REL-2"),)
        assert renamed.deleted(Kind.RELEASES) == {"REL-1"}


def test_a_change_set_over_the_payload_limit_says_reload_everything(pg_plan) -> None:
    writer = Ctx(pg_plan, actor="ana")
    with live.Listener(url_of(pg_plan), skip_own=False) as listener:
        with writer.write() as tx:  # one write touching 400 rows: far over 8000 bytes
            for i in range(400):
                tx.audit("ci", f"server-{i:04d}", "create", None, {"name": f"server-{i:04d}"})
        (changes,) = wait_for(listener, 1)
        assert changes.whole_plan
        assert changes.seq == 400  # the last audit event it covers


def _write_elsewhere(url: str) -> None:
    plan = open_server_plan(url)
    try:
        releases.update_release(Ctx(plan, actor="raj"), "REL-1", {"scope": "cards"})
    finally:
        plan.close()


def test_a_window_skips_its_own_writes_but_hears_other_processes(pg_plan) -> None:
    writer = Ctx(pg_plan, actor="ana")
    make_release(writer, "REL-1")
    with live.Listener(url_of(pg_plan)) as listener:
        releases.update_release(writer, "REL-1", {"title": "mine"})  # announced locally already
        proc = multiprocessing.get_context("fork").Process(
            target=_write_elsewhere, args=(url_of(pg_plan),)
        )
        proc.start()
        proc.join(60)
        assert proc.exitcode == 0
        (theirs,) = wait_for(listener, 1)
        assert theirs.updated(Kind.RELEASES) == {"REL-1"}
        assert [t.entity for t in theirs.touches] == ["release"]
        assert listener.poll() == []


def test_payloads_round_trip_and_garbage_means_reload() -> None:
    touch = changeset.Touch(Kind.TASKS, "task", "REL-1/T1", changeset.Action.CREATED, "REL-1", 7)
    original = changeset.ChangeSet((touch,), (("REL-0", "REL-1"),), 7)
    origin, decoded = live.decode(live.encode(original, sender="laptop:1"))
    assert (origin, decoded) == ("laptop:1", original)
    for garbage in ("not json", '{"v": 99}', '{"v": 1, "touches": [["nope"]]}'):
        assert live.decode(garbage)[1].whole_plan
