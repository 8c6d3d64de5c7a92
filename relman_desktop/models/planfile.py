"""Opening, creating and upgrading plan files.

This is the only module that knows a plan is SQLite: pragmas, locking, header checks and the
translation of SQLite's errors into one-line messages a person understands (``PlanError``).
Everything above it talks to ``Plan.read()`` / ``Plan.write()`` sessions and portable SQL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import sqlite3
import stat
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from . import defaults
from .database import Database
from .entities import PlanMeta
from .migrations.revisions import HEAD, KNOWN_REVISIONS
from .tempfiles import remove_stale_temp_files, temp_prefix

SQLITE_HEADER = b"SQLite format 3\x00"
PLAN_FORMAT = "relman-plan"
PLAN_SUFFIX = ".relman"
APP_NAME = "relman-desktop"

_T = TypeVar("_T")


class PlanError(Exception):
    """A known, user-facing problem with a plan file: the message is one line, ready to show."""


class PlanNotWritable(PlanError):
    """The plan (or its folder, or the disk) cannot be written; it may still be read."""


def default_plan_path() -> Path:
    """The plan a user gets when they name none: a file in their data folder."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / f"plan{PLAN_SUFFIX}"


def _alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("relman_desktop.models") / "migrations")
    )
    return cfg


def schema_head() -> str:
    return HEAD


def _known_revisions() -> set[str]:
    return set(KNOWN_REVISIONS)


def alembic_revisions() -> tuple[list[str], str | None]:
    """Alembic's own view of the migrations (oldest first) and head: what ``revisions.py``
    must agree with."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))], script.get_current_head()


def known_error(exc: BaseException, path: Path | str) -> PlanError | None:
    """SQLite's error for a thing the user can act on, as one line; None for a bug."""
    text = str(getattr(exc, "orig", exc)).lower()
    name = Path(path).name if path else "the plan"
    if "locked" in text or "busy" in text:
        return PlanError(
            f"{name} is locked by another process; try again once it has finished (nothing was saved)"
        )
    if "disk is full" in text or "database or disk is full" in text:
        return PlanError(
            f"the disk holding {name} is full; free some space and try again (nothing was saved)"
        )
    if "readonly" in text or "read-only" in text:
        return PlanError(f"{name} is read-only; save a copy elsewhere to work on it")
    if "disk i/o error" in text:  # a full disk under the -shm/-wal, a removed or failing medium
        return PlanError(
            f"{name} could not be read or written: the disk reported an I/O error (is it full, "
            "or was it removed?); free some space or check the medium, and try again (nothing was saved)"
        )
    if "malformed" in text or "not a database" in text or "file is encrypted" in text:
        return PlanError(f"{name} is damaged or not a SQLite database; restore it from a backup")
    if "no such table" in text or "no such column" in text:
        what = str(getattr(exc, "orig", exc)).split(":", 1)[-1].strip()
        return PlanError(
            f"{name} is damaged: {what} is missing (dropped outside the app?); restore it from a backup"
        )
    if "unable to open" in text:
        return PlanError(
            f"{name} cannot be opened: check that its folder exists and may be written"
        )
    return None


_PLANS_OPENED: dict[Path, None] = {}  # an ordered set; a plan closed is still the user's plan


def open_plan_paths() -> list[Path]:
    """The plan files this process has opened (open now, or earlier): what no export, copy or
    backup may write over, even once the command has closed the plan to write its file."""
    return list(_PLANS_OPENED)


class Plan(Database):
    """An open plan file: a read engine, a write engine (BEGIN IMMEDIATE) and their sessions."""

    times_as_text = True  # SQLite keeps SQLAlchemy's ISO text as it was written
    path: Path

    def __init__(
        self, path: Path, *, busy_timeout: float = 5.0, read_uri: str | None = None
    ) -> None:
        self.path = path
        _PLANS_OPENED[path] = None
        self.url = f"sqlite+pysqlite:///{path}"
        self._busy_timeout = busy_timeout
        # Opened read-only (a read-only medium, a full disk): every connection uses this URI,
        # and a write is refused by SQLite itself ("read-only"), before anything changes.
        self.read_uri = read_uri
        self.why_read_only = f"{path.name} is open read-only"
        self.read_engine = self._engine(immediate=False)
        self.write_engine = self._engine(immediate=True)
        self._read = sessionmaker(self.read_engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        self._watcher: sqlite3.Connection | None = None

    def _engine(self, *, immediate: bool) -> Engine:
        if self.read_uri is not None:
            uri, timeout = self.read_uri, self._busy_timeout
            engine = create_engine(
                "sqlite+pysqlite://",
                creator=lambda: sqlite3.connect(
                    uri, uri=True, timeout=timeout, check_same_thread=False
                ),
                json_deserializer=self._json_value,
            )
        else:
            engine = create_engine(
                self.url,
                connect_args={"timeout": self._busy_timeout},
                json_deserializer=self._json_value,
            )
        timeout_ms = int(self._busy_timeout * 1000)
        read_only = self.read_uri is not None

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            dbapi_conn.isolation_level = None  # transactions are begun below, explicitly
            # Text that is not UTF-8 (a raw edit, a damaged page) reads with U+FFFD in place of
            # the bad bytes instead of failing the whole query; writers then clean it as usual.
            dbapi_conn.text_factory = _text_from_bytes
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if not read_only:  # the file already says WAL; setting it would be a write
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={timeout_ms}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: object) -> None:
            # A writer takes the write lock up front, so two processes never deadlock upgrading
            # a read lock, and the audit chain is extended by one writer at a time.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")  # type: ignore[attr-defined]

        return engine

    def _json_value(self, text: str) -> Any:
        """A JSON column as stored; a value that is not JSON means the file was damaged (cut
        short, edited by hand), which is one line for the user, not a decoder's traceback."""
        try:
            return json.loads(text)
        except ValueError as exc:
            raise PlanError(
                f"{self.path.name} is damaged (a stored value is not readable: {exc}); "
                "restore it from a backup"
            ) from exc

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with self._read() as session, session.begin():
                yield session
        except (OperationalError, DBAPIError) as exc:
            raise (known_error(exc, self.path) or exc) from exc

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One short transaction for one user action: all of it lands, or none of it."""
        if self.read_uri is not None:
            raise PlanNotWritable(f"{self.why_read_only}; nothing was changed")
        try:
            with self._write() as session, session.begin():
                yield session
        except (OperationalError, DBAPIError) as exc:
            known = known_error(exc, self.path)
            if known is None or _is_integrity(exc):
                raise
            raise known from exc

    @contextlib.contextmanager
    def bulk_write(self) -> Iterator[Session]:
        """A write transaction that loads many rows at once (a whole-plan copy into a new file):
        references are checked once, over every table, before the commit (``PRAGMA
        foreign_key_check``) instead of row by row, which halves the time of a large copy. A
        broken reference refuses the commit in one line; nothing is written."""
        if self.read_uri is not None:
            raise PlanNotWritable(f"{self.why_read_only}; nothing was changed")
        try:
            with self.write_engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                raw.execute("PRAGMA foreign_keys=OFF")  # before BEGIN: no effect inside one
                try:
                    with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                        yield session
                        broken = session.connection().exec_driver_sql("PRAGMA foreign_key_check")
                        first = broken.first()
                        if first is not None:
                            raise PlanError(
                                f"{self.path.name}: a row of {first[0]} names a missing "
                                f"{first[2]} (row {first[1]}); nothing was written"
                            )
                finally:
                    raw.execute("PRAGMA foreign_keys=ON")
        except (OperationalError, DBAPIError) as exc:
            known = known_error(exc, self.path)
            if known is None or _is_integrity(exc):
                raise
            raise known from exc

    def data_version(self) -> int:
        """SQLite's ``PRAGMA data_version`` on a connection kept for asking it: the number moves
        whenever another connection (this process's writer, another process) commits."""
        if self._watcher is None:
            self._watcher = sqlite3.connect(self.path, timeout=self._busy_timeout)
        try:
            # fetchall: the statement runs to its end, so no read snapshot stays open on the
            # watcher (a half-read cursor pins it, and then no other commit is ever seen)
            ((version,),) = self._watcher.execute("PRAGMA data_version").fetchall()
            return int(version)
        except sqlite3.Error as exc:
            raise (
                known_error(exc, self.path) or PlanError(f"{self.path.name} cannot be read: {exc}")
            ) from exc

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def display_name(self) -> str:
        return self.path.name

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        self.read_engine.dispose()
        self.write_engine.dispose()


def _text_from_bytes(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _undecodable(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", exc)
    return isinstance(orig, sqlite3.OperationalError) and "could not decode" in str(orig).lower()


def decoded_in_c(session: Session, read: Callable[[], _T]) -> _T:
    """``read()`` — plan-wide reads that can be run again — with SQLite's own UTF-8 decoder in
    place of the tolerant one every connection carries (a Python call per text value: millions
    on a plan of 100,000 releases). Text that is not UTF-8 makes SQLite's decoder refuse;
    ``read()`` then runs again with the tolerant decoder, so a damaged value still reads with
    U+FFFD in place of its bad bytes, as everywhere else. Other databases: ``read()`` as is."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return read()
    raw: Any = connection.connection.driver_connection
    if getattr(raw, "text_factory", None) is not _text_from_bytes:  # nested, or not ours
        return read()
    raw.text_factory = str
    try:
        return read()
    except (sqlite3.OperationalError, DBAPIError) as exc:
        if not _undecodable(exc):
            raise
    finally:
        raw.text_factory = _text_from_bytes
    return read()


def _is_integrity(exc: BaseException) -> bool:
    from sqlalchemy.exc import IntegrityError

    return isinstance(exc, IntegrityError)


# --- opening -----------------------------------------------------------------------------------


def read_only_uri(path: Path) -> str:
    """A URI that reads ``path`` without writing a byte, beside it or in it.

    ``mode=ro`` first: it still sees what a writer left in the write-ahead log, but SQLite
    needs to create the ``-shm`` index to read a WAL plan, which a read-only folder or a full
    disk refuses. Then, only when no write-ahead log holds anything (so nothing would be
    missed), ``immutable=1``: the file is read as it is, with no index and no locks.
    """
    quoted = urllib.parse.quote(str(path))
    ro = f"file:{quoted}?mode=ro"
    try:
        con = sqlite3.connect(ro, uri=True, timeout=2)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return ro
        finally:
            con.close()
    except UnicodeDecodeError:  # bytes flipped in its schema: not text SQLite can read back
        raise PlanError(
            f"{path.name} is damaged (its schema is unreadable); restore it from a backup"
        ) from None
    except sqlite3.Error as exc:
        text = str(exc).lower()
        if not any(w in text for w in ("disk i/o", "unable to open", "readonly", "read-only")):
            raise known_error(exc, path) or PlanError(f"{path.name} cannot be read: {exc}") from exc
        wal = Path(f"{path}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise PlanError(
                f"{path.name} cannot be read here: its latest changes are still in {wal.name}, "
                "and its folder or disk cannot be written to read them; free some space or "
                "open it where it may be written"
            ) from exc
    return f"file:{quoted}?immutable=1"


def _inspect(path: Path) -> tuple[set[str], dict[str, str], str | None]:
    """Tables, plan_meta and schema revision, read without changing a byte of the file."""
    uri = read_only_uri(path)
    try:
        con = sqlite3.connect(uri, uri=True, timeout=2)
    except sqlite3.Error as exc:
        raise known_error(exc, path) or PlanError(f"{path.name} cannot be read: {exc}") from exc
    con.text_factory = _text_from_bytes
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        meta: dict[str, str] = {}
        if "plan_meta" in tables:
            meta = dict(con.execute("SELECT key, value FROM plan_meta").fetchall())
        rev = None
        if "alembic_version" in tables:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
            rev = row[0] if row else None
        return tables, meta, rev
    except sqlite3.Error as exc:
        raise known_error(exc, path) or PlanError(f"{path.name} cannot be read: {exc}") from exc
    except (ValueError, TypeError) as exc:  # a header or catalogue damaged into nonsense
        raise PlanError(
            f"{path.name} is damaged or not a SQLite database; restore it from a backup"
        ) from exc
    finally:
        con.close()


def _check_tables(path: Path, tables: set[str]) -> None:
    """A plan at the current schema holds every table: one dropped by hand is damage, said at
    once (not an empty list of releases later)."""
    from .entities import Base

    missing = sorted(set(Base.metadata.tables) - tables)
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise PlanError(
            f"{path.name} is damaged: its table{'s' if len(missing) > 1 else ''} {shown} "
            f"{'are' if len(missing) > 1 else 'is'} missing; restore it from a backup"
        )


def _check_length(path: Path) -> None:
    """Refuse a plan that was cut short (a copy interrupted, a truncated download).

    SQLite's header records how many pages the file holds. When no write-ahead log is beside it
    (a log may hold pages not yet copied back), a file shorter than that lost its end, and
    reading it would fail somewhere in the middle of a command.
    """
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
        size = path.stat().st_size
    except OSError as exc:
        raise PlanError(f"{path.name} cannot be read: {exc.strerror or exc}") from exc
    if len(header) < 100:
        raise PlanError(f"{path.name} is cut short ({size} bytes); restore it from a backup")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count is trustworthy only when written by a SQLite that also stamped it valid.
    if header[24:28] != header[92:96] or pages == 0:
        return
    if size < pages * page_size:
        raise PlanError(
            f"{path.name} is cut short ({size:,} of {pages * page_size:,} bytes); "
            "restore it from a backup"
        )


def _check_writable(path: Path) -> None:
    st = path.stat()
    if not os.access(path, os.W_OK) or not (
        st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    ):
        raise PlanNotWritable(f"{path.name} is read-only; save a copy elsewhere to work on it")
    folder = path.parent
    fst = folder.stat()
    if not os.access(folder, os.W_OK) or not (
        fst.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    ):
        raise PlanNotWritable(
            f"the folder of {path.name} is read-only, and a plan needs to write its journal beside it"
        )


def backup_path_for(path: Path, revision: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return path.with_name(f"{path.stem}.backup-{revision}-{stamp}{path.suffix}")


def sqlite_copy(src: Path, dst: Path) -> None:
    """A consistent copy of a live plan (WAL included), through SQLite's backup API."""
    s = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    d = sqlite3.connect(dst)
    try:
        s.backup(d)
    finally:
        d.close()
        s.close()


def _upgrade(path: Path, rev: str) -> Path:
    """Back the plan up, then upgrade it in one transaction (SQLite's DDL is transactional).

    A failed upgrade rolls back, so the plan is left as it was; the backup it no longer needs is
    removed again, so retrying never piles up one backup per attempt; and the failure is one line
    naming the revision it stopped at and why.
    """
    backup = backup_path_for(path, rev)
    try:
        sqlite_copy(path, backup)
    except sqlite3.Error as exc:
        with contextlib.suppress(OSError):
            backup.unlink()
        raise known_error(exc, path) or PlanError(
            f"{path.name} could not be backed up before upgrading: {exc}"
        ) from exc
    plan = Plan(path)
    try:
        with plan.write_engine.connect() as conn:
            from alembic import command

            cfg = _alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
    except Exception as exc:  # noqa: BLE001 - any failure of a migration is reported, not raised
        with contextlib.suppress(OSError):
            backup.unlink()
        known = known_error(exc, path)
        if known is not None:
            raise known from exc
        reason = (
            " ".join(str(getattr(exc, "orig", None) or exc).split())[:200] or type(exc).__name__
        )
        raise PlanError(
            f"{path.name} could not be upgraded from schema {rev} to {HEAD}: {reason}; "
            "the plan was left as it was"
        ) from exc
    finally:
        plan.close()
    return backup


def _create(path: Path, *, busy_timeout: float) -> None:
    """Build a new plan in a temporary file beside the target, then move it into place:
    a failure (full disk, say) leaves nothing half-written behind."""
    folder = path.parent
    if not folder.exists():
        raise PlanError(f"the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise PlanError(f"the folder {folder} is read-only; choose another place for the plan")
    remove_stale_temp_files(folder)
    fd, tmpname = tempfile.mkstemp(prefix=temp_prefix(path.name), dir=folder)
    os.close(fd)
    tmp = Path(tmpname)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a plan gets the usual file mode
    try:
        plan = Plan(tmp, busy_timeout=busy_timeout)
        try:
            with plan.write_engine.connect() as conn:
                from alembic import command

                cfg = _alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
            with plan.write() as s:
                s.add(PlanMeta(key="format", value=PLAN_FORMAT))
                s.add(
                    PlanMeta(
                        key="created_at",
                        value=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    )
                )
                defaults.install_default_workflow(s)
        finally:
            plan.close()  # the last connection to close checkpoints the WAL into the file
        os.replace(tmp, path)
    except (OperationalError, DBAPIError) as exc:
        raise known_error(exc, path) or exc from exc
    except OSError as exc:
        raise PlanError(f"{path.name} could not be created: {exc.strerror or exc}") from exc
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink()


def open_plan(
    path: str | os.PathLike[str] | None = None,
    *,
    create: bool = False,
    busy_timeout: float = 5.0,
    read_only: bool = False,
) -> Plan:
    """Open the plan at ``path`` (default: the user's data folder), creating it if asked.

    Refuses, with one line and without touching the file: a folder, a missing file (unless
    ``create``), a file that is not SQLite, a SQLite file that is not a plan, a plan written by
    a newer version, a read-only file, a plan locked by another process. An older plan is
    copied to a backup beside it, then upgraded.

    ``read_only`` opens the plan for reading only, writing nothing (no journal, no index
    file): what a read-only medium or a full disk still allows. An older plan cannot be read
    that way (it would need upgrading first), and a write through it is refused.
    """
    is_default = path is None
    p = Path(path).expanduser() if path is not None else default_plan_path()
    p, st = _locate(p.absolute())
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise PlanError(f"{p} is a folder, not a plan file")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise PlanError(f"{p} is a device, pipe or socket, not a plan file; name a file")
    if st is None or (create and st.st_size == 0):
        if not create:
            raise PlanError(
                f"there is no plan file at {p}; create one with 'relman --plan {p} init'"
            )
        if is_default:
            p.parent.mkdir(parents=True, exist_ok=True)
        _create(p, busy_timeout=busy_timeout)
        plan = Plan(p, busy_timeout=busy_timeout)
        plan.backup_made = None  # type: ignore[attr-defined]
        return plan

    try:
        with p.open("rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise PlanError(f"{p.name} cannot be read: {exc.strerror or exc}") from exc
    if len(header) == 0:
        raise PlanError(f"{p.name} is empty, not a plan file")
    if header != SQLITE_HEADER:
        raise PlanError(f"{p.name} is not a plan file (it is not a SQLite database)")
    _check_length(p)
    tables, meta, rev = _inspect(p)
    if meta.get("format") != PLAN_FORMAT:
        raise PlanError(f"{p.name} is a SQLite database but not a Release Manager plan")
    if rev is None:
        raise PlanError(
            f"{p.name} has no schema version; it was not written by Release Manager Desktop"
        )
    if rev not in _known_revisions():
        raise PlanError(
            f"{p.name} was written by a newer version of Release Manager Desktop (schema {rev}); "
            "upgrade the app to open it"
        )
    if rev == schema_head():
        _check_tables(p, tables)
    if read_only:
        if rev != schema_head():
            raise PlanNotWritable(
                f"{p.name} is from an older version and must be upgraded before it can be read, "
                "which needs it (and its folder) writable"
            )
        plan = Plan(p, busy_timeout=busy_timeout, read_uri=read_only_uri(p))
        plan.backup_made = None  # type: ignore[attr-defined]
        return plan
    _check_writable(p)
    _check_lock(p, busy_timeout)
    backup = None
    if rev != schema_head():
        backup = _upgrade(p, rev)
    plan = Plan(p, busy_timeout=busy_timeout)
    plan.backup_made = backup  # type: ignore[attr-defined]
    return plan


def _locate(p: Path) -> tuple[Path, os.stat_result | None]:
    """The file a plan path names (a symbolic link's target, so a new plan is written through
    the link, not over it) and its status (None when there is no file yet); a path the file
    system cannot hold is one clear line."""
    shown = p.name if len(p.name) <= 60 else p.name[:57] + "…"
    try:
        if p.is_symlink():
            p = Path(os.path.realpath(p))
        return p, p.stat()
    except FileNotFoundError:
        return p, None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise PlanError(
                f"the plan path ({len(str(p))} characters, {shown}) is longer than the file "
                "system allows; choose a shorter name"
            ) from None
        raise PlanError(f"{shown} cannot be opened: {exc.strerror or exc}") from None


def _check_lock(path: Path, busy_timeout: float) -> None:
    """Fail fast, with a clear line, when another process holds the plan's write lock."""
    con = sqlite3.connect(path, timeout=min(busy_timeout, 2.0), isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
    except sqlite3.Error as exc:
        known = known_error(exc, path)
        if "disk i/o" in str(exc).lower():  # a full disk refuses the WAL index
            known = PlanNotWritable(
                f"{path.name} cannot be written: disk I/O error (is the disk full?)"
            )
        elif known is not None and "locked" not in str(known) and "damaged" not in str(known):
            known = PlanNotWritable(str(known))
        raise known or PlanError(f"{path.name} cannot be opened: {exc}") from exc
    finally:
        con.close()


def quick_check(path: Path) -> str:
    """SQLite's ``quick_check`` of a plan file, read-only: "ok", or what is wrong with it."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            con.text_factory = _text_from_bytes
            return str(con.execute("PRAGMA quick_check").fetchone()[0])
        finally:
            con.close()
    except (sqlite3.Error, UnicodeDecodeError) as error:
        return str(error)


def current_revision(plan: Plan) -> str | None:
    with plan.read_engine.connect() as conn:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()


__all__ = [
    "Plan",
    "PlanError",
    "PlanNotWritable",
    "default_plan_path",
    "open_plan",
    "schema_head",
    "current_revision",
]
