"""Moving a release through its workflow (PRODUCT.md §4).

The workflow is data: transitions name the guards they need. A hard guard that is not met
refuses the move; a soft one may be overridden by a release manager with a written reason,
which is kept as a ``GuardOverride`` and audited. ``On Hold`` remembers where the release was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import GuardOverride, Release, WorkflowState, WorkflowTransition

from . import locking, permissions, rule_undo, rules
from .base import Ctx, GuardRefused, ServiceError, ValidationError, operation, release_by_key
from .guards import check_guard, guard_title

BACK = "back"


@dataclass(frozen=True)
class TransitionOption:
    to_state: str
    label: str
    guards: list[dict[str, Any]] = field(default_factory=list)
    transition_id: int = 0
    back: bool = False  # leaves On Hold for the state the release was in


@dataclass(frozen=True)
class UnmetGuard:
    guard: str
    param: str | None
    soft: bool
    messages: list[str]
    jump_to: str
    binding: str = ""  # why it cannot be overridden although the workflow calls it soft

    @property
    def title(self) -> str:
        return guard_title(self.guard, self.param)


@dataclass(frozen=True)
class TransitionCheck:
    allowed: bool  # every guard is met: the move needs no reason
    from_state: str
    to_state: str
    unmet: list[UnmetGuard] = field(default_factory=list)

    @property
    def overridable(self) -> bool:
        """Only soft guards are unmet: a reason lets the move through."""
        return bool(self.unmet) and all(u.soft for u in self.unmet)


# --- resolving a transition ------------------------------------------------------------------------


def _options(s: Session, release: Release) -> list[tuple[WorkflowTransition, WorkflowState]]:
    """The transitions out of the release's state with their targets, in workflow order.
    A transition out of this very state wins over a generic "from any open state" one."""
    current = release.status
    chosen: dict[int, tuple[WorkflowTransition, WorkflowState]] = {}
    for t in s.execute(select(WorkflowTransition).order_by(WorkflowTransition.id)).scalars():
        if t.from_state_id == current.id:
            specific = True
        elif t.from_state_id is None and current.category == E.StateCategory.OPEN:
            specific = False
        else:
            continue
        target = t.to_state if t.to_state_id is not None else release.previous_status
        if target is None or target.id == current.id:
            continue
        if target.id in chosen and not specific:
            continue
        chosen[target.id] = (t, target)
    return sorted(chosen.values(), key=lambda pair: (pair[1].position, pair[1].id))


def _label(t: WorkflowTransition, target: WorkflowState) -> str:
    if t.label:
        return t.label
    return f"Back to {target.name}" if t.to_state_id is None else target.name


def _resolve(
    s: Session, release: Release, to_state: str
) -> tuple[WorkflowTransition, WorkflowState]:
    wanted = (to_state or "").strip().lower()
    options = _options(s, release)
    for t, target in options:
        names = {target.name.lower()}
        if t.label:
            names.add(t.label.lower())
        if t.to_state_id is None:
            names.add(BACK)
        if wanted in names:
            return t, target
    current = release.status.name
    allowed = ", ".join(target.name for _, target in options)
    where = (
        f"from {current} {release.key} can move to {allowed}"
        if allowed
        else f"{current} allows no further move"
    )
    exists = s.execute(select(WorkflowState.id).where(WorkflowState.name == to_state)).first()
    if not exists and wanted != BACK:
        raise ServiceError(f"no workflow state {to_state!r}; {where}")
    raise ServiceError(f"{release.key} cannot move from {current} to {to_state}: {where}")


def _unmet(s: Session, release: Release, t: WorkflowTransition, today: Any) -> list[UnmetGuard]:
    unmet = []
    for spec in t.guards or []:
        name = spec.get("guard", "")
        param = spec.get("param")
        result = check_guard(s, release, name, param, today)
        if not result.met:
            unmet.append(
                UnmetGuard(
                    name,
                    param,
                    bool(spec.get("soft", False)) and not result.binding,
                    list(result.messages),
                    result.jump_to,
                    result.binding,
                )
            )
    return unmet


def _refusal(key: str, src: str, dst: str, unmet: list[UnmetGuard]) -> str:
    parts = []
    for u in unmet:
        how = "may be overridden with a reason" if u.soft else "cannot be overridden"
        if u.binding:
            how += f": {u.binding}"
        parts.append(f"{'; '.join(u.messages)} [{u.title}, {how}]")
    text = f"{key} cannot move from {src} to {dst}: " + "; ".join(parts)
    if all(u.soft for u in unmet):
        text += ". Give a reason to override."
    return text


# --- public API ------------------------------------------------------------------------------------


def available_transitions(ctx: Ctx, key: str) -> list[TransitionOption]:
    with ctx.read() as s:
        rel = release_by_key(s, key)
        return [
            TransitionOption(
                to_state=target.name,
                label=_label(t, target),
                guards=[dict(g) for g in t.guards or []],
                transition_id=t.id,
                back=t.to_state_id is None,
            )
            for t, target in _options(s, rel)
        ]


def can_transition(ctx: Ctx, key: str, to_state: str) -> TransitionCheck:
    """Would this move go through? Lists every unmet guard (hard and soft)."""
    with ctx.read() as s:
        rel = release_by_key(s, key)
        t, target = _resolve(s, rel, to_state)
        unmet = _unmet(s, rel, t, ctx.today())
        return TransitionCheck(not unmet, rel.status.name, target.name, unmet)


@dataclass(frozen=True)
class Moved:
    """A move made: where the release is now, where it came from (and the state On Hold would
    have returned it to), and the audit events ``first``..``last`` of the move's transaction,
    its rules' effects included: what ``undo_transition`` needs to take it back."""

    key: str
    state: str
    came_from: str
    held: str | None
    first: int
    last: int

    @property
    def events(self) -> tuple[int, int]:
        return (self.first, self.last)


@operation
def transition(
    ctx: Ctx, key: str, to_state: str, reason: str | None = None, *, version: int | None = None
) -> str:
    """Move the release to ``to_state``; returns the name of the state it is now in.

    Refused (GuardRefused) when a hard guard is unmet, or a soft one is unmet and no reason is
    given. With a reason each unmet soft guard is overridden, recorded and audited.
    ``version``: the release's ``row_version`` as the person saw it (None: no check)."""
    return move(ctx, key, to_state, reason, version=version).state


@operation
def move(
    ctx: Ctx, key: str, to_state: str, reason: str | None = None, *, version: int | None = None
) -> Moved:
    """``transition``, answering what an undo needs (see ``Moved``)."""
    if reason is not None and not reason.strip():
        raise ValidationError(
            "Reason: an override needs a written reason, not an empty one", field="reason"
        )
    reason = reason.strip() if reason else None
    with ctx.write(need=permissions.Capability.TRANSITION) as tx:
        s = tx.session
        rel = release_by_key(s, key)
        locking.check(tx, rel, version, label=rel.key, entity="release", entity_id=rel.key)
        t, target = _resolve(s, rel, to_state)
        current = rel.status
        held = rel.previous_status.name if rel.previous_status else None  # for the undo
        unmet = _unmet(s, rel, t, ctx.today())
        if any(not u.soft for u in unmet) or (unmet and reason is None):
            raise GuardRefused(_refusal(rel.key, current.name, target.name, unmet), unmet)
        for u in unmet:
            guard = f"{u.guard}({u.param})" if u.param else u.guard
            s.add(
                GuardOverride(
                    release_id=rel.id,
                    from_state=current.name,
                    to_state=target.name,
                    guard=guard,
                    reason=reason,
                    actor=tx.actor,
                    at=ctx.now(),
                )
            )
            tx.audit(
                "release",
                rel.key,
                "override",
                None,
                {
                    "guard": u.guard,
                    "param": u.param,
                    "missing": u.messages,
                    "reason": reason,
                    "from": current.name,
                    "to": target.name,
                },
                release_key=rel.key,
            )
        if target.category == E.StateCategory.HOLD:
            rel.previous_status = current
        elif t.to_state_id is None or current.category == E.StateCategory.HOLD:
            rel.previous_status = None
        rel.status = target
        after: dict[str, Any] = {"status": target.name}
        if reason:
            after["reason"] = reason
        tx.audit(
            "release", rel.key, "transition", {"status": current.name}, after, release_key=rel.key
        )
        filled = _what_happened(tx, rel, target)
        if filled:  # its own event: the transition's stays as it always was
            tx.audit(
                "release",
                rel.key,
                "record_dates",
                dict.fromkeys(filled),
                {**filled, "because": f"moved to {target.name}"},
                release_key=rel.key,
            )
        tx.rule_events.append(("on_status_change", rel.id))
        rules.run_pending(tx)  # the rules this write raised act in the same transaction
        came_from, state = current.name, target.name
    # committed: the transaction's audit events, its rules' included, are known by now
    first = min((t.seq for t in tx.changes.touches), default=tx.changes.seq)
    return Moved(key, state, came_from, held, first, tx.changes.seq)


# Work has begun once a release reaches one of these roles; it has ended once deployed.
_STARTED_ROLES = (
    frozenset(
        {
            E.StateRole.BUILD,
            E.StateRole.TESTING,
            E.StateRole.AWAITING_APPROVAL,
            E.StateRole.APPROVED,
            E.StateRole.DEPLOYING,
        }
    )
    | E.DEPLOYED_ROLES
)


def _what_happened(tx: Any, rel: Any, target: Any) -> dict[str, Any]:
    """Fill the release's actual dates (and its review's "Closed at") from the move it just
    made, when nobody typed them: work started on the first move into build or later, ended
    on reaching deployed, closed on reaching closed. Returns what it filled (for the audit)."""
    filled: dict[str, Any] = {}
    role = target.role
    today = tx.ctx.today()
    if role in _STARTED_ROLES and rel.actual_start is None:
        rel.actual_start = today if rel.actual_end is None else min(today, rel.actual_end)
        filled["actual_start"] = rel.actual_start.isoformat()
    if role in E.DEPLOYED_ROLES and rel.actual_end is None:
        rel.actual_end = max(today, rel.actual_start or today)
        filled["actual_end"] = rel.actual_end.isoformat()
    review = getattr(rel, "review", None)
    if role == E.StateRole.CLOSED and review is not None and review.closed_at is None:
        review.closed_at = tx.ctx.now()
        filled["review_closed_at"] = review.closed_at.isoformat()
    return filled


@operation
def restore_status(ctx: Ctx, key: str, status: str, previous_status: str | None = None) -> str:
    """Put a release back in a state without guards (undo of a transition, restores); audited.
    Does not raise a status-change event: rules already acted on the move being undone."""
    with ctx.write() as tx:
        return _restore_status_tx(tx, key, status, previous_status)


def _restore_status_tx(tx: Any, key: str, status: str, previous_status: str | None) -> str:
    from .base import state_by_name

    s = tx.session
    rel = release_by_key(s, key)
    before = {
        "status": rel.status.name,
        "previous_status": rel.previous_status.name if rel.previous_status else None,
    }
    rel.status = state_by_name(s, status)
    rel.previous_status = state_by_name(s, previous_status) if previous_status else None
    after = {"status": rel.status.name, "previous_status": previous_status}
    if after != before:
        tx.audit("release", rel.key, "restore_status", before, after, release_key=rel.key)
    return str(rel.status.name)


def overrides(ctx: Ctx, key: str) -> list[dict[str, Any]]:
    """The guards overridden on this release, oldest first, as plain rows."""
    with ctx.read() as s:
        rel = release_by_key(s, key)
        rows = s.execute(
            select(GuardOverride)
            .where(GuardOverride.release_id == rel.id)
            .order_by(GuardOverride.at, GuardOverride.id)
        ).scalars()
        return [
            {
                "from_state": o.from_state,
                "to_state": o.to_state,
                "guard": o.guard,
                "reason": o.reason,
                "actor": o.actor,
                "at": o.at,
            }
            for o in rows
        ]


@operation
def undo_transition(
    ctx: Ctx,
    key: str,
    status: str,
    previous_status: str | None = None,
    *,
    events: tuple[int, int] | None = None,
) -> str:
    """Undo a move: the release goes back to ``status`` (and the state On Hold would return to),
    audited as a restore, and what the rules did on the move is taken back, in the same
    transaction (``rule_undo``). ``events``: the move's audit events (``Moved.events``), where
    its rules' effects are found; None: only the state is put back.

    Refused (``UndoRefused``, nothing written) when a rule's effect changed since: a decision on
    the stage it added, a field it set that holds another value now."""
    with ctx.write() as tx:  # restore_status is a lifecycle event: it needs TRANSITION
        current = release_by_key(tx.session, key).status.name
        state = _restore_status_tx(tx, key, status, previous_status)
        if events is not None:
            first, last = events
            rule_undo.take_back(tx, key, first, last, f"moving {key} to {current}")
        return state


def broken_entry_guards(ctx: Ctx, keys: Iterable[str]) -> dict[str, str]:
    """For each release (of ``keys``) whose current state was entered through a guarded move,
    the first guard of that move that no longer holds, as "is Closed, which needs …: <why>".

    The undo stack asks this before and after an undo: an undo that breaks a guard (removing
    the review of a Closed release) is refused, so no release sits in a state it could not
    have reached. Soft guards overridden with a reason on that move are not asked again."""
    from relman_desktop.models.entities import AuditEvent

    broken: dict[str, str] = {}
    with ctx.read() as s:
        for key in sorted(set(keys)):
            rel = s.execute(select(Release).where(Release.key == key)).scalar_one_or_none()
            if rel is None:
                continue
            last = s.execute(
                select(AuditEvent)
                .where(
                    AuditEvent.release_key == key,
                    AuditEvent.entity == "release",
                    AuditEvent.action.in_(("transition", "restore_status", "create", "import")),
                )
                .order_by(AuditEvent.seq.desc())
                .limit(1)
            ).scalar_one_or_none()
            if (
                last is None
                or last.action != "transition"
                or (last.after or {}).get("status") != rel.status.name
            ):
                continue
            source = s.execute(
                select(WorkflowState).where(WorkflowState.name == (last.before or {}).get("status"))
            ).scalar_one_or_none()
            moves = (
                s.execute(
                    select(WorkflowTransition)
                    .where(WorkflowTransition.to_state_id == rel.status.id)
                    .order_by(WorkflowTransition.id)
                )
                .scalars()
                .all()
            )
            move = next(
                (t for t in moves if source is not None and t.from_state_id == source.id), None
            ) or next((t for t in moves if t.from_state_id is None), None)
            if move is None:
                continue
            overridden = bool((last.after or {}).get("reason"))
            for u in _unmet(s, rel, move, ctx.today()):
                if u.soft and overridden:
                    continue
                broken[key] = (
                    f"is {rel.status.name}, which needs {u.title}: {'; '.join(u.messages)}"
                )
                break
    return broken


def status_of(ctx: Ctx, key: str) -> tuple[str, str | None]:
    """The release's state, and the state On Hold would return it to (None unless held)."""
    with ctx.read() as s:
        rel = release_by_key(s, key)
        return rel.status.name, rel.previous_status.name if rel.previous_status else None
