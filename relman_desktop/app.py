"""``relman-desktop [PLAN]``: the QApplication and the main window.

With no PLAN the default plan in the user's data folder opens; on the very first start (no
default plan yet) the window shows its welcome page instead. A plan that cannot be opened is
explained inside the window. Before Qt starts, a machine without the X libraries Qt needs gets
one line naming them (``display_check``), not Qt's abort. The log goes to the platform's log
folder (``logging_setup``); an unexpected error is logged and shown in a non-modal dialog
(``views/shell/crash_dialog.py``), never as a crash to the desktop.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

APP_NAME = "relman-desktop"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="relman-desktop", description="Release Manager Desktop")
    parser.add_argument(
        "plan", nargs="?", metavar="PLAN", help="the plan file to open (default: your plan)"
    )
    parser.add_argument(
        "--version",
        action="store_true",
        help="print the versions, the plan's schema, where the log and backups are",
    )
    args, _qt_args = parser.parse_known_args(list(argv))
    return args


def build_window(plan: str | None = None, *, app: QApplication | None = None) -> Any:
    """The main window on ``plan`` (or the default plan / welcome page), themed and shown."""
    from relman_desktop.views.shell.main_window import MainWindow
    from relman_desktop.views.shell.settings import Settings
    from relman_desktop.views.shell.theme import apply_theme

    app = app or QApplication.instance()  # type: ignore[assignment]
    settings = Settings()
    if isinstance(app, QApplication):
        apply_theme(app, settings.theme, settings.text_size_delta)
    window = MainWindow(settings=settings)
    window.start(plan)
    return window


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    args = parse_args(argv[1:])
    if args.version:  # no display needed
        from relman_desktop.cli import main as relman

        return relman([*(["--plan", args.plan] if args.plan else []), "version"])
    from relman_desktop import display_check
    from relman_desktop.logging_setup import setup_logging

    problem = display_check.check()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    log_path = setup_logging()
    log = logging.getLogger("relman_desktop.app")
    log.info("starting (plan: %s)", args.plan or "default")
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    app = QApplication.instance() or QApplication(argv)
    QApplication.setApplicationDisplayName("Release Manager Desktop")
    from relman_desktop.views.shell import crash_dialog
    from relman_desktop.views.shell.about_dialog import facts_for, facts_text

    reporter = crash_dialog.install(None, log_path)  # errors while the first plan opens, too
    window = build_window(args.plan, app=app)  # type: ignore[arg-type]
    reporter.window = window
    reporter.facts = lambda: facts_text(facts_for(window.store.plan_path))
    window.show()
    code = app.exec()
    window.store.close_plan(announce=False)
    log.info("quit (status %s)", code)
    return int(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
