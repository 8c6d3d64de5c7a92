"""The calendar as a picture: one PNG of the whole chart, or a PDF that tiles it across pages.

Both draw with the calendar's own renderer (``gantt_render``), so the paper looks like the
screen. The PDF repeats the time scale and the row labels (key and title) on every page, and
numbers its pages with the rows and dates each one holds. Pages run row band by row band,
left to right in time within a band.

``source`` is a Store, a Ctx, or a CalendarView (then its zoom, filters, expanded releases and
baseline are used). Exports print in the light theme unless told otherwise.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter

from relman_desktop.services.base import ServiceError

from . import gantt_data as D
from .gantt_model import Filters
from .gantt_render import (
    ZOOMS,
    GanttRenderer,
    Geometry,
    Row,
    colors_for,
    header_height_for,
    row_height_for,
)

LABEL_WIDTH = 300


@dataclass
class _Chart:
    renderer: GanttRenderer
    x0: float  # content x of the first day shown
    x1: float


def _ctx_of(source: Any) -> Any:
    if hasattr(source, "plan") and hasattr(source, "read"):
        return source
    return source.ctx


def _chart(source: Any, *, zoom: str | float, start: dt.date | None, end: dt.date | None,
           theme: str, font: QFont, expand: bool | list[str], baseline: str | None,
           filters: Filters | None) -> _Chart:
    from .calendar_view import CalendarView

    view = source if isinstance(source, CalendarView) else None
    if view is not None:
        if getattr(view, "_stale", False):  # a page not shown since the plan changed
            view.reload(force=True)
        data = view.data
        rows = list(view.renderer.rows)
        ppd = view.renderer.geom.ppd if zoom is None else None
        base = view.renderer.baseline if baseline is None else data.baselines.get(baseline)
    else:
        ctx = _ctx_of(source)
        data = D.load(ctx)
        wanted = filters or Filters()
        rows = []
        expand_keys = ({r.key for r in data.releases} if expand is True
                       else set(expand) if isinstance(expand, list | tuple | set) else set())
        for i, rel in enumerate(r for r in data.releases if wanted.accepts(r)):
            rows.append(Row(rel, None, i))
            if rel.key in expand_keys:
                for j, task in enumerate(D.load_tasks(ctx, rel.key)):
                    rows.append(Row(rel, task, i, j))
        ppd = None
        base = data.baselines.get(baseline) if baseline else None
    if ppd is None:
        ppd = ZOOMS[zoom] if isinstance(zoom, str) else float(zoom or ZOOMS["week"])
    geom = Geometry(data.first_day, ppd, row_height_for(font))
    renderer = GanttRenderer(data, rows, geom, colors_for(theme), font)
    renderer.baseline = base
    first = start or data.first_day
    last = end or data.last_day
    return _Chart(renderer, geom.x_of_date(first), geom.x_of_date(last + dt.timedelta(days=1)))


MAX_PICTURE_SIDE = 32_767  # wider PNGs are refused by common viewers and by QImage itself
MAX_PDF_PAGES = 2_000


def export_calendar_png(source: Any, path: str | Path, *, zoom: str | float = "week",
                        start: dt.date | None = None, end: dt.date | None = None, theme: str = "light",
                        expand: bool | list[str] = False, baseline: str | None = None,
                        filters: Filters | None = None, max_rows: int = 2000) -> Path:
    """The whole chart (or ``start``–``end``) with its row labels as one PNG; returns the path.
    ``max_rows`` keeps a huge plan from asking for a picture no program can open."""
    from .screenshot import ensure_app

    ensure_app()
    font = QFont()
    chart = _chart(source, zoom=zoom, start=start, end=end, theme=theme, font=font, expand=expand,
                   baseline=baseline, filters=filters)
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
        r.paint_header(p, chart.x0, chart.x1 - chart.x0, QRectF(LABEL_WIDTH, 0, width - LABEL_WIDTH, hh))
        r.paint_body(p, QRectF(chart.x0, 0, chart.x1 - chart.x0, rows * r.geom.row_h), QPointF(LABEL_WIDTH, hh))
    finally:
        p.end()
    target = Path(path)
    if not image.save(str(target), "PNG"):
        raise OSError(f"could not write {target}")
    return target


@dataclass
class PdfResult:
    path: Path
    pages: int
    columns: int  # tiles across time
    bands: int  # tiles down the rows


def export_calendar_pdf(source: Any, path: str | Path, *, zoom: str | float = "week",
                        start: dt.date | None = None, end: dt.date | None = None, theme: str = "light",
                        expand: bool | list[str] = False, baseline: str | None = None,
                        filters: Filters | None = None, page_size: str = "A4",
                        landscape: bool = True, title: str = "Release calendar") -> PdfResult:
    """The chart tiled across pages; each page repeats the time scale and the row labels."""
    from .screenshot import ensure_app

    ensure_app()
    size = {"A4": QPageSize.PageSizeId.A4, "A3": QPageSize.PageSizeId.A3,
            "Letter": QPageSize.PageSizeId.Letter}.get(page_size, QPageSize.PageSizeId.A4)
    orientation = QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
    layout = QPageLayout(QPageSize(size), orientation, QMarginsF(10, 10, 10, 10), QPageLayout.Unit.Millimeter)
    font = QFont()
    font.setPointSizeF(8.5)
    chart = _chart(source, zoom=zoom, start=start, end=end, theme=theme, font=font, expand=expand,
                   baseline=baseline, filters=filters)
    r = chart.renderer
    paint = layout.paintRectPixels(96)  # one device unit = one screen pixel: the chart's own sizes
    page_w, page_h = paint.width(), paint.height()
    hh = header_height_for(font)
    foot = 22
    label_w = min(LABEL_WIDTH, page_w // 3)
    tile_w = page_w - label_w
    rows_per_page = max(1, int((page_h - hh - foot) // r.geom.row_h))
    total_w = chart.x1 - chart.x0
    columns = max(1, math.ceil(total_w / tile_w))
    bands = max(1, math.ceil(len(r.rows) / rows_per_page))
    pages = columns * bands
    if pages > MAX_PDF_PAGES:
        raise ServiceError(
            f"the calendar would take {pages:,} pages (at most {MAX_PDF_PAGES:,}): choose a shorter "
            "--from/--to range or a coarser --zoom"
        )
    writer = QPdfWriter(str(path))
    writer.setTitle(title)
    writer.setCreator("Release Manager Desktop")
    writer.setPageLayout(layout)
    writer.setResolution(96)
    p = QPainter(writer)
    try:
        n = 0
        for band in range(bands):
            first = band * rows_per_page
            last = min(len(r.rows), first + rows_per_page) - 1
            for col in range(columns):
                if n:
                    writer.newPage()
                n += 1
                x = chart.x0 + col * tile_w
                w = min(tile_w, chart.x1 - x)
                body_h = max(0, last - first + 1) * r.geom.row_h
                r.paint_labels(p, first, last, QRectF(0, 0, label_w, hh + body_h), hh)
                r.paint_header(p, x, w, QRectF(label_w, 0, w, hh))
                if last >= first:
                    r.paint_body(p, QRectF(x, first * r.geom.row_h, w, body_h), QPointF(label_w, hh))
                _footer(p, r, n, pages, first, last, x, w, QRectF(0, page_h - foot, page_w, foot), title)
    finally:
        p.end()
    return PdfResult(Path(path), pages, columns, bands)


def _footer(p: QPainter, r: GanttRenderer, n: int, pages: int, first: int, last: int, x: float, w: float,
            rect: QRectF, title: str) -> None:
    day0 = r.geom.date_at(x)
    day1 = r.geom.date_at(x + w - 1)
    p.save()
    p.setPen(QColor(r.colors.subtle))
    p.setFont(r.small)
    rows = f"rows {first + 1}–{last + 1} of {len(r.rows)}" if last >= first else "no rows"
    p.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
               f"{title} — {rows}, {day0:%d %b %Y} – {day1:%d %b %Y}")
    p.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, f"Page {n} of {pages}")
    p.restore()


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
        raise ServiceError(f"{target.name}: the calendar can be written as .png or .pdf, not {suffix or 'no extension'}")
    if not target.parent.exists():
        raise ServiceError(f"the folder {target.parent} does not exist")
    page = getattr(source, "page_widgets", {}).get("calendar") if hasattr(source, "page_widgets") else None
    if page is not None:
        source = page
    if suffix == ".png":
        return export_calendar_png(source, target, **options)
    return export_calendar_pdf(source, target, **options).path
