"""Undoable edits: service calls run at once, and put on the store's one undo stack if accepted.

An edit is one or more ``Step``s, each pairing forward service calls with the calls that take
them back. ``edit()`` runs the steps now. When the services refuse one, what the edit had already
changed is put back and ``Refused`` is raised (with the service's ``field``, for a form to show
beside that field), so a refused edit never reaches the stack. Otherwise the steps go on the stack
as one undo step (one ``EditCommand``, or a macro of several) holding plain data: calls by module
and function name, with plain arguments. Nothing here touches the database directly.

Qt calls redo() on push; that first redo is skipped, since the edit already ran. If a later
undo/redo is refused (the plan moved on underneath), the error is reported and the command made
obsolete, which drops it from the stack instead of leaving it half-applied.

Rows known by a database id (calendar windows, rules, transitions, links) come back with a new
id when a delete is undone. Calls therefore name such rows through a ``Ref`` shared by every
command about the same row; re-creating the row re-points the ``Ref``, so older commands on the
stack still reach it.
"""

from __future__ import annotations

import importlib
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from relman_desktop.models.planfile import PlanError
from relman_desktop.services.base import ServiceError

if TYPE_CHECKING:
    from .store import Store

Notify = Sequence[tuple[str, tuple[Any, ...]]]  # store signals to emit: (signal name, arguments)


# --- rows whose id changes ------------------------------------------------------------------------


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


# --- service calls --------------------------------------------------------------------------------


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


def call(module: str, function: str, /, *args: Any, **kwargs: Any) -> Call:
    """A call into the module at path ``module`` (a service, or a view's own service helpers)."""
    return Call(module, function, args, kwargs)


def service(module: str, function: str, /, *args: Any, **kwargs: Any) -> Call:
    """A call into ``relman_desktop.services.<module>``."""
    return call(f"relman_desktop.services.{module}", function, *args, **kwargs)


Calls = Call | list[Call]


def _calls(value: Calls | None) -> list[Call]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def emit_all(store: Store, signals: Notify) -> None:
    for name, args in signals:
        getattr(store, name).emit(*args)


# --- the command ------------------------------------------------------------------------------------


class EditCommand(QUndoCommand):
    """One undoable edit, pushed after its first application: redo runs ``forward``, undo runs
    ``backward``, each followed by the store signals in ``notify`` (``notify_back`` after an undo,
    when the signals differ by direction). ``backward_from(result)``, when given, rebuilds the
    undo from what each redo's last call answered (a fresh snapshot of the row it deleted)."""

    def __init__(self, store: Store, text: str, forward: Calls, backward: Calls, notify: Notify = (), *,
                 notify_back: Notify | None = None, backward_from: Callable[[Any], Calls] | None = None) -> None:
        super().__init__(text)
        self.store = store
        self.forward = _calls(forward)
        self.backward = _calls(backward)
        self.signals = list(notify)
        self.signals_back = self.signals if notify_back is None else list(notify_back)
        self.backward_from = backward_from
        self._skip_first_redo = True

    def redo(self) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self._run(True)

    def undo(self) -> None:
        self._run(False)

    def _run(self, forward: bool) -> None:
        try:
            result = None
            for one in self.forward if forward else self.backward:
                result = one(self.store)
        except (ServiceError, PlanError) as exc:
            verb = "Redo" if forward else "Undo"
            self.store.error.emit(f"{verb} of “{self.text()}” was refused: {exc}")
            self.setObsolete(True)
            self.store.refresh_all()
            return
        if forward and self.backward_from is not None:
            self.backward = _calls(self.backward_from(result))
        self.announce(forward)

    def announce(self, forward: bool) -> None:
        emit_all(self.store, self.signals if forward else self.signals_back)


# --- running an edit now ---------------------------------------------------------------------------


@dataclass
class Step:
    """One part of an edit: the ``forward`` call(s) and what takes them back — ``backward``, or
    ``backward_from(result)`` built from what the last forward call answered (a new row's key, a
    deleted row). ``replay(result)``, when given, is what redo runs instead of ``forward`` (e.g. an
    add with the id the first call chose). ``rollback`` puts back the earlier forward calls when a
    later one of the same step is refused. A step with no backward is saved but not undoable."""

    forward: Calls
    backward: Calls | None = None
    backward_from: Callable[[Any], Calls] | None = None
    replay: Callable[[Any], Calls] | None = None
    rollback: list[Call] = field(default_factory=list)

    def undo_for(self, result: Any) -> list[Call] | None:
        if self.backward_from is not None:
            return _calls(self.backward_from(result))
        return None if self.backward is None else _calls(self.backward)


class Refused(Exception):
    """A refused edit, carrying the service's message and the field it names (if any)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def attempt(store: Store, one: Call) -> Any:
    """Run ``one`` call now (a read, or one part of an edit); a refusal raises ``Refused``."""
    if not store.has_plan:
        raise Refused("no plan is open")
    try:
        return one(store)
    except ServiceError as exc:
        raise Refused(str(exc), getattr(exc, "field", None)) from None
    except PlanError as exc:
        raise Refused(str(exc)) from None


def edit(store: Store, text: str, steps: Step | Sequence[Step], notify: Notify = (), *,
         saved_message: bool = True) -> Any:
    """Run ``steps`` now and, if the services accept every call, push them as one undo step named
    ``text`` (a macro when there are several steps) and emit ``notify``. Returns what the last
    call answered. ``saved_message``: say "Saved: <text>" in the status bar.

    Raises ``Refused`` when a call is refused; what the edit had changed is put back first (the
    refused step's earlier calls through its ``rollback``, the steps before it through their
    undo, latest first) and ``notify`` tells everyone to re-read. If no step can be undone the
    edit is saved but nothing is pushed, and the status bar says so."""
    steps = [steps] if isinstance(steps, Step) else list(steps)
    done: list[tuple[Step, Any]] = []
    result = None
    for step in steps:
        for i, forward in enumerate(_calls(step.forward)):
            try:
                result = attempt(store, forward)
            except Refused:
                undo = list(step.rollback) if i else []
                for earlier, answer in reversed(done):
                    undo += earlier.undo_for(answer) or []
                _put_back(store, text, undo)
                if i or done:
                    emit_all(store, notify)
                raise
        done.append((step, result))
    if not done:
        return None
    undos = [step.undo_for(answer) for step, answer in done]
    if any(undo is None for undo in undos):
        emit_all(store, notify)
        if saved_message:
            store.message.emit(f"Saved: {text} (this cannot be undone)")
        return result
    commands = [
        EditCommand(store, text, step.replay(answer) if step.replay else step.forward, undo or [], notify,
                    backward_from=step.backward_from)
        for (step, answer), undo in zip(done, undos, strict=True)
    ]
    if len(commands) == 1:
        store.push(commands[0])
    else:
        store.undo_stack.beginMacro(text)
        for command in commands:
            # Each child announces on its own undo/redo: a few cheap reloads of one release.
            store.push(command)
        store.undo_stack.endMacro()
    emit_all(store, notify)
    if saved_message:
        store.message.emit(f"Saved: {text}")
    return result


def _put_back(store: Store, text: str, calls: list[Call]) -> None:
    for undo in calls:
        try:
            undo(store)
        except (ServiceError, PlanError) as exc:
            store.error.emit(f"could not put back part of “{text}”: {exc}")
