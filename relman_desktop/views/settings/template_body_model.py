"""What the template body editor holds: the rows of a template's tasks and approval stages (plain
dicts shaped as the service's body), the ``build, test SS+1`` notation for what a task waits on,
and the checks that need no service (an id used twice, an unknown dependency, a loop), which name
the row. No widgets here: the editor (``template_body``) puts tables and cell editors on top.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from relman_desktop.models import enums as E

from ..releases.releases_model import words

_Index = QModelIndex | QPersistentModelIndex
EMPTY_BODY: dict[str, Any] = {
    "tasks": [],
    "approval_stages": [],
    "required_tests": [],
    "rollback_rehearsal_days": None,
}
MAX_ID = 32  # the service's limit on a task id
LINK_HINT = "e.g. build, test SS+1 (type FS, SS, FF or SF; lag in working days)"


@dataclass(frozen=True)
class BodyColumn:
    key: str  # the field in the body
    title: str
    kind: str  # text, id, phase, role, days, rule, percent, links, people
    label: str  # the field in words, for messages
    tip: str = ""


TASK_COLUMNS: tuple[BodyColumn, ...] = (
    BodyColumn(
        "id",
        "Id",
        "id",
        "id",
        f"The task's id in this template (at most {MAX_ID} characters); "
        "dependencies name tasks by it",
    ),
    BodyColumn("title", "Title", "text", "title"),
    BodyColumn("phase", "Phase", "phase", "phase"),
    BodyColumn(
        "role",
        "Role",
        "role",
        "role",
        "Who does it; a release made from the template gives release-manager tasks to its manager",
    ),
    BodyColumn(
        "offset_days", "Offset", "days", "offset", "Working days after the release starts (day 0)"
    ),
    BodyColumn("duration_days", "Duration", "days", "duration", "Duration in working days"),
    BodyColumn(
        "depends_on",
        "Depends on",
        "links",
        "depends on",
        f"Tasks of this template it waits on: {LINK_HINT}",
    ),
)
STAGE_COLUMNS: tuple[BodyColumn, ...] = (
    BodyColumn("name", "Stage", "text", "name"),
    BodyColumn("rule", "Rule", "rule", "rule", "How many of the approvers must approve"),
    BodyColumn(
        "percent",
        "Percent",
        "percent",
        "percent",
        "For the percent rule: the share of approvers needed",
    ),
    BodyColumn(
        "approvers", "Approvers", "people", "approvers", "Pick them in the list under the table"
    ),
)


# --- dependency notation -----------------------------------------------------------------------

_SUFFIX = re.compile(r"^(?:\s+(FS|SS|FF|SF))?\s*(?:([+-])\s*(\d+)\s*d?)?$", re.IGNORECASE)
_ANY_LINK = re.compile(r"^(.+?)(?:\s+(FS|SS|FF|SF))?\s*(?:([+-])\s*(\d+)\s*d?)?$", re.IGNORECASE)


def links_text(deps: Iterable[dict[str, Any]]) -> str:
    """``[{"task": "build", "type": "FS", "lag_days": 0}, …]`` → ``"build FS, test SS+1"``."""
    return ", ".join(
        f"{d['task']} {d.get('type') or 'FS'}"
        + (f"{d['lag_days']:+d}" if d.get("lag_days") else "")
        for d in deps
    )


def parse_links(text: str, ids: Iterable[str]) -> list[dict[str, Any]]:
    """The inverse of ``links_text``; an id of this template is read whole (``build-2`` is the task
    ``build-2`` when there is one, not ``build`` with a lead of 2 days). An unknown id is kept, for
    the check before saving to name."""
    known = sorted(set(ids), key=len, reverse=True)
    deps: list[dict[str, Any]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        match = None
        for tid in known:
            if part.startswith(tid):
                rest = _SUFFIX.match(part[len(tid) :])
                if rest is not None:
                    match = (tid, *rest.groups())
                    break
        if match is None:
            m = _ANY_LINK.match(part)
            match = m.groups() if m else (part, None, None, None)  # type: ignore[assignment]
        task, kind, sign, days = match
        lag = int(days) * (-1 if sign == "-" else 1) if days else 0
        deps.append({"task": task.strip(), "type": (kind or "FS").upper(), "lag_days": lag})
    return deps


def _role_text(value: Any) -> str:
    if not value:
        return ""
    return words(value) if value in {r.value for r in E.Role} else str(value)


# --- the table models ------------------------------------------------------------------------------


class BodyModel(QAbstractTableModel):
    """Rows of the body (plain dicts) under ``columns``; every edit emits ``changed``."""

    changed = Signal()

    def __init__(self, columns: Sequence[BodyColumn], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self.rows: list[dict[str, Any]] = []

    def set_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = [self.normal(r) for r in rows if isinstance(r, dict)]
        self.endResetModel()

    def normal(self, row: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - each model
        raise NotImplementedError

    def new_row(self, after: int) -> dict[str, Any]:  # pragma: no cover - each model
        """A row to insert after row ``after`` (-1: none is current)."""
        raise NotImplementedError

    def column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def display(self, row: dict[str, Any], column: BodyColumn) -> str:
        value = row.get(column.key)
        if column.kind in ("phase", "rule"):
            return words(value)
        if column.kind == "role":
            return _role_text(value)
        if column.kind == "percent":
            return "" if value is None else f"{value} %"
        if column.kind == "links":
            return links_text(value or [])
        if column.kind == "people":
            return ", ".join(value or [])
        return "" if value is None else str(value)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        row, column = self.rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(row, column)
        if role == Qt.ItemDataRole.EditRole:
            return links_text(row["depends_on"]) if column.kind == "links" else row.get(column.key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.display(row, column) or column.tip or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = column.kind in ("days", "percent")
            return int(
                (Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft)
                | Qt.AlignmentFlag.AlignVCenter
            )
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].title
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.columns[section].tip or None
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self.rows):
            if role == Qt.ItemDataRole.DisplayRole:
                return str(section + 1)  # messages name rows by these numbers
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )
        if self.editable(self.rows[index.row()], self.columns[index.column()]):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def editable(self, row: dict[str, Any], column: BodyColumn) -> bool:
        return column.kind != "people"

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if (
            role != Qt.ItemDataRole.EditRole
            or not index.isValid()
            or not (index.flags() & Qt.ItemFlag.ItemIsEditable)
        ):
            return False
        column = self.columns[index.column()]
        if column.kind in ("text", "id"):
            value = str(value or "").strip()
        elif column.kind == "role":
            value = str(value or "").strip() or None
        elif column.kind in ("days", "percent"):
            value = int(value) if value is not None and value != "" else None
        if self.data(index, Qt.ItemDataRole.EditRole) == value:
            return True
        self.apply(index.row(), column.key, value)
        return True

    def apply(self, i: int, key: str, value: Any) -> None:
        """Set one field of row ``i`` (and whatever follows from it) and announce it."""
        self.rows[i][key] = value
        self.row_changed(i)

    def row_changed(self, i: int) -> None:
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.columns) - 1))
        self.changed.emit()

    # --- rows ---------------------------------------------------------------------------------

    def insert(self, at: int, row: dict[str, Any]) -> int:
        at = max(0, min(at, len(self.rows)))
        self.beginInsertRows(QModelIndex(), at, at)
        self.rows.insert(at, self.normal(row))
        self.endInsertRows()
        self.changed.emit()
        return at

    def remove(self, i: int) -> dict[str, Any] | None:
        if not 0 <= i < len(self.rows):
            return None
        self.beginRemoveRows(QModelIndex(), i, i)
        row = self.rows.pop(i)
        self.endRemoveRows()
        self.changed.emit()
        return row

    def move(self, i: int, to: int) -> bool:
        if not (0 <= i < len(self.rows) and 0 <= to < len(self.rows)) or i == to:
            return False
        # Qt counts the destination before the move: one further down when moving down.
        self.beginMoveRows(QModelIndex(), i, i, QModelIndex(), to + 1 if to > i else to)
        self.rows.insert(to, self.rows.pop(i))
        self.endMoveRows()
        self.changed.emit()
        return True


class TaskRowsModel(BodyModel):
    """The template's tasks. Renaming a task renames it where others wait on it; removing one
    removes those links."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(TASK_COLUMNS, parent)

    def normal(self, row: dict[str, Any]) -> dict[str, Any]:
        deps = [
            {
                "task": str(d.get("task", "")),
                "type": d.get("type") or "FS",
                "lag_days": d.get("lag_days") or 0,
            }
            for d in row.get("depends_on") or []
            if isinstance(d, dict)
        ]
        return {
            "id": str(row.get("id") or ""),
            "title": str(row.get("title") or ""),
            "phase": row.get("phase") or E.Phase.PLAN.value,
            "role": row.get("role") or None,
            "offset_days": row.get("offset_days", 0),
            "duration_days": row.get("duration_days", 1),
            "depends_on": deps,
        }

    def ids(self) -> list[str]:
        return [r["id"] for r in self.rows]

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if (
            role == Qt.ItemDataRole.EditRole
            and index.isValid()
            and self.columns[index.column()].kind == "links"
            and isinstance(value, str)
        ):
            value = parse_links(value, self.ids())
            if value == self.rows[index.row()]["depends_on"]:
                return True
            self.apply(index.row(), "depends_on", value)
            return True
        return super().setData(index, value, role)

    def apply(self, i: int, key: str, value: Any) -> None:
        old = self.rows[i][key]
        super().apply(i, key, value)
        if key == "id" and old and old not in self.ids():
            for j, r in enumerate(self.rows):
                if any(d["task"] == old for d in r["depends_on"]):
                    for d in r["depends_on"]:
                        if d["task"] == old:
                            d["task"] = value
                    self.row_changed(j)

    def remove(self, i: int) -> dict[str, Any] | None:
        row = super().remove(i)
        if row is not None and row["id"] not in self.ids():
            for j, r in enumerate(self.rows):
                kept = [d for d in r["depends_on"] if d["task"] != row["id"]]
                if kept != r["depends_on"]:
                    r["depends_on"] = kept
                    self.row_changed(j)
        return row

    def new_row(self, after: int) -> dict[str, Any]:
        """A task to insert after row ``after``: the next free ``T<n>`` id, starting when that one ends."""
        taken = set(self.ids())
        n = len(self.rows) + 1
        while f"T{n}" in taken:
            n += 1
        prev = self.rows[after] if 0 <= after < len(self.rows) else None
        offset = (prev["offset_days"] or 0) + (prev["duration_days"] or 0) if prev else 0
        return {
            "id": f"T{n}",
            "title": "",
            "phase": prev["phase"] if prev else E.Phase.PLAN.value,
            "role": None,
            "offset_days": offset,
            "duration_days": 1,
            "depends_on": [],
        }


class StageRowsModel(BodyModel):
    """The template's approval stages; a percent is kept only under the percent rule."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(STAGE_COLUMNS, parent)

    def normal(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": str(row.get("name") or ""),
            "rule": row.get("rule") or E.StageRule.ALL.value,
            "percent": row.get("percent"),
            "approvers": list(row.get("approvers") or []),
        }

    def editable(self, row: dict[str, Any], column: BodyColumn) -> bool:
        if column.kind == "percent":
            return row["rule"] == E.StageRule.PERCENT.value
        return super().editable(row, column)

    def apply(self, i: int, key: str, value: Any) -> None:
        if key == "rule" and value != E.StageRule.PERCENT.value:
            self.rows[i]["percent"] = None
        super().apply(i, key, value)

    def new_row(self, after: int) -> dict[str, Any]:
        names = {r["name"].lower() for r in self.rows}
        name = next(
            n
            for n in (["CAB", "QA sign-off", "Business"] + [f"Stage {k}" for k in range(1, 999)])
            if n.lower() not in names
        )
        return {"name": name, "rule": E.StageRule.ALL.value, "percent": None, "approvers": []}


# --- checks before the service is asked ------------------------------------------------------------


def task_problem(tasks: list[dict[str, Any]]) -> tuple[int, str, str] | None:
    """The first problem with the tasks' ids and dependencies, as (row, field, message naming the row):
    an id used twice, a dependency on an unknown task or on itself, a loop."""
    first: dict[str, int] = {}

    def name(i: int) -> str:
        return f"Task {i + 1}" + (f" ({tasks[i]['id']})" if tasks[i]["id"] else "")

    for i, t in enumerate(tasks):
        tid = t["id"]
        if "," in tid:
            return (
                i,
                "id",
                f"{name(i)}, id: an id cannot contain a comma (“depends on” separates ids with commas)",
            )
        if tid and tid in first:
            return i, "id", f"Task {i + 1}, id: {tid!r} is already the id of task {first[tid] + 1}"
        first.setdefault(tid, i)
    for i, t in enumerate(tasks):
        seen: set[str] = set()
        for d in t["depends_on"]:
            other = d["task"]
            if other == t["id"]:
                return i, "depends_on", f"{name(i)}, depends on: a task cannot depend on itself"
            if other not in first:
                return i, "depends_on", f"{name(i)}, depends on: no task {other!r} in this template"
            if other in seen:
                return i, "depends_on", f"{name(i)}, depends on: {other} is listed twice"
            seen.add(other)
    loop = _loop(tasks, first)
    if loop is not None:
        where = " → ".join(name(i) for i in loop)
        return (
            loop[0],
            "depends_on",
            (f"Loop: {where} (each waits on the one before it); remove one of these dependencies"),
        )
    return None


def _loop(tasks: list[dict[str, Any]], row_of: dict[str, int]) -> list[int] | None:
    """A dependency loop as rows, each the predecessor of the next, from its topmost row (repeated
    last: that row waits on the one before it), or None."""
    waits_on = [[row_of[d["task"]] for d in t["depends_on"]] for t in tasks]
    state = [0] * len(tasks)  # 0 unseen, 1 on the path, 2 done
    path: list[int] = []

    def visit(i: int) -> list[int] | None:
        state[i] = 1
        path.append(i)
        for j in waits_on[i]:
            if state[j] == 1:
                cycle = list(
                    reversed(path[path.index(j) :])
                )  # each the predecessor of the next, the last of the first
                k = cycle.index(
                    min(cycle)
                )  # start at the topmost row, so the loop reads the same whatever the order
                cycle = cycle[k:] + cycle[:k]
                return cycle + [cycle[0]]
            if state[j] == 0:
                found = visit(j)
                if found is not None:
                    return found
        path.pop()
        state[i] = 2
        return None

    for i in range(len(tasks)):
        if state[i] == 0:
            found = visit(i)
            if found is not None:
                return found
    return None
