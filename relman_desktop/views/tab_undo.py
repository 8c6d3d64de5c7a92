"""Undoable edits for the evidence tabs and the Settings page.

An edit runs once *before* it is pushed (so a refused value is shown beside its field, with the
service's ``field``, and never reaches the stack), then goes on the store's one undo stack as a
command holding plain data: two service calls and the store signals to emit afterwards.

Rows known by a database id (calendar windows, rules, transitions, links) come back with a new
id when a delete is undone. Commands therefore name such rows through a ``Ref`` shared by every
command about the same row; re-creating the row re-points the ``Ref``, so older commands on the
stack still reach it.
"""

from __future__ import annotations

import importlib
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from relman_desktop.models.planfile import PlanError
from relman_desktop.services.base import ServiceError

from .commands import ServiceCommand

if TYPE_CHECKING:
    from .store import Store


class Ref:
    """The current database id of one row (``kind`` says which table, for messages)."""

    __slots__ = ("id", "kind", "__weakref__")

    def __init__(self, kind: str, id_: int) -> None:
        self.kind = kind
        self.id = id_

    def __repr__(self) -> str:
        return f"Ref({self.kind}#{self.id})"


_REFS: weakref.WeakKeyDictionary[Any, dict[tuple[str, int], Ref]] = weakref.WeakKeyDictionary()


def ref(store: Store, kind: str, id_: int) -> Ref:
    """The one ``Ref`` for row ``id_`` of ``kind`` on this store's stack."""
    table = _REFS.setdefault(store, {})
    found = table.get((kind, id_))
    if found is None or found.id != id_:
        found = table[(kind, id_)] = Ref(kind, id_)
    return found


def rebind(store: Store, target: Ref, new_id: int) -> None:
    target.id = new_id
    _REFS.setdefault(store, {})[(target.kind, new_id)] = target


def _resolve(value: Any) -> Any:
    if isinstance(value, Ref):
        return value.id
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_resolve(v) for v in value)
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    return value


@dataclass
class Call:
    """``module.function(ctx, *args, **kwargs)`` with any ``Ref`` argument read at call time.
    ``rebinds``: a ``Ref`` that the call's result (a new id) re-points."""

    module: str
    function: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    rebinds: Ref | None = None
    result_id: Callable[[Any], int] | None = None  # the id inside the result, when not the result itself

    def __call__(self, store: Store) -> Any:
        fn = getattr(importlib.import_module(self.module), self.function)
        result = fn(store.ctx, *_resolve(self.args), **_resolve(self.kwargs))
        if self.rebinds is not None:
            new_id = self.result_id(result) if self.result_id else result
            rebind(store, self.rebinds, int(new_id))
        return result


def evidence(function: str, *args: Any, **kwargs: Any) -> Call:
    return Call("relman_desktop.services.evidence", function, args, kwargs)


def service(module: str, function: str, *args: Any, **kwargs: Any) -> Call:
    return Call(f"relman_desktop.services.{module}", function, args, kwargs)


Notify = Sequence[tuple[str, tuple[Any, ...]]]


class EditCommand(ServiceCommand):
    """Forward and backward are each one call or a list of calls (run in order)."""

    def __init__(self, store: Store, text: str, forward: Call | list[Call], backward: Call | list[Call],
                 notify: Notify = (), *, done: bool = True) -> None:
        super().__init__(store, text, done=done)
        self.forward = forward if isinstance(forward, list) else [forward]
        self.backward = backward if isinstance(backward, list) else [backward]
        self.signals = list(notify)

    def apply(self, forward: bool) -> None:
        for call in self.forward if forward else self.backward:
            call(self.store)

    def notify(self, forward: bool) -> None:
        emit_all(self.store, self.signals)


def emit_all(store: Store, signals: Notify) -> None:
    for name, args in signals:
        getattr(store, name).emit(*args)


class Refused(Exception):
    """A refused edit, carrying the service's message and the field it names (if any)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def attempt(store: Store, call: Call) -> Any:
    """Run ``call`` now; a refusal raises ``Refused`` (nothing was saved) instead of reaching
    the stack. Views show ``Refused.field`` beside the field it names."""
    if not store.has_plan:
        raise Refused("no plan is open")
    try:
        return call(store)
    except ServiceError as exc:
        raise Refused(str(exc), getattr(exc, "field", None)) from None
    except PlanError as exc:
        raise Refused(str(exc)) from None


def edit(store: Store, text: str, forward: Call | list[Call], backward: Call | list[Call] | None,
         notify: Notify = (), *, backward_from: Callable[[Any], Call | list[Call]] | None = None,
         rollback: list[Call] | None = None) -> Any:
    """Apply ``forward`` now and, if it was accepted, push it as one undoable step.

    ``backward_from(result)`` builds the undo from the forward call's result (a new row's id).
    With no backward at all the edit is saved but not undoable (a service cannot reverse it);
    the status bar says so. Raises ``Refused`` when the services refuse the edit; when an edit of
    several calls is refused part-way, ``rollback`` puts back what the earlier calls changed."""
    calls = forward if isinstance(forward, list) else [forward]
    result = None
    for i, call in enumerate(calls):
        try:
            result = attempt(store, call)
        except Refused:
            if i:  # an earlier call of the same edit landed: undo it, and tell everyone to re-read
                for undo in rollback or []:
                    try:
                        undo(store)
                    except (ServiceError, PlanError) as exc:
                        store.error.emit(f"could not put back part of “{text}”: {exc}")
                emit_all(store, notify)
            raise
    if backward_from is not None:
        backward = backward_from(result)
    if backward is None:
        emit_all(store, notify)
        store.message.emit(f"Saved: {text} (this cannot be undone)")
        return result
    command = EditCommand(store, text, calls, backward, notify, done=True)
    store.push(command)
    command.notify(True)
    store.message.emit(f"Saved: {text}")
    return result
