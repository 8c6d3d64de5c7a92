"""The calendar: bars where their dates say, drag/keyboard edits that undo, conflict badges,
the tree and the chart in step, filters, the scheduling assistant, the screenshot."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from relman_desktop.services import releases

UTC = dt.UTC


@pytest.fixture
def plan_ctx(releases_ctx):
    """Three releases (fixture) plus: 001 deploys inside a hard year-end freeze, 003 depends on
    001, 001 has three tasks, a weekly maintenance window."""
    from relman_desktop.services import tasks, windows

    ctx = releases_ctx
    releases.update_release(
        ctx,
        "REL-2026-001",
        {
            "deploy_start": dt.datetime(2026, 12, 19, 22, tzinfo=UTC),
            "deploy_end": dt.datetime(2026, 12, 19, 23, tzinfo=UTC),
        },
    )
    windows.create_window(
        ctx,
        title="Year-end freeze",
        kind="freeze",
        start=dt.datetime(2026, 12, 18, tzinfo=UTC),
        end=dt.datetime(2027, 1, 4, tzinfo=UTC),
    )
    windows.create_window(
        ctx,
        title="Sunday maintenance",
        kind="maintenance",
        start=dt.datetime(2026, 11, 1, 20, tzinfo=UTC),
        end=dt.datetime(2026, 11, 2, 2, tzinfo=UTC),
        rrule="FREQ=WEEKLY",
    )
    releases.add_dependency(ctx, "REL-2026-003", "REL-2026-001")
    for title, start, end in (
        ("Build", "2026-12-01", "2026-12-04"),
        ("Test", "2026-12-07", "2026-12-11"),
        ("Deploy", "2026-12-14", "2026-12-18"),
    ):
        tasks.add_task(
            ctx, "REL-2026-001", {"title": title, "phase": "build", "start": start, "end": end}
        )
    return ctx


@pytest.fixture
def view(plan_ctx, qtbot):
    from relman_desktop.views.calendar.calendar_view import CalendarView
    from relman_desktop.views.shell.store import Store

    store = Store(plan_ctx)
    v = CalendarView(store)
    qtbot.addWidget(v)
    v.resize(1400, 600)
    v.show()
    qtbot.waitExposed(v)
    return v


def dates(ctx, key):
    r = releases.get_release(ctx, key)
    return r.planned_start, r.planned_end, r.deploy_start, r.deploy_end


def chart_pixel(view, x, y) -> str:
    image = view.chart.viewport().grab().toImage()
    return image.pixelColor(int(x), int(y)).name()


@pytest.mark.parametrize("zoom", ["day", "week", "month", "quarter"])
def test_a_bar_sits_where_its_dates_say_at_each_zoom(view, zoom):
    from relman_desktop.views.calendar.gantt_render import ZOOMS

    view.set_zoom(zoom)
    view.select_key("REL-2026-002")  # planned 2026-11-01 → 2026-11-05: five days
    ppd = ZOOMS[zoom]
    rect = view.bar_rect("REL-2026-002")
    g = view.renderer.geom
    assert g.ppd == ppd
    assert rect.left() == pytest.approx(g.x_of_date(dt.date(2026, 11, 1)) - view.chart.x_offset())
    assert rect.width() == pytest.approx(max(2.0, 5 * ppd))
    assert (g.date_at(rect.left() + view.chart.x_offset() + 0.01)) == dt.date(2026, 11, 1)
    # And on screen: the bar's colour inside it, not just past its end.
    bar = view.renderer.colors.bar
    inside_x = rect.right() - 2 if rect.width() > 4 else rect.center().x()
    assert chart_pixel(view, inside_x, rect.top() + 2) == QColor(bar).name()
    assert chart_pixel(view, rect.right() + 3, rect.top() + 2) != QColor(bar).name()


def test_dragging_a_bar_moves_the_release_and_undo_restores_it(view, plan_ctx, qtbot):
    view.set_zoom("day")
    view.select_key("REL-2026-002")
    before = dates(plan_ctx, "REL-2026-002")
    rect = view.bar_rect("REL-2026-002")
    start = QPoint(int(rect.center().x()), int(rect.center().y()))
    end = start + QPoint(int(3 * view.renderer.geom.ppd), 0)
    vp = view.chart.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(vp, end)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=end)
    after = dates(plan_ctx, "REL-2026-002")
    assert after[0] == before[0] + dt.timedelta(days=3)
    assert after[1] == before[1] + dt.timedelta(days=3)
    moved = view.bar_rect("REL-2026-002")
    assert moved.left() - rect.left() == pytest.approx(3 * view.renderer.geom.ppd)
    view.store.undo_stack.undo()
    assert dates(plan_ctx, "REL-2026-002") == before
    assert view.bar_rect("REL-2026-002").left() == pytest.approx(rect.left())


def test_resizing_by_dragging_the_end(view, plan_ctx, qtbot):
    view.set_zoom("day")
    view.select_key("REL-2026-002")
    rect = view.bar_rect("REL-2026-002")
    vp = view.chart.viewport()
    start = QPoint(int(rect.right()) - 1, int(rect.center().y()))
    end = start + QPoint(int(2 * view.renderer.geom.ppd), 0)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=end)
    assert dates(plan_ctx, "REL-2026-002")[:2] == (dt.date(2026, 11, 1), dt.date(2026, 11, 7))


def test_while_dragging_the_chart_shows_what_else_moves_and_new_conflicts(view, plan_ctx):
    i = view.renderer.row_of("REL-2026-001")
    view.drag_to(i, "body", 30)  # 001 deploys 18 Jan: 003 (from 10 Jan) has to move too
    preview = view.renderer.preview
    assert preview is not None and preview.release.planned_start == dt.date(2026, 12, 31)
    assert "REL-2026-003" in preview.moved
    assert "REL-2026-003" in view.message.text()
    view.cancel_preview()
    assert dates(plan_ctx, "REL-2026-001")[0] == dt.date(2026, 12, 1)  # nothing was written


def test_arrow_keys_nudge_and_shift_arrows_resize(view, plan_ctx, qtbot):
    view.select_key("REL-2026-002")
    view.chart.setFocus()
    qtbot.keyClick(view.chart, Qt.Key.Key_Right)
    assert dates(plan_ctx, "REL-2026-002")[:2] == (dt.date(2026, 11, 2), dt.date(2026, 11, 6))
    qtbot.keyClick(view.chart, Qt.Key.Key_Left)
    qtbot.keyClick(view.chart, Qt.Key.Key_Left)
    assert dates(plan_ctx, "REL-2026-002")[:2] == (dt.date(2026, 10, 31), dt.date(2026, 11, 4))
    qtbot.keyClick(view.chart, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert dates(plan_ctx, "REL-2026-002")[:2] == (dt.date(2026, 10, 31), dt.date(2026, 11, 5))
    for _ in range(4):
        view.store.undo_stack.undo()
    assert dates(plan_ctx, "REL-2026-002")[:2] == (dt.date(2026, 11, 1), dt.date(2026, 11, 5))


def test_nudging_a_release_moves_its_deployment_window_too(view, plan_ctx):
    view.select_key("REL-2026-001")
    assert view.nudge_selected(1)
    assert dates(plan_ctx, "REL-2026-001")[2] == dt.datetime(2026, 12, 20, 22, tzinfo=UTC)


def test_a_task_bar_moves_with_the_keyboard_and_undoes(view, plan_ctx):
    from relman_desktop.services import tasks

    view.expand_key("REL-2026-001")
    assert view.select_key("REL-2026-001/T2")
    assert view.nudge_selected(2)
    t2 = next(t for t in tasks.list_tasks(plan_ctx, "REL-2026-001") if t.local_id == "T2")
    assert (t2.start, t2.end) == (dt.date(2026, 12, 9), dt.date(2026, 12, 13))
    view.store.undo_stack.undo()
    t2 = next(t for t in tasks.list_tasks(plan_ctx, "REL-2026-001") if t.local_id == "T2")
    assert t2.start == dt.date(2026, 12, 7)


def test_the_deployment_marker_snaps_to_a_maintenance_window(view):
    i = view.renderer.row_of("REL-2026-001")
    old, new = view.candidate(i, "deploy", 1.3)  # Sat 19 Dec 22:00 + 1.3 d → Sunday 20:00
    assert new["deploy_start"] == dt.datetime(2026, 12, 20, 20, tzinfo=UTC)
    assert new["deploy_end"] - new["deploy_start"] == old["deploy_end"] - old["deploy_start"]


def test_a_release_in_a_freeze_has_a_badge_naming_the_rule(view):
    view.set_zoom("week")
    view.select_key("REL-2026-001")
    rel = view.data.by_key["REL-2026-001"]
    assert any(c.rule == "C1" for c in rel.conflicts)
    from PySide6.QtGui import QFontMetricsF

    from relman_desktop.views.calendar.gantt_render import badge_rect

    i = view.renderer.row_of("REL-2026-001")
    g = view.renderer.geom
    right = max(g.planned_rect(i, rel).right(), g.deploy_rect(i, rel).right())
    badge = view.chart.to_view(
        badge_rect(QFontMetricsF(view.renderer.small), rel, right + 5, g.row_top(i), g.row_h)
    )
    tip = view.chart.tooltip_at(badge.center())
    assert "C1" in tip and "Year-end freeze" in tip
    assert (
        chart_pixel(view, badge.left() + 2, badge.center().y())
        == QColor(view.renderer.colors.error).name()
    )
    assert "REL-2026-002" not in {k for c in rel.conflicts for k in c.releases}


def test_tree_and_chart_stay_in_step(view, qtbot, plan_ctx):
    for n in range(4, 40):
        releases.create_release(
            plan_ctx,
            {
                "key": f"REL-2026-{n:03d}",
                "title": f"Release {n}",
                "type": "minor",
                "planned_start": "2026-11-10",
                "planned_end": "2026-11-20",
            },
        )
    view.store.releases_changed.emit()
    view.resize(1200, 400)
    hh, rh = view.header_h, view.model.row_height
    index = view.model.index_of_key("REL-2026-001")
    assert view.tree.visualRect(index).height() == rh
    # Scrolling the tree scrolls the chart, and the other way round.
    view.tree.verticalScrollBar().setValue(5 * rh)
    assert view.chart.y_offset() == 5 * rh
    assert view.chart.verticalScrollBar().value() == 5 * rh
    view.chart.verticalScrollBar().setValue(7 * rh + 3)
    assert view.tree.verticalScrollBar().value() == 7 * rh + 3
    # Expanding in the tree adds the task rows to the chart, at the same height.
    view.tree.verticalScrollBar().setValue(0)
    view.tree.expand(index)
    assert view.renderer.rows[1].key == "REL-2026-001/T1"
    task_index = view.model.index_of_key("REL-2026-001/T3")
    top_in_tree = view.tree.visualRect(task_index).top()
    assert view.bar_rect("REL-2026-001/T3").top() >= hh + top_in_tree
    assert view.chart.row_at(hh + top_in_tree + 1) == view.renderer.row_of("REL-2026-001/T3")
    # The same row the tree shows at a height, the chart shows at that height.
    for y in (2, rh * 4 + 2, rh * 9 + 5):
        tree_item = view.model.item(view.tree.indexAt(QPoint(5, y)))
        assert view.renderer.rows[view.chart.row_at(hh + y)].key == tree_item.key
    # Selection: a click on the chart selects the tree row.
    rect = view.bar_rect("REL-2026-001/T2")
    qtbot.mouseClick(view.chart.viewport(), Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert view.model.item(view.tree.currentIndex()).key == "REL-2026-001/T2"
    view.tree.collapse(index)
    assert all(r.task is None for r in view.renderer.rows)


def test_filters_by_application_status_and_manager(view):
    view.set_filter(application="Billing")
    assert [r.key for r in view.renderer.rows] == ["REL-2026-003"]
    assert view.bar_rect("REL-2026-001") is None
    view.set_filter(manager="Ann Lee")
    assert [r.key for r in view.model.rows] == ["REL-2026-001", "REL-2026-003"]
    view.set_filter(status="Planning", application="Identity")
    assert [r.key for r in view.model.rows] == ["REL-2026-002"]
    view.set_filter()
    assert len(view.model.rows) == 3


def test_zoom_keys_wheel_and_fit_release(view, qtbot):
    ppd = view.renderer.geom.ppd
    view.chart.setFocus()
    qtbot.keyClick(view.chart, Qt.Key.Key_Plus)
    assert view.renderer.geom.ppd == pytest.approx(ppd * 1.25)
    assert view.fit_release("REL-2026-003")
    rect = view.bar_rect("REL-2026-003")
    assert 0 <= rect.left() and rect.right() <= view.chart.viewport().width()
    assert rect.width() > view.chart.viewport().width() / 2


def test_baseline_overlay_draws_ghost_bars(view, plan_ctx):
    from relman_desktop.models.entities import Baseline

    with plan_ctx.plan.write() as s:
        s.add(
            Baseline(
                name="Agreed plan",
                snapshot={
                    "REL-2026-002": {"planned_start": "2026-10-20", "planned_end": "2026-10-24"}
                },
            )
        )
    view.reload()
    view.set_zoom("day")
    view.set_baseline("Agreed plan")
    assert view.renderer.baseline is not None
    g = view.renderer.geom
    i = view.renderer.row_of("REL-2026-002")
    view.scroll_to_x(g.x_of_date(dt.date(2026, 10, 19)))
    x = g.x_of_date(dt.date(2026, 10, 22)) - view.chart.x_offset()
    y = view.header_h + g.row_top(i) - view.chart.y_offset() + g.row_h * 0.4
    base = QColor(view.renderer.colors.base)
    assert chart_pixel(view, x, y) != base.name()  # the ghost is filled where the old dates were


def test_next_free_slots_moves_the_release_and_undo_restores(view, plan_ctx):
    menu = view.show_free_slots("REL-2026-002")
    assert menu is not None and menu.actions()
    slots = view.free_slots("REL-2026-002")
    assert slots
    assert view.move_to_slot("REL-2026-002", slots[0])
    assert dates(plan_ctx, "REL-2026-002")[2] == slots[0].start
    view.store.undo_stack.undo()
    assert dates(plan_ctx, "REL-2026-002")[2] is None
    menu.close()


def test_the_tree_model_passes_the_model_tester(view, qtmodeltester):
    view.expand_key("REL-2026-001")
    qtmodeltester.check(view.model)


def test_screenshot_calendar(plan_ctx, tmp_path):
    from relman_desktop.views.shell.screenshot import render

    out = render(plan_ctx, "calendar", tmp_path / "c.png", size=(1366, 768), theme="high-contrast")
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert image.width() == 1366 and image.height() == 768


def test_save_baseline_overlays_todays_dates_and_undo_removes_it(view):
    from relman_desktop.services import baselines, releases

    assert view.save_baseline("Before the slip") == "Before the slip"
    assert view.renderer.baseline is not None and "REL-2026-001" in view.renderer.baseline
    assert view.baseline_combo.currentData() == "Before the slip"
    before = view.renderer.baseline["REL-2026-001"]["planned_end"]
    releases.update_release(view.store.ctx, "REL-2026-001", {"planned_end": "2027-02-26"})
    assert (
        baselines.list_baselines(view.store.ctx)[0].snapshot["REL-2026-001"]["planned_end"]
        == before
    )
    view.store.undo_stack.undo()
    assert baselines.list_baselines(view.store.ctx) == []
    assert view.save_baseline("Before the slip") and view.save_baseline("Before the slip") is None


def test_free_slots_read_in_the_plans_time_zone(view, plan_ctx):
    from zoneinfo import ZoneInfo

    from relman_desktop.services.plan_zone import set_plan_zone

    set_plan_zone(plan_ctx, "Europe/Berlin")
    view.reload(force=True)
    slots = view.free_slots("REL-2026-002")
    menu = view.show_free_slots("REL-2026-002")
    first = slots[0].start.astimezone(ZoneInfo("Europe/Berlin"))
    text = menu.actions()[0].text()
    assert text.startswith(f"{first:%Y-%m-%d %H:%M}") and first.tzname() in text
    assert "UTC" not in text
    menu.close()


def test_a_closed_release_cannot_be_dragged_resized_or_nudged(plan_ctx, qtbot):
    """Closed (by its state's role, here renamed "Done") is read-only on the calendar too."""
    from relman_desktop.services import workflow
    from relman_desktop.services.lifecycle import restore_status
    from relman_desktop.views.calendar.calendar_view import CalendarView
    from relman_desktop.views.shell.store import Store

    workflow.rename_state(plan_ctx, "Closed", "Done")
    restore_status(plan_ctx, "REL-2026-002", "Done")
    store = Store(plan_ctx)
    view = CalendarView(store)
    qtbot.addWidget(view)
    view.resize(1400, 600)
    view.show()
    qtbot.waitExposed(view)
    view.set_zoom("day")
    view.select_key("REL-2026-002")
    before = dates(plan_ctx, "REL-2026-002")
    line = "REL-2026-002 is Done: reopen it through a workflow transition to edit it"
    rect = view.bar_rect("REL-2026-002")
    vp = view.chart.viewport()
    start = QPoint(int(rect.center().x()), int(rect.center().y()))
    end = start + QPoint(int(3 * view.renderer.geom.ppd), 0)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(vp, end)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=end)
    assert view.message.text() == line
    view.message.setText("")
    view.chart.setFocus()
    qtbot.keyClick(view.chart, Qt.Key.Key_Right)  # nudge
    assert view.message.text() == line
    qtbot.keyClick(view.chart, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # resize
    assert not view.resize_item("REL-2026-002", 2)
    assert dates(plan_ctx, "REL-2026-002") == before
    assert store.undo_stack.count() == 0
    # An open release beside it still moves.
    assert view.move_item("REL-2026-003", 1)


def test_dragging_a_task_bar_moves_the_task_waiting_on_it_and_one_undo_puts_both_back(
    view, plan_ctx
):
    from relman_desktop.services import tasks

    tasks.add_task_dependency(plan_ctx, "REL-2026-001", "T2", "T3", "FS", 0)
    view.reload(force=True)
    view.expand_key("REL-2026-001")
    i = view.renderer.row_of("REL-2026-001/T2")
    assert view.drop(i, "body", 7.0)  # a week later: ends Fri 18 Dec
    by_id = {t.local_id: t for t in tasks.list_tasks(plan_ctx, "REL-2026-001")}
    assert (by_id["T2"].start, by_id["T2"].end) == (dt.date(2026, 12, 14), dt.date(2026, 12, 18))
    assert (by_id["T3"].start, by_id["T3"].end) == (dt.date(2026, 12, 21), dt.date(2026, 12, 25))
    view.store.undo_stack.undo()
    by_id = {t.local_id: t for t in tasks.list_tasks(plan_ctx, "REL-2026-001")}
    assert by_id["T2"].start == dt.date(2026, 12, 7)
    assert (by_id["T3"].start, by_id["T3"].end) == (dt.date(2026, 12, 14), dt.date(2026, 12, 18))
