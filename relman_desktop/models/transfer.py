"""``relman plan copy``: a whole plan from one ``Database`` into another (file → server, server →
file, file → file, server → server).

Every table of the schema is copied row by row, ids included (releases, CAB meetings, the audit
trail, baselines, guard overrides, settings in ``plan_meta``), in one write transaction on the
target, in foreign-key order. Before it commits, the copy's audit chain is verified inside that
same transaction: a copy whose chain does not verify is rolled back, so the target is never
left half-written or holding a trail that does not prove itself.

A file target is built in a temporary file beside it and moved into place only when complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .database import Database, integrity_problem, is_server_url, open_database
from .entities import Base
from .planfile import PlanError

# what a freshly initialised plan already holds: its workflow and its own settings
_INIT_TABLES = {"plan_meta", "workflow_states", "workflow_transitions"}


@dataclass(frozen=True)
class CopyResult:
    source: str
    target: str
    rows: dict[str, int]  # per table, the rows copied (tables with none left out)
    audit_events: int


def _tables() -> list[Table]:
    return list(Base.metadata.sorted_tables)


def holds_records(plan: Database) -> bool:
    """True when the plan holds anything beyond what ``init`` puts in a new plan."""
    with plan.read() as s:
        for table in _tables():
            if table.name in _INIT_TABLES:
                continue
            if s.execute(select(func.count()).select_from(table)).scalar_one():
                return True
    return False


class _InTransaction(Database):
    """The target's open write session, seen as a plan: the audit check reads the copy before
    it is committed."""

    def __init__(self, session: Session, base: Database) -> None:
        self._session = session
        self._base = base

    @property
    def location(self) -> str:
        return self._base.location

    @property
    def display_name(self) -> str:
        return self._base.display_name

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        yield self._session

    def close(self) -> None:
        pass


#: rows read from the source at a time (a server source streams them through a server-side
#: cursor): memory stays flat however large the plan
_CHUNK = 5000

Progress = Callable[[int, int], None]


def copy_into(
    source: Database,
    target: Database,
    verify: Callable[[Database], list[str]],
    progress: Progress | None = None,
) -> CopyResult:
    """Replace everything in ``target`` with ``source``'s rows; ``verify`` (the audit check)
    returns the problems of the copy read inside the transaction (none: it commits).

    Rows are streamed table by table, each value turned from what the source's engine stored
    into what the target's stores (the columns' own type conversions, so a copy reads back as
    the original did), and written with the target's bulk path (``Database.bulk_insert``:
    ``COPY`` on a server, ``executemany`` into a file). ``progress(done, total)`` is called
    every few thousand rows."""
    counts: dict[str, int] = {}
    tables = _tables()
    writing = ""  # the table being written: what a refused row is named by
    try:
        with source.read() as src, target.bulk_write() as dst:
            source.consistent_read(src)  # every table as of one instant, while others write
            totals = {
                t.name: src.execute(select(func.count()).select_from(t)).scalar_one()
                for t in tables
            }
            total = sum(totals.values())
            done = 0
            for table in reversed(tables):
                dst.execute(table.delete())
            dialect = dst.connection().dialect
            for table in tables:
                writing = table.name
                if not totals[table.name]:
                    continue
                columns = list(table.columns)
                procs = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
                pk = next(iter(table.primary_key.columns))
                pk_at = columns.index(pk)
                # a parent may come after its child (a release's parent_id): a link to a row not
                # yet written is left empty and set once all rows are in
                self_refs = [
                    columns.index(fk.parent)
                    for fk in table.foreign_keys
                    if fk.column.table is table
                ]
                seen: set[Any] = set()
                later: list[tuple[str, Any, Any]] = []

                def rows(
                    table: Table = table,
                    procs: list[Any] = procs,
                    self_refs: list[int] = self_refs,
                    seen: set[Any] = seen,
                    later: list[tuple[str, Any, Any]] = later,
                    pk_at: int = pk_at,
                ) -> Iterator[tuple[Any, ...]]:
                    nonlocal done
                    result = src.execute(select(table).execution_options(yield_per=_CHUNK))
                    converting = [(i, f) for i, f in enumerate(procs) if f is not None]
                    for row in result:
                        values = list(row)
                        for i in self_refs:
                            if values[i] is not None and values[i] not in seen:
                                later.append((table.columns[i].name, values[pk_at], values[i]))
                                values[i] = None
                        if self_refs:
                            seen.add(values[pk_at])
                        for i, f in converting:
                            values[i] = f(values[i])
                        yield tuple(values)
                        done += 1
                        if progress is not None and done % _CHUNK == 0:
                            progress(done, total)

                names = [c.name for c in columns]
                counts[table.name] = target.bulk_insert(dst, table, names, rows())
                for name, pk_value, link in later:
                    dst.execute(update(table).where(pk == pk_value).values({name: link}))
                if progress is not None:
                    progress(done, total)
            dst.flush()
            target.after_bulk_copy(dst, tables)
            problems = verify(_InTransaction(dst, target))
            if problems:
                raise PlanError(
                    f"the copy's audit trail does not verify ({problems[0]}); nothing was copied "
                    "(run 'relman audit verify' on the source)"
                )
    except IntegrityError as exc:  # a server refusing a row of a damaged source
        kind, detail = integrity_problem(exc)
        what = (
            "names a missing record"
            if kind == "foreign_key"
            else f"breaks a {(kind or 'data').replace('_', ' ')} rule"
        )
        raise PlanError(
            f"a row of {writing} in {source.display_name} {what} ({detail}); nothing was copied"
        ) from exc

    return CopyResult(
        source=source.location,
        target=target.location,
        rows=counts,
        audit_events=counts.get("audit_events", 0),
    )


def copy_plan(
    source: str,
    target: str,
    *,
    replace: bool = False,
    verify: Callable[[Database], list[str]],
    progress: Progress | None = None,
) -> CopyResult:
    """Copy the plan ``source`` names to ``target`` (a file path or a server URL).

    Refuses, with one line and nothing written: a source that is not a plan, a target that is
    the source, a target holding records (unless ``replace``), and a target that cannot be
    made a plan (a file that is something else, a database holding other tables).
    """
    if _same(source, target):
        raise PlanError("the source and the target are the same plan; name another target")
    src = open_database(_where(source), read_only=False)
    try:
        if is_server_url(target):
            dst = open_database(target, create=True)
            try:
                if holds_records(dst) and not replace:
                    raise PlanError(
                        f"{dst.location} already holds a plan with records; add --replace to "
                        "overwrite it (nothing was copied)"
                    )
                return copy_into(src, dst, verify, progress)
            finally:
                dst.close()
        return _copy_to_file(
            src, Path(target).expanduser(), replace=replace, verify=verify, progress=progress
        )
    finally:
        src.close()


def _where(target: str) -> str | Path:
    return target if is_server_url(target) else Path(target).expanduser()


def _same(a: str, b: str) -> bool:
    if is_server_url(a) or is_server_url(b):
        return a.strip() == b.strip()
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except OSError:
        return False


def _copy_to_file(
    src: Database,
    path: Path,
    *,
    replace: bool,
    verify: Callable[[Database], list[str]],
    progress: Progress | None = None,
) -> CopyResult:
    from .tempfiles import temp_prefix

    if path.exists():
        existing = open_database(path)  # refuses, in one line, a file that is not a plan
        try:
            if holds_records(existing) and not replace:
                raise PlanError(
                    f"{path.name} already holds a plan with records; add --replace to "
                    "overwrite it (nothing was copied)"
                )
        finally:
            existing.close()
    folder = path.parent
    if not folder.is_dir():
        raise PlanError(f"the folder {folder} does not exist")
    fd, name = tempfile.mkstemp(prefix=temp_prefix(path.name), dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        dst = open_database(tmp, create=True)
        try:
            result = copy_into(src, dst, verify, progress)
        finally:
            dst.close()
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink()
    # the target as the source is named: its full path (the source's ``location``)
    return CopyResult(
        source=result.source,
        target=str(path.resolve()),
        rows=result.rows,
        audit_events=result.audit_events,
    )


__all__ = ["CopyResult", "copy_into", "copy_plan", "holds_records"]
