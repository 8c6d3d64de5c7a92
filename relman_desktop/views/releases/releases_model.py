"""The releases list as a Qt table: a row cache of ``ReleaseRow``s and a filtering proxy.

``data()`` reads only the cache. Sorting happens in the source model with Python's sort over
precomputed keys (one pass, ~10 ms at 10,000 rows) instead of the proxy's per-comparison
``lessThan`` calls into Python; the proxy only filters, against precomputed lowercase text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QIcon

from relman_desktop.services.keys import natural_key

KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # the release key of a row
ROW_ROLE = Qt.ItemDataRole.UserRole + 2  # the whole ReleaseRow

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    name: str
    title: str


COLUMNS: tuple[Column, ...] = (
    Column("key", "Key"),
    Column("title", "Title"),
    Column("status", "Status"),
    Column("type", "Type"),
    Column("risk", "Risk"),
    Column("priority", "Priority"),
    Column("application", "Application"),
    Column("manager", "Manager"),
    Column("planned_start", "Planned start"),
    Column("planned_end", "Planned end"),
    Column("deployment_window", "Deployment window"),
)
COLUMN_INDEX = {c.name: i for i, c in enumerate(COLUMNS)}
_LEVEL_ORDER = {"low": 0, "medium": 1, "high": 2, "critical": 3}
_STATUS_ORDER = {
    "planning": 0,
    "build": 1,
    "testing": 2,
    "awaiting_approval": 3,
    "approved": 4,
    "deploying": 5,
    "deployed": 6,
    "in_review": 7,
    "closed": 8,
    "on_hold": 9,
    "cancelled": 10,
    "rolled_back": 11,
}
# A swatch before the status, by what the state means (its role), readable on every theme:
# grey not started, blue in the works, amber waiting for people, green live, red gone wrong.
STATUS_COLOURS = {
    "planning": "#8c96a0",
    "build": "#3d7bd9",
    "testing": "#3d7bd9",
    "awaiting_approval": "#e0a100",
    "approved": "#2fa87a",
    "deploying": "#9b59d0",
    "deployed": "#2f9e44",
    "in_review": "#2f9e44",
    "closed": "#5c6670",
    "on_hold": "#e0a100",
    "cancelled": "#d9480f",
    "rolled_back": "#d9480f",
}


def status_colour(role: str | None) -> QColor | None:
    """The swatch colour of a workflow role (None for a custom state without one)."""
    value = STATUS_COLOURS.get(role or "")
    return QColor(value) if value else None


def words(value: str | None) -> str:
    """An enum word as people read it: ``in_progress`` → ``In progress``."""
    if not value:
        return ""
    return value.replace("_", " ").capitalize() if value.islower() else value


def local_time(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone() if value is not None else None


def deployment_window_text(start: dt.datetime | None, end: dt.datetime | None) -> str:
    a, b = local_time(start), local_time(end)
    if a is None and b is None:
        return ""
    if a is None:
        return f"until {b:%Y-%m-%d %H:%M}"
    if b is None:
        return f"from {a:%Y-%m-%d %H:%M}"
    if a.date() == b.date():
        return f"{a:%Y-%m-%d %H:%M}–{b:%H:%M}"
    return f"{a:%Y-%m-%d %H:%M} – {b:%Y-%m-%d %H:%M}"


def search_text(row: Any) -> str:
    parts = (
        row.key,
        row.title,
        row.version,
        row.status,
        row.type,
        row.risk,
        row.priority,
        row.application,
        row.manager,
        row.manager_email,
    )
    return "\x1f".join(p for p in parts if p).lower()


def _sort_key(name: str) -> Any:
    def text(attr: str) -> Any:
        return lambda r: (getattr(r, attr) is None, (getattr(r, attr) or "").casefold())

    def ordered(attr: str) -> Any:
        return lambda r: (getattr(r, attr) is None, getattr(r, attr) or dt.date.min)

    if name == "key":
        return lambda r: natural_key(r.key)  # REL-2026-559 before REL-2026-5589
    if name == "status":  # the workflow's order (Planning … Closed), then by name
        return lambda r: (_STATUS_ORDER.get(r.status_role or "", 99), r.status.casefold())
    if name in ("risk", "priority"):
        return lambda r: _LEVEL_ORDER.get(getattr(r, name), 9)
    if name in ("planned_start", "planned_end"):
        return ordered(name)
    if name == "deployment_window":
        return lambda r: (
            r.deploy_start is None,
            r.deploy_start or dt.datetime.min.replace(tzinfo=dt.UTC),
        )
    return text(name)


def conflict_words(errors: int, warnings: int) -> str:
    """``1 conflict (an error)``, ``3 conflicts (1 error, 2 warnings)``."""
    n = errors + warnings
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"{n} conflict{'s' if n != 1 else ''} ({', '.join(parts)})"


def conflict_icon() -> QIcon:
    from PySide6.QtWidgets import QApplication, QStyle

    return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)


class ReleasesModel(QAbstractTableModel):
    """Releases by row; ``rows`` is the cache (plain ReleaseRow values, never ORM objects)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []
        self.search: list[str] = []
        self._sorted: tuple[int, Qt.SortOrder] | None = None
        # {key: (errors, warnings)} from the conflict count: the Key cell's warning badge
        self.conflicts: dict[str, tuple[int, int]] = {}

    # --- filling the cache ------------------------------------------------------------------

    def set_rows(self, rows: Iterable[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        if self._sorted is not None:
            column, order = self._sorted
            self.rows.sort(
                key=_sort_key(COLUMNS[column].name), reverse=order == Qt.SortOrder.DescendingOrder
            )
        self.search = [search_text(r) for r in self.rows]
        self.endResetModel()

    def add_row(self, row_value: Any) -> int:
        """One release more, at its place in the current sort (a key found before the lazily
        filled list has read it); returns its row. A release already listed stays as it is."""
        known = self.row_of_id(row_value.id)
        if known >= 0:
            return known
        column, order = self._sorted or (COLUMN_INDEX["key"], Qt.SortOrder.AscendingOrder)
        row_key = _sort_key(COLUMNS[column].name)
        new_key = row_key(row_value)
        descending = order == Qt.SortOrder.DescendingOrder
        i = 0
        while i < len(self.rows):  # rows are few while the list fills; no bisect needed
            other = row_key(self.rows[i])
            if (other > new_key) if not descending else (other < new_key):
                break
            i += 1
        self.beginInsertRows(QModelIndex(), i, i)
        self.rows.insert(i, row_value)
        self.search.insert(i, search_text(row_value))
        self.endInsertRows()
        return i

    def row_of_key(self, key: str) -> int:
        for i, r in enumerate(self.rows):
            if r.key == key:
                return i
        return -1

    def row_of_id(self, release_id: int) -> int:
        for i, r in enumerate(self.rows):
            if r.id == release_id:
                return i
        return -1

    def update_row(self, row_value: Any) -> None:
        """One release changed: replace its cached row (found by id, so a new key is fine)."""
        i = self.row_of_id(row_value.id)
        if i < 0:
            return
        self.rows[i] = row_value
        self.search[i] = search_text(row_value)
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    # --- the model --------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section].title
        elif orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        r = self.rows[index.row()]
        name = COLUMNS[index.column()].name
        if name == "key" and r.key in self.conflicts:
            if role == Qt.ItemDataRole.DecorationRole:
                return conflict_icon()
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{r.key}: {conflict_words(*self.conflicts[r.key])} (Conflicts page)"
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._display(r, name)
        if role == KEY_ROLE:
            return r.key
        if role == ROW_ROLE:
            return r
        if role == Qt.ItemDataRole.DecorationRole and name == "status":
            return status_colour(r.status_role)
        if role == Qt.ItemDataRole.FontRole and name == "risk" and r.risk in ("high", "critical"):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{COLUMNS[index.column()].title}: {self._display(r, name) or 'none'}"
        return None

    @staticmethod
    def _display(r: Any, name: str) -> str:
        if name == "deployment_window":
            return deployment_window_text(r.deploy_start, r.deploy_end)
        value = getattr(r, name)
        if value is None:
            return ""
        if isinstance(value, dt.date):
            return value.isoformat()
        if name in ("type", "risk", "priority"):
            return words(value)
        return str(value)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self._sorted = (column, order)
        self.layoutAboutToBeChanged.emit()
        old_ids = [r.id for r in self.rows]
        row_key = _sort_key(COLUMNS[column].name)
        keyed = sorted(
            range(len(self.rows)),
            key=lambda i: row_key(self.rows[i]),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        self.rows = [self.rows[i] for i in keyed]
        self.search = [self.search[i] for i in keyed]
        new_row_of_id = {r.id: i for i, r in enumerate(self.rows)}
        persistent = self.persistentIndexList()
        if persistent:
            moved = [
                self.index(new_row_of_id[old_ids[p.row()]], p.column())
                if p.row() < len(old_ids)
                else QModelIndex()
                for p in persistent
            ]
            self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()


@dataclass
class ReleaseFilter:
    """What the list shows. Empty sets mean "any"; text matches every word, anywhere."""

    statuses: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    risks: set[str] = field(default_factory=set)
    managers: set[str] = field(default_factory=set)  # names or emails
    applications: set[str] = field(default_factory=set)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str = ""

    def is_empty(self) -> bool:
        return not (
            self.statuses
            or self.types
            or self.risks
            or self.managers
            or self.applications
            or self.date_from
            or self.date_to
            or self.text.strip()
        )


class ReleasesFilterProxy(QSortFilterProxyModel):
    """Filters the releases; sorting is handed to the source model (see the module docstring)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._filter = ReleaseFilter()
        self._words: list[str] = []
        self.setDynamicSortFilter(False)

    @property
    def current_filter(self) -> ReleaseFilter:
        return self._filter

    def set_filter(self, value: ReleaseFilter) -> None:
        self.beginFilterChange()
        self._filter = value
        self._words = value.text.lower().split()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def update_filter(self, **changes: Any) -> None:
        values = {**self._filter.__dict__, **changes}
        self.set_filter(ReleaseFilter(**values))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        model: ReleasesModel = self.sourceModel()  # type: ignore[assignment]
        f = self._filter
        r = model.rows[source_row]
        if f.statuses and r.status not in f.statuses:
            return False
        if f.types and r.type not in f.types:
            return False
        if f.risks and r.risk not in f.risks:
            return False
        if f.managers and r.manager not in f.managers and r.manager_email not in f.managers:
            return False
        if f.applications and r.application not in f.applications:
            return False
        if f.date_from is not None or f.date_to is not None:
            start = r.planned_start or r.planned_end
            end = r.planned_end or r.planned_start
            if start is None:
                return False
            if f.date_from is not None and end < f.date_from:
                return False
            if f.date_to is not None and start > f.date_to:
                return False
        if self._words:
            text = model.search[source_row]
            for w in self._words:
                if w not in text:
                    return False
        return True
