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

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from .database import Database, is_server_url, open_database
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


def copy_into(
    source: Database, target: Database, verify: Callable[[Database], list[str]]
) -> CopyResult:
    """Replace everything in ``target`` with ``source``'s rows; ``verify`` (the audit check)
    returns the problems of the copy read inside the transaction (none: it commits)."""
    counts: dict[str, int] = {}
    with source.read() as src, target.write() as dst:
        for table in reversed(_tables()):
            dst.execute(table.delete())
        for table in _tables():
            rows = [dict(r) for r in src.execute(select(table)).mappings()]
            if not rows:
                continue
            self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
            later: list[dict[str, Any]] = []
            if self_refs:  # a parent may come after its child: link them once all are in
                pk = next(iter(table.primary_key.columns)).name
                for row in rows:
                    links = {c: row[c] for c in self_refs if row[c] is not None}
                    if links:
                        later.append({"_pk": row[pk], **links})
                        for c in links:
                            row[c] = None
            dst.execute(insert(table), rows)
            for link in later:
                pk_value = link.pop("_pk")
                pk_col = next(iter(table.primary_key.columns))
                dst.execute(update(table).where(pk_col == pk_value).values(**link))
            counts[table.name] = len(rows)
        dst.flush()
        target.after_bulk_copy(dst, _tables())
        problems = verify(_InTransaction(dst, target))
        if problems:
            raise PlanError(
                f"the copy's audit trail does not verify ({problems[0]}); nothing was copied "
                "(run 'relman audit verify' on the source)"
            )
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
                return copy_into(src, dst, verify)
            finally:
                dst.close()
        return _copy_to_file(src, Path(target).expanduser(), replace=replace, verify=verify)
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
    src: Database, path: Path, *, replace: bool, verify: Callable[[Database], list[str]]
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
            result = copy_into(src, dst, verify)
        finally:
            dst.close()
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink()
    return CopyResult(
        source=result.source, target=str(path), rows=result.rows, audit_events=result.audit_events
    )


__all__ = ["CopyResult", "copy_into", "copy_plan", "holds_records"]
