"""CAB minutes as a Word document (python-docx), from a ``cab.Meeting``.

The minutes are a report, not the record: every decision, rationale, condition and minute
spent is already in the plan (``services.cab``); this writes down what it holds, in the same
Word structure as the release notes (Title, Heading 1/2, tables in a table style).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from docx import Document
from docx.document import Document as DocxDocument
from docx.shared import Inches

from relman_desktop.services import cab
from relman_desktop.services.base import Ctx

from .audit_stamp import stamp_audit_head
from .release_notes import _Writer, clean
from .safe_write import in_memory, write_atomically

__all__ = ["build_minutes", "export_minutes", "fmt_seconds", "write_minutes"]


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
    if value is None:
        return "—"
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {zone.key if zone.key != 'UTC' else 'UTC'}"


def _facts(w: _Writer, rows: list[list[str]]) -> None:
    """A two-column table of labelled facts (bold labels, no header row)."""
    t = w.doc.add_table(rows=0, cols=2)
    if w.table_style:
        t.style = w.table_style
    t.autofit = False
    for label, value in rows:
        cells = t.add_row().cells
        cells[0].paragraphs[0].add_run(clean(label)).bold = True
        cells[1].text = clean(value)
        cells[0].width, cells[1].width = Inches(2.0), Inches(4.5)
    w.doc.add_paragraph()


def build_minutes(meeting: cab.Meeting, *, generated_at: dt.datetime | None = None) -> DocxDocument:
    """The minutes of ``meeting`` as a python-docx ``Document`` (not yet saved)."""
    zone = ZoneInfo(meeting.timezone)
    doc = Document()
    w = _Writer(doc)
    doc.add_paragraph(clean(f"CAB minutes — {meeting.title}"), style="Title")
    chair = f" · chair {meeting.chair_name}" if meeting.chair_name else ""
    doc.add_paragraph(clean(f"Change Advisory Board, {_when(meeting.held_at, zone)}{chair}"), style="Subtitle")

    decided = meeting.decided
    total = sum(i.seconds_spent for i in meeting.items)
    w.heading("Meeting", 1)
    _facts(w, [
        ["Meeting", meeting.title],
        ["Held at", _when(meeting.held_at, zone)],
        ["Agenda frozen at the cut-off", _when(meeting.cutoff_at, zone)],
        ["Chair", meeting.chair_name or "—"],
        ["Status", meeting.status],
        ["Items decided", f"{decided} of {len(meeting.items)}"],
        ["Time spent on the agenda", fmt_seconds(total)],
    ])

    w.heading("Attendees", 1)
    if meeting.attendees:
        w.table(["Name", "E-mail", "Attendance", "Role"], [
            [a.name, a.email, "Present" if a.present else "Absent", "Chair" if a.is_chair else "Member"]
            for a in meeting.attendees
        ], widths=[2.0, 2.4, 1.1, 1.0])
    else:
        w.text(None, empty="No attendees were recorded.")

    w.heading("Decisions", 1)
    if not meeting.items:
        w.text(None, empty="The agenda was empty.")
    else:
        w.table(["#", "Release", "Decision", "Time"], [
            [str(i.position + 1), f"{i.release_key} — {i.release_title}", cab.decision_word(i.decision),
             fmt_seconds(i.seconds_spent)]
            for i in meeting.items
        ], widths=[0.4, 3.6, 1.6, 0.9])
    for i in meeting.items:
        w.heading(f"{i.position + 1}. {i.release_key} — {i.release_title}", 2)
        _facts(w, [
            ["Decision", cab.decision_word(i.decision)],
            ["Rationale", i.rationale or "—"],
            ["Conditions", i.conditions or "—"],
            ["Time spent", fmt_seconds(i.seconds_spent)],
            ["Decided at", _when(i.decided_at, zone)],
            ["Release", f"{i.release_type.replace('_', ' ')} release, {i.risk} risk, now {i.release_status}"],
            ["CAB approval stage", i.cab_stage_status or "no CAB stage"],
        ])

    note = ("These minutes report the decisions recorded in the plan; the plan is the record.")
    if generated_at is not None:
        note += f" Written {_when(generated_at, zone)}."
    p = doc.add_paragraph()
    p.add_run(note).italic = True
    return doc


def write_minutes(meeting: cab.Meeting, target: str | os.PathLike[str], *,
                  generated_at: dt.datetime | None = None,
                  cancelled: Callable[[], bool] | None = None,
                  audit_head: str | None = None) -> Path:
    """Build the minutes and save them to ``target`` atomically; return the path.
    ``audit_head`` ("SEQ:HASH") is stamped into the document (``audit_stamp``)."""
    doc = build_minutes(meeting, generated_at=generated_at)
    stamp_audit_head(doc, audit_head)
    return write_atomically(target, in_memory(doc.save), cancelled=cancelled)


def export_minutes(ctx: Ctx, meeting_id: int, target: str | os.PathLike[str]) -> Path:
    """Read the meeting from the plan and write its minutes (``relman export minutes``)."""
    from relman_desktop.services.audit import head

    return write_minutes(cab.get_meeting(ctx, meeting_id), target, generated_at=ctx.now(),
                         audit_head=head(ctx).text)
