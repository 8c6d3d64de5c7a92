"""Optimistic locking (issue 12): two people editing the same record; the second, holding an
old version, is refused with who changed it and when, and nothing of theirs is written."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from helpers_builders import make_person, make_release, make_stage, make_task, make_window
from sqlalchemy import create_engine, text
from team_pg import as_role, open_server_plan, url_of

from relman_desktop.models.planfile import open_plan
from relman_desktop.services import (
    approvals,
    audit,
    changes,
    lifecycle,
    locking,
    people,
    releases,
    tasks,
    windows,
)
from relman_desktop.services.base import ConcurrentEdit, Ctx, StaleVersion

AT_1042 = dt.datetime(2026, 11, 27, 10, 42, tzinfo=dt.UTC)


def two_people(plan_a, plan_b) -> tuple[Ctx, Ctx]:
    """Ana and Raj, each on their own connection to the same plan file; the clock reads
    10:42. (On a server their logins are their database roles: ``two_people_on_server``.)"""
    admin = Ctx(plan_a, actor="admin", clock=lambda: AT_1042)
    for email, login in (("ana@example.com", "ana"), ("raj@example.com", "raj")):
        make_person(admin, email, roles=["release_manager", "approver"])
        people.update_person(admin, email, {"login": login})
    return (
        Ctx(plan_a, actor="ana", clock=lambda: AT_1042),
        Ctx(plan_b, actor="raj", clock=lambda: AT_1042),
    )


def stale_update_is_refused(ana: Ctx, raj: Ctx) -> None:
    make_release(ana, "REL-2026-014", title="Payments")
    both_saw = locking.version_of(raj, "release", "REL-2026-014")
    releases.update_release(ana, "REL-2026-014", {"title": "Payments v2"}, version=both_saw)
    head = audit.head(raj)
    with pytest.raises(StaleVersion) as refused:
        releases.update_release(raj, "REL-2026-014", {"scope": "cards"}, version=both_saw)
    assert str(refused.value) == (
        "REL-2026-014 was changed by ana@example.com at 10:42; reload and try again"
    )
    detail = releases.get_release(raj, "REL-2026-014")
    assert (detail.title, detail.scope) == ("Payments v2", None)  # Ana's edit, none of Raj's
    assert audit.head(raj) == head
    # reloaded, Raj's edit goes through
    fresh = locking.version_of(raj, "release", "REL-2026-014")
    assert fresh == both_saw + 1
    releases.update_release(raj, "REL-2026-014", {"scope": "cards"}, version=fresh)
    assert releases.get_release(ana, "REL-2026-014").scope == "cards"


def test_two_connections_to_a_plan_file(plan_path) -> None:
    open_plan(plan_path, create=True).close()
    with open_plan(plan_path) as a, open_plan(plan_path) as b:
        stale_update_is_refused(*two_people(a, b))


def test_two_connections_to_a_server_plan(pg_plan) -> None:
    two_people(pg_plan, pg_plan)  # maps the logins, as the database's owner
    stale_update_is_refused(*two_people_on_server(pg_plan))


def two_people_on_server(pg_plan) -> tuple[Ctx, Ctx]:
    """Ana and Raj signed in as their own database roles."""
    return (
        Ctx(as_role(pg_plan, "ana"), clock=lambda: AT_1042),
        Ctx(as_role(pg_plan, "raj"), clock=lambda: AT_1042),
    )


def test_every_edited_kind_carries_a_version(plan) -> None:
    ana, raj = two_people(plan, plan)
    make_release(ana, "REL-1")
    task_id = make_task(ana, "REL-1", "Deploy")
    assert task_id
    local_id = tasks.list_tasks(ana, "REL-1")[0].local_id
    v = locking.version_of(raj, "task", ("REL-1", local_id))
    tasks.update_task(ana, "REL-1", local_id, {"title": "Deploy to prod"}, version=v)
    with pytest.raises(StaleVersion, match=rf"^task {local_id} of REL-1 was changed by ana@"):
        tasks.update_task(raj, "REL-1", local_id, {"title": "Deploy (raj)"}, version=v)

    key = changes.create_change(
        ana, {"key": "CHG-7", "title": "Card limits", "type": "normal", "category": "feature"}
    )
    v = locking.version_of(raj, "change", key)
    changes.update_change(ana, key, {"title": "Card limits v2"}, version=v)
    with pytest.raises(StaleVersion, match=rf"^{key} was changed by ana@example.com at 10:42"):
        changes.update_change(raj, key, {"title": "x"}, version=v)
    assert changes.get_change(ana, key).title == "Card limits v2"

    wid = make_window(ana, "Freeze", "freeze", AT_1042, AT_1042 + dt.timedelta(days=1))
    v = locking.version_of(raj, "calendar_window", wid)
    windows.update_window(ana, wid, version=v, title="Year-end freeze")
    with pytest.raises(StaleVersion, match="^window 'Year-end freeze' was changed by ana@"):
        windows.update_window(raj, wid, version=v, title="x")

    make_stage(ana, "REL-1", "Business", approvers=["raj@example.com"])
    aid = approvals.approval_id_for(ana, "REL-1", "Business", "raj@example.com")
    v = locking.version_of(raj, "approval", aid)
    approvals.delegate(raj, aid, "ana@example.com")  # the approval moved on meanwhile
    with pytest.raises(StaleVersion, match="^raj@example.com's approval in REL-1 was changed"):
        approvals.decide(raj, aid, "approved", version=v)
    assert approvals.approval_state(ana, aid)["decision"] == "pending"

    v = locking.version_of(raj, "release", "REL-1")
    releases.update_release(ana, "REL-1", {"title": "Renamed"})
    with pytest.raises(StaleVersion, match="^REL-1 was changed by ana@example.com"):
        lifecycle.transition(raj, "REL-1", "On Hold", version=v)
    assert lifecycle.status_of(ana, "REL-1")[0] == "Planning"
    for kind, ident in (("cab_meeting", 999), ("workflow_state", "Nowhere")):
        with pytest.raises(Exception, match="no "):
            locking.version_of(ana, kind, ident)
    assert locking.version_of(ana, "workflow_state", "Planning") == 1


def test_simultaneous_writers_on_a_server_never_both_win(pg_plan) -> None:
    """Two transactions update the same release at once, without a version: the row lock
    makes the second wait, and its UPDATE then finds the version moved: refused, not lost."""
    other = open_server_plan(url_of(pg_plan))
    try:
        two_people(pg_plan, pg_plan)
        ana, raj = two_people_on_server(pg_plan)
        make_release(ana, "REL-1", title="Start")
        entered, release = threading.Event(), threading.Event()
        errors: list[BaseException] = []

        def slow_edit() -> None:
            try:
                with ana.write() as tx:
                    rel = tx.session.execute(
                        text("SELECT id FROM releases WHERE key = 'REL-1'")
                    ).scalar_one()
                    from relman_desktop.models.entities import Release

                    obj = tx.session.get(Release, rel)
                    assert obj is not None
                    obj.title = "Ana's"
                    tx.session.flush()  # holds the row until commit
                    entered.set()
                    release.wait(10)
                    tx.audit("release", "REL-1", "update", {"title": "Start"}, {"title": "Ana's"})
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        def raj_edit() -> None:
            try:
                releases.update_release(raj, "REL-1", {"title": "Raj's"})
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        first = threading.Thread(target=slow_edit)
        first.start()
        assert entered.wait(10)
        second = threading.Thread(target=raj_edit)
        second.start()
        second.join(0.5)  # Raj's UPDATE now waits on Ana's row lock
        release.set()
        first.join(10)
        second.join(10)
        assert [type(e) for e in errors] == [ConcurrentEdit]
        assert "reload and try again (nothing was saved)" in str(errors[0])
        assert releases.get_release(raj, "REL-1").title == "Ana's"
        assert audit.verify(raj).ok
    finally:
        other.close()


def test_an_old_plan_upgrades_with_versions_and_no_logins(plan_path) -> None:
    from alembic import command

    from relman_desktop.models.planfile import _alembic_config

    open_plan(plan_path, create=True).close()
    engine = create_engine(f"sqlite:///{plan_path}")
    with engine.connect() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
        conn.commit()
        assert "row_version" not in {
            r[1] for r in conn.execute(text("PRAGMA table_info(releases)"))
        }
        conn.execute(
            text(
                "INSERT INTO releases (key, title, type, priority, risk, status_id, waves,"
                " required_tests, commit_authors, created_at) SELECT 'REL-OLD', 'Old', 'minor',"
                " 'medium', 'medium', id, '[]', '[]', '[]', '2026-01-01' FROM workflow_states"
                " WHERE name = 'Planning'"
            )
        )
        conn.commit()
    engine.dispose()
    with open_plan(plan_path) as upgraded:  # opening an older plan upgrades it
        ctx = Ctx(upgraded, actor="me")
        assert locking.version_of(ctx, "release", "REL-OLD") == 1
        releases.update_release(ctx, "REL-OLD", {"title": "Older"}, version=1)
        assert locking.version_of(ctx, "release", "REL-OLD") == 2
        assert ctx.identity().role == "release_manager"
