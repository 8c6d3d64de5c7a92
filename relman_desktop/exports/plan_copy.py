"""File > Save a Copy As and Back Up Now: a consistent copy of the open plan, written like
every export (``safe_write``), so it never lands on the open plan, its journal files, a device
or a folder, and a failure leaves any earlier copy as it was."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from relman_desktop.models.database import Database
from relman_desktop.models.planfile import known_error, sqlite_copy
from relman_desktop.services.base import ServiceError

from .safe_write import write_atomically


def save_copy(plan: Database, dest: str | os.PathLike[str]) -> Path:
    """Copy the open plan (WAL included, through SQLite's backup API) to ``dest``; a copy may
    replace an older copy, never the plan itself. A server plan is copied row by row into a new
    plan file, its audit chain verified (``models.transfer``)."""
    name = Path(dest).name

    def copy(tmp: Path) -> None:
        if plan.path is None:
            _copy_from_server(plan, tmp)
            return
        try:
            sqlite_copy(plan.path, tmp)
        except sqlite3.Error as exc:
            known = known_error(exc, name)
            raise ServiceError(
                str(known) if known else f"{name} could not be written: {exc}"
            ) from exc

    target = write_atomically(
        dest,
        copy,
        protect=[p for p in (plan.path,) if p is not None],
        allow_plan_files=True,
        complete=True,
    )
    return target.absolute()


def _copy_from_server(plan: Database, tmp: Path) -> None:
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.models.transfer import copy_into
    from relman_desktop.services import audit
    from relman_desktop.services.base import Ctx

    target = open_plan(tmp, create=True)
    try:
        copy_into(plan, target, lambda copy: audit.verify(Ctx(copy)).problems)
    finally:
        target.close()
