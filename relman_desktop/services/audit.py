"""The audit trail: read a release's history, and verify that nobody edited the chain."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, select, text, type_coerce
from sqlalchemy.exc import OperationalError

from relman_desktop.models.entities import AuditEvent, PlanMeta

from .base import GENESIS_HASH, Ctx, ServiceError, event_content, event_hash


@dataclass
class AuditRow:
    seq: int
    at: dt.datetime | None  # None: the stored time cannot be read
    actor: str
    entity: str
    entity_id: str
    release_key: str | None
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    damaged: str | None = None  # why the stored event cannot be read whole (edited by hand)

    @property
    def summary(self) -> str:
        """One readable line: who did what to which thing."""
        if self.damaged:
            return (
                f"{self.actor}: {self.action} {self.entity.replace('_', ' ')} {self.entity_id} "
                f"[damaged: {self.damaged}; see relman audit verify]"
            )
        changed = sorted(set((self.before or {}).keys()) | set((self.after or {}).keys()))
        what = f"{self.entity.replace('_', ' ')} {self.entity_id}"
        if self.action == "update" and changed:
            parts = [
                f"{k}: {_short((self.before or {}).get(k))} → {_short((self.after or {}).get(k))}"
                for k in changed
            ]
            return f"{self.actor} changed {what} ({'; '.join(parts)})"
        if self.action == "transition" and self.after:
            return f"{self.actor} moved {what} to {self.after.get('status')}"
        return f"{self.actor}: {self.action} {what}"


def _short(value: Any) -> str:
    text = "—" if value in (None, "", []) else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


@dataclass
class VerifyResult:
    ok: bool
    events: int
    problems: list[str] = field(default_factory=list)
    anchored_at: int | None = None  # the event whose hash matched ``against``


def history(ctx: Ctx, release_key: str | None = None, limit: int | None = None) -> list[AuditRow]:
    """Newest first; a release's own events when a key is given. An event a person garbled by
    hand (bad JSON, a bad time, a NULL) is listed with what can be read and says it is damaged,
    rather than stopping the whole list (``verify`` says what is wrong with it)."""
    stmt = _raw_select().order_by(AuditEvent.seq.desc())
    if release_key is not None:
        stmt = stmt.where(AuditEvent.release_key == release_key)
    if limit:
        stmt = stmt.limit(limit)
    with ctx.read() as s:
        return [_row(r) for r in s.execute(stmt)]


def _row(raw: Any) -> AuditRow:
    seq, at, actor, entity, entity_id, release_key, action, before, after = raw[:9]
    damage = []
    if not _is_int(seq):
        damage.append(f"its number {_show(seq)} is not a number")
    when, bad_time = _time(at)
    if bad_time:
        damage.append(bad_time)
    data: dict[str, dict[str, Any] | None] = {}
    for name, stored in (("before", before), ("after", after)):
        value, bad = _json(name, stored)
        if bad is None and value is not None and not isinstance(value, dict):
            bad = f"its {name!r} data is not an object"
        if bad:
            damage.append(bad)
        data[name] = value if isinstance(value, dict) else None
    texts = [x if isinstance(x, str) else None for x in (actor, entity, entity_id, action)]
    if None in texts:
        damage.append("a column holds no text")
    return AuditRow(
        seq if _is_int(seq) else 0,
        when,
        texts[0] or "?",
        texts[1] or "?",
        texts[2] or "?",
        release_key if isinstance(release_key, str) else None,
        texts[3] or "?",
        data["before"],
        data["after"],
        damaged="; ".join(damage) or None,
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _show(value: Any) -> str:
    return repr(value)[:40]


def _time(at: Any) -> tuple[dt.datetime | None, str | None]:
    """A stored time (UTC, without a zone); one written with a zone is moved to UTC, so an
    edited offset changes the event's content (and its hash). A server's driver hands back
    the time itself rather than its text."""
    if isinstance(at, dt.datetime):
        at = at.isoformat()
    if not isinstance(at, str):
        return None, f"its time {_show(at)} is not a time"
    try:
        when = dt.datetime.fromisoformat(at)
    except ValueError:
        return None, f"its time {at[:40]!r} is not a time"
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return when.replace(tzinfo=dt.UTC), None


def _json(name: str, stored: Any) -> tuple[Any, str | None]:
    if stored is None:
        return None, None
    if isinstance(stored, (dict, list)):  # a server's driver decodes JSON itself
        return stored, None
    if isinstance(stored, (int, float)) and not isinstance(stored, bool):
        stored = str(stored)  # SQLite's JSON affinity keeps a bare number as a number
    try:
        return json.loads(stored), None
    except (ValueError, TypeError, RecursionError):
        return None, f"its {name!r} data is not valid JSON"


@dataclass(frozen=True)
class AuditHead:
    """The trail's last event: ``seq`` and ``hash`` (the genesis hash for an empty trail).
    Kept outside the plan (a ticket, an e-mail, an exported document), it anchors the history:
    ``verify(ctx, against=hash)`` later proves every event up to it is unchanged."""

    seq: int
    hash: str

    @property
    def text(self) -> str:
        return f"{self.seq}:{self.hash}"


# Tables filled only through audited actions: rows here and no event at all means the trail
# was wiped (a new plan's default workflow is installed without events, so it is not listed).
_AUDITED_TABLES = (
    "releases",
    "changes",
    "people",
    "configuration_items",
    "calendar_windows",
    "cab_meetings",
)


def head(ctx: Ctx) -> AuditHead:
    """The last event of the trail as the plan records it."""
    with ctx.read() as s:
        last = s.execute(
            select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
    if last is None:
        return AuditHead(0, GENESIS_HASH)
    if not _is_int(last[0]) or not isinstance(last[1], str):
        raise ServiceError(
            f"the audit trail's last event is damaged (number {_show(last[0])}, hash "
            f"{_show(last[1])}): it has no head to record; run relman audit verify"
        )
    return AuditHead(last[0], last[1])


def _raw_select() -> Any:
    """The events as stored, without the ORM's conversions: a row a person edited by hand
    (bad JSON, a bad time, a NULL, a number where text belongs) is reported, not a crash."""
    cols = [
        AuditEvent.seq,
        AuditEvent.at,
        AuditEvent.actor,
        AuditEvent.entity,
        AuditEvent.entity_id,
        AuditEvent.release_key,
        AuditEvent.action,
        AuditEvent.before,
        AuditEvent.after,
        AuditEvent.prev_hash,
        AuditEvent.hash,
    ]
    return select(
        *[type_coerce(c, String) if c.key in ("at", "before", "after") else c for c in cols]
    )


def _raw_events(s: Any) -> Any:
    return s.execute(_raw_select().order_by(AuditEvent.seq)).yield_per(2000)


def _decode(row: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The event's content for hashing, or the reason it cannot be read."""
    seq, at, actor, entity, entity_id, release_key, action, before, after = row[:9]
    if not _is_int(seq):
        return None, f"its number {_show(seq)} is not a number"
    when, bad = _time(at)
    if bad:
        return None, bad
    payload = {}
    for name, stored in (("before", before), ("after", after)):
        payload[name], bad = _json(name, stored)
        if bad:
            return None, bad
    for name, value in (
        ("actor", actor),
        ("entity", entity),
        ("entity_id", entity_id),
        ("release_key", release_key),
        ("action", action),
    ):
        if isinstance(value, bytes):
            return None, f"its {name} is binary data, not text"
    for name, value in (("prev_hash", row[9]), ("hash", row[10])):
        if not isinstance(value, str):
            return None, f"its {name} {_show(value)} is not a hash"
    ev = {
        "seq": seq,
        "at": when,
        "actor": actor,
        "entity": entity,
        "entity_id": entity_id,
        "release_key": release_key,
        "action": action,
        **payload,
    }
    return event_content(ev), None


def verify(ctx: Ctx, against: str | None = None) -> VerifyResult:
    """Recompute the chain: an edited, deleted, inserted or reordered event breaks it, and so
    does a wiped trail (a plan with releases, changes or people but no events at all).

    ``against`` is a head hash recorded earlier outside the plan (``relman audit head``): the
    trail must still hold an event whose *recomputed* hash is that one, which proves every
    event up to it is unchanged — even if someone rebuilt the chain's hashes after editing,
    deleting or truncating events.
    """
    problems: list[str] = []
    prev = GENESIS_HASH
    recomputed = GENESIS_HASH
    expected_seq = 1
    n = 0
    anchored_at: int | None = 0 if against == GENESIS_HASH else None
    with ctx.read() as s:
        for row in _raw_events(s):
            n += 1
            seq, prev_hash, stored = row[0], row[9], row[10]
            content, unreadable = _decode(row)
            if not _is_int(seq):  # reported as unreadable below; count on from the one before
                seq = expected_seq
            elif seq != expected_seq:
                problems.append(f"event {expected_seq} is missing (the next one is {seq})")
            if prev_hash != prev:
                problems.append(
                    f"event {seq} does not follow the event before it (deleted or reordered events)"
                )
            if unreadable is not None:
                problems.append(
                    f"event {seq} ({row[6]} {row[3]} {row[4]}) was altered after it was written: {unreadable}"
                )
            else:
                assert content is not None
                if event_hash(prev_hash, content) != stored:
                    problems.append(
                        f"event {seq} ({row[6]} {row[3]} {row[4]}) was altered after it was written"
                    )
                recomputed = event_hash(recomputed, content)
                if against is not None and anchored_at is None and recomputed == against:
                    anchored_at = seq
            prev = stored
            expected_seq = seq + 1
            if len(problems) > 50:
                problems.append("… more problems not listed")
                break
        head_row = s.get(PlanMeta, "audit_head")
        held = {t: _count(s, t) for t in _AUDITED_TABLES} if n == 0 else {}
    if head_row is not None and not problems:
        seq_text, _, hash_ = head_row.value.partition(":")
        if seq_text != str(expected_seq - 1) or hash_ != prev:
            problems.append(
                f"the trail ends at event {expected_seq - 1}, but event {seq_text} was written: events were removed from its end"
            )
    elif head_row is None and n and not problems:
        problems.append("the record of the trail's last event is missing")
    held_rows = {t: c for t, c in held.items() if c}
    if held_rows:
        what = ", ".join(f"{c} {t.replace('_', ' ')}" for t, c in held_rows.items())
        problems.append(f"the plan holds {what} but no audit events: the trail was wiped")
    if against is not None and anchored_at is None:
        problems.append(
            f"no event of this trail has the hash {against[:16]}…: the history up to that point "
            "was changed, cut short, or the hash is from another plan"
        )
    return VerifyResult(ok=not problems, events=n, problems=problems, anchored_at=anchored_at)


def _count(s: Any, table: str) -> int:
    try:
        return int(s.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())
    except OperationalError:  # a table dropped by hand: verify says what it can
        return 0
