"""File > Import from other tools shows a preview before anything is written, applies it as one
undoable step; File > Export writes Microsoft Project XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from relman_desktop.views.shell.worker import Worker

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"  # shared/ beside the repo


@pytest.fixture
def win(window):
    window.file_transfers._worker = Worker(synchronous=True)
    return window


def _preview(win, kind: str, path: Path):
    win.interchange.import_file(kind, path)
    (dialog,) = win.interchange.dialogs
    return dialog


def _cells(dialog, column: int) -> list[str]:
    return [dialog.table.item(r, column).text() for r in range(dialog.table.rowCount())]


def test_menus_offer_each_import_and_the_project_export(win) -> None:
    names = {a.objectName() for a in win.import_menu.actions()}
    assert {
        "action_import_msproject",
        "action_import_gantt",
        "action_import_ics",
        "action_import_changes",
        "action_import_plan",
    } <= names
    assert "action_export_msproject" in {a.objectName() for a in win.export_menu.actions()}


def test_msproject_preview_then_import_then_undo(win, qtbot) -> None:
    from relman_desktop.services import releases, tasks

    store = win.store
    dialog = _preview(win, "msproject", CORPUS / "mspdi" / "msproject2007_relations.xml")
    # nothing written yet: the preview lists the new release, 5 tasks and 4 links
    assert len(releases.list_releases(store.ctx)) == 3
    assert dialog.target.currentData() is None  # no release selected: a new one
    assert _cells(dialog, 0).count("Create") == 10
    assert "10 to create, 0 to update, 0 to skip" in dialog.summary.text()
    dialog.target.setCurrentIndex(dialog.target.findData("REL-2026-003"))
    assert _cells(dialog, 0).count("Create") == 9  # into an existing release: no new release
    dialog.import_button.click()
    assert [t.title for t in tasks.list_tasks(store.ctx, "REL-2026-003")] == [
        "Task 1",
        "Task 2",
        "Task 3",
        "Task 4",
        "Task 5",
    ]
    assert store.undo_stack.count() == 1
    assert store.undo_stack.undoText() == "Import msproject2007_relations.xml"
    store.undo_stack.undo()
    assert tasks.list_tasks(store.ctx, "REL-2026-003") == []
    store.undo_stack.redo()
    assert len(tasks.list_tasks(store.ctx, "REL-2026-003")) == 5


def test_calendar_preview_options_rerun_the_preview(win) -> None:
    from PySide6.QtCore import QDate

    from relman_desktop.services.windows import list_windows

    dialog = _preview(win, "ics", CORPUS / "ics" / "thunderbird_europe-london.ics")
    dialog.since.setDate(QDate(2025, 4, 1))
    dialog.until.setDate(QDate(2025, 4, 30))
    assert _cells(dialog, 0) == ["Create"] * 5
    dialog.as_kind.setCurrentIndex(dialog.as_kind.findData("freeze"))
    dialog.import_button.click()
    assert [w.kind for w in list_windows(win.store.ctx)] == ["freeze"] * 5
    win.store.undo_stack.undo()
    assert list_windows(win.store.ctx) == []


def test_changes_mapping_step_is_remembered(win, tmp_path: Path) -> None:
    from relman_desktop.services.changes import list_changes

    sheet = tmp_path / "ops.csv"
    sheet.write_text("Ticket,Headline,Severity\nOPS-7,Raise disk quota,Low\n", encoding="utf-8")
    dialog = _preview(win, "changes", sheet)
    assert not dialog.import_button.isEnabled()
    assert "choose which column holds the change key" in dialog.summary.text()
    for header, field in (("Ticket", "key"), ("Headline", "title"), ("Severity", "risk")):
        box = dialog.columns[header]
        box.setCurrentIndex(box.findData(field))
    assert _cells(dialog, 2) == ["OPS-7"]
    dialog.import_button.click()
    assert [(c.key, c.risk) for c in list_changes(win.store.ctx)] == [("OPS-7", "low")]
    # the next sheet of the same layout opens with the same mapping
    again = _preview(win, "changes", sheet)
    assert again.columns["Ticket"].currentData() == "key"
    assert again.columns["Severity"].currentData() == "risk"


def test_a_bad_file_is_refused_in_the_panel_and_nothing_opens(win, tmp_path: Path) -> None:
    bad = tmp_path / "plan.mpp"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    win.interchange.import_file("msproject", bad)
    assert win.interchange.dialogs == []
    assert "save it as XML" in win.file_transfers.panel.message.text()


def test_export_msproject_from_the_menu(win, tmp_path: Path) -> None:
    from relman_desktop.services import tasks

    tasks.add_task(
        win.store.ctx,
        "REL-2026-001",
        {"title": "Build", "start": "2026-12-01", "end": "2026-12-04"},
    )
    target = tmp_path / "rel.xml"
    win.interchange.export_msproject(target, key="REL-2026-001")
    assert (
        "Wrote" in win.file_transfers.panel.message.text()
        and "1 task" in win.file_transfers.panel.message.text()
    )
    assert "<Name>Build</Name>" in target.read_text(encoding="utf-8")
