"""A table dropped outside the app is damage, said in one line — not a traceback, not an empty
list of releases (issue 20)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from relman_desktop.cli import main
from relman_desktop.models.planfile import PlanError, open_plan
from relman_desktop.services import releases
from relman_desktop.services.base import Ctx


def drop(plan_path: Path, table: str) -> None:
    con = sqlite3.connect(plan_path)
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute(f"DROP TABLE {table}")
    con.commit()
    con.close()


@pytest.mark.parametrize("table", ["releases", "audit_events", "cab_meetings"])
def test_the_cli_names_the_missing_table(ctx: Ctx, plan_path: Path, table: str) -> None:
    releases.create_release(ctx, {"key": "REL-1", "title": "One", "type": "minor"})
    ctx.plan.close()
    drop(plan_path, table)
    for argv in (
        ("releases",),
        ("audit", "verify"),
        ("export", "plan", str(plan_path.with_suffix(".json"))),
    ):
        out, err = io.StringIO(), io.StringIO()
        code = main(["--plan", str(plan_path), *argv], out, err)
        assert code == 2 and out.getvalue() == ""
        assert err.getvalue() == (
            f"relman: {plan_path.name} is damaged: its table {table} is missing; restore it from a backup\n"
        )


def test_a_table_dropped_while_the_plan_is_open_is_a_clear_error(ctx: Ctx, plan_path: Path) -> None:
    releases.create_release(ctx, {"key": "REL-1", "title": "One", "type": "minor"})
    drop(plan_path, "releases")
    with pytest.raises(PlanError, match=r"test\.relman is damaged: releases is missing"):
        releases.list_releases(ctx)


def test_a_fresh_plan_has_every_table(tmp_path: Path) -> None:
    plan = open_plan(tmp_path / "new.relman", create=True)
    plan.close()
    open_plan(tmp_path / "new.relman").close()  # would say "damaged" if a table were missing


def test_a_disk_io_error_is_one_line_not_a_traceback() -> None:
    """A full disk under a plan's -shm/-wal can fail a query after the plan opened (seen on a
    512-byte file-size limit): SQLite says only "disk I/O error"."""
    import sqlite3

    from relman_desktop.models.planfile import known_error

    said = known_error(sqlite3.OperationalError("disk I/O error"), "p.relman")
    assert said is not None
    assert str(said).startswith(
        "p.relman could not be read or written: the disk reported an I/O error"
    )
