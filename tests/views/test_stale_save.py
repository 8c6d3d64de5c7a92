"""Optimistic locking from the release editor (issue 12): a save made from a form that shows an
old version of the release is refused with who changed it and when, shown beside the field;
nothing is overwritten, the typing is kept, and after a reload the save goes through."""

from __future__ import annotations

import datetime as dt

import pytest

from relman_desktop.models.planfile import open_plan
from relman_desktop.services import releases
from relman_desktop.services.base import Ctx

KEY = "REL-2026-001"
AT_1042 = dt.datetime(2026, 11, 27, 10, 42, tzinfo=dt.UTC)


@pytest.fixture
def elsewhere(store):
    """The same plan opened a second time, as `relman` or another person's window would."""
    plan = open_plan(store.ctx.plan.path)
    yield Ctx(plan, actor="cli@example.com", clock=lambda: AT_1042)
    plan.close()


def leave_field(line) -> None:
    line.setFocus()
    line.editingFinished.emit()


def test_a_save_from_a_stale_form_is_refused_in_the_form(window, store, elsewhere):
    window.show()
    window.open_release(KEY, "Overview")
    overview = window.editor.overview
    field = overview.editors["application"]
    loaded = overview.version
    assert loaded is not None
    errors: list[str] = []
    store.error.connect(errors.append)
    undo_steps = store.undo_stack.count()

    # someone else saves the release while this form shows it (before this window hears of it)
    releases.update_release(elsewhere, KEY, {"title": "Payments v2"})
    field.setText("Checkout")
    leave_field(field)

    said = f"{KEY} was changed by cli@example.com at 10:42; reload and try again"
    assert overview.errors["application"].text() == said  # beside the field, one line
    assert errors == [said]
    assert field.text() == "Checkout"  # the typing is kept
    detail = releases.get_release(elsewhere, KEY)
    assert (detail.title, detail.application) == ("Payments v2", "Payments")  # theirs, not ours
    assert store.undo_stack.count() == undo_steps  # nothing to undo: nothing was written

    overview.reload()  # what the window does when it hears of the change
    assert overview.version == loaded + 1
    leave_field(field)
    assert releases.get_release(elsewhere, KEY).application == "Checkout"
    assert releases.get_release(elsewhere, KEY).title == "Payments v2"
    # a second save from the same form is not refused by the form's own first one
    field.setText("Checkout EU")
    leave_field(field)
    assert releases.get_release(elsewhere, KEY).application == "Checkout EU"
    assert overview.errors["application"].text() == ""

    # undo and redo check no version (they are this window's own history)
    store.undo_stack.undo()
    assert releases.get_release(elsewhere, KEY).application == "Checkout"
    store.undo_stack.redo()
    assert releases.get_release(elsewhere, KEY).application == "Checkout EU"
