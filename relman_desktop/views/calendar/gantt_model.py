"""The calendar's tree model: releases (filtered), each expandable to its tasks.

Rows are a cache of plain data; ``data()`` never queries. A release's tasks are fetched when
the tree first expands it (``canFetchMore``/``fetchMore``) through a loader the view gives.
Internal ids: 0 for a release row, ``release_row + 1`` for a task row under it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QFont

from .gantt_data import GanttRelease, GanttTask

Index = QModelIndex | QPersistentModelIndex
KeyRole = Qt.ItemDataRole.UserRole + 1
HEADERS = ("Key", "Title")


@dataclass
class Filters:
    status: str | None = None
    application: str | None = None
    manager: str | None = None

    def accepts(self, rel: GanttRelease) -> bool:
        return (
            (self.status is None or rel.status == self.status)
            and (self.application is None or rel.application == self.application)
            and (self.manager is None or rel.manager == self.manager)
        )


class GanttTreeModel(QAbstractItemModel):
    def __init__(self, task_loader: Callable[[str], list[GanttTask]], parent: Any = None) -> None:
        super().__init__(parent)
        self._task_loader = task_loader
        self.all_rows: list[GanttRelease] = []
        self.rows: list[GanttRelease] = []
        self.tasks: dict[str, list[GanttTask]] = {}
        self.filters = Filters()
        self.row_height = 24
        self._row_of: dict[str, int] = {}

    # --- contents ---------------------------------------------------------------------------

    def set_releases(self, releases: list[GanttRelease], *, keep_tasks: bool = False) -> None:
        self.beginResetModel()
        self.all_rows = list(releases)
        if not keep_tasks:
            self.tasks = {}
        self._apply_filters()
        self.endResetModel()

    def update_in_place(self, releases: list[GanttRelease]) -> bool:
        """New data for the same rows (an edit moved dates): no reset, the tree keeps its
        expansion and scroll. False when the shown rows would differ (then reset instead)."""
        shown = [r for r in releases if self.filters.accepts(r)]
        if [r.key for r in shown] != [r.key for r in self.rows]:
            return False
        # Only rows whose words changed are announced: one range over thousands of rows made
        # the tree ask every row for its flags and children after each edit's re-read.
        changed = [
            i
            for i, (old, new) in enumerate(zip(self.rows, shown, strict=True))
            if (old.title, old.status) != (new.title, new.status)
        ]
        self.all_rows = list(releases)
        self.rows = shown
        self._row_of = {r.key: i for i, r in enumerate(self.rows)}
        last = len(HEADERS) - 1
        if len(changed) > 50:
            self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], last))
        else:
            for i in changed:
                self.dataChanged.emit(self.index(i, 0), self.index(i, last))
        return True

    def set_filters(self, filters: Filters) -> None:
        self.beginResetModel()
        self.filters = filters
        self._apply_filters()
        self.endResetModel()

    def _apply_filters(self) -> None:
        self.rows = [r for r in self.all_rows if self.filters.accepts(r)]
        self._row_of = {r.key: i for i, r in enumerate(self.rows)}

    def replace_tasks(self, key: str, tasks: list[GanttTask]) -> None:
        row = self._row_of.get(key, -1)
        if row < 0:
            self.tasks[key] = tasks
            return
        parent = self.index(row, 0)
        old = self.tasks.get(key)
        if old:
            self.beginRemoveRows(parent, 0, len(old) - 1)
            self.tasks[key] = []
            self.endRemoveRows()
        if tasks:
            self.beginInsertRows(parent, 0, len(tasks) - 1)
        self.tasks[key] = tasks
        if tasks:
            self.endInsertRows()

    def row_of_key(self, key: str) -> int:
        return self._row_of.get(key, -1)

    def index_of_key(self, key: str) -> QModelIndex:
        if "/" in key:
            rel, local = key.split("/", 1)
            row = self.row_of_key(rel)
            tasks = self.tasks.get(rel) or []
            for j, t in enumerate(tasks):
                if t.local_id == local and row >= 0:
                    return self.index(j, 0, self.index(row, 0))
            return QModelIndex()
        row = self.row_of_key(key)
        return self.index(row, 0) if row >= 0 else QModelIndex()

    def item(self, index: Index) -> GanttRelease | GanttTask | None:
        if not index.isValid():
            return None
        ident = index.internalId()
        if ident == 0:
            return self.rows[index.row()] if index.row() < len(self.rows) else None
        rel = self.rows[ident - 1]
        tasks = self.tasks.get(rel.key) or []
        return tasks[index.row()] if index.row() < len(tasks) else None

    # --- QAbstractItemModel -----------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(HEADERS) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0) if row < len(self.rows) else QModelIndex()
        if parent.internalId() != 0 or parent.row() >= len(self.rows):
            return QModelIndex()
        tasks = self.tasks.get(self.rows[parent.row()].key) or []
        return (
            self.createIndex(row, column, parent.row() + 1) if row < len(tasks) else QModelIndex()
        )

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        if not parent.isValid():
            return len(self.rows)
        if parent.column() != 0 or parent.internalId() != 0 or parent.row() >= len(self.rows):
            return 0
        return len(self.tasks.get(self.rows[parent.row()].key) or [])

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return len(HEADERS)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802, B008
        if not parent.isValid():
            return bool(self.rows)
        if parent.internalId() != 0 or parent.column() != 0:
            return False
        key = self.rows[parent.row()].key
        return key not in self.tasks or bool(self.tasks[key])

    def canFetchMore(self, parent: Index) -> bool:  # noqa: N802
        return (
            parent.isValid()
            and parent.internalId() == 0
            and parent.column() == 0
            and parent.row() < len(self.rows)
            and self.rows[parent.row()].key not in self.tasks
        )

    def fetchMore(self, parent: Index) -> None:  # noqa: N802
        if not self.canFetchMore(parent):
            return
        key = self.rows[parent.row()].key
        tasks = self._task_loader(key)
        if tasks:
            self.beginInsertRows(parent, 0, len(tasks) - 1)
        self.tasks[key] = tasks
        if tasks:
            self.endInsertRows()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(HEADERS)
        ):
            return HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self.item(index)
        if item is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(-1, self.row_height)
        if isinstance(item, GanttRelease):
            if role == Qt.ItemDataRole.DisplayRole:
                return item.key if col == 0 else item.title
            if role == Qt.ItemDataRole.ToolTipRole:
                return _release_tip(item)
            if role == Qt.ItemDataRole.FontRole and col == 0:
                font = QFont()
                font.setBold(True)
                return font
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return f"{item.key} {item.title}, {item.status}"
            if role == KeyRole:
                return item.key
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return item.local_id if col == 0 else item.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return _task_tip(item)
        if role == KeyRole:
            return item.key
        return None


def _release_tip(rel: GanttRelease) -> str:
    lines = [f"{rel.key} — {rel.title}", f"Status: {rel.status}"]
    if rel.planned_start or rel.planned_end:
        lines.append(f"Planned: {rel.planned_start or '?'} → {rel.planned_end or '?'}")
    if rel.deploy_start:
        from relman_desktop.services.plan_zone import fmt_range

        window = fmt_range(rel.deploy_start, rel.deploy_end, ZoneInfo(rel.zone))
        lines.append(f"Deployment window: {window}")
    if rel.actual_start:
        lines.append(f"Actual: {rel.actual_start} → {rel.actual_end or 'ongoing'}")
    if rel.manager:
        lines.append(f"Release manager: {rel.manager}")
    if rel.critical:
        lines.append("On the critical path")
    for c in rel.conflicts:
        lines.append(f"{c.rule} ({c.severity}): {c.message}")
    return "\n".join(lines)


def _task_tip(task: GanttTask) -> str:
    lines = [
        f"{task.key} — {task.title}",
        f"Phase: {task.phase}; status: {task.status}; {task.percent}% done",
    ]
    if task.start or task.end:
        lines.append(f"Planned: {task.start or '?'} → {task.end or '?'}")
    if task.assignee:
        lines.append(f"Assignee: {task.assignee}")
    if task.critical:
        lines.append("On the release's critical path")
    return "\n".join(lines)
