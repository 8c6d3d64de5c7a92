"""Small builders that put people, releases, tasks, changes, stages… straight into a plan with
the ORM (one ``ctx.write()`` each, no audit, no rules), so a test states only what it is about.

Each returns the new row's id (or key for releases). Usable from any test module::

    from helpers_builders import make_person, make_release  # tests/ is on sys.path under pytest
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    Approval,
    ApprovalStage,
    CalendarWindow,
    Change,
    ConfigurationItem,
    Deployment,
    Person,
    Release,
    ReleaseDependency,
    Review,
    Task,
    TestRun,
)
from relman_desktop.services.base import Ctx, person_by_email, release_by_key, state_by_name

UTC = dt.UTC


# --- a faster ``plan`` fixture -----------------------------------------------------------------
# Creating a plan runs every migration; copying a freshly created one is ~10x faster. A test
# module opts in by importing both fixtures: ``from helpers_builders import plan, plan_template``.


@pytest.fixture(scope="session")
def plan_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from relman_desktop.models.planfile import open_plan

    path = tmp_path_factory.mktemp("plan-template") / "template.relman"
    open_plan(path, create=True).close()
    return path


@pytest.fixture
def plan(plan_template: Path, plan_path: Path, engine: str, request: pytest.FixtureRequest):
    """A new plan: a copy of the template file, or (``engine`` "postgresql", see conftest.py)
    a fresh database copied from the server's template."""
    from relman_desktop.models.database import open_database
    from relman_desktop.models.planfile import open_plan

    if engine == "postgresql":
        p = open_database(request.getfixturevalue("server_url"))
    else:
        shutil.copyfile(plan_template, plan_path)
        p = open_plan(plan_path)
    yield p
    p.close()


def make_person(
    ctx: Ctx,
    email: str,
    name: str | None = None,
    *,
    team: str | None = None,
    roles: Iterable[str] = (),
) -> int:
    with ctx.write() as tx:
        p = Person(
            email=email,
            name=name or email.split("@")[0].replace(".", " ").title(),
            team=team,
            roles=list(roles),
        )
        tx.session.add(p)
        tx.session.flush()
        return p.id


def make_people(ctx: Ctx, *emails: str) -> list[int]:
    return [make_person(ctx, e) for e in emails]


def make_release(
    ctx: Ctx,
    key: str = "REL-2026-001",
    *,
    title: str = "Release",
    status: str = "Planning",
    type: str = "minor",
    manager_email: str | None = None,
    scope: str | None = None,
    planned_start: dt.date | None = None,
    planned_end: dt.date | None = None,
    required_tests: Iterable[str] = (),
    **fields: Any,
) -> str:
    """A release in ``status``; other Release columns may be passed by name."""
    with ctx.write() as tx:
        s = tx.session
        rel = Release(
            key=key,
            title=title,
            type=E.ReleaseType(type),
            status=state_by_name(s, status),
            manager=person_by_email(s, manager_email) if manager_email else None,
            scope=scope,
            planned_start=planned_start,
            planned_end=planned_end,
            required_tests=list(required_tests),
            waves=[],
            **fields,
        )
        s.add(rel)
        s.flush()
        return rel.key


def make_ready_release(
    ctx: Ctx,
    key: str = "REL-2026-001",
    *,
    manager_email: str = "rm@example.com",
    status: str = "Planning",
    **fields: Any,
) -> str:
    """A release whose scope is defined (title, scope, planned dates, manager)."""
    with ctx.read() as s:
        known = s.execute(select(Person.id).where(Person.email == manager_email)).first()
    if not known:
        make_person(ctx, manager_email, "Rita Manager", roles=["release_manager"])
    fields.setdefault("scope", "Payments API 2.4")
    fields.setdefault("planned_start", dt.date(2026, 11, 30))
    fields.setdefault("planned_end", dt.date(2026, 12, 11))
    return make_release(ctx, key, manager_email=manager_email, status=status, **fields)


def set_release(ctx: Ctx, key: str, **fields: Any) -> None:
    """Set Release columns directly (``status=`` takes a state name)."""
    with ctx.write() as tx:
        rel = release_by_key(tx.session, key)
        for name, value in fields.items():
            if name == "status":
                value = state_by_name(tx.session, value)
            setattr(rel, name, value)


def make_task(
    ctx: Ctx,
    release_key: str,
    title: str,
    phase: str = "build",
    *,
    status: str = "todo",
    local_id: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    assignee_email: str | None = None,
) -> int:
    with ctx.write() as tx:
        s = tx.session
        rel = release_by_key(s, release_key)
        n = len(rel.tasks)
        task = Task(
            local_id=local_id or f"T{n + 1}",
            position=n,
            title=title,
            phase=E.Phase(phase),
            status=E.TaskStatus(status),
            start=start,
            end=end,
            assignee=person_by_email(s, assignee_email) if assignee_email else None,
        )
        rel.tasks.append(task)
        s.flush()
        return task.id


def set_task_status(ctx: Ctx, task_id: int, status: str) -> None:
    with ctx.write() as tx:
        task = tx.session.get(Task, task_id)
        assert task is not None
        task.status = E.TaskStatus(status)


def make_ci(
    ctx: Ctx,
    name: str,
    *,
    criticality: str = "medium",
    ci_class: str = "application",
    environment: str | None = "production",
    requires_maintenance_window: bool = False,
) -> int:
    with ctx.write() as tx:
        ci = ConfigurationItem(
            name=name,
            ci_class=E.CIClass(ci_class),
            criticality=E.Level(criticality),
            environment=environment,
            requires_maintenance_window=requires_maintenance_window,
        )
        tx.session.add(ci)
        tx.session.flush()
        return ci.id


def make_change(
    ctx: Ctx,
    key: str,
    release_key: str | None = None,
    *,
    title: str | None = None,
    approval: str = "approved",
    type: str = "normal",
    category: str = "feature",
    cis: Iterable[str] = (),
) -> int:
    with ctx.write() as tx:
        s = tx.session
        change = Change(
            key=key,
            title=title or f"Change {key}",
            type=E.ChangeType(type),
            category=E.ChangeCategory(category),
            approval=E.ChangeApproval(approval),
            release=release_by_key(s, release_key) if release_key else None,
            cis=[
                s.execute(select(ConfigurationItem).where(ConfigurationItem.name == n)).scalar_one()
                for n in cis
            ],
        )
        s.add(change)
        s.flush()
        return change.id


def set_change_approval(ctx: Ctx, key: str, approval: str) -> None:
    with ctx.write() as tx:
        change = tx.session.execute(select(Change).where(Change.key == key)).scalar_one()
        change.approval = E.ChangeApproval(approval)


def make_stage(
    ctx: Ctx,
    release_key: str,
    name: str,
    rule: str = "all",
    approvers: Iterable[str] = (),
    *,
    percent: int | None = None,
    decisions: dict[str, str] | None = None,
) -> int:
    """A stage with approvers (emails, who must exist); ``decisions`` maps email → decision.
    The stored stage status is left pending: services recompute it."""
    decisions = decisions or {}
    with ctx.write() as tx:
        s = tx.session
        rel = release_by_key(s, release_key)
        stage = ApprovalStage(
            name=name,
            rule=E.StageRule(rule),
            percent=percent,
            position=len(rel.stages),
            status=E.StageStatus.PENDING,
        )
        rel.stages.append(stage)
        now = ctx.now()
        for email in approvers:
            decision = E.Decision(decisions.get(email, "pending"))
            stage.approvals.append(
                Approval(
                    approver=person_by_email(s, email),
                    decision=decision,
                    requested_at=now,
                    decided_at=None if decision == E.Decision.PENDING else now,
                    comment=None if decision == E.Decision.PENDING else "ok",
                )
            )
        s.flush()
        return stage.id


def make_test_run(
    ctx: Ctx,
    release_key: str,
    kind: str,
    *,
    passed: int = 10,
    failed: int = 0,
    run_at: dt.datetime | None = None,
    environment: str = "staging",
) -> int:
    with ctx.write() as tx:
        rel = release_by_key(tx.session, release_key)
        run = TestRun(
            kind=E.TestKind(kind),
            passed=passed,
            failed=failed,
            skipped=0,
            environment=environment,
            run_at=run_at or ctx.now(),
            verdict=E.Verdict.FAILED if failed else E.Verdict.PASSED,
        )
        rel.test_runs.append(run)
        tx.session.flush()
        return run.id


def make_dependency(ctx: Ctx, release_key: str, prerequisite_key: str, kind: str = "before") -> int:
    with ctx.write() as tx:
        s = tx.session
        dep = ReleaseDependency(
            release_id=release_by_key(s, release_key).id,
            prerequisite_id=release_by_key(s, prerequisite_key).id,
            kind=E.DependencyKind(kind),
        )
        s.add(dep)
        s.flush()
        return dep.id


def make_review(ctx: Ctx, release_key: str, outcome: str = "successful") -> int:
    with ctx.write() as tx:
        rel = release_by_key(tx.session, release_key)
        review = Review(release_id=rel.id, outcome=E.ReviewOutcome(outcome))
        tx.session.add(review)
        tx.session.flush()
        return review.id


def make_deployment(
    ctx: Ctx,
    release_key: str,
    environment: str = "production",
    *,
    outcome: str | None = "success",
    started_at: dt.datetime | None = None,
    finished_at: dt.datetime | None = None,
) -> int:
    with ctx.write() as tx:
        rel = release_by_key(tx.session, release_key)
        dep = Deployment(
            environment=environment,
            outcome=E.Outcome(outcome) if outcome else None,
            started_at=started_at,
            finished_at=finished_at,
        )
        rel.deployments.append(dep)
        tx.session.flush()
        return dep.id


def make_window(
    ctx: Ctx,
    title: str,
    kind: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    hard: bool = True,
    rrule: str | None = None,
    timezone: str = "UTC",
    cis: Iterable[str] = (),
) -> int:
    with ctx.write() as tx:
        s = tx.session
        w = CalendarWindow(
            title=title,
            kind=E.WindowKind(kind),
            start=start,
            end=end,
            hard=hard,
            rrule=rrule,
            timezone=timezone,
            cis=[
                s.execute(select(ConfigurationItem).where(ConfigurationItem.name == n)).scalar_one()
                for n in cis
            ],
        )
        s.add(w)
        s.flush()
        return w.id


def status_of(ctx: Ctx, key: str) -> str:
    with ctx.read() as s:
        return str(release_by_key(s, key).status.name)
