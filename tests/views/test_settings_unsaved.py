"""Unsaved edits in a Settings form are never dropped silently: choosing another record (or New)
asks Save / Discard / Cancel, and a list read again while editing keeps what was typed."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from relman_desktop.services import people

from .test_settings_page import click, open_section, select, type_into


def _row_of(section, email: str) -> int:
    return next(i for i, p in enumerate(section.model.rows) if p.email == email)


def _click_row(qtbot, section, email: str) -> None:
    """Choose a record the way a user does: a click on its row."""
    from PySide6.QtCore import Qt

    index = section.model.index(_row_of(section, email), 0)
    rect = section.table.visualRect(index)
    qtbot.mouseClick(section.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _answer(qtbot, section, button: QMessageBox.StandardButton) -> None:
    box = section.unsaved_prompt
    assert box is not None and box.isVisible()
    assert "not saved" in box.text()
    box.button(button).click()
    qtbot.waitUntil(lambda: section.unsaved_prompt is None)


@pytest.fixture
def people_section(settings_page):
    section = open_section(settings_page, "People")
    section.reload()
    select(section, "ann@example.com")
    return section


def _team(store, email: str) -> str | None:
    return {p.email: p.team for p in people.list_people(store.ctx)}[email]


def test_choosing_another_person_with_unsaved_edits_asks_and_cancel_keeps_them(
    qtbot, store, people_section
):
    section = people_section
    type_into(qtbot, section.form.editors["team"], "Payments")
    _click_row(qtbot, section, "bo@example.com")
    assert section.current.email == "ann@example.com"  # still on Ann
    assert section.table.selectionModel().selectedRows()[0].row() == _row_of(
        section, "ann@example.com"
    )
    _answer(qtbot, section, QMessageBox.StandardButton.Cancel)
    assert section.form.editors["team"].text() == "Payments"  # nothing lost
    assert section.current.email == "ann@example.com"
    assert _team(store, "ann@example.com") != "Payments"  # and nothing saved


def test_discard_drops_the_edits_and_opens_the_other_person(qtbot, store, people_section):
    section = people_section
    before = _team(store, "ann@example.com")
    type_into(qtbot, section.form.editors["team"], "Payments")
    _click_row(qtbot, section, "bo@example.com")
    _answer(qtbot, section, QMessageBox.StandardButton.Discard)
    assert section.current.email == "bo@example.com"
    assert section.form.editors["email"].text() == "bo@example.com"
    assert _team(store, "ann@example.com") == before
    assert store.undo_stack.count() == 0


def test_save_keeps_the_edits_then_opens_the_other_person(qtbot, store, people_section):
    section = people_section
    type_into(qtbot, section.form.editors["team"], "Payments")
    _click_row(qtbot, section, "bo@example.com")
    _answer(qtbot, section, QMessageBox.StandardButton.Save)
    assert _team(store, "ann@example.com") == "Payments"
    assert section.current.email == "bo@example.com"
    assert store.undo_stack.count() == 1


def test_a_refused_save_stays_on_the_record_with_its_reason(qtbot, store, people_section):
    section = people_section
    type_into(qtbot, section.form.editors["email"], "not an address")
    _click_row(qtbot, section, "bo@example.com")
    _answer(qtbot, section, QMessageBox.StandardButton.Save)
    assert section.current.email == "ann@example.com"
    assert section.form.editors["email"].text() == "not an address"
    assert section.form.all_errors()


def test_new_with_unsaved_edits_asks_first(qtbot, store, people_section):
    section = people_section
    type_into(qtbot, section.form.editors["team"], "Payments")
    click(qtbot, section.new_button)
    assert section.current.email == "ann@example.com"
    _answer(qtbot, section, QMessageBox.StandardButton.Discard)
    assert section.current is None and section.form.editors["email"].text() == ""


def test_no_question_without_edits_and_a_reload_keeps_what_is_typed(qtbot, store, people_section):
    section = people_section
    _click_row(qtbot, section, "bo@example.com")  # nothing typed: straight there
    assert section.unsaved_prompt is None and section.current.email == "bo@example.com"
    type_into(qtbot, section.form.editors["team"], "Half typed")
    people.update_person(
        store.ctx, "ann@example.com", {"team": "Elsewhere"}
    )  # an edit from elsewhere
    store.people_changed.emit()
    assert section.form.editors["team"].text() == "Half typed"
    assert section.current.email == "bo@example.com"
