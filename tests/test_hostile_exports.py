"""Text a plan should never hold, but an older version or a raw SQL edit may have left in it,
through every writer: each document still opens in the program that reads it, and no title
injects its own calendar event (issue 18). One rule decides what text may hold
(``services/text.py``); each format adds its own escaping."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import icalendar
import openpyxl
import pytest
from docx import Document

from relman_desktop.cli import main
from relman_desktop.models.planfile import sqlite_copy
from relman_desktop.services.text import clean_text, for_terminal, text_problem

HOSTILE_TITLES = {
    "100,000 characters": "T" * 100_000,
    "control characters": "Bad\x00\x07\x1b[2J\x0b\x0c\x7f\x9b title",
    "noncharacters": "X \ufffe \uffff \ufdd0 end",
    "300 characters": "L" * 300,
    "a VEVENT of its own": "Evil\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Injected\r\nDTSTART:20261201T000000Z",
    "formula": '=HYPERLINK("http://example.invalid","x")',
}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exports") / "demo.relman"
    assert run("--plan", str(path), "demo", "--releases", "4", "--seed", "2")[0] == 0
    assert (
        run(
            "--plan",
            str(path),
            "cab",
            "new",
            "--date",
            "2026-12-01T10:00",
            "--cutoff",
            "2026-11-30",
        )[0]
        == 0
    )
    return path


def hostile_copy(demo_plan: Path, folder: Path, title: str) -> tuple[Path, str]:
    plan = folder / "hostile.relman"
    sqlite_copy(demo_plan, plan)
    con = sqlite3.connect(plan)
    con.execute(
        "UPDATE releases SET title = ?, scope = ?, rollback_plan = ?", (title, title, title)
    )
    con.execute("UPDATE changes SET title = ?, release_note = ?", (title, title))
    con.execute("UPDATE calendar_windows SET title = ?", (title,))
    con.execute("UPDATE cab_meetings SET title = ?", (title,))
    con.execute(
        "UPDATE cab_agenda_items SET decision = 'defer', rationale = ?, decided_at = '2026-12-01 10:05:00'",
        (title,),
    )
    key = con.execute("SELECT key FROM releases ORDER BY key LIMIT 1").fetchone()[0]
    con.commit()
    con.close()
    return plan, key


@pytest.mark.parametrize("kind", list(HOSTILE_TITLES))
def test_every_document_opens_again_whatever_the_titles_hold(
    demo_plan: Path, tmp_path: Path, kind: str
) -> None:
    title = HOSTILE_TITLES[kind]
    plan, key = hostile_copy(demo_plan, tmp_path, title)
    shown = clean_text(title)

    notes = tmp_path / "notes.docx"
    assert run("--plan", str(plan), "export", "notes", key, str(notes))[0] == 0
    doc = Document(str(notes))
    props = doc.core_properties
    assert all(len(v) <= 255 and "\n" not in v for v in (props.title, props.subject, props.author))
    assert props.title.startswith(f"{key} ")
    body = "\n".join(p.text for p in doc.paragraphs)
    assert shown.replace("\r\n", "\n").replace("\r", "\n")[:200] in body

    workbook = tmp_path / "kpis.xlsx"
    assert run("--plan", str(plan), "export", "kpis", str(workbook))[0] == 0
    wb = openpyxl.load_workbook(workbook)
    texts = [
        c.value
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str)
    ]
    assert all(text_problem(t, max_length=32_767) is None for t in texts)
    if kind == "formula":
        cells = [
            c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == title
        ]
        assert cells and all(c.data_type == "s" for c in cells)

    ics = tmp_path / "plan.ics"
    assert run("--plan", str(plan), "export", "ics", str(ics))[0] == 0
    clean_ics = tmp_path / "clean.ics"
    assert run("--plan", str(demo_plan), "export", "ics", str(clean_ics))[0] == 0
    cal = icalendar.Calendar.from_ical(ics.read_bytes())
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(
        list(icalendar.Calendar.from_ical(clean_ics.read_bytes()).walk("VEVENT"))
    )
    assert not any(str(e.get("summary")) == "Injected" for e in events)
    summaries = [str(e.get("summary")).replace("\r", "") for e in events]
    assert any(shown.replace("\r", "")[:50] in summary for summary in summaries)
    if kind == "a VEVENT of its own":  # the would-be event is text inside the real one's summary
        assert any("END:VEVENT\nBEGIN:VEVENT\nSUMMARY:Injected" in summary for summary in summaries)

    minutes = tmp_path / "minutes.docx"
    assert run("--plan", str(plan), "export", "minutes", "1", str(minutes))[0] == 0
    text = "\n".join(p.text for p in Document(str(minutes)).paragraphs)
    assert shown.replace("\r\n", "\n")[:100] in text


def test_pictures_of_a_hostile_plan_are_written(demo_plan: Path, tmp_path: Path) -> None:
    plan, _ = hostile_copy(
        demo_plan, tmp_path, HOSTILE_TITLES["control characters"] + HOSTILE_TITLES["noncharacters"]
    )
    pdf, png = tmp_path / "c.pdf", tmp_path / "c.png"
    assert run("--plan", str(plan), "export", "calendar", str(pdf))[0] == 0
    assert run("--plan", str(plan), "export", "calendar", str(png))[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.read_bytes().rstrip().endswith(b"%%EOF")
    from PySide6.QtGui import QImage

    assert not QImage(str(png)).isNull()


def test_the_one_rule_names_what_is_wrong_and_cleans_it_away() -> None:
    assert text_problem("fine\ttext\nwith lines") is None
    assert (
        text_problem("one\nline", single_line=True)
        == "holds a control character (U+000A) at character 4"
    )
    assert (
        text_problem("x\ud800")
        == "holds a lone surrogate (U+D800), which is not a character at character 2"
    )
    assert (
        text_problem("x" * 301, max_length=300) == "is 301 characters long; at most 300 are allowed"
    )
    assert text_problem("\U0010ffff") == "holds U+10FFFF, which is not a character at character 1"
    assert clean_text("a\x00b\ufffec\ud800d\x9be") == "abcde"
    assert clean_text("a\r\nb", single_line=True) == "a b"
    assert clean_text("abcdef", max_length=4) == "abc…"
    assert for_terminal("\x1b[2Jx → y", "ascii") == "\\x1b[2Jx -> y"
