"""Change Advisory Board meetings: a frozen agenda, the board's decisions, and their undo.

**The agenda freezes at the cut-off.** A meeting's agenda is chosen by its ``filter``
(default: releases in *Awaiting Approval* with a stage named "CAB" that is not yet approved or
rejected). A release counts for a meeting only if it was eligible *at the cut-off*: when it
entered its state and when its CAB stage was created are read from the audit trail, so a release
that becomes eligible a minute after the cut-off is never added to that meeting, even if the
agenda is written down later; it goes to the next meeting. Until the cut-off the agenda is
provisional (computed, not stored); from the cut-off on — or as soon as the meeting starts,
which moves the cut-off to that moment — the items are stored and never change. A release that
sits undecided on the agenda of another open meeting is not taken by a second one.

**How a decision lands (the chair records the board's decision).** The board decides as one
body, so the decision is written on *every* approval of the release's CAB stage, with a comment
naming the meeting, the chair, the rationale and the conditions: approve → approved,
reject → rejected, more information → more_info. *Defer* leaves the approvals pending (and puts
back any the board had set on this item before) and is recorded on the agenda item and in the
audit trail. Each approval change is an ordinary audited approval decision, so the lifecycle
guard ``approvals_complete`` sees it. A release without a CAB stage gets its decision recorded
in the meeting only.

**Undo.** Each decision pushes the state before it (the item's fields and the CAB approvals it
changed) onto the item's ``undo_log``; ``undo_last_decision`` pops the most recent one in the
meeting and puts everything back. A bulk decision is one step: undo takes all of it back.
Redo is recording the same decisions again. An undo that must take back one particular decision
(the app's undo stack, where the last decision may since have been recorded elsewhere or lost
with its release) names its releases in ``expect`` and is refused when the last one differs.

**Where things live.** The vocabulary and the rows handed out are in ``cab_rows.py``;
eligibility, the frozen agenda and its item rows in ``cab_agenda.py``; decisions and their undo
in ``cab_decisions.py``; the meetings themselves (reading one or the list, creating one,
attendance, starting, closing) here. Every public name is importable from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    CabAgendaItem,
    CabAttendee,
    CabMeeting,
    CabMeetingStatus,
    Person,
    Release,
)

from . import limits, locking
from .base import Ctx, ValidationError, operation, person_by_email
from .cab_agenda import (
    _cab_stages,
    _check_items_eligible,
    _chunks,
    _clean,
    _eligible,
    _freeze_if_due,
    _is_due,
    _item_row,
    _meeting,
    _provisional_row,
    _start,
    _zone,
    display_zone,
    eligible_releases,
    eligible_summaries,
    preview_agenda,
)
from .cab_decisions import record_decision, record_decisions, record_time, undo_last_decision
from .cab_rows import (
    CAB_STAGE,
    DEFAULT_FILTER,
    AgendaItemRow,
    AttendeeRow,
    ItemDecision,
    Meeting,
    MeetingRow,
    decision_word,
    parse_decision,
)
from .cab_rows import NEEDS_RATIONALE as NEEDS_RATIONALE  # the views ask which decisions need one

__all__ = [
    "AgendaItemRow",
    "AttendeeRow",
    "DEFAULT_FILTER",
    "ItemDecision",
    "Meeting",
    "MeetingRow",
    "close_meeting",
    "create_meeting",
    "decision_word",
    "display_zone",
    "eligible_releases",
    "eligible_summaries",
    "preview_agenda",
    "get_meeting",
    "list_meetings",
    "parse_decision",
    "record_decision",
    "record_decisions",
    "record_time",
    "set_attendance",
    "start_meeting",
    "undo_last_decision",
]


# --- reading -------------------------------------------------------------------------------------------


def _carried_over(session: Session, meeting: CabMeeting) -> dict[int, CabMeeting]:
    """Of a closed meeting's undecided releases, the first later meeting whose (frozen)
    agenda holds each, by release id."""
    undecided = [it.release_id for it in meeting.items if it.decision is None]
    if meeting.status != CabMeetingStatus.CLOSED or not undecided:
        return {}
    found: dict[int, CabMeeting] = {}
    for chunk in _chunks(undecided):
        rows = session.execute(
            select(CabAgendaItem.release_id, CabMeeting)
            .join(CabMeeting, CabMeeting.id == CabAgendaItem.meeting_id)
            .where(
                CabAgendaItem.release_id.in_(chunk),
                CabMeeting.id != meeting.id,
                CabMeeting.held_at >= meeting.held_at,
            )
            .order_by(CabMeeting.held_at, CabMeeting.id)
        ).all()
        for release_id, later in rows:
            found.setdefault(release_id, later)
    return found


def _meeting_data(session: Session, meeting: CabMeeting, now: dt.datetime) -> Meeting:
    flt = meeting.filter or DEFAULT_FILTER
    stage_name = flt.get("stage", CAB_STAGE)
    if meeting.frozen_at is not None:
        ordered = sorted(meeting.items, key=lambda i: i.position)
        stages = _cab_stages(session, (it.release_id for it in ordered), stage_name)
        items = [_item_row(session, it, stage_name, stages.get(it.release_id)) for it in ordered]
        if carried := _carried_over(session, meeting):
            items = [
                replace(row, carried_to=later.title, carried_to_at=later.held_at)
                if (later := carried.get(it.release_id)) is not None
                else row
                for it, row in zip(ordered, items, strict=True)
            ]
    else:
        stages = {}
        rels = _eligible(session, flt, min(now, meeting.cutoff_at), meeting.id, stages)
        items = [
            _provisional_row(session, i, r, stage_name, stages.get(r.id))
            for i, r in enumerate(rels)
        ]
    attendees = sorted(
        (
            AttendeeRow(
                a.person.id,
                a.person.name,
                a.person.email,
                bool(a.present),
                a.person_id == meeting.chair_id,
                bool(a.apologies) and not a.present,
            )
            for a in meeting.attendees
        ),
        key=lambda a: (not a.is_chair, a.name.lower()),
    )
    return Meeting(
        id=meeting.id,
        title=meeting.title,
        held_at=meeting.held_at,
        cutoff_at=meeting.cutoff_at,
        frozen_at=meeting.frozen_at,
        status=CabMeetingStatus(meeting.status).value,
        chair_name=meeting.chair.name if meeting.chair else None,
        chair_email=meeting.chair.email if meeting.chair else None,
        filter=dict(flt),
        attendees=attendees,
        items=items,
        timezone=str(_zone(session)),
        version=meeting.row_version,
    )


@operation
def get_meeting(ctx: Ctx, meeting_id: int) -> Meeting:
    """The meeting with its attendees and agenda. Past the cut-off an unfrozen agenda is frozen
    (written down) first; before it the items are provisional (``id`` 0)."""
    with ctx.read() as s:
        meeting = _meeting(s, meeting_id)
        if not _is_due(meeting, ctx.now()):
            return _meeting_data(s, meeting, ctx.now())
    with ctx.write() as tx:
        meeting = _meeting(tx.session, meeting_id)
        _freeze_if_due(tx, meeting)
        return _meeting_data(tx.session, meeting, ctx.now())


def list_meetings(ctx: Ctx) -> list[MeetingRow]:
    """Every meeting, the latest first."""
    with ctx.read() as s:
        rows = []
        for m in s.execute(
            select(CabMeeting).order_by(CabMeeting.held_at.desc(), CabMeeting.id.desc())
        ).scalars():
            if m.frozen_at is not None:
                n, decided = len(m.items), sum(1 for i in m.items if i.decision is not None)
            else:
                n, decided = (
                    len(
                        _eligible(s, m.filter or DEFAULT_FILTER, min(ctx.now(), m.cutoff_at), m.id)
                    ),
                    0,
                )
            rows.append(
                MeetingRow(
                    m.id,
                    m.title,
                    m.held_at,
                    m.cutoff_at,
                    CabMeetingStatus(m.status).value,
                    m.frozen_at is not None,
                    m.chair.name if m.chair else None,
                    n,
                    decided,
                )
            )
        return rows


# --- creating and running a meeting ---------------------------------------------------------------------


@operation
def create_meeting(
    ctx: Ctx,
    *,
    held_at: dt.datetime | None = None,
    cutoff_at: dt.datetime | None = None,
    chair: str | None = None,
    attendees: Iterable[str] | None = None,
    title: str | None = None,
    filter: dict[str, Any] | None = None,
    apologies: Iterable[str] = (),
    releases: Iterable[str] | None = None,
) -> Meeting:
    """A new meeting. ``cutoff_at`` defaults to now (the agenda freezes at once); a cut-off in
    the future leaves the agenda provisional until then. ``attendees`` (e-mails) default to
    everyone with the CAB-member role; the chair is always among them. ``apologies`` (e-mails)
    are invited but sent apologies beforehand (absent, excused). ``releases`` (keys) narrows the
    agenda to those of the eligible releases (the rest wait for another meeting); each key must
    name a release."""
    now = ctx.now()
    held_at = held_at or now
    cutoff_at = cutoff_at or min(now, held_at)
    for name, value in (("held_at", held_at), ("cutoff_at", cutoff_at)):
        if value.tzinfo is None:
            raise ValidationError(f"{name}: a meeting time needs a time zone", field=name)
    if cutoff_at > held_at:
        raise ValidationError(
            "Cut-off: the agenda must freeze before the meeting, not after it", field="cutoff_at"
        )
    flt = {**DEFAULT_FILTER, **(filter or {})}
    if releases is not None:
        flt["releases"] = sorted({str(k).strip() for k in releases})
    with ctx.write() as tx:
        s = tx.session
        if releases is not None:
            known = set(
                s.execute(select(Release.key).where(Release.key.in_(flt["releases"]))).scalars()
            )
            missing = [k for k in flt["releases"] if k not in known]
            if missing:
                raise ValidationError(
                    f"Agenda items: no release {missing[0]!r} in this plan", field="releases"
                )
            _check_items_eligible(s, flt, min(cutoff_at, now))
        chair_person = person_by_email(s, chair, field="chair") if chair else None
        if attendees is None:
            people = [
                p
                for p in s.execute(select(Person).order_by(Person.name)).scalars()
                if E.Role.CAB_MEMBER.value in (p.roles or [])
            ]
        else:
            people = [person_by_email(s, e, field="attendees") for e in attendees]
        if chair_person is not None and all(p.id != chair_person.id for p in people):
            people.insert(0, chair_person)
        sorry_people = [person_by_email(s, e, field="apologies") for e in apologies]
        sorry = {p.id for p in sorry_people}
        if chair_person is not None and chair_person.id in sorry:
            raise ValidationError(
                "Apologies: the chair cannot send apologies to their own meeting",
                field="apologies",
            )
        people += [p for p in sorry_people if all(p.id != q.id for q in people)]
        seen: set[int] = set()
        meeting = CabMeeting(
            title=limits.checked("title", _clean(title), "Title")
            or f"CAB {held_at.astimezone(_zone(s)):%Y-%m-%d}",
            held_at=held_at,
            cutoff_at=cutoff_at,
            chair=chair_person,
            status=CabMeetingStatus.PLANNED,
            filter=flt,
            created_at=now,
        )
        for p in people:
            if p.id not in seen:
                seen.add(p.id)
                away = p.id in sorry
                meeting.attendees.append(CabAttendee(person=p, present=not away, apologies=away))
        s.add(meeting)
        s.flush()
        tx.audit(
            "cab_meeting",
            meeting.id,
            "create",
            None,
            {
                "title": meeting.title,
                "held_at": held_at,
                "cutoff_at": cutoff_at,
                "chair": chair_person.email if chair_person else None,
                "attendees": [p.email for p in people],
                "apologies": [p.email for p in people if p.id in sorry],
                "filter": flt,
            },
        )
        _freeze_if_due(tx, meeting)
        return _meeting_data(s, meeting, now)


@operation
def set_attendance(
    ctx: Ctx, meeting_id: int, email: str, present: bool, *, apologies: bool = False
) -> None:
    """Mark someone present, absent with apologies, or absent (adding them to the attendees if
    they were not invited)."""
    apologies = bool(apologies) and not present
    with ctx.write() as tx:
        meeting = _meeting(tx.session, meeting_id)
        person = person_by_email(tx.session, email, field="email")
        row = next((a for a in meeting.attendees if a.person_id == person.id), None)
        before = (
            None
            if row is None
            else {"present": bool(row.present), "apologies": bool(row.apologies)}
        )
        if row is None:
            meeting.attendees.append(
                CabAttendee(person=person, present=present, apologies=apologies)
            )
        elif bool(row.present) == present and bool(row.apologies) == apologies:
            return
        else:
            row.present = present
            row.apologies = apologies
        tx.audit(
            "cab_meeting",
            meeting.id,
            "attendance",
            before,
            {"person": person.email, "present": present, "apologies": apologies},
        )


@operation
def start_meeting(ctx: Ctx, meeting_id: int) -> Meeting:
    with ctx.write() as tx:
        meeting = _meeting(tx.session, meeting_id)
        _start(tx, meeting)
        return _meeting_data(tx.session, meeting, ctx.now())


@operation
def close_meeting(ctx: Ctx, meeting_id: int, *, version: int | None = None) -> Meeting:
    """End the meeting: undecided items go to the next meeting's agenda. ``version``: the
    meeting's ``row_version`` as the form loaded it (``Meeting.version``; None: no check)."""
    with ctx.write() as tx:
        meeting = _meeting(tx.session, meeting_id)
        locking.check(
            tx,
            meeting,
            version,
            label=f"the CAB meeting {meeting.title!r}",
            entity="cab_meeting",
            entity_id=meeting.id,
        )
        if meeting.status != CabMeetingStatus.CLOSED:
            _freeze_if_due(tx, meeting)
            before = CabMeetingStatus(meeting.status).value
            meeting.status = CabMeetingStatus.CLOSED
            tx.audit("cab_meeting", meeting.id, "close", {"status": before}, {"status": "closed"})
        return _meeting_data(tx.session, meeting, ctx.now())
