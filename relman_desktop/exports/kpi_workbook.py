"""The KPI workbook (.xlsx, openpyxl): numbers a spreadsheet recomputes from the raw data.

Sheets: ``Summary`` (each KPI, its value, DORA tier and range), one sheet per KPI with the
period series and a native chart, the raw rows (``Deployments``, ``Releases``, ``Changes``,
``Approvals``) as Excel tables, ``Data quality`` and ``DORA tiers``.

Every summary and series number is a formula over the raw sheets (through defined names such
as ``Dep_Period``), using only functions Excel and LibreOffice both compute: SUMPRODUCT for
counts, MEDIAN/AVERAGE of a column, and MEDIAN(IF(…)) array formulas for per-period medians.
Helper columns in the raw sheets (failed, hours, on time) are formulas over the row's own
cells; the period label is written by the app (ISO week labels are not portable formulas).
A charted rate or median of a period without data is ``#N/A`` (``NA()``), never "" — Excel
draws "" as 0 (0 % success, 0 h to restore) and leaves #N/A out. LibreOffice (7.4) draws both
as 0, so a line chart spans only the periods from the first to the last with data: the
current month with nothing deployed yet is not charted as a fall to 0 %.

Text that came from users never becomes a formula: a value starting with = + - @ (or a tab
or carriage return) is stored as a string cell with Excel's quote prefix.

What lives where: this module lays out the KPI sheets (summary, series and charts, the raw
tables' columns and formulas, data quality, tiers) and writes the file; the openpyxl
plumbing it stands on (cells, raw table sheets, defined names, the fast save) is in
``xlsx_kit``, whose names used from here before are re-exported.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.series import SeriesLabel, StrRef
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from relman_desktop.services.base import gc_paused
from relman_desktop.services.kpis import (
    DATA_QUALITY_CHECKS,
    DORA_TIERS,
    TIER_NAMES,
    KpiData,
    KpiReport,
    PeriodKpis,
    compute_from,
)

from .safe_write import ExportCancelled, in_memory, write_atomically
from .xlsx_kit import ZIP_LEVEL as ZIP_LEVEL
from .xlsx_kit import Col, _define, _raw_sheet, _release, _save_or_oserror, put_text
from .xlsx_kit import _date_serial as _date_serial
from .xlsx_kit import _serial as _serial
from .xlsx_kit import save_workbook_fast as save_workbook_fast

PERCENT = "0.0%"
HOURS = '0.0 "h"'
NUMBER = "0.00"
DATETIME = "yyyy-mm-dd hh:mm"
DATE = "yyyy-mm-dd"
HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")


# --- the workbook ---------------------------------------------------------------------------------

# (sheet title, series columns: (header, formula using {r} and names, number format, array?))
SeriesCol = tuple[str, str, str | None, bool]


def _series_sheet(
    wb: Workbook,
    title: str,
    series: list[PeriodKpis],
    columns: list[SeriesCol],
    chart_cols: list[int],
    chart_kind: str,
    y_title: str,
    y_format: str,
    measured: Callable[[PeriodKpis], bool] | None = None,
    span: tuple[dt.date | None, dt.date | None] = (None, None),
) -> Worksheet:
    """A KPI sheet: one row of live formulas per period, and its chart. A line chart spans the
    periods from the first to the last that ``measured`` (e.g. the current month with nothing
    deployed yet is left off): LibreOffice draws a #N/A as 0 — a fall to 0 % success that did not
    happen — where Excel leaves a gap; the table still lists every period."""
    ws = wb.create_sheet(title)
    headers = ["Period", "From", "To"] + [c[0] for c in columns]
    for c, h in enumerate(headers, 1):
        cell = ws.cell(row=1, column=c, value=h)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, point in enumerate(series, 2):
        put_text(ws, r, 1, point.period)
        # the days counted: a period the range cuts (this month, two days in) says so, so its
        # count is not read as a whole month's
        since = max(point.start, span[0]) if span[0] else point.start
        until = min(point.end, span[1]) if span[1] else point.end
        ws.cell(row=r, column=2, value=since).number_format = DATE
        ws.cell(row=r, column=3, value=until).number_format = DATE
        for c, (_, formula, fmt, array) in enumerate(columns, 4):
            text = formula.format(r=r)
            ref = f"{get_column_letter(c)}{r}"
            cell = ws.cell(row=r, column=c)
            cell.value = ArrayFormula(ref, text) if array else text
            if fmt:
                cell.number_format = fmt
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 12
    ws.column_dimensions["C"].width = 12
    for c, col in enumerate(columns, 4):
        ws.column_dimensions[get_column_letter(c)].width = max(14, len(col[0]) + 2)
    ws.freeze_panes = "B2"

    n = len(series)
    chart = LineChart() if chart_kind == "line" else BarChart()
    chart.title = title
    chart.y_axis.title = y_title
    chart.x_axis.title = "Period"
    chart.y_axis.numFmt = y_format
    # openpyxl 3.1 marks axes deleted by default; Excel then draws a chart without axes
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height, chart.width = 9, 18
    first, last = 2, max(n + 1, 2)
    rows = [r for r, point in enumerate(series, 2) if measured is None or measured(point)]
    if chart_kind == "line" and rows:
        first, last = rows[0], rows[-1]
    for chart_col in chart_cols:
        chart.add_data(Reference(ws, min_col=chart_col, min_row=first, max_row=last))
        label = f"'{title}'!${get_column_letter(chart_col)}$1"
        chart.series[-1].tx = SeriesLabel(strRef=StrRef(label))
    if chart_kind == "line":
        for s in chart.series:  # straight segments: a smoothed curve overshoots (MTTR below 0)
            s.smooth = False
            s.marker.symbol = "circle"  # a lone measured period between gaps still shows
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    ws.add_chart(chart, f"{get_column_letter(len(headers) + 2)}2")
    return ws


def _print_setup(ws: Worksheet) -> None:
    """Printed (or made a PDF), a sheet is landscape and one page wide — a KPI sheet's table and
    chart side by side on one page — and every page repeats the header row."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def build_kpi_workbook(data: KpiData, *, cancelled: Callable[[], bool] | None = None) -> Workbook:
    """The KPI workbook for collected rows (``kpis.collect``)."""
    # ~750,000 cell objects on 10,000 releases: the cyclic GC's repeated sweeps over them
    # would cost more than making them (they are freed with the workbook, GC on again)
    with gc_paused():
        return _build(data, cancelled)


def _build(data: KpiData, cancelled: Callable[[], bool] | None) -> Workbook:
    report = compute_from(data)
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"

    def check() -> None:
        if cancelled is not None and cancelled():
            raise ExportCancelled("export cancelled: nothing was written")

    # raw sheets first (the formulas need their sizes), placed after the KPI sheets at the end
    deployments, dep_last = _raw_sheet(
        wb,
        "Deployments",
        "tblDeployments",
        [
            Col("Release", "text"),
            Col("Application", "text"),
            Col("Environment", "text"),
            Col("Wave", "text"),
            Col("Started (UTC)", "datetime", DATETIME),
            Col("Finished (UTC)", "datetime", DATETIME),
            Col("Outcome", "word"),
            Col("Incidents", "number"),
            Col("Hotfix", "bool"),
            Col("Failure detected (UTC)", "datetime", DATETIME),
            Col("Restored (UTC)", "datetime", DATETIME),
            Col("Period", "word"),
            Col("Failed", "formula"),
            Col("Restore hours", "formula", HOURS),
        ],
        [
            [
                d.release_key,
                d.application,
                d.environment,
                d.wave,
                d.started_at,
                d.finished_at,
                d.outcome,
                d.incidents,
                d.hotfix,
                d.failure_detected_at,
                d.restored_at,
                d.period,
                '=IF(OR(G{r}="failed",G{r}="rolled_back",H{r}>0,I{r}=TRUE,ISNUMBER(J{r})),1,0)',
                '=IF(AND(M{r}=1,ISNUMBER(J{r}),ISNUMBER(K{r})),(K{r}-J{r})*24,"")',
            ]
            for d in data.deployments
        ],
    )
    for name, col in (
        ("Dep_Finished", 6),
        ("Dep_Period", 12),
        ("Dep_Failed", 13),
        ("Dep_RestoreHours", 14),
    ):
        _define(wb, name, "Deployments", col, dep_last)
    check()

    releases, rel_last = _raw_sheet(
        wb,
        "Releases",
        "tblReleases",
        [
            Col("Release", "text"),
            Col("Title", "text"),
            Col("Application", "text"),
            Col("Planned end", "date", DATE),
            Col("Deployed (UTC)", "datetime", DATETIME),
            Col("Period", "word"),
            Col("Production deployments", "number"),
            Col("Failed production deployments", "number"),
            Col("Succeeded", "formula"),
            Col("On time", "formula"),
        ],
        [
            [
                r.key,
                r.title,
                r.application,
                r.planned_end,
                r.deployed_at,
                r.period,
                r.production_deployments,
                r.failed_deployments,
                "=IF(H{r}=0,1,0)",
                '=IF(ISNUMBER(D{r}),IF(INT(E{r})<=D{r},1,0),"")',
            ]
            for r in data.releases
        ],
    )
    for name, col in (
        ("Rel_Key", 1),
        ("Rel_Period", 6),
        ("Rel_FailedDeployments", 8),
        ("Rel_Succeeded", 9),
        ("Rel_OnTime", 10),
    ):
        _define(wb, name, "Releases", col, rel_last)
    check()

    changes, chg_last = _raw_sheet(
        wb,
        "Changes",
        "tblChanges",
        [
            Col("Change", "text"),
            Col("Title", "text"),
            Col("Category", "word"),
            Col("Release", "text"),
            Col("Application", "text"),
            Col("Created (UTC)", "datetime", DATETIME),
            Col("Deployed (UTC)", "datetime", DATETIME),
            Col("Period", "word"),
            Col("Caused incident", "bool"),
            Col("Release failed", "formula"),
            Col("Failed", "formula"),
            Col("Lead time hours", "formula", HOURS),
        ],
        [
            [
                c.key,
                c.title,
                c.category,
                c.release_key,
                c.application,
                c.created_at,
                c.deployed_at,
                c.period,
                c.caused_incident,
                # a lookup (spreadsheets cache these), not a scan of every release per change
                "=IFERROR(INDEX(Rel_FailedDeployments,MATCH(D{r},Rel_Key,0))>0,FALSE)",
                "=IF(OR(I{r}=TRUE,J{r}=TRUE),1,0)",
                '=IF(AND(ISNUMBER(F{r}),ISNUMBER(G{r})),IF(G{r}>=F{r},(G{r}-F{r})*24,""),"")',
            ]
            for c in data.changes
        ],
    )
    for name, col in (("Chg_Period", 8), ("Chg_Failed", 11), ("Chg_LeadHours", 12)):
        _define(wb, name, "Changes", col, chg_last)
    check()

    approvals, apr_last = _raw_sheet(
        wb,
        "Approvals",
        "tblApprovals",
        [
            Col("Release", "text"),
            Col("Application", "text"),
            Col("Stage", "text"),
            Col("Approver", "text"),
            Col("Decision", "word"),
            Col("Requested (UTC)", "datetime", DATETIME),
            Col("Decided (UTC)", "datetime", DATETIME),
            Col("Period", "word"),
            Col("Cycle hours", "formula", HOURS),
        ],
        [
            [
                a.release_key,
                a.application,
                a.stage,
                a.approver,
                a.decision,
                a.requested_at,
                a.decided_at,
                a.period,
                '=IF(AND(ISNUMBER(F{r}),ISNUMBER(G{r})),(G{r}-F{r})*24,"")',
            ]
            for a in data.approvals
        ],
    )
    for name, col in (("Apr_Period", 8), ("Apr_CycleHours", 9)):
        _define(wb, name, "Approvals", col, apr_last)
    check()

    series = report.series
    sheet = partial(_series_sheet, span=(report.range.start, report.range.end))
    kpi_sheets = [
        sheet(
            wb,
            "Release success",
            series,
            [
                ("Releases deployed", "=SUMPRODUCT(--(Rel_Period=$A{r}))", "0", False),
                ("Succeeded", "=SUMPRODUCT((Rel_Period=$A{r})*(Rel_Succeeded=1))", "0", False),
                ("Success rate", "=IF(D{r}=0,NA(),E{r}/D{r})", PERCENT, False),
            ],
            [6],
            "line",
            "Success rate",
            PERCENT,
            lambda p: p.release_success_rate is not None,
        ),
        sheet(
            wb,
            "Deployment frequency",
            series,
            [("Production deployments", "=SUMPRODUCT(--(Dep_Period=$A{r}))", "0", False)],
            [4],
            "bar",
            "Deployments",
            "0",
        ),
        sheet(
            wb,
            "Change failure rate",
            series,
            [
                ("Changes deployed", "=SUMPRODUCT(--(Chg_Period=$A{r}))", "0", False),
                ("Failed changes", "=SUMPRODUCT((Chg_Period=$A{r})*(Chg_Failed=1))", "0", False),
                ("Change failure rate", "=IF(D{r}=0,NA(),E{r}/D{r})", PERCENT, False),
            ],
            [6],
            "line",
            "Change failure rate",
            PERCENT,
            lambda p: p.change_failure_rate is not None,
        ),
        sheet(
            wb,
            "MTTR",
            series,
            [
                (
                    "Failed deployments",
                    "=SUMPRODUCT((Dep_Period=$A{r})*(Dep_Failed=1))",
                    "0",
                    False,
                ),
                (
                    "Mean hours",
                    "=IFERROR(AVERAGE(IF((Dep_Period=$A{r})*ISNUMBER(Dep_RestoreHours),Dep_RestoreHours)),NA())",
                    HOURS,
                    True,
                ),
                (
                    "Median hours",
                    "=IFERROR(MEDIAN(IF((Dep_Period=$A{r})*ISNUMBER(Dep_RestoreHours),Dep_RestoreHours)),NA())",
                    HOURS,
                    True,
                ),
            ],
            [5, 6],
            "line",
            "Hours to restore",
            HOURS,
            lambda p: p.mttr_hours_mean is not None,
        ),
        sheet(
            wb,
            "Lead time",
            series,
            [
                (
                    "Changes with lead time",
                    "=SUMPRODUCT((Chg_Period=$A{r})*ISNUMBER(Chg_LeadHours))",
                    "0",
                    False,
                ),
                (
                    "Median hours",
                    "=IFERROR(MEDIAN(IF((Chg_Period=$A{r})*ISNUMBER(Chg_LeadHours),Chg_LeadHours)),NA())",
                    HOURS,
                    True,
                ),
            ],
            [5],
            "line",
            "Lead time (hours)",
            HOURS,
            lambda p: p.lead_time_hours_median is not None,
        ),
        sheet(
            wb,
            "On-time delivery",
            series,
            [
                (
                    "Releases with planned end",
                    "=SUMPRODUCT((Rel_Period=$A{r})*ISNUMBER(Rel_OnTime))",
                    "0",
                    False,
                ),
                ("On time", "=SUMPRODUCT((Rel_Period=$A{r})*(Rel_OnTime=1))", "0", False),
                ("On-time delivery", "=IF(D{r}=0,NA(),E{r}/D{r})", PERCENT, False),
            ],
            [6],
            "line",
            "On time",
            PERCENT,
            lambda p: p.on_time_delivery is not None,
        ),
        sheet(
            wb,
            "Approval cycle",
            series,
            [
                ("Decided approvals", "=SUMPRODUCT(--(Apr_Period=$A{r}))", "0", False),
                (
                    "Median hours",
                    "=IFERROR(MEDIAN(IF((Apr_Period=$A{r})*ISNUMBER(Apr_CycleHours),Apr_CycleHours)),NA())",
                    HOURS,
                    True,
                ),
            ],
            [5],
            "line",
            "Approval cycle (hours)",
            HOURS,
            lambda p: p.approval_cycle_hours_median is not None,
        ),
    ]
    check()

    _summary(summary, report, data)
    quality = _data_quality_sheet(wb, report.data_quality)
    tiers = _tiers_sheet(wb, data.report_year)

    # Summary, the KPI sheets, then the raw data and references
    order = [summary, *kpi_sheets, deployments, releases, changes, approvals, quality, tiers]
    wb._sheets = order  # openpyxl has no public reorder; the list is the workbook order
    for ws in order:
        _print_setup(ws)
    wb.active = 0
    wb.calculation.fullCalcOnLoad = True
    return wb


def _summary(ws: Worksheet, report: KpiReport, data: KpiData) -> None:
    headers = ["KPI", "Value", "DORA tier", "Range", "Definition"]
    for c, h in enumerate(headers, 1):
        cell = ws.cell(row=1, column=c, value=h)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    start, end = report.range.start, report.range.end
    span = f"{start} – {end}" if start else "no data"
    tiers = report.tiers
    freq = report.deployment_frequency
    # parameters below the KPI table; the per-week formula reads From/To from here
    p0 = 14
    rows: list[tuple[str, Any, str | None, str | None, str]] = [
        (
            "Release success rate",
            '=IFERROR(SUM(Rel_Succeeded)/COUNT(Rel_Succeeded),"")',
            PERCENT,
            None,
            "deployed releases with no failed production deployment ÷ deployed releases",
        ),
        (
            "Production deployments",
            "=COUNT(Dep_Finished)",
            "0",
            None,
            "finished production deployments in the range",
        ),
        (
            "Deployments per week",
            f'=IF(AND(ISNUMBER(B{p0}),ISNUMBER(B{p0 + 1})),B3/((B{p0 + 1}-B{p0}+1)/7),"")',
            NUMBER,
            None,
            "production deployments ÷ weeks in the range",
        ),
        (
            "Deployment frequency (DORA bucket)",
            freq.bucket or "",
            None,
            tiers.deployment_frequency,
            "by the median week/month having a deployment: daily, weekly, monthly or yearly",
        ),
        (
            "Change failure rate",
            '=IFERROR(SUM(Chg_Failed)/COUNT(Chg_Failed),"")',
            PERCENT,
            tiers.change_failure_rate,
            "deployed changes that caused an incident, rollback or hotfix ÷ deployed changes",
        ),
        (
            "MTTR, mean",
            '=IFERROR(AVERAGE(Dep_RestoreHours),"")',
            HOURS,
            None,
            "restored − failure detected, over failed production deployments",
        ),
        (
            "MTTR, median",
            '=IFERROR(MEDIAN(Dep_RestoreHours),"")',
            HOURS,
            tiers.mttr,
            "restored − failure detected, over failed production deployments",
        ),
        (
            "Lead time for changes, median",
            '=IFERROR(MEDIAN(Chg_LeadHours),"")',
            HOURS,
            tiers.lead_time,
            "release deployed − change created",
        ),
        (
            "On-time delivery",
            '=IFERROR(SUM(Rel_OnTime)/COUNT(Rel_OnTime),"")',
            PERCENT,
            None,
            "releases deployed by their planned end ÷ deployed releases with a planned end",
        ),
        (
            "Approval cycle time, median",
            '=IFERROR(MEDIAN(Apr_CycleHours),"")',
            HOURS,
            None,
            "decided − requested, over decided approvals",
        ),
    ]
    for r, (name, value, fmt, tier, definition) in enumerate(rows, 2):
        ws.cell(row=r, column=1, value=name)
        cell = ws.cell(row=r, column=2, value=value)
        if fmt:
            cell.number_format = fmt
        ws.cell(row=r, column=3, value=tier or "")
        ws.cell(row=r, column=4, value=span)
        ws.cell(row=r, column=5, value=definition)
    dq = len(report.data_quality)
    ws.cell(row=len(rows) + 2, column=1, value="Data-quality gaps")
    ws.cell(row=len(rows) + 2, column=2, value=dq)
    ws.cell(row=len(rows) + 2, column=5, value="records not counted: see the Data quality sheet")

    params = [
        ("From", start, DATE),
        ("To", end, DATE),
        ("Period", data.by, None),
        ("Application", data.application or "all", None),
        ("DORA report year", data.report_year, "0"),
        ("Times", "UTC", None),
    ]
    ws.cell(row=p0 - 1, column=1, value="Parameters").font = Font(bold=True)
    for i, (name, value, fmt) in enumerate(params):
        ws.cell(row=p0 + i, column=1, value=name)
        cell = (
            put_text(ws, p0 + i, 2, value)
            if isinstance(value, str)
            else ws.cell(row=p0 + i, column=2, value=value)
        )
        if fmt:
            cell.number_format = fmt
    for col, width in zip("ABCDE", (34, 14, 12, 26, 80), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "B2"


def _data_quality_sheet(wb: Workbook, issues: list[dict[str, str]]) -> Worksheet:
    ws = wb.create_sheet("Data quality")
    headers = ["Kind", "Record", "KPI", "Issue"]
    for c, h in enumerate(headers, 1):
        ws.cell(row=1, column=c, value=h).font = Font(bold=True)
    for r, item in enumerate(issues, 2):
        for c, key in enumerate(("kind", "record", "kpi", "issue"), 1):
            put_text(ws, r, c, item.get(key))
    if not issues:
        # An empty sheet reads as "not checked": say that nothing was missing, and what was
        # looked at, in the sheet's own columns.
        ws.cell(row=2, column=1, value="none")
        ws.cell(row=2, column=2, value="every record in the period")
        ws.cell(row=2, column=3, value="all")
        ws.cell(row=2, column=4, value="No data-quality gaps found. Checked:").font = Font(
            bold=True
        )
        for r, (kind, kpi, check) in enumerate(DATA_QUALITY_CHECKS, 3):
            ws.cell(row=r, column=1, value=kind)
            ws.cell(row=r, column=2, value="all")
            ws.cell(row=r, column=3, value=kpi)
            ws.cell(row=r, column=4, value=f"{check}: yes")
    for col, width in zip("ABCD", (12, 40, 22, 80), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    return ws


def _tiers_sheet(wb: Workbook, year: int) -> Worksheet:
    ws = wb.create_sheet("DORA tiers")
    ws.cell(row=1, column=1, value=f"DORA performance tiers, State of DevOps {year}").font = Font(
        bold=True
    )
    headers = ["Metric", *[t.capitalize() for t in TIER_NAMES]]
    for c, h in enumerate(headers, 1):
        ws.cell(row=2, column=c, value=h).font = Font(bold=True)
    names = {
        "deployment_frequency": "Deployment frequency",
        "lead_time": "Lead time for changes",
        "mttr": "Time to restore (failed deployment recovery)",
        "change_failure_rate": "Change failure rate",
    }
    for r, (metric, ref) in enumerate(DORA_TIERS[year].items(), 3):
        ws.cell(row=r, column=1, value=names.get(metric, metric))
        for c, tier in enumerate(TIER_NAMES, 2):
            ws.cell(row=r, column=c, value=ref["text"][tier])
    for col, width in zip("ABCDE", (44, 36, 36, 36, 36), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "B3"
    return ws


def write_kpi_workbook(
    data: KpiData,
    target: str | os.PathLike[str],
    *,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Build the workbook and save it to ``target`` atomically; return the path."""
    # paused over building and saving: ~750,000 cells, and the writer makes more objects per
    # cell; each pause ending in between would have the GC sweep all the cells once more
    with gc_paused():
        wb = build_kpi_workbook(data, cancelled=cancelled)
        try:
            return write_atomically(
                target, in_memory(lambda fh: _save_or_oserror(wb, fh)), cancelled=cancelled
            )
        finally:
            _release(wb)
