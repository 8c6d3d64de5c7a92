"""The KPIs page: a chart per KPI with the values of compute_kpis, filters recompute off the GUI
thread, charts leave the app as PNG (file or clipboard), data-quality gaps are listed."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication, QImage

from relman_desktop.services import kpis
from relman_desktop.views.kpis.kpi_dashboard import KPI_SPECS, KpiDashboard, fmt_rate, tier_bands
from relman_desktop.views.shell.store import Store
from relman_desktop.views.shell.worker import Worker


@pytest.fixture
def demo_ctx(ctx):
    from relman_desktop.services.demo import generate_demo

    generate_demo(ctx)
    return ctx


@pytest.fixture
def worker(qtbot):
    w = Worker()
    yield w
    assert w.drain(10_000)


@pytest.fixture
def page(demo_ctx, worker, qtbot):
    p = KpiDashboard(Store(demo_ctx), worker=worker)
    qtbot.addWidget(p)
    p.resize(1200, 900)
    with qtbot.waitSignal(p.updated, timeout=20_000):
        p.show()  # the first show computes, off the GUI thread
    return p


def test_a_chart_per_kpi_with_the_values_of_compute_kpis(page, demo_ctx):
    expected = kpis.compute_kpis(demo_ctx)
    assert list(page.charts) == [spec.name for spec in KPI_SPECS] and len(page.charts) == 7
    periods = [row.period for row in expected.series]
    for spec in KPI_SPECS:
        chart = page.charts[spec.name]
        assert chart.periods == periods
        assert chart.values == [getattr(row, spec.series_key) for row in expected.series]
        solid = next(line for line in chart.canvas.plot.lines if line.markers == "filled")
        assert any(y is not None for y in solid.ys), f"{spec.title} has no trend line"
    assert page.charts["release_success_rate"].value_label.text() == fmt_rate(
        expected.release_success_rate
    )
    tier = expected.tiers.change_failure_rate
    assert f"DORA 2023: {tier}" in page.charts["change_failure_rate"].tier_label.text()
    assert "No DORA tier" in page.charts["on_time_delivery"].tier_label.text()


def test_changing_the_period_recomputes(page, demo_ctx, qtbot):
    with qtbot.waitSignal(page.updated, timeout=20_000):
        page.period.setCurrentIndex(page.period.findData("week"))
    expected = kpis.compute_kpis(demo_ctx, by="week")
    chart = page.charts["deployment_frequency"]
    assert chart.periods[0].count("-W") == 1
    assert chart.periods == [row.period for row in expected.series]
    assert chart.values == [row.deployments for row in expected.series]
    assert page.filters()["by"] == "week"
    # weeks are many: at most 8 labels, every n-th period from the first
    assert len(chart.periods) > 8
    step = -(-len(chart.periods) // 8)
    assert chart.canvas.ticks == [p.rstrip("*") for p in chart.canvas.plot.labels][::step] or (
        chart.canvas.ticks == chart.canvas.plot.labels[::step]
    )
    assert len(chart.canvas.ticks) <= 8


def test_the_application_and_report_year_filters(page, demo_ctx, qtbot):
    app = page.application.itemData(1)
    assert app, "the application list is filled from the plan"
    with qtbot.waitSignal(page.updated, timeout=20_000):
        page.set_filters(application=app, report_year=2019)
    expected = kpis.compute_kpis(demo_ctx, application=app, report_year=2019)
    assert page.report.application == app
    assert page.charts["lead_time"].values == [r.lead_time_hours_median for r in expected.series]
    assert "DORA 2019" in page.charts["mttr"].tier_label.text()


def test_tier_bands_follow_the_dora_reference():
    spec = next(s for s in KPI_SPECS if s.name == "change_failure_rate")
    assert tier_bands(spec, 2023, "month") == [
        (0.0, 0.05, "elite"),
        (0.05, 0.10, "high"),
        (0.10, 0.15, "medium"),
        (0.15, 1.0, "low"),
    ]
    mttr = next(s for s in KPI_SPECS if s.name == "mttr")
    # 2019: high and medium are both "less than one day": the band belongs to the better tier.
    assert [b[2] for b in tier_bands(mttr, 2019, "month")] == [
        "elite",
        "high",
        "low",
    ]
    assert (
        tier_bands(next(s for s in KPI_SPECS if s.name == "on_time_delivery"), 2023, "month") == []
    )


def test_the_charts_draw_tier_bands_the_mttr_mean_and_nice_y_ticks(page, qapp):
    from relman_desktop.views.kpis.line_chart import y_ticks
    from relman_desktop.views.shell.theme import apply_theme

    cfr = page.charts["change_failure_rate"]
    expected = tier_bands(cfr.spec, 2023, "month")
    bands = cfr.canvas.plot.bands
    assert [(b.lo, b.label) for b in bands] == [(lo * 100, tier) for lo, _hi, tier in expected]
    assert not any(b.hatched for b in bands)
    assert page.charts["on_time_delivery"].canvas.plot.bands == []
    mttr = page.charts["mttr"].canvas.plot
    assert [line.style for line in mttr.lines] == ["dotted", "solid", "none", "dashed"]
    assert mttr.unit in ("hours", "days") and cfr.canvas.plot.unit == "%"
    try:
        apply_theme(qapp, "high-contrast")
        hatched = [b.label for b in cfr.canvas.plot.bands if b.hatched]
        assert hatched == ["low"]
    finally:
        apply_theme(qapp, "light")
    assert [s for _v, s in y_ticks(35, 8)] == ["0", "5", "10", "15", "20", "25", "30", "35"]
    assert [s for _v, s in y_ticks(2.6, 6)] == ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5"]
    assert [s for _v, s in y_ticks(72, 4)] == ["0", "20", "40", "60"]


def test_a_range_without_data_says_so(page, qtbot):
    import datetime as dt

    with qtbot.waitSignal(page.updated, timeout=20_000):
        page.set_filters(start=dt.date(2001, 1, 1), end=dt.date(2001, 2, 1))
    chart = page.charts["lead_time"]  # no change deployed then: no lead time to draw
    assert chart.periods and chart.values == [None] * len(chart.periods)
    assert chart.canvas.ticks == [] and chart.canvas.plot.empty == "No data in this range"
    assert not chart.canvas.grab().toImage().isNull()
    # no deployments is a count of zero, drawn as such
    frequency = page.charts["deployment_frequency"]
    assert frequency.values == [0] * len(frequency.periods)
    # ... and the To date (1 Feb) cuts February: ticked "*" and explained
    assert frequency.canvas.ticks == ["2001-01", "2001-02*"]
    assert frequency.canvas.title_text == "* partial: 2001-02 (to 1 Feb)"


def test_a_chart_saves_as_png_and_copies_to_the_clipboard(page, tmp_path):
    target = page.save_chart("change_failure_rate", tmp_path / "cfr.png")
    assert target is not None and target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = QImage(str(target))
    assert image.width() > 300 and image.height() > 150
    copied = page.copy_chart("lead_time")
    assert not copied.isNull()
    # the PNG is drawn at the asked resolution, not blown up from the screen
    small = QImage.fromData(page.charts["lead_time"].png_bytes(96))
    big = QImage.fromData(page.charts["lead_time"].png_bytes(192))
    assert big.width() == 2 * small.width() and big.height() == 2 * small.height()
    assert QGuiApplication.clipboard().image().size() == copied.size()


def test_saving_into_a_missing_folder_says_so(page, tmp_path):
    assert page.save_chart("mttr", tmp_path / "nowhere" / "mttr.png") is None
    assert "does not exist" in page.status.text()
    assert not (tmp_path / "nowhere").exists()


def test_data_quality_gaps_are_listed(demo_ctx, worker, qtbot):
    from sqlalchemy import select

    from relman_desktop.models.entities import Deployment

    with demo_ctx.plan.write() as s:
        dep = (
            s.execute(select(Deployment).where(Deployment.failure_detected_at.is_not(None)))
            .scalars()
            .first()
        )
        dep.restored_at = None
    p = KpiDashboard(Store(demo_ctx), worker=worker)
    qtbot.addWidget(p)
    with qtbot.waitSignal(p.updated, timeout=20_000):
        p.show()
    texts = [p.quality.item(i).text() for i in range(p.quality.count())]
    assert any("no restored time" in t and "MTTR" in t for t in texts), texts
    assert "Data quality (1 record" in p.quality_title.text()


def test_an_edit_in_the_store_recomputes_while_visible(page, qtbot):
    with qtbot.waitSignal(page.updated, timeout=20_000):
        page.store.evidence_changed.emit("REL-X")


def test_charts_follow_the_theme(page, qapp):
    from relman_desktop.views.shell.theme import THEME_COLORS, apply_theme

    def corner(name: str) -> str:  # the chart's background, as painted
        return page.charts[name].canvas.grab().toImage().pixelColor(2, 2).name()

    try:
        apply_theme(qapp, "dark")
        assert corner("mttr") == THEME_COLORS["dark"].base
        assert page.charts["mttr"].canvas.plot.line == THEME_COLORS["dark"].link
    finally:
        apply_theme(qapp, "light")
    assert corner("mttr") == THEME_COLORS["light"].base


def test_the_running_period_is_drawn_hollow_ticked_and_explained(demo_ctx, worker, qtbot):
    """This month, a few days in, has few deployments: its point is hollow, reached by a
    dotted line, its tick says '*' and the chart says why — not a fall the team did not have."""
    import datetime as dt

    from relman_desktop.views.kpis.kpi_dashboard import partial_note, partial_periods

    today = demo_ctx.today()
    p = KpiDashboard(Store(demo_ctx), worker=worker)
    qtbot.addWidget(p)
    p.resize(1200, 900)
    with qtbot.waitSignal(p.updated, timeout=20_000):
        p.show()
    chart = p.charts["deployment_frequency"]
    labels = chart.canvas.ticks
    running = [row.period for row in p.report.series if row.start <= today <= row.end]
    assert running and labels[-1] == running[0] + "*", labels
    assert not any(label.endswith("*") for label in labels[:-1]), labels
    assert chart.canvas.title_text == (
        f"* partial: {running[0]} (running, to {today.day} {today:%b})"
    )
    # the whole periods are one solid line with filled markers; the running one is left out of
    # it, drawn as a hollow marker reached by the dotted line through every period
    dotted, solid, hollow = chart.canvas.plot.lines[:3]
    assert solid.markers == "filled" and solid.ys[-1] is None and solid.ys[-2] is not None
    assert hollow.markers == "hollow" and hollow.ys[:-1] == [None] * (len(hollow.ys) - 1)
    assert hollow.ys[-1] == chart.values[-1]
    assert dotted.style == "dotted" and dotted.ys[-2:] == [solid.ys[-2], hollow.ys[-1]]
    # a From date inside a period cuts it too; "earliest" (no From) does not
    first = p.report.series[0]
    cut = partial_periods(p.report, today, start_given=True, end_given=False)
    kept = partial_periods(p.report, today, start_given=False, end_given=False)
    assert cut[0] is (first.start < p.report.range.start) and kept[0] is (first.start > today)
    assert "(running, to" in partial_note(p.report, kept, today)
    assert partial_note(p.report, [False] * len(kept), dt.date(2000, 1, 1)) == ""
