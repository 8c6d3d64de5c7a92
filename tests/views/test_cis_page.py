"""The CIs page: the parent → child tree, and the impact of the selected CI (releases and
changes touching it, its parents or its children), with the way to Settings to edit it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt

from relman_desktop.services import changes, cis
from relman_desktop.views.cis.cis_page import NAME_ROLE, CIsPage, CITreeModel

KEY = "REL-2026-001"


@pytest.fixture
def ci_ctx(store):
    ctx = store.ctx
    cis.create_ci(
        ctx,
        {
            "name": "pay-service",
            "ci_class": "service",
            "environment": "production",
            "criticality": "critical",
            "requires_maintenance_window": True,
            "owner_email": "ann@example.com",
        },
    )
    cis.create_ci(ctx, {"name": "shared-lb", "ci_class": "network", "environment": "production"})
    cis.create_ci(
        ctx,
        {
            "name": "pay-db",
            "ci_class": "database",
            "environment": "production",
            "parents": ["pay-service"],
        },
    )
    cis.create_ci(
        ctx,
        {
            "name": "pay-app",
            "ci_class": "server",
            "environment": "production",
            "parents": ["pay-service", "shared-lb"],
        },
    )
    cis.create_ci(ctx, {"name": "idp", "ci_class": "application", "environment": "staging"})
    changes.create_change(
        ctx,
        {
            "key": "CHG-001",
            "title": "Index payments table",
            "type": "normal",
            "category": "infrastructure",
            "approval": "approved",
            "cis": ["pay-db"],
        },
    )
    changes.create_change(
        ctx,
        {
            "key": "CHG-002",
            "title": "Login page copy",
            "type": "standard",
            "category": "fix",
            "approval": "pending",
            "cis": ["idp"],
        },
    )
    changes.bundle_change(ctx, "CHG-001", KEY)
    return ctx


@pytest.fixture
def page(store, ci_ctx, qtbot):
    w = CIsPage(store)
    qtbot.addWidget(w)
    w.resize(1300, 760)
    w.show()
    qtbot.waitExposed(w)
    return w


def tree_names(page: CIsPage, parent: QModelIndex | None = None) -> list[str]:
    parent = parent or QModelIndex()
    return [
        page.proxy.index(i, 0, parent).data(NAME_ROLE) for i in range(page.proxy.rowCount(parent))
    ]


def child_of(page: CIsPage, name: str) -> QModelIndex:
    return next(
        page.proxy.index(i, 0)
        for i in range(page.proxy.rowCount())
        if page.proxy.index(i, 0).data(NAME_ROLE) == name
    )


def test_models_pass_qtmodeltester(page, qtmodeltester):
    qtmodeltester.check(page.model)
    qtmodeltester.check(page.proxy)
    qtmodeltester.check(page.release_model)
    qtmodeltester.check(page.change_model)
    qtmodeltester.check(CITreeModel())


def test_tree_shows_parents_above_children(page):
    assert tree_names(page) == ["idp", "pay-service", "shared-lb"]
    assert tree_names(page, child_of(page, "pay-service")) == ["pay-app", "pay-db"]
    assert tree_names(page, child_of(page, "shared-lb")) == ["pay-app"]  # two parents: under each
    top = child_of(page, "pay-service")
    row = [top.siblingAtColumn(c).data() for c in range(page.model.columnCount())]
    assert row == ["pay-service", "Service", "production", "Critical", "Required", "Ann Lee"]


def test_search_keeps_the_parents_of_a_match(page):
    page.search.setText("pay-db")
    assert tree_names(page) == ["pay-service"]
    assert tree_names(page, child_of(page, "pay-service")) == ["pay-db"]
    page.search.clear()
    page.environment_filter.setCurrentIndex(page.environment_filter.findData("staging"))
    assert tree_names(page) == ["idp"]


def test_impact_lists_a_release_touching_a_child_ci(page):
    assert page.select("pay-service")
    assert page.heading.text() == "pay-service"
    assert page.impact_release_keys() == [KEY]
    m = page.release_model
    assert [m.index(0, c).data() for c in range(m.columnCount())] == [
        KEY,
        "Planning",
        "Payments checkout redesign",
        "pay-db (its child)",
        "CHG-001",
    ]
    assert page.impact_change_keys() == ["CHG-001"]
    assert page.facts["children"].text() == "pay-app, pay-db"
    assert "1 release (1 not finished) and 1 change touch pay-service" in page.summary.text()


def test_impact_through_a_parent_and_of_an_untouched_ci(page):
    page.select("pay-db")
    assert page.impact_release_keys() == [KEY]
    assert page.release_model.index(0, 3).data() == "pay-db"
    page.select("shared-lb")
    assert page.impact_release_keys() == [] and page.impact_change_keys() == []
    page.select("idp")
    assert page.impact_release_keys() == []  # its change is in no release
    assert page.change_model.index(0, 2).data() == "in no release"


def test_impact_follows_a_bundling_elsewhere(page, store):
    page.select("idp")
    changes.update_change(store.ctx, "CHG-002", {"approval": "approved"})
    changes.bundle_change(store.ctx, "CHG-002", "REL-2026-002")
    store.changes_changed.emit("REL-2026-002")
    assert page.current == "idp"
    assert page.impact_release_keys() == ["REL-2026-002"]


def test_edit_in_settings_opens_the_ci_there(window, ci_ctx, qtbot):
    window.show()
    window.show_page("cis")
    page = window.page_widgets["cis"]
    qtbot.waitUntil(lambda: page.loads > 0, timeout=10_000)  # read in the background
    assert isinstance(page, CIsPage)
    assert page.select("pay-db")
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    assert window.current_page() == "settings"
    settings = window.page_widgets["settings"]
    assert settings.tabs.currentWidget() is settings.cis
    assert settings.cis.current.name == "pay-db"


def test_double_click_on_an_impact_release_opens_it(window, ci_ctx, qtbot):
    window.show()
    window.show_page("cis")
    page = window.page_widgets["cis"]
    qtbot.waitUntil(lambda: page.loads > 0, timeout=10_000)  # read in the background
    page.select("pay-service")
    index = page.release_model.index(0, 0)
    rect = page.release_table.visualRect(index)
    qtbot.mouseClick(page.release_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.release_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_page() == "releases"
    assert window.editor.key == KEY


def test_the_page_opens_on_a_placeholder_and_the_cis_arrive_from_the_worker(store, ci_ctx, qtbot):
    """Issue 16: the first open shows the page at once and reads in the background; a CI chosen
    before the tree arrived is selected (with its impact) when it does."""
    from relman_desktop.views.shell.worker import Worker

    worker = Worker()
    page = CIsPage(store, worker=worker)
    qtbot.addWidget(page)
    page.show()  # the read is on a pool thread: its answer waits for the event loop
    assert page.placeholder.isVisibleTo(page) and not page.tree.isVisibleTo(page)
    assert tree_names(page) == [] and page.count_label.text() == "Reading…"
    assert page.heading.text() == "No CI selected"  # not "none in this plan" while reading
    assert page.select("pay-service")  # asked for before the tree is in
    qtbot.waitUntil(lambda: page.loads == 1, timeout=10_000)
    assert not page.placeholder.isVisibleTo(page) and page.tree.isVisibleTo(page)
    assert "pay-service" in tree_names(page)
    assert page.current == "pay-service" and page.heading.text() == "pay-service"
    # a CI added elsewhere is announced: read again in the background, keeping the choice
    cis.create_ci(store.ctx, {"name": "new-cache", "ci_class": "database"})
    store.cis_changed.emit()
    qtbot.waitUntil(lambda: page.loads == 2, timeout=10_000)
    assert not page.placeholder.isVisibleTo(page)  # only the first read shows it
    assert "new-cache" in tree_names(page)
    assert page.current == "pay-service"
    worker.drain()
