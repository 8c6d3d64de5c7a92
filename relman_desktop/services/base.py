"""What every service shares: the context of a user action, its transaction, its errors and
the audit trail that every write extends.

A service function takes a ``Ctx`` (the open plan and who is acting), does one short
transaction, and returns plain data (dataclasses, dicts, ids) — never live ORM objects.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from relman_desktop.models.database import Database, integrity_problem
from relman_desktop.models.entities import AuditEvent, PlanMeta
from relman_desktop.models.planfile import PlanError

from .errors import ServiceError

GENESIS_HASH = "0" * 64

_F = TypeVar("_F", bound=Callable[..., Any])
_WRITES = "__relman_writes__"


def operation(fn: _F) -> _F:
    """Mark ``fn`` as a write operation: it changes the plan (in one transaction, audited).

    The mark changes nothing at run time; it is how the layering is checked. Views never call a
    write operation, nor build an undo step, themselves: they call the store
    (``views.shell.edits``), and ``tests/views/test_gateway.py`` fails on a view module that
    references a function marked here."""
    setattr(fn, _WRITES, True)
    return fn


def is_operation(obj: object) -> bool:
    """Whether ``obj`` is a service write operation (see ``operation``)."""
    return bool(getattr(obj, _WRITES, False))


class NotFound(ServiceError):
    pass


class ValidationError(ServiceError):
    """Bad input. ``field`` names what is wrong (a form field, or a JSON path)."""

    def __init__(
        self, message: str, field: str | None = None, problems: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.problems = problems or [message]


class CycleError(ValidationError):
    """A dependency that would close a loop; ``loop`` lists it, first node repeated last."""

    def __init__(self, loop: list[str], what: str = "dependency") -> None:
        self.loop = loop
        super().__init__(f"that {what} would close a loop: {' → '.join(loop)}")


class GuardRefused(ServiceError):
    """A transition refused: ``unmet`` holds each unmet guard (see lifecycle.GuardResult)."""

    def __init__(self, message: str, unmet: list[Any]) -> None:
        super().__init__(message)
        self.unmet = unmet


class ReadOnlyRelease(ServiceError):
    """A write to a release whose state's role is closed or cancelled: one line naming it."""


class UndoRefused(ServiceError):
    """An undo the plan has moved on from (a stage a rule added has been decided on since): one
    line naming what changed and by whom; nothing was written, so the same undo applies once
    that is taken back."""


class StaleVersion(ServiceError):
    """The record changed since the person loaded it (see ``locking``): reload and try again."""


class ConcurrentEdit(StaleVersion):
    """Two writers updated the same row at once (a server plan); the later one is refused."""


__all__ = [
    "ConcurrentEdit",
    "Ctx",
    "CycleError",
    "GuardRefused",
    "NotFound",
    "PlanError",
    "ReadOnlyRelease",
    "ServiceError",
    "StaleVersion",
    "Tx",
    "UndoRefused",
    "ValidationError",
    "jsonable",
]


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers; the audit still needs someone
        return "unknown"


@dataclass
class Ctx:
    """Who acts on which plan. ``clock`` is injectable so tests and demo data control time."""

    plan: Database
    actor: str = field(default_factory=default_actor)
    clock: Any = None
    run_rules: bool = True
    notices: list[str] = field(default_factory=list)  # from finished writes, for the person acting
    # Open ``recording()`` blocks of each thread: each write committed in that thread adds its
    # change set to every one (a background export's writes are not the GUI's edit's).
    _threads: threading.local = field(default_factory=threading.local, repr=False, compare=False)

    @property
    def _recorders(self) -> list[list[Any]]:
        stack = getattr(self._threads, "recorders", None)
        if stack is None:
            stack = self._threads.recorders = []
        return stack

    def now(self) -> dt.datetime:
        if self.clock is not None:
            return self.clock()
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().date()

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self.plan.read() as s:
            yield s

    def identity(self) -> Any:
        """Who is signed in on this plan and what they may do (``permissions.Identity``)."""
        from .permissions import identify

        with self.read() as s:
            return identify(s, self.actor)

    @contextlib.contextmanager
    def write(self, need: Any = None) -> Iterator[Tx]:
        """One user action: its changes and their audit events land together, or not at all.
        A person who may not change the plan (or do ``need``, a ``permissions.Capability``)
        is refused before anything is written."""
        from .permissions import Capability, identify, require

        try:
            with self.plan.write() as s:
                identity = identify(s, self.actor)
                require(identity, need or Capability.WRITE)
                require(identity, Capability.WRITE)
                tx = Tx(s, self, identity)
                yield tx
                tx.finish()
        except IntegrityError as exc:
            raise ValidationError(describe_integrity_error(exc)) from exc
        except StaleDataError as exc:  # another writer updated the same row first
            raise ConcurrentEdit(
                "a record you changed was changed by someone else at the same moment; "
                "reload and try again (nothing was saved)"
            ) from exc
        if tx.changes is not None:  # committed: tell whoever records what changed
            for recorder in self._recorders:
                recorder.append(tx.changes)

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Any]]:
        """Collect the change set (``changeset.ChangeSet``) of every write committed inside."""
        recorded: list[Any] = []
        self._recorders.append(recorded)
        try:
            yield recorded
        finally:
            self._recorders.remove(recorded)


def describe_integrity_error(exc: IntegrityError) -> str:
    """A constraint the services did not check first: still a clear line, naming the rule."""
    kind, detail = integrity_problem(exc)
    if kind == "unique":
        return f"that would duplicate an existing value ({detail})"
    if kind == "foreign_key":
        return "that refers to something that does not exist (or is still in use)"
    if kind == "check":
        return f"that breaks the rule {detail}"
    if kind == "not_null":
        return f"a required value is missing ({detail})"
    return f"the plan refused the change: {detail}"


def jsonable(value: Any) -> Any:
    """Plain JSON values for audit payloads and --json output (dates as ISO 8601)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


@dataclass
class _Pending:
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    release_key: str | None
    seq: int = 0


# Audit actions that may touch a read-only (closed, cancelled) release: moving it through the
# workflow (reopening it included) and putting a state back. Creating, importing, restoring or deleting
# the release itself is allowed too; anything else in it is refused.
LIFECYCLE_ACTIONS = frozenset({"transition", "restore_status", "override"})
RELEASE_ACTIONS = frozenset({"create", "import", "restore", "delete"})


class Tx:
    """An open write: the session, plus the audit events to append when it finishes.

    Every write to a release is audited with its ``release_key``; that is where a write to a
    Closed or Cancelled release (by its state's role) is refused, in one place for every
    service. A release moved through the workflow in this transaction (and what the rules
    did because of the move) is not refused: the move is what reopens or closes it."""

    def __init__(self, session: Session, ctx: Ctx, identity: Any = None) -> None:
        self.session = session
        self.ctx = ctx
        self.identity = identity  # permissions.Identity: who writes (None: not checked)
        self._events: list[_Pending] = []
        self.rule_events: list[tuple[str, int]] = []
        self.notices: list[str] = []  # what the person acting should hear (a rule skipped)
        self.changes: Any = None  # the ChangeSet, once finished
        self._writable: set[str] = set()  # release keys checked, or moved, in this transaction

    @property
    def actor(self) -> str:
        """Who the audit trail records for this write (the signed-in person's email)."""
        return self.identity.actor if self.identity is not None else self.ctx.actor

    def audit(
        self,
        entity: str,
        entity_id: Any,
        action: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        release_key: str | None = None,
    ) -> None:
        if self.identity is not None:
            from .permissions import check_event

            check_event(self.identity, entity, action)
        if release_key is not None and release_key not in self._writable:
            if action in LIFECYCLE_ACTIONS or (entity == "release" and action in RELEASE_ACTIONS):
                if action != "override":
                    self._writable.add(release_key)
            else:
                refuse_if_read_only(self.session, release_key)
                self._writable.add(release_key)
        self._events.append(
            _Pending(entity, str(entity_id), action, jsonable(before), jsonable(after), release_key)
        )

    def finish(self) -> None:
        if self.rule_events:  # a service raised rule events and did not run them: a bug
            raise RuntimeError(
                f"rule events {self.rule_events} were raised but not run (rules.run_pending)"
            )
        self.session.flush()
        from .changeset import ChangeSet  # derived from the events, here and nowhere else

        if self._events:
            append_events(self.session, self._events, actor=self.actor, at=self.ctx.now())
        self.changes = ChangeSet.from_events(self._events)
        if self.changes:  # a server plan tells every other window, in this transaction
            from .live import publish

            publish(self.session, self.changes)
        self._events = []
        self.ctx.notices.extend(self.notices)


def event_hash(prev_hash: str, content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def event_content(ev: AuditEvent | dict[str, Any]) -> dict[str, Any]:
    get = ev.get if isinstance(ev, dict) else lambda k: getattr(ev, k)
    at = get("at")
    return {
        "seq": get("seq"),
        "at": jsonable(at),
        "actor": get("actor"),
        "entity": get("entity"),
        "entity_id": get("entity_id"),
        "release_key": get("release_key"),
        "action": get("action"),
        "before": get("before"),
        "after": get("after"),
    }


# pg_advisory_xact_lock key of the audit chain's head (any constant; "relm" in ASCII).
CHAIN_LOCK_KEY = 0x72656C6D


def lock_chain_head(session: Session) -> None:
    """Make this transaction the only one extending the audit chain until it commits, so the
    chain stays single with many writers. A server plan takes a transaction-scoped advisory
    lock (released by the commit or rollback); a SQLite writer already holds the whole file
    (BEGIN IMMEDIATE), so there it is nothing to do."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def append_events(session: Session, events: list[_Pending], *, actor: str, at: dt.datetime) -> None:
    """Extend the chain, holding its head (``lock_chain_head``) so no other writer interleaves."""
    lock_chain_head(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS_HASH)
    at = at.replace(microsecond=(at.microsecond // 1000) * 1000)  # what every database keeps
    rows = []
    for ev in events:
        seq += 1
        ev.seq = seq
        row = {
            "seq": seq,
            "at": at,
            "actor": actor,
            "entity": ev.entity,
            "entity_id": ev.entity_id,
            "release_key": ev.release_key,
            "action": ev.action,
            "before": ev.before,
            "after": ev.after,
        }
        row["prev_hash"] = prev
        row["hash"] = prev = event_hash(prev, event_content(row))
        rows.append(row)
    from sqlalchemy import insert

    session.execute(insert(AuditEvent), rows)
    head = session.get(PlanMeta, "audit_head")
    value = f"{seq}:{prev}"
    if head is None:
        session.add(PlanMeta(key="audit_head", value=value))
    else:
        head.value = value


def count(session: Session, stmt: Any) -> int:
    return int(session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())


def release_by_key(session: Session, key: str) -> Any:
    """The release with this key, or NotFound naming it."""
    from relman_desktop.models.entities import Release

    rel = session.execute(select(Release).where(Release.key == key)).scalar_one_or_none()
    if rel is None:
        raise NotFound(f"no release {key!r} in this plan")
    return rel


def refuse_if_read_only(session: Session, key: str) -> None:
    """ReadOnlyRelease if release ``key`` is in a state whose role is closed or cancelled."""
    from relman_desktop.models.entities import Release, WorkflowState
    from relman_desktop.models.enums import READ_ONLY_ROLES

    row = session.execute(
        select(WorkflowState.name, WorkflowState.role)
        .join(Release, Release.status_id == WorkflowState.id)
        .where(Release.key == key)
    ).first()
    if row is not None and row.role in READ_ONLY_ROLES:
        raise ReadOnlyRelease(
            f"{key} is {row.name}: reopen it through a workflow transition to edit it"
        )


def person_by_email(session: Session, email: str, *, field: str | None = None) -> Any:
    from relman_desktop.models.entities import Person

    person = session.execute(select(Person).where(Person.email == email)).scalar_one_or_none()
    if person is None:
        raise ValidationError(f"unknown person {email!r}", field=field)
    return person


def state_by_name(session: Session, name: str) -> Any:
    from relman_desktop.models.entities import WorkflowState

    state = session.execute(
        select(WorkflowState).where(WorkflowState.name == name)
    ).scalar_one_or_none()
    if state is None:
        names = ", ".join(
            session.execute(select(WorkflowState.name).order_by(WorkflowState.position)).scalars()
        )
        raise ValidationError(f"no workflow state {name!r} (states: {names})")
    return state


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around a plan-wide read that builds many small
    objects and no reference cycles (the conflict index of 10,000 releases): its repeated
    young-generation sweeps cost as much as the work itself. Reference counting still frees
    everything; the collector resumes, as it was, afterwards."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
