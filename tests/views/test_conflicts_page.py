"""The Conflicts page: every conflict in one table, filters, the way to the release and its
calendar bar, the suggested slot as one undoable click, and the clickable status-bar count."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from relman_desktop.services import changes, cis, releases, windows
from relman_desktop.views.conflicts.conflicts_page import ConflictsPage

UTC = dt.UTC


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def conflict_ctx(releases_ctx):
    """billing-db needs Saturday-night maintenance (22:00–04:00 UTC). REL-001 and REL-002 both
    change it on 5 December at the same time (C3); REL-002's 5-hour rollback does not fit (C7);
    REL-003 deploys inside the hard year-end freeze (C1)."""
    ctx = releases_ctx
    cis.create_ci(
        ctx,
        {
            "name": "billing-db",
            "ci_class": "database",
            "environment": "production",
            "requires_maintenance_window": True,
        },
    )
    windows.create_window(
        ctx,
        title="Saturday night maintenance",
        kind="maintenance",
        start=at(5, 22),
        end=at(6, 4),
        rrule="FREQ=WEEKLY;COUNT=20",
    )
    windows.create_window(
        ctx,
        title="Year-end freeze",
        kind="freeze",
        start=at(19, 0),
        end=dt.datetime(2027, 1, 4, tzinfo=UTC),
    )
    for n, key in enumerate(("REL-2026-001", "REL-2026-002", "REL-2026-003"), 1):
        changes.create_change(
            ctx,
            {
                "key": f"CHG-{n}",
                "title": f"Change {n}",
                "type": "normal",
                "category": "fix",
                "approval": "approved",
                "cis": ["billing-db"],
            },
        )
        changes.bundle_change(ctx, f"CHG-{n}", key)
    releases.update_release(
        ctx, "REL-2026-001", {"deploy_start": at(5, 22), "deploy_end": at(5, 23, 30)}
    )
    releases.update_release(
        ctx,
        "REL-2026-002",
        {"deploy_start": at(5, 23), "deploy_end": at(6, 0), "rollback_minutes": 300},
    )
    releases.update_release(
        ctx, "REL-2026-003", {"deploy_start": at(19, 22), "deploy_end": at(19, 23)}
    )
    return ctx


@pytest.fixture
def cwin(conflict_ctx, qtbot):
    from relman_desktop.views.shell.main_window import MainWindow
    from relman_desktop.views.shell.settings import Settings
    from relman_desktop.views.shell.store import Store

    store = Store(conflict_ctx)
    win = MainWindow(store, Settings.in_memory())
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    return win


def open_page(win, qtbot) -> ConflictsPage:
    page = win.page_widgets["conflicts"]
    assert isinstance(page, ConflictsPage)
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        win.show_page("conflicts")
    return page


def table_text(page: ConflictsPage) -> list[tuple[str, str, str]]:
    m = page.model
    return [
        (m.index(r, 0).data(), m.index(r, 1).data(), m.index(r, 2).data())
        for r in range(m.rowCount())
    ]


def test_the_page_lists_every_conflict_computed_in_the_background(cwin, qtbot):
    page = cwin.page_widgets["conflicts"]
    assert cwin.navigator.item(2).text() == "Conflicts"
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        cwin.show_page("conflicts")
        # until the background check answers, the page says so instead of an empty table
        assert page.stack.currentWidget() is page.placeholder
        assert page.placeholder.text() == "Checking the plan for conflicts…"
    assert page.stack.currentWidget() is page.table
    assert sorted(table_text(page)) == [
        ("C1 Freeze", "Error", "REL-2026-003"),
        ("C3 Same CI at the same time", "Error", "REL-2026-001, REL-2026-002"),
        ("C7 Rollback does not fit", "Warning", "REL-2026-002"),
    ]
    assert page.summary.text() == "2 errors, 1 warning"
    c1 = next(r for r in range(3) if page.model.index(r, 0).data().startswith("C1"))
    assert page.model.index(c1, 6).data() == "Year-end freeze"
    assert "inside the hard freeze" in page.model.index(c1, 3).data()
    assert cwin.conflicts_label.text() == "Conflicts: 2 errors, 1 warning"


def test_filters_by_rule_severity_release_ci_and_text(cwin, qtbot):
    page = open_page(cwin, qtbot)
    page.rule_filter.setCurrentIndex(page.rule_filter.findData("C3"))
    assert [t[0] for t in table_text(page)] == ["C3 Same CI at the same time"]
    assert page.summary.text() == "2 errors, 1 warning — 1 shown"
    page.clear_filters()
    page.severity_filter.setCurrentIndex(page.severity_filter.findData("warning"))
    assert [t[0] for t in table_text(page)] == ["C7 Rollback does not fit"]
    page.clear_filters()
    page.release_filter.setText("2026-00")  # part of a key, while it is typed: all of them
    page.apply_filters()  # what the typing timer does
    assert len(table_text(page)) == 3
    page.release_filter.setText("rel-2026-002")  # a whole key: only that release
    page.apply_filters()
    assert sorted(t[0] for t in table_text(page)) == [
        "C3 Same CI at the same time",
        "C7 Rollback does not fit",
    ]
    page.clear_filters()
    page.ci_filter.setText("billing")
    page.apply_filters()
    assert sorted(t[0] for t in table_text(page)) == [
        "C3 Same CI at the same time",
        "C7 Rollback does not fit",
    ]
    page.search.setText("300-minute rollback")
    page.apply_filters()
    assert [t[2] for t in table_text(page)] == ["REL-2026-002"]
    page.person_filter.setText("nobody@example.com")
    page.apply_filters()
    assert table_text(page) == []
    page.clear_filters()
    assert len(table_text(page)) == 3


def test_enter_opens_the_release_and_the_calendar_shows_its_bar(cwin, qtbot):
    page = open_page(cwin, qtbot)
    page.filter_release("REL-2026-003")
    assert page.table.currentIndex().row() == 0
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert cwin.current_page() == "releases"
    assert cwin.releases_page.currentWidget() is cwin.editor
    assert cwin.editor.key == "REL-2026-003"

    cwin.show_page("conflicts")
    page.filter_release("REL-2026-003")
    assert page.show_on_calendar()
    assert cwin.current_page() == "calendar"
    assert cwin.calendar_view.selected_key() == "REL-2026-003"


def test_the_suggested_slot_is_one_undoable_click(cwin, qtbot):
    page = open_page(cwin, qtbot)
    page.rule_filter.setCurrentIndex(page.rule_filter.findData("C3"))
    with qtbot.waitSignal(page.suggest_task.result, timeout=20_000):
        page.table.selectRow(0)
    # the later of the two clashing deployments moves, to a slot that raises no conflict: right
    # after REL-001 (23:30) its 5-hour rollback would not fit the window (C7), so a week later
    assert page.suggestion.text() == (
        "Suggested: move REL-2026-002 to 2026-12-12 22:00–23:00 (Saturday night maintenance) — "
        "first free slot in “Saturday night maintenance” on Sat 12 Dec, from today; rollback 5 h "
        "fits before the window closes at 04:00 (earlier free slots would raise a conflict: "
        "1 with C7)."
    )
    assert page.move_button.isEnabled()
    assert page.move_button.text() == "Move REL-2026-002 to 2026-12-12 22:00–23:00"

    with qtbot.waitSignal(page.loaded, timeout=20_000):
        qtbot.mouseClick(page.move_button, Qt.MouseButton.LeftButton)
    detail = releases.get_release(cwin.store.ctx, "REL-2026-002")
    assert detail.deploy_start == at(12, 22)
    assert detail.deploy_end == at(12, 23)
    page.clear_filters()
    # C3 and C7 are gone and the move raised nothing new
    assert table_text(page) == [("C1 Freeze", "Error", "REL-2026-003")]
    assert cwin.store.undo_stack.undoText() == (
        "move the deployment of REL-2026-002 to 2026-12-12 22:00–23:00"
    )

    with qtbot.waitSignal(page.loaded, timeout=20_000):
        cwin.store.undo_stack.undo()
    assert releases.get_release(cwin.store.ctx, "REL-2026-002").deploy_start == at(5, 23)
    assert len(table_text(page)) == 3


def test_a_double_booked_person_gets_no_slot_but_a_pointer_to_the_tasks(cwin, qtbot):
    page = open_page(cwin, qtbot)
    from relman_desktop.views.conflicts.conflict_rows import ConflictRow

    row = ConflictRow(
        "C4",
        "warning",
        ("REL-2026-001", "REL-2026-002"),
        (),
        ("ann@example.com",),
        (),
        "Ann has overlapping tasks",
        "c4",
    )
    page.model.set_rows([row])
    page.table.selectRow(0)
    assert page.suggestion.text().startswith("Moving a deployment does not help here")
    assert not page.move_button.isEnabled()


def test_the_status_bar_count_opens_the_conflicts_page(cwin, qtbot):
    cwin.conflict_status.count_here()
    assert cwin.conflicts_label.text() == "Conflicts: 2 errors, 1 warning"
    assert cwin.current_page() == "releases"
    qtbot.mouseClick(cwin.conflicts_label, Qt.MouseButton.LeftButton)
    assert cwin.current_page() == "conflicts"


def test_screenshot_renders_the_page(cwin, qtbot):
    from relman_desktop.views.shell.screens import SCREENSHOT_VIEWS

    SCREENSHOT_VIEWS["conflicts"](cwin, None)
    page = cwin.page_widgets["conflicts"]
    assert cwin.current_page() == "conflicts"
    assert page.stack.currentWidget() is page.table
    assert page.model.rowCount() == 3
    assert page.suggestion.text().startswith("Suggested: move ")


def test_badges_in_the_list_and_the_editor_lead_to_the_release_conflicts(cwin, qtbot):
    from relman_desktop.views.releases.releases_model import COLUMN_INDEX

    with qtbot.waitSignal(cwin.conflict_status.per_release, timeout=20_000):
        cwin.conflict_status.count_here()
    model = cwin.releases_view.model
    row = model.row_of_key("REL-2026-002")
    key_cell = model.index(row, COLUMN_INDEX["key"])
    assert key_cell.data(Qt.ItemDataRole.DecorationRole) is not None
    assert key_cell.data(Qt.ItemDataRole.ToolTipRole) == (
        "REL-2026-002: 2 conflicts (1 error, 1 warning) (Conflicts page)"
    )
    title_cell = model.index(row, COLUMN_INDEX["title"])
    assert title_cell.data(Qt.ItemDataRole.DecorationRole) is None

    cwin.open_release("REL-2026-002")
    badge = cwin.conflict_badge
    assert badge.isVisible() and badge.text() == "⚠ 2 conflicts (1 error, 1 warning)"
    page = cwin.page_widgets["conflicts"]
    # hidden, the page is not filled for nobody; it opens with the status bar's rows
    assert page.model.rows == []
    qtbot.mouseClick(badge, Qt.MouseButton.LeftButton)
    assert cwin.current_page() == "conflicts"
    assert len(page.model.rows) == 3 and not page.loading  # no second check of the plan
    assert cwin.conflict_status.tally.full_reads == 1
    assert page.stack.currentWidget() is page.table
    assert page.release_filter.text() == "REL-2026-002"
    assert sorted(t[0] for t in table_text(page)) == [
        "C3 Same CI at the same time",
        "C7 Rollback does not fit",
    ]


def test_a_release_without_conflicts_shows_no_badge(cwin, qtbot):
    releases.update_release(
        cwin.store.ctx, "REL-2026-003", {"deploy_start": None, "deploy_end": None}
    )
    with qtbot.waitSignal(cwin.conflict_status.per_release, timeout=20_000):
        cwin.conflict_status.count_here()
    cwin.open_release("REL-2026-003")
    assert not cwin.conflict_badge.isVisible()
    model = cwin.releases_view.model
    cell = model.index(model.row_of_key("REL-2026-003"), 0)
    assert cell.data(Qt.ItemDataRole.DecorationRole) is None


def test_an_edit_and_its_undo_update_the_count_page_and_badges_without_a_whole_plan_read(
    cwin, qtbot
):
    """One tally per plan, built once; an edit through the undo stack is applied to it (only the
    release it names is re-checked) and the status bar, the page and the badges follow."""
    from relman_desktop.views.releases.releases_model import COLUMN_INDEX
    from relman_desktop.views.shell.commands import Step, edit, op

    status = cwin.conflict_status
    status.count_here()
    tally = status.tally
    assert tally.full_reads == 1
    page = cwin.page_widgets["conflicts"]
    cwin.show_page("conflicts")
    assert cwin.conflicts_label.text() == "Conflicts: 2 errors, 1 warning"
    assert page.model.rowCount() == 3
    model = cwin.releases_view.model
    key_cell = model.index(model.row_of_key("REL-2026-003"), COLUMN_INDEX["key"])
    assert key_cell.data(Qt.ItemDataRole.ToolTipRole) == (
        "REL-2026-003: 1 conflict (1 error) (Conflicts page)"
    )

    # REL-2026-003 moves out of the freeze onto billing-db at the same time as 001 and 002
    before = {"deploy_start": at(19, 22), "deploy_end": at(19, 23)}
    after = {"deploy_start": at(5, 23), "deploy_end": at(5, 23, 30)}
    with qtbot.waitSignal(status.rows_ready, timeout=5_000):
        edit(
            cwin.store,
            "Move REL-2026-003",
            Step(
                op(releases.update_release, "REL-2026-003", after),
                backward=op(releases.update_release, "REL-2026-003", before),
            ),
        )
    assert status.tally is tally and tally.full_reads == 1  # no whole-plan recomputation
    assert cwin.conflicts_label.text() == "Conflicts: 3 errors, 1 warning"
    assert sorted(t[0] for t in table_text(page)) == [
        "C3 Same CI at the same time",
        "C3 Same CI at the same time",
        "C3 Same CI at the same time",
        "C7 Rollback does not fit",
    ]
    assert key_cell.data(Qt.ItemDataRole.ToolTipRole) == (
        "REL-2026-003: 2 conflicts (2 errors) (Conflicts page)"
    )

    with qtbot.waitSignal(status.rows_ready, timeout=5_000):
        cwin.store.undo_stack.undo()
    assert tally.full_reads == 1
    assert cwin.conflicts_label.text() == "Conflicts: 2 errors, 1 warning"
    assert sorted(t[0] for t in table_text(page)) == [
        "C1 Freeze",
        "C3 Same CI at the same time",
        "C7 Rollback does not fit",
    ]
    assert key_cell.data(Qt.ItemDataRole.ToolTipRole) == (
        "REL-2026-003: 1 conflict (1 error) (Conflicts page)"
    )
    # the tally still agrees with a whole-plan check
    from relman_desktop.services.conflicts import all_conflicts

    assert tally.conflicts() == all_conflicts(cwin.store.ctx, suggest=False)


def test_a_calendar_change_rebuilds_the_tally_in_the_background(cwin, qtbot):
    from relman_desktop.views.shell.commands import Step, edit, op

    status = cwin.conflict_status
    status.count_here()
    first = status.tally
    with qtbot.waitSignal(status.rows_ready, timeout=20_000):
        edit(
            cwin.store,
            "Add a freeze",
            Step(
                op(
                    windows.create_window,
                    title="Emergency freeze",
                    kind="freeze",
                    start=at(5, 0),
                    end=at(7, 0),
                )
            ),
        )
    # a window can touch any release: a new tally read the whole plan once, off the GUI thread
    assert status.tally is not first and status.tally.full_reads == 1
    assert cwin.conflicts_label.text() == "Conflicts: 4 errors, 1 warning"


def test_the_search_box_has_room_at_1366_in_every_theme(cwin, qtbot):
    """Beside five filters and a button it was squeezed to a few pixels ("S…") at 1366×768."""
    from PySide6.QtWidgets import QApplication

    cwin.resize(1366, 768)
    page = open_page(cwin, qtbot)
    try:
        for theme in ("light", "dark", "high-contrast"):
            cwin.set_theme(theme)
            QApplication.processEvents()  # the new font and style laid out
            assert cwin.width() == 1366
            assert page.search.width() >= 200, theme
            # the other filters stay readable too
            for box in (page.release_filter, page.ci_filter, page.person_filter):
                assert box.width() >= 100, (theme, box.objectName())
    finally:
        cwin.set_theme("light")
    assert page.search.placeholderText() == "Search the conflicts…"
    page.search.setText("freeze")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10_000)


def test_an_edit_updates_the_count_and_badges_from_the_release_it_touched_only(
    cwin, qtbot, monkeypatch
):
    """With the Conflicts page off screen, an edit to one release re-checks that release only:
    no whole-plan read, no rows rebuilt over every conflict, no badge recounted over every
    conflict; what the status bar and the badges say equals a whole-plan check."""
    from relman_desktop.services.conflict_tally import ConflictTally
    from relman_desktop.services.conflicts import all_conflicts
    from relman_desktop.views.conflicts import conflict_rows
    from relman_desktop.views.releases.releases_model import COLUMN_INDEX
    from relman_desktop.views.shell.commands import Step, edit, op

    status = cwin.conflict_status
    status.count_here()
    assert not cwin.page_widgets["conflicts"].isVisible()  # the releases list is shown
    calls: list[str] = []
    monkeypatch.setattr(ConflictTally, "refresh", lambda *_a: calls.append("refresh"))
    real_to_rows, real_by_release = conflict_rows.to_rows, conflict_rows.counts_by_release
    monkeypatch.setattr(
        conflict_rows, "to_rows", lambda found, *a: calls.append("to_rows") or real_to_rows(found)
    )
    monkeypatch.setattr(
        conflict_rows,
        "counts_by_release",
        lambda rows: calls.append("counts_by_release") or real_by_release(rows),
    )
    rows_sent: list[object] = []
    status.rows_ready.connect(rows_sent.append)

    after = {"deploy_start": at(5, 23), "deploy_end": at(5, 23, 30)}  # onto 001/002's CI slot
    with qtbot.waitSignal(status.counted, timeout=10_000):
        edit(
            cwin.store,
            "Move REL-2026-003",
            Step(op(releases.update_release, "REL-2026-003", after)),
        )
    assert calls == [] and rows_sent == []  # nothing was redone over the whole plan

    whole = all_conflicts(cwin.store.ctx, suggest=False)
    errors = sum(1 for c in whole if c.severity == "error")
    assert cwin.conflicts_label.text() == (
        f"Conflicts: {errors} errors, {len(whole) - errors} warning"
        + ("s" if len(whole) - errors != 1 else "")
    )
    expected = real_by_release(real_to_rows(whole))
    assert status.by_release == expected
    model = cwin.releases_view.model
    for key, (e, w) in expected.items():
        cell = model.index(model.row_of_key(key), COLUMN_INDEX["key"])
        assert cell.data(Qt.ItemDataRole.ToolTipRole).startswith(f"{key}: {e + w} conflict")
    # the page, opened now, shows the tally's rows: the same conflicts as a whole-plan check
    page = cwin.page_widgets["conflicts"]
    cwin.show_page("conflicts")
    assert page.model.rowCount() == len(whole)
    assert sorted(t[0] for t in table_text(page)) == sorted(
        f"{c.rule} {conflict_rows.RULE_NAMES[c.rule]}" for c in whole
    )
