"""Edits of the plan as a whole: changes (the Changes page), release dependencies and what-if
shifts (the graph), dates dragged on the calendar, baselines, a release from a template, imports,
the demo, and CAB meetings. See ``views.shell.edits``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from relman_desktop.models import enums as E
from relman_desktop.services import (
    baselines,
    cab,
    changes,
    changeset,
    graph,
    impact,
    releases,
    scheduling,
    templates,
)
from relman_desktop.services.base import Ctx
from relman_desktop.services.changeset import Outcome

from ..commands import Call, Step, op
from ._base import EditsBase


def _rebundle(key: str, approval: str, release: str) -> list[Call]:
    """The calls that put change ``key`` back into ``release``. The service bundles only approved
    changes, so a change that was in a release while pending (or rejected) is approved for the
    moment it is put back, then given its own approval status again."""
    if approval == E.ChangeApproval.APPROVED:
        return [op(changes.bundle_change, key, release)]
    return [
        op(changes.update_change, key, {"approval": "approved"}),
        op(changes.bundle_change, key, release),
        op(changes.update_change, key, {"approval": approval}),
    ]


def _recreate(before: dict[str, Any]) -> list[Call]:
    """Undo of a delete: the change again from the fields ``delete_change`` returned."""
    fields = {
        k: v for k, v in before.items() if k not in ("id", "release") and v not in (None, "", [])
    }
    calls = [op(changes.create_change, fields)]
    if before.get("release"):
        calls += _rebundle(before["key"], before["approval"], before["release"])
    return calls


def import_plan_data(ctx: Ctx, data: dict[str, Any]) -> Outcome[dict[str, Any]]:
    """Import a checked plan-JSON document into the plan (File > Import, on a worker thread:
    not undoable); the caller hands the outcome's change set to ``store.announce``."""
    from relman_desktop.importers.plan_json import import_plan

    return changeset.run(ctx, import_plan, data)


class PlanEdits(EditsBase):
    # --- changes ------------------------------------------------------------------------------

    def create_change(self, fields: Mapping[str, Any]) -> str:
        """A new change (empty values left out); its key."""
        values = {k: v for k, v in fields.items() if v not in (None, "", [])}
        key: str = self._edit(
            f"add change {values.get('key') or ''}".strip(),
            Step(
                op(changes.create_change, values),
                backward_from=lambda k: op(changes.delete_change, k),
            ),
        )
        return key

    def update_change(
        self,
        key: str,
        diff: Mapping[str, Any],
        old: Mapping[str, Any],
        version: int | None = None,
    ) -> str:
        """Change ``key`` gets the fields ``diff`` (``old``: what they held); its key after.
        ``version``: the change's as the form loaded it (``ChangeRow.version``): a change saved
        by someone else since is refused with who and when (undo and redo check none)."""
        new_key = str(diff.get("key") or key)
        self._edit(
            f"edit change {key}",
            Step(
                op(changes.update_change, key, dict(diff), version=version),
                op(changes.update_change, new_key, {k: old[k] for k in diff}),
                replay=lambda _r: op(changes.update_change, key, dict(diff)),
            ),
        )
        return new_key

    def delete_change(self, key: str, version: int | None = None) -> None:
        """Delete change ``key``; undo creates it again from what the service returned (and puts
        it back into its release). ``version``: as for ``update_change``."""
        self._edit(
            f"delete change {key}",
            Step(
                op(changes.delete_change, key, version=version),
                backward_from=_recreate,
                replay=lambda _r: op(changes.delete_change, key),
            ),
        )

    def bundle_change(self, key: str, release: str) -> None:
        self._edit(
            f"add {key} to {release}",
            Step(op(changes.bundle_change, key, release), op(changes.unbundle_change, key)),
        )

    def unbundle_change(self, key: str, approval: str, release: str) -> None:
        """Take change ``key`` (approval status ``approval``) out of ``release``."""
        self._edit(
            f"remove {key} from {release}",
            Step(op(changes.unbundle_change, key), _rebundle(key, approval, release)),
        )

    # --- release dependencies and what-if shifts (the graph) ------------------------------------

    def add_dependency(self, dependent: str, prerequisite: str, kind: str = "before") -> None:
        """``dependent`` depends on ``prerequisite``; a loop is refused, named."""
        self._edit(
            f"make {dependent} depend on {prerequisite}",
            Step(
                op(graph.add_dependency, dependent, prerequisite, kind),
                op(graph.remove_dependency, dependent, prerequisite),
            ),
            saved_message=False,
        )

    def remove_dependency(self, dependent: str, prerequisite: str, kind: str) -> None:
        self._edit(
            f"remove {dependent}'s dependency on {prerequisite}",
            Step(
                op(graph.remove_dependency, dependent, prerequisite),
                op(graph.add_dependency, dependent, prerequisite, kind),
            ),
            saved_message=False,
        )

    def apply_shift(self, key: str, shift_days: int) -> None:
        """Shift ``key`` and what follows it by ``shift_days``, as one step: undo restores every
        date it wrote, redo writes them again."""
        self._edit(
            f"shift {key} by {shift_days:+d} days",
            Step(
                op(impact.apply_shift, key, shift_days),
                backward_from=lambda applied: op(impact.restore_dates, applied.before),
                replay=lambda applied: op(impact.reapply_shift, applied),
            ),
            saved_message=False,
        )

    # --- the calendar -------------------------------------------------------------------------

    def move_release(
        self, key: str, text: str, new: Mapping[str, Any], old: Mapping[str, Any]
    ) -> None:
        """Some date fields of release ``key`` at once (dragged on the calendar)."""
        self._edit(
            text,
            Step(
                op(releases.update_release, key, dict(new)),
                op(releases.update_release, key, dict(old)),
            ),
            saved_message=False,
        )

    def move_to_slot(
        self,
        key: str,
        text: str,
        start: dt.datetime,
        end: dt.datetime,
        old: Mapping[str, Any],
    ) -> None:
        """Move the deployment of ``key`` to a free slot (undo: ``old`` deploy_start/end)."""
        self._edit(
            text,
            Step(
                op(scheduling.move_release, key, start, end),
                op(releases.update_release, key, dict(old)),
            ),
            saved_message=False,
        )

    def save_baseline(self, name: str) -> None:
        """Freeze the plan's dates now under ``name``."""
        self._edit(
            f"save baseline {name}",
            Step(op(baselines.create_baseline, name), op(baselines.delete_baseline, name)),
            saved_message=False,
        )

    # --- releases from templates ------------------------------------------------------------

    def create_release_from_template(self, template: str, key: str, start: dt.date) -> str:
        """Release ``key`` from ``template``, starting on ``start``; undo deletes it."""
        self._edit(
            f"create release {key} from {template}",
            Step(
                op(
                    templates.create_release_from_template,
                    template,
                    key=key,
                    title=f"New {template} release",
                    start=start,
                ),
                op(releases.delete_release, key),
            ),
            saved_message=False,
        )
        return key

    # --- imports --------------------------------------------------------------------------------

    def apply_import(self, kind: str, text: str, plan: Any) -> None:
        """Apply the checked import ``plan`` of ``kind`` (``msproject``, ``gantt``: a schedule;
        ``ics``: calendar windows; otherwise tracker changes) as one undo step: undo reverses
        what it wrote (``plan.applied``), redo applies the same preview again."""
        from relman_desktop.importers import ics_windows, schedule, tracker_changes

        apply: Callable[..., Any]
        undo: Callable[..., Any]
        if kind in ("msproject", "gantt"):
            apply, undo = schedule.apply_schedule, schedule.undo_schedule
        elif kind == "ics":
            apply, undo = ics_windows.apply_windows, ics_windows.undo_windows
        else:
            apply, undo = tracker_changes.apply_changes, tracker_changes.undo_changes
        self._edit(
            text,
            Step(
                op(apply, plan),
                backward_from=lambda _result: op(undo, plan.applied),
                replay=lambda _result: op(apply, plan),
            ),
            saved_message=False,
        )

    def apply_toolchain_job(
        self, text: str, kind: str, params: Mapping[str, Any], job: Any
    ) -> None:
        """Write what a toolchain import's preview showed; undo reverts the receipt, redo imports
        the source again."""
        from relman_desktop.importers.toolchain import apply_job, run_import
        from relman_desktop.services.evidence_import import revert_import

        self._edit(
            text,
            Step(
                op(apply_job, job),
                backward_from=lambda receipt: op(revert_import, receipt),
                replay=lambda _receipt: op(run_import, kind, dict(params)),
            ),
            saved_message=False,
        )

    def run_remember_mapping(self, mapping: Mapping[str, str]) -> Any:
        """Remember a tracker import's column mapping for next time (not undoable)."""
        from relman_desktop.importers.tracker_changes import remember_mapping

        return self._run(remember_mapping, dict(mapping))

    def run_demo(self) -> Any:
        """Fill the plan with the demo (not undoable); ``Store.FAILED`` when refused."""
        from relman_desktop.services import demo  # seven modules the window's start needs not

        return self._run(demo.generate_demo)

    # --- CAB meetings ----------------------------------------------------------------------------

    def run_create_cab_meeting(self, **fields: Any) -> Any:
        """A new CAB meeting (not undoable); ``fields`` are ``cab.create_meeting``'s (date, cut-off,
        chair, attendees, apologies, items; none: held now, agenda frozen now); ``Store.FAILED``
        if refused."""
        return self._run(cab.create_meeting, **fields)

    def read_cab_meeting(self, meeting_id: int) -> cab.Meeting:
        """A CAB meeting as it is now. Reading one past its cut-off freezes its agenda (a write,
        announced like any); raises ``ServiceError``/``PlanError`` for the caller to show."""
        outcome = changeset.run(self.store.ctx, cab.get_meeting, meeting_id)
        self.store.announce(outcome.changes)
        result: cab.Meeting = outcome.result
        return result

    def run_close_cab_meeting(self, meeting_id: int, *, version: int | None = None) -> Any:
        """Close a meeting; ``version``: the meeting's row_version as the chair last saw it (a
        stale one is refused with who changed it and when)."""
        return self._run(cab.close_meeting, meeting_id, version=version)

    def run_record_cab_time(self, meeting_id: int, key: str, seconds: int) -> Any:
        """The time spent on an agenda item (not an undo step; announced like every write)."""
        return self._run(cab.record_time, meeting_id, key, seconds)

    def record_cab_decisions(
        self, meeting_id: int, decisions: Sequence[cab.ItemDecision], text: str
    ) -> list[cab.AgendaItemRow]:
        """Record CAB decisions now, as one undo step. Undo takes back exactly these decisions,
        or is refused when the meeting's last decision is another (recorded elsewhere since, or
        gone with its release)."""
        rows: list[cab.AgendaItemRow] = self._edit(
            text,
            Step(
                op(cab.record_decisions, meeting_id, list(decisions)),
                backward_from=lambda done: op(
                    cab.undo_last_decision, meeting_id, expect=[r.release_key for r in done]
                ),
                # redo is this window's own history: it checks no version
                replay=lambda _done: op(
                    cab.record_decisions,
                    meeting_id,
                    [dataclasses.replace(d, version=None) for d in decisions],
                ),
            ),
            saved_message=False,
        )
        return rows
