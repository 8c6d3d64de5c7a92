"""The board's decisions on a CAB meeting's agenda items, and their undo (split from ``cab.py``,
whose docstring tells how a decision lands and how undo works).

``record_decisions`` / ``record_decision`` (all land or none; each writes the release's CAB
approvals), ``undo_last_decision`` (the most recent decision or bulk, taken back with the
approvals it changed) and ``record_time`` (the presenter's timer on an item).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, update

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    Approval,
    CabAgendaItem,
    CabDecision,
    CabMeeting,
    CabMeetingStatus,
)

from . import limits, locking
from .approvals import decide_tx, refresh_stage
from .base import Ctx, NotFound, Tx, ValidationError, operation
from .cab_agenda import (
    _cab_stage,
    _clean,
    _freeze_if_due,
    _item_row,
    _meeting,
    _start,
    _zone,
)
from .cab_rows import (
    APPROVAL_FOR,
    CAB_STAGE,
    DEFAULT_FILTER,
    NEEDS_RATIONALE,
    AgendaItemRow,
    ItemDecision,
    decision_word,
    parse_decision,
)

# --- decisions ------------------------------------------------------------------------------------


def _find_item(meeting: CabMeeting, item: int | str) -> CabAgendaItem:
    for it in meeting.items:
        if (isinstance(item, int) and it.id == item) or (
            isinstance(item, str) and it.release.key == item
        ):
            return it
    what = f"#{item}" if isinstance(item, int) else repr(item)
    raise NotFound(f"{what} is not on the agenda of {meeting.title!r}")


def _validated(
    meeting: CabMeeting, d: ItemDecision
) -> tuple[CabAgendaItem, CabDecision, str | None, str | None]:
    item = _find_item(meeting, d.item)
    value = parse_decision(d.decision)
    rationale = limits.checked("rationale", _clean(d.rationale), "Rationale")
    if value in NEEDS_RATIONALE and rationale is None:
        raise ValidationError(
            f"Rationale: {decision_word(value.value).lower()} {item.release.key} needs a rationale "
            "(say why, so the minutes and the approval record it)",
            field="rationale",
        )
    if d.seconds_spent is not None and d.seconds_spent < 0:
        raise ValidationError("Time spent cannot be negative", field="seconds_spent")
    return item, value, rationale, limits.checked("conditions", _clean(d.conditions), "Conditions")


def _approval_state(a: Approval) -> dict[str, Any]:
    return {
        "id": a.id,
        "decision": E.Decision(a.decision).value,
        "comment": a.comment,
        "decided_at": a.decided_at.isoformat() if a.decided_at else None,
        "requested_at": a.requested_at.isoformat() if a.requested_at else None,
    }


def _comment(
    meeting: CabMeeting,
    value: CabDecision,
    rationale: str | None,
    conditions: str | None,
    zone: ZoneInfo,
) -> str:
    text = f"CAB: {decision_word(value.value).lower()}"
    if rationale:
        text += f": {rationale}"
    if conditions:
        text += f". Conditions: {conditions}"
    where = f"{meeting.title}, {meeting.held_at.astimezone(zone):%Y-%m-%d}"
    if meeting.chair is not None:
        where += f", recorded by the chair {meeting.chair.name}"
    return f"{text} ({where})"


def _restore_approvals(
    tx: Tx, states: Sequence[dict[str, Any]], release_key: str, why: str
) -> None:
    for st in states:
        a = tx.session.get(Approval, st["id"])
        if a is None:
            continue  # the approver was removed since; nothing to put back
        before = _approval_state(a)
        if before == st:
            continue
        a.decision = E.Decision(st["decision"])
        a.comment = st["comment"]
        a.decided_at = dt.datetime.fromisoformat(st["decided_at"]) if st["decided_at"] else None
        a.requested_at = (
            dt.datetime.fromisoformat(st["requested_at"]) if st["requested_at"] else None
        )
        tx.audit(
            "approval",
            a.id,
            why,
            {k: v for k, v in before.items() if k != "id"},
            {k: v for k, v in st.items() if k != "id"},
            release_key=release_key,
        )


def _apply(
    tx: Tx,
    meeting: CabMeeting,
    item: CabAgendaItem,
    value: CabDecision,
    rationale: str | None,
    conditions: str | None,
    seconds: int | None,
    seq: int,
    zone: ZoneInfo,
) -> None:
    s = tx.session
    rel = item.release
    stage = _cab_stage(s, rel.id, (meeting.filter or DEFAULT_FILTER).get("stage", CAB_STAGE))
    approvals = list(stage.approvals) if stage is not None else []
    before_item = {
        "decision": CabDecision(item.decision).value if item.decision else None,
        "rationale": item.rationale,
        "conditions": item.conditions,
        "seconds_spent": item.seconds_spent or 0,
        "decided_at": item.decided_at.isoformat() if item.decided_at else None,
    }
    item.undo_log = [
        *(item.undo_log or []),
        {"seq": seq, **before_item, "approvals": [_approval_state(a) for a in approvals]},
    ]
    item.decision = value
    item.rationale = rationale
    item.conditions = conditions
    if seconds is not None:
        item.seconds_spent = seconds
    item.decided_at = tx.ctx.now()
    if stage is not None:
        target = APPROVAL_FOR.get(value)
        if target is None:
            # Defer: the approvals stay (or go back to) what they were before the board decided.
            _restore_approvals(tx, item.undo_log[0]["approvals"], rel.key, "cab_defer")
        else:
            comment = _comment(meeting, value, rationale, conditions, zone)
            for a in approvals:
                if E.Decision(a.decision) != target or a.comment != comment:
                    decide_tx(tx, a, target, comment)
        refresh_stage(tx, stage)
    tx.audit(
        "cab_item",
        item.id,
        "decide",
        {k: v for k, v in before_item.items() if k != "decided_at"},
        {
            "meeting": meeting.title,
            "decision": value.value,
            "rationale": rationale,
            "conditions": conditions,
            "seconds_spent": item.seconds_spent,
            "cab_stage": stage.name if stage is not None else None,
        },
        release_key=rel.key,
    )


def _next_seq(meeting: CabMeeting) -> int:
    return 1 + max(
        (e.get("seq", 0) for it in meeting.items for e in (it.undo_log or [])), default=0
    )


@operation
def record_decisions(
    ctx: Ctx, meeting_id: int, decisions: Sequence[ItemDecision]
) -> list[AgendaItemRow]:
    """Several decisions at once, each with its own rationale: all land, or (when one is
    refused) none. Undo takes the whole batch back."""
    if not decisions:
        raise ValidationError("no decision given")
    with ctx.write() as tx:
        s = tx.session
        meeting = _meeting(s, meeting_id)
        _start(tx, meeting)
        checked = []
        problems = []
        for d in decisions:
            try:
                checked.append(_validated(meeting, d) + (d.seconds_spent,))
            except ValidationError as exc:
                problems.append(str(exc))
        if problems:
            raise ValidationError("; ".join(problems), field="rationale", problems=problems)
        if len({c[0].id for c in checked}) != len(checked):
            raise ValidationError("the same agenda item is decided twice in one go")
        for d, c in zip(decisions, checked, strict=True):
            item = c[0]
            locking.check(
                tx,
                item,
                d.version,
                label=f"the decision on {item.release.key} in {meeting.title!r}",
                entity="cab_item",
                entity_id=item.id,
            )
        seq = _next_seq(meeting)
        zone = _zone(s)
        for item, value, rationale, conditions, seconds in checked:
            _apply(tx, meeting, item, value, rationale, conditions, seconds, seq, zone)
        s.flush()
        stage_name = (meeting.filter or DEFAULT_FILTER).get("stage", CAB_STAGE)
        return [_item_row(s, c[0], stage_name) for c in checked]


def record_decision(
    ctx: Ctx,
    meeting_id: int,
    item: int | str,
    decision: str,
    rationale: str | None = None,
    conditions: str | None = None,
    seconds_spent: int | None = None,
    *,
    version: int | None = None,
) -> AgendaItemRow:
    """The board's decision on one agenda item (an item id or a release key). ``version``: the
    item's ``AgendaItemRow.version`` as the form showed it (None: no check)."""
    return record_decisions(
        ctx,
        meeting_id,
        [ItemDecision(item, decision, rationale, conditions, seconds_spent, version)],
    )[0]


@operation
def undo_last_decision(
    ctx: Ctx, meeting_id: int, *, expect: Iterable[str] | None = None
) -> list[AgendaItemRow]:
    """Take back the meeting's most recent decision (or bulk decision): the items and the CAB
    approvals return to what they were. Returns the items put back ([] when nothing to undo).
    ``expect``: the release keys that decision must be about; when it is about others (or there
    is none), nothing changes and the undo is refused."""
    with ctx.write() as tx:
        s = tx.session
        meeting = _meeting(s, meeting_id)
        if meeting.status == CabMeetingStatus.CLOSED:
            raise ValidationError(
                f"the meeting {meeting.title!r} is closed; its decisions can no longer change"
            )
        last = max(
            (it.undo_log[-1].get("seq", 0) for it in meeting.items if it.undo_log), default=None
        )
        if expect is not None:
            wanted = sorted(set(expect))
            found = sorted(
                it.release.key
                for it in meeting.items
                if it.undo_log and it.undo_log[-1].get("seq") == last
            )
            if found != wanted:
                if not found:
                    raise ValidationError(
                        f"{meeting.title!r} has no decision on {', '.join(wanted)} left to take back"
                    )
                raise ValidationError(
                    f"the last decision in {meeting.title!r} is on {', '.join(found)}, not "
                    f"{', '.join(wanted)}: the meeting's decisions changed since"
                )
        if last is None:
            return []
        stage_name = (meeting.filter or DEFAULT_FILTER).get("stage", CAB_STAGE)
        undone = []
        for item in meeting.items:
            if not item.undo_log or item.undo_log[-1].get("seq") != last:
                continue
            entry = item.undo_log[-1]
            item.undo_log = list(item.undo_log[:-1])
            before = {
                "decision": CabDecision(item.decision).value if item.decision else None,
                "rationale": item.rationale,
            }
            item.decision = CabDecision(entry["decision"]) if entry["decision"] else None
            item.rationale = entry["rationale"]
            item.conditions = entry["conditions"]
            item.seconds_spent = entry["seconds_spent"]
            item.decided_at = (
                dt.datetime.fromisoformat(entry["decided_at"]) if entry["decided_at"] else None
            )
            _restore_approvals(tx, entry["approvals"], item.release.key, "cab_undo")
            stage = _cab_stage(s, item.release_id, stage_name)
            if stage is not None:
                refresh_stage(tx, stage)
            tx.audit(
                "cab_item",
                item.id,
                "undo",
                before,
                {"decision": entry["decision"], "rationale": entry["rationale"]},
                release_key=item.release.key,
            )
            undone.append(item)
        s.flush()
        return [_item_row(s, it, stage_name) for it in undone]


@operation
def record_time(ctx: Ctx, meeting_id: int, item: int | str, seconds: int) -> None:
    """How long the board has spent on an item so far (the presenter's timer)."""
    if seconds < 0:
        raise ValidationError("Time spent cannot be negative", field="seconds")
    with ctx.write() as tx:
        meeting = _meeting(tx.session, meeting_id)
        _freeze_if_due(tx, meeting)
        it = _find_item(meeting, item)
        if (it.seconds_spent or 0) == seconds:
            return
        before = it.seconds_spent or 0
        # the timer is not an edit of the item: written without moving its version, so a
        # decision made from the presenter's copy is not refused because the clock ran
        table = CabAgendaItem.__table__
        assert isinstance(table, Table)
        tx.session.execute(update(table).where(table.c.id == it.id).values(seconds_spent=seconds))
        tx.audit(
            "cab_item",
            it.id,
            "time",
            {"seconds_spent": before},
            {"seconds_spent": seconds},
            release_key=it.release.key,
        )
