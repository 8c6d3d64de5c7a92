"""Building blocks shared by the evidence tabs and the Settings sections: a table model over a
row cache, and a form whose fields show the reason a value was refused right beneath them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QStringListModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.services.text import as_sentence

from ..releases.releases_model import words

Index = QModelIndex | QPersistentModelIndex

# --- a table over a row cache ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[Any], Any]  # the cell's words for a row
    align_right: bool = False


class RowsModel(QAbstractTableModel):
    """Plain rows (dataclasses or dicts) and the text of every cell, computed once per reload:
    ``data()`` never reaches the services."""

    def __init__(self, columns: Sequence[Column], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []
        self._cells: list[list[str]] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self._cells = [[_cell_text(c.text(r)) for c in self.columns] for r in self.rows]
        self.endResetModel()

    def row(self, i: int) -> Any:
        return self.rows[i]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._cells)):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = self.columns[index.column()].align_right
            horizontal = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section].title
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self.rows):
            return str(section + 1)
        return None


def _cell_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table_view(model: RowsModel, name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setHighlightSections(False)
    return view


def fit_columns(view: QTableView, maximum: int = 320) -> None:
    view.resizeColumnsToContents()
    header = view.horizontalHeader()
    for c in range(header.count()):
        if header.sectionSize(c) > maximum:
            header.resizeSection(c, maximum)


def selected_row(view: QTableView) -> int:
    rows = view.selectionModel().selectedRows() if view.selectionModel() else []
    return rows[0].row() if rows else -1


# --- times ----------------------------------------------------------------------------------------

TIME_HINT = "YYYY-MM-DD HH:MM"


class LocalError(ValueError):
    """A value the view cannot even hand to a service (a malformed time, bad JSON)."""


def parse_moment(text: str, label: str, tz: ZoneInfo | None = None) -> dt.datetime | None:
    """ "2026-12-01 22:00" read as wall time in ``tz`` (the machine's zone when None); aware."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise LocalError(f"{label}: {text!r} is not a date and time ({TIME_HINT})") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz) if tz is not None else moment.astimezone()
    return moment


def show_moment(value: Any, tz: ZoneInfo | None = None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


# --- a form with its reasons beside each field ----------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, multiline, choice, bool, int, moment, list, json, checks
    choices: tuple[tuple[str, str], ...] = ()  # (shown, value)
    hint: str = ""
    default: Any = None


def choices_of(
    enum: Any, *, blank: str | None = None, upper: Sequence[str] = ("uat",)
) -> tuple[tuple[str, str], ...]:
    items = tuple(
        ((m.value.upper() if m.value in upper else words(m.value)), m.value) for m in enum
    )
    return ((blank, ""),) + items if blank is not None else items


class PlainTextField(QPlainTextEdit):
    editingFinished = Signal()  # noqa: N815 - QLineEdit's spelling

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.editingFinished.emit()


def field_cell(editor: QWidget, name: str) -> tuple[QWidget, QLabel, QVBoxLayout]:
    """A form row's field: ``editor`` over its (hidden) error line ``error_<name>``, which
    says what is wrong with a value; returns the cell, the error label and the cell's layout
    (to add more under the field)."""
    error = QLabel()
    error.setObjectName(f"error_{name}")
    error.setProperty("role", "error")
    error.setWordWrap(True)
    error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    error.hide()
    cell = QWidget()
    v = QVBoxLayout(cell)
    v.setContentsMargins(0, 0, 0, 0)
    v.setSpacing(2)
    v.addWidget(editor)
    v.addWidget(error)
    return cell, error, v


class Form(QWidget):
    """Fields built from ``Field`` specs; ``values()`` reads them (raising ``LocalError`` with the
    field's name on a value that cannot even be parsed); ``show_error`` puts a reason under a field
    (or, for a name no field has, in the line at the top)."""

    edited = Signal()

    def __init__(
        self,
        fields: Sequence[Field],
        *,
        columns: int = 1,
        tz: Callable[[], ZoneInfo | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.specs = {f.name: f for f in fields}
        self.editors: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._checks: dict[str, dict[str, QCheckBox]] = {}
        self._tz = tz or (lambda: None)
        self.general_error = QLabel()
        self.general_error.setObjectName("form_error")
        self.general_error.setProperty("role", "error")
        self.general_error.setWordWrap(True)
        self.general_error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.general_error.hide()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.general_error)
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        outer.addLayout(grid)
        forms = []
        for c in range(columns):
            form = QFormLayout()
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            # the style's spacing is 0 under an app style sheet: fields would touch, one block
            form.setVerticalSpacing(6)
            grid.addLayout(form, 0, c)
            grid.setColumnStretch(c, 1)
            forms.append(form)
        per_column = -(-len(fields) // columns)
        for i, spec in enumerate(fields):
            editor = self._editor(spec)
            editor.setObjectName(f"field_{spec.name}")
            editor.setAccessibleName(spec.label)
            cell, error, _v = field_cell(editor, spec.name)
            label = QLabel(spec.label + ":")
            label.setBuddy(editor if spec.kind != "checks" else self)
            forms[min(i // per_column, columns - 1)].addRow(label, cell)
            self.editors[spec.name] = editor
            self.errors[spec.name] = error
        self.clear()

    def _editor(self, spec: Field) -> QWidget:
        if spec.kind == "choice":
            combo = QComboBox()
            for text, value in spec.choices:
                combo.addItem(text, value)
            combo.activated.connect(lambda _i: self.edited.emit())
            return combo
        if spec.kind == "bool":
            box = QCheckBox(spec.hint or "")
            box.toggled.connect(lambda _c: self.edited.emit())
            return box
        if spec.kind == "checks":
            w = QWidget()
            grid = QGridLayout(w)
            grid.setContentsMargins(0, 0, 0, 0)
            boxes: dict[str, QCheckBox] = {}
            for i, (text, value) in enumerate(spec.choices):
                box = QCheckBox(text)
                box.setObjectName(f"check_{spec.name}_{value}")
                box.toggled.connect(lambda _c: self.edited.emit())
                boxes[value] = box
                grid.addWidget(box, i // 3, i % 3)
            self._checks[spec.name] = boxes
            return w
        if spec.kind in ("multiline", "json"):
            edit = PlainTextField()
            edit.setTabChangesFocus(True)
            lines = 16 if spec.kind == "json" else 3
            edit.setMinimumHeight(self.fontMetrics().height() * lines + 12)
            if spec.kind == "json":
                edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
                edit.setMaximumHeight(16_777_215)
            else:
                edit.setMaximumHeight(self.fontMetrics().height() * 5 + 12)
            if spec.hint:
                edit.setPlaceholderText(spec.hint)
            edit.textChanged.connect(self.edited.emit)
            return edit
        line = QLineEdit()
        hint = spec.hint or (TIME_HINT if spec.kind == "moment" else "")
        if hint:
            line.setPlaceholderText(hint)
            line.setToolTip(hint)
        line.textEdited.connect(lambda _t: self.edited.emit())
        return line

    def set_choices(self, name: str, choices: Sequence[tuple[str, Any]]) -> None:
        """New choices for a choice field (e.g. the workflow's states), keeping the current one."""
        combo = self.editors[name]
        if not isinstance(combo, QComboBox):
            return
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for text, value in choices:
            combo.addItem(text, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def set_completions(self, name: str, values: Sequence[str]) -> None:
        line = self.editors[name]
        if not isinstance(line, QLineEdit):
            return
        completer = line.completer()
        if completer is None:
            completer = QCompleter(QStringListModel(self), line)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            line.setCompleter(completer)
        model = completer.model()
        if isinstance(model, QStringListModel):
            model.setStringList(list(values))

    # --- values -------------------------------------------------------------------------------

    def set_values(self, values: dict[str, Any]) -> None:
        for name, spec in self.specs.items():
            self._show(spec, values.get(name, spec.default))
        self.clear_errors()

    def clear(self) -> None:
        self.set_values({})

    def _show(self, spec: Field, value: Any) -> None:
        w = self.editors[spec.name]
        w.blockSignals(True)
        try:
            if spec.kind == "choice":
                combo: QComboBox = w  # type: ignore[assignment]
                combo.setCurrentIndex(max(0, combo.findData("" if value is None else value)))
            elif spec.kind == "bool":
                w.setChecked(bool(value))  # type: ignore[attr-defined]
            elif spec.kind == "checks":
                for key, box in self._checks[spec.name].items():
                    box.blockSignals(True)
                    box.setChecked(key in (value or []))
                    box.blockSignals(False)
            elif spec.kind == "json":
                w.setPlainText("" if value is None else json.dumps(value, indent=2))  # type: ignore[attr-defined]
            elif spec.kind == "multiline":
                w.setPlainText(value or "")  # type: ignore[attr-defined]
            elif spec.kind == "moment":
                w.setText(show_moment(value, self._tz()))  # type: ignore[attr-defined]
            elif spec.kind == "list":
                w.setText(", ".join(value or []))  # type: ignore[attr-defined]
            else:
                w.setText("" if value is None else str(value))  # type: ignore[attr-defined]
            if isinstance(w, QLineEdit):
                w.setCursorPosition(0)  # a long value shows its start, not its end
        finally:
            w.blockSignals(False)

    def value(self, name: str) -> Any:
        spec = self.specs[name]
        w = self.editors[name]
        if spec.kind == "choice":
            return w.currentData() or None  # type: ignore[attr-defined]
        if spec.kind == "bool":
            return w.isChecked()  # type: ignore[attr-defined]
        if spec.kind == "checks":
            return [key for key, box in self._checks[name].items() if box.isChecked()]
        if spec.kind in ("multiline", "json"):
            text = w.toPlainText().strip()  # type: ignore[attr-defined]
            if spec.kind == "multiline":
                return text or None
            if not text:
                return None
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise LocalError(
                    f"{spec.label}: not valid JSON ({exc.msg} at line {exc.lineno}, "
                    f"column {exc.colno})"
                ) from None
        text = w.text().strip()  # type: ignore[attr-defined]
        if spec.kind == "int":
            if not text:
                return 0
            try:
                return int(text)
            except ValueError:
                raise LocalError(f"{spec.label}: {text!r} is not a whole number") from None
        if spec.kind == "moment":
            return parse_moment(text, spec.label, self._tz())
        if spec.kind == "list":
            return [part.strip() for part in text.split(",") if part.strip()]
        return text or None

    def values(self) -> dict[str, Any]:
        """Every field's value; a value that cannot be read is shown under its field and raises."""
        out: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for name in self.specs:
            try:
                out[name] = self.value(name)
            except LocalError as exc:
                problems[name] = str(exc)
        self.clear_errors()
        if problems:
            for name, message in problems.items():
                self.show_error(name, message)
            first = next(iter(problems))
            raise LocalError(problems[first])
        return out

    # --- reasons ------------------------------------------------------------------------------

    def show_error(self, name: str | None, message: str) -> None:
        message = as_sentence(message)
        target = _field_of(name, self.errors)
        if target is None:
            self.general_error.setText(message)
            self.general_error.show()
            return
        label = self.errors[target]
        label.setText(message)
        label.show()
        editor = self.editors[target]
        editor.setProperty("invalid", True)
        editor.style().unpolish(editor)
        editor.style().polish(editor)

    def clear_errors(self) -> None:
        self.general_error.clear()
        self.general_error.hide()
        for name, label in self.errors.items():
            label.clear()
            label.hide()
            editor = self.editors[name]
            if editor.property("invalid"):
                editor.setProperty("invalid", False)
                editor.style().unpolish(editor)
                editor.style().polish(editor)

    def error_text(self, name: str | None = None) -> str:
        label = self.general_error if name is None else self.errors[name]
        return label.text() if not label.isHidden() else ""

    def all_errors(self) -> str:
        return " ".join(
            t for t in [self.error_text()] + [self.error_text(n) for n in self.errors] if t
        )


ALIASES = {
    "external_key": "key",
    "closed_by_email": "closed_by",
    "owner_email": "owner_email",
    "scope_environment": "environment",
    "from_state": "from_state",
    "to_state": "to_state",
}


def _field_of(name: str | None, fields: dict[str, Any]) -> str | None:
    """The form field a service's ``field`` names: ``tasks[2].title`` belongs to ``body``."""
    if not name:
        return None
    if name in fields:
        return name
    alias = ALIASES.get(name)
    if alias in fields:
        return alias
    head = name.split("[", 1)[0].split(".", 1)[0]
    if head in fields:
        return head
    for candidate in ("body", "json"):
        if candidate in fields and head in (
            "tasks",
            "approval_stages",
            "required_tests",
            "rollback_rehearsal_days",
        ):
            return candidate
    return None


def place_cell_editor(editor: QWidget, rect: Any) -> None:
    """Put an item delegate's editor over its cell (``option.rect``): combo boxes, spin boxes and
    date editors keep their own height and width, centred on a row that is shorter."""
    height = max(rect.height(), editor.sizeHint().height())
    width = max(rect.width(), editor.minimumSizeHint().width())
    editor.setGeometry(rect.x(), max(0, rect.y() - (height - rect.height()) // 2), width, height)
