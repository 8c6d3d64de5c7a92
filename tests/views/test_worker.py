"""The one helper for slow work: pool threads, progress, results, errors, cancel, drain, sync mode."""

from __future__ import annotations

import threading

import pytest

from relman_desktop.services.base import ValidationError
from relman_desktop.views.shell.worker import DebouncedTask, Worker


@pytest.fixture
def worker(qtbot):
    w = Worker(max_threads=2)
    yield w
    assert w.drain(10_000)
    assert w.active == 0


def test_a_job_runs_on_a_pool_thread_and_reports_on_the_gui_thread(qtbot, worker):
    seen: list[tuple] = []

    def job(task):
        for i in (25, 50, 75):
            task.progress(i, f"step {i}")
        return threading.current_thread() is threading.main_thread()

    job_obj = worker.submit(
        job, on_progress=lambda p, m: seen.append((p, m, threading.current_thread().name))
    )
    with qtbot.waitSignal(job_obj.finished, timeout=5000):
        pass
    assert job_obj.state == "succeeded"
    assert job_obj.result is False  # the callable did not run on the GUI thread
    assert [(p, m) for p, m, _ in seen] == [(25, "step 25"), (50, "step 50"), (75, "step 75")]
    assert {name for _, _, name in seen} == {threading.main_thread().name}


def test_a_refused_job_fails_with_the_service_line_and_a_bug_says_so(qtbot, worker):
    refused = worker.submit(
        lambda task: (_ for _ in ()).throw(ValidationError("the folder /nope does not exist"))
    )
    with qtbot.waitSignal(refused.failed, timeout=5000) as blocker:
        pass
    assert blocker.args == ["the folder /nope does not exist"]
    bug = worker.submit(lambda task: 1 / 0)
    with qtbot.waitSignal(bug.finished, timeout=5000):
        pass
    assert bug.state == "failed" and bug.error.startswith(
        "Internal error (please report it): ZeroDivisionError"
    )


def test_cancel_ends_the_job_as_cancelled(qtbot, worker):
    started = threading.Event()

    def job(task):
        started.set()
        task.wait_cancelled(10)
        task.check()
        return "not reached"

    job_obj = worker.submit(job)
    assert started.wait(5)
    with qtbot.waitSignal(job_obj.cancelled, timeout=5000):
        job_obj.cancel()
    assert job_obj.state == "cancelled" and job_obj.result is None


def test_drain_cancels_running_jobs_and_empties_the_pool(qtbot, worker):
    started = threading.Event()
    jobs = [
        worker.submit(lambda task: (started.set(), task.wait_cancelled(10), task.check()))
        for _ in range(2)
    ]
    assert started.wait(5)
    assert worker.active >= 1
    assert worker.drain(5000)
    assert worker.active == 0
    qtbot.waitUntil(lambda: all(j.state == "cancelled" for j in jobs), timeout=5000)
    assert worker.jobs == []


def test_synchronous_mode_runs_inline_with_the_same_signals(qtbot):
    worker = Worker(synchronous=True)
    order: list[str] = []
    job = worker.submit(
        lambda task: (task.progress(50, "half"), threading.current_thread().name)[1],
        on_progress=lambda p, m: order.append(f"progress {p}"),
        on_result=lambda r: order.append(f"result {r}"),
        on_finished=lambda: order.append("finished"),
    )
    assert job.state == "succeeded"
    assert order == ["progress 50", f"result {threading.main_thread().name}", "finished"]


def test_the_plan_is_readable_from_a_pool_thread(qtbot, worker, ctx):
    from relman_desktop.services import kpis

    job = worker.submit(lambda task: kpis.compute_kpis(ctx))
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    assert job.state == "succeeded", job.error
    assert job.result.releases_deployed == 0


def test_debounced_task_runs_once_after_the_last_trigger_and_drops_stale_answers(qtbot, worker):
    runs: list[int] = []
    counter = iter(range(100))

    def make():
        n = next(counter)
        return lambda task: (runs.append(n), n)[1]

    debounced = DebouncedTask(make, delay_ms=30, worker=worker)
    with qtbot.waitSignal(debounced.result, timeout=5000) as blocker:
        for _ in range(5):
            debounced.trigger()
    assert blocker.args == [0] and runs == [0]
    first = debounced.run_now()
    second = debounced.run_now()
    results: list[int] = []
    debounced.result.connect(results.append)
    qtbot.waitUntil(lambda: first.done and second.done, timeout=5000)
    qtbot.waitUntil(lambda: results == [2], timeout=5000)


def test_a_debounced_task_deleted_while_its_job_runs_hears_nothing(qtbot, worker, monkeypatch):
    """A page (and its DebouncedTask) deleted while the task's job still runs on the pool: the
    job's answer arrives later and must reach nobody, not the deleted task (the job outlives
    it, so the answer goes through a bound method Qt drops with the task)."""
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent, QObject

    release = threading.Event()
    heard: list[tuple] = []
    monkeypatch.setattr(DebouncedTask, "_deliver", lambda _self, *args: heard.append(args))
    page = QObject()
    debounced = DebouncedTask(
        lambda: lambda task: release.wait(10) and "late", delay_ms=0, worker=worker, parent=page
    )
    job = debounced.run_now()
    assert job is not None and not job.done
    page.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(debounced)
    release.set()
    qtbot.waitUntil(lambda: job.done, timeout=10_000)
    QCoreApplication.processEvents()
    assert job.result == "late" and heard == []
