"""The pages the main window shows besides the navigator's: the releases list with the release
editor over it (``ReleasesPage``), the inspector dock's summary (``Inspector``), and the welcome
and "could not open" pages (``WelcomePage``, ``PlanErrorPage``; never a modal dialog).

Apart from ``main_window.py`` (the window itself: menus, navigator, status bar, geometry), which
imports them from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models.planfile import default_plan_path

from ..releases.releases_model import words
from ..releases.releases_view import ReleasesView
from .settings import Settings
from .store import Store
from .unsaved import settle_drafts, unsaved_drafts

if TYPE_CHECKING:
    from ..releases.release_editor import ReleaseEditor

APP_TITLE = "Release Manager Desktop"


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "heading")
    label.setWordWrap(True)
    return label


class ReleasesPage(QStackedWidget):
    """The releases list, and the release editor over it (Esc goes back).

    The editor and its nine tabs are built the first time a release is opened or ``editor`` is
    asked for, not at start (issue 16); ``on_editor(editor)`` is then called, for what the
    window adds to it (the conflict badge, guard links to other pages)."""

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        settings: Settings | None = None,
        on_editor: Callable[[ReleaseEditor], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("releases_page")
        self.list = ReleasesView(store, settings=settings)
        self._editor: ReleaseEditor | None = None
        self._on_editor = on_editor
        self.addWidget(self.list)
        self.list.open_release.connect(self.open_release)

    @property
    def editor(self) -> ReleaseEditor:
        return self.build_editor()

    def build_editor(self) -> ReleaseEditor:
        """The release editor, built now if it was not yet."""
        if self._editor is None:
            from ..releases.release_editor import ReleaseEditor
            from .screens import RELEASE_TABS

            self._editor = ReleaseEditor(self.list.store, RELEASE_TABS)
            self.addWidget(self._editor)
            self._editor.back_requested.connect(self.show_list)
            if self._on_editor is not None:
                self._on_editor(self._editor)
        return self._editor

    def editor_built(self) -> bool:
        return self._editor is not None

    def open_release(self, key: str, tab: str | None = None) -> None:
        shown = self._editor.key if self._editor is not None else None
        if shown not in (None, key) and unsaved_drafts(self.editor):
            # Typing in the release shown is never dropped: ask, then open this one.
            settle_drafts(self.editor, lambda: self.open_release(key, tab), f"opening {key}")
            return
        self.list.select_key(key)
        self.editor.set_release(key)
        if tab:
            self.editor.show_tab(tab)
        self.setCurrentWidget(self.editor)

    def show_list(self) -> None:
        shown = self._editor.key if self._editor is not None else None
        key = shown or self.list.store.selection.key
        self.setCurrentWidget(self.list)
        if key:
            self.list.select_key(key)
        self.list.table.setFocus()


class Inspector(QWidget):
    """A summary of the selected release, from the list's row cache (no query)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Nothing selected")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: 600;")
        self.form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for name, label in (
            ("key", "Key"),
            ("status", "Status"),
            ("type", "Type"),
            ("risk", "Risk"),
            ("priority", "Priority"),
            ("application", "Application"),
            ("manager", "Manager"),
            ("planned_start", "Planned start"),
            ("planned_end", "Planned end"),
            ("window_start", "Window start"),
            ("window_end", "Window end"),
        ):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[name] = value
            self.form.addRow(label + ":", value)
        # The dock keeps its width whatever is shown: a long title (or an unbroken URL-like
        # word) wraps, or is cut, inside the width the user gave the dock; it never widens it.
        for shown in (self.title, *self.values.values()):
            shown.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            shown.setMinimumWidth(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addStretch(1)

    def show_release(self, row: Any | None) -> None:
        if row is None:
            self.title.setText("Nothing selected")
            for v in self.values.values():
                v.setText("")
            return
        self.title.setText(row.title)
        self.title.setToolTip(row.title)

        def when(value: Any) -> str:
            if value is None:
                return "—"
            if isinstance(value, dt.datetime):
                return f"{value.astimezone():%Y-%m-%d %H:%M}"
            return value.isoformat()

        for name, text in (
            ("key", row.key),
            ("status", row.status),
            ("type", words(row.type)),
            ("risk", words(row.risk)),
            ("priority", words(row.priority)),
            ("application", row.application or "—"),
            ("manager", row.manager or "—"),
            ("planned_start", when(row.planned_start)),
            ("planned_end", when(row.planned_end)),
            ("window_start", when(row.deploy_start)),
            ("window_end", when(row.deploy_end)),
        ):
            self.values[name].setText(text)


class WelcomePage(QWidget):
    demo_requested = Signal()
    new_requested = Signal()
    open_requested = Signal()
    connect_requested = Signal(str)  # a server URL typed here (connect_dialog.py)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome_page")
        intro = QLabel(
            "Plan releases, bundle approved changes, schedule them into maintenance windows and track "
            "tasks and approvals — all offline, in one plan file you choose like a document."
        )
        intro.setWordWrap(True)
        self.demo_button = QPushButton("Explore the demo plan")
        self.demo_button.setObjectName("welcome_demo")
        demo_note = QLabel(
            "A realistic plan with releases, changes, tasks and approvals to try things out."
        )
        self.new_button = QPushButton("Start a new, empty plan")
        self.new_button.setObjectName("welcome_new")
        new_note = QLabel(f"Kept in your data folder: {default_plan_path()}")
        self.open_button = QPushButton("Open an existing plan…")
        self.open_button.setObjectName("welcome_open")
        open_note = QLabel("A .relman file from a colleague, a backup or another folder.")
        self.server_url = QLineEdit()
        self.server_url.setObjectName("welcome_server_url")
        self.server_url.setPlaceholderText("or a team plan: postgresql://user@host:5432/database")
        self.server_url.returnPressed.connect(
            lambda: self.connect_requested.emit(self.server_url.text().strip())
        )
        self.connect_button = QPushButton("Connect…")
        self.connect_button.setObjectName("welcome_connect")
        self.connect_button.clicked.connect(
            lambda: self.connect_requested.emit(self.server_url.text().strip())
        )
        for note in (demo_note, new_note, open_note):
            note.setProperty("role", "subtle")
            note.setWordWrap(True)
        self.demo_button.clicked.connect(self.demo_requested)
        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(self.open_requested)
        self.notice = QLabel()
        self.notice.setObjectName("welcome_notice")
        self.notice.setProperty("role", "error")
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.hide()

        card = QFrame()
        card.setMaximumWidth(720)
        v = QVBoxLayout(card)
        v.addWidget(self.notice)
        v.addWidget(_heading(f"Welcome to {APP_TITLE}"))
        v.addWidget(intro)
        v.addSpacing(16)
        for button, note in (
            (self.demo_button, demo_note),
            (self.new_button, new_note),
            (self.open_button, open_note),
        ):
            button.setMinimumHeight(button.sizeHint().height() + 12)
            v.addWidget(button)
            v.addWidget(note)
            v.addSpacing(8)
        server_row = QHBoxLayout()
        server_row.addWidget(self.server_url, 1)
        server_row.addWidget(self.connect_button)
        v.addLayout(server_row)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(card)
        column.addStretch(2)
        outer.addLayout(column, 4)
        outer.addStretch(1)

    def show_notice(self, text: str) -> None:
        """One line above the welcome (why the last plan did not reopen); "" hides it."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))


class PlanErrorPage(QWidget):
    """Why a plan could not be opened, in the app's words, with the ways forward."""

    open_requested = Signal()
    new_requested = Signal()
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plan_error_page")
        self.message = QLabel()
        self.message.setObjectName("plan_error_message")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        open_button = QPushButton("Open another plan…")
        new_button = QPushButton("Create a new plan…")
        self.back_button = QPushButton("Back to the open plan")
        open_button.clicked.connect(self.open_requested)
        new_button.clicked.connect(self.new_requested)
        self.back_button.clicked.connect(self.back_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(open_button)
        buttons.addWidget(new_button)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        card = QFrame()
        card.setMaximumWidth(760)
        v = QVBoxLayout(card)
        v.addWidget(_heading("This plan could not be opened"))
        v.addWidget(self.message)
        v.addSpacing(12)
        v.addLayout(buttons)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(48, 48, 48, 48)
        outer.addWidget(card)
        outer.addStretch(1)

    def show_error(self, message: str, *, can_go_back: bool) -> None:
        self.message.setText(message)
        self.back_button.setVisible(can_go_back)
