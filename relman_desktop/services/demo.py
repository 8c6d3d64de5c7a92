"""A realistic demo plan: releases across applications, with everything a release manager sees.

``generate_demo(ctx)`` fills an empty plan with about 40 releases spread over the six months
before and the three months after today: people with their roles, configuration items, a
weekly maintenance window, a year-end freeze, changes, tasks with dependencies, approval
stages with every kind of decision, test evidence, deployments (some failed, rolled back or
partial, with detection and restore times), reviews, templates, a rule and a baseline.

Each release's status fits its dates and the entry guards of its state (PRODUCT.md §4): an
Approved release has every change approved, its required tests passed, every approval stage
approved and a rollback plan; a Closed one has a review; and so on.

The same seed and the same ``today`` give the same plan. ``releases=10_000`` stays fast: rows
are built as plain dicts and written with Core bulk inserts in one transaction, with one
summary audit event.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import func, insert, select

from relman_desktop.models.entities import (
    Approval,
    ApprovalStage,
    Baseline,
    CalendarWindow,
    Change,
    ConfigurationItem,
    Deployment,
    LinkedRecord,
    Person,
    Release,
    ReleaseDependency,
    Review,
    Rule,
    Task,
    TaskDependency,
    Template,
    TestRun,
    WorkflowState,
    change_cis,
    ci_relations,
    window_cis,
)

from .base import Ctx, ServiceError, ValidationError, operation
from .demo_data import (
    DEFAULT_RELEASES,
    MAX_RELEASES,
    STATE_NAMES,
)
from .demo_plan import _DemoPlan

__all__ = ["DEFAULT_RELEASES", "MAX_RELEASES", "generate_demo"]


class _Demo(_DemoPlan):
    """The whole demo plan, built in one pass (``run``) and written with bulk inserts.

    The parts live beside this module, each extending the one before: ``demo_base`` (state,
    ids, rows), ``demo_setup`` (calendar, people, CIs, windows, templates), ``demo_evidence``
    (tests, approvals, deployments, links), ``demo_releases`` (a release, its tasks and
    changes), ``demo_plan`` (schedule, statuses, dependencies, baseline)."""

    # --- the whole plan -------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.states = dict(self.s.execute(select(WorkflowState.name, WorkflowState.id)).all())
        missing = [name for name in STATE_NAMES if name not in self.states]
        if missing:
            raise ServiceError(
                "the demo needs the default workflow; this plan has no state "
                + ", ".join(repr(m) for m in missing)
            )
        self._calendar_bounds()
        self._applications()
        self._people()
        self._cis()
        self._windows()
        self._templates_and_rule()
        rels = self._schedule()
        self._statuses(rels)
        self._identities(rels)
        for rel in rels:
            self._release(rel)
        self._release_dependencies(rels)
        self._unbundled_changes()
        self._baseline(rels)
        self._write()
        summary: dict[str, Any] = {
            "releases": len(rels),
            "applications": len(self.apps),
            "people": len(self.rows.get(Person.__table__, [])),
            "configuration_items": len(self.rows.get(ConfigurationItem.__table__, [])),
            "windows": len(self.rows.get(CalendarWindow.__table__, [])),
            "changes": len(self.rows.get(Change.__table__, [])),
            "tasks": len(self.rows.get(Task.__table__, [])),
            "task_dependencies": len(self.rows.get(TaskDependency.__table__, [])),
            "release_dependencies": len(self.rows.get(ReleaseDependency.__table__, [])),
            "approval_stages": len(self.rows.get(ApprovalStage.__table__, [])),
            "approvals": len(self.rows.get(Approval.__table__, [])),
            "test_runs": len(self.rows.get(TestRun.__table__, [])),
            "deployments": len(self.rows.get(Deployment.__table__, [])),
            "reviews": len(self.rows.get(Review.__table__, [])),
            "linked_records": len(self.rows.get(LinkedRecord.__table__, [])),
            "templates": len(self.rows.get(Template.__table__, [])),
            "rules": len(self.rows.get(Rule.__table__, [])),
            "baselines": len(self.rows.get(Baseline.__table__, [])),
            "statuses": dict(sorted(Counter(r.status for r in rels).items())),
        }
        return summary

    # --- writing -----------------------------------------------------------------------------------

    def _write(self) -> None:
        order: list[Any] = [
            Person.__table__,
            ConfigurationItem.__table__,
            ci_relations,
            Template.__table__,
            Rule.__table__,
            CalendarWindow.__table__,
            window_cis,
            Release.__table__,
            ReleaseDependency.__table__,
            Change.__table__,
            change_cis,
            Task.__table__,
            TaskDependency.__table__,
            TestRun.__table__,
            ApprovalStage.__table__,
            Approval.__table__,
            Deployment.__table__,
            Review.__table__,
            LinkedRecord.__table__,
            Baseline.__table__,
        ]
        assert set(self.rows) <= set(order), set(self.rows) - set(order)
        for table in order:
            rows = self.rows.get(table)
            if rows:
                self.s.execute(insert(table), rows)


# --- the service ------------------------------------------------------------------------------------

_CONTENT = [
    (Release, "release", "releases"),
    (Change, "change", "changes"),
    (Person, "person", "people"),
    (ConfigurationItem, "configuration item", "configuration items"),
    (CalendarWindow, "calendar window", "calendar windows"),
    (Template, "template", "templates"),
    (Rule, "rule", "rules"),
    (Baseline, "baseline", "baselines"),
]


@operation
def generate_demo(
    ctx: Ctx, *, releases: int = DEFAULT_RELEASES, seed: int = 1, today: dt.date | None = None
) -> dict[str, Any]:
    """Fill an empty plan with a realistic demo; returns what was made.

    The summary maps each kind of record to its count (``releases``, ``tasks``, …), plus
    ``statuses`` (releases per workflow state) and ``generated_with`` (seed and day). The same
    seed and ``today`` (default: ``ctx.today()``) always give the same plan.

    Refuses a plan that already holds releases (or any people, CIs, changes, windows, templates,
    rules or baselines): the demo never mixes with real data.
    """
    if (
        isinstance(releases, bool)
        or not isinstance(releases, int)
        or not 1 <= releases <= MAX_RELEASES
    ):
        raise ValidationError(
            f"releases: a whole number from 1 to {MAX_RELEASES:,}, not {releases!r}",
            field="releases",
        )
    day = today or ctx.today()
    with ctx.write() as tx:
        s = tx.session
        for model, one, many in _CONTENT:
            n = s.execute(select(func.count()).select_from(model)).scalar_one()
            if n:
                raise ServiceError(
                    f"this plan already has {n:,} {one if n == 1 else many}; "
                    "the demo fills only an empty plan (create a new one with 'relman --plan NEW.relman init')"
                )
        demo = _Demo(s, releases, seed, day)
        summary = demo.run()
        counts = {k: v for k, v in summary.items() if isinstance(v, int)}
        summary["generated_with"] = {"seed": seed, "today": day.isoformat()}
        tx.audit(
            "plan",
            "demo",
            "generate demo",
            after={"seed": seed, "today": day.isoformat(), **counts},
        )
    return summary
