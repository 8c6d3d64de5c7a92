"""A plan on a PostgreSQL server (issue 12): the same answers as a plan file, a whole-plan copy
both ways, migrations on the server, and every bad server input as one line with exit status 2
and nothing written. A real server: the session's throwaway cluster (conftest.py ``pg_cluster``).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import psycopg
import pytest
from helpers_builders import make_person
from pgcluster import PASSWORD, PASSWORD_ROLE, free_port
from test_kpis import differences, every_filter

from relman_desktop.cli import main
from relman_desktop.models.database import open_database, redact
from relman_desktop.services import demo, kpis, people, releases
from relman_desktop.services.base import Ctx

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def one_line_refusal(code: int, err: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err and "internal error" not in err, err
    return lines[0]


def tables_of(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as con:
        rows = con.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


def sql(url: str, *statements: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as con:
        result: list[tuple] = []
        for statement in statements:
            cur = con.execute(statement)  # type: ignore[arg-type]
            if cur.description:
                result = cur.fetchall()
        return result


@pytest.fixture
def empty_url(pg_cluster):
    name = f"empty_{free_port()}"
    url = pg_cluster.create_database(name)
    yield url
    pg_cluster.drop_database(name)


# --- same answers ----------------------------------------------------------------------------


def test_every_kpi_is_the_same_on_both_engines_for_a_demo_plan(tmp_path, server_url):
    """The demo made on a plan file and on a server (the same seed and day) gives every KPI,
    for every filter, bit for bit the same; the server answers through its own path."""
    file_plan = open_database(tmp_path / "demo.relman", create=True)
    server_plan = open_database(server_url)
    try:
        file_ctx = Ctx(file_plan, actor="ana@example.com", clock=lambda: NOW)
        server_ctx = Ctx(server_plan, actor="ana@example.com", clock=lambda: NOW)
        made = demo.generate_demo(file_ctx, releases=30, seed=7)
        assert demo.generate_demo(server_ctx, releases=30, seed=7)["releases"] == made["releases"]
        assert not server_plan.times_as_text and file_plan.times_as_text
        compared = 0
        for kw in every_filter():
            for report_year in (2019, 2023):
                on_file = kpis.compute_kpis(file_ctx, report_year=report_year, **kw)
                on_server = kpis.compute_kpis(server_ctx, report_year=report_year, **kw)
                assert differences(on_file.as_dict(), on_server.as_dict()) == [], kw
                compared += 1
        whole = kpis.compute_kpis(server_ctx)
        assert whole.deployment_frequency.count > 0 and whole.releases_deployed > 0
        assert compared == 2 * len(list(every_filter()))
        assert releases.list_releases(file_ctx) == releases.list_releases(server_ctx)
    finally:
        file_plan.close()
        server_plan.close()


# --- migrations --------------------------------------------------------------------------------


def test_every_migration_runs_up_and_down_on_the_server(empty_url):
    from alembic import command
    from sqlalchemy import create_engine

    from relman_desktop.models.migrations.revisions import HEAD, KNOWN_REVISIONS
    from relman_desktop.models.planfile import _alembic_config

    engine = create_engine(empty_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        for target in (KNOWN_REVISIONS[0], "head", "base", "head"):
            with engine.connect() as conn:
                cfg = _alembic_config()
                cfg.attributes["connection"] = conn
                if target == "base":
                    command.downgrade(cfg, "base")
                else:
                    command.upgrade(cfg, target)
                conn.commit()
            if target == "base":
                assert tables_of(empty_url) <= {"alembic_version"}
        with engine.connect() as conn:
            cfg = _alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, KNOWN_REVISIONS[0])  # an old plan on a server ...
            conn.commit()
    finally:
        engine.dispose()
    # ... with a plan's mark in it, is upgraded when opened, and works
    sql(empty_url, "INSERT INTO plan_meta (key, value) VALUES ('format', 'relman-plan')")
    open_database(empty_url).close()
    assert sql(empty_url, "SELECT version_num FROM alembic_version") == [(HEAD,)]
    code, _out, err = run("--plan", empty_url, "--actor", "ana@example.com", "timezone", "UTC")
    assert code == 0, err
    code, out, _err = run("--plan", empty_url, "audit", "verify")
    assert code == 0 and "audit trail intact: 1 event\n" in out


# --- plan copy -----------------------------------------------------------------------------------


def counts(url_or_path: str | Path) -> dict[str, int]:
    from sqlalchemy import func, select

    from relman_desktop.models.entities import Base

    plan = open_database(url_or_path)
    try:
        with plan.read() as s:
            return {
                t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables
            }
    finally:
        plan.close()


def test_plan_copy_file_to_server_to_file_keeps_everything(tmp_path, server_url):
    source = tmp_path / "laptop.relman"
    assert run("--plan", str(source), "demo", "--releases", "12")[0] == 0
    for command in (["timezone", "Europe/Berlin"], ["cab", "new", "--date", "2027-01-05"]):
        assert run("--plan", str(source), "--actor", "ana@example.com", *command)[0] == 0
    code, out, err = run("plan", "copy", str(source), server_url)
    # the template's empty plan is no obstacle; the copy says what it did and that it verified
    assert code == 0, err
    assert "12 releases" in out and "verified" in out
    before = counts(source)
    assert counts(server_url) == before and before["audit_events"] >= 2
    assert before["cab_meetings"] == 1 and before["baselines"] and before["releases"] == 12

    # a second copy over a plan with records is refused, and nothing changes
    code, _out, err = run("plan", "copy", str(source), server_url)
    assert "already holds a plan with records; add --replace" in one_line_refusal(code, err)

    # the server's copy is a working plan: ids continue after the copied ones, the trail extends
    code, _out, err = run("--plan", server_url, "--actor", "bo@example.com", "timezone", "UTC")
    assert code == 0, err
    code, out, _err = run("--plan", server_url, "audit", "verify")
    assert code == 0 and "intact" in out

    back = tmp_path / "back.relman"
    code, out, err = run("plan", "copy", server_url, str(back))
    assert code == 0, err
    assert counts(back) == counts(server_url)
    code, out, _err = run("--plan", str(back), "audit", "verify")
    assert code == 0 and "intact" in out
    assert run("--plan", str(back), "timezone")[1].strip() == "UTC"

    # --replace overwrites a plan file holding records with the source, whole
    code, _out, err = run("plan", "copy", str(source), str(back), "--replace")
    assert code == 0, err
    assert counts(back) == before


def test_plan_copy_refuses_a_target_that_is_not_a_plan_and_writes_nothing(tmp_path, empty_url):
    source = tmp_path / "p.relman"
    assert run("--plan", str(source), "demo", "--releases", "3")[0] == 0
    sql(empty_url, "CREATE TABLE invoices (id int)")
    code, _out, err = run("plan", "copy", str(source), empty_url)
    assert "holds other tables, not a Release Manager plan" in one_line_refusal(code, err)
    assert tables_of(empty_url) == {"invoices"}
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    code, _out, err = run("plan", "copy", str(source), str(notes))
    assert "not a plan file" in one_line_refusal(code, err)
    assert notes.read_text() == "my notes" and sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.txt",
        "p.relman",
    ]


def test_a_copy_whose_audit_chain_does_not_verify_is_rolled_back(tmp_path, server_url):
    source = tmp_path / "p.relman"
    assert run("--plan", str(source), "demo", "--releases", "3")[0] == 0
    import sqlite3

    con = sqlite3.connect(source)
    con.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 1")
    con.commit()
    con.close()
    code, _out, err = run("plan", "copy", str(source), server_url)
    assert "audit trail does not verify" in one_line_refusal(code, err)
    assert counts(server_url)["releases"] == 0


# --- bad input: one line, exit status 2, nothing written -----------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://ana@db.example.com:port/plan", "is not a server URL"),
        ("postgresql://ana@127.0.0.1:5432", "names no database"),
        ("postgresql://ana:hunter2@127.0.0.1:5432/plan", "carries a password"),
    ],
)
def test_a_wrong_url_is_one_line_and_never_shows_a_password(url, expected):
    code, _out, err = run("--plan", url, "releases")
    assert expected in one_line_refusal(code, err)
    assert "hunter2" not in err


def test_a_host_with_no_server_is_one_line():
    code, _out, err = run("--plan", f"postgresql://ana@127.0.0.1:{free_port()}/plan", "releases")
    assert "cannot reach a PostgreSQL server at 127.0.0.1" in one_line_refusal(code, err)


def test_a_bad_password_is_one_line_and_the_right_one_comes_from_pgpassword(
    pg_cluster, server_url, monkeypatch
):
    db = server_url.rsplit("/", 1)[1]
    with open_database(server_url) as owner:  # team mode: the role is a release manager's login
        ctx = Ctx(owner, actor="admin")
        make_person(ctx, "ana@example.com", roles=["release_manager"])
        people.update_person(ctx, "ana@example.com", {"login": PASSWORD_ROLE})
    pg_cluster.sql(db, f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {PASSWORD_ROLE}")
    pg_cluster.sql(db, f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {PASSWORD_ROLE}")
    url = pg_cluster.url(db, user=PASSWORD_ROLE)
    monkeypatch.setenv("PGPASSWORD", "wrong")
    code, _out, err = run("--plan", url, "releases")
    line = one_line_refusal(code, err)
    assert f"refused the password of {PASSWORD_ROLE}" in line and "PGPASSWORD" in line
    monkeypatch.delenv("PGPASSWORD")
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    code, _out, err = run("--plan", url, "releases")
    assert "asks relman_pw for a password" in one_line_refusal(code, err)
    pgpass = Path.home() / ".pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_cluster.port}:*:{PASSWORD_ROLE}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.delenv("PGPASSFILE")
    code, out, err = run("--plan", url, "--actor", "ana@example.com", "timezone", "UTC")
    assert code == 0, err


def test_a_missing_database_on_a_running_server(pg_cluster):
    code, _out, err = run("--plan", pg_cluster.url("no_such_plan"), "releases")
    line = one_line_refusal(code, err)
    assert "there is no database no_such_plan" in line and "createdb no_such_plan" in line


def test_an_empty_database_needs_init_and_init_makes_it_a_plan(empty_url):
    code, _out, err = run("--plan", empty_url, "releases")
    assert f"empty, not a plan yet; make it one with 'relman --plan {empty_url} init'" in (
        one_line_refusal(code, err)
    )
    assert tables_of(empty_url) == set()
    code, out, err = run("--plan", empty_url, "init")
    assert code == 0 and out.strip() == f"plan ready: {empty_url}", err
    assert run("--plan", empty_url, "releases")[0] == 0


def test_a_database_that_is_not_a_plan_is_refused_untouched(empty_url):
    sql(empty_url, "CREATE TABLE invoices (id int)", "INSERT INTO invoices VALUES (1)")
    for command in (["releases"], ["init"]):
        code, _out, err = run("--plan", empty_url, *command)
        assert "holds other tables, not a Release Manager plan" in one_line_refusal(code, err)
    assert tables_of(empty_url) == {"invoices"}


def test_a_server_plan_of_a_newer_schema_is_refused_untouched(server_url):
    sql(server_url, "UPDATE alembic_version SET version_num = '0042_future'")
    code, _out, err = run("--plan", server_url, "init")
    assert "written by a newer version of Release Manager Desktop (schema 0042_future)" in (
        one_line_refusal(code, err)
    )
    assert sql(server_url, "SELECT version_num FROM alembic_version") == [("0042_future",)]


def test_a_role_without_rights_is_refused_and_a_reader_may_only_read(pg_cluster, server_url):
    db = server_url.rsplit("/", 1)[1]
    pg_cluster.sql(db, "DROP ROLE IF EXISTS nobody_r", "CREATE ROLE nobody_r LOGIN")
    pg_cluster.sql(db, "DROP ROLE IF EXISTS reader_r", "CREATE ROLE reader_r LOGIN")
    pg_cluster.sql(db, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader_r")
    code, _out, err = run("--plan", pg_cluster.url(db, "nobody_r"), "releases")
    assert "nobody_r may not read the plan" in one_line_refusal(code, err)
    reader = pg_cluster.url(db, "reader_r")
    assert run("--plan", reader, "releases")[0] == 0
    code, _out, err = run("--plan", reader, "timezone", "Europe/Paris")
    assert "reader_r may only read the plan" in one_line_refusal(code, err)
    assert run("--plan", server_url, "timezone")[1].strip() != "Europe/Paris"


def test_redact_hides_passwords_in_any_text():
    assert (
        redact("open postgresql://ana:pw@h:5/db failed")
        == "open postgresql://ana:***@h:5/db failed"
    )
    assert redact("postgresql://ana@h/db") == "postgresql://ana@h/db"


def test_a_lost_connection_is_one_line_and_the_next_action_reconnects(pg_cluster, server_url):
    from relman_desktop.models.planfile import PlanError

    plan = open_database(server_url)
    try:
        ctx = Ctx(plan, actor="ana@example.com", clock=lambda: NOW)
        assert releases.list_releases(ctx) == []
        db = server_url.rsplit("/", 1)[1]
        pg_cluster.sql(
            "postgres",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{db}' AND pid <> pg_backend_pid()",
        )
        with pytest.raises(PlanError, match="connection to the server at 127.0.0.1:.* was lost"):
            releases.list_releases(ctx)
        assert releases.list_releases(ctx) == []  # the next action connects afresh
    finally:
        plan.close()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"], indirect=True)
def test_a_write_the_schema_refuses_is_one_line_on_both_engines(ctx):
    from relman_desktop.models.entities import Person
    from relman_desktop.services.base import ValidationError

    with ctx.write() as tx:
        tx.session.add(Person(email="ana@example.com", name="Ana", roles=[]))
    with pytest.raises(ValidationError, match="that would duplicate an existing value"):
        with ctx.write() as tx:
            tx.session.add(Person(email="ana@example.com", name="Ana again", roles=[]))
    with pytest.raises(ValidationError, match="a required value is missing"):
        with ctx.write() as tx:
            tx.session.add(Person(email="bo@example.com", name=None, roles=[]))
    with ctx.read() as s:
        assert [p.name for p in s.query(Person)] == ["Ana"]


def test_file_backups_of_a_server_plan_point_to_the_server_and_plan_copy():
    for command in ("backup", "backups"):
        code, _out, err = run("--plan", "postgresql://ana@127.0.0.1:5432/releases", command)
        assert "relman plan copy URL FILE" in one_line_refusal(code, err)


def test_a_write_by_another_user_moves_the_server_plans_data_version(server_url):
    """What a window polls to notice other users' changes (the file's PRAGMA data_version)."""
    mine = open_database(server_url)
    try:
        before = mine.data_version()
        assert mine.data_version() == before  # reading changes nothing
        code, _out, err = run("--plan", server_url, "--actor", "bo@example.com", "timezone", "UTC")
        assert code == 0, err
        assert mine.data_version() != before
    finally:
        mine.close()


def team_columns(url_or_path: str | Path) -> tuple[dict[str, str | None], dict[str, list]]:
    """People's logins, and every row's ``row_version`` (by table, in primary-key order)."""
    from sqlalchemy import select

    from relman_desktop.models.entities import Base, Person

    plan = open_database(url_or_path)
    try:
        with plan.read() as s:
            logins = {p.email: p.login for p in s.scalars(select(Person))}
            versions = {
                t.name: [
                    tuple(row)
                    for row in s.execute(
                        select(*t.primary_key.columns, t.c.row_version).order_by(
                            *t.primary_key.columns
                        )
                    )
                ]
                for t in Base.metadata.sorted_tables
                if "row_version" in t.c
            }
        return logins, versions
    finally:
        plan.close()


def schema_of(url_or_path: str | Path) -> tuple[str, dict[str, set[str]], set[str]]:
    """The plan's migration revision, every table's columns, and every index's name."""
    from sqlalchemy import inspect, text

    plan = open_database(url_or_path)
    try:
        with plan.read() as s:
            revision = s.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            found = inspect(s.connection())
            tables = sorted(found.get_table_names())
            columns = {t: {c["name"] for c in found.get_columns(t)} for t in tables}
            indexes = {i["name"] for t in tables for i in found.get_indexes(t)}
        return str(revision), columns, indexes
    finally:
        plan.close()


def test_plan_copy_carries_logins_row_versions_and_the_team_schema(tmp_path, server_url):
    """Team mode's columns survive file → server → file: people's logins, and every record's
    version (a window holding version 3 of a release still holds the current one after)."""
    from helpers_builders import make_release, make_task

    from relman_desktop.models.migrations.revisions import HEAD
    from relman_desktop.services import locking, tasks

    source = tmp_path / "laptop.relman"
    plan = open_database(source, create=True)
    try:
        ctx = Ctx(plan, actor="admin")
        make_person(ctx, "ana@example.com", roles=["release_manager"])
        make_person(ctx, "raj@example.com", roles=["approver"])
        people.update_person(ctx, "ana@example.com", {"login": "relman_ana"})
        make_release(ctx, "REL-1", title="Payments")
        releases.update_release(ctx, "REL-1", {"title": "Payments v2"})
        releases.update_release(ctx, "REL-1", {"scope": "cards"})
        make_task(ctx, "REL-1", "Deploy", local_id="T1")
        tasks.update_task(ctx, "REL-1", "T1", {"title": "Deploy cards"})
        assert locking.version_of(ctx, "release", "REL-1") == 3
    finally:
        plan.close()
    logins, versions = team_columns(source)
    assert logins == {"ana@example.com": "relman_ana", "raj@example.com": None}
    assert versions["releases"] == [(1, 3)] and versions["tasks"][0][1] == 2
    revision, columns, indexes = schema_of(source)
    assert revision == HEAD and "login" in columns["people"]
    assert "ix_releases_deploy_window" in indexes  # 0009_scale's

    code, _out, err = run("plan", "copy", str(source), server_url)
    assert code == 0, err
    assert team_columns(server_url) == (logins, versions)
    assert schema_of(server_url)[0] == HEAD
    assert schema_of(server_url)[1] == columns and indexes <= schema_of(server_url)[2]
    server = open_database(server_url)
    try:  # the copied version is the one a stale save is checked against on the server
        assert locking.version_of(Ctx(server), "release", "REL-1") == 3
    finally:
        server.close()

    back = tmp_path / "back.relman"
    code, _out, err = run("plan", "copy", server_url, str(back))
    assert code == 0, err
    assert team_columns(back) == (logins, versions)
    assert schema_of(back) == (revision, columns, indexes)


def test_plan_copy_keeps_every_value_a_late_parent_and_goes_on_numbering(tmp_path, server_url):
    """A copy reads back as its source did (the plan JSON of each is the same document), a
    release whose parent was created after it keeps its parent both ways, the server's ids go
    on after the copied ones (a new record does not collide), and a long copy reports its
    progress on stderr."""
    from helpers_builders import make_release

    from relman_desktop.cli import plan_cmds
    from relman_desktop.exports.plan_json import export_plan

    source = tmp_path / "laptop.relman"
    assert run("--plan", str(source), "demo", "--releases", "6")[0] == 0
    plan = open_database(source)
    try:
        ctx = Ctx(plan, actor="ana@example.com", clock=lambda: NOW)
        make_release(ctx, "REL-CHILD", title="Child first")
        make_release(ctx, "REL-PARENT", title="Parent later")
        releases.update_release(ctx, "REL-CHILD", {"parent": "REL-PARENT"})
        expected = export_plan(ctx)
    finally:
        plan.close()

    rows = counts(source)
    plan_cmds.PROGRESS_FROM_ROWS, saved = 10, plan_cmds.PROGRESS_FROM_ROWS
    try:
        code, _out, err = run("plan", "copy", str(source), server_url)
    finally:
        plan_cmds.PROGRESS_FROM_ROWS = saved
    assert code == 0, err
    lines = err.strip().splitlines()
    assert (
        lines[-1] == f"relman: copied {sum(rows.values()):,} of {sum(rows.values()):,} rows (100 %)"
    )
    assert len(lines) <= 10 and all(line.startswith("relman: copied ") for line in lines)

    server = open_database(server_url)
    try:
        ctx = Ctx(server, actor="ana@example.com", clock=lambda: NOW)
        assert export_plan(ctx) == expected
        assert releases.get_release(ctx, "REL-CHILD").parent == "REL-PARENT"
        make_person(ctx, "new@example.com")  # ids continue after the copied ones
        make_release(ctx, "REL-NEW", title="After the copy")
        assert len(releases.list_releases(ctx)) == rows["releases"] + 1
    finally:
        server.close()

    back = tmp_path / "back.relman"
    code, _out, err = run("plan", "copy", server_url, str(back))
    assert code == 0 and "Traceback" not in err, err
    plan = open_database(back)
    try:
        ctx = Ctx(plan, actor="ana@example.com", clock=lambda: NOW)
        assert releases.get_release(ctx, "REL-CHILD").parent == "REL-PARENT"
        doc = export_plan(ctx)
        assert [p["email"] for p in doc["people"]] == sorted(
            [p["email"] for p in expected["people"]] + ["new@example.com"]
        )
        make_release(ctx, "REL-NEWER", title="On the laptop again")
    finally:
        plan.close()
    assert run("--plan", str(back), "audit", "verify")[0] == 0


def test_a_source_with_a_broken_reference_is_one_line_and_nothing_is_written(tmp_path, server_url):
    """A plan file edited by another tool (a task left pointing at a deleted release) is not
    copied half: a file target checks every reference before it commits, a server refuses the
    row; either way one line, exit 2, the target as it was."""
    import sqlite3

    source = tmp_path / "edited.relman"
    assert run("--plan", str(source), "demo", "--releases", "3")[0] == 0
    con = sqlite3.connect(source)  # foreign keys off: what a careless tool does
    con.execute("UPDATE tasks SET release_id = 9999 WHERE id = (SELECT min(id) FROM tasks)")
    con.commit()
    con.close()
    target = tmp_path / "copy.relman"
    code, _out, err = run("plan", "copy", str(source), str(target))
    assert "tasks names a missing releases" in one_line_refusal(code, err)
    assert not target.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["edited.relman"]
    code, _out, err = run("plan", "copy", str(source), server_url)
    assert "tasks" in one_line_refusal(code, err)
    assert counts(server_url)["releases"] == 0
