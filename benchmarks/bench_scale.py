"""Scaling benchmark (issue 19): the same operations on plans of 1,000 to 100,000 releases,
with the growth exponent k (time ∝ releases^k) between 10,000 and 100,000.

    .venv/bin/python benchmarks/bench_scale.py                       # 1k, 10k, 30k, 100k
    .venv/bin/python benchmarks/bench_scale.py --sizes 1000 10000    # a quick run
    .venv/bin/python benchmarks/bench_scale.py --no-gui              # without the window start
    .venv/bin/python benchmarks/bench_scale.py --clock cpu           # this process's CPU time

Plans are demo plans (``generate_demo``, today 2026-11-27) kept in a cache folder between runs
(``--cache``; default ``$RELMAN_BENCH_CACHE`` or ``~/.cache/relman-bench-scale``), keyed by
size, seed and schema revision (see ``scale_plans.py``). Generating 100,000 releases takes a
few minutes the first time.

Per-release operations aim at k ≤ 0.2 and ≤ 50 ms at 100,000 releases; whole-plan ones at
k ≤ 1.1, the list at ≤ 3× the raw SELECT; start to an interactive window at ≤ 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import fmt_time, timed  # noqa: E402
from scale_plans import DEFAULT_CACHE, NOW, cached_plan  # noqa: E402

RAW_LIST_SQL = """
SELECT r.id, r.key, r.title, r.version, r.type, r.priority, r.risk, s.name, r.application,
       m.name, m.email, r.planned_start, r.planned_end, r.deploy_start, r.deploy_end,
       r.actual_start, r.actual_end
FROM releases r
JOIN workflow_states s ON s.id = r.status_id
LEFT JOIN people m ON m.id = r.manager_id
ORDER BY r.key
"""

APP = """
import sys, time
t0 = float(sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from relman_desktop.app import build_window
app = QApplication([])
w = build_window(sys.argv[2], app=app); w.resize(1366, 768); w.show()
QTimer.singleShot(0, lambda: (print(time.time() - t0), app.quit()))
app.exec()
"""

PER_RELEASE = "per release"
WINDOW = "window"  # a range of days: aims at k ≤ 0.2 like a per-release operation
WHOLE = "whole plan"

# (name, kind): the rows of the table, in order.
OPERATIONS = [
    ("open (open_plan)", PER_RELEASE),
    ("list releases (list_releases)", WHOLE),
    ("  raw SELECT of the same columns", WHOLE),
    ("open a release (get_release + transitions)", PER_RELEASE),
    ("can_transition Approved → Deploying (guard panel)", PER_RELEASE),
    ("conflicts for one release", PER_RELEASE),
    ("window_clear guard (one release)", PER_RELEASE),
    ("free slots for one release", PER_RELEASE),
    ("all conflicts", WHOLE),
    ("impact at a leaf (+1 day)", PER_RELEASE),
    ("impact at the root (+1 day)", WHOLE),
    ("KPIs (compute_kpis)", WHOLE),
    ("calendar data, 3-month view (load_range)", WINDOW),
    ("start to an interactive window", WHOLE),
]


def timed_cpu(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """``timed`` in this process's CPU time: on a machine shared with other work, what waiting
    for a core adds to the wall time is left out."""
    return timed(fn, repeat, clock=time.process_time)


def _one(path: Path, sql: str) -> Any:
    con = sqlite3.connect(path)
    try:
        row = con.execute(sql).fetchone()
        return row[0] if row else None
    finally:
        con.close()


def _raw_list(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return len(con.execute(RAW_LIST_SQL).fetchall())
    finally:
        con.close()


def _start_window(path: Path) -> float:
    env = dict(
        os.environ,
        HOME=tempfile.mkdtemp(prefix="relman-bench-home-"),
        QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
    )
    t0 = time.time()
    out = subprocess.run(
        [sys.executable, "-c", APP, repr(t0), str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=600,
    ).stdout.split()
    return float(out[0])


def measure(
    path: Path,
    repeat: int,
    whole_repeat: int,
    gui: bool,
    whole: bool = True,
    clock: Callable[..., tuple[float, Any]] = timed,
) -> dict[str, float | None]:
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services import conflicts, impact, kpis, lifecycle, releases, scheduling
    from relman_desktop.services.base import Ctx
    from relman_desktop.views.calendar import gantt_data

    times: dict[str, float | None] = {}
    approved = _one(
        path,
        "SELECT r.key FROM releases r JOIN workflow_states s ON s.id = r.status_id "
        "WHERE s.name = 'Approved' AND r.deploy_start IS NOT NULL ORDER BY r.key LIMIT 1",
    )
    leaf = _one(
        path,
        "SELECT r.key FROM releases r JOIN workflow_states s ON s.id = r.status_id "
        "WHERE s.category = 'open' AND r.deploy_start IS NOT NULL AND r.id IN "
        "(SELECT release_id FROM release_dependencies) AND r.id NOT IN "
        "(SELECT prerequisite_id FROM release_dependencies) ORDER BY r.key LIMIT 1",
    )
    root = _one(
        path,
        "SELECT r.key FROM releases r JOIN release_dependencies d ON d.prerequisite_id = r.id "
        "GROUP BY r.id ORDER BY count(*) DESC, r.key LIMIT 1",
    )

    kinds = dict(OPERATIONS)

    def run(name: str, fn: Callable[[], Any], n: int) -> None:
        if whole or kinds[name] in (PER_RELEASE, WINDOW):
            times[name] = clock(fn, n)[0]

    def opened() -> None:
        open_plan(path).close()

    run("open (open_plan)", opened, repeat)
    plan = open_plan(path)
    try:
        ctx = Ctx(plan, actor="bench@example.com", clock=lambda: NOW)
        run("list releases (list_releases)", lambda: releases.list_releases(ctx), whole_repeat)
        run("  raw SELECT of the same columns", lambda: _raw_list(path), whole_repeat)
        if approved:

            def open_release() -> None:
                releases.get_release(ctx, approved)
                lifecycle.available_transitions(ctx, approved)

            run("open a release (get_release + transitions)", open_release, repeat)
            run(
                "can_transition Approved → Deploying (guard panel)",
                lambda: lifecycle.can_transition(ctx, approved, "Deploying"),
                repeat,
            )
            run(
                "conflicts for one release",
                lambda: conflicts.conflicts_for_release(ctx, approved, suggest=False),
                repeat,
            )

            def guard() -> None:
                from sqlalchemy import select

                from relman_desktop.models.entities import Release

                with ctx.read() as s:
                    rel = s.scalars(select(Release).where(Release.key == approved)).one()
                    conflicts.window_clear_problems(s, rel)

            run("window_clear guard (one release)", guard, repeat)
            run(
                "free slots for one release",
                lambda: scheduling.free_slots(ctx, approved, count=3),
                repeat,
            )
        run("all conflicts", lambda: conflicts.all_conflicts(ctx, suggest=False), whole_repeat)
        if leaf:
            run("impact at a leaf (+1 day)", lambda: impact.impact(ctx, leaf, 1), repeat)
        if root:
            run("impact at the root (+1 day)", lambda: impact.impact(ctx, root, 1), whole_repeat)
        run("KPIs (compute_kpis)", lambda: kpis.compute_kpis(ctx), whole_repeat)
        # What the calendar page reads to open on the three months from today (its conflict
        # badges come from the window's conflict tally, its critical path after the bars).
        three = (NOW.date(), NOW.date() + dt.timedelta(days=91))
        run(
            "calendar data, 3-month view (load_range)",
            lambda: gantt_data.load_range(ctx, *three, with_conflicts=False),
            repeat,
        )
        times["_calendar_rows"] = len(
            gantt_data.load_range(ctx, *three, with_conflicts=False).releases
        )
    finally:
        plan.close()
    if gui and whole:
        times["start to an interactive window"] = min(
            _start_window(path) for _ in range(whole_repeat)
        )
    return times


def exponent(t_small: float | None, t_big: float | None, n_small: int, n_big: int) -> str:
    if not t_small or not t_big or n_small == n_big:
        return "—"
    return f"{math.log(t_big / t_small) / math.log(n_big / n_small):.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 30_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--repeat", type=int, default=3, help="runs per per-release operation")
    parser.add_argument(
        "--whole-repeat", type=int, default=2, help="runs per whole-plan operation (default 2)"
    )
    parser.add_argument("--no-gui", action="store_true", help="skip start to a window")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time (default), or this process's CPU time (no window start then)",
    )
    parser.add_argument(
        "--per-release-only", action="store_true", help="skip the whole-plan operations"
    )
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes))
    if any(n < 1 for n in sizes):
        parser.error("--sizes: every size must be at least 1")

    results: dict[int, dict[str, float | None]] = {}
    for n in sizes:
        path = cached_plan(args.cache, n, args.seed, log=lambda m: print(m, file=sys.stderr))
        print(f"measuring {n:,} releases ...", file=sys.stderr)
        results[n] = measure(
            path,
            args.repeat,
            args.whole_repeat,
            not args.no_gui and args.clock == "wall",
            not args.per_release_only,
            timed_cpu if args.clock == "cpu" else timed,
        )

    hi = 100_000 if 100_000 in sizes else sizes[-1]
    lo = 10_000 if 10_000 in sizes and hi != 10_000 else sizes[0]
    print(
        f"Release Manager Desktop — scaling benchmark (Python {sys.version.split()[0]}, "
        f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs); seed {args.seed}; "
        f"best of {args.repeat} per release, {args.whole_repeat} whole plan; {args.clock} time; "
        f"{dt.date.today().isoformat()}"
    )
    head = ["operation", "kind"] + [f"{n:,}" for n in sizes] + [f"k {lo:,}→{hi:,}"]
    rows = []
    for name, kind in OPERATIONS:
        t = [results[n].get(name) for n in sizes]
        if all(x is None for x in t):
            continue
        rows.append(
            [name, kind]
            + [fmt_time(x) for x in t]
            + [exponent(results[lo].get(name), results[hi].get(name), lo, hi)]
        )
    ratios = []
    for n in sizes:
        svc = results[n].get("list releases (list_releases)")
        raw = results[n].get("  raw SELECT of the same columns")
        ratios.append(f"{svc / raw:.1f}×" if svc and raw else "—")
    if not args.per_release_only:
        rows.append(["  list ÷ raw SELECT", "aim ≤ 3×", *ratios, ""])
    shown = [results[n].get("_calendar_rows") for n in sizes]
    if any(shown):
        # the demo plans put more releases in the same weeks as they grow: the 3-month view
        # holds more of them, so its time is also given per release shown
        rows.append(["  releases in that view", "", *[f"{x or 0:,.0f}" for x in shown], ""])
        per = [
            (
                t / c * 1e6
                if (t := results[n].get("calendar data, 3-month view (load_range)")) and c
                else None
            )
            for n, c in zip(sizes, shown, strict=True)
        ]
        rows.append(
            [
                "  per release in that view",
                "",
                *[f"{x:.0f} µs" if x else "—" for x in per],
                exponent(per[sizes.index(lo)], per[sizes.index(hi)], lo, hi),
            ]
        )
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    print(
        "  ".join(
            h.ljust(w) if i < 2 else h.rjust(w)
            for i, (h, w) in enumerate(zip(head, widths, strict=True))
        )
    )
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(
            "  ".join(
                c.ljust(w) if i < 2 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
