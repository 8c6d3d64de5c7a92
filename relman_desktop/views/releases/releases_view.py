"""The releases list: filters, free-text search, a sortable table; Enter or double-click opens
a release. It reads only the store's row cache and reloads when the store says so.

A big plan fills the list lazily: its first ``FIRST_PAGE`` releases by key are read at once (the
window is usable at start whatever the plan's size) and the rest in the background; meanwhile
sorting and filters work on what is read, a key searched for or selected that is not read yet is
asked of the service, and the whole list replaces the first page when it arrives (the current
release, sort and filters kept)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models import enums as E

from ..common.columns import ColumnChooser
from ..shell.settings import Settings
from ..shell.store import Store
from ..shell.worker import DebouncedTask, Task, Worker
from .releases_model import (
    COLUMN_INDEX,
    COLUMNS,
    KEY_ROLE,
    ReleaseFilter,
    ReleasesFilterProxy,
    ReleasesModel,
    words,
)

ANY = ""
# A plan with more releases than this opens on its first page; the rest is read in the background.
LAZY_ABOVE = 2_000
FIRST_PAGE = 300
# Hidden first when the table is wider than its window (the Inspector shows them all).
RELEASES_DROP_ORDER = (
    "priority",
    "planned_start",
    "type",
    "manager",
    "planned_end",
    "application",
    "risk",
)


def row_from_detail(detail: Any) -> Any:
    """The list row of a release, from its detail (after an edit: no second query)."""
    from relman_desktop.services.releases import ReleaseRow

    return ReleaseRow(**{f.name: getattr(detail, f.name) for f in dataclasses.fields(ReleaseRow)})


class ReleasesTable(QTableView):
    """Enter opens the current release (on every platform, not only where the style says so)."""

    open_requested = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)


class ReleasesView(QWidget):
    open_release = Signal(str)  # key
    new_release_requested = Signal()  # the empty plan's "New release" button
    current_release_changed = Signal(str)  # key, or "" when nothing is selected

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        settings: Settings | None = None,
        worker: Worker | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("releases_view")
        self.store = store
        self.model = ReleasesModel(self)
        self.proxy = ReleasesFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        # Whether every release is in the list (a big plan's first page is not; see module doc).
        self.complete = True
        self.total = 0  # releases in the plan, as counted when the list was (re)loaded
        self.rest = DebouncedTask(self._rest_job, delay_ms=0, worker=worker, parent=self)
        self.rest.result.connect(self._rest_loaded)
        self.rest.error.connect(self._rest_failed)

        self.search = QLineEdit(placeholderText="Search key, title, application, manager…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search releases")
        self._search_timer = QTimer(self, singleShot=True, interval=120)
        self._search_timer.timeout.connect(self._apply_text)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self._apply_text)

        self.status_filter = self._combo("Status")
        self.type_filter = self._combo("Type", [(words(t.value), t.value) for t in E.ReleaseType])
        self.risk_filter = self._combo("Risk", [(words(v.value), v.value) for v in E.Level])
        self.manager_filter = self._combo("Manager")
        self.application_filter = self._combo("Application")
        self.date_from = QLineEdit(placeholderText="from YYYY-MM-DD")
        self.date_to = QLineEdit(placeholderText="to YYYY-MM-DD")
        for edit, label in ((self.date_from, "Planned from"), (self.date_to, "Planned until")):
            edit.setAccessibleName(label)
            edit.setToolTip(f"{label} (YYYY-MM-DD): releases whose planned dates overlap the range")
            edit.setMinimumWidth(self.fontMetrics().horizontalAdvance("YYYY-MM-DD") + 16)
            edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("from YYYY-MM-DD") + 40)
            edit.textChanged.connect(self._apply_filters)
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.clicked.connect(self.clear_filters)
        self.count_label = QLabel()
        self.count_label.setProperty("role", "subtle")

        self.search.setMinimumWidth(self.fontMetrics().horizontalAdvance("Search key, title") + 40)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        top.addWidget(self.clear_button)
        bar = QHBoxLayout()
        for w in (
            self.status_filter,
            self.type_filter,
            self.risk_filter,
            self.manager_filter,
            self.application_filter,
        ):
            bar.addWidget(w, 1)
        bar.addWidget(QLabel("Planned:"))
        bar.addWidget(self.date_from, 1)
        bar.addWidget(self.date_to, 1)

        self.table = ReleasesTable()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMN_INDEX["key"], Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        self._size_columns()
        self.columns = ColumnChooser(
            self.table,
            "releases",
            [c.name for c in COLUMNS],
            [c.title for c in COLUMNS],
            always=("key",),
            drop_order=RELEASES_DROP_ORDER,
            stretch="title",
            settings=settings,
        )
        top.addWidget(self.columns.indicator)  # "2 columns hidden: …" when any are
        self.table.setAccessibleName("Releases")
        self.table.doubleClicked.connect(self._open_index)
        self.table.open_requested.connect(self._open_index)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        # On a narrow window the filter row scrolls sideways instead of widening the window.
        filters = QWidget()
        filters.setLayout(bar)
        bar.setContentsMargins(0, 0, 0, 0)
        filter_area = QScrollArea()
        filter_area.setObjectName("filter_area")
        filter_area.setWidget(filters)
        filter_area.setWidgetResizable(True)
        filter_area.setFrameShape(QFrame.Shape.NoFrame)
        filter_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        filter_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        filter_area.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        filter_area.setMinimumHeight(filters.sizeHint().height())
        filter_area.setMaximumHeight(
            filters.sizeHint().height() + filter_area.horizontalScrollBar().sizeHint().height()
        )
        # An empty plan says what to do next instead of showing an empty table.
        self.empty_hint = QFrame()
        self.empty_hint.setObjectName("releases_empty_hint")
        hint_text = QLabel(
            "This plan has no releases yet. Create the first one here or with Release > New "
            "Release (Ctrl+Shift+N); it gets the next key (REL-<year>-001) automatically. "
            "File > Import brings releases from Microsoft Project, GanttProject or git tags."
        )
        hint_text.setWordWrap(True)
        self.empty_new_button = QPushButton("New release")
        self.empty_new_button.setObjectName("releases_empty_new")
        self.empty_new_button.clicked.connect(self.new_release_requested)
        hint_layout = QVBoxLayout(self.empty_hint)
        hint_layout.setContentsMargins(24, 24, 24, 24)
        hint_layout.addWidget(hint_text)
        hint_layout.addWidget(self.empty_new_button, 0, Qt.AlignmentFlag.AlignLeft)
        hint_layout.addStretch(1)
        self.empty_hint.hide()
        layout.addLayout(top)
        layout.addWidget(filter_area)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_hint, 1)

        store.releases_changed.connect(self.reload)
        store.release_changed.connect(self._release_changed)
        store.plan_closed.connect(self._closed)
        store.selection.changed.connect(self._selection_changed)
        self.reload()

    # --- building ---------------------------------------------------------------------------

    def _combo(self, label: str, items: list[tuple[str, str]] | None = None) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(f"{label} filter")
        combo.setToolTip(f"Show only releases with this {label.lower()}")
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(5)
        combo.addItem(f"Any {label.lower()}", ANY)
        for text, value in items or []:
            combo.addItem(text, value)
        combo.currentIndexChanged.connect(self._apply_filters)
        return combo

    def _size_columns(self) -> None:
        fm = self.fontMetrics()
        widths = {
            "key": "REL-2026-0000",
            "status": "Awaiting Approval",
            "type": "Emergency",
            "risk": "Critical",
            "priority": "Critical",
            "application": "Payments Gateway",
            "manager": "Alexandra Smith",
            "planned_start": "2026-12-31",
            "planned_end": "2026-12-31",
            "deployment_window": "2026-12-31 22:00–23:30",
        }
        for name, sample in widths.items():
            self.table.setColumnWidth(COLUMN_INDEX[name], fm.horizontalAdvance(sample) + 24)
        icon = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.table.setColumnWidth(  # room for the conflict badge before the key
            COLUMN_INDEX["key"], fm.horizontalAdvance(widths["key"]) + 24 + icon + 6
        )
        self.table.setColumnWidth(
            COLUMN_INDEX["title"], fm.horizontalAdvance("Quarterly security patch") + 24
        )

    @staticmethod
    def _refill(combo: QComboBox, values: list[str]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        while combo.count() > 1:
            combo.removeItem(1)
        for v in values:
            combo.addItem(v, v)
        i = combo.findData(current)
        combo.setCurrentIndex(max(0, i))
        combo.blockSignals(False)

    # --- data -------------------------------------------------------------------------------

    def reload(self) -> None:
        self.rest.stop()  # a read in flight would bring rows older than this reload
        self.total = self.store.release_count()
        if self.total > LAZY_ABOVE:
            self.complete = False
            self._fill(self.store.releases(first=FIRST_PAGE))
            self.rest.run_now()
        else:
            self.complete = True
            self._fill(self.store.releases())

    def _fill(self, rows: list[Any]) -> None:
        key = self.store.selection.key  # the one current release (none after another plan opens)
        self.model.set_rows(rows)
        self._refill(self.status_filter, sorted({r.status for r in rows}))
        self._refill(self.manager_filter, sorted({r.manager for r in rows if r.manager}))
        self._refill(
            self.application_filter, sorted({r.application for r in rows if r.application})
        )
        self._apply_filters()
        if key:
            self.select_key(key)

    def _rest_job(self) -> Any:
        if not self.store.has_plan:
            return None
        ctx = self.store.ctx

        def read_all(task: Task) -> list[Any]:
            from relman_desktop.services.releases import list_releases

            rows = list_releases(ctx)
            task.check()
            return rows

        return read_all

    def load_here(self) -> None:
        """Read the rest of the list on this thread (``relman screenshot``: no event loop)."""
        if not self.complete:
            from ..common.run_here import run_here

            run_here(self._rest_job, self._rest_loaded, stop=self.rest, name="releases list")

    def _rest_loaded(self, rows: list[Any]) -> None:
        scroll = self.table.verticalScrollBar().value()
        self.complete = True
        self.total = len(rows)
        self._fill(rows)
        if not self.store.selection.key:  # where the user had scrolled the first page to
            self.table.verticalScrollBar().setValue(scroll)

    def _rest_failed(self, message: str) -> None:
        self.store.error.emit(f"The releases list could not be read: {message}")

    def _closed(self) -> None:
        self.rest.stop()
        self.complete = True
        self.total = 0
        self.model.set_rows([])

    def _read_keys(self, keys: list[str]) -> None:
        """Keys not read yet by a filling list: ask the service, add those that exist."""
        if self.complete or not self.store.has_plan:
            return
        missing = [k for k in dict.fromkeys(keys) if k and self.model.row_of_key(k) < 0]
        if missing:
            for row in self.store.releases(keys=missing):
                self.model.add_row(row)

    def _release_changed(self, key: str) -> None:
        detail = self.store.release(key)
        if detail is None:
            self.reload()
            return
        if self.model.row_of_id(detail.id) < 0:
            self.reload()
            return
        self.model.update_row(row_from_detail(detail))
        self._update_count()
        if not self.complete:  # the read in flight may predate this edit: read again
            self.reload()

    def current_key(self) -> str:
        index = self.table.currentIndex()
        return str(index.data(KEY_ROLE)) if index.isValid() else ""

    def current_row(self) -> Any | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.rows[self.proxy.mapToSource(index).row()]

    def select_key(self, key: str) -> bool:
        self._read_keys([key])
        row = self.model.row_of_key(key)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    # --- filters ----------------------------------------------------------------------------

    def _apply_text(self) -> None:
        self._search_timer.stop()
        text = self.search.text().strip()
        if text and not self.complete:  # a key typed in full is found before its row is read
            self._read_keys([text, text.upper()])
        self._apply_filters()

    def _apply_filters(self) -> None:
        def chosen(combo: QComboBox) -> set[str]:
            value = combo.currentData()
            return {value} if value else set()

        date_from = self._date(self.date_from)
        date_to = self._date(self.date_to)
        self.proxy.set_filter(
            ReleaseFilter(
                statuses=chosen(self.status_filter),
                types=chosen(self.type_filter),
                risks=chosen(self.risk_filter),
                managers=chosen(self.manager_filter),
                applications=chosen(self.application_filter),
                date_from=date_from,
                date_to=date_to,
                text=self.search.text(),
            )
        )
        self._update_count()

    @staticmethod
    def _date(edit: QLineEdit) -> dt.date | None:
        text = edit.text().strip()
        if not text:
            edit.setProperty("invalid", False)
            edit.setToolTip(edit.accessibleName() + " (YYYY-MM-DD)")
            value = None
        else:
            try:
                value = dt.date.fromisoformat(text)
                edit.setProperty("invalid", False)
            except ValueError:
                edit.setProperty("invalid", True)
                edit.setToolTip(f"{text!r} is not a date (YYYY-MM-DD); the filter ignores it")
                value = None
        edit.style().unpolish(edit)
        edit.style().polish(edit)
        return value

    def clear_filters(self) -> None:
        for combo in (
            self.status_filter,
            self.type_filter,
            self.risk_filter,
            self.manager_filter,
            self.application_filter,
        ):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        for edit in (self.search, self.date_from, self.date_to):
            edit.blockSignals(True)
            edit.clear()
            edit.blockSignals(False)
        self._apply_filters()

    def set_search_text(self, text: str) -> None:
        """Search now (no typing delay): Edit > Find and tests."""
        self.search.setText(text)
        self._apply_text()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        empty = total == 0 and self.store.has_plan
        self.empty_hint.setVisible(empty)
        self.table.setVisible(not empty)
        if not self.complete:
            self.count_label.setText(f"{shown:,} shown; reading {self.total:,} releases…")
        elif shown == total:
            self.count_label.setText(f"{total:,} releases")
        else:
            self.count_label.setText(f"{shown:,} of {total:,} releases shown")

    # --- opening ----------------------------------------------------------------------------

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.open_release.emit(str(index.data(KEY_ROLE)))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        key = str(current.data(KEY_ROLE)) if current.isValid() else ""
        if key:
            self.store.selection.set(key)
        self.current_release_changed.emit(key)

    def _selection_changed(self, key: str) -> None:
        """The current release chosen elsewhere (calendar, graph, editor): the list follows."""
        if key and key != self.current_key():
            self.select_key(key)

    def row_of(self, key: str) -> Any | None:
        """The cached row of release ``key`` (no query), or None."""
        i = self.model.row_of_key(key) if key else -1
        return self.model.rows[i] if i >= 0 else None
