"""The release editor's Changes tab: the changes bundled into the release, and a picker of the
changes in no release yet. Only approved changes can be added: the others are listed greyed out
with the reason. Adding or removing a change changes the release's scope, which sends approvals
already given back to pending; the tab says so when it happens. Both are undoable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models.planfile import PlanError
from relman_desktop.services import approvals, changes
from relman_desktop.services.base import ServiceError

from ..common.tab_support import NamedColumnsModel, Notice
from ..shell.commands import Refused
from ..shell.store import Store
from .releases_model import words

KEY_ROLE = Qt.ItemDataRole.UserRole + 1
_Index = QModelIndex | QPersistentModelIndex

COLUMNS = (
    ("key", "Key"),
    ("title", "Title"),
    ("category", "Category"),
    ("type", "Type"),
    ("approval", "Approval"),
    ("risk", "Risk"),
    ("cis", "CIs"),
)
PICKER_COLUMNS = (
    ("key", "Key"),
    ("title", "Title"),
    ("approval", "Approval"),
    ("reason", "Can it be added?"),
    ("category", "Category"),
    ("risk", "Risk"),
    ("cis", "CIs"),
)


class ChangesModel(NamedColumnsModel):
    """Changes by row from a cache of ``ChangeRow``s. As a picker (``picker=True``) it adds a
    column saying why a change cannot be added, and such rows are disabled."""

    numbered_rows = True

    def __init__(self, picker: bool = False, parent: Any = None) -> None:
        super().__init__(PICKER_COLUMNS if picker else COLUMNS, parent)
        self.picker = picker

    def row_of(self, key: str) -> int:
        return next((i for i, r in enumerate(self.rows) if r.key == key), -1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        found = self.cell(index)
        if found is None:
            return None
        r, name = found
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(r, name)
        if role == Qt.ItemDataRole.ToolTipRole:
            if self.picker and r.bundle_refusal:
                return r.bundle_refusal
            return r.description or r.title if name == "title" else self.display(r, name)
        if role == KEY_ROLE:
            return r.key
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self.columns[index.column()][1]}: {self.display(r, name) or 'none'}"
        return None

    @staticmethod
    def display(r: Any, name: str) -> str:
        if name == "cis":
            return ", ".join(r.cis)
        if name == "reason":
            refusal = r.bundle_refusal
            if not refusal:
                return "Yes, it is approved"
            # The service's sentence, without repeating the key the row starts with.
            return "No: it" + refusal[len(r.key) :] if refusal.startswith(r.key) else refusal
        if name in ("category", "type", "approval", "risk"):
            return words(getattr(r, name))
        return str(getattr(r, name) or "")

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if not (self.picker and self.rows[index.row()].bundle_refusal):
            flags |= Qt.ItemFlag.ItemIsEnabled
        return flags


class ChangeTable(QTableView):
    """A read-only list of changes; Enter activates the current row, Delete asks to remove."""

    delete_pressed = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Delete:
            self.delete_pressed.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated.emit(self.currentIndex())
            return
        super().keyPressEvent(event)

    def size_columns(self, widths: dict[int, int]) -> None:
        char = self.fontMetrics().averageCharWidth()
        for column, chars in widths.items():
            self.horizontalHeader().resizeSection(column, char * chars + 16)


class ChangesTab(QWidget):
    def __init__(self, store: Store, editor: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("changes_tab")
        self.store = store
        self.key: str | None = None

        self.model = ChangesModel(parent=self)
        self.table = ChangeTable("bundled_changes")
        self.table.setModel(self.model)
        self.table.setAccessibleName("Changes in this release")
        self.table.size_columns({0: 11, 1: 42, 2: 14, 3: 11, 4: 10, 5: 9})
        self.table.delete_pressed.connect(self.remove_selected)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())

        self.heading = QLabel()
        self.add_button = QPushButton("Add change…")
        self.add_button.setObjectName("add_change")
        self.add_button.setToolTip(
            "Choose changes that are in no release yet; only approved ones can be added"
        )
        self.add_button.clicked.connect(self.show_picker)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("remove_change")
        self.remove_button.setToolTip("Take the selected changes out of this release (Delete)")
        self.remove_button.clicked.connect(self.remove_selected)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.add_button)
        top.addWidget(self.remove_button)
        self.notice = Notice("changes_notice")

        # The picker: changes in no release, approved ones first; a filter; no modal dialog.
        self.picker = QGroupBox("Add changes that are in no release yet")
        self.picker.setObjectName("change_picker")
        self.picker_model = ChangesModel(picker=True, parent=self)
        self.picker_proxy = QSortFilterProxyModel(self)
        self.picker_proxy.setSourceModel(self.picker_model)
        self.picker_proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.picker_proxy.setFilterKeyColumn(-1)
        self.filter = QLineEdit()
        self.filter.setObjectName("change_filter")
        self.filter.setPlaceholderText("Filter by key, title, category, CI…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.picker_proxy.setFilterFixedString)
        self.picker_table = ChangeTable("unbundled_changes")
        self.picker_table.setModel(self.picker_proxy)
        self.picker_table.setAccessibleName("Changes in no release")
        self.picker_table.size_columns({0: 10, 1: 22, 2: 10, 3: 52, 4: 11, 5: 8})
        self.picker_table.activated.connect(lambda _i: self.add_selected())
        self.picker_table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.add_selected_button = QPushButton("Add selected")
        self.add_selected_button.setObjectName("add_selected_changes")
        self.add_selected_button.clicked.connect(self.add_selected)
        close = QPushButton("Close")
        close.clicked.connect(self.hide_picker)
        legend = QLabel(
            "Only approved changes can be added; the others are greyed out and say why."
        )
        legend.setProperty("role", "subtle")
        legend.setWordWrap(True)
        prow = QHBoxLayout()
        prow.addWidget(self.filter, 1)
        prow.addWidget(self.add_selected_button)
        prow.addWidget(close)
        pv = QVBoxLayout(self.picker)
        pv.addLayout(prow)
        pv.addWidget(legend)
        pv.addWidget(self.picker_table, 1)
        self.picker.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.notice)
        layout.addWidget(self.picker, 3)

        store.changes_changed.connect(self._changes_changed)
        store.plan_opened.connect(self._plan_opened)  # bound: the store outlives the tab
        self._enable()

    # --- showing ------------------------------------------------------------------------------

    def _plan_opened(self, _path: str) -> None:
        """Another plan: no release of the old one stays shown here."""
        self.set_release(None)

    def set_release(self, key: str | None) -> None:
        if key != self.key:
            self.notice.clear_notice()
        self.key = key
        self.reload()

    def _changes_changed(self, key: str) -> None:
        if key in ("", self.key):
            self.reload()

    def _list(self, **kwargs: Any) -> list[Any]:
        try:
            return changes.list_changes(self.store.ctx, **kwargs)
        except (ServiceError, PlanError) as exc:
            self.notice.show_error(str(exc))
            return []

    def reload(self) -> None:
        ready = self.key is not None and self.store.has_plan
        rows = self._list(release_key=self.key) if ready else []
        self.model.set_rows(rows)
        n = len(rows)
        self.heading.setText(
            f"{n} change{'s' if n != 1 else ''} in this release" if ready else "No release"
        )
        if self.picker.isVisible() or not self.picker.isHidden():
            self._reload_picker()
        self.setEnabled(ready)
        self._enable()

    def _reload_picker(self) -> None:
        rows = self._list(unbundled_only=True) if self.store.has_plan else []
        rows.sort(key=lambda r: (r.bundle_refusal is not None, r.key))
        self.picker_model.set_rows(rows)
        if rows:  # the reason is what this list is for: never clip it
            self.picker_table.resizeColumnToContents(
                PICKER_COLUMNS.index(("reason", "Can it be added?"))
            )
        self._enable()

    def show_picker(self) -> None:
        self._reload_picker()
        self.picker.show()
        self.filter.setFocus(Qt.FocusReason.OtherFocusReason)

    def hide_picker(self) -> None:
        self.picker.hide()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _enable(self) -> None:
        self.remove_button.setEnabled(bool(self.table.selectionModel().selectedRows()))
        self.add_selected_button.setEnabled(bool(self.picker_table.selectionModel().selectedRows()))

    # --- editing -------------------------------------------------------------------------------

    def _decided_approvals(self) -> int:
        if self.key is None:
            return 0
        try:
            stages = approvals.list_stages(self.store.ctx, self.key)
        except (ServiceError, PlanError):
            return 0
        return sum(1 for st in stages for a in st.approvers if a.decision != "pending")

    def _notify(self) -> list[tuple[str, tuple[Any, ...]]]:
        return [
            ("changes_changed", (self.key,)),
            ("changes_changed", ("",)),
            ("approvals_changed", (self.key,)),
        ]

    def add_changes(self, keys: list[str]) -> bool:
        """Bundle these changes into the release, as one undo step; refused as a whole if one
        of them cannot be added (the reason is shown)."""
        if not self.key or not keys:
            return False
        key = self.key
        decided = self._decided_approvals()
        return self._run(
            lambda: self.store.edits.bundle_changes(key, keys), decided, "Adding " + ", ".join(keys)
        )

    def remove_changes(self, keys: list[str]) -> bool:
        if not self.key or not keys:
            return False
        key = self.key
        decided = self._decided_approvals()
        return self._run(
            lambda: self.store.edits.unbundle_changes(key, keys),
            decided,
            "Removing " + ", ".join(keys),
        )

    def _run(self, action: Callable[[], object], decided: int, doing: str) -> bool:
        try:
            action()
        except Refused as exc:
            self.store.error.emit(str(exc))
            self.notice.show_error(str(exc))
            return False
        if decided:
            note = (
                f"{doing} changed the scope of {self.key}: {decided} approval{'s' if decided != 1 else ''} "
                f"given before {'were' if decided != 1 else 'was'} reset to pending and must be given again."
            )
            self.notice.show_note(note)
            self.store.message.emit(note)
        else:
            self.notice.clear_notice()
        return True

    def add_selected(self) -> bool:
        rows = self.picker_table.selectionModel().selectedRows()
        keys = [self.picker_proxy.data(i, KEY_ROLE) for i in rows]
        if not keys and self.picker_table.currentIndex().isValid():
            keys = [self.picker_proxy.data(self.picker_table.currentIndex(), KEY_ROLE)]
        return self.add_changes([k for k in keys if k])

    def remove_selected(self) -> bool:
        keys = [self.model.data(i, KEY_ROLE) for i in self.table.selectionModel().selectedRows()]
        return self.remove_changes([k for k in keys if k])


def prepare_screenshot(window: Any, key: str | None) -> None:
    if key is None:
        raise LookupError("the plan has no release to show; give --release KEY or use another plan")
    window.open_release(key, "Changes")
    tab = window.findChild(ChangesTab, "changes_tab")
    if tab is not None:
        tab.show_picker()
