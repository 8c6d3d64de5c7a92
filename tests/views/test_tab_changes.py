"""The Changes tab: bundling approved changes, refusing the others with the reason, the notice
that approvals were reset, and undo/redo of bundle and unbundle."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from relman_desktop.services import approvals, changes
from relman_desktop.views.releases.tab_changes import ChangesModel, ChangesTab

KEY = "REL-2026-001"


@pytest.fixture
def tab(store, qtbot):
    ctx = store.ctx
    for key, title, approval in (
        ("CHG-001", "Checkout API v2", "approved"),
        ("CHG-002", "Card vault migration", "pending"),
        ("CHG-003", "Drop legacy endpoint", "rejected"),
        ("CHG-004", "Fraud rules update", "approved"),
    ):
        changes.create_change(
            ctx,
            {
                "key": key,
                "title": title,
                "type": "normal",
                "category": "feature",
                "approval": approval,
                "risk": "medium",
            },
        )
    changes.bundle_change(ctx, "CHG-004", KEY)
    stage = approvals.add_stage(ctx, KEY, "CAB", "all", ["ann@example.com"])
    approvals.decide(ctx, approvals.approval_id_for(ctx, KEY, "CAB", "ann@example.com"), "approved")
    assert stage
    w = ChangesTab(store)
    qtbot.addWidget(w)
    w.set_release(KEY)
    w.resize(1100, 600)
    w.show()
    qtbot.waitExposed(w)
    return w


def bundled(store) -> list[str]:
    return [c.key for c in changes.list_changes(store.ctx, KEY)]


def cab_decision(store) -> str:
    return approvals.list_stages(store.ctx, KEY)[0].approvers[0].decision


def test_models_pass_qtmodeltester(tab, qtmodeltester):
    qtmodeltester.check(tab.model)
    tab.show_picker()
    qtmodeltester.check(tab.picker_model)
    qtmodeltester.check(ChangesModel(picker=True))


def test_lists_the_release_changes(tab):
    assert tab.heading.text() == "1 change in this release"
    m = tab.model
    assert [m.headerData(i, Qt.Orientation.Horizontal) for i in range(m.columnCount())] == [
        "Key",
        "Title",
        "Category",
        "Type",
        "Approval",
        "Risk",
        "CIs",
    ]
    assert [m.index(0, i).data() for i in range(5)] == [
        "CHG-004",
        "Fraud rules update",
        "Feature",
        "Normal",
        "Approved",
    ]


def test_picker_shows_unapproved_changes_disabled_with_the_reason(tab, qtbot, store):
    qtbot.mouseClick(tab.add_button, Qt.MouseButton.LeftButton)
    assert tab.picker.isVisible()
    m = tab.picker_model
    assert [r.key for r in m.rows] == ["CHG-001", "CHG-002", "CHG-003"]  # approved first
    pending = m.row_of("CHG-002")
    reason = "CHG-002 is pending, and only approved changes can be bundled"
    why = [m.headerData(c, Qt.Orientation.Horizontal) for c in range(m.columnCount())].index(
        "Can it be added?"
    )
    assert (
        m.index(pending, why).data()
        == "No: it is pending, and only approved changes can be bundled"
    )
    assert m.index(pending, why).data(Qt.ItemDataRole.ToolTipRole) == reason
    assert m.index(pending, 1).data(Qt.ItemDataRole.ToolTipRole) == reason
    assert not m.flags(m.index(pending, 0)) & Qt.ItemFlag.ItemIsEnabled
    assert m.flags(m.index(m.row_of("CHG-001"), 0)) & Qt.ItemFlag.ItemIsEnabled
    assert m.index(m.row_of("CHG-001"), why).data() == "Yes, it is approved"


def test_a_change_that_is_not_approved_cannot_be_added_and_the_reason_is_shown(tab, store):
    tab.show_picker()
    assert tab.add_changes(["CHG-003"]) is False
    assert tab.notice.shown_text == "CHG-003 is rejected, and only approved changes can be bundled"
    assert bundled(store) == ["CHG-004"]
    assert store.undo_stack.count() == 0
    assert cab_decision(store) == "approved"  # nothing reset either


def test_adding_an_approved_change_says_approvals_were_reset_and_undo_takes_it_out(
    tab, qtbot, store
):
    tab.show_picker()
    tab.picker_table.setFocus()
    tab.picker_table.selectRow(0)  # CHG-001
    qtbot.keyClick(tab.picker_table, Qt.Key.Key_Return)
    assert bundled(store) == ["CHG-001", "CHG-004"]
    assert tab.model.rowCount() == 2
    assert tab.picker_model.row_of("CHG-001") == -1
    assert "1 approval given before was reset to pending" in tab.notice.shown_text
    assert cab_decision(store) == "pending"
    store.undo_stack.undo()
    assert bundled(store) == ["CHG-004"]
    assert tab.picker_model.row_of("CHG-001") == 0
    store.undo_stack.redo()
    assert bundled(store) == ["CHG-001", "CHG-004"]


def test_filter_narrows_the_picker(tab, qtbot):
    tab.show_picker()
    qtbot.keyClicks(tab.filter, "vault")
    assert tab.picker_proxy.rowCount() == 1


def test_remove_with_delete_key_and_undo(tab, qtbot, store):
    tab.table.setFocus()
    tab.table.selectRow(0)
    assert tab.remove_button.isEnabled()
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert bundled(store) == []
    assert "reset to pending" in tab.notice.shown_text
    assert tab.heading.text() == "0 changes in this release"
    store.undo_stack.undo()
    assert bundled(store) == ["CHG-004"]
    store.undo_stack.redo()
    assert bundled(store) == []


def test_adding_without_decided_approvals_shows_no_reset_notice(tab, store):
    approvals.remove_stage(store.ctx, approvals.list_stages(store.ctx, KEY)[0].id)
    assert tab.add_changes(["CHG-001"])
    assert tab.notice.shown_text == ""
