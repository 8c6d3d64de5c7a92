"""The audit trail: read a release's history, and verify that nobody edited the chain."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

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


def verify(ctx: Ctx) -> VerifyResult:
    """Recompute the chain: an edited, deleted, inserted or reordered event breaks it."""
    problems: list[str] = []
    prev = GENESIS_HASH
    expected_seq = 1
    n = 0
    with ctx.read() as s:
        for ev in s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars():
            n += 1
            if ev.seq != expected_seq:
                problems.append(f"event {expected_seq} is missing (the next one is {ev.seq})")
            if ev.prev_hash != prev:
                problems.append(f"event {ev.seq} does not follow the event before it (deleted or reordered events)")
            if event_hash(ev.prev_hash, event_content(ev)) != ev.hash:
                problems.append(f"event {ev.seq} ({ev.action} {ev.entity} {ev.entity_id}) was altered after it was written")
            prev = ev.hash
            expected_seq = ev.seq + 1
            if len(problems) > 50:
                problems.append("… more problems not listed")
                break
        head = s.get(PlanMeta, "audit_head")
    if head is not None and not problems:
        seq, _, hash_ = head.value.partition(":")
        if int(seq) != expected_seq - 1 or hash_ != prev:
            problems.append(f"the trail ends at event {expected_seq - 1}, but event {seq} was written: events were removed from its end")
    elif head is None and n and not problems:
        problems.append("the record of the trail's last event is missing")
    return VerifyResult(ok=not problems, events=n, problems=problems)
