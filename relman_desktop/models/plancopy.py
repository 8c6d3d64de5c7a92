"""Consistent copies of plan files and a read-only look inside one, for backups and restores.

Like ``planfile``, this module knows a plan is SQLite: a copy goes through SQLite's online
backup API (``sqlite3.Connection.backup``), which copies a live plan (its WAL included) as of
one instant while another process goes on writing; a look inside opens the file read-only and
changes no byte of it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from .migrations.revisions import KNOWN_REVISIONS
from .planfile import PLAN_FORMAT, PlanError, known_error


class CopyError(PlanError):
    """A copy that could not be made (a read-only or full folder): one line; nothing written."""


@dataclass(frozen=True)
class PlanPeek:
    """What a plan file holds, as far as a backup list and a restore need to know."""

    path: Path
    revision: str | None
    releases: int
    created_at: str | None
    known: bool  # a schema revision this version can open (False: a newer version wrote it)


def copy_plan(src: Path, dst: Path) -> Path:
    """Copy the plan ``src`` to ``dst`` through a temporary file beside ``dst``; only a
    complete copy takes the name. ``dst`` must not exist (a copy never replaces a file)."""
    folder = dst.parent
    tmp = folder / f".{dst.name}.part"
    try:
        src_con = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise known_error(exc, src) or CopyError(f"{src.name} cannot be read: {exc}") from exc
    try:
        dst_con = sqlite3.connect(tmp)
        try:
            src_con.backup(dst_con)
            # The copy carries the plan's WAL flag; a copy in rollback mode is one self-contained
            # file that read-only looks (backup lists) never give a -wal/-shm pair to.
            dst_con.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst_con.close()
        _publish(tmp, dst)
    except sqlite3.Error as exc:
        text = str(exc).lower()
        if "full" in text:
            raise CopyError(
                f"the folder {folder} is full; free some space (nothing was written)"
            ) from exc
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            raise CopyError(f"the folder {folder} is read-only (nothing was written)") from exc
        raise known_error(exc, src) or CopyError(f"{dst.name} could not be written: {exc}") from exc
    except OSError as exc:
        raise CopyError(
            f"{dst.name} could not be written in {folder}: {exc.strerror or exc}"
        ) from exc
    finally:
        src_con.close()
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with contextlib.suppress(OSError):
                leftover.unlink()
    return dst


def _publish(tmp: Path, dst: Path) -> None:
    """Give the finished copy its name without ever replacing an existing file."""
    try:
        os.link(tmp, dst)  # fails if dst exists: no race can make a copy overwrite a file
    except FileExistsError:
        raise CopyError(
            f"{dst.name} already exists; choose a new file (nothing was written)"
        ) from None
    except OSError:  # a file system without hard links (FAT, some network shares)
        if dst.exists():
            raise CopyError(
                f"{dst.name} already exists; choose a new file (nothing was written)"
            ) from None
        os.replace(tmp, dst)


def peek_plan(path: Path, *, check_integrity: bool = False) -> PlanPeek:
    """Open ``path`` read-only and tell what it is; a file that is not a readable plan (or,
    with ``check_integrity``, whose pages are damaged) raises ``PlanError`` with one line."""
    name = path.name
    # Only SQLite reads the file: a Python open() and close() of a plan this process has open
    # would drop every POSIX lock SQLite holds on it, and another process could then delete the
    # write-ahead log's index from under this one (its later commits would go unseen).
    if not path.is_file():
        raise PlanError(f"{name} cannot be read: it is not a file")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise known_error(exc, path) or PlanError(f"{name} cannot be read: {exc}") from exc
    try:
        if check_integrity:
            problems = [r[0] for r in con.execute("PRAGMA integrity_check(5)")]
            if problems != ["ok"]:
                raise PlanError(f"{name} is damaged ({problems[0]}); choose another backup")
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        meta = (
            dict(con.execute("SELECT key, value FROM plan_meta").fetchall())
            if "plan_meta" in tables
            else {}
        )
        if meta.get("format") != PLAN_FORMAT:
            raise PlanError(f"{name} is a SQLite database but not a Release Manager plan")
        row = (
            con.execute("SELECT version_num FROM alembic_version").fetchone()
            if "alembic_version" in tables
            else None
        )
        revision = row[0] if row else None
        releases = (
            con.execute("SELECT count(*) FROM releases").fetchone()[0]
            if "releases" in tables
            else 0
        )
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise PlanError(
                f"{name} is damaged or not a plan file (it is not a SQLite database)"
            ) from exc
        raise known_error(exc, path) or PlanError(f"{name} cannot be read: {exc}") from exc
    except sqlite3.Error as exc:
        raise known_error(exc, path) or PlanError(f"{name} cannot be read: {exc}") from exc
    finally:
        con.close()
    return PlanPeek(
        path, revision, int(releases), meta.get("created_at"), revision in KNOWN_REVISIONS
    )
