"""An edit in progress is never silently overwritten when its record changes underneath (issue 11):
in every form that holds typed-but-unsaved values, a write made meanwhile through a second
connection to the plan (as `relman` or another window makes it) keeps the typing, says which
field clashes and to what, and changes nothing in the plan until the user saves; a field the
user did not touch shows the other change, and saving does not put the old value back."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from relman_desktop.models.planfile import open_plan
from relman_desktop.services import changes, evidence, people, tasks
from relman_desktop.services.base import Ctx
from relman_desktop.views.changes.changes_page import ChangesPage
from relman_desktop.views.releases.release_editor import ReleaseEditor
from relman_desktop.views.shell.screens import RELEASE_TABS

from .test_settings_page import open_section, select, type_into

KEY = "REL-2026-001"


@pytest.fixture
def elsewhere(store):
    """The same plan file opened a second time, as `relman` or another window would."""
    plan = open_plan(store.ctx.plan.path)
    yield Ctx(plan, actor="cli@example.com")
    plan.close()


@pytest.fixture
def errors(store) -> list[str]:
    said: list[str] = []
    store.error.connect(said.append)
    return said


def seen(store) -> None:
    """The window's poll finds the other connection's write (what its timer does every 0.5 s)."""
    assert store.check_outside_changes() is not None


# --- Settings (every record section shares the form: people here) ------------------------------


def test_settings_person_typed_while_changed_elsewhere(
    settings_page, store, elsewhere, errors, qtbot
):
    section = open_section(settings_page, "People")
    section.reload()
    select(section, "ann@example.com")
    type_into(qtbot, section.form.editors["team"], "Payments")  # typing, not saved
    people.update_person(elsewhere, "ann@example.com", {"team": "Identity", "name": "Ann Li"})
    seen(store)

    team = section.form.editors["team"]
    assert team.text() == "Payments"  # the typing is kept
    assert "changed elsewhere to “Identity”" in section.form.error_text("team")
    assert section.form.editors["name"].text() == "Ann Li"  # untouched: shows the other change
    assert errors[-1] == (
        "Ann Li <ann@example.com> was changed elsewhere while you were editing Team: "
        "nothing of yours was saved over it yet"
    )
    ann = {p.email: p for p in people.list_people(store.ctx)}["ann@example.com"]
    assert (ann.team, ann.name) == ("Identity", "Ann Li")  # nothing overwritten yet

    assert section.save()  # the user decides, knowingly
    ann = {p.email: p for p in people.list_people(store.ctx)}["ann@example.com"]
    assert (ann.team, ann.name) == ("Payments", "Ann Li")  # their rename is not undone


def test_settings_own_save_is_not_reported_as_changed_elsewhere(
    settings_page, store, errors, qtbot
):
    section = open_section(settings_page, "People")
    section.reload()
    select(section, "ann@example.com")
    type_into(qtbot, section.form.editors["team"], "Payments")
    assert section.save()
    assert not [e for e in errors if "elsewhere" in e]
    assert section.form.error_text("team") == ""


# --- the Changes page ---------------------------------------------------------------------------


@pytest.fixture
def changes_page(store, qtbot):
    changes.create_change(
        store.ctx,
        {
            "key": "CHG-001",
            "title": "Checkout API v2",
            "type": "normal",
            "category": "feature",
            "risk": "medium",
        },
    )
    page = ChangesPage(store)
    qtbot.addWidget(page)
    page.resize(1300, 760)
    page.show()
    qtbot.waitExposed(page)
    assert page.select_key("CHG-001")
    return page


def test_changes_page_title_typed_while_changed_elsewhere(
    changes_page, store, elsewhere, errors, qtbot
):
    page = changes_page
    type_into(qtbot, page.form.editors["title"], "Checkout API v3")
    changes.update_change(elsewhere, "CHG-001", {"title": "Checkout API v2.1", "risk": "high"})
    seen(store)

    assert page.form.editors["title"].text() == "Checkout API v3"
    assert "changed elsewhere to “Checkout API v2.1”" in page.form.error_text("title")
    assert page.form.editors["risk"].currentData() == "high"  # untouched: theirs shown
    assert errors[-1].startswith("CHG-001 was changed elsewhere while you were editing Title")
    assert changes.get_change(store.ctx, "CHG-001").title == "Checkout API v2.1"

    assert page.save()
    saved = changes.get_change(store.ctx, "CHG-001")
    assert (saved.title, saved.risk) == ("Checkout API v3", "high")


# --- the release editor's Deployments and Review tabs ---------------------------------------------


@pytest.fixture
def editor(store, qtbot):
    ed = ReleaseEditor(store, RELEASE_TABS)
    qtbot.addWidget(ed)
    ed.set_release(KEY)
    ed.resize(1200, 760)
    ed.show()
    qtbot.waitExposed(ed)
    return ed


def test_deployment_typed_while_changed_elsewhere(editor, store, elsewhere, errors, qtbot):
    evidence.record_deployment(store.ctx, KEY, "production", outcome="success", incidents=0)
    editor.show_tab("Deployments")
    deps = editor.tab_widgets["Deployments"]
    deps.load()
    deps.table.selectRow(0)
    type_into(qtbot, deps.form.editors["incidents"], "2")
    [row] = evidence.list_deployments(store.ctx, KEY)
    evidence.update_deployment(elsewhere, row["id"], incidents=5, wave="2 of 3")
    seen(store)

    assert deps.form.editors["incidents"].text() == "2"
    assert "changed elsewhere to “5”" in deps.form.error_text("incidents")
    assert deps.form.editors["wave"].text() == "2 of 3"
    assert errors[-1] == (
        f"The production deployment of {KEY} was changed elsewhere while you were editing "
        "Incidents: nothing of yours was saved over it yet"
    )
    assert evidence.list_deployments(store.ctx, KEY)[0]["incidents"] == 5

    qtbot.mouseClick(deps.save_button, Qt.MouseButton.LeftButton)
    [row] = evidence.list_deployments(store.ctx, KEY)
    assert (row["incidents"], row["wave"]) == (2, "2 of 3")


def test_review_typed_while_changed_elsewhere(editor, store, elsewhere, errors, qtbot):
    closed = dt.datetime(2026, 12, 21, 10, 0).astimezone()
    evidence.record_review(store.ctx, KEY, "successful", incidents=0, closed_at=closed)
    editor.show_tab("Review")
    review = editor.tab_widgets["Review"]
    review.load()
    review.form.editors["lessons_learned"].setPlainText("Rehearse the rollback.")
    evidence.record_review(
        elsewhere,
        KEY,
        "successful",
        incidents=1,
        closed_at=closed,
        lessons_learned="Freeze earlier.",
    )
    seen(store)

    form = review.form
    assert form.editors["lessons_learned"].toPlainText() == "Rehearse the rollback."
    assert "changed elsewhere to “Freeze earlier.”" in form.error_text("lessons_learned")
    assert form.editors["incidents"].text() == "1"
    assert evidence.get_review(store.ctx, KEY)["lessons_learned"] == "Freeze earlier."
    assert "editing Lessons learned" in errors[-1]

    qtbot.mouseClick(review.revert_button, Qt.MouseButton.LeftButton)  # or drop the typing
    assert form.editors["lessons_learned"].toPlainText() == "Freeze earlier."
    assert form.error_text("lessons_learned") == ""


# --- the Tasks tab (a cell being typed in) and the Approvals tab (a stage being renamed) ---------


@pytest.fixture
def tasks_tab(store, qtbot):
    from relman_desktop.views.releases.tab_tasks import TasksTab

    tasks.add_task(store.ctx, KEY, {"title": "Build image", "phase": "build"})
    w = TasksTab(store)
    qtbot.addWidget(w)
    w.set_release(KEY)
    w.resize(1200, 600)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_task_cell_typed_while_changed_elsewhere(tasks_tab, store, elsewhere, errors, qtbot):
    from PySide6.QtWidgets import QAbstractItemView

    from relman_desktop.views.releases.task_model import COLUMN_INDEX

    tab = tasks_tab
    index = tab.model.index(0, COLUMN_INDEX["title"])
    tab.table.setFocus()
    tab.table.setCurrentIndex(index)
    qtbot.keyClick(tab.table, Qt.Key.Key_F2)
    editor = tab.table.indexWidget(index)
    editor.selectAll()
    qtbot.keyClicks(editor, "Build container image")  # typing, Enter not pressed yet
    tasks.update_task(elsewhere, KEY, "T1", {"title": "Build base image"})
    seen(store)

    assert tab.table.state() == QAbstractItemView.State.EditingState
    assert editor.text() == "Build container image"  # the cell is still open with the typing
    expected = (
        "Title of task T1 was changed elsewhere to “Build base image” while you were typing; "
        "your text is kept: Enter saves it over theirs, Esc drops it"
    )
    assert errors[-1] == expected
    assert tab.notice.shown_text == expected
    assert tasks.list_tasks(store.ctx, KEY)[0].title == "Build base image"

    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the user decides
    qtbot.waitUntil(lambda: tasks.list_tasks(store.ctx, KEY)[0].title == "Build container image")
    assert [e for e in errors if "elsewhere" in e] == [expected]  # the own save is not "elsewhere"


def test_stage_name_typed_while_renamed_elsewhere(store, elsewhere, errors, qtbot):
    from relman_desktop.services import approvals
    from relman_desktop.views.releases.tab_approvals import ApprovalsTab

    approvals.add_stage(store.ctx, KEY, "QA sign-off", "all", ["ann@example.com"])
    tab = ApprovalsTab(store)
    qtbot.addWidget(tab)
    tab.set_release(KEY)
    tab.show()
    qtbot.waitExposed(tab)
    tab.stage_name.setFocus()
    tab.stage_name.selectAll()
    qtbot.keyClicks(tab.stage_name, "Quality gate")  # typing, not left yet
    approvals.rename_stage(elsewhere, approvals.list_stages(store.ctx, KEY)[0].id, "QA")
    assert tab.stage_notice.shown_text == ""
    seen(store)

    assert tab.stage_name.text() == "Quality gate"
    assert errors[-1] == (
        "Stage QA sign-off was renamed elsewhere to “QA” while you were typing; your name is "
        "kept here: leave the field to rename it over theirs"
    )
    assert tab.stage_notice.shown_text == errors[-1]
    assert [s.name for s in approvals.list_stages(store.ctx, KEY)] == ["QA"]
    qtbot.keyClick(tab.stage_name, Qt.Key.Key_Return)
    assert [s.name for s in approvals.list_stages(store.ctx, KEY)] == ["Quality gate"]
