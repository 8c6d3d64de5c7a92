"""The deployment runbook (.docx) and the knowledge-base pages, read back as their readers would."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from docx import Document
from docx.oxml.ns import qn
from helpers_builders import make_person, make_ready_release, make_stage, make_task, set_release
from sqlalchemy import select

from relman_desktop.cli import main
from relman_desktop.models.entities import Task
from relman_desktop.services.plan_zone import set_plan_zone
from relman_desktop.services.release_report import release_report
from tests.docx_checks import all_text, check_tables, enum_leaks

UTC = dt.UTC
KEY = "REL-2026-014"


@pytest.fixture
def night(ctx):
    """A release deploying 2026-07-11 20:00–23:00 UTC (22:00–01:00 CEST) with 3 steps."""
    make_person(ctx, "ops@example.com", "Olga Ops")
    make_person(ctx, "qa@example.com", "Quinn QA")
    make_ready_release(
        ctx,
        KEY,
        title="Billing 2.4",
        status="Approved",
        strategy="canary",
        deploy_start=dt.datetime(2026, 7, 11, 20, 0, tzinfo=UTC),
        deploy_end=dt.datetime(2026, 7, 11, 23, 0, tzinfo=UTC),
        rollback_plan="Route all traffic back to 2.3.",
        rollback_minutes=40,
    )
    set_release(
        ctx,
        KEY,
        waves=[
            {"percent": 10, "bake_minutes": 30, "abort_criteria": "error rate above 2 %"},
            {"percent": 100, "bake_minutes": 0},
        ],
    )
    make_task(ctx, KEY, "Build artefact", "build", assignee_email="ops@example.com")
    make_task(ctx, KEY, "Deploy canary", "deploy", assignee_email="ops@example.com")
    make_task(ctx, KEY, "Promote to all pods", "deploy", assignee_email="ops@example.com")
    make_task(ctx, KEY, "Smoke tests", "verify", assignee_email="qa@example.com")
    make_task(ctx, KEY, "Switch traffic back", "rollback", assignee_email="ops@example.com")
    with ctx.plan.write() as s:
        for t in s.execute(select(Task)).scalars():
            t.effort_hours = {"Deploy canary": 1.0, "Promote to all pods": 1.5}.get(t.title)
    make_stage(ctx, KEY, "CAB", "any", ["ops@example.com"])
    set_plan_zone(ctx, "Europe/Berlin")
    return ctx


def _runbook(ctx, tmp_path):
    from relman_desktop.exports.runbook import write_runbook

    target = tmp_path / "runbook.docx"
    write_runbook(release_report(ctx, KEY), target)
    return Document(target)


def _table(doc, first_header):
    return next(
        t
        for t in doc.tables
        if t.rows[0].cells[0].text == first_header
        and len(t.rows[0].cells) > 1
        and t.rows[0].cells[1].text in ("Step", "Share", "Rollback step")
    )


def test_runbook_lists_the_steps_in_order_with_owners_and_local_planned_times(night, tmp_path):
    doc = _runbook(night, tmp_path)
    steps = _table(doc, "#")
    rows = [[c.text for c in r.cells] for r in steps.rows[1:]]
    assert [r[1].split(" (")[0] for r in rows] == [
        "Deploy canary",
        "Promote to all pods",
        "Smoke tests",
    ]
    assert [r[2] for r in rows] == ["Olga Ops", "Olga Ops", "Quinn QA"]
    # the window opens 22:00 CEST; each step starts when the one before has taken its effort
    assert [r[3] for r in rows] == ["2026-07-11 22:00", "2026-07-11 23:00", "2026-07-12 00:30"]
    assert all(r[5] == "☐" for r in rows)
    # point of no return: the window ends 01:00 CEST, a rollback takes 40 min
    text = all_text(doc)
    assert "Point of no return: 2026-07-12 00:20 CEST" in text
    assert "past the point of no return" in rows[2][1] and "past" not in rows[1][1]
    assert "steps from #3 on are past it" in text
    waves = _table(doc, "Wave")
    assert [c.text for c in waves.rows[1].cells] == [
        "1",
        "10 %",
        "30 min",
        "error rate above 2 %",
        "☐",
    ]
    rollback = next(
        t for t in doc.tables if len(t.columns) > 1 and t.rows[0].cells[1].text == "Rollback step"
    )
    assert rollback.rows[1].cells[1].text == "Switch traffic back"
    contacts = next(
        t for t in doc.tables if [c.text for c in t.rows[0].cells] == ["Name", "Role", "E-mail"]
    )
    assert {r.cells[0].text for r in contacts.rows[1:]} >= {"Rita Manager", "Olga Ops", "Quinn QA"}
    assert "Go decision" in text and "Verification passed" in text
    check_tables(doc)
    assert enum_leaks(text) == []
    assert doc.core_properties.author == "tester@example.com"
    assert doc.core_properties.category == "Deployment runbook"


def test_cli_runbook_and_its_mistakes(night, plan_path, tmp_path):
    night.plan.close()
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "rb.docx"
    assert main(["--plan", str(plan_path), "export", "runbook", KEY, str(target)], out, err) == 0
    assert "runbook written" in out.getvalue() and target.exists()
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--plan", str(plan_path), "export", "runbook", "REL-404", str(tmp_path / "x.docx")],
        out,
        err,
    )
    assert code == 2 and "REL-404" in err.getvalue() and not (tmp_path / "x.docx").exists()


def test_kb_page_in_markdown_and_self_contained_html(night, tmp_path):
    from relman_desktop.exports.kb import write_kb_release

    set_release(night, KEY, status="Cancelled")
    paths = write_kb_release(night, KEY, tmp_path / "kb")
    assert [p.name for p in paths] == [f"{KEY}.md", f"{KEY}.html"]
    md = paths[0].read_text(encoding="utf-8")
    assert md.startswith("# Billing 2.4\n")
    assert "> **Cancelled — this release will not be deployed**" in md
    assert "Expected downtime: none — the release is cancelled." in md
    page = paths[1].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page
    # one file: no stylesheet, script or image it would need from elsewhere
    assert not re.search(r"<(link|script|img)\b|src=|@import", page)
    assert "2026-07-11 22:00 CEST – 2026-07-12 01:00 CEST" in page
    assert enum_leaks(md) == []


def test_kb_site_indexes_every_release(night, plan_path, tmp_path):
    make_ready_release(night, "REL-2026-015", title="Portal <b>& friends</b>")
    night.plan.close()
    out, err = io.StringIO(), io.StringIO()
    site = tmp_path / "site"
    assert main(["--plan", str(plan_path), "export", "kb", "--all", str(site)], out, err) == 0
    assert "(2 releases)" in out.getvalue()
    names = sorted(p.name for p in site.iterdir())
    assert names == [
        "REL-2026-014.html",
        "REL-2026-014.md",
        "REL-2026-015.html",
        "REL-2026-015.md",
        "index.html",
        "index.md",
    ]
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="REL-2026-014.html"' in index and 'href="REL-2026-015.html"' in index
    assert "Portal &lt;b&gt;&amp; friends&lt;/b&gt;" in index  # escaped, never markup
    assert "[REL-2026-015](REL-2026-015.md)" in (site / "index.md").read_text(encoding="utf-8")
    page = (site / "REL-2026-015.html").read_text(encoding="utf-8")
    assert 'href="index.html"' in page


def test_kb_mistakes_are_one_line_and_write_nothing(night, plan_path, tmp_path):
    night.plan.close()
    before = sorted(p.name for p in tmp_path.iterdir())
    for argv, words in (
        (["export", "kb", str(tmp_path / "a")], "name a release KEY"),
        (["export", "kb", "--all", KEY, str(tmp_path / "b")], "not both"),
        (["export", "kb", KEY, str(tmp_path / "missing" / "c")], "does not exist"),
    ):
        out, err = io.StringIO(), io.StringIO()
        assert main(["--plan", str(plan_path), *argv], out, err) == 2
        assert words in err.getvalue() and err.getvalue().count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_runbook_tables_repeat_their_header(night, tmp_path):
    doc = _runbook(night, tmp_path)
    steps = _table(doc, "#")
    tr_pr = steps._tbl.findall(qn("w:tr"))[0].find(qn("w:trPr"))
    assert tr_pr.find(qn("w:tblHeader")) is not None


def test_cli_timezone_shows_and_sets_the_plan_zone(ctx, plan_path):
    ctx.plan.close()

    def run(*argv):
        out, err = io.StringIO(), io.StringIO()
        return (
            main(["--plan", str(plan_path), "timezone", *argv], out, err),
            out.getvalue(),
            err.getvalue(),
        )

    assert run("America/New_York")[:2] == (0, "the plan's time zone is now America/New_York\n")
    assert run() == (0, "America/New_York\n", "")
    code, _, err = run("Mars/Base")
    assert (
        code == 2
        and err == "relman: Time zone: 'Mars/Base' is not an IANA time zone (e.g. Europe/Berlin)\n"
    )
    assert run()[1] == "America/New_York\n"  # a refused zone changes nothing


def test_a_plan_without_a_zone_uses_the_machines(ctx):
    from relman_desktop.services.plan_zone import machine_zone_name, plan_zone_name

    assert machine_zone_name() == "UTC"  # TZ=UTC in tests/conftest.py
    assert plan_zone_name(ctx) == "UTC"
    set_plan_zone(ctx, "Asia/Tokyo")
    assert plan_zone_name(ctx) == "Asia/Tokyo"


def test_a_bare_release_reads_cleanly_in_every_document(ctx, tmp_path):
    """No window, no manager, no tasks, no stages: every document still says so in words."""
    from helpers_builders import make_release

    from relman_desktop.exports.kb import kb_blocks, page_markdown
    from relman_desktop.exports.release_notes import write_release_notes
    from relman_desktop.exports.runbook import write_runbook

    make_release(ctx, "REL-2026-099", title="Bare")
    report = release_report(ctx, "REL-2026-099")
    for name, write in (
        ("business.docx", lambda p: write_release_notes(report, p, variant="business")),
        ("technical.docx", lambda p: write_release_notes(report, p, variant="technical")),
        ("runbook.docx", lambda p: write_runbook(report, p)),
    ):
        doc = Document(write(tmp_path / name))
        text = all_text(doc)
        assert enum_leaks(text) == [], name
        check_tables(doc)
    runbook = all_text(Document(tmp_path / "runbook.docx"))
    assert "No deployment steps recorded" in runbook and "No rollback plan recorded." in runbook
    notes = all_text(Document(tmp_path / "business.docx"))
    assert "Expected downtime: not known: no deployment window is scheduled" in notes
    assert enum_leaks(page_markdown(kb_blocks(report, "technical"))) == []
