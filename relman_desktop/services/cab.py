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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session, selectinload

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    Approval,
    ApprovalStage,
    AuditEvent,
    CabAgendaItem,
    CabAttendee,
    CabDecision,
    CabMeeting,
    CabMeetingStatus,
    Person,
    PlanMeta,
    Release,
    WorkflowState,
)

from . import limits, locking
from .approvals import decide_tx, refresh_stage, stage_outcome
from .base import Ctx, NotFound, Tx, ValidationError, operation, person_by_email

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

CAB_STAGE = "CAB"
# Eligible: releases whose state's role is awaiting_approval, whatever the state is called.
# A filter may instead name ``states`` (the user's own choice of state names).
DEFAULT_FILTER: dict[str, Any] = {
    "roles": [E.StateRole.AWAITING_APPROVAL.value],
    "stage": CAB_STAGE,
    "undecided_only": True,
}

NEEDS_RATIONALE = {CabDecision.REJECT, CabDecision.DEFER, CabDecision.MORE_INFO}
APPROVAL_FOR = {
    CabDecision.APPROVE: E.Decision.APPROVED,
    CabDecision.REJECT: E.Decision.REJECTED,
    CabDecision.MORE_INFO: E.Decision.MORE_INFO,
}
DECISION_WORDS = {
    CabDecision.APPROVE: "Approved",
    CabDecision.REJECT: "Rejected",
    CabDecision.DEFER: "Deferred",
    CabDecision.MORE_INFO: "More information needed",
}
_ALIASES = {
    "approve": CabDecision.APPROVE,
    "approved": CabDecision.APPROVE,
    "a": CabDecision.APPROVE,
    "reject": CabDecision.REJECT,
    "rejected": CabDecision.REJECT,
    "r": CabDecision.REJECT,
    "defer": CabDecision.DEFER,
    "deferred": CabDecision.DEFER,
    "d": CabDecision.DEFER,
    "more_info": CabDecision.MORE_INFO,
    "more info": CabDecision.MORE_INFO,
    "more-info": CabDecision.MORE_INFO,
    "info": CabDecision.MORE_INFO,
    "i": CabDecision.MORE_INFO,
}
_RISK_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


# --- rows handed out ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendeeRow:
    person_id: int
    name: str
    email: str
    present: bool
    is_chair: bool = False
    apologies: bool = False

    @property
    def attendance(self) -> str:
        """``present``, ``apologies`` (absent, excused beforehand) or ``absent``."""
        return "present" if self.present else ("apologies" if self.apologies else "absent")


@dataclass(frozen=True)
class AgendaItemRow:
    id: int  # 0 while the agenda is provisional (not frozen yet)
    position: int
    release_key: str
    release_title: str
    release_type: str
    risk: str
    release_status: str
    decision: str | None
    rationale: str | None
    conditions: str | None
    seconds_spent: int
    decided_at: dt.datetime | None
    cab_stage_status: str | None  # None: the release has no CAB stage
    can_undo: bool = False
    # the item's row_version (None while provisional): a decision made from this row hands it
    # back (``ItemDecision.version``) and is refused if someone decided the item since
    version: int | None = None
    # an undecided item of a closed meeting: the later meeting whose agenda holds the release
    carried_to: str | None = None
    carried_to_at: dt.datetime | None = None

    @property
    def decided(self) -> bool:
        return self.decision is not None


@dataclass(frozen=True)
class MeetingRow:
    id: int
    title: str
    held_at: dt.datetime
    cutoff_at: dt.datetime
    status: str
    frozen: bool
    chair_name: str | None
    items: int
    decided: int


@dataclass(frozen=True)
class Meeting:
    id: int
    title: str
    held_at: dt.datetime
    cutoff_at: dt.datetime
    frozen_at: dt.datetime | None
    status: str
    chair_name: str | None
    chair_email: str | None
    filter: dict[str, Any]
    attendees: list[AttendeeRow] = field(default_factory=list)
    items: list[AgendaItemRow] = field(default_factory=list)
    timezone: str = "UTC"
    version: int = 1  # the meeting's row_version (for ``close_meeting``'s ``version``)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def decided(self) -> int:
        return sum(1 for i in self.items if i.decided)


@dataclass(frozen=True)
class ItemDecision:
    """One decision of a bulk: ``item`` is an agenda item id or a release key."""

    item: int | str
    decision: str
    rationale: str | None = None
    conditions: str | None = None
    seconds_spent: int | None = None
    version: int | None = None  # the item's version as the form showed it (None: no check)


# --- small helpers -----------------------------------------------------------------------------------


def parse_decision(value: Any) -> CabDecision:
    word = str(value or "").strip().lower().replace("_", " ") if value is not None else ""
    found = _ALIASES.get(word) or _ALIASES.get(word.replace(" ", "_"))
    if found is None:
        raise ValidationError(
            f"Decision: {value!r} is not one of approve, reject, defer, more_info", field="decision"
        )
    return found


def decision_word(value: str | None) -> str:
    if value is None:
        return "Not decided"
    return DECISION_WORDS[CabDecision(value)]


def _zone(session: Session) -> ZoneInfo:
    meta = session.get(PlanMeta, "timezone")
    if meta is not None and meta.value:
        try:
            return ZoneInfo(meta.value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    from .plan_zone import machine_zone_name

    return ZoneInfo(machine_zone_name())


def display_zone(ctx: Ctx) -> ZoneInfo:
    """The zone meeting times are shown in: the plan's ``timezone`` setting, else the
    machine's zone (as every document)."""
    with ctx.read() as s:
        return _zone(s)


def _clean(text: str | None) -> str | None:
    value = (text or "").strip()
    return value or None


def _cab_stage(session: Session, release_id: int, name: str | None) -> ApprovalStage | None:
    if not name:
        return None
    stages = session.execute(
        select(ApprovalStage).where(ApprovalStage.release_id == release_id)
    ).scalars()
    return next((st for st in stages if st.name.strip().lower() == name.strip().lower()), None)


_CHUNK = 500  # ids per IN (...) list, well under SQLite's bound-parameter limit


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


def _cab_stages(
    session: Session, release_ids: Iterable[int], name: str | None
) -> dict[int, ApprovalStage]:
    """The CAB stage of each release (by id), approvals and approvers loaded with it: a few
    queries for a whole agenda instead of several per release (issue 16: the CAB page on a
    10,000-release plan)."""
    found: dict[int, ApprovalStage] = {}
    if not name:
        return found
    wanted = name.strip().lower()
    approvals = selectinload(ApprovalStage.approvals)
    for ids in _chunks(sorted(set(release_ids))):
        stages = session.execute(
            select(ApprovalStage)
            .where(ApprovalStage.release_id.in_(ids))
            .options(
                approvals.selectinload(Approval.approver),
                approvals.selectinload(Approval.delegated_to),
            )
        ).scalars()
        for st in stages:
            if st.name.strip().lower() == wanted:
                found.setdefault(st.release_id, st)
    return found


def _latest_audit_at(
    session: Session, column: Any, values: list[str], *where: Any
) -> dict[str, dt.datetime]:
    """For each value of ``column`` (release key or entity id), when its latest matching audit
    event happened."""
    latest: dict[str, dt.datetime] = {}
    for chunk in _chunks(sorted(set(values))):
        last = (
            select(column.label("v"), func.max(AuditEvent.seq).label("seq"))
            .where(column.in_(chunk), *where)
            .group_by(column)
            .subquery()
        )
        for value, at in session.execute(
            select(last.c.v, AuditEvent.at).join(AuditEvent, AuditEvent.seq == last.c.seq)
        ):
            latest[value] = at
    return latest


def _meeting(session: Session, meeting_id: int) -> CabMeeting:
    meeting = session.get(CabMeeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no CAB meeting #{meeting_id} in this plan")
    return meeting


# --- eligibility and the frozen agenda ----------------------------------------------------------------


def _eligible_since_all(
    session: Session, releases: list[Release], stages: dict[int, ApprovalStage]
) -> dict[int, dt.datetime | None]:
    """``_eligible_since`` for many releases at once (two grouped queries, not two per release)."""
    moved = _latest_audit_at(
        session,
        AuditEvent.release_key,
        [r.key for r in releases],
        AuditEvent.entity == "release",
        AuditEvent.action == "transition",
    )
    made = _latest_audit_at(
        session,
        AuditEvent.entity_id,
        [str(st.id) for st in stages.values()],
        AuditEvent.entity == "approval_stage",
        AuditEvent.action.in_(("create", "rename")),
    )
    since: dict[int, dt.datetime | None] = {}
    for rel in releases:
        stage = stages.get(rel.id)
        times = [t for t in (moved.get(rel.key), made.get(str(stage.id)) if stage else None) if t]
        since[rel.id] = max(times) if times else None
    return since


def _booked_elsewhere(session: Session, meeting_id: int | None) -> set[int]:
    """Releases waiting undecided on another meeting that is not closed."""
    rows = session.execute(
        select(CabAgendaItem.release_id)
        .join(CabMeeting, CabMeeting.id == CabAgendaItem.meeting_id)
        .where(
            CabMeeting.status != CabMeetingStatus.CLOSED,
            CabAgendaItem.decision.is_(None),
            CabMeeting.id != (meeting_id or 0),
        )
    ).scalars()
    return set(rows)


def _eligible(
    session: Session,
    flt: dict[str, Any],
    as_of: dt.datetime | None,
    meeting_id: int | None,
    stages_out: dict[int, ApprovalStage] | None = None,
) -> list[Release]:
    """The releases a meeting with this filter puts on its agenda, in agenda order;
    ``stages_out`` receives the CAB stage of each (by release id) for the caller's rows."""
    states = list(flt.get("states") or [])
    roles = list(flt.get("roles") or ([] if states else [E.StateRole.AWAITING_APPROVAL.value]))
    stage_name = flt.get("stage", CAB_STAGE)
    undecided_only = bool(flt.get("undecided_only", True))
    types = set(flt.get("types") or [])
    risks = set(flt.get("risks") or [])
    only = set(flt["releases"]) if flt.get("releases") is not None else None
    booked = _booked_elsewhere(session, meeting_id)
    in_state = WorkflowState.name.in_(states) if states else WorkflowState.role.in_(roles)
    releases = (
        session.execute(
            select(Release)
            .join(WorkflowState, WorkflowState.id == Release.status_id)
            .where(in_state)
        )
        .scalars()
        .all()
    )
    candidates = [
        rel
        for rel in releases
        if rel.id not in booked
        and (only is None or rel.key in only)
        and not (types and E.ReleaseType(rel.type).value not in types)
        and not (risks and E.Level(rel.risk).value not in risks)
    ]
    stages = _cab_stages(session, (r.id for r in candidates), stage_name)
    if stages_out is not None:
        stages_out.update(stages)
    candidates = [
        rel
        for rel in candidates
        if not (stage_name and rel.id not in stages)
        and not (
            rel.id in stages
            and undecided_only
            and stage_outcome(stages[rel.id])[0] != E.StageStatus.PENDING
        )
    ]
    since = _eligible_since_all(session, candidates, stages) if as_of is not None else {}
    chosen = []
    for rel in candidates:
        became = since.get(rel.id)
        if as_of is not None and became is not None and became > as_of:
            continue  # became eligible after the cut-off: the next meeting takes it
        chosen.append(rel)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    chosen.sort(
        key=lambda r: (r.deploy_start or far, _RISK_ORDER.get(E.Level(r.risk).value, 9), r.key)
    )
    return chosen


def eligible_releases(
    ctx: Ctx, filter: dict[str, Any] | None = None, *, as_of: dt.datetime | None = None
) -> list[str]:
    """Keys of the releases a meeting with this filter would put on its agenda (cut-off ``as_of``,
    default now) — what the next meeting's agenda holds."""
    with ctx.read() as s:
        return [
            r.key
            for r in _eligible(s, {**DEFAULT_FILTER, **(filter or {})}, as_of or ctx.now(), None)
        ]


def eligible_summaries(
    ctx: Ctx, filter: dict[str, Any] | None = None
) -> list[tuple[str, str, str]]:
    """(key, title, risk) of each release the next meeting's agenda would hold now, in agenda
    order: what "New meeting" offers as its items."""
    with ctx.read() as s:
        return [
            (r.key, r.title, E.Level(r.risk).value)
            for r in _eligible(s, {**DEFAULT_FILTER, **(filter or {})}, ctx.now(), None)
        ]


def preview_agenda(ctx: Ctx, filter: dict[str, Any] | None = None) -> list[AgendaItemRow]:
    """The next meeting's agenda as it would be now (provisional rows, ``id`` 0): one read of the
    eligible releases, not one release report per item."""
    flt = {**DEFAULT_FILTER, **(filter or {})}
    stage_name = flt.get("stage", CAB_STAGE)
    with ctx.read() as s:
        stages: dict[int, ApprovalStage] = {}
        rels = _eligible(s, flt, ctx.now(), None, stages)
        return [_provisional_row(s, i, r, stage_name, stages.get(r.id)) for i, r in enumerate(rels)]


def _freeze(tx: Tx, meeting: CabMeeting, as_of: dt.datetime) -> None:
    s = tx.session
    releases = _eligible(s, meeting.filter or DEFAULT_FILTER, as_of, meeting.id)
    for i, rel in enumerate(releases):
        meeting.items.append(CabAgendaItem(release=rel, position=i, seconds_spent=0, undo_log=[]))
    meeting.frozen_at = tx.ctx.now()
    s.flush()
    tx.audit(
        "cab_meeting",
        meeting.id,
        "freeze_agenda",
        None,
        {"cutoff_at": meeting.cutoff_at, "agenda": [r.key for r in releases]},
    )


def _freeze_if_due(tx: Tx, meeting: CabMeeting) -> None:
    if meeting.frozen_at is None and tx.ctx.now() >= meeting.cutoff_at:
        _freeze(tx, meeting, meeting.cutoff_at)


def _is_due(meeting: CabMeeting, now: dt.datetime) -> bool:
    return meeting.frozen_at is None and now >= meeting.cutoff_at


# --- reading -------------------------------------------------------------------------------------------


_UNSET: Any = object()


def _item_row(
    session: Session,
    item: CabAgendaItem,
    stage_name: str | None,
    stage: ApprovalStage | None = _UNSET,
) -> AgendaItemRow:
    rel = item.release
    if stage is _UNSET:
        stage = _cab_stage(session, rel.id, stage_name)
    return AgendaItemRow(
        id=item.id,
        position=item.position,
        release_key=rel.key,
        release_title=rel.title,
        release_type=E.ReleaseType(rel.type).value,
        risk=E.Level(rel.risk).value,
        release_status=rel.status.name,
        decision=CabDecision(item.decision).value if item.decision else None,
        rationale=item.rationale,
        conditions=item.conditions,
        seconds_spent=item.seconds_spent or 0,
        decided_at=item.decided_at,
        cab_stage_status=stage_outcome(stage)[0].value if stage is not None else None,
        can_undo=bool(item.undo_log),
        version=item.row_version,
    )


def _provisional_row(
    session: Session,
    position: int,
    rel: Release,
    stage_name: str | None,
    stage: ApprovalStage | None = _UNSET,
) -> AgendaItemRow:
    if stage is _UNSET:
        stage = _cab_stage(session, rel.id, stage_name)
    return AgendaItemRow(
        0,
        position,
        rel.key,
        rel.title,
        E.ReleaseType(rel.type).value,
        E.Level(rel.risk).value,
        rel.status.name,
        None,
        None,
        None,
        0,
        None,
        stage_outcome(stage)[0].value if stage is not None else None,
    )


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


def _check_items_eligible(session: Session, flt: dict[str, Any], as_of: dt.datetime) -> None:
    """Each release named as an agenda item must be one the meeting could hold: an item the
    filter leaves out would otherwise vanish from the agenda without a word."""
    open_items = {r.key for r in _eligible(session, {**flt, "releases": None}, as_of, None)}
    for key in flt["releases"]:
        if key not in open_items:
            raise ValidationError(
                f"Agenda items: {key} is not eligible for this meeting: "
                + _why_not_eligible(session, key, flt),
                field="releases",
            )


def _why_not_eligible(session: Session, key: str, flt: dict[str, Any]) -> str:
    rel = session.execute(select(Release).where(Release.key == key)).scalar_one()
    states = list(flt.get("states") or [])
    roles = list(flt.get("roles") or ([] if states else [E.StateRole.AWAITING_APPROVAL.value]))
    state = rel.status
    role = E.StateRole(state.role).value if state.role is not None else None
    if (states and state.name not in states) or (not states and role not in roles):
        wanted = ", ".join(states) if states else "awaiting approval"
        return f"it is {state.name}, not {wanted}"
    if rel.id in _booked_elsewhere(session, None):
        return "it waits undecided on another meeting that is not closed"
    if flt.get("types") and E.ReleaseType(rel.type).value not in flt["types"]:
        return f"the meeting takes only {', '.join(flt['types'])} releases"
    if flt.get("risks") and E.Level(rel.risk).value not in flt["risks"]:
        return f"the meeting takes only {', '.join(flt['risks'])} risk releases"
    stage_name = flt.get("stage", CAB_STAGE)
    stage = _cab_stage(session, rel.id, stage_name) if stage_name else None
    if stage_name and stage is None:
        return f"it has no {stage_name} approval stage"
    if stage is not None and stage_outcome(stage)[0] != E.StageStatus.PENDING:
        return f"its {stage.name} stage is already decided"
    return "it became eligible after the agenda's cut-off"


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


def _start(tx: Tx, meeting: CabMeeting) -> None:
    if meeting.status == CabMeetingStatus.CLOSED:
        raise ValidationError(
            f"the meeting {meeting.title!r} is closed; its decisions can no longer change"
        )
    if meeting.frozen_at is None:
        # Starting early moves the cut-off to now: a running meeting's agenda never changes.
        now = tx.ctx.now()
        if now < meeting.cutoff_at:
            tx.audit(
                "cab_meeting",
                meeting.id,
                "move_cutoff",
                {"cutoff_at": meeting.cutoff_at},
                {"cutoff_at": now},
            )
            meeting.cutoff_at = now
    if meeting.status == CabMeetingStatus.PLANNED and tx.ctx.now() < meeting.held_at:
        # Held early: the meeting takes place now, so its minutes and decisions agree on the day.
        now = tx.ctx.now()
        tx.audit(
            "cab_meeting",
            meeting.id,
            "move_held_at",
            {"held_at": meeting.held_at},
            {"held_at": now},
        )
        meeting.held_at = now
        _freeze(tx, meeting, meeting.cutoff_at)
    if meeting.status == CabMeetingStatus.PLANNED:
        meeting.status = CabMeetingStatus.RUNNING
        tx.audit("cab_meeting", meeting.id, "start", {"status": "planned"}, {"status": "running"})


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


# --- decisions -------------------------------------------------------------------------------------------


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
