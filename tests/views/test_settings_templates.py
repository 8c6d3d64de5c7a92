"""Settings > Templates: a template's body built and edited through the structured form (tasks,
approval stages, required tests, rollback rehearsal) — read back through the service, refused
values shown at their row and cell with nothing saved, and one undo step per save."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QLineEdit, QSpinBox

from relman_desktop.services import templates
from relman_desktop.views.shell.commands import Refused


@pytest.fixture
def page(settings_page):
    return settings_page


@pytest.fixture
def section(page):
    page.show_section("Templates")
    return page.sections["Templates"]


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(qtbot, line, text: str) -> None:
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)


def open_editor(table):
    editor = table.indexWidget(table.currentIndex())
    assert editor is not None, "no cell editor is open"
    return editor


def fill_editor(qtbot, table, value) -> None:
    """Put ``value`` into the table's open cell editor as a user would, and press Enter to keep it."""
    editor = open_editor(table)
    if isinstance(editor, QComboBox) and editor.isEditable():
        editor.setCurrentIndex(editor.findData(value))
    elif isinstance(editor, QComboBox):
        assert editor.findData(value) >= 0, value
        editor.setCurrentIndex(editor.findData(value))
    elif isinstance(editor, QSpinBox):
        editor.lineEdit().selectAll()
        qtbot.keyClicks(editor.lineEdit(), str(value))
    else:
        assert isinstance(editor, QLineEdit)
        editor.selectAll()
        qtbot.keyClicks(editor, value)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # the view commits and closes the editor once Enter has been handled (a queued call)
    qtbot.waitUntil(lambda: table.state() != QAbstractItemView.State.EditingState)


def edit_cell(qtbot, table, row: int, key: str, value) -> None:
    """Go to the cell, open its editor with F2, enter ``value``."""
    table.go_to(row, table.body_model().column(key))
    qtbot.keyClick(table, Qt.Key.Key_F2)
    fill_editor(qtbot, table, value)


def cell(table, row: int, key: str) -> str:
    model = table.body_model()
    return model.index(row, model.column(key)).data()


def current_cell(table) -> tuple[int, str]:
    index = table.currentIndex()
    return index.row(), table.body_model().columns[index.column()].key


def add_task(qtbot, body, title: str, **cells) -> int:
    """Add a task with the button (its title cell opens for typing), then fill other cells."""
    click(qtbot, body.tasks.add_button)
    row = body.tasks.current()
    fill_editor(qtbot, body.tasks.table, title)
    for key, value in cells.items():
        edit_cell(qtbot, body.tasks.table, row, key, value)
    return row


def tick_approver(qtbot, body, email: str) -> None:
    item = body.approver_item(email)
    assert item is not None, email
    body.approvers.setFocus()
    body.approvers.setCurrentItem(item)
    qtbot.keyClick(body.approvers, Qt.Key.Key_Space)


def new_template(qtbot, section, name: str, release_type: str = "patch", days: str = "6") -> None:
    click(qtbot, section.new_button)
    type_into(qtbot, section.form.editors["name"], name)
    combo = section.form.editors["release_type"]
    combo.setCurrentIndex(combo.findData(release_type))
    type_into(qtbot, section.form.editors["default_duration_days"], days)


def two_tasks(qtbot, body) -> None:
    add_task(
        qtbot, body, "Build image", id="build", phase="build", role="release_team", duration_days=2
    )
    add_task(qtbot, body, "Deploy", id="deploy", phase="deploy", depends_on="build")


BUILD = {
    "id": "build",
    "title": "Build image",
    "phase": "build",
    "role": "release_team",
    "offset_days": 0,
    "duration_days": 2,
    "depends_on": [],
}
DEPLOY = {
    "id": "deploy",
    "title": "Deploy",
    "phase": "deploy",
    "role": None,
    "offset_days": 2,
    "duration_days": 1,
    "depends_on": [{"task": "build", "type": "FS", "lag_days": 0}],
}


def test_a_template_built_entirely_through_the_form(section, qtbot, store, qtmodeltester):
    body = section.body
    new_template(qtbot, section, "Standard patch")
    two_tasks(qtbot, body)
    # a third task placed from the keyboard: Insert adds it below the current one
    body.tasks.table.go_to(1, 0)
    qtbot.keyClick(body.tasks.table, Qt.Key.Key_Insert)
    fill_editor(qtbot, body.tasks.table, "Verify in production")
    edit_cell(qtbot, body.tasks.table, 2, "phase", "verify")
    edit_cell(qtbot, body.tasks.table, 2, "depends_on", "deploy SS+1, build")
    assert cell(body.tasks.table, 2, "id") == "T3"
    assert cell(body.tasks.table, 2, "offset_days") == "3"  # starts where the task above ends
    assert cell(body.tasks.table, 2, "depends_on") == "deploy SS+1, build FS"

    click(qtbot, body.stages.add_button)
    fill_editor(qtbot, body.stages.table, "Change board")
    assert body.approvers_label.text() == "Approvers of stage 1 “Change board”:"
    edit_cell(qtbot, body.stages.table, 0, "rule", "percent")
    edit_cell(qtbot, body.stages.table, 0, "percent", 60)
    tick_approver(qtbot, body, "bo@example.com")
    tick_approver(qtbot, body, "ann@example.com")
    assert cell(body.stages.table, 0, "approvers") == "bo@example.com, ann@example.com"
    click(qtbot, body.stages.add_button)
    fill_editor(qtbot, body.stages.table, "Business")
    edit_cell(qtbot, body.stages.table, 1, "rule", "first_response")
    tick_approver(qtbot, body, "ann@example.com")

    qtbot.mouseClick(body.tests["unit"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(body.tests["regression"], Qt.MouseButton.LeftButton)
    body.rehearsal.lineEdit().selectAll()
    qtbot.keyClicks(body.rehearsal.lineEdit(), "30")
    qtmodeltester.check(body.tasks_model)
    qtmodeltester.check(body.stages_model)

    click(qtbot, section.save_button)
    assert body.error_text() == "" and section.form.all_errors() == ""
    t = templates.get_template(store.ctx, "Standard patch")
    assert (t.release_type, t.default_duration_days) == ("patch", 6)
    assert t.body == {
        "tasks": [
            BUILD,
            DEPLOY,
            {
                "id": "T3",
                "title": "Verify in production",
                "phase": "verify",
                "role": None,
                "offset_days": 3,
                "duration_days": 1,
                "depends_on": [
                    {"task": "deploy", "type": "SS", "lag_days": 1},
                    {"task": "build", "type": "FS", "lag_days": 0},
                ],
            },
        ],
        "approval_stages": [
            {
                "name": "Change board",
                "rule": "percent",
                "percent": 60,
                "approvers": ["bo@example.com", "ann@example.com"],
            },
            {
                "name": "Business",
                "rule": "first_response",
                "percent": None,
                "approvers": ["ann@example.com"],
            },
        ],
        "required_tests": ["unit", "regression"],
        "rollback_rehearsal_days": 30,
    }
    assert (
        section.current.name == "Standard patch"
    )  # the new template stays selected, its rows shown
    assert [cell(body.tasks.table, i, "id") for i in range(3)] == ["build", "deploy", "T3"]
    assert "after FS build" in section.outline.text()
    assert store.undo_stack.count() == 1
    store.undo_stack.undo()
    assert templates.list_templates(store.ctx) == []


def test_renaming_moving_and_removing_tasks_keeps_the_dependencies_right(section, qtbot):
    body = section.body
    new_template(qtbot, section, "Moves")
    two_tasks(qtbot, body)
    edit_cell(qtbot, body.tasks.table, 0, "id", "image")
    assert (
        cell(body.tasks.table, 1, "depends_on") == "image FS"
    )  # the rename follows into the dependency

    body.tasks.table.go_to(1, 1)
    qtbot.keyClick(body.tasks.table, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert [cell(body.tasks.table, i, "id") for i in range(2)] == ["deploy", "image"]
    assert current_cell(body.tasks.table) == (0, "title")  # the moved row stays current
    click(qtbot, body.tasks.down_button)
    assert [cell(body.tasks.table, i, "id") for i in range(2)] == ["image", "deploy"]

    body.tasks.table.go_to(0, 0)
    qtbot.keyClick(body.tasks.table, Qt.Key.Key_Delete)
    assert [r["id"] for r in body.tasks_model.rows] == ["deploy"]
    assert body.draft()["tasks"][0]["depends_on"] == []  # no link to a task that is gone


def test_an_unknown_dependency_is_refused_at_its_row_and_nothing_saved(section, qtbot, store):
    body = section.body
    new_template(qtbot, section, "Unknown")
    two_tasks(qtbot, body)
    edit_cell(qtbot, body.tasks.table, 1, "depends_on", "build, bild")
    click(qtbot, section.save_button)
    assert (
        body.tasks.error.shown_text
        == "Task 2 (deploy), depends on: no task 'bild' in this template"
    )
    assert current_cell(body.tasks.table) == (1, "depends_on")
    assert templates.list_templates(store.ctx) == []
    assert store.undo_stack.count() == 0


def test_a_loop_is_refused_naming_its_rows(section, qtbot, store):
    body = section.body
    new_template(qtbot, section, "Loop")
    two_tasks(qtbot, body)
    add_task(qtbot, body, "Verify", depends_on="deploy")
    edit_cell(qtbot, body.tasks.table, 0, "depends_on", "T3")
    click(qtbot, section.save_button)
    assert body.tasks.error.shown_text.startswith(
        "Loop: Task 1 (build) → Task 2 (deploy) → Task 3 (T3) → Task 1 (build)"
    )
    assert current_cell(body.tasks.table) == (0, "depends_on")  # the link that closes it
    assert templates.list_templates(store.ctx) == []
    assert store.undo_stack.count() == 0


def test_a_duplicate_id_is_refused_at_its_row(section, qtbot, store):
    body = section.body
    new_template(qtbot, section, "Twice")
    two_tasks(qtbot, body)
    edit_cell(qtbot, body.tasks.table, 1, "id", "build")
    click(qtbot, section.save_button)
    assert body.tasks.error.shown_text == "Task 2, id: 'build' is already the id of task 1"
    assert current_cell(body.tasks.table) == (1, "id")
    assert templates.list_templates(store.ctx) == []


def test_the_services_refusals_land_on_their_cell(section, qtbot, store):
    body = section.body
    new_template(qtbot, section, "Refused")
    two_tasks(qtbot, body)
    add_task(qtbot, body, "")  # no title: the service names tasks[2].title
    click(qtbot, section.save_button)
    assert body.tasks.error.shown_text == "Task 3 (T3), title: must be non-empty text"
    assert current_cell(body.tasks.table) == (2, "title")
    assert templates.list_templates(store.ctx) == []

    edit_cell(qtbot, body.tasks.table, 2, "title", "Smoke test")
    click(qtbot, body.stages.add_button)
    fill_editor(qtbot, body.stages.table, "CAB")
    edit_cell(qtbot, body.stages.table, 0, "rule", "percent")  # and no percent given
    click(qtbot, section.save_button)
    assert body.tasks.error.shown_text == ""
    assert body.stages.error.shown_text == (
        "Approval stage 1 (CAB), percent: the percent rule needs a whole "
        "number from 1 to 100, not None"
    )
    assert current_cell(body.stages.table) == (0, "percent")
    assert templates.list_templates(store.ctx) == []
    assert store.undo_stack.count() == 0

    # any path the service names finds its cell, e.g. a duration
    section.show_refusal(
        Refused("tasks[1].duration_days: must be 0 or more, not -1", "tasks[1].duration_days")
    )
    assert body.tasks.error.shown_text == "Task 2 (deploy), duration: must be 0 or more, not -1"
    assert current_cell(body.tasks.table) == (1, "duration_days")

    edit_cell(qtbot, body.stages.table, 0, "percent", 50)
    click(qtbot, section.save_button)
    assert body.error_text() == ""
    assert templates.get_template(store.ctx, "Refused").body["approval_stages"][0]["percent"] == 50


def existing(store) -> None:
    templates.create_template(
        store.ctx,
        "Standard minor",
        "minor",
        {
            "tasks": [BUILD, DEPLOY],
            "approval_stages": [
                {
                    "name": "CAB",
                    "rule": "majority",
                    "approvers": ["ann@example.com", "bo@example.com"],
                }
            ],
            "required_tests": ["regression", "unit"],
            "rollback_rehearsal_days": 90,
        },
        default_duration_days=8,
    )


def test_editing_an_existing_template_shows_its_rows(section, qtbot, store, qtmodeltester):
    existing(store)
    section.reload()
    assert section.select("Standard minor")
    body = section.body
    tasks = body.tasks.table
    assert [
        [
            cell(tasks, r, k)
            for k in ("id", "title", "phase", "role", "offset_days", "duration_days", "depends_on")
        ]
        for r in range(2)
    ] == [
        ["build", "Build image", "Build", "Release team", "0", "2", ""],
        ["deploy", "Deploy", "Deploy", "", "2", "1", "build FS"],
    ]
    assert [[cell(body.stages.table, 0, k) for k in ("name", "rule", "percent", "approvers")]] == [
        ["CAB", "Majority", "", "ann@example.com, bo@example.com"]
    ]
    assert body.approvers_label.text() == "Approvers of stage 1 “CAB”:"
    ticked = {
        body.approvers.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(body.approvers.count())
        if body.approvers.item(i).checkState() == Qt.CheckState.Checked
    }
    assert ticked == {"ann@example.com", "bo@example.com"}
    assert [k for k, box in body.tests.items() if box.isChecked()] == ["unit", "regression"]
    assert body.rehearsal.value() == 90
    qtmodeltester.check(body.tasks_model)

    click(qtbot, section.save_button)  # saved unchanged: the same body, the tests in their order
    assert templates.get_template(store.ctx, "Standard minor").body["required_tests"] == [
        "regression",
        "unit",
    ]
    assert templates.get_template(store.ctx, "Standard minor").body["tasks"] == [BUILD, DEPLOY]


def test_undo_restores_the_previous_body(section, qtbot, store):
    existing(store)
    section.reload()
    section.select("Standard minor")
    body = section.body
    before = templates.get_template(store.ctx, "Standard minor").body
    edit_cell(qtbot, body.tasks.table, 1, "duration_days", 3)
    qtbot.mouseClick(body.tests["unit"], Qt.MouseButton.LeftButton)  # no longer required
    body.rehearsal.lineEdit().selectAll()
    qtbot.keyClick(body.rehearsal.lineEdit(), Qt.Key.Key_Delete)
    qtbot.keyClicks(body.rehearsal.lineEdit(), "0")  # "not required"
    click(qtbot, section.save_button)
    after = templates.get_template(store.ctx, "Standard minor").body
    assert after["tasks"][1]["duration_days"] == 3
    assert (after["required_tests"], after["rollback_rehearsal_days"]) == (["regression"], None)
    assert store.undo_stack.count() == 1

    store.undo_stack.undo()
    assert templates.get_template(store.ctx, "Standard minor").body == before
    assert cell(body.tasks.table, 1, "duration_days") == "1"  # the form shows the restored body
    assert body.rehearsal.value() == 90 and body.tests["unit"].isChecked()
    store.undo_stack.redo()
    assert templates.get_template(store.ctx, "Standard minor").body == after


def test_edit_as_json_replaces_the_form_without_saving(section, qtbot, store):
    existing(store)
    section.reload()
    section.select("Standard minor")
    body = section.body
    click(qtbot, body.json_button)
    dialog = body.json_dialog
    assert dialog is not None and dialog.isVisible()
    assert '"id": "build"' in dialog.text.toPlainText()

    dialog.text.setPlainText('{"tasks": [')
    click(qtbot, dialog.ok_button)
    assert dialog.error.shown_text.startswith("Not valid JSON")
    dialog.text.setPlainText(
        '{"tasks": [{"id": "a", "title": "A", "phase": "build", "duration_days": -1}]}'
    )
    click(qtbot, dialog.ok_button)
    assert dialog.error.shown_text == "tasks[0].duration_days: must be 0 or more, not -1"
    assert dialog.isVisible()

    dialog.text.setPlainText(
        '{"tasks": [{"id": "a", "title": "Only task", "phase": "test"}],'
        ' "required_tests": ["security"]}'
    )
    click(qtbot, dialog.ok_button)
    assert not dialog.isVisible()
    assert [cell(body.tasks.table, 0, k) for k in ("id", "title", "phase")] == [
        "a",
        "Only task",
        "Test",
    ]
    assert body.stages_model.rowCount() == 0
    assert templates.get_template(store.ctx, "Standard minor").body["tasks"] == [
        BUILD,
        DEPLOY,
    ]  # not yet saved
    click(qtbot, section.save_button)
    saved = templates.get_template(store.ctx, "Standard minor").body
    assert [t["id"] for t in saved["tasks"]] == ["a"] and saved["required_tests"] == ["security"]


def test_ctrl_return_saves_what_is_being_typed_in_a_cell(section, qtbot, store):
    existing(store)
    section.reload()
    section.select("Standard minor")
    table = section.body.tasks.table
    table.go_to(0, table.body_model().column("title"))
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = open_editor(table)
    editor.selectAll()
    qtbot.keyClicks(editor, "Build and sign image")
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # no Enter first
    assert (
        templates.get_template(store.ctx, "Standard minor").body["tasks"][0]["title"]
        == "Build and sign image"
    )
    assert store.undo_stack.count() == 1
