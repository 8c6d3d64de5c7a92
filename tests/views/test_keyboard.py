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


_PROBES = [
    *(getattr(Qt.Key, f"Key_{c}") for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
    *(getattr(Qt.Key, f"Key_F{n}") for n in range(1, 13)),
    *(
        getattr(Qt.Key, f"Key_{name}")
        for name in (
            "Escape Return Enter Space Backspace Delete Insert Home End Left Right Up Down "
            "PageUp PageDown Plus Minus Equal Comma Period Slash"
        ).split()
    ),
]


def test_f1_lists_exactly_the_keys_the_cab_presenter_and_the_calendar_answer(
    window, qtbot, monkeypatch
):
    """Every key the presenter's handler answers is in the F1 list under the presenter, with
    the words F1 gives it, and every key listed there is answered: pressed on a real presenter
    (each binding's action swapped for a recorder), in both of its modes. Likewise the
    calendar's listed keys are the chart's own actions."""
    from dataclasses import replace

    from PySide6.QtCore import QEvent, QKeyCombination
    from PySide6.QtGui import QKeyEvent

    from relman_desktop.services import cab
    from relman_desktop.views.cab import cab_presenter
    from relman_desktop.views.cab.cab_presenter import CabPresenter
    from relman_desktop.views.shell.worker import Worker

    native = QKeySequence.SequenceFormat.NativeText
    listed = {
        (where, what, key)
        for where, what, keys in shortcut_rows(window)
        if where.startswith("CAB presenter")
        for key in keys.split(", ")
    }
    assert ("CAB presenter", "Next item", "N") in listed
    assert ("CAB presenter", "First item", "Home") in listed
    assert ("CAB presenter", "Undo the last decision", "Ctrl+Z") in listed
    assert ("CAB presenter, bulk panel", "Record every bulk decision", "Ctrl+Return") in listed
    assert ("CAB", "Present the meeting full screen", "F5") in set(shortcut_rows(window))

    answered: list[tuple[str, str]] = []
    for name in ("PRESENTER_KEYS", "BULK_KEYS"):
        recorded = tuple(
            replace(b, act=lambda _p, b=b, n=name: answered.append((n, b.label)))
            for b in getattr(cab_presenter, name)
        )
        monkeypatch.setattr(cab_presenter, name, recorded)
    meeting = cab.create_meeting(window.store.ctx, title="Keys")
    presenter = CabPresenter(window.store.ctx, meeting.id, worker=Worker(synchronous=True))
    qtbot.addWidget(presenter)
    where_of = {"PRESENTER_KEYS": "CAB presenter", "BULK_KEYS": "CAB presenter, bulk panel"}
    found: set[tuple[str, str, str]] = set()
    for page in (0, 1):  # the agenda item, then the bulk panel
        presenter.stack.setCurrentIndex(page)
        for key in _PROBES:
            for mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier):
                answered.clear()
                event = QKeyEvent(QEvent.Type.KeyPress, key, mods)
                presenter.keyPressEvent(event)
                text = QKeySequence(QKeyCombination(mods, key)).toString(native)
                # a key the table does not answer goes on to Qt, which ignores it
                assert event.isAccepted() == bool(answered), text
                found |= {(where_of[table], label, text) for table, label in answered}
    assert found == listed

    calendar = {(w, a, k) for w, a, k in shortcut_rows(window) if w == "Calendar"}
    bound = {
        (
            "Calendar",
            a.text().replace("&", "").rstrip("…"),
            ", ".join(k.toString(native) for k in a.shortcuts()),
        )
        for a in window.page_widgets["calendar"].findChildren(QAction)
        if a.shortcuts()
    }
    assert bound and bound <= calendar
    assert ("Calendar", "Open the selected release", "Return, Enter") in bound


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
