"""The task editor's table: a row cache of ``TaskRow``s (plus one empty row to type a new task
into), the cell editors, and the predecessor notation ``T1 FS+2, T3 SS``.

The model never calls a service: an edit goes to ``model.commit(local_id | None, field, value)``
(set by the Tasks tab), which saves it and answers whether it was accepted; a refused value is
not written into the cache, so the cell keeps its old value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QDate,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QFont, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCalendarWidget,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models import enums as E
from relman_desktop.services.critical_path import working_days

from ..common.tab_forms import place_cell_editor
from .releases_model import words

_Index = QModelIndex | QPersistentModelIndex
LOCAL_ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class TaskColumn:
    name: str
    title: str
    field: str | None  # the service's field, None when read-only
    kind: str  # text, phase, status, person, date, days, hours, percent, links, slack
    tip: str = ""


COLUMNS: tuple[TaskColumn, ...] = (
    TaskColumn("local_id", "Id", "local_id", "text", "The task's id in this release, e.g. T3"),
    TaskColumn("title", "Title", "title", "text"),
    TaskColumn("phase", "Phase", "phase", "phase"),
    TaskColumn("assignee", "Assignee", "assignee_email", "person"),
    TaskColumn("status", "Status", "status", "status"),
    TaskColumn("start", "Start", "start", "date"),
    TaskColumn("end", "End", "end", "date"),
    TaskColumn(
        "duration",
        "Days",
        "duration_days",
        "days",
        "Duration in working days (Monday to Friday, the plan's holidays out); changing it moves the end",
    ),
    TaskColumn("effort", "Effort (h)", "effort_hours", "hours"),
    TaskColumn("percent", "% done", "percent_complete", "percent", "% complete"),
    TaskColumn(
        "predecessors",
        "Predecessors",
        "predecessors",
        "links",
        "Tasks this one waits on: id, type (FS, SS, FF, SF) and lag in days, e.g. T1 FS+2, T3 SS",
    ),
    TaskColumn(
        "slack",
        "Slack",
        None,
        "slack",
        "Slack: working days this task can slip without moving the release's last task (0: critical path)",
    ),
)
COLUMN_INDEX = {c.name: i for i, c in enumerate(COLUMNS)}
PHASES = tuple(p.value for p in E.Phase)
STATUSES = tuple(s.value for s in E.TaskStatus)
LINK_TYPES = tuple(t.value for t in E.LinkType)
LINK_TYPE_TIPS = {
    "FS": "finish to start: starts after the predecessor finishes",
    "SS": "start to start: starts when the predecessor starts",
    "FF": "finish to finish: finishes when the predecessor finishes",
    "SF": "start to finish: finishes when the predecessor starts",
}


# --- predecessor notation --------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    task: str
    type: str = "FS"
    lag_days: int = 0

    def text(self) -> str:
        return f"{self.task} {self.type}" + (f"{self.lag_days:+d}" if self.lag_days else "")


_LINK_RE = re.compile(
    r"^([A-Za-z0-9_.-]+?)(?:\s+(FS|SS|FF|SF))?\s*(?:([+-])\s*(\d+)\s*d?)?$", re.IGNORECASE
)


class LinkSyntaxError(ValueError):
    pass


def links_text(predecessors: Iterable[dict[str, Any]]) -> str:
    return ", ".join(Link(p["task"], p["type"], p["lag_days"]).text() for p in predecessors)


def parse_links(text: str) -> list[Link]:
    """``"T1 FS+2, T3 SS, T4"`` → links (type FS and lag 0 when left out)."""
    links: list[Link] = []
    for part in re.split(r"[,;]", text):
        part = part.strip()
        if not part:
            continue
        m = _LINK_RE.match(part)
        if m is None:
            raise LinkSyntaxError(
                f"Predecessors: {part!r} is not a task id with an optional type and lag, e.g. T1 FS+2"
            )
        task, kind, sign, days = m.groups()
        lag = int(days) * (-1 if sign == "-" else 1) if days else 0
        if any(x.task == task for x in links):
            raise LinkSyntaxError(f"Predecessors: {task} is listed twice")
        links.append(Link(task, (kind or "FS").upper(), lag))
    return links


# --- the model ---------------------------------------------------------------------------------

Commit = Callable[[str | None, str, Any], bool]


class TaskModel(QAbstractTableModel):
    """One row per task (``rows`` is the cache) and a last, empty row for a new task."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []
        self.slack: dict[str, int] = {}
        self.critical: set[str] = set()
        self.commit: Commit | None = None
        self.added: str | None = None  # a task the last commit created from the empty row

    # --- the cache --------------------------------------------------------------------------

    def set_rows(
        self, rows: Iterable[Any], slack: dict[str, int] | None = None, critical: Iterable[str] = ()
    ) -> None:
        """Replace the cache; rows only added or only removed are announced as such, so an
        open editor (the empty row's, while a task is being created) survives the update."""
        new = list(rows)
        self.slack = dict(slack or {})
        self.critical = set(critical)
        old_ids = [r.id for r in self.rows]
        new_ids = [r.id for r in new]
        last = len(COLUMNS) - 1
        if old_ids == new_ids:
            self.rows = new
            if new:
                self.dataChanged.emit(self.index(0, 0), self.index(len(new) - 1, last))
            return
        if _is_subsequence(new_ids, old_ids):  # rows removed
            keep = set(new_ids)
            for i in range(len(self.rows) - 1, -1, -1):
                if self.rows[i].id not in keep:
                    self.beginRemoveRows(QModelIndex(), i, i)
                    del self.rows[i]
                    self.endRemoveRows()
            self.rows = new
            if new:
                self.dataChanged.emit(self.index(0, 0), self.index(len(new) - 1, last))
            return
        if _is_subsequence(old_ids, new_ids):  # rows added
            for i, row in enumerate(new):
                if i >= len(self.rows) or self.rows[i].id != row.id:
                    self.beginInsertRows(QModelIndex(), i, i)
                    self.rows.insert(i, row)
                    self.endInsertRows()
            self.rows = new
            if new:
                self.dataChanged.emit(self.index(0, 0), self.index(len(new) - 1, last))
            return
        self.beginResetModel()
        self.rows = new
        self.endResetModel()

    def row_of(self, local_id: str) -> int:
        for i, r in enumerate(self.rows):
            if r.local_id == local_id:
                return i
        return -1

    def task_at(self, row: int) -> Any | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def is_new_row(self, row: int) -> bool:
        return row == len(self.rows)

    def take_added(self) -> str | None:
        added, self.added = self.added, None
        return added

    # --- Qt ------------------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows) + 1

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section].title
            if role == Qt.ItemDataRole.ToolTipRole and COLUMNS[section].tip:
                return COLUMNS[section].tip
        elif orientation == Qt.Orientation.Vertical and 0 <= section <= len(self.rows):
            if role == Qt.ItemDataRole.DisplayRole:
                return "*" if section == len(self.rows) else str(section + 1)
            if role == Qt.ItemDataRole.ToolTipRole and section == len(self.rows):
                return "Type here to add a task"
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() > len(self.rows) or index.column() >= len(COLUMNS):
            return None
        column = COLUMNS[index.column()]
        if index.row() == len(self.rows):
            return self._new_row_data(column, role)
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(r, column)
        if role == Qt.ItemDataRole.EditRole:
            return self.edit_value(r, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(r, column)
        if role == LOCAL_ID_ROLE:
            return r.local_id
        if role == ROW_ROLE:
            return r
        if role == Qt.ItemDataRole.TextAlignmentRole and column.kind in (
            "days",
            "hours",
            "percent",
            "slack",
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if (
            role == Qt.ItemDataRole.FontRole
            and column.kind == "slack"
            and r.local_id in self.critical
        ):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{column.title}: {self.display(r, column) or 'none'}"
        return None

    def _new_row_data(self, column: TaskColumn, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and column.name == "title":
            return "Type a title to add a task…"
        if role == Qt.ItemDataRole.EditRole:
            return {"phase": "build", "status": "todo", "percent": 0}.get(
                column.name, "" if column.kind in ("text", "links") else None
            )
        if role == Qt.ItemDataRole.ForegroundRole:
            app = QApplication.instance()
            palette = app.palette() if isinstance(app, QApplication) else QPalette()
            return QBrush(palette.color(QPalette.ColorRole.PlaceholderText))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{column.title}: new task"
        return None

    def display(self, r: Any, column: TaskColumn) -> str:
        name = column.name
        if name == "assignee":
            return r.assignee or r.assignee_email or ""
        if name == "predecessors":
            return links_text(r.predecessors)
        if name in ("phase", "status"):
            return words(getattr(r, name))
        if name in ("start", "end"):
            value = getattr(r, name)
            return value.isoformat() if value else ""
        if name == "duration":
            days = duration_of(r)
            return "" if days is None else str(days)
        if name == "effort":
            return "" if r.effort_hours is None else f"{r.effort_hours:g}"
        if name == "percent":
            return f"{r.percent_complete} %"
        if name == "slack":
            return self._display_slack(r)
        return str(getattr(r, name) or "")

    def _display_slack(self, r: Any) -> str:
        value = self.slack.get(r.local_id)
        return "" if value is None else str(value)

    def edit_value(self, r: Any, column: TaskColumn) -> Any:
        if column.kind == "days":
            return duration_of(r)
        if column.kind == "links":
            return links_text(r.predecessors)
        if column.kind == "slack":
            return self._display_slack(r)
        if column.field is None:
            return None
        return getattr(r, column.field)

    def _tooltip(self, r: Any, column: TaskColumn) -> str:
        if column.name == "assignee":
            return r.assignee_email or "nobody assigned"
        if column.name == "slack":
            value = self.slack.get(r.local_id)
            if value is None:
                return "no schedule (cancelled, or no dates and effort)"
            return (
                "on the critical path"
                if r.local_id in self.critical
                else f"may slip {value} working day(s)"
            )
        return self.display(r, column) or column.tip

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )
        if COLUMNS[index.column()].field is not None:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or self.commit is None:
            return False
        column = COLUMNS[index.column()]
        if column.field is None:
            return False
        if index.row() == len(self.rows):
            if column.kind == "days":
                return False  # a length needs a task with dates first
            if not value or value == self._new_row_data(column, role):
                return False  # nothing typed (or the default left as it was): no task
            return self.commit(None, column.field, value)
        r = self.rows[index.row()]
        if column.kind == "days" and not value:
            return True  # "—" left as it was: no duration typed
        current = self.edit_value(r, column)
        if _same(current, value) or (column.kind == "hours" and current is None and not value):
            return True
        return self.commit(r.local_id, column.field, value)


def duration_of(r: Any) -> int | None:
    """A task's length in working days (the plan's holidays out, as the service counts them),
    when it has both dates."""
    if r.start is None or r.end is None or r.end < r.start:
        return None
    counted = getattr(r, "duration_days", None)
    return counted if counted is not None else working_days(r.start, r.end)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str | None) and isinstance(b, str | None):
        return (a or "").strip() == (b or "").strip()
    return a == b


def _is_subsequence(short: list[int], long: list[int]) -> bool:
    it = iter(long)
    return len(short) <= len(long) and all(x in it for x in short)


# --- dates typed with the keyboard --------------------------------------------------------------


class DateSyntaxError(ValueError):
    pass


def _locale_example(locale: QLocale) -> str:
    return locale.toString(QDate(2026, 12, 31), QLocale.FormatType.ShortFormat)


def parse_date(text: str, label: str = "Date", locale: QLocale | None = None) -> dt.date | None:
    """A date as people type it: ISO (``2026-12-03``) or the locale's short format (``12/3/26``
    in the US, ``03/12/2026`` in the UK); empty means no date. Two-digit years are this century.
    Anything else raises ``DateSyntaxError`` naming the field and the formats it takes."""
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    locales = [locale] if locale is not None else [QLocale(), QLocale.system()]
    for loc in locales:
        for fmt in (
            loc.dateFormat(QLocale.FormatType.ShortFormat),
            loc.dateFormat(QLocale.FormatType.ShortFormat).replace("yyyy", "yy"),
        ):
            day = loc.toDate(text, fmt)
            if not day.isValid() and "yyyy" not in fmt and "yy" in fmt:
                day = loc.toDate(text, fmt.replace("yy", "yyyy"))
            if day.isValid():
                year = day.year()
                if "yyyy" not in fmt and year < 2000:
                    year += 100  # Qt reads "26" as 1926
                return dt.date(year, day.month(), day.day())
    example = _locale_example(locales[0])
    raise DateSyntaxError(f"{label}: “{text}” is not a date; type it as 2026-12-31 or {example}")


class DateCellEditor(QWidget):
    """A date typed like text (ISO or the locale's short format) with a calendar that opens at
    the typed date, else the task's date, else today (Alt+Down or the ▾ button). A date that
    does not read stays as typed; ``error`` says why."""

    picked = Signal()

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.error = ""
        self.fallback: dt.date | None = None  # where the calendar opens when nothing is typed
        self.line = QLineEdit(self)
        self.line.setObjectName("date_cell_text")
        self.line.setMinimumWidth(self.line.fontMetrics().horizontalAdvance("2026-12-31") + 12)
        example = _locale_example(QLocale())
        self.line.setPlaceholderText(f"2026-12-31 or {example}")
        self.line.setToolTip(
            f"Type a date (2026-12-31 or {example}); empty: no date. Alt+Down opens a calendar."
        )
        self.button = QToolButton(self)
        self.button.setObjectName("date_cell_calendar")
        self.button.setText("▾")
        self.button.setToolTip("Pick the date on a calendar (Alt+Down)")
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button.clicked.connect(self.show_calendar)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.button)
        self.setFocusProxy(self.line)
        self.line.installEventFilter(self)
        self.popup: QWidget | None = None
        self.calendar: QCalendarWidget | None = None

    def set_date(self, value: dt.date | None) -> None:
        self.fallback = value
        self.line.setText(value.isoformat() if value else "")
        self.line.selectAll()

    def text(self) -> str:
        return self.line.text()

    def date(self) -> dt.date | None:
        """The typed date (None: no date); raises DateSyntaxError and keeps ``error``."""
        try:
            value = parse_date(self.line.text(), self.label)
        except DateSyntaxError as exc:
            self.error = str(exc)
            raise
        self.error = ""
        return value

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802
        if (
            watched is self.line
            and isinstance(event, QKeyEvent)
            and event.type() == event.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
            and event.modifiers() & Qt.KeyboardModifier.AltModifier
        ):
            self.show_calendar()
            return True
        return super().eventFilter(watched, event)

    def opening_date(self) -> dt.date:
        """Where the calendar opens: the typed date, else the task's, else today."""
        try:
            typed = parse_date(self.line.text(), self.label)
        except DateSyntaxError:
            typed = None
        return typed or self.fallback or dt.date.today()

    def show_calendar(self) -> None:
        popup = QWidget(self, Qt.WindowType.Popup)
        popup.setObjectName("date_cell_popup")
        calendar = QCalendarWidget(popup)
        calendar.setObjectName("date_cell_calendar_widget")
        calendar.setGridVisible(True)
        day = self.opening_date()
        calendar.setSelectedDate(QDate(day.year, day.month, day.day))
        calendar.setCurrentPage(day.year, day.month)
        calendar.clicked.connect(self._choose)
        calendar.activated.connect(self._choose)
        box = QVBoxLayout(popup)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(calendar)
        popup.adjustSize()
        popup.move(self.mapToGlobal(self.rect().bottomLeft()))
        self.popup, self.calendar = popup, calendar
        popup.show()
        calendar.setFocus(Qt.FocusReason.PopupFocusReason)

    def _choose(self, day: QDate) -> None:
        self.line.setText(dt.date(day.year(), day.month(), day.day()).isoformat())
        self.error = ""
        if self.popup is not None:
            self.popup.close()
        self.line.setFocus(Qt.FocusReason.PopupFocusReason)
        self.picked.emit()


# --- the cell editors ---------------------------------------------------------------------------


class TaskDelegate(QStyledItemDelegate):
    """Combo boxes for phase, status and assignee; date editors; spin boxes for effort and %."""

    def __init__(self, people: Callable[[], list[Any]], parent: Any = None) -> None:
        super().__init__(parent)
        self.people = people

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: _Index) -> QWidget:  # noqa: N802
        kind = COLUMNS[index.column()].kind
        editor: QWidget
        if kind in ("phase", "status"):
            combo = QComboBox(parent)
            for value in PHASES if kind == "phase" else STATUSES:
                combo.addItem(words(value), value)
            editor = combo
        elif kind == "person":
            combo = QComboBox(parent)
            combo.addItem("— nobody", None)
            for p in self.people():
                combo.addItem(p.name, p.email)
                combo.setItemData(combo.count() - 1, p.email, Qt.ItemDataRole.ToolTipRole)
            editor = combo
        elif kind == "date":
            editor = DateCellEditor(COLUMNS[index.column()].title, parent)
        elif kind == "days":
            days = QSpinBox(parent)
            days.setRange(0, 3650)
            days.setSpecialValueText("—")  # 0: no dates yet, nothing to change
            days.setSuffix(" d")
            days.setToolTip("Working days (Monday to Friday); the end moves with it")
            editor = days
        elif kind == "hours":
            spin = QDoubleSpinBox(parent)
            spin.setRange(0, 100_000)
            spin.setDecimals(1)
            spin.setSingleStep(1)
            editor = spin
        elif kind == "percent":
            ispin = QSpinBox(parent)
            ispin.setRange(0, 100)
            ispin.setSuffix(" %")
            ispin.setSingleStep(10)
            editor = ispin
        else:
            line = QLineEdit(parent)
            if kind == "links":
                line.setPlaceholderText("e.g. T1 FS+2, T3 SS")
            editor = line
        editor.setAccessibleName(COLUMNS[index.column()].title)
        editor.setAutoFillBackground(True)
        if isinstance(editor, DateCellEditor):  # a date picked on the calendar is saved at once
            editor.picked.connect(lambda e=editor: self._picked(e))
        return editor

    def _picked(self, editor: DateCellEditor) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QStyledItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor: QWidget, index: _Index) -> None:  # noqa: N802
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox):
            i = editor.findData(value)
            editor.setCurrentIndex(max(0, i))
        elif isinstance(editor, DateCellEditor):
            row = index.data(ROW_ROLE)
            editor.set_date(value if isinstance(value, dt.date) else None)
            if editor.fallback is None and row is not None:
                editor.fallback = row.start or row.end  # an empty end opens at the start
        elif isinstance(editor, QDoubleSpinBox):
            editor.setValue(float(value or 0))
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(value or 0))
        elif isinstance(editor, QLineEdit):
            editor.setText("" if value is None else str(value))
            editor.selectAll()

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: _Index) -> None:  # noqa: N802
        value: Any
        if isinstance(editor, QComboBox):
            value = editor.currentData()
        elif isinstance(editor, DateCellEditor):
            try:
                value = editor.date()
            except DateSyntaxError:
                return  # kept as typed: the table keeps the editor open and shows why
        elif isinstance(editor, QDoubleSpinBox):
            value = editor.value()
        elif isinstance(editor, QSpinBox):
            value = editor.value()
        elif isinstance(editor, QLineEdit):
            value = editor.text().strip()
        else:  # pragma: no cover
            return
        model.setData(index, value, Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: _Index
    ) -> None:  # noqa: N802
        place_cell_editor(editor, option.rect)
