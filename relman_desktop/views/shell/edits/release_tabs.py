"""Edits made in the release editor's tabs: tasks and their links, approval stages, approvers
and decisions, bundled changes, and evidence (test runs, deployments, the review, linked records).
See ``views.shell.edits``; every method raises ``Refused`` when the services refuse."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from relman_desktop.models.planfile import PlanError
from relman_desktop.services import approvals, changes, stages, tasks
from relman_desktop.services import evidence as evidence_service
from relman_desktop.services.base import ServiceError

from ..commands import Call, Ref, Refused, Step, op
from ._base import EditsBase

TaskLink = tuple[str, str, int]  # predecessor task id, link type (FS, SS, FF, SF), lag in days
FieldChange = tuple[str, str, Any, Any]  # task id, field, new value, old value


def _again(call: Call) -> Callable[[Any], Call]:
    """What redo runs: ``call`` (the edit without the version its first run checked)."""
    return lambda _result: call


class ReleaseTabEdits(EditsBase):
    # --- tasks --------------------------------------------------------------------------------

    @staticmethod
    def _link_steps(
        key: str, successor: str, current: Sequence[Mapping[str, Any]], wanted: Sequence[TaskLink]
    ) -> list[Step]:
        want = {task: (kind, lag) for task, kind, lag in wanted}
        have = {p["task"]: (p["type"], p["lag_days"]) for p in current}
        steps: list[Step] = []
        for pred, (kind, lag) in have.items():
            w = want.get(pred)
            if w is None or w != (kind, lag):
                steps.append(
                    Step(
                        op(tasks.remove_task_dependency, key, pred, successor),
                        op(tasks.add_task_dependency, key, pred, successor, kind, lag),
                    )
                )
        for pred, (kind, lag) in want.items():
            if have.get(pred) != (kind, lag):
                steps.append(ReleaseTabEdits._link_step(key, pred, successor, kind, lag))
        return steps

    @staticmethod
    def _link_step(key: str, predecessor: str, successor: str, kind: str, lag: int) -> Step:
        """A new link; the successor (and what waits on it) moves to where the link puts it,
        and undo takes the link away and puts back every date it moved (issue 16)."""
        return Step(
            op(tasks.link_tasks, key, predecessor, successor, kind, lag),
            backward_from=lambda before: op(
                tasks.unlink_tasks, key, predecessor, successor, before
            ),
        )

    def add_task(self, key: str, fields: Mapping[str, Any], links: Sequence[TaskLink] = ()) -> str:
        """Task ``fields["local_id"]`` in release ``key``, with the predecessors ``links``, as
        one undo step; its id."""
        local_id = str(fields["local_id"])
        steps = [
            Step(
                op(tasks.add_task, key, dict(fields)),
                backward_from=lambda new_id: op(tasks.delete_task, key, new_id),
            )
        ]
        steps += self._link_steps(key, local_id, [], links)
        self._edit(f"add task {local_id}", steps, saved_message=False)
        return local_id

    def set_task_links(
        self,
        key: str,
        successor: str,
        current: Sequence[Mapping[str, Any]],
        links: Sequence[TaskLink],
    ) -> None:
        """Task ``successor``'s predecessors become ``links`` (it has ``current``: dicts with
        ``task``, ``type``, ``lag_days``); nothing is written when they are the same."""
        steps = self._link_steps(key, successor, current, links)
        if steps:
            self._edit(f"edit the predecessors of {successor}", steps, saved_message=False)

    def update_tasks(
        self,
        key: str,
        text: str,
        changed: Sequence[FieldChange],
        versions: Mapping[str, int] | None = None,
    ) -> None:
        """Set one field of one or more tasks, as one undo step named ``text``. Anything but a
        rename goes through ``tasks.schedule_task`` (``duration_days`` too): the tasks waiting
        on it move with it, as in MS Project, and undo puts every one of them back.
        ``versions``: each task's version as the form loaded it, by task id (``TaskRow.version``):
        a task changed since is refused with who changed it (undo and redo check none)."""
        versions = versions or {}
        steps = []
        for local_id, field, value, old in changed:
            version = versions.get(local_id)
            if field == "local_id":
                steps.append(
                    Step(
                        op(tasks.update_task, key, local_id, {field: value}, version=version),
                        op(tasks.update_task, key, value, {field: old}),
                        replay=_again(op(tasks.update_task, key, local_id, {field: value})),
                    )
                )
            else:
                steps.append(
                    Step(
                        op(tasks.schedule_task, key, local_id, {field: value}, version=version),
                        backward_from=lambda before: op(tasks.restore_tasks, key, before),
                        replay=_again(op(tasks.schedule_task, key, local_id, {field: value})),
                    )
                )
        self._edit(text, steps, saved_message=False)

    def move_task(
        self, key: str, local_id: str, text: str, new: Mapping[str, Any], old: Mapping[str, Any]
    ) -> None:
        """Some fields of a task at once (its dates, dragged on the calendar); the tasks
        waiting on it follow, and undo puts them all back (``old`` is what the task had)."""
        self._edit(
            text,
            Step(
                op(tasks.schedule_task, key, local_id, dict(new)),
                backward_from=lambda before: op(tasks.restore_tasks, key, before),
            ),
            saved_message=False,
        )

    def delete_tasks(self, key: str, local_ids: Sequence[str]) -> None:
        """Delete tasks; undo restores each from the row its deletion returned."""
        steps = [
            Step(
                op(tasks.delete_task, key, local_id),
                backward_from=lambda row: op(tasks.restore_task, key, row),
            )
            for local_id in local_ids
        ]
        text = (
            f"delete task {local_ids[0]}"
            if len(local_ids) == 1
            else f"delete {len(local_ids)} tasks"
        )
        self._edit(text, steps, saved_message=False)

    def link_tasks(
        self, key: str, predecessor: str, successor: str, link_type: str, lag: int
    ) -> None:
        self._edit(
            f"link {predecessor} → {successor} ({link_type})",
            self._link_step(key, predecessor, successor, link_type, lag),
            saved_message=False,
        )

    def unlink_tasks(self, key: str, predecessor: str, successor: str) -> None:
        self._edit(
            f"unlink {predecessor} → {successor}",
            Step(
                op(tasks.remove_task_dependency, key, predecessor, successor),
                backward_from=lambda b: op(
                    tasks.add_task_dependency,
                    key,
                    b["predecessor"],
                    b["successor"],
                    b["type"],
                    b["lag_days"],
                ),
            ),
            saved_message=False,
        )

    # --- approval stages and approvers --------------------------------------------------------

    def add_stage(
        self,
        key: str,
        name: str,
        rule: str,
        percent: int | None,
        approvers: Sequence[str],
        position: int,
    ) -> None:
        self._edit(
            f"add approval stage {name}",
            Step(
                op(stages.add_stage, key, name, rule, tuple(approvers), percent, position),
                op(stages.remove_stage, key, name),
            ),
            saved_message=False,
        )

    def rename_stage(self, key: str, old: str, new: str, version: int | None = None) -> None:
        """``version`` (here and in the other stage and approval edits): the record's version
        as the tab loaded it (``StageRow.version``, ``ApproverRow.version``); undo and redo
        check none."""
        self._edit(
            f"rename approval stage {old} to {new}",
            Step(
                op(stages.rename_stage, key, old, new, version=version),
                op(stages.rename_stage, key, new, old),
                replay=lambda _r: op(stages.rename_stage, key, old, new),
            ),
            saved_message=False,
        )

    def set_stage_rule(
        self,
        key: str,
        name: str,
        text: str,
        rule: str,
        percent: int | None,
        old_rule: str,
        old_percent: int | None,
        version: int | None = None,
    ) -> None:
        self._edit(
            text,
            Step(
                op(stages.set_rule, key, name, rule, percent, version=version),
                op(stages.set_rule, key, name, old_rule, old_percent),
                replay=lambda _r: op(stages.set_rule, key, name, rule, percent),
            ),
            saved_message=False,
        )

    def reorder_stages(
        self, key: str, text: str, order: Sequence[str], before: Sequence[str]
    ) -> None:
        self._edit(
            text,
            Step(
                op(stages.reorder_stages, key, tuple(order)),
                op(stages.reorder_stages, key, tuple(before)),
            ),
            saved_message=False,
        )

    def remove_stage(
        self,
        key: str,
        stage: Any,
        row: int,
        approver_states: Mapping[str, Any],
    ) -> None:
        """Remove ``stage`` (an approvals tab row, whose ``version`` is checked); undo re-adds
        it at ``row`` with its approvers in the states they held (``approver_states``)."""
        emails = tuple(a.email for a in stage.approvers)
        self._edit(
            f"remove approval stage {stage.name}",
            Step(
                op(stages.remove_stage, key, stage.name, version=getattr(stage, "version", None)),
                op(
                    stages.readd_stage,
                    key,
                    stage.name,
                    stage.rule,
                    emails,
                    stage.percent,
                    row,
                    dict(approver_states),
                ),
            ),
            saved_message=False,
        )

    def add_approver(self, key: str, stage: str, email: str) -> None:
        self._edit(
            f"add approver {email} to {stage}",
            Step(
                op(stages.add_approver, key, stage, email),
                op(stages.remove_approver, key, stage, email),
            ),
            saved_message=False,
        )

    def remove_approver(self, key: str, stage: str, email: str, state: Any) -> None:
        self._edit(
            f"remove approver {email} from {stage}",
            Step(
                op(stages.remove_approver, key, stage, email),
                op(stages.readd_approver, key, stage, email, state),
            ),
            saved_message=False,
        )

    def _approval_state(self, approval_id: int) -> Any:
        """What an approval holds now (what undo puts back): a read, refused like an edit."""
        if not self.store.has_plan:
            raise Refused("no plan is open")
        try:
            return approvals.approval_state(self.store.ctx, approval_id)
        except ServiceError as exc:
            raise Refused(str(exc), getattr(exc, "field", None)) from None
        except PlanError as exc:
            raise Refused(str(exc)) from None

    def decide(
        self,
        key: str,
        stage: str,
        email: str,
        approval_id: int,
        decision: str,
        comment: str,
        text: str,
        version: int | None = None,
    ) -> None:
        """Record ``email``'s decision on ``stage``; undo puts the approval back as it was."""
        before = self._approval_state(approval_id)
        self._edit(
            text,
            Step(
                op(stages.decide, key, stage, email, decision, comment, version=version),
                op(stages.restore, key, stage, email, before),
                replay=lambda _r: op(stages.decide, key, stage, email, decision, comment),
            ),
            saved_message=False,
        )

    def delegate(
        self,
        key: str,
        stage: str,
        email: str,
        approval_id: int,
        to_email: str,
        text: str,
        version: int | None = None,
    ) -> None:
        """Delegate ``email``'s approval on ``stage`` to ``to_email``; undo puts it back."""
        before = self._approval_state(approval_id)
        self._edit(
            text,
            Step(
                op(stages.delegate, key, stage, email, to_email, version=version),
                op(stages.restore, key, stage, email, before),
                replay=lambda _r: op(stages.delegate, key, stage, email, to_email),
            ),
            saved_message=False,
        )

    # --- changes bundled into a release -------------------------------------------------------

    def bundle_changes(self, key: str, change_keys: Sequence[str]) -> None:
        """Bundle these changes into release ``key``, as one undo step (refused as a whole)."""
        steps = [
            Step(op(changes.bundle_change, ck, key), op(changes.unbundle_change, ck))
            for ck in change_keys
        ]
        text = (
            f"add {change_keys[0]} to {key}"
            if len(change_keys) == 1
            else f"add {len(change_keys)} changes to {key}"
        )
        self._edit(text, steps, saved_message=False)

    def unbundle_changes(self, key: str, change_keys: Sequence[str]) -> None:
        steps = [
            Step(op(changes.unbundle_change, ck), op(changes.bundle_change, ck, key))
            for ck in change_keys
        ]
        text = (
            f"remove {change_keys[0]} from {key}"
            if len(change_keys) == 1
            else f"remove {len(change_keys)} changes from {key}"
        )
        self._edit(text, steps, saved_message=False)

    # --- evidence -----------------------------------------------------------------------------

    def record_test_run(self, key: str, text: str, values: Mapping[str, Any]) -> int:
        """A test run (``kind``, ``environment``, ``passed``, ``failed``, ``skipped``,
        ``run_at``, ``source``); its id."""
        target = Ref("test_run", -1)
        call = op(
            evidence_service.record_test_run,
            key,
            values["kind"],
            values["environment"],
            values["passed"],
            values["failed"],
            values["skipped"],
            values["run_at"],
            values["source"],
        )
        call.rebinds = target
        self._edit(text, Step(call, op(evidence_service.delete_test_run, target)))
        return target.id

    def record_deployment(self, key: str, environment: str, fields: Mapping[str, Any]) -> Ref:
        """A deployment of ``key`` to ``environment``: the ``Ref`` that follows it (undoing its
        deletion re-creates it under a new id; the form and the stack follow the ``Ref``)."""
        target = Ref("deployment", -1)
        forward = op(evidence_service.record_deployment, key, environment, **fields)
        forward.rebinds = target
        self._edit(
            f"record deployment of {key} to {environment or '?'}",
            Step(forward, op(evidence_service.delete_deployment, target)),
        )
        return target

    def deployment(self, deployment_id: int) -> Ref:
        """The ``Ref`` of deployment ``deployment_id`` (for ``update_deployment``)."""
        return self._ref("deployment", deployment_id)

    def update_deployment(
        self,
        target: Ref,
        text: str,
        changed: Mapping[str, Any],
        old: Mapping[str, Any],
        version: int | None = None,
    ) -> None:
        """``version``: the deployment's as the form loaded it (its row's ``version``)."""
        self._edit(
            text,
            Step(
                op(evidence_service.update_deployment, target, version=version, **changed),
                op(evidence_service.update_deployment, target, **{n: old.get(n) for n in changed}),
                replay=lambda _r: op(evidence_service.update_deployment, target, **changed),
            ),
        )

    def record_review(
        self,
        key: str,
        outcome: str,
        fields: Mapping[str, Any],
        old: Mapping[str, Any] | None,
        version: int | None = None,
    ) -> None:
        """Record (or, with ``old``, edit) the post-implementation review of ``key``.
        ``version``: the review's as the form loaded it, 0 when it showed none yet."""
        forward = op(evidence_service.record_review, key, outcome, version=version, **fields)
        replay = op(evidence_service.record_review, key, outcome, **fields)
        backward = op(evidence_service.delete_review, key)
        if old is not None:
            backward = op(
                evidence_service.record_review,
                key,
                old["outcome"],
                incidents=old["incidents"],
                lessons_learned=old["lessons_learned"],
                user_feedback=old["user_feedback"],
                closed_by_email=old["closed_by_email"],
                closed_at=old["closed_at"],
            )
        verb = "edit" if old is not None else "record"
        self._edit(f"{verb} the review of {key}", Step(forward, backward, replay=lambda _r: replay))

    def add_link(
        self,
        key: str,
        kind: str,
        external_key: str,
        relation: str,
        title: str | None,
        url: str | None,
    ) -> int:
        """Link an outside record (a ticket, an incident, ...) to ``key``; the link's id."""
        target = Ref("linked_record", -1)
        forward = op(
            evidence_service.add_link, key, kind, external_key, relation, title=title, url=url
        )
        forward.rebinds = target
        self._edit(
            f"link {external_key} to {key}",
            Step(forward, op(evidence_service.remove_link, target)),
        )
        return target.id

    def remove_link(self, key: str, row: Mapping[str, Any]) -> None:
        """Unlink the linked record ``row`` (a linked-records tab row); undo links it again."""
        target = self._ref("linked_record", row["id"])
        back = op(
            evidence_service.add_link,
            key,
            row["kind"],
            row["external_key"],
            row["relation"],
            title=row["title"],
            url=row["url"],
        )
        back.rebinds = target
        self._edit(
            f"unlink {row['external_key']} from {key}",
            Step(op(evidence_service.remove_link, target), back),
        )
