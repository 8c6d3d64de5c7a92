"""The CIs page (navigator "CIs"): configuration items as a tree, parents above their children,
and the impact of the selected CI — every release and change that touches it or its direct
parents and children (``graph.ci_impact``), with the release's status.

Browsing only: CIs are edited in Settings › CIs, which "Edit in Settings" opens on the same CI.
A CI with two parents appears under each. Importing this module registers the page and the
``cis`` screenshot view.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.services import cis, graph, people

from ..common.background_read import BackgroundRead
from ..common.tab_forms import Column, RowsModel, table_view
from ..releases.releases_model import words
from ..shell.store import Store
from ..shell.worker import Task, Worker

_Index = QModelIndex | QPersistentModelIndex
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
ANY = ""

TREE_COLUMNS = (
    ("name", "CI"),
    ("ci_class", "Class"),
    ("environment", "Environment"),
    ("criticality", "Criticality"),
    ("window", "Maint. window"),
    ("owner", "Owner"),
)
_LEVELS = {"low": 0, "medium": 1, "high": 2, "critical": 3}
RELATION = {"itself": "itself", "parent": "its parent", "child": "its child"}


class _Node:
    __slots__ = ("ci", "parent", "children", "row")

    def __init__(self, ci: Any, parent: _Node | None, row: int) -> None:
        self.ci = ci
        self.parent = parent
        self.children: list[_Node] = []
        self.row = row


class CITreeModel(QAbstractItemModel):
    """CIs by parent → child from a cache of ``CIRow``s. Top level: the CIs with no parent.
    Nodes are plain Python objects kept in ``_nodes`` for as long as the indexes point at them."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []
        self.roots: list[_Node] = []
        self._nodes: list[_Node] = []
        self.owners: dict[str, str] = {}

    def set_rows(self, rows: list[Any], owners: dict[str, str] | None = None) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.owners = owners or {}
        by_name = {r.name: r for r in self.rows}
        self._nodes = []

        def grow(ci: Any, parent: _Node | None, row: int, seen: frozenset[str]) -> _Node:
            node = _Node(ci, parent, row)
            self._nodes.append(node)
            kids = [by_name[c] for c in sorted(ci.children) if c in by_name and c not in seen]
            node.children = [grow(k, node, i, seen | {k.name}) for i, k in enumerate(kids)]
            return node

        tops = [r for r in self.rows if not any(p in by_name for p in r.parents)]
        self.roots = [
            grow(r, None, i, frozenset({r.name}))
            for i, r in enumerate(sorted(tops, key=lambda r: r.name))
        ]
        self.endResetModel()

    def _node(self, index: _Index) -> _Node | None:
        return index.internalPointer() if index.isValid() else None  # type: ignore[return-value]

    def _children(self, parent: _Index) -> list[_Node]:
        node = self._node(parent)
        return self.roots if node is None else node.children

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(TREE_COLUMNS) or (parent.isValid() and parent.column() != 0):
            return QModelIndex()
        children = self._children(parent)
        if not 0 <= row < len(children):
            return QModelIndex()
        return self.createIndex(row, column, children[row])

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        node = self._node(index)
        if node is None or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.parent.row, 0, node.parent)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._children(parent))

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return len(TREE_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(TREE_COLUMNS)
        ):
            return TREE_COLUMNS[section][1]
        return None

    def text(self, ci: Any, name: str) -> str:
        if name == "name":
            return ci.name
        if name == "window":
            return "Required" if ci.requires_maintenance_window else "No"
        if name == "owner":
            return self.owners.get(ci.owner_email or "", ci.owner_email or "")
        if name == "environment":
            return ci.environment or ""
        return words(getattr(ci, name))

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self._node(index)
        if node is None:
            return None
        name = TREE_COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(node.ci, name)
        if role == Qt.ItemDataRole.ToolTipRole:
            if name == "owner":
                return node.ci.owner_email or ""
            if name == "name" and len(node.ci.parents) > 1:
                return f"{node.ci.name} (under {', '.join(node.ci.parents)})"
            return self.text(node.ci, name)
        if role == NAME_ROLE:
            return node.ci.name
        if role == SORT_ROLE:
            return (
                _LEVELS.get(node.ci.criticality, 9)
                if name == "criticality"
                else self.text(node.ci, name).casefold()
            )
        if (
            role == Qt.ItemDataRole.FontRole
            and name == "criticality"
            and node.ci.criticality in ("high", "critical")
        ):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{TREE_COLUMNS[index.column()][1]}: {self.text(node.ci, name) or 'none'}"
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        node = self._node(index)
        if node is not None and not node.children:
            flags |= Qt.ItemFlag.ItemNeverHasChildren
        return flags

    def index_of(self, name: str) -> QModelIndex:
        """The first place ``name`` appears in the tree (a CI with two parents is in two)."""
        for node in self._nodes:
            if node.ci.name == name:
                return self.createIndex(node.row, 0, node)
        return QModelIndex()


class CIFilterProxy(QSortFilterProxyModel):
    """Every search word in the CI's name, class, environment or owner; the environment filter.
    Recursive: a matching child keeps its parents on show."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []
        self.environment = ""
        self.setRecursiveFilteringEnabled(True)
        self.setSortRole(SORT_ROLE)

    def set_filter(self, text: str, environment: str = "") -> None:
        self.beginFilterChange()
        self._words = text.lower().split()
        self.environment = environment
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        model: CITreeModel = self.sourceModel()  # type: ignore[assignment]
        index = model.index(source_row, 0, source_parent)
        node = model._node(index)
        if node is None:
            return False
        ci = node.ci
        if self.environment and (ci.environment or "") != self.environment:
            return False
        text = " ".join(
            (
                ci.name,
                ci.ci_class,
                ci.environment or "",
                ci.criticality,
                ci.owner_email or "",
                model.owners.get(ci.owner_email or "", ""),
            )
        ).lower()
        return all(w in text for w in self._words)


RELEASE_COLUMNS = (
    Column("Release", lambda r: r["key"]),
    Column("Status", lambda r: r["status"]),
    Column("Title", lambda r: r["title"]),
    Column("Touches it through", lambda r: _via(r["via"])),
    Column("Changes", lambda r: ", ".join(r["changes"])),
)
CHANGE_COLUMNS = (
    Column("Change", lambda c: c["key"]),
    Column("Approval", lambda c: words(c["approval"])),
    Column("Release", lambda c: c["release"] or "in no release"),
    Column("Title", lambda c: c["title"]),
    Column("Touches it through", lambda c: _via(c["via"])),
)


def _via(via: list[dict[str, str]]) -> str:
    return "; ".join(
        v["ci"] if v["relation"] == "itself" else f"{v['ci']} ({RELATION[v['relation']]})"
        for v in via
    )


class CIsPage(BackgroundRead, QWidget):
    def __init__(
        self,
        store: Store,
        window: Any = None,
        parent: QWidget | None = None,
        *,
        worker: Worker | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("cis_page")
        self.store = store
        self.window_ = window
        self.current: str | None = None
        self.impact: Any = None
        self._want: str | None = None  # asked to select before its row was read
        self._init_background_read(worker)
        self.placeholder = QLabel("Reading the configuration items…")
        self.placeholder.setObjectName("cis_placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setProperty("role", "subtle")
        self.placeholder.hide()

        # --- the tree ------------------------------------------------------------------------
        self.model = CITreeModel(self)
        self.proxy = CIFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit(placeholderText="Search name, class, owner…")
        self.search.setObjectName("ci_search")
        self.search.setAccessibleName("Search CIs")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self.apply_filter())
        self.environment_filter = QComboBox()
        self.environment_filter.setObjectName("environment_filter")
        self.environment_filter.setAccessibleName("Environment filter")
        self.environment_filter.addItem("Any environment", ANY)
        self.environment_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.count_label = QLabel()
        self.count_label.setProperty("role", "subtle")
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.environment_filter)
        top.addWidget(self.count_label)

        self.tree = QTreeView()
        self.tree.setObjectName("ci_tree")
        self.tree.setAccessibleName("Configuration items")
        self.tree.setModel(self.proxy)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.tree.header().setStretchLastSection(True)
        fm = self.fontMetrics()
        for column, sample in enumerate(
            (
                "billing-service-staging",
                "Application",
                "Environment",
                "Criticality",
                "Maint. window",
            )
        ):
            self.tree.setColumnWidth(
                column, fm.horizontalAdvance(sample) + (40 if column == 0 else 16)
            )
        self.tree.selectionModel().currentRowChanged.connect(lambda *_: self._selected())

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addLayout(top)
        lv.addWidget(self.placeholder, 1)
        lv.addWidget(self.tree, 1)

        # --- the impact ----------------------------------------------------------------------
        self.heading = QLabel("No CI selected")
        self.heading.setObjectName("ci_heading")
        self.heading.setProperty("role", "heading")
        self.heading.setWordWrap(True)
        self.edit_button = QPushButton("Edit in Settings")
        self.edit_button.setObjectName("edit_ci_in_settings")
        self.edit_button.setToolTip("CIs, their owners and parents are edited in Settings › CIs")
        self.edit_button.clicked.connect(self.edit_in_settings)
        if not self._can_show_settings():  # hidden, never shown: it has no parent yet
            self.edit_button.hide()
        head = QHBoxLayout()
        head.addWidget(self.heading, 1)
        head.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)
        self.facts: dict[str, QLabel] = {}
        facts = QFormLayout()
        facts.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, label in (
            ("class", "Class"),
            ("environment", "Environment"),
            ("owner", "Owner"),
            ("criticality", "Criticality"),
            ("window", "Maintenance window"),
            ("parents", "Parents"),
            ("children", "Children"),
        ):
            value = QLabel()
            value.setObjectName(f"ci_{name}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts[name] = value
            facts.addRow(label + ":", value)
        self.summary = QLabel()
        self.summary.setObjectName("impact_summary")
        self.summary.setWordWrap(True)
        self.release_model = RowsModel(RELEASE_COLUMNS, self)
        self.release_table = self._impact_table(
            self.release_model, "impact_releases", "Releases touching this CI"
        )
        self.release_table.doubleClicked.connect(self._open_release)
        self.change_model = RowsModel(CHANGE_COLUMNS, self)
        self.change_table = self._impact_table(
            self.change_model, "impact_changes", "Changes touching this CI"
        )
        self.change_table.doubleClicked.connect(self._open_change)
        releases_box = QGroupBox("Releases touching it")
        QVBoxLayout(releases_box).addWidget(self.release_table)
        changes_box = QGroupBox("Changes touching it")
        QVBoxLayout(changes_box).addWidget(self.change_table)
        hint = QLabel(
            "Through the CI itself, its parents and its children. Double-click a release to open it, "
            "a change to see it on the Changes page."
        )
        hint.setProperty("role", "subtle")
        hint.setWordWrap(True)

        right = QWidget()
        right.setObjectName("ci_impact")
        rv = QVBoxLayout(right)
        rv.setContentsMargins(8, 0, 0, 0)
        rv.addLayout(head)
        rv.addLayout(facts)
        rv.addWidget(self.summary)
        rv.addWidget(hint)
        rv.addWidget(releases_box, 1)
        rv.addWidget(changes_box, 1)
        right.setMinimumWidth(fm.horizontalAdvance("M") * 28)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([3000, 2000])
        self.tree.setStyleSheet("QTreeView::item { padding: 3px 0px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.splitter)

        # The store outlives the page: it calls bound methods, which Qt drops with the page.
        for signal in (
            store.cis_changed,
            store.people_changed,
            store.releases_changed,
            store.workflow_changed,
            store.changes_changed,
            store.release_changed,
        ):
            signal.connect(self._store_changed)
        store.plan_opened.connect(self._plan_opened)
        store.plan_closed.connect(self._plan_opened)
        self.show_impact(None)

    @staticmethod
    def _impact_table(model: RowsModel, name: str, accessible: str) -> QTableView:
        view = table_view(model, name)
        view.setAccessibleName(accessible)
        view.setMinimumHeight(view.fontMetrics().height() * 5)
        return view

    # --- reading --------------------------------------------------------------------------------

    def _plan_opened(self, *_args: object) -> None:
        self.current = None
        self.refresh()

    def _store_changed(self, *_args: object) -> None:
        self.refresh()

    def reload(self) -> None:
        """Read the CIs again (on the worker: they arrive in ``_loaded``, which keeps the
        selection); the first read shows a placeholder meanwhile."""
        self._stale = False
        if not self.store.has_plan:
            self._loader.stop()
            self._loaded({"rows": [], "owners": {}})
            return
        self._start_read()

    def _load_job(self) -> Any:
        if not self.store.has_plan:
            return None
        ctx = self.store.ctx

        def read(_task: Task) -> dict[str, Any]:
            return {
                "rows": cis.list_cis(ctx),
                "owners": {p.email: p.name for p in people.list_people(ctx)},
            }

        return read

    def _load_failed(self, message: str) -> None:
        self._show_placeholder(False)
        self.store.error.emit(message)

    def _show_placeholder(self, on: bool) -> None:
        self.placeholder.setVisible(on)
        self.tree.setVisible(not on)
        if on:
            self.count_label.setText("Reading…")
            if not self.model.rows:  # not "no configuration items in this plan" while reading
                self.heading.setText("No CI selected")

    def _loaded(self, data: dict[str, Any]) -> None:
        """The CIs arrived: show them, keeping the filter and the selected CI."""
        self.loads += 1
        self._show_placeholder(False)
        want, self._want = self._want, None
        keep = want or self.current
        rows = data["rows"]
        self.model.set_rows(rows, data["owners"])
        current_env = self.environment_filter.currentData()
        self.environment_filter.blockSignals(True)
        while self.environment_filter.count() > 1:
            self.environment_filter.removeItem(1)
        for env in sorted({r.environment for r in rows if r.environment}):
            self.environment_filter.addItem(words(env), env)
        self.environment_filter.setCurrentIndex(
            max(0, self.environment_filter.findData(current_env))
        )
        self.environment_filter.blockSignals(False)
        self.apply_filter()
        self.tree.resizeColumnToContents(
            0
        )  # the names, indented, decide how wide the first column is
        if keep is None or not self.select(keep):
            self.current = None
            self.show_impact(None)

    def apply_filter(self) -> None:
        self.proxy.set_filter(self.search.text(), self.environment_filter.currentData() or "")
        self.tree.expandAll()
        total = len(self.model.rows)
        self.count_label.setText(f"{total} CI{'s' if total != 1 else ''}")

    def select(self, name: str) -> bool:
        """Select the CI ``name``; asked before the CIs were read, it is selected when they
        arrive (True then too)."""
        source = self.model.index_of(name)
        index = self.proxy.mapFromSource(source) if source.isValid() else QModelIndex()
        if not source.isValid() and (self.loading or self._stale or self.loads == 0):
            self._want = name
            return True
        if not index.isValid():
            return False
        self.tree.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.tree.scrollTo(index)
        self._selected()
        return True

    def _selected(self) -> None:
        index = self.tree.currentIndex()
        name = index.data(NAME_ROLE) if index.isValid() else None
        self.current = name
        self.show_impact(name)

    def show_impact(self, name: str | None) -> None:
        ci = next((r for r in self.model.rows if r.name == name), None) if name else None
        self.impact = None
        if ci is not None and self.store.has_plan:
            result = self.store.call(graph.ci_impact, ci.name)
            self.impact = None if result is Store.FAILED else result
        self.edit_button.setEnabled(ci is not None)
        if ci is None:
            self.heading.setText(
                "No CI selected" if self.model.rows else "No configuration items in this plan"
            )
            for label in self.facts.values():
                label.setText("")
            self.summary.setText("Choose a CI to see the releases and changes that touch it.")
            self.release_model.set_rows([])
            self.change_model.set_rows([])
            return
        self.heading.setText(ci.name)
        self.facts["class"].setText(words(ci.ci_class))
        self.facts["environment"].setText(ci.environment or "—")
        owner = self.model.owners.get(ci.owner_email or "")
        self.facts["owner"].setText(
            f"{owner} <{ci.owner_email}>" if owner else ci.owner_email or "—"
        )
        self.facts["criticality"].setText(words(ci.criticality))
        self.facts["window"].setText(
            "Required for changes" if ci.requires_maintenance_window else "Not required"
        )
        self.facts["parents"].setText(", ".join(ci.parents) or "none")
        self.facts["children"].setText(", ".join(ci.children) or "none")
        impact = self.impact
        releases = impact.releases if impact else []
        changes = impact.changes if impact else []
        self.release_model.set_rows(releases)
        self.change_model.set_rows(changes)
        for view in (self.release_table, self.change_table):
            view.resizeColumnsToContents()
            header = view.horizontalHeader()
            for c in range(header.count()):
                header.resizeSection(c, min(header.sectionSize(c), 220))
        n_r, n_c = len(releases), len(changes)
        ended = self._terminal_states()
        still_open = sum(1 for r in releases if r["status"] not in ended)
        self.summary.setText(
            f"{n_r} release{'s' if n_r != 1 else ''} ({still_open} not finished) and "
            f"{n_c} change{'s' if n_c != 1 else ''} touch {ci.name}, its parents or its children."
        )

    def _terminal_states(self) -> set[str]:
        """The workflow's end states (Closed, Cancelled… as this plan names them)."""
        from relman_desktop.services import workflow

        result = self.store.call(workflow.list_states)
        return (
            set()
            if result is Store.FAILED
            else {st.name for st in result if st.category == "terminal"}
        )

    def impact_release_keys(self) -> list[str]:
        return [r["key"] for r in self.release_model.rows]

    def impact_change_keys(self) -> list[str]:
        return [c["key"] for c in self.change_model.rows]

    # --- going elsewhere --------------------------------------------------------------------------

    def _can_show_settings(self) -> bool:
        return callable(getattr(self.window_, "show_page", None))

    def edit_in_settings(self) -> bool:
        """Switch the navigator to Settings › CIs with this CI selected."""
        if not self.current or not self._can_show_settings():
            return False
        if not self.window_.show_page("settings"):
            return False
        page = getattr(self.window_, "page_widgets", {}).get("settings")
        if page is not None and hasattr(page, "show_section"):
            page.show_section("cis")
            section = getattr(page, "cis", None)
            if section is not None and hasattr(section, "select"):
                section.reload()
                section.select(self.current)
        return True

    def _open_release(self, index: QModelIndex) -> None:
        opener = getattr(self.window_, "open_release", None)
        if index.isValid() and callable(opener):
            opener(self.release_model.rows[index.row()]["key"])

    def _open_change(self, index: QModelIndex) -> None:
        if not index.isValid() or not self._can_show_settings():
            return
        key = self.change_model.rows[index.row()]["key"]
        page = getattr(self.window_, "page_widgets", {}).get("changes")
        if page is not None and self.window_.show_page("changes") and hasattr(page, "select_key"):
            if not page.select_key(key) and hasattr(page, "clear_filters"):
                page.clear_filters()
                page.select_key(key)


def page_factory(store: Store, window: Any) -> CIsPage:
    from ..shell.worker import shared_worker

    return CIsPage(store, window, worker=shared_worker())


def prepare_screenshot(window: Any, _key: str | None) -> None:
    window.show_page("cis")
    page = window.page_widgets.get("cis")
    if isinstance(page, CIsPage):
        page.load_now()
        # The CI with the most releases touching it: the impact is what this page is for.
        best = None
        for row in page.model.rows:
            if row.children:
                best = row.name
                break
        if best is not None:
            page.select(best)
