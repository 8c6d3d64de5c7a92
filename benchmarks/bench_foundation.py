"""Foundation benchmark: a large demo plan, opening it, listing it, checking a transition.

Run from the project root:

    .venv/bin/python benchmarks/bench_foundation.py [--releases 10000] [--seed 1] [--keep PATH]

Prints one table. See benchmarks/README.md for what each figure means and the targets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relman_desktop.models.planfile import open_plan  # noqa: E402
from relman_desktop.services.base import Ctx  # noqa: E402
from relman_desktop.services.demo import generate_demo  # noqa: E402

# The columns of the releases list (services.releases.ReleaseRow), as one plain SELECT.
RAW_LIST_SQL = """
SELECT r.id, r.key, r.title, r.version, r.type, r.priority, r.risk, s.name, r.application,
       m.name, m.email, r.planned_start, r.planned_end, r.deploy_start, r.deploy_end,
       r.actual_start, r.actual_end
FROM releases r
JOIN workflow_states s ON s.id = r.status_id
LEFT JOIN people m ON m.id = r.manager_id
ORDER BY r.key
"""

TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def raw_list(path: Path) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute(RAW_LIST_SQL).fetchall()
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--releases", type=int, default=10_000, help="demo releases to generate (default 10000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per read measurement; the best counts"
    )
    parser.add_argument(
        "--keep", metavar="PATH", help="write the plan here and keep it (default: a temp file)"
    )
    args = parser.parse_args(argv)

    tmp = None
    if args.keep:
        path = Path(args.keep).absolute()
        if path.exists():
            parser.error(f"{path} exists; the benchmark needs a new plan file")
    else:
        tmp = tempfile.TemporaryDirectory(prefix="relman-bench-")
        path = Path(tmp.name) / "bench.relman"

    rows: list[tuple[str, str, str]] = []

    def clock() -> dt.datetime:
        return NOW

    try:
        # 1. A new plan and the demo in it.
        t_create, plan = timed(lambda: open_plan(path, create=True))
        rows.append(
            (
                "create empty plan (open_plan create=True)",
                fmt_time(t_create),
                "schema + default workflow",
            )
        )
        ctx = Ctx(plan, actor="bench@example.com", clock=clock)
        t_gen, summary = timed(
            lambda: generate_demo(ctx, releases=args.releases, seed=args.seed, today=TODAY)
        )
        note = (
            f"{summary['releases']:,} releases, {summary['tasks']:,} tasks, "
            f"{summary['task_dependencies']:,} links, {summary['changes']:,} changes, "
            f"{summary['approvals']:,} approvals"
        )
        rows.append((f"generate demo --releases {args.releases}", fmt_time(t_gen), note))
        plan.close()
        size_mb = path.stat().st_size / 1e6

        # 2. Opening the finished plan, as File > Open does.
        t_open, plan = timed(lambda: open_plan(path))
        rows.append(("open that plan (open_plan)", fmt_time(t_open), f"file {size_mb:.1f} MB"))
        ctx = Ctx(plan, actor="bench@example.com", clock=clock)

        # 3. The releases list: the service against the floor of a raw SELECT of the same columns.
        t_raw, raw = timed(lambda: raw_list(path), args.repeat)
        rows.append(
            ("list releases: raw sqlite3 SELECT (floor)", fmt_time(t_raw), f"{len(raw):,} rows")
        )
        try:
            from relman_desktop.services.releases import list_releases
        except ImportError as exc:
            rows.append(
                (
                    "list releases: services.releases.list_releases",
                    "skipped",
                    f"import failed: {exc}",
                )
            )
        else:
            t_svc, listed = timed(lambda: list_releases(ctx), args.repeat)
            ratio = t_svc / t_raw if t_raw else float("nan")
            verdict = "ok" if ratio <= 3 else "over the 3× aim"
            rows.append(
                (
                    "list releases: services.releases.list_releases",
                    fmt_time(t_svc),
                    f"{len(listed):,} rows, {ratio:.1f}× the floor ({verdict})",
                )
            )

        # 4. One transition check on a release that is ready to deploy (the most guards).
        try:
            from relman_desktop.services.lifecycle import can_transition
        except ImportError as exc:
            rows.append(("can_transition (one release)", "skipped", f"import failed: {exc}"))
        else:
            con = sqlite3.connect(path)
            found = con.execute(
                "SELECT r.key FROM releases r JOIN workflow_states s ON s.id = r.status_id "
                "WHERE s.name = 'Approved' ORDER BY r.key LIMIT 1"
            ).fetchone()
            con.close()
            if found is None:
                rows.append(("can_transition (one release)", "skipped", "no release in Approved"))
            else:
                key = found[0]
                t_can, check = timed(lambda: can_transition(ctx, key, "Deploying"), args.repeat)
                unmet = getattr(check, "unmet", None) or []
                detail = f"{key} Approved → Deploying: "
                if getattr(check, "allowed", False):
                    detail += "allowed"
                else:
                    detail += "unmet: " + ", ".join(getattr(u, "guard", str(u)) for u in unmet)
                rows.append(("can_transition (one release)", fmt_time(t_can), detail))
        plan.close()
    finally:
        if tmp is not None:
            tmp.cleanup()

    print(
        f"Release Manager Desktop — foundation benchmark ({platform.python_implementation()} "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs)"
    )
    print(
        f"best of {args.repeat} for reads; seed {args.seed}; today {TODAY.isoformat()}"
        + (f"; plan kept at {path}" if args.keep else "")
    )
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    print(f"{'step':<{w0}}  {'time':>{w1}}  notes")
    print(f"{'-' * w0}  {'-' * w1}  {'-' * 5}")
    for step, t, note in rows:
        print(f"{step:<{w0}}  {t:>{w1}}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
