"""File > Save a Copy As and Back Up Now through the store: never over the open plan."""

from __future__ import annotations

from pathlib import Path

from relman_desktop.services import releases


def test_save_copy_onto_the_open_plan_is_refused_and_the_plan_kept(store, qtbot) -> None:
    plan = Path(store.ctx.plan.path)
    before = [r.key for r in releases.list_releases(store.ctx)]
    assert before
    for target in (plan, Path(f"{plan}-wal"), Path(f"{plan}-shm")):
        with qtbot.waitSignal(store.error) as blocker:
            assert store.save_copy(target) is None
        assert "open plan" in blocker.args[0]
    assert [r.key for r in releases.list_releases(store.ctx)] == before
    backup = store.back_up_now()
    assert backup is not None and backup != plan and backup.read_bytes()[:6] == b"SQLite"


def test_file_export_onto_the_open_plan_is_refused(store, qtbot) -> None:
    """File > Export goes through the same writers: the plan JSON, the calendar (.ics) and the
    KPI workbook aimed at the open plan fail with the reason, and the plan is kept."""
    from relman_desktop.views.shell.main_window import MainWindow
    from relman_desktop.views.shell.settings import Settings
    from relman_desktop.views.shell.worker import Worker

    worker = Worker()
    window = MainWindow(store, Settings.in_memory())
    qtbot.addWidget(window)
    window.file_transfers._worker = worker
    window.conflict_status.task._worker = worker
    plan = Path(store.ctx.plan.path)
    before = [r.key for r in releases.list_releases(store.ctx)]
    for export in (
        window.file_transfers.export_plan,
        window.file_transfers.export_calendar,
        window.file_transfers.export_kpi_workbook,
    ):
        job = export(plan)
        with qtbot.waitSignal(job.finished, timeout=20_000):
            pass
        assert job.state == "failed"
        assert "open plan" in window.file_transfers.panel.message.text()
    link = plan.with_name("calendar.pdf")  # a picture whose name leads to the plan
    link.symlink_to(plan.name)
    with qtbot.waitSignal(store.error) as shown:
        assert window.file_transfers.export_calendar_picture(link) is None
    assert "open plan" in shown.args[0]
    assert [r.key for r in releases.list_releases(store.ctx)] == before
    assert worker.drain(10_000)
