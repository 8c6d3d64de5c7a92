"""A release template's body, edited as a form instead of JSON.

A **Tasks** table (id, title, phase, role, offset and duration in working days, and what each
task waits on: ``build, test SS+1``), an **Approval stages** table (name, rule, percent for the
percent rule) with the current stage's approvers picked from the plan's people, the required test
kinds, and the rollback rehearsal age. Rows are added, removed and moved with the buttons above
each table or from the keyboard (Insert, Delete, Alt+Up, Alt+Down).

``value()`` first makes the cheap checks (a duplicate id, a dependency on an unknown task or on
itself, a loop), naming the row and selecting the cell; the service checks the rest and names the
first bad field by its path (``tasks[2].duration_days``), which ``show_refusal`` turns into the
same: the cell selected and the reason under its table. "Edit as JSON…" is kept for power users:
a dialog whose body the service checks before it replaces the form (nothing is saved there).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSignalBlocker,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models import enums as E

from ..common.tab_forms import LocalError, choices_of, place_cell_editor
from ..common.tab_support import Notice
from .template_body_model import (
    EMPTY_BODY,
    LINK_HINT,
    MAX_ID,
    BodyColumn,
    BodyModel,
    StageRowsModel,
    TaskRowsModel,
    task_problem,
)

_Index = QModelIndex | QPersistentModelIndex

# --- the cell editors --------------------------------------------------------------------------------


def column_kind(index: _Index) -> str:
    return index.model().columns[index.column()].kind  # type: ignore[attr-defined]


class BodyDelegate(QStyledItemDelegate):
    """Combo boxes for phase, role and rule, spin boxes for days and percent, a line for the rest."""

    def __init__(self, ids: Callable[[], list[str]] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.ids = ids or (lambda: [])

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:  # noqa: N802
        column: BodyColumn = index.model().columns[index.column()]  # type: ignore[attr-defined]
        editor: QWidget
        if column.kind in ("phase", "rule"):
            combo = QComboBox(parent)
            for text, value in choices_of(E.Phase if column.kind == "phase" else E.StageRule):
                combo.addItem(text, value)
            editor = combo
        elif column.kind == "role":
            combo = QComboBox(parent)
            combo.setEditable(True)
            combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            combo.addItem("", None)
            for text, value in choices_of(E.Role):
                combo.addItem(text, value)
            line = combo.lineEdit()
            if line is not None:
                line.setPlaceholderText("none, or any role")
            editor = combo
        elif column.kind in ("days", "percent"):
            spin = QSpinBox(parent)
            if column.kind == "days":
                spin.setRange(0, 9999)
                spin.setSuffix(" d")
            else:
                spin.setRange(1, 100)
                spin.setSuffix(" %")
            editor = spin
        else:
            line = QLineEdit(parent)
            if column.kind == "id":
                line.setMaxLength(MAX_ID)
            if column.kind == "links":
                line.setPlaceholderText(LINK_HINT)
                ids = ", ".join(self.ids()[:20])
                line.setToolTip(f"{LINK_HINT}. Tasks: {ids}" if ids else LINK_HINT)
            editor = line
        editor.setAccessibleName(column.title)
        editor.setAutoFillBackground(True)
        return editor

    def setEditorData(self, editor: QWidget, index: _Index) -> None:  # noqa: N802
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox) and editor.isEditable():
            i = editor.findData(value) if value else 0
            if i >= 0:
                editor.setCurrentIndex(i)
            else:
                editor.setEditText(str(value))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(value)))
        elif isinstance(editor, QSpinBox):
            empty = (
                50 if column_kind(index) == "percent" else 0
            )  # a percent just asked for starts half way
            editor.setValue(int(value) if value is not None else empty)
        elif isinstance(editor, QLineEdit):
            editor.setText("" if value is None else str(value))
            editor.selectAll()

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: _Index) -> None:  # noqa: N802
        value: Any
        if isinstance(editor, QComboBox) and editor.isEditable():
            text = editor.currentText().strip()
            i = editor.findText(text, Qt.MatchFlag.MatchFixedString)
            value = editor.itemData(i) if i >= 0 else text  # a role of the list, or the words typed
        elif isinstance(editor, QComboBox):
            value = editor.currentData()
        elif isinstance(editor, QSpinBox):
            editor.interpretText()
            value = editor.value()
        elif isinstance(editor, QLineEdit):
            value = editor.text()
        else:  # pragma: no cover
            return
        model.setData(index, value, Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: _Index
    ) -> None:  # noqa: N802
        place_cell_editor(editor, option.rect)


class BodyTable(QTableView):
    """One of the body's tables: Insert adds a row, Delete removes the current one, Alt+Up and
    Alt+Down move it (asked of the editor through signals); type into a cell to edit it."""

    add_requested = Signal()
    remove_requested = Signal()
    move_requested = Signal(int)  # -1 up, +1 down

    def __init__(
        self, model: BodyModel, name: str, title: str, stretch: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(title)
        self.setModel(model)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTabKeyNavigation(
            False
        )  # Tab leaves the table (to the buttons); while editing it moves on
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        self.stretch = model.column(stretch)
        header.setSectionResizeMode(self.stretch, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(self.fit_height)
        model.rowsInserted.connect(self.fit_height)
        model.rowsRemoved.connect(self.fit_height)
        model.modelReset.connect(self.fit_height)
        self.fit_height()

    def body_model(self) -> BodyModel:
        return self.model()  # type: ignore[return-value]

    def fit_height(self, *_: Any, least: int = 3, most: int = 10) -> None:
        """Tall enough for its rows (between ``least`` and ``most``; more scroll)."""
        rows = max(least, min(most, self.model().rowCount()))
        wide = (
            self.horizontalHeader().length() > self.viewport().width()
        )  # columns wider than the table scroll
        bar = self.horizontalScrollBar().sizeHint().height() if wide else 0
        self.setFixedHeight(
            self.horizontalHeader().sizeHint().height()
            + rows * self.verticalHeader().defaultSectionSize()
            + bar
            + 2 * self.frameWidth()
        )

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.fit_height()

    def fit_columns(self, maximum: int = 260) -> None:
        """Each column as wide as its contents (at most ``maximum``); the stretching one takes the rest."""
        header = self.horizontalHeader()
        columns = self.body_model().columns
        for c in range(header.count()):
            if c != self.stretch:
                width = max(
                    self.sizeHintForColumn(c),
                    header.sectionSizeHint(c),
                    self._least_width(columns[c]),
                )
                header.resizeSection(c, min(width, maximum))
        header.setSectionResizeMode(
            self.stretch, QHeaderView.ResizeMode.Stretch
        )  # and lay the sections out again

    def _least_width(self, column: BodyColumn) -> int:
        """Wide enough for the usual values even while the table is empty (rows are added later)."""
        samples = {
            "phase": [text for text, _ in choices_of(E.Phase)],
            "role": [text for text, _ in choices_of(E.Role)],
            "rule": [text for text, _ in choices_of(E.StageRule)],
            "id": ["T10"],
            "text": ["QA sign-off"],
            "days": ["999"],
            "percent": ["100 %"],
            "links": ["T10 FS+2"],
        }.get(column.kind, [])
        return max((self.fontMetrics().horizontalAdvance(t) for t in samples), default=0) + 16

    def _key(self, event: QKeyEvent) -> str | None:
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.key() == Qt.Key.Key_Insert and mods == Qt.KeyboardModifier.NoModifier:
            return "add"
        if event.key() == Qt.Key.Key_Delete and mods == Qt.KeyboardModifier.NoModifier:
            return "remove"
        if (
            event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)
            and mods == Qt.KeyboardModifier.AltModifier
        ):
            return "up" if event.key() == Qt.Key.Key_Up else "down"
        return None

    def event(self, event: QEvent) -> bool:
        # Delete and Insert may be menu shortcuts elsewhere: while this table has the focus they are its own.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and self.state() != QAbstractItemView.State.EditingState
            and self._key(event)
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        action = self._key(event) if self.state() != QAbstractItemView.State.EditingState else None
        if action == "add":
            self.add_requested.emit()
        elif action == "remove":
            self.remove_requested.emit()
        elif action in ("up", "down"):
            self.move_requested.emit(-1 if action == "up" else 1)
        else:
            super().keyPressEvent(event)

    def finish_editing(self) -> None:
        """Put an open cell editor's value into the model (Ctrl+Return saves without leaving the cell)."""
        if self.state() != QAbstractItemView.State.EditingState:
            return
        editor = self.indexWidget(self.currentIndex())
        if editor is not None:
            self.commitData(editor)
            self.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def go_to(self, row: int, column: int, *, edit: bool = False) -> None:
        index = self.model().index(row, column)
        if not index.isValid():
            return
        self.setCurrentIndex(index)
        self.scrollTo(index)
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        if edit:
            self.edit(index)


class RowsBox(QWidget):
    """A heading, the Add / Remove / Move up / Move down buttons, a table and the reason a row
    was refused."""

    def __init__(
        self,
        title: str,
        noun: str,
        model: BodyModel,
        name: str,
        stretch: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}_box")
        self.model = model
        self.table = BodyTable(model, f"{name}_table", title, stretch)
        heading = QLabel(f"<b>{title}</b>")
        heading.setBuddy(self.table)
        self.add_button = _button(
            f"Add {noun}",
            f"add_{noun.replace(' ', '_')}",
            f"Add a {noun} below the current one (Insert in the table)",
        )
        self.remove_button = _button(
            "Remove",
            f"remove_{noun.replace(' ', '_')}",
            f"Remove the current {noun} (Delete in the table)",
        )
        self.up_button = _button(
            "Move up", f"up_{noun.replace(' ', '_')}", "Move the current row up (Alt+Up)"
        )
        self.down_button = _button(
            "Move down", f"down_{noun.replace(' ', '_')}", "Move the current row down (Alt+Down)"
        )
        head = QHBoxLayout()
        head.addWidget(heading, 1)
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button):
            head.addWidget(b)
        self.error = Notice(f"error_{name}")
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 6, 0, 0)
        self.layout_.setSpacing(4)
        self.layout_.addLayout(head)
        self.layout_.addWidget(self.table)
        self.layout_.addWidget(self.error)
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        self.up_button.clicked.connect(lambda: self.move_row(-1))
        self.down_button.clicked.connect(lambda: self.move_row(1))
        self.table.add_requested.connect(self.add)
        self.table.remove_requested.connect(self.remove)
        self.table.move_requested.connect(self.move_row)
        self.table.selectionModel().currentChanged.connect(lambda *_: self._enable())
        model.modelReset.connect(self._enable)
        model.rowsInserted.connect(self._enable)
        model.rowsRemoved.connect(self._enable)
        model.rowsMoved.connect(self._enable)
        self._enable()

    def current(self) -> int:
        index = self.table.currentIndex()
        return index.row() if index.isValid() else -1

    def _enable(self) -> None:
        i, n = self.current(), self.model.rowCount()
        self.remove_button.setEnabled(0 <= i < n)
        self.up_button.setEnabled(0 < i < n)
        self.down_button.setEnabled(0 <= i < n - 1)

    def add(self) -> int:
        """A new row below the current one (at the end when none is), its first text cell being edited."""
        self.table.finish_editing()
        i = self.current()
        at = self.model.insert(i + 1 if i >= 0 else self.model.rowCount(), self.model.new_row(i))
        self.table.go_to(at, 1 if self.model.columns[0].kind == "id" else 0, edit=True)
        return at

    def remove(self) -> None:
        self.table.finish_editing()
        i = self.current()
        if i < 0:
            return
        column = self.table.currentIndex().column()
        self.model.remove(i)
        if self.model.rowCount():
            self.table.go_to(min(i, self.model.rowCount() - 1), column)
        else:
            self.table.setFocus()
        self._enable()

    def move_row(self, delta: int) -> None:
        self.table.finish_editing()
        i = self.current()
        column = self.table.currentIndex().column()
        if self.model.move(i, i + delta):
            self.table.go_to(i + delta, column)
        self._enable()


def _button(text: str, name: str, tip: str) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.setToolTip(tip)
    return b


# --- the editor ----------------------------------------------------------------------------------------

_PATH = re.compile(r"^(tasks|approval_stages)\[(\d+)\](?:\.(\w+))?")


class TemplateBodyEditor(QWidget):
    """The body's tables, required tests and rollback rehearsal age. ``set_value`` shows a body,
    ``value()`` reads it back (after the checks that need no service), ``draft()`` without them."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("template_body")
        self._people: list[tuple[str, str]] = []  # (name, email)
        self._tests_order: list[str] = []  # the loaded body's order, kept when saving
        self.json_dialog: BodyJsonDialog | None = None

        self.tasks_model = TaskRowsModel(self)
        self.tasks = RowsBox("Tasks", "task", self.tasks_model, "tasks", "title")
        self.tasks.table.setItemDelegate(BodyDelegate(self.tasks_model.ids, self.tasks.table))
        hint = QLabel(
            "Offsets and durations are in working days from day 0 of the release; "
            f"“depends on” lists task ids, {LINK_HINT}."
        )
        hint.setWordWrap(True)
        hint.setProperty("role", "subtle")
        self.tasks.layout_.insertWidget(2, hint)

        self.stages_model = StageRowsModel(self)
        self.stages = RowsBox("Approval stages", "stage", self.stages_model, "stages", "approvers")
        self.stages.table.setItemDelegate(BodyDelegate(parent=self.stages.table))
        self.approvers_label = QLabel()
        self.approvers = QListWidget()
        self.approvers.setObjectName("stage_approvers")
        self.approvers.setAccessibleName("Approvers of the current stage")
        self.approvers.setToolTip(
            "Tick the people who approve the stage chosen in the table (Space ticks)"
        )
        self.approvers.setMaximumHeight((self.fontMetrics().height() + 8) * 5 + 8)
        self.approvers_label.setBuddy(self.approvers)
        self.stages.layout_.insertWidget(2, self.approvers_label)
        self.stages.layout_.insertWidget(3, self.approvers)
        self.approvers.itemChanged.connect(self._approver_ticked)
        self.stages.table.selectionModel().currentChanged.connect(lambda *_: self._show_approvers())
        self.stages_model.modelReset.connect(self._show_approvers)
        self.stages_model.rowsRemoved.connect(self._show_approvers)
        self.stages_model.rowsMoved.connect(self._show_approvers)
        self.stages_model.dataChanged.connect(
            lambda *_: self._name_stage()
        )  # a renamed stage; the list stays

        tests_label = QLabel("<b>Required tests</b>")
        self.tests: dict[str, QCheckBox] = {}
        tests_row = QHBoxLayout()
        tests_row.setSpacing(12)
        for text, kind in choices_of(E.TestKind):
            box = QCheckBox(text)
            box.setObjectName(f"required_test_{kind}")
            box.toggled.connect(lambda _c: self.edited.emit())
            self.tests[kind] = box
            tests_row.addWidget(box)
        tests_row.addStretch(1)
        self.tests_error = Notice("error_required_tests")

        self.rehearsal = QSpinBox()
        self.rehearsal.setObjectName("rollback_rehearsal_days")
        self.rehearsal.setRange(0, 3650)
        self.rehearsal.setSpecialValueText("not required")
        self.rehearsal.setSuffix(" days")
        self.rehearsal.setAccessibleName("Rollback rehearsed within (days)")
        self.rehearsal.setToolTip(
            "A release from this template must have rehearsed its rollback within this many "
            "days before it deploys; “not required” (0) when it need not"
        )
        self.rehearsal.valueChanged.connect(lambda _v: self.edited.emit())
        rehearsal_label = QLabel("<b>Rollback rehearsed within</b>")
        rehearsal_label.setBuddy(self.rehearsal)
        self.rehearsal_error = Notice("error_rollback_rehearsal_days")
        rehearsal_row = QHBoxLayout()
        rehearsal_row.addWidget(rehearsal_label)
        rehearsal_row.addWidget(self.rehearsal)
        rehearsal_row.addStretch(1)
        self.json_button = _button(
            "Edit as JSON…",
            "edit_body_json",
            "The body as JSON, for power users; it replaces the form when it is valid",
        )
        self.json_button.clicked.connect(self.open_json)
        rehearsal_row.addWidget(self.json_button)

        self.error = Notice("error_body")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.error)
        layout.addWidget(self.tasks)
        layout.addWidget(self.stages)
        layout.addSpacing(4)
        layout.addWidget(tests_label)
        layout.addLayout(tests_row)
        layout.addWidget(self.tests_error)
        layout.addLayout(rehearsal_row)
        layout.addWidget(self.rehearsal_error)
        self.tasks_model.changed.connect(self.edited)
        self.stages_model.changed.connect(self.edited)
        self._show_approvers()

    # --- people --------------------------------------------------------------------------------

    def set_people(self, people: Iterable[Any]) -> None:
        """The plan's people, who may approve a stage (``name`` and ``email`` of each)."""
        self._people = [(p.name, p.email) for p in people]
        self._show_approvers()

    def _show_approvers(self) -> None:
        i = self.stages.current()
        with QSignalBlocker(self.approvers):
            self.approvers.clear()
            if not 0 <= i < self.stages_model.rowCount():
                self.approvers_label.setText(
                    "Approvers: choose a stage in the table to tick who approves it."
                )
                self.approvers.setEnabled(False)
                return
            stage = self.stages_model.rows[i]
            self._name_stage()
            self.approvers.setEnabled(True)
            known = {email for _name, email in self._people}
            chosen = stage["approvers"]
            shown = [(f"{name} — {email}", email) for name, email in self._people]
            row_height = self.approvers.fontMetrics().height() + 8
            shown += [
                (f"{email} (not in this plan)", email) for email in chosen if email not in known
            ]
            for text, email in shown:
                item = QListWidgetItem(text)
                item.setSizeHint(QSize(0, row_height))  # room for the themes' larger check boxes
                item.setData(Qt.ItemDataRole.UserRole, email)
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsUserCheckable
                )
                item.setCheckState(
                    Qt.CheckState.Checked if email in chosen else Qt.CheckState.Unchecked
                )
                self.approvers.addItem(item)

    def _name_stage(self) -> None:
        i = self.stages.current()
        if 0 <= i < self.stages_model.rowCount():
            self.approvers_label.setText(
                f"Approvers of stage {i + 1} “{self.stages_model.rows[i]['name']}”:"
            )

    def _approver_ticked(self, item: QListWidgetItem) -> None:
        i = self.stages.current()
        if not 0 <= i < self.stages_model.rowCount():
            return
        email = item.data(Qt.ItemDataRole.UserRole)
        chosen = [e for e in self.stages_model.rows[i]["approvers"] if e != email]
        if item.checkState() == Qt.CheckState.Checked:
            chosen.append(email)
        self.stages_model.apply(i, "approvers", chosen)

    def approver_item(self, email: str) -> QListWidgetItem | None:
        for k in range(self.approvers.count()):
            item = self.approvers.item(k)
            if item.data(Qt.ItemDataRole.UserRole) == email:
                return item
        return None

    # --- the value -----------------------------------------------------------------------------------

    def set_value(self, body: Any) -> None:
        body = body if isinstance(body, dict) else EMPTY_BODY
        self.tasks_model.set_rows(body.get("tasks") or [])
        self.stages_model.set_rows(body.get("approval_stages") or [])
        tests = [t for t in body.get("required_tests") or [] if isinstance(t, str)]
        self._tests_order = list(tests)
        for kind, box in self.tests.items():
            with QSignalBlocker(box):
                box.setChecked(kind in tests)
        with QSignalBlocker(self.rehearsal):
            days = body.get("rollback_rehearsal_days")
            self.rehearsal.setValue(
                days if isinstance(days, int) and not isinstance(days, bool) else 0
            )
        for rows_box in (self.tasks, self.stages):
            rows_box.table.fit_columns()
        if self.stages_model.rowCount():  # the approvers list shows the current stage's
            self.stages.table.setCurrentIndex(self.stages_model.index(0, 0))
        self._show_approvers()
        self.clear_errors()
        self.edited.emit()

    def draft(self) -> dict[str, Any]:
        """The body as the form holds it now, unchecked."""
        chosen = [k for k, box in self.tests.items() if box.isChecked()]
        tests = [k for k in self._tests_order if k in chosen] + [
            k for k in chosen if k not in self._tests_order
        ]
        return {
            "tasks": [
                {**copy.deepcopy(t), "role": t["role"] or None} for t in self.tasks_model.rows
            ],
            "approval_stages": copy.deepcopy(self.stages_model.rows),
            "required_tests": tests,
            "rollback_rehearsal_days": self.rehearsal.value() or None,
        }

    def value(self) -> dict[str, Any]:
        """The body, after the checks that need no service; a problem is shown at its row and
        raised as ``LocalError``."""
        self.tasks.table.finish_editing()
        self.stages.table.finish_editing()
        self.rehearsal.interpretText()
        self.clear_errors()
        body = self.draft()
        problem = task_problem(body["tasks"])
        if problem is not None:
            row, key, message = problem
            self._show_at(self.tasks, row, key, message)
            raise LocalError(message)
        return body

    # --- reasons ---------------------------------------------------------------------------------------

    def show_refusal(self, field: str | None, message: str) -> bool:
        """Show the service's reason at the cell its ``field`` names (``tasks[2].duration_days``);
        False when the field is not the body's."""
        field = field or ""
        m = _PATH.match(field)
        if m is not None:
            table, row, key = m.group(1), int(m.group(2)), m.group(3)
            box = self.tasks if table == "tasks" else self.stages
            columns = {c.key: c for c in box.model.columns}
            column = columns.get(key or "") or box.model.columns[0]
            rest = message[len(field) :].lstrip(": ") if message.startswith(field) else message
            if rest.lower().startswith(
                column.label.lower() + ":"
            ):  # "Percent: the percent rule needs…"
                rest = rest[len(column.label) + 1 :].strip()
            message = f"{_row_name(box, row)}, {column.label}: {rest}"
            self._show_at(box, row, column.key, message)
            return True
        head = field.split("[", 1)[0].split(".", 1)[0]
        if head == "required_tests":
            self.tests_error.show_error(message)
            next(iter(self.tests.values())).setFocus()
        elif head == "rollback_rehearsal_days":
            self.rehearsal_error.show_error(message)
            self.rehearsal.setFocus()
        elif head in ("body", "tasks", "approval_stages"):
            self.error.show_error(message)
        else:
            return False
        return True

    def _show_at(self, box: RowsBox, row: int, key: str, message: str) -> None:
        box.error.show_error(message)
        if 0 <= row < box.model.rowCount():
            box.table.go_to(row, box.model.column(key))

    def clear_errors(self) -> None:
        for notice in (
            self.error,
            self.tasks.error,
            self.stages.error,
            self.tests_error,
            self.rehearsal_error,
        ):
            notice.clear_notice()

    def error_text(self) -> str:
        return " ".join(
            n.shown_text
            for n in (
                self.error,
                self.tasks.error,
                self.stages.error,
                self.tests_error,
                self.rehearsal_error,
            )
            if n.shown_text
        )

    # --- JSON, for power users ------------------------------------------------------------------------

    def open_json(self) -> None:
        self.tasks.table.finish_editing()
        self.stages.table.finish_editing()
        known = {email for _name, email in self._people} or None
        self.json_dialog = BodyJsonDialog(self.draft(), known, self)
        self.json_dialog.applied.connect(self.set_value)
        self.json_dialog.open()


def _row_name(box: RowsBox, row: int) -> str:
    noun = "Task" if box.model.columns[0].kind == "id" else "Approval stage"
    rows = box.model.rows
    name = (rows[row].get("id") or rows[row].get("name") or "") if 0 <= row < len(rows) else ""
    return f"{noun} {row + 1}" + (f" ({name})" if name else "")


# --- the JSON dialog -------------------------------------------------------------------------------------


class BodyJsonDialog(QDialog):
    """The body as JSON. "Use this body" checks it as the service will (naming the first bad
    field) and hands it to the form; nothing is saved until the template is."""

    applied = Signal(object)

    def __init__(
        self, body: dict[str, Any], known_emails: set[str] | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("body_json_dialog")
        self.setWindowTitle("Template body as JSON")
        self.known_emails = known_emails
        self.text = QPlainTextEdit(json.dumps(body, indent=2))
        self.text.setObjectName("body_json")
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setTabChangesFocus(True)
        self.error = Notice("body_json_error")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Use this body")
        buttons.accepted.connect(self.use)
        buttons.rejected.connect(self.reject)
        note = QLabel("The form shows this body when it is valid; save the template to keep it.")
        note.setWordWrap(True)
        note.setProperty("role", "subtle")
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(
            self.fontMetrics().horizontalAdvance("M") * 60, self.fontMetrics().height() * 32
        )

    def use(self) -> bool:
        from relman_desktop.services.base import ServiceError
        from relman_desktop.services.templates import validate_body

        try:
            body = json.loads(self.text.toPlainText() or "{}")
        except json.JSONDecodeError as exc:
            self.error.show_error(
                f"Not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            )
            return False
        try:
            body = validate_body(body, self.known_emails)  # a pure check: no plan is read
        except ServiceError as exc:
            self.error.show_error(str(exc))
            return False
        self.applied.emit(body)
        self.accept()
        return True
