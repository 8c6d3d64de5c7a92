"""Editing on the Calendar page: a drag's preview (the candidate dates, what else would move,
which conflicts would appear), the drop, the keyboard's nudges and the deployment window's steps
between maintenance windows, each one undoable step through the store's gateway
(``store.edits``); and the scheduling assistant (free deployment slots, saving a baseline).

``CalendarEditing`` is a mixin of ``calendar_view.CalendarView``; the date arithmetic of a drag
is in ``calendar_drag``, the mouse and keys that call these methods in ``gantt_chart``. Split out
of ``calendar_view`` so that the page's writes are in one place. What it relies on from the page
is declared under ``TYPE_CHECKING`` below.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu

from relman_desktop.services import scheduling
from relman_desktop.services.plan_zone import fmt_local, fmt_range

from ..shell.commands import Refused
from ..shell.store import Store
from . import calendar_drag as drag
from . import gantt_data as D
from .gantt_geometry import Preview

if TYPE_CHECKING:
    from PySide6.QtWidgets import QPushButton, QWidget

    from .gantt_chart import GanttChart
    from .gantt_render import GanttRenderer

    _Base = QWidget
else:
    _Base = object


class CalendarEditing(_Base):
    """Dragging, nudging and the scheduling assistant (a mixin of ``CalendarView``)."""

    if TYPE_CHECKING:  # built by CalendarView.__init__
        store: Any
        data: D.GanttData
        renderer: GanttRenderer
        chart: GanttChart
        selected_row: int
        slots_button: QPushButton
        slots_menu: QMenu | None
        _pending_baseline: str | None
        _impact_cache: dict[tuple[str, int], Any]

        @property
        def ctx(self) -> Any: ...
        def reload(self, *, force: bool = False) -> None: ...
        def set_baseline(self, name: str | None) -> None: ...
        def selected_key(self) -> str | None: ...
        def show_message(self, text: str, *, error: bool = False) -> None: ...

    # --- editing ------------------------------------------------------------------------------

    def _release_of(self, i: int) -> D.GanttRelease | None:
        if not 0 <= i < len(self.renderer.rows):
            return None
        row = self.renderer.rows[i]
        return row.release if row.task is None else None

    def candidate(
        self, i: int, part: str, delta: float
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(old, new) schedule fields for dragging ``part`` of row ``i`` by ``delta`` days."""
        return drag.candidate(self.renderer.rows[i], part, delta, self._maintenance_starts())

    def snap_deploy(
        self, rel: D.GanttRelease, start: dt.datetime
    ) -> tuple[dt.datetime, dt.datetime]:
        """Where a dragged deployment window lands (``drag.snap_deploy``)."""
        return drag.snap_deploy(rel, start, self._maintenance_starts())

    def _maintenance_starts(self) -> list[dt.datetime]:
        return sorted(s for band in self.data.maintenance() for s, _e in band.occurrences)

    def drag_to(self, i: int, part: str, delta: float) -> None:
        """Show the candidate dates while dragging: the ghost bar, what else would move, which
        conflicts would appear. Nothing is written."""
        pair = self.candidate(i, part, delta)
        if pair is None:
            return
        old, new = pair
        row = self.renderer.rows[i]
        preview = Preview(row.key)
        if row.task is not None:
            preview.task = replace(row.task, start=new["start"], end=new["end"], critical=False)
            preview.text = f"{row.key}: {new['start']} → {new['end']}"
        else:
            preview.release = replace(row.release, **new)
            preview.text = drag.describe(row.release.key, old, new)
            days = round(delta)
            if part == "body" and days:
                result = self.impact(row.release.key, days)
                if result is not None:
                    preview.moved = {
                        m.key: m.days
                        for m in result.moved
                        if m.kind == "release" and m.key != row.release.key
                    }
                    preview.text += drag.impact_text(result)
        self.renderer.preview = preview
        self.show_message(preview.text)
        self.chart.viewport().update()

    def impact(self, key: str, days: int) -> Any:
        """What moves and which conflicts appear if ``key`` moves ``days`` (read only, cached)."""
        cache_key = (key, days)
        if cache_key not in self._impact_cache:
            try:
                from relman_desktop.services import impact

                self._impact_cache[cache_key] = impact.impact(self.ctx, key, days)
            except Exception:  # the preview is a help, never a blocker
                self._impact_cache[cache_key] = None
        return self._impact_cache[cache_key]

    def cancel_preview(self) -> None:
        self.renderer.preview = None
        self.show_message("")
        self.chart.viewport().update()

    def drop(self, i: int, part: str, delta: float) -> bool:
        pair = self.candidate(i, part, delta)
        self.renderer.preview = None
        self.chart.viewport().update()
        if pair is None or pair[0] == pair[1]:
            self.show_message("")
            return False
        return self._push_edit(i, *pair)

    def refuse_read_only(self, i: int) -> bool:
        """True (and the reason shown) when row ``i`` belongs to a Closed or Cancelled release
        (by its state's role): dragging, resizing and nudging it are refused until reopened."""
        if not 0 <= i < len(self.renderer.rows):
            return False
        rel = self.renderer.rows[i].release
        if not rel.read_only:
            return False
        self.show_message(
            f"{rel.key} is {rel.status}: reopen it through a workflow transition to edit it",
            error=True,
        )
        return True

    def _push_edit(self, i: int, old: dict[str, Any], new: dict[str, Any]) -> bool:
        if self.refuse_read_only(i):
            return False
        row = self.renderer.rows[i]
        if row.task is not None:
            key, local = row.release.key, row.task.local_id
            text = f"move task {row.key} to {new['start']} → {new['end']}"
            # The tasks waiting on it follow (its links and lags); undo puts every one back.
            action = functools.partial(self.store.edits.move_task, key, local, text, new, old)
        else:
            key = row.release.key
            text = drag.describe(key, old, new)
            action = functools.partial(self.store.edits.move_release, key, text, new, old)
        if not self._edit(action):
            return False
        if row.task is None:
            # The bar shows where it went now; the range read the edit triggered confirms it
            # in the background (and its conflicts come from the tally's re-check of it).
            for name, value in new.items():
                setattr(row.release, name, value)
            self.chart.viewport().update()
        self.show_message(f"{text} (Ctrl+Z to undo)")
        return True

    def _edit(self, action: Callable[[], object]) -> bool:
        """One store edit (one undoable step); a refusal goes to the status bar, and nothing is
        pushed."""
        try:
            action()
        except Refused as exc:
            self.store.error.emit(str(exc))
            return False
        return True

    def move_item(self, key: str, days: int) -> bool:
        """Move a release (planned dates and deployment window) or task by ``days``."""
        i = self.renderer.row_of(key)
        pair = self.candidate(i, "body", days) if i >= 0 else None
        return pair is not None and pair[0] != pair[1] and self._push_edit(i, *pair)

    def resize_item(self, key: str, days: int, edge: str = "end") -> bool:
        i = self.renderer.row_of(key)
        pair = self.candidate(i, edge, days) if i >= 0 else None
        return pair is not None and pair[0] != pair[1] and self._push_edit(i, *pair)

    def nudge_selected(self, days: int) -> bool:
        key = self.selected_key()
        return key is not None and self.move_item(key, days)

    def resize_selected(self, days: int) -> bool:
        key = self.selected_key()
        return key is not None and self.resize_item(key, days, "end")

    def step_deploy_window(self, direction: int) -> bool:
        """Move the selected release's deployment window to the previous/next maintenance
        window occurrence (or a day when there is none)."""
        rel = self._release_of(self.selected_row)
        if rel is None or rel.deploy_start is None or rel.deploy_end is None:
            return False
        old, new = drag.stepped_deploy(rel, direction, self._maintenance_starts())
        return self._push_edit(self.selected_row, old, new)

    # --- scheduling assistant -------------------------------------------------------------------

    def free_slots(self, key: str, count: int = 5, days: int = 60) -> list[Any]:
        result = self.store.call(scheduling.free_slots, key, count, days)
        return [] if result is Store.FAILED else list(result)

    def show_free_slots(self, key: str | None = None) -> QMenu | None:
        """A non-modal menu of the next free slots; picking one moves the release (undoable)."""
        key = (key or self.selected_key() or "").split("/", 1)[0]
        if not key:
            self.show_message("Select a release to look for free deployment slots.")
            return None
        slots = self.free_slots(key)
        menu = QMenu(self)
        menu.setObjectName("calendar_slots_menu")
        if not slots:
            action = menu.addAction(f"No free slot for {key} in the next 60 days")
            action.setEnabled(False)
        for slot in slots:
            where = f"  ({slot.window_title})" if slot.window_title else ""
            text = f"{fmt_range(slot.start, slot.end, self._zone())}{where}"
            action = menu.addAction(text)
            action.triggered.connect(lambda _c=False, s=slot: self.move_to_slot(key, s))
        self.slots_menu = menu
        menu.popup(self.slots_button.mapToGlobal(QPoint(0, self.slots_button.height())))
        return menu

    def _zone(self) -> ZoneInfo:
        """The plan's zone, for the times this page writes in words."""
        return ZoneInfo(self.data.zone)

    def move_to_slot(self, key: str, slot: Any) -> bool:
        rel = self.data.by_key.get(key)
        if rel is None or self.refuse_read_only(self.renderer.row_of(key)):
            return False
        old = {"deploy_start": rel.deploy_start, "deploy_end": rel.deploy_end}
        when = fmt_local(slot.start, self._zone())
        text = f"move the deployment of {key} to {when}"
        if not self._edit(
            lambda: self.store.edits.move_to_slot(key, text, slot.start, slot.end, old)
        ):
            return False
        self.show_message(f"Moved the deployment of {key} to {when} (Ctrl+Z to undo)")
        return True

    def save_baseline(self, name: str | None = None) -> str | None:
        """Freeze the plan's dates now (one undoable step) and overlay them."""
        name = name or f"Baseline {dt.datetime.now():%Y-%m-%d %H:%M}"
        chosen = name
        if not self._edit(lambda: self.store.edits.save_baseline(chosen)):
            return None
        self._pending_baseline = name  # shown once the baselines are read again
        self.reload(force=True)
        self.set_baseline(name)
        self.show_message(
            f"Saved the plan's dates as “{name}”; ghost bars show them (Ctrl+Z to undo)"
        )
        return name
