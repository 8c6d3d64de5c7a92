"""The releases list of a big plan fills lazily (issue 19): the first page at once, the rest in
the background, and sort, filter, find and select-by-key keep working over the whole plan."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from relman_desktop.models.planfile import open_plan
from relman_desktop.services import releases as releases_service
from relman_desktop.services.base import Ctx
from relman_desktop.views.releases.releases_model import COLUMN_INDEX
from relman_desktop.views.releases.releases_view import FIRST_PAGE, LAZY_ABOVE, ReleasesView
from relman_desktop.views.shell.store import Store


@pytest.fixture
def held(monkeypatch):
    """The background read of the whole list waits until the test lets it go."""
    gate = threading.Event()
    real = releases_service.list_releases

    def list_releases(ctx, **kwargs):
        if not kwargs:  # the whole list (a first page or some keys are read at once)
            gate.wait(60)
        return real(ctx, **kwargs)

    monkeypatch.setattr(releases_service, "list_releases", list_releases)
    yield gate
    gate.set()


@pytest.fixture
def big_view(qtbot, big_plan_file, held):
    plan = open_plan(big_plan_file)
    store = Store(Ctx(plan))
    view = ReleasesView(store)
    qtbot.addWidget(view)
    view.resize(1366, 700)
    view.show()
    yield view
    held.set()
    view.rest.worker.wait(60_000)
    store.close_plan()


def keys(view) -> list[str]:
    return [view.proxy.index(r, COLUMN_INDEX["key"]).data() for r in range(view.proxy.rowCount())]


def test_a_big_plan_shows_its_first_page_and_then_every_release(qtbot, big_view, held):
    view = big_view
    assert 10_000 > LAZY_ABOVE
    assert not view.complete and view.model.rowCount() == FIRST_PAGE
    assert keys(view)[:2] == ["REL-00000", "REL-00001"]  # the first releases by key
    assert view.count_label.text() == f"{FIRST_PAGE} shown; reading 10,000 releases…"

    view.table.sortByColumn(COLUMN_INDEX["key"], Qt.SortOrder.DescendingOrder)
    view.select_key("REL-00150")
    held.set()
    qtbot.waitUntil(lambda: view.complete, timeout=60_000)
    assert view.model.rowCount() == 10_000 and view.count_label.text() == "10,000 releases"
    # the sort chosen while it was reading holds for every release; the selection stays
    assert keys(view)[:2] == ["REL-09999", "REL-09998"]
    assert view.current_key() == "REL-00150"


def test_a_key_not_read_yet_is_found_and_selected(qtbot, big_view, held):
    view = big_view
    assert view.model.row_of_key("REL-09876") < 0  # beyond the first page
    assert view.select_key("REL-09876")  # asked of the service
    assert view.current_key() == "REL-09876" and view.current_row().title.startswith(
        "Release 9876 "
    )
    view.set_search_text("rel-09321")  # Edit > Find with the key, as typed
    assert keys(view) == ["REL-09321"]
    view.set_search_text("")
    # the rows found early sit at their place in the sort, once each
    assert keys(view)[-2:] == ["REL-09321", "REL-09876"]
    assert view.model.rowCount() == FIRST_PAGE + 2
    assert not view.select_key("REL-99999")  # no such release: nothing selected, no error
    held.set()
    qtbot.waitUntil(lambda: view.complete, timeout=60_000)
    assert view.model.rowCount() == 10_000 and keys(view)[:2] == ["REL-00000", "REL-00001"]
    assert view.current_key() == "REL-09321"  # the one release the search showed stays current


def test_the_whole_list_replaces_the_first_page_with_the_filter_kept(qtbot, big_view, held):
    view = big_view
    view.set_search_text("hotfix app0")
    early = view.proxy.rowCount()
    assert 0 < early < 250  # matches among what is read so far
    held.set()
    qtbot.waitUntil(lambda: view.complete, timeout=60_000)
    assert view.proxy.rowCount() == 250  # every matching release of the plan
    assert view.count_label.text() == "250 of 10,000 releases shown"


def test_a_screenshot_of_a_big_plan_lists_every_release(qtbot, big_view, held):
    """``relman screenshot`` has no event loop: the list is read on the spot."""
    view = big_view
    held.set()
    view.load_here()
    assert view.complete and view.model.rowCount() == 10_000
    assert view.count_label.text() == "10,000 releases"


def test_opening_a_plan_reads_no_people_until_a_release_is_shown(
    window, store, tmp_path, monkeypatch, qtbot
):
    """The editor's hidden tabs (approvals, tasks, review) read the plan's people, thousands on
    a big plan, only once a release is shown: not while the plan opens."""
    from relman_desktop.exports.plan_copy import save_copy

    other = tmp_path / "other.relman"
    save_copy(store.ctx.plan, other)
    real = store.people
    calls: list[int] = []
    monkeypatch.setattr(store, "people", lambda: calls.append(1) or real())
    assert window.open_plan(other)
    assert calls == []
    window.open_release("REL-2026-001")
    approvals = window.editor.tab_widgets["Approvals"]
    assert approvals.person.findData("ann@example.com") >= 0  # the people are there to pick
    window.backups.worker.wait()  # the open's backup, copied in the background
