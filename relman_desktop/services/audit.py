"""The audit trail: read a release's history, and verify that nobody edited the chain."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, select, text, type_coerce
from sqlalchemy.exc import OperationalError

from relman_desktop.models.entities import AuditEvent, PlanMeta

from .base import GENESIS_HASH, Ctx, event_content, event_hash


@dataclass
class AuditRow:
    seq: int
    at: dt.datetime
    actor: str
    entity: str
    entity_id: str
    release_key: str | None
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def summary(self) -> str:
        """One readable line: who did what to which thing."""
        changed = sorted(set((self.before or {}).keys()) | set((self.after or {}).keys()))
        what = f"{self.entity.replace('_', ' ')} {self.entity_id}"
        if self.action == "update" and changed:
            parts = [f"{k}: {_short((self.before or {}).get(k))} → {_short((self.after or {}).get(k))}" for k in changed]
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
    """Newest first; a release's own events when a key is given."""
    stmt = select(AuditEvent).order_by(AuditEvent.seq.desc())
    if release_key is not None:
        stmt = stmt.where(AuditEvent.release_key == release_key)
    if limit:
        stmt = stmt.limit(limit)
    with ctx.read() as s:
        return [
            AuditRow(e.seq, e.at, e.actor, e.entity, e.entity_id, e.release_key, e.action, e.before, e.after)
            for e in s.execute(stmt).scalars()
        ]


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
_AUDITED_TABLES = ("releases", "changes", "people", "configuration_items", "calendar_windows",
                   "cab_meetings")


def head(ctx: Ctx) -> AuditHead:
    """The last event of the trail as the plan records it."""
    with ctx.read() as s:
        last = s.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    return AuditHead(int(last[0]), str(last[1])) if last else AuditHead(0, GENESIS_HASH)


def _raw_events(s: Any) -> Any:
    """The events as stored, without the ORM's conversions: a row a person edited by hand
    (bad JSON, a bad time) is reported, not a crash."""
    cols = [AuditEvent.seq, AuditEvent.at, AuditEvent.actor, AuditEvent.entity, AuditEvent.entity_id,
            AuditEvent.release_key, AuditEvent.action, AuditEvent.before, AuditEvent.after,
            AuditEvent.prev_hash, AuditEvent.hash]
    raw = [type_coerce(c, String) if c.key in ("at", "before", "after") else c for c in cols]
    return s.execute(select(*raw).order_by(AuditEvent.seq)).yield_per(2000)


def _decode(row: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The event's content for hashing, or the reason it cannot be read."""
    seq, at, actor, entity, entity_id, release_key, action, before, after = row[:9]
    try:
        when = dt.datetime.fromisoformat(str(at)).replace(tzinfo=dt.UTC)
    except ValueError:
        return None, f"its time {str(at)[:40]!r} is not a time"
    payload = {}
    for name, stored in (("before", before), ("after", after)):
        try:
            payload[name] = None if stored is None else json.loads(stored)
        except (ValueError, RecursionError):
            return None, f"its {name!r} data is not valid JSON"
    ev = {"seq": seq, "at": when, "actor": actor, "entity": entity, "entity_id": entity_id,
          "release_key": release_key, "action": action, **payload}
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
            if seq != expected_seq:
                problems.append(f"event {expected_seq} is missing (the next one is {seq})")
            if prev_hash != prev:
                problems.append(f"event {seq} does not follow the event before it (deleted or reordered events)")
            if unreadable is not None:
                problems.append(f"event {seq} ({row[6]} {row[3]} {row[4]}) was altered after it was written: {unreadable}")
            else:
                assert content is not None
                if event_hash(prev_hash, content) != stored:
                    problems.append(f"event {seq} ({row[6]} {row[3]} {row[4]}) was altered after it was written")
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
            problems.append(f"the trail ends at event {expected_seq - 1}, but event {seq_text} was written: events were removed from its end")
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
