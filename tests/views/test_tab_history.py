"""The History tab: the release's audit events, newest first, readable, kept up to date."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from relman_desktop.services import evidence
from relman_desktop.views.releases.release_editor import ReleaseEditor
from relman_desktop.views.releases.tab_history import HistoryTab
from relman_desktop.views.shell.screens import RELEASE_TABS

KEY = "REL-2026-001"


@pytest.fixture
def editor(store, qtbot):
    ed = ReleaseEditor(store, RELEASE_TABS)
    qtbot.addWidget(ed)
    ed.set_release(KEY)
    ed.resize(1200, 760)
    ed.show()
    qtbot.waitExposed(ed)
    return ed


def test_history_shows_an_edit_summary_newest_first(editor, store, qtbot, qtmodeltester):
    history = editor.tab_widgets["History"]
    assert isinstance(history, HistoryTab)
    editor.show_tab("History")
    before = history.model.rowCount()
    assert before >= 1  # the release's creation
    assert store.update_release(KEY, {"title": "Checkout redesign, phase 1"})
    summaries = history.summaries()
    assert len(summaries) == before + 1
    assert "title: Payments checkout redesign → Checkout redesign, phase 1" in summaries[0]
    assert history.model.data(history.model.index(0, 1)) == "tester@example.com"
    assert history.model.data(history.model.index(0, 0)).startswith("2026-")
    qtmodeltester.check(history.model)

    history.table.selectRow(0)
    assert "Checkout redesign, phase 1" in history.detail.toPlainText()
    assert "Before:" in history.detail.toPlainText()


def test_history_catches_up_when_shown_and_when_the_release_changes(editor, store, qtbot):
    history = editor.tab_widgets["History"]
    editor.show_tab("Overview")
    evidence.record_deployment(
        store.ctx, KEY, "production", started_at=dt.datetime(2026, 12, 5, 22, tzinfo=dt.UTC)
    )
    store.evidence_changed.emit(KEY)  # hidden: read when next shown
    editor.show_tab("History")
    assert "Create deployment" in history.summaries()[0]
    editor.set_release("REL-2026-002")
    assert all("deployment" not in s for s in history.summaries())


def test_history_filter(editor, store, qtbot):
    history = editor.tab_widgets["History"]
    editor.show_tab("History")
    store.update_release(KEY, {"risk": "low"})
    qtbot.keyClicks(history.filter, "risk")
    assert history.model.rowCount() == 1
    assert "risk" in history.summaries()[0]
    history.filter.clear()
    qtbot.keyClick(history.filter, Qt.Key.Key_Escape)
    assert history.model.rowCount() >= 2
