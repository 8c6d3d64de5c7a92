"""Edit > Undo of a transition takes back what its rules did, and the open Approvals tab follows:
the stage a rule added on the move goes with the undo, and comes back with the redo."""

from __future__ import annotations

import pytest

from relman_desktop.services import approvals, releases, rules
from relman_desktop.services.changeset import Kind

KEY = "REL-2026-001"
RULE = "high risk gets a CAB"
WAIT_MS = 15_000  # an upper bound so a broken test ends, not a speed check


@pytest.fixture
def tab(window, store):
    rules.create_rule(
        store.ctx,
        RULE,
        "on_status_change",
        [{"field": "risk", "op": "gte", "value": "high"}],
        [{"action": "add_stage", "name": "CAB", "rule": "all", "approvers": ["bo@example.com"]}],
    )
    releases.update_release(store.ctx, KEY, {"scope": "checkout pages"})
    window.open_release(KEY, "Approvals")
    tab = window.editor.tab_widgets["Approvals"]
    assert tab.stages_model.rowCount() == 0
    return tab


def shown(tab) -> list[str]:
    return [r.name for r in tab.stages_model.rows]


def test_undo_of_a_transition_drops_the_stage_its_rule_added_and_redo_brings_it_back(
    window, store, tab
):
    heard = []
    said: list[str] = []
    store.changed.connect(heard.append)
    store.message.connect(said.append)
    assert store.transition(KEY, "Build")
    assert shown(tab) == ["CAB"]
    stage_id = str(approvals.list_stages(store.ctx, KEY)[0].id)

    window.actions_by_name["undo"].trigger()  # Edit > Undo (Ctrl+Z)

    assert said[-1] == f"Undone: move {KEY} to Build"  # the status bar says what Ctrl+Z did

    assert store.release(KEY).status == "Planning"
    assert shown(tab) == []
    assert heard[-1].deleted(Kind.APPROVALS) == {stage_id}  # the undo's change set names it
    assert KEY in heard[-1].releases(Kind.RELEASES)

    window.actions_by_name["redo"].trigger()  # the move again: its rule acts again, once
    assert said[-1] == f"Redone: move {KEY} to Build"

    assert store.release(KEY).status == "Build"
    assert shown(tab) == ["CAB"]
    window.actions_by_name["undo"].trigger()
    assert (store.release(KEY).status, shown(tab)) == ("Planning", [])


def test_undo_is_refused_in_one_line_when_the_stage_was_decided_since(window, store, tab, qtbot):
    errors: list[str] = []
    store.error.connect(errors.append)
    assert store.transition(KEY, "Build")
    bo = approvals.approval_id_for(store.ctx, KEY, "CAB", "bo@example.com")
    approvals.decide(store.ctx, bo, "approved", "fine by me")  # e.g. in the CAB presenter

    window.actions_by_name["undo"].trigger()

    assert errors == [
        f"Undo of “move {KEY} to Build” was refused: the CAB stage the rule '{RULE}' added has "
        f"a decision by Bo Chen since; take that decision back first, or move {KEY} back "
        "through its lifecycle (the stage then stays)"
    ]
    assert store.release(KEY).status == "Build"
    assert shown(tab) == ["CAB"]
    qtbot.waitUntil(lambda: store.undo_stack.index() == 1, timeout=WAIT_MS)  # still undoable
    assert store.undo_stack.undoText() == f"move {KEY} to Build"
