"""The main window: first start, plan errors, navigation, opening releases, big plans, settings."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QApplication

from relman_desktop.views.shell.main_window import MainWindow
from relman_desktop.views.shell.screens import PAGES, SCREENSHOT_VIEWS
from relman_desktop.views.shell.settings import Settings
from relman_desktop.views.shell.store import Store


def test_first_start_shows_the_welcome_page_inside_the_window(qtbot):
    win = MainWindow(Store(), Settings.in_memory())
    qtbot.addWidget(win)
    win.start(None)
    assert win.central.currentWidget() is win.welcome
    assert win.welcome.new_button.isEnabled() and win.welcome.open_button.isEnabled()
    assert not win.actions_by_name["new_release"].isEnabled()


def test_a_new_empty_plan_from_the_welcome_page(qtbot):
    from relman_desktop.models.planfile import default_plan_path

    win = MainWindow(Store(), Settings.in_memory())
    qtbot.addWidget(win)
    win.start(None)
    with qtbot.waitSignal(win.store.plan_opened):
        win.welcome.new_button.click()
    assert default_plan_path().exists()
    assert win.central.currentWidget() is win.workspace
    assert win.plan_label.text() == str(default_plan_path())


def test_a_plan_error_is_a_message_in_the_window(qtbot, tmp_path):
    bad = tmp_path / "notes.relman"
    bad.write_text("shopping list")
    win = MainWindow(Store(), Settings.in_memory())
    qtbot.addWidget(win)
    win.start(bad)
    assert win.central.currentWidget() is win.error_page
    assert "not a plan file" in win.error_page.message.text()
    assert not win.error_page.back_button.isVisibleTo(win.error_page)


def test_opening_a_plan_shows_the_releases_and_remembers_it(window, store):
    window.start(store.plan_path)  # the same plan, reopened through the window
    assert window.central.currentWidget() is window.workspace
    assert window.releases_view.model.rowCount() == 3
    assert window.settings.recent_plans[0] == str(store.plan_path)
    assert window.windowTitle().startswith("test.relman")


def test_navigator_switches_to_every_view(window):
    names = [window.navigator.item(i).text() for i in range(window.navigator.count())]
    assert names == [
        "Releases",
        "Calendar",
        "Conflicts",
        "Dependencies",
        "Changes",
        "CIs",
        "KPIs",
        "CAB",
        "Settings",
    ]
    for name, page in window.page_widgets.items():
        assert window.show_page(name) and window.current_page() == name
        assert window.pages.currentWidget().widget() is page


def test_double_click_and_enter_open_the_release_editor(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    table = window.releases_view.table
    index = window.releases_view.proxy.index(1, 1)
    rect = table.visualRect(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.releases_page.currentWidget() is window.editor
    assert window.editor.key == "REL-2026-002"
    assert "REL-2026-002" in window.inspector.values["key"].text()
    qtbot.keyClick(window.editor.tabs, Qt.Key.Key_Escape)
    assert window.releases_page.currentWidget() is window.releases_view
    table.setFocus()
    table.selectRow(2)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert window.releases_page.currentWidget() is window.editor
    assert window.editor.key == "REL-2026-003"


def test_search_box_filters_the_list(window):
    window.find_release()
    window.releases_view.set_search_text("security")
    assert window.releases_view.proxy.rowCount() == 1
    assert "1 of 3" in window.releases_view.count_label.text()
    window.releases_view.type_filter.setCurrentIndex(
        window.releases_view.type_filter.findData("major")
    )
    assert window.releases_view.proxy.rowCount() == 0
    window.releases_view.clear_filters()
    assert window.releases_view.proxy.rowCount() == 3


def test_new_release_is_undoable(window, store):
    key = window.new_release()
    assert key and window.releases_view.model.row_of_key(key) >= 0
    assert window.editor.key == key
    store.undo_stack.undo()
    assert window.releases_view.model.row_of_key(key) < 0
    store.undo_stack.redo()
    assert window.releases_view.model.row_of_key(key) >= 0


def test_delete_release_and_undo(window, store):
    from relman_desktop.views.common.confirm import answer_delete

    window.releases_view.select_key("REL-2026-002")
    window.delete_current()  # asks first: Cancel keeps it
    assert answer_delete(window, yes=False)
    assert window.releases_view.model.row_of_key("REL-2026-002") >= 0
    window.delete_current()
    assert answer_delete(window)
    assert window.releases_view.model.row_of_key("REL-2026-002") < 0
    store.undo_stack.undo()
    assert store.release("REL-2026-002").title == "Quarterly security patch"


def test_a_refused_edit_reaches_the_status_bar(window, store):
    store.update_release("REL-2026-001", {"title": ""})
    assert "Title must not be empty" in window.statusBar().currentMessage()


def test_themes_text_size_and_standard_shortcuts(window):
    from PySide6.QtGui import QKeySequence

    app = QApplication.instance()
    window.set_theme("dark")
    assert app.palette().window().color().name() == "#1f2226"
    window.set_theme("high-contrast")
    assert app.palette().window().color().name() == "#000000"
    size = app.font().pointSizeF()
    window.change_text_size(2)
    assert app.font().pointSizeF() == size + 2
    window.change_text_size(0)
    assert app.font().pointSizeF() == size - window.settings.text_size_delta  # back to the default
    window.set_theme("light")
    assert window.actions_by_name["undo"].shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    assert window.actions_by_name["open"].shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    dialog = window.show_shortcuts()
    assert dialog.isVisible() and not dialog.isModal()
    dialog.close()


def test_geometry_is_kept_apart_from_preferences(qtbot, tmp_path):
    settings = Settings(tmp_path / "cfg")
    win = MainWindow(Store(), settings)
    qtbot.addWidget(win)
    win.resize(900, 600)
    settings.theme = "dark"
    win.save_geometry()
    prefs = (tmp_path / "cfg" / "preferences.ini").read_text()
    state = (tmp_path / "cfg" / "window-state.ini").read_text()
    assert "dark" in prefs and "geometry" not in prefs
    assert "geometry" in state and "theme" not in state
    again = Settings(tmp_path / "cfg")
    assert again.theme == "dark" and isinstance(again.window_geometry, QByteArray)


def test_the_window_opens_on_a_plan_of_10000_releases(qtbot, big_plan_file):
    # How fast it opens is measured in benchmarks/bench_gui.py, not asserted here.
    win = MainWindow(Store(), Settings.in_memory())
    qtbot.addWidget(win)
    win.start(big_plan_file)
    win.show()
    qtbot.waitExposed(win)
    # the first page at once, every release once the background read is in
    qtbot.waitUntil(lambda: win.releases_view.complete, timeout=60_000)
    assert win.releases_view.model.rowCount() == 10_000
    win.releases_view.set_search_text("hotfix app0")
    assert win.releases_view.proxy.rowCount() == 250
    win.open_release("REL-09999")
    assert win.editor.overview.editors["key"].text() == "REL-09999"
    win.store.close_plan()


def test_the_composition_root_lists_every_navigator_page_and_its_screenshot():
    assert [p.name for p in PAGES] == [
        "releases",
        "calendar",
        "conflicts",
        "dependencies",
        "changes",
        "cis",
        "kpis",
        "cab",
        "settings",
    ]
    assert {p.name for p in PAGES} <= set(SCREENSHOT_VIEWS)
    assert {
        "release",
        "tasks",
        "approvals",
        "release-changes",
        "history",
        "settings-workflow",
    } <= set(SCREENSHOT_VIEWS)
