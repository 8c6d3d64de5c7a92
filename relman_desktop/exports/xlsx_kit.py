"""Writing .xlsx files fast with openpyxl: user text that never becomes a formula, Excel
serial numbers for times, raw data sheets written as Excel tables the short way (a cell made
only where there is a value), defined names over their columns, and saving at zlib's fastest
level with a full disk reported as the ``OSError`` it is.

Split from ``kpi_workbook`` (which builds the KPI workbook's sheets, formulas and charts on
top of this, and re-exports the names callers take from it); nothing here knows about KPIs.
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, product
from operator import itemgetter
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.styles import Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from relman_desktop.services.text import clean_text

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
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
