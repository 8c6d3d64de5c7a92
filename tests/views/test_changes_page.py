"""The Changes page: the sortable, filtered list; creating and editing a change through its form
(a refused value shown under its field, nothing saved); delete, bundle and remove, each undoable."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from relman_desktop.services import approvals, changes
from relman_desktop.views.changes.changes_page import COLUMN, ChangesPage, PageChangesModel

KEY = "REL-2026-001"


@pytest.fixture
def page(store, qtbot):
    ctx = store.ctx
    for key, title, approval, category in (
        ("CHG-001", "Checkout API v2", "approved", "feature"),
        ("CHG-002", "Card vault migration", "pending", "security"),
        ("CHG-003", "Drop legacy endpoint", "rejected", "fix"),
        ("CHG-004", "Fraud rules update", "approved", "configuration"),
    ):
        changes.create_change(
            ctx,
            {
                "key": key,
                "title": title,
                "type": "normal",
                "category": category,
                "approval": approval,
                "risk": "medium",
                "requester_email": "ann@example.com",
            },
        )
    changes.bundle_change(ctx, "CHG-004", KEY)
    approvals.add_stage(ctx, KEY, "CAB", "all", ["ann@example.com"])
    approvals.decide(ctx, approvals.approval_id_for(ctx, KEY, "CAB", "ann@example.com"), "approved")
    w = ChangesPage(store)
    qtbot.addWidget(w)
    w.resize(1300, 760)
    w.show()
    qtbot.waitExposed(w)
    return w


def keys(store) -> list[str]:
    return [c.key for c in changes.list_changes(store.ctx)]


def fill(page: ChangesPage, **values: str) -> None:
    for name, text in values.items():
        editor = page.form.editors[name]
        if hasattr(editor, "findData") and editor.findData(text) >= 0:
            editor.setCurrentIndex(editor.findData(text))
        elif hasattr(editor, "setPlainText"):
            editor.setPlainText(text)
        else:
            editor.setText(text)


def test_model_passes_qtmodeltester(page, qtmodeltester):
    qtmodeltester.check(page.model)
    qtmodeltester.check(page.proxy)
    qtmodeltester.check(PageChangesModel())


def test_lists_every_change_with_every_column(page):
    m = page.model
    assert [m.headerData(i, Qt.Orientation.Horizontal) for i in range(m.columnCount())] == [
        "Key",
        "Title",
        "Type",
        "Category",
        "Approval",
        "Risk",
        "Release",
        "CIs",
        "Requester",
        "Created",
    ]
    row = m.row_of("CHG-004")
    assert m.index(row, COLUMN["release"]).data() == KEY
    assert m.index(row, COLUMN["requester"]).data() == "Ann Lee"
    assert page.count_label.text() == "4 changes"


def test_filters_and_search(page):
    page.set_filter(page.approval_filter, "approved")
    assert page.shown_keys() == ["CHG-001", "CHG-004"]
    page.set_filter(page.bundled_filter, "no")
    assert page.shown_keys() == ["CHG-001"]
    page.clear_filters()
    page.set_filter(page.release_filter, KEY)
    assert page.shown_keys() == ["CHG-004"]
    page.clear_filters()
    page.set_filter(page.category_filter, "security")
    assert page.shown_keys() == ["CHG-002"]
    page.clear_filters()
    page.search.setText("legacy")
    assert page.shown_keys() == ["CHG-003"]
    assert page.count_label.text() == "1 of 4 changes shown"


def test_sorts_by_risk_and_by_title(page, store):
    changes.update_change(store.ctx, "CHG-002", {"risk": "critical"})
    changes.update_change(store.ctx, "CHG-003", {"risk": "low"})
    page.reload()
    page.table.sortByColumn(COLUMN["risk"], Qt.SortOrder.AscendingOrder)
    assert page.shown_keys()[0] == "CHG-003" and page.shown_keys()[-1] == "CHG-002"
    page.table.sortByColumn(COLUMN["title"], Qt.SortOrder.AscendingOrder)
    assert page.shown_keys() == ["CHG-002", "CHG-001", "CHG-003", "CHG-004"]


def test_create_a_change_through_the_form_and_undo_redo(page, store, qtbot):
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    fill(
        page,
        key="CHG-010",
        title="Rotate TLS certificates",
        type="standard",
        category="security",
        approval="approved",
        risk="high",
        requester_email="bo@example.com",
        created_at="2026-10-01 09:30",
        external_ref="JIRA-77",
        release_note="Certificates rotated.",
    )
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    row = changes.get_change(store.ctx, "CHG-010")
    assert (row.title, row.type, row.category, row.approval, row.risk) == (
        "Rotate TLS certificates",
        "standard",
        "security",
        "approved",
        "high",
    )
    assert row.requester_email == "bo@example.com" and row.external_ref == "JIRA-77"
    assert row.release_note == "Certificates rotated." and row.created_at is not None
    assert page.current.key == "CHG-010" and page.save_button.text() == "Save changes"
    store.undo_stack.undo()
    assert "CHG-010" not in keys(store)
    assert page.model.row_of("CHG-010") < 0
    store.undo_stack.redo()
    assert changes.get_change(store.ctx, "CHG-010").title == "Rotate TLS certificates"


@pytest.mark.parametrize(
    ("field", "text", "reason"),
    [
        ("requester_email", "nobody@example.com", "Unknown person 'nobody@example.com'"),
        ("cis", "no-such-ci", "CIs: no configuration item 'no-such-ci'"),
        ("key", "CHG-001", "Key: CHG-001 is already used by another change"),
        ("created_at", "tomorrow", "Created: 'tomorrow' is not a date and time (YYYY-MM-DD HH:MM)"),
    ],
)
def test_a_bad_value_is_refused_under_its_field_and_nothing_is_saved(
    page, store, field, text, reason
):
    page.new()
    fill(page, key="CHG-020", title="Something")
    fill(page, **{field: text})
    depth = store.undo_stack.count()
    assert page.save() is False
    assert page.form.error_text(field) == reason
    assert page.form.errors[field].isVisible()
    assert keys(store) == ["CHG-001", "CHG-002", "CHG-003", "CHG-004"]
    assert store.undo_stack.count() == depth


def test_edit_a_change_and_undo_redo(page, store):
    assert page.select_key("CHG-001")
    fill(page, title="Checkout API v3", risk="high", cis="")
    assert page.save()
    assert (
        changes.get_change(store.ctx, "CHG-001").title,
        changes.get_change(store.ctx, "CHG-001").risk,
    ) == ("Checkout API v3", "high")
    assert store.undo_stack.undoText() == "edit change CHG-001"
    store.undo_stack.undo()
    row = changes.get_change(store.ctx, "CHG-001")
    assert (row.title, row.risk) == ("Checkout API v2", "medium")
    assert page.form.editors["title"].text() == "Checkout API v2"  # the form follows the undo
    store.undo_stack.redo()
    assert changes.get_change(store.ctx, "CHG-001").title == "Checkout API v3"


def test_an_empty_title_is_refused_on_edit(page, store):
    page.select_key("CHG-001")
    fill(page, title="")
    assert page.save() is False
    assert page.form.error_text("title") == "Title must not be empty"
    assert changes.get_change(store.ctx, "CHG-001").title == "Checkout API v2"


def test_delete_and_undo_brings_it_back_into_its_release(page, store):
    page.select_key("CHG-004")
    assert page.delete()
    assert "CHG-004" not in keys(store)
    store.undo_stack.undo()
    row = changes.get_change(store.ctx, "CHG-004")
    assert (row.title, row.release, row.category, row.requester_email) == (
        "Fraud rules update",
        KEY,
        "configuration",
        "ann@example.com",
    )
    store.undo_stack.redo()
    assert "CHG-004" not in keys(store)


def test_delete_of_a_pending_change_in_a_release_is_undone_with_its_approval(page, store):
    changes.update_change(store.ctx, "CHG-001", {"approval": "approved"})
    changes.bundle_change(store.ctx, "CHG-001", KEY)
    changes.update_change(store.ctx, "CHG-001", {"approval": "pending"})
    page.reload()
    page.select_key("CHG-001")
    assert page.delete()
    store.undo_stack.undo()
    row = changes.get_change(store.ctx, "CHG-001")
    assert (row.release, row.approval) == (KEY, "pending")


def test_bundle_an_approved_change_and_undo_redo(page, store, qtbot):
    page.select_key("CHG-001")
    assert page.bundle_button.isVisible() and page.bundle_button.isEnabled()
    page.release_choice.setCurrentIndex(page.release_choice.findData("REL-2026-002"))
    qtbot.mouseClick(page.bundle_button, Qt.MouseButton.LeftButton)
    assert changes.get_change(store.ctx, "CHG-001").release == "REL-2026-002"
    assert page.release_label.text() == "In REL-2026-002"
    store.undo_stack.undo()
    assert changes.get_change(store.ctx, "CHG-001").release is None
    store.undo_stack.redo()
    assert changes.get_change(store.ctx, "CHG-001").release == "REL-2026-002"


def test_a_change_that_is_not_approved_cannot_be_bundled_and_says_why(page, store):
    page.select_key("CHG-002")
    assert not page.bundle_button.isEnabled()
    assert page.bundle_reason.text() == (
        "It cannot be bundled: CHG-002 is pending, and only approved changes can be bundled."
    )
    assert page.bundle(KEY) is False  # even when asked directly, the service's reason is shown
    assert (
        page.bundle_error.text() == "CHG-002 is pending, and only approved changes can be bundled"
    )
    assert changes.get_change(store.ctx, "CHG-002").release is None


def test_remove_from_its_release_resets_approvals_and_undo_redo(page, store):
    page.select_key("CHG-004")
    assert page.unbundle_button.isVisible()
    assert page.unbundle()
    assert changes.get_change(store.ctx, "CHG-004").release is None
    assert approvals.list_stages(store.ctx, KEY)[0].approvers[0].decision == "pending"
    store.undo_stack.undo()
    assert changes.get_change(store.ctx, "CHG-004").release == KEY
    store.undo_stack.redo()
    assert changes.get_change(store.ctx, "CHG-004").release is None


def test_double_click_on_the_release_opens_it_in_the_editor(window, store, qtbot):
    changes.create_change(
        store.ctx,
        {
            "key": "CHG-100",
            "title": "T",
            "type": "normal",
            "category": "fix",
            "approval": "approved",
        },
    )
    changes.bundle_change(store.ctx, "CHG-100", KEY)
    window.show()
    assert window.show_page("changes")
    page = window.page_widgets["changes"]
    assert isinstance(page, ChangesPage)
    qtbot.waitUntil(lambda: page.loads > 0, timeout=10_000)  # the rows are read in the background
    page.select_key("CHG-100")
    index = page.proxy.index(0, COLUMN["release"])
    page.table.scrollTo(index)
    qtbot.waitUntil(
        lambda: page.table.viewport().rect().contains(page.table.visualRect(index).center()),
        timeout=10_000,
    )
    rect = page.table.visualRect(index)
    # A real double-click is a press, a release, then the double-click (the view compares them).
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_page() == "releases"
    assert window.editor.key == KEY


def test_selecting_a_bundled_change_shows_its_release_in_the_inspector(window, store, qtbot):
    changes.create_change(
        store.ctx,
        {
            "key": "CHG-200",
            "title": "Bundled",
            "type": "normal",
            "category": "fix",
            "approval": "approved",
        },
    )
    changes.create_change(
        store.ctx,
        {
            "key": "CHG-201",
            "title": "Loose",
            "type": "normal",
            "category": "fix",
            "approval": "approved",
        },
    )
    changes.bundle_change(store.ctx, "CHG-200", "REL-2026-003")
    window.show()
    assert window.show_page("changes")
    page = window.page_widgets["changes"]
    page.reload()
    qtbot.waitUntil(lambda: page.loads > 0 and not page.loading, timeout=10_000)
    assert page.select_key("CHG-200")
    assert window.inspector.values["key"].text() == "REL-2026-003"
    assert window.inspector.title.text() == "Invoice export to PDF"
    assert page.select_key("CHG-201")  # in no release: the inspector keeps the last release
    assert window.inspector.values["key"].text() == "REL-2026-003"


def test_the_changes_table_fits_a_laptop_screen_with_the_inspector_open(window, store, qtbot):
    window.resize(1366, 768)
    window.show()
    assert window.show_page("changes")
    page = window.page_widgets["changes"]
    qtbot.waitExposed(page)
    shown = [name for name, i in COLUMN.items() if not page.table.isColumnHidden(i)]
    assert {"key", "title", "approval", "release"} <= set(shown)
    assert "created" not in shown  # the first to go
    qtbot.waitUntil(lambda: page.table.horizontalScrollBar().maximum() == 0)


def test_unsaved_edits_to_a_change_are_kept_until_the_user_says_save_or_discard(page, store, qtbot):
    from PySide6.QtWidgets import QMessageBox

    assert page.select_key("CHG-001")
    fill(page, title="Checkout API v3")
    assert page.select_key("CHG-002")  # another change chosen with the title edited
    assert page.current.key == "CHG-001" and page.form.editors["title"].text() == "Checkout API v3"
    box = page.unsaved_prompt
    assert box is not None and "CHG-001 has changes that are not saved" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert page.current.key == "CHG-001" and page.form.editors["title"].text() == "Checkout API v3"

    page.new()  # New asks too; Save keeps the edit, then the empty form opens
    page.unsaved_prompt.button(QMessageBox.StandardButton.Save).click()
    assert {c.key: c.title for c in changes.list_changes(store.ctx)}["CHG-001"] == "Checkout API v3"
    assert page.current is None and page.form.editors["key"].text() == ""

    fill(page, key="CHG-009", title="Half typed")
    assert page.select_key("CHG-003")
    page.unsaved_prompt.button(QMessageBox.StandardButton.Discard).click()
    assert page.current.key == "CHG-003"
    assert "CHG-009" not in keys(store)


def test_closing_the_window_or_opening_another_plan_asks_about_unsaved_edits(
    window, store, qtbot, tmp_path
):
    from PySide6.QtWidgets import QMessageBox

    changes.create_change(
        store.ctx,
        {
            "key": "CHG-001",
            "title": "Checkout API v2",
            "type": "normal",
            "category": "feature",
            "approval": "approved",
        },
    )
    window.show()
    assert window.show_page("changes")
    page = window.page_widgets["changes"]
    page.reload()
    qtbot.waitUntil(lambda: page.loads > 0 and not page.loading, timeout=10_000)
    assert page.select_key("CHG-001")
    fill(page, title="Typed, not saved")

    window.close()  # refused while the edit is unsaved: the window stays, a question is asked
    assert window.isVisible()
    box = page.unsaved_prompt
    assert box is not None and "before closing the window" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert window.isVisible() and page.form.editors["title"].text() == "Typed, not saved"

    other = tmp_path / "other.relman"
    assert window.open_plan(other, create=True) is False  # waits for the answer
    assert store.plan_path != other
    box = page.unsaved_prompt
    assert "before opening another plan" in box.informativeText()
    old_ctx = store.ctx
    box.button(QMessageBox.StandardButton.Save).click()
    assert {c.key: c.title for c in changes.list_changes(old_ctx)}["CHG-001"] == "Typed, not saved"
    assert store.plan_path == other  # saved first, in the old plan; then the other plan opened

    window.close()  # nothing unsaved now: it closes at once
    assert not window.isVisible()


def test_the_selection_follows_its_row_through_a_sort_and_a_reload_stays_sorted(page, store):
    """The model sorts its own rows (issue 16: fast on 25,000 changes): what a user sees is the
    same as a proxy sort: order by the header, the selected change still selected, a filter
    still applied, and rows read again arrive in the chosen order."""
    assert page.select_key("CHG-003")
    page.table.sortByColumn(COLUMN["title"], Qt.SortOrder.DescendingOrder)
    assert page.shown_keys() == ["CHG-004", "CHG-003", "CHG-001", "CHG-002"]
    selected = page.table.selectionModel().selectedRows()
    assert [i.data(Qt.ItemDataRole.DisplayRole) for i in selected] == ["CHG-003"]
    assert page.current is not None and page.current.key == "CHG-003"
    page.search.setText("approved")  # the two approved changes, still in title order
    assert page.shown_keys() == ["CHG-004", "CHG-001"]
    page.search.setText("")
    changes.create_change(
        store.ctx,
        {
            "key": "CHG-005",
            "title": "Zero-downtime schema change",
            "type": "normal",
            "category": "feature",
            "risk": "low",
        },
    )
    page.reload()
    assert page.shown_keys() == ["CHG-005", "CHG-004", "CHG-003", "CHG-001", "CHG-002"]
    assert page.table.horizontalHeader().sortIndicatorSection() == COLUMN["title"]


def test_the_page_opens_on_a_placeholder_and_the_rows_arrive_from_the_worker(store, qtbot):
    """Issue 16: the first open shows the page at once and reads in the background; a change
    chosen before its row arrived is selected when it does."""
    from relman_desktop.views.shell.worker import Worker

    for n in (1, 2, 3):
        changes.create_change(
            store.ctx,
            {"key": f"CHG-00{n}", "title": f"Change {n}", "type": "normal", "category": "fix"},
        )
    worker = Worker()
    page = ChangesPage(store, worker=worker)
    qtbot.addWidget(page)
    page.show()  # the read is on a pool thread: its answer waits for the event loop
    assert page.placeholder.isVisibleTo(page) and not page.table.isVisibleTo(page)
    assert page.model.rowCount() == 0 and page.count_label.text() == "Reading…"
    assert page.select_key("CHG-002")  # asked for before the rows are in
    qtbot.waitUntil(lambda: page.loads == 1, timeout=10_000)
    assert not page.placeholder.isVisibleTo(page) and page.table.isVisibleTo(page)
    assert page.shown_keys() == ["CHG-001", "CHG-002", "CHG-003"]
    assert page.current.key == "CHG-002" and page.box.title() == "CHG-002: Change 2"
    # an edit elsewhere is announced: the page reads again in the background, keeping the choice
    changes.create_change(
        store.ctx, {"key": "CHG-004", "title": "Change 4", "type": "normal", "category": "fix"}
    )
    store.changes_changed.emit("")
    qtbot.waitUntil(lambda: page.loads == 2, timeout=10_000)
    assert not page.placeholder.isVisibleTo(page)  # only the first read shows it
    assert page.count_label.text() == "4 changes"
    assert page.current.key == "CHG-002"
    worker.drain()
