"""Releases, release dependencies, tasks and task dependencies, changes and bundling."""

from __future__ import annotations

import datetime as dt

import pytest

from relman_desktop.services import people, releases, tasks
from relman_desktop.services.base import Ctx, CycleError, NotFound, ValidationError


@pytest.fixture
def ana(ctx: Ctx) -> str:
    return people.create_person(
        ctx, {"email": "ana@example.com", "name": "Ana Silva", "roles": ["release_manager"]}
    )


def make(ctx: Ctx, key: str, **fields: object) -> str:
    return releases.create_release(
        ctx, {"key": key, "title": f"Release {key}", "type": "minor", **fields}
    )


def test_create_and_read_back_every_field(ctx: Ctx, ana: str) -> None:
    window = (
        dt.datetime(2026, 12, 12, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        dt.datetime(2026, 12, 13, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    )
    key = make(
        ctx,
        "REL-2026-001",
        version="2.4.0",
        risk="low",
        priority="high",
        manager_email=ana,
        application="Billing",
        scope="Invoice layout",
        planned_start="2026-12-01",
        planned_end="2026-12-12",
        deploy_start=window[0],
        deploy_end=window[1],
        strategy="canary",
        waves=[{"percent": 10, "bake_minutes": 60}],
        rollback_plan="Redeploy 2.3.7",
        rollback_minutes=45,
        required_tests=["regression"],
    )
    d = releases.get_release(ctx, key)
    assert (d.status, d.manager, d.application, d.strategy) == (
        "Planning",
        "Ana Silva",
        "Billing",
        "canary",
    )
    assert d.planned_start == dt.date(2026, 12, 1)
    assert d.deploy_start == dt.datetime(
        2026, 12, 12, 21, 30, tzinfo=dt.UTC
    )  # stored and returned in UTC
    assert d.waves == [{"percent": 10, "bake_minutes": 60}]
    row = releases.list_releases(ctx)[0]
    assert (row.key, row.manager_email, row.risk, row.status) == (
        "REL-2026-001",
        ana,
        "low",
        "Planning",
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "Title must not be empty"),
        ({"title": "   "}, "title", "Title must not be empty"),
        (
            {"planned_start": "2026-12-10", "planned_end": "2026-12-01"},
            "planned_end",
            "Planned end (2026-12-01) is before planned start (2026-12-10)",
        ),
        (
            {"manager_email": "nobody@example.com"},
            "manager_email",
            "unknown person 'nobody@example.com'",
        ),
        (
            {"type": "huge"},
            "type",
            "Type: 'huge' is not one of major, minor, patch, emergency, standard",
        ),
        (
            {"planned_start": "12/01/2026"},
            "planned_start",
            "Planned start: '12/01/2026' is not a date (YYYY-MM-DD)",
        ),
        (
            {"rollback_minutes": -5},
            "rollback_minutes",
            "Rollback duration: -5 is not a whole number of 0 or more",
        ),
        ({"deploy_start": "2026-12-12T22:00"}, "deploy_start", "give a time zone offset"),
        ({"key": "REL 1"}, "key", "may hold only letters, digits"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(
    ctx: Ctx, fields: dict, field: str, message: str
) -> None:
    make(ctx, "REL-1")
    with pytest.raises(
        ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as info:
        releases.update_release(ctx, "REL-1", fields)
    assert info.value.field == field
    assert releases.validate_release_fields(ctx, fields, "REL-1") == {field: str(info.value)}
    assert releases.get_release(ctx, "REL-1").title == "Release REL-1", "nothing half-saved"


def test_duplicate_key_is_refused(ctx: Ctx) -> None:
    make(ctx, "REL-1")
    with pytest.raises(ValidationError, match="Key: REL-1 is already used by another release"):
        make(ctx, "REL-1")
    assert len(releases.list_releases(ctx)) == 1


def test_update_is_audited_with_before_and_after(ctx: Ctx) -> None:
    from relman_desktop.services import audit

    make(ctx, "REL-1")
    releases.update_release(ctx, "REL-1", {"title": "Billing 2.4"})
    ev = audit.history(ctx, "REL-1")[0]
    assert (ev.action, ev.before, ev.after) == (
        "update",
        {"title": "Release REL-1"},
        {"title": "Billing 2.4"},
    )
    assert "changed release REL-1 (title: Release REL-1 → Billing 2.4)" in ev.summary


def test_release_dependency_cycle_is_refused_naming_the_loop(ctx: Ctx) -> None:
    for k in ("REL-7", "REL-8", "REL-9"):
        make(ctx, k)
    releases.add_dependency(ctx, "REL-9", "REL-7")
    with pytest.raises(CycleError, match="REL-7 → REL-9 → REL-7"):
        releases.add_dependency(ctx, "REL-7", "REL-9")
    releases.add_dependency(ctx, "REL-8", "REL-9")
    with pytest.raises(CycleError, match="REL-7 → REL-8 → REL-9 → REL-7"):
        releases.add_dependency(ctx, "REL-7", "REL-8")
    with pytest.raises(CycleError, match="REL-7 → REL-7"):
        releases.add_dependency(ctx, "REL-7", "REL-7")
    assert releases.get_release(ctx, "REL-7").depends_on == []
    assert releases.get_release(ctx, "REL-8").depends_on == [{"release": "REL-9", "kind": "before"}]
    releases.remove_dependency(ctx, "REL-8", "REL-9")
    assert releases.get_release(ctx, "REL-9").dependents == []


def test_tasks_fill_in_like_a_list_and_refuse_loops(ctx: Ctx, ana: str) -> None:
    make(ctx, "REL-1")
    t1 = tasks.add_task(
        ctx,
        "REL-1",
        {
            "title": "Build image",
            "phase": "build",
            "assignee_email": ana,
            "start": "2026-12-01",
            "end": "2026-12-02",
            "effort_hours": "6",
        },
    )
    t2 = tasks.add_task(ctx, "REL-1", {"title": "Regression run", "phase": "test"})
    t3 = tasks.add_task(ctx, "REL-1", {"title": "Deploy", "phase": "deploy"})
    assert (t1, t2, t3) == ("T1", "T2", "T3")
    tasks.add_task_dependency(ctx, "REL-1", "T1", "T2", "FS", 0)
    tasks.add_task_dependency(ctx, "REL-1", "T2", "T3", "SS", -1)
    with pytest.raises(CycleError, match="T1 → T2 → T3 → T1"):
        tasks.add_task_dependency(ctx, "REL-1", "T3", "T1")
    with pytest.raises(ValidationError, match="dependency type 'XX' is not one of FS, SS, FF, SF"):
        tasks.add_task_dependency(ctx, "REL-1", "T1", "T3", "XX")
    rows = tasks.list_tasks(ctx, "REL-1")
    assert [r.title for r in rows] == ["Build image", "Regression run", "Deploy"]
    assert rows[0].assignee == "Ana Silva" and rows[0].effort_hours == 6.0
    assert rows[2].predecessors == [{"task": "T2", "type": "SS", "lag_days": -1}]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"end": "2026-11-30"}, r"End \(2026-11-30\) is before start \(2026-12-01\)"),
        ({"percent_complete": 120}, "% complete must be between 0 and 100, not 120"),
        (
            {"status": "finished"},
            "Status: 'finished' is not one of todo, in_progress, done, blocked, cancelled",
        ),
        ({"title": ""}, "Title must not be empty"),
        ({"assignee_email": "ghost@example.com"}, "unknown person 'ghost@example.com'"),
        ({"effort_hours": "lots"}, r"Effort \(hours\): 'lots' is not a number of hours"),
    ],
)
def test_bad_task_edits_are_refused(ctx: Ctx, fields: dict, message: str) -> None:
    make(ctx, "REL-1")
    tasks.add_task(ctx, "REL-1", {"title": "Build", "start": "2026-12-01", "end": "2026-12-02"})
    with pytest.raises(ValidationError, match=message):
        tasks.update_task(ctx, "REL-1", "T1", fields)
    row = tasks.list_tasks(ctx, "REL-1")[0]
    assert (row.title, row.end, row.status) == ("Build", dt.date(2026, 12, 2), "todo")


def test_deleted_task_comes_back_with_its_links(ctx: Ctx) -> None:
    make(ctx, "REL-1")
    for title in ("A", "B", "C"):
        tasks.add_task(ctx, "REL-1", {"title": title})
    tasks.add_task_dependency(ctx, "REL-1", "T1", "T2", "FS", 2)
    tasks.add_task_dependency(ctx, "REL-1", "T2", "T3", "FF", 0)
    row = tasks.delete_task(ctx, "REL-1", "T2")
    assert [r.local_id for r in tasks.list_tasks(ctx, "REL-1")] == ["T1", "T3"]
    tasks.restore_task(ctx, "REL-1", row)
    rows = {r.local_id: r for r in tasks.list_tasks(ctx, "REL-1")}
    assert [r.title for r in tasks.list_tasks(ctx, "REL-1")] == ["A", "B", "C"]
    assert rows["T2"].predecessors == [{"task": "T1", "type": "FS", "lag_days": 2}]
    assert rows["T3"].predecessors == [{"task": "T2", "type": "FF", "lag_days": 0}]


def test_missing_release_is_named(ctx: Ctx) -> None:
    with pytest.raises(NotFound, match="no release 'REL-404' in this plan"):
        releases.get_release(ctx, "REL-404")


def test_deleted_release_comes_back_whole(tmp_path) -> None:
    """Undo of a deletion: state, tasks and links, stages with their decisions, evidence,
    review, bundled changes and dependencies in both directions."""
    from relman_desktop.exports.plan_json import export_plan
    from relman_desktop.importers.plan_json import restore_release
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services import audit, demo

    plan = open_plan(tmp_path / "demo.relman", create=True)
    try:
        ctx = Ctx(plan, actor="tester")
        demo.generate_demo(ctx, releases=40, seed=3, today=dt.date(2026, 11, 27))
        before = export_plan(ctx)
        with_deps = {d["release"] for r in before["releases"] for d in r["depends_on"]}
        key = next(
            r["key"]
            for r in before["releases"]
            if r["key"] in with_deps and r["changes"] and r["approval_stages"] and r["tasks"]
        )
        snapshot = releases.delete_release(ctx, key)
        assert key not in {r.key for r in releases.list_releases(ctx)}
        assert restore_release(ctx, snapshot) == key
        after = export_plan(ctx)
        assert after["releases"] == before["releases"]
        assert after["changes"] == before["changes"]
        assert audit.verify(ctx).ok
    finally:
        plan.close()
