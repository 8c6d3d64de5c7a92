"""A page whose rows are read on the worker behind a placeholder (issue 16: the Changes and CIs
pages opened in 1.2 s and 0.8 s on a 10,000-release plan, now at once). ``BackgroundRead`` holds
what such a page does the same way: it reads only while shown (``refresh`` marks it stale
otherwise), a burst of announcements is one read, the first read shows a placeholder, and
``load_now`` reads inline for the screenshot command, which has no event loop.

A page mixes it in before ``QWidget`` and gives ``_load_job`` (the read, or None without a plan),
``_loaded`` (its rows arrived), ``_load_failed`` and ``_show_placeholder``; its ``reload`` deals
with a closed plan and then calls ``_start_read``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QShowEvent

from ..shell.worker import DebouncedTask, Worker

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    _Base = QWidget
else:
    _Base = object


class BackgroundRead(_Base):
    worker: Worker
    loads: int  # reads delivered (tests follow the background reads with it)
    _stale: bool
    _loader: DebouncedTask

    def _init_background_read(self, worker: Worker | None) -> None:
        """Reads run on ``worker`` (the main window passes the shared one); without one they
        run inline, as a standalone page's callers expect."""
        self._stale = True
        self.worker = worker or Worker(self, synchronous=True)
        self.loads = 0
        self._loader = DebouncedTask(self._load_job, delay_ms=0, worker=self.worker, parent=self)
        self._loader.result.connect(self._loaded)
        self._loader.error.connect(self._load_failed)

    if TYPE_CHECKING:  # what the page gives

        def _load_job(self) -> Any: ...
        def _loaded(self, data: dict[str, Any]) -> None: ...
        def _load_failed(self, message: str) -> None: ...
        def _show_placeholder(self, on: bool) -> None: ...
        def reload(self) -> None: ...

    # what it does the same way
    def refresh(self) -> None:
        """Re-read now when shown; otherwise the next time the page is shown (a plan of 10,000
        releases opens without this page reading anything)."""
        self._stale = True
        if self.isVisible():
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.reload()

    def _start_read(self) -> None:
        """The read, on the worker (the rows arrive in ``_loaded``); the first shows a
        placeholder meanwhile."""
        if self.loads == 0 and not self.worker.synchronous:
            self._show_placeholder(True)
        if self.worker.synchronous:
            self._loader.run_now()
        else:  # a burst of announcements for one edit is one read
            self._loader.trigger()

    def load_now(self) -> None:
        """Read on this thread: the screenshot command has no event loop to deliver a
        background read."""
        self._stale = False
        self._loader.stop()  # a background read's answer, if one runs, is dropped (stale)
        job = self._load_job()
        if job is None:
            self.reload()
            return
        self._loaded(job(None))

    @property
    def loading(self) -> bool:
        """A read was asked for and its rows have not arrived yet."""
        return self._loader.pending


__all__ = ["BackgroundRead"]
