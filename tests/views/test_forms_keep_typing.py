"""Forms never lose typing: quitting, opening another release or another plan with text typed
in an editor tab either saves it (as leaving the field would) or asks (Save / Discard /
Cancel); a value that does not validate stays where it was typed, with its reason and a link to
fix it ("Add this person…")."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from relman_desktop.services import evidence, people, releases, tasks

KEY, OTHER = "REL-2026-001", "REL-2026-002"


@pytest.fixture
def shown(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.open_release(KEY)
    return window


def prompt(window) -> QMessageBox:
    shown = [b for b in window.findChildren(QMessageBox, "unsaved_prompt") if b.isVisible()]
    assert len(shown) == 1, "no Save / Discard / Cancel question"
    return shown[0]


def answer(box: QMessageBox, button: QMessageBox.StandardButton) -> None:
    box.button(button).click()


def type_review(qtbot, window, lessons: str):
    window.editor.show_tab("Review")
    tab = window.editor.tab_widgets["Review"]
    tab.form.editors["outcome"].setCurrentIndex(1)
    editor = tab.form.editors["lessons_learned"]
    editor.setFocus()
    qtbot.keyClicks(editor, lessons)
    return tab


def test_quitting_with_typing_in_the_review_tab_asks_and_cancel_keeps_it(shown, qtbot, store):
    tab = type_review(qtbot, shown, "Feature flags saved us")
    shown.close()
    assert shown.isVisible()  # not closed under the typing
    box = prompt(shown)
    assert "post-release review of REL-2026-001" in box.text()
    answer(box, QMessageBox.StandardButton.Cancel)
    assert shown.isVisible()
    assert tab.form.editors["lessons_learned"].toPlainText() == "Feature flags saved us"
    assert evidence.get_review(store.ctx, KEY) is None


def test_quitting_and_choosing_save_records_the_review_then_closes(shown, qtbot, store):
    type_review(qtbot, shown, "Feature flags saved us")
    shown.close()
    answer(prompt(shown), QMessageBox.StandardButton.Save)
    assert evidence.get_review(store.ctx, KEY)["lessons_learned"] == "Feature flags saved us"
    qtbot.waitUntil(lambda: not shown.isVisible())


def test_quitting_and_choosing_discard_closes_without_saving(shown, qtbot, store):
    type_review(qtbot, shown, "not worth keeping")
    shown.close()
    answer(prompt(shown), QMessageBox.StandardButton.Discard)
    qtbot.waitUntil(lambda: not shown.isVisible())
    assert evidence.get_review(store.ctx, KEY) is None


def test_opening_another_release_with_typing_asks_first(shown, qtbot, store):
    tab = type_review(qtbot, shown, "Half a thought")
    shown.open_release(OTHER)
    box = prompt(shown)
    assert "before opening REL-2026-002" in box.informativeText()
    answer(box, QMessageBox.StandardButton.Cancel)
    assert shown.editor.key == KEY  # still on the release being typed in
    assert tab.form.editors["lessons_learned"].toPlainText() == "Half a thought"
    shown.open_release(OTHER)
    answer(prompt(shown), QMessageBox.StandardButton.Save)
    assert shown.editor.key == OTHER
    assert evidence.get_review(store.ctx, KEY)["lessons_learned"] == "Half a thought"


def test_overview_typing_is_saved_on_quit_as_leaving_the_field_would(shown, qtbot, store):
    scope = shown.editor.overview.editors["scope"]
    scope.setFocus()
    qtbot.keyClicks(scope, "Checkout pages and the payment API")
    shown.close()  # no question: valid typing is saved
    qtbot.waitUntil(lambda: not shown.isVisible())
    assert releases.get_release(store.ctx, KEY).scope == "Checkout pages and the payment API"


def test_a_task_cell_being_typed_in_is_saved_on_quit(shown, qtbot, store):
    tasks.add_task(store.ctx, KEY, {"title": "Build image"})
    shown.editor.show_tab("Tasks")
    tab = shown.editor.tab_widgets["Tasks"]
    tab.reload()
    tab.table.setFocus()
    tab.table.setCurrentIndex(tab.model.index(0, 1))
    qtbot.keyClick(tab.table, Qt.Key.Key_F2)
    editor = tab.table.indexWidget(tab.model.index(0, 1))
    editor.selectAll()
    qtbot.keyClicks(editor, "Build the container image")
    shown.close()
    qtbot.waitUntil(lambda: not shown.isVisible())
    assert tasks.list_tasks(store.ctx, KEY)[0].title == "Build the container image"


def test_an_unknown_manager_stays_typed_with_a_link_to_add_this_person(shown, qtbot, store):
    overview = shown.editor.overview
    field = overview.editors["manager_email"]
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "carol.checker@example.com")
    qtbot.keyClick(field, Qt.Key.Key_Tab)  # leave the field: refused, kept
    assert field.text() == "carol.checker@example.com"
    assert "unknown person" in overview.error_text("manager_email")
    link = overview.findChild(QPushButton, "add_person_manager_email")
    assert link.isVisible()
    # quitting now asks (the value cannot be saved) instead of dropping it
    shown.close()
    answer(prompt(shown), QMessageBox.StandardButton.Cancel)
    assert field.text() == "carol.checker@example.com"
    qtbot.mouseClick(link, Qt.MouseButton.LeftButton)
    assert overview.new_person_name.text() == "Carol Checker"
    qtbot.mouseClick(
        overview.findChild(QPushButton, "confirm_add_person"), Qt.MouseButton.LeftButton
    )
    assert "carol.checker@example.com" in {p.email for p in people.list_people(store.ctx)}
    assert releases.get_release(store.ctx, KEY).manager_email == "carol.checker@example.com"
    assert overview.error_text("manager_email") == ""
    assert not link.isVisible()
