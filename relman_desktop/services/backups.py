"""Backups of a plan: taken on open, every N minutes of editing and on request, kept in the
backup folder, pruned, listed, and restored into a new file.

Each plan has its own folder under the backup root (``<data folder>/backups``), named after the
plan and a short hash of its full path, so two plans called ``plan.relman`` never mix. A backup
is a consistent copy made with SQLite's online backup API (``models.plancopy``) while the app
or another process goes on writing. Automatic backups are pruned: the newest ``keep`` (default
10) stay, and so does the newest of each of the last seven days; backups taken by hand
(File > Back Up Now, ``relman backup``) are never pruned. A restore writes a NEW file and
never replaces one, so the open plan is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from relman_desktop.models.plancopy import copy_plan, peek_plan
from relman_desktop.models.planfile import APP_NAME, PLAN_SUFFIX, PlanError, schema_head
from relman_desktop.services.base import ServiceError

DEFAULT_KEEP = 10
DEFAULT_INTERVAL_MINUTES = 30
DAILY_DAYS = 7
REASONS = ("open", "auto", "manual")  # why a backup was taken; only "manual" is never pruned
_NAME = re.compile(
    r"^(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?-(?P<reason>[a-z]+)" + re.escape(PLAN_SUFFIX) + "$"
)


class BackupError(ServiceError):
    """A backup or restore that could not be done; one line, and nothing was written."""


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: dt.datetime  # local time, to the second
    reason: str
    size: int
    releases: int | None = None  # None until counted (``list_backups(count=True)``)
    revision: str | None = None
    problem: str | None = None  # why it cannot be restored (damaged, newer schema), if known


def backup_root() -> Path:
    """Where backups go: ``backups`` in the user's data folder (``RELMAN_BACKUP_DIR`` overrides)."""
    override = os.environ.get("RELMAN_BACKUP_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "backups"


def backup_folder(plan_path: Path, root: Path | None = None) -> Path:
    """The folder holding the backups of the plan at ``plan_path``."""
    full = str(Path(plan_path).expanduser().absolute())
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    return (root or backup_root()) / f"{Path(full).stem}-{digest}"


def _parse(path: Path) -> Backup | None:
    m = _NAME.match(path.name)
    if not m or not path.is_file():
        return None
    taken = dt.datetime.strptime(m["stamp"], "%Y%m%d-%H%M%S")
    return Backup(path, taken, m["reason"], path.stat().st_size)


def list_backups(plan_path: Path, *, root: Path | None = None, count: bool = False) -> list[Backup]:
    """The plan's backups, newest first; with ``count`` each is opened (read-only) to count its
    releases and check it can be restored."""
    folder = backup_folder(plan_path, root)
    if not folder.is_dir():
        return []
    found = [b for p in folder.iterdir() if (b := _parse(p)) is not None]
    # names carry the second; within one second the file's own time orders them
    found.sort(key=lambda b: (b.taken_at, b.path.stat().st_mtime_ns, b.path.name), reverse=True)
    if count:
        found = [_counted(b) for b in found]
    return found


def _counted(b: Backup) -> Backup:
    try:
        peek = peek_plan(b.path)
    except PlanError as exc:
        return Backup(b.path, b.taken_at, b.reason, b.size, None, None, str(exc))
    problem = None if peek.known else _newer(b.path.name, peek.revision)
    return Backup(b.path, b.taken_at, b.reason, b.size, peek.releases, peek.revision, problem)


def _newer(name: str, revision: str | None) -> str:
    return (
        f"{name} was made by a newer version of Release Manager Desktop (schema {revision}, "
        f"this version knows up to {schema_head()}); upgrade the app to restore it"
    )


def take_backup(
    plan_path: Path,
    *,
    reason: str = "manual",
    root: Path | None = None,
    keep: int = DEFAULT_KEEP,
    now: dt.datetime | None = None,
) -> Backup:
    """A consistent copy of the plan into its backup folder, then prune the automatic ones.

    A read-only or full backup folder raises ``BackupError`` with one line; the plan itself is
    only read.
    """
    if reason not in REASONS:
        raise BackupError(f"unknown backup reason {reason!r}; one of {', '.join(REASONS)}")
    plan_path = Path(plan_path).expanduser().absolute()
    if not plan_path.is_file():
        raise BackupError(f"there is no plan file at {plan_path}")
    try:
        peek_plan(plan_path)  # a plan, readable: never fill the backup folder with other files
    except PlanError as exc:
        raise BackupError(f"no backup was taken: {exc}") from None
    folder = backup_folder(plan_path, root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except PermissionError:
        raise BackupError(
            f"the backup folder {folder} cannot be created: its parent is read-only"
        ) from None
    except OSError as exc:
        raise BackupError(
            f"the backup folder {folder} cannot be created: {exc.strerror or exc}"
        ) from None
    if not os.access(folder, os.W_OK):
        raise BackupError(f"the backup folder {folder} is read-only; no backup was taken")
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = folder / f"{stamp}-{reason}{PLAN_SUFFIX}"
    n = 1
    while target.exists():  # two backups in one second
        n += 1
        target = folder / f"{stamp}-{n}-{reason}{PLAN_SUFFIX}"
    try:
        copy_plan(plan_path, target)
    except PlanError as exc:
        raise BackupError(f"no backup was taken: {exc}") from None
    backup = _parse(target)
    assert backup is not None
    prune(plan_path, root=root, keep=keep, now=now)
    return _counted(backup)


def prune(
    plan_path: Path,
    *,
    root: Path | None = None,
    keep: int = DEFAULT_KEEP,
    now: dt.datetime | None = None,
) -> list[Path]:
    """Delete the automatic backups that are neither among the newest ``keep`` nor the newest of
    one of the last ``DAILY_DAYS`` days; answer what was deleted. Manual backups stay."""
    now = now or dt.datetime.now()
    autos = [b for b in list_backups(plan_path, root=root) if b.reason != "manual"]  # newest first
    kept = {b.path for b in autos[: max(keep, 1)]}
    first_day = now.date() - dt.timedelta(days=DAILY_DAYS - 1)
    days_seen: set[dt.date] = set()
    for b in autos:
        day = b.taken_at.date()
        if day >= first_day and day not in days_seen:
            days_seen.add(day)
            kept.add(b.path)
    removed = []
    for b in autos:
        if b.path not in kept:
            try:
                b.path.unlink()
            except OSError:
                continue  # a read-only folder keeps its backups; the next prune tries again
            removed.append(b.path)
    return removed


def check_restorable(backup: Path) -> Backup:
    """Refuse, with one line, a backup that is missing, damaged, not a plan or from a newer
    version; answer what it holds."""
    backup = Path(backup).expanduser().absolute()
    if not backup.is_file():
        raise BackupError(f"there is no backup file at {backup}")
    try:
        peek = peek_plan(backup, check_integrity=True)
    except PlanError as exc:
        raise BackupError(f"cannot restore: {exc}") from None
    if not peek.known:
        raise BackupError(f"cannot restore: {_newer(backup.name, peek.revision)}")
    parsed = _parse(backup)
    taken = (
        parsed.taken_at
        if parsed
        else dt.datetime.fromtimestamp(backup.stat().st_mtime).replace(microsecond=0)
    )
    return Backup(
        backup,
        taken,
        parsed.reason if parsed else "file",
        backup.stat().st_size,
        peek.releases,
        peek.revision,
    )


def restore(backup: Path, new_file: Path) -> Path:
    """Copy ``backup`` into ``new_file``, which must not exist (the open plan, or any other
    file, is never replaced). The copy opens with ``open_plan`` like any plan (an older one is
    upgraded there)."""
    info = check_restorable(backup)
    target = Path(new_file).expanduser().absolute()
    if target.exists():
        raise BackupError(
            f"{target.name} already exists; restore into a new file (nothing was written)"
        )
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK):
        raise BackupError(f"the folder {target.parent} is read-only; restore into another folder")
    try:
        copy_plan(info.path, target)
    except PlanError as exc:
        raise BackupError(f"cannot restore: {exc}") from None
    return target
