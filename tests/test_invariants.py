"""Random sequences of service calls, then the plan's invariants: no dependency cycle, an
intact audit chain, and no release that entered its state with unmet guards unless each was
overridden with a recorded reason."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from relman_desktop.models.entities import AuditEvent, Release, Task, TaskDependency
from relman_desktop.models.planfile import open_plan
from relman_desktop.services import (
    approvals,
    audit,
    changes,
    evidence,
    lifecycle,
    people,
    releases,
    tasks,
)
from relman_desktop.services.base import Ctx, GuardRefused, ReadOnlyRelease, ServiceError
from relman_desktop.services.releases import dependency_graph

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
STATES = [
    "Planning",
    "Build",
    "Testing",
    "Awaiting Approval",
    "Approved",
    "Deploying",
    "Deployed",
    "In Review",
    "Closed",
    "On Hold",
    "Cancelled",
    "Rolled Back",
]
PHASES = ["plan", "build", "test", "approve", "deploy", "verify", "review"]


class PlanMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="relman-hyp-"))
        self.plan = open_plan(self.dir / "p.relman", create=True)
        self.ctx = Ctx(self.plan, actor="hypothesis", clock=lambda: NOW)
        people.create_person(
            self.ctx,
            {"email": "rm@example.com", "name": "Rita Manager", "roles": ["release_manager"]},
        )
        self.keys: list[str] = []
        self.changes: list[str] = []

    def teardown(self) -> None:
        self.plan.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @contextlib.contextmanager
    def unless_read_only(self, key: str) -> Iterator[None]:
        """A write to a Closed or Cancelled release is refused by name and changes nothing;
        any other refusal is a failure."""
        with self.ctx.read() as s:
            events_before = s.execute(select(func.count(AuditEvent.id))).scalar_one()
        try:
            yield
        except ReadOnlyRelease as refused:
            assert key in str(refused)
            assert releases.get_release(self.ctx, key).status in ("Closed", "Cancelled")
            with self.ctx.read() as s:
                assert s.execute(select(func.count(AuditEvent.id))).scalar_one() == events_before

    @rule(full=st.booleans())
    def create_release(self, full: bool) -> None:
        key = f"REL-{len(self.keys) + 1}"
        fields: dict = {"key": key, "title": f"Release {key}", "type": "minor"}
        if full:
            fields |= {
                "scope": "Scope",
                "planned_start": "2026-12-01",
                "planned_end": "2026-12-10",
                "manager_email": "rm@example.com",
                "rollback_plan": "Redeploy",
                "rollback_minutes": 30,
            }
        releases.create_release(self.ctx, fields)
        self.keys.append(key)

    @precondition(lambda self: self.keys)
    @rule(
        data=st.data(),
        phase=st.sampled_from(PHASES),
        status=st.sampled_from(["todo", "done", "cancelled"]),
    )
    def add_task(self, data: st.DataObject, phase: str, status: str) -> None:
        key = data.draw(st.sampled_from(self.keys))
        with self.unless_read_only(key):
            tasks.add_task(
                self.ctx, key, {"title": f"{phase} work", "phase": phase, "status": status}
            )

    @precondition(lambda self: self.keys)
    @rule(data=st.data(), kind=st.sampled_from(["FS", "SS", "FF", "SF"]), lag=st.integers(-2, 3))
    def link_tasks(self, data: st.DataObject, kind: str, lag: int) -> None:
        key = data.draw(st.sampled_from(self.keys))
        ids = [t.local_id for t in tasks.list_tasks(self.ctx, key)]
        if len(ids) < 2:
            return
        a, b = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
        try:
            tasks.add_task_dependency(self.ctx, key, a, b, kind, lag)
        except ServiceError:
            pass  # a loop or a duplicate: refused, and the invariants say nothing slipped in

    @precondition(lambda self: len(self.keys) >= 2)
    @rule(data=st.data())
    def depend(self, data: st.DataObject) -> None:
        a, b = data.draw(st.sampled_from(self.keys)), data.draw(st.sampled_from(self.keys))
        try:
            releases.add_dependency(self.ctx, a, b)
        except ServiceError:
            pass

    @rule(approved=st.booleans())
    def create_change(self, approved: bool) -> None:
        key = f"CHG-{len(self.changes) + 1}"
        changes.create_change(
            self.ctx,
            {
                "key": key,
                "title": "A change",
                "type": "normal",
                "category": "fix",
                "approval": "approved" if approved else "pending",
            },
        )
        self.changes.append(key)

    @precondition(lambda self: self.keys and self.changes)
    @rule(data=st.data())
    def bundle(self, data: st.DataObject) -> None:
        try:
            changes.bundle_change(
                self.ctx,
                data.draw(st.sampled_from(self.changes)),
                data.draw(st.sampled_from(self.keys)),
            )
        except ServiceError:
            pass

    @precondition(lambda self: self.keys)
    @rule(data=st.data(), decision=st.sampled_from(["approved", "rejected"]))
    def stage_and_decide(self, data: st.DataObject, decision: str) -> None:
        key = data.draw(st.sampled_from(self.keys))
        try:
            stage = approvals.add_stage(
                self.ctx,
                key,
                f"Stage {len(approvals.list_stages(self.ctx, key)) + 1}",
                "any",
                ["rm@example.com"],
            )
        except ServiceError:
            return
        approval = approvals.approval_id_for(
            self.ctx, key, approvals.list_stages(self.ctx, key)[-1].name, "rm@example.com"
        )
        assert stage
        approvals.decide(self.ctx, approval, decision, "recorded by hypothesis")

    @precondition(lambda self: self.keys)
    @rule(data=st.data(), failed=st.integers(0, 2))
    def test_run(self, data: st.DataObject, failed: int) -> None:
        key = data.draw(st.sampled_from(self.keys))
        with self.unless_read_only(key):
            evidence.record_test_run(self.ctx, key, "regression", "staging", 10, failed, 0, NOW)

    @precondition(lambda self: self.keys)
    @rule(data=st.data(), state=st.sampled_from(STATES), with_reason=st.booleans())
    def move(self, data: st.DataObject, state: str, with_reason: bool) -> None:
        key = data.draw(st.sampled_from(self.keys))
        before = releases.get_release(self.ctx, key).status
        try:
            check = lifecycle.can_transition(self.ctx, key, state)
        except ServiceError:
            return  # not a transition of the workflow from here
        reason = "hypothesis says so" if with_reason else None
        try:
            lifecycle.transition(self.ctx, key, state, reason=reason)
        except GuardRefused as refused:
            assert refused.unmet, "a refusal always names what is missing"
            assert releases.get_release(self.ctx, key).status == before
            return
        # It went through: every guard was met, or each unmet one was soft and is now overridden.
        assert all(u.soft for u in check.unmet)
        recorded = {
            o["guard"]
            for o in lifecycle.overrides(self.ctx, key)
            if o["to_state"] == check.to_state
        }
        for u in check.unmet:
            assert reason is not None
            assert (f"{u.guard}({u.param})" if u.param else u.guard) in recorded

    @invariant()
    def no_dependency_cycles(self) -> None:
        with self.ctx.read() as s:
            assert nx.is_directed_acyclic_graph(dependency_graph(s))
            for rid in s.execute(select(Release.id)).scalars():
                g = nx.DiGraph()
                pairs = s.execute(
                    select(TaskDependency.predecessor_id, TaskDependency.successor_id)
                    .join(Task, Task.id == TaskDependency.predecessor_id)
                    .where(Task.release_id == rid)
                ).all()
                g.add_edges_from(pairs)
                assert nx.is_directed_acyclic_graph(g)

    @invariant()
    def audit_chain_verifies(self) -> None:
        result = audit.verify(self.ctx)
        assert result.ok, result.problems


PlanMachine.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestPlanInvariants = PlanMachine.TestCase
