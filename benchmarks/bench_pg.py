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
from sqlalchemy import Table  # noqa: E402

from relman_desktop.models.database import open_database  # noqa: E402
from relman_desktop.models.entities import Base  # noqa: E402
from relman_desktop.models.transfer import copy_plan  # noqa: E402
from relman_desktop.services import audit  # noqa: E402
from relman_desktop.services.base import Ctx  # noqa: E402
from relman_desktop.services.demo import generate_demo  # noqa: E402
from relman_desktop.services.releases import list_releases  # noqa: E402

AIM_RATIO = 3.0


def _columns(table: Table) -> str:
    return ", ".join(f'"{c.name}"' for c in table.columns)


def raw_copy_in(path: Path, url: str) -> int:
    """The floor of a file → server copy: every table's stored values as sqlite3 returns them,
    through psycopg's COPY, into an empty plan, in one transaction; no type conversion, no
    audit check, no sequences."""
    from psycopg import sql

    tables = Base.metadata.sorted_tables
    n = 0
    src = sqlite3.connect(path)
    try:
        with psycopg.connect(url) as con, con.cursor() as cur:
            for table in reversed(tables):
                cur.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table.name)))
            for table in tables:
                stmt = sql.SQL(f"COPY {{}} ({_columns(table)}) FROM STDIN").format(
                    sql.Identifier(table.name)
                )
                with cur.copy(stmt) as copy:
                    for row in src.execute(f'SELECT {_columns(table)} FROM "{table.name}"'):
                        copy.write_row(row)
                        n += 1
    finally:
        src.close()
    return n


def raw_copy_out(url: str, path: Path) -> int:
    """The floor of a server → file copy: every table read with a psycopg cursor (JSON left as
    text), written with sqlite3's executemany into an empty plan file, in one transaction."""
    from psycopg.types.string import TextLoader

    tables = Base.metadata.sorted_tables
    n = 0
    dst = sqlite3.connect(path)
    try:
        with psycopg.connect(url) as con:
            con.adapters.register_loader("json", TextLoader)
            for table in reversed(tables):
                dst.execute(f'DELETE FROM "{table.name}"')
            for table in tables:
                marks = ", ".join("?" * len(table.columns))
                insert = f'INSERT INTO "{table.name}" ({_columns(table)}) VALUES ({marks})'
                with con.cursor(name=f"raw_{table.name}") as cur:
                    cur.execute(f'SELECT {_columns(table)} FROM "{table.name}"')
                    while batch := cur.fetchmany(5000):
                        dst.executemany(insert, batch)
                        n += len(batch)
        dst.commit()
    finally:
        dst.close()
    return n


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
            raw_url = url.rsplit("/", 1)[0] + "/bench_raw"
            with psycopg.connect(url, autocommit=True) as con:  # beside the named database
                con.execute("DROP DATABASE IF EXISTS bench_raw")
                con.execute("CREATE DATABASE bench_raw")
            open_database(raw_url, create=True).close()
            t_raw_in, raw_total = timed(lambda: raw_copy_in(path, raw_url))
            rows.append(
                (
                    "raw: sqlite3 SELECT + psycopg COPY FROM",
                    fmt_time(t_raw_in),
                    f"baseline, {raw_total:,} rows",
                )
            )
            t, result = timed(lambda: copy_plan(str(path), url, verify=verify))
            total = sum(result.rows.values())
            if total != raw_total:
                problems.append(f"plan copy wrote {total:,} rows, the raw copy {raw_total:,}")
            rows.append(
                (
                    "plan copy file → server",
                    fmt_time(t),
                    f"{t / t_raw_in:.1f}× raw; {total:,} rows, chain verified",
                )
            )
            raw_back = Path(tmp) / "raw.relman"
            open_database(raw_back, create=True).close()
            t_raw_out, _ = timed(lambda: raw_copy_out(url, raw_back))
            rows.append(
                ("raw: psycopg SELECT + sqlite3 executemany", fmt_time(t_raw_out), "baseline")
            )
            back = Path(tmp) / "back.relman"
            t, _ = timed(lambda: copy_plan(url, str(back), verify=verify))
            rows.append(
                (
                    "plan copy server → file",
                    fmt_time(t),
                    f"{t / t_raw_out:.1f}× raw; {total:,} rows, chain verified",
                )
            )

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
        else:
            with psycopg.connect(url, autocommit=True) as con:
                con.execute("DROP DATABASE IF EXISTS bench_raw WITH (FORCE)")
    return report(
        "plan on PostgreSQL",
        f"{args.releases:,} releases; best of 3 after one warm-up; local server, no fsync",
        rows,
        [],
        problems,
    )


if __name__ == "__main__":
    sys.exit(main())
