"""The app's log: a rotating file in the platform's log folder (platformdirs), with Python's
``faulthandler`` writing a hard crash's stack (a segfault in Qt, say) to a file beside it.

``setup_logging()`` is called once at start by ``relman-desktop``; a log folder that cannot be
written falls back to stderr, so logging never stops the app from starting. No Qt here.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import IO

APP_NAME = "relman-desktop"
LOGGER = "relman_desktop"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5

_fault_file: IO[str] | None = None  # faulthandler writes to it until the process ends


def log_dir() -> Path:
    """The platform's log folder (``RELMAN_LOG_DIR`` overrides, for tests and portable use)."""
    override = os.environ.get("RELMAN_LOG_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def log_file() -> Path:
    return log_dir() / f"{APP_NAME}.log"


def crash_file() -> Path:
    return log_dir() / "crash.log"


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Log the app's ``relman_desktop`` loggers to the rotating log file; enable faulthandler
    into the crash file. Answers the log file, or None when only stderr could be used."""
    global _fault_file
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    for old in list(logger.handlers):  # called again (tests, a second window): start afresh
        if getattr(old, "_relman", False):
            logger.removeHandler(old)
            old.close()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    target = log_file()
    path: Path | None = target
    handler: logging.Handler
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            target, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
        )
    except OSError as exc:
        print(
            f"relman-desktop: cannot write the log in {target.parent} ({exc.strerror or exc}); "
            "logging to stderr",
            file=sys.stderr,
        )
        handler, path = logging.StreamHandler(sys.stderr), None
    handler.setFormatter(fmt)
    setattr(handler, "_relman", True)  # noqa: B010 - marks the handlers this module added
    logger.addHandler(handler)
    if path is not None:
        try:
            if _fault_file is not None:
                _fault_file.close()
            _fault_file = open(crash_file(), "a", encoding="utf-8")  # noqa: SIM115 - open for life
            faulthandler.enable(file=_fault_file, all_threads=True)
        except OSError:
            faulthandler.enable()  # to stderr
    return path
