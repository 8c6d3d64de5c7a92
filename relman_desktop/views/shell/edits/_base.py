"""The common base of the store's edit methods (see ``views.shell.edits``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..commands import Ref, Step, edit, ref

if TYPE_CHECKING:
    from ..store import Store


class EditsBase:
    """Holds the store; ``_edit`` runs steps as one undo step (raising ``Refused``), ``_run`` runs
    an operation that is not undoable (answering ``Store.FAILED`` when refused)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _edit(self, text: str, steps: Step | list[Step], *, saved_message: bool = True) -> Any:
        return edit(self.store, text, steps, saved_message=saved_message)

    def _run(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return self.store.run(fn, *args, **kwargs)

    def _ref(self, kind: str, id_: int) -> Ref:
        """The shared ``Ref`` of row ``id_`` of ``kind`` (see ``commands.Ref``)."""
        return ref(self.store, kind, id_)
