"""Release notes (.docx), read back with python-docx the way Word would show them."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from docx import Document
from docx.shared import Pt, RGBColor

from relman_desktop.exports.release_notes import clean, write_release_notes
from relman_desktop.services.base import NotFound, ServiceError
from relman_desktop.services.release_report import release_report

TECHNICAL_HEADINGS = [
    ("Heading 1", "Summary and objectives"),
    ("Heading 2", "Scope"),
    ("Heading 2", "Objectives"),
    ("Heading 1", "Changes"),
    ("Heading 2", "New features"),
    ("Heading 2", "Fixes"),
    ("Heading 2", "Security"),
    ("Heading 1", "Known issues"),
    ("Heading 1", "Affected configuration items and downtime"),
    ("Heading 1", "Deployment plan"),
    ("Heading 2", "Waves"),
    ("Heading 2", "Implementation"),
    ("Heading 1", "Rollback plan"),
    ("Heading 1", "Test summary"),
    ("Heading 1", "Approval sign-off"),
    ("Heading 2", "Approvers"),
    ("Heading 1", "Communication plan"),
]


@pytest.fixture
def notes_ctx(ctx):
    from sqlalchemy import select

    from relman_desktop.models.entities import (
        Approval,
        ApprovalStage,
        Change,
        ConfigurationItem,
        Person,
        Release,
        TestRun,
        WorkflowState,
    )

    T = dt.datetime
    with ctx.plan.write() as s:
        state = s.execute(
            select(WorkflowState).where(WorkflowState.name == "Approved")
        ).scalar_one()
        ana = Person(email="ana@example.com", name="Ana Silva")
        bo = Person(email="bo@example.com", name="Bo Berg")
        svc = ConfigurationItem(
            name="billing-service",
            ci_class="service",
            environment="production",
            criticality="high",
            requires_maintenance_window=True,
        )
        db = ConfigurationItem(name="billing-db", ci_class="database", environment="production")
        rel = Release(
            key="REL-2026-014",
            title="Billing 2.4",
            version="2.4.0",
            type="minor",
            application="billing",
            status=state,
            manager=ana,
            scope="Invoice layout and VAT fixes.\n\nSecond paragraph.",
            objectives="Fewer invoice tickets\x0b",
            planned_start=dt.date(2026, 12, 1),
            planned_end=dt.date(2026, 12, 12),
            deploy_start=T(2026, 12, 12, 21, 30, tzinfo=dt.UTC),
            deploy_end=T(2026, 12, 13, 0, 30, tzinfo=dt.UTC),
            strategy="canary",
            waves=[
                {"percent": 10, "bake_minutes": 60, "abort_criteria": "error rate > 1 %"},
                {"percent": 100, "bake_minutes": 0},
            ],
            rollback_plan="Redeploy 2.3.7 from the artefact store",
            rollback_minutes=45,
            rollback_rehearsed_on=dt.date(2026, 11, 20),
            communication_plan="Mail to finance two days before",
            implementation_plan="Runbook RB-12",
        )
        rel.changes = [
            Change(
                key="CHG-1001",
                title="Invoice PDF layout",
                type="normal",
                category="feature",
                release_note="Invoices now show the VAT breakdown.",
                cis=[svc],
            ),
            Change(
                key="CHG-1002",
                title="VAT rounding",
                type="normal",
                category="fix",
                release_note="Totals are rounded per line.",
                known_issues="Credit notes keep the old layout.",
                cis=[svc, db],
            ),
            Change(
                key="CHG-1003",
                title="TLS \x01 ciphers",
                type="standard",
                category="security",
                release_note="Older ciphers are refused.",
            ),
        ]
        rel.test_runs = [
            TestRun(
                kind="regression",
                environment="staging",
                passed=412,
                failed=0,
                skipped=3,
                run_at=T(2026, 12, 8, 16, tzinfo=dt.UTC),
                verdict="passed",
            )
        ]
        stage = ApprovalStage(position=1, name="CAB", rule="any", status="approved")
        stage.approvals = [
            Approval(
                approver=bo,
                decision="approved",
                comment="Go",
                requested_at=T(2026, 12, 9, 8, tzinfo=dt.UTC),
                decided_at=T(2026, 12, 9, 10, tzinfo=dt.UTC),
            ),
            Approval(approver=ana, decision="pending"),
        ]
        rel.stages = [stage]
        s.add(rel)
    from relman_desktop.services.plan_zone import set_plan_zone

    set_plan_zone(ctx, "Europe/Berlin")
    return ctx


def headings(doc):
    return [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]


def all_text(doc):
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def table_after(doc, heading_text):
    """The first table following the heading with this text (body order)."""
    from docx.table import Table

    seen = False
    for block in doc.iter_inner_content():
        if isinstance(block, Table):
            if seen:
                return block
        elif block.text == heading_text and block.style.name.startswith("Heading"):
            seen = True
    raise AssertionError(f"no table after {heading_text!r}")


def test_technical_notes_have_every_section_as_real_headings(notes_ctx, tmp_path):
    target = tmp_path / "notes.docx"
    write_release_notes(release_report(notes_ctx, "REL-2026-014"), target, variant="technical")
    doc = Document(target)
    assert headings(doc) == TECHNICAL_HEADINGS
    assert doc.paragraphs[0].style.name == "Title"
    assert doc.paragraphs[0].text == "REL-2026-014 — Billing 2.4"
    assert doc.tables[0].rows[0].cells[0].text.startswith("Planned")  # the status banner
    cover = doc.tables[1]
    rows = {r.cells[0].text: r.cells[1].text for r in cover.rows}
    assert rows["Version"] == "2.4.0"
    assert rows["Release manager"] == "Ana Silva <ana@example.com>"
    # stored in UTC, shown in the plan's zone (Europe/Berlin, winter: CET)
    assert rows["Deployment window"] == "2026-12-12 22:30 CET – 2026-12-13 01:30 CET"
    assert rows["Risk"] == "Medium" and rows["Type"] == "Minor"


def test_changes_tables_list_each_change_by_category_with_its_note(notes_ctx, tmp_path):
    target = tmp_path / "notes.docx"
    write_release_notes(release_report(notes_ctx, "REL-2026-014"), target, variant="technical")
    doc = Document(target)
    features = table_after(doc, "New features")
    assert [c.text for c in features.rows[0].cells][:2] == ["Change", "Title"]
    assert features.rows[1].cells[0].text == "CHG-1001"
    assert features.rows[1].cells[-1].text == "Invoices now show the VAT breakdown."
    assert features.style is not None and features.style.name == "Light Grid Accent 1"
    fixes = table_after(doc, "Fixes")
    assert fixes.rows[1].cells[4].text == "billing-db, billing-service"
    security = table_after(doc, "Security")
    assert security.rows[1].cells[1].text == "TLS  ciphers"  # the control character is gone
    known = table_after(doc, "Known issues")
    assert known.rows[1].cells[1].text == "Credit notes keep the old layout."
    cis = table_after(doc, "Affected configuration items and downtime")
    assert [r.cells[0].text for r in cis.rows[1:]] == ["billing-db", "billing-service"]
    text = all_text(doc)
    assert "Expected downtime: none expected: a canary deployment keeps the service running" in text
    waves = table_after(doc, "Waves")
    assert [c.text for c in waves.rows[1].cells] == ["1", "10 %", "60 min", "error rate > 1 %"]
    tests = table_after(doc, "Test summary")
    assert [c.text for c in tests.rows[1].cells][:5] == ["Regression", "staging", "412", "0", "3"]
    assert tests.rows[1].cells[6].text == "2026-12-08 17:00 CET"
    sign = table_after(doc, "Approval sign-off")
    assert [c.text for c in sign.rows[0].cells] == ["Stage", "Rule", "Result"]
    assert [c.text for c in sign.rows[1].cells] == [
        "CAB",
        "Any one approver",
        "Approved — 1 of 2 approvers approved, any one approval is enough",
    ]
    approvers = table_after(doc, "Approvers")
    assert [c.text for c in approvers.rows[1].cells][:4] == [
        "CAB",
        "Bo Berg",
        "Approved",
        "2026-12-09 11:00 CET",
    ]
    # a pending vote on a decided stage is not left reading "pending"
    assert [c.text for c in approvers.rows[2].cells][:4] == [
        "CAB",
        "Ana Silva",
        "Not needed (stage approved)",
        "—",
    ]


def test_business_variant_leaves_out_technical_detail(notes_ctx, tmp_path):
    target = tmp_path / "business.docx"
    write_release_notes(release_report(notes_ctx, "REL-2026-014"), target, variant="business")
    doc = Document(target)
    names = [h for _, h in headings(doc)]
    for technical in (
        "Affected configuration items and downtime",
        "Deployment plan",
        "Waves",
        "Rollback plan",
        "Test summary",
    ):
        assert technical not in names
    for kept in (
        "Summary and objectives",
        "What changes",
        "Known issues",
        "Service availability",
        "Approval sign-off",
        "Communication plan",
    ):
        assert kept in names
    text = all_text(doc)
    assert "billing-db" not in text and "412" not in text and "artefact store" not in text
    assert "error rate" not in text
    assert "Invoices now show the VAT breakdown." in text
    assert "none expected: a canary deployment keeps the service running" in text
    assert [c.text for c in table_after(doc, "Testing").rows[1].cells] == [
        "Regression testing",
        "Passed",
    ]
    # no change keys, no engineering titles unless the change is marked for business readers
    assert "CHG-" not in text and "TLS" not in text and "Invoice PDF layout" not in text


def test_footer_page_numbers_and_toc_are_word_fields(notes_ctx, tmp_path):
    target = tmp_path / "notes.docx"
    write_release_notes(release_report(notes_ctx, "REL-2026-014"), target)
    doc = Document(target)
    footer_xml = doc.sections[0].footer._element.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml and 'fldCharType="begin"' in footer_xml
    body_xml = doc.element.body.xml
    assert 'TOC \\o "1-2"' in body_xml
    assert "updateFields" in doc.settings.element.xml


def test_template_styles_are_kept_and_its_body_replaced(notes_ctx, tmp_path):
    template = Document()
    template.styles["Heading 1"].font.size = Pt(30)
    template.styles["Heading 1"].font.color.rgb = RGBColor(0x80, 0x00, 0x40)
    template.styles.add_style("Brand Note", 1)
    template.add_paragraph("TEMPLATE BODY TEXT")
    template.sections[0].footer.paragraphs[0].text = "ACME confidential"
    path = tmp_path / "style.docx"
    template.save(path)

    target = tmp_path / "notes.docx"
    write_release_notes(
        release_report(notes_ctx, "REL-2026-014"), target, template=path, variant="technical"
    )
    doc = Document(target)
    assert doc.styles["Heading 1"].font.size == Pt(30)
    assert doc.styles["Heading 1"].font.color.rgb == RGBColor(0x80, 0x00, 0x40)
    assert "Brand Note" in [s.name for s in doc.styles]
    assert "TEMPLATE BODY TEXT" not in all_text(doc)
    footer = doc.sections[0].footer
    assert footer.paragraphs[0].text == "ACME confidential"
    assert "PAGE" in footer._element.xml
    assert headings(doc) == TECHNICAL_HEADINGS


def test_dotx_template_and_template_missing_styles(notes_ctx, tmp_path):
    template = Document()
    for name in ("Heading 2", "Light Grid Accent 1", "Table Grid"):
        el = template.styles[name].element
        el.getparent().remove(el)
    docx_path = tmp_path / "bare.docx"
    template.save(docx_path)
    dotx = tmp_path / "bare.dotx"
    with zipfile.ZipFile(docx_path) as src, zipfile.ZipFile(dotx, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"document.main+xml", b"template.main+xml")
            dst.writestr(item, data)
    target = tmp_path / "notes.docx"
    write_release_notes(release_report(notes_ctx, "REL-2026-014"), target, template=dotx)
    doc = Document(target)
    assert ("Heading 2", "New features") in headings(doc)
    assert doc.tables[1].style.name == "Table Grid"


def test_bad_template_and_unknown_release_are_clear_errors(notes_ctx, tmp_path):
    junk = tmp_path / "junk.docx"
    junk.write_text("not a zip")
    report = release_report(notes_ctx, "REL-2026-014")
    with pytest.raises(ServiceError, match="not a Word document"):
        write_release_notes(report, tmp_path / "x.docx", template=junk)
    with pytest.raises(ServiceError, match="does not exist"):
        write_release_notes(report, tmp_path / "x.docx", template=tmp_path / "missing.docx")
    with pytest.raises(NotFound, match="REL-404"):
        release_report(notes_ctx, "REL-404")
    assert not (tmp_path / "x.docx").exists()


def test_clean_strips_xml_breaking_characters():
    assert clean("a\x00b\x1fc\ufffed\r\ne") == "abcd\ne"
    assert clean(None) == ""


def test_cli_export_notes(notes_ctx, plan_path, tmp_path):
    from relman_desktop.cli import main

    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "rel.docx"
    args = [
        "--plan",
        str(plan_path),
        "export",
        "notes",
        "REL-2026-014",
        str(target),
        "--variant",
        "business",
    ]
    assert main(args, out=out, err=err) == 0, err.getvalue()
    assert "Service availability" in [h for _, h in headings(Document(target))]
    code = main(
        ["--plan", str(plan_path), "export", "notes", "REL-404", str(target)], out=out, err=err
    )
    assert code == 2 and "no release 'REL-404'" in err.getvalue()
    code = main(
        [
            "--plan",
            str(plan_path),
            "export",
            "notes",
            "REL-2026-014",
            str(tmp_path / "nope" / "a.docx"),
        ],
        out=out,
        err=err,
    )
    assert code == 2 and "does not exist" in err.getvalue()


# --- what a reader notices: tables, status, downtime, audience, properties ------------------------


def _set_status(ctx, key, state, previous=None):
    from sqlalchemy import select

    from relman_desktop.models.entities import Release, WorkflowState

    with ctx.plan.write() as s:
        rel = s.execute(select(Release).where(Release.key == key)).scalar_one()
        by_name = {st.name: st for st in s.execute(select(WorkflowState)).scalars()}
        rel.status = by_name[state]
        rel.previous_status = by_name[previous] if previous else None


def _notes(ctx, tmp_path, variant, name="notes.docx"):
    target = tmp_path / name
    write_release_notes(release_report(ctx, "REL-2026-014"), target, variant=variant)
    return Document(target)


@pytest.mark.parametrize("variant", ["business", "technical"])
def test_every_table_keeps_its_columns_on_the_page_and_no_stored_word_leaks(
    notes_ctx, tmp_path, variant
):
    from tests.docx_checks import all_text, check_tables, enum_leaks, header_repeats

    doc = _notes(notes_ctx, tmp_path, variant)
    assert check_tables(doc) >= 5
    assert header_repeats(table_after(doc, "Approval sign-off"))
    assert enum_leaks(all_text(doc)) == []


STATES = {
    # state: (banner headline, words the banner says, words no reader of that state may see)
    "Cancelled": (
        "Cancelled — this release will not be deployed",
        "no downtime",
        "A rollback plan is in place",
    ),
    "On Hold": ("On hold — the schedule below is suspended", "put on hold while in Approved", ""),
    "Rolled Back": (
        "Rolled back — the release was withdrawn after deployment",
        "Rolled back in production, 2026-12-12 23:40 CET",
        "A rollback plan is in place",
    ),
    "Closed": (
        "Closed — the release is complete and reviewed",
        "Review outcome: successful with issues",
        "",
    ),
}


@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("variant", ["business", "technical"])
def test_the_status_banner_says_how_the_release_ended(notes_ctx, tmp_path, state, variant):
    from sqlalchemy import select

    from relman_desktop.models.entities import Deployment, Release, Review
    from tests.docx_checks import all_text, check_tables, enum_leaks

    T = dt.datetime
    with notes_ctx.plan.write() as s:
        rel = s.execute(select(Release).where(Release.key == "REL-2026-014")).scalar_one()
        if state in ("Rolled Back", "Closed"):
            rel.deployments = [
                Deployment(
                    environment="production",
                    started_at=T(2026, 12, 12, 21, 30, tzinfo=dt.UTC),
                    finished_at=T(2026, 12, 12, 22, 40, tzinfo=dt.UTC),
                    outcome="rolled_back" if state == "Rolled Back" else "success",
                    incidents=1,
                )
            ]
        if state == "Closed":
            rel.review = Review(
                outcome="successful_with_issues",
                incidents=1,
                lessons_learned="Rehearse the canary step.",
            )
    _set_status(notes_ctx, "REL-2026-014", state, "Approved" if state == "On Hold" else None)
    doc = _notes(notes_ctx, tmp_path, variant)
    banner = doc.tables[0].rows[0].cells[0].text
    headline, says, never = STATES[state]
    assert banner.startswith(headline)
    assert says in banner
    text = all_text(doc)
    if never:
        assert never not in text
    if state == "Cancelled":
        assert "Expected downtime: none — the release is cancelled" in text
    if state in ("Rolled Back", "Closed"):
        assert "Deployments and incidents" in [h for _, h in headings(doc)]
    if state == "Closed":
        assert "Post-implementation review" in [h for _, h in headings(doc)]
        assert ("Rehearse the canary step." in text) == (variant == "technical")
    check_tables(doc)
    assert enum_leaks(text) == []


@pytest.mark.parametrize(
    ("strategy", "plan_text", "expected"),
    [
        ("blue_green", None, "none expected: a blue-green deployment keeps the service running"),
        ("rolling", None, "none expected: a rolling deployment keeps the service running"),
        (
            "big_bang",
            "Stop the service. Expected downtime: 45 minutes.",
            "45 min — the figure stated in the implementation plan",
        ),
        (
            "big_bang",
            "Runbook RB-12",
            "3 h — at most the whole deployment window (a big-bang deployment)",
        ),
        (None, None, "3 h — at most the whole deployment window (no deployment strategy is set)"),
    ],
)
def test_expected_downtime_follows_the_strategy_and_says_how_it_was_derived(
    notes_ctx, tmp_path, strategy, plan_text, expected
):
    from sqlalchemy import select

    from relman_desktop.models.entities import Release

    with notes_ctx.plan.write() as s:
        rel = s.execute(select(Release).where(Release.key == "REL-2026-014")).scalar_one()
        rel.strategy = strategy
        rel.implementation_plan = plan_text
    text = "\n".join(p.text for p in _notes(notes_ctx, tmp_path, "business").paragraphs)
    assert f"Expected downtime: {expected}" in text


def test_business_readers_see_titles_only_of_changes_marked_for_them(notes_ctx, tmp_path):
    from sqlalchemy import update

    from relman_desktop.models.entities import Change
    from tests.docx_checks import all_text

    with notes_ctx.plan.write() as s:
        s.execute(update(Change).where(Change.key == "CHG-1001").values(audience="business"))
    doc = _notes(notes_ctx, tmp_path, "business")
    features = table_after(doc, "New features")
    assert [c.text for c in features.rows[1].cells] == [
        "Invoice PDF layout",
        "Invoices now show the VAT breakdown.",
    ]
    text = all_text(doc)
    assert "Older ciphers are refused." in text  # a technical change, by its release note only
    assert "TLS" not in text and "VAT rounding" not in text and "CHG-" not in text


def test_document_properties_name_the_release_the_exporter_and_the_export_time(notes_ctx, tmp_path):
    from tests.conftest import FIXED_NOW

    props = _notes(notes_ctx, tmp_path, "business").core_properties
    assert props.title == "REL-2026-014 Billing 2.4"
    assert props.author == "tester@example.com"
    assert props.created == FIXED_NOW
    assert props.created.year != 2013 and props.last_printed is None
    assert "Release notes" in props.subject and props.category == "Release notes"
