"""Shared fixtures. Qt runs offscreen; every plan lives in tmp_path, never the user's data folder."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")
# A plan that names no time zone uses the machine's (tzlocal reads TZ first): tests see the
# same times on every developer's machine and in CI.
os.environ["TZ"] = "UTC"

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """platformdirs and QSettings look here instead of the real home folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))


@pytest.fixture
def plan_path(tmp_path: Path) -> Path:
    return tmp_path / "test.relman"


# The service test modules that run on both engines: every test of theirs that takes ``plan``
# (or ``ctx``) runs once on a plan file and once on a PostgreSQL plan (a fresh database per
# test). A test that also names ``plan_path`` or opens SQLite itself is about the file, and
# runs on the file only.
TWO_ENGINE_MODULES = {
    "test_approvals",
    "test_audit",
    "test_cab",
    "test_changes_service",
    "test_conflicts",
    "test_guards",
    "test_kpis",
    "test_lifecycle",
    "test_plan_io",
    "test_releases_service",
    "test_team_versions",
    # tasks, evidence, windows, baselines and the importers that write into a plan
    "test_baselines",
    "test_import_git",
    "test_import_incidents",
    "test_import_pipeline",
    "test_import_tests",
    "test_interchange_changes",
    "test_interchange_ics",
    "test_interchange_msproject",
    "test_interchange_schedules",
    "test_interchange_undo",
    "test_task_scheduling",
    "test_windows",
    # rules, templates, workflow roles, impact, the scheduling assistant, the dependency graph,
    # CAB timing and change sets
    "test_cab_times",
    "test_changeset",
    "test_graph",
    "test_impact",
    "test_rules",
    "test_rules_hardening",
    "test_rule_undo",
    "test_scheduling",
    "test_templates",
    "test_workflow_roles",
}
ENGINES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    import inspect

    if "engine" not in metafunc.fixturenames or metafunc.module.__name__ not in TWO_ENGINE_MODULES:
        return
    if metafunc.function.__name__ in getattr(metafunc.module, "FILE_ONLY_TESTS", ()):
        return
    source = inspect.getsource(metafunc.function)
    if "plan_path" in inspect.signature(metafunc.function).parameters or "sqlite" in source:
        return
    metafunc.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """Which engine ``plan`` is on: a file unless the test is parametrized over both."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def pg_cluster():
    """One throwaway PostgreSQL cluster for the session, with a template database that holds an
    empty plan (what ``relman --plan URL init`` makes): each test copies it in milliseconds."""
    from pgcluster import Cluster

    from relman_desktop.models.database import open_database

    cluster = Cluster()
    try:
        open_database(cluster.create_database("relman_template"), create=True).close()
        yield cluster
    finally:
        cluster.stop()


_DATABASES = iter(range(1, 10**9))


@pytest.fixture
def server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database holding an empty plan, dropped after the test."""
    cluster = request.getfixturevalue("pg_cluster")
    name = f"plan_{next(_DATABASES)}"
    url = cluster.create_database(name, template="relman_template")
    yield url
    cluster.drop_database(name)


@pytest.fixture
def plan(engine: str, plan_path: Path, request: pytest.FixtureRequest):
    from relman_desktop.models.database import open_database

    target = str(request.getfixturevalue("server_url")) if engine == "postgresql" else plan_path
    p = open_database(target, create=True)
    yield p
    p.close()


FIXED_NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def ctx(plan):
    from relman_desktop.services.base import Ctx

    return Ctx(plan, actor="tester@example.com", clock=lambda: FIXED_NOW)


@pytest.fixture
def pg_plan(server_url: str, pg_cluster):
    """A server plan for the team-mode tests: a fresh database in the session cluster, opened
    as its owner (``postgres``). Roles a test signs in as (``team_pg.as_role``) are dropped
    after it, with the database (a role cannot go while a database grants it rights)."""
    from team_pg import ROLE_PLANS, open_server_plan

    plan = open_server_plan(server_url)
    yield plan
    plan.close()
    roles = list(dict.fromkeys(str(p.url.username) for p in ROLE_PLANS))
    for other in ROLE_PLANS:
        other.close()
    ROLE_PLANS.clear()
    if roles:
        pg_cluster.drop_database(server_url.rsplit("/", 1)[-1])
        pg_cluster.sql("postgres", *(f'DROP ROLE IF EXISTS "{role}"' for role in roles))
