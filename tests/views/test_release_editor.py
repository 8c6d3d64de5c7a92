"""The release editor: inline validation, saving through undoable commands, lifecycle guards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import Qt

from relman_desktop.services.releases import get_release
from relman_desktop.views.releases.release_editor import LifecycleBar, ReleaseEditor, TabSpec
from relman_desktop.views.shell.screens import RELEASE_TABS


@pytest.fixture
def editor(store, qtbot):
    ed = ReleaseEditor(store, RELEASE_TABS)
    qtbot.addWidget(ed)
    ed.set_release("REL-2026-001")
    ed.resize(1200, 800)
    ed.show()
    qtbot.waitExposed(ed)
    return ed


def type_into(qtbot, line, text: str, *, finish: bool = True) -> None:
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)
    if finish:
        qtbot.keyClick(line, Qt.Key.Key_Return)


def test_editor_has_every_tab_in_order(editor):
    assert [editor.tabs.tabText(i) for i in range(editor.tabs.count())] == [
        "Overview",
        "Changes",
        "Tasks",
        "Approvals",
        "Tests",
        "Deployments",
        "Review",
        "Links",
        "History",
    ]
    assert editor.overview.editors["title"].text() == "Payments checkout redesign"
    assert editor.overview.editors["manager_email"].text() == "ann@example.com"


def test_end_before_start_is_shown_inline_and_nothing_is_saved(editor, qtbot, store):
    overview = editor.overview
    end = overview.editors["planned_end"]
    type_into(qtbot, end, "2026-11-15", finish=False)
    assert "before planned start" in overview.error_text("planned_end")  # while typing
    qtbot.keyClick(end, Qt.Key.Key_Return)
    assert "before planned start" in overview.error_text("planned_end")
    assert get_release(store.ctx, "REL-2026-001").planned_end == dt.date(2026, 12, 20)
    assert store.undo_stack.count() == 0
    type_into(qtbot, end, "2026-12-24")  # put right: the reason goes away and the value lands
    assert overview.error_text("planned_end") == ""
    assert get_release(store.ctx, "REL-2026-001").planned_end == dt.date(2026, 12, 24)


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("title", "", "Title must not be empty"),
        ("key", "REL-2026-002", "already used"),
        ("manager_email", "nobody@example.com", "unknown person"),
        ("rollback_minutes", "soon", "whole number"),
        ("waves", "10% bake 60 min; soon", "wave 2 ('soon'): write it like"),
        ("waves", "150%", "wave 1: 150% is not between 1 and 100"),
    ],
)
def test_refused_values_show_their_reason_and_save_nothing(
    editor, qtbot, store, name, text, reason
):
    before = get_release(store.ctx, "REL-2026-001")
    type_into(qtbot, editor.overview.editors[name], text) if text else (
        editor.overview.editors[name].setFocus(),
        editor.overview.editors[name].selectAll(),
        qtbot.keyClick(editor.overview.editors[name], Qt.Key.Key_Delete),
        qtbot.keyClick(editor.overview.editors[name], Qt.Key.Key_Return),
    )
    assert reason in editor.overview.error_text(name)
    assert get_release(store.ctx, "REL-2026-001") == before
    assert store.undo_stack.count() == 0


def test_waves_are_typed_as_words_and_saved_as_data(editor, qtbot, store):
    text = "10% bake 60 min abort: error rate above 2%; batch of 2 bake 15 min; 100%"
    type_into(qtbot, editor.overview.editors["waves"], text)
    assert get_release(store.ctx, "REL-2026-001").waves == [
        {"percent": 10, "bake_minutes": 60, "abort_criteria": "error rate above 2%"},
        {"batch": 2, "bake_minutes": 15},
        {"percent": 100},
    ]
    editor.set_release("REL-2026-001")
    assert editor.overview.editors["waves"].text() == (
        "10% bake 60 min abort: error rate above 2%; batch of 2 bake 15 min; 100%"
    )


def test_a_valid_edit_lands_and_undo_redo_restore_it(editor, qtbot, store):
    title = editor.overview.editors["title"]
    type_into(qtbot, title, "Checkout v2")
    assert get_release(store.ctx, "REL-2026-001").title == "Checkout v2"
    assert store.undo_stack.count() == 1
    assert "Checkout v2" in editor.heading.text()
    with qtbot.waitSignal(store.release_changed):
        store.undo_stack.undo()
    assert get_release(store.ctx, "REL-2026-001").title == "Payments checkout redesign"
    assert title.text() == "Payments checkout redesign"
    store.undo_stack.redo()
    assert get_release(store.ctx, "REL-2026-001").title == "Checkout v2"
    assert title.text() == "Checkout v2"


def test_choices_tests_and_deployment_window_save_at_once(editor, qtbot, store):
    overview = editor.overview
    risk = overview.editors["risk"]
    risk.setCurrentIndex(risk.findData("critical"))
    risk.activated.emit(risk.currentIndex())
    overview._test_boxes["security"].click()
    type_into(qtbot, overview.editors["deploy_start"], "2026-12-19 22:00")
    type_into(qtbot, overview.editors["deploy_end"], "2026-12-19 23:30")
    detail = get_release(store.ctx, "REL-2026-001")
    assert detail.risk == "critical"
    assert detail.required_tests == ["security"]
    assert detail.deploy_end - detail.deploy_start == dt.timedelta(minutes=90)
    assert overview.editors["deploy_start"].text() == "2026-12-19 22:00"
    assert store.undo_stack.count() == 4


def test_a_key_change_follows_through_undo(editor, qtbot, store):
    type_into(qtbot, editor.overview.editors["key"], "REL-2026-101")
    assert editor.key == "REL-2026-101"
    assert get_release(store.ctx, "REL-2026-101").title == "Payments checkout redesign"
    store.undo_stack.undo()
    assert editor.key == "REL-2026-001"
    assert editor.overview.editors["key"].text() == "REL-2026-001"


def test_the_editor_builds_exactly_the_tabs_it_is_given(store, qtbot):
    """The composition root decides the tabs: an editor given two shows those two, in order,
    and tells each the release it shows."""
    from PySide6.QtWidgets import QLabel

    class KeyLabel(QLabel):
        def set_release(self, key):
            self.setText(key or "")

    ed = ReleaseEditor(
        store, (RELEASE_TABS[0], TabSpec("Risks", lambda _store, _editor: KeyLabel()))
    )
    qtbot.addWidget(ed)
    ed.set_release("REL-2026-001")
    assert [ed.tabs.tabText(i) for i in range(ed.tabs.count())] == ["Overview", "Risks"]
    assert ed.tab_widgets["Risks"].text() == "REL-2026-001"


# --- lifecycle ------------------------------------------------------------------------------


@dataclass
class StubUnmet:
    guard: str
    param: str | None
    soft: bool
    messages: list[str]
    jump_to: str


@dataclass
class StubCheck:
    allowed: bool
    unmet: list[StubUnmet] = field(default_factory=list)


def test_lifecycle_buttons_offer_the_next_states(editor):
    assert {"Build", "On Hold", "Cancelled"} <= set(editor.lifecycle.buttons)


def test_a_refused_move_lists_what_is_missing_with_a_way_to_its_tab(editor, qtbot):
    # REL-2026-001 has no scope: Planning → Build needs scope_defined (a hard guard)
    qtbot.mouseClick(editor.lifecycle.buttons["Build"], Qt.MouseButton.LeftButton)
    panel = editor.lifecycle.panel
    assert panel.isVisible()
    assert "Cannot move to Build" in panel.title.text()
    assert not panel.override_button.isVisible()
    jump = panel.findChild(type(panel.override_button), "jump_scope_defined")
    editor.show_tab("History")
    qtbot.mouseClick(jump, Qt.MouseButton.LeftButton)
    assert editor.current_tab() == "Overview"


def test_soft_guards_can_be_overridden_only_with_a_reason(store, qtbot):
    bar = LifecycleBar(store)
    qtbot.addWidget(bar)
    bar.key = "REL-2026-001"
    moves: list[tuple[str, str]] = []
    store.transition = lambda key, to, reason=None: moves.append((to, reason)) or True  # type: ignore[method-assign]
    check = StubCheck(
        False,
        [
            StubUnmet(
                "phase_tasks_done",
                "build",
                True,
                ["2 of 5 build tasks are not done: Build image, Tag repo"],
                "Tasks",
            ),
            StubUnmet("tests_passed", None, True, ["no regression run"], "Tests"),
        ],
    )
    bar.show()
    bar.show_check("Testing", check)
    panel = bar.panel
    assert panel.isVisible() and panel.override_button.isVisible()
    labels = " ".join(w.text() for w in panel.findChildren(type(panel.title)))
    assert "Build image, Tag repo" in labels and "no regression run" in labels
    with qtbot.waitSignal(panel.jump_requested) as jumped:
        panel.findChild(type(panel.override_button), "jump_tests_passed").click()
    assert jumped.args == ["Tests"]
    qtbot.mouseClick(panel.override_button, Qt.MouseButton.LeftButton)
    assert panel.reason_box.isVisible()
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)  # empty reason: refused
    assert panel.reason_error.isVisible() and moves == []
    qtbot.keyClicks(panel.reason, "   ")
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    assert moves == []
    panel.reason.setPlainText("Tasks are tracked in the vendor's tool this time")
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    assert moves == [("Testing", "Tasks are tracked in the vendor's tool this time")]
    assert not panel.isVisible()


def test_a_hard_guard_offers_no_override(store, qtbot):
    bar = LifecycleBar(store)
    qtbot.addWidget(bar)
    bar.show()
    bar.show_check(
        "Approved",
        StubCheck(
            False, [StubUnmet("rollback_ready", None, False, ["no rollback plan"], "Deployments")]
        ),
    )
    assert bar.panel.isVisible() and not bar.panel.override_button.isVisible()


def test_an_allowed_move_goes_through(editor, qtbot, store):
    from relman_desktop.services import releases

    releases.update_release(store.ctx, "REL-2026-001", {"scope": "Checkout pages"})
    qtbot.mouseClick(editor.lifecycle.buttons["Build"], Qt.MouseButton.LeftButton)
    assert get_release(store.ctx, "REL-2026-001").status == "Build"
    assert "Build" in editor.status.text()
    assert not editor.lifecycle.panel.isVisible()


def test_a_cancelled_release_opens_read_only_until_reopened(store, qtbot):
    from relman_desktop.services.lifecycle import transition

    ed = ReleaseEditor(store, RELEASE_TABS)
    qtbot.addWidget(ed)
    ed.set_release("REL-2026-001")
    ed.show()
    assert not ed.read_only_notice.isVisible() and ed.overview.isEnabled()
    transition(store.ctx, "REL-2026-001", "Cancelled")  # while it is open in the editor
    store.release_changed.emit("REL-2026-001")
    assert ed.read_only_notice.isVisible()
    assert (
        ed.read_only_notice.text()
        == "REL-2026-001 is Cancelled: reopen it through a workflow transition to edit it"
    )
    assert not ed.overview.isEnabled() and not ed.tab_widgets["Tasks"].isEnabled()
    assert ed.tab_widgets["History"].isEnabled() and ed.lifecycle.isEnabled()
    transition(store.ctx, "REL-2026-001", "Reopen")
    store.release_changed.emit("REL-2026-001")
    assert not ed.read_only_notice.isVisible()
    assert ed.overview.isEnabled() and ed.tab_widgets["Tasks"].isEnabled()
