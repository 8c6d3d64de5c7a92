"""CAB minutes as a Word document (python-docx), from a ``cab.Meeting``.

The minutes are a report, not the record: every decision, rationale, condition and minute
spent is already in the plan (``services.cab``); this writes down what it holds, in the same
Word structure as the release notes (Title, Heading 1/2, tables in a table style): the
meeting, attendance (present, apologies, absent), each decision, the actions that follow from
the decisions (owner and due date), the items that carry over, and the next meeting; page
numbers in the footer; every time in the plan's zone.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from docx import Document
from docx.document import Document as DocxDocument

from relman_desktop.services import cab
from relman_desktop.services.base import Ctx, NotFound

from . import docx_kit as K
from .audit_stamp import stamp_audit_head
from .release_notes import _footer, _Writer, clean
from .safe_write import in_memory, write_atomically

__all__ = [
    "Action",
    "MinutesContext",
    "build_minutes",
    "export_minutes",
    "fmt_seconds",
    "minutes_actions",
    "write_minutes",
]

ATTENDANCE_WORDS = {"present": "Present", "apologies": "Apologies", "absent": "Absent"}


def fmt_seconds(seconds: int) -> str:
    """``45 s``, ``2 min 05 s``, ``1 h 02 min``."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def _when(value: dt.datetime | None, zone: ZoneInfo) -> str:
    return K.fmt_local(value, zone)


@dataclass(frozen=True)
class ReleaseFacts:
    """What the minutes need about a release beyond the agenda row: who owns its actions."""

    manager: str | None = None
    deploy_start: dt.datetime | None = None


@dataclass(frozen=True)
class MinutesContext:
    """The plan around the meeting: the next meeting and each release's manager and window."""

    next_title: str | None = None
    next_held_at: dt.datetime | None = None
    releases: dict[str, ReleaseFacts] = field(default_factory=dict)
    exported_by: str = ""
    plan_name: str = ""


@dataclass(frozen=True)
class Action:
    number: int
    release_key: str
    text: str
    owner: str
    due: str


def minutes_actions(meeting: cab.Meeting, around: MinutesContext, zone: ZoneInfo) -> list[Action]:
    """The actions the decisions leave: conditions to meet before deployment, information to
    bring, deferred and undecided items to bring back; each with its owner and due date."""
    next_due = (
        f"next meeting, {around.next_held_at.astimezone(zone):%Y-%m-%d}"
        if around.next_held_at
        else "next meeting"
    )
    actions: list[Action] = []
    for item in meeting.items:
        facts = around.releases.get(item.release_key, ReleaseFacts())
        owner = facts.manager or meeting.chair_name or "—"
        text = ""
        due = next_due
        if item.decision == "approve" and (item.conditions or "").strip():
            text = f"Meet the conditions before deployment: {item.conditions}"
            if facts.deploy_start:
                due = f"before {facts.deploy_start.astimezone(zone):%Y-%m-%d %H:%M}"
        elif item.decision == "more_info":
            text = f"Bring the information the board asked for: {item.rationale or '—'}"
        elif item.decision == "defer":
            text = f"Bring the release back to the board: {item.rationale or 'deferred'}"
        elif item.decision == "reject":
            text = f"Rework or withdraw the release: {item.rationale or 'rejected'}"
            due = "before it is proposed again"
        elif item.decision is None:
            text = "Present the release at the next meeting (not reached in this one)"
        if text:
            actions.append(Action(len(actions) + 1, item.release_key, text, owner, due))
    return actions


def build_minutes(
    meeting: cab.Meeting,
    *,
    generated_at: dt.datetime | None = None,
    around: MinutesContext | None = None,
) -> DocxDocument:
    """The minutes of ``meeting`` as a python-docx ``Document`` (not yet saved)."""
    around = around or MinutesContext()
    zone = ZoneInfo(meeting.timezone)
    doc = Document()
    w = _Writer(doc)
    doc.add_paragraph(clean(f"CAB minutes — {meeting.title}"), style="Title")
    chair = f" · chair {meeting.chair_name}" if meeting.chair_name else ""
    doc.add_paragraph(
        clean(f"Change Advisory Board, {_when(meeting.held_at, zone)}{chair}"), style="Subtitle"
    )

    decided = meeting.decided
    total = sum(i.seconds_spent for i in meeting.items)
    times = sorted(i.decided_at for i in meeting.items if i.decided_at is not None)
    held = _when(meeting.held_at, zone)
    if times and times[-1] > meeting.held_at:
        held = K.fmt_range(meeting.held_at, times[-1], zone)
    w.heading("Meeting", 1)
    rows = [
        ["Meeting", meeting.title],
        ["Held", held],
        ["Agenda frozen at the cut-off", _when(meeting.cutoff_at, zone)],
        ["Chair", meeting.chair_name or "—"],
        ["Status", K.capital(K.words(meeting.status))],
        ["Items decided", f"{decided} of {len(meeting.items)}"],
        ["Time spent on the agenda", fmt_seconds(total)],
    ]
    if times and times[0] < meeting.held_at:
        rows.insert(2, ["Decisions recorded", K.fmt_range(times[0], times[-1], zone)])
    w.facts(rows, (2.2, 4.3))

    w.heading("Attendance", 1)
    if meeting.attendees:
        counts = {
            k: sum(1 for a in meeting.attendees if a.attendance == k) for k in ATTENDANCE_WORDS
        }
        w.text(
            f"Present {counts['present']} · apologies {counts['apologies']} · "
            f"absent {counts['absent']}"
        )
        order = {"present": 0, "apologies": 1, "absent": 2}
        w.table(
            ["Name", "E-mail", "Role", "Attendance"],
            [
                [
                    a.name,
                    a.email,
                    "Chair" if a.is_chair else "Member",
                    ATTENDANCE_WORDS[a.attendance],
                ]
                for a in sorted(
                    meeting.attendees, key=lambda a: (order[a.attendance], not a.is_chair)
                )
            ],
            [2.0, 2.4, 1.0, 1.1],
        )
    else:
        w.text(None, empty="No attendees were recorded.")

    w.heading("Decisions", 1)
    if not meeting.items:
        w.text(None, empty="The agenda was empty.")
    else:
        w.table(
            ["#", "Release", "Decision", "Time"],
            [
                [
                    str(i.position + 1),
                    f"{i.release_key} — {i.release_title}",
                    cab.decision_word(i.decision),
                    fmt_seconds(i.seconds_spent),
                ]
                for i in meeting.items
            ],
            [0.4, 3.6, 1.6, 0.9],
        )
    meeting_day = meeting.held_at.astimezone(zone).date()
    for i in meeting.items:
        w.heading(f"{i.position + 1}. {i.release_key} — {i.release_title}", 2)
        decided_at = "—"
        if i.decided_at is not None:
            local = i.decided_at.astimezone(zone)
            decided_at = (
                f"{local:%H:%M} {local.tzname()}"
                if local.date() == meeting_day
                else _when(i.decided_at, zone)
            )
        w.facts(
            [
                ["Decision", cab.decision_word(i.decision)],
                ["Rationale", i.rationale or "—"],
                ["Conditions", i.conditions or "—"],
                ["Time spent", fmt_seconds(i.seconds_spent)],
                ["Decided at", decided_at],
                [
                    "Release",
                    f"{K.capital(K.words(i.release_type))} release, {K.words(i.risk)} risk, "
                    f"now {i.release_status}",
                ],
                [
                    "CAB approval stage",
                    K.capital(K.words(i.cab_stage_status))
                    if i.cab_stage_status
                    else "No CAB stage",
                ],
            ],
            (2.2, 4.3),
        )

    w.heading("Actions", 1)
    actions = minutes_actions(meeting, around, zone)
    if actions:
        w.table(
            ["#", "Release", "Action", "Owner", "Due"],
            [[str(a.number), a.release_key, a.text, a.owner, a.due] for a in actions],
            [0.3, 1.2, 2.7, 1.2, 1.1],
        )
    else:
        w.text(None, empty="No actions: every item was approved without conditions.")

    w.heading("Carried over", 1)
    carried = [i for i in meeting.items if i.decision in (None, "defer", "more_info")]
    if carried:
        w.text(
            "These items were not decided for good in this meeting; they carry over to the "
            "agenda of the next meeting:"
        )
        w.bullets(
            f"{i.release_key} — {i.release_title} ({cab.decision_word(i.decision).lower()})"
            for i in carried
        )
    else:
        w.text("Nothing carries over: every item on the agenda was decided.")

    w.heading("Next meeting", 1)
    if around.next_held_at is not None:
        w.text(f"{around.next_title or 'CAB'}, {_when(around.next_held_at, zone)}.")
    else:
        w.text("The next meeting is not scheduled yet.")

    note = "These minutes report the decisions recorded in the plan; the plan is the record."
    if generated_at is not None:
        note += f" Written {_when(generated_at, zone)}"
        note += f" by {around.exported_by}." if around.exported_by else "."
    p = doc.add_paragraph()
    p.add_run(clean(note)).italic = True
    _footer(doc, f"CAB minutes — {meeting.title}")
    K.set_properties(
        doc,
        title=clean(f"CAB minutes — {meeting.title}"),
        subject=clean(
            f"Change Advisory Board, {meeting.held_at.astimezone(zone):%Y-%m-%d}"
            + (f", plan {around.plan_name}" if around.plan_name else "")
        ),
        author=clean(around.exported_by or meeting.chair_name or ""),
        created=generated_at or dt.datetime.now(dt.UTC),
        category="CAB minutes",
    )
    return doc


def write_minutes(
    meeting: cab.Meeting,
    target: str | os.PathLike[str],
    *,
    generated_at: dt.datetime | None = None,
    around: MinutesContext | None = None,
    cancelled: Callable[[], bool] | None = None,
    audit_head: str | None = None,
) -> Path:
    """Build the minutes and save them to ``target`` atomically; return the path.
    ``audit_head`` ("SEQ:HASH") is stamped into the document (``audit_stamp``)."""
    doc = build_minutes(meeting, generated_at=generated_at, around=around)
    stamp_audit_head(doc, audit_head)
    return write_atomically(target, in_memory(doc.save), cancelled=cancelled)


def minutes_context(ctx: Ctx, meeting: cab.Meeting) -> MinutesContext:
    """The next meeting after ``meeting`` and the manager and window of each release on it."""
    from relman_desktop.services import releases

    later = [
        m for m in cab.list_meetings(ctx) if m.id != meeting.id and m.held_at > meeting.held_at
    ]
    nxt = min(later, key=lambda m: m.held_at) if later else None
    facts: dict[str, ReleaseFacts] = {}
    for item in meeting.items:
        try:
            d = releases.get_release(ctx, item.release_key)
        except NotFound:
            continue
        facts[item.release_key] = ReleaseFacts(d.manager, d.deploy_start)
    plan_path = getattr(ctx.plan, "path", None)
    return MinutesContext(
        next_title=nxt.title if nxt else None,
        next_held_at=nxt.held_at if nxt else None,
        releases=facts,
        exported_by=ctx.actor,
        plan_name=plan_path.stem if plan_path is not None else "",
    )


def export_minutes(ctx: Ctx, meeting_id: int, target: str | os.PathLike[str]) -> Path:
    """Read the meeting from the plan and write its minutes (``relman export minutes``)."""
    from relman_desktop.services.audit import head

    meeting = cab.get_meeting(ctx, meeting_id)
    return write_minutes(
        meeting,
        target,
        generated_at=ctx.now(),
        around=minutes_context(ctx, meeting),
        audit_head=head(ctx).text,
    )
