"""Names for the temporary files written beside a target, and the sweep that removes those a
killed process left behind.

A temporary file is ``.NAME.relman-tmp-PID-XXXX``: recognisable, hidden, and carrying the id of
the process writing it, so a later run removes it only once that process is gone (a long
export running in another process keeps its file).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

TEMP_MARK = ".relman-tmp-"
_TEMP_RE = re.compile(r"^\..*\.relman-tmp-(\d+)-.*$")


def temp_prefix(name: str) -> str:
    """The ``prefix`` for ``tempfile.mkstemp`` of a file that will become ``name``."""
    return f".{name[:80]}{TEMP_MARK}{os.getpid()}-"


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: leave its files alone
    return True


def remove_stale_temp_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files (and their SQLite journals) of processes that are gone."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if m is None or _process_alive(int(m.group(1))):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed
