"""Undoable edits: service operations run at once, and put on the store's one undo stack if
accepted.

An edit is one or more ``Step``s, each pairing forward operations with the operations that take
them back. ``edit()`` runs the steps now. When the services refuse one, what the edit had already
changed is put back and ``Refused`` is raised (with the service's ``field``, for a form to show
beside that field), so a refused edit never reaches the stack. Otherwise the steps go on the stack
as one undo step (one ``EditCommand``, or a macro of several) holding plain data: the service
operation itself (a function, checked by mypy and found by "go to definition", never a name
looked up at run time) with plain arguments. Nothing here touches the database directly.

No edit says which signals to emit: every operation is run while the plan's context records the
change set of each transaction it commits (``services.changeset``), and the store announces
exactly that, the same way for a first run, an undo, a redo and a change made elsewhere.

Qt calls redo() on push; that first redo is skipped, since the edit already ran. If a later
undo/redo is refused (the plan moved on underneath), the error is reported and the command made
obsolete, which drops it from the stack instead of leaving it half-applied.

Rows known by a database id (calendar windows, rules, transitions, links) come back with a new
id when a delete is undone. Calls therefore name such rows through a ``Ref`` shared by every
command about the same row; re-creating the row re-points the ``Ref``, so older commands on the
stack still reach it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from relman_desktop.models.planfile import PlanError
from relman_desktop.services.base import (
    ReadOnlyRelease,
    ServiceError,
    StaleVersion,
    UndoRefused,
)
from relman_desktop.services.changeset import ChangeSet

if TYPE_CHECKING:
    from .store import Store


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
    """``fn(ctx, *args, **kwargs)``, a service operation, with any ``Ref`` argument read at call
    time. ``rebinds``: a ``Ref`` that the call's result (a new id) re-points."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    rebinds: Ref | None = None
    result_id: Callable[[Any], int] | None = (
        None  # the id inside the result, when not the result itself
    )

    def __call__(self, store: Store) -> Any:
        result = self.fn(store.ctx, *_resolve(self.args), **_resolve(self.kwargs))
        if self.rebinds is not None:
            new_id = self.result_id(result) if self.result_id else result
            rebind(store, self.rebinds, int(new_id))
        return result


def op(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Call:
    """The service operation ``fn`` with its arguments (the plan's context comes first, later)."""
    return Call(fn, args, kwargs)


Calls = Call | list[Call]


def _calls(value: Calls | None) -> list[Call]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _recorded(store: Store, calls: list[Call]) -> tuple[Any, ChangeSet]:
    """Run ``calls`` in order; what the last answered, and what they all changed. A refusal
    raises after the transactions already committed are announced."""
    result = None
    with store.ctx.recording() as recorded:
        try:
            for one in calls:
                result = one(store)
        except BaseException:
            store.announce(ChangeSet.merge(recorded))
            raise
    return result, ChangeSet.merge(recorded)


# --- the command ------------------------------------------------------------------------------------


class EditCommand(QUndoCommand):
    """One undoable edit, pushed after its first application: redo runs ``forward``, undo runs
    ``backward``; the store then announces what they changed. ``backward_from(result)``, when
    given, rebuilds the undo from what each redo's last call answered (a fresh snapshot of the
    row it deleted).

    Undo respects the lifecycle: an undo that would leave a release in a state whose entry
    guards no longer hold (the review of a Closed release) is refused with one line saying why,
    and put back (see ``lifecycle.broken_entry_guards``). A ``transition`` command is exempt: its
    undo moves the release itself back, taking back what the rules did on the move, or is
    refused (``UndoRefused``) and stays on the stack when that changed since."""

    def __init__(
        self,
        store: Store,
        text: str,
        forward: Calls,
        backward: Calls,
        *,
        backward_from: Callable[[Any], Calls] | None = None,
        transition: bool = False,
    ) -> None:
        super().__init__(text)
        self.store = store
        self.forward = _calls(forward)
        self.backward = _calls(backward)
        self.backward_from = backward_from
        self.transition = transition
        self.releases: set[str] = set()  # the releases the edit touched, from its change set
        self.skip_next_redo = True  # Qt redoes on push; the edit already ran
        self.skip_next_undo = False

    def redo(self) -> None:
        if self.skip_next_redo:
            self.skip_next_redo = False
            return
        self._run(True)

    def undo(self) -> None:
        if self.skip_next_undo:
            self.skip_next_undo = False
            return
        self._run(False)

    def _run(self, forward: bool) -> None:
        verb = "Redo" if forward else "Undo"
        try:
            before = {} if self.transition else self.store.broken_guards(self.releases)
            result, changes = _recorded(self.store, self.forward if forward else self.backward)
        except (ReadOnlyRelease, UndoRefused) as exc:
            # Closed or Cancelled, or what a rule did on a move changed since: nothing was
            # written, and once that is put right the same step applies again, so it stays on
            # the stack where it was.
            self.store.error.emit(f"{verb} of “{self.text()}” was refused: {exc}")
            self.store.refuse_step(self, forward)
            return
        except (ServiceError, PlanError) as exc:
            self.store.error.emit(f"{verb} of “{self.text()}” was refused: {exc}")
            self.setObsolete(True)
            return
        if forward and self.backward_from is not None:
            self.backward = _calls(self.backward_from(result))
        self.releases |= changes.releases()
        broken = {} if self.transition else self.store.broken_guards(self.releases)
        newly = {k: v for k, v in broken.items() if k not in before}
        if newly:
            # Put it back as it was (the opposite direction), and say why in one line.
            try:
                answer, back = _recorded(self.store, self.backward if forward else self.forward)
                if not forward and self.backward_from is not None:
                    self.backward = _calls(self.backward_from(answer))
                changes = changes | back
            except (ServiceError, PlanError) as exc:
                self.store.error.emit(f"Could not put back “{self.text()}”: {exc}")
                self.setObsolete(True)
            key, why = next(iter(newly.items()))
            self.store.announce(changes)
            self.store.error.emit(
                f"{verb} of “{self.text()}” was refused: {key} {why}; "
                f"move {key} back through its lifecycle first"
            )
            if not self.isObsolete():
                self.store.refuse_step(self, forward)
            return
        self.store.announce(changes)
        # the status bar says what Ctrl+Z did (it still showed "… moved to On Hold" after the
        # move was undone)
        self.store.message.emit(f"{'Redone' if forward else 'Undone'}: {self.text()}")


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
    """A refused edit, carrying the service's message and the field it names (if any).
    ``stale``: refused because the record changed since the form loaded it (``StaleVersion``):
    the form keeps what was typed, to save again after a reload."""

    def __init__(self, message: str, field: str | None = None, *, stale: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.stale = stale


def attempt(store: Store, one: Call) -> Any:
    """Run ``one`` call now (a read, or one part of an edit); a refusal raises ``Refused``."""
    if not store.has_plan:
        raise Refused("no plan is open")
    try:
        return one(store)
    except ServiceError as exc:
        stale = isinstance(exc, StaleVersion)
        raise Refused(str(exc), getattr(exc, "field", None), stale=stale) from None
    except PlanError as exc:
        raise Refused(str(exc)) from None


def edit(
    store: Store,
    text: str,
    steps: Step | Sequence[Step],
    *,
    saved_message: bool = True,
    transition: bool = False,
) -> Any:
    """Run ``steps`` now and, if the services accept every call, push them as one undo step named
    ``text`` (a macro when there are several steps); the store announces what they changed.
    Returns what the last call answered. ``saved_message``: say "Saved: <text>" in the status
    bar. ``transition``: the edit moves a release through its lifecycle (see ``EditCommand``).

    Raises ``Refused`` when a call is refused; what the edit had changed is put back first (the
    refused step's earlier calls through its ``rollback``, the steps before it through their
    undo, latest first), and announced. If no step can be undone the edit is saved but nothing
    is pushed, and the status bar says so."""
    steps = [steps] if isinstance(steps, Step) else list(steps)
    done: list[tuple[Step, Any]] = []
    result = None
    if not store.has_plan:
        raise Refused("no plan is open")
    with store.ctx.recording() as recorded:
        for step in steps:
            for i, forward in enumerate(_calls(step.forward)):
                try:
                    result = attempt(store, forward)
                except Refused:
                    undo = list(step.rollback) if i else []
                    for earlier, answer in reversed(done):
                        undo += earlier.undo_for(answer) or []
                    _put_back(store, text, undo)
                    store.announce(ChangeSet.merge(recorded))
                    raise
            done.append((step, result))
    changes = ChangeSet.merge(recorded)
    if not done:
        return None
    if not changes:  # the services wrote nothing (the value was already so): no undo step
        return result
    undos = [step.undo_for(answer) for step, answer in done]
    if any(undo is None for undo in undos):
        store.announce(changes)
        if saved_message:
            store.message.emit(f"Saved: {text} (this cannot be undone)")
        return result
    commands = [
        EditCommand(
            store,
            text,
            step.replay(answer) if step.replay else step.forward,
            undo or [],
            backward_from=step.backward_from,
            transition=transition,
        )
        for (step, answer), undo in zip(done, undos, strict=True)
    ]
    for command in commands:
        command.releases = changes.releases()
    if len(commands) == 1:
        store.push(commands[0])
    else:
        store.undo_stack.beginMacro(text)
        for command in commands:
            store.push(command)
        store.undo_stack.endMacro()
    store.announce(changes)
    if saved_message:
        store.message.emit(f"Saved: {text}")
    return result


def _put_back(store: Store, text: str, calls: list[Call]) -> None:
    for undo in calls:
        try:
            undo(store)
        except (ServiceError, PlanError) as exc:
            store.error.emit(f"could not put back part of “{text}”: {exc}")
