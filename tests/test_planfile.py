"""Opening plan files: new, old, newer, and every kind of bad file, each with one clear line."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import event, text

from relman_desktop.exports.plan_copy import save_copy
from relman_desktop.models.planfile import (
    PlanError,
    _alembic_config,
    current_revision,
    default_plan_path,
    open_plan,
    schema_head,
)
from relman_desktop.services import releases
from relman_desktop.services.base import Ctx


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_plan_is_created_stamped_and_holds_the_default_workflow(plan_path: Path) -> None:
    plan = open_plan(plan_path, create=True)
    try:
        assert current_revision(plan) == schema_head()
        assert plan.meta("format") == "relman-plan"
        with plan.read() as s:
            states = [
                r[0] for r in s.execute(text("SELECT name FROM workflow_states ORDER BY position"))
            ]
            fk = s.execute(text("PRAGMA foreign_keys")).scalar()
            journal = s.execute(text("PRAGMA journal_mode")).scalar()
        assert states[:9] == [
            "Planning",
            "Build",
            "Testing",
            "Awaiting Approval",
            "Approved",
            "Deploying",
            "Deployed",
            "In Review",
            "Closed",
        ]
        assert {"On Hold", "Cancelled", "Rolled Back"} <= set(states)
        assert fk == 1 and journal == "wal"
    finally:
        plan.close()
    assert not list(plan_path.parent.glob("*.creating")), "no temporary file is left behind"


def test_missing_plan_without_create_is_refused(plan_path: Path) -> None:
    with pytest.raises(PlanError, match="there is no plan file at .*relman --plan"):
        open_plan(plan_path)
    assert not plan_path.exists()


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"the folder .*nowhere does not exist"):
        open_plan(tmp_path / "nowhere" / "p.relman", create=True)


def test_default_plan_lives_in_the_user_data_folder() -> None:
    path = default_plan_path()
    assert path.name == "plan.relman"
    assert str(path).startswith(os.environ["XDG_DATA_HOME"])
    plan = open_plan(None, create=True)
    plan.close()
    assert path.exists()


def test_text_file_is_not_a_plan_and_is_left_untouched(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.relman"
    bogus.write_text("these are my meeting notes\n")
    before = digest(bogus)
    with pytest.raises(
        PlanError, match="notes.relman is not a plan file \\(it is not a SQLite database\\)"
    ):
        open_plan(bogus)
    assert digest(bogus) == before


def test_other_sqlite_database_is_not_a_plan(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    con.commit()
    con.close()
    before = digest(other)
    with pytest.raises(
        PlanError, match="other.db is a SQLite database but not a Release Manager plan"
    ):
        open_plan(other)
    assert digest(other) == before
    assert not Path(f"{other}-wal").exists()


def test_empty_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.relman"
    empty.touch()
    with pytest.raises(PlanError, match="empty.relman is empty, not a plan file"):
        open_plan(empty)


def test_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="is a folder, not a plan file"):
        open_plan(tmp_path)


def test_newer_plan_is_refused_and_unchanged(plan_path: Path) -> None:
    open_plan(plan_path, create=True).close()
    con = sqlite3.connect(plan_path)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    before = digest(plan_path)
    with pytest.raises(
        PlanError, match=r"written by a newer version of Release Manager Desktop \(schema 9999\)"
    ):
        open_plan(plan_path)
    assert digest(plan_path) == before


def test_read_only_plan_is_refused(plan_path: Path) -> None:
    open_plan(plan_path, create=True).close()
    os.chmod(plan_path, 0o444)
    try:
        with pytest.raises(PlanError, match="test.relman is read-only; save a copy elsewhere"):
            open_plan(plan_path)
    finally:
        os.chmod(plan_path, 0o644)


def test_plan_locked_by_another_process_is_refused(plan_path: Path) -> None:
    open_plan(plan_path, create=True).close()
    holder = sqlite3.connect(plan_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(PlanError, match="test.relman is locked by another process"):
            open_plan(plan_path, busy_timeout=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_full_disk_gives_one_line_and_saves_nothing(plan: object, ctx: Ctx) -> None:
    releases.create_release(ctx, {"key": "REL-1", "title": "Fits", "type": "minor"})

    @event.listens_for(ctx.plan.write_engine, "connect")
    def _tiny_disk(dbapi_conn, _rec):  # the file may not grow by a single page more
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    ctx.plan.write_engine.dispose()
    with pytest.raises(
        PlanError, match="the disk holding test.relman is full; .* \\(nothing was saved\\)"
    ):
        releases.create_release(
            ctx, {"key": "REL-2", "title": "x" * 250, "type": "minor", "scope": "y" * 90_000}
        )
    event.remove(ctx.plan.write_engine, "connect", _tiny_disk)
    ctx.plan.write_engine.dispose()
    assert [r.key for r in releases.list_releases(ctx)] == ["REL-1"]


def _make_revision_0001_plan(path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO plan_meta (key, value) VALUES ('format', 'relman-plan')"))
        conn.execute(
            text(
                "INSERT INTO workflow_states (name, position, category) VALUES ('Planning', 0, 'open')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO releases (key, title, type, priority, risk, status_id, waves, required_tests, created_at) "
                "VALUES ('REL-OLD', 'Made by an older version', 'minor', 'low', 'low', 1, '[]', '[]', '2026-01-01 00:00:00')"
            )
        )
        conn.commit()
    engine.dispose()


def test_older_plan_is_backed_up_then_upgraded(tmp_path: Path) -> None:
    old = tmp_path / "old.relman"
    _make_revision_0001_plan(old)
    plan = open_plan(old)
    try:
        assert current_revision(plan) == schema_head()
        backup = plan.backup_made
        assert backup is not None and backup.exists() and backup.parent == old.parent
        assert "backup-0001" in backup.name
        con = sqlite3.connect(backup)
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
        assert "baselines" not in {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        con.close()
        with plan.read() as s:
            assert (
                s.execute(text("SELECT title FROM releases")).scalar() == "Made by an older version"
            )
            assert s.execute(text("SELECT count(*) FROM baselines")).scalar() == 0
    finally:
        plan.close()


def test_save_copy_is_a_plan_that_opens(plan: object, ctx: Ctx, tmp_path: Path) -> None:
    releases.create_release(ctx, {"key": "REL-1", "title": "Copied", "type": "minor"})
    copy = save_copy(ctx.plan, tmp_path / "copy.relman")
    other = open_plan(copy)
    try:
        assert [r.key for r in releases.list_releases(Ctx(other))] == ["REL-1"]
    finally:
        other.close()


WRITER = textwrap.dedent(
    """
    import sys
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services.base import Ctx
    from relman_desktop.services import releases
    plan = open_plan(sys.argv[1])
    ctx = Ctx(plan, actor=sys.argv[2])
    for i in range(40):
        releases.create_release(ctx, {"key": f"REL-{sys.argv[2]}-{i}", "title": "concurrent", "type": "patch"})
    plan.close()
    """
)


def test_two_processes_writing_at_once_never_corrupt_the_plan(plan_path: Path) -> None:
    open_plan(plan_path, create=True).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(plan_path), who], stderr=subprocess.PIPE
        )
        for who in ("a", "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    from relman_desktop.services import audit

    plan = open_plan(plan_path)
    try:
        ctx = Ctx(plan)
        assert len(releases.list_releases(ctx)) == 80
        result = audit.verify(ctx)
        assert result.ok, result.problems
        assert result.events == 80
        with plan.read() as s:
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        plan.close()


def test_the_known_revisions_match_the_migrations_shipped() -> None:
    from relman_desktop.models.migrations.revisions import HEAD, KNOWN_REVISIONS
    from relman_desktop.models.planfile import alembic_revisions

    revisions, head = alembic_revisions()
    assert list(KNOWN_REVISIONS) == revisions, "add the new migration's revision to revisions.py"
    assert HEAD == head
