"""What the Changes, Tasks and Approvals tabs share: a table over named columns, and the
inline notice that shows a refused edit's reason (their edits go through ``commands.edit``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QLabel, QWidget

from relman_desktop.services.text import as_sentence

_Index = QModelIndex | QPersistentModelIndex


class NamedColumnsModel(QAbstractTableModel):
    """A table over a cache of plain rows whose columns are ``(field, title)`` pairs: the
    plumbing the Changes and Approvals tables share. Subclasses say what a cell shows
    (``data``) and, if need be, which rows are enabled (``flags``)."""

    numbered_rows = False  # the vertical header counts rows

    def __init__(self, columns: tuple[tuple[str, str], ...], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.rows: list[Any] = []

    def set_rows(self, rows: Any) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def cell(self, index: _Index) -> tuple[Any, str] | None:
        """The row and the field name behind ``index``, or None outside the table."""
        if (
            not index.isValid()
            or index.row() >= len(self.rows)
            or index.column() >= len(self.columns)
        ):
            return None
        return self.rows[index.row()], self.columns[index.column()][0]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section][1]
        if (
            self.numbered_rows
            and orientation == Qt.Orientation.Vertical
            and 0 <= section < len(self.rows)
        ):
            return str(section + 1)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )


class Notice(QLabel):
    """A one-line (wrapping) message beside a table: a refused edit's reason, or a note such as
    "approvals were reset". Hidden while empty; selectable so the reason can be copied."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setMargin(4)
        self.hide()

    def show_error(self, text: str) -> None:
        self._show(text, "error")

    def show_note(self, text: str) -> None:
        self._show(text, "banner")

    def _show(self, text: str, role: str) -> None:
        text = as_sentence(text)
        self.setProperty("role", role)
        self.style().unpolish(self)
        self.style().polish(self)
        self.setText(text)
        self.setVisible(bool(text))

    def clear_notice(self) -> None:
        self.setText("")
        self.hide()

    @property
    def shown_text(self) -> str:
        return self.text() if not self.isHidden() else ""
