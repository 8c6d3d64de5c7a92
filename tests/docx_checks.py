"""Read-back checks every exported Word document must pass (release notes, minutes, runbook).

A table's grid must equal its cell widths and fit the text width (else Word and LibreOffice
draw other columns than the ones written and break words), body rows must not split across
pages, header rows must repeat, and no stored word (``blue_green``, ``None``) may reach a reader.
"""

from __future__ import annotations

import re
from typing import Any

from docx.oxml.ns import qn

ENUM_WORD = re.compile(r"\b[a-z]+_[a-z_]+\b|\bNone\b|\bUat\b")


def all_text(doc: Any) -> str:
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    for section in doc.sections:
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


def text_width_twips(doc: Any) -> int:
    s = doc.sections[-1]
    return round((s.page_width - s.left_margin - s.right_margin) / 635)


def check_tables(doc: Any) -> int:
    """Assert the table rules on every table; returns how many tables were checked."""
    width = text_width_twips(doc)
    for n, table in enumerate(doc.tables):
        tbl = table._tbl
        grid = [int(c.get(qn("w:w"))) for c in tbl.tblGrid.findall(qn("w:gridCol"))]
        layout = tbl.tblPr.find(qn("w:tblLayout"))
        assert layout is not None and layout.get(qn("w:type")) == "fixed", f"table {n}: not fixed"
        tbl_w = int(tbl.tblPr.find(qn("w:tblW")).get(qn("w:w")))
        assert sum(grid) == tbl_w, f"table {n}: grid {sum(grid)} != table width {tbl_w}"
        assert abs(tbl_w - width) <= len(grid), f"table {n}: {tbl_w} twips, text width {width}"
        for r, tr in enumerate(tbl.findall(qn("w:tr"))):
            cells = [
                int(tc.find(qn("w:tcPr")).find(qn("w:tcW")).get(qn("w:w")))
                for tc in tr.findall(qn("w:tc"))
            ]
            assert cells == grid, f"table {n} row {r}: cells {cells} != grid {grid}"
            tr_pr = tr.find(qn("w:trPr"))
            header = tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None
            if not header:
                assert tr_pr is not None and tr_pr.find(qn("w:cantSplit")) is not None, (
                    f"table {n} row {r} may split across pages"
                )
    return len(doc.tables)


def header_repeats(table: Any) -> bool:
    tr_pr = table._tbl.findall(qn("w:tr"))[0].find(qn("w:trPr"))
    return tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None


def enum_leaks(text: str) -> list[str]:
    return sorted(set(ENUM_WORD.findall(text)))
