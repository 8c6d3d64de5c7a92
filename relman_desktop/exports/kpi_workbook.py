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
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain, product
from operator import itemgetter
from pathlib import Path
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.series import SeriesLabel, StrRef
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

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
from relman_desktop.services.text import clean_text

from .safe_write import ExportCancelled, in_memory, write_atomically

PERCENT = "0.0%"
HOURS = '0.0 "h"'
NUMBER = "0.00"
DATETIME = "yyyy-mm-dd hh:mm"
DATE = "yyyy-mm-dd"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
TABLE_STYLE = "TableStyleMedium2"


# --- cells --------------------------------------------------------------------------------------


def put_text(ws: Worksheet, row: int, col: int, value: Any) -> Any:
    """User text into a cell, never as a formula; control characters Excel refuses are dropped."""
    cell = ws.cell(row=row, column=col)
    if value is None:
        return cell
    text = clean_text(str(value))
    cell.value = text
    if text.startswith(FORMULA_TRIGGERS) or text in _ERROR_CODES:
        # openpyxl turned "=…" into a formula ("#N/A" into an error): text again
        cell.data_type = "s"
        cell.quotePrefix = True  # and show it the way Excel shows a typed '=…
    return cell


# Excel's day 0 (the 1900 date system, as openpyxl writes it); serials after 1900-03-01 only
_EPOCH = dt.datetime(1899, 12, 30, tzinfo=dt.UTC)
_DATE_EPOCH = dt.date(1899, 12, 30)


def _serial(value: dt.datetime) -> float:
    """A time as Excel's serial number of its UTC wall-clock time (Excel has no time zones:
    the headers say UTC). The sum openpyxl's ``to_excel`` makes, so the same number."""
    if value.tzinfo is None:  # the plan's times are aware; a naive one is local time
        value = value.astimezone(dt.UTC)
    since = value - _EPOCH
    return since.days + (since.seconds + since.microseconds / 10**6) / 86400


def _date_serial(value: dt.date) -> int:
    return (value - _DATE_EPOCH).days


@dataclass
class Col:
    header: str
    # text (user text) | word (enum word, period label) | number | datetime | date | bool | formula
    kind: str
    # None for counts and 0/1 flags: General shows whole numbers as they are, and a number
    # format costs each of the column's cells a style lookup when the sheet is written
    fmt: str | None = None
    width: float | None = None


def _shared_style(ws: Worksheet, fmt: str | None) -> StyleArray | None:
    """The style array of a cell showing ``fmt``: made once per column, copied into each cell
    (openpyxl's number-format setter costs more per cell than the rest of the cell)."""
    if fmt is None:
        return None
    template = Cell(ws)
    template.number_format = fmt
    return template._style


_ERROR_CODES = frozenset(ERROR_CODES)
MAX_TEXT = 32767  # Excel's longest cell text; openpyxl cuts there too


def _clean_text(value: Any) -> tuple[str, bool]:
    """``put_text``'s rules for one value: the text, and whether it needs the quote prefix
    (it starts like a formula)."""
    text = clean_text(str(value))
    # A title that reads "#N/A" is still someone's text, not a spreadsheet error.
    quoted = text.startswith(FORMULA_TRIGGERS) or text in _ERROR_CODES
    return text[:MAX_TEXT], quoted


def _raw_sheet(
    wb: Workbook,
    title: str,
    table: str,
    columns: Sequence[Col],
    rows: Sequence[Sequence[Any]],
) -> tuple[Worksheet, int]:
    """A raw data sheet as an Excel table; formula columns take ``{r}`` for the row number.
    Returns the sheet and the last row the ranges cover (at least 2, so no range is empty).

    ~730,000 cells on 10,000 releases, and openpyxl's writer spends ~4 µs on each whatever
    we do (most of the export), so each cell is made the short way and only when it has
    something to show: its value and type set directly (no type inference, no string
    checks: user text was cleaned here, once per distinct value, by ``put_text``'s rules;
    times as Excel serial numbers, the way openpyxl would write them), a number format as
    one style array per column, and no cell at all for an empty value. Relies on openpyxl
    3.1's ``Cell._value`` and ``Worksheet._cells``; the workbook tests read every kind back."""
    ws = wb.create_sheet(title)
    bold = Font(bold=True)
    ws.append([col.header for col in columns])
    for cell in ws[1]:
        cell.font = bold
    widths = [len(col.header) + 4 for col in columns]
    if any(len(row) != len(columns) for row in rows):
        raise ValueError(f"{title}: a row does not have the {len(columns)} columns")
    by_column: list[list[Cell | None]] = []
    for c, col in enumerate(columns, 1):
        # column by column, one tight loop per kind
        values = [row[c - 1] for row in rows]
        made: list[Cell | None] = [None] * len(values)
        by_column.append(made)
        kind, style = col.kind, _shared_style(ws, col.fmt)
        if kind == "formula":
            for i, value in enumerate(values):
                if value:
                    made[i] = cell = Cell(ws, i + 2, c, None, style)
                    text = value.format(r=i + 2)
                    if len(text) > 1 and text.startswith("="):
                        cell._value, cell.data_type = text, "f"
                    else:
                        cell.value = text
        elif kind == "datetime" or kind == "date":
            serial = _serial if kind == "datetime" else _date_serial
            if values and kind == "datetime":
                widths[c - 1] = max(widths[c - 1], 18)
            for i, value in enumerate(values):
                if value is not None:
                    made[i] = cell = Cell(ws, i + 2, c, None, style)
                    cell._value = serial(value)  # a number ("n", the default) shown as a time
        elif kind == "text" or kind == "word":
            # user text gets put_text's guard; enum words and the app's own labels (period)
            # cannot start like a formula. Either way once per distinct value.
            seen: dict[Any, tuple[str, bool]] = {}
            for value in set(values):
                if value is not None:
                    seen[value] = _clean_text(value) if kind == "text" else (str(value), False)
                    widths[c - 1] = max(widths[c - 1], min(len(str(value)) + 2, 60))
            for i, value in enumerate(values):
                if value is not None:
                    made[i] = cell = Cell(ws, i + 2, c, None, style)
                    cell._value, trigger = seen[value]
                    cell.data_type = "s"
                    if trigger:
                        cell.quotePrefix = True  # shown the way Excel shows a typed '=…
        elif kind == "bool":
            for i, value in enumerate(values):
                if value is not None:
                    made[i] = cell = Cell(ws, i + 2, c, None, style)
                    cell._value, cell.data_type = bool(value), "b"
        else:
            for i, value in enumerate(values):
                if value is not None:
                    made[i] = cell = Cell(ws, i + 2, c, None, style)
                    if type(value) is int or type(value) is float:
                        cell._value = value
                    else:
                        cell.value = value
    # Into the sheet's cell map row by row: the writer sorts the map by (row, column), and a
    # map already in that order sorts in one pass (filled column by column it cost ~0.4 s).
    # filter(itemgetter(1)) leaves out the positions that got no cell.
    positions = product(range(2, len(rows) + 2), range(1, len(columns) + 1))
    in_rows = chain.from_iterable(zip(*by_column, strict=True))
    ws._cells.update(filter(itemgetter(1), zip(positions, in_rows, strict=True)))
    last = max(len(rows) + 1, 2)
    for c, col in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(c)].width = col.width or widths[c - 1]
    ref = f"A1:{get_column_letter(len(columns))}{last}"
    t = Table(displayName=table, ref=ref, autoFilter=AutoFilter(ref=ref))
    # the column names given here: openpyxl would otherwise read them at save time through
    # ws[ref], making a cell object for every position of the table
    t.tableColumns = [TableColumn(id=c, name=col.header) for c, col in enumerate(columns, 1)]
    t.tableStyleInfo = TableStyleInfo(
        name=TABLE_STYLE, showRowStripes=True, showColumnStripes=False
    )
    ws.add_table(t)
    ws.freeze_panes = "A2"
    return ws, last


def _define(wb: Workbook, name: str, sheet: str, col: int, last: int) -> None:
    letter = get_column_letter(col)
    wb.defined_names[name] = DefinedName(name, attr_text=f"'{sheet}'!${letter}$2:${letter}${last}")


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


# zlib's fastest level: on 10,000 releases the sheets are ~47 MB of XML, which level 6 (the
# zipfile default Workbook.save uses) deflates in ~0.33 s and level 1 in ~0.13 s, for a file
# a fifth larger (5.9 MB instead of 4.9 MB). Any deflate level reads the same everywhere.
ZIP_LEVEL = 1


def save_workbook_fast(wb: Workbook, path: str | os.PathLike[str] | IO[bytes]) -> None:
    """``Workbook.save`` (openpyxl's ``save_workbook``) with the archive at ``ZIP_LEVEL``."""
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL) as archive:
        wb.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
        ExcelWriter(wb, archive).write_data()


def _save_or_oserror(wb: Workbook, out: IO[bytes]) -> None:
    """``save_workbook_fast``, with a full disk said as the ``OSError`` it is. openpyxl streams
    each sheet through a file in the system's temporary folder with lxml, which reports a full
    disk as ``SerialisationError('IO_ENOSPC')`` and leaves a half-closed writer whose collection
    raises the same error again (printed as "Exception ignored …" after the command's own line):
    that echo is collected here, quietly, before the error is reported once."""
    from lxml import etree

    hook = sys.unraisablehook

    def quiet(info: Any) -> None:
        if not isinstance(info.exc_value, etree.SerialisationError):
            hook(info)

    sys.unraisablehook = quiet
    try:
        try:
            save_workbook_fast(wb, out)
            return
        except etree.SerialisationError as exc:
            reason = str(exc)
        gc.collect()  # the failed sheet writer, now, while its echo is silenced
    finally:
        sys.unraisablehook = hook
    code = getattr(errno, reason.removeprefix("IO_"), errno.EIO)
    raise OSError(code, os.strerror(code) if isinstance(code, int) else reason)


def _release(wb: Workbook) -> None:
    """Free the cells of a saved workbook now: each refers back to its sheet, so otherwise
    they wait for (and cost) a cyclic GC sweep."""
    for ws in wb.worksheets:
        ws._cells.clear()
