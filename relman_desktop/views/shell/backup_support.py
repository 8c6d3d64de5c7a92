"""Automatic backups in the app, and the File menu's Back Up Now / Restore from Backup.

A backup is taken when a plan opens (off the GUI thread: copying a 100,000-release plan takes
seconds the window does not wait for), and then every N minutes (Settings; default 30) while it
is being edited: the timer's tick takes one only if something changed since the last. A backup
that cannot be taken (a read-only or full backup folder) is one line in the status bar and the
log; the plan and the app go on.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSpinBox

from relman_desktop.services import backups

from .restore_dialog import RestoreDialog
from .worker import Job, Task, Worker, shared_worker

log = logging.getLogger("relman_desktop.backups")


class AutoBackups(QObject):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.store = window.store
        self.settings = window.settings
        self.edited = False
        self.last: backups.Backup | None = None
        self.last_error: str | None = None
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.store.plan_opened.connect(self._opened)
        # Every write, undo and redo is announced with the change set it made (Store.changed).
        self.store.changed.connect(self._mark)

    def _mark(self, *_args: object) -> None:
        self.edited = True

    @property
    def worker(self) -> Worker:
        return getattr(self, "_worker", None) or shared_worker()

    def _opened(self, _path: str) -> None:
        self.edited = False
        self.timer.start(self.settings.backup_interval_minutes * 60_000)
        self.take_in_background("open")

    def take_in_background(self, reason: str) -> Job | None:
        """``take(reason)`` on the worker; the outcome is reported the same way."""
        plan = self.store.plan_path
        if plan is None:
            return None
        keep = self.settings.backups_kept

        def copy(_task: Task) -> backups.Backup | str:
            try:
                return backups.take_backup(Path(plan), reason=reason, keep=keep)
            except backups.BackupError as exc:
                return str(exc)

        return self.worker.submit(copy, name=f"backup ({reason})", on_result=self._taken)

    def _taken(self, outcome: backups.Backup | str) -> None:
        if isinstance(outcome, str):
            self.last_error = outcome
            log.warning("backup failed: %s", outcome)
            self.store.error.emit(outcome)
            return
        self.last, self.last_error = outcome, None
        log.info("backup (%s) written to %s", outcome.reason, outcome.path)

    def set_interval(self, minutes: int) -> None:
        """A new interval (Settings) applies at once, not after the current one has run out."""
        self.settings.backup_interval_minutes = minutes
        self.settings.sync()
        if self.timer.isActive():
            self.timer.start(self.settings.backup_interval_minutes * 60_000)

    def tick(self) -> None:
        self.timer.setInterval(self.settings.backup_interval_minutes * 60_000)  # a changed setting
        if self.edited and self.store.has_plan:
            self.take("auto")

    def take(self, reason: str) -> backups.Backup | None:
        plan = self.store.plan_path
        if plan is None:
            return None
        try:
            self.last = backups.take_backup(
                Path(plan), reason=reason, keep=self.settings.backups_kept
            )
        except backups.BackupError as exc:
            self.last_error = str(exc)
            log.warning("backup of %s failed: %s", plan, exc)
            self.store.error.emit(str(exc))
            return None
        self.last_error = None
        self.edited = False
        log.info("backup of %s (%s) written to %s", plan, reason, self.last.path)
        if reason == "manual":
            self.store.message.emit(f"Backed up to {self.last.path}")
        return self.last

    def back_up_now(self) -> backups.Backup | None:
        return self.take("manual")

    def restore_dialog(self) -> RestoreDialog | None:
        plan = self.store.plan_path
        if plan is None:
            self.store.error.emit("open a plan first: backups are listed per plan")
            return None
        dialog = RestoreDialog(
            Path(plan), self.settings, self._restored, self.window, on_interval=self.set_interval
        )
        dialog.show()  # non-modal
        return dialog

    def _restored(self, path: Path) -> None:
        old = self.store.plan_path
        if self.window.open_plan(path):
            self.store.message.emit(
                f"Opened the restored plan {path.name}; {Path(old).name if old else 'the plan'} "
                "is unchanged"
            )


def interval_box(window: Any) -> QSpinBox:
    """The "back up every N minutes of editing" setting, for the Settings page's form."""
    box = QSpinBox()
    box.setObjectName("backup_interval")
    box.setRange(1, 24 * 60)
    box.setSuffix(" minutes of editing")
    box.setMinimumWidth(box.fontMetrics().horizontalAdvance("1440 minutes of editing") + 48)
    box.setValue(window.settings.backup_interval_minutes)
    box.setToolTip(
        "A backup is also taken each time a plan opens; File > Restore from Backup lists them"
    )

    def changed(minutes: int) -> None:
        support = getattr(window, "backups", None)
        if isinstance(support, AutoBackups):
            support.set_interval(minutes)
        else:
            window.settings.backup_interval_minutes = minutes

    box.valueChanged.connect(changed)
    return box


def install(window: Any) -> AutoBackups:
    """Wire automatic backups and File > Restore from Backup into ``window`` (a MainWindow)."""
    support = AutoBackups(window)
    restore = QAction("&Restore from Backup…", window)
    restore.setObjectName("restore_backup")
    restore.triggered.connect(support.restore_dialog)
    window.actions_by_name["restore_backup"] = restore
    backup_action = window.actions_by_name.get("backup")
    menu = backup_action.associatedObjects()[-1] if backup_action is not None else None
    if isinstance(menu, QMenu):
        actions = menu.actions()
        index = actions.index(backup_action)
        following = actions[index + 1] if index + 1 < len(actions) else None
        menu.insertAction(following, restore) if following else menu.addAction(restore)
    else:
        window.menuBar().addAction(restore)
    return support
