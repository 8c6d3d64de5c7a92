"""The Settings page: people, CIs with parents, calendar windows, templates, rules and the
workflow — each edit through the form, read back through the services, refused values named
under their field, and undo/redo round-trips."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from relman_desktop.services import cis, people, rules, templates, windows, workflow
from relman_desktop.views.common.confirm import answer_delete
from relman_desktop.views.settings.settings_page import SettingsPage


@pytest.fixture
def page(settings_page):
    return settings_page


def open_section(page, title):
    page.show_section(title)
    return page.sections[title]


def type_into(qtbot, line, text: str) -> None:
    line.setFocus()
    line.selectAll()
    if text:
        qtbot.keyClicks(line, text)
    else:
        qtbot.keyClick(line, Qt.Key.Key_Delete)


def choose(combo, value) -> None:
    combo.setCurrentIndex(combo.findData(value))


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def select(section, identity) -> None:
    assert section.select(identity), identity


def test_the_navigator_settings_page_is_this_one(window):
    assert isinstance(window.page_widgets["settings"], SettingsPage)
    assert "General" in window.page_widgets["settings"].sections  # theme and plan file stay


def test_settings_builds_a_section_when_its_tab_is_first_shown(window, qtbot):
    """Issue 16: Settings' first open built all eight sections (~0.3 s on a big plan, the 300 ms
    aim). Now the General tab is built, the others on their first show, in their places."""
    from relman_desktop.views.settings.settings_page import LAZY_SECTIONS, SECTIONS

    window.show()
    assert window.show_page("settings")
    page = window.page_widgets["settings"]
    titles = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    assert titles == list(SECTIONS) and page.tabs.currentIndex() == 0
    assert page.lazy_sections() == list(LAZY_SECTIONS) and list(page.sections) == ["General"]
    page.tabs.setCurrentIndex(titles.index("Rules"))  # the user clicks the Rules tab
    assert page.tabs.currentWidget() is page.sections["Rules"] is page.rules
    assert page.rules.table.isVisible()
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == titles
    assert "Rules" not in page.lazy_sections() and "People" in page.lazy_sections()
    assert page.show_section("people") and page.tabs.currentWidget() is page.people


def test_add_edit_and_delete_a_person_with_undo(page, qtbot, store, qtmodeltester):
    section = open_section(page, "People")
    form = section.form
    click(qtbot, section.new_button)
    type_into(qtbot, form.editors["name"], "Cy Diaz")
    type_into(qtbot, form.editors["email"], "cy@example.com")
    type_into(qtbot, form.editors["team"], "Payments")
    form._checks["roles"]["approver"].setChecked(True)
    click(qtbot, section.save_button)
    cy = {p.email: p for p in people.list_people(store.ctx)}["cy@example.com"]
    assert (cy.name, cy.team, cy.roles) == ("Cy Diaz", "Payments", ["approver"])
    assert section.current.email == "cy@example.com"  # the new person stays selected
    qtmodeltester.check(section.model)

    type_into(qtbot, form.editors["team"], "Identity")
    click(qtbot, section.save_button)
    assert {p.email: p.team for p in people.list_people(store.ctx)}["cy@example.com"] == "Identity"

    click(qtbot, section.delete_button)
    answer_delete(section)  # Delete asks first
    assert "cy@example.com" not in {p.email for p in people.list_people(store.ctx)}
    store.undo_stack.undo()
    assert {p.email: p.team for p in people.list_people(store.ctx)}["cy@example.com"] == "Identity"
    store.undo_stack.undo()
    assert {p.email: p.team for p in people.list_people(store.ctx)}["cy@example.com"] == "Payments"
    store.undo_stack.undo()
    assert "cy@example.com" not in {p.email for p in people.list_people(store.ctx)}
    store.undo_stack.redo()
    assert "cy@example.com" in {p.email for p in people.list_people(store.ctx)}


def test_a_bad_email_is_refused_under_its_field(page, qtbot, store):
    section = open_section(page, "People")
    type_into(qtbot, section.form.editors["name"], "No Mail")
    type_into(qtbot, section.form.editors["email"], "not-an-address")
    click(qtbot, section.save_button)
    assert "is not an email address" in section.form.error_text("email")
    assert len(people.list_people(store.ctx)) == 2
    assert store.undo_stack.count() == 0


def add_ci(qtbot, section, name, parents=""):
    click(qtbot, section.new_button)
    type_into(qtbot, section.form.editors["name"], name)
    type_into(qtbot, section.form.editors["parents"], parents)
    click(qtbot, section.save_button)


def test_a_ci_with_a_parent_and_a_loop_refused_with_the_loop_named(
    page, qtbot, store, qtmodeltester
):
    section = open_section(page, "CIs")
    add_ci(qtbot, section, "payments-platform")
    add_ci(qtbot, section, "checkout-api", "payments-platform")
    rows = {c.name: c for c in cis.list_cis(store.ctx)}
    assert rows["checkout-api"].parents == ["payments-platform"]
    assert rows["payments-platform"].children == ["checkout-api"]
    qtmodeltester.check(section.model)

    select(section, "payments-platform")
    type_into(qtbot, section.form.editors["parents"], "checkout-api")
    click(qtbot, section.save_button)
    reason = section.form.error_text("parents")
    assert "loop" in reason and "payments-platform → checkout-api → payments-platform" in reason
    assert {c.name: c.parents for c in cis.list_cis(store.ctx)}["payments-platform"] == []

    # deleting the parent and undoing puts it back above its child
    type_into(qtbot, section.form.editors["parents"], "")
    click(qtbot, section.delete_button)
    answer_delete(section)  # Delete asks first
    assert {c.name: c.parents for c in cis.list_cis(store.ctx)}["checkout-api"] == []
    store.undo_stack.undo()
    assert {c.name: c.parents for c in cis.list_cis(store.ctx)}["checkout-api"] == [
        "payments-platform"
    ]


def test_a_window_with_a_bad_rrule_is_refused_and_a_good_one_saved(
    page, qtbot, store, qtmodeltester
):
    section = open_section(page, "Calendar windows")
    form = section.form
    type_into(qtbot, form.editors["title"], "Saturday maintenance")
    choose(form.editors["kind"], "maintenance")
    type_into(qtbot, form.editors["timezone"], "Europe/Berlin")
    type_into(qtbot, form.editors["start"], "2026-12-05 22:00")
    type_into(qtbot, form.editors["end"], "2026-12-06 04:00")
    type_into(qtbot, form.editors["rrule"], "FREQ=SOMETIMES")
    click(qtbot, section.save_button)
    assert "cannot be read" in form.error_text("rrule")
    assert windows.list_windows(store.ctx) == []
    assert store.undo_stack.count() == 0

    type_into(qtbot, form.editors["rrule"], "FREQ=WEEKLY;BYDAY=SA;COUNT=26")
    type_into(qtbot, form.editors["environment"], "production")
    click(qtbot, section.save_button)
    [w] = windows.list_windows(store.ctx)
    assert (w.title, w.kind, w.hard, w.timezone, w.rrule, w.environment) == (
        "Saturday maintenance",
        "maintenance",
        True,
        "Europe/Berlin",
        "FREQ=WEEKLY;BYDAY=SA;COUNT=26",
        "production",
    )
    assert w.start == dt.datetime(2026, 12, 5, 21, 0, tzinfo=dt.UTC)  # 22:00 in Berlin (CET)
    assert section.model.data(section.model.index(0, 3)) == "2026-12-05 22:00"
    qtmodeltester.check(section.model)

    # end before start is named under End; delete + undo brings the window back (new id) and
    # undoing the add still finds it
    type_into(qtbot, form.editors["end"], "2026-12-05 21:00")
    click(qtbot, section.save_button)
    assert "before or when it starts" in form.error_text("end")
    click(qtbot, section.delete_button)
    answer_delete(section)  # Delete asks first
    assert windows.list_windows(store.ctx) == []
    store.undo_stack.undo()
    assert [x.title for x in windows.list_windows(store.ctx)] == ["Saturday maintenance"]
    store.undo_stack.undo()
    assert windows.list_windows(store.ctx) == []


def test_a_template_body_error_is_named_by_its_path(page, qtbot, store):
    """The service's path (``tasks[1].title``) becomes that task's row and cell; JSON stays an
    escape hatch whose errors are shown in its dialog. The structured editor has its own tests in
    test_settings_templates.py."""
    section = open_section(page, "Templates")
    form, body = section.form, section.body
    type_into(qtbot, form.editors["name"], "Standard patch")
    choose(form.editors["release_type"], "patch")
    body.set_value(
        {
            "tasks": [
                {"id": "build", "title": "Build", "phase": "build", "duration_days": 2},
                {"id": "deploy", "title": "", "phase": "deploy"},
            ]
        }
    )
    click(qtbot, section.save_button)
    assert body.tasks.error.shown_text == "Task 2 (deploy), title: must be non-empty text"
    index = body.tasks.table.currentIndex()
    assert (index.row(), index.column()) == (1, body.tasks_model.column("title"))
    assert templates.list_templates(store.ctx) == []

    click(qtbot, body.json_button)
    body.json_dialog.text.setPlainText('{"tasks": [')
    click(qtbot, body.json_dialog.ok_button)
    assert "Not valid JSON" in body.json_dialog.error.shown_text
    body.json_dialog.text.setPlainText(
        '{"tasks": [{"id": "build", "title": "Build", "phase": "build", "duration_days": 2},'
        ' {"id": "deploy", "title": "Deploy", "phase": "deploy", "offset_days": 2,'
        '  "depends_on": [{"task": "build", "type": "FS"}]}], "required_tests": ["unit"]}'
    )
    click(qtbot, body.json_dialog.ok_button)
    click(qtbot, section.save_button)
    [t] = templates.list_templates(store.ctx)
    assert t.name == "Standard patch" and t.release_type == "patch"
    assert [x["id"] for x in t.body["tasks"]] == ["build", "deploy"]
    assert "after FS build" in section.outline.text()
    store.undo_stack.undo()
    assert templates.list_templates(store.ctx) == []


def test_a_rule_from_structured_rows(page, qtbot, store):
    section = open_section(page, "Rules")
    form = section.form
    type_into(qtbot, form.editors["name"], "Security review for risky releases")
    choose(form.editors["event"], "on_create")
    cond = section.conditions.add_row()
    choose(cond.field, "risk")
    choose(cond.op, "gte")
    type_into(qtbot, cond.value, "high")
    action = section.action_rows.add_row()
    choose(action.action, "require_test")
    type_into(qtbot, action.details, "kind=security")
    click(qtbot, section.save_button)
    [r] = rules.list_rules(store.ctx)
    assert r.conditions == [{"field": "risk", "op": "gte", "value": "high"}]
    assert r.actions == [{"action": "require_test", "kind": "security"}]

    # a bad value is named with its row; nothing changes
    choose(section.conditions.rows[0].field, "type")
    type_into(qtbot, section.conditions.rows[0].value, "huge")
    choose(section.conditions.rows[0].op, "eq")
    click(qtbot, section.save_button)
    assert "conditions[0].value" in section.conditions.error_text()
    assert rules.list_rules(store.ctx)[0].conditions[0]["field"] == "risk"

    click(qtbot, section.delete_button)
    answer_delete(section)  # Delete asks first
    assert rules.list_rules(store.ctx) == []
    store.undo_stack.undo()
    assert [x.name for x in rules.list_rules(store.ctx)] == ["Security review for risky releases"]


def _transition(ctx, from_state, to_state):
    return next(
        t
        for t in workflow.list_transitions(ctx)
        if (t.from_state, t.to_state) == (from_state, to_state)
    )


def test_a_workflow_guard_change_with_undo(page, qtbot, store, qtmodeltester):
    section = open_section(page, "Workflow").transitions
    states = page.sections["Workflow"].states
    qtmodeltester.check(section.model)
    qtmodeltester.check(states.model)
    t = workflow.list_transitions(store.ctx)[0]
    select(section, t.id)
    before = list(t.guards)
    assert len(section.guards.rows) == len(before)
    row = section.guards.add_row()
    choose(row.guard, "review_recorded")
    row.soft.setChecked(True)
    click(qtbot, section.save_button)
    after = _transition(store.ctx, t.from_state, t.to_state).guards
    assert after == [*before, {"guard": "review_recorded", "param": None, "soft": True}]
    store.undo_stack.undo()
    assert _transition(store.ctx, t.from_state, t.to_state).guards == before
    store.undo_stack.redo()
    assert _transition(store.ctx, t.from_state, t.to_state).guards[-1]["guard"] == "review_recorded"

    # a guard listed twice is refused, named with its row
    select(section, t.id)
    row = section.guards.add_row()
    choose(row.guard, "review_recorded")
    click(qtbot, section.save_button)
    assert "listed twice" in section.guards.error_text()


def test_workflow_states_add_move_and_delete_with_undo(page, qtbot, store):
    states = open_section(page, "Workflow").states
    n = len(workflow.list_states(store.ctx))
    type_into(qtbot, states.form.editors["name"], "Security Review")
    click(qtbot, states.save_button)
    names = [s.name for s in workflow.list_states(store.ctx)]
    assert names[-1] == "Security Review" and len(names) == n + 1
    click(qtbot, states.up_button)
    assert [s.name for s in workflow.list_states(store.ctx)][-2] == "Security Review"
    click(qtbot, states.delete_button)
    answer_delete(states)  # Delete asks first
    assert "Security Review" not in [s.name for s in workflow.list_states(store.ctx)]
    store.undo_stack.undo()
    assert [s.name for s in workflow.list_states(store.ctx)][-2] == "Security Review"

    # a state with releases in it cannot be deleted: the reason is shown
    first = workflow.list_states(store.ctx)[0]
    select(states, first.name)
    click(qtbot, states.delete_button)
    answer_delete(states)  # Delete asks first
    assert "Cannot delete state Planning: 3 releases are in it" in states.form.error_text()


def test_a_state_role_is_shown_and_edited_with_undo(page, qtbot, store):
    states = open_section(page, "Workflow").states
    select(states, "Deployed")
    row = states.model.rows.index(states.current)
    role_column = [c.title for c in states.columns].index("Role")
    assert states.model.data(states.model.index(row, role_column)) == "Deployed"
    assert states.form.editors["role"].currentData() == "deployed"
    type_into(qtbot, states.form.editors["name"], "Live")  # renamed: the role stays
    choose(states.form.editors["role"], "")  # and then no role at all
    click(qtbot, states.save_button)
    live = {s.name: s for s in workflow.list_states(store.ctx)}["Live"]
    assert live.role is None
    store.undo_stack.undo()
    assert {s.name: s.role for s in workflow.list_states(store.ctx)}["Deployed"] == "deployed"
    select(states, "Deployed")
    choose(states.form.editors["role"], "in_review")
    click(qtbot, states.save_button)
    assert {s.name: s.role for s in workflow.list_states(store.ctx)}["Deployed"] == "in_review"


@pytest.mark.parametrize("view", ["settings-rules", "deployments", "history"])
def test_screenshots_of_the_new_views_render(releases_ctx, tmp_path, qapp, view):
    from PySide6.QtGui import QImage

    from relman_desktop.views.shell.screenshot import render

    rules.create_rule(
        releases_ctx,
        "Pre-approve standard",
        "on_tests_recorded",
        [{"field": "type", "op": "eq", "value": "standard"}],
        [{"action": "auto_approve_stage", "stage": "CAB"}],
    )
    out = render(releases_ctx, view, tmp_path / f"{view}.png", size=(1366, 768), theme="dark")
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1366, 768)


def test_only_a_freeze_says_it_refuses_deployments(page, qtbot, store):
    """Issue 16: "refuse deployments inside it" showed on maintenance windows too, and a hard
    freeze's guard then offered an override."""
    section = open_section(page, "Calendar windows")
    form = section.form
    hard = form.editors["hard"]
    choose(form.editors["kind"], "maintenance")
    assert hard.text() == "only freezes are hard or soft" and not hard.isEnabled()
    choose(form.editors["kind"], "freeze")
    assert hard.text() == "refuse deployments inside it (a hard freeze cannot be overridden)"
    assert hard.isEnabled()
    windows.create_window(
        store.ctx,
        title="Saturday maintenance",
        kind="maintenance",
        start=dt.datetime(2026, 12, 5, 22, tzinfo=dt.UTC),
        end=dt.datetime(2026, 12, 6, 4, tzinfo=dt.UTC),
    )
    windows.create_window(
        store.ctx,
        title="Year-end freeze",
        kind="freeze",
        start=dt.datetime(2026, 12, 19, tzinfo=dt.UTC),
        end=dt.datetime(2027, 1, 4, tzinfo=dt.UTC),
    )
    store.calendar_changed.emit()
    section.reload()
    rows = {
        section.model.data(section.model.index(r, 0)): section.model.data(section.model.index(r, 2))
        for r in range(section.model.rowCount())
    }
    assert rows == {"Saturday maintenance": "—", "Year-end freeze": "hard"}
    [maintenance] = [w for w in windows.list_windows(store.ctx) if w.kind == "maintenance"]
    select(section, maintenance.id)
    assert hard.text() == "only freezes are hard or soft" and not hard.isEnabled()
    # stored hard (the default), but a maintenance window's box does not read as ticked; the
    # stored value is kept, and shown again once the kind is a freeze
    assert maintenance.hard and not hard.isChecked()
    assert form.values()["hard"] is True
    choose(form.editors["kind"], "freeze")
    assert hard.isChecked() and hard.isEnabled()
    hard.setChecked(False)
    choose(form.editors["kind"], "maintenance")
    choose(form.editors["kind"], "freeze")
    assert not hard.isChecked() and form.values()["hard"] is False
