"""Helpers for the team-mode tests (issue 12) on the session's PostgreSQL cluster
(``pg_cluster``/``server_url``/``pg_plan`` in conftest.py): open a server plan by URL, and
connect to one as another database role (a person's login)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from relman_desktop.models.database import open_database
from relman_desktop.models.server import ServerPlan


def open_server_plan(url: str) -> ServerPlan:
    """The server plan at ``url``, as the app opens it (``relman --plan URL``)."""
    plan = open_database(url)
    assert isinstance(plan, ServerPlan)
    return plan


def url_of(plan: ServerPlan) -> str:
    """``plan``'s URL as text (no password in a test URL)."""
    return plan.url.render_as_string(hide_password=False)


def as_role(plan: ServerPlan, role: str) -> ServerPlan:
    """The same plan, connected as database role ``role`` (created with rights on every table;
    ``pg_plan`` closes the plan and drops the role with the plan's database)."""
    owner = create_engine(url_of(plan), isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
    owner.dispose()
    other = open_server_plan(url_of(plan).replace("postgres@", f"{role}@", 1))
    ROLE_PLANS.append(other)
    return other


#: what ``as_role`` opened during the current test: ``pg_plan`` closes them and drops the roles
ROLE_PLANS: list[ServerPlan] = []
