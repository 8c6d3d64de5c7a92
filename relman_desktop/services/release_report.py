"""A release's facts as plain data, for the documents stakeholders receive (release notes).

One read, no ORM objects escape: exporters format what they are given and never query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from relman_desktop.models.entities import Approval, ApprovalStage, Change, Release
from relman_desktop.services.text import MAX_TITLE, clean_text

from .base import Ctx, NotFound


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

    @property
    def downtime(self) -> dt.timedelta | None:
        """The deployment window's length: the most the service may be unavailable."""
        if self.deploy_start is None or self.deploy_end is None:
            return None
        return self.deploy_end - self.deploy_start


def release_report(ctx: Ctx, key: str) -> ReleaseReport:
    """Everything release notes need about release ``key`` (NotFound when there is none)."""
    with ctx.read() as s:
        rel = s.execute(
            select(Release)
            .where(Release.key == key)
            .options(
                selectinload(Release.manager),
                selectinload(Release.status),
                selectinload(Release.changes).selectinload(Change.cis),
                selectinload(Release.test_runs),
                selectinload(Release.stages)
                .selectinload(ApprovalStage.approvals)
                .selectinload(Approval.approver),
                selectinload(Release.stages)
                .selectinload(ApprovalStage.approvals)
                .selectinload(Approval.delegated_to),
            )
        ).scalar_one_or_none()
        if rel is None:
            raise NotFound(f"no release {key!r} in this plan")
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
            generated_at=ctx.now(),
        )
