"""Write an exported file so that the user never finds half a document.

The writer fills a temporary file beside the target (same folder, so the final
``os.replace`` is atomic on one file system); only a complete file takes the target's name.
A missing folder, a read-only folder, or a target that another program holds open
(Excel and Word lock their files on Windows) end in one clear ``ServiceError`` line, and a
cancelled export leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from relman_desktop.services.base import ServiceError


class ExportCancelled(ServiceError):
    """The user cancelled the export; nothing was written."""


def write_atomically(
    target: str | os.PathLike[str],
    write: Callable[[Path], object],
    *,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Call ``write(temp_path)`` and move the finished file to ``target``; return the target.

    ``cancelled`` is asked before the file takes its name (writers may ask it too, between
    steps): when it answers true the temporary file is removed and ``ExportCancelled`` raised.
    """
    path = Path(target).expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    name = path.name
    if not folder.is_dir():
        raise ServiceError(f"cannot write {name}: the folder {folder} does not exist")
    if path.is_dir():
        raise ServiceError(f"cannot write {path}: it is a folder")
    try:
        fd, tmpname = tempfile.mkstemp(
            prefix=f".~{path.stem}-", suffix=f"{path.suffix}.part", dir=folder
        )
    except PermissionError:
        raise ServiceError(f"cannot write {name}: the folder {folder} is read-only") from None
    except OSError as exc:
        raise ServiceError(f"cannot write {name}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(tmpname)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; an export gets the usual mode
        if cancelled is not None and cancelled():
            raise ExportCancelled("export cancelled: nothing was written")
        write(tmp)
        if cancelled is not None and cancelled():
            raise ExportCancelled("export cancelled: nothing was written")
        try:
            os.replace(tmp, path)
        except PermissionError:
            raise ServiceError(
                f"cannot write {name}: the file is open in another program or read-only; "
                "close it and try again"
            ) from None
        except OSError as exc:
            raise ServiceError(f"cannot write {name}: {exc.strerror or exc}") from None
    except OSError as exc:  # from the writer: a full disk, a vanished folder
        raise ServiceError(f"cannot write {name}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return path
