"""Structured rows for lists inside a record: a rule's conditions and actions, a transition's
guards. Each row is a few small editors and a remove button; the list has an Add button and one
line under it for the reason a row was refused (naming the row, as the service does)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.services.text import as_sentence

from ..common.tab_forms import LocalError


class Row(QWidget):
    removed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line = QHBoxLayout(self)
        self.line.setContentsMargins(0, 0, 0, 0)
        self.remove_button = QPushButton("✕")
        self.remove_button.setObjectName("remove_row")
        self.remove_button.setToolTip("Remove this row")
        self.remove_button.setAccessibleName("Remove this row")
        self.remove_button.setFixedWidth(self.fontMetrics().horizontalAdvance("✕") + 24)
        self.remove_button.clicked.connect(lambda: self.removed.emit(self))

    def finish(self) -> None:
        self.line.addWidget(self.remove_button)

    def get(self) -> dict[str, Any]:  # pragma: no cover - each row
        raise NotImplementedError

    def set(self, value: dict[str, Any]) -> None:  # pragma: no cover - each row
        raise NotImplementedError


def combo(items: Sequence[tuple[str, Any]], name: str) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    # Long choices must not make the row wider than the form: show what fits, the list shows all.
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(8)
    for text, value in items:
        box.addItem(text, value)
    return box


def set_combo(box: QComboBox, value: Any) -> None:
    box.setCurrentIndex(max(0, box.findData(value)))


class RowList(QWidget):
    """``title``, the rows, an Add button and the reason line. ``make_row()`` builds one row."""

    def __init__(
        self,
        title: str,
        add_text: str,
        make_row: Callable[[], Row],
        name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.make_row = make_row
        self.rows: list[Row] = []
        self.heading = QLabel(f"<b>{title}</b>")
        self.empty = QLabel("None.")
        self.empty.setProperty("role", "subtle")
        self.body = QVBoxLayout()
        self.body.setSpacing(4)
        self.add_button = QPushButton(add_text)
        self.add_button.setObjectName(f"add_{name}")
        self.add_button.clicked.connect(lambda: self.add_row())
        self.error = QLabel()
        self.error.setObjectName(f"error_{name}")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        head = QHBoxLayout()
        head.addWidget(self.heading, 1)
        head.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.empty)
        layout.addLayout(self.body)
        layout.addWidget(self.error)

    def add_row(self, value: dict[str, Any] | None = None) -> Row:
        row = self.make_row()
        if value is not None:
            row.set(value)
        row.removed.connect(self._remove)
        self.rows.append(row)
        self.body.addWidget(row)
        self.empty.setVisible(False)
        return row

    def _remove(self, row: Row) -> None:
        self.rows.remove(row)
        self.body.removeWidget(row)
        row.hide()
        row.deleteLater()
        self.empty.setVisible(not self.rows)

    def set_values(self, values: Sequence[dict[str, Any]]) -> None:
        for row in list(self.rows):
            self._remove(row)
        for value in values:
            self.add_row(value)
        self.clear_error()

    def values(self) -> list[dict[str, Any]]:
        out = []
        for i, row in enumerate(self.rows):
            try:
                out.append(row.get())
            except LocalError as exc:
                self.show_error(f"Row {i + 1}: {exc}")
                raise
        return out

    def show_error(self, message: str) -> None:
        self.error.setText(as_sentence(message))
        self.error.show()

    def clear_error(self) -> None:
        self.error.clear()
        self.error.hide()

    def error_text(self) -> str:
        return self.error.text() if not self.error.isHidden() else ""


def line(placeholder: str, name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    edit.setToolTip(placeholder)
    return edit


def check(text: str, name: str) -> QCheckBox:
    box = QCheckBox(text)
    box.setObjectName(name)
    return box
