"""A refusal shown as a line of its own starts with a capital: service messages are clauses
("the deployment of … was changed by …") so that they read inside other sentences too."""

from __future__ import annotations

import pytest

from relman_desktop.models.entities import Deployment
from relman_desktop.services import evidence
from relman_desktop.services.text import as_sentence
from relman_desktop.views.shell.commands import Refused


def test_a_stale_edit_is_refused_in_the_status_bar_as_a_sentence(window, store, releases_ctx):
    ctx = releases_ctx
    dep_id = evidence.record_deployment(ctx, "REL-2026-001", "production")
    with ctx.plan.read() as s:
        loaded = s.get(Deployment, dep_id).row_version  # what the form shows
    evidence.update_deployment(ctx, dep_id, wave="wave 1")  # someone else saves first
    with pytest.raises(Refused) as refused:
        store.edits.update_deployment(
            store.edits.deployment(dep_id), "edit wave", {"wave": "wave 2"}, {"wave": None}, loaded
        )
    assert str(refused.value).startswith("the deployment of")  # a clause, as the service says
    store.error.emit(str(refused.value))  # as the editors hand a refusal to the status bar
    line = window.statusBar().currentMessage()
    assert line.startswith("⚠ The deployment of REL-2026-001 to production was changed by "), line


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("the meeting 'CAB' is closed", "The meeting 'CAB' is closed"),
        ("cannot create the folder /x: denied", "Cannot create the folder /x: denied"),
        ("x.relman is not a plan file", "x.relman is not a plan file"),  # a file name
        ("ana@example.com is not in this plan", "ana@example.com is not in this plan"),
        ("REL-2026-001 is closed", "REL-2026-001 is closed"),
        ("'alpha' is not a state", "'alpha' is not a state"),
    ],
)
def test_only_an_ordinary_first_word_is_capitalised(message, shown):
    assert as_sentence(message) == shown
