"""The Tasks tab driven from the keyboard: typing into cells, Tab/Enter/Insert/Delete, multi-row
edits, the dependency editor, refused edits and undo/redo of each kind of edit."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate, QLocale, Qt
from PySide6.QtWidgets import QAbstractItemView, QCalendarWidget, QComboBox, QLineEdit

from relman_desktop.services import tasks
from relman_desktop.views.releases.tab_tasks import TasksTab
from relman_desktop.views.releases.task_model import (
    COLUMN_INDEX,
    DateCellEditor,
    DateSyntaxError,
    LinkSyntaxError,
    TaskModel,
    parse_date,
    parse_links,
)

KEY = "REL-2026-001"


@pytest.fixture
def tab(store, qtbot):
    ctx = store.ctx
    tasks.add_task(
        ctx,
        KEY,
        {
            "title": "Build image",
            "phase": "build",
            "assignee_email": "ann@example.com",
            "start": "2026-12-01",
            "end": "2026-12-03",
            "effort_hours": 16,
        },
    )
    tasks.add_task(
        ctx,
        KEY,
        {
            "title": "Deploy to staging",
            "phase": "deploy",
            "start": "2026-12-04",
            "end": "2026-12-04",
        },
    )
    tasks.add_task(ctx, KEY, {"title": "Smoke test", "phase": "test"})
    tasks.add_task_dependency(ctx, KEY, "T1", "T2", "FS", 0)
    w = TasksTab(store)
    qtbot.addWidget(w)
    w.set_release(KEY)
    w.resize(1200, 600)
    w.show()
    qtbot.waitExposed(w)
    return w


def rows(store):
    return {r.local_id: r for r in tasks.list_tasks(store.ctx, KEY)}


def open_editor(qtbot, tab, row: int, column: str):
    table = tab.table
    index = tab.model.index(row, COLUMN_INDEX[column])
    table.setFocus()
    table.setCurrentIndex(index)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = table.indexWidget(index)
    assert editor is not None, "no editor opened"
    return editor


def test_models_pass_qtmodeltester(tab, qtmodeltester):
    qtmodeltester.check(tab.model)
    qtmodeltester.check(TaskModel())


def test_table_shows_tasks_and_an_empty_row_to_type_into(tab):
    m = tab.model
    assert m.rowCount() == 4
    assert m.index(0, COLUMN_INDEX["assignee"]).data() == "Ann Lee"
    assert m.index(1, COLUMN_INDEX["predecessors"]).data() == "T1 FS"
    assert m.index(3, COLUMN_INDEX["title"]).data() == "Type a title to add a task…"
    assert tab.summary.text() == "3 tasks, 0 done"


def test_typing_a_title_then_tab_saves_and_moves_to_the_next_cell(tab, qtbot, store):
    editor = open_editor(qtbot, tab, 0, "title")
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "Build container image")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert rows(store)["T1"].title == "Build container image"
    assert tab.table.currentIndex().column() == COLUMN_INDEX["phase"]
    assert (
        tab.table.state() == QAbstractItemView.State.EditingState
    )  # the next cell is open for typing
    assert tab.model.index(0, COLUMN_INDEX["title"]).data() == "Build container image"
    # undo / redo of a cell edit
    store.undo_stack.undo()
    assert rows(store)["T1"].title == "Build image"
    assert tab.model.index(0, COLUMN_INDEX["title"]).data() == "Build image"
    store.undo_stack.redo()
    assert rows(store)["T1"].title == "Build container image"


def test_enter_saves_and_moves_down(tab, qtbot, store):
    editor = open_editor(qtbot, tab, 0, "effort")
    editor.selectAll()
    qtbot.keyClicks(editor, "24")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rows(store)["T1"].effort_hours == 24)
    qtbot.waitUntil(lambda: tab.table.currentIndex().row() == 1)
    assert tab.table.currentIndex().column() == COLUMN_INDEX["effort"]


def test_combo_box_cell_from_the_keyboard(tab, qtbot, store):
    editor = open_editor(qtbot, tab, 2, "status")
    assert isinstance(editor, QComboBox)
    qtbot.keyClick(editor, Qt.Key.Key_Down)  # todo → in progress
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert rows(store)["T3"].status == "in_progress"
    assert tab.model.index(2, COLUMN_INDEX["status"]).data() == "In progress"


def test_end_before_start_is_refused_with_the_reason_and_nothing_is_saved(tab, qtbot, store):
    editor = open_editor(qtbot, tab, 0, "end")
    assert isinstance(editor, DateCellEditor)
    qtbot.keyClicks(editor.line, "2026-11-20")
    qtbot.keyClick(editor.line, Qt.Key.Key_Tab)
    assert "before start" in tab.notice.shown_text
    assert "2026-11-20" in tab.notice.shown_text
    assert rows(store)["T1"].end == dt.date(2026, 12, 3)
    assert (
        tab.model.index(0, COLUMN_INDEX["end"]).data() == "2026-12-03"
    )  # the cell keeps its value
    assert store.undo_stack.count() == 0
    # put right: the reason goes away
    editor = open_editor(qtbot, tab, 0, "end")
    qtbot.keyClicks(editor.line, "2026-12-05")
    qtbot.keyClick(editor.line, Qt.Key.Key_Tab)
    assert rows(store)["T1"].end == dt.date(2026, 12, 5)
    assert tab.notice.shown_text == ""


def test_typing_into_the_empty_row_adds_a_task(tab, qtbot, store):
    editor = open_editor(qtbot, tab, 3, "title")
    qtbot.keyClicks(editor, "Rollback rehearsal")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert rows(store)["T4"].title == "Rollback rehearsal"
    assert tab.model.rowCount() == 5
    assert tab.table.currentIndex().row() == 3  # on the new task, in the next column
    assert tab.table.currentIndex().column() == COLUMN_INDEX["phase"]
    store.undo_stack.undo()
    assert "T4" not in rows(store)
    store.undo_stack.redo()
    assert rows(store)["T4"].title == "Rollback rehearsal"


def test_any_key_on_the_empty_row_starts_a_task(tab, qtbot, store):
    table = tab.table
    table.setFocus()
    table.setCurrentIndex(tab.model.index(3, COLUMN_INDEX["title"]))
    qtbot.keyClicks(table, "V")  # typing starts editing, like a spreadsheet
    editor = table.indexWidget(tab.model.index(3, COLUMN_INDEX["title"]))
    qtbot.keyClicks(editor, "erify")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "T4" in rows(store))
    assert rows(store)["T4"].title == "Verify"
    qtbot.waitUntil(
        lambda: tab.table.currentIndex().row() == 4
    )  # back on the empty row for the next one


@pytest.mark.parametrize(
    "key, modifier",
    [
        (Qt.Key.Key_Insert, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier),
    ],
)
def test_insert_or_ctrl_n_adds_a_task_below_and_opens_its_title(tab, qtbot, store, key, modifier):
    tab.table.setFocus()
    tab.table.setCurrentIndex(tab.model.index(0, COLUMN_INDEX["title"]))
    qtbot.keyClick(tab.table, key, modifier)
    assert [r.local_id for r in tasks.list_tasks(store.ctx, KEY)] == ["T1", "T4", "T2", "T3"]
    assert tab.table.currentIndex().row() == 1
    editor = tab.table.indexWidget(tab.model.index(1, COLUMN_INDEX["title"]))
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "Scan image")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert rows(store)["T4"].title == "Scan image"


def test_enter_on_the_empty_row_adds_a_task(tab, qtbot, store):
    tab.table.setFocus()
    tab.table.setCurrentIndex(tab.model.index(3, COLUMN_INDEX["phase"]))
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    assert rows(store)["T4"].title == "New task"
    assert tab.table.state() == QAbstractItemView.State.EditingState


def test_delete_removes_selected_tasks_and_undo_restores_their_links(tab, qtbot, store):
    tab.table.setFocus()
    tab.table.setCurrentIndex(tab.model.index(0, 1))
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert sorted(rows(store)) == ["T2", "T3"]
    assert rows(store)["T2"].predecessors == []
    assert tab.model.rowCount() == 3
    store.undo_stack.undo()
    assert sorted(rows(store)) == ["T1", "T2", "T3"]
    assert rows(store)["T2"].predecessors == [{"task": "T1", "type": "FS", "lag_days": 0}]
    assert rows(store)["T1"].assignee_email == "ann@example.com"
    assert [r.local_id for r in tab.model.rows] == ["T1", "T2", "T3"]
    store.undo_stack.redo()
    assert sorted(rows(store)) == ["T2", "T3"]


def test_deleting_several_tasks_is_one_undo_step(tab, qtbot, store):
    sm = tab.table.selectionModel()
    tab.table.setCurrentIndex(tab.model.index(0, 1))
    sm.select(tab.model.index(1, 1), sm.SelectionFlag.Select)
    tab.delete_button.click()
    assert sorted(rows(store)) == ["T3"]
    assert store.undo_stack.count() == 1
    store.undo_stack.undo()
    assert sorted(rows(store)) == ["T1", "T2", "T3"]
    assert rows(store)["T2"].predecessors == [{"task": "T1", "type": "FS", "lag_days": 0}]


def test_multi_row_edit_sets_status_for_all_selected_in_one_undo_step(tab, qtbot, store):
    sm = tab.table.selectionModel()
    tab.table.setCurrentIndex(tab.model.index(0, COLUMN_INDEX["status"]))
    for row in (1, 2):
        sm.select(tab.model.index(row, COLUMN_INDEX["status"]), sm.SelectionFlag.Select)
    combo = tab.bulk["status"]
    i = combo.findData("done")
    combo.setCurrentIndex(i)
    combo.activated.emit(i)
    assert {r.status for r in rows(store).values()} == {"done"}
    assert combo.currentIndex() == 0  # ready for the next choice
    assert store.undo_stack.count() == 1
    assert store.undo_stack.undoText() == "set status of 3 tasks to Done"
    store.undo_stack.undo()
    assert {r.status for r in rows(store).values()} == {"todo"}
    store.undo_stack.redo()
    assert {r.status for r in rows(store).values()} == {"done"}
    # the assignee too
    combo = tab.bulk["assignee_email"]
    i = combo.findData("bo@example.com")
    combo.setCurrentIndex(i)
    combo.activated.emit(i)
    assert {r.assignee_email for r in rows(store).values()} == {"bo@example.com"}


def test_dependency_editor_adds_a_link_with_type_and_lag_and_undo_removes_it(tab, qtbot, store):
    tab.table.setCurrentIndex(tab.model.index(2, 1))  # T3
    panel = tab.links
    assert panel.task.local_id == "T3"
    panel.predecessor.setCurrentIndex(panel.predecessor.findData("T2"))
    panel.link_type.setCurrentIndex(panel.link_type.findData("SS"))
    panel.lag.setValue(2)
    panel.add_button.click()
    assert rows(store)["T3"].predecessors == [{"task": "T2", "type": "SS", "lag_days": 2}]
    assert tab.model.index(2, COLUMN_INDEX["predecessors"]).data() == "T2 SS+2"
    assert panel.links.count() == 1
    store.undo_stack.undo()
    assert rows(store)["T3"].predecessors == []
    store.undo_stack.redo()
    assert rows(store)["T3"].predecessors == [{"task": "T2", "type": "SS", "lag_days": 2}]
    # remove it again from the panel, and undo puts it back with its type and lag
    tab.table.setCurrentIndex(tab.model.index(2, 1))
    panel.remove_button.click()
    assert rows(store)["T3"].predecessors == []
    store.undo_stack.undo()
    assert rows(store)["T3"].predecessors == [{"task": "T2", "type": "SS", "lag_days": 2}]


def test_a_link_closing_a_loop_is_refused_and_the_loop_named(tab, qtbot, store):
    tab.table.setCurrentIndex(tab.model.index(0, 1))  # T1; T2 already waits on T1
    panel = tab.links
    panel.predecessor.setCurrentIndex(panel.predecessor.findData("T2"))
    panel.add_button.click()
    assert panel.notice.shown_text == "That task dependency would close a loop: T1 → T2 → T1"
    assert rows(store)["T1"].predecessors == []
    assert store.undo_stack.count() == 0


def test_typing_predecessors_links_tasks_and_refuses_a_loop(tab, qtbot, store):
    editor = open_editor(qtbot, tab, 2, "predecessors")
    qtbot.keyClicks(editor, "T1 FS+2, T2 SS")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert rows(store)["T3"].predecessors == [
        {"task": "T1", "type": "FS", "lag_days": 2},
        {"task": "T2", "type": "SS", "lag_days": 0},
    ]
    assert store.undo_stack.count() == 1  # two links, one undo step
    editor = open_editor(qtbot, tab, 0, "predecessors")
    qtbot.keyClicks(editor, "T3")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert "would close a loop: T1 → T3 → T1" in tab.notice.shown_text
    assert rows(store)["T1"].predecessors == []
    assert tab.model.index(0, COLUMN_INDEX["predecessors"]).data() == ""
    store.undo_stack.undo()
    assert rows(store)["T3"].predecessors == []


def test_changing_a_link_type_keeps_nothing_half_saved_when_refused(tab, qtbot, store):
    editor = open_editor(qtbot, tab, 1, "predecessors")  # T2: "T1 FS" → "T1 SS, T9"
    editor.selectAll()
    qtbot.keyClicks(editor, "T1 SS, T9")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert "T9" in tab.notice.shown_text
    assert rows(store)["T2"].predecessors == [{"task": "T1", "type": "FS", "lag_days": 0}]
    assert store.undo_stack.count() == 0


def test_percent_and_assignee_cells(tab, qtbot, store):
    editor = open_editor(qtbot, tab, 1, "percent")
    editor.selectAll()
    qtbot.keyClicks(editor, "40")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert rows(store)["T2"].percent_complete == 40
    editor = open_editor(qtbot, tab, 1, "assignee")
    editor.setCurrentIndex(editor.findData("bo@example.com"))
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert rows(store)["T2"].assignee == "Bo Chen"


def test_empty_title_is_refused(tab, qtbot, store):
    editor = open_editor(qtbot, tab, 0, "title")
    editor.clear()
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert "Title must not be empty" in tab.notice.shown_text
    assert rows(store)["T1"].title == "Build image"


def test_parse_links():
    assert [(x.task, x.type, x.lag_days) for x in parse_links("T1 FS+2, T3 SS; T4, T5 ff-1")] == [
        ("T1", "FS", 2),
        ("T3", "SS", 0),
        ("T4", "FS", 0),
        ("T5", "FF", -1),
    ]
    assert parse_links("  ") == []
    with pytest.raises(LinkSyntaxError):
        parse_links("T1 XX")
    with pytest.raises(LinkSyntaxError):
        parse_links("T1, T1 SS")


# --- tasks that schedule themselves (issue 16) ------------------------------------------------


def open_calendar(qtbot, editor: DateCellEditor) -> QCalendarWidget:
    qtbot.keyClick(editor.line, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert editor.popup is not None and editor.popup.isVisible()
    assert editor.calendar is not None
    return editor.calendar


def test_the_calendar_opens_at_the_tasks_date_or_today_never_january_2000(tab, qtbot, store):
    editor = open_editor(qtbot, tab, 0, "start")
    calendar = open_calendar(qtbot, editor)
    assert (calendar.yearShown(), calendar.monthShown()) == (2026, 12)
    assert calendar.selectedDate() == QDate(2026, 12, 1)
    editor.popup.close()
    qtbot.keyClick(editor.line, Qt.Key.Key_Escape)
    # T3 has no dates: its calendar opens on today's month
    editor = open_editor(qtbot, tab, 2, "start")
    calendar = open_calendar(qtbot, editor)
    today = dt.date.today()
    assert (calendar.yearShown(), calendar.monthShown()) == (today.year, today.month)
    # picking a day saves it at once
    calendar.clicked.emit(QDate(today.year, today.month, 15))
    assert rows(store)["T3"].start == dt.date(today.year, today.month, 15)


def test_dates_typed_in_the_locales_short_format_are_read(tab, qtbot, store):
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    try:
        editor = open_editor(qtbot, tab, 2, "start")
        qtbot.keyClicks(editor.line, "12/7/26")
        qtbot.keyClick(editor.line, Qt.Key.Key_Tab)
    finally:
        QLocale.setDefault(QLocale.system())
    assert rows(store)["T3"].start == dt.date(2026, 12, 7)
    assert tab.model.index(2, COLUMN_INDEX["start"]).data() == "2026-12-07"


def test_a_bad_date_stays_typed_with_the_reason_and_esc_puts_back_the_old_one(tab, qtbot, store):
    editor = open_editor(qtbot, tab, 0, "end")
    qtbot.keyClicks(editor.line, "31 Febuary")
    qtbot.keyClick(editor.line, Qt.Key.Key_Tab)
    index = tab.model.index(0, COLUMN_INDEX["end"])
    assert tab.table.indexWidget(index) is editor  # still open
    assert editor.line.text() == "31 Febuary"  # nothing lost
    assert "End: “31 Febuary” is not a date" in tab.notice.shown_text
    assert rows(store)["T1"].end == dt.date(2026, 12, 3)
    qtbot.keyClick(editor.line, Qt.Key.Key_Escape)
    assert tab.table.indexWidget(index) is None
    assert index.data() == "2026-12-03"
    assert store.undo_stack.count() == 0


def test_parse_date_formats():
    us = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    uk = QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)
    assert parse_date("2026-12-03") == dt.date(2026, 12, 3)
    assert parse_date("12/3/26", locale=us) == dt.date(2026, 12, 3)
    assert parse_date("03/12/2026", locale=uk) == dt.date(2026, 12, 3)
    assert parse_date("  ") is None
    with pytest.raises(DateSyntaxError, match="Start: “soon” is not a date"):
        parse_date("soon", "Start", locale=us)


def test_duration_column_in_working_days_moves_the_end_and_what_waits_on_it(tab, qtbot, store):
    assert tab.model.index(0, COLUMN_INDEX["duration"]).data() == "3"  # Tue 1 – Thu 3 Dec
    assert tab.model.index(2, COLUMN_INDEX["duration"]).data() == ""  # no dates
    editor = open_editor(qtbot, tab, 0, "duration")
    editor.setValue(5)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    now = rows(store)
    assert now["T1"].end == dt.date(2026, 12, 7)  # five working days: Tue..Mon
    assert now["T2"].start == dt.date(2026, 12, 8)  # T2 waits on T1 (FS): moved with it
    assert tab.model.index(1, COLUMN_INDEX["start"]).data() == "2026-12-08"
    store.undo_stack.undo()  # one edit puts both back
    now = rows(store)
    assert (now["T1"].end, now["T2"].start) == (dt.date(2026, 12, 3), dt.date(2026, 12, 4))


def test_moving_a_tasks_start_keeps_its_length_and_moves_its_successor(tab, qtbot, store):
    editor = open_editor(qtbot, tab, 0, "start")
    qtbot.keyClicks(editor.line, "2026-12-03")
    qtbot.keyClick(editor.line, Qt.Key.Key_Tab)
    now = rows(store)
    assert (now["T1"].start, now["T1"].end) == (dt.date(2026, 12, 3), dt.date(2026, 12, 7))
    assert (now["T2"].start, now["T2"].end) == (dt.date(2026, 12, 8), dt.date(2026, 12, 8))
    assert store.undo_stack.count() == 1
    store.undo_stack.undo()
    now = rows(store)
    assert (now["T1"].start, now["T2"].start) == (dt.date(2026, 12, 1), dt.date(2026, 12, 4))


def test_a_lag_typed_in_predecessors_moves_the_successor(tab, qtbot, store):
    editor = open_editor(qtbot, tab, 1, "predecessors")
    qtbot.keyClicks(editor, "T1 FS+2")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert rows(store)["T2"].start == dt.date(2026, 12, 8)  # Thu + 2 working days → Tue
    store.undo_stack.undo()
    assert rows(store)["T2"].start == dt.date(2026, 12, 4)
    assert rows(store)["T2"].predecessors == [{"task": "T1", "type": "FS", "lag_days": 0}]


def test_done_sets_100_percent(tab, qtbot, store):
    tab.table.setCurrentIndex(tab.model.index(2, COLUMN_INDEX["title"]))
    assert tab.set_for_selected("status", "done")
    assert tab.model.index(2, COLUMN_INDEX["percent"]).data() == "100 %"
    store.undo_stack.undo()
    assert tab.model.index(2, COLUMN_INDEX["percent"]).data() == "0 %"


def test_a_public_holiday_is_not_a_working_day_in_the_column_or_on_the_gantt(tab, qtbot, store):
    from relman_desktop.services import windows
    from relman_desktop.views.calendar.gantt_data import load_tasks

    holiday = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)  # the Wednesday inside T1
    windows.create_window(
        store.ctx,
        title="Public holiday",
        kind="holiday",
        start=holiday,
        end=holiday + dt.timedelta(days=1),
    )
    tab.set_release(KEY)
    assert tab.model.index(0, COLUMN_INDEX["duration"]).data() == "2"  # Tue 1, Thu 3
    editor = open_editor(qtbot, tab, 0, "duration")
    editor.setValue(3)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert tab.model.index(0, COLUMN_INDEX["duration"]).data() == "3"
    assert tab.model.index(0, COLUMN_INDEX["end"]).data() == "2026-12-04"  # one day later: Fri
    assert tab.model.index(1, COLUMN_INDEX["start"]).data() == "2026-12-07"  # T2 (FS 0): Mon
    # the Gantt draws each task bar from the same dates the tab shows
    bars = {t.local_id: (t.start, t.end) for t in load_tasks(store.ctx, KEY)}
    for row, task in enumerate(("T1", "T2")):
        shown = tuple(
            dt.date.fromisoformat(tab.model.index(row, COLUMN_INDEX[c]).data())
            for c in ("start", "end")
        )
        assert bars[task] == shown, task
    assert bars["T1"] == (dt.date(2026, 12, 1), dt.date(2026, 12, 4))
