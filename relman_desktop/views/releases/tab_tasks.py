"""The release editor's Tasks tab: a table filled from the keyboard like a spreadsheet.

Type into a cell, Tab/Enter to move on; type into the last, empty row (or press Insert, Ctrl+N,
or Enter on it) to add a task; Delete removes the selected tasks. Selecting several rows and
choosing a status, phase or assignee above the table sets it for all of them in one undo step.
Below the table, the current task's predecessors (FS/SS/FF/SF with lag); a link that would
close a loop is refused and the loop named. Every edit is saved at once and undoable; a refused
edit shows the service's reason under the table and the cell keeps its old value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.services import critical_path

from ..common.tab_support import Notice
from ..shell.commands import Refused
from ..shell.edits import TaskLink
from ..shell.store import Store
from ..shell.unsaved import Draft
from .releases_model import words
from .task_model import (
    COLUMN_INDEX,
    COLUMNS,
    LINK_TYPE_TIPS,
    LINK_TYPES,
    PHASES,
    STATUSES,
    DateCellEditor,
    LinkSyntaxError,
    TaskDelegate,
    TaskModel,
    parse_links,
)

NEW_TITLE = "New task"


def _links(text: str) -> list[TaskLink]:
    """The predecessors typed in a cell, as ``(task, type, lag)``; ``LinkSyntaxError`` if not."""
    return [(link.task, link.type, link.lag_days) for link in parse_links(text)]


class TaskTable(QTableView):
    """A QTableView that behaves like a spreadsheet: Enter moves down, Insert/Ctrl+N adds a
    row, Delete removes the selected rows (asked of the tab through signals)."""

    add_requested = Signal()
    delete_requested = Signal()
    refused = Signal(str)  # a typed value that cannot be read: it stays in its editor

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("task_table")
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setTabKeyNavigation(True)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setAccessibleName("Tasks")

    def task_model(self) -> TaskModel:
        return self.model()  # type: ignore[return-value]

    @staticmethod
    def _is_add(event: QKeyEvent) -> bool:
        return event.key() == Qt.Key.Key_Insert or (
            event.key() == Qt.Key.Key_N and event.modifiers() == Qt.KeyboardModifier.ControlModifier
        )

    def event(self, event: QEvent) -> bool:
        # Ctrl+N is also File > New Plan: while the table has the focus it adds a task instead.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and self.state() != QAbstractItemView.State.EditingState
            and isinstance(event, QKeyEvent)
            and (self._is_add(event) or event.key() == Qt.Key.Key_Delete)
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if self.state() != QAbstractItemView.State.EditingState:
            if self._is_add(event):
                self.add_requested.emit()
                return
            if event.key() == Qt.Key.Key_Delete:
                self.delete_requested.emit()
                return
            if (
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() == Qt.KeyboardModifier.NoModifier
            ):
                current = self.currentIndex()
                if current.isValid() and self.task_model().is_new_row(current.row()):
                    self.add_requested.emit()
                else:
                    self.move_to(current.row() + 1, current.column())
                return
        super().keyPressEvent(event)

    def move_to(self, row: int, column: int, *, edit: bool = False) -> None:
        model = self.task_model()
        row = max(0, min(row, model.rowCount() - 1))
        column = max(0, min(column, model.columnCount() - 1))
        index = model.index(row, column)
        self.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.scrollTo(index)
        if edit and index.flags() & Qt.ItemFlag.ItemIsEditable:
            self.edit(index)

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:  # noqa: N802
        Hint = QAbstractItemDelegate.EndEditHint
        if isinstance(editor, DateCellEditor) and editor.error and hint != Hint.RevertModelCache:
            # A date that does not read stays as typed, with the reason under the table;
            # Esc drops it.
            self.refused.emit(editor.error + " (Esc puts back the old date)")
            editor.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        model = self.task_model()
        column = self.currentIndex().column()
        added = model.take_added()
        if added is None:
            row = self.currentIndex().row()
            super().closeEditor(editor, hint)
            if hint == Hint.SubmitModelCache:  # Enter: the cell below, as in a spreadsheet
                self.move_to(row + 1, column)
            return
        # The empty row just became a task: carry on from the new task's row.
        super().closeEditor(editor, Hint.NoHint)
        row = model.row_of(added)
        if hint == Hint.EditNextItem:
            self.move_to(row, column + 1, edit=True)
        elif hint == Hint.EditPreviousItem:
            self.move_to(row, column - 1, edit=True)
        elif hint == Hint.SubmitModelCache:
            self.move_to(model.rowCount() - 1, column)
        else:
            self.move_to(row, column)


class LinksPanel(QGroupBox):
    """The current task's predecessors, and a form to add one (type and lag)."""

    add_requested = Signal(str, str, int)  # predecessor, type, lag days
    remove_requested = Signal(str)  # predecessor

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Dependencies", parent)
        self.setObjectName("links_panel")
        self.task: Any = None
        self.heading = QLabel("Choose a task to see what it waits on.")
        self.heading.setWordWrap(True)
        self.links = QListWidget()
        self.links.setObjectName("links_list")
        self.links.setAccessibleName("Predecessors of the current task")
        self.links.setMaximumHeight(self.fontMetrics().height() * 4 + 12)
        self.remove_button = QPushButton("Remove link")
        self.remove_button.setObjectName("remove_link")
        self.remove_button.clicked.connect(self._remove)
        self.predecessor = QComboBox()
        self.predecessor.setObjectName("link_predecessor")
        self.predecessor.setAccessibleName("Predecessor")
        self.predecessor.setMinimumContentsLength(10)
        self.predecessor.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.link_type = QComboBox()
        self.link_type.setObjectName("link_type")
        self.link_type.setAccessibleName("Dependency type")
        for t in LINK_TYPES:
            self.link_type.addItem(t, t)
            self.link_type.setItemData(
                self.link_type.count() - 1, LINK_TYPE_TIPS[t], Qt.ItemDataRole.ToolTipRole
            )
        self.lag = QSpinBox()
        self.lag.setObjectName("link_lag")
        self.lag.setAccessibleName("Lag in working days")
        self.lag.setRange(-365, 365)
        self.lag.setSuffix(" d")
        self.lag.setToolTip("Lag in working days; negative for a lead")
        self.add_button = QPushButton("Add link")
        self.add_button.setObjectName("add_link")
        self.add_button.clicked.connect(self._add)
        self.notice = Notice("links_notice")

        left = QVBoxLayout()
        left.addWidget(self.heading)
        row = QHBoxLayout()
        row.addWidget(self.links, 1)
        row.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        left.addLayout(row)
        form = QGridLayout()
        label = QLabel("Waits on:")
        label.setBuddy(self.predecessor)
        form.addWidget(label, 0, 0)
        form.addWidget(self.predecessor, 0, 1, 1, 4)
        type_label = QLabel("Type:")
        type_label.setBuddy(self.link_type)
        form.addWidget(type_label, 1, 0)
        form.addWidget(self.link_type, 1, 1)
        lag_label = QLabel("Lag:")
        lag_label.setBuddy(self.lag)
        form.addWidget(lag_label, 1, 2, Qt.AlignmentFlag.AlignRight)
        form.addWidget(self.lag, 1, 3)
        form.addWidget(self.add_button, 1, 4)
        form.setColumnStretch(2, 1)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.notice)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)
        self.set_task(None, [])

    def set_task(self, task: Any, rows: list[Any]) -> None:
        changed = (task.local_id if task else None) != (self.task.local_id if self.task else None)
        self.task = task
        self.links.clear()
        self.predecessor.clear()
        if changed:
            self.notice.clear_notice()
        enabled = task is not None
        for w in (
            self.links,
            self.remove_button,
            self.predecessor,
            self.link_type,
            self.lag,
            self.add_button,
        ):
            w.setEnabled(enabled)
        if task is None:
            self.heading.setText("Choose a task to see what it waits on.")
            return
        titles = {r.local_id: r.title for r in rows}
        self.heading.setText(
            f"{task.local_id} — {task.title} waits on:"
            if task.predecessors
            else f"{task.local_id} — {task.title} waits on no other task."
        )
        for p in task.predecessors:
            lag = f" {p['lag_days']:+d} d" if p["lag_days"] else ""
            item = QListWidgetItem(f"{p['task']} {p['type']}{lag} — {titles.get(p['task'], '')}")
            item.setData(Qt.ItemDataRole.UserRole, p["task"])
            item.setToolTip(LINK_TYPE_TIPS.get(p["type"], ""))
            self.links.addItem(item)
        if self.links.count():
            self.links.setCurrentRow(0)
        self.remove_button.setEnabled(bool(task.predecessors))
        linked = {p["task"] for p in task.predecessors}
        for r in rows:
            if r.local_id != task.local_id and r.local_id not in linked:
                self.predecessor.addItem(f"{r.local_id} — {r.title}", r.local_id)
        self.add_button.setEnabled(self.predecessor.count() > 0)

    def _add(self) -> None:
        pred = self.predecessor.currentData()
        if self.task is not None and pred:
            self.add_requested.emit(pred, self.link_type.currentData(), self.lag.value())

    def _remove(self) -> None:
        item = self.links.currentItem()
        if self.task is not None and item is not None:
            self.remove_requested.emit(item.data(Qt.ItemDataRole.UserRole))


class OpenCellDraft(Draft):
    """The Tasks tab's only unsaved typing is a cell still open: asked about, it is saved as
    leaving the cell would save it, and only a cell that cannot be saved is asked about."""

    def __init__(self, tab: TasksTab) -> None:
        super().__init__(tab, tab, tab.commit_open_editor, lambda: f"A task of {tab.key}")
        self.tab = tab

    def unsaved(self) -> bool:
        return not self.tab.commit_open_editor()


class TasksTab(QScrollArea):
    """A scroll area, so a small window scrolls the tab instead of growing past the screen."""

    def __init__(self, store: Store, editor: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tasks_tab")
        self.store = store
        self.key: str | None = None
        self._people: list[Any] = []

        self.model = TaskModel(self)
        self.model.commit = self._commit
        self.table = TaskTable()
        self.table.setModel(self.model)
        self.table.setItemDelegate(TaskDelegate(lambda: self._people, self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COLUMN_INDEX["title"], QHeaderView.ResizeMode.Stretch)
        self._size_columns()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        self.table.add_requested.connect(self.add_task_here)
        self.table.refused.connect(self._show_refusal)
        self.table.delete_requested.connect(self.delete_selected)
        self.table.selectionModel().currentChanged.connect(lambda *_: self._show_links())

        self.add_button = QPushButton("Add task")
        self.add_button.setObjectName("add_task")
        self.add_button.setToolTip(
            "Add a task below the current one (Insert, or Ctrl+N in the table)"
        )
        self.add_button.clicked.connect(self.add_task_here)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setObjectName("delete_tasks")
        self.delete_button.setToolTip(
            "Delete the selected tasks (Delete); undo puts them back with their links"
        )
        self.delete_button.clicked.connect(self.delete_selected)
        self.bulk: dict[str, QComboBox] = {}
        bar = QHBoxLayout()
        bar.addWidget(self.add_button)
        bar.addWidget(self.delete_button)
        bar.addSpacing(16)
        bar.addWidget(QLabel("Selected rows:"))
        for field, label, choices in (
            ("status", "Status", [(words(s), s) for s in STATUSES]),
            ("phase", "Phase", [(words(p), p) for p in PHASES]),
            ("assignee_email", "Assignee", []),
        ):
            combo = QComboBox()
            combo.setObjectName(f"bulk_{field}")
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(7)
            combo.setAccessibleName(f"Set the {label.lower()} of the selected tasks")
            combo.addItem(f"{label}…", "")
            for text, value in choices:
                combo.addItem(text, value)
            combo.activated.connect(lambda i, f=field: self._bulk_chosen(f, i))
            self.bulk[field] = combo
            bar.addWidget(combo)
        self.summary = QLabel()
        self.summary.setProperty("role", "subtle")
        self.summary.setMinimumWidth(0)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.summary, 1)

        self.notice = Notice("tasks_notice")
        self.links = LinksPanel()
        self.links.add_requested.connect(self.add_link)
        self.links.remove_requested.connect(self.remove_link)

        body = QWidget()
        self.setWidget(body)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notice)
        layout.addWidget(self.links)

        self._saving = False  # this tab's own edit is running: its reload is not "elsewhere"
        # A cell being typed in is saved before the window closes or another release or plan
        # opens, as leaving the cell would; a date that does not read is asked about.
        self.draft = OpenCellDraft(self)
        store.tasks_changed.connect(self._tasks_changed)
        store.people_changed.connect(self._load_people)
        store.plan_opened.connect(self._plan_opened)  # bound: the store outlives the tab

    def _size_columns(self) -> None:
        """Each column as wide as its header or a typical value, whichever is wider; Title takes
        the rest, so titles are clipped last."""
        samples = {
            "local_id": "T99",
            "phase": "Rollback",
            "assignee": "Priya Natara",
            "status": "In progress",
            "start": "2026-12-31",
            "end": "2026-12-31",
            "duration": "999 d",
            "effort": "999",
            "percent": "100 %",
            "predecessors": "T6 FS, T8 FS",
            "slack": "99",
        }
        metrics = self.table.fontMetrics()
        self._compact: dict[int, int] = {}
        bold = self.table.horizontalHeader().font()
        bold.setBold(True)
        header_metrics = QFontMetrics(bold)
        for name, sample in samples.items():
            column = COLUMN_INDEX[name]
            width = max(
                metrics.horizontalAdvance(sample),
                header_metrics.horizontalAdvance(COLUMNS[column].title),
            )
            self.table.horizontalHeader().resizeSection(column, width + 12)
            self._compact[column] = width + 12

    def _fit_wide_columns(self) -> None:
        """When the window has room, show assignees and predecessors in full (Title keeps at
        least a third of the table); otherwise they keep their compact width."""
        header = self.table.horizontalHeader()
        wide = [COLUMN_INDEX["assignee"], COLUMN_INDEX["predecessors"]]
        title = COLUMN_INDEX["title"]
        others = sum(header.sectionSize(c) for c in range(len(COLUMNS)) if c not in (*wide, title))
        room = self.table.viewport().width() - others - self.table.viewport().width() // 3
        wanted = [min(260, max(self._compact[c], self.table.sizeHintForColumn(c))) for c in wide]
        fits = sum(wanted) <= room
        for c, want in zip(wide, wanted, strict=True):
            header.resizeSection(c, want if fits else self._compact[c])

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_wide_columns()

    # --- showing a release ------------------------------------------------------------------

    def _plan_opened(self, _path: str) -> None:
        """Another plan: no release of the old one stays shown here."""
        self.set_release(None)

    def set_release(self, key: str | None) -> None:
        if key != self.key:
            self.notice.clear_notice()
        self.key = key
        self._load_people()
        self.reload()

    def _tasks_changed(self, key: str) -> None:
        if key == self.key:
            self.reload()

    def _load_people(self) -> None:
        # no release shown (a plan just opened): nothing to pick people for; a big plan's
        # thousands of people are read when a release is
        self._people = self.store.people() if self.store.has_plan and self.key else []
        combo = self.bulk["assignee_email"]
        combo.clear()
        combo.addItem("Assignee…", "")
        combo.addItem("— nobody", None)
        for p in self._people:
            combo.addItem(p.name, p.email)

    def reload(self) -> None:
        """Read the tasks again. A cell being typed in stays open with the typing; if that very
        cell changed underneath (another window, ``relman``, an undo), the notice says so, and
        Enter then saves the typing over it knowingly (Esc drops it)."""
        index = self.table.currentIndex()
        typing = (
            self.table.state() == QAbstractItemView.State.EditingState
            and not self._saving
            and index.isValid()
        )
        before = self.model.task_at(index.row()) if typing else None
        editor = self.table.indexWidget(index) if typing else None
        # what the open editor holds (its user property: a line's text, a date, a number), put
        # back after the model's update, which would otherwise load the plan's value over it
        held = editor.metaObject().userProperty() if editor is not None else None
        typed = (
            held.read(editor)
            if editor is not None and held is not None and held.isValid()
            else None
        )
        rows = self.store.tasks(self.key) if self.key and self.store.has_plan else []
        slack: dict[str, int] = {}
        critical: list[str] = []
        if rows and self.key:
            try:
                schedule = critical_path.task_critical_path(self.store.ctx, self.key)
            except Exception:  # noqa: BLE001 - a schedule the CPM cannot compute just shows no slack
                schedule = None
            if schedule is not None:
                slack = {s.id: s.total_slack for s in schedule.items}
                critical = list(schedule.critical)
        self.model.set_rows(rows, slack, critical)
        self._fit_wide_columns()
        done = sum(1 for r in rows if r.status == "done")
        self.summary.setText(
            f"{len(rows)} task{'s' if len(rows) != 1 else ''}, {done} done"
            if rows
            else "No tasks yet"
        )
        self.setEnabled(self.key is not None)
        if not self.table.currentIndex().isValid() and rows:
            self.table.setCurrentIndex(self.model.index(0, COLUMN_INDEX["title"]))
        self._show_links()
        if editor is not None and held is not None and typed is not None:
            held.write(editor, typed)
        if before is not None:
            self._changed_while_typing(before, rows, index.column())

    def _changed_while_typing(self, before: Any, rows: list[Any], column: int) -> None:
        spec = COLUMNS[column]
        after = next((r for r in rows if r.id == before.id), None)
        if (
            spec.field is None
            or after is None
            or getattr(after, spec.field, None) == getattr(before, spec.field, None)
        ):
            return
        theirs = getattr(after, spec.field, None)
        shown = (
            ", ".join(p["task"] for p in theirs or []) if spec.field == "predecessors" else theirs
        )
        message = (
            f"{spec.title} of task {after.local_id} was changed elsewhere to "
            f"“{shown if shown not in (None, '') else '(empty)'}” while you were typing; your "
            "text is kept: Enter saves it over theirs, Esc drops it"
        )
        self.notice.show_error(message)
        self.store.error.emit(message)

    def _show_refusal(self, message: str) -> None:
        self.notice.show_error(message)

    def _show_links(self) -> None:
        row = self.table.currentIndex().row()
        self.links.set_task(self.model.task_at(row), self.model.rows)

    # --- saving -------------------------------------------------------------------------------

    def commit_open_editor(self) -> bool:
        """Save the cell being typed in, as leaving it would; True when no cell is left open
        (a date that does not read stays open, with its reason under the table)."""
        editing = QAbstractItemView.State.EditingState
        if self.table.state() != editing:
            return True
        editor = self.table.indexWidget(self.table.currentIndex())
        if editor is None:
            return True
        self.table.commitData(editor)
        self.table.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
        return self.table.state() != editing

    def _notify(self) -> list[tuple[str, tuple[Any, ...]]]:
        return [("tasks_changed", (self.key,))]

    def _run(self, action: Callable[[], object], notice: Notice | None = None) -> bool:
        """Run one store edit; a refusal is said in the status bar and in ``notice``."""
        notice = notice or self.notice
        self._saving = True
        try:
            action()
        except Refused as exc:
            self.store.error.emit(str(exc))
            notice.show_error(str(exc))
            return False
        finally:
            self._saving = False
        notice.clear_notice()
        return True

    def _next_local_id(self) -> str:
        numbers = [
            int(r.local_id[1:])
            for r in self.model.rows
            if r.local_id[:1] == "T" and r.local_id[1:].isdigit()
        ]
        return f"T{max(numbers, default=0) + 1}"

    def _commit(self, local_id: str | None, field: str, value: Any) -> bool:
        """A cell edit from the table (``local_id`` None: typed into the empty row)."""
        if not self.key:
            return False
        key = self.key
        if local_id is None:
            new_id = self._next_local_id()
            fields: dict[str, Any] = {"local_id": new_id, "title": NEW_TITLE}
            if field != "predecessors":
                fields[field] = value
            links: list[TaskLink] = []
            if field == "predecessors":
                try:
                    links = _links(str(value))
                except LinkSyntaxError as exc:
                    self.notice.show_error(str(exc))
                    return False
            if not self._run(lambda: self.store.edits.add_task(key, fields, links)):
                return False
            self.model.added = new_id
            return True
        task = self.model.task_at(self.model.row_of(local_id))
        if task is None:
            return False
        if field == "predecessors":
            try:
                wanted = _links(str(value or ""))
            except LinkSyntaxError as exc:
                self.notice.show_error(str(exc))
                return False
            return self._run(
                lambda: self.store.edits.set_task_links(key, local_id, task.predecessors, wanted)
            )
        label = next((c.title for c in COLUMNS if c.field == field), field).lower()
        old = getattr(task, field, None)  # duration_days is worked out, not stored
        # the task's version as the table shows it: refused if someone saved the task since,
        # and then the cell opens again with what was typed (nothing typed is lost)
        stale: list[Refused] = []

        def save() -> None:
            try:
                self.store.edits.update_tasks(
                    key,
                    f"edit {label} of task {local_id}",
                    [(local_id, field, value, old)],
                    {local_id: task.version},
                )
            except Refused as exc:
                if exc.stale:
                    stale.append(exc)
                raise

        if self._run(save):
            return True
        if stale:
            QTimer.singleShot(0, lambda: self._type_again(local_id, field, value))
        return False

    def _type_again(self, local_id: str, field: str, value: Any) -> None:
        """Open the cell of ``local_id``'s ``field`` again holding ``value`` (what was typed
        before a save refused because the task had changed since): Enter saves it after the
        table reads the task again, Esc drops it."""
        row = self.model.row_of(local_id)
        column = next((i for i, c in enumerate(COLUMNS) if c.field == field), -1)
        if row < 0 or column < 0:
            return
        index = self.model.index(row, column)
        self.table.setCurrentIndex(index)
        self.table.edit(index)
        editor = self.table.indexWidget(index)
        held = editor.metaObject().userProperty() if editor is not None else None
        if editor is not None and held is not None and held.isValid():
            held.write(editor, value)

    # --- rows ------------------------------------------------------------------------------------

    def selected_tasks(self) -> list[Any]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedIndexes()})
        if not rows and self.table.currentIndex().isValid():
            rows = [self.table.currentIndex().row()]
        return [t for t in (self.model.task_at(r) for r in rows) if t is not None]

    def add_task_here(self) -> None:
        """A "New task" below the current row (or at the end), its title open for typing."""
        if not self.key:
            return
        current = self.model.task_at(self.table.currentIndex().row())
        key, new_id = self.key, self._next_local_id()
        fields: dict[str, Any] = {"local_id": new_id, "title": NEW_TITLE}
        if current is not None:
            fields["position"] = current.position + 1
        if self._run(lambda: self.store.edits.add_task(key, fields)):
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
            self.table.move_to(self.model.row_of(new_id), COLUMN_INDEX["title"], edit=True)

    def delete_selected(self) -> None:
        chosen = self.selected_tasks()
        if not chosen or not self.key:
            return
        key = self.key
        first = self.model.row_of(chosen[0].local_id)
        column = max(0, self.table.currentIndex().column())
        ids = [t.local_id for t in chosen]
        if self._run(lambda: self.store.edits.delete_tasks(key, ids)):
            self.table.move_to(first, column)

    def _bulk_chosen(self, field: str, i: int) -> None:
        combo = self.bulk[field]
        value = combo.itemData(i)
        combo.setCurrentIndex(0)
        if i <= 0:
            return
        self.set_for_selected(field, value)

    def set_for_selected(self, field: str, value: Any) -> bool:
        """One field of every selected task, as one undo step."""
        chosen = self.selected_tasks()
        if not chosen:
            self.notice.show_error(
                "Select the tasks to change first (Shift or Ctrl with the arrows or the mouse)."
            )
            return False
        changed = [
            (t.local_id, field, value, getattr(t, field))
            for t in chosen
            if getattr(t, field) != value
        ]
        if not changed or not self.key:
            return not changed
        key, n = self.key, len(changed)
        label = {"assignee_email": "assignee"}.get(field, field)
        shown = words(value) if field != "assignee_email" else (value or "nobody")
        text = f"set {label} of {n} task{'s' if n != 1 else ''} to {shown}"
        versions = {t.local_id: t.version for t in chosen}
        return self._run(lambda: self.store.edits.update_tasks(key, text, changed, versions))

    # --- links -------------------------------------------------------------------------------------

    def add_link(self, predecessor: str, link_type: str, lag: int) -> bool:
        task = self.links.task
        if task is None or not self.key:
            return False
        key, successor = self.key, task.local_id
        return self._run(
            lambda: self.store.edits.link_tasks(key, predecessor, successor, link_type, lag),
            self.links.notice,
        )

    def remove_link(self, predecessor: str) -> bool:
        task = self.links.task
        if task is None or not self.key:
            return False
        key, successor = self.key, task.local_id
        return self._run(
            lambda: self.store.edits.unlink_tasks(key, predecessor, successor), self.links.notice
        )
