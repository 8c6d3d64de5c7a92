"""A plan is a file or a server: the one ``Database`` abstraction the services work through.

``open_database(target)`` opens either a SQLite plan file (``planfile.Plan``) or a plan on a
PostgreSQL server (``server.ServerPlan``) from what the user named: a path, or a URL such as
``postgresql://ana@db.example.com:5432/releases``. Both offer the same things: ``read()`` and
``write()`` sessions (one short transaction each), ``meta()``, ``data_version()`` (a number that
moves when anyone commits), ``close()``, and a ``location`` safe to show (a server URL never
carries a password). Above models/, nothing asks which engine a plan is.

Passwords are never part of what the user types or what the app stores: libpq reads
``PGPASSWORD`` and ``~/.pgpass``; the GUI may hand one over for the session (``password=``).
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from .planfile import Plan
    from .server import ServerPlan

SERVER_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


class Database:
    """What every plan offers, wherever it is stored (see the module's docstring)."""

    read_engine: Engine
    write_engine: Engine
    why_read_only: str
    read_uri: str | None = None
    backup_made: Path | None = None
    #: times are stored as SQLAlchemy's ISO text (``YYYY-MM-DD HH:MM:SS.ffffff``): what a
    #: service's SQL over stored text may rely on (the KPI fast path); False on a server
    times_as_text: bool = False
    #: the plan is one file on this machine (``path``): what backups, file exports' overwrite
    #: protection and "show in folder" need; a server plan has none
    path: Path | None = None

    @property
    def location(self) -> str:
        """Where the plan is, as a person may be shown it (a path, or a URL without password)."""
        raise NotImplementedError

    @property
    def display_name(self) -> str:
        """A short name for titles and messages (a file's name, a server's database@host)."""
        raise NotImplementedError

    @property
    def read_only(self) -> bool:
        return self.read_uri is not None

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        raise NotImplementedError
        yield  # pragma: no cover

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        raise NotImplementedError
        yield  # pragma: no cover

    @contextlib.contextmanager
    def bulk_write(self) -> Iterator[Session]:
        """A write transaction for loading many rows at once (a whole-plan copy); an engine may
        check references once at the end rather than per row. By default: ``write()``."""
        with self.write() as session:
            yield session

    def data_version(self) -> int:
        raise NotImplementedError

    def meta(self, key: str, default: str | None = None) -> str | None:
        from .entities import PlanMeta

        with self.read() as s:
            row = s.get(PlanMeta, key)
            return row.value if row else default

    def consistent_read(self, session: Session) -> None:
        """Make ``session``'s transaction (just begun, nothing read yet) see the whole plan as of
        one instant, for a read of many tables (a whole-plan copy). A plan file's read
        transaction already does."""

    def bulk_insert(
        self, session: Session, table: Any, columns: list[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """Write ``rows`` (values already in this engine's bind form, one per column) into
        ``table`` inside ``session``'s transaction, as fast as the engine allows; returns the
        number of rows. The default: the driver's ``executemany`` in batches (SQLite)."""
        conn = session.connection()
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join([mark] * len(columns))})'
        n = 0
        it = iter(rows)
        while batch := list(itertools.islice(it, 5000)):
            conn.exec_driver_sql(sql, batch)
            n += len(batch)
        return n

    def after_bulk_copy(self, session: Session, tables: list[Any]) -> None:
        """Called by a whole-plan copy after it wrote rows with their ids: an engine whose ids
        come from sequences moves them past the copied ones."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# SQLSTATE of PostgreSQL's integrity errors; SQLite names them in its message
_INTEGRITY_STATES = {
    "23505": "unique",
    "23503": "foreign_key",
    "23514": "check",
    "23502": "not_null",
}
_INTEGRITY_WORDS = {
    "UNIQUE": "unique",
    "FOREIGN KEY": "foreign_key",
    "CHECK": "check",
    "NOT NULL": "not_null",
}


def integrity_problem(exc: BaseException) -> tuple[str | None, str]:
    """Which rule a refused write broke (``unique``, ``foreign_key``, ``check``, ``not_null``,
    or None) and what the engine says about it (a constraint or column name, when it says)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig)
    state = getattr(orig, "sqlstate", None)
    if state is not None:  # a server: the kind from the SQLSTATE, the detail from its fields
        diag = getattr(orig, "diag", None)
        detail = getattr(diag, "constraint_name", None) or getattr(diag, "column_name", None) or ""
        return _INTEGRITY_STATES.get(state), detail or text.strip().splitlines()[0]
    detail = text.split(":", 1)[-1].strip()
    for word, kind in _INTEGRITY_WORDS.items():
        if word in text.upper():
            return kind, detail
    return None, text


def is_server_url(target: str | os.PathLike[str] | None) -> bool:
    """True when ``target`` names a server plan (a ``postgresql://`` URL), not a file."""
    return isinstance(target, str) and target.strip().lower().startswith(SERVER_SCHEMES)


def redact(text: str) -> str:
    """``text`` with the password of any server URL in it replaced by ``***``."""
    import re

    return re.sub(r"(postgres(?:ql)?(?:\+\w+)?://[^:/@\s]*):[^@\s]*@", r"\1:***@", text)


def open_database(
    target: str | os.PathLike[str] | None = None,
    *,
    create: bool = False,
    read_only: bool = False,
    busy_timeout: float = 5.0,
    password: str | None = None,
) -> Plan | ServerPlan:
    """The plan ``target`` names: a server URL, or a file path (default: the user's plan).
    Refusals are one line (``PlanError``), and nothing is written by a refused open."""
    if is_server_url(target):
        from .server import open_server

        return open_server(str(target), create=create, read_only=read_only, password=password)
    from .planfile import open_plan

    return open_plan(target, create=create, busy_timeout=busy_timeout, read_only=read_only)


def plan_location(target: str | os.PathLike[str] | None) -> str:
    """What ``target`` names, safe to show (a URL's password hidden)."""
    return redact(str(target)) if target is not None else ""


__all__ = [
    "Database",
    "integrity_problem",
    "is_server_url",
    "open_database",
    "plan_location",
    "redact",
]
