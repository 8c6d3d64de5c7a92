"""Write an exported file so that the user never finds half a document, and never loses a plan.

Every file the app writes outside the plan itself — each export, a screenshot, Save a Copy,
Back Up Now — goes through ``write_atomically``. The writer fills a temporary file beside the
target (same folder, so the final ``os.replace`` is atomic on one file system); the file is
checked (not empty, complete for its format, flushed to disk) before it takes the target's
name. So a kill, a full disk or a writer that fails half-way leaves the old file as it was.

What it refuses, with one clear ``ServiceError`` line and nothing written:

- the open plan, or its ``-wal``/``-shm``/``-journal`` companions (compared with
  ``os.path.samefile``, so a hard link or another spelling of the path is caught too), and
  for an export (``allow_plan_files=False``) any existing plan or SQLite database;
- anything that is not a regular file: a folder, a device, a FIFO, a socket;
- a missing or read-only folder, a name the file system cannot hold, a target another program
  holds open (Excel and Word lock their files on Windows).

A symbolic link is written through: its target is replaced, the link stays a link.
Temporary files are named ``.NAME.relman-tmp-PID-XXXX``; those whose process is gone (killed
mid-write) are removed the next time anything is written into that folder.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import os
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from relman_desktop.models.planfile import SQLITE_HEADER, open_plan_paths
from relman_desktop.models.tempfiles import remove_stale_temp_files, temp_prefix
from relman_desktop.services.base import ServiceError


class ExportCancelled(ServiceError):
    """The user cancelled the export; nothing was written."""


_PLAN_COMPANIONS = ("", "-wal", "-shm", "-journal")
_KIND = {
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
}


def write_atomically(
    target: str | os.PathLike[str],
    write: Callable[[Path], object],
    *,
    cancelled: Callable[[], bool] | None = None,
    protect: Iterable[str | os.PathLike[str]] = (),
    allow_plan_files: bool = False,
    complete: Callable[[Path], bool] | bool = False,
) -> Path:
    """Call ``write(temp_path)`` and move the finished file to ``target``; return the target.

    ``protect`` names plan files that must not be replaced, besides every plan this process
    has open. ``allow_plan_files`` lets a plan copy replace another (closed) plan file.
    ``complete`` says whether the written file is whole: a function of the file, or ``True``
    to check it by its extension (a Qt writer that fails half-way, on a full disk, may report
    nothing, so the file itself is checked: a PDF ends with ``%%EOF``, a PNG with its ``IEND``
    chunk, an SVG with ``</svg>``). Any file must be non-empty. ``write`` may return
    ``False`` to say it failed. ``cancelled`` is asked before and after writing: when it
    answers true the temporary file is removed and ``ExportCancelled`` raised.
    """
    path = Path(target).expanduser()
    name = path.name or str(path)
    real = _through_links(path, name)
    folder = real.parent
    try:
        if not folder.is_dir():
            raise ServiceError(f"cannot write {name}: the folder {path.parent} does not exist")
    except OSError as exc:
        raise ServiceError(f"cannot write {name}: {_reason(exc)}") from None
    plans = [Path(p) for p in protect] + open_plan_paths()
    _refuse_unsafe_target(real, name, plans, allow_plan_files=allow_plan_files)
    remove_stale_temp_files(folder)
    try:
        fd, tmpname = tempfile.mkstemp(prefix=temp_prefix(real.name), dir=folder)
    except PermissionError:
        raise ServiceError(f"cannot write {name}: the folder {folder} is read-only") from None
    except OSError as exc:
        raise ServiceError(f"cannot write {name}: {_reason(exc)}") from None
    os.close(fd)
    tmp = Path(tmpname)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; an export gets the usual mode
        if cancelled is not None and cancelled():
            raise ExportCancelled("export cancelled: nothing was written")
        if write(tmp) is False:
            raise ServiceError(
                f"cannot write {name}: the writer failed (is the disk full?); "
                "nothing was written and any earlier file was kept"
            )
        if cancelled is not None and cancelled():
            raise ExportCancelled("export cancelled: nothing was written")
        _check_complete(tmp, real, name, complete)
        _refuse_unsafe_target(real, name, plans, allow_plan_files=allow_plan_files)
        try:
            os.replace(tmp, real)
        except PermissionError:
            raise ServiceError(
                f"cannot write {name}: the file is open in another program or read-only; "
                "close it and try again"
            ) from None
        except OSError as exc:
            raise ServiceError(f"cannot write {name}: {_reason(exc)}") from None
        _sync_folder(folder)
    except OSError as exc:  # from the writer: a full disk, a vanished folder
        raise ServiceError(
            f"cannot write {name}: {_reason(exc)}; nothing was written and any earlier file was kept"
        ) from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with contextlib.suppress(OSError):
                leftover.unlink()
    return path


def in_memory(save: Callable[[IO[bytes]], object]) -> Callable[[Path], None]:
    """A writer for ``write_atomically`` that builds the file in memory, then writes it in one
    go. For the zip-based documents (python-docx, openpyxl): a full disk then fails in one plain
    write, said as such, and never inside the library's zip or XML writer, which raises its own
    errors (lxml's ``SerialisationError``) and leaves a half-written archive whose collection
    prints a traceback after the command has said what went wrong."""

    def write(tmp: Path) -> None:
        buffer = io.BytesIO()
        save(buffer)
        tmp.write_bytes(buffer.getbuffer())

    return write


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return "the disk is full"
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is longer than the file system allows"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "the folder or file is read-only"
    return str(exc.strerror or exc)


def _through_links(path: Path, name: str) -> Path:
    """The file that will really be replaced: a symbolic link's target (written through)."""
    try:
        if path.is_symlink():
            return Path(os.path.realpath(path))
        return path.absolute()
    except OSError as exc:  # a name too long, a loop of links
        raise ServiceError(f"cannot write {name}: {_reason(exc)}") from None


@functools.lru_cache(maxsize=256)
def _plan_real(plan: str) -> str:
    return os.path.realpath(plan)


def _refuse_unsafe_target(
    real: Path, name: str, plans: list[Path], *, allow_plan_files: bool
) -> None:
    target = os.path.realpath(real)  # another spelling, or a link to the plan, ends here
    try:
        found = os.stat(target)
        target_id: tuple[int, int] | None = (found.st_dev, found.st_ino)
    except OSError:
        target_id = None
    for plan in plans:
        base = _plan_real(str(plan))
        for suffix in _PLAN_COMPANIONS:
            companion = f"{base}{suffix}"
            same = target == companion
            if not same and target_id is not None:  # a hard link has another name
                try:
                    st = os.stat(companion)
                    same = (st.st_dev, st.st_ino) == target_id
                except OSError:
                    same = False
            if same:
                what = "the open plan" if not suffix else f"the open plan's {suffix[1:]} file"
                raise ServiceError(
                    f"cannot write {name}: it is {what} ({plan.name}); choose another file name"
                )
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ServiceError(f"cannot write {name}: {_reason(exc)}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = _KIND.get(stat.S_IFMT(st.st_mode), "not a regular file")
        raise ServiceError(f"cannot write {name}: it is {kind}, not a file; choose a file name")
    if allow_plan_files:
        return
    if _is_sqlite(real):
        raise ServiceError(
            f"cannot write {name}: it is a plan (a SQLite database) and an export would "
            "replace it; choose another file name"
        )
    for suffix in _PLAN_COMPANIONS[1:]:  # a plan another process has open keeps these beside it
        if real.name.endswith(suffix) and _is_sqlite(real.with_name(real.name[: -len(suffix)])):
            raise ServiceError(
                f"cannot write {name}: it is the {suffix[1:]} file of the plan "
                f"{real.name[: -len(suffix)]}; choose another file name"
            )


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False  # missing or unreadable: the replace below says what is wrong


def _looks_complete(tmp: Path, suffix: str) -> bool:
    """Whether a written file is whole for its format: each of these ends with a marker that a
    writer stopped half-way (a full disk, a failed flush) never wrote."""
    size = tmp.stat().st_size
    with open(tmp, "rb") as fh:
        fh.seek(max(0, size - 1024))
        tail = fh.read()
    if suffix == ".pdf":
        return b"%%EOF" in tail
    if suffix == ".png":
        return tail.endswith(b"IEND\xaeB`\x82")
    if suffix == ".svg":
        return b"</svg>" in tail
    if suffix == ".ics":
        return tail.rstrip().endswith(b"END:VCALENDAR")
    if suffix in (".docx", ".xlsx", ".zip"):
        try:
            with zipfile.ZipFile(tmp) as archive:  # reads the central directory, at the end
                return bool(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return False
    if suffix == ".relman":
        with open(tmp, "rb") as fh:
            return fh.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    return True


def _check_complete(
    tmp: Path, real: Path, name: str, complete: Callable[[Path], bool] | bool
) -> None:
    if tmp.stat().st_size == 0:
        raise ServiceError(
            f"cannot write {name}: nothing was written (is the disk full?); "
            "any earlier file was kept"
        )
    if callable(complete):
        whole = complete(tmp)
    else:
        whole = not complete or _looks_complete(tmp, real.suffix.lower())
    if not whole:
        raise ServiceError(
            f"cannot write {name}: the file came out incomplete (is the disk full?); "
            "any earlier file was kept"
        )
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the platform lets a folder be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
