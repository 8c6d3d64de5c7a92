"""The Approvals tab: stages (add, rename, reorder, rule, remove) with undo/redo, approvers,
decisions with the comment rule, delegation, and the per-stage outcome line."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from relman_desktop.models.entities import Person
from relman_desktop.services import approvals
from relman_desktop.views.releases.tab_approvals import (
    ApprovalsTab,
    ApproversModel,
    StagesModel,
)

KEY = "REL-2026-001"


@pytest.fixture
def tab(store, qtbot):
    ctx = store.ctx
    with ctx.plan.write() as s:
        s.add(Person(email="cy@example.com", name="Cy Diaz", roles=[]))
    approvals.add_stage(ctx, KEY, "QA sign-off", "all", ["ann@example.com", "bo@example.com"])
    w = ApprovalsTab(store)
    qtbot.addWidget(w)
    w.set_release(KEY)
    w.resize(1100, 600)
    w.show()
    qtbot.waitExposed(w)
    return w


def stages(store):
    return approvals.list_stages(store.ctx, KEY)


def names(store) -> list[str]:
    return [s.name for s in stages(store)]


def add_stage_by_typing(qtbot, tab, name: str, rule: str) -> None:
    tab.new_name.setFocus()
    qtbot.keyClicks(tab.new_name, name)
    tab.new_rule.setCurrentIndex(tab.new_rule.findData(rule))
    qtbot.mouseClick(tab.add_stage_button, Qt.MouseButton.LeftButton)


def test_models_pass_qtmodeltester(tab, qtmodeltester):
    qtmodeltester.check(tab.stages_model)
    qtmodeltester.check(tab.approvers_model)
    qtmodeltester.check(StagesModel())
    qtmodeltester.check(ApproversModel())


def test_each_stage_says_whether_it_passes_and_why(tab):
    m = tab.stages_model
    assert [m.index(0, c).data() for c in range(m.columnCount())] == [
        "1",
        "QA sign-off",
        "all",
        "Pending",
        "0 of 2 approvers approved, all 2 must approve",
    ]
    assert (
        tab.outcome.text()
        == "Pending under the rule “all”: 0 of 2 approvers approved, all 2 must approve."
    )
    assert [tab.approvers_model.index(r, 0).data() for r in range(2)] == ["Ann Lee", "Bo Chen"]


def test_add_stage_and_undo_redo(tab, qtbot, store):
    add_stage_by_typing(qtbot, tab, "CAB", "majority")
    assert names(store) == ["QA sign-off", "CAB"]
    assert stages(store)[1].rule == "majority"
    assert tab.current_stage().name == "CAB"
    assert tab.new_name.text() == ""
    store.undo_stack.undo()
    assert names(store) == ["QA sign-off"]
    store.undo_stack.redo()
    assert names(store) == ["QA sign-off", "CAB"]


def test_a_duplicate_stage_name_is_refused_inline(tab, qtbot, store):
    add_stage_by_typing(qtbot, tab, "qa sign-off", "any")
    assert "already has a stage" in tab.stage_notice.shown_text
    assert names(store) == ["QA sign-off"]
    assert store.undo_stack.count() == 0


def test_percent_rule_needs_a_number(tab, qtbot, store):
    tab.new_rule.setCurrentIndex(tab.new_rule.findData("percent"))
    assert tab.new_percent.isEnabled()
    tab.new_percent.setValue(75)
    tab.new_name.setText("Business")
    tab.add_stage_button.click()
    assert (stages(store)[1].rule, stages(store)[1].percent) == ("percent", 75)
    assert tab.stages_model.index(1, 2).data() == "75%"


def test_rename_reorder_rule_and_remove_each_undo(tab, qtbot, store):
    add_stage_by_typing(qtbot, tab, "CAB", "any")
    # rename: type the new name and press Enter
    tab.stage_name.setFocus()
    tab.stage_name.selectAll()
    qtbot.keyClicks(tab.stage_name, "Change board")
    qtbot.keyClick(tab.stage_name, Qt.Key.Key_Return)
    assert names(store) == ["QA sign-off", "Change board"]
    # reorder
    tab.up_button.click()
    assert names(store) == ["Change board", "QA sign-off"]
    assert tab.current_stage().name == "Change board"
    # rule
    tab.stage_rule.setCurrentIndex(tab.stage_rule.findData("first_response"))
    tab.stage_rule.activated.emit(tab.stage_rule.currentIndex())
    assert stages(store)[0].rule == "first_response"
    # remove
    tab.stages.setFocus()
    qtbot.keyClick(tab.stages, Qt.Key.Key_Delete)
    assert names(store) == ["QA sign-off"]
    # and back, one step at a time (the stage put back by undo has a new id: found by name)
    store.undo_stack.undo()
    assert names(store) == ["Change board", "QA sign-off"]
    assert stages(store)[0].rule == "first_response"
    store.undo_stack.undo()
    assert stages(store)[0].rule == "any"
    store.undo_stack.undo()
    assert names(store) == ["QA sign-off", "Change board"]
    store.undo_stack.undo()
    assert names(store) == ["QA sign-off", "CAB"]
    store.undo_stack.undo()
    assert names(store) == ["QA sign-off"]
    for _ in range(5):
        store.undo_stack.redo()
    assert names(store) == ["QA sign-off"]
    assert store.undo_stack.index() == 5


def test_add_and_remove_approver_with_undo(tab, store):
    tab.person.setCurrentIndex(tab.person.findData("cy@example.com"))
    tab.add_approver_button.click()
    assert [a.email for a in stages(store)[0].approvers] == [
        "ann@example.com",
        "bo@example.com",
        "cy@example.com",
    ]
    assert tab.current_approver().email == "cy@example.com"
    assert "all 3 must approve" in tab.outcome.text()
    tab.remove_approver_button.click()
    assert len(stages(store)[0].approvers) == 2
    store.undo_stack.undo()
    assert len(stages(store)[0].approvers) == 3
    store.undo_stack.undo()
    assert len(stages(store)[0].approvers) == 2
    store.undo_stack.redo()
    assert len(stages(store)[0].approvers) == 3


def test_reject_without_comment_is_refused_with_the_reason(tab, qtbot, store):
    tab.approvers.setCurrentIndex(tab.approvers_model.index(0, 0))
    tab.decision.setCurrentIndex(tab.decision.findData("rejected"))
    tab.decide_button.click()
    assert tab.approver_notice.shown_text == "Comment: a comment is required when rejecting"
    assert stages(store)[0].approvers[0].decision == "pending"


def test_decide_records_the_decision_updates_the_outcome_and_undo_puts_it_back(tab, qtbot, store):
    add_stage_by_typing(qtbot, tab, "CAB", "any")  # something on the undo stack before
    tab.select_stage("QA sign-off")
    for row in (0, 1):
        tab.approvers.setCurrentIndex(tab.approvers_model.index(row, 0))
        tab.decision.setCurrentIndex(tab.decision.findData("approved"))
        tab.comment.setFocus()
        qtbot.keyClicks(tab.comment, "looks good")
        qtbot.keyClick(tab.comment, Qt.Key.Key_Return)
    qa = stages(store)[0]
    assert [a.decision for a in qa.approvers] == ["approved", "approved"]
    assert qa.approvers[1].comment == "looks good"
    assert (
        tab.outcome.text()
        == "Passes under the rule “all”: 2 of 2 approvers approved, all 2 must approve."
    )
    assert tab.stages_model.index(0, 3).data() == "Passes"
    assert store.undo_stack.count() == 3  # the stage, then one step per decision
    store.undo_stack.undo()
    qa = stages(store)[0]
    assert [a.decision for a in qa.approvers] == ["approved", "pending"]
    assert qa.approvers[1].comment is None
    assert tab.stages_model.index(0, 3).data() != "Passes"
    store.undo_stack.redo()
    assert [a.decision for a in stages(store)[0].approvers] == ["approved", "approved"]
    assert stages(store)[0].approvers[1].comment == "looks good"


def test_more_info_needs_a_comment_then_shows_in_the_reason(tab, store):
    tab.approvers.setCurrentIndex(tab.approvers_model.index(1, 0))
    tab.decision.setCurrentIndex(tab.decision.findData("more_info"))
    tab.comment.setText("Which test report?")
    tab.decide_button.click()
    assert "more information asked by Bo Chen" in tab.outcome.text()
    assert tab.approvers_model.index(1, 1).data() == "More info asked"
    assert tab.approvers_model.index(1, 2).data() == "Which test report?"


def test_delegate_to_another_person(tab, store):
    tab.approvers.setCurrentIndex(tab.approvers_model.index(1, 0))  # Bo
    tab.person.setCurrentIndex(tab.person.findData("cy@example.com"))
    tab.delegate_button.click()
    bo = stages(store)[0].approvers[1]
    assert bo.delegated_to_email == "cy@example.com"
    assert tab.approvers_model.index(1, 4).data() == "Cy Diaz"
    assert store.undo_stack.count() == 1
    store.undo_stack.undo()
    assert stages(store)[0].approvers[1].delegated_to_email is None
    store.undo_stack.redo()
    assert stages(store)[0].approvers[1].delegated_to_email == "cy@example.com"
    # delegating to someone who is already an approver is refused with the reason
    tab.approvers.setCurrentIndex(tab.approvers_model.index(0, 0))  # Ann
    tab.person.setCurrentIndex(tab.person.findData("bo@example.com"))
    tab.delegate_button.click()
    assert "already an approver" in tab.approver_notice.shown_text


def test_removing_a_stage_with_decisions_then_undo_brings_the_decisions_back(tab, store):
    approvals.decide(store.ctx, stages(store)[0].approvers[0].approval_id, "approved", "fine by QA")
    tab.reload()
    tab.remove_stage_button.click()
    assert names(store) == []
    store.undo_stack.undo()
    back = stages(store)[0].approvers
    assert [a.email for a in back] == ["ann@example.com", "bo@example.com"]
    assert [a.decision for a in back] == ["approved", "pending"]
    assert back[0].comment == "fine by QA"
