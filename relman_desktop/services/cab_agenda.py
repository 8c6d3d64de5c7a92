"""A CAB meeting's agenda: which releases it holds at the cut-off, and freezing it (split from
``cab.py``, whose docstring tells the rules).

Eligibility (``_eligible``: the meeting's filter, when each release became eligible as the audit
trail tells it, releases waiting on another open meeting), what the next meeting would hold
(``eligible_releases``, ``eligible_summaries``, ``preview_agenda``), why a release named as an
item is not eligible, freezing the agenda at the cut-off or when the meeting starts
(``_freeze``, ``_start``) and the agenda item rows; with the small lookups every CAB module
shares (the meeting, the plan's display zone, a release's CAB stage).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    Approval,
    ApprovalStage,
    AuditEvent,
    CabAgendaItem,
    CabDecision,
    CabMeeting,
    CabMeetingStatus,
    PlanMeta,
    Release,
    WorkflowState,
)

from .approvals import stage_outcome
from .base import Ctx, NotFound, Tx, ValidationError
from .cab_rows import CAB_STAGE, DEFAULT_FILTER, AgendaItemRow

_RISK_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


# --- small lookups the CAB modules share ----------------------------------------------------------


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


# --- eligibility and the frozen agenda ------------------------------------------------------------


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


# --- the agenda's rows ----------------------------------------------------------------------------


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


# --- an item named for a new meeting, checked -----------------------------------------------------


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


# --- starting a meeting freezes its agenda --------------------------------------------------------


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
