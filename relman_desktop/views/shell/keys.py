"""The keyboard, app-wide: Ctrl+1…8 switch pages, Help > Keyboard Shortcuts (F1) lists every
key the app answers to, and Ctrl+Z undoes a text field's own typing before the app's edits.

The list is read from the widgets themselves: every QAction and QShortcut with a key, wherever
it lives (menus, the calendar chart, a form's Ctrl+Return), named by the page it belongs to,
plus the CAB presenter's keys from the table its key handler reads. A key added anywhere shows up in it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

NATIVE = QKeySequence.SequenceFormat.NativeText


def install(window: Any) -> None:
    """Add the page keys to the View menu and the undo rule to the application."""
    from .screens import PAGES

    view_menu = next(
        (a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View"),
        None,
    )
    menu = view_menu.addMenu("&Go to Page") if view_menu is not None else None
    for number, spec in enumerate(PAGES[:9], start=1):
        action = QAction(f"Go to {spec.title}", window)
        action.setObjectName(f"action_page_{spec.name}")
        action.setShortcut(QKeySequence(f"Ctrl+{number}"))
        action.triggered.connect(lambda _c=False, n=spec.name: window.show_page(n))
        window.actions_by_name[f"page_{spec.name}"] = action
        window.addAction(action)  # works with the menu bar hidden (full screen) too
        if menu is not None:
            menu.addAction(action)
    app = QApplication.instance()
    if app is not None:
        # Owned by the window: when it goes, Qt takes the filter off the application too.
        window._undo_filter = FieldUndoFirst(window.store.undo_stack, window)
        app.installEventFilter(window._undo_filter)


def _text_field_can_undo(widget: QWidget | None) -> bool | None:
    """Whether the focused text field has typing of its own to undo (None: not a text field)."""
    if isinstance(widget, QLineEdit):
        return widget.isUndoAvailable()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        return widget.document().isUndoAvailable()
    if isinstance(widget, QAbstractSpinBox | QComboBox):
        edit = widget.findChild(QLineEdit)
        return edit.isUndoAvailable() if edit is not None else None
    return None


class FieldUndoFirst(QObject):
    """Ctrl+Z in a text field with typing to undo undoes that typing (the field's own undo);
    in a field with nothing to undo, or anywhere else, it is the app's Edit > Undo."""

    def __init__(self, undo_stack: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = undo_stack

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(event, QKeyEvent):
            return False
        if not (
            event.matches(QKeySequence.StandardKey.Undo)
            or event.matches(QKeySequence.StandardKey.Redo)
        ):
            return False
        if watched is not QApplication.focusWidget():
            return False
        can = _text_field_can_undo(watched)  # type: ignore[arg-type]
        if can is None:
            return False
        if event.matches(QKeySequence.StandardKey.Redo):
            own = (
                watched.isRedoAvailable()  # type: ignore[attr-defined]
                if isinstance(watched, QLineEdit)
                else watched.document().isRedoAvailable()  # type: ignore[attr-defined]
                if isinstance(watched, QPlainTextEdit | QTextEdit)
                else False
            )
            if own:
                return False
        elif can:
            return False
        # Nothing of the field's own: let the key reach the app's Undo/Redo action.
        event.ignore()
        return True


# --- the list of shortcuts ---------------------------------------------------------------------


def _where(obj: QObject, window: Any) -> str:
    """The page (or "Everywhere") a QAction or QShortcut belongs to."""
    titles = {f"page_{name}": w for name, w in _page_titles(window).items()}
    node: QObject | None = obj.parent()
    while node is not None and node is not window:
        title = titles.get(node.objectName())
        if title:
            return title
        node = node.parent()
    return "Everywhere"


def _page_titles(window: Any) -> dict[str, str]:
    from .screens import PAGES

    return {spec.name: spec.title for spec in PAGES}


def shortcut_rows(window: Any) -> list[tuple[str, str, str]]:
    """(where, what, keys) for every key the window's widgets answer to, menus first."""
    # the keys of every page, also the ones not opened yet (pages are built on first show)
    for page in getattr(window, "page_widgets", {}).values():
        for title in getattr(page, "lazy_sections", lambda: ())():
            page.section(title)  # Settings builds a section when its tab is first shown
    if hasattr(window, "releases_page"):  # and the release editor's (built on first open too)
        window.releases_page.build_editor()
    rows: list[tuple[str, str, str]] = []
    seen: set[int] = set()
    for action in [*window.actions_by_name.values(), *window.findChildren(QAction)]:
        if id(action) in seen or not action.shortcuts():
            continue
        seen.add(id(action))
        keys = ", ".join(k.toString(NATIVE) for k in action.shortcuts())
        text = action.text().replace("&", "").rstrip("…") or action.objectName()
        rows.append((_where(action, window), text, keys))
    for shortcut in window.findChildren(QShortcut):
        if shortcut.key().isEmpty():
            continue
        text = shortcut.whatsThis() or "Save or record the form"
        rows.append((_where(shortcut, window), text, shortcut.key().toString(NATIVE)))
    rows += _cab_keys()
    rows += [
        ("Releases", "Open the selected release", "Enter, double-click"),
        ("Releases", "Back to the releases list", "Esc"),
    ]
    order = {"Everywhere": 0}
    unique = list(dict.fromkeys(rows))  # one line for the same key on several forms
    return sorted(unique, key=lambda r: (order.get(r[0], 1), r[0]))


def _cab_keys() -> list[tuple[str, str, str]]:
    """The CAB presenter's keys, from the table its key handler reads (it lives outside the
    window, full screen, and may not exist yet)."""
    from ..cab.presenter_keys import shortcut_rows as presenter_rows

    return presenter_rows()


def shortcuts_dialog(window: Any) -> QDialog:
    dialog = QDialog(window)
    dialog.setWindowTitle("Keyboard shortcuts")
    dialog.setObjectName("shortcuts_dialog")
    rows = shortcut_rows(window)
    table = QTableWidget(len(rows), 3)
    table.setObjectName("shortcuts_table")
    table.setHorizontalHeaderLabels(["Where", "Action", "Keys"])
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            table.setItem(i, j, QTableWidgetItem(text))
    table.resizeColumnsToContents()
    table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    note = QLabel("Keys listed under a page work while that page (or its chart) has the focus.")
    note.setProperty("role", "subtle")
    note.setWordWrap(True)
    close = QPushButton("Close")
    close.clicked.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(note)
    layout.addWidget(table)
    layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
    available = window.screen().availableGeometry() if window.screen() else None
    height = min(640, available.height() - 80) if available is not None else 640
    dialog.resize(620, max(320, height))
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
