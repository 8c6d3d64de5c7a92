"""An unexpected error in the GUI: logged with its traceback, then shown in a non-modal dialog
with what happened in one line, where the log is, and a "Copy details" button; the app goes on.

``install(window)`` makes this the ``sys.excepthook``. PySide6 reports an exception raised in a
slot or an overridden virtual method through ``sys.excepthook`` too, so one hook sees them all.
Every edit is saved when it is made, so an error in one slot loses nothing already done.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger("relman_desktop.crash")


def one_line(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    """``ZeroDivisionError: division by zero (in on_click, release_editor.py:120)``."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    where = ""
    frames = traceback.extract_tb(tb) if tb is not None else []
    if frames:
        last = frames[-1]
        where = f" (in {last.name}, {Path(last.filename).name}:{last.lineno})"
    return f"{kind.__name__}{': ' + text if text else ''}{where}"


class CrashDialog(QDialog):
    """Non-modal: the window behind it stays usable. A second error while it is open is added
    to it rather than stacking another dialog."""

    def __init__(self, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crash_dialog")
        self.setWindowTitle("Something went wrong")
        self.setModal(False)
        self.count = 0
        self.summary = QLabel()
        self.summary.setObjectName("crash_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where = (
            str(log_path) if log_path else "standard error (the log folder could not be written)"
        )
        self.log_label = QLabel(f"The details are in the log: {where}")
        self.log_label.setObjectName("crash_log_path")
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        reassure = QLabel(
            "Your plan is safe: every finished edit was saved when you made it, and open forms keep "
            "what you typed. You can go on working; "
            "please send the details to whoever looks after the app."
        )
        reassure.setWordWrap(True)
        self.details = QPlainTextEdit()
        self.details.setObjectName("crash_details")
        self.details.setReadOnly(True)
        self.details.setMinimumHeight(160)
        buttons = QDialogButtonBox()
        self.copy_button = QPushButton("Copy details")
        self.copy_button.setObjectName("copy_details")
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        for w in (self.summary, reassure, self.log_label, self.details, buttons):
            layout.addWidget(w)
        self.resize(640, 380)

    def add(self, summary: str, details: str) -> None:
        self.count += 1
        shown = summary if self.count == 1 else f"{summary}  ({self.count} errors so far)"
        self.summary.setText(f"An unexpected error happened: {shown}")
        self.details.appendPlainText(details)

    def copy_details(self) -> None:
        text = f"{self.summary.text()}\n{self.log_label.text()}\n\n{self.details.toPlainText()}"
        QGuiApplication.clipboard().setText(text)


class CrashReporter:
    """The excepthook: log, then show (or add to) the dialog. Never raises, never exits."""

    def __init__(
        self, window: QWidget | None, log_path: Path | None, facts: Callable[[], str] | None = None
    ) -> None:
        self.window = window
        self.log_path = log_path
        self.facts = facts
        self.dialog: CrashDialog | None = None

    def __call__(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        summary = one_line(kind, exc, tb)
        log.error("unexpected error: %s", summary, exc_info=(kind, exc, tb))
        details = "".join(traceback.format_exception(kind, exc, tb))
        if self.facts is not None:
            try:
                details = f"{self.facts()}\n\n{details}"
            except Exception:  # noqa: BLE001 - the report must not fail over its preamble
                pass
        try:
            if self.dialog is None or not self.dialog.isVisible():
                self.dialog = CrashDialog(self.log_path, self.window)
                self.dialog.add(summary, details)
                self.dialog.show()  # non-modal: never exec()
            else:
                self.dialog.add(summary, details)
            self.dialog.raise_()
        except RuntimeError:  # the window is already gone (an error while quitting)
            traceback.print_exception(kind, exc, tb)


def install(
    window: QWidget | None, log_path: Path | None, facts: Callable[[], str] | None = None
) -> CrashReporter:
    reporter = CrashReporter(window, log_path, facts)
    sys.excepthook = reporter
    return reporter
