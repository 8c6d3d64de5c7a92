"""Where each guard's "fix it" link lands: the one mapping from a guard (and what it says is
missing) to the exact field or tool that puts it right.

A ``Target`` is either a release-editor tab and the widget in it to scroll to and focus (by
object name), or a page tool outside the editor (``page`` and ``tool``, e.g. the calendar's
"Next free slots…" for a deployment window that clashes with a freeze). ``target_for`` picks
the target of the first message that names a more exact one ("no scope" → the Scope field),
else the guard's own. Every guard in ``services.guards.GUARDS`` has an entry here (a test
walks them all and clicks each link).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    label: str  # the link's words: "Fill in the scope", "Next free slots…"
    tab: str | None = None  # a release-editor tab …
    widget: str | None = None  # … and the object name of the field or button in it
    page: str | None = None  # or a main-window page …
    tool: str | None = None  # … and the tool on it to run for the release
    click: bool = False  # the widget is a button that opens the fix (a picker): press it


def _field(name: str, label: str) -> Target:
    return Target(label, tab="Overview", widget=f"field_{name}")


FREE_SLOTS = Target("Next free slots…", page="calendar", tool="free_slots")

GUARD_TARGETS: dict[str, Target] = {
    "scope_defined": _field("scope", "Fill in the scope"),
    "changes_approved": Target("Open the changes", tab="Changes", widget="bundled_changes"),
    "phase_tasks_done": Target("Open the tasks", tab="Tasks", widget="task_table"),
    "tests_passed": Target("Record a test run", tab="Tests", widget="field_kind"),
    "approvals_complete": Target(
        "Open the approval stages", tab="Approvals", widget="stages_table"
    ),
    "rollback_ready": _field("rollback_plan", "Write the rollback plan"),
    "window_clear": FREE_SLOTS,
    "dependencies_met": Target("Show its dependencies", page="dependencies", tool="focus_release"),
    "review_recorded": Target("Record the review", tab="Review", widget="field_outcome"),
}

# A message (its beginning) that names a more exact fix than its guard's target.
MESSAGE_TARGETS: dict[str, dict[str, Target]] = {
    "scope_defined": {
        "no title": _field("title", "Fill in the title"),
        "no scope": _field("scope", "Fill in the scope"),
        "no planned start": _field("planned_start", "Set the planned start"),
        "no planned end": _field("planned_end", "Set the planned end"),
        "no release manager": _field("manager_email", "Set the release manager"),
    },
    "rollback_ready": {
        "no rollback plan": _field("rollback_plan", "Write the rollback plan"),
        "no rollback duration": _field("rollback_minutes", "Set the rollback duration"),
        "rollback never rehearsed": _field("rollback_rehearsed_on", "Set the rehearsal date"),
        "rollback last rehearsed": _field("rollback_rehearsed_on", "Set the rehearsal date"),
    },
    "window_clear": {
        "no deployment window set": _field("deploy_start", "Set the deployment window"),
    },
    "approvals_complete": {
        "no approval stage": Target(
            "Add an approval stage", tab="Approvals", widget="new_stage_name"
        ),
    },
    "changes_approved": {
        "no change is linked": Target(
            "Add a change…", tab="Changes", widget="add_change", click=True
        ),
    },
}

UNKNOWN = Target("Open the overview", tab="Overview")


def target_for(guard: str, messages: Sequence[str] = ()) -> Target:
    """The link of an unmet guard: the first message's exact fix, else the guard's."""
    exact = MESSAGE_TARGETS.get(guard, {})
    for message in messages:
        for start, target in exact.items():
            if message.startswith(start):
                return target
    return GUARD_TARGETS.get(guard, UNKNOWN)
