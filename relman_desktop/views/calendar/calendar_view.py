"""The Calendar page: a release tree on the left kept in step with a Gantt chart on the right.

Rows are releases (filtered by status, application, manager), expandable to their tasks. The
chart (``GanttChart``, a QAbstractScrollArea) paints only the visible rows and days through
``gantt_render.GanttRenderer``: planned bars, a thin actual bar, a diamond for the deployment
window, maintenance windows shaded, freezes hatched, business events and holidays marked, a
today line, dependency arrows, the critical path (thick outline + "critical"), conflict badges
naming the rules (the tooltip gives each finding's evidence) and, on request, a saved baseline
as dashed ghost bars.

The tree and chart share one vertical scroll position, one row height and one header height,
and expand/collapse and selection are mirrored, so row *n* of the tree is row *n* of the chart.

Editing: drag a bar to move it, drag an end to resize, drag the diamond to move the deployment
window (it snaps to maintenance-window occurrences); while dragging the chart shows the new
dates, the releases that would have to move and the conflicts that would appear. Keyboard:
←/→ move the selected bar a day, Shift+←/→ move its end, Alt+←/→ move the deployment window to
the previous/next maintenance window, ↑/↓ select, +/− zoom, F fit the release, T today.
Every change is one undoable step on the store's stack (``commands.edit`` through the services).

What lives where: this module holds the page's widget (``CalendarView``: the tree, the chart
beside it, rows, selection, scrolling and zoom) and its registration with the window
(``page_factory``, ``prepare_screenshot``). Reading the plan's range, the critical path, the
baselines and the conflict badges is ``calendar_loading.CalendarLoading``; dragging, nudging,
free slots and baselines saved are ``calendar_editing.CalendarEditing`` (both mixins of the
view). The controls above the chart are ``calendar_controls``, the chart widget
``gantt_chart``, its painting ``gantt_render`` (with ``gantt_geometry`` and ``gantt_colors``),
the legend ``legend``, the drag arithmetic ``calendar_drag``, the PNG/PDF export
``calendar_export``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QRectF, Qt, Signal
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QMenu,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ..shell.worker import DebouncedTask, Worker
from . import gantt_data as D
from .calendar_controls import CalendarControls
from .calendar_editing import CalendarEditing
from .calendar_loading import CalendarLoading
from .gantt_chart import GanttChart
from .gantt_colors import colors_for, current_theme
from .gantt_geometry import (
    MAX_PPD,
    MIN_PPD,
    ZOOMS,
    Geometry,
    Row,
    header_height_for,
    row_height_for,
)
from .gantt_model import Filters, GanttTreeModel
from .gantt_render import GanttRenderer
from .legend import Legend

ALL = "(all)"


class CalendarView(CalendarLoading, CalendarEditing, QWidget):
    """The Calendar page. ``source`` is the Store (edits go on its undo stack).

    Its reads are ``CalendarLoading``'s and its edits ``CalendarEditing``'s (mixins); the
    widgets, rows, selection, scrolling and zoom are here."""

    release_selected = Signal(str)
    open_release_requested = Signal(str, str)  # key, tab ("" for the editor's first tab)
    conflicts_counted = Signal(int, int)  # errors, warnings (for the status bar)

    def __init__(
        self, store: Any, parent: QWidget | None = None, *, worker: Worker | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("calendar_view")
        self.store = store
        self.data = D.GanttData([], [], [], {}, dt.date.today(), dt.date.today(), dt.date.today())
        # Reads run on ``worker`` (the main window passes the shared one: the page opens at once
        # on a placeholder); without one they run inline, as a standalone view's callers expect.
        self.worker = worker or Worker(self, synchronous=True)
        self.range: tuple[dt.date, dt.date] | None = None  # the days read, end exclusive
        self.conflict_source: Any = None  # the window's ConflictStatus (its tally), if any
        self.host: Any = None  # the main window holding this page, if any
        self.extras: D.Extras | None = None  # critical path and baselines, read after the bars
        self.loads = 0  # range reads delivered (tests follow the background reads with it)
        self._pending_baseline: str | None = None
        self._want_key: str | None = None  # asked to select before its range was read
        self._applying = False
        self._tally_seen: Any = None  # the conflict tally the badges were last read from
        self._loader = DebouncedTask(self._load_job, delay_ms=0, worker=self.worker, parent=self)
        self._loader.result.connect(self._loaded)
        self._loader.error.connect(self._load_failed)
        self._extras_task = DebouncedTask(
            self._extras_job, delay_ms=0, worker=self.worker, parent=self
        )
        self._extras_task.result.connect(self._extras_loaded)
        self.expanded: set[str] = set()
        self.selected_row = -1
        self.zoom_name = "week"
        self._impact_cache: dict[tuple[str, int], Any] = {}
        self._syncing = False

        self.model = GanttTreeModel(self._load_tasks, self)
        self.tree = QTreeView()
        self.tree.setObjectName("calendar_tree")
        self.tree.setAccessibleName("Releases and tasks")
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.tree.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(True)
        self.tree.header().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom
        )

        font = self.font()
        self.header_h = header_height_for(font)
        self.model.row_height = row_height_for(font)
        self.tree.header().setFixedHeight(self.header_h)
        self.renderer = GanttRenderer(
            self.data,
            [],
            Geometry(self.data.first_day, ZOOMS["week"], self.model.row_height),
            colors_for(current_theme()),
            font,
        )
        self.chart = GanttChart(self)

        # --- controls (calendar_controls.CalendarControls: two rows above the chart) ---
        self.controls = CalendarControls(self)
        c = self.controls
        self.zoom_combo, self.zoom_in, self.zoom_out = c.zoom_combo, c.zoom_in, c.zoom_out
        self.fit_button, self.today_button, self.slots_button = (
            c.fit_button,
            c.today_button,
            c.slots_button,
        )
        self.baseline_combo, self.save_baseline_button = c.baseline_combo, c.save_baseline_button
        self.status_filter, self.app_filter, self.manager_filter = (
            c.status_filter,
            c.app_filter,
            c.manager_filter,
        )
        self.message = c.message
        self.slots_menu: QMenu | None = None

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.chart)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.legend = Legend(self)
        self.splitter.setSizes([self._tree_width(), 1600])

        self.placeholder = QLabel("Reading the calendar…")
        self.placeholder.setObjectName("calendar_placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setProperty("role", "subtle")
        self.placeholder.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.controls)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.legend)

        self._connect()
        if self.worker.synchronous:
            self.reload()
        else:  # read when first shown (a page of the window is built long before that)
            self._stale = True

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        self._find_conflict_source()
        if getattr(self, "_stale", False):
            self.reload(force=True)

    def _tree_width(self) -> int:
        bold = self.font()
        bold.setBold(True)
        key_w = (
            int(QFontMetricsF(bold).horizontalAdvance("REL-2026-000"))
            + self.tree.indentation()
            + 34
        )
        self.tree.setColumnWidth(0, key_w)
        return key_w + self.fontMetrics().horizontalAdvance("M" * 16) + 16

    def _connect(self) -> None:
        tree_bar, chart_bar = self.tree.verticalScrollBar(), self.chart.verticalScrollBar()

        def follow_range(lo: int, hi: int) -> None:
            chart_bar.setRange(lo, hi)
            chart_bar.setPageStep(tree_bar.pageStep())

        tree_bar.rangeChanged.connect(follow_range)
        tree_bar.valueChanged.connect(self._tree_scrolled)
        self.chart.horizontalScrollBar().valueChanged.connect(lambda _v: self._extend_if_near())
        chart_bar.valueChanged.connect(tree_bar.setValue)
        self.tree.expanded.connect(self._expanded)
        self.tree.collapsed.connect(self._collapsed)
        self.model.rowsInserted.connect(lambda *_a: self.rebuild_rows())
        self.model.rowsRemoved.connect(lambda *_a: self.rebuild_rows())
        self.model.modelReset.connect(self.rebuild_rows)
        self.tree.selectionModel().currentChanged.connect(self._tree_current)
        self.zoom_combo.currentIndexChanged.connect(
            lambda _i: self.set_zoom(self.zoom_combo.currentData())
        )
        self.zoom_in.clicked.connect(lambda: self.zoom_by(1.25))
        self.zoom_out.clicked.connect(lambda: self.zoom_by(0.8))
        self.fit_button.clicked.connect(self.fit_release)
        self.today_button.clicked.connect(lambda: self.scroll_to_date(self.data.today))
        self.slots_button.clicked.connect(lambda: self.show_free_slots())
        self.baseline_combo.currentIndexChanged.connect(
            lambda _i: self.set_baseline(self.baseline_combo.currentData())
        )
        self.save_baseline_button.clicked.connect(lambda: self.save_baseline())
        for combo in (self.status_filter, self.app_filter, self.manager_filter):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
        s = self.store
        s.plan_opened.connect(self._plan_opened)
        for sig in (
            s.releases_changed,
            s.calendar_changed,
            s.cis_changed,
            s.changes_changed,
        ):
            sig.connect(self._store_changed)
        s.release_changed.connect(self._store_changed)
        s.tasks_changed.connect(self._tasks_changed)
        s.plan_closed.connect(self._plan_closed)

    # --- rows and the tree (the reads are in calendar_loading.CalendarLoading) -------------------

    def _restore_expansion(self) -> None:
        for key in list(self.expanded):
            index = self.model.index_of_key(key)
            if index.isValid():
                self.tree.expand(index)

    def rebuild_rows(self) -> None:
        rows: list[Row] = []
        for i, rel in enumerate(self.model.rows):
            rows.append(Row(rel, None, i))
            if rel.key in self.expanded:
                for j, task in enumerate(self.model.tasks.get(rel.key) or []):
                    rows.append(Row(rel, task, i, j))
        self.renderer.set_rows(rows)
        current = self.tree.currentIndex()
        self.selected_row = self.row_of_index(current) if current.isValid() else -1
        self.renderer.selected = self.selected_row
        self.chart.update_scroll_range()
        self.chart.viewport().update()

    def _expanded(self, index: QModelIndex) -> None:
        item = self.model.item(index)
        if isinstance(item, D.GanttRelease):
            self.expanded.add(item.key)
            if self.model.canFetchMore(index):  # a hidden tree lays out (and fetches) later
                self.model.fetchMore(index)
            self.rebuild_rows()

    def _collapsed(self, index: QModelIndex) -> None:
        item = self.model.item(index)
        if isinstance(item, D.GanttRelease):
            self.expanded.discard(item.key)
            self.rebuild_rows()

    def _fill_combo(self, combo: QComboBox, values: list[str], all_label: str) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(all_label, None)
        for v in values:
            combo.addItem(v, v)
        i = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(0, i))
        combo.blockSignals(False)

    def _fill_filters(self) -> None:
        self._fill_combo(self.status_filter, self.data.statuses(), "All statuses")
        self._fill_combo(self.app_filter, self.data.applications(), "All applications")
        self._fill_combo(self.manager_filter, self.data.managers(), "All managers")
        self.model.filters = self._filters()

    def _fill_baselines(self) -> None:
        self._fill_combo(self.baseline_combo, list(self.data.baselines), "None")

    def _filters(self) -> Filters:
        return Filters(
            self.status_filter.currentData(),
            self.app_filter.currentData(),
            self.manager_filter.currentData(),
        )

    def apply_filters(self) -> None:
        selected = self.selected_key()
        self.model.set_filters(self._filters())
        self._restore_expansion()
        self.rebuild_rows()
        if selected:
            self.select_key(selected, scroll=False)
        shown, total = len(self.model.rows), len(self.data.releases)
        self.show_message(f"Showing {shown} of {total} releases" if shown != total else "")

    def set_filter(
        self,
        *,
        status: str | None = None,
        application: str | None = None,
        manager: str | None = None,
    ) -> None:
        for combo, value in (
            (self.status_filter, status),
            (self.app_filter, application),
            (self.manager_filter, manager),
        ):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(value)) if value is not None else 0)
            combo.blockSignals(False)
        self.apply_filters()

    def set_baseline(self, name: str | None) -> None:
        self.renderer.baseline = self.data.baselines.get(name) if name else None
        if name and self.baseline_combo.currentData() != name:
            self.baseline_combo.blockSignals(True)
            self.baseline_combo.setCurrentIndex(max(0, self.baseline_combo.findData(name)))
            self.baseline_combo.blockSignals(False)
        self.chart.viewport().update()

    # --- rows, selection, scrolling -----------------------------------------------------------

    def row_of_index(self, index: QModelIndex) -> int:
        item = self.model.item(index)
        return self.renderer.row_of(item.key) if item is not None else -1

    def index_of_row(self, i: int) -> QModelIndex:
        if not 0 <= i < len(self.renderer.rows):
            return QModelIndex()
        row = self.renderer.rows[i]
        parent = self.model.index(row.release_row, 0)
        return parent if row.task is None else self.model.index(row.task_row, 0, parent)

    def selected_key(self) -> str | None:
        if 0 <= self.selected_row < len(self.renderer.rows):
            return self.renderer.rows[self.selected_row].key
        return None

    def select_row(self, i: int) -> None:
        index = self.index_of_row(i)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)

    def follow_selection(self, key: str) -> None:
        """The release picked elsewhere (``Store.selection``) is the bar selected here."""
        if key and key != self.selected_key():
            self.select_key(key, scroll=False)

    def select_key(self, key: str, *, scroll: bool = True) -> bool:
        """Select ``key``'s row (a release, or ``KEY/T1`` a task). A release outside the days
        read: with ``scroll`` (a "show it on the calendar" request) its days are read now;
        without, it is selected if a later read brings it."""
        index = self.model.index_of_key(key)
        if not index.isValid() and self._has_plan():
            if not scroll:
                self._want_key = key
                self._widen_for(key.split("/", 1)[0])
                return False
            if self._reveal(key.split("/", 1)[0]):
                index = self.model.index_of_key(key)
        if not index.isValid():
            return False
        self._want_key = None
        self.tree.setCurrentIndex(index)
        if scroll:
            self.tree.scrollTo(index)
            i = self.row_of_index(index)
            bar = self.renderer.geom.bar_rect(i, self.renderer.rows[i]) if i >= 0 else None
            if bar is not None and not self._x_visible(bar):
                self.scroll_to_x(bar.left() - 60)
        return True

    def _widen_for(self, key: str) -> None:
        """Selected elsewhere but outside the days read: widen the range to hold its bar and
        read it in the background (selected when it arrives)."""
        if self.range is None or key in self.data.by_key:
            return
        from relman_desktop.services.calendar_data import release_span

        try:
            span = release_span(self.ctx, key)
        except Exception:  # a selection the plan no longer has: nothing to read
            return
        if span is None:
            return
        start, end = self.range
        wanted = (
            min(start, span[0] - dt.timedelta(days=span[0].weekday())),
            max(end, span[1] + dt.timedelta(days=1)),
        )
        if wanted != self.range:
            self.range = wanted
            self.reload()

    def _reveal(self, key: str) -> bool:
        """Read, on this thread, a range that holds release ``key``'s bar (the critical path
        and baselines follow in the background). False when it has no dates to show."""
        from relman_desktop.services.calendar_data import release_span

        span = release_span(self.ctx, key)
        if span is None and self.loads:
            return False
        start, end = self.range or D.range_around(self.ctx.today(), before=6, after=12)
        if span is not None:
            start = min(start, span[0] - dt.timedelta(weeks=2))
            start -= dt.timedelta(days=start.weekday())
            end = max(end, span[1] + dt.timedelta(weeks=4))
        self.range = (start, end)
        self.load_now(extras_now=False)
        return True

    def _x_visible(self, rect: QRectF) -> bool:
        x = self.chart.x_offset()
        return rect.left() >= x and rect.right() <= x + self.chart.viewport().width()

    def _tree_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.selected_row = self.row_of_index(current)
        self.renderer.selected = self.selected_row
        self.chart.viewport().update()
        key = self.selected_key()
        if key and "/" not in key:
            self.release_selected.emit(key)

    def _tree_scrolled(self, value: int) -> None:
        bar = self.chart.verticalScrollBar()
        if bar.value() != value:
            bar.blockSignals(True)
            bar.setValue(value)
            bar.blockSignals(False)
        self.chart.viewport().update()

    def open_row(self, i: int) -> None:
        """Open the release of row ``i`` in the editor (a task's row: at its Tasks tab)."""
        if 0 <= i < len(self.renderer.rows):
            row = self.renderer.rows[i]
            self.open_release_requested.emit(row.release.key, "" if row.task is None else "Tasks")

    def toggle_row(self, i: int) -> None:
        index = self.index_of_row(i)
        if index.isValid() and not index.parent().isValid():
            self.tree.setExpanded(index, not self.tree.isExpanded(index))

    def expand_key(self, key: str, expanded: bool = True) -> None:
        index = self.model.index_of_key(key)
        if index.isValid():
            self.tree.setExpanded(index, expanded)

    def first_active_row(self) -> int:
        """The first row whose release is under way today (or, failing that, the first that
        starts after today): where the calendar opens, instead of long-closed releases."""
        today, upcoming = self.data.today, -1
        for i, row in enumerate(self.renderer.rows):
            span = row.release.span() if row.task is None else None
            if span is None:
                continue
            if span[0] <= today <= span[1]:
                return i
            if upcoming < 0 and span[0] > today:
                upcoming = i
        return upcoming

    def scroll_to_active_today(self) -> None:
        i = self.first_active_row()
        index = self.index_of_row(i)
        if index.isValid():  # scrollTo lays the rows out first (a fresh model has no range yet)
            self.tree.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)

    def scroll_to_x(self, x: float) -> None:
        self.chart.horizontalScrollBar().setValue(int(x))

    def scroll_to_date(self, day: dt.date, *, left: bool = False) -> None:
        x = self.renderer.geom.x_of_date(day)
        width = self.chart.viewport().width()
        self.scroll_to_x(x if left else x - width / 3)

    # --- zoom -------------------------------------------------------------------------------

    def set_zoom(self, name: str | None) -> None:
        if name not in ZOOMS:
            return
        self.zoom_name = name
        self.set_ppd(ZOOMS[name])

    def set_ppd(self, ppd: float, anchor_x: float | None = None) -> None:
        """Pixels per day, keeping the day under ``anchor_x`` (viewport x) where it is."""
        g = self.renderer.geom
        ppd = max(MIN_PPD, min(MAX_PPD, ppd))
        anchor = self.chart.viewport().width() / 2 if anchor_x is None else anchor_x
        day_at = (self.chart.x_offset() + anchor) / g.ppd
        self.renderer.geom = Geometry(g.origin, ppd, g.row_h)
        self.chart.update_scroll_range()
        self.scroll_to_x(day_at * ppd - anchor)
        nearest = min(ZOOMS, key=lambda n: abs(ZOOMS[n] - ppd) / ZOOMS[n])
        self.zoom_combo.blockSignals(True)
        self.zoom_combo.setCurrentIndex(list(ZOOMS).index(nearest))
        self.zoom_combo.blockSignals(False)
        self.chart.viewport().update()

    def zoom_by(self, factor: float, anchor_x: float | None = None) -> None:
        self.set_ppd(self.renderer.geom.ppd * factor, anchor_x)

    def fit_release(self, key: str | None = None) -> bool:
        key = key or self.selected_key()
        if key is None:
            self.show_message("Select a release to fit it in view.")
            return False
        rel = self.data.by_key.get(key.split("/", 1)[0])
        span = rel.span() if rel is not None else None
        if span is None:
            self.show_message(f"{key} has no dates to fit.")
            return False
        days = (span[1] - span[0]).days + 1
        width = max(100, self.chart.viewport().width() - 180)
        self.set_ppd(width / days)
        self.scroll_to_x(self.renderer.geom.x_of_date(span[0]) - 40)
        return True

    # --- geometry for tests and exports ----------------------------------------------------------

    def bar_rect(self, key: str, part: str = "planned") -> QRectF | None:
        """Where ``key``'s bar is drawn, in chart viewport coordinates (None if not shown)."""
        i = self.renderer.row_of(key)
        if i < 0:
            return None
        row, g = self.renderer.rows[i], self.renderer.geom
        if part == "deploy":
            rect = g.deploy_rect(i, row.release)
        elif part == "actual":
            rect = g.actual_rect(i, row.release, self.data.today)
        else:
            rect = g.bar_rect(i, row)
        return self.chart.to_view(rect) if rect is not None else None

    # (editing and the scheduling assistant: calendar_editing.CalendarEditing)

    # --- messages ---------------------------------------------------------------------------

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setProperty("role", "error" if error else "")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self.renderer.colors = colors_for(current_theme())
            self.legend.update()
            self.chart.viewport().update()
        super().changeEvent(event)


# --- registration -----------------------------------------------------------------------------------


def page_factory(store: Any, window: Any) -> QWidget:
    from ..shell.worker import shared_worker

    view = CalendarView(store, worker=shared_worker())
    window.calendar_view = view
    view.open_release_requested.connect(lambda key, tab: window.open_release(key, tab or None))
    # the badges (and the status bar's count) come from the window's conflict tally, not a
    # check of the plan here
    view.host = window
    # The one selection: a bar picked here is the current release everywhere, and the release
    # picked elsewhere is the bar selected here.
    view.release_selected.connect(store.selection.set)
    store.selection.changed.connect(view.follow_selection)
    return view


def prepare_screenshot(window: Any, key: str | None) -> None:
    window.show_page("calendar")
    view: CalendarView | None = getattr(window, "calendar_view", None)
    if view is None:
        return
    view._find_conflict_source()
    source = view.conflict_source
    if source is not None and getattr(source, "tally", None) is None:
        source.count_here()
    view.load_now()
    rows = view.model.rows
    listed = getattr(getattr(window, "releases_view", None), "model", None)
    first = listed.rows[0].key if listed is not None and getattr(listed, "rows", None) else None
    if key is None or key == first or (rows and key == rows[0].key):
        # The default (first) release is often long closed: show the most telling one instead.
        today = view.data.today
        near = [
            r
            for r in rows
            if (span := r.span()) is not None
            and span[1] >= today - dt.timedelta(days=7)
            and span[0] <= today + dt.timedelta(days=21)
        ]
        pick = next((r for r in near if r.conflicts), None) or (near[0] if near else None)
        key = pick.key if pick is not None else key
    view.set_zoom("week")
    if key:
        view.select_key(key)
        view.expand_key(key)
        i = view.renderer.row_of(key)
        view.tree.verticalScrollBar().setValue(max(0, (i - 6) * view.model.row_height))
    view.set_baseline(next(iter(view.data.baselines), None))
    view.scroll_to_date(view.data.today - dt.timedelta(days=28), left=True)


__all__ = ["CalendarView", "GanttChart", "Legend", "page_factory", "prepare_screenshot"]
