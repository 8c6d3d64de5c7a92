"""Every import can be taken back as one step (the app's Edit > Undo after File > Import)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from relman_desktop.services import changes as change_service
from relman_desktop.services import releases, tasks, windows

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"  # shared/ beside the repo


def test_schedule_import_into_an_existing_release_undoes_and_redoes(ctx) -> None:
    from relman_desktop.importers.msproject import read_mspdi
    from relman_desktop.importers.schedule import apply_schedule, preview_schedule, undo_schedule

    releases.create_release(ctx, {"key": "R1", "title": "Release one", "type": "minor"})
    tasks.add_task(ctx, "R1", {"title": "Mine", "start": "2026-01-05", "end": "2026-01-06"})
    source = CORPUS / "mspdi" / "msproject2007_relations.xml"
    plan = preview_schedule(ctx, read_mspdi(source), release_key="R1")
    apply_schedule(ctx, plan)
    assert len(tasks.list_tasks(ctx, "R1")) == 6
    assert plan.applied is not None
    undo_schedule(ctx, plan.applied)
    assert [t.title for t in tasks.list_tasks(ctx, "R1")] == ["Mine"]
    apply_schedule(ctx, plan)  # redo
    rows = tasks.list_tasks(ctx, "R1")
    assert len(rows) == 6 and sum(len(t.predecessors) for t in rows) == 4


def test_update_by_reimport_undoes_to_the_old_values(ctx, tmp_path: Path) -> None:
    from relman_desktop.importers.msproject import read_mspdi
    from relman_desktop.importers.schedule import apply_schedule, preview_schedule, undo_schedule

    releases.create_release(ctx, {"key": "R1", "title": "Release one", "type": "minor"})
    source = CORPUS / "mspdi" / "msproject2007_relations.xml"
    apply_schedule(ctx, preview_schedule(ctx, read_mspdi(source), release_key="R1"))
    moved = tmp_path / "moved.xml"
    moved.write_text(
        source.read_text(encoding="utf-8").replace(
            "<Name>Task 3</Name>", "<Name>Task 3, renamed</Name>"
        ),
        encoding="utf-8",
    )
    plan = preview_schedule(ctx, read_mspdi(moved), release_key="R1")
    assert plan.preview.counts()["update"] == 1
    apply_schedule(ctx, plan)
    assert "Task 3, renamed" in {t.title for t in tasks.list_tasks(ctx, "R1")}
    assert plan.applied is not None
    undo_schedule(ctx, plan.applied)
    assert "Task 3" in {t.title for t in tasks.list_tasks(ctx, "R1")}


def test_new_release_import_undoes_to_no_release(ctx) -> None:
    from relman_desktop.importers.ganttproject import read_schedule
    from relman_desktop.importers.schedule import apply_schedule, preview_schedule, undo_schedule

    plan = preview_schedule(
        ctx,
        read_schedule(CORPUS / "schedules" / "ganttproject_HouseBuildingSample.gan"),
        new_release={"key": "HOUSE", "title": "House", "type": "major"},
    )
    apply_schedule(ctx, plan)
    assert [w.title for w in windows.list_windows(ctx)] == ["Holiday (GanttProject calendar)"]
    assert plan.applied is not None
    undo_schedule(ctx, plan.applied)
    assert releases.list_releases(ctx) == [] and windows.list_windows(ctx) == []


def test_calendar_import_undoes(ctx) -> None:
    from relman_desktop.importers.ics_windows import (
        apply_windows,
        preview_windows,
        read_ics,
        undo_windows,
    )

    feed = read_ics(CORPUS / "ics" / "thunderbird_europe-london.ics")
    plan = preview_windows(
        ctx, feed, kind="freeze", since=dt.date(2025, 4, 1), until=dt.date(2025, 4, 30)
    )
    apply_windows(ctx, plan)
    assert len(windows.list_windows(ctx)) == 5
    assert plan.applied is not None
    undo_windows(ctx, plan.applied)
    assert windows.list_windows(ctx) == []


def test_change_import_undoes(ctx, tmp_path: Path) -> None:
    from relman_desktop.importers.tracker_changes import (
        apply_changes,
        preview_changes,
        read_table,
        undo_changes,
    )

    sheet = tmp_path / "jira.csv"
    sheet.write_text("Issue key,Summary,Priority\nOPS-1,Rotate keys,High\n", encoding="utf-8")
    plan = preview_changes(ctx, read_table(sheet))
    apply_changes(ctx, plan)
    sheet.write_text(
        "Issue key,Summary,Priority\nOPS-1,Rotate keys,Low\nOPS-2,Patch,Low\n", encoding="utf-8"
    )
    second = preview_changes(ctx, read_table(sheet))
    apply_changes(ctx, second)
    assert {c.key: c.risk for c in change_service.list_changes(ctx)} == {
        "OPS-1": "low",
        "OPS-2": "low",
    }
    assert second.applied is not None
    undo_changes(ctx, second.applied)
    assert {c.key: c.risk for c in change_service.list_changes(ctx)} == {"OPS-1": "high"}


def test_deleting_an_imported_task_and_undoing_keeps_its_outline(ctx) -> None:
    from relman_desktop.importers.ganttproject import read_schedule
    from relman_desktop.importers.schedule import apply_schedule, preview_schedule

    apply_schedule(
        ctx,
        preview_schedule(
            ctx,
            read_schedule(CORPUS / "schedules" / "ganttproject_HouseBuildingSample.gan"),
            new_release={"key": "HOUSE", "title": "House", "type": "major"},
        ),
    )
    roof = next(t for t in tasks.list_tasks(ctx, "HOUSE") if t.title == "Roof")
    done = next(t for t in tasks.list_tasks(ctx, "HOUSE") if t.title == "Construction completed")
    assert (roof.outline, roof.milestone, done.milestone) == ("Construction phase", False, True)
    row = tasks.delete_task(ctx, "HOUSE", done.local_id)
    tasks.restore_task(ctx, "HOUSE", row)
    back = next(t for t in tasks.list_tasks(ctx, "HOUSE") if t.title == "Construction completed")
    assert (back.outline, back.milestone) == ("Construction phase", True)
