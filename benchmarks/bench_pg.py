"""A plan on PostgreSQL: the releases list of a 10,000-release plan against a raw psycopg SELECT
of the same columns (aim ≤ 3×), next to the same pair on the plan file, and what a whole-plan
copy file → server and server → file costs.

Run from the project root (PostgreSQL's server binaries installed; a throwaway cluster is started
in a temporary folder and removed afterwards, or name an empty database with --url):

    .venv/bin/python benchmarks/bench_pg.py [--releases 10000] [--url postgresql://…/empty_db]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import psycopg  # noqa: E402
from bench_foundation import NOW, RAW_LIST_SQL  # noqa: E402
from benchkit import fmt_time, report, timed  # noqa: E402

from relman_desktop.models.database import open_database  # noqa: E402
from relman_desktop.models.transfer import copy_plan  # noqa: E402
from relman_desktop.services import audit  # noqa: E402
from relman_desktop.services.base import Ctx  # noqa: E402
from relman_desktop.services.demo import generate_demo  # noqa: E402
from relman_desktop.services.releases import list_releases  # noqa: E402

AIM_RATIO = 3.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--releases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--url", help="an empty PostgreSQL database (default: a throwaway cluster)")
    args = ap.parse_args()

    cluster = None
    url = args.url
    if url is None:
        from pgcluster import Cluster

        cluster = Cluster()
        url = cluster.create_database("bench")
    rows: list[tuple[str, str, str]] = []
    problems: list[str] = []
    verify = lambda plan: audit.verify(Ctx(plan)).problems  # noqa: E731
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.relman"
            plan = open_database(path, create=True)
            t, _ = timed(
                lambda: generate_demo(Ctx(plan, clock=lambda: NOW), releases=args.releases, seed=1)
            )
            plan.close()
            rows.append((f"demo plan file, {args.releases:,} releases", fmt_time(t), "setup"))
            t, result = timed(lambda: copy_plan(str(path), url, verify=verify))
            total = sum(result.rows.values())
            rows.append(("plan copy file → server", fmt_time(t), f"{total:,} rows, chain verified"))
            back = Path(tmp) / "back.relman"
            t, _ = timed(lambda: copy_plan(url, str(back), verify=verify))
            rows.append(("plan copy server → file", fmt_time(t), f"{total:,} rows, chain verified"))

            for name, target in (("PostgreSQL", url), ("SQLite file", path)):
                plan = open_database(target)
                ctx = Ctx(plan)
                list_releases(ctx)  # warm: the first read fills caches on both sides
                t_list, listed = timed(lambda ctx=ctx: list_releases(ctx), repeat=3)
                plan.close()
                if name == "PostgreSQL":
                    with psycopg.connect(url.replace("postgresql://", "postgresql://")) as con:
                        t_raw, raw = timed(
                            lambda con=con: con.execute(RAW_LIST_SQL).fetchall(), repeat=3
                        )
                else:
                    con2 = sqlite3.connect(path)
                    t_raw, raw = timed(
                        lambda con2=con2: con2.execute(RAW_LIST_SQL).fetchall(), repeat=3
                    )
                    con2.close()
                if len(listed) != len(raw):
                    problems.append(f"{name}: listed {len(listed)} releases, raw {len(raw)}")
                ratio = t_list / t_raw
                rows.append(
                    (f"{name}: raw SELECT of the list's columns", fmt_time(t_raw), "baseline")
                )
                note = f"{ratio:.1f}× raw"
                if name == "PostgreSQL":
                    note += f", aim ≤ {AIM_RATIO:.0f}×: {'met' if ratio <= AIM_RATIO else 'MISSED'}"
                    if ratio > AIM_RATIO:
                        problems.append(f"list on PostgreSQL is {ratio:.1f}× raw (aim ≤ 3×)")
                rows.append((f"{name}: list_releases ({len(listed):,})", fmt_time(t_list), note))
    finally:
        if cluster is not None:
            cluster.stop()
    return report(
        "plan on PostgreSQL",
        f"{args.releases:,} releases; best of 3 after one warm-up; local server, no fsync",
        rows,
        [],
        problems,
    )


if __name__ == "__main__":
    sys.exit(main())
