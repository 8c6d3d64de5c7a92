"""Run a background job now, on this thread: ``relman screenshot`` takes its picture without an
event loop, so what a page would otherwise read on the worker (the conflict count, a suggested
slot, the rest of the releases list) is read inline and delivered to the same slot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..shell.worker import DebouncedTask, Task, Worker


def run_here(
    make_job: Callable[[], Callable[[Task], Any] | None],
    deliver: Callable[[Any], Any],
    *,
    stop: DebouncedTask | None = None,
    name: str = "job",
) -> bool:
    """``make_job()``'s callable run inline and its result handed to ``deliver``; ``stop`` (the
    debounced task that would run it in the background) is stopped first, so a background run
    started before cannot deliver an older answer after this one. False when there was nothing
    to run or the job failed (its error is what the background run would have reported)."""
    fn = make_job()
    if fn is None:
        return False
    if stop is not None:
        stop.stop()
    job = Worker(synchronous=True).submit(fn, name=name)
    if job.state != "succeeded":
        return False
    deliver(job.result)
    return True


__all__ = ["run_here"]
