"""Guard links land on the fix: every guard in services.guards.GUARDS has one target (in
views/releases/guard_targets.py), and clicking its link in the guard panel lands on that exact
field (scrolled into view and focused), button or tool; the panel follows the plan while open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton, QScrollArea, QWidget

from relman_desktop.services import releases
from relman_desktop.services.guards import GUARDS
from relman_desktop.views.releases.guard_targets import GUARD_TARGETS, target_for

KEY = "REL-2026-001"
UTC = dt.UTC

# What each guard says when it is unmet (its first message), as services/guards.py words it.
SAMPLE_MESSAGES = {
    "scope_defined": ["no scope"],
    "changes_approved": ["CHG-1 is not approved (requested)"],
    "phase_tasks_done": ["1 of 2 build tasks is not done: Build image"],
    "tests_passed": ["no regression run recorded"],
    "approvals_complete": ["stage CAB is not approved: waiting for Ann Lee"],
    "rollback_ready": ["no rollback plan", "no rollback duration"],
    "window_clear": ["the deployment window overlaps the freeze “Year end” (hard)"],
    "dependencies_met": ["REL-2026-002 (a prerequisite) is Build, not deployed or closed"],
    "review_recorded": ["no post-release review recorded"],
}


@dataclass
class Unmet:
    guard: str
    messages: list[str]
    param: str | None = None
    soft: bool = True
    jump_to: str = "Overview"


@dataclass
class Check:
    allowed: bool
    unmet: list[Unmet] = field(default_factory=list)


def test_every_guard_has_exactly_one_target_and_a_sample():
    assert set(GUARD_TARGETS) == set(GUARDS)
    assert set(SAMPLE_MESSAGES) == set(GUARDS)
    for name, target in GUARD_TARGETS.items():
        assert (target.tab is None) != (target.page is None), name
        assert target.label, name


@pytest.fixture
def shown(window, qtbot, store):
    releases.update_release(
        store.ctx,
        KEY,
        {
            "deploy_start": dt.datetime(2026, 12, 19, 22, tzinfo=UTC),
            "deploy_end": dt.datetime(2026, 12, 19, 23, tzinfo=UTC),
        },
    )
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.open_release(KEY)
    return window


def click_link(qtbot, window, guard: str) -> None:
    panel = window.editor.lifecycle.panel
    messages = SAMPLE_MESSAGES[guard]
    panel.show_refusal("Build", Check(False, [Unmet(guard, messages)]))
    link = panel.findChild(QPushButton, f"jump_{guard}")
    assert link is not None and link.text() == target_for(guard, messages).label
    qtbot.mouseClick(link, Qt.MouseButton.LeftButton)


def visible_in_its_scroll_areas(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea) and parent.widget() is not None:
            top_left = widget.mapTo(parent.viewport(), widget.rect().topLeft())
            if not parent.viewport().rect().contains(top_left):
                return False
        parent = parent.parentWidget()
    return True


@pytest.mark.parametrize("guard", sorted(GUARDS))
def test_each_guards_link_lands_on_its_fix(shown, qtbot, guard):
    window = shown
    target = target_for(guard, SAMPLE_MESSAGES[guard])
    window.editor.show_tab("History")
    click_link(qtbot, window, guard)
    if target.page:
        assert window.current_page() == target.page
        if target.tool == "free_slots":
            assert window.page_widgets["calendar"].slots_menu is not None
            assert window.page_widgets["calendar"].selected_key() == KEY
        else:
            assert window.page_widgets[target.page].selected_key == KEY
        return
    assert window.current_page() == "releases"
    assert window.editor.current_tab() == target.tab
    widget = window.editor.tab_widgets[target.tab].findChild(QWidget, target.widget)
    assert widget is not None
    if target.click:
        assert window.editor.tab_widgets[target.tab].picker.isVisible()
        return
    qtbot.waitUntil(lambda: visible_in_its_scroll_areas(widget))
    focus = QApplication.focusWidget()
    assert focus is widget or widget.isAncestorOf(focus)


def test_no_scope_lands_on_the_scope_field_scrolled_into_view_on_a_small_window(shown, qtbot):
    shown.resize(1366, 700)
    overview = shown.editor.overview
    overview.verticalScrollBar().setValue(0)
    click_link(qtbot, shown, "scope_defined")
    scope = overview.editors["scope"]
    qtbot.waitUntil(lambda: visible_in_its_scroll_areas(scope))
    assert QApplication.focusWidget() is scope


def test_each_missing_field_of_scope_defined_has_its_own_link():
    assert target_for("scope_defined", ["no release manager"]).widget == "field_manager_email"
    assert target_for("scope_defined", ["no planned end"]).widget == "field_planned_end"
    assert target_for("window_clear", ["no deployment window set"]).widget == "field_deploy_start"
    assert target_for("window_clear", ["overlaps the freeze"]).label == "Next free slots…"


def test_the_banner_follows_the_plan_and_offers_the_move_once_every_condition_holds(
    shown, qtbot, store
):
    editor = shown.editor
    qtbot.mouseClick(editor.lifecycle.buttons["Build"], Qt.MouseButton.LeftButton)
    panel = editor.lifecycle.panel
    assert panel.isVisible() and "Cannot move to Build" in panel.title.text()
    store.update_release(KEY, {"planned_end": None})  # now two things are missing
    labels = " ".join(w.text() for w in panel.findChildren(type(panel.title)))
    assert "no scope" in labels and "no planned end" in labels
    store.update_release(KEY, {"planned_end": "2026-12-20", "scope": "Checkout pages"})
    assert panel.title.text() == "All conditions are met now: Build is allowed."
    move = panel.findChild(QPushButton, "move_now")
    qtbot.mouseClick(move, Qt.MouseButton.LeftButton)
    assert releases.get_release(store.ctx, KEY).status == "Build"
