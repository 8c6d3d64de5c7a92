"""What every Word document the app writes shares: tables that Word and LibreOffice draw as
drawn here, local times, readable words for stored values, honest document properties.

Tables: a fixed layout whose grid (``w:tblGrid``) equals the sum of the cell widths and fits the
text width of the section, rows that never split across a page (``w:cantSplit``) and a header
row repeated on every page (``w:tblHeader``). Word and LibreOffice take the grid over the cell
widths when the two disagree, so both are written from the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt

# re-exported: every document formats times through these (views use plan_zone directly)
from relman_desktop.services.plan_zone import fmt_local as fmt_local
from relman_desktop.services.plan_zone import fmt_range as fmt_range
from relman_desktop.services.plan_zone import zone_label as zone_label

# Stored values a reader sees, in their words (anything else: underscores become spaces).
WORDS = {
    "big_bang": "big bang",
    "blue_green": "blue-green",
    "feature_flag": "feature flag",
    "uat": "user acceptance",
    "more_info": "more information requested",
    "first_response": "first response",
    "rolled_back": "rolled back",
    "successful_with_issues": "successful with issues",
    "in_progress": "in progress",
    "business_event": "business event",
    "release_manager": "release manager",
}
TWIPS_PER_EMU = 1 / 635


def words(value: Any, empty: str = "—") -> str:
    """A stored word (``blue_green``, ``uat``) as a reader writes it; ``None`` as ``empty``."""
    if value is None or value == "":
        return empty
    text = str(getattr(value, "value", value))
    return WORDS.get(text, WORDS.get(text.lower(), text.replace("_", " ")))


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def fmt_duration(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes:02d} min"
    return f"{hours} h" if hours else f"{minutes} min"


# --- tables ------------------------------------------------------------------------------------------


def text_width(doc: DocxDocument) -> int:
    """The last section's text width in EMU (page width less the margins)."""
    section = doc.sections[-1]
    width = (
        (section.page_width or Inches(8.5))
        - (section.left_margin or 0)
        - (section.right_margin or 0)
    )
    return int(width)


def _fit(weights: Sequence[float], total: int) -> list[int]:
    """Column widths in EMU proportional to ``weights``, summing to exactly ``total``."""
    whole = sum(weights) or 1.0
    widths = [int(total * w / whole) for w in weights]
    widths[-1] += total - sum(widths)
    return widths


# Average character widths at the body size (11 pt) in EMU, bold a little wider, and the cell's
# left + right margins: enough to size columns so that no word has to break.
_CHAR = int(Inches(0.09))
_CHAR_BOLD = int(Inches(0.115))
_PAD = int(Inches(0.2))
SMALL_PT = 8.5  # wide tables (seven columns of dates and counts) set in a smaller size


def fit_columns(
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    weights: Sequence[float],
    total: int,
    scale: float = 1.0,
) -> list[float]:
    """Column weights that give every column room for its longest word (so Word and
    LibreOffice never break "Configurati/on"), then share the rest by the wanted weights.
    ``scale`` is the font size relative to 11 pt."""
    char, bold, pad = int(_CHAR * scale), int(_CHAR_BOLD * scale), _PAD
    cols = len(weights)
    least = [0] * cols
    want = [0] * cols
    for values in [header] if header is not None else []:
        for i, text in enumerate(values):
            longest = max((len(w) for w in str(text).split()), default=0)
            least[i] = max(least[i], longest * bold + pad)
            want[i] = max(want[i], least[i])
    for values in rows:
        for i, text in enumerate(values):
            text = str(text)
            longest = max((len(w) for w in text.split()), default=0)
            least[i] = max(least[i], longest * char + pad)
            want[i] = max(want[i], min(len(text), 48) * char + pad)
    whole = sum(weights) or 1.0
    if sum(want) <= total:
        spare = total - sum(want)
        return [want[i] + spare * weights[i] / whole for i in range(cols)]
    if sum(least) <= total:
        spare = total - sum(least)
        extra = [want[i] - least[i] for i in range(cols)]
        gap = sum(extra) or 1
        return [least[i] + spare * extra[i] / gap for i in range(cols)]
    return [float(x) for x in least]


def needs_room(header: Sequence[str] | None, rows: Sequence[Sequence[str]], total: int) -> bool:
    """True when the longest words of the columns do not fit side by side at 11 pt."""
    cols = len(header) if header is not None else len(rows[0]) if rows else 0
    least = [0] * cols
    for values, width in [
        *([(header, _CHAR_BOLD)] if header is not None else []),
        *((r, _CHAR) for r in rows),
    ]:
        for i, text in enumerate(values):
            size = max((len(w) for w in str(text).split()), default=0)
            least[i] = max(least[i], size * width + _PAD)
    return sum(least) > total


def _set(parent: Any, tag: str, **attrs: str) -> Any:
    el = parent.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        parent.append(el)
    for name, value in attrs.items():
        el.set(qn(f"w:{name}"), value)
    return el


def repeat_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    _set(tr_pr, "w:tblHeader", val="true")


def keep_row_together(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    # cantSplit must come before tblHeader in CT_TrPr's sequence
    flag = tr_pr.find(qn("w:cantSplit"))
    if flag is None:
        flag = OxmlElement("w:cantSplit")
        tr_pr.insert(0, flag)
    flag.set(qn("w:val"), "true")


def fix_layout(table: Any, weights: Sequence[float], total: int) -> list[int]:
    """Give ``table`` a fixed layout whose grid, table width and cell widths agree and sum to
    ``total`` EMU; every row is kept on one page. Returns the column widths (EMU)."""
    widths = _fit(weights, total)
    tbl = table._tbl
    tbl_pr = tbl.tblPr
    _set(tbl_pr, "w:tblW", w=str(round(total * TWIPS_PER_EMU)), type="dxa")
    _set(tbl_pr, "w:tblLayout", type="fixed")
    table.autofit = False
    grid = tbl.tblGrid
    for col in list(grid):
        grid.remove(col)
    twips = [round(w * TWIPS_PER_EMU) for w in widths]
    twips[-1] += round(total * TWIPS_PER_EMU) - sum(twips)
    for tw in twips:
        col = OxmlElement("w:gridCol")
        col.set(qn("w:w"), str(tw))
        grid.append(col)
    for row in table.rows:
        # Body rows only: LibreOffice drops the rows after a repeated header row that is also
        # marked cantSplit when the table starts at a page foot (a header row is one line anyway).
        tr_pr = row._tr.trPr
        if tr_pr is None or tr_pr.find(qn("w:tblHeader")) is None:
            keep_row_together(row)
        for cell, tw in zip(row.cells, twips, strict=True):
            tc_pr = cell._tc.get_or_add_tcPr()
            _set(tc_pr, "w:tcW", w=str(tw), type="dxa")
    return widths


def add_table(
    doc: DocxDocument,
    header: Sequence[str] | None,
    rows: Iterable[Sequence[Any]],
    weights: Sequence[float],
    *,
    style: str | None = None,
    clean: Any = str,
    bold_first_column: bool = False,
    keep_together: bool = False,
) -> Any:
    """A table over the full text width: ``header`` (bold, repeated on each page) or none,
    then ``rows``; columns share the width in proportion to ``weights``."""
    rows = [[clean(v) for v in r] for r in rows]
    cols = len(header) if header is not None else len(weights)
    total = text_width(doc)
    size = SMALL_PT if needs_room(header, rows, total) else None
    weights = fit_columns(header, rows, weights, total, (size or 11) / 11)
    table = doc.add_table(rows=0, cols=cols)
    if style:
        table.style = style
    if header is not None:
        cells = table.add_row().cells
        for cell, name in zip(cells, header, strict=True):
            run = cell.paragraphs[0].add_run(clean(name))
            run.bold = True
            if size:
                run.font.size = Pt(size)
        repeat_header(table.rows[0])
    for values in rows:
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, values, strict=True)):
            run = cell.paragraphs[0].add_run(value)
            if bold_first_column and i == 0:
                run.bold = True
            if size:
                run.font.size = Pt(size)
    fix_layout(table, weights, total)
    if keep_together:
        keep_on_one_page(table)
    return table


def keep_on_one_page(table: Any) -> None:
    """Keep a short table on one page (and with the heading before it): every paragraph but
    the last row's keeps with the next, which is how Word keeps a table together."""
    for row in table.rows[:-1]:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True


def banner(doc: DocxDocument, title: str, body: str, fill: str, clean: Any = str) -> Any:
    """A one-cell shaded box: the release's status or outcome, first thing a reader sees."""
    table = doc.add_table(rows=1, cols=1)
    cell = table.rows[0].cells[0]
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)
    p = cell.paragraphs[0]
    p.add_run(clean(title)).bold = True
    if body:
        cell.add_paragraph(clean(body))
    fix_layout(table, [1.0], text_width(doc))
    return table


# --- document properties -------------------------------------------------------------------------


def _property(text: str) -> str:
    """A core property: one line of at most 255 characters, the limit python-docx and Word set
    (a longer title would stop the export)."""
    from relman_desktop.services.text import clean_text

    return clean_text(text or "", max_length=255, single_line=True)


def set_properties(
    doc: DocxDocument,
    *,
    title: str,
    subject: str,
    author: str,
    created: dt.datetime,
    keywords: str = "",
    category: str = "",
    comments: str = "",
) -> None:
    """Core properties a reader sees under File > Properties: who exported it, when, what."""
    props = doc.core_properties
    title, subject, author = _property(title), _property(subject), _property(author)
    keywords, category, comments = _property(keywords), _property(category), _property(comments)
    props.title = title
    props.subject = subject
    props.author = author
    props.last_modified_by = author
    created = created if created.tzinfo else created.replace(tzinfo=dt.UTC)
    props.created = created.astimezone(dt.UTC).replace(tzinfo=None)
    props.modified = props.created
    for stale in props._element.findall(qn("cp:lastPrinted")):  # the template's, from 2013
        props._element.remove(stale)
    props.revision = 1
    props.keywords = keywords
    props.category = category
    props.comments = comments
