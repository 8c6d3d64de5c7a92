"""A throwaway PostgreSQL for the team-mode tests (issue 12b), kept in this one helper.

(The two-engine fixture of issue 12a replaces this at merge: it is only what team mode's own
tests need.) ``pg_server`` is a server for the session: ``RELMAN_TEST_PG_URL`` when set, a
server already answering on 127.0.0.1:55433, or else a cluster started here from Debian's
binaries (``/usr/lib/postgresql/*/bin``) in a temporary folder, stopped at the end.
``pg_plan`` is a new database per test, migrated by the app's own Alembic migrations, with the
default workflow, behind a ``Plan``-like object (``read()``/``write()`` sessions).

Use it from a test module with
``from team_pg import pg_plan_fixture, pg_server_fixture  # noqa: F401``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

PORT = 55433
_counter = itertools.count(1)


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session", name="pg_server")
def pg_server_fixture() -> Iterator[str]:
    """The server's URL without a database name: ``postgresql+psycopg://user@host:port``."""
    url = os.environ.get("RELMAN_TEST_PG_URL")
    if url:
        yield url.rstrip("/")
        return
    if _answers(PORT):
        yield f"postgresql+psycopg://postgres@127.0.0.1:{PORT}"
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    assert bins, (
        "team-mode tests need PostgreSQL (apt-get install postgresql) or RELMAN_TEST_PG_URL"
    )
    bindir = Path(bins[-1])
    folder = Path(tempfile.mkdtemp(prefix="relman-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    subprocess.run(
        _as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {PORT} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_postgres(
            [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log")]
            + ["-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{PORT}"
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


class PgPlan:
    """A server plan as the services see one: ``read()``/``write()`` sessions on one URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(url.rsplit("/", 1)[-1])  # what messages name
        self.engine = create_engine(url, pool_size=2)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.roles: list[str] = []
        self.others: list[PgPlan] = []

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    write = read

    def close(self) -> None:
        self.engine.dispose()

    def as_role(self, role: str) -> PgPlan:
        """The same plan, connected as database role ``role`` (created with rights on every
        table; dropped with the plan's database by ``pg_plan``)."""
        owner = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with owner.connect() as conn:
            if not conn.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
            ).first():
                conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
            conn.execute(text(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"'))
            conn.execute(text(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
        owner.dispose()
        self.roles.append(role)
        server, name = self.url.rsplit("/", 1)
        scheme, rest = server.split("://", 1)
        other = PgPlan(f"{scheme}://{role}@{rest.split('@', 1)[-1]}/{name}")
        self.others.append(other)
        return other


def create_plan_database(server: str) -> str:
    """A new, migrated plan database on ``server``; returns its URL."""
    from alembic import command

    from relman_desktop.models import defaults
    from relman_desktop.models.entities import PlanMeta
    from relman_desktop.models.planfile import _alembic_config

    name = f"relman_team_{os.getpid()}_{next(_counter)}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
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
        s.add(PlanMeta(key="created_at", value=dt.datetime.now(dt.UTC).isoformat()))
        defaults.install_default_workflow(s)
    engine.dispose()
    return url


def drop_plan_database(server: str, url: str) -> None:
    name = url.rsplit("/", 1)[-1]
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(name="pg_plan")
def pg_plan_fixture(pg_server: str) -> Iterator[PgPlan]:
    url = create_plan_database(pg_server)
    plan = PgPlan(url)
    yield plan
    for other in plan.others:
        other.close()
    plan.close()
    drop_plan_database(pg_server, url)
    admin = create_engine(f"{pg_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for role in dict.fromkeys(plan.roles):
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    admin.dispose()
