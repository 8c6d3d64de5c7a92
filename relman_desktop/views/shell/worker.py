"""The one helper for slow work: callables run on a ``QThreadPool`` and report back on the GUI thread.

A job is a plain callable ``fn(task)``. It runs on a pool thread and must not touch widgets; it
reports through ``task.progress(percent, message)`` and polls ``task.cancelled()`` (or calls
``task.check()``, which raises ``JobCancelled``). The export writers take that same callable as
their ``cancelled=`` argument, so a cancelled export ends before its file takes its name.

What the GUI sees is a ``Job`` (a QObject living on the GUI thread): ``progress(int, str)``, then
exactly one of ``succeeded(object)`` / ``failed(str)`` / ``cancelled()``, then ``finished()``.
The pool thread only emits on a private signal carrier; the carrier's signals reach the Job
through queued connections, so every slot a caller connects runs on the GUI thread (Picard's
``util/thread.py`` does the same with its ``to_main`` events).

Database work is safe on a pool thread: services open one short session per call, and the
plan's SQLAlchemy engines use a ``QueuePool`` with ``check_same_thread=False`` for file
databases, so each session checks out its own connection on the thread that uses it.

``Worker(synchronous=True)`` runs jobs inline (tests); ``drain()`` cancels what is running and
waits for the pool (called on ``QCoreApplication.aboutToQuit`` for the shared helper).
"""

from __future__ import annotations

import atexit
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QRunnable,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)

from relman_desktop.exports.safe_write import ExportCancelled
from relman_desktop.services.base import PlanError, ServiceError

_QUEUED = Qt.ConnectionType.QueuedConnection


class JobCancelled(Exception):
    """Raised by ``Task.check()`` once the user asked to cancel."""


class Task:
    """What a job's callable gets: progress reporting and the cancel flag (thread-safe)."""

    def __init__(self, carrier: _Carrier, event: threading.Event) -> None:
        self._carrier = carrier
        self._event = event

    def progress(self, percent: int | float, message: str = "") -> None:
        self._carrier.progress.emit(max(0, min(100, int(percent))), message)

    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise JobCancelled("cancelled")

    def wait_cancelled(self, timeout: float) -> bool:
        """Block this pool thread until cancelled or ``timeout`` seconds pass; True if cancelled."""
        return self._event.wait(timeout)


class _Carrier(QObject):
    """Signals emitted from the pool thread; the Job receives them queued on the GUI thread."""

    progress = Signal(int, str)
    done = Signal(str, object)  # "ok" | "error" | "cancelled", payload


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[Task], Any], task: Task, carrier: _Carrier) -> None:
        super().__init__()
        # autoDelete (the default): the pool owns and deletes it after run() returned.
        self._fn, self._task, self._carrier = fn, task, carrier

    def run(self) -> None:
        kind, payload = _call(self._fn, self._task)
        self._carrier.done.emit(kind, payload)


def _call(fn: Callable[[Task], Any], task: Task) -> tuple[str, Any]:
    try:
        result = fn(task)
    except (JobCancelled, ExportCancelled) as exc:
        return "cancelled", exc
    except (ServiceError, PlanError) as exc:
        if task.cancelled():
            return "cancelled", exc
        return "error", exc
    except Exception as exc:  # a bug: say so in one line, keep the traceback on stderr
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        return "error", exc
    return "ok", result


def one_line(exc: BaseException) -> str:
    """The message a user sees for a failed job."""
    if isinstance(exc, ServiceError | PlanError):
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"Internal error (please report it): {type(exc).__name__}: {exc}".splitlines()[0]


class Job(QObject):
    """One submitted callable, seen from the GUI thread."""

    progress = Signal(int, str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, name: str, parent: QObject | None = None, *, queued: bool = True) -> None:
        super().__init__(parent)
        self.name = name
        self.state = "pending"  # running, succeeded, failed, cancelled
        self.result: Any = None
        self.error: str = ""
        self.exception: BaseException | None = None  # e.g. a ValidationError with .problems
        self.percent = 0
        self.message = ""
        self._event = threading.Event()
        self._carrier = _Carrier()
        kind = _QUEUED if queued else Qt.ConnectionType.DirectConnection
        self._carrier.progress.connect(self._on_progress, kind)
        self._carrier.done.connect(self._on_done, kind)

    @property
    def done(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled")

    def cancel(self) -> None:
        """Ask the job to stop; it ends with ``cancelled`` once it notices."""
        self._event.set()

    @property
    def cancel_requested(self) -> bool:
        return self._event.is_set()

    @Slot(int, str)
    def _on_progress(self, percent: int, message: str) -> None:
        if self.done:
            return
        self.percent, self.message = percent, message
        self.progress.emit(percent, message)

    @Slot(str, object)
    def _on_done(self, kind: str, payload: Any) -> None:
        if self.done:
            return
        if kind == "ok":
            self.state, self.result = "succeeded", payload
            self.percent = 100
            self.succeeded.emit(payload)
        elif kind == "cancelled":
            self.state, self.exception = "cancelled", payload
            self.cancelled.emit()
        else:
            self.state, self.exception, self.error = "failed", payload, one_line(payload)
            self.failed.emit(self.error)
        self.finished.emit()


class Worker(QObject):
    """Runs jobs on its own ``QThreadPool`` (or inline when ``synchronous``)."""

    job_started = Signal(object)  # Job
    job_finished = Signal(object)  # Job

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        synchronous: bool = False,
        max_threads: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.synchronous = synchronous
        self.pool = QThreadPool(self)
        if max_threads:
            self.pool.setMaxThreadCount(max_threads)
        self._jobs: list[Job] = []
        self._finished: list[Job] = []  # kept until control is back in the event loop

    @property
    def jobs(self) -> list[Job]:
        """Jobs not finished yet (as the GUI thread has heard)."""
        return list(self._jobs)

    def submit(
        self,
        fn: Callable[[Task], Any],
        *,
        name: str = "",
        on_progress: Callable[[int, str], Any] | None = None,
        on_result: Callable[[Any], Any] | None = None,
        on_error: Callable[[str], Any] | None = None,
        on_cancelled: Callable[[], Any] | None = None,
        on_finished: Callable[[], Any] | None = None,
    ) -> Job:
        """Run ``fn(task)`` off the GUI thread. The callbacks are connected before it starts
        (connect bound methods of QObjects: they disconnect themselves when their owner dies)."""
        self._finished.clear()
        # No Qt parent: the Job lives while someone holds it (this helper until it has finished).
        job = Job(name or getattr(fn, "__name__", "job"), queued=not self.synchronous)
        for signal, slot in (
            (job.progress, on_progress),
            (job.succeeded, on_result),
            (job.failed, on_error),
            (job.cancelled, on_cancelled),
            (job.finished, on_finished),
        ):
            if slot is not None:
                signal.connect(slot)
        job.finished.connect(lambda j=job: self._forget(j))
        self._jobs.append(job)
        job.state = "running"
        self.job_started.emit(job)
        task = Task(job._carrier, job._event)
        if self.synchronous:
            # Same signals in the same order, delivered directly: everything is on this thread.
            kind, payload = _call(fn, task)
            job._carrier.done.emit(kind, payload)
        else:
            self.pool.start(_Runnable(fn, task, job._carrier))
        return job

    def _forget(self, job: Job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
        # Dropping the last reference now would delete the Job inside its own slot.
        self._finished.append(job)
        QTimer.singleShot(0, self, self._finished.clear)
        self.job_finished.emit(job)

    def cancel_all(self) -> None:
        for job in self._jobs:
            job.cancel()

    def drain(self, timeout_ms: int = 30_000) -> bool:
        """Cancel every job and wait for the pool threads; True when the pool is empty.
        Results still queued for the GUI thread are delivered with the next event processing."""
        self.cancel_all()
        return bool(self.pool.waitForDone(timeout_ms))

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Wait for the running jobs without cancelling them (the CLI-less screenshot path)."""
        ok = bool(self.pool.waitForDone(timeout_ms))
        QCoreApplication.sendPostedEvents()
        return ok

    @property
    def active(self) -> int:
        return int(self.pool.activeThreadCount())


_SHARED: dict[str, Worker] = {}


def shared_worker() -> Worker:
    """The application's helper; drained when the application quits."""
    worker = _SHARED.get("worker")
    if worker is None:
        app = QCoreApplication.instance()
        worker = Worker(app)
        if app is not None:
            app.aboutToQuit.connect(worker.drain)
        # A command that never runs the event loop (``relman screenshot``) never sees aboutToQuit:
        # no pool thread may still be running Python code while the interpreter shuts down.
        atexit.register(_drain_at_exit, worker)
        _SHARED["worker"] = worker
    return worker


def _drain_at_exit(worker: Worker) -> None:
    try:
        worker.drain(10_000)
    except RuntimeError:  # the application (and the helper with it) is already gone
        pass


class _Delivery(QObject):
    """Where one run's answer goes: a child of the ``DebouncedTask`` that started the run.
    The job outlives the task when its page is deleted mid-run; Qt drops a bound method's
    connection with its receiver, so the answer then reaches nobody (a ``functools.partial``
    of the task's method would still call into the deleted task: PySide6 does not track a
    partial's receiver)."""

    def __init__(self, owner: DebouncedTask) -> None:
        super().__init__(owner)
        self._owner = owner

    def on_result(self, value: Any) -> None:
        self._owner._deliver(self, "result", value)

    def on_error(self, message: str) -> None:
        self._owner._deliver(self, "error", message)


class DebouncedTask(QObject):
    """Recompute something off the GUI thread a moment after the last trigger.

    ``trigger()`` (re)starts a single-shot timer; when it fires, ``make_job()`` returns the
    callable to run (or None to skip) and its result is emitted as ``result`` — unless a newer
    run was started meanwhile, whose result wins (stale answers are dropped)."""

    result = Signal(object)
    error = Signal(str)

    def __init__(
        self,
        make_job: Callable[[], Callable[[Task], Any] | None],
        *,
        delay_ms: int = 400,
        worker: Worker | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._make_job = make_job
        self._worker = worker
        self._delivery: _Delivery | None = None  # where the newest run's answer goes
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self.run_now)
        self.running: Job | None = None

    @property
    def worker(self) -> Worker:
        return self._worker or shared_worker()

    def trigger(self, *_args: Any) -> None:
        self.timer.start()

    def stop(self) -> None:
        """Nothing pending any more: the timer stops and a running job's answer is dropped."""
        self.timer.stop()
        self._drop_delivery()
        if self.running is not None:
            self.running.cancel()
            self.running = None

    @property
    def pending(self) -> bool:
        """A run was asked for and its answer has not been delivered yet."""
        return self.running is not None or self.timer.isActive()

    @Slot()
    def run_now(self) -> Job | None:
        self.timer.stop()
        fn = self._make_job()
        if fn is None:
            return None
        self._drop_delivery()  # an older run still going: its answer is stale
        if self.running is not None:
            self.running.cancel()
        delivery = self._delivery = _Delivery(self)
        job = self.worker.submit(
            fn, name="recompute", on_result=delivery.on_result, on_error=delivery.on_error
        )
        self.running = None if job.done else job
        return job

    def _drop_delivery(self) -> None:
        if self._delivery is not None:
            self._delivery.deleteLater()
            self._delivery = None

    def _deliver(self, delivery: _Delivery, signal: str, value: Any) -> None:
        if delivery is not self._delivery:
            return  # a newer run was started (or stop() was called) meanwhile
        self._drop_delivery()
        self.running = None
        getattr(self, signal).emit(value)


__all__ = ["DebouncedTask", "Job", "JobCancelled", "Task", "Worker", "one_line", "shared_worker"]
