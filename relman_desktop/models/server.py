"""A plan on a PostgreSQL server (SQLAlchemy 2 + psycopg 3): the server side of ``Database``.

This module is the only one that knows a plan may live on PostgreSQL: the URL it accepts, how a
database becomes a plan (``init``), how its schema is checked and upgraded (Alembic, in one
transaction: PostgreSQL's DDL is transactional, and an advisory lock keeps two clients from
upgrading at once), and the translation of the server's refusals into one-line messages.

Passwords never come from the URL (it would end up in shell history, logs and the recent-plans
list): libpq reads ``PGPASSWORD`` and ``~/.pgpass``, and the GUI may pass one for the session.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Integer, create_engine, inspect, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from . import defaults
from .database import Database
from .entities import Base, PlanMeta
from .migrations.revisions import HEAD, KNOWN_REVISIONS
from .planfile import PLAN_FORMAT, PlanError, PlanNotWritable, _alembic_config

# pg_advisory_xact_lock key: one client at a time initialises or upgrades a server plan
_SCHEMA_LOCK = 0x72656C6D  # "relm"
CONNECT_TIMEOUT = 5  # seconds: a host that does not answer is one line soon, not a hang


def parse_url(text_: str) -> URL:
    """The server URL the user typed, checked: ``postgresql://user@host:port/database``."""
    shown = redact_url_text(text_.strip())
    try:
        url = make_url(text_.strip())
        _ = url.port  # a port that is not a number fails here
    except (ArgumentError, ValueError):
        raise PlanError(
            f"{shown} is not a server URL; write it as postgresql://user@host:port/database"
        ) from None
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise PlanError(f"{shown} is not a PostgreSQL URL (postgresql://user@host:port/database)")
    if url.password:
        raise PlanError(
            "the server URL carries a password, which would be kept in shell history and logs; "
            "remove it and set PGPASSWORD or put it in ~/.pgpass"
        )
    if not url.database:
        raise PlanError(f"{shown} names no database; add it: postgresql://user@host:port/DATABASE")
    return url.set(drivername="postgresql+psycopg")


def redact_url_text(text_: str) -> str:
    from .database import redact

    return redact(text_)


def shown_url(url: URL) -> str:
    """``postgresql://user@host:port/db``: how a server plan is named to a person."""
    user = f"{url.username}@" if url.username else ""
    port = f":{url.port}" if url.port else ""
    return f"postgresql://{user}{url.host or 'localhost'}{port}/{url.database}"


def known_server_error(exc: BaseException, url: URL) -> PlanError | None:
    """The server's refusal of something the user can act on, as one line; None for a bug."""
    orig = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None) or ""
    message = str(orig)
    low = message.lower()
    first = message.strip().splitlines()[0] if message.strip() else type(orig).__name__
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    user = url.username or "your login"
    db = url.database
    if state == "28P01" or "password authentication failed" in low:
        return PlanError(
            f"the server at {where} refused the password of {user}; set the right one in "
            "PGPASSWORD or ~/.pgpass (nothing was changed)"
        )
    if "no password supplied" in low or "fe_sendauth" in low:
        return PlanError(
            f"the server at {where} asks {user} for a password; set PGPASSWORD or put it in "
            "~/.pgpass (nothing was changed)"
        )
    if state == "3D000" or (f'database "{db}" does not exist' in message):
        return PlanError(
            f"there is no database {db} on {where}; ask the server's administrator to create "
            f"it (createdb {db}), then run 'relman --plan {shown_url(url)} init'"
        )
    if f'role "{url.username}" does not exist' in message:
        return PlanError(f"the server at {where} knows no user {user}; check the URL")
    if "no pg_hba.conf entry" in low or state == "28000":
        return PlanError(f"the server at {where} does not let {user} connect to {db}: {first}")
    if "could not translate host name" in low or "name or service not known" in low:
        return PlanError(f"the host {url.host} is unknown; check the server URL")
    if any(
        w in low
        for w in ("connection refused", "timeout expired", "could not connect", "is the server")
    ):
        return PlanError(
            f"cannot reach a PostgreSQL server at {where}: is it running, and is the address "
            "right? (nothing was changed)"
        )
    if state.startswith("08") or state == "57P01" or "server closed the connection" in low:
        return PlanError(
            f"the connection to the server at {where} was lost; nothing was saved by the last "
            "action — try again, the app reconnects"
        )
    if state == "42501":
        return PlanError(
            f"{user} has no right to do that on the plan {db} at {where} ({first}); ask the "
            "plan's owner for access (nothing was changed)"
        )
    if state in ("40001", "40P01", "55P03"):
        return PlanError(
            f"the plan {db} is busy with another user's change; try again (nothing was saved)"
        )
    if state == "53100":
        return PlanError(f"the server at {where} is out of disk space (nothing was saved)")
    if state in ("42P01", "42703"):
        return PlanError(f"the plan {db} at {where} is damaged: {first}; restore it from a backup")
    return None


class ServerPlan(Database):
    """An open plan on a PostgreSQL server: one engine (a small pool) for reads and writes."""

    def __init__(self, url: URL, *, password: str | None = None) -> None:
        self.url = url
        self.path = None
        self.why_read_only = f"{shown_url(url)} is open read-only"
        connect_args: dict[str, Any] = {
            "connect_timeout": CONNECT_TIMEOUT,
            "application_name": "relman-desktop",
        }
        if password is not None:  # from the GUI's prompt, for this session only
            connect_args["password"] = password
        self._password = password
        engine = create_engine(
            url,
            connect_args=connect_args,
            json_deserializer=self._json_value,
            # no pre-ping (a round trip per action): a lost connection fails that one action
            # with a clear line (``known_server_error``), SQLAlchemy drops the pool's dead
            # connections on it, and the next action connects afresh
            pool_size=2,
            max_overflow=4,
        )
        self.read_engine = self.write_engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def _json_value(self, value: Any) -> Any:
        if isinstance(value, bytes | bytearray | memoryview):  # psycopg hands over raw bytes
            value = bytes(value).decode("utf-8", "replace")
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as exc:
            raise PlanError(
                f"{self.display_name} is damaged (a stored value is not readable: {exc}); "
                "restore it from a backup"
            ) from exc

    @property
    def location(self) -> str:
        return shown_url(self.url)

    @property
    def display_name(self) -> str:
        return f"{self.url.database} on {self.url.host or 'localhost'}"

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with self._sessions() as session, session.begin():
                yield session
        except DBAPIError as exc:
            if isinstance(exc, IntegrityError):
                raise
            raise (known_server_error(exc, self.url) or exc) from exc

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One short transaction for one user action: all of it lands, or none of it."""
        if self.read_uri is not None:
            raise PlanNotWritable(f"{self.why_read_only}; nothing was changed")
        try:
            with self._sessions() as session, session.begin():
                yield session
        except DBAPIError as exc:
            if isinstance(exc, IntegrityError):
                raise
            raise (known_server_error(exc, self.url) or exc) from exc

    def data_version(self) -> int:
        """The server's next transaction id: it moves whenever anyone commits a write (on this
        server), which is all a window polling for other users' changes needs to know."""
        try:
            with self.read_engine.connect() as conn:
                value = conn.execute(text("SELECT pg_snapshot_xmax(pg_current_snapshot())"))
                return int(str(value.scalar_one()))
        except DBAPIError as exc:
            raise (
                known_server_error(exc, self.url)
                or PlanError(f"{self.display_name} cannot be read: {exc.orig}")
            ) from exc

    def listen_target(self) -> tuple[str, str | None]:
        """Where a second connection (a LISTEN for other people's changes) connects: the
        plan's libpq URL and the session's password from the prompt, if any."""
        url = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return url, self._password

    def consistent_read(self, session: Session) -> None:
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))

    def bulk_insert(
        self, session: Session, table: Any, columns: list[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """PostgreSQL's ``COPY … FROM STDIN`` on the session's own connection (same
        transaction: a failed copy rolls back with everything else); ~10× an INSERT per row."""
        import psycopg
        from psycopg import sql

        dbapi = session.connection().connection.dbapi_connection
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        )
        n = 0
        try:
            with dbapi.cursor() as cur, cur.copy(statement) as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
                    n += 1
        except psycopg.Error as exc:  # the driver's own error: wrapped as SQLAlchemy's are
            raise DBAPIError.instance(statement.as_string(None), None, exc, psycopg.Error) from exc
        return n

    def after_bulk_copy(self, session: Session, tables: list[Any]) -> None:
        for table in tables:
            for column in table.primary_key.columns:
                if column.autoincrement is True or (
                    column.autoincrement == "auto" and isinstance(column.type, Integer)
                ):
                    session.execute(
                        text(
                            "SELECT setval(pg_get_serial_sequence(:t, :c), "
                            f'coalesce((SELECT max("{column.name}") FROM "{table.name}"), 0) + 1,'
                            " false)"
                        ),
                        {"t": table.name, "c": column.name},
                    )

    def close(self) -> None:
        self.read_engine.dispose()


def _inspect(conn: Connection, url: URL) -> tuple[set[str], dict[str, str], str | None]:
    tables = set(inspect(conn).get_table_names())
    meta: dict[str, str] = {}
    if "plan_meta" in tables:
        if not conn.execute(text("SELECT has_table_privilege('plan_meta', 'SELECT')")).scalar():
            raise PlanError(
                f"{url.username or 'your login'} may not read the plan at {shown_url(url)}; "
                "ask its owner to grant access"
            )
        meta = {k: v for k, v in conn.execute(text("SELECT key, value FROM plan_meta"))}
    rev = None
    if "alembic_version" in tables:
        rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return tables, meta, rev


def _migrate(conn: Connection) -> None:
    from alembic import command

    cfg = _alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _initialise(conn: Connection) -> None:
    """Make an empty database a plan: schema, format mark, default workflow; one transaction."""
    _migrate(conn)
    session = Session(bind=conn)
    session.add(PlanMeta(key="format", value=PLAN_FORMAT))
    session.add(
        PlanMeta(key="created_at", value=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    )
    defaults.install_default_workflow(session)
    session.flush()
    session.close()


def open_server(
    target: str, *, create: bool = False, read_only: bool = False, password: str | None = None
) -> ServerPlan:
    """Open the plan in the database ``target`` names, initialising an empty one if ``create``.

    Refuses, with one line and nothing written: a URL that is not one, a server that cannot be
    reached or refuses the login, a missing database, a database that holds something other
    than a plan (or nothing, unless ``create``), a plan of a newer schema, a user who may not
    read it. A user who may read but not write gets the plan read-only, saying why.
    """
    url = parse_url(target)
    plan = ServerPlan(url, password=password)
    shown = shown_url(url)
    try:
        with plan.write_engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
            tables, meta, rev = _inspect(conn, url)
            if not tables:
                if not create or read_only:
                    raise PlanError(
                        f"the database {url.database} at {shown} is empty, not a plan yet; make "
                        f"it one with 'relman --plan {shown} init'"
                    )
                _initialise(conn)
                conn.commit()
                return plan
            if meta.get("format") != PLAN_FORMAT:
                raise PlanError(
                    f"the database {url.database} at {shown} holds other tables, not a Release "
                    "Manager plan; name an empty database or a plan"
                )
            if rev is None:
                raise PlanError(
                    f"the plan at {shown} has no schema version; it was not written by Release "
                    "Manager Desktop"
                )
            if rev not in KNOWN_REVISIONS:
                raise PlanError(
                    f"the plan at {shown} was written by a newer version of Release Manager "
                    f"Desktop (schema {rev}); upgrade the app to open it"
                )
            if rev != HEAD:
                if read_only:
                    raise PlanNotWritable(
                        f"the plan at {shown} is from an older version and must be upgraded "
                        "before it can be read"
                    )
                _migrate(conn)
            else:
                missing = sorted(set(Base.metadata.tables) - tables)
                if missing:
                    raise PlanError(
                        f"the plan at {shown} is damaged: table {', '.join(missing[:5])} "
                        "missing; restore it from a backup"
                    )
            may_read, may_write = conn.execute(
                text(
                    "SELECT has_table_privilege('releases', 'SELECT')"
                    " AND has_table_privilege('audit_events', 'SELECT'),"
                    " has_table_privilege('releases', 'INSERT')"
                    " AND has_table_privilege('releases', 'UPDATE')"
                    " AND has_table_privilege('audit_events', 'INSERT')"
                )
            ).one()
            if not may_read:
                raise PlanError(
                    f"{url.username or 'your login'} may not read the plan at {shown}; ask its "
                    "owner to grant access"
                )
            conn.commit()
    except PlanError:
        plan.close()
        raise
    except DBAPIError as exc:
        plan.close()
        known = known_server_error(exc, url)
        if known is None:
            reason = " ".join(str(exc.orig).split())[:200]
            known = PlanError(f"the plan at {shown} cannot be opened: {reason}")
        raise known from exc
    if read_only or not may_write:
        plan.read_uri = "read-only"
        if not may_write:
            plan.why_read_only = f"{url.username or 'your login'} may only read the plan at {shown}"
    return plan


__all__ = ["ServerPlan", "known_server_error", "open_server", "parse_url", "shown_url"]
