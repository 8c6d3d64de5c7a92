"""Editing the workflow (Settings): states, their order, transitions and each transition's guards.

A transition's ``from_state`` None means "from any open state"; its ``to_state`` None means
"back to the state the release was in before" (leaving On Hold). "Any open state" never
includes a terminal one: a Closed or Cancelled release is left only by a transition that names
its state (the default workflow's "Reopen").

Each state has a role (``StateRole``): what it means, whatever it is called. Every built-in
behaviour reads the role, so renaming a state changes nothing but its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, object_session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    CabMeeting,
    Release,
    Rule,
    WorkflowState,
    WorkflowTransition,
)

from . import limits, locking
from .base import Ctx, NotFound, Tx, ValidationError, operation, state_by_name
from .guards import GUARDS

ANY_OPEN = "any open state"
PREVIOUS = "the previous state"


@dataclass(frozen=True)
class StateInfo:
    id: int
    name: str
    position: int
    category: str
    color: str | None
    release_count: int
    role: str | None = None  # StateRole value: what the state means; None for a custom state
    version: int = field(default=0, compare=False)  # row_version, for a form's ``version=``


@dataclass(frozen=True)
class TransitionInfo:
    id: int
    from_state: str | None  # None: from any open state
    to_state: str | None  # None: back to the previous state
    label: str | None
    guards: list[dict[str, Any]] = field(default_factory=list)
    version: int = field(default=0, compare=False)  # row_version, for a form's ``version=``

    @property
    def description(self) -> str:
        return f"{self.from_state or ANY_OPEN} → {self.to_state or PREVIOUS}"


def _state_infos(s: Session) -> list[StateInfo]:
    counts = dict(
        s.execute(select(Release.status_id, func.count()).group_by(Release.status_id)).all()
    )
    return [
        StateInfo(
            st.id,
            st.name,
            st.position,
            E.StateCategory(st.category).value,
            st.color,
            int(counts.get(st.id, 0)),
            st.role.value if st.role else None,
            st.row_version,
        )
        for st in s.execute(
            select(WorkflowState).order_by(WorkflowState.position, WorkflowState.id)
        ).scalars()
    ]


def _transition_info(t: WorkflowTransition) -> TransitionInfo:
    return TransitionInfo(
        t.id,
        t.from_state.name if t.from_state else None,
        t.to_state.name if t.to_state else None,
        t.label,
        [dict(g) for g in t.guards or []],
        t.row_version,
    )


def list_states(ctx: Ctx) -> list[StateInfo]:
    with ctx.read() as s:
        return _state_infos(s)


def list_transitions(ctx: Ctx) -> list[TransitionInfo]:
    with ctx.read() as s:
        rows = s.execute(select(WorkflowTransition)).scalars().all()

        def order(t: WorkflowTransition) -> tuple[int, int, int]:
            a = t.from_state.position if t.from_state else 10_000
            b = t.to_state.position if t.to_state else 10_000
            return (a, b, t.id)

        return [_transition_info(t) for t in sorted(rows, key=order)]


# --- validation -----------------------------------------------------------------------------------


def _state_name(s: Session, value: Any, *, except_id: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("State name must not be empty", field="name")
    name = value.strip()
    if name.lower() == "back":
        raise ValidationError("State name: 'back' is reserved for leaving On Hold", field="name")
    q = select(WorkflowState.id).where(func.lower(WorkflowState.name) == name.lower())
    if except_id is not None:
        q = q.where(WorkflowState.id != except_id)
    if s.execute(q).first():
        raise ValidationError(f"State name: a state {name!r} already exists", field="name")
    return name


def validate_guards(guards: Any) -> list[dict[str, Any]]:
    """Guards as ``{"guard", "param", "soft"}``, checked against the nine guard names and phases."""
    if guards is None:
        return []
    if not isinstance(guards, list):
        raise ValidationError("guards: must be a list", field="guards")
    phases = [p.value for p in E.Phase]
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, Any]] = set()
    for i, g in enumerate(guards):
        where = f"guards[{i}]"
        if not isinstance(g, dict):
            raise ValidationError(
                f"{where}: must be an object with guard, param and soft", field=where
            )
        extra = sorted(set(g) - {"guard", "param", "soft"})
        if extra:
            raise ValidationError(
                f"{where}.{extra[0]}: unknown key (a guard has guard, param and soft)",
                field=f"{where}.{extra[0]}",
            )
        name = g.get("guard")
        if name not in GUARDS:
            raise ValidationError(
                f"{where}.guard: {name!r} is not one of {', '.join(GUARDS)}", field=f"{where}.guard"
            )
        param = g.get("param")
        if GUARDS[name].takes_phase:
            if param not in phases:
                raise ValidationError(
                    f"{where}.param: {name} needs a phase ({', '.join(phases)}), not {param!r}",
                    field=f"{where}.param",
                )
        elif param is not None:
            raise ValidationError(
                f"{where}.param: {name} takes no parameter", field=f"{where}.param"
            )
        soft = g.get("soft", False)
        if not isinstance(soft, bool):
            raise ValidationError(
                f"{where}.soft: true or false, not {soft!r}", field=f"{where}.soft"
            )
        if (name, param) in seen:
            raise ValidationError(
                f"{where}: {name}{f' ({param})' if param else ''} is listed twice", field=where
            )
        seen.add((name, param))
        out.append({"guard": name, "param": param, "soft": soft})
    return out


def _category(value: Any) -> E.StateCategory:
    try:
        return E.StateCategory(value)
    except ValueError:
        words = ", ".join(c.value for c in E.StateCategory)
        raise ValidationError(
            f"Category: {value!r} is not one of {words}", field="category"
        ) from None


def _role(value: Any) -> E.StateRole | None:
    """A role by its value ("deployed"), its words ("Awaiting approval"), or none ("", None)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return E.StateRole(text)
    except ValueError:
        words = ", ".join(r.value for r in E.StateRole)
        raise ValidationError(
            f"Role: {value!r} is not one of {words} (or none)", field="role"
        ) from None


# --- states ------------------------------------------------------------------------------------------------


def _renumber(states: Sequence[WorkflowState]) -> None:
    # a state's place in the list is not an edit of the state: its version stays
    for i, st in enumerate(states):
        session = object_session(st)
        if session is None:
            st.position = i
        else:
            locking.write_quietly(session, st, position=i)


def _ordered(s: Session) -> list[WorkflowState]:
    return list(
        s.execute(
            select(WorkflowState).order_by(WorkflowState.position, WorkflowState.id)
        ).scalars()
    )


@operation
def add_state(
    ctx: Ctx,
    name: str,
    category: str = "open",
    color: str | None = None,
    position: int | None = None,
    role: str | None = None,
) -> int:
    """A new state, placed at ``position`` (default: last), meaning ``role`` (default: none)."""
    with ctx.write() as tx:
        s = tx.session
        color = limits.check_color(color)
        state = WorkflowState(
            name=_state_name(s, name),
            category=_category(category),
            color=color,
            position=0,
            role=_role(role),
        )
        states = _ordered(s)
        at = len(states) if position is None else max(0, min(position, len(states)))
        states.insert(at, state)
        s.add(state)
        _renumber(states)
        s.flush()
        tx.audit(
            "workflow_state",
            state.id,
            "create",
            None,
            {
                "name": state.name,
                "category": state.category,
                "position": state.position,
                "role": state.role,
            },
        )
        return state.id


@operation
def rename_state(ctx: Ctx, old_name: str, new_name: str, *, version: int | None = None) -> None:
    """``version`` (here and in the other state and transition edits): the record's
    ``row_version`` as the form loaded it (None: no check; see ``locking``)."""
    with ctx.write() as tx:
        s = tx.session
        state = state_by_name(s, old_name)
        _check_state(tx, state, version)
        new = _state_name(s, new_name, except_id=state.id)
        if new == state.name:
            return
        state.name = new
        tx.audit("workflow_state", state.id, "rename", {"name": old_name}, {"name": new})
        _follow_rename(tx, old_name, new)


def _renamed(value: Any, old: str, new: str) -> Any:
    if isinstance(value, list):
        return [new if v == old else v for v in value]
    return new if value == old else value


def _follow_rename(tx: Tx, old: str, new: str) -> None:
    """What names a state by its name follows the rename, so renaming changes no behaviour:
    rule conditions on ``status`` and CAB meeting filters that list ``states``."""
    s = tx.session
    for rule in s.execute(select(Rule)).scalars():
        conditions = [
            {**c, "value": _renamed(c.get("value"), old, new)} if c.get("field") == "status" else c
            for c in rule.conditions or []
        ]
        if conditions != (rule.conditions or []):
            tx.audit(
                "rule",
                rule.id,
                "update",
                {"conditions": rule.conditions},
                {"conditions": conditions},
            )
            rule.conditions = conditions
    for meeting in s.execute(select(CabMeeting)).scalars():
        flt = dict(meeting.filter or {})
        if old in (flt.get("states") or []):
            before = dict(flt)
            flt["states"] = _renamed(list(flt["states"]), old, new)
            tx.audit("cab_meeting", meeting.id, "update", {"filter": before}, {"filter": flt})
            meeting.filter = flt


@operation
def reorder_states(ctx: Ctx, names: Sequence[str]) -> None:
    """Put the states in this order (every state, each once)."""
    with ctx.write() as tx:
        s = tx.session
        states = _ordered(s)
        by_name = {st.name: st for st in states}
        if sorted(names) != sorted(by_name):
            missing = sorted(set(by_name) - set(names))
            unknown = sorted(set(names) - set(by_name))
            detail = "; ".join(
                part
                for part in (
                    f"missing: {', '.join(missing)}" if missing else "",
                    f"unknown: {', '.join(unknown)}" if unknown else "",
                    "a state is listed twice" if len(names) != len(set(names)) else "",
                )
                if part
            )
            raise ValidationError(f"Order: give every state exactly once ({detail})", field="order")
        before = [st.name for st in states]
        _renumber([by_name[n] for n in names])
        if before != list(names):
            tx.audit("workflow", "states", "reorder", {"states": before}, {"states": list(names)})


@operation
def set_state_category(ctx: Ctx, name: str, category: str, *, version: int | None = None) -> None:
    with ctx.write() as tx:
        state = state_by_name(tx.session, name)
        _check_state(tx, state, version)
        value = _category(category)
        before = E.StateCategory(state.category).value
        if before != value:
            state.category = value
            tx.audit(
                "workflow_state",
                state.id,
                "update",
                {"category": before},
                {"category": value.value},
            )


@operation
def set_state_role(ctx: Ctx, name: str, role: str | None, *, version: int | None = None) -> None:
    """What the state means (a ``StateRole`` value, or None for no role). Guards, impact,
    conflicts, the critical path, CAB eligibility and the calendar read it; never the name."""
    with ctx.write() as tx:
        state = state_by_name(tx.session, name)
        _check_state(tx, state, version)
        value = _role(role)
        before = state.role.value if state.role else None
        if before != (value.value if value else None):
            state.role = value
            tx.audit("workflow_state", state.id, "update", {"role": before}, {"role": value})


@operation
def delete_state(ctx: Ctx, name: str, *, version: int | None = None) -> None:
    """Refused while any release is in the state (or would return to it from On Hold)."""
    with ctx.write() as tx:
        s = tx.session
        state = state_by_name(s, name)
        _check_state(tx, state, version)
        keys = list(
            s.execute(
                select(Release.key)
                .where(or_(Release.status_id == state.id, Release.previous_status_id == state.id))
                .order_by(Release.key)
            ).scalars()
        )
        if keys:
            shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
            noun = "release is" if len(keys) == 1 else "releases are"
            raise ValidationError(
                f"cannot delete state {state.name}: {len(keys)} {noun} in it ({shown}); move them to another state first",
                field="name",
            )
        remaining = [st for st in _ordered(s) if st.id != state.id]
        if not remaining:
            raise ValidationError("cannot delete the last state of the workflow", field="name")
        transitions = (
            s.execute(
                select(WorkflowTransition).where(
                    or_(
                        WorkflowTransition.from_state_id == state.id,
                        WorkflowTransition.to_state_id == state.id,
                    )
                )
            )
            .scalars()
            .all()
        )
        for t in transitions:
            tx.audit("workflow_transition", t.id, "delete", _audit_view(t), None)
            s.delete(t)
        tx.audit(
            "workflow_state",
            state.id,
            "delete",
            {"name": state.name, "category": state.category, "position": state.position},
            None,
        )
        s.delete(state)
        _renumber(remaining)


# --- transitions ---------------------------------------------------------------------------------------------


def _audit_view(t: WorkflowTransition) -> dict[str, Any]:
    info = _transition_info(t)
    return {
        "from": info.from_state,
        "to": info.to_state,
        "label": info.label,
        "guards": info.guards,
    }


def _check_state(tx: Tx, state: WorkflowState, version: int | None) -> None:
    locking.check(
        tx,
        state,
        version,
        label=f"workflow state {state.name}",
        entity="workflow_state",
        entity_id=state.id,
    )


def _check_transition(tx: Tx, t: WorkflowTransition, version: int | None) -> None:
    info = _transition_info(t)
    locking.check(
        tx,
        t,
        version,
        label=f"the transition {info.description}",
        entity="workflow_transition",
        entity_id=t.id,
    )


def _transition(s: Session, transition_id: int) -> WorkflowTransition:
    t = s.get(WorkflowTransition, transition_id)
    if t is None:
        raise NotFound(f"no workflow transition #{transition_id}")
    return t


@operation
def add_transition(
    ctx: Ctx,
    from_state: str | None,
    to_state: str | None,
    guards: list[dict[str, Any]] | None = None,
    label: str | None = None,
) -> int:
    """From ``from_state`` (None: any open state) to ``to_state`` (None: back to the previous state)."""
    with ctx.write() as tx:
        s = tx.session
        if from_state is None and to_state is None:
            raise ValidationError("a transition needs a from state or a to state", field="to_state")
        src = state_by_name(s, from_state) if from_state is not None else None
        dst = state_by_name(s, to_state) if to_state is not None else None
        if src is not None and dst is not None and src.id == dst.id:
            raise ValidationError(
                f"To state: a transition from {src.name} to itself does nothing", field="to_state"
            )
        dup = s.execute(
            select(WorkflowTransition.id).where(
                WorkflowTransition.from_state_id.is_(None)
                if src is None
                else WorkflowTransition.from_state_id == src.id,
                WorkflowTransition.to_state_id.is_(None)
                if dst is None
                else WorkflowTransition.to_state_id == dst.id,
            )
        ).first()
        if dup:
            raise ValidationError(
                f"the transition {from_state or ANY_OPEN} → {to_state or PREVIOUS} exists already",
                field="to_state",
            )
        t = WorkflowTransition(
            from_state=src,
            to_state=dst,
            guards=validate_guards(guards),
            label=(label or "").strip() or None,
        )
        s.add(t)
        s.flush()
        tx.audit("workflow_transition", t.id, "create", None, _audit_view(t))
        return t.id


@operation
def remove_transition(ctx: Ctx, transition_id: int, *, version: int | None = None) -> None:
    with ctx.write() as tx:
        t = _transition(tx.session, transition_id)
        _check_transition(tx, t, version)
        tx.audit("workflow_transition", t.id, "delete", _audit_view(t), None)
        tx.session.delete(t)


@operation
def set_transition_guards(
    ctx: Ctx, transition_id: int, guards: list[dict[str, Any]], *, version: int | None = None
) -> list[dict[str, Any]]:
    with ctx.write() as tx:
        t = _transition(tx.session, transition_id)
        _check_transition(tx, t, version)
        clean = validate_guards(guards)
        before = [dict(g) for g in t.guards or []]
        if clean != before:
            t.guards = clean
            tx.audit(
                "workflow_transition", t.id, "set_guards", {"guards": before}, {"guards": clean}
            )
        return clean


def transition_id(ctx: Ctx, from_state: str | None, to_state: str | None) -> int:
    """The id of the transition between two states (None as in ``add_transition``)."""
    for t in list_transitions(ctx):
        if t.from_state == from_state and t.to_state == to_state:
            return t.id
    raise NotFound(f"no transition {from_state or ANY_OPEN} → {to_state or PREVIOUS}")
