"""Table columns: what fits a narrow window, the header menu, and the choice kept in settings."""

from __future__ import annotations

import pytest


def _releases_view(store, settings, qtbot, width: int):
    from relman_desktop.views.releases.releases_view import ReleasesView

    view = ReleasesView(store, settings=settings)
    qtbot.addWidget(view)
    view.resize(width, 500)
    view.show()
    qtbot.waitExposed(view)
    return view


def _shown(view) -> list[str]:
    from relman_desktop.views.releases.releases_model import COLUMNS

    return [c.name for i, c in enumerate(COLUMNS) if not view.table.isColumnHidden(i)]


@pytest.fixture
def settings():
    from relman_desktop.views.shell.settings import Settings

    return Settings.in_memory()


def test_a_narrow_window_hides_the_least_important_columns_and_scrolls_no_sideways(
    store, settings, qtbot
):
    view = _releases_view(store, settings, qtbot, 900)
    shown = _shown(view)
    assert shown[:2] == ["key", "title"] and "status" in shown and "deployment_window" in shown
    assert "priority" not in shown  # the first to go
    assert view.table.horizontalScrollBar().maximum() == 0
    # the window grows: the hidden columns come back, and the title takes what is left
    view.resize(2200, 500)
    qtbot.waitUntil(lambda: "priority" in _shown(view))
    from relman_desktop.views.releases.releases_model import COLUMN_INDEX, COLUMNS

    assert _shown(view) == [c.name for c in COLUMNS]
    assert view.table.horizontalScrollBar().maximum() == 0
    header = view.table.horizontalHeader()
    assert (
        header.sectionViewportPosition(len(COLUMNS) - 1) + header.sectionSize(len(COLUMNS) - 1)
        == view.table.viewport().width()
    )
    assert view.table.columnWidth(COLUMN_INDEX["title"]) > view.columns.natural["title"]


def test_the_header_menu_hides_a_column_and_the_choice_survives_a_new_window(
    store, settings, qtbot
):
    view = _releases_view(store, settings, qtbot, 2200)
    menu = view.columns.menu()
    entries = {a.data(): a for a in menu.actions() if a.data()}
    assert not entries["key"].isEnabled()  # the key always shows
    assert entries["manager"].isChecked()
    entries["manager"].trigger()  # unchecks it
    assert "manager" not in _shown(view)
    assert settings.hidden_columns("releases") == ["manager"]

    again = _releases_view(store, settings, qtbot, 700)  # a choice is kept at any width
    assert "manager" not in _shown(again)
    assert "priority" in _shown(again) and not again.columns.fitting
    assert again.table.horizontalScrollBar().maximum() > 0  # the user chose more than fits

    fit = next(a for a in again.columns.menu().actions() if a.text() == "Fit columns to the window")
    assert not fit.isChecked()
    fit.trigger()
    assert again.columns.fitting and settings.hidden_columns("releases") is None
    qtbot.waitUntil(lambda: again.table.horizontalScrollBar().maximum() == 0)


def test_a_column_the_user_widens_keeps_its_width_when_the_table_refits(store, settings, qtbot):
    from relman_desktop.views.releases.releases_model import COLUMN_INDEX

    view = _releases_view(store, settings, qtbot, 2200)
    view.table.horizontalHeader().resizeSection(COLUMN_INDEX["status"], 300)
    view.resize(2100, 500)
    qtbot.waitUntil(lambda: view.table.viewport().width() < 2100)
    assert view.table.columnWidth(COLUMN_INDEX["status"]) == 300


def test_hidden_columns_round_trip_through_an_ini_file(tmp_path):
    from relman_desktop.views.shell.settings import Settings

    first = Settings(tmp_path)
    first.set_hidden_columns("releases", ["priority"])  # one item: INI would read a bare string
    first.set_hidden_columns("changes", [])
    first.sync()
    second = Settings(tmp_path)
    assert second.hidden_columns("releases") == ["priority"]
    assert second.hidden_columns("changes") == []
    assert second.hidden_columns("never") is None


@pytest.mark.parametrize("section", ["Templates", "CIs", "Calendar windows"])
def test_settings_lists_fit_beside_their_form_on_a_laptop_screen(window, store, qtbot, section):
    """Each Settings list keeps its first column (the record's name) and hides its last columns
    until the rest fit beside the form: no sideways scrolling at 1366×768 with the Inspector."""
    import datetime as dt

    from relman_desktop.services import cis, templates, windows

    long = "payments-settlement-gateway-eu-west-primary"  # rows as wide as real ones
    templates.create_template(
        store.ctx,
        "Quarterly platform upgrade with security review",
        "major",
        {
            "tasks": [],
            "approval_stages": [],
            "required_tests": ["unit", "integration", "regression"],
        },
    )
    cis.create_ci(
        store.ctx, {"name": long, "environment": "production", "owner_email": "ann@example.com"}
    )
    windows.create_window(
        store.ctx,
        title="Year-end change freeze for every production system",
        kind="freeze",
        start=dt.datetime(2026, 12, 19),
        end=dt.datetime(2027, 1, 4),
        timezone="Europe/Berlin",
        environment="production",
        cis=[long],
    )
    window.resize(1366, 768)
    window.show()
    assert window.show_page("settings")
    page = window.page_widgets["settings"]
    assert page.show_section(section)
    records = page.sections[section]
    records.reload()
    qtbot.waitExposed(records.table)
    table = records.table
    assert not table.isColumnHidden(0)
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0)
    shown = [c for c in range(table.model().columnCount()) if not table.isColumnHidden(c)]
    assert shown == list(range(len(shown)))  # the last columns go first
    assert len(shown) < table.model().columnCount()  # these rows are too wide for every column


def test_a_settings_list_gives_the_spare_width_to_its_naming_column(window, qtbot):
    """The workflow states list starts with a narrow "#": the state's name takes the width."""
    window.resize(1366, 768)
    window.show()
    assert window.show_page("settings")
    page = window.page_widgets["settings"]
    assert page.show_section("Workflow")
    from relman_desktop.views.settings.settings_section import RecordSection

    states = next(s for s in page.findChildren(RecordSection) if s.noun == "state")
    states.reload()
    qtbot.waitExposed(states.table)
    table = states.table
    qtbot.waitUntil(lambda: table.columnWidth(1) > 2 * table.columnWidth(0))
    assert table.columnWidth(0) < 80  # "#" stays as narrow as its numbers
