"""The release editor: a header, the lifecycle buttons, and one tab per aspect of a release.

The editor builds the tabs it is given, in order: a ``TabSpec`` pairs a title with a factory
taking ``(store, editor)`` and returning a QWidget; if the widget has ``set_release(key)`` the
editor calls it whenever the release shown changes. The shell's composition root
(``views/shell/screens.py``) lists the app's tabs.

Here: the lifecycle bar (``LifecycleBar`` and its ``GuardPanel``) and the editor's frame
(``ReleaseEditor``). The Overview tab (the release's own fields) is in ``overview_tab.py``;
``OverviewTab`` is importable from here too, which is where the composition root builds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..common.elided_label import ElidedLabel
from ..shell.store import Store
from .guard_targets import Target, target_for
from .overview_tab import OverviewTab  # the "Overview" tab, built from here by screens.py
from .tab_spec import TabSpec  # apart, so screens.py lists the tabs without this module

# --- lifecycle --------------------------------------------------------------------------------


class GuardPanel(QFrame):
    """What is missing for a refused move, each item with a way to the tab that fixes it, and
    for soft guards an override that needs a written reason (no modal dialog)."""

    jump_requested = Signal(str)  # tab title (or page name) of the fix
    target_requested = Signal(object)  # the fix's guard_targets.Target
    move_requested = Signal(str)  # the state to move to, once every condition holds
    override_requested = Signal(str, str)  # to_state, reason

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guard_panel")
        self.setProperty("role", "banner")
        self.to_state = ""
        self.check: Any = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: 600;")
        self.items = QVBoxLayout()
        self.items.setSpacing(4)
        self.override_button = QPushButton("Override with reason…")
        self.override_button.clicked.connect(self.show_override)
        close = QPushButton("Close")
        close.clicked.connect(self.hide)

        self.reason_box = QWidget()
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("override_reason")
        self.reason.setPlaceholderText(
            "Why is it safe to go ahead without this? The reason is kept in the audit trail."
        )
        self.reason.setMaximumHeight(self.fontMetrics().height() * 4 + 12)
        self.reason.setAccessibleName("Override reason")
        self.reason_error = QLabel()
        self.reason_error.setProperty("role", "error")
        self.reason_error.hide()
        self.confirm_button = QPushButton("Override and move")
        self.confirm_button.clicked.connect(self._confirm)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(lambda: self.reason_box.hide())
        rv = QVBoxLayout(self.reason_box)
        rv.setContentsMargins(0, 4, 0, 0)
        rv.addWidget(self.reason)
        rv.addWidget(self.reason_error)
        rb = QHBoxLayout()
        rb.addStretch(1)
        rb.addWidget(cancel)
        rb.addWidget(self.confirm_button)
        rv.addLayout(rb)
        self.reason_box.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.override_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.title)
        layout.addLayout(self.items)
        layout.addWidget(self.reason_box)
        layout.addLayout(buttons)
        self.hide()

    def show_refusal(self, to_state: str, check: Any) -> None:
        self.to_state = to_state
        self.check = check
        while self.items.count():
            item = self.items.takeAt(0)
            gone = item.widget() if item is not None else None
            if gone is not None:
                gone.deleteLater()
        unmet = list(getattr(check, "unmet", []) or [])
        n = len(unmet)
        self.title.setText(
            f"Cannot move to {to_state} yet: {n} condition{'s' if n != 1 else ''} not met."
        )
        for u in unmet:
            self.items.addWidget(self._item(u))
        overridable = bool(unmet) and all(u.soft for u in unmet)
        self.override_button.setVisible(overridable)
        self.override_button.setEnabled(overridable)
        if not overridable and unmet:
            note = QLabel(
                "Conditions marked “required” cannot be overridden; put them right first."
            )
            note.setWordWrap(True)
            self.items.addWidget(note)
        self.confirm_button.setText(f"Override and move to {to_state}")
        self.reason.clear()
        self.reason_error.hide()
        self.reason_box.hide()
        self.show()

    def _item(self, unmet: Any) -> QWidget:
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        title = getattr(unmet, "title", None) or unmet.guard.replace("_", " ")
        kind = "may be overridden" if unmet.soft else "required"
        if getattr(unmet, "binding", ""):  # a hard freeze: no override, whatever the workflow says
            kind = f"required: {unmet.binding}"
        text = QLabel(
            f"<b>{_html(str(title)).capitalize()}</b> ({kind}): "
            + "; ".join(_html(m) for m in unmet.messages)
        )
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        target = target_for(unmet.guard, unmet.messages)
        jump = QPushButton(target.label)
        jump.setProperty("role", "link")
        jump.setObjectName(f"jump_{unmet.guard}")
        jump.setCursor(Qt.CursorShape.PointingHandCursor)
        jump.setToolTip(
            f"Go to {target.tab} and put it right" if target.tab else f"Open {target.label}"
        )
        jump.clicked.connect(lambda _c=False, t=target: self._jump(t))
        row.addWidget(text, 1)
        row.addWidget(jump, 0, Qt.AlignmentFlag.AlignTop)
        return w

    def _jump(self, target: Target) -> None:
        self.jump_requested.emit(target.tab or target.page or "")
        self.target_requested.emit(target)

    def show_ready(self, to_state: str) -> None:
        """Every condition now holds (put right while the panel was open): say so, and offer
        the move itself."""
        self.to_state = to_state
        self.check = None
        while self.items.count():
            item = self.items.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.title.setText(f"All conditions are met now: {to_state} is allowed.")
        move = QPushButton(f"Move to {to_state}")
        move.setObjectName("move_now")
        move.clicked.connect(lambda _c=False, s=to_state: self.move_requested.emit(s))
        self.items.addWidget(move, 0, Qt.AlignmentFlag.AlignLeft)
        self.override_button.hide()
        self.reason_box.hide()
        self.show()

    def show_override(self) -> None:
        unmet = list(getattr(self.check, "unmet", []) or [])
        if not unmet or not all(u.soft for u in unmet):
            return  # a required condition cannot be overridden
        self.reason_box.show()
        self.reason.setFocus(Qt.FocusReason.OtherFocusReason)

    def _confirm(self) -> None:
        reason = self.reason.toPlainText().strip()
        if not reason:
            self.reason_error.setText("Write a reason: an override without one is refused.")
            self.reason_error.show()
            return
        self.reason_error.hide()
        self.override_requested.emit(self.to_state, reason)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class LifecycleBar(QWidget):
    """A button per state the release may move to; a refused move opens the guard panel, which
    checks again after every change to the plan until it is closed (or the move is allowed)."""

    jump_requested = Signal(str)
    target_requested = Signal(object)  # guard_targets.Target

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.key: str | None = None
        self.buttons: dict[str, QPushButton] = {}
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        self.caption = QLabel("Move to:")
        self.panel = GuardPanel()
        self.panel.jump_requested.connect(self.jump_requested)
        self.panel.target_requested.connect(self.target_requested)
        self.panel.move_requested.connect(self.request)
        self.panel.override_requested.connect(self._override)
        store.changed.connect(self._store_changed)  # bound: Qt drops it with the bar
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.row)
        layout.addWidget(self.panel)

    def set_release(self, key: str | None) -> None:
        self.key = key
        if key:
            self.store.selection.set(key)
        self.panel.hide()
        self.refresh()

    def refresh(self) -> None:
        while self.row.count():
            item = self.row.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None and w is not self.caption:
                w.deleteLater()
        self.buttons.clear()
        if not self.key:
            return
        options = self.store.available_transitions(self.key)
        self.row.addWidget(self.caption)
        if options is None:
            note = QLabel("Lifecycle moves arrive with the lifecycle service.")
            note.setProperty("role", "subtle")
            self.row.addWidget(note)
        elif not options:
            note = QLabel("No further moves from this state.")
            note.setProperty("role", "subtle")
            self.row.addWidget(note)
        for to_state, label in options or []:
            button = QPushButton(label)
            button.setObjectName(f"transition_{to_state}")
            button.setToolTip(f"Check the conditions and move this release to {to_state}")
            button.clicked.connect(lambda _c=False, s=to_state: self.request(s))
            self.buttons[to_state] = button
            self.row.addWidget(button)
        self.row.addStretch(1)

    def request(self, to_state: str) -> None:
        if not self.key:
            return
        check = self.store.can_transition(self.key, to_state)
        if check is not None:
            self.show_check(to_state, check)

    def show_check(self, to_state: str, check: Any) -> None:
        """A check's answer: move at once when allowed, otherwise list what is missing."""
        if getattr(check, "allowed", False):
            self.panel.hide()
            if self.key and self.store.transition(self.key, to_state):
                self.refresh()
            return
        self.panel.show_refusal(to_state, check)

    def _store_changed(self, _changes: object) -> None:
        self.recheck()

    def recheck(self) -> None:
        """The plan changed while the guard panel is open: show what is still missing (a
        reason being written is kept), or that the move is allowed now."""
        to_state = getattr(self.panel, "to_state", None)
        if not self.key or not to_state or self.panel.isHidden():
            return
        check = self.store.can_transition(self.key, to_state)
        if check is None:
            return
        if getattr(check, "allowed", False):
            self.panel.show_ready(to_state)
            return
        reason, writing = self.panel.reason.toPlainText(), self.panel.reason_box.isVisibleTo(self)
        self.panel.show_refusal(to_state, check)
        if writing and self.panel.override_button.isVisible():
            self.panel.reason_box.show()
            self.panel.reason.setPlainText(reason)

    def _override(self, to_state: str, reason: str) -> None:
        if self.key and self.store.transition(self.key, to_state, reason=reason):
            self.panel.hide()
            self.refresh()


# --- the editor -------------------------------------------------------------------------------


class ReleaseEditor(QWidget):
    back_requested = Signal()
    tool_requested = Signal(str, str, str)  # page, tool, release key: a guard's fix elsewhere

    def __init__(
        self, store: Store, tabs: Sequence[TabSpec], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("release_editor")
        self.store = store
        self.key: str | None = None
        self.back = QPushButton("← Releases")
        self.back.setToolTip("Back to the releases list (Esc)")
        self.back.clicked.connect(self.back_requested)
        # A long title ends in "…", never widens the editor past the window (which pushed the
        # guard panel's "fix it" links off-screen); the whole heading is in the tooltip.
        self.heading = ElidedLabel()
        self.heading.setProperty("role", "heading")
        self.status = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.back)
        top.addWidget(self.heading, 1)
        top.addWidget(self.status)
        self.top = top  # the shell adds the conflict badge here
        self.lifecycle = LifecycleBar(store)
        # Closed or Cancelled (by role): the tabs are read-only until a transition reopens it.
        self.read_only_notice = QLabel()
        self.read_only_notice.setObjectName("read_only_notice")
        self.read_only_notice.setProperty("role", "error")
        self.read_only_notice.setWordWrap(True)
        self.read_only_notice.hide()
        self.read_only = False
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tab_widgets: dict[str, QWidget] = {}
        for spec in tabs:
            widget = spec.factory(store, self)
            self.tab_widgets[spec.title] = widget
            self.tabs.addTab(widget, spec.title)
        self.lifecycle.target_requested.connect(self.go_to)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addWidget(self.lifecycle)
        layout.addWidget(self.read_only_notice)
        layout.addWidget(self.tabs, 1)
        store.release_changed.connect(self._changed)
        store.release_renamed.connect(self._renamed)
        store.release_deleted.connect(self._deleted)
        # Another plan (or none): nothing of the old plan's release stays open, so no edit in
        # progress can land in the new plan's release of the same key.
        store.plan_opened.connect(self._plan_gone)  # bound: the store outlives the editor
        store.plan_closed.connect(self._plan_gone)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        # Esc that no field wanted (fields ignore it) goes back to the list.
        if event.key() == Qt.Key.Key_Escape:
            self.back_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    @property
    def overview(self) -> OverviewTab:
        return self.tab_widgets["Overview"]  # type: ignore[return-value]

    def set_release(self, key: str | None) -> None:
        self.key = key
        if key:
            self.store.selection.set(key)
        self.lifecycle.set_release(key)
        for widget in self.tab_widgets.values():
            setter = getattr(widget, "set_release", None)
            if callable(setter):
                setter(key)
        self._refresh_header()  # after the tabs: a read-only release disables what they enabled

    def _refresh_header(self) -> None:
        detail = self.store.release(self.key) if self.key else None
        if detail is None:
            self.heading.setText("No release")
            self.status.setText("")
            self._set_read_only(None)
            return
        self.heading.setText(f"{detail.key} — {detail.title}")
        self.status.setText(f"Status: <b>{_html(detail.status)}</b>")
        self._set_read_only(detail)

    def _set_read_only(self, detail: Any) -> None:
        """A Closed or Cancelled release (by its state's role) is shown, not edited: every tab
        but History is disabled and a line says how to edit it again (the lifecycle bar)."""
        self.read_only = bool(detail is not None and getattr(detail, "read_only", False))
        if self.read_only:
            self.read_only_notice.setText(
                f"{detail.key} is {detail.status}: reopen it through a workflow transition to edit it"
            )
        self.read_only_notice.setVisible(self.read_only)
        for title, widget in self.tab_widgets.items():
            if title != "History":
                widget.setEnabled(not self.read_only)

    def show_tab(self, title: str) -> bool:
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i).lower() == title.lower():
                self.tabs.setCurrentIndex(i)
                return True
        return False

    def go_to(self, target: Target) -> QWidget | None:
        """Land on a guard's fix: the tab, and the field or button in it scrolled into view and
        focused (a button that opens a picker is pressed); a tool on another page is asked of
        the main window. Answers the widget landed on."""
        if target.page:
            self.tool_requested.emit(target.page, target.tool or "", self.key or "")
            return None
        if not target.tab or not self.show_tab(target.tab):
            return None
        tab = self.tab_widgets[self.tabs.tabText(self.tabs.currentIndex())]
        widget = tab.findChild(QWidget, target.widget) if target.widget else None
        if widget is None:
            return None
        if target.click and isinstance(widget, QAbstractButton) and widget.isEnabled():
            widget.click()
        else:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
        self._scroll_to(widget)
        # again once the guard panel and the tab are laid out (the viewport shrinks)
        QTimer.singleShot(0, widget, lambda: self._scroll_to(widget))
        QTimer.singleShot(150, widget, lambda: self._scroll_to(widget))
        return widget

    @staticmethod
    def _scroll_to(widget: QWidget) -> None:
        """Bring ``widget`` into view in every scroll area holding it: whole, and near the top
        when it was out of view (a field at the very bottom edge is easy to miss)."""
        parent = widget.parentWidget()
        while parent is not None:
            if isinstance(parent, QScrollArea) and parent.widget() is not None:
                viewport = parent.viewport()
                top = widget.mapTo(viewport, widget.rect().topLeft()).y()
                bottom = top + widget.height()
                if top < 0 or bottom > viewport.height():
                    bar = parent.verticalScrollBar()
                    bar.setValue(bar.value() + top - min(48, viewport.height() // 4))
                parent.ensureWidgetVisible(widget, 16, 16)
            parent = parent.parentWidget()

    def current_tab(self) -> str:
        return self.tabs.tabText(self.tabs.currentIndex())

    def _changed(self, key: str) -> None:
        if key != self.key:
            return
        self.lifecycle.refresh()
        overview = self.tab_widgets.get("Overview")
        if isinstance(overview, OverviewTab):
            overview.reload()
        self._refresh_header()  # last: closing it makes what the reload enabled read-only

    def _renamed(self, old: str, new: str) -> None:
        if old == self.key:
            self.key = new
            for widget in self.tab_widgets.values():
                if hasattr(widget, "key"):
                    widget.key = new

    def _deleted(self, key: str) -> None:
        if key == self.key:
            self.back_requested.emit()

    def _plan_gone(self, *_path: object) -> None:
        if self.key is None:
            return
        self.set_release(None)
        self.back_requested.emit()
