"""A release's facts as plain data, for the documents stakeholders receive (release notes,
runbook, knowledge-base pages).

One read, no ORM objects escape: exporters format what they are given and never query. Times
stay aware datetimes; ``zone`` names the plan's zone the documents show them in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from relman_desktop.models.entities import (
    Approval,
    ApprovalStage,
    Change,
    Release,
    Review,
    Task,
    TaskDependency,
)
from relman_desktop.services.text import MAX_TITLE, clean_text

from .approvals import stage_outcome
from .base import Ctx, NotFound
from .plan_zone import plan_zone_name

# Strategies that keep the old version serving while the new one comes up: no planned downtime.
NO_DOWNTIME_STRATEGIES = ("blue_green", "canary", "rolling", "feature_flag")
_DOWNTIME_FIGURE = re.compile(
    r"downtime[^0-9\n]{0,40}?(\d+(?:[.,]\d+)?)\s*(minutes?|mins?|hours?|hrs?|h)\b", re.IGNORECASE
)


@dataclass
class ChangeItem:
    key: str
    title: str
    category: str
    type: str
    risk: str
    approval: str
    release_note: str | None
    known_issues: str | None
    cis: list[str]
    external_ref: str | None
    audience: str = "technical"


@dataclass
class CIItem:
    name: str
    ci_class: str
    environment: str | None
    criticality: str
    requires_maintenance_window: bool


@dataclass
class TestItem:
    kind: str
    environment: str | None
    passed: int
    failed: int
    skipped: int
    verdict: str
    run_at: dt.datetime
    source: str | None


@dataclass
class SignOff:
    stage: str
    rule: str
    stage_status: str
    approver: str
    decision: str
    requested_at: dt.datetime | None
    decided_at: dt.datetime | None
    comment: str | None
    delegated_to: str | None


@dataclass
class StageItem:
    """One approval stage: its rule, its result under that rule (and why), its approvers."""

    name: str
    rule: str
    percent: int | None
    status: str
    explanation: str
    sign_offs: list[SignOff] = field(default_factory=list)


@dataclass
class DeploymentItem:
    environment: str
    wave: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    outcome: str | None
    incidents: int
    failure_detected_at: dt.datetime | None
    restored_at: dt.datetime | None
    hotfix: bool


@dataclass
class ReviewItem:
    outcome: str
    incidents: int
    lessons_learned: str | None
    user_feedback: str | None
    closed_at: dt.datetime | None
    closed_by: str | None


@dataclass
class TaskItem:
    local_id: str
    position: int
    title: str
    phase: str
    status: str
    owner: str | None
    owner_email: str | None
    start: dt.date | None
    end: dt.date | None
    effort_hours: float | None
    notes: str | None
    after: list[str] = field(default_factory=list)


@dataclass
class Contact:
    name: str
    email: str | None
    role: str


@dataclass
class ReleaseReport:
    key: str
    title: str
    version: str | None
    type: str
    risk: str
    priority: str
    status: str
    application: str | None
    manager: str | None
    manager_email: str | None
    scope: str | None
    objectives: str | None
    planned_start: dt.date | None
    planned_end: dt.date | None
    deploy_start: dt.datetime | None
    deploy_end: dt.datetime | None
    actual_start: dt.date | None
    actual_end: dt.date | None
    strategy: str | None
    waves: list[dict[str, Any]]
    rollback_plan: str | None
    rollback_minutes: int | None
    rollback_rehearsed_on: dt.date | None
    communication_plan: str | None
    implementation_plan: str | None
    changes: list[ChangeItem] = field(default_factory=list)
    cis: list[CIItem] = field(default_factory=list)
    tests: list[TestItem] = field(default_factory=list)
    sign_offs: list[SignOff] = field(default_factory=list)
    generated_at: dt.datetime | None = None
    status_category: str = "open"
    previous_status: str | None = None
    closure_code: str | None = None
    stages: list[StageItem] = field(default_factory=list)
    deployments: list[DeploymentItem] = field(default_factory=list)
    review: ReviewItem | None = None
    tasks: list[TaskItem] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    zone: str = "UTC"
    exported_by: str = ""
    plan_name: str = ""

    @property
    def downtime(self) -> dt.timedelta | None:
        """The expected downtime (see ``expected_downtime``)."""
        return self.expected_downtime()[0]

    def expected_downtime(self) -> tuple[dt.timedelta | None, str]:
        """(expected downtime, how it was derived). Blue-green, canary, rolling and feature-flag
        deployments keep the service up; a big bang (or no strategy) takes the figure the
        implementation plan states, else the whole deployment window."""
        strategy = self.strategy
        if strategy in NO_DOWNTIME_STRATEGIES:
            word = (
                strategy.replace("_", "-")
                if strategy == "blue_green"
                else strategy.replace("_", " ")
            )
            return dt.timedelta(0), f"none expected: a {word} deployment keeps the service running"
        found = _DOWNTIME_FIGURE.search(self.implementation_plan or "")
        if found:
            amount = float(found.group(1).replace(",", "."))
            unit = found.group(2).lower()
            minutes = amount * 60 if unit.startswith("h") else amount
            return dt.timedelta(minutes=minutes), "the figure stated in the implementation plan"
        if self.deploy_start is None or self.deploy_end is None:
            return None, "not known: no deployment window is scheduled"
        how = "a big-bang deployment" if strategy == "big_bang" else "no deployment strategy is set"
        return self.deploy_end - self.deploy_start, f"at most the whole deployment window ({how})"


def _options() -> list[Any]:
    return [
        selectinload(Release.manager),
        selectinload(Release.status),
        selectinload(Release.changes).selectinload(Change.cis),
        selectinload(Release.test_runs),
        selectinload(Release.previous_status),
        selectinload(Release.deployments),
        selectinload(Release.review).selectinload(Review.closed_by),
        selectinload(Release.tasks).selectinload(Task.assignee),
        selectinload(Release.stages)
        .selectinload(ApprovalStage.approvals)
        .selectinload(Approval.approver),
        selectinload(Release.stages)
        .selectinload(ApprovalStage.approvals)
        .selectinload(Approval.delegated_to),
    ]


def _plan_name(ctx: Ctx) -> str:
    path = getattr(ctx.plan, "path", None)
    return path.stem if path is not None else ""


def release_report(ctx: Ctx, key: str) -> ReleaseReport:
    """Everything release notes need about release ``key`` (NotFound when there is none)."""
    zone = plan_zone_name(ctx)
    with ctx.read() as s:
        rel = s.execute(
            select(Release).where(Release.key == key).options(*_options())
        ).scalar_one_or_none()
        if rel is None:
            raise NotFound(f"no release {key!r} in this plan")
        ids = [t.id for t in rel.tasks]
        deps = _predecessors(
            s.execute(
                select(TaskDependency.predecessor_id, TaskDependency.successor_id).where(
                    TaskDependency.successor_id.in_(ids)
                )
            ).all()
            if ids
            else []
        )
        return _build(rel, deps, zone, ctx.now(), ctx.actor, _plan_name(ctx))


def all_release_reports(ctx: Ctx) -> list[ReleaseReport]:
    """Every release's report, by key, in one read (the knowledge-base site)."""
    zone = plan_zone_name(ctx)
    with ctx.read() as s:
        rels = s.execute(select(Release).order_by(Release.key).options(*_options())).scalars()
        deps = _predecessors(
            s.execute(select(TaskDependency.predecessor_id, TaskDependency.successor_id)).all()
        )
        now, actor, plan_name = ctx.now(), ctx.actor, _plan_name(ctx)
        return [_build(rel, deps, zone, now, actor, plan_name) for rel in rels]


def _predecessors(rows: Any) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for pred, succ in rows:
        found.setdefault(succ, []).append(pred)
    return found


def _build(
    rel: Release,
    deps: dict[int, list[int]],
    zone: str,
    now: dt.datetime,
    actor: str,
    plan_name: str,
) -> ReleaseReport:
    cis: dict[str, CIItem] = {}
    changes = []
    for c in rel.changes:
        for ci in c.cis:
            cis.setdefault(
                ci.name,
                CIItem(
                    ci.name,
                    ci.ci_class.value,
                    ci.environment,
                    ci.criticality.value,
                    ci.requires_maintenance_window,
                ),
            )
        changes.append(
            ChangeItem(
                key=c.key,
                title=clean_text(c.title, max_length=MAX_TITLE, single_line=True),
                category=c.category.value,
                type=c.type.value,
                risk=c.risk.value,
                approval=c.approval.value,
                release_note=c.release_note,
                known_issues=c.known_issues,
                cis=[ci.name for ci in c.cis],
                external_ref=c.external_ref,
                audience=c.audience.value,
            )
        )
    sign_offs = [
        SignOff(
            stage=stage.name,
            rule=stage.rule.value
            if stage.percent is None
            else f"{stage.rule.value} {stage.percent}%",
            stage_status=stage.status.value,
            approver=a.approver.name,
            decision=a.decision.value,
            requested_at=a.requested_at,
            decided_at=a.decided_at,
            comment=a.comment,
            delegated_to=a.delegated_to.name if a.delegated_to else None,
        )
        for stage in rel.stages
        for a in stage.approvals
    ]
    tests = [
        TestItem(
            t.kind.value,
            t.environment,
            t.passed,
            t.failed,
            t.skipped,
            t.verdict.value,
            t.run_at,
            t.source,
        )
        for t in rel.test_runs
    ]
    stages = []
    for stage in rel.stages:
        result, why = stage_outcome(stage)
        stages.append(
            StageItem(
                name=stage.name,
                rule=stage.rule.value,
                percent=stage.percent,
                status=result.value,
                explanation=why,
                sign_offs=[so for so in sign_offs if so.stage == stage.name],
            )
        )
    deployments = [
        DeploymentItem(
            d.environment,
            d.wave,
            d.started_at,
            d.finished_at,
            d.outcome.value if d.outcome else None,
            d.incidents,
            d.failure_detected_at,
            d.restored_at,
            d.hotfix,
        )
        for d in rel.deployments
    ]
    review = None
    if rel.review is not None:
        r = rel.review
        review = ReviewItem(
            r.outcome.value,
            r.incidents,
            r.lessons_learned,
            r.user_feedback,
            r.closed_at,
            r.closed_by.name if r.closed_by else None,
        )
    task_ids = {t.id: t.local_id for t in rel.tasks}
    preds: dict[str, list[str]] = {}
    for succ, local in task_ids.items():
        for pred in deps.get(succ, ()):
            if pred in task_ids:
                preds.setdefault(local, []).append(task_ids[pred])
    tasks = [
        TaskItem(
            t.local_id,
            t.position,
            t.title,
            t.phase.value,
            t.status.value,
            t.assignee.name if t.assignee else None,
            t.assignee.email if t.assignee else None,
            t.start,
            t.end,
            t.effort_hours,
            t.notes,
            sorted(preds.get(t.local_id, [])),
        )
        for t in rel.tasks
    ]
    contacts: dict[str, Contact] = {}
    if rel.manager is not None:
        contacts[rel.manager.email] = Contact(
            rel.manager.name, rel.manager.email, "Release manager"
        )
    for t in rel.tasks:
        if t.assignee is not None and t.assignee.email not in contacts:
            contacts[t.assignee.email] = Contact(t.assignee.name, t.assignee.email, "Task owner")
    for stage in rel.stages:
        for a in stage.approvals:
            if a.approver.email not in contacts:
                contacts[a.approver.email] = Contact(
                    a.approver.name, a.approver.email, f"Approver ({stage.name})"
                )
    return ReleaseReport(
        key=rel.key,
        title=clean_text(rel.title, max_length=MAX_TITLE, single_line=True),  # a heading
        version=rel.version,
        type=rel.type.value,
        risk=rel.risk.value,
        priority=rel.priority.value,
        status=rel.status.name,
        application=rel.application,
        manager=rel.manager.name if rel.manager else None,
        manager_email=rel.manager.email if rel.manager else None,
        scope=rel.scope,
        objectives=rel.objectives,
        planned_start=rel.planned_start,
        planned_end=rel.planned_end,
        deploy_start=rel.deploy_start,
        deploy_end=rel.deploy_end,
        actual_start=rel.actual_start,
        actual_end=rel.actual_end,
        strategy=rel.strategy.value if rel.strategy else None,
        waves=[dict(w) for w in (rel.waves or [])],
        rollback_plan=rel.rollback_plan,
        rollback_minutes=rel.rollback_minutes,
        rollback_rehearsed_on=rel.rollback_rehearsed_on,
        communication_plan=rel.communication_plan,
        implementation_plan=rel.implementation_plan,
        changes=changes,
        cis=sorted(cis.values(), key=lambda ci: ci.name.lower()),
        tests=tests,
        sign_offs=sign_offs,
        generated_at=now,
        status_category=rel.status.category.value,
        previous_status=rel.previous_status.name if rel.previous_status else None,
        closure_code=rel.closure_code,
        stages=stages,
        deployments=deployments,
        review=review,
        tasks=tasks,
        contacts=list(contacts.values()),
        zone=zone,
        exported_by=actor,
        plan_name=plan_name,
    )
