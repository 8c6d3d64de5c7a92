"""Release notes as a Word document (python-docx), from a ``ReleaseReport``.

Real Word structure, so the document behaves like one a person made: built-in Heading 1/2
styles (navigation pane, table of contents), a TOC field, tables in a table style, page
numbers from PAGE/NUMPAGES fields in the footer. With the user's own .docx (or .dotx) as
template its styles, page setup, headers and footers are kept and only its body is replaced.

Two variants: ``technical`` for the release team, ``business`` for stakeholders, which
leaves out the technical detail (configuration items, waves, test counts, rollback internals).
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

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches

from relman_desktop.services.base import ServiceError
from relman_desktop.services.release_report import ReleaseReport

from .audit_stamp import stamp_audit_head
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

# Characters XML 1.0 cannot hold (python-docx refuses them): C0 controls except tab, newline
# and carriage return, lone surrogates, and the two non-characters U+FFFE/U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_TABLE_STYLES = ("Light Grid Accent 1", "Table Grid")
_NEEDED_STYLES = ("Title", "Subtitle", "Heading 1", "Heading 2", "Table Grid")


def clean(text: Any) -> str:
    """User text made safe for a Word document: no XML-breaking control characters."""
    if text is None:
        return ""
    return _XML_ILLEGAL.sub("", str(text)).replace("\r\n", "\n").replace("\r", "\n")


def _fmt_dt(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _fmt_date(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def _fmt_duration(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _words(value: str | None) -> str:
    return value.replace("_", " ") if value else "—"


# --- the document and its template ---------------------------------------------------------------


def _open_template(template: str | os.PathLike[str] | None) -> DocxDocument:
    if template is None:
        return Document()
    path = Path(template)
    if not path.is_file():
        raise ServiceError(f"the style template {path} does not exist")
    try:
        data = path.read_bytes()
        if path.suffix.lower() in (".dotx", ".dotm"):
            data = _template_as_document(data)
        doc = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError):
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


def _footer(doc: DocxDocument, report: ReleaseReport) -> None:
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
        p.add_run(f"{clean(report.key)} release notes · page ")
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

    def table(
        self, header: list[str], rows: Iterable[list[Any]], widths: list[float] | None = None
    ) -> Any:
        rows = list(rows)
        t = self.doc.add_table(rows=1, cols=len(header))
        if self.table_style:
            t.style = self.table_style
        for cell, name in zip(t.rows[0].cells, header, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(name).bold = True
        _repeat_header(t.rows[0])
        for row in rows:
            cells = t.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = clean(value)
        if widths:
            t.autofit = False
            for r in t.rows:
                for cell, width in zip(r.cells, widths, strict=True):
                    cell.width = Inches(width)
        self.doc.add_paragraph()
        return t


def _repeat_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


# --- the document -----------------------------------------------------------------------------------


def build_release_notes(
    report: ReleaseReport,
    *,
    variant: str = "technical",
    template: str | os.PathLike[str] | None = None,
) -> DocxDocument:
    """The release notes as a python-docx ``Document`` (not yet saved)."""
    if variant not in VARIANTS:
        raise ServiceError(f"variant {variant!r} is not one of {', '.join(VARIANTS)}")
    technical = variant == "technical"
    doc = _open_template(template)
    _ensure_styles(doc)
    w = _Writer(doc)

    # cover
    doc.add_paragraph(clean(f"{report.key} — {report.title}"), style="Title")
    audience = "technical release notes" if technical else "release notes"
    doc.add_paragraph(clean(f"Version {report.version or '—'} · {audience}"), style="Subtitle")
    window = (
        f"{_fmt_dt(report.deploy_start)} – {_fmt_dt(report.deploy_end)}"
        if report.deploy_start
        else "—"
    )
    manager = report.manager or "—"
    if report.manager and report.manager_email and technical:
        manager = f"{report.manager} <{report.manager_email}>"
    cover = [
        ["Release", report.key],
        ["Title", report.title],
        ["Version", report.version or "—"],
        ["Application", report.application or "—"],
        ["Type", _words(report.type)],
        ["Status", report.status],
        ["Planned", f"{_fmt_date(report.planned_start)} – {_fmt_date(report.planned_end)}"],
        ["Deployment window", window],
        ["Release manager", manager],
        ["Issued", _fmt_dt(report.generated_at)],
    ]
    if technical:
        cover.insert(5, ["Risk", report.risk])
    w.table(["Item", "Value"], cover, [1.8, 4.6])

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

    # changes by category
    w.heading("Changes")
    if not report.changes:
        w.text(None, "This release bundles no changes.")
    by_category: dict[str, list[Any]] = {}
    for c in report.changes:
        by_category.setdefault(c.category, []).append(c)
    for category in [*CATEGORY_TITLES, *sorted(set(by_category) - set(CATEGORY_TITLES))]:
        items = by_category.get(category)
        if not items:
            continue
        w.heading(CATEGORY_TITLES.get(category, _words(category).capitalize()), 2)
        if technical:
            w.table(
                ["Change", "Title", "Type", "Risk", "Configuration items", "Release note"],
                [
                    [c.key, c.title, c.type, c.risk, ", ".join(c.cis) or "—", c.release_note or ""]
                    for c in items
                ],
                [0.9, 1.2, 0.7, 0.6, 1.1, 1.9],
            )
        else:
            w.table(
                ["Change", "Title", "What changes for you"],
                [[c.key, c.title, c.release_note or ""] for c in items],
                [1.0, 1.9, 3.5],
            )

    # known issues
    w.heading("Known issues")
    issues = [c for c in report.changes if (c.known_issues or "").strip()]
    if issues:
        w.table(["Change", "Known issue"], [[c.key, c.known_issues] for c in issues], [1.0, 5.4])
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
                        ci.ci_class,
                        ci.environment or "—",
                        ci.criticality,
                        "required" if ci.requires_maintenance_window else "not required",
                    ]
                    for ci in report.cis
                ],
            )
        else:
            w.text(None, "No configuration items are recorded on the changes.")
    else:
        w.heading("Service availability")
    w.label("Deployment window", window)
    w.label("Expected downtime (at most)", _fmt_duration(report.downtime))

    # deployment plan / schedule
    if technical:
        w.heading("Deployment plan")
        w.label("Strategy", _words(report.strategy))
        w.label("Window", window)
        if report.waves:
            w.heading("Waves", 2)
            w.table(
                ["Wave", "Share", "Bake time", "Abort criteria"],
                [_wave_row(i, wave) for i, wave in enumerate(report.waves, 1)],
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
        w.label("Planned", f"{_fmt_date(report.planned_start)} – {_fmt_date(report.planned_end)}")
        w.label("Go-live window", window)
        if report.rollback_plan:
            w.text("A rollback plan is in place should the release need to be withdrawn.")

    # tests
    if technical:
        w.heading("Test summary")
        if report.tests:
            w.table(
                ["Kind", "Environment", "Passed", "Failed", "Skipped", "Verdict", "Run at"],
                [
                    [
                        t.kind,
                        t.environment or "—",
                        t.passed,
                        t.failed,
                        t.skipped,
                        t.verdict,
                        _fmt_dt(t.run_at),
                    ]
                    for t in report.tests
                ],
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
                ["Testing", "Result"], [[_words(k).capitalize(), v] for k, v in verdicts.items()]
            )
        else:
            w.text(None, "No test results recorded.")

    # approvals
    w.heading("Approval sign-off")
    if report.sign_offs:
        w.table(
            ["Stage", "Approver", "Decision", "Date", "Comment"],
            [
                [
                    s.stage,
                    s.approver + (f" (delegated to {s.delegated_to})" if s.delegated_to else ""),
                    _words(s.decision),
                    _fmt_dt(s.decided_at) if s.decided_at else "—",
                    s.comment or "",
                ]
                for s in report.sign_offs
            ],
        )
    else:
        w.text(None, "No approval stages recorded.")

    # communication
    w.heading("Communication plan")
    w.text(report.communication_plan, "No communication plan recorded.")

    _fill_toc_placeholder(toc, w.headings)
    _footer(doc, report)
    _update_fields_on_open(doc)
    doc.core_properties.title = clean(f"{report.key} release notes")
    doc.core_properties.subject = clean(report.title)
    if report.manager:
        doc.core_properties.author = clean(report.manager)
    return doc


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
    variant: str = "technical",
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
