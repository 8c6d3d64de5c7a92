"""The status bar's conflict count, the conflict badges and the Conflicts page's rows.

They come from one ``ConflictTally`` per open plan: built once off the GUI thread, then kept up
to date from the store's change sets (``ConflictStatus``). Installed on the window with File >
Import / Export (``exports_menu.install``), apart from them: it shares only the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from relman_desktop.services.changeset import ChangeSet

from .worker import DebouncedTask, Task, Worker


class ConflictStatus(QObject):
    """Keeps the status bar's conflict count, the conflict badges and the Conflicts page's rows
    current from one ``ConflictTally`` per open plan.

    The tally is built once off the GUI thread (the worker reads the whole plan; the status bar
    keeps its placeholder meanwhile), then each store ``changed(ChangeSet)`` — an edit, an undo
    or redo, a change made elsewhere — is applied to it on the GUI thread, which re-checks only
    the releases the change set names. A change set the tally cannot follow release by release
    (calendar windows, CIs, people, an import, ...) rebuilds it in the background; change sets
    arriving while a build runs are applied to the new tally when it arrives (re-checking a
    release is idempotent, so one the build already saw costs a re-check, nothing more).

    After an edit only what it touched is redone: the count comes from the tally's running
    totals, the badges of the releases sharing a conflict with the ones re-checked are counted
    again, and the Conflicts page's rows are rebuilt only when it is on screen (``wanted``, set
    by the page; otherwise when it next asks through ``ensure``)."""

    counted = Signal(int, int)  # errors, warnings
    per_release = Signal(object)  # {release key: (errors, warnings)}, for the conflict badges
    rows_ready = Signal(object)  # the conflicts as ConflictRow values, for the Conflicts page

    def __init__(self, window: Any, worker: Worker | None = None, *, delay_ms: int = 500) -> None:
        super().__init__(window)
        self.window = window
        self.store = window.store
        self.tally: Any = None  # services.conflict_tally.ConflictTally, once built
        self._rows: list[Any] | None = None  # the tally's conflicts as rows (None: to be made)
        self.by_release: dict[str, tuple[int, int]] = {}  # the badges' figures
        # whether the Conflicts page is on screen (wants new rows after each edit)
        self.wanted: Callable[[], bool] | None = None
        self._row_of: dict[int, tuple[Any, Any]] = {}  # id(conflict): (conflict, its row)
        self._seen = 0  # change sets announced since the plan opened
        self._log: list[tuple[int, ChangeSet]] = []  # those a build in flight may not have seen
        self._building = False
        self.task = DebouncedTask(self._job, delay_ms=delay_ms, worker=worker, parent=self)
        self.task.result.connect(self._built)
        self.task.error.connect(self._failed)
        s = self.store
        s.plan_opened.connect(self._opened)
        s.changed.connect(self._changed)
        s.plan_closed.connect(self._closed)
        if s.has_plan:
            self.rebuild()

    # --- building ---------------------------------------------------------------------------------

    def rebuild(self) -> None:
        """Read the whole plan again in the background (the current figures stay until then)."""
        self._building = True
        label = getattr(self.window, "conflicts_label", None)
        if self.tally is None and label is not None:  # the window is usable meanwhile
            label.setText("Conflicts: counting…")
        self.task.trigger()

    def _job(self) -> Callable[[Task], tuple[Any, ...]] | None:
        if not self.store.has_plan:
            return None
        ctx = self.store.ctx
        since = self._seen  # every change set announced before this is in what the job reads

        def build(task: Task) -> tuple[Any, ...]:
            from relman_desktop.services.conflict_tally import ConflictTally

            from ..conflicts.conflict_rows import counts_by_release, to_rows

            tally = ConflictTally(ctx)
            task.check()
            # the rows and badges too, so the GUI thread only shows them
            found = tally.conflicts()
            rows = to_rows(found, task.check)
            row_of = {id(c): (c, row) for c, row in zip(found, rows, strict=True)}
            return tally, since, rows, row_of, counts_by_release(rows)

        return build

    @property
    def rows(self) -> list[Any] | None:
        """The tally's conflicts as the Conflicts page's rows (made when asked), or None."""
        if self.tally is None:
            return None
        if self._rows is None:
            from ..conflicts.conflict_rows import to_rows

            # a conflict the tally kept (the same object) keeps its row: only new ones are made
            rows, fresh = [], {}
            for c in self.tally.conflicts():
                hit = self._row_of.get(id(c))
                row = hit[1] if hit is not None and hit[0] is c else to_rows([c])[0]
                fresh[id(c)] = (c, row)  # the conflict is held, so its id is not reused
                rows.append(row)
            self._row_of = fresh
            self._rows = rows
        return self._rows

    def ensure(self) -> list[Any] | None:
        """The current rows, or None while the first build is under way (started if need be)."""
        if self.tally is not None:
            return self.rows
        if not self._building:
            self.rebuild()
        return None

    def count_here(self) -> None:
        """Build on this thread (the screenshot command takes its picture without an event loop)."""
        from ..common.run_here import run_here

        run_here(self._job, self._built, stop=self.task, name="conflicts")

    def _built(self, result: tuple[Any, ...]) -> None:
        tally, since, rows, row_of, by_release = result
        self._building = False
        later = [changes for n, changes in self._log if n > since]
        self._log = []
        self.tally = tally
        self._rows, self._row_of, self.by_release = rows, row_of, by_release
        touched: set[str] = set()
        for changes in later:
            if tally.needs_full_read(changes):
                self.rebuild()  # this one shows meanwhile, the next build catches up
            else:
                touched |= self._apply(changes)
        self._show_changed(touched, send_rows=True)

    def _failed(self, _message: str) -> None:
        self._building = False  # the next change set tries again
        self._log = []

    # --- following the plan -----------------------------------------------------------------------

    def _opened(self, *_args: Any) -> None:
        self.task.stop()  # a build of the plan before must not arrive as this plan's
        self.tally = None
        self._rows = None
        self.by_release = {}
        self._seen = 0
        self._log = []
        self.rebuild()

    def _changed(self, changes: ChangeSet) -> None:
        self._seen += 1
        if self._building:
            self._log.append((self._seen, changes))
        if self.tally is None:
            if not self._building:
                self.rebuild()
            return
        if self.tally.needs_full_read(changes):
            if not self._building:
                self._log.append((self._seen, changes))
            self.rebuild()
            return
        touched = self._apply(changes)
        if touched:
            self._show_changed(touched)

    def _apply(self, changes: ChangeSet) -> set[str]:
        """``changes`` applied to the tally release by release; the releases whose badges it
        may have changed (those re-checked and those they shared or share a conflict with)."""
        tally = self.tally
        before = tally.related(tally.keys_of(changes))  # badges the old conflicts gave
        rechecked = tally.apply(self.store.ctx, changes)
        return before | tally.related(rechecked) if rechecked else set()

    def _show_changed(self, keys: set[str], *, send_rows: bool = False) -> None:
        """The badges of ``keys`` counted again, the count from the tally's totals; the page's
        rows made again only if it is on screen (or ``send_rows``)."""
        tally = self.tally
        for key in keys:
            pair = tally.release_counts(key)
            if pair == (0, 0):
                self.by_release.pop(key, None)
            else:
                self.by_release[key] = pair
        if keys:
            self._rows = None  # made again from the tally when asked
        self._announce(send_rows=send_rows or self.wanted is None or self.wanted())

    def _announce(self, *, send_rows: bool) -> None:
        counts = self.tally.counts()
        self.window.set_conflict_counts(counts["errors"], counts["warnings"])
        self.counted.emit(counts["errors"], counts["warnings"])
        self.per_release.emit(self.by_release)
        if send_rows:
            self.rows_ready.emit(self.rows)

    def _closed(self) -> None:
        self.task.stop()
        self.tally = None
        self._rows = None
        self.by_release = {}
        self._row_of = {}
        self._log = []
        self._building = False
        self.window.set_conflict_counts(None)
        self.per_release.emit({})


__all__ = ["ConflictStatus"]
