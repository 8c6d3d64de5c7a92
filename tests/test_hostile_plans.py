"""Old, cut-short and damaged plan files: every command answers with one line, exit 2, and the
file is left exactly as it was (issue 18)."""

from __future__ import annotations

import hashlib
import io
import sqlite3
from pathlib import Path

import pytest

from relman_desktop.cli import main
from relman_desktop.models.planfile import (
    Plan,
    _alembic_config,
    current_revision,
    open_plan,
    schema_head,
    sqlite_copy,
)

COMMANDS = [
    ["releases"],
    ["show", "REL-X"],
    ["kpis"],
    ["conflicts"],
    ["audit", "verify"],
    ["export", "plan", "out.json"],
    ["export", "kpis", "out.xlsx"],
]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(argv), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.relman"
    assert run("--plan", str(path), "demo", "--releases", "6", "--seed", "3")[0] == 0
    return path


def _downgraded(src: Path, dst: Path, revision: str) -> None:
    sqlite_copy(src, dst)
    plan = Plan(dst)
    try:
        from alembic import command

        with plan.write_engine.connect() as conn:
            # batch steps copy tables that others point at: foreign keys off, as Alembic advises
            # for SQLite (outside any transaction, where SQLite honours the pragma)
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            cfg = _alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
            conn.commit()
    finally:
        plan.close()


def _backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.backup-*"))


@pytest.mark.parametrize("revision", ["0001", "0002"])
def test_a_plan_at_an_old_revision_is_upgraded_and_keeps_its_releases(
    demo_plan: Path, tmp_path: Path, revision: str
) -> None:
    old = tmp_path / "old.relman"
    _downgraded(demo_plan, old, revision)
    rc, out, err = run("--plan", str(old), "releases", "--json")
    assert (rc, err) == (0, "")
    rc, demo_out, _ = run("--plan", str(demo_plan), "releases", "--json")
    assert out == demo_out
    plan = open_plan(old)
    try:
        assert current_revision(plan) == schema_head()
    finally:
        plan.close()
    backups = _backups(tmp_path)
    assert len(backups) == 1 and f"backup-{revision}" in backups[0].name


def _stamped_but_not_upgradable(demo_plan: Path, dst: Path) -> None:
    """A plan that says it is at 0001 but already holds 0002's tables: its upgrade must fail."""
    sqlite_copy(demo_plan, dst)
    con = sqlite3.connect(dst)
    con.execute("UPDATE alembic_version SET version_num = '0001'")
    con.commit()
    con.close()


def test_a_failed_upgrade_says_why_in_one_line_and_leaves_the_plan_and_no_backup(
    demo_plan: Path, tmp_path: Path
) -> None:
    plan = tmp_path / "stuck.relman"
    _stamped_but_not_upgradable(demo_plan, plan)
    before = digest(plan)
    for argv in COMMANDS * 2:  # twice: retrying must not pile up backups either
        rc, _, err = run("--plan", str(plan), *argv)
        assert rc == 2, argv
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "could not be upgraded from schema 0001" in err and "baselines already exists" in err
        assert "left as it was" in err
    assert digest(plan) == before
    assert _backups(tmp_path) == []


@pytest.mark.parametrize("fraction", [0.0003, 0.1, 0.5, 0.9, 0.99])
def test_a_plan_cut_short_is_refused_by_every_command(
    demo_plan: Path, tmp_path: Path, fraction: float
) -> None:
    whole = tmp_path / "whole.relman"
    sqlite_copy(demo_plan, whole)
    data = whole.read_bytes()
    plan = tmp_path / "cut.relman"
    plan.write_bytes(data[: max(16, int(len(data) * fraction))])
    before = digest(plan)
    for argv in COMMANDS:
        rc, _, err = run("--plan", str(plan), *argv)
        assert rc == 2, argv
        assert err.count("\n") == 1 and ("cut short" in err or "damaged" in err), err
    assert digest(plan) == before
    assert not (tmp_path / "out.json").exists() and not (tmp_path / "out.xlsx").exists()


def test_a_stored_value_that_is_not_json_is_one_line_not_a_decoder_traceback(
    demo_plan: Path, tmp_path: Path
) -> None:
    plan = tmp_path / "damaged.relman"
    sqlite_copy(demo_plan, plan)
    con = sqlite3.connect(plan)
    con.execute("UPDATE releases SET waves = '{\"percent\": ' ")
    con.commit()
    con.close()
    out = tmp_path / "plan.json"
    rc, _, err = run("--plan", str(plan), "export", "plan", str(out))
    assert rc == 2
    assert err.startswith("relman: damaged.relman is damaged") and err.count("\n") == 1
    assert not out.exists()
