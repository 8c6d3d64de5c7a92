"""The Tests, Deployments, Review and Links tabs: recorded through the form, read back through the
services, refused values shown under their field with nothing saved, undo/redo round-trips."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from relman_desktop.services import evidence
from relman_desktop.views.releases.release_editor import ReleaseEditor
from relman_desktop.views.releases.tab_evidence import DeploymentsTab, LinksTab, ReviewTab, TestsTab
from relman_desktop.views.shell.screens import RELEASE_TABS

KEY = "REL-2026-001"


@pytest.fixture
def editor(store, qtbot):
    ed = ReleaseEditor(store, RELEASE_TABS)
    qtbot.addWidget(ed)
    ed.set_release(KEY)
    ed.resize(1200, 760)
    ed.show()
    qtbot.waitExposed(ed)
    return ed


def tab(editor, title):
    editor.show_tab(title)
    return editor.tab_widgets[title]


def type_into(qtbot, line, text: str) -> None:
    line.setFocus()
    line.selectAll()
    if text:
        qtbot.keyClicks(line, text)
    else:
        qtbot.keyClick(line, Qt.Key.Key_Delete)


def choose(combo, value: str) -> None:
    combo.setCurrentIndex(combo.findData(value))


def test_the_evidence_tabs_are_registered(editor):
    assert isinstance(editor.tab_widgets["Tests"], TestsTab)
    assert isinstance(editor.tab_widgets["Deployments"], DeploymentsTab)
    assert isinstance(editor.tab_widgets["Review"], ReviewTab)
    assert isinstance(editor.tab_widgets["Links"], LinksTab)


def test_record_a_test_run_through_the_form(editor, qtbot, store, qtmodeltester):
    tests = tab(editor, "Tests")
    form = tests.form
    choose(form.editors["kind"], "integration")
    type_into(qtbot, form.editors["environment"], "staging")
    type_into(qtbot, form.editors["run_at"], "2026-11-20 14:30")
    type_into(qtbot, form.editors["passed"], "120")
    type_into(qtbot, form.editors["failed"], "2")
    type_into(qtbot, form.editors["skipped"], "3")
    type_into(qtbot, form.editors["source"], "jenkins #88")
    qtbot.mouseClick(tests.record_button, Qt.MouseButton.LeftButton)
    runs = evidence.list_test_runs(store.ctx, KEY)
    assert len(runs) == 1
    run = runs[0]
    assert (
        run["kind"],
        run["environment"],
        run["passed"],
        run["failed"],
        run["skipped"],
        run["verdict"],
    ) == ("integration", "staging", 120, 2, 3, "failed")
    assert run["run_at"] == dt.datetime(2026, 11, 20, 14, 30).astimezone()
    assert tests.model.rowCount() == 1
    assert tests.model.data(tests.model.index(0, 6)) == "Failed"
    qtmodeltester.check(tests.model)


def test_a_negative_count_is_refused_under_its_field(editor, qtbot, store):
    tests = tab(editor, "Tests")
    type_into(qtbot, tests.form.editors["passed"], "-4")
    qtbot.mouseClick(tests.record_button, Qt.MouseButton.LeftButton)
    assert "whole number 0 or more" in tests.form.error_text("passed")
    assert evidence.list_test_runs(store.ctx, KEY) == []
    type_into(qtbot, tests.form.editors["failed"], "many")
    qtbot.mouseClick(tests.record_button, Qt.MouseButton.LeftButton)
    assert "not a whole number" in tests.form.error_text("failed")
    assert evidence.list_test_runs(store.ctx, KEY) == []


def test_record_and_edit_a_deployment_with_undo_and_redo(editor, qtbot, store, qtmodeltester):
    deps = tab(editor, "Deployments")
    form = deps.form
    type_into(qtbot, form.editors["environment"], "production")
    type_into(qtbot, form.editors["wave"], "1")
    type_into(qtbot, form.editors["started_at"], "2026-12-05 22:00")
    type_into(qtbot, form.editors["finished_at"], "2026-12-05 23:10")
    choose(form.editors["outcome"], "success")
    qtbot.mouseClick(deps.save_button, Qt.MouseButton.LeftButton)
    rows = evidence.list_deployments(store.ctx, KEY)
    assert len(rows) == 1
    assert rows[0]["environment"] == "production" and rows[0]["outcome"] == "success"
    assert rows[0]["finished_at"] == dt.datetime(2026, 12, 5, 23, 10).astimezone()
    assert store.undo_stack.count() == 1
    qtmodeltester.check(deps.model)
    store.undo_stack.undo()  # undoing "record" deletes the deployment…
    assert evidence.list_deployments(store.ctx, KEY) == []
    store.undo_stack.redo()  # …and redo records it again, under a new id
    rows = evidence.list_deployments(store.ctx, KEY)
    assert len(rows) == 1 and rows[0]["environment"] == "production"
    deps.table.selectRow(0)

    # the recorded row stays selected: the form now edits it
    assert deps.editing.id == rows[0]["id"] and deps.save_button.text() == "Save changes"
    type_into(qtbot, form.editors["incidents"], "2")
    choose(form.editors["outcome"], "partial")
    qtbot.mouseClick(deps.save_button, Qt.MouseButton.LeftButton)
    row = evidence.list_deployments(store.ctx, KEY)[0]
    assert (row["incidents"], row["outcome"]) == (2, "partial")
    assert store.undo_stack.count() == 2
    store.undo_stack.undo()
    row = evidence.list_deployments(store.ctx, KEY)[0]
    assert (row["incidents"], row["outcome"]) == (0, "success")
    assert deps.model.data(deps.model.index(0, 4)) == "Success"
    store.undo_stack.redo()
    row = evidence.list_deployments(store.ctx, KEY)[0]
    assert (row["incidents"], row["outcome"]) == (2, "partial")


def _record_and_edit_a_deployment(deps, qtbot, store) -> int:
    """Record a production deployment through the form, then edit it (2 incidents, partial)."""
    form = deps.form
    type_into(qtbot, form.editors["environment"], "production")
    choose(form.editors["outcome"], "success")
    qtbot.mouseClick(deps.save_button, Qt.MouseButton.LeftButton)
    [row] = evidence.list_deployments(store.ctx, KEY)
    deps.table.selectRow(0)
    type_into(qtbot, form.editors["incidents"], "2")
    choose(form.editors["outcome"], "partial")
    qtbot.mouseClick(deps.save_button, Qt.MouseButton.LeftButton)
    assert (
        store.undo_stack.undoText()
        == "edit outcome, incidents of the production deployment of REL-2026-001"
    )
    return row["id"]


def _deployment(store) -> tuple:
    [row] = [
        r for r in evidence.list_deployments(store.ctx, KEY) if r["environment"] == "production"
    ]
    return row["id"], row["incidents"], row["outcome"]


def test_an_edit_still_undoes_after_its_deployment_is_deleted_and_brought_back(
    editor, qtbot, store
):
    from relman_desktop.views.shell.commands import Step, edit, op, ref

    deps = tab(editor, "Deployments")
    old_id = _record_and_edit_a_deployment(deps, qtbot, store)
    errors = []
    store.error.connect(errors.append)
    # Deleted as any delete of the row is (the tab has no delete button): a step naming it by the
    # Ref every command about it shares, whose undo records it again.
    row = ref(store, "deployment", old_id)

    def record_again(before: dict) -> object:
        again = op(evidence.record_deployment, KEY, **before)
        again.rebinds = row
        return again

    edit(
        store,
        "delete the production deployment",
        Step(op(evidence.delete_deployment, row), backward_from=record_again),
    )
    evidence.record_deployment(store.ctx, KEY, "staging")  # meanwhile: the old id is not free again
    store.undo_stack.undo()  # the delete: the deployment comes back under a new id
    new_id, incidents, outcome = _deployment(store)
    assert new_id != old_id and (incidents, outcome) == (2, "partial")

    store.undo_stack.undo()  # the edit, made before the delete, still reaches it
    assert _deployment(store) == (new_id, 0, "success")
    assert errors == [] and store.undo_stack.index() == 1
    shown = [
        deps.model.data(deps.model.index(i, 4))
        for i in range(deps.model.rowCount())
        if deps.model.data(deps.model.index(i, 0)) == "production"
    ]
    assert shown == ["Success"]


def test_an_edit_redone_after_its_deployment_was_recorded_again_reaches_it(editor, qtbot, store):
    deps = tab(editor, "Deployments")
    old_id = _record_and_edit_a_deployment(deps, qtbot, store)
    errors = []
    store.error.connect(errors.append)
    store.undo_stack.undo()  # the edit
    store.undo_stack.undo()  # the recording: the deployment is deleted
    evidence.record_deployment(store.ctx, KEY, "staging")
    store.undo_stack.redo()  # recorded again, under a new id
    new_id = _deployment(store)[0]
    assert new_id != old_id
    assert deps.editing.id == new_id  # the form still edits it

    store.undo_stack.redo()  # the edit
    assert _deployment(store) == (new_id, 2, "partial")
    store.undo_stack.undo()
    assert _deployment(store) == (new_id, 0, "success")
    assert errors == []


def test_finished_before_started_shows_the_reason_and_saves_nothing(editor, qtbot, store):
    deps = tab(editor, "Deployments")
    form = deps.form
    type_into(qtbot, form.editors["environment"], "production")
    type_into(qtbot, form.editors["started_at"], "2026-12-05 22:00")
    type_into(qtbot, form.editors["finished_at"], "2026-12-05 21:00")
    qtbot.mouseClick(deps.save_button, Qt.MouseButton.LeftButton)
    assert "cannot finish" in form.error_text("finished_at")
    assert "before started" in form.error_text("finished_at")
    assert form.editors["finished_at"].property("invalid") is True
    assert evidence.list_deployments(store.ctx, KEY) == []
    assert store.undo_stack.count() == 0

    # the same refusal when editing an existing deployment leaves it as it was
    evidence.record_deployment(
        store.ctx,
        KEY,
        "staging",
        started_at=dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 12, 1, 11, tzinfo=dt.UTC),
    )
    store.evidence_changed.emit(KEY)
    deps.table.selectRow(0)
    type_into(qtbot, form.editors["finished_at"], "2026-11-30 09:00")
    qtbot.mouseClick(deps.save_button, Qt.MouseButton.LeftButton)
    assert "before started" in form.error_text("finished_at")
    assert evidence.list_deployments(store.ctx, KEY)[0]["finished_at"] == dt.datetime(
        2026, 12, 1, 11, tzinfo=dt.UTC
    )
    assert store.undo_stack.count() == 0


def test_a_malformed_time_is_named_under_its_field(editor, qtbot, store):
    deps = tab(editor, "Deployments")
    type_into(qtbot, deps.form.editors["environment"], "production")
    type_into(qtbot, deps.form.editors["restored_at"], "tomorrow")
    qtbot.mouseClick(deps.save_button, Qt.MouseButton.LeftButton)
    assert "not a date and time" in deps.form.error_text("restored_at")
    assert evidence.list_deployments(store.ctx, KEY) == []


def test_record_the_review_then_edit_it_and_undo(editor, qtbot, store):
    review = tab(editor, "Review")
    form = review.form
    assert "No review" in review.state.text()
    choose(form.editors["outcome"], "successful_with_issues")
    type_into(qtbot, form.editors["incidents"], "1")
    type_into(qtbot, form.editors["closed_by"], "ann@example.com")
    type_into(qtbot, form.editors["closed_at"], "2026-12-21 10:00")
    form.editors["lessons_learned"].setPlainText("Rehearse the rollback on the real data set.")
    qtbot.mouseClick(review.save_button, Qt.MouseButton.LeftButton)
    saved = evidence.get_review(store.ctx, KEY)
    assert (
        saved["outcome"] == "successful_with_issues"
        and saved["closed_by_email"] == "ann@example.com"
    )
    assert saved["lessons_learned"] == "Rehearse the rollback on the real data set."
    assert store.undo_stack.count() == 1
    store.undo_stack.undo()  # undoing the first review deletes it
    assert evidence.get_review(store.ctx, KEY) is None
    store.undo_stack.redo()
    assert evidence.get_review(store.ctx, KEY)["outcome"] == "successful_with_issues"

    form.editors["user_feedback"].setPlainText("Checkout is faster.")
    choose(form.editors["outcome"], "successful")
    qtbot.mouseClick(review.save_button, Qt.MouseButton.LeftButton)
    assert evidence.get_review(store.ctx, KEY)["outcome"] == "successful"
    store.undo_stack.undo()
    saved = evidence.get_review(store.ctx, KEY)
    assert saved["outcome"] == "successful_with_issues" and saved["user_feedback"] is None
    assert form.editors["outcome"].currentData() == "successful_with_issues"
    store.undo_stack.redo()
    assert evidence.get_review(store.ctx, KEY)["user_feedback"] == "Checkout is faster."


def test_an_unknown_person_closing_the_review_is_refused_inline(editor, qtbot, store):
    review = tab(editor, "Review")
    type_into(qtbot, review.form.editors["closed_by"], "nobody@example.com")
    qtbot.mouseClick(review.save_button, Qt.MouseButton.LeftButton)
    assert "Unknown person" in review.form.error_text("closed_by")
    assert evidence.get_review(store.ctx, KEY) is None


def test_add_and_remove_links_with_undo(editor, qtbot, store, qtmodeltester):
    links = tab(editor, "Links")
    form = links.form
    choose(form.editors["kind"], "incident")
    type_into(qtbot, form.editors["key"], "INC-1042")
    choose(form.editors["relation"], "fixes")
    type_into(qtbot, form.editors["title"], "Checkout times out")
    type_into(qtbot, form.editors["url"], "https://itsm.example.com/INC-1042")
    qtbot.mouseClick(links.add_button, Qt.MouseButton.LeftButton)
    saved = evidence.list_links(store.ctx, KEY)
    assert [(x["kind"], x["external_key"], x["relation"], x["url"]) for x in saved] == [
        ("incident", "INC-1042", "fixes", "https://itsm.example.com/INC-1042")
    ]
    qtmodeltester.check(links.model)

    # the same key again is refused under the key field
    choose(form.editors["kind"], "incident")
    type_into(qtbot, form.editors["key"], "INC-1042")
    qtbot.mouseClick(links.add_button, Qt.MouseButton.LeftButton)
    assert "already linked" in form.error_text("key")
    assert len(evidence.list_links(store.ctx, KEY)) == 1

    links.table.selectRow(0)
    qtbot.mouseClick(links.remove_button, Qt.MouseButton.LeftButton)
    assert evidence.list_links(store.ctx, KEY) == []
    store.undo_stack.undo()  # the link comes back (with a new id)…
    assert [x["external_key"] for x in evidence.list_links(store.ctx, KEY)] == ["INC-1042"]
    store.undo_stack.undo()  # …and undoing the add still finds it
    assert evidence.list_links(store.ctx, KEY) == []
    store.undo_stack.redo()
    store.undo_stack.redo()
    assert evidence.list_links(store.ctx, KEY) == []
    store.undo_stack.undo()
    assert links.model.rowCount() == 1


def test_tests_tab_says_which_required_kinds_have_passed(editor, qtbot, store):
    store.update_release(KEY, {"required_tests": ["unit", "uat"]})
    evidence.record_test_run(
        store.ctx, KEY, "unit", "ci", 10, 0, 0, dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    )
    store.evidence_changed.emit(KEY)
    tests = tab(editor, "Tests")
    text = tests.required.text()
    assert "Unit</b>: passed" in text and "UAT</b>: no run yet" in text


def test_ctrl_return_records_from_the_keyboard(editor, qtbot, store):
    links = tab(editor, "Links")
    type_into(qtbot, links.form.editors["key"], "REQ-77")
    qtbot.keyClick(
        links.form.editors["key"], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )
    assert [x["external_key"] for x in evidence.list_links(store.ctx, KEY)] == ["REQ-77"]
