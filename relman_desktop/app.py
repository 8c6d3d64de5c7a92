"""``relman-desktop [PLAN]``: the QApplication and the main window.

With no PLAN the default plan in the user's data folder opens; on the very first start (no
default plan yet) the window shows its welcome page instead. A plan that cannot be opened is
explained inside the window; an unexpected error is reported in the status bar and on stderr,
never as a crash to the desktop.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

APP_NAME = "relman-desktop"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="relman-desktop", description="Release Manager Desktop")
    parser.add_argument("plan", nargs="?", metavar="PLAN", help="the plan file to open (default: your plan)")
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


def _install_excepthook(window: Any) -> None:
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        traceback.print_exception(kind, exc, tb)
        try:
            window.statusBar().showMessage(f"⚠ Internal error (please report it): {kind.__name__}: {exc}", 30000)
        except RuntimeError:
            pass

    sys.excepthook = hook


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    args = parse_args(argv[1:])
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    app = QApplication.instance() or QApplication(argv)
    QApplication.setApplicationDisplayName("Release Manager Desktop")
    window = build_window(args.plan, app=app)  # type: ignore[arg-type]
    _install_excepthook(window)
    window.show()
    code = app.exec()
    window.store.close_plan(announce=False)
    return int(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
