"""The calendar as a picture: one PNG of the whole chart, or a PDF that tiles it across pages.

Both draw with the calendar's own renderer (``gantt_render``), so the paper looks like the
screen. The PDF repeats the time scale, the row labels (key and title) and a legend on every
page, and numbers its pages with the rows and dates each one holds. Pages run left to right in
time; each stretch of dates lists only the rows with a bar in it (a task with its release), so
a page of old releases over future months — blank but for its labels — is never printed
(``keep_empty_pages`` prints every row on every stretch, as the screen shows them). With
``start``/``end`` only rows with a bar in that range are drawn.

``source`` is a Store, a Ctx, or a CalendarView (then its zoom, filters, expanded releases and
baseline are used). Exports print in the light theme unless told otherwise.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter

from relman_desktop.services.base import ServiceError

from . import gantt_data as D
from .gantt_colors import colors_for
from .gantt_geometry import ZOOMS, Geometry, Row, header_height_for, row_height_for
from .gantt_model import Filters
from .gantt_render import GanttRenderer

LABEL_WIDTH = 300


@dataclass
class _Chart:
    renderer: GanttRenderer
    x0: float  # content x of the first day shown
    x1: float


def _row_span(row: Row) -> tuple[dt.date, dt.date] | None:
    """First and last day the row's bar covers (a task's dates, else the release's span)."""
    if row.task is not None:
        days = [d for d in (row.task.start, row.task.end) if d is not None]
        return (min(days), max(days)) if days else None
    return row.release.span()


def _has_bar(row: Row, first: dt.date, last: dt.date) -> bool:
    span = _row_span(row)
    return span is not None and span[0] <= last and span[1] >= first


def _rows_in(rows: list[Row], first: dt.date, last: dt.date) -> list[int]:
    """Indexes of the rows with a bar in ``first..last``, and the release row of each such
    task (its label names the release the task belongs to)."""
    keep = {i for i, row in enumerate(rows) if _has_bar(row, first, last)}
    parents = {rows[i].release.key for i in keep if rows[i].task is not None}
    return [
        i
        for i, row in enumerate(rows)
        if i in keep or (row.task is None and row.release.key in parents)
    ]


def _with_rows(r: GanttRenderer, indexes: list[int]) -> GanttRenderer:
    """A renderer of the same chart drawing only ``indexes`` of its rows, one under another."""
    if len(indexes) == len(r.rows):
        return r
    sub = GanttRenderer(r.data, [r.rows[i] for i in indexes], r.geom, r.colors, r.font)
    sub.baseline = r.baseline
    sub.show_weekends = r.show_weekends
    return sub


def _ctx_of(source: Any) -> Any:
    if hasattr(source, "plan") and hasattr(source, "read"):
        return source
    return source.ctx


def _chart(
    source: Any,
    *,
    zoom: str | float,
    start: dt.date | None,
    end: dt.date | None,
    theme: str,
    font: QFont,
    expand: bool | list[str],
    baseline: str | None,
    filters: Filters | None,
) -> _Chart:
    from .calendar_view import CalendarView

    view = source if isinstance(source, CalendarView) else None
    if view is not None:
        if getattr(view, "_stale", False) or view.loads == 0:
            # a page not shown since the plan changed, or whose first background read has not
            # arrived: read the days it shows now, or the picture is an empty chart
            view.load_now()
        data = view.data
        rows = list(view.renderer.rows)
        ppd = view.renderer.geom.ppd if zoom is None else None
        base = view.renderer.baseline if baseline is None else data.baselines.get(baseline)
    else:
        ctx = _ctx_of(source)
        data = D.load(ctx)
        wanted = filters or Filters()
        rows = []
        expand_keys = (
            {r.key for r in data.releases}
            if expand is True
            else set(expand)
            if isinstance(expand, list | tuple | set)
            else set()
        )
        for i, rel in enumerate(r for r in data.releases if wanted.accepts(r)):
            rows.append(Row(rel, None, i))
            if rel.key in expand_keys:
                for j, task in enumerate(D.load_tasks(ctx, rel.key)):
                    rows.append(Row(rel, task, i, j))
        ppd = None
        base = data.baselines.get(baseline) if baseline else None
    if ppd is None:
        ppd = ZOOMS[zoom] if isinstance(zoom, str) else float(zoom or ZOOMS["week"])
    first = start or data.first_day
    last = end or data.last_day
    if start is not None or end is not None:  # a date range shows the rows with a bar in it
        rows = [row for row in rows if _has_bar(row, first, last)]
    geom = Geometry(data.first_day, ppd, row_height_for(font))
    renderer = GanttRenderer(data, rows, geom, colors_for(theme), font)
    renderer.baseline = base
    return _Chart(renderer, geom.x_of_date(first), geom.x_of_date(last + dt.timedelta(days=1)))


MAX_PICTURE_SIDE = 32_767  # wider PNGs are refused by common viewers and by QImage itself
MAX_PDF_PAGES = 2_000


def export_calendar_png(
    source: Any,
    path: str | Path,
    *,
    zoom: str | float = "week",
    start: dt.date | None = None,
    end: dt.date | None = None,
    theme: str = "light",
    expand: bool | list[str] = False,
    baseline: str | None = None,
    filters: Filters | None = None,
    max_rows: int = 2000,
) -> Path:
    """The whole chart (or ``start``–``end``) with its row labels as one PNG; returns the path.
    ``max_rows`` keeps a huge plan from asking for a picture no program can open."""
    from ..shell.screenshot import ensure_app

    ensure_app()
    font = QFont()
    chart = _chart(
        source,
        zoom=zoom,
        start=start,
        end=end,
        theme=theme,
        font=font,
        expand=expand,
        baseline=baseline,
        filters=filters,
    )
    r = chart.renderer
    rows = min(len(r.rows), max_rows)
    hh = header_height_for(font)
    width = int(LABEL_WIDTH + chart.x1 - chart.x0)
    height = int(hh + max(1, rows) * r.geom.row_h)
    if width > MAX_PICTURE_SIDE:
        raise ServiceError(
            f"a picture {width:,} pixels wide is more than viewers open (at most "
            f"{MAX_PICTURE_SIDE:,}): choose a shorter --from/--to range, a coarser --zoom, or a .pdf"
        )
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor(r.colors.base))
    p = QPainter(image)
    try:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r.paint_labels(p, 0, rows - 1, QRectF(0, 0, LABEL_WIDTH, height), hh)
        r.paint_header(
            p, chart.x0, chart.x1 - chart.x0, QRectF(LABEL_WIDTH, 0, width - LABEL_WIDTH, hh)
        )
        r.paint_body(
            p,
            QRectF(chart.x0, 0, chart.x1 - chart.x0, rows * r.geom.row_h),
            QPointF(LABEL_WIDTH, hh),
        )
    finally:
        p.end()
    from relman_desktop.exports.safe_write import write_atomically

    from ..shell.screenshot import png_bytes

    data = png_bytes(image)
    return write_atomically(path, lambda tmp: tmp.write_bytes(data), complete=True)


@dataclass
class PdfResult:
    path: Path
    pages: int
    columns: int  # tiles across time
    bands: int  # tiles down the rows
    painted: bool = True  # the painter finished the file (False: the writer failed)
    footers: list[str] = field(default_factory=list)  # each page's rows and dates, as printed


def export_calendar_pdf(
    source: Any,
    path: str | Path,
    *,
    zoom: str | float = "week",
    start: dt.date | None = None,
    end: dt.date | None = None,
    theme: str = "light",
    expand: bool | list[str] = False,
    baseline: str | None = None,
    filters: Filters | None = None,
    page_size: str = "A4",
    landscape: bool = True,
    title: str = "Release calendar",
    keep_empty_pages: bool = False,
) -> PdfResult:
    """The chart tiled across pages; each page repeats the time scale, the row labels and the
    legend. Pages whose rows have no bar in their dates are left out unless asked for.
    Written beside ``path`` and renamed once complete (``exports.safe_write``)."""
    from relman_desktop.exports.safe_write import write_atomically

    results: list[PdfResult] = []

    def paint(tmp: Path) -> bool:
        results.append(
            _paint_pdf(
                source,
                tmp,
                zoom=zoom,
                start=start,
                end=end,
                theme=theme,
                expand=expand,
                baseline=baseline,
                filters=filters,
                page_size=page_size,
                landscape=landscape,
                title=title,
                keep_empty_pages=keep_empty_pages,
            )
        )
        return results[-1].painted

    target = write_atomically(path, paint, complete=True)
    done = results[-1]
    return PdfResult(target, done.pages, done.columns, done.bands, footers=done.footers)


def _paint_pdf(
    source: Any,
    path: Path,
    *,
    zoom: str | float,
    start: dt.date | None,
    end: dt.date | None,
    theme: str,
    expand: bool | list[str],
    baseline: str | None,
    filters: Filters | None,
    page_size: str,
    landscape: bool,
    title: str,
    keep_empty_pages: bool,
) -> PdfResult:
    from ..shell.screenshot import ensure_app

    ensure_app()
    size = {
        "A4": QPageSize.PageSizeId.A4,
        "A3": QPageSize.PageSizeId.A3,
        "Letter": QPageSize.PageSizeId.Letter,
    }.get(page_size, QPageSize.PageSizeId.A4)
    orientation = (
        QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
    )
    layout = QPageLayout(
        QPageSize(size), orientation, QMarginsF(10, 10, 10, 10), QPageLayout.Unit.Millimeter
    )
    font = QFont()
    font.setPointSizeF(8.5)
    chart = _chart(
        source,
        zoom=zoom,
        start=start,
        end=end,
        theme=theme,
        font=font,
        expand=expand,
        baseline=baseline,
        filters=filters,
    )
    r = chart.renderer
    paint = layout.paintRectPixels(96)  # one device unit = one screen pixel: the chart's own sizes
    page_w, page_h = paint.width(), paint.height()
    hh = header_height_for(font)
    foot = 22
    legend_h = 20
    label_w = min(LABEL_WIDTH, page_w // 3)
    tile_w = page_w - label_w
    rows_per_page = max(1, int((page_h - hh - foot - legend_h) // r.geom.row_h))
    total_w = chart.x1 - chart.x0
    columns = max(1, math.ceil(total_w / tile_w))
    bands = max(1, math.ceil(len(r.rows) / rows_per_page))
    if columns * bands > MAX_PDF_PAGES:
        raise ServiceError(
            f"the calendar would take {columns * bands:,} pages (at most {MAX_PDF_PAGES:,}): choose a shorter "
            "--from/--to range or a coarser --zoom"
        )
    # (renderer of the page's rows, first and last of them, x and width of its dates)
    tiles: list[tuple[GanttRenderer, int, int, float, float]] = []
    most_bands = 0
    for col in range(columns):
        x = chart.x0 + col * tile_w
        w = min(tile_w, chart.x1 - x)
        day0, day1 = r.geom.date_at(x), r.geom.date_at(x + w - 1)
        shown = list(range(len(r.rows))) if keep_empty_pages else _rows_in(r.rows, day0, day1)
        if not shown:
            continue
        page_rows = _with_rows(r, shown)
        starts = range(0, len(shown), rows_per_page)
        most_bands = max(most_bands, len(starts))
        for first in starts:
            tiles.append((page_rows, first, min(len(shown), first + rows_per_page) - 1, x, w))
    if not tiles:  # nothing to draw at all: one page that says so
        last = min(len(r.rows), rows_per_page) - 1
        tiles.append((r, 0, last, chart.x0, min(tile_w, total_w)))
    bands = max(1, most_bands)
    pages = len(tiles)
    writer = QPdfWriter(str(path))
    writer.setTitle(title)
    writer.setCreator("Release Manager Desktop")
    writer.setPageLayout(layout)
    writer.setResolution(96)
    p = QPainter(writer)
    footers: list[str] = []
    try:
        for n, (rows, first, last, x, w) in enumerate(tiles, 1):
            if n > 1:
                writer.newPage()
            body_h = max(0, last - first + 1) * r.geom.row_h
            rows.paint_labels(p, first, last, QRectF(0, 0, label_w, hh + body_h), hh)
            rows.paint_header(p, x, w, QRectF(label_w, 0, w, hh))
            if last >= first:
                rows.paint_body(p, QRectF(x, first * r.geom.row_h, w, body_h), QPointF(label_w, hh))
            _legend(p, r, QRectF(0, page_h - foot - legend_h, page_w, legend_h))
            where = _page_rows(rows, first, last, len(r.rows))
            footers.append(
                _footer(p, r, n, pages, where, x, w, QRectF(0, page_h - foot, page_w, foot), title)
            )
    finally:
        painted = p.end()
    return PdfResult(Path(path), pages, columns, bands, painted, footers)


def _legend(p: QPainter, r: GanttRenderer, rect: QRectF) -> None:
    """What the colours and marks mean: one line of swatches above the footer."""
    from PySide6.QtGui import QBrush, QPen, QPolygonF

    c = r.colors
    items: list[tuple[str, Any]] = [
        ("Release (planned)", lambda box: p.fillRect(box, QColor(c.bar))),
        ("Task", lambda box: p.fillRect(box, QColor(c.task))),
        ("Actual dates", lambda box: p.fillRect(box.adjusted(0, 4, 0, -4), QColor(c.actual))),
        (
            "Deployment window",
            lambda box: (
                p.setBrush(QColor(c.deploy)),
                p.setPen(QPen(QColor(c.deploy_border), 1)),
                p.drawPolygon(
                    QPolygonF(
                        [
                            QPointF(box.center().x(), box.top()),
                            QPointF(box.center().x() + 6, box.center().y()),
                            QPointF(box.center().x(), box.bottom()),
                            QPointF(box.center().x() - 6, box.center().y()),
                        ]
                    )
                ),
            ),
        ),
        (
            "Maintenance window",
            lambda box: (
                p.fillRect(box, QColor(c.maintenance)),
                p.fillRect(box.adjusted(0, box.height() - 3, 0, 0), QColor(c.maintenance_border)),
            ),
        ),
        (
            "Freeze",
            lambda box: p.fillRect(box, QBrush(QColor(c.freeze), Qt.BrushStyle.BDiagPattern)),
        ),
        ("Business event", lambda box: p.fillRect(box, QColor(c.event))),
        ("Holiday", lambda box: p.fillRect(box, QColor(c.holiday))),
        ("Critical path", lambda box: p.fillRect(box.adjusted(0, 4, 0, -4), QColor(c.critical))),
        (
            "Today",
            lambda box: p.fillRect(
                box.adjusted(box.width() / 2 - 1, 0, -box.width() / 2 + 1, 0), QColor(c.today)
            ),
        ),
    ]
    p.save()
    p.setFont(r.small)
    fm = p.fontMetrics()
    x = rect.x()
    y = rect.y() + 3
    box_h = rect.height() - 6
    p.setPen(QColor(r.colors.text))
    p.drawText(QRectF(x, rect.y(), 60, rect.height()), Qt.AlignmentFlag.AlignVCenter, "Legend:")
    x += fm.horizontalAdvance("Legend:") + 8
    for label, draw in items:
        box = QRectF(x, y, 18, box_h)
        p.save()
        draw(box)
        p.restore()
        x += 22
        p.setPen(QColor(r.colors.text))
        width = fm.horizontalAdvance(label)
        p.drawText(
            QRectF(x, rect.y(), width + 2, rect.height()), Qt.AlignmentFlag.AlignVCenter, label
        )
        x += width + 14
    p.restore()


def _page_rows(r: GanttRenderer, first: int, last: int, total: int) -> str:
    """Which rows a page holds, for its footer: their keys and how many of the chart's."""
    if last < first:
        return "no rows"
    n = last - first + 1
    keys = r.rows[first].key if n == 1 else f"{r.rows[first].key} … {r.rows[last].key}"
    if len(r.rows) == total:  # every row of the chart, in order: number them
        return f"rows {first + 1}–{last + 1} of {total} ({keys})"
    return f"{n} of {total} rows, those with a bar in these dates ({keys})"


def _footer(
    p: QPainter,
    r: GanttRenderer,
    n: int,
    pages: int,
    rows: str,
    x: float,
    w: float,
    rect: QRectF,
    title: str,
) -> str:
    """Print the page's footer; returns its left-hand text (the rows and dates)."""
    day0 = r.geom.date_at(x)
    day1 = r.geom.date_at(x + w - 1)
    text = f"{title} — {rows}, {day0:%d %b %Y} – {day1:%d %b %Y}"
    p.save()
    p.setPen(QColor(r.colors.subtle))
    p.setFont(r.small)
    p.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
    p.drawText(
        rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, f"Page {n} of {pages}"
    )
    p.restore()
    return text


def pdf_page_count(path: str | Path) -> int:
    """Pages in a PDF as QPdfWriter writes it (page objects are uncompressed dictionaries)."""
    import re

    data = Path(path).read_bytes()
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


__all__ = ["PdfResult", "export_calendar_pdf", "export_calendar_png", "pdf_page_count"]


def export_calendar_file(source: Any, path: str | Path, **options: Any) -> Path:
    """File > Export > Calendar Picture and ``relman export calendar``: a .png or a tiled .pdf,
    by the file's extension. ``source`` may also be the main window (its calendar page is used,
    with the zoom, filters and baseline shown there)."""
    from relman_desktop.services.base import ServiceError

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".png", ".pdf"):
        raise ServiceError(
            f"{target.name}: the calendar can be written as .png or .pdf, not {suffix or 'no extension'}"
        )
    if not target.parent.exists():
        raise ServiceError(f"the folder {target.parent} does not exist")
    page = (
        getattr(source, "page_widgets", {}).get("calendar")
        if hasattr(source, "page_widgets")
        else None
    )
    if page is not None:
        source = page
    if suffix == ".png":
        return export_calendar_png(source, target, **options)
    return export_calendar_pdf(source, target, **options).path
