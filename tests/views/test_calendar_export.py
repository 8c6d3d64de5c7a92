"""The calendar leaves the app as a PNG and as a tiled multi-page PDF with repeated labels."""

from __future__ import annotations

import datetime as dt

from PySide6.QtGui import QColor, QImage

from relman_desktop.services import releases


def test_png_holds_every_row_and_the_range(releases_ctx, tmp_path, qapp):
    from relman_desktop.views.calendar.calendar_export import LABEL_WIDTH, export_calendar_png
    from relman_desktop.views.calendar.gantt_render import (
        THEMES,
        ZOOMS,
        header_height_for,
        row_height_for,
    )

    out = export_calendar_png(
        releases_ctx,
        tmp_path / "cal.png",
        zoom="day",
        start=dt.date(2026, 11, 1),
        end=dt.date(2026, 11, 30),
    )
    image = QImage(str(out))
    from PySide6.QtGui import QFont

    font = QFont()
    assert image.width() == LABEL_WIDTH + int(30 * ZOOMS["day"])
    # a date range keeps the rows with a bar in it: only REL-2026-002 (1–5 Nov), not the
    # December and January releases
    assert image.height() == header_height_for(font) + 1 * row_height_for(font)
    y = header_height_for(font) + int(row_height_for(font) * 0.25)
    assert (
        image.pixelColor(LABEL_WIDTH + int(4.5 * ZOOMS["day"]), y).name()
        == QColor(THEMES["light"].bar).name()
    )


def test_pdf_tiles_a_wide_range_across_pages(releases_ctx, tmp_path, qapp):
    from relman_desktop.views.calendar.calendar_export import export_calendar_pdf, pdf_page_count

    for n in range(4, 70):
        releases.create_release(
            releases_ctx,
            {
                "key": f"REL-2026-{n:03d}",
                "title": f"Release {n}",
                "type": "patch",
                "planned_start": "2026-11-01",
                "planned_end": "2026-11-09",
            },
        )
    result = export_calendar_pdf(
        releases_ctx,
        tmp_path / "cal.pdf",
        zoom="day",
        start=dt.date(2026, 10, 1),
        end=dt.date(2027, 1, 31),
    )
    assert result.columns > 1 and result.bands > 1  # across time and down the rows
    # pages whose rows hold no bar in their weeks are left out (the 66 releases all sit in
    # 1–9 Nov, so most tiles across time are empty) ...
    assert result.bands <= result.pages < result.columns * result.bands
    data = (tmp_path / "cal.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    assert pdf_page_count(tmp_path / "cal.pdf") == result.pages

    # each stretch of dates lists only the rows with a bar in it: the December and January
    # pages hold REL-2026-001 (1–20 Dec) or REL-2026-003, not the 66 releases of early November
    def first_day(footer: str) -> dt.date:
        return dt.datetime.strptime(footer.rsplit(", ", 1)[1].split(" – ")[0], "%d %b %Y").date()

    later = [f for f in result.footers if first_day(f) > dt.date(2026, 11, 9)]
    assert len(later) >= 4 and all("— 1 of 69 rows" in f for f in later), later
    # ... unless asked for
    every = export_calendar_pdf(
        releases_ctx,
        tmp_path / "all.pdf",
        zoom="day",
        start=dt.date(2026, 10, 1),
        end=dt.date(2027, 1, 31),
        keep_empty_pages=True,
    )
    assert every.pages == every.columns * every.bands == pdf_page_count(every.path)
    assert all("rows " in f and " of 69 (" in f for f in every.footers)  # every row, numbered


def test_pdf_pages_carry_a_legend_of_the_marks(releases_ctx, tmp_path, qapp):
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QFont, QPainter

    from relman_desktop.views.calendar.calendar_export import _chart, _legend

    chart = _chart(
        releases_ctx,
        zoom="week",
        start=None,
        end=None,
        theme="light",
        font=QFont(),
        expand=False,
        baseline=None,
        filters=None,
    )
    image = QImage(900, 24, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    p = QPainter(image)
    _legend(p, chart.renderer, QRectF(0, 0, 900, 24))
    p.end()
    colours = {image.pixelColor(x, 12).name() for x in range(image.width())}
    c = chart.renderer.colors
    for swatch in (c.bar, c.task, c.deploy, c.critical):  # release, task, window, critical path
        assert QColor(swatch).name() in colours


def test_pdf_of_a_short_range_is_one_page(releases_ctx, tmp_path, qapp):
    from relman_desktop.views.calendar.calendar_export import export_calendar_pdf, pdf_page_count

    result = export_calendar_pdf(
        releases_ctx,
        tmp_path / "one.pdf",
        zoom="month",
        start=dt.date(2026, 11, 1),
        end=dt.date(2027, 1, 31),
    )
    assert result.pages == 1 == pdf_page_count(result.path)


def test_export_from_the_view_uses_its_filters_and_expansion(releases_ctx, tmp_path, qtbot):
    from relman_desktop.services import tasks
    from relman_desktop.views.calendar.calendar_export import export_calendar_png
    from relman_desktop.views.calendar.calendar_view import CalendarView
    from relman_desktop.views.shell.store import Store

    tasks.add_task(
        releases_ctx,
        "REL-2026-001",
        {"title": "Build", "phase": "build", "start": "2026-12-01", "end": "2026-12-03"},
    )
    view = CalendarView(Store(releases_ctx))
    qtbot.addWidget(view)
    view.set_filter(manager="Ann Lee")
    view.expand_key("REL-2026-001")
    out = export_calendar_png(view, tmp_path / "v.png", zoom=None)
    from PySide6.QtGui import QFont

    from relman_desktop.views.calendar.gantt_render import header_height_for, row_height_for

    font = QFont()
    assert QImage(str(out)).height() == header_height_for(font) + 3 * row_height_for(
        font
    )  # 2 releases + 1 task
