"""Many writers on one plan, and how fast a change reaches another window (issue 12).

Run from the project root:

    .venv/bin/python benchmarks/bench_concurrency.py                 # SQLite, and a throwaway server
    .venv/bin/python benchmarks/bench_concurrency.py --pg postgresql+psycopg://postgres@127.0.0.1:5432
    .venv/bin/python benchmarks/bench_concurrency.py --workers 8 --writes 200 --notifies 100

For each engine: ``--workers`` processes each make ``--writes`` separate writes (a person
added: one transaction, one audit event) on the same plan, all starting together; the table
gives the throughput, and checks that no write was lost and that ``audit verify`` passes (the
chain head is locked, so the chain stays single). On the server it then measures the time
from a write's COMMIT to another connection's ``Listener.poll()`` handing over its change set
(LISTEN/NOTIFY), median and worst of ``--notifies`` writes; aim: median ≤ 1 s.

``--pg`` names a PostgreSQL server (no database: a throwaway one is created and dropped; the
role must be allowed to create databases); by default a throwaway cluster is started from
tests/pgcluster.py (the one the tests use) and removed afterwards. When it cannot be reached, its rows say skipped
and why. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from benchkit import fmt_time, report  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from relman_desktop.models.planfile import open_plan  # noqa: E402
from relman_desktop.services import audit, live, people, releases  # noqa: E402
from relman_desktop.services.base import Ctx  # noqa: E402

NOTIFY_AIM = 1.0


class ServerPlan:
    """A server plan for the services (``read()``/``write()`` sessions on one URL). The
    ``Database`` abstraction of issue 12 takes this role in the app."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(url.rsplit("/", 1)[-1])
        self.engine = create_engine(url, pool_size=2)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session

    write = read

    def close(self) -> None:
        self.engine.dispose()


def create_server_plan(server: str) -> str:
    from alembic import command

    from relman_desktop.models import defaults
    from relman_desktop.models.entities import PlanMeta
    from relman_desktop.models.planfile import _alembic_config

    name = f"relman_bench_{int(time.time())}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = f"{server}/{name}"
    engine = create_engine(url)
    with engine.connect() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
    with Session(engine) as s, s.begin():
        s.add(PlanMeta(key="format", value="relman-plan"))
        defaults.install_default_workflow(s)
    engine.dispose()
    return url


def drop_server_plan(server: str, url: str) -> None:
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[-1]}" WITH (FORCE)'))
    admin.dispose()


def open_target(target: str) -> Any:
    if target.startswith("postgresql"):
        return ServerPlan(target)
    return open_plan(target, busy_timeout=300)  # a writer waits its turn for the file


def _writer(target: str, worker: int, writes: int, start: Any) -> None:
    plan = open_target(target)
    ctx = Ctx(plan, actor=f"writer{worker}")
    start.wait()
    try:
        for i in range(writes):
            people.create_person(ctx, {"email": f"w{worker}-{i}@example.com", "name": f"W {i}"})
    finally:
        plan.close()


def many_writers(target: str, workers: int, writes: int) -> tuple[float, list[str]]:
    """Seconds for every writer to finish, and what went wrong (lost writes, a broken chain)."""
    mp = multiprocessing.get_context("fork")
    start = mp.Barrier(workers + 1)
    procs = [mp.Process(target=_writer, args=(target, w, writes, start)) for w in range(workers)]
    for p in procs:
        p.start()
    start.wait()  # every writer has opened the plan
    t0 = time.perf_counter()
    for p in procs:
        p.join()
    seconds = time.perf_counter() - t0
    problems = [f"writer {i} failed (exit {p.exitcode})" for i, p in enumerate(procs) if p.exitcode]
    plan = open_target(target)
    try:
        ctx = Ctx(plan, actor="bench")
        found = len(people.list_people(ctx))
        if found != workers * writes:
            problems.append(f"{workers * writes - found} writes lost ({found} people)")
        result = audit.verify(ctx)
        if not result.ok or result.events != workers * writes:
            problems.append(f"audit chain: {result.events} events, {result.problems[:3]}")
    finally:
        plan.close()
    return seconds, problems


def notify_latency(url: str, count: int) -> list[float]:
    """Seconds from each write's COMMIT being sent to another connection's poll() returning
    its change set (an upper bound: the commit's own time is included)."""
    plan = ServerPlan(url)
    committed: list[float] = []
    event.listen(plan.sessions, "before_commit", lambda _s: committed.append(time.perf_counter()))
    received: dict[int, float] = {}
    stop = threading.Event()
    ctx = Ctx(plan, actor="bench")
    with live.Listener(url, skip_own=False) as listener:

        def watch() -> None:  # the window's timer, polling every millisecond
            while not stop.is_set():
                for changes in listener.poll():
                    received[changes.seq] = time.perf_counter()
                time.sleep(0.001)

        watcher = threading.Thread(target=watch)
        watcher.start()
        releases.create_release(ctx, {"key": "REL-1", "title": "Latency", "type": "minor"})
        time.sleep(0.2)
        received.clear()
        sent: list[tuple[int, float]] = []
        for i in range(count):
            committed.clear()
            detail = releases.update_release(ctx, "REL-1", {"title": f"Latency {i}"})
            assert detail is not None
            seq = audit.head(ctx).seq
            sent.append((seq, committed[0]))  # the write's (head() commits a read after it)
            time.sleep(0.01)
        deadline = time.monotonic() + 10
        while len([s for s, _ in sent if s in received]) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        watcher.join()
    plan.close()
    return [received[seq] - at for seq, at in sent if seq in received]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--writes", type=int, default=200)
    ap.add_argument("--notifies", type=int, default=100)
    ap.add_argument("--pg", help="a PostgreSQL server (default: a throwaway cluster)")
    args = ap.parse_args()
    cluster = None
    if args.pg is None:
        from pgcluster import Cluster

        try:
            cluster = Cluster()
        except Exception as exc:  # noqa: BLE001 - the row says why
            args.pg = f"(no cluster: {exc})"
        else:
            args.pg = f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}"
    try:
        return run(args)
    finally:
        if cluster is not None:
            cluster.stop()


def run(args: argparse.Namespace) -> int:
    total = args.workers * args.writes
    rows: list[tuple[str, str, str]] = []
    problems: list[str] = []

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.relman"
        open_plan(path, create=True).close()
        seconds, bad = many_writers(str(path), args.workers, args.writes)
        sqlite_rate = total / seconds
        rows.append(
            (
                f"SQLite: {args.workers} × {args.writes} writes",
                fmt_time(seconds),
                f"{sqlite_rate:.0f} writes/s; " + ("; ".join(bad) or "none lost, chain verifies"),
            )
        )
        problems += [f"SQLite: {p}" for p in bad]

    try:
        url = create_server_plan(args.pg)
    except Exception as exc:  # noqa: BLE001 - the row says why
        reason = " ".join(str(exc).split())[:120]
        rows.append(("PostgreSQL", "—", f"skipped: {args.pg} cannot be used ({reason})"))
    else:
        try:
            seconds, bad = many_writers(url, args.workers, args.writes)
            rate = total / seconds
            rows.append(
                (
                    f"PostgreSQL: {args.workers} × {args.writes} writes",
                    fmt_time(seconds),
                    f"{rate:.0f} writes/s ({rate / sqlite_rate:.2f}× SQLite); "
                    + ("; ".join(bad) or "none lost, chain verifies"),
                )
            )
            problems += [f"PostgreSQL: {p}" for p in bad]
            latencies = notify_latency(url, args.notifies)
            if len(latencies) < args.notifies:
                problems.append(f"{args.notifies - len(latencies)} notifications never arrived")
            if latencies:
                median = statistics.median(latencies)
                rows.append(
                    (
                        f"NOTIFY → poll(), {len(latencies)} writes",
                        fmt_time(median),
                        f"median; worst {fmt_time(max(latencies))}; aim median ≤ "
                        f"{fmt_time(NOTIFY_AIM)}: {'met' if median <= NOTIFY_AIM else 'MISSED'}",
                    )
                )
        finally:
            drop_server_plan(args.pg, url)

    header = f"{args.workers} processes × {args.writes} writes each; {dt.date.today()}"
    return report("concurrency (issue 12)", header, rows, [], problems)


if __name__ == "__main__":
    sys.exit(main())
