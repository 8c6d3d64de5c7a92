"""Backups: consistent copies while another process writes, retention, restore, and the
refusals (damaged, newer, existing target, unwritable or full folder) with one line each."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from relman_desktop.cli import main as cli
from relman_desktop.models.migrations.revisions import HEAD
from relman_desktop.models.planfile import open_plan
from relman_desktop.services import audit, backups
from relman_desktop.services.base import Ctx


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "team.relman"
    assert run("--plan", str(path), "demo", "--releases", "12")[0] == 0
    return path


def releases_in(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT count(*) FROM releases").fetchone()[0]
    finally:
        con.close()


WRITER = textwrap.dedent("""
    import sys
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services import releases
    from relman_desktop.services.base import Ctx
    ctx = Ctx(open_plan(sys.argv[1]))
    print("ready", flush=True)
    for i in range(int(sys.argv[2])):
        releases.create_release(ctx, {"key": f"W-{i:04d}", "title": f"written while backing up {i}",
                                      "type": "minor"})
    print("done", flush=True)
""")


def test_a_backup_taken_while_another_process_writes_opens_and_its_audit_chain_verifies(
    demo, tmp_path
):
    before = releases_in(demo)
    taken = []
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(demo), "150"], stdout=subprocess.PIPE, text=True
    ) as writer:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        while writer.poll() is None and len(taken) < 40:
            taken.append(backups.take_backup(demo, reason="manual"))
        assert writer.wait(timeout=120) == 0
    assert len(taken) >= 2
    counts = []
    for i, b in enumerate(taken):
        copy = backups.restore(b.path, tmp_path / f"restored-{i}.relman")
        plan = open_plan(copy)
        try:
            result = audit.verify(Ctx(plan))
        finally:
            plan.close()
        assert result.ok, (b.path.name, result.problems)
        counts.append(b.releases)
        code, out, _ = run("--plan", str(copy), "audit", "verify")
        assert code == 0 and "audit trail intact" in out
    assert all(before <= n <= before + 150 for n in counts)
    assert counts == sorted(counts)  # each later copy holds at least what the earlier one did
    assert releases_in(demo) == before + 150


def test_retention_keeps_the_last_k_and_the_newest_of_each_of_the_last_seven_days(demo):
    now = dt.datetime(2026, 12, 3, 18, 0, 0)
    # two automatic backups a day for twelve days, then twelve more today
    stamps = [now - dt.timedelta(days=d, hours=h) for d in range(12, 0, -1) for h in (6, 2)]
    stamps += [now - dt.timedelta(minutes=5 * m) for m in range(12, 0, -1)]
    manual = backups.take_backup(demo, reason="manual", now=now - dt.timedelta(days=30), keep=3)
    for at in stamps:
        backups.take_backup(demo, reason="auto", now=at, keep=3)
    kept = backups.list_backups(demo)
    autos = [b.taken_at for b in kept if b.reason == "auto"]
    latest_today = sorted(now - dt.timedelta(minutes=5 * m) for m in (1, 2, 3))
    newest_of_days = [
        now - dt.timedelta(days=d, hours=2) for d in range(1, 7)
    ]  # today + 6 days back
    assert sorted(autos) == sorted(newest_of_days + latest_today)
    assert manual.path in [b.path for b in kept]  # taken by hand: never pruned


def test_restore_writes_a_new_file_and_never_replaces_one(demo, tmp_path):
    b = backups.take_backup(demo)
    target = backups.restore(b.path, tmp_path / "again.relman")
    assert releases_in(target) == releases_in(demo) == 12
    before = demo.read_bytes()
    with pytest.raises(
        backups.BackupError, match="team.relman already exists; restore into a new file"
    ):
        backups.restore(b.path, demo)
    assert demo.read_bytes() == before


def test_a_damaged_backup_is_refused_in_one_line_and_nothing_is_written(demo, tmp_path):
    b = backups.take_backup(demo)
    data = bytearray(b.path.read_bytes())
    for offset in range(4096 * 2, len(data), 4096):  # scribble over every page after the first two
        data[offset + 100 : offset + 400] = b"\xff" * 300
    b.path.write_bytes(bytes(data))
    code, out, err = run("restore", str(b.path), str(tmp_path / "x.relman"))
    assert code == 2 and out == ""
    assert err.startswith("relman: cannot restore:") and "damaged" in err and err.count("\n") == 1
    assert not (tmp_path / "x.relman").exists()
    assert list(tmp_path.glob(".x.relman*")) == []


def test_a_backup_from_a_newer_version_is_refused(demo, tmp_path):
    b = backups.take_backup(demo)
    con = sqlite3.connect(b.path)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    listed = backups.list_backups(demo, count=True)
    assert listed[0].problem and "newer version" in listed[0].problem
    code, _, err = run("restore", str(b.path), str(tmp_path / "x.relman"))
    assert code == 2
    assert "was made by a newer version of Release Manager Desktop (schema 9999" in err
    assert not (tmp_path / "x.relman").exists()


def test_a_backup_folder_that_cannot_be_made_is_one_line_and_the_plan_is_untouched(
    demo, tmp_path, monkeypatch
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    monkeypatch.setenv("RELMAN_BACKUP_DIR", str(blocker))
    before = demo.read_bytes()
    code, out, err = run("--plan", str(demo), "backup")
    assert code == 2 and out == ""
    assert err.startswith("relman: the backup folder ") and "cannot be created" in err
    assert demo.read_bytes() == before


def test_a_read_only_backup_folder_is_refused(demo, tmp_path, monkeypatch):
    import os

    folder = backups.backup_folder(demo)
    folder.mkdir(parents=True)
    real_access = os.access
    monkeypatch.setattr(
        backups.os, "access", lambda p, mode: False if Path(p) == folder else real_access(p, mode)
    )
    with pytest.raises(backups.BackupError, match="is read-only; no backup was taken"):
        backups.take_backup(demo)
    assert list(folder.iterdir()) == []


def test_a_full_backup_folder_leaves_no_partial_file(demo, monkeypatch):
    from relman_desktop.models import plancopy

    real_connect = plancopy.sqlite3.connect

    class FullDisk:
        def __init__(self, con: sqlite3.Connection) -> None:
            self.con = con

        def backup(self, target: sqlite3.Connection) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        def __getattr__(self, name: str):
            return getattr(self.con, name)

    def connect(database, *a, **kw):
        con = real_connect(database, *a, **kw)
        return FullDisk(con) if "mode=ro" in str(database) else con  # the plan, read to be copied

    monkeypatch.setattr(plancopy.sqlite3, "connect", connect)
    with pytest.raises(
        backups.BackupError, match=r"no backup was taken: the folder .* is full; free some space"
    ):
        backups.take_backup(demo)
    assert list(backups.backup_folder(demo).iterdir()) == []


def test_cli_backup_backups_and_restore_speak_json(demo, tmp_path):
    code, out, _ = run("--plan", str(demo), "backup", "--json")
    assert code == 0
    taken = json.loads(out)
    assert taken["reason"] == "manual" and taken["releases"] == 12 and Path(taken["path"]).is_file()
    code, out, _ = run("--plan", str(demo), "backups", "--json")
    listed = json.loads(out)
    assert listed["plan"] == str(demo) and [b["path"] for b in listed["backups"]] == [taken["path"]]
    assert listed["backups"][0]["releases"] == 12 and listed["backups"][0]["schema"] == HEAD
    code, out, _ = run("restore", taken["path"], str(tmp_path / "copy.relman"), "--json")
    assert code == 0 and json.loads(out) == {
        "backup": taken["path"],
        "plan": str(tmp_path / "copy.relman"),
        "releases": 12,
        "schema": HEAD,
    }
    code, out, _ = run("--plan", str(demo), "backups")
    assert "manual" in out and "12 releases" in out


def test_backups_of_a_missing_plan_say_so(tmp_path):
    code, _, err = run("--plan", str(tmp_path / "none.relman"), "backup")
    assert code == 2 and err == f"relman: there is no plan file at {tmp_path / 'none.relman'}\n"


def test_a_backup_is_one_self_contained_file_even_after_it_was_listed(demo):
    b = backups.take_backup(demo)
    backups.list_backups(demo, count=True)
    assert sorted(p.name for p in b.path.parent.iterdir()) == [b.path.name]


def test_backing_up_the_open_plan_leaves_this_process_seeing_other_writers(demo, tmp_path):
    """The app backs up the plan it holds open. Reading the file with a Python open() and close()
    dropped SQLite's POSIX locks on it for the whole process: the next command-line writer then
    took the plan for unused, deleted the write-ahead log's index, and the window never saw
    another change (nor did `relman` see the window's)."""
    plan = open_plan(demo)
    try:
        before = plan.data_version()
        backups.take_backup(demo, reason="open", root=tmp_path / "backups")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "relman_desktop",
                "--plan",
                str(demo),
                "timezone",
                "Europe/Berlin",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert Path(f"{demo}-shm").exists()  # this process still holds the index it reads through
        assert plan.data_version() != before  # and sees the other process's commit
    finally:
        plan.close()
