"""The one gateway between widgets and the services.

Widgets never talk to the database: they call the store, the store runs a service operation
(one short transaction), and announces what changed. What changed is never chosen by a widget:
the plan's context records the change set of every committed transaction
(``services.changeset``, derived from its audit events, rules included), and ``announce``
turns it into signals, in one place: ``changed(ChangeSet)`` for whoever wants the detail, and
the convenience signals below derived from it. A change made elsewhere (the ``relman``
command, another window) is found by polling the plan and announced the same way.

A refused action (``ServiceError``, ``PlanError``) becomes one line on ``error``; every edit
goes on the one undo stack as a command holding plain data, and is in the plan file at once.

Writing, from a view: ``store.edits.<method>(...)`` (``views.shell.edits``: one typed method per
edit, e.g. ``store.edits.add_task(key, fields)``, raising ``commands.Refused``), or the release
methods here (``update_release``, ``create_release``, ``delete_release``, ``transition``). A
view never builds ``Step``/``op`` nor calls a service write operation itself
(``tests/views/test_gateway.py`` enforces it); reads go through ``call`` or a service read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from relman_desktop.exports.plan_copy import save_copy
from relman_desktop.models.database import open_database
from relman_desktop.models.planfile import PLAN_SUFFIX, PlanError, default_plan_path
from relman_desktop.services import (
    changeset,
    lifecycle,
    live,
    locking,
    people,
    releases,
    tasks,
)
from relman_desktop.services.base import Ctx, ServiceError
from relman_desktop.services.changeset import ChangeSet, Kind

from .commands import Call, EditCommand, Step, edit, op
from .edits import Edits

_FAILED = object()
POLL_MS = 500  # how often the plan file is asked whether someone else wrote to it
MANY_RELEASES = 50  # past this many releases in one change set, views reload once instead


class Selection(QObject):
    """The one current release, shared by the releases list, calendar, graph, inspector,
    lifecycle bar and File > Export. Cleared when another plan opens or the release goes."""

    changed = Signal(str)  # the key, or "" for none

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._key: str | None = None

    @property
    def key(self) -> str | None:
        return self._key

    def set(self, key: str | None) -> None:
        key = key or None
        if key != self._key:
            self._key = key
            self.changed.emit(key or "")


class Store(QObject):
    plan_opened = Signal(str)  # the plan's path
    plan_failed = Signal(str)  # why a plan could not be opened (one line)
    plan_closed = Signal()
    changed = Signal(
        object
    )  # the ChangeSet of an edit, an undo, a redo, or a change made elsewhere
    outside_change = Signal(object)  # the ChangeSet of a write by another process (also on changed)
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
    cab_changed = Signal()  # CAB meetings and their agendas
    error = Signal(str)  # a refused action, one line
    message = Signal(str)  # a note for the status bar

    def __init__(self, ctx: Ctx | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(500)
        self.selection = Selection(self)
        # Every write a view makes, as typed methods (see views.shell.edits).
        self.edits = Edits(self)
        self.release_deleted.connect(
            lambda key: self.selection.set(None) if key == self.selection.key else None
        )
        self.release_renamed.connect(
            lambda old, new: self.selection.set(new) if old == self.selection.key else None
        )
        # Changes made elsewhere: the last audit event this window has announced, and SQLite's
        # data_version (which moves when another connection commits).
        self._seen_seq = 0
        self._own_seqs: set[int] = set()  # our own writes newer than _seen_seq: not "elsewhere"
        self._data_version: int | None = None
        # On a server plan its change sets arrive by LISTEN/NOTIFY instead (every window and
        # the CLI announce theirs), polled from the same timer.
        self._listener: live.Listener | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.check_outside_changes)
        if ctx is not None:
            self._start_watching()

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
        self._start_watching()
        self.plan_opened.emit(ctx.plan.location)
        self.refresh_all()

    def open_plan(
        self, path: str | Path | None, *, create: bool = False, password: str | None = None
    ) -> bool:
        """Open (or create) a plan, a file or a server URL (``password`` from a prompt, for this
        session only); on failure ``plan_failed`` carries the reason."""
        try:
            plan = open_database(path, create=create, password=password)
        except PlanError as exc:
            self.plan_failed.emit(str(exc))
            return False
        self.set_ctx(Ctx(plan))
        backup = getattr(plan, "backup_made", None)
        if backup:
            self.message.emit(
                f"The plan was upgraded; the old version is kept as {Path(backup).name}"
            )
        return True

    def close_plan(self, *, announce: bool = True) -> None:
        if self._ctx is not None:
            self._poll.stop()
            self._stop_listening()
            self._ctx.plan.close()
            self._ctx = None
            self.undo_stack.clear()
            self.selection.set(None)
            if announce:
                self.plan_closed.emit()

    def refresh_all(self) -> None:
        self.releases_changed.emit()

    # --- announcing what changed --------------------------------------------------------------

    def announce(self, changes: ChangeSet) -> None:
        """Tell every view what ``changes`` changed: ``changed`` with the whole set, then the
        convenience signals derived from it (the only place that maps kinds to signals)."""
        self._own_seqs |= {n for n in changes.seqs if n > self._seen_seq}
        self._say_notices()
        if not changes:
            return
        self.changed.emit(changes)
        everything = changes.whole_plan
        for old, new in changes.renamed:
            self.release_renamed.emit(old, new)
        created = changes.created(Kind.RELEASES)
        gone = changes.deleted(Kind.RELEASES) - {new for _old, new in changes.renamed}
        gone -= {old for old, _new in changes.renamed}
        # A change to many releases (an import, a shift of a long chain) is one reload of every
        # view, not a query per release: per-release signals then go to the current release only.
        bulk = everything or len(changes.releases() | created | gone) > MANY_RELEASES
        current = self.selection.key

        def each(keys: set[str]) -> list[str]:
            return sorted(k for k in keys if not bulk or k == current)

        if (
            bulk
            or created
            or gone
            or changes.renamed
            or changes.ids(Kind.PEOPLE) - changes.created(Kind.PEOPLE)
        ):
            self.releases_changed.emit()
        for key in each(created):
            self.release_created.emit(key)
        for key in each(gone):
            self.release_deleted.emit(key)
        dropped = gone | {old for old, _new in changes.renamed}
        per_release = (
            (Kind.TASKS, self.tasks_changed),
            (Kind.APPROVALS, self.approvals_changed),
            (Kind.EVIDENCE, self.evidence_changed),
        )
        for kind, signal in per_release:
            for key in each(changes.releases(kind) - dropped):
                signal.emit(key)
        if Kind.CHANGES in changes:
            self.changes_changed.emit("")
            for key in each(changes.releases(Kind.CHANGES) - dropped):
                self.changes_changed.emit(key)
                self.approvals_changed.emit(key)  # bundling a change can add its approvers
        for key in each(changes.releases() - dropped):
            self.release_changed.emit(key)  # its status line, hints, inspector and guards
        plan_wide = (
            (Kind.PEOPLE, self.people_changed),
            (Kind.CIS, self.cis_changed),
            (Kind.WINDOWS, self.calendar_changed),
            (Kind.WORKFLOW, self.workflow_changed),
            (Kind.TEMPLATES, self.templates_changed),
            (Kind.RULES, self.rules_changed),
            (Kind.CAB, self.cab_changed),
        )
        for kind, signal in plan_wide:
            if kind in changes:
                signal.emit()
        if not everything and Kind.BASELINES in changes:
            self.calendar_changed.emit()

    def run(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run a service operation that is not undoable (a demo, an import) and announce what it
        changed; a refused one emits ``error`` and returns ``Store.FAILED``."""
        try:
            outcome = changeset.run(self.ctx, fn, *args, **kwargs)
        except (ServiceError, PlanError) as exc:
            self.error.emit(str(exc))
            return _FAILED
        self.announce(outcome.changes)
        return outcome.result

    def edit(self, text: str, steps: Step | list[Step], *, saved_message: bool = True) -> Any:
        """Run an undoable edit now, push it as one undo step, announce it (see commands.edit);
        raises ``commands.Refused`` when the services refuse it."""
        return edit(self, text, steps, saved_message=saved_message)

    def broken_guards(self, keys: Iterable[str]) -> dict[str, str]:
        """Releases (of ``keys``) sitting in a state whose entry guards no longer hold."""
        keys = list(keys)
        if not keys or not self.has_plan:
            return {}
        try:
            return lifecycle.broken_entry_guards(self.ctx, keys)
        except (ServiceError, PlanError):
            return {}

    def refuse_step(self, command: EditCommand, forward: bool) -> None:
        """An undo (or redo) was refused and put back: move the stack's index back to match,
        once Qt has finished the step it is in, without running the command again."""
        if forward:
            command.skip_next_undo = True
            QTimer.singleShot(0, self.undo_stack.undo)
        else:
            command.skip_next_redo = True
            QTimer.singleShot(0, self.undo_stack.redo)

    # --- changes made elsewhere ---------------------------------------------------------------

    def _start_watching(self) -> None:
        try:
            self._seen_seq = changeset.last_seq(self.ctx)
            self._data_version = self.ctx.plan.data_version()
        except (ServiceError, PlanError):
            return
        try:
            # every change set, this process's too: another window here is "elsewhere" as
            # well; this window's own writes are skipped by their audit events (_own_seqs)
            self._listener = live.listener_for(self.ctx.plan, skip_own=False)
        except PlanError as exc:  # polling data_version still finds other people's writes
            self.message.emit(str(exc))
        self._poll.start()

    def _stop_listening(self) -> None:
        if self._listener is not None:
            listener, self._listener = self._listener, None
            listener.close()

    def check_outside_changes(self) -> ChangeSet | None:
        """Poll: if another connection committed to the plan since the last look, announce what
        its audit events say changed (and say so in the status bar). Cheap when nothing did."""
        if not self.has_plan:
            return None
        if self._listener is not None:
            return self._check_listener(self._listener)
        try:
            version = self.ctx.plan.data_version()
            if version == self._data_version:
                return None
            self._data_version = version
            found = changeset.changes_since(self.ctx, self._seen_seq)
        except (ServiceError, PlanError):
            return None
        return self._announce_outside(found)

    def _check_listener(self, listener: live.Listener) -> ChangeSet | None:
        """The change sets a server plan announced since the last look, as one."""
        try:
            received = listener.poll()
        except Exception as exc:  # noqa: BLE001 - a lost connection: back to polling the plan
            self._stop_listening()
            self.message.emit(f"Stopped listening for changes elsewhere ({exc}); polling instead")
            return None
        if not received:
            return None
        return self._announce_outside(ChangeSet.merge(received))

    def _announce_outside(self, found: ChangeSet) -> ChangeSet | None:
        changes = found.without(self._own_seqs)
        self._seen_seq = max(self._seen_seq, found.seq)
        self._own_seqs = {n for n in self._own_seqs if n > self._seen_seq}
        if not changes:
            return None
        # Said first: a view that finds an edit in progress clashing says so after, and stays.
        self.message.emit(f"Changed elsewhere: {changes.summary()}")
        self.announce(changes)
        self._own_seqs -= changes.seqs
        self.outside_change.emit(changes)
        return changes

    # --- calling services -------------------------------------------------------------------

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A read: ``fn(ctx, *args)``; a refused call emits ``error`` and returns ``Store.FAILED``.
        (A write goes through ``edit`` or ``run``, which announce what it changed.)"""
        try:
            return fn(self.ctx, *args, **kwargs)
        except (ServiceError, PlanError) as exc:
            self.error.emit(str(exc))
            return _FAILED
        finally:
            self._say_notices()

    FAILED = _FAILED

    def _say_notices(self) -> None:
        """A rule skipped during a write (``Ctx.notices``): said once, to whoever acted."""
        notices = getattr(self.ctx, "notices", None) if self.has_plan else None
        if notices:
            for notice in dict.fromkeys(notices):
                self.error.emit(notice[:1].upper() + notice[1:])
            notices.clear()

    def push(self, command: QUndoCommand) -> None:
        self.undo_stack.push(command)

    def _edit(
        self,
        text: str,
        steps: Step | list[Step],
        *,
        saved_message: bool = False,
        transition: bool = False,
    ) -> Any:
        """``edit`` that answers ``Store.FAILED`` (and emits ``error``) instead of raising."""
        from .commands import Refused

        try:
            return edit(self, text, steps, saved_message=saved_message, transition=transition)
        except Refused as exc:
            self.error.emit(str(exc))
            return _FAILED

    # --- reading ----------------------------------------------------------------------------

    def releases(self, *, first: int | None = None, keys: list[str] | None = None) -> list[Any]:
        """The list rows: all of them, the ``first`` n by key, or those of ``keys``."""
        if not self.has_plan:
            return []
        result = self.call(releases.list_releases, first=first, keys=keys)
        return [] if result is _FAILED else result

    def release_count(self) -> int:
        if not self.has_plan:
            return 0
        result = self.call(releases.count_releases)
        return 0 if result is _FAILED else int(result)

    def release(self, key: str) -> Any | None:
        if not self.has_plan:
            return None
        result = self.call(releases.get_release, key)
        return None if result is _FAILED else result

    def validate_release(self, fields: dict[str, Any], key: str | None = None) -> dict[str, str]:
        """What is wrong with these values, by field name, without saving anything."""
        try:
            return releases.validate_release_fields(self.ctx, fields, key)
        except (ServiceError, PlanError) as exc:
            return {getattr(exc, "field", None) or "": str(exc)}

    def people(self) -> list[Any]:
        if not self.has_plan:
            return []
        result = self.call(people.list_people)
        return [] if result is _FAILED else result

    def tasks(self, key: str) -> list[Any]:
        if not self.has_plan:
            return []
        result = self.call(tasks.list_tasks, key)
        return [] if result is _FAILED else result

    def available_transitions(self, key: str) -> list[tuple[str, str]]:
        """``(to_state, button label)`` for each state ``key`` may move to next."""
        result = self.call(lifecycle.available_transitions, key)
        if result is _FAILED:
            return []
        return [(item.to_state, item.label) for item in result]

    def can_transition(self, key: str, to_state: str) -> Any | None:
        result = self.call(lifecycle.can_transition, key, to_state)
        return None if result is _FAILED else result

    # --- editing (each edit undoable, saved at once) ---------------------------------------

    def update_release(
        self, key: str, fields: dict[str, Any], *, version: int | None = None
    ) -> bool:
        """Save some fields of a release as one undoable step; False (and ``error``) if refused.
        ``version``: the release's version as the form loaded it (``release_version``)."""
        from .commands import Refused

        try:
            self.save_release(key, fields, version=version)
        except Refused as exc:
            self.error.emit(str(exc))
            return False
        return True

    def save_release(self, key: str, fields: dict[str, Any], *, version: int | None = None) -> None:
        """``update_release`` for a form that shows the refusal itself: raises ``Refused``. With
        ``version``, a release changed since the form loaded it is refused with who changed it
        and when, and nothing is written (optimistic locking); undo and redo check nothing."""
        from .commands import Refused

        before = self.release(key)
        if before is None:
            raise Refused(f"no release {key} in this plan")
        old = {n: getattr(before, n) for n in fields}
        text = f"edit {', '.join(_field_label(n) for n in fields)} of {key}"

        def back(after: Any) -> Any:
            return op(releases.update_release, after.key, {n: old[n] for n in fields})

        edit(
            self,
            text,
            Step(
                op(releases.update_release, key, fields, version=version),
                backward_from=back,
                replay=lambda _after: op(releases.update_release, key, fields),
            ),
            saved_message=False,
        )
        self.message.emit(f"Saved {text}")

    def release_version(self, key: str) -> int | None:
        """The release's version now (what a form hands back with its save), None if unknown."""
        result = self.call(locking.version_of, "release", key)
        return None if result is _FAILED else int(result)

    def create_release(self, fields: dict[str, Any]) -> str | None:
        key = self._edit(
            "create release",
            Step(
                op(releases.create_release, dict(fields)),
                backward_from=lambda k: op(releases.delete_release, k),
            ),
        )
        if key is _FAILED:
            return None
        self.undo_stack.command(self.undo_stack.index() - 1).setText(f"create release {key}")
        return key

    def delete_release(self, key: str) -> bool:
        # Undo puts the whole release back from the snapshot the deletion returned (its state, tasks,
        # stages and decisions, evidence, review, links, dependencies, bundled changes); each redo
        # takes a fresh one. (Imported here: the importer is not needed to start the app.)
        from relman_desktop.importers import plan_json

        result = self._edit(
            f"delete release {key}",
            Step(
                op(releases.delete_release, key),
                backward_from=lambda snapshot: op(plan_json.restore_release, snapshot),
            ),
        )
        return result is not _FAILED

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
        """Move a release to another state (an override needs ``reason``), as one undoable step:
        undo puts it back in the state it came from and takes back what the rules did on the
        move (audited; refused, staying on the stack, when that changed since), redo moves it
        again (guards are asked again, rules act again)."""
        kwargs = {"reason": reason} if reason else {}

        def undo(moved: lifecycle.Moved) -> Call:  # rebuilt from each redo's move
            return op(
                lifecycle.undo_transition, key, moved.came_from, moved.held, events=moved.events
            )

        result = self._edit(
            f"move {key} to {to_state}",
            Step(op(lifecycle.move, key, to_state, **kwargs), backward_from=undo),
            transition=True,
        )
        if result is _FAILED:
            return False
        self.message.emit(f"{key} moved to {result.state}")
        return True

    # --- files ------------------------------------------------------------------------------

    def save_copy(self, dest: str | Path) -> Path | None:
        try:
            target = save_copy(self.ctx.plan, dest)
        except (PlanError, ServiceError) as exc:
            self.error.emit(str(exc))
            return None
        self.message.emit(f"Saved a copy as {target}")
        return target

    def back_up_now(self) -> Path | None:
        path = self.ctx.plan.path or default_plan_path().with_name(
            "".join(c if c.isalnum() else "-" for c in self.ctx.plan.display_name) + PLAN_SUFFIX
        )  # a server plan: its copy goes to the data folder
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        return self.save_copy(path.with_name(f"{path.stem}.backup-manual-{stamp}{path.suffix}"))


def _field_label(name: str) -> str:
    return releases.LABELS.get(name, name.replace("_", " ")).lower()
