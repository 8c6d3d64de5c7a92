"""The one gateway between widgets and the services.

Widgets never talk to the database: they call the store, the store calls a service inside one
short transaction, and announces what changed through signals that every view listens to.
A refused action (``ServiceError``, ``PlanError``) becomes one line on ``error``; every edit
goes on the one undo stack as a command holding plain data, and is in the plan file at once.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from relman_desktop.models.planfile import PlanError, open_plan, save_copy
from relman_desktop.services.base import Ctx, ServiceError

from .commands import Call, EditCommand, call

_FAILED = object()
RELEASES = "relman_desktop.services.releases"
PLAN_JSON = "relman_desktop.importers.plan_json"


def optional_service(name: str) -> Any | None:
    """A service module another engineer may not have landed yet: None while it is absent."""
    try:
        return importlib.import_module(f"relman_desktop.services.{name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.endswith(f"services.{name}"):
            return None
        raise


class Store(QObject):
    plan_opened = Signal(str)  # the plan's path
    plan_failed = Signal(str)  # why a plan could not be opened (one line)
    plan_closed = Signal()
    releases_changed = Signal()  # releases were added or removed: reload the list
    release_changed = Signal(str)  # one release's fields or status changed (its current key)
    release_renamed = Signal(str, str)  # old key, new key
    release_created = Signal(str)
    release_deleted = Signal(str)
    tasks_changed = Signal(str)  # release key
    changes_changed = Signal(str)  # release key, or "" for changes in no release
    approvals_changed = Signal(str)
    evidence_changed = Signal(str)  # tests, deployments, reviews of a release
    people_changed = Signal()
    cis_changed = Signal()
    calendar_changed = Signal()
    workflow_changed = Signal()
    templates_changed = Signal()  # release templates (Settings)
    rules_changed = Signal()  # when/if/then rules (Settings)
    error = Signal(str)  # a refused action, one line
    message = Signal(str)  # a note for the status bar

    def __init__(self, ctx: Ctx | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(500)

    # --- the plan ---------------------------------------------------------------------------

    @property
    def ctx(self) -> Ctx:
        if self._ctx is None:
            raise PlanError("no plan is open")
        return self._ctx

    @property
    def has_plan(self) -> bool:
        return self._ctx is not None

    @property
    def plan_path(self) -> Path | None:
        return self._ctx.plan.path if self._ctx is not None else None

    def set_ctx(self, ctx: Ctx) -> None:
        self.close_plan(announce=False)
        self._ctx = ctx
        self.plan_opened.emit(str(ctx.plan.path))
        self.refresh_all()

    def open_plan(self, path: str | Path | None, *, create: bool = False) -> bool:
        """Open (or create) a plan; on failure ``plan_failed`` carries the reason."""
        try:
            plan = open_plan(path, create=create)
        except PlanError as exc:
            self.plan_failed.emit(str(exc))
            return False
        self.set_ctx(Ctx(plan))
        backup = getattr(plan, "backup_made", None)
        if backup:
            self.message.emit(f"The plan was upgraded; the old version is kept as {Path(backup).name}")
        return True

    def close_plan(self, *, announce: bool = True) -> None:
        if self._ctx is not None:
            self._ctx.plan.close()
            self._ctx = None
            self.undo_stack.clear()
            if announce:
                self.plan_closed.emit()

    def refresh_all(self) -> None:
        self.releases_changed.emit()

    # --- calling services -------------------------------------------------------------------

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(ctx, *args)``; a refused call emits ``error`` and returns ``Store.FAILED``."""
        try:
            return fn(self.ctx, *args, **kwargs)
        except (ServiceError, PlanError) as exc:
            self.error.emit(str(exc))
            return _FAILED

    FAILED = _FAILED

    def push(self, command: QUndoCommand) -> None:
        self.undo_stack.push(command)

    def _record(self, command: EditCommand) -> None:
        """Push an edit that already ran, and announce it."""
        self.push(command)
        command.announce(True)

    # --- reading ----------------------------------------------------------------------------

    def releases(self) -> list[Any]:
        from relman_desktop.services import releases

        if not self.has_plan:
            return []
        result = self.call(releases.list_releases)
        return [] if result is _FAILED else result

    def release(self, key: str) -> Any | None:
        from relman_desktop.services import releases

        if not self.has_plan:
            return None
        result = self.call(releases.get_release, key)
        return None if result is _FAILED else result

    def validate_release(self, fields: dict[str, Any], key: str | None = None) -> dict[str, str]:
        """What is wrong with these values, by field name, without saving anything."""
        from relman_desktop.services import releases

        try:
            return releases.validate_release_fields(self.ctx, fields, key)
        except (ServiceError, PlanError) as exc:
            return {getattr(exc, "field", None) or "": str(exc)}

    def people(self) -> list[Any]:
        people = optional_service("people")
        if people is None or not self.has_plan:
            return []
        result = self.call(people.list_people)
        return [] if result is _FAILED else result

    def tasks(self, key: str) -> list[Any]:
        tasks = optional_service("tasks")
        if tasks is None or not self.has_plan:
            return []
        result = self.call(tasks.list_tasks, key)
        return [] if result is _FAILED else result

    def available_transitions(self, key: str) -> list[tuple[str, str]] | None:
        """``(to_state, button label)`` for each state ``key`` may move to next; None while the
        lifecycle service is absent."""
        lifecycle = optional_service("lifecycle")
        if lifecycle is None or not hasattr(lifecycle, "available_transitions"):
            return None
        result = self.call(lifecycle.available_transitions, key)
        if result is _FAILED:
            return []
        return [(_state_name(item), str(getattr(item, "label", None) or _state_name(item))) for item in result]

    def can_transition(self, key: str, to_state: str) -> Any | None:
        lifecycle = optional_service("lifecycle")
        if lifecycle is None:
            self.error.emit("the lifecycle service is not available in this build")
            return None
        result = self.call(lifecycle.can_transition, key, to_state)
        return None if result is _FAILED else result

    # --- editing (each edit undoable, saved at once) ---------------------------------------

    def update_release(self, key: str, fields: dict[str, Any]) -> bool:
        """Save some fields of a release as one undoable step; False (and ``error``) if refused."""
        from relman_desktop.services import releases

        before = self.release(key)
        if before is None:
            return False
        after = self.call(releases.update_release, key, fields)
        if after is _FAILED:
            return False
        old = {n: getattr(before, n) for n in fields}
        new = {n: getattr(after, n) for n in fields}
        changed = [n for n in fields if old[n] != new[n]]
        if not changed:
            return True
        old, new = {n: old[n] for n in changed}, {n: new[n] for n in changed}
        key_after = str(new.get("key", key))
        text = f"edit {', '.join(_field_label(n) for n in new)} of {key}"
        self._record(EditCommand(self, text, call(RELEASES, "update_release", key, new),
                                 call(RELEASES, "update_release", key_after, old), _changed(key, key_after),
                                 notify_back=_changed(key_after, key)))
        self.message.emit(f"Saved {text}")
        return True

    def create_release(self, fields: dict[str, Any]) -> str | None:
        from relman_desktop.services import releases

        key = self.call(releases.create_release, fields)
        if key is _FAILED:
            return None
        self._record(EditCommand(self, f"create release {key}", call(RELEASES, "create_release", dict(fields)),
                                 call(RELEASES, "delete_release", key),
                                 [("releases_changed", ()), ("release_created", (key,))],
                                 notify_back=[("releases_changed", ()), ("release_deleted", (key,))]))
        return key

    def delete_release(self, key: str) -> bool:
        from relman_desktop.services import releases

        snapshot = self.call(releases.delete_release, key)
        if snapshot is _FAILED:
            return False
        # Undo puts the whole release back from the snapshot the deletion returned (its state, tasks,
        # stages and decisions, evidence, review, links, dependencies, bundled changes); each redo
        # takes a fresh one.
        self._record(EditCommand(self, f"delete release {key}", call(RELEASES, "delete_release", key),
                                 _restore(snapshot), [("releases_changed", ()), ("release_deleted", (key,))],
                                 notify_back=[("releases_changed", ()), ("release_created", (key,))],
                                 backward_from=_restore))
        return True

    def next_release_key(self, year: int | None = None) -> str:
        """The first free ``REL-YYYY-NNN`` key (from the row cache the list already holds)."""
        year = year or dt.date.today().year
        prefix = f"REL-{year}-"
        used = {r.key for r in self.releases() if r.key.startswith(prefix)}
        n = 1
        while f"{prefix}{n:03d}" in used:
            n += 1
        return f"{prefix}{n:03d}"

    def transition(self, key: str, to_state: str, reason: str | None = None) -> bool:
        """Move a release to another state (an override needs ``reason``). Not undoable yet:
        lifecycle has no service to put a release back without guards."""
        lifecycle = optional_service("lifecycle")
        if lifecycle is None:
            self.error.emit("the lifecycle service is not available in this build")
            return False
        kwargs = {"reason": reason} if reason else {}
        result = self.call(lifecycle.transition, key, to_state, **kwargs)
        if result is _FAILED:
            return False
        self.release_changed.emit(key)
        self.message.emit(f"{key} moved to {to_state}")
        return True

    # --- files ------------------------------------------------------------------------------

    def save_copy(self, dest: str | Path) -> Path | None:
        try:
            target = save_copy(self.ctx.plan, dest)
        except PlanError as exc:
            self.error.emit(str(exc))
            return None
        self.message.emit(f"Saved a copy as {target}")
        return target

    def back_up_now(self) -> Path | None:
        path = self.ctx.plan.path
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        return self.save_copy(path.with_name(f"{path.stem}.backup-manual-{stamp}{path.suffix}"))


def _state_name(item: Any) -> str:
    """available_transitions may answer names, dicts or small objects: a state name either way."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for k in ("to_state", "to", "state", "name"):
            if item.get(k):
                return str(item[k])
    for k in ("to_state", "to", "state", "name"):
        value = getattr(item, k, None)
        if value:
            return str(value)
    return str(item)


def _changed(before: str, after: str) -> list[tuple[str, tuple[Any, ...]]]:
    """The signals for an edit of one release that took its key from ``before`` to ``after``."""
    renamed = [("release_renamed", (before, after))] if before != after else []
    return [*renamed, ("release_changed", (after,))]


def _restore(snapshot: dict[str, Any]) -> Call:
    return call(PLAN_JSON, "restore_release", snapshot)


def _field_label(name: str) -> str:
    from relman_desktop.services.releases import LABELS

    return LABELS.get(name, name.replace("_", " ")).lower()
