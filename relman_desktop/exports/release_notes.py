"""Release notes as a Word document (python-docx), from a ``ReleaseReport``.

Real Word structure, so the document behaves like one a person made: built-in Heading 1/2
styles (navigation pane, table of contents), a TOC field, tables in a table style, page
numbers from PAGE/NUMPAGES fields in the footer. With the user's own .docx (or .dotx) as
template its styles, page setup, headers and footers are kept and only its body is replaced.

Two variants: ``business`` (the default) for stakeholders — no change keys, no engineering
titles unless a change is marked for business readers (``audience``), no configuration items,
waves, test counts or rollback internals — and ``technical`` for the release team.

Both open with the release's status: a cancelled, on-hold or rolled-back release says so first
and does not announce a go-live; deployments, incidents and the review follow when there are
any. Every time is in the plan's time zone; tables keep their columns (see ``docx_kit``).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from relman_desktop.services.base import ServiceError
from relman_desktop.services.release_report import ReleaseReport, StageItem
from relman_desktop.services.text import clean_text

from . import docx_kit as K
from .audit_stamp import stamp_audit_head
from .docx_template import vetted_template
from .safe_write import in_memory, write_atomically

VARIANTS = ("business", "technical")

CATEGORY_TITLES = {
    "feature": "New features",
    "fix": "Fixes",
    "security": "Security",
    "configuration": "Configuration",
    "infrastructure": "Infrastructure",
    "documentation": "Documentation",
}

_TABLE_STYLES = ("Light Grid Accent 1", "Table Grid")
_NEEDED_STYLES = ("Title", "Subtitle", "Heading 1", "Heading 2", "Table Grid")


def clean(text: Any) -> str:
    """User text made safe for a Word document (``services.text.clean_text``: no character XML
    1.0 refuses); python-docx escapes the rest."""
    if text is None:
        return ""
    return clean_text(str(text)).replace("\r\n", "\n").replace("\r", "\n")


def _fmt_date(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def _words(value: str | None) -> str:
    return K.words(value)


# --- the document and its template ---------------------------------------------------------------


def _open_template(template: str | os.PathLike[str] | None) -> DocxDocument:
    if template is None:
        return Document()
    path = Path(template)
    if not path.is_file():
        raise ServiceError(f"the style template {path} does not exist")
    try:
        data = vetted_template(path, path.read_bytes())
        if path.suffix.lower() in (".dotx", ".dotm"):
            data = _template_as_document(data)
        doc = Document(io.BytesIO(data))
    except OSError as exc:
        raise ServiceError(
            f"the style template {path.name} cannot be read: {exc.strerror or exc}"
        ) from None
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.LxmlError):
        raise ServiceError(
            f"the style template {path.name} is not a Word document (.docx or .dotx)"
        ) from None
    _clear_body(doc)
    return doc


def _template_as_document(data: bytes) -> bytes:
    """A .dotx is a .docx whose main part says "template": relabel it so it opens as a document."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                content = content.replace(
                    b"wordprocessingml.template.main+xml", b"wordprocessingml.document.main+xml"
                )
            dst.writestr(item, content)
    return out.getvalue()


def _clear_body(doc: DocxDocument) -> None:
    """Drop the template's content but keep its last section (page size, margins, headers)."""
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


def _ensure_styles(doc: DocxDocument) -> None:
    """A template made in Word may lack styles it never used: borrow python-docx's defaults."""
    names = {s.name for s in doc.styles}
    missing = [n for n in _NEEDED_STYLES if n not in names]
    if not missing:
        return
    default = Document()
    for name in missing:
        doc.styles.element.append(copy.deepcopy(default.styles[name].element))


def _table_style(doc: DocxDocument) -> str | None:
    names = {s.name for s in doc.styles if s.type == WD_STYLE_TYPE.TABLE}
    return next((n for n in _TABLE_STYLES if n in names), None)


def _field(paragraph: Any, instruction: str, placeholder: str = "") -> None:
    """A complex field (PAGE, NUMPAGES, TOC): Word computes it; ``placeholder`` shows until then."""

    def run_with(*children: Any) -> None:
        r = OxmlElement("w:r")
        for c in children:
            r.append(c)
        paragraph._p.append(r)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    text = OxmlElement("w:t")
    text.set(qn("xml:space"), "preserve")
    text.text = placeholder
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(begin)
    run_with(instr)
    run_with(sep)
    run_with(text)
    run_with(end)


def _update_fields_on_open(doc: DocxDocument) -> None:
    """Ask Word to fill the table of contents and page counts when the document opens."""
    settings = doc.settings.element
    if settings.find(qn("w:updateFields")) is None:
        flag = OxmlElement("w:updateFields")
        flag.set(qn("w:val"), "true")
        settings.append(flag)


def _footer(doc: DocxDocument, label: str) -> None:
    for section in doc.sections:
        footer = section.footer
        xml = footer._element.xml if not footer.is_linked_to_previous else ""
        if "PAGE" in xml:
            continue  # the template numbers its pages already
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        if p.text.strip():
            p = footer.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(f"{clean(label)} · page ")
        _field(p, "PAGE", "1")
        p.add_run(" of ")
        _field(p, "NUMPAGES", "1")


# --- building blocks ------------------------------------------------------------------------------


class _Writer:
    def __init__(self, doc: DocxDocument) -> None:
        self.doc = doc
        self.table_style = _table_style(doc)
        self.headings: list[tuple[int, str]] = []

    def heading(self, text: str, level: int = 1) -> None:
        self.doc.add_heading(clean(text), level=level)
        self.headings.append((level, clean(text)))

    def text(self, value: str | None, empty: str = "") -> None:
        """User text; blank lines separate paragraphs, single newlines break lines."""
        body = clean(value).strip()
        if not body:
            if empty:
                self.doc.add_paragraph().add_run(empty).italic = True
            return
        for block in re.split(r"\n\s*\n", body):
            p = self.doc.add_paragraph()
            for i, line in enumerate(block.split("\n")):
                if i:
                    p.add_run().add_break(WD_BREAK.LINE)
                p.add_run(line)

    def label(self, name: str, value: str) -> None:
        p = self.doc.add_paragraph()
        p.add_run(f"{name}: ").bold = True
        p.add_run(clean(value))

    def bullets(self, items: Iterable[str]) -> None:
        style = "List Bullet" if "List Bullet" in {s.name for s in self.doc.styles} else None
        for item in items:
            if style:
                self.doc.add_paragraph(clean(item), style=style)
            else:
                self.doc.add_paragraph(clean(f"• {item}"))

    def table(
        self,
        header: list[str] | None,
        rows: Iterable[list[Any]],
        widths: list[float] | None = None,
        *,
        bold_first_column: bool = False,
        keep_together: bool = False,
    ) -> Any:
        """A table over the text width; ``widths`` are relative column weights (equal if none).
        The grid equals the cell widths, rows never split, the header repeats on each page."""
        rows = [list(r) for r in rows]
        cols = len(header) if header is not None else len(rows[0])
        t = K.add_table(
            self.doc,
            header,
            rows,
            widths or [1.0] * cols,
            style=self.table_style,
            clean=clean,
            bold_first_column=bold_first_column,
            keep_together=keep_together,
        )
        self.doc.add_paragraph()
        return t

    def facts(self, rows: list[list[str]], widths: tuple[float, float] = (1.9, 4.6)) -> Any:
        """Labelled facts: two columns, bold labels, no header row."""
        return self.table(
            None, rows, list(widths), bold_first_column=True, keep_together=len(rows) <= 12
        )


# --- status ---------------------------------------------------------------------------------------

# (banner fill, headline) per final or parked state; anything else is "planned" or "deployed".
_BANNERS = {
    "Cancelled": ("F4D6D6", "Cancelled — this release will not be deployed"),
    "On Hold": ("FBE8C8", "On hold — the schedule below is suspended"),
    "Rolled Back": ("F4D6D6", "Rolled back — the release was withdrawn after deployment"),
    "Closed": ("DCEFE0", "Closed — the release is complete and reviewed"),
    "Deployed": ("DCEFE0", "Deployed"),
    "In Review": ("DCEFE0", "Deployed — in review"),
    "Deploying": ("FFF3C4", "Deploying now"),
}
_NOT_DEPLOYED = ("Cancelled", "On Hold")


def status_banner(report: ReleaseReport, zone: ZoneInfo) -> tuple[str, str, str]:
    """(fill colour, headline, one or two sentences) saying where the release stands."""
    status = report.status
    window = K.fmt_range(report.deploy_start, report.deploy_end, zone)
    fill, headline = _BANNERS.get(status, ("DDE7F3", f"Planned — {status.lower()}"))
    last = report.deployments[-1] if report.deployments else None
    if status == "Cancelled":
        body = "Nothing changes for users and there is no downtime."
        if report.deploy_start:
            body += f" The deployment window {window} will not be used."
    elif status == "On Hold":
        before = f" while in {report.previous_status}" if report.previous_status else ""
        body = f"The release was put on hold{before}; no go-live is scheduled until it resumes."
        if report.deploy_start:
            body += f" The window {window} is not confirmed."
    elif status == "Rolled Back":
        body = "Users are back on the previous version."
        back = next((d for d in reversed(report.deployments) if d.outcome == "rolled_back"), last)
        if back is not None and (back.restored_at or back.finished_at):
            when = K.fmt_local(back.restored_at or back.finished_at, zone)
            body = f"Rolled back in {back.environment}, {when}. {body}"
        incidents = sum(d.incidents for d in report.deployments)
        if incidents:
            body += f" {incidents} incident{'s' if incidents != 1 else ''} recorded."
    elif status == "Closed":
        if report.review is not None:
            body = f"Review outcome: {K.words(report.review.outcome)}"
            if report.review.closed_at:
                body += f", closed {K.fmt_local(report.review.closed_at, zone)}"
            body += "."
        else:
            body = "The release is closed."
        if report.closure_code:
            body += f" Closure code: {K.words(report.closure_code)}."
    elif status in ("Deployed", "In Review", "Deploying"):
        body = f"Deployment window {window}." if report.deploy_start else ""
        if last is not None and last.outcome:
            body += f" Last deployment: {last.environment}, {K.words(last.outcome)}."
    else:
        body = (
            f"Go-live window {window}."
            if report.deploy_start
            else "No go-live window is scheduled yet."
        )
    return fill, headline, body.strip()


_RULES = {
    "any": "any one approver",
    "all": "all approvers",
    "majority": "a majority of approvers",
    "first_response": "the first response decides",
}


def rule_words(stage: StageItem) -> str:
    if stage.rule == "percent":
        return f"at least {stage.percent} % of approvers"
    return _RULES.get(stage.rule, K.words(stage.rule))


def _decision_words(decision: str, stage_status: str) -> str:
    if decision == "pending" and stage_status != "pending":
        return f"Not needed (stage {stage_status})"
    return K.capital(K.words(decision))


# --- the document -----------------------------------------------------------------------------------


def build_release_notes(
    report: ReleaseReport,
    *,
    variant: str = "business",
    template: str | os.PathLike[str] | None = None,
) -> DocxDocument:
    """The release notes as a python-docx ``Document`` (not yet saved)."""
    if variant not in VARIANTS:
        raise ServiceError(f"variant {variant!r} is not one of {', '.join(VARIANTS)}")
    technical = variant == "technical"
    zone = ZoneInfo(report.zone)
    doc = _open_template(template)
    _ensure_styles(doc)
    w = _Writer(doc)
    status = report.status
    not_deployed = status in _NOT_DEPLOYED
    window = K.fmt_range(report.deploy_start, report.deploy_end, zone)
    planned = (
        f"{_fmt_date(report.planned_start)} – {_fmt_date(report.planned_end)}"
        if report.planned_start or report.planned_end
        else "—"
    )

    # cover
    if technical:
        doc.add_paragraph(clean(f"{report.key} — {report.title}"), style="Title")
    else:
        doc.add_paragraph(clean(report.title), style="Title")
    audience = "technical release notes" if technical else "release notes"
    version = f"Version {report.version} · " if report.version else ""
    doc.add_paragraph(clean(f"{version}{audience} · {report.key}"), style="Subtitle")
    fill, headline, body = status_banner(report, zone)
    K.banner(doc, headline, body, fill, clean=clean)
    doc.add_paragraph()
    manager = report.manager or "—"
    if report.manager and report.manager_email and technical:
        manager = f"{report.manager} <{report.manager_email}>"
    window_label = "Deployment window" if technical else "Go-live window"
    if not_deployed and report.deploy_start:
        window += " (not used: cancelled)" if status == "Cancelled" else " (not confirmed: on hold)"
    cover = [
        ["Release", report.key],
        ["Version", report.version or "—"],
        ["Application", report.application or "—"],
        ["Type", K.capital(K.words(report.type))],
        ["Status", status],
        ["Planned", planned],
        [window_label, window],
        ["Release manager", manager],
        ["Issued", f"{K.fmt_local(report.generated_at, zone)} by {report.exported_by or '—'}"],
    ]
    if technical:
        cover.insert(4, ["Risk", K.capital(K.words(report.risk))])
    w.facts(cover)

    toc_title = doc.add_paragraph()
    toc_title.add_run("Contents").bold = True
    toc = doc.add_paragraph()
    _field(toc, 'TOC \\o "1-2" \\h \\z \\u', "Update the field (F9) to show the table of contents.")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # summary and objectives
    w.heading("Summary and objectives")
    w.heading("Scope", 2)
    w.text(report.scope, "No scope recorded.")
    w.heading("Objectives", 2)
    w.text(report.objectives, "No objectives recorded.")

    _changes(w, report, technical)

    # known issues
    w.heading("Known issues")
    issues = [c for c in report.changes if (c.known_issues or "").strip()]
    if issues and technical:
        w.table(["Change", "Known issue"], [[c.key, c.known_issues] for c in issues], [1.2, 5.2])
    elif issues:
        w.bullets(dict.fromkeys((c.known_issues or "").strip() for c in issues))
    else:
        w.text(None, "No known issues.")

    # affected services and downtime
    if technical:
        w.heading("Affected configuration items and downtime")
        if report.cis:
            w.table(
                ["Configuration item", "Class", "Environment", "Criticality", "Maintenance window"],
                [
                    [
                        ci.name,
                        K.words(ci.ci_class),
                        ci.environment or "—",
                        K.words(ci.criticality),
                        "required" if ci.requires_maintenance_window else "not required",
                    ]
                    for ci in report.cis
                ],
                [2.0, 1.1, 1.2, 1.0, 1.2],
            )
        else:
            w.text(None, "No configuration items are recorded on the changes.")
    else:
        w.heading("Service availability")
    downtime, how = report.expected_downtime()
    if not_deployed:
        w.label("Expected downtime", f"none — the release is {status.lower()}")
    elif downtime is None:
        w.label("Expected downtime", how)
    elif downtime == dt.timedelta(0):
        w.label("Expected downtime", how)
    else:
        w.label("Expected downtime", f"{K.fmt_duration(downtime)} — {how}")
    w.label(window_label, window)

    # deployment plan / schedule
    if technical:
        w.heading("Deployment plan")
        w.label("Strategy", K.capital(K.words(report.strategy, "not set")))
        w.label("Window", window)
        if report.waves:
            w.heading("Waves", 2)
            w.table(
                ["Wave", "Share", "Bake time", "Abort criteria"],
                [_wave_row(i, wave) for i, wave in enumerate(report.waves, 1)],
                [1.2, 1.0, 1.0, 3.2],
            )
        if (report.implementation_plan or "").strip():
            w.heading("Implementation", 2)
            w.text(report.implementation_plan)
        w.heading("Rollback plan")
        w.text(report.rollback_plan, "No rollback plan recorded.")
        w.label(
            "Rollback duration",
            f"{report.rollback_minutes} min" if report.rollback_minutes is not None else "—",
        )
        w.label("Last rehearsed", _fmt_date(report.rollback_rehearsed_on))
    else:
        w.heading("Schedule")
        w.label("Planned", planned)
        if status == "Cancelled":
            w.text("The release is cancelled: it will not go live.")
        elif status == "On Hold":
            w.text("The release is on hold: a new go-live date will be announced when it resumes.")
        elif status == "Rolled Back":
            w.text("The release went live and was withdrawn; users are on the previous version.")
        else:
            w.label(window_label, window)
            live = status in ("Deploying", "Deployed", "In Review", "Closed")
            if report.rollback_plan and not live:
                w.text("A rollback plan is in place should the release need to be withdrawn.")

    _deployments(w, report, technical, zone)
    _review(w, report, technical, zone)

    # tests
    if technical:
        w.heading("Test summary")
        if report.tests:
            w.table(
                ["Kind", "Environment", "Passed", "Failed", "Skipped", "Verdict", "Run at"],
                [
                    [
                        K.capital(K.words(t.kind)),
                        t.environment or "—",
                        t.passed,
                        t.failed,
                        t.skipped,
                        K.capital(K.words(t.verdict)),
                        K.fmt_local(t.run_at, zone),
                    ]
                    for t in report.tests
                ],
                [1.1, 1.1, 0.7, 0.7, 0.7, 0.8, 1.5],
            )
        else:
            w.text(None, "No test runs recorded.")
    else:
        w.heading("Testing")
        if report.tests:
            verdicts: dict[str, str] = {}
            for t in report.tests:  # the latest run of each kind decides
                verdicts[t.kind] = t.verdict
            w.table(
                ["Testing", "Result"],
                [
                    [K.capital(K.words(k)) + " testing", K.capital(K.words(v))]
                    for k, v in verdicts.items()
                ],
                [3.0, 3.0],
            )
        else:
            w.text(None, "No test results recorded.")

    _sign_off(w, report, technical, zone)

    # communication
    w.heading("Communication plan")
    w.text(report.communication_plan, "No communication plan recorded.")

    _fill_toc_placeholder(toc, w.headings)
    _footer(doc, f"{report.key} {audience}")
    _update_fields_on_open(doc)
    K.set_properties(
        doc,
        title=clean(f"{report.key} {report.title}"),
        subject=clean(
            f"{audience.capitalize()}" + (f", plan {report.plan_name}" if report.plan_name else "")
        ),
        author=clean(report.exported_by or report.manager or ""),
        created=report.generated_at or dt.datetime.now(dt.UTC),
        keywords=clean(", ".join(x for x in (report.key, report.application or "", status) if x)),
        category="Release notes",
    )
    return doc


def _changes(w: _Writer, report: ReleaseReport, technical: bool) -> None:
    w.heading("Changes" if technical else "What changes")
    if not report.changes:
        w.text(None, "This release bundles no changes.")
        return
    by_category: dict[str, list[Any]] = {}
    for c in report.changes:
        by_category.setdefault(c.category, []).append(c)
    order = [*CATEGORY_TITLES, *sorted(set(by_category) - set(CATEGORY_TITLES))]
    if technical:
        for category in order:
            items = by_category.get(category)
            if not items:
                continue
            w.heading(CATEGORY_TITLES.get(category, K.capital(K.words(category))), 2)
            w.table(
                ["Change", "Title", "Type", "Risk", "Configuration items", "Release note"],
                [
                    [
                        c.key,
                        c.title,
                        K.words(c.type),
                        K.words(c.risk),
                        ", ".join(c.cis) or "—",
                        c.release_note or "",
                    ]
                    for c in items
                ],
                [1.0, 1.5, 0.8, 0.7, 1.3, 2.2],
            )
        return
    # business readers: a change marked for them by its title and note; any other only by its
    # release note (no key, no engineering title), listed after; the rest are counted.
    shown = 0
    hidden = 0
    for category in order:
        items = by_category.get(category) or []
        marked = [
            [c.title, (c.release_note or "").strip() or "—"]
            for c in items
            if c.audience == "business"
        ]
        notes = [(c.release_note or "").strip() for c in items if c.audience != "business"]
        hidden += sum(1 for n in notes if not n)
        notes = list(dict.fromkeys(n for n in notes if n))  # one line per distinct note
        if not marked and not notes:
            continue
        shown += len(marked) + len(notes)
        w.heading(CATEGORY_TITLES.get(category, K.capital(K.words(category))), 2)
        if marked:
            w.table(["What changes", "What it means for you"], marked, [2.4, 4.0])
        if notes:
            w.bullets(notes)
    if hidden:
        w.text(
            f"{'Also' if shown else 'This release makes'} {hidden} technical "
            f"change{'s' if hidden != 1 else ''} with no visible effect for users."
        )


def _deployments(w: _Writer, report: ReleaseReport, technical: bool, zone: ZoneInfo) -> None:
    if not report.deployments:
        return
    w.heading("Deployments and incidents")
    if technical:
        w.table(
            ["Environment", "Wave", "Started", "Finished", "Outcome", "Incidents", "Restored"],
            [
                [
                    d.environment + (" (hotfix)" if d.hotfix else ""),
                    d.wave or "—",
                    K.fmt_local(d.started_at, zone),
                    K.fmt_local(d.finished_at, zone),
                    K.capital(K.words(d.outcome, "in progress")),
                    d.incidents,
                    K.fmt_local(d.restored_at, zone),
                ]
                for d in report.deployments
            ],
            [1.2, 0.8, 1.3, 1.3, 1.0, 0.8, 1.3],
        )
        return
    incidents = sum(d.incidents for d in report.deployments)
    lines = []
    for d in report.deployments:
        when = K.fmt_local(d.finished_at or d.started_at, zone)
        lines.append(f"{K.capital(d.environment)}: {K.words(d.outcome, 'in progress')}, {when}")
    w.bullets(lines)
    w.text(
        f"{incidents} incident{'s' if incidents != 1 else ''} recorded during deployment."
        if incidents
        else "No incidents were recorded during deployment."
    )


def _review(w: _Writer, report: ReleaseReport, technical: bool, zone: ZoneInfo) -> None:
    r = report.review
    if r is None:
        return
    w.heading("Post-implementation review")
    rows = [
        ["Outcome", K.capital(K.words(r.outcome))],
        ["Incidents", str(r.incidents)],
        [
            "Closed",
            f"{K.fmt_local(r.closed_at, zone)}" + (f" by {r.closed_by}" if r.closed_by else ""),
        ],
    ]
    if r.user_feedback:
        rows.append(["User feedback", r.user_feedback])
    if technical and r.lessons_learned:
        rows.append(["Lessons learned", r.lessons_learned])
    w.facts(rows)


def _sign_off(w: _Writer, report: ReleaseReport, technical: bool, zone: ZoneInfo) -> None:
    w.heading("Approval sign-off")
    if not report.stages:
        w.text(None, "No approval stages recorded.")
        return
    w.table(
        ["Stage", "Rule", "Result"],
        [
            [
                s.name,
                K.capital(rule_words(s)),
                f"{K.capital(K.words(s.status))} — {s.explanation}",
            ]
            for s in report.stages
        ],
        [1.3, 1.7, 3.4],
    )
    rows = []
    for s in report.stages:
        for so in s.sign_offs:
            who = so.approver + (f" (delegated to {so.delegated_to})" if so.delegated_to else "")
            row = [
                s.name,
                who,
                _decision_words(so.decision, s.status),
                K.fmt_local(so.decided_at, zone),
            ]
            if technical:
                row.append(so.comment or "")
            rows.append(row)
    if not rows:
        return
    w.heading("Approvers", 2)
    if technical:
        w.table(
            ["Stage", "Approver", "Decision", "Decided", "Comment"], rows, [1.0, 1.5, 1.2, 1.3, 1.4]
        )
    else:
        w.table(["Stage", "Approver", "Decision", "Decided"], rows, [1.3, 1.9, 1.6, 1.6])


def _wave_row(number: int, wave: dict[str, Any]) -> list[str]:
    if wave.get("percent") is not None:
        share = f"{wave['percent']} %"
    elif wave.get("batch") is not None:
        share = f"batch of {wave['batch']}"
    else:
        share = "—"
    bake = wave.get("bake_minutes")
    return [
        str(wave.get("name") or number),
        share,
        f"{bake} min" if bake is not None else "—",
        clean(wave.get("abort_criteria") or wave.get("abort") or "—"),
    ]


def _fill_toc_placeholder(toc: Any, headings: list[tuple[int, str]]) -> None:
    """Until Word updates the TOC field, show the headings themselves (page numbers follow)."""
    texts = toc._p.findall(".//" + qn("w:t"))
    if texts and headings:
        texts[-1].text = " · ".join(text for level, text in headings if level == 1)


def write_release_notes(
    report: ReleaseReport,
    target: str | os.PathLike[str],
    *,
    variant: str = "business",
    template: str | os.PathLike[str] | None = None,
    cancelled: Callable[[], bool] | None = None,
    audit_head: str | None = None,
) -> Path:
    """Build the release notes and save them to ``target`` atomically; return the path.
    ``audit_head`` ("SEQ:HASH") is stamped into the document (``audit_stamp``)."""
    doc = build_release_notes(report, variant=variant, template=template)
    stamp_audit_head(doc, audit_head)
    return write_atomically(target, in_memory(doc.save), cancelled=cancelled)


__all__ = ["VARIANTS", "build_release_notes", "clean", "write_release_notes"]
