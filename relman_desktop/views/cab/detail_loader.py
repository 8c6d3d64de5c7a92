"""What each CAB agenda item shows (its release report and conflicts), read off the GUI thread:
seconds on a 10,000-release plan, so the presenter shows an item's headline at once and its
sections when they arrive (issue 16). Split out of ``cab_presenter.py``."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from relman_desktop.models.planfile import PlanError
from relman_desktop.services.base import Ctx, ServiceError

from ..shell.worker import Task, Worker, shared_worker
from .agenda_item import ItemDetail, load_item_detail

_Result = tuple[str, int, ItemDetail | None, str | None]


class DetailLoader(QObject):
    """A cache of item details by release key, filled by jobs on ``worker`` (None: the app's)."""

    loaded = Signal(str, object, object)  # release key, ItemDetail or None, the error or None

    def __init__(
        self,
        ctx_of: Callable[[], Ctx],
        worker: Worker | None = None,
        details: dict[str, ItemDetail] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx_of = ctx_of
        self._worker = worker
        self.details: dict[str, ItemDetail] = dict(details or {})
        self._loading: set[str] = set()  # being read now
        self._generation: dict[str, int] = {}  # bumped when a key's detail goes stale

    @property
    def worker(self) -> Worker:
        return self._worker or shared_worker()

    def stale(self, key: str) -> None:
        """The release changed (its approvals): read it again when next asked."""
        self.details.pop(key, None)
        self._generation[key] = self._generation.get(key, 0) + 1

    def request(self, key: str) -> None:
        """Read ``key``'s detail in the background unless it is known or on its way."""
        if key in self.details or key in self._loading:
            return
        generation = self._generation.get(key, 0)
        self._loading.add(key)
        ctx = self._ctx_of()

        def load(_task: Task) -> _Result:
            try:
                return key, generation, load_item_detail(ctx, key), None
            except (ServiceError, PlanError) as exc:
                return key, generation, None, str(exc)

        self.worker.submit(load, name=f"cab item {key}", on_result=self._arrived)

    def _arrived(self, result: _Result) -> None:
        key, generation, detail, error = result
        self._loading.discard(key)
        if generation != self._generation.get(key, 0):
            self.request(key)  # it changed while it was read: read it again
            return
        if detail is not None:
            self.details[key] = detail
        self.loaded.emit(key, detail, error)


__all__ = ["DetailLoader"]
