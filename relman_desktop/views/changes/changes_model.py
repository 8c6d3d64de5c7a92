"""The Changes page's table: its columns, the row-cache model (sort keys made once per
reload, requester names from a lookup, so ``data()`` never queries) and the proxy that
filters it by search words and the filter combos.

Split from ``changes_page`` (the page, its form and bundling), which re-exports
``COLUMN`` and ``PageChangesModel`` for the callers that take them from there.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from relman_desktop.services.keys import natural_text

from ..common.tab_forms import show_moment
from ..releases.tab_changes import ChangesModel

_Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 3
ANY = ""

PAGE_COLUMNS = (
    ("key", "Key"),
    ("title", "Title"),
    ("type", "Type"),
    ("category", "Category"),
    ("approval", "Approval"),
    ("risk", "Risk"),
    ("release", "Release"),
    ("cis", "CIs"),
    ("requester", "Requester"),
    ("created", "Created"),
)
COLUMN = {name: i for i, (name, _t) in enumerate(PAGE_COLUMNS)}
_LEVELS = {"low": 0, "medium": 1, "high": 2, "critical": 3}


class PageChangesModel(ChangesModel):
    """The Changes tab's row-cache model with every column the page shows; requester names
    come from a lookup made once per reload, so ``data()`` never queries."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent=parent)
        self.columns = PAGE_COLUMNS
        self.people: dict[str, str] = {}
        self.search: list[str] = []
        # Sort keys by column, made once per reload: sorting 25,000 rows asks for them ~400,000
        # times, and building each anew froze the page for seconds (issue 16).
        self._sort_keys: dict[int, list[Any]] = {}
        self.order: tuple[int, Qt.SortOrder] | None = None

    def set_rows(self, rows: Any, people: dict[str, str] | None = None) -> None:
        if people is not None:
            self.people = people
        rows = list(rows)
        self._sort_keys = {}
        if self.order is not None:  # arrive sorted: no proxy sort over 25,000 rows
            column, order = self.order
            keys = self._keys_of(rows, column)
            perm = self._permutation(keys, order)
            rows = [rows[i] for i in perm]
            self._sort_keys[column] = [keys[i] for i in perm]
        self.search = [self._search_text(r) for r in rows]
        super().set_rows(rows)

    def _keys_of(self, rows: list[Any], column: int) -> list[Any]:
        name = self.columns[column][0]
        return [self._sort_key(r, name) for r in rows]

    @staticmethod
    def _permutation(keys: list[Any], order: Qt.SortOrder) -> list[int]:
        # Stable either way, as Qt's own sort: equal keys keep their order.
        return sorted(
            range(len(keys)),
            key=keys.__getitem__,
            reverse=order == Qt.SortOrder.DescendingOrder,
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows themselves, in Python over cached keys (the proxy asking for each key
        through ``data()`` took seconds on 25,000 changes); selections follow their rows."""
        if not 0 <= column < len(self.columns):
            self.order = None
            return
        self.order = (column, order)
        if not self.rows:
            return
        self.layoutAboutToBeChanged.emit()
        keys = self._sort_keys.get(column) or self._keys_of(self.rows, column)
        perm = self._permutation(keys, order)
        moved_to = [0] * len(perm)
        for new, old in enumerate(perm):
            moved_to[old] = new
        self.rows = [self.rows[i] for i in perm]
        self.search = [self.search[i] for i in perm]
        self._sort_keys = {c: [k[i] for i in perm] for c, k in self._sort_keys.items()}
        self._sort_keys[column] = [keys[i] for i in perm]
        before = self.persistentIndexList()
        after = [self.index(moved_to[i.row()], i.column()) for i in before]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _sort_key(self, r: Any, name: str) -> Any:
        if name == "risk":
            return _LEVELS.get(r.risk, 9)
        if name == "created":
            return r.created_at.isoformat() if r.created_at else ""
        if name in ("key", "release"):  # CHG-9 before CHG-10
            return natural_text(self.display(r, name))
        return self.display(r, name).casefold()

    def _search_text(self, r: Any) -> str:
        parts = (
            r.key,
            r.title,
            r.type,
            r.category,
            r.approval,
            r.risk,
            r.release,
            ", ".join(r.cis),
            r.requester_email,
            self.people.get(r.requester_email or ""),
            r.external_ref,
            r.description,
        )
        return "\x1f".join(p for p in parts if p).lower()

    def display(self, r: Any, name: str) -> str:  # type: ignore[override]
        if name == "requester":
            email = r.requester_email or ""
            return self.people.get(email, email)
        if name == "created":
            return show_moment(r.created_at)[:10] if r.created_at else ""
        return ChangesModel.display(r, name)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == SORT_ROLE and index.isValid() and index.row() < len(self.rows):
            column = index.column()
            keys = self._sort_keys.get(column)
            if keys is None:
                name = self.columns[column][0]
                keys = self._sort_keys[column] = [self._sort_key(r, name) for r in self.rows]
            return keys[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid() and index.row() < len(self.rows):
            r = self.rows[index.row()]
            name = self.columns[index.column()][0]
            if name == "release" and r.release:
                return f"{r.release} — double-click to open it"
            if name == "requester":
                return r.requester_email or ""
            if name == "created" and r.created_at:
                return show_moment(r.created_at)
        return super().data(index, role)


class ChangeFilterProxy(QSortFilterProxyModel):
    """Filters by approval, category, type, bundled or not, release and free text (every word)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.filters: dict[str, str] = {}
        self._words: list[str] = []
        self.setSortRole(SORT_ROLE)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The header's sort: the source model sorts its own rows (see ``PageChangesModel.sort``);
        this proxy keeps their order and only filters."""
        source = self.sourceModel()
        if isinstance(source, PageChangesModel):
            source.sort(column, order)
        else:
            super().sort(column, order)

    def set_filters(self, text: str = "", **filters: str) -> None:
        self.beginFilterChange()
        self.filters = {k: v for k, v in filters.items() if v}
        self._words = text.lower().split()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        model: PageChangesModel = self.sourceModel()  # type: ignore[assignment]
        r = model.rows[source_row]
        f = self.filters
        for name in ("approval", "category", "type"):
            if f.get(name) and getattr(r, name) != f[name]:
                return False
        bundled = f.get("bundled")
        if bundled == "yes" and not r.release or bundled == "no" and r.release:
            return False
        if f.get("release") and r.release != f["release"]:
            return False
        text = model.search[source_row]
        return all(w in text for w in self._words)
