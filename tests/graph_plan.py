"""A hand-built plan (plan JSON) for the dependency-graph and impact tests.

Release REL-A has six tasks linked FS/SS/FF/SF with lags; REL-B depends on REL-A, REL-C
depends on REL-A with plenty of slack, REL-D deploys together with REL-B. A hard freeze covers
2026-12-17 (UTC). CIs: platform → billing-service → billing-db (parent → child).
"""

from __future__ import annotations

from typing import Any


def _task(tid: str, start: str, end: str, deps: list[tuple[str, str, int]] = ()) -> dict[str, Any]:
    return {
        "id": tid,
        "title": f"Task {tid}",
        "phase": "build",
        "status": "todo",
        "start": start,
        "end": end,
        "depends_on": [{"task": t, "type": k, "lag_days": lag} for t, k, lag in deps],
    }


def _window(start: str, end: str) -> dict[str, str]:
    return {"start": start, "end": end}


def graph_plan() -> dict[str, Any]:
    return {
        "format": "relman-plan",
        "version": 1,
        "people": [{"email": "ann@example.com", "name": "Ann Lee", "roles": ["release_manager"]}],
        "configuration_items": [
            {"name": "platform", "class": "service", "environment": "production", "parents": []},
            {
                "name": "billing-service",
                "class": "application",
                "environment": "production",
                "parents": ["platform"],
            },
            {
                "name": "billing-db",
                "class": "database",
                "environment": "production",
                "parents": ["billing-service"],
            },
            {"name": "crm", "class": "application", "environment": "production", "parents": []},
        ],
        "windows": [
            {
                "title": "Year-end freeze",
                "kind": "freeze",
                "hard": True,
                "start": "2026-12-17T00:00:00Z",
                "end": "2026-12-18T00:00:00Z",
                "timezone": "UTC",
                "scope": {"environment": None, "cis": []},
            },
        ],
        "changes": [
            {
                "key": "CHG-1",
                "title": "Invoice layout",
                "type": "normal",
                "category": "feature",
                "approval": "approved",
                "cis": ["billing-service"],
            },
            {
                "key": "CHG-2",
                "title": "Platform upgrade",
                "type": "normal",
                "category": "infrastructure",
                "approval": "approved",
                "cis": ["platform"],
            },
            {
                "key": "CHG-3",
                "title": "Index billing tables",
                "type": "normal",
                "category": "fix",
                "approval": "pending",
                "cis": ["billing-db"],
            },
            {
                "key": "CHG-4",
                "title": "CRM fields",
                "type": "normal",
                "category": "feature",
                "approval": "approved",
                "cis": ["crm"],
            },
        ],
        "releases": [
            {
                "key": "REL-A",
                "title": "Billing 2.4",
                "type": "minor",
                "application": "Billing",
                "planned_start": "2026-12-07",
                "planned_end": "2026-12-16",
                "deployment_window": _window("2026-12-16T20:00:00Z", "2026-12-16T22:00:00Z"),
                "changes": ["CHG-1"],
                "tasks": [
                    _task("T1", "2026-12-07", "2026-12-09"),
                    _task("T2", "2026-12-10", "2026-12-11", [("T1", "FS", 0)]),
                    _task("T3", "2026-12-15", "2026-12-16", [("T1", "FS", 2)]),
                    _task("T4", "2026-12-08", "2026-12-10", [("T1", "SS", 1)]),
                    _task("T5", "2026-12-09", "2026-12-11", [("T2", "FF", 0)]),
                    _task("T6", "2026-12-07", "2026-12-09", [("T4", "SF", 0)]),
                ],
            },
            {
                "key": "REL-B",
                "title": "Billing reports",
                "type": "minor",
                "application": "Billing",
                "planned_start": "2026-12-17",
                "planned_end": "2026-12-18",
                "deployment_window": _window("2026-12-18T08:00:00Z", "2026-12-18T09:00:00Z"),
                "depends_on": [{"release": "REL-A", "kind": "before"}],
            },
            {
                "key": "REL-C",
                "title": "Platform 7",
                "type": "major",
                "application": "Platform",
                "planned_start": "2027-01-04",
                "planned_end": "2027-01-08",
                "deployment_window": _window("2027-01-10T20:00:00Z", "2027-01-10T22:00:00Z"),
                "changes": ["CHG-2"],
                "depends_on": ["REL-A"],
            },
            {
                "key": "REL-D",
                "title": "Billing mobile",
                "type": "patch",
                "application": "Mobile",
                "planned_start": "2026-12-18",
                "planned_end": "2026-12-18",
                "deployment_window": _window("2026-12-18T10:00:00Z", "2026-12-18T11:00:00Z"),
                "changes": ["CHG-4"],
                "depends_on": [{"release": "REL-B", "kind": "together"}],
            },
        ],
    }


def load_graph_plan(ctx: Any) -> None:
    from relman_desktop.importers.plan_json import import_plan

    import_plan(ctx, graph_plan())
