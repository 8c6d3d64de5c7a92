"""The whole plan as the interchange document of docs/plan-format.md (version 1).

Natural keys only, never database ids; a stable order everywhere (people by email, CIs and
templates by name, releases and changes by key, tasks by position), so that exporting,
importing into an empty plan and exporting again gives the same document, byte for byte.
Audit events are not part of the format: an import writes its own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.exports.safe_write import write_atomically
from relman_desktop.models import entities as M
from relman_desktop.services.base import Ctx, ValidationError

PLAN_FORMAT = "relman-plan"
PLAN_FORMAT_VERSION = 1

__all__ = ["PLAN_FORMAT", "PLAN_FORMAT_VERSION", "export_plan", "write_plan_file", "dumps_plan"]


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


def _enum(value: Any) -> Any:
    return getattr(value, "value", value)


def _number(value: float | None) -> float | int | None:
    """6.0 hours reads back as 6, as a person wrote it."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def export_plan(ctx: Ctx) -> dict[str, Any]:
    """The whole plan as the version 1 JSON document (a plain dict, ready for ``json.dump``)."""
    with ctx.read() as s:
        return _export(s)


def _export(s: Session) -> dict[str, Any]:
    people = s.execute(select(M.Person)).scalars().all()
    email = {p.id: p.email for p in people}
    cis = s.execute(select(M.ConfigurationItem)).scalars().all()
    ci_name = {c.id: c.name for c in cis}
    states = (
        s.execute(select(M.WorkflowState).order_by(M.WorkflowState.position, M.WorkflowState.name))
        .scalars()
        .all()
    )
    state_name = {st.id: st.name for st in states}
    templates = s.execute(select(M.Template).order_by(M.Template.name)).scalars().all()
    template_name = {t.id: t.name for t in templates}
    releases = s.execute(select(M.Release).order_by(M.Release.key)).scalars().all()
    release_key = {r.id: r.key for r in releases}

    ci_parents: dict[int, list[str]] = defaultdict(list)
    for parent_id, child_id in s.execute(
        select(M.ci_relations.c.parent_id, M.ci_relations.c.child_id)
    ):
        ci_parents[child_id].append(ci_name[parent_id])

    doc: dict[str, Any] = {"format": PLAN_FORMAT, "version": PLAN_FORMAT_VERSION}
    doc["people"] = [
        {"email": p.email, "name": p.name, "team": p.team, "roles": list(p.roles or [])}
        for p in sorted(people, key=lambda p: p.email)
    ]
    doc["configuration_items"] = [
        {
            "name": c.name,
            "class": _enum(c.ci_class),
            "environment": c.environment,
            "owner": email.get(c.owner_id) if c.owner_id else None,
            "criticality": _enum(c.criticality),
            "requires_maintenance_window": bool(c.requires_maintenance_window),
            "parents": sorted(ci_parents.get(c.id, [])),
        }
        for c in sorted(cis, key=lambda c: c.name)
    ]
    doc["windows"] = _windows(s, ci_name)
    doc["changes"], changes_of = _changes(s, email, ci_name)
    doc["releases"] = _releases(
        s, releases, release_key, email, state_name, template_name, changes_of
    )
    doc["templates"] = [
        {
            "name": t.name,
            "release_type": _enum(t.release_type),
            "default_duration_days": t.default_duration_days,
            "body": t.body or {},
        }
        for t in templates
    ]
    rules = s.execute(select(M.Rule).order_by(M.Rule.position, M.Rule.name)).scalars().all()
    doc["rules"] = [
        {
            "name": r.name,
            "event": _enum(r.event),
            "enabled": bool(r.enabled),
            "conditions": list(r.conditions or []),
            "actions": list(r.actions or []),
        }
        for r in rules
    ]
    doc["workflow"] = _workflow(s, states)
    baselines = s.execute(select(M.Baseline).order_by(M.Baseline.name)).scalars().all()
    doc["baselines"] = [
        {"name": b.name, "created_at": utc_text(b.created_at), "snapshot": b.snapshot or {}}
        for b in baselines
    ]
    zone = s.get(M.PlanMeta, "timezone")
    doc["timezone"] = zone.value if zone is not None and zone.value else None
    return doc


def _windows(s: Session, ci_name: dict[int, str]) -> list[dict[str, Any]]:
    window_cis: dict[int, list[str]] = defaultdict(list)
    for window_id, ci_id in s.execute(select(M.window_cis.c.window_id, M.window_cis.c.ci_id)):
        window_cis[window_id].append(ci_name[ci_id])
    rows = []
    for w in s.execute(select(M.CalendarWindow)).scalars():
        rows.append(
            (
                w.start,
                {
                    "title": w.title,
                    "kind": _enum(w.kind),
                    "hard": bool(w.hard),
                    "start": zoned_text(w.start, w.timezone),
                    "end": zoned_text(w.end, w.timezone),
                    "timezone": w.timezone,
                    "rrule": w.rrule,
                    "scope": {
                        "environment": w.scope_environment,
                        "cis": sorted(window_cis.get(w.id, [])),
                    },
                },
            )
        )
    rows.sort(key=lambda pair: (pair[0], pair[1]["title"], _canonical(pair[1])))
    return [doc for _, doc in rows]


def _changes(
    s: Session, email: dict[int, str], ci_name: dict[int, str]
) -> tuple[list[dict[str, Any]], dict[int, list[str]]]:
    change_cis: dict[int, list[str]] = defaultdict(list)
    for change_id, ci_id in s.execute(select(M.change_cis.c.change_id, M.change_cis.c.ci_id)):
        change_cis[change_id].append(ci_name[ci_id])
    changes_of: dict[int, list[str]] = defaultdict(list)
    out = []
    for c in s.execute(select(M.Change).order_by(M.Change.key)).scalars():
        if c.release_id is not None:
            changes_of[c.release_id].append(c.key)
        out.append(
            {
                "key": c.key,
                "title": c.title,
                "description": c.description,
                "type": _enum(c.type),
                "category": _enum(c.category),
                "approval": _enum(c.approval),
                "risk": _enum(c.risk),
                "requester": email.get(c.requester_id) if c.requester_id else None,
                "created_at": utc_text(c.created_at),
                "release_note": c.release_note,
                "known_issues": c.known_issues,
                "caused_incident": bool(c.caused_incident),
                "audience": _enum(c.audience),
                "cis": sorted(change_cis.get(c.id, [])),
                "external_ref": c.external_ref,
            }
        )
    return out, changes_of


def _releases(
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
            {"release": release_key[d.prerequisite_id], "kind": _enum(d.kind)}
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
            strategy = {"kind": _enum(r.strategy), "waves": [dict(w) for w in (r.waves or [])]}
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
            key=lambda t: (t.run_at, _enum(t.kind), t.environment or "", t.source or "", t.id),
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
                "type": _enum(r.type),
                "priority": _enum(r.priority),
                "risk": _enum(r.risk),
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
                        "phase": _enum(t.phase),
                        "assignee": person(t.assignee_id),
                        "status": _enum(t.status),
                        "start": date_text(t.start),
                        "end": date_text(t.end),
                        "effort_hours": _number(t.effort_hours),
                        "percent_complete": t.percent_complete,
                        "notes": t.notes,
                        # only when an imported schedule set them: other plans export as before
                        **({"outline": t.outline} if t.outline else {}),
                        **({"milestone": True} if t.milestone else {}),
                        "depends_on": [
                            {"task": pred.local_id, "type": _enum(td.type), "lag_days": td.lag_days}
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
                        "rule": _enum(st.rule),
                        "percent": st.percent,
                        "status": _enum(st.status),
                        "approvals": [
                            {
                                "approver": person(a.approver_id),
                                "decision": _enum(a.decision),
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
                        "kind": _enum(t.kind),
                        "environment": t.environment,
                        "passed": t.passed,
                        "failed": t.failed,
                        "skipped": t.skipped,
                        "run_at": utc_text(t.run_at),
                        "source": t.source,
                        "verdict": _enum(t.verdict),
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
                        "outcome": _enum(d.outcome),
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
                    "outcome": _enum(review.outcome),
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
                        "kind": _enum(link.kind),
                        "key": link.external_key,
                        "title": link.title,
                        "url": link.url,
                        "relation": _enum(link.relation),
                    }
                    for link in sorted(
                        links_of.get(r.id, []), key=lambda x: (_enum(x.kind), x.external_key)
                    )
                ],
            }
        )
    return out


def _workflow(s: Session, states: Any) -> dict[str, Any]:
    position = {st.id: (st.position, st.name) for st in states}
    name = {st.id: st.name for st in states}
    last = (1 << 30, "")

    def order(t: M.WorkflowTransition) -> tuple[Any, ...]:
        # "from any open state" after the named states; "back to before" after named targets
        return (
            position.get(t.from_state_id, last) if t.from_state_id else last,
            position.get(t.to_state_id, last) if t.to_state_id else last,
        )

    transitions = sorted(s.execute(select(M.WorkflowTransition)).scalars().all(), key=order)
    return {
        "states": [
            {
                "name": st.name,
                "category": _enum(st.category),
                "color": st.color,
                "role": _enum(st.role),
            }
            for st in states
        ],
        "transitions": [
            {
                "from": name.get(t.from_state_id) if t.from_state_id else None,
                "to": name.get(t.to_state_id) if t.to_state_id else None,
                "label": t.label,
                "guards": [
                    {
                        "guard": g.get("guard"),
                        "param": g.get("param"),
                        "soft": bool(g.get("soft", False)),
                    }
                    for g in (t.guards or [])
                ],
            }
            for t in transitions
        ],
    }


def _present(**fields: Any) -> dict[str, Any]:
    """The toolchain-evidence fields (issue 13) that hold something: absent when empty, so a
    plan without imported evidence exports exactly as before."""
    return {k: v for k, v in fields.items() if v not in (None, [], 0)}


def _report_evidence(t: M.TestRun) -> dict[str, Any]:
    return _present(
        errored=t.errored or 0,
        failures=[dict(f) for f in (t.failures or [])],
        source_sha256=t.source_sha256,
        duration_seconds=_number(t.duration_seconds),
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
    return _releases(
        s, [release], release_key, email, state_name, template_name, changes_of, only={release.id}
    )[0]


def dumps_plan(doc: dict[str, Any]) -> str:
    """The document as text: two-space indent, UTF-8 characters kept, a final newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_plan_file(ctx: Ctx, path: str | os.PathLike[str]) -> Path:
    """Export to ``path`` atomically (a temporary file beside it, then a rename): a failure
    leaves any earlier file as it was."""
    target = Path(path).expanduser().absolute()
    if target.is_dir():
        raise ValidationError(f"{target} is a folder; name the JSON file to write")
    if not target.parent.is_dir():
        raise ValidationError(f"the folder {target.parent} does not exist; create it first")
    data = dumps_plan(export_plan(ctx)).encode("utf-8")
    write_atomically(
        target,
        lambda tmp: tmp.write_bytes(data),
        protect=[p for p in (ctx.plan.path,) if p is not None],
    )
    return target
