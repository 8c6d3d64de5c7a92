"""Optimistic locking in the editor forms (issue 12): another connection saves the record a form
shows; the form's save, made from the version it loaded, is refused with the one line naming who
and when, what was typed stays in the form, and nothing is written or pushed on the undo stack.
(The release's own Overview form: tests/views/test_stale_save.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication

from relman_desktop.models.planfile import open_plan
from relman_desktop.services import cab, changes, evidence, people, tasks
from relman_desktop.services.base import Ctx

KEY = "REL-2026-001"
AT_1042 = dt.datetime(2026, 11, 27, 10, 42, tzinfo=dt.UTC)


def said(label: str) -> str:
    return f"{label} was changed by cli@example.com at 10:42; reload and try again"


def elsewhere_on(plan):
    """The same plan opened a second time, as `relman` or another person's window would."""
    other = open_plan(plan.path)
    return other, Ctx(other, actor="cli@example.com", clock=lambda: AT_1042)


@pytest.fixture
def elsewhere(store):
    other, ctx = elsewhere_on(store.ctx.plan)
    yield ctx
    other.close()


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(qtbot, line, text: str) -> None:
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)


def show(qtbot, widget, width: int = 1300, height: int = 760):
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_the_deployments_tab(qtbot, store, elsewhere):
    from relman_desktop.views.releases.release_editor import ReleaseEditor
    from relman_desktop.views.shell.screens import RELEASE_TABS

    dep = evidence.record_deployment(store.ctx, KEY, "production")
    editor = show(qtbot, ReleaseEditor(store, RELEASE_TABS))
    editor.set_release(KEY)
    editor.show_tab("Deployments")
    deps = editor.tab_widgets["Deployments"]
    deps.table.selectRow(0)
    steps = store.undo_stack.count()

    evidence.update_deployment(elsewhere, dep, outcome="failed")
    type_into(qtbot, deps.form.editors["wave"], "2")
    click(qtbot, deps.save_button)

    assert deps.form.error_text() == said("The deployment of REL-2026-001 to production")
    assert deps.form.editors["wave"].text() == "2"  # the typing is kept
    [row] = evidence.list_deployments(elsewhere, KEY)
    assert (row["wave"], row["outcome"]) == (None, "failed")  # theirs, none of ours
    assert store.undo_stack.count() == steps

    deps.load()  # what the tab does when it hears of the change: the typing stays
    click(qtbot, deps.save_button)
    [row] = evidence.list_deployments(elsewhere, KEY)
    assert (row["wave"], row["outcome"]) == ("2", "failed")


def test_a_task_cell(qtbot, store, elsewhere):
    from relman_desktop.views.releases.tab_tasks import TasksTab
    from relman_desktop.views.releases.task_model import COLUMN_INDEX

    tasks.add_task(store.ctx, KEY, {"title": "Build image", "phase": "build"})
    tab = show(qtbot, TasksTab(store), 1200, 600)
    tab.set_release(KEY)
    errors: list[str] = []
    store.error.connect(errors.append)

    tasks.update_task(elsewhere, KEY, "T1", {"title": "Build the image"})
    index = tab.model.index(0, COLUMN_INDEX["title"])
    tab.table.setFocus()
    tab.table.setCurrentIndex(index)
    qtbot.keyClick(tab.table, Qt.Key.Key_F2)
    cell = tab.table.indexWidget(index)
    cell.selectAll()
    qtbot.keyClicks(cell, "Build container image")
    qtbot.keyClick(cell, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: bool(errors), timeout=10_000)  # Enter commits the cell
    assert errors == [said("task T1 of REL-2026-001")]
    assert tab.notice.text() == said("Task T1 of REL-2026-001")  # a line of its own
    assert tasks.list_tasks(elsewhere, KEY)[0].title == "Build the image"
    # the cell opens again holding what was typed
    qtbot.waitUntil(
        lambda: (
            tab.table.state() == QAbstractItemView.State.EditingState
            and tab.table.indexWidget(index) is not None
            and tab.table.indexWidget(index).text() == "Build container image"
        ),
        timeout=10_000,
    )


def test_the_changes_page(qtbot, store, elsewhere):
    from relman_desktop.views.changes.changes_page import ChangesPage

    changes.create_change(
        store.ctx,
        {"key": "CHG-001", "title": "Checkout API v2", "type": "normal", "category": "feature"},
    )
    page = show(qtbot, ChangesPage(store))
    assert page.select_key("CHG-001")
    steps = store.undo_stack.count()

    changes.update_change(elsewhere, "CHG-001", {"title": "Checkout API v3"})
    page.form.editors["release_note"].setPlainText("Faster checkout")
    assert page.save() is False

    assert page.form.error_text() == said("CHG-001")
    assert page.form.editors["release_note"].toPlainText() == "Faster checkout"
    stored = changes.get_change(elsewhere, "CHG-001")
    assert (stored.title, stored.release_note) == ("Checkout API v3", None)
    assert store.undo_stack.count() == steps


def test_a_settings_section(qtbot, store, elsewhere, settings_page):
    settings_page.show_section("People")
    section = settings_page.sections["People"]
    assert section.select("ann@example.com")
    steps = store.undo_stack.count()

    people.update_person(elsewhere, "ann@example.com", {"name": "Ann Lee-Smith"})
    type_into(qtbot, section.form.editors["team"], "Payments")
    click(qtbot, section.save_button)

    assert section.form.error_text() == said("ann@example.com")
    assert section.form.editors["team"].text() == "Payments"
    ann = {p.email: p for p in people.list_people(elsewhere)}["ann@example.com"]
    assert (ann.name, ann.team) == ("Ann Lee-Smith", None)
    assert store.undo_stack.count() == steps


def test_a_cab_decision(qtbot, ctx):
    from helpers_builders import make_person, make_ready_release, make_stage

    from relman_desktop.views.cab.cab_presenter import CabPresenter
    from relman_desktop.views.shell.worker import Worker

    make_person(ctx, "marta@example.com", "Marta Kowalski", roles=["cab_member", "approver"])
    make_ready_release(ctx, KEY, status="Awaiting Approval", rollback_plan="Redeploy")
    make_stage(ctx, KEY, "CAB", "majority", ["marta@example.com"])
    meeting = cab.create_meeting(ctx, chair="marta@example.com", title="Weekly CAB")
    w = show(qtbot, CabPresenter(ctx, meeting.id, worker=Worker(synchronous=True)), 1366, 768)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w, timeout=10_000)
    other, elsewhere = elsewhere_on(ctx.plan)
    try:
        cab.record_decision(elsewhere, meeting.id, KEY, "approve")
        qtbot.keyClick(w, Qt.Key.Key_R)  # reject needs a reason: the box takes the keyboard
        qtbot.keyClicks(w.rationale_edit, "Rollback never rehearsed")
        qtbot.keyClick(w.rationale_edit, Qt.Key.Key_Return)

        assert w.message.text() == "⚠ " + said("The decision on REL-2026-001 in 'Weekly CAB'")
        assert w.rationale_edit.text() == "Rollback never rehearsed"  # the typing is kept
        [item] = cab.get_meeting(elsewhere, meeting.id).items
        assert (item.decision, item.rationale) == ("approve", None)
    finally:
        other.close()
