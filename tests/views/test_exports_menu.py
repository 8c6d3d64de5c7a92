"""File > Export and File > Import in the main window: jobs on the worker with progress and
Cancel, files read back, clear messages for refused writes, every JSON-path problem of a refused
import (and nothing imported), and the status bar's conflict count."""

from __future__ import annotations

import json
import threading

import pytest
from PySide6.QtWidgets import QFileDialog

from relman_desktop.views.shell.main_window import MainWindow
from relman_desktop.views.shell.settings import Settings
from relman_desktop.views.shell.store import Store
from relman_desktop.views.shell.worker import Worker


@pytest.fixture
def demo_ctx(ctx):
    from relman_desktop.services.demo import generate_demo

    generate_demo(ctx)
    return ctx


@pytest.fixture
def worker(qtbot):
    w = Worker()
    yield w
    assert w.drain(10_000)
    assert w.active == 0


@pytest.fixture
def win(demo_ctx, worker, qtbot):
    w = MainWindow(Store(demo_ctx), Settings.in_memory())
    qtbot.addWidget(w)
    w.file_transfers._worker = worker
    w.conflict_status.task._worker = worker
    w.resize(1366, 768)
    return w


def _release_with_changes(ctx) -> tuple[str, list[str]]:
    from relman_desktop.services.release_report import release_report
    from relman_desktop.services.releases import list_releases

    for row in list_releases(ctx):
        report = release_report(ctx, row.key)
        keys = [c.key for c in report.changes]
        if keys:
            return row.key, keys
    raise AssertionError("the demo plan has no release with changes")


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_the_file_menu_holds_the_exports_and_the_import(win):
    exports = [a.text().replace("&", "") for a in win.export_menu.actions() if not a.isSeparator()]
    assert (
        "Release Notes, Business (.docx)…" in exports
        and "Release Notes, Technical (.docx)…" in exports
    )
    assert {"KPI Workbook (.xlsx)…", "Calendar (.ics)…", "Plan (JSON)…"} <= set(exports)
    assert "Calendar Picture (PNG/PDF)…" in exports
    assert {"Deployment Runbook (.docx)…", "Knowledge Base Pages (folder)…"} <= set(exports)
    imports = [a.text().replace("&", "") for a in win.import_menu.actions() if not a.isSeparator()]
    assert (
        imports[0] == "Plan (JSON)…"
    )  # the toolchain imports follow (tests/views/test_toolchain_import.py)
    assert {"Microsoft Project (XML)…", "Calendar Events (.ics)…"} <= set(imports)  # interchange


def test_calendar_picture_export_writes_png_and_tiled_pdf(win, demo_ctx, tmp_path):
    from PySide6.QtGui import QImage

    from relman_desktop.views.calendar.calendar_export import pdf_page_count

    png = win.file_transfers.export_calendar_picture(tmp_path / "calendar.png")
    assert png is not None and QImage(str(png)).width() > 800
    pdf = win.file_transfers.export_calendar_picture(tmp_path / "calendar.pdf")
    assert pdf is not None and pdf_page_count(pdf) > 1
    assert win.file_transfers.export_calendar_picture(tmp_path / "missing" / "c.png") is None
    assert not (tmp_path / "missing").exists()


def test_file_dialogs_open_without_blocking(win, qtbot):
    dialog = win.file_transfers.kpi_workbook_dialog()
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    dialog.reject()


def test_release_notes_run_through_the_worker_and_read_back(win, demo_ctx, qtbot, tmp_path):
    import docx

    key, change_keys = _release_with_changes(demo_ctx)
    progress: list[int] = []
    target = tmp_path / "notes.docx"
    job = win.file_transfers.export_release_notes(target, key=key, variant="technical")
    job.progress.connect(lambda p, _m: progress.append(p))
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert job.state == "succeeded", job.error
    assert progress and progress == sorted(progress)
    text = "\n".join(p.text for p in docx.Document(str(target)).paragraphs)
    text += "\n".join(
        c.text for t in docx.Document(str(target)).tables for r in t.rows for c in r.cells
    )
    assert all(k in text for k in change_keys)
    assert win.file_transfers.panel.bar.value() == 100
    assert str(target) in win.file_transfers.panel.message.text()


def test_runbook_and_knowledge_base_run_through_the_worker(win, demo_ctx, qtbot, tmp_path):
    import docx

    key, _ = _release_with_changes(demo_ctx)
    job = win.file_transfers.export_runbook(tmp_path / "runbook.docx", key=key)
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert job.state == "succeeded", job.error
    assert docx.Document(str(tmp_path / "runbook.docx")).paragraphs[0].text == (
        f"Deployment runbook — {key}"
    )
    job = win.file_transfers.export_kb(tmp_path / "kb")
    with qtbot.waitSignal(job.finished, timeout=30_000):
        pass
    assert job.state == "succeeded", job.error
    assert (tmp_path / "kb" / "index.html").exists() and (tmp_path / "kb" / f"{key}.md").exists()
    assert "index.html" in win.file_transfers.panel.message.text()


def test_the_kpi_workbook_takes_the_dashboards_filters(win, qtbot, tmp_path):
    import openpyxl

    win.kpi_dashboard.set_filters(by="quarter", report_year=2021)
    assert win.file_transfers.kpi_filters()["by"] == "quarter"
    target = tmp_path / "kpis.xlsx"
    job = win.file_transfers.export_kpi_workbook(target)
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert job.state == "succeeded", job.error
    book = openpyxl.load_workbook(target)
    assert "Summary" in book.sheetnames
    cells = [
        str(c.value)
        for ws in book.worksheets
        for row in ws.iter_rows(max_row=60)
        for c in row
        if c.value
    ]
    assert any("-Q" in v for v in cells), "the series are per quarter"
    assert any("2021" in v for v in cells), "the tiers are those of the 2021 report"


def test_cancel_leaves_no_file(win, demo_ctx, qtbot, tmp_path, monkeypatch):
    import relman_desktop.services.release_report as release_report_module

    key, _ = _release_with_changes(demo_ctx)
    reached, gate = threading.Event(), threading.Event()
    real = release_report_module.release_report

    def slow_report(ctx, k):
        reached.set()
        gate.wait(10)
        return real(ctx, k)

    monkeypatch.setattr(release_report_module, "release_report", slow_report)
    folder = tmp_path / "out"
    folder.mkdir()
    job = win.file_transfers.export_release_notes(folder / "notes.docx", key=key)
    assert reached.wait(10)
    win.file_transfers.panel.cancel_button.click()
    gate.set()
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert job.state == "cancelled"
    assert _files(folder) == []
    assert "nothing was written" in win.file_transfers.panel.message.text()


def test_a_missing_folder_is_a_clear_message(win, qtbot, tmp_path):
    job = win.file_transfers.export_calendar(tmp_path / "nowhere" / "calendar.ics")
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert job.state == "failed"
    message = win.file_transfers.panel.message.text()
    assert "does not exist" in message and "nowhere" in message
    assert not (tmp_path / "nowhere").exists()


def test_an_import_with_problems_lists_every_json_path_and_changes_nothing(
    win, demo_ctx, qtbot, tmp_path
):
    from relman_desktop.exports.plan_json import export_plan

    before = export_plan(demo_ctx)
    doc = {
        "format": "relman-plan",
        "version": 1,
        "releases": [
            {
                "key": "REL-2026-900",
                "title": "",
                "type": "minor",
                "manager": "nobody@example.com",
                "planned_start": "2026-13-01",
            },
            {"key": "REL-2026-901", "title": "Fine", "type": "bogus"},
        ],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    job = win.file_transfers.import_plan(path)
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert job.state == "failed"
    panel = win.file_transfers.panel
    problems = [panel.problems.item(i).text() for i in range(panel.problems.count())]
    assert panel.problems.isVisibleTo(panel)
    assert len(problems) == 4
    for expected in (
        "releases[0].title",
        "releases[0].manager",
        "releases[0].planned_start",
        "releases[1].type",
    ):
        assert any(p.startswith(expected) for p in problems), (expected, problems)
    assert "4 problems" in panel.message.text()
    assert export_plan(demo_ctx)["releases"] == before["releases"]


def test_an_exported_plan_round_trips_into_an_empty_plan(win, qtbot, tmp_path, plan_path):
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services.base import Ctx
    from relman_desktop.services.releases import list_releases

    target = tmp_path / "plan.json"
    job = win.file_transfers.export_plan(target)
    with qtbot.waitSignal(job.finished, timeout=20_000):
        pass
    assert job.state == "succeeded", job.error
    empty = open_plan(tmp_path / "empty.relman", create=True)
    try:
        win.store.set_ctx(Ctx(empty))
        job = win.file_transfers.import_plan(target)
        with qtbot.waitSignal(job.finished, timeout=30_000):
            pass
        assert job.state == "succeeded", job.error
        assert len(list_releases(win.store.ctx)) == len(json.loads(target.read_text())["releases"])
        assert win.file_transfers.panel.message.text().startswith("Imported")
    finally:
        win.store.close_plan()


def test_the_status_bar_counts_conflicts_off_the_gui_thread(win, demo_ctx, qtbot):
    from relman_desktop.services.conflicts import all_conflicts

    found = all_conflicts(demo_ctx, suggest=False)
    errors = sum(c.severity == "error" for c in found)
    warnings = sum(c.severity == "warning" for c in found)
    with qtbot.waitSignal(win.conflict_status.counted, timeout=20_000) as blocker:
        win.store.releases_changed.emit()  # an edit: the debounce timer starts the count
    assert blocker.args == [errors, warnings]
    assert win.conflicts_label.text().startswith(f"Conflicts: {errors} error")
    assert f"{warnings} warning" in win.conflicts_label.text()
    win.store.close_plan()
    assert win.conflicts_label.text() == "Conflicts: not checked"
