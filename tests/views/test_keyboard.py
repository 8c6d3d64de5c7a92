"""Issue 16, the keyboard: Ctrl+1…9 switch pages, F1 lists every key (from the widgets' own
QActions and QShortcuts), a focus ring in every theme, and Ctrl+Z that undoes a field's typing
first and the app's last edit otherwise."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.views.shell.keys import shortcut_rows
from relman_desktop.views.shell.screens import PAGES
from relman_desktop.views.shell.theme import THEME_COLORS, apply_theme


def _shown(window, qtbot):
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    return window


def test_ctrl_and_a_digit_switch_pages(window, qtbot):
    _shown(window, qtbot)
    assert window.actions_by_name["page_calendar"].shortcut() == QKeySequence("Ctrl+2")
    for number, spec in enumerate(PAGES, start=1):
        window.actions_by_name[f"page_{spec.name}"].trigger()
        assert window.current_page() == spec.name, number
    window.show_page("releases")
    table = window.releases_view.table
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    qtbot.keyClick(table, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == "conflicts"  # the third page in the navigator
    qtbot.keyClick(
        window.focusWidget() or window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier
    )
    assert window.current_page() == "dependencies"


def test_f1_lists_menu_page_calendar_and_cab_keys_from_the_widgets(window, qtbot):
    help_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.HelpContents)
    assert window.actions_by_name["shortcuts"].shortcuts() == help_keys  # F1 here
    rows = shortcut_rows(window)
    as_set = set(rows)
    native = QKeySequence.SequenceFormat.NativeText
    undo = QKeySequence(QKeySequence.StandardKey.Undo).toString(native)
    assert any(w == "Everywhere" and k.startswith(undo) for w, _a, k in rows)
    assert any(
        (w, a) == ("Everywhere", "Keyboard Shortcuts")
        and k.startswith(help_keys[0].toString(native))
        for w, a, k in rows
    )
    assert len(rows) == len(as_set)  # each line once
    assert ("Everywhere", "Go to CAB", QKeySequence("Ctrl+8").toString(native)) in as_set
    assert ("Calendar", "Zoom in", "+, =") in as_set
    assert ("Calendar", "Open the selected release", "Return, Enter") in as_set
    assert ("CAB presenter", "Approve", "A") in as_set
    assert any(w == "Settings" and k == "Ctrl+Return" for w, _a, k in rows)
    # a key added to any widget at run time is listed without touching the list
    extra = QAction("Something new", window.calendar_view.chart)
    extra.setShortcut(QKeySequence("Ctrl+Alt+J"))
    window.calendar_view.chart.addAction(extra)
    assert ("Calendar", "Something new", "Ctrl+Alt+J") in set(shortcut_rows(window))
    dialog = window.show_shortcuts()
    table = dialog.findChild(QTableWidget, "shortcuts_table")
    assert table.rowCount() == len(shortcut_rows(window))
    shown = {table.item(i, 1).text() for i in range(table.rowCount())}
    assert {"Zoom in", "Approve", "Go to Calendar", "Something new"} <= shown
    dialog.close()


@pytest.mark.parametrize("theme", ["light", "dark", "high-contrast"])
def test_a_focused_button_has_a_visible_ring_in_every_theme(qtbot, theme):
    app = QApplication.instance()
    apply_theme(app, theme)
    try:
        holder = QWidget()
        qtbot.addWidget(holder)
        layout = QVBoxLayout(holder)
        first, second = QPushButton("First"), QPushButton("Second")
        layout.addWidget(first)
        layout.addWidget(second)
        holder.resize(240, 120)
        holder.show()
        holder.activateWindow()
        qtbot.waitExposed(holder)
        focus = QColor(THEME_COLORS[theme].focus)

        def ring(button: QPushButton) -> int:
            image = button.grab().toImage()
            y = image.height() // 2
            return sum(1 for x in range(0, 3) if QColor(image.pixel(x, y)).name() == focus.name())

        first.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(first.hasFocus)
        assert ring(first) >= 2 and ring(second) == 0
    finally:
        apply_theme(app, "light")


def test_ctrl_z_undoes_the_fields_typing_first_then_the_apps_edit(window, qtbot, store):
    _shown(window, qtbot)
    assert store.create_release({"key": "REL-2026-050", "title": "Undo me", "type": "minor"})
    steps = store.undo_stack.index()
    search: QLineEdit = window.releases_view.search
    search.setFocus()
    qtbot.waitUntil(search.hasFocus)
    qtbot.keyClicks(search, "pay")
    qtbot.keyClick(search, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert search.text() == ""  # the field's own typing went first
    assert store.undo_stack.index() == steps  # the plan is untouched
    qtbot.keyClick(search, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert store.undo_stack.index() == steps - 1  # nothing left to undo in it: the app's edit
    assert store.release("REL-2026-050") is None
