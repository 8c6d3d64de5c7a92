"""Issue 16, "first minutes": the window fits the screen and remembers it per screen, the last
plan reopens, an empty plan says what to do, keys sort naturally, status colours, the calendar
opens on today's releases, and a release opens from a Gantt bar or a graph node."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt

from relman_desktop.services import changes, releases
from relman_desktop.services.keys import natural_key, natural_text, next_key
from relman_desktop.views.releases.releases_model import COLUMN_INDEX, STATUS_COLOURS
from relman_desktop.views.shell.main_window import MainWindow
from relman_desktop.views.shell.settings import Settings
from relman_desktop.views.shell.store import Store

# --- the window and the screen ------------------------------------------------------------------


def test_the_window_fits_a_small_screen_with_its_status_bar_on_it(qtbot):
    win = MainWindow(Store(), Settings.in_memory())
    qtbot.addWidget(win)
    small = QRect(0, 0, 1024, 560)  # a fake screen smaller than the 1280×800 default
    win._restore_geometry("fake 1024x600", small)
    win.show()
    qtbot.waitExposed(win)
    win.fit_to_screen(small)  # again once shown, with the frame the platform draws around it
    assert win.width() <= 1024 and win.height() <= 560
    assert small.contains(win.frameGeometry())
    bar = win.statusBar()
    assert bar.isVisible()
    bottom = bar.mapTo(win, QPoint(0, bar.height())).y()
    assert bottom <= win.height()  # the status bar is inside the window, on the screen


def test_geometry_is_remembered_per_screen(qtbot):
    settings = Settings.in_memory()
    laptop, monitor = QRect(0, 0, 1366, 740), QRect(0, 0, 1920, 1050)
    win = MainWindow(Store(), settings)
    qtbot.addWidget(win)
    win._restore_geometry("eDP-1 1366x768", laptop)
    # (sizes within the offscreen test screen, which restoreGeometry itself clamps to)
    win.resize(640, 480)
    settings.set_geometry_for("eDP-1 1366x768", win.saveGeometry())
    win.resize(760, 700)
    settings.set_geometry_for("HDMI-1 1920x1080", win.saveGeometry())

    again = MainWindow(Store(), settings)
    qtbot.addWidget(again)
    again._restore_geometry("eDP-1 1366x768", laptop)
    assert again.size() == QSize(640, 480)
    again._restore_geometry("HDMI-1 1920x1080", monitor)
    assert again.size() == QSize(760, 700)
    # a screen never seen: the default size, cut down to that screen
    again._restore_geometry("VGA-1 800x600", QRect(0, 0, 800, 570))
    assert again.width() <= 800 and again.height() <= 570
    assert MainWindow.screen_key("eDP-1", QSize(1366, 768)) == "eDP-1 1366x768"


# --- the last plan ------------------------------------------------------------------------------


def test_the_demo_plan_reopens_on_the_next_start(qtbot):
    settings = Settings.in_memory()
    first = MainWindow(Store(), settings)
    qtbot.addWidget(first)
    first.start(None)
    assert first.central.currentWidget() is first.welcome
    first.welcome.demo_button.click()
    demo_path = str(first.store.plan_path)
    assert demo_path.endswith("demo.relman")
    demo_count = first.releases_view.model.rowCount()
    assert demo_count > 0
    first.store.close_plan()

    second = MainWindow(Store(), settings)
    qtbot.addWidget(second)
    second.start(None)
    assert second.central.currentWidget() is second.workspace
    assert str(second.store.plan_path) == demo_path
    assert second.releases_view.model.rowCount() == demo_count
    second.store.close_plan()


def test_a_missing_last_plan_falls_back_to_the_welcome_page_with_one_line(qtbot, tmp_path):
    settings = Settings.in_memory()
    gone = tmp_path / "moved away.relman"
    settings.last_plan = gone
    settings.add_recent_plan(gone)
    win = MainWindow(Store(), settings)
    qtbot.addWidget(win)
    win.start(None)
    assert win.central.currentWidget() is win.welcome
    notice = win.welcome.notice
    assert notice.isVisibleTo(win.welcome)
    assert str(gone) in notice.text() and "\n" not in notice.text()
    assert settings.last_plan is None and str(gone) not in settings.recent_plans


# --- an empty plan, automatic change keys ------------------------------------------------------


def test_an_empty_plan_shows_a_hint_and_a_new_release_button(qtbot, tmp_path):
    win = MainWindow(Store(), Settings.in_memory())
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    win.open_plan(tmp_path / "empty.relman", create=True)
    view = win.releases_view
    assert view.empty_hint.isVisible() and not view.table.isVisible()
    view.empty_new_button.click()
    key = win.editor.key
    assert key and key.startswith("REL-") and key.endswith("-001")
    win.releases_page.show_list()
    assert view.table.isVisible() and not view.empty_hint.isVisible()
    win.store.undo_stack.undo()
    assert view.empty_hint.isVisible()
    win.store.close_plan()


def test_changes_get_automatic_keys_that_can_be_overridden(people_ctx):
    ctx = people_ctx
    first = changes.create_change(
        ctx, {"title": "Add SSO", "type": "normal", "category": "feature"}
    )
    assert first == "CHG-001"
    changes.create_change(
        ctx, {"key": "CHG-041", "title": "Typed", "type": "normal", "category": "fix"}
    )
    assert changes.next_change_key(ctx) == "CHG-042"
    third = changes.create_change(
        ctx, {"key": "  ", "title": "Blank key", "type": "normal", "category": "fix"}
    )
    assert third == "CHG-042"
    assert [c.key for c in changes.list_changes(ctx)] == ["CHG-001", "CHG-041", "CHG-042"]


def test_the_changes_page_shows_the_next_key_and_uses_it(window, qtbot):
    window.show_page("changes")
    page = window.page_widgets["changes"]
    page.new()
    key_edit = page.form.editors["key"]
    assert key_edit.text() == ""
    assert key_edit.placeholderText().startswith("CHG-001")
    page.form.editors["title"].setText("Rotate the signing key")
    assert page.save()
    assert [c.key for c in window.store.call(changes.list_changes)] == ["CHG-001"]


# --- natural keys, status colours, the calendar's first view -----------------------------------


def test_keys_sort_naturally_in_the_service_and_the_list(window, store):
    for key in ("REL-2026-5589", "REL-2026-559", "REL-2026-10"):
        assert store.create_release({"key": key, "title": key, "type": "minor"})
    listed = [r.key for r in releases.list_releases(store.ctx)]
    assert (
        listed.index("REL-2026-10") < listed.index("REL-2026-559") < listed.index("REL-2026-5589")
    )
    view = window.releases_view
    view.table.sortByColumn(COLUMN_INDEX["key"], Qt.SortOrder.AscendingOrder)
    shown = [view.proxy.index(i, 0).data() for i in range(view.proxy.rowCount())]
    assert shown == [
        "REL-2026-001",
        "REL-2026-002",
        "REL-2026-003",
        "REL-2026-10",
        "REL-2026-559",
        "REL-2026-5589",
    ]
    assert natural_key("REL-2026-559") < natural_key("REL-2026-5589")
    assert natural_text("CHG-9") < natural_text("CHG-10")
    assert next_key("CHG-", ["CHG-007", "X-9", "CHG-abc"]) == "CHG-008"


def test_the_status_column_shows_a_colour_for_the_state(window):
    view = window.releases_view
    index = view.proxy.index(0, COLUMN_INDEX["status"])
    colour = index.data(Qt.ItemDataRole.DecorationRole)
    assert colour is not None and colour.name() == STATUS_COLOURS["planning"]
    assert index.data() == "Planning"


def test_the_calendar_opens_on_the_releases_active_today(qtbot, tmp_path):
    import datetime as dt

    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services.base import Ctx

    path = tmp_path / "today.relman"
    plan = open_plan(path, create=True)
    ctx = Ctx(plan)
    today = dt.date.today()
    for i in range(60):  # 60 long-finished releases sort before the one under way today
        start = today - dt.timedelta(days=400 - i)
        releases.create_release(
            ctx,
            {
                "key": f"REL-2000-{i:03d}",
                "title": f"old {i}",
                "type": "minor",
                "planned_start": start,
                "planned_end": start + dt.timedelta(days=3),
            },
        )
    releases.create_release(
        ctx,
        {
            "key": "REL-2999-001",
            "title": "under way",
            "type": "minor",
            "planned_start": today - dt.timedelta(days=2),
            "planned_end": today + dt.timedelta(days=5),
        },
    )
    plan.close()
    win = MainWindow(Store(), Settings.in_memory())
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    win.open_plan(path)
    win.show_page("calendar")
    view = win.calendar_view
    qtbot.waitUntil(lambda: view.loads > 0, timeout=15_000)  # read in the background
    row = view.renderer.row_of("REL-2999-001")
    assert view.first_active_row() == row
    # the page opens with today's release in sight, not on REL-2000-000 at the top (a year
    # back, it is not even read until the chart is scrolled there)
    rect = view.tree.visualRect(view.index_of_row(row))
    assert view.tree.viewport().rect().contains(rect)
    old = view.renderer.row_of("REL-2000-000")
    assert old < 0 or not view.tree.viewport().rect().contains(
        view.tree.visualRect(view.index_of_row(old))
    )
    win.store.close_plan()


# --- opening a release from the calendar and the graph ------------------------------------------


def _calendar(window, qtbot):
    window.resize(1366, 768)
    window.show()
    window.show_page("calendar")
    view = window.calendar_view
    qtbot.waitUntil(lambda: view.loads > 0, timeout=15_000)  # read in the background
    return view


def _menu_open(widget, point) -> None:
    """Right-click at ``point`` (viewport coordinates) and choose the menu's "Open release"."""
    from PySide6.QtGui import QContextMenuEvent

    widget.contextMenuEvent(
        QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point, widget.mapToGlobal(point))
    )
    menu = widget.context_menu
    action = menu.actions()[0]
    assert action.text().startswith("Open release ")
    menu.close()
    action.trigger()


def test_a_gantt_bar_opens_its_release_by_double_click_enter_and_menu(window, qtbot):
    view = _calendar(window, qtbot)
    chart = view.chart

    def bar_point(key: str) -> QPoint:
        i = view.renderer.row_of(key)
        bar = view.renderer.geom.bar_rect(i, view.renderer.rows[i])
        view.scroll_to_x(bar.left() - 40)
        return chart.to_view(bar).center().toPoint()

    view.select_row(view.renderer.row_of("REL-2026-002"))
    qtbot.keyClick(chart, Qt.Key.Key_Return)
    assert window.current_page() == "releases"
    assert window.releases_page.currentWidget() is window.editor
    assert window.editor.key == "REL-2026-002"

    window.show_page("calendar")
    qtbot.mouseDClick(chart.viewport(), Qt.MouseButton.LeftButton, pos=bar_point("REL-2026-001"))
    assert window.current_page() == "releases" and window.editor.key == "REL-2026-001"

    window.show_page("calendar")
    _menu_open(chart, bar_point("REL-2026-003"))
    assert window.current_page() == "releases" and window.editor.key == "REL-2026-003"


def test_a_graph_node_opens_its_release_by_double_click_enter_and_menu(window, qtbot, store):
    store.call(releases.add_dependency, "REL-2026-001", "REL-2026-002")
    window.resize(1366, 768)
    window.show()
    window.show_page("dependencies")
    view = window.graph_view
    qtbot.waitUntil(lambda: "REL-2026-002" in view.nodes, timeout=15_000)  # laid out off-thread
    node = view.nodes["REL-2026-002"]
    canvas = view.canvas
    canvas.centerOn(node)
    point = canvas.mapFromScene(node.sceneBoundingRect().center())
    qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert window.current_page() == "releases" and window.editor.key == "REL-2026-002"

    window.show_page("dependencies")
    canvas.scene().clearSelection()
    view.nodes["REL-2026-001"].setSelected(True)
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert window.editor.key == "REL-2026-001"

    window.show_page("dependencies")
    node = view.nodes["REL-2026-002"]
    _menu_open(canvas, canvas.mapFromScene(node.sceneBoundingRect().center()))
    assert window.current_page() == "releases" and window.editor.key == "REL-2026-002"
