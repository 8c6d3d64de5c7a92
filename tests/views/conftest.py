"""Fixtures for the GUI tests: a plan with people and a few releases, a store, a main window
with throw-away settings, and a 10,000-release plan built with Core bulk inserts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _delete_closed_widgets(qapp):
    """Widgets closed by qtbot are only deleteLater()'d; without an event loop they would pile
    up and make every later restyle (theme switch) slower. Delete them after each test."""
    yield
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def people_ctx(ctx):
    from relman_desktop.models.entities import Person

    with ctx.plan.write() as s:
        s.add_all(
            [
                Person(email="ann@example.com", name="Ann Lee", roles=[]),
                Person(email="bo@example.com", name="Bo Chen", roles=[]),
            ]
        )
    return ctx


@pytest.fixture
def releases_ctx(people_ctx):
    from relman_desktop.services import releases

    ctx = people_ctx
    specs = [
        (
            "REL-2026-001",
            "Payments checkout redesign",
            "major",
            "high",
            "Payments",
            "ann@example.com",
            "2026-12-01",
            "2026-12-20",
        ),
        (
            "REL-2026-002",
            "Quarterly security patch",
            "patch",
            "low",
            "Identity",
            "bo@example.com",
            "2026-11-01",
            "2026-11-05",
        ),
        (
            "REL-2026-003",
            "Invoice export to PDF",
            "minor",
            "medium",
            "Billing",
            "ann@example.com",
            "2027-01-10",
            "2027-01-30",
        ),
    ]
    for key, title, rtype, risk, app, manager, start, end in specs:
        releases.create_release(
            ctx,
            {
                "key": key,
                "title": title,
                "type": rtype,
                "risk": risk,
                "application": app,
                "manager_email": manager,
                "planned_start": start,
                "planned_end": end,
            },
        )
    return ctx


@pytest.fixture
def store(releases_ctx, qtbot):
    from relman_desktop.views.shell.store import Store

    return Store(releases_ctx)


@pytest.fixture
def window(store, qtbot):
    from relman_desktop.views.shell.main_window import MainWindow
    from relman_desktop.views.shell.settings import Settings

    win = MainWindow(store, Settings.in_memory())
    qtbot.addWidget(win)
    win.resize(1366, 768)
    return win


@pytest.fixture
def settings_page(store, qtbot):
    """The Settings page on its own, shown at a desktop size."""
    from relman_desktop.views.settings.settings_page import SettingsPage

    page = SettingsPage(store)
    qtbot.addWidget(page)
    page.resize(1280, 760)
    page.show()
    qtbot.waitExposed(page)
    return page


def bulk_releases(plan, n: int) -> None:
    """n releases in one INSERT … VALUES batch: seconds, not the minutes of n service calls."""
    from sqlalchemy import insert, select

    from relman_desktop.models.entities import Person, Release, WorkflowState

    types = ["major", "minor", "patch", "emergency", "standard"]
    levels = ["low", "medium", "high", "critical"]
    base = dt.date(2026, 1, 1)
    with plan.write() as s:
        s.execute(
            insert(Person),
            [{"email": f"p{i}@example.com", "name": f"Person {i}", "roles": []} for i in range(20)],
        )
        person_ids = list(s.execute(select(Person.id)).scalars())
        states = list(
            s.execute(select(WorkflowState.id).order_by(WorkflowState.position)).scalars()
        )[:8]
        rows = []
        for i in range(n):
            start = base + dt.timedelta(days=i % 365)
            window_start = dt.datetime.combine(
                start + dt.timedelta(days=7), dt.time(22), tzinfo=dt.UTC
            )
            rows.append(
                {
                    "key": f"REL-{i:05d}",
                    "title": f"Release {i} for app{i % 40} {'hotfix' if i % 10 == 0 else 'feature'}",
                    "version": f"1.{i}",
                    "type": types[i % 5],
                    "priority": levels[i % 4],
                    "risk": levels[(i // 3) % 4],
                    "application": f"app{i % 40}",
                    "status_id": states[i % len(states)],
                    "manager_id": person_ids[i % len(person_ids)],
                    "planned_start": start,
                    "planned_end": start + dt.timedelta(days=10),
                    "deploy_start": window_start,
                    "deploy_end": window_start + dt.timedelta(hours=2),
                    "waves": [],
                    "required_tests": [],
                    "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                }
            )
        s.execute(insert(Release), rows)


@pytest.fixture(scope="session")
def big_plan_file(tmp_path_factory) -> Path:
    from relman_desktop.models.planfile import open_plan

    path = tmp_path_factory.mktemp("big") / "big.relman"
    plan = open_plan(path, create=True)
    try:
        bulk_releases(plan, 10_000)
    finally:
        plan.close()
    return path
