"""The demo plan: realistic, consistent with the lifecycle, deterministic, and fast at scale."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from relman_desktop.models.defaults import DEFAULT_TRANSITIONS
from relman_desktop.models.entities import Release
from relman_desktop.models.planfile import open_plan
from relman_desktop.services.base import Ctx, ServiceError, ValidationError
from relman_desktop.services.demo import generate_demo

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = dt.date(2026, 11, 27)  # the clock of tests/conftest.py

PAST_STATES = {"Closed", "Deployed", "In Review", "Rolled Back", "Cancelled"}
FUTURE_STATES = {
    "Planning",
    "Build",
    "Testing",
    "Awaiting Approval",
    "Approved",
    "On Hold",
    "Cancelled",
}
OPEN_PATH = [
    "Planning",
    "Build",
    "Testing",
    "Awaiting Approval",
    "Approved",
    "Deploying",
    "Deployed",
    "In Review",
    "Closed",
]


def _db(plan) -> sqlite3.Connection:
    con = sqlite3.connect(plan.path)
    con.row_factory = sqlite3.Row
    return con


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _new_ctx(path: Path, today: dt.date | None = None) -> Ctx:
    now = dt.datetime.combine(today or TODAY, dt.time(9, 0), dt.UTC)
    return Ctx(open_plan(path, create=True), actor="tester@example.com", clock=lambda: now)


@pytest.fixture(scope="module")
def demo_ctx(tmp_path_factory):
    """One default demo plan, shared by the tests that only read it."""
    ctx = _new_ctx(tmp_path_factory.mktemp("demo") / "demo.relman")
    ctx.summary = generate_demo(ctx)  # type: ignore[attr-defined]
    yield ctx
    ctx.plan.close()


@pytest.fixture
def demo(demo_ctx):
    con = _db(demo_ctx.plan)
    yield demo_ctx.summary, con
    con.close()


def test_default_demo_has_forty_releases_across_five_applications(demo):
    summary, con = demo
    assert summary["releases"] == 40
    rows = con.execute(
        "SELECT key, application, manager_id, version, scope, rollback_plan FROM releases"
    ).fetchall()
    assert len(rows) == 40
    assert Counter(r["application"] for r in rows).keys() == {
        "Billing",
        "Customer Portal",
        "Mobile App",
        "Data Platform",
        "Identity",
    }
    assert all(r["manager_id"] and r["version"] and r["scope"] and r["rollback_plan"] for r in rows)
    assert all(r["key"].startswith("REL-20") and len(r["key"]) >= len("REL-2026-001") for r in rows)
    people = con.execute("SELECT email, roles FROM people").fetchall()
    assert 12 <= len(people) <= 20
    assert all(p["email"].endswith("@example.com") for p in people)
    roles = Counter(role for p in people for role in json.loads(p["roles"]))
    assert {
        "release_manager",
        "release_team",
        "cab_member",
        "approver",
        "stakeholder",
    } <= roles.keys()
    # CIs: services with servers and databases beneath them, in production and staging.
    assert con.execute("SELECT count(*) FROM ci_relations").fetchone()[0] >= 10
    envs = {r[0] for r in con.execute("SELECT DISTINCT environment FROM configuration_items")}
    assert envs == {"production", "staging"}
    assert con.execute(
        "SELECT count(*) FROM configuration_items WHERE requires_maintenance_window"
    ).fetchone()[0]
    # Every change key CHG-1001…; some changes wait outside any release.
    keys = [r[0] for r in con.execute("SELECT key FROM changes ORDER BY id")]
    assert keys[0] == "CHG-1001"
    unbundled = Counter(
        r[0] for r in con.execute("SELECT approval FROM changes WHERE release_id IS NULL")
    )
    assert unbundled["pending"] and unbundled["rejected"]
    assert len({r[0] for r in con.execute("SELECT category FROM changes")}) == 6


def test_calendar_has_weekly_maintenance_year_end_freeze_event_and_holiday(demo):
    _, con = demo
    windows = {r["kind"]: r for r in con.execute("SELECT * FROM calendar_windows")}
    assert windows.keys() == {"maintenance", "freeze", "business_event", "holiday"}
    mw = windows["maintenance"]
    start = _utc(mw["start"]).astimezone(BERLIN)
    end = _utc(mw["end"]).astimezone(BERLIN)
    assert (start.weekday(), start.hour, end.hour) == (5, 22, 4)
    assert mw["rrule"] == "FREQ=WEEKLY" and mw["timezone"] == "Europe/Berlin"
    assert mw["scope_environment"] == "production" and mw["hard"]
    freeze = windows["freeze"]
    assert freeze["hard"]
    assert _utc(freeze["start"]).astimezone(BERLIN).date() == dt.date(2026, 12, 19)
    assert _utc(freeze["end"]).astimezone(BERLIN).date() == dt.date(2027, 1, 4)


def test_deployment_windows_sit_in_the_maintenance_window_outside_freeze_and_event(demo):
    _, con = demo
    blocked = [
        (_utc(r["start"]), _utc(r["end"]))
        for r in con.execute(
            "SELECT start, \"end\" FROM calendar_windows WHERE kind IN ('freeze', 'business_event')"
        )
    ]
    per_night: Counter[tuple[str, str]] = Counter()
    for r in con.execute(
        "SELECT application, deploy_start, deploy_end, rollback_minutes FROM releases"
    ):
        start, end = (
            _utc(r["deploy_start"]).astimezone(BERLIN),
            _utc(r["deploy_end"]).astimezone(BERLIN),
        )
        assert start.weekday() == 5 and start.hour >= 22
        window_end = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(4), BERLIN)
        assert (
            end + dt.timedelta(minutes=r["rollback_minutes"]) <= window_end
        )  # the rollback fits (C7)
        assert not any(start < b1 and b0 < end for b0, b1 in blocked)
        per_night[(r["application"], start.date().isoformat())] += 1
    assert max(per_night.values()) == 1  # one application never deploys twice in a night


def test_every_approval_decision_is_present(demo):
    _, con = demo
    decisions = Counter(r[0] for r in con.execute("SELECT decision FROM approvals"))
    assert {"pending", "approved", "rejected", "more_info"} <= decisions.keys()
    assert (
        con.execute("SELECT count(*) FROM approvals WHERE delegated_to_id IS NOT NULL").fetchone()[
            0
        ]
        >= 1
    )
    rules = {r[0] for r in con.execute("SELECT DISTINCT rule FROM approval_stages")}
    assert {"all", "majority", "first_response", "percent"} <= rules
    names = {r[0] for r in con.execute("SELECT DISTINCT name FROM approval_stages")}
    assert names == {"QA sign-off", "CAB", "Business"}
    bad = con.execute("SELECT count(*) FROM approvals WHERE decided_at < requested_at").fetchone()[
        0
    ]
    assert bad == 0
    undated = con.execute(
        "SELECT count(*) FROM approvals WHERE decision <> 'pending' AND (decided_at IS NULL OR requested_at IS NULL)"
    ).fetchone()[0]
    assert undated == 0


def test_stage_status_agrees_with_the_approvals_service(demo_ctx):
    approvals = pytest.importorskip("relman_desktop.services.approvals")
    from relman_desktop.models.entities import ApprovalStage

    with demo_ctx.read() as s:
        stages = s.execute(select(ApprovalStage)).scalars().all()
        for stage in stages:
            status, why = approvals.stage_outcome(stage)
            assert status.value == stage.status, (stage.release.key, stage.name, why)


def test_deployments_have_each_outcome_and_failures_have_recovery_times(demo):
    _, con = demo
    outcomes = Counter(
        r[0]
        for r in con.execute("SELECT outcome FROM deployments WHERE environment = 'production'")
    )
    assert {"success", "failed", "rolled_back", "partial"} <= outcomes.keys()
    broken = con.execute(
        "SELECT * FROM deployments WHERE outcome IN ('failed', 'rolled_back', 'partial') OR incidents > 0 OR hotfix"
    ).fetchall()
    assert broken
    for d in broken:
        assert d["failure_detected_at"] and d["restored_at"], dict(d)
        assert _utc(d["started_at"]) <= _utc(d["failure_detected_at"]) <= _utc(d["restored_at"])
        assert d["incidents"] >= 1
    assert con.execute("SELECT count(*) FROM deployments WHERE hotfix").fetchone()[0] >= 1
    assert con.execute("SELECT count(*) FROM changes WHERE caused_incident").fetchone()[0] >= 1
    # Nothing has happened after "now".
    now = dt.datetime.combine(TODAY, dt.time(9), dt.UTC)
    for table, column in [
        ("deployments", "restored_at"),
        ("deployments", "finished_at"),
        ("test_runs", "run_at"),
        ("approvals", "decided_at"),
        ("changes", "created_at"),
        ("reviews", "closed_at"),
    ]:
        latest = con.execute(f"SELECT max({column}) FROM {table}").fetchone()[0]
        assert latest is None or _utc(latest) <= now, (table, column, latest)


def test_tasks_follow_a_realistic_sequence_with_dependencies(demo):
    _, con = demo
    per_release = Counter(r[0] for r in con.execute("SELECT release_id FROM tasks"))
    assert len(per_release) == 40 and min(per_release.values()) >= 8
    phases = {r[0] for r in con.execute("SELECT DISTINCT phase FROM tasks")}
    assert {"plan", "build", "test", "approve", "deploy", "verify", "review", "rollback"} <= phases
    links = con.execute(
        'SELECT d.type, d.lag_days, p.start AS ps, p."end" AS pe, s.start AS ss, p.release_id AS pr, '
        "s.release_id AS sr FROM task_dependencies d JOIN tasks p ON p.id = d.predecessor_id "
        "JOIN tasks s ON s.id = d.successor_id"
    ).fetchall()
    kinds = Counter(link["type"] for link in links)
    assert kinds["FS"] > kinds["SS"] > 0
    assert any(link["type"] == "SS" and link["lag_days"] > 0 for link in links)
    for link in links:
        assert link["pr"] == link["sr"]
        if link["type"] == "FS":
            assert link["ss"] > link["pe"]
        else:
            assert link["ss"] >= link["ps"]


def _check_status_dates(rows: list[sqlite3.Row]) -> None:
    now = dt.datetime.combine(TODAY, dt.time(9), dt.UTC)
    for r in rows:
        expected = PAST_STATES if _utc(r["deploy_start"]) < now else FUTURE_STATES
        assert r["status"] in expected, (r["key"], r["status"], r["deploy_start"])
        assert r["planned_start"] <= r["planned_end"]


def test_statuses_fit_the_dates(demo):
    summary, con = demo
    rows = con.execute(
        "SELECT r.key, s.name AS status, r.deploy_start, r.planned_start, r.planned_end FROM releases r "
        "JOIN workflow_states s ON s.id = r.status_id"
    ).fetchall()
    statuses = Counter(r["status"] for r in rows)
    assert statuses == Counter(summary["statuses"])
    _check_status_dates(rows)
    assert {
        "Closed",
        "Deployed",
        "In Review",
        "Rolled Back",
        "Testing",
        "Awaiting Approval",
        "Approved",
        "Build",
        "Planning",
    } <= statuses.keys()
    assert 1 <= statuses["Cancelled"] <= 3 and 1 <= statuses["On Hold"] <= 3
    # Further from deployment, less far along: every Approved release deploys no later than any in Planning.
    first_planning = min(r["deploy_start"] for r in rows if r["status"] == "Planning")
    assert all(r["deploy_start"] <= first_planning for r in rows if r["status"] == "Approved")
    # Closed releases have a review and a closure code; On Hold remembers where it was.
    closed = con.execute(
        "SELECT r.closure_code, v.outcome FROM releases r JOIN workflow_states s ON s.id = r.status_id "
        "LEFT JOIN reviews v ON v.release_id = r.id WHERE s.name = 'Closed'"
    ).fetchall()
    assert closed and all(c["outcome"] and c["closure_code"] == c["outcome"] for c in closed)
    held = con.execute(
        "SELECT p.name FROM releases r JOIN workflow_states s ON s.id = r.status_id "
        "JOIN workflow_states p ON p.id = r.previous_status_id WHERE s.name = 'On Hold'"
    ).fetchall()
    assert held and {h[0] for h in held} <= {"Build", "Testing"}


def _entry_guards(status: str, previous: str | None) -> list[tuple[str, str | None]]:
    """The guards on the default path from Planning to where the release stands."""
    guards = {(src, dst): g for src, dst, g in DEFAULT_TRANSITIONS}
    if status in ("On Hold", "Cancelled"):
        status = previous or "Planning"
    target = "Deploying" if status == "Rolled Back" else status
    path = OPEN_PATH[: OPEN_PATH.index(target) + 1]
    found = []
    for src, dst in zip(path, path[1:], strict=False):
        found += [(g["guard"], g["param"]) for g in guards[(src, dst)]]
    return found


@pytest.mark.parametrize(
    "today", [TODAY, dt.date(2026, 3, 14), dt.date(2026, 12, 27), dt.date(2027, 1, 3)]
)
def test_every_release_meets_the_entry_guards_of_its_state(tmp_path, today):
    guards = pytest.importorskip("relman_desktop.services.guards")
    ctx = _new_ctx(tmp_path / "g.relman", today)
    try:
        generate_demo(ctx, today=today)
        with ctx.read() as s:
            for rel in s.execute(select(Release)).scalars():
                previous = rel.previous_status.name if rel.previous_status else None
                # Guards were met when the release entered its state; a rehearsal's age is
                # judged on that day, which for a deployed release is its deployment.
                on = min(today, rel.deploy_start.date())
                for name, param in _entry_guards(rel.status.name, previous):
                    result = guards.check_guard(s, rel, name, param, on)
                    assert result.met, (rel.key, rel.status.name, name, param, result.messages)
    finally:
        ctx.plan.close()


def test_templates_rule_baseline_links_reviews_and_tests(demo):
    _, con = demo
    templates = {
        r["name"]: json.loads(r["body"]) for r in con.execute("SELECT name, body FROM templates")
    }
    assert templates.keys() == {"Standard minor release", "Emergency patch"}
    for body in templates.values():
        assert body["rollback_rehearsal_days"] == 90 and body["required_tests"]
        ids = {t["id"] for t in body["tasks"]}
        for task in body["tasks"]:
            assert {
                "id",
                "title",
                "phase",
                "role",
                "offset_days",
                "duration_days",
                "depends_on",
            } <= task.keys()
            assert all(d["task"] in ids and d["type"] in ("FS", "SS") for d in task["depends_on"])
        for stage in body["approval_stages"]:
            assert stage["approvers"] and all(
                a.endswith("@example.com") for a in stage["approvers"]
            )
    rule = con.execute("SELECT * FROM rules").fetchone()
    assert rule["event"] == "on_tests_recorded"
    assert json.loads(rule["conditions"]) == [
        {"field": "type", "op": "eq", "value": "standard"},
        {"field": "tests_passed", "op": "eq", "value": True},
    ]
    assert json.loads(rule["actions"]) == [{"action": "auto_approve_stage", "stage": "CAB"}]
    snapshot = json.loads(con.execute("SELECT snapshot FROM baselines").fetchone()[0])
    assert len(snapshot) == 40 and all(v["tasks"] for v in snapshot.values())
    kinds = {r[0] for r in con.execute("SELECT DISTINCT kind FROM linked_records")}
    assert {"request", "problem", "incident"} <= kinds
    verdicts = {r[0] for r in con.execute("SELECT DISTINCT verdict FROM test_runs")}
    assert verdicts == {"passed", "failed"}
    assert (
        con.execute("SELECT count(*) FROM releases WHERE template_id IS NOT NULL").fetchone()[0] > 0
    )
    assert con.execute("SELECT count(*) FROM release_dependencies").fetchone()[0] >= 3
    audit = con.execute("SELECT entity, action, after FROM audit_events").fetchall()
    assert [(a["entity"], a["action"]) for a in audit] == [("plan", "generate demo")]
    assert json.loads(audit[0]["after"])["releases"] == 40


def _dump(path: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN "
                "('audit_events', 'plan_meta', 'alembic_version') ORDER BY name"
            )
        ]
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
    finally:
        con.close()


def test_same_seed_and_day_give_the_same_plan(tmp_path):
    dumps = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        ctx = _new_ctx(tmp_path / f"{name}.relman")
        generate_demo(ctx, seed=seed)
        ctx.plan.close()
        dumps.append(_dump(tmp_path / f"{name}.relman"))
    assert dumps[0] == dumps[1]
    assert dumps[0]["releases"] != dumps[2]["releases"]


def test_refuses_a_plan_that_is_not_empty(ctx):
    generate_demo(ctx, releases=5)
    with pytest.raises(ServiceError, match="already has 5 releases"):
        generate_demo(ctx)
    with ctx.read() as s:
        assert len(s.execute(select(Release.id)).all()) == 5


def test_refuses_a_plan_with_people_but_no_releases(ctx):
    from relman_desktop.models.entities import Person

    with ctx.write() as tx:
        tx.session.add(Person(email="ana.silva@example.com", name="Ana Silva", roles=[]))
    with pytest.raises(ServiceError, match="already has 1 person"):
        generate_demo(ctx)


@pytest.mark.parametrize("bad", [0, -3, True, "40"])
def test_refuses_a_silly_release_count(bad):
    with pytest.raises(ValidationError, match="releases: a whole number"):
        generate_demo(Ctx(plan=None), releases=bad)  # type: ignore[arg-type]


def test_the_default_demo_has_no_conflict_errors(demo_ctx):
    conflicts = pytest.importorskip("relman_desktop.services.conflicts")
    found = conflicts.all_conflicts(demo_ctx, suggest=False)
    assert [c.message for c in found if c.severity == "error"] == []
    assert len(found) <= 5  # a couple of busy people, nothing more


def test_five_hundred_releases(ctx):
    summary = generate_demo(ctx, releases=500)
    assert summary["releases"] == 500
    assert summary["tasks"] >= 4500 and summary["people"] > 15 and summary["applications"] > 5
    con = _db(ctx.plan)
    try:
        assert con.execute("SELECT count(DISTINCT key) FROM releases").fetchone()[0] == 500
        assert (
            con.execute("SELECT count(*) FROM releases WHERE application IS NULL").fetchone()[0]
            == 0
        )
        _check_status_dates(
            con.execute(
                "SELECT r.key, s.name AS status, r.deploy_start, r.planned_start, r.planned_end FROM releases r "
                "JOIN workflow_states s ON s.id = r.status_id"
            ).fetchall()
        )
        nights = con.execute(
            "SELECT application, date(deploy_start), count(*) AS n FROM releases GROUP BY 1, 2 HAVING n > 1"
        ).fetchall()
        assert nights == []
    finally:
        con.close()


def test_the_demo_round_trips_through_the_plan_format(demo_ctx, tmp_path):
    exporter = pytest.importorskip("relman_desktop.exports.plan_json")
    importer = pytest.importorskip("relman_desktop.importers.plan_json")
    document = exporter.export_plan(demo_ctx)
    assert len(document["releases"]) == 40
    copy = _new_ctx(tmp_path / "copy.relman")
    try:
        importer.import_plan(copy, document)
        assert exporter.export_plan(copy) == document
    finally:
        copy.plan.close()
