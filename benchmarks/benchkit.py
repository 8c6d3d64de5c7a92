"""What the benchmark scripts share: best-of timing, formatting, aims and a profile dump."""

from __future__ import annotations

import cProfile
import gc
import io
import os
import platform
import pstats
import sqlite3
import time
from collections.abc import Callable
from typing import Any


def timed(
    fn: Callable[[], Any], repeat: int = 1, clock: Callable[[], float] = time.perf_counter
) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs (seconds) and the last result; with
    ``clock=time.process_time``, this process's CPU time instead."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t0 = clock()
        result = fn()
        best = min(best, clock() - t0)
    return best, result


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def verdict(seconds: float, aim: float) -> str:
    return f"aim ≤ {fmt_time(aim)}: {'met' if seconds <= aim else 'MISSED'}"


def profile_top(fn: Callable[[], Any], limit: int = 15) -> str:
    """cProfile's ``limit`` most expensive entries (own time) for one call of ``fn``."""
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats("tottime").print_stats(limit)
    return out.getvalue()


def report(
    title: str,
    header: str,
    rows: list[tuple[str, str, str]],
    profiles: list[tuple[str, str]],
    problems: list[str],
) -> int:
    """Print the table (step, time, notes) under a line naming the machine, then the profiles
    and problems; the exit status: 1 when there is a problem."""
    print(
        f"Release Manager Desktop — {title} ({platform.python_implementation()} "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs)"
    )
    print(header)
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(f"{'step':<{w0}}  {'time':>{w1}}  notes")
    print(f"{'-' * w0}  {'-' * w1}  {'-' * 5}")
    for step, t, note in rows:
        print(f"{step:<{w0}}  {t:>{w1}}  {note}")
    for name, text in profiles:
        print(f"\ncProfile, one call of {name} (top entries by own time):")
        print(text.rstrip())
    for p in problems:
        print(f"\nPROBLEM: {p}")
    return 1 if problems else 0
