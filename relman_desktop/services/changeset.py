"""What a write changed, derived in one place from the audit events its transaction recorded.

Every write is one ``Ctx.write()`` transaction that appends audit events (the operation's own
and those of the rules it fired). ``ChangeSet.from_events`` turns those events into a typed
summary: per entity kind, which ids were created, updated or deleted, and which releases each
concerned. The app's store announces exactly that; ``changes_since`` derives the same summary
from events written by another process (the ``relman`` command, another window), so a change
made elsewhere reaches the views through the same path.

``run(ctx, fn, ...)`` is how a caller gets both the result of an operation and its change set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import func, select

from relman_desktop.models.entities import AuditEvent

if TYPE_CHECKING:  # base derives change sets from this module: no import back at run time
    from .base import Ctx

T = TypeVar("T")


class Kind(StrEnum):
    """The kinds of thing a view shows, each announced on its own."""

    RELEASES = "releases"
    DEPENDENCIES = "dependencies"  # release → release dependencies
    TASKS = "tasks"
    CHANGES = "changes"
    APPROVALS = "approvals"
    EVIDENCE = "evidence"  # test runs, deployments, reviews, linked records
    WINDOWS = "windows"
    PEOPLE = "people"
    CIS = "cis"
    WORKFLOW = "workflow"
    TEMPLATES = "templates"
    RULES = "rules"
    CAB = "cab"
    BASELINES = "baselines"
    PLAN = "plan"  # the plan as a whole (an import, a demo): everything may have changed


class Action(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


# The audit trail's entity names, by the kind of thing they are. An entity not named here is
# announced as a change to the whole plan, so a new kind of row is never silently missed.
ENTITY_KINDS: Mapping[str, Kind] = {
    "release": Kind.RELEASES,
    "release_dependency": Kind.DEPENDENCIES,
    "task": Kind.TASKS,
    "task_dependency": Kind.TASKS,
    "change": Kind.CHANGES,
    "approval": Kind.APPROVALS,
    "approval_stage": Kind.APPROVALS,
    "test_run": Kind.EVIDENCE,
    "deployment": Kind.EVIDENCE,
    "review": Kind.EVIDENCE,
    "linked_record": Kind.EVIDENCE,
    "calendar_window": Kind.WINDOWS,
    "person": Kind.PEOPLE,
    "ci": Kind.CIS,
    "workflow": Kind.WORKFLOW,
    "workflow_state": Kind.WORKFLOW,
    "workflow_transition": Kind.WORKFLOW,
    "template": Kind.TEMPLATES,
    "rule": Kind.RULES,
    "cab_meeting": Kind.CAB,
    "cab_item": Kind.CAB,
    "baseline": Kind.BASELINES,
    "plan": Kind.PLAN,
}

_CREATE = {"create", "import", "restore"}
_DELETE = {"delete"}
# Audit actions that record a decision about a row without changing it.
_NO_CHANGE = {"fired"}


@dataclass(frozen=True)
class Touch:
    """One row one write created, updated or deleted (``release_key``: the release it concerns)."""

    kind: Kind
    entity: str
    id: str
    action: Action
    release_key: str | None = None
    seq: int = 0  # the audit event it comes from


@dataclass(frozen=True)
class ChangeSet:
    """What one or more writes changed. ``seq``: the last audit event it covers (0: none);
    ``renamed``: releases whose key changed, as (old key, new key)."""

    touches: tuple[Touch, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    seq: int = 0
    _index: dict[Kind, list[Touch]] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )

    def __post_init__(self) -> None:
        for t in self.touches:
            self._index.setdefault(t.kind, []).append(t)

    # --- building ------------------------------------------------------------------------------

    @classmethod
    def from_events(cls, events: Iterable[Any]) -> ChangeSet:
        """From audit events (``AuditEvent`` rows, or anything with their fields)."""
        touches: list[Touch] = []
        renamed: list[tuple[str, str]] = []
        seq = 0
        for ev in events:
            ev_seq = int(getattr(ev, "seq", 0) or 0)
            seq = max(seq, ev_seq)
            if ev.action in _NO_CHANGE:
                continue
            kind = ENTITY_KINDS.get(ev.entity, Kind.PLAN)
            action = (
                Action.CREATED
                if ev.action in _CREATE
                else Action.DELETED
                if ev.action in _DELETE
                else Action.UPDATED
            )
            release_key = ev.release_key
            if ev.entity == "release":
                old = (ev.before or {}).get("key")
                new = (ev.after or {}).get("key")
                if ev.action == "update" and old and new and old != new:
                    renamed.append((str(old), str(new)))
                    release_key = str(new)
                    touches.append(
                        Touch(kind, ev.entity, str(old), Action.DELETED, str(old), ev_seq)
                    )
                release_key = release_key or ev.entity_id
            touches.append(Touch(kind, ev.entity, str(ev.entity_id), action, release_key, ev_seq))
        return cls(tuple(touches), tuple(renamed), seq)

    @classmethod
    def merge(cls, sets: Iterable[ChangeSet]) -> ChangeSet:
        touches: list[Touch] = []
        renamed: list[tuple[str, str]] = []
        seq = 0
        for one in sets:
            touches += one.touches
            renamed += one.renamed
            seq = max(seq, one.seq)
        return cls(tuple(touches), tuple(renamed), seq)

    def __or__(self, other: ChangeSet) -> ChangeSet:
        return ChangeSet.merge((self, other))

    @property
    def seqs(self) -> set[int]:
        """The audit events this set covers."""
        return {t.seq for t in self.touches}

    def without(self, seqs: set[int]) -> ChangeSet:
        """This set less what the audit events ``seqs`` did (writes already announced)."""
        keep = tuple(t for t in self.touches if t.seq not in seqs)
        names = {(t.id, t.release_key) for t in keep if t.kind is Kind.RELEASES}
        renamed = tuple((old, new) for old, new in self.renamed if (old, old) in names)
        return ChangeSet(keep, renamed, self.seq)

    # --- reading -------------------------------------------------------------------------------

    def __bool__(self) -> bool:
        return bool(self.touches)

    @property
    def kinds(self) -> set[Kind]:
        return set(self._index)

    def __contains__(self, kind: object) -> bool:
        return kind in self._index or (kind is not Kind.PLAN and Kind.PLAN in self._index)

    def ids(self, kind: Kind, action: Action | None = None) -> set[str]:
        """The ids of ``kind`` rows changed (only those ``action`` names, when given)."""
        return {t.id for t in self._index.get(kind, ()) if action is None or t.action is action}

    def created(self, kind: Kind) -> set[str]:
        return self.ids(kind, Action.CREATED)

    def updated(self, kind: Kind) -> set[str]:
        return self.ids(kind, Action.UPDATED)

    def deleted(self, kind: Kind) -> set[str]:
        return self.ids(kind, Action.DELETED)

    def releases(self, kind: Kind | None = None) -> set[str]:
        """Keys of the releases whose ``kind`` rows changed (any kind when None)."""
        rows = self.touches if kind is None else self._index.get(kind, ())
        return {t.release_key for t in rows if t.release_key}

    @property
    def whole_plan(self) -> bool:
        """A change that may touch anything (an import): every view re-reads."""
        return Kind.PLAN in self._index

    def summary(self) -> str:
        """One line for a status bar: "2 tasks, 1 release changed"."""
        counts = []
        for kind in Kind:
            n = len({(t.entity, t.id) for t in self._index.get(kind, ())})
            if n:
                counts.append(f"{n} {kind.value if n != 1 else kind.value.rstrip('s')}")
        return ", ".join(counts) + " changed" if counts else "nothing changed"


EMPTY = ChangeSet()


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What an operation answered, and what it changed."""

    result: T
    changes: ChangeSet


def run(ctx: Ctx, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Outcome[T]:
    """``fn(ctx, *args, **kwargs)`` and the change set of every transaction it committed
    (rules included). A refused operation raises, as ``fn`` does, and changed nothing."""
    with ctx.recording() as recorded:
        result = fn(ctx, *args, **kwargs)
    return Outcome(result, ChangeSet.merge(recorded))


def last_seq(ctx: Ctx) -> int:
    """The newest audit event's number (0 for a plan with none)."""
    with ctx.read() as s:
        return int(s.execute(select(func.max(AuditEvent.seq))).scalar_one() or 0)


def changes_since(ctx: Ctx, seq: int) -> ChangeSet:
    """What every write after audit event ``seq`` changed (by anyone), as one change set."""
    with ctx.read() as s:
        rows = s.execute(
            select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq)
        ).scalars()
        return ChangeSet.from_events(rows)
