"""One release as its plan-JSON object, read from an open session: what undoing the release's
deletion puts back (``releases.delete_release`` takes it in the same transaction), and the
``releases`` part of the whole-plan export (``exports.plan_json`` builds on it). In services, so
that the delete does not reach up a layer into ``exports``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.models import entities as M

__all__ = [
    "date_text",
    "enum_value",
    "plain_number",
    "release_snapshot",
    "releases_json",
    "utc_text",
    "zoned_text",
]


def utc_text(value: dt.datetime | None) -> str | None:
    """An instant in UTC, ``Z``-suffixed."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def zoned_text(value: dt.datetime, timezone: str) -> str:
    """An instant in a window's own time zone (its offset that day), ``Z`` for UTC."""
    try:
        zone: dt.tzinfo = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return value.astimezone(zone).isoformat().replace("+00:00", "Z")


def date_text(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def plain_number(value: float | None) -> float | int | None:
    """6.0 hours reads back as 6, as a person wrote it."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def releases_json(
    s: Session,
    releases: Any,
    release_key: dict[int, str],
    email: dict[int, str],
    state_name: dict[int, str],
    template_name: dict[int, str],
    changes_of: dict[int, list[str]],
    only: set[int] | None = None,
) -> list[dict[str, Any]]:
    """``only``: read just these releases' rows (one release's snapshot, not the whole plan)."""

    def person(pid: int | None) -> str | None:
        return email.get(pid) if pid else None

    def of(stmt: Any, column: Any) -> Any:
        return stmt if only is None else stmt.where(column.in_(only))

    deps: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for d in s.execute(of(select(M.ReleaseDependency), M.ReleaseDependency.release_id)).scalars():
        deps[d.release_id].append(
            {"release": release_key[d.prerequisite_id], "kind": enum_value(d.kind)}
        )

    tasks_of: dict[int, list[M.Task]] = defaultdict(list)
    task_by_id: dict[int, M.Task] = {}
    for t in s.execute(of(select(M.Task), M.Task.release_id)).scalars():
        tasks_of[t.release_id].append(t)
        task_by_id[t.id] = t
    preds: dict[int, list[tuple[M.Task, M.TaskDependency]]] = defaultdict(list)
    dep_stmt = select(M.TaskDependency)
    if only is not None:
        dep_stmt = dep_stmt.where(M.TaskDependency.successor_id.in_(list(task_by_id)))
    for td in s.execute(dep_stmt).scalars():
        pred = task_by_id.get(td.predecessor_id)
        succ = task_by_id[td.successor_id]
        if pred is not None and pred.release_id == succ.release_id:  # links within a release
            preds[td.successor_id].append((pred, td))

    stages_of: dict[int, list[M.ApprovalStage]] = defaultdict(list)
    for st in s.execute(of(select(M.ApprovalStage), M.ApprovalStage.release_id)).scalars():
        stages_of[st.release_id].append(st)
    approvals_of: dict[int, list[M.Approval]] = defaultdict(list)
    stage_ids = {st.id for group in stages_of.values() for st in group}
    approval_stmt = select(M.Approval)
    if only is not None:
        approval_stmt = approval_stmt.where(M.Approval.stage_id.in_(stage_ids))
    for a in s.execute(approval_stmt).scalars():
        approvals_of[a.stage_id].append(a)
    runs_of: dict[int, list[M.TestRun]] = defaultdict(list)
    for run in s.execute(of(select(M.TestRun), M.TestRun.release_id)).scalars():
        runs_of[run.release_id].append(run)
    deployments_of: dict[int, list[M.Deployment]] = defaultdict(list)
    for dep in s.execute(of(select(M.Deployment), M.Deployment.release_id)).scalars():
        deployments_of[dep.release_id].append(dep)
    incidents_of_dep: dict[int, list[M.Incident]] = defaultdict(list)
    incidents_of_rel: dict[int, list[M.Incident]] = defaultdict(list)
    for inc in s.execute(of(select(M.Incident), M.Incident.release_id)).scalars():
        if inc.deployment_id is not None:
            incidents_of_dep[inc.deployment_id].append(inc)
        elif inc.release_id is not None:
            incidents_of_rel[inc.release_id].append(inc)
    review_of = {
        rv.release_id: rv for rv in s.execute(of(select(M.Review), M.Review.release_id)).scalars()
    }
    links_of: dict[int, list[M.LinkedRecord]] = defaultdict(list)
    for link in s.execute(of(select(M.LinkedRecord), M.LinkedRecord.release_id)).scalars():
        links_of[link.release_id].append(link)

    out = []
    for r in releases:
        deploy_window = None
        if r.deploy_start is not None or r.deploy_end is not None:
            deploy_window = {"start": utc_text(r.deploy_start), "end": utc_text(r.deploy_end)}
        strategy = None
        if r.strategy is not None or r.waves:
            strategy = {"kind": enum_value(r.strategy), "waves": [dict(w) for w in (r.waves or [])]}
        rollback = None
        if (
            r.rollback_plan is not None
            or r.rollback_minutes is not None
            or r.rollback_rehearsed_on is not None
        ):
            rollback = {
                "plan": r.rollback_plan,
                "duration_minutes": r.rollback_minutes,
                "rehearsed_on": date_text(r.rollback_rehearsed_on),
            }
        tasks = sorted(tasks_of.get(r.id, []), key=lambda t: (t.position, t.local_id))
        stages = sorted(stages_of.get(r.id, []), key=lambda st: (st.position, st.name))
        runs = sorted(
            runs_of.get(r.id, []),
            key=lambda t: (t.run_at, enum_value(t.kind), t.environment or "", t.source or "", t.id),
        )
        deployments = sorted(
            deployments_of.get(r.id, []),
            key=lambda d: (
                d.started_at is None,
                d.started_at or dt.datetime.min.replace(tzinfo=dt.UTC),
                d.environment,
                d.wave or "",
                d.id,
            ),
        )
        review = review_of.get(r.id)
        out.append(
            {
                "key": r.key,
                "title": r.title,
                "version": r.version,
                "type": enum_value(r.type),
                "priority": enum_value(r.priority),
                "risk": enum_value(r.risk),
                "application": r.application,
                "status": state_name[r.status_id],
                "previous_status": state_name.get(r.previous_status_id)
                if r.previous_status_id
                else None,
                "manager": person(r.manager_id),
                "scope": r.scope,
                "objectives": r.objectives,
                "planned_start": date_text(r.planned_start),
                "planned_end": date_text(r.planned_end),
                "deployment_window": deploy_window,
                "actual_start": date_text(r.actual_start),
                "actual_end": date_text(r.actual_end),
                "strategy": strategy,
                "rollback": rollback,
                "communication_plan": r.communication_plan,
                "implementation_plan": r.implementation_plan,
                "required_tests": list(r.required_tests or []),
                "parent": release_key.get(r.parent_id) if r.parent_id else None,
                "template": template_name.get(r.template_id) if r.template_id else None,
                "closure_code": r.closure_code,
                "created_at": utc_text(r.created_at),
                "changes": sorted(changes_of.get(r.id, [])),
                "depends_on": sorted(deps.get(r.id, []), key=lambda d: d["release"]),
                "tasks": [
                    {
                        "id": t.local_id,
                        "title": t.title,
                        "phase": enum_value(t.phase),
                        "assignee": person(t.assignee_id),
                        "status": enum_value(t.status),
                        "start": date_text(t.start),
                        "end": date_text(t.end),
                        "effort_hours": plain_number(t.effort_hours),
                        "percent_complete": t.percent_complete,
                        "notes": t.notes,
                        # only when an imported schedule set them: other plans export as before
                        **({"outline": t.outline} if t.outline else {}),
                        **({"milestone": True} if t.milestone else {}),
                        "depends_on": [
                            {
                                "task": pred.local_id,
                                "type": enum_value(td.type),
                                "lag_days": td.lag_days,
                            }
                            for pred, td in sorted(
                                preds.get(t.id, []), key=lambda p: (p[0].position, p[0].local_id)
                            )
                        ],
                    }
                    for t in tasks
                ],
                "approval_stages": [
                    {
                        "name": st.name,
                        "order": st.position,
                        "rule": enum_value(st.rule),
                        "percent": st.percent,
                        "status": enum_value(st.status),
                        "approvals": [
                            {
                                "approver": person(a.approver_id),
                                "decision": enum_value(a.decision),
                                "comment": a.comment,
                                "requested_at": utc_text(a.requested_at),
                                "decided_at": utc_text(a.decided_at),
                                "delegated_to": person(a.delegated_to_id),
                            }
                            for a in sorted(
                                approvals_of.get(st.id, []),
                                key=lambda a: email.get(a.approver_id, ""),
                            )
                        ],
                    }
                    for st in stages
                ],
                "test_runs": [
                    {
                        "kind": enum_value(t.kind),
                        "environment": t.environment,
                        "passed": t.passed,
                        "failed": t.failed,
                        "skipped": t.skipped,
                        "run_at": utc_text(t.run_at),
                        "source": t.source,
                        "verdict": enum_value(t.verdict),
                    }
                    | _report_evidence(t)
                    for t in runs
                ],
                "deployments": [
                    {
                        "environment": d.environment,
                        "wave": d.wave,
                        "started_at": utc_text(d.started_at),
                        "finished_at": utc_text(d.finished_at),
                        "outcome": enum_value(d.outcome),
                        "incidents": d.incidents,
                        "failure_detected_at": utc_text(d.failure_detected_at),
                        "restored_at": utc_text(d.restored_at),
                        "hotfix": bool(d.hotfix),
                    }
                    | _present(
                        source=d.source,
                        url=d.url,
                        incident_records=_incidents(incidents_of_dep.get(d.id, [])),
                    )
                    for d in deployments
                ],
                "review": None
                if review is None
                else {
                    "outcome": enum_value(review.outcome),
                    "incidents": review.incidents,
                    "lessons_learned": review.lessons_learned,
                    "user_feedback": review.user_feedback,
                    "closed_at": utc_text(review.closed_at),
                    "closed_by": person(review.closed_by_id),
                },
                **_present(
                    commits=None
                    if r.commit_range is None and r.commit_count is None
                    else {
                        "range": r.commit_range,
                        "count": r.commit_count,
                        "authors": list(r.commit_authors or []),
                    },
                    incidents=_incidents(incidents_of_rel.get(r.id, [])),
                ),
                "links": [
                    {
                        "kind": enum_value(link.kind),
                        "key": link.external_key,
                        "title": link.title,
                        "url": link.url,
                        "relation": enum_value(link.relation),
                    }
                    for link in sorted(
                        links_of.get(r.id, []), key=lambda x: (enum_value(x.kind), x.external_key)
                    )
                ],
            }
        )
    return out


def _present(**fields: Any) -> dict[str, Any]:
    """The toolchain-evidence fields (issue 13) that hold something: absent when empty, so a
    plan without imported evidence exports exactly as before."""
    return {k: v for k, v in fields.items() if v not in (None, [], 0)}


def _report_evidence(t: M.TestRun) -> dict[str, Any]:
    return _present(
        errored=t.errored or 0,
        failures=[dict(f) for f in (t.failures or [])],
        source_sha256=t.source_sha256,
        duration_seconds=plain_number(t.duration_seconds),
        note=t.note,
    )


def _incidents(incidents: list[M.Incident]) -> list[dict[str, Any]]:
    return [
        {
            "key": i.key,
            "title": i.title,
            "severity": i.severity,
            "service": i.service,
            "environment": i.environment,
            "detected_at": utc_text(i.detected_at),
            "restored_at": utc_text(i.restored_at),
            "source": i.source,
        }
        for i in sorted(incidents, key=lambda i: (i.detected_at, i.key))
    ]


def release_snapshot(s: Session, release: Any) -> dict[str, Any]:
    """One release as its plan-JSON object (tasks, stages with decisions, evidence, review,
    links, changes, what it depends on), read from the open session: what undoing its
    deletion puts back."""
    email = dict(s.execute(select(M.Person.id, M.Person.email)).all())
    state_name = dict(s.execute(select(M.WorkflowState.id, M.WorkflowState.name)).all())
    template_name = dict(s.execute(select(M.Template.id, M.Template.name)).all())
    release_key = dict(s.execute(select(M.Release.id, M.Release.key)).all())
    changes_of = {release.id: sorted(c.key for c in release.changes)}
    return releases_json(
        s, [release], release_key, email, state_name, template_name, changes_of, only={release.id}
    )[0]
