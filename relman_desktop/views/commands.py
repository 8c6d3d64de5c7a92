"""Undoable edits. Each command holds plain data (keys, old and new values) and re-applies
through the same service call the first edit used; nothing here touches the database directly.

A command is pushed *after* its first application succeeded (``done=True``), so a refused edit
never reaches the stack; ``redo`` then skips that first call (Qt calls redo() on push).
If a later undo/redo is refused (the plan moved on underneath), the error is reported and the
command is made obsolete, which drops it from the stack instead of leaving it half-applied.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from relman_desktop.models.planfile import PlanError
from relman_desktop.services.base import ServiceError

if TYPE_CHECKING:
    from .store import Store


class ServiceCommand(QUndoCommand):
    """Base: ``apply(forward)`` calls the services; ``notify(forward)`` emits store signals."""

    def __init__(self, store: Store, text: str, *, done: bool = True) -> None:
        super().__init__(text)
        self.store = store
        self._skip_first_redo = done
        self._ran = done

    def apply(self, forward: bool) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def notify(self, forward: bool) -> None:
        pass

    def _run(self, forward: bool) -> None:
        try:
            self.apply(forward)
        except (ServiceError, PlanError) as exc:
            if self._ran:
                verb = "Redo" if forward else "Undo"
                self.store.error.emit(f"{verb} of “{self.text()}” was refused: {exc}")
            else:
                self.store.error.emit(str(exc))
            self._ran = True
            self.setObsolete(True)
            self.store.refresh_all()
            return
        self._ran = True
        self.notify(forward)

    def redo(self) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self._run(True)

    def undo(self) -> None:
        self._run(False)


class UpdateReleaseCommand(ServiceCommand):
    """Some fields of one release, from ``old`` to ``new`` (a key change included)."""

    def __init__(self, store: Store, key: str, old: dict[str, Any], new: dict[str, Any], *, done: bool = True) -> None:
        names = ", ".join(_field_label(n) for n in new)
        super().__init__(store, f"edit {names} of {key}", done=done)
        self.key_before = key
        self.key_after = str(new.get("key", key))
        self.old = dict(old)
        self.new = dict(new)

    def apply(self, forward: bool) -> None:
        from relman_desktop.services import releases

        if forward:
            releases.update_release(self.store.ctx, self.key_before, self.new)
        else:
            releases.update_release(self.store.ctx, self.key_after, self.old)

    def notify(self, forward: bool) -> None:
        before, after = (self.key_before, self.key_after) if forward else (self.key_after, self.key_before)
        if before != after:
            self.store.release_renamed.emit(before, after)
        self.store.release_changed.emit(after)


class CreateReleaseCommand(ServiceCommand):
    def __init__(self, store: Store, key: str, fields: dict[str, Any], *, done: bool = True) -> None:
        super().__init__(store, f"create release {key}", done=done)
        self.key = key
        self.fields = dict(fields)

    def apply(self, forward: bool) -> None:
        from relman_desktop.services import releases

        if forward:
            releases.create_release(self.store.ctx, self.fields)
        else:
            releases.delete_release(self.store.ctx, self.key)

    def notify(self, forward: bool) -> None:
        self.store.releases_changed.emit()
        (self.store.release_created if forward else self.store.release_deleted).emit(self.key)


class DeleteReleaseCommand(ServiceCommand):
    """Undo puts the whole release back from the snapshot the deletion returned: its state,
    tasks, stages and decisions, evidence, review, links, dependencies and bundled changes."""

    def __init__(self, store: Store, key: str, snapshot: dict[str, Any], *, done: bool = True) -> None:
        super().__init__(store, f"delete release {key}", done=done)
        self.key = key
        self.snapshot = dict(snapshot)

    def apply(self, forward: bool) -> None:
        from relman_desktop.importers.plan_json import restore_release
        from relman_desktop.services import releases

        if forward:
            self.snapshot = releases.delete_release(self.store.ctx, self.key)
            return
        restore_release(self.store.ctx, self.snapshot)

    def notify(self, forward: bool) -> None:
        self.store.releases_changed.emit()
        (self.store.release_deleted if forward else self.store.release_created).emit(self.key)


@dataclass(frozen=True)
class ServiceCall:
    """A service function named by module and name, with plain arguments (``ctx`` is added)."""

    module: str
    function: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __call__(self, ctx: Any) -> Any:
        fn = getattr(importlib.import_module(self.module), self.function)
        return fn(ctx, *self.args, **self.kwargs)


class CallCommand(ServiceCommand):
    """The generic undoable edit for any service: a forward call, a backward call, and the
    store signals to emit afterwards, as ``(signal_name, args)`` pairs.

    Example (a task field)::

        store.push(CallCommand(store, "edit task T3",
            ServiceCall("relman_desktop.services.tasks", "update_task", (key, "T3", {"title": new})),
            ServiceCall("relman_desktop.services.tasks", "update_task", (key, "T3", {"title": old})),
            notify=[("tasks_changed", (key,))]), done=False)
    """

    def __init__(
        self,
        store: Store,
        text: str,
        forward: ServiceCall,
        backward: ServiceCall,
        *,
        notify: list[tuple[str, tuple[Any, ...]]] | None = None,
        done: bool = False,
    ) -> None:
        super().__init__(store, text, done=done)
        self.forward = forward
        self.backward = backward
        self.signals = list(notify or [])
        self.last_result: Any = None

    def apply(self, forward: bool) -> None:
        self.last_result = (self.forward if forward else self.backward)(self.store.ctx)

    def notify(self, forward: bool) -> None:
        for name, args in self.signals:
            signal: Callable[..., None] = getattr(self.store, name).emit
            signal(*args)


def _field_label(name: str) -> str:
    try:
        from relman_desktop.services.releases import LABELS
    except ImportError:  # pragma: no cover
        LABELS = {}
    return LABELS.get(name, name.replace("_", " ")).lower()
