"""Live for everyone (team mode, issue 12): a server plan tells every open window what changed.

On a PostgreSQL plan every write that changed something sends, in its own transaction (so
only a committed change is ever announced),
``NOTIFY relman_changes, '<the change set as JSON>'``; a change set too big for PostgreSQL's
8000-byte payload is sent as a "reload everything" marker instead. A file plan sends nothing
(its windows watch the file's ``data_version``).

A ``Listener`` (plain psycopg, no Qt) receives them. The GUI's watcher calls ``poll()`` from
its timer; it never blocks, and returns the change sets received since the last call — the
same ``ChangeSet`` objects a local write records, so a change made in another window takes
the same path as one made here. A change set this process sent is skipped (the window that
made it has announced it already)::

    listener = Listener("host=db.example.com dbname=plan user=ana")
    for changes in listener.poll():  # [] when nothing arrived
        store.announce(changes)      # changes.whole_plan: re-read everything
    listener.close()
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from .changeset import Action, ChangeSet, Kind, Touch

CHANNEL = "relman_changes"
PAYLOAD_LIMIT = 8000  # bytes: PostgreSQL refuses a longer NOTIFY payload
FORMAT = 1


def origin() -> str:
    """Who sends: this process (a listener skips its own process's change sets, which that
    window announced when it made them). Asked each time: a forked process is another one."""
    return f"{socket.gethostname()}:{os.getpid()}"


def encode(changes: ChangeSet, sender: str | None = None) -> str:
    """The NOTIFY payload: the change set as compact JSON, or, when that would exceed the
    payload limit, a marker that says "reload everything" (with the last audit event)."""
    sender = sender or origin()
    body = {
        "v": FORMAT,
        "origin": sender,
        "seq": changes.seq,
        "touches": [
            [t.kind.value, t.entity, t.id, t.action.value, t.release_key, t.seq]
            for t in changes.touches
        ],
        "renamed": [list(pair) for pair in changes.renamed],
    }
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    if len(payload.encode("utf-8")) < PAYLOAD_LIMIT:
        return payload
    return json.dumps({"v": FORMAT, "origin": sender, "seq": changes.seq, "reload": True})


RELOAD = Touch(Kind.PLAN, "plan", "*", Action.UPDATED)


def decode(payload: str) -> tuple[str | None, ChangeSet]:
    """(origin, change set) from a payload; anything unreadable (another program on the
    channel, a newer format) is a change to the whole plan, so nothing is ever missed."""
    try:
        body = json.loads(payload)
        sender = body.get("origin")
        seq = int(body.get("seq") or 0)
        if body.get("v") != FORMAT or body.get("reload"):
            return sender, ChangeSet((RELOAD,), (), seq)
        touches = tuple(
            Touch(Kind(kind), entity, str(ident), Action(action), release_key, int(ev_seq))
            for kind, entity, ident, action, release_key, ev_seq in body["touches"]
        )
        renamed = tuple((str(old), str(new)) for old, new in body.get("renamed", ()))
        return sender, ChangeSet(touches, renamed, seq)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None, ChangeSet((RELOAD,), (), 0)


def publish(session: Session, changes: ChangeSet) -> None:
    """Announce a write's change set to every listener, inside the write's transaction
    (PostgreSQL delivers it at commit, and never for a rollback). Nothing on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": CHANNEL, "payload": encode(changes)},
    )


class Listener:
    """A connection that LISTENs to a server plan's change sets; ``poll()`` never blocks.

    ``conninfo`` is a libpq connection string or ``postgresql://`` URL (a SQLAlchemy URL's
    ``postgresql+psycopg://`` prefix is accepted too). ``skip_own``: drop the change sets this
    process sent (the window announced them when it made them)."""

    def __init__(
        self, conninfo: str, *, skip_own: bool = True, password: str | None = None
    ) -> None:
        import psycopg

        extra: dict[str, Any] = {"password": password} if password is not None else {}
        self._conn: Any = psycopg.connect(
            conninfo.replace("postgresql+psycopg://", "postgresql://", 1),
            autocommit=True,
            **extra,
        )
        self._conn.execute(f"LISTEN {CHANNEL}")
        self.skip_own = skip_own

    def poll(self) -> list[ChangeSet]:
        """The change sets received since the last call, oldest first ([] when none)."""
        received = []
        me = origin()
        for note in self._conn.notifies(timeout=0):
            sender, changes = decode(note.payload)
            if self.skip_own and sender == me:
                continue
            received.append(changes)
        return received

    def fileno(self) -> int:
        """The socket to watch (a QSocketNotifier) instead of polling on a timer."""
        return int(self._conn.fileno())

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def listener_for(plan: Any, *, skip_own: bool = True) -> Listener | None:
    """A ``Listener`` on ``plan`` when it is a server plan (None for a file, which announces
    nothing: its windows watch ``data_version``). A server that cannot be reached raises
    ``PlanError``, one line."""
    target = getattr(plan, "listen_target", None)
    if target is None:
        return None
    import psycopg

    from relman_desktop.models.planfile import PlanError

    url, password = target()
    try:
        return Listener(url, skip_own=skip_own, password=password)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PlanError(f"{plan.display_name}: cannot listen for changes ({first})") from exc
