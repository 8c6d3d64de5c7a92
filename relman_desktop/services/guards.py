"""The nine guards of the release lifecycle (PRODUCT.md §4).

Each guard is ``guard(session, release, param, today) -> list[str]``: what is missing, in words
a person understands; an empty list means the guard holds. ``check_guard`` wraps the answer
with the release-editor tab where the user can fix it (``jump_to``).

Guards read through queries rather than the release's loaded collections, so rows added
earlier in the same transaction are always seen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    ApprovalStage,
    Change,
    Release,
    ReleaseDependency,
    Review,
    Task,
    TestRun,
)

GuardFn = Callable[[Session, Release, Any, dt.date], list[str]]

TEST_KIND_WORDS = {"uat": "UAT"}


def test_kind_word(kind: str) -> str:
    return TEST_KIND_WORDS.get(str(kind), str(kind))


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


# --- the nine guards ---------------------------------------------------------------------------


def scope_defined(session: Session, release: Release, param: Any, today: dt.date) -> list[str]:
    missing = []
    if not (release.title or "").strip():
        missing.append("no title")
    if not (release.scope or "").strip():
        missing.append("no scope")
    if release.planned_start is None:
        missing.append("no planned start")
    if release.planned_end is None:
        missing.append("no planned end")
    if release.manager_id is None:
        missing.append("no release manager")
    return missing


def changes_approved(session: Session, release: Release, param: Any, today: dt.date) -> list[str]:
    changes = (
        session.execute(select(Change).where(Change.release_id == release.id).order_by(Change.key))
        .scalars()
        .all()
    )
    if not changes:
        return ["no change is linked to this release"]
    return [
        f"{c.key} is not approved ({E.ChangeApproval(c.approval).value})"
        for c in changes
        if c.approval != E.ChangeApproval.APPROVED
    ]


def phase_tasks_done(session: Session, release: Release, param: Any, today: dt.date) -> list[str]:
    if param not in {p.value for p in E.Phase}:
        return [f"this guard needs a task phase, not {param!r}"]
    tasks = (
        session.execute(
            select(Task)
            .where(Task.release_id == release.id, Task.phase == param)
            .order_by(Task.position, Task.id)
        )
        .scalars()
        .all()
    )
    finished = {E.TaskStatus.DONE, E.TaskStatus.CANCELLED}
    open_tasks = [t for t in tasks if t.status not in finished]
    if not open_tasks:
        return []
    verb = "is" if len(open_tasks) == 1 else "are"
    names = ", ".join(t.title for t in open_tasks)
    return [f"{len(open_tasks)} of {_plural(len(tasks), f'{param} task')} {verb} not done: {names}"]


def tests_passed(session: Session, release: Release, param: Any, today: dt.date) -> list[str]:
    problems = []
    for kind in release.required_tests or []:
        latest = session.execute(
            select(TestRun)
            .where(TestRun.release_id == release.id, TestRun.kind == kind)
            .order_by(TestRun.run_at.desc(), TestRun.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        word = test_kind_word(kind)
        if latest is None:
            problems.append(f"no {word} run recorded")
        elif latest.verdict == E.Verdict.FAILED:
            problems.append(f"the latest {word} run failed ({latest.failed} failed)")
    return problems


def approvals_complete(session: Session, release: Release, param: Any, today: dt.date) -> list[str]:
    from .approvals import stage_outcome

    stages = (
        session.execute(
            select(ApprovalStage)
            .where(ApprovalStage.release_id == release.id)
            .order_by(ApprovalStage.position)
        )
        .scalars()
        .all()
    )
    if not stages:
        # Nobody approving is not the same as everybody approving: governance needs a stage.
        return ["no approval stage is set up for this release"]
    problems = []
    for stage in stages:
        status, why = stage_outcome(stage)
        if status == E.StageStatus.REJECTED:
            problems.append(f"stage {stage.name} is rejected: {why}")
        elif status != E.StageStatus.APPROVED:
            problems.append(f"stage {stage.name} is not approved: {why}")
    return problems


def rollback_ready(session: Session, release: Release, param: Any, today: dt.date) -> list[str]:
    problems = []
    if not (release.rollback_plan or "").strip():
        problems.append("no rollback plan")
    if release.rollback_minutes is None:
        problems.append("no rollback duration")
    days = rehearsal_days(release)
    if days is not None:
        rehearsed = release.rollback_rehearsed_on
        if rehearsed is None:
            problems.append(
                f"rollback never rehearsed (the template asks for a rehearsal within {days} days)"
            )
        elif (today - rehearsed).days > days:
            problems.append(
                f"rollback last rehearsed {rehearsed.isoformat()}, more than {days} days ago"
            )
    return problems


def rehearsal_days(release: Release) -> int | None:
    """How recent a rollback rehearsal must be, from the release's template (None: no rule)."""
    template = release.template
    if template is None:
        return None
    value = (template.body or {}).get("rollback_rehearsal_days")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def window_clear(session: Session, release: Release, param: Any, today: dt.date) -> list[str]:
    if release.deploy_start is None or release.deploy_end is None:
        return ["no deployment window set"]
    from . import conflicts  # imported here: conflicts reads guards' neighbours at import

    return list(conflicts.window_clear_problems(session, release, today))


def hard_freezes(session: Session, release: Release) -> list[str]:
    """The hard freezes in scope that the release's deployment window overlaps, by title.

    A hard freeze refuses deployments inside it: a ``window_clear`` guard that fails on one
    cannot be overridden, whatever the workflow says about the guard."""
    if release.deploy_start is None or release.deploy_end is None:
        return []
    from .plan_index import load_index

    session.flush()
    index = load_index(session, around=release)
    rel = index.by_key.get(release.key)
    if rel is None or rel.start is None or rel.end is None:
        return []
    return [
        win.title
        for win in index.windows_of(E.WindowKind.FREEZE)
        if win.hard and win.applies_to(rel) and win.between(rel.start, rel.end)
    ]


def dependencies_met(session: Session, release: Release, param: Any, today: dt.date) -> list[str]:
    rows = session.execute(
        select(ReleaseDependency.kind, Release)
        .join(Release, Release.id == ReleaseDependency.prerequisite_id)
        .where(ReleaseDependency.release_id == release.id)
        .order_by(Release.key)
    ).all()
    problems = []
    for kind, pre in rows:
        # Asked by role, not by name: a workflow that calls "Deployed" "Live" behaves the same.
        state, role = pre.status.name, E.state_role(pre.status.role)
        if kind == E.DependencyKind.TOGETHER:
            if role not in E.READY_TO_DEPLOY_ROLES:
                problems.append(
                    f"{pre.key} (deploys together with this release) is {state}, not approved yet"
                )
        elif role not in E.DEPLOYED_ROLES:
            problems.append(f"{pre.key} (a prerequisite) is {state}, not deployed or closed")
    return problems


def review_recorded(session: Session, release: Release, param: Any, today: dt.date) -> list[str]:
    found = session.execute(select(Review.id).where(Review.release_id == release.id)).first()
    return [] if found else ["no post-release review recorded"]


# --- registry ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Guard:
    """One guard: its check, its name for people, the release-editor tab where what is missing
    can be put right, and whether it takes a task phase as its parameter."""

    name: str
    check: GuardFn
    title: str
    jump_to: str
    takes_phase: bool = False


GUARDS: dict[str, Guard] = {
    g.name: g
    for g in (
        Guard("scope_defined", scope_defined, "scope defined", "Overview"),
        Guard("changes_approved", changes_approved, "changes approved", "Changes"),
        Guard("phase_tasks_done", phase_tasks_done, "tasks done", "Tasks", takes_phase=True),
        Guard("tests_passed", tests_passed, "tests passed", "Tests"),
        Guard("approvals_complete", approvals_complete, "approvals complete", "Approvals"),
        Guard("rollback_ready", rollback_ready, "rollback ready", "Deployments"),
        Guard("window_clear", window_clear, "deployment window clear", "Deployments"),
        Guard("dependencies_met", dependencies_met, "dependencies met", "Overview"),
        Guard("review_recorded", review_recorded, "review recorded", "Review"),
    )
}


def guard_title(name: str, param: str | None = None) -> str:
    """A guard's name for people: "build tasks done", "tests passed"."""
    guard = GUARDS.get(name)
    if guard is None:
        return name
    if guard.takes_phase and param:
        return f"{param} {guard.title}"
    return guard.title


@dataclass(frozen=True)
class GuardResult:
    guard: str
    param: str | None
    messages: list[str] = field(default_factory=list)
    jump_to: str = "Overview"
    # Why this unmet guard cannot be overridden even where the workflow calls it soft
    # (a hard freeze); "" when the workflow's word stands.
    binding: str = ""

    @property
    def met(self) -> bool:
        return not self.messages


def check_guard(
    session: Session, release: Release, name: str, param: str | None, today: dt.date
) -> GuardResult:
    guard = GUARDS.get(name)
    if guard is None:
        return GuardResult(name, param, [f"unknown guard {name!r} in the workflow"], "Overview")
    messages = guard.check(session, release, param, today)
    binding = ""
    if messages and name == "window_clear":
        frozen = hard_freezes(session, release)
        if frozen:
            titles = ", ".join(f"\u201c{t}\u201d" for t in frozen)
            binding = f"the hard freeze {titles} refuses deployments inside it"
    return GuardResult(name, param, messages, guard.jump_to, binding)
