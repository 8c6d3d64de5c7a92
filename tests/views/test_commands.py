"""The one undo mechanism (views/shell/commands.py): an edit runs now and goes on the stack only if the
services accept it; a refused one is put back and never reaches the stack; an undo the plan no
longer allows is reported and dropped; rows re-created by an undo are found again through a Ref."""

from __future__ import annotations

import datetime as dt

import pytest

from relman_desktop.services import tasks, windows
from relman_desktop.views.shell.commands import Ref, Refused, Step, edit, op, ref
from relman_desktop.views.shell.store import Store

KEY = "REL-2026-001"


@pytest.fixture
def heard(store):
    """What the status bar and the views would hear from the store."""
    got: dict[str, list] = {"error": [], "message": [], "tasks_changed": []}
    store.error.connect(got["error"].append)
    store.message.connect(got["message"].append)
    store.tasks_changed.connect(got["tasks_changed"].append)
    return got


@pytest.fixture
def two_tasks(store):
    for local_id, title in (("T1", "Build"), ("T2", "Test")):
        tasks.add_task(store.ctx, KEY, {"local_id": local_id, "title": title})
    # written past the store, as another program would: take them in now, or the store's poll
    # timer announces them ("Changed elsewhere: 2 tasks changed") mid-test on a slow machine
    assert store.check_outside_changes() is not None
    return store


def titles(store) -> dict[str, str]:
    return {t.local_id: t.title for t in tasks.list_tasks(store.ctx, KEY)}


def retitle(local_id: str, new: str, old: str) -> Step:
    return Step(
        op(tasks.update_task, KEY, local_id, {"title": new}),
        op(tasks.update_task, KEY, local_id, {"title": old}),
    )


def test_an_accepted_edit_is_saved_at_once_and_is_one_undo_step(two_tasks, heard):
    store = two_tasks
    edit(store, "edit title of task T1", retitle("T1", "Build it", "Build"))

    assert titles(store)["T1"] == "Build it"
    assert store.undo_stack.count() == 1
    assert store.undo_stack.undoText() == "edit title of task T1"  # what Edit > Undo shows
    assert heard["message"] == ["Saved: edit title of task T1"]
    assert heard["tasks_changed"] == [KEY]

    store.undo_stack.undo()
    assert titles(store)["T1"] == "Build"
    store.undo_stack.redo()
    assert titles(store)["T1"] == "Build it"
    assert heard["tasks_changed"] == [KEY] * 3
    assert heard["error"] == []


def test_pushing_does_not_run_the_edit_a_second_time(store):
    local_id = edit(
        store,
        "add task",
        Step(
            op(tasks.add_task, KEY, {"title": "Deploy"}),
            backward_from=lambda lid: op(tasks.delete_task, KEY, lid),
        ),
    )
    assert local_id == "T1"
    assert titles(store) == {"T1": "Deploy"}  # one task, not two: Qt's redo on push was skipped
    store.undo_stack.undo()
    assert titles(store) == {}


def test_a_refused_edit_never_reaches_the_stack_and_names_its_field(two_tasks, heard):
    store = two_tasks
    with pytest.raises(Refused) as refused:
        edit(store, "edit title of task T1", retitle("T1", "", "Build"))

    assert str(refused.value) == "Title must not be empty"
    assert refused.value.field == "title"
    assert store.undo_stack.count() == 0
    assert titles(store)["T1"] == "Build"
    assert heard == {
        "error": [],
        "message": [],
        "tasks_changed": [],
    }  # nothing landed, nothing to re-read


def test_no_plan_open_is_a_refusal(qtbot):
    with pytest.raises(Refused, match="no plan is open"):
        edit(Store(), "edit title of task T1", retitle("T1", "x", "y"))


def test_a_step_refused_part_way_puts_back_the_steps_before_it(two_tasks, heard):
    store = two_tasks
    with pytest.raises(Refused, match="Title must not be empty"):
        edit(
            store,
            "set title of 2 tasks",
            [retitle("T1", "Renamed", "Build"), retitle("T2", "", "Test")],
        )

    assert titles(store) == {"T1": "Build", "T2": "Test"}
    assert store.undo_stack.count() == 0
    assert heard["tasks_changed"] == [KEY]  # T1 did change for a moment: the views re-read
    assert heard["error"] == []


def test_a_call_refused_inside_one_step_is_rolled_back(two_tasks, heard):
    store = two_tasks
    step = Step(
        [
            op(tasks.update_task, KEY, "T1", {"title": "Renamed"}),
            op(tasks.update_task, KEY, "T2", {"title": ""}),
        ],
        [
            op(tasks.update_task, KEY, "T2", {"title": "Test"}),
            op(tasks.update_task, KEY, "T1", {"title": "Build"}),
        ],
        rollback=[op(tasks.update_task, KEY, "T1", {"title": "Build"})],
    )
    with pytest.raises(Refused):
        edit(store, "rename both", step)

    assert titles(store) == {"T1": "Build", "T2": "Test"}
    assert store.undo_stack.count() == 0
    assert heard["tasks_changed"] == [KEY]


def test_several_steps_are_one_undo_step(two_tasks):
    store = two_tasks
    edit(
        store,
        "set title of 2 tasks",
        [retitle("T1", "A", "Build"), retitle("T2", "B", "Test")],
        saved_message=False,
    )

    assert titles(store) == {"T1": "A", "T2": "B"}
    assert store.undo_stack.count() == 1
    assert store.undo_stack.undoText() == "set title of 2 tasks"
    store.undo_stack.undo()
    assert titles(store) == {"T1": "Build", "T2": "Test"}
    store.undo_stack.redo()
    assert titles(store) == {"T1": "A", "T2": "B"}


def test_an_undo_the_plan_no_longer_allows_is_reported_and_dropped(two_tasks, heard):
    store = two_tasks
    edit(store, "edit title of task T1", retitle("T1", "Build it", "Build"))
    tasks.delete_task(store.ctx, KEY, "T1")  # the plan moved on underneath the stack

    store.undo_stack.undo()

    [error] = heard["error"]
    assert error.startswith("Undo of “edit title of task T1” was refused: ")
    assert store.undo_stack.count() == 0  # obsolete: dropped, not left half-applied
    assert not store.undo_stack.canRedo()


def test_a_step_without_an_undo_is_saved_but_not_pushed(two_tasks, heard):
    store = two_tasks
    edit(store, "edit title of task T1", Step(op(tasks.update_task, KEY, "T1", {"title": "Final"})))

    assert titles(store)["T1"] == "Final"
    assert store.undo_stack.count() == 0
    assert heard["message"] == ["Saved: edit title of task T1 (this cannot be undone)"]
    assert heard["tasks_changed"] == [KEY]


def _window(title: str) -> dict:
    return {
        "title": title,
        "kind": "maintenance",
        "start": dt.datetime(2026, 12, 5, 22, 0),
        "end": dt.datetime(2026, 12, 6, 4, 0),
        "timezone": "UTC",
    }


def test_a_ref_follows_a_row_recreated_by_undoing_its_delete(store):
    target = Ref("calendar_window", -1)
    add = op(windows.create_window, **_window("Saturday"))
    add.rebinds, add.result_id = target, lambda info: info.id
    edit(store, "add window Saturday", Step(add, op(windows.delete_window, target)))
    first_id = target.id
    assert [w.id for w in windows.list_windows(store.ctx)] == [first_id]

    same = ref(store, "calendar_window", first_id)
    assert same is target  # every command about the row shares one Ref
    edit(
        store,
        "edit window Saturday",
        Step(
            op(windows.update_window, same, title="Sunday"),
            op(windows.update_window, same, title="Saturday"),
        ),
    )
    other = windows.create_window(
        store.ctx, **_window("Other")
    ).id  # so the row cannot get its old id back
    back = op(windows.create_window, **_window("Sunday"))
    back.rebinds, back.result_id = same, lambda info: info.id
    edit(store, "delete window Sunday", Step(op(windows.delete_window, same), back))
    assert [w.id for w in windows.list_windows(store.ctx)] == [other]

    store.undo_stack.undo()  # the delete: the window comes back under a new id
    [again] = [w for w in windows.list_windows(store.ctx) if w.id != other]
    assert again.title == "Sunday" and again.id not in (first_id, other)
    assert target.id == again.id and ref(store, "calendar_window", again.id) is target

    store.undo_stack.undo()  # the edit, made before the delete, still reaches the row
    assert {w.id: w.title for w in windows.list_windows(store.ctx)} == {
        again.id: "Saturday",
        other: "Other",
    }
    store.undo_stack.undo()  # and so does the add
    assert [w.id for w in windows.list_windows(store.ctx)] == [other]
    assert store.undo_stack.index() == 0 and store.undo_stack.count() == 3


def test_redo_runs_the_replay_and_undo_follows_what_it_answered(store):
    step = Step(
        op(tasks.add_task, KEY, {"title": "Deploy"}),
        backward_from=lambda lid: op(tasks.delete_task, KEY, lid),
        replay=lambda lid: op(tasks.add_task, KEY, {"local_id": lid, "title": "Deploy"}),
    )
    assert edit(store, "add task", step) == "T1"
    store.undo_stack.undo()
    tasks.add_task(
        store.ctx, KEY, {"local_id": "T5", "title": "Elsewhere"}
    )  # the next free id is now T6

    store.undo_stack.redo()
    assert titles(store) == {
        "T1": "Deploy",
        "T5": "Elsewhere",
    }  # the id the first run chose, not T6
    store.undo_stack.undo()
    assert titles(store) == {"T5": "Elsewhere"}
