"""The default workflow of PRODUCT.md §4, as data installed into every new plan.

States, their order and each transition's guards stay editable afterwards (Settings).
A guard entry is ``{"guard": name, "param": phase-or-None, "soft": bool}``: a soft guard may be
overridden by a release manager with a written reason; a hard one may not.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from .entities import WorkflowState, WorkflowTransition
from .enums import StateCategory, StateRole

OPEN, HOLD, TERMINAL = StateCategory.OPEN, StateCategory.HOLD, StateCategory.TERMINAL

R = StateRole

# (name, category, colour, role): the name is the user's to change; the role is what it means.
DEFAULT_STATES: list[tuple[str, StateCategory, str, StateRole]] = [
    ("Planning", OPEN, "#6b7b8c", R.PLANNING),
    ("Build", OPEN, "#3b6fb6", R.BUILD),
    ("Testing", OPEN, "#7a5bb5", R.TESTING),
    ("Awaiting Approval", OPEN, "#c28a00", R.AWAITING_APPROVAL),
    ("Approved", OPEN, "#2e8b57", R.APPROVED),
    ("Deploying", OPEN, "#d2691e", R.DEPLOYING),
    ("Deployed", OPEN, "#1f7a3a", R.DEPLOYED),
    ("In Review", OPEN, "#4f7f8f", R.IN_REVIEW),
    ("Closed", TERMINAL, "#4d4d4d", R.CLOSED),
    ("On Hold", HOLD, "#8c6d4f", R.ON_HOLD),
    ("Cancelled", TERMINAL, "#8b1e1e", R.CANCELLED),
    ("Rolled Back", OPEN, "#b22222", R.ROLLED_BACK),
]
ROLE_OF_DEFAULT_NAME: dict[str, StateRole] = {
    name.lower(): role for name, _c, _col, role in DEFAULT_STATES
}


def g(name: str, param: str | None = None, *, soft: bool) -> dict[str, Any]:
    return {"guard": name, "param": param, "soft": soft}


# (from, to, guards); None as "from" = any open state; None as "to" = back to the previous state.
DEFAULT_TRANSITIONS: list[tuple[str | None, str | None, list[dict[str, Any]]]] = [
    ("Planning", "Build", [g("scope_defined", soft=False)]),
    (
        "Build",
        "Testing",
        [g("changes_approved", soft=False), g("phase_tasks_done", "build", soft=True)],
    ),
    (
        "Testing",
        "Awaiting Approval",
        [g("tests_passed", soft=True), g("phase_tasks_done", "test", soft=True)],
    ),
    (
        "Awaiting Approval",
        "Approved",
        [g("approvals_complete", soft=False), g("rollback_ready", soft=False)],
    ),
    (
        "Approved",
        "Deploying",
        [
            g("changes_approved", soft=False),
            g("approvals_complete", soft=False),
            g("window_clear", soft=True),
            g("dependencies_met", soft=True),
        ],
    ),
    ("Deploying", "Deployed", [g("phase_tasks_done", "deploy", soft=True)]),
    ("Deployed", "In Review", [g("phase_tasks_done", "verify", soft=True)]),
    (
        "In Review",
        "Closed",
        [g("review_recorded", soft=False), g("phase_tasks_done", "review", soft=True)],
    ),
    ("Deploying", "Rolled Back", []),
    ("Deployed", "Rolled Back", []),
    ("Rolled Back", "In Review", []),
    (None, "On Hold", []),
    (None, "Cancelled", []),
    ("On Hold", None, []),
]

# Closed and Cancelled releases are read-only; these transitions are how one is reopened.
REOPEN_TRANSITIONS: list[tuple[str, str, str]] = [
    ("Closed", "In Review", "Reopen"),
    ("Cancelled", "Planning", "Reopen"),
]


def install_default_workflow(session: Session) -> None:
    states: dict[str, WorkflowState] = {}
    for position, (name, category, color, role) in enumerate(DEFAULT_STATES):
        states[name] = WorkflowState(
            name=name, position=position, category=category, color=color, role=role
        )
        session.add(states[name])
    session.flush()
    for src, dst, guards in DEFAULT_TRANSITIONS:
        session.add(
            WorkflowTransition(
                from_state=states[src] if src else None,
                to_state=states[dst] if dst else None,
                guards=guards,
            )
        )
    for src, dst, label in REOPEN_TRANSITIONS:
        session.add(
            WorkflowTransition(from_state=states[src], to_state=states[dst], label=label, guards=[])
        )
    session.flush()
