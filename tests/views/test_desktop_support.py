"""The desktop app's safety nets: the crash dialog (an exception injected in a slot), Help >
About, automatic backups on open and while editing, and File > Restore from Backup."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from relman_desktop.logging_setup import log_file, setup_logging
from relman_desktop.models.migrations.revisions import HEAD
from relman_desktop.services import backups


class Emitter(QObject):
    fired = Signal()


def releases_in(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT count(*) FROM releases").fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def logged(tmp_path, monkeypatch):
    monkeypatch.setenv("RELMAN_LOG_DIR", str(tmp_path / "logs"))
    path = setup_logging()
    yield path
    for handler in list(logging.getLogger("relman_desktop").handlers):
        logging.getLogger("relman_desktop").removeHandler(handler)
        handler.close()


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_shows_a_non_modal_dialog_and_the_app_goes_on(
    window, store, qtbot, logged, monkeypatch
):
    import sys

    from relman_desktop.views.shell import crash_dialog

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    reporter = crash_dialog.install(window, logged, lambda: "Release Manager Desktop 0.1.0")
    window.show()
    emitter = Emitter()

    def broken_slot() -> None:
        raise ZeroDivisionError("division by zero")

    emitter.fired.connect(broken_slot)
    emitter.fired.emit()  # PySide6 reports it through sys.excepthook and returns

    dialog = reporter.dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    assert dialog.summary.text() == (
        "An unexpected error happened: ZeroDivisionError: division by zero "
        f"(in broken_slot, {Path(__file__).name}:"
        f"{broken_slot.__code__.co_firstlineno + 1})"
    )
    assert str(logged) in dialog.log_label.text()
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert (
        "Release Manager Desktop 0.1.0" in copied
        and 'raise ZeroDivisionError("division by zero")' in copied
    )
    logged_text = log_file().read_text()
    assert "unexpected error: ZeroDivisionError: division by zero" in logged_text
    assert "Traceback (most recent call last)" in logged_text

    # the app goes on: the window still edits and saves the plan
    key = window.new_release()
    assert key and key in [
        r.key
        for r in store.call(
            __import__("relman_desktop.services.releases", fromlist=["x"]).list_releases
        )
    ]
    emitter.fired.emit()  # a second error joins the open dialog
    assert reporter.dialog is dialog and "(2 errors so far)" in dialog.summary.text()


def test_about_shows_versions_schema_and_where_the_log_and_backups_are(window, store, qtbot):
    import PySide6

    dialog = window.show_about()
    qtbot.addWidget(dialog)
    text = dialog.text.text()
    assert f"<td>{sqlite3.sqlite_version}</td>" in text
    assert f"PySide6 {PySide6.__version__}" in text
    assert f"{HEAD} (this version writes {HEAD})" in text
    assert str(log_file()) in text
    assert str(backups.backup_folder(store.plan_path)) in text
    assert not dialog.isModal() or dialog.windowModality().name != "ApplicationModal"


def test_a_backup_is_taken_on_open_and_after_editing_but_not_when_idle(
    window, store, tmp_path, qtbot
):
    other = tmp_path / "other.relman"
    from relman_desktop.exports.plan_copy import save_copy

    save_copy(store.ctx.plan, other)
    assert window.open_plan(other)
    window.backups.worker.wait()  # the open's backup is copied off the GUI thread
    first = backups.list_backups(other, count=True)
    assert [(b.reason, b.releases) for b in first] == [("open", 3)]
    window.backups.tick()  # nothing edited since: no new backup
    assert len(backups.list_backups(other)) == 1
    window.new_release()
    window.backups.tick()
    latest = backups.list_backups(other, count=True)[0]
    assert latest.reason == "auto" and latest.releases == 4
    assert window.backups.timer.interval() == 30 * 60_000


def test_an_unwritable_backup_folder_is_one_line_in_the_status_bar(
    window, store, tmp_path, monkeypatch, qtbot
):
    blocker = tmp_path / "blocked"
    blocker.write_text("not a folder")
    monkeypatch.setenv("RELMAN_BACKUP_DIR", str(blocker))
    before = store.plan_path.read_bytes()
    window.back_up_now()
    assert window.statusBar().currentMessage().startswith("⚠ The backup folder ")
    assert "cannot be created" in window.statusBar().currentMessage()
    assert store.plan_path.read_bytes() == before and store.has_plan


def test_restore_from_backup_lists_backups_and_restores_into_a_new_file(
    window, store, tmp_path, qtbot
):
    plan = store.plan_path
    window.back_up_now()
    window.new_release()
    window.back_up_now()
    dialog = window.backups.restore_dialog()
    qtbot.addWidget(dialog)
    table = dialog.table
    assert table.rowCount() == 2
    assert [table.item(r, 2).text() for r in range(2)] == ["4", "3"]  # newest first
    assert table.item(0, 1).text() == "by hand"
    older = dialog.items[1]
    refused = dialog.restore_into(older, plan)
    assert refused is None and "the plan you have open" in dialog.status.text()
    target = tmp_path / "restored.relman"
    restored = dialog.restore_into(older, target)
    assert restored == target and releases_in(target) == 3
    assert store.plan_path == target  # the restored copy is open …
    assert releases_in(plan) == 4  # … and the plan that was open is as it was


def test_the_backup_interval_is_a_setting_that_applies_at_once(window, store, tmp_path, qtbot):
    from relman_desktop.exports.plan_copy import save_copy

    other = tmp_path / "other.relman"
    save_copy(store.ctx.plan, other)
    window.open_plan(other)
    assert window.backups.timer.isActive() and window.backups.timer.interval() == 30 * 60_000
    from PySide6.QtWidgets import QSpinBox

    window.page_widgets["settings"]  # built on its first show, as the user opens Settings
    box = window.findChild(QSpinBox, "backup_interval")
    assert box is not None and box.value() == 30
    box.setValue(5)
    assert window.settings.backup_interval_minutes == 5
    assert window.backups.timer.interval() == 5 * 60_000
