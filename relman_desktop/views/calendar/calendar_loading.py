"""The Calendar page's reads: the plan's rows for the days shown, read in the background and
widened as the user scrolls or zooms near an edge; the critical path and baselines after them;
the conflict badges from the main window's tally, kept current edit by edit.

``CalendarLoading`` is a mixin of ``calendar_view.CalendarView`` (which builds the widgets and
the background tasks these methods drive); split out of ``calendar_view`` so that the page's
reading is in one place and its widget code in another. What it relies on from the page is
declared under ``TYPE_CHECKING`` below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QAbstractItemView

from ..shell.worker import Task
from . import gantt_data as D
from .gantt_geometry import Geometry

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QComboBox, QLabel, QSplitter, QTreeView, QWidget

    from ..shell.worker import DebouncedTask, Worker
    from .gantt_chart import GanttChart
    from .gantt_model import GanttTreeModel
    from .gantt_render import GanttRenderer

    _Base = QWidget
else:
    _Base = object


class CalendarLoading(_Base):
    """Reading the calendar's range (a mixin of ``CalendarView``)."""

    if TYPE_CHECKING:  # built by CalendarView.__init__
        store: Any
        worker: Worker
        data: D.GanttData
        range: tuple[dt.date, dt.date] | None
        conflict_source: Any
        host: Any
        extras: D.Extras | None
        loads: int
        expanded: set[str]
        model: GanttTreeModel
        tree: QTreeView
        renderer: GanttRenderer
        chart: GanttChart
        placeholder: QLabel
        splitter: QSplitter
        baseline_combo: QComboBox
        conflicts_counted: SignalInstance
        _pending_baseline: str | None
        _want_key: str | None
        _applying: bool
        _stale: bool
        _tally_seen: Any
        _loader: DebouncedTask
        _extras_task: DebouncedTask
        _impact_cache: dict[tuple[str, int], Any]

        def rebuild_rows(self) -> None: ...
        def _restore_expansion(self) -> None: ...
        def _fill_filters(self) -> None: ...
        def _fill_baselines(self) -> None: ...
        def set_baseline(self, name: str | None) -> None: ...
        def selected_key(self) -> str | None: ...
        def select_key(self, key: str, *, scroll: bool = True) -> bool: ...
        def scroll_to_date(self, day: dt.date, *, left: bool = False) -> None: ...
        def scroll_to_active_today(self) -> None: ...
        def show_message(self, text: str, *, error: bool = False) -> None: ...

    # --- loading ----------------------------------------------------------------------------

    @property
    def ctx(self) -> Any:
        return self.store.ctx

    def _has_plan(self) -> bool:
        return self.store.has_plan

    def _load_tasks(self, key: str) -> list[D.GanttTask]:
        if not self._has_plan():
            return []
        try:
            return D.load_tasks(self.ctx, key)
        except Exception as exc:  # a refused read shows on the message line, never a crash
            self.show_message(f"Could not load the tasks of {key}: {exc}", error=True)
            return []

    def reload(self, *, force: bool = False) -> None:
        """Read the shown range again (after any edit): rows, conflicts, windows; then, in the
        background, the critical path and baselines.

        A calendar page the user is not looking at only notes that it is out of date and reads
        when it is next shown, so opening a big plan does not wait for it. With a background
        worker the read runs there (a burst of announcements for one edit is one read) and the
        page shows its placeholder until the first range arrives."""
        if not self._has_plan():
            return
        if not force and self.parentWidget() is not None and not self.isVisible():
            self._stale = True
            return
        self._stale = False
        if self.range is None:
            self.range = D.range_around(self.ctx.today(), before=6, after=12)
        if not self.data.releases and self.loads == 0 and not self.worker.synchronous:
            self._show_placeholder(True)
        if self.worker.synchronous:
            self._loader.run_now()
        else:
            self._loader.trigger()

    def load_now(self, *, extras_now: bool = True) -> None:
        """Read the shown range (and, with ``extras_now``, the critical path and baselines) on
        this thread: the screenshot command has no event loop to deliver a background read."""
        if not self._has_plan():
            return
        self._loader.stop()
        self._extras_task.stop()
        if self.range is None:
            self.range = D.range_around(self.ctx.today(), before=6, after=12)
        start, end = self.range
        tally = getattr(self.conflict_source, "tally", None)
        data = D.load_range(self.ctx, start, end, with_conflicts=tally is None)
        self._loaded(data, extras=not extras_now)
        if extras_now:
            self._extras_loaded(D.load_extras(self.ctx))

    def _load_job(self) -> Callable[[Task], Any] | None:
        if not self._has_plan() or self.range is None:
            return None
        ctx, (start, end) = self.ctx, self.range
        with_conflicts = self.conflict_source is None

        def read(_task: Task) -> D.GanttData:
            return D.load_range(ctx, start, end, with_conflicts=with_conflicts)

        return read

    def _extras_job(self) -> Callable[[Task], Any] | None:
        if not self._has_plan():
            return None
        ctx = self.ctx
        return lambda _task: D.load_extras(ctx)

    def _load_failed(self, message: str) -> None:
        self._show_placeholder(False)
        self.show_message(f"Could not read the calendar: {message}", error=True)

    def _show_placeholder(self, on: bool) -> None:
        self.placeholder.setVisible(on)
        self.splitter.setVisible(not on)

    def _loaded(self, data: D.GanttData, *, extras: bool = True) -> None:
        """A range read arrived: show it (keeping selection, expansion and scroll)."""
        if not self._has_plan():
            return
        self.loads += 1
        self._show_placeholder(False)
        self._applying = True  # the scroll bar moves while rows and origin change: no new read
        try:
            self._apply(data)
        finally:
            self._applying = False
        self._extend_if_near()
        if extras:
            if self.worker.synchronous:
                self._extras_task.run_now()
            else:
                self._extras_task.trigger()

    def _apply(self, data: D.GanttData) -> None:
        selected = self.selected_key()
        first_load = not self.data.releases
        old_origin = self.data.first_day
        top = self.model.item(self.tree.indexAt(QPoint(2, 2)))
        top_key = top.key if top is not None else None
        if self.conflict_source is not None:
            self._carry_conflicts(data)
        if self.extras is not None:
            self._take_extras(data, self.extras)
        self.data = data
        self.renderer.data = data
        if self.renderer.geom.origin != data.first_day:
            shift = (data.first_day - old_origin).days * self.renderer.geom.ppd
            self.renderer.geom = Geometry(
                data.first_day, self.renderer.geom.ppd, self.model.row_height
            )
            if not first_load:
                bar = self.chart.horizontalScrollBar()
                bar.blockSignals(True)
                self.chart.update_scroll_range()
                bar.setValue(int(bar.value() - shift))
                bar.blockSignals(False)
        self._impact_cache.clear()
        self._fill_filters()
        self._fill_baselines()
        if not self.model.update_in_place(data.releases):
            self.model.set_releases(data.releases)
            self._restore_expansion()
        self.rebuild_rows()
        if self.renderer.baseline is not None:
            self.set_baseline(self.baseline_combo.currentData())
        want = self._want_key or selected
        if want:
            self.select_key(want, scroll=False)
        if first_load:
            self.scroll_to_date(data.today - dt.timedelta(days=21), left=True)
            self.scroll_to_active_today()
        elif top_key is not None:  # rows read for a wider range: the same release stays on top
            index = self.model.index_of_key(top_key)
            if index.isValid():
                self.tree.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
        if self.conflict_source is None:
            self.conflicts_counted.emit(
                sum(c.severity == "error" for c in data.conflicts),
                sum(c.severity != "error" for c in data.conflicts),
            )

    def _extras_loaded(self, extras: D.Extras) -> None:
        self.extras = extras
        self._take_extras(self.data, extras)
        self._fill_baselines()
        pending, self._pending_baseline = self._pending_baseline, None
        if pending or self.renderer.baseline is not None:
            self.set_baseline(pending or self.baseline_combo.currentData())
        self.chart.viewport().update()

    @staticmethod
    def _take_extras(data: D.GanttData, extras: D.Extras) -> None:
        data.baselines = extras.baselines
        for rel in data.releases:
            rel.critical = rel.key in extras.critical

    # --- conflicts from the window's tally ---------------------------------------------------------

    def _find_conflict_source(self) -> None:
        """The window's ``ConflictStatus`` (installed after the pages are built), once there."""
        if self.conflict_source is None and self.host is not None:
            source = getattr(self.host, "conflict_status", None)
            if source is not None:
                self.use_conflicts(source)

    def use_conflicts(self, source: Any) -> None:
        """Take the conflict badges from ``source`` (the main window's ``ConflictStatus``: one
        tally of the plan's conflicts kept current from each edit's change set, the moved
        release re-checked through its focused index) instead of checking the plan here."""
        self.conflict_source = source
        source.rows_ready.connect(self._conflicts_changed)
        # connected after the source's own listener: the tally has re-checked when this runs
        self.store.changed.connect(self._conflicts_followed)

    def _conflicts_changed(self, *_args: Any) -> None:
        """New figures from the source: a tally built anew gives every release its conflicts;
        one that followed an edit was already read by ``_conflicts_followed``."""
        tally = getattr(self.conflict_source, "tally", None)
        if tally is not None and tally is not self._tally_seen:
            self._take_conflicts(self.data)
            self.chart.viewport().update()

    def _conflicts_followed(self, changes: Any) -> None:
        """After an edit the tally followed release by release: only the releases it re-checked
        and those their conflicts name (before or after) get their badges again — a drop costs
        what the moved release touches, not the thousands of bars read."""
        tally = getattr(self.conflict_source, "tally", None)
        if tally is None or tally is not self._tally_seen or tally.needs_full_read(changes):
            return
        keys = set(changes.releases()) | {new for _old, new in changes.renamed}
        touched = set(keys)
        for key in keys:
            rel = self.data.by_key.get(key)
            old = rel.conflicts if rel is not None else []
            for c in [*old, *tally.for_release(key)]:
                touched.update(c.releases)
        for key in touched:
            rel = self.data.by_key.get(key)
            if rel is not None:
                rel.conflicts = tally.for_release(key)
        self.chart.viewport().update()

    def _carry_conflicts(self, data: D.GanttData) -> None:
        """A new read of the range: the releases already shown keep the badges the tally gave
        them (kept current edit by edit); only releases new to the range are looked up."""
        tally = getattr(self.conflict_source, "tally", None)
        if tally is None or tally is not self._tally_seen:
            self._take_conflicts(data)
            return
        for rel in data.releases:
            shown = self.data.by_key.get(rel.key)
            rel.conflicts = shown.conflicts if shown is not None else tally.for_release(rel.key)

    def _take_conflicts(self, data: D.GanttData) -> None:
        tally = getattr(self.conflict_source, "tally", None)
        if tally is None:
            return
        self._tally_seen = tally
        for rel in data.releases:
            rel.conflicts = tally.for_release(rel.key)

    # --- the range read follows the view ------------------------------------------------------------

    def visible_days(self) -> tuple[dt.date, dt.date]:
        g = self.renderer.geom
        x = self.chart.x_offset()
        return g.date_at(x), g.date_at(x + self.chart.viewport().width())

    def _extend_if_near(self) -> None:
        """Scrolled or zoomed near an edge of what was read: read a wider range (the bars shown
        stay until it arrives)."""
        if self.range is None or self.loads == 0 or self._applying or not self._has_plan():
            return
        first, last = self.visible_days()
        start, end = self.range
        margin = dt.timedelta(weeks=2)
        if first >= start + margin and last < end - margin:
            return
        ahead = dt.timedelta(weeks=12)  # the side that is near grows by twelve weeks
        if first < start + margin:
            start = first - ahead
            start -= dt.timedelta(days=start.weekday())
        if last >= end - margin:
            end = last + ahead
        wanted = (min(start, self.range[0]), max(end, self.range[1]))
        if wanted != self.range:
            self.range = wanted
            self.reload(force=True)

    def _plan_opened(self, *_args: Any) -> None:
        self.range = None
        self.extras = None
        self.loads = 0
        self.reload()

    def _plan_closed(self) -> None:
        self._loader.stop()
        self._extras_task.stop()
        self.range = None
        self.extras = None
        self.loads = 0
        self.data = D.GanttData([], [], [], {}, dt.date.today(), dt.date.today(), dt.date.today())
        self.renderer.data = self.data
        self.expanded.clear()
        self.model.set_releases([])

    def _store_changed(self, *_args: Any) -> None:
        """The store outlives this view: it calls a bound method, which Qt disconnects when the
        view is deleted (a lambda would call into the deleted view)."""
        self.reload()

    def _tasks_changed(self, key: str) -> None:
        if key in self.model.tasks:
            self.model.replace_tasks(key, self._load_tasks(key))
            if key in self.expanded:
                self.tree.expand(self.model.index_of_key(key))
        self.reload()
