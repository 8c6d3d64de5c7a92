"""The Calendar and Dependencies pages on a big plan (issues 16 and 19): they open on a
placeholder and fill in from the background; the calendar reads the days around today and more
when scrolled there; a dropped bar shows its new place before the background read; a graph too
big to lay out at once opens on one release's neighbourhood."""

from __future__ import annotations

import datetime as dt

import pytest

from relman_desktop.services import releases, windows

UTC = dt.UTC
FAR_KEY = "REL-2026-050"  # planned in June 2026, months before the fixture's today (27 Nov)


@pytest.fixture
def cal_ctx(releases_ctx):
    releases.create_release(
        releases_ctx,
        {
            "key": FAR_KEY,
            "title": "Spring clean-up",
            "type": "minor",
            "planned_start": "2026-06-01",
            "planned_end": "2026-06-05",
        },
    )
    releases.update_release(
        releases_ctx,
        "REL-2026-001",
        {
            "deploy_start": dt.datetime(2026, 12, 19, 22, tzinfo=UTC),
            "deploy_end": dt.datetime(2026, 12, 19, 23, tzinfo=UTC),
        },
    )
    windows.create_window(
        releases_ctx,
        title="Year-end freeze",
        kind="freeze",
        start=dt.datetime(2026, 12, 18, tzinfo=UTC),
        end=dt.datetime(2027, 1, 4, tzinfo=UTC),
    )
    return releases_ctx


def _calendar(ctx, qtbot, worker=None):
    from relman_desktop.views.calendar.calendar_view import CalendarView
    from relman_desktop.views.shell.store import Store

    view = CalendarView(Store(ctx), worker=worker)
    qtbot.addWidget(view)
    view.resize(1300, 600)
    view.show()
    if worker is None:  # with a background worker the caller looks before events are processed
        qtbot.waitExposed(view)
    return view


def test_the_calendar_opens_on_a_placeholder_then_shows_the_bars(cal_ctx, qtbot):
    from relman_desktop.views.shell.worker import Worker

    worker = Worker()
    view = _calendar(cal_ctx, qtbot, worker)
    # the window is not waiting: the page is up with its placeholder, no rows yet
    assert view.placeholder.isVisible() and not view.splitter.isVisible()
    assert view.placeholder.text() == "Reading the calendar…"
    assert view.model.rows == []
    qtbot.waitUntil(lambda: view.loads > 0, timeout=15_000)
    assert not view.placeholder.isVisible() and view.splitter.isVisible()
    assert view.bar_rect("REL-2026-002") is not None
    # the freeze badge arrives with the bars; the critical path and baselines follow
    assert [c.rule for c in view.data.by_key["REL-2026-001"].conflicts] == ["C1"]
    qtbot.waitUntil(lambda: view.extras is not None, timeout=15_000)
    worker.drain()


def test_the_calendar_reads_the_months_around_today_and_more_when_scrolled_back(cal_ctx, qtbot):
    view = _calendar(cal_ctx, qtbot)
    start, end = view.range
    assert start <= dt.date(2026, 11, 27) < end
    assert start.weekday() == 0  # a Monday: the week ticks line up
    # a release months back is not read until the chart goes there
    assert FAR_KEY not in view.data.by_key
    assert view.data.total == 4
    assert view.model.rowCount() == 3
    for _ in range(6):  # scrolling to the left edge reads twelve more weeks each time
        view.scroll_to_x(0)
        if FAR_KEY in view.data.by_key:
            break
    assert FAR_KEY in view.data.by_key
    assert view.range[0] < start and view.range[1] == end
    assert view.bar_rect(FAR_KEY) is not None
    assert view.model.rowCount() == 4


def test_showing_a_release_outside_the_days_read_reads_them(cal_ctx, qtbot):
    view = _calendar(cal_ctx, qtbot)
    assert FAR_KEY not in view.data.by_key
    assert view.select_key(FAR_KEY)  # e.g. "Show on calendar" from the Conflicts page
    assert view.selected_key() == FAR_KEY
    assert view.range[0] <= dt.date(2026, 6, 1)
    assert view.bar_rect(FAR_KEY) is not None
    assert not view.select_key("REL-NOPE")


def test_a_dropped_bar_shows_its_new_place_before_the_background_read(cal_ctx, qtbot):
    from relman_desktop.views.shell.worker import Worker

    worker = Worker()
    view = _calendar(cal_ctx, qtbot, worker)
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: view.loads > 0 and view.extras is not None, timeout=15_000)
    worker.wait(15_000)
    qtbot.wait(50)
    loads = view.loads
    before = view.bar_rect("REL-2026-002").left()
    assert view.move_item("REL-2026-002", 2)
    # drawn two days later at once, though the read the edit asked for has not come back
    assert view.loads == loads
    assert view.data.by_key["REL-2026-002"].planned_start == dt.date(2026, 11, 3)
    assert view.bar_rect("REL-2026-002").left() == pytest.approx(
        before + 2 * view.renderer.geom.ppd
    )
    qtbot.waitUntil(lambda: view.loads > loads, timeout=15_000)
    assert view.data.by_key["REL-2026-002"].planned_start == dt.date(2026, 11, 3)
    assert releases.get_release(cal_ctx, "REL-2026-002").planned_start == dt.date(2026, 11, 3)
    worker.drain()


def test_the_calendar_page_of_the_window_takes_its_badges_from_the_conflict_tally(
    cal_ctx, window, qtbot
):
    window.show()
    window.show_page("calendar")
    view = window.calendar_view
    assert view.conflict_source is window.conflict_status
    qtbot.waitUntil(
        lambda: view.loads > 0 and window.conflict_status.tally is not None, timeout=15_000
    )
    qtbot.waitUntil(lambda: bool(view.data.by_key["REL-2026-001"].conflicts), timeout=15_000)
    assert [c.rule for c in view.data.by_key["REL-2026-001"].conflicts] == ["C1"]
    assert view.data.conflicts == []  # the page itself checked nothing


# --- the Dependencies page --------------------------------------------------------------------


@pytest.fixture
def graph_store(ctx):
    from graph_plan import load_graph_plan

    from relman_desktop.views.shell.store import Store

    load_graph_plan(ctx)
    return Store(ctx)


def _graph(store, qtbot, worker=None):
    from relman_desktop.views.graph.graph_view import GraphView

    view = GraphView(store, worker=worker)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    if worker is None:  # with a background worker the caller looks before events are processed
        qtbot.waitExposed(view)
    return view


def test_the_dependencies_page_opens_on_a_placeholder_then_draws(graph_store, qtbot):
    from relman_desktop.views.shell.worker import Worker

    worker = Worker()
    view = _graph(graph_store, qtbot, worker)
    assert view.placeholder.isVisible() and not view.canvas.isVisible()
    assert view.nodes == {}
    qtbot.waitUntil(lambda: view.drawn > 0, timeout=15_000)
    assert not view.placeholder.isVisible() and view.canvas.isVisible()
    assert set(view.nodes) == {"REL-A", "REL-B", "REL-C", "REL-D"}
    worker.drain()


def test_a_big_graph_opens_on_the_selected_releases_neighbourhood(graph_store, qtbot, monkeypatch):
    from relman_desktop.views.graph import graph_view

    monkeypatch.setattr(graph_view, "FOCUS_ABOVE", 3)  # four linked releases count as "big"
    graph_store.selection.set("REL-D")
    view = _graph(graph_store, qtbot)
    view.up_levels.setValue(1)
    view.down_levels.setValue(1)
    view.reload(force=True)
    assert view.focus_key == "REL-D"
    assert set(view.nodes) == {"REL-B", "REL-D"}  # REL-D and its one prerequisite
    assert "Show all" in view.message.text() and "of 4 linked releases" in view.message.text()
    view.unfocus_button.click()
    assert set(view.nodes) == {"REL-A", "REL-B", "REL-C", "REL-D"}
    view.reload(force=True)  # once asked for everything, an edit does not focus it again
    assert view.focus_key is None and len(view.nodes) == 4


def test_the_dependencies_page_of_the_window_takes_its_badges_from_the_conflict_tally(
    cal_ctx, window, qtbot
):
    releases.add_dependency(cal_ctx, "REL-2026-003", "REL-2026-001")
    window.store.releases_changed.emit()
    window.show()
    window.show_page("dependencies")
    view = window.graph_view
    qtbot.waitUntil(lambda: "REL-2026-001" in view.nodes, timeout=15_000)
    qtbot.waitUntil(lambda: view.nodes["REL-2026-001"].node.conflicts == 1, timeout=15_000)
    assert view.conflict_source is window.conflict_status
    assert view.nodes["REL-2026-001"].node.conflict_rules == ("C1",)  # the freeze
    assert view.nodes["REL-2026-003"].node.conflicts == 0


def test_a_release_selected_elsewhere_outside_the_days_read_is_read_and_selected(cal_ctx, qtbot):
    view = _calendar(cal_ctx, qtbot)
    assert FAR_KEY not in view.data.by_key
    # what the window does when the release is picked in the releases list, say
    assert not view.select_key(FAR_KEY, scroll=False)  # not there yet: asked for
    assert FAR_KEY in view.data.by_key  # its months read (inline here: no background worker)
    assert view.selected_key() == FAR_KEY
    assert view.range[0] <= dt.date(2026, 6, 1)
