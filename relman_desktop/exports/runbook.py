"""The deployment runbook as a Word document: what the people on the bridge follow on the night.

From a ``ReleaseReport``: contacts; the go/no-go checkpoint; the steps in order (the release's
deploy and verify tasks, or every task but rollback and review when there are none) with owner,
planned time in the plan's zone and a box to tick; the waves with bake times and abort
criteria and a box per wave; the point of no return (the last moment a rollback still ends
inside the window); the rollback steps; sign-off boxes. Planned times run from the start of the
deployment window, each step taking its effort (half an hour when none is recorded).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from docx import Document
from docx.document import Document as DocxDocument
from docx.shared import Inches

from relman_desktop.services.release_report import ReleaseReport, TaskItem

from . import docx_kit as K
from .release_notes import _footer, _wave_row, _Writer, clean, rule_words, status_banner
from .safe_write import write_atomically

__all__ = ["RunbookStep", "build_runbook", "runbook_steps", "write_runbook"]

BOX = "☐"
DEFAULT_STEP = dt.timedelta(minutes=30)
STEP_PHASES = ("deploy", "verify")
LATER_PHASES = ("rollback", "review")


@dataclass(frozen=True)
class RunbookStep:
    number: int
    task: TaskItem
    planned: dt.datetime | None  # None: no deployment window, the task's dates say when
    after_no_return: bool


def _effort(task: TaskItem) -> dt.timedelta:
    if task.effort_hours and task.effort_hours > 0:
        return dt.timedelta(hours=task.effort_hours)
    return DEFAULT_STEP


def point_of_no_return(report: ReleaseReport) -> dt.datetime | None:
    """The last moment a rollback started still ends inside the deployment window."""
    if report.deploy_end is None:
        return None
    return report.deploy_end - dt.timedelta(minutes=report.rollback_minutes or 0)


def runbook_steps(report: ReleaseReport) -> list[RunbookStep]:
    """The deployment steps in order, with planned start times from the window's start."""
    tasks = [t for t in report.tasks if t.phase in STEP_PHASES]
    if not tasks:
        tasks = [t for t in report.tasks if t.phase not in LATER_PHASES]
    tasks = [t for t in tasks if t.status != "cancelled"]
    tasks.sort(key=lambda t: (t.position, t.local_id))
    no_return = point_of_no_return(report)
    at = report.deploy_start
    steps = []
    for n, task in enumerate(tasks, 1):
        planned = at
        late = planned is not None and no_return is not None and planned >= no_return
        steps.append(RunbookStep(n, task, planned, late))
        if at is not None:
            at = at + _effort(task)
    return steps


def build_runbook(report: ReleaseReport) -> DocxDocument:
    zone = ZoneInfo(report.zone)
    doc = Document()
    w = _Writer(doc)
    doc.add_paragraph(clean(f"Deployment runbook — {report.key}"), style="Title")
    version = f" · version {report.version}" if report.version else ""
    doc.add_paragraph(clean(f"{report.title}{version}"), style="Subtitle")
    fill, headline, body = status_banner(report, zone)
    K.banner(doc, headline, body, fill, clean=clean)
    doc.add_paragraph()

    downtime, how = report.expected_downtime()
    no_return = point_of_no_return(report)
    w.facts(
        [
            ["Release", f"{report.key} — {report.title}"],
            ["Application", report.application or "—"],
            ["Strategy", K.capital(K.words(report.strategy, "not set"))],
            ["Deployment window", K.fmt_range(report.deploy_start, report.deploy_end, zone)],
            [
                "Expected downtime",
                how
                if downtime in (None, dt.timedelta(0))
                else f"{K.fmt_duration(downtime)} — {how}",
            ],
            [
                "Rollback takes",
                f"{report.rollback_minutes} min" if report.rollback_minutes is not None else "—",
            ],
            ["Point of no return", K.fmt_local(no_return, zone)],
            ["Release manager", report.manager or "—"],
            ["Times shown in", K.zone_label(zone)],
            ["Printed", f"{K.fmt_local(report.generated_at, zone)} by {report.exported_by or '—'}"],
        ]
    )

    w.heading("Contacts")
    if report.contacts:
        w.table(
            ["Name", "Role", "E-mail"],
            [[c.name, c.role, c.email or "—"] for c in report.contacts],
            [2.0, 2.0, 2.4],
        )
    else:
        w.text(None, "No contacts recorded.")

    w.heading("Go / no-go")
    w.text(
        "Before the first step: every approval stage is approved, the rollback is ready, and the "
        "people below are on the bridge."
    )
    doc.paragraphs[-1].paragraph_format.keep_with_next = True  # with its table
    w.table(
        ["Checkpoint", "Result", "Who", "Time", "Signed"],
        [
            [s.name, f"{K.capital(K.words(s.status))} ({rule_words(s)})", "", "", BOX]
            for s in report.stages
        ]
        + [["Go decision", "", report.manager or "", "", BOX]],
        [2.0, 1.8, 1.2, 0.8, 0.6],
        keep_together=True,
    )

    w.heading("Steps")
    steps = runbook_steps(report)
    if steps:
        w.table(
            ["#", "Step", "Owner", "Planned", "After", "Done"],
            [_step_row(s, zone) for s in steps],
            [0.4, 2.6, 1.3, 1.2, 0.6, 0.5],
        )
        if no_return is not None:
            late = [s for s in steps if s.after_no_return]
            where = f" — steps from #{late[0].number} on are past it" if late else ""
            w.label(
                "Point of no return",
                f"{K.fmt_local(no_return, zone)}: after it a rollback no longer ends inside the "
                f"window{where}. Decide go or roll back before then.",
            )
    else:
        w.text(None, "No deployment steps recorded: add deploy and verify tasks to the release.")

    if report.waves:
        w.heading("Waves")
        w.table(
            ["Wave", "Share", "Bake time", "Abort criteria", "Go"],
            [[*_wave_row(i, wave), BOX] for i, wave in enumerate(report.waves, 1)],
            [0.8, 1.0, 0.9, 3.2, 0.5],
            keep_together=len(report.waves) <= 12,
        )
        w.text(
            "After each wave, wait for its bake time; if any abort criterion is met, stop and "
            "roll back."
        )

    w.heading("Rollback")
    rollback = [t for t in report.tasks if t.phase == "rollback" and t.status != "cancelled"]
    if rollback:
        w.table(
            ["#", "Rollback step", "Owner", "Takes", "Done"],
            [
                [str(n), t.title, t.owner or "—", K.fmt_duration(_effort(t)), BOX]
                for n, t in enumerate(rollback, 1)
            ],
            [0.4, 3.2, 1.4, 0.9, 0.5],
            keep_together=len(rollback) <= 12,
        )
    w.text(report.rollback_plan, "" if rollback else "No rollback plan recorded.")
    if report.rollback_rehearsed_on:
        w.label("Last rehearsed", report.rollback_rehearsed_on.isoformat())

    w.heading("Sign-off")
    signatures = w.table(
        ["", "Name", "Time", "Signature"],
        [
            ["Deployment completed", "", "", ""],
            ["Verification passed", "", "", ""],
            ["Release manager", report.manager or "", "", ""],
        ],
        [2.0, 1.8, 1.0, 1.6],
        keep_together=True,
    )
    for row in signatures.rows[1:]:
        row.height = Inches(0.45)  # room to sign by hand

    _footer(doc, f"{report.key} deployment runbook")
    K.set_properties(
        doc,
        title=clean(f"{report.key} {report.title}"),
        subject=clean(
            "Deployment runbook" + (f", plan {report.plan_name}" if report.plan_name else "")
        ),
        author=clean(report.exported_by or report.manager or ""),
        created=report.generated_at or dt.datetime.now(dt.UTC),
        keywords=clean(report.key),
        category="Deployment runbook",
    )
    return doc


def _step_row(step: RunbookStep, zone: ZoneInfo) -> list[str]:
    t = step.task
    if step.planned is not None:
        local = step.planned.astimezone(zone)
        planned = f"{local:%Y-%m-%d %H:%M}"
    elif t.start is not None:
        planned = t.start.isoformat()
    else:
        planned = "—"
    title = t.title + (" (past the point of no return)" if step.after_no_return else "")
    if t.notes:
        title += f"\n{t.notes}"
    return [str(step.number), title, t.owner or "—", planned, ", ".join(t.after) or "—", BOX]


def write_runbook(
    report: ReleaseReport,
    target: str | os.PathLike[str],
    *,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Build the runbook and save it to ``target`` atomically; return the path."""
    doc = build_runbook(report)
    return write_atomically(target, lambda tmp: doc.save(str(tmp)), cancelled=cancelled)
