"""The audit hash chain with many writers (issue 12): 8 processes × 200 writes on one plan, a
file and a server; no write lost, one unbroken chain (``audit verify`` passes)."""

from __future__ import annotations

import multiprocessing

from team_pg import open_server_plan, url_of

from relman_desktop.models.planfile import open_plan
from relman_desktop.services import audit, people
from relman_desktop.services.base import Ctx

WORKERS, WRITES = 8, 200


def _writer(target: str, worker: int, writes: int, start: object) -> None:
    """One person's session: ``writes`` separate transactions, each adding someone."""
    # SQLite makes a writer wait for the file's write lock; eight busy writers on a loaded
    # machine can wait longer than the app's 5 s before they give up, so wait as long as it takes
    plan = (
        open_server_plan(target)
        if target.startswith("postgresql")
        else open_plan(target, busy_timeout=120)
    )
    ctx = Ctx(plan, actor=f"writer{worker}")
    start.wait()  # type: ignore[attr-defined]  # every writer has opened the plan: go
    try:
        for i in range(writes):
            people.create_person(
                ctx, {"email": f"w{worker}-{i}@example.com", "name": f"Writer {worker} #{i}"}
            )
    finally:
        plan.close()


def run_writers(target: str) -> list[int | None]:
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(WORKERS)
    procs = [ctx.Process(target=_writer, args=(target, w, WRITES, start)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    return [p.exitcode for p in procs]


def check_chain(plan, actors: set[str]) -> None:
    ctx = Ctx(plan, actor="checker")
    emails = {p.email for p in people.list_people(ctx)}
    assert len(emails) == WORKERS * WRITES  # no write lost
    result = audit.verify(ctx)
    assert result.problems == []
    assert result.ok and result.events == WORKERS * WRITES
    assert {row.actor for row in audit.history(ctx)} == actors


def test_many_writers_on_a_plan_file(plan_path) -> None:
    open_plan(plan_path, create=True).close()
    assert run_writers(str(plan_path)) == [0] * WORKERS
    with open_plan(plan_path) as plan:
        check_chain(plan, {f"writer{w}" for w in range(WORKERS)})


def test_many_writers_on_a_server_plan(pg_plan) -> None:
    """Each process on its own connection, so only the chain head's lock keeps the chain
    single. They sign in as the database's owner (unmapped, it may write), which the trail
    records: on a server the login is the database role, whatever name a client claims."""
    assert run_writers(url_of(pg_plan)) == [0] * WORKERS
    check_chain(pg_plan, {"postgres"})
