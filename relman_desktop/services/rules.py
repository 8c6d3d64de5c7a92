"""Declarative when/if/then rules (PRODUCT.md §3 "Rule"): data, never evaluated code.

A rule names an event (``on_create``, ``on_status_change``, ``on_tests_recorded``,
``on_schedule_change``), conditions over a release's fields and derived facts, and actions.
Services append ``(event, release_id)`` to ``tx.rule_events``; when the transaction finishes
``run_pending`` applies every enabled matching rule, in position order, inside that same
transaction, so a rule's effects land (and are audited) with the action that triggered it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    ApprovalStage,
    AuditEvent,
    Change,
    ConfigurationItem,
    Person,
    Release,
    Rule,
    Task,
    WorkflowState,
    change_cis,
)

from . import locking
from .approvals import add_stage_tx, check_rule, decide_tx, refresh_stage
from .base import Ctx, NotFound, Tx, ValidationError, operation, release_by_key
from .guards import tests_passed

LEVELS = [lv.value for lv in E.Level]
OPS = ("eq", "ne", "in", "not_in", "gte", "lte")
ORDERED_FIELDS = {"risk", "priority", "max_ci_criticality", "change_count"}
LEVEL_FIELDS = {"risk", "priority", "max_ci_criticality"}
FIELDS = (
    "type",
    "risk",
    "priority",
    "application",
    "status",
    "tests_passed",
    "max_ci_criticality",
    "change_count",
)
ACTIONS = ("auto_approve_stage", "add_stage", "assign_phase", "require_test", "set_field")
SAFE_FIELDS = ("priority", "risk", "application", "version", "strategy")
# What each action holds besides "action": a key outside these is refused, not silently dropped
ACTION_KEYS = {
    "auto_approve_stage": {"stage"},
    "add_stage": {"name", "rule", "percent", "approvers"},
    "assign_phase": {"phase", "person"},
    "require_test": {"kind"},
    "set_field": {"field", "value"},
}
TEXT_LIMITS = {"application": 200, "version": 64}  # the columns' lengths
MAX_ROUNDS = 10  # events raised by rules' own actions; each rule fires once per release anyway


@dataclass(frozen=True)
class RuleInfo:
    id: int
    name: str
    event: str
    conditions: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    enabled: bool = True
    position: int = 0
    version: int = field(default=0, compare=False)  # row_version, for a form's ``version=``


def _info(r: Rule) -> RuleInfo:
    return RuleInfo(
        r.id,
        r.name,
        E.RuleEvent(r.event).value,
        list(r.conditions or []),
        list(r.actions or []),
        bool(r.enabled),
        r.position,
        r.row_version,
    )


# --- validation ---------------------------------------------------------------------------------------


def _bad(where: str, message: str) -> ValidationError:
    return ValidationError(f"{where}: {message}", field=where)


def _allowed_values(
    s: Session | None, name: str, states: list[str] | None = None
) -> list[str] | None:
    if name == "type":
        return [t.value for t in E.ReleaseType]
    if name in LEVEL_FIELDS:
        return LEVELS
    if name == "status":
        if states is not None:
            return list(states)
        assert s is not None
        return list(
            s.execute(select(WorkflowState.name).order_by(WorkflowState.position)).scalars()
        )
    return None


def _check_scalar(
    s: Session | None, name: str, value: Any, where: str, states: list[str] | None = None
) -> Any:
    if name == "tests_passed":
        if not isinstance(value, bool):
            raise _bad(where, f"tests_passed is true or false, not {value!r}")
        return value
    if name == "change_count":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(where, f"change_count is a whole number, not {value!r}")
        return value
    if not isinstance(value, str):
        raise _bad(where, f"{name} is text, not {value!r}")
    allowed = _allowed_values(s, name, states)
    if allowed is not None and value not in allowed:
        raise _bad(where, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def validate_conditions(
    s: Session | None, conditions: Any, *, states: list[str] | None = None
) -> list[dict[str, Any]]:
    """The conditions as stored (``op`` filled in), or ``ValidationError`` naming the first
    problem. ``states`` (the workflow's state names) stands in for the session, for an import
    that brings its own workflow."""
    if conditions is None:
        return []
    if not isinstance(conditions, list):
        raise _bad("conditions", "must be a list")
    out = []
    for i, c in enumerate(conditions):
        where = f"conditions[{i}]"
        if not isinstance(c, dict):
            raise _bad(where, "must be an object with field, op and value")
        extra = sorted(set(c) - {"field", "op", "value"})
        if extra:
            raise _bad(f"{where}.{extra[0]}", "unknown key (a condition has field, op and value)")
        name = c.get("field")
        if name not in FIELDS:
            raise _bad(f"{where}.field", f"{name!r} is not one of {', '.join(FIELDS)}")
        op = c.get("op", "eq")
        if op not in OPS:
            raise _bad(f"{where}.op", f"{op!r} is not one of {', '.join(OPS)}")
        if op in ("gte", "lte") and name not in ORDERED_FIELDS:
            raise _bad(
                f"{where}.op", f"{op} needs an ordered field ({', '.join(sorted(ORDERED_FIELDS))})"
            )
        if name == "tests_passed" and op not in ("eq", "ne"):
            raise _bad(f"{where}.op", "tests_passed is compared with eq or ne")
        value = c.get("value")
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise _bad(f"{where}.value", f"{op} needs a non-empty list of values")
            value = [_check_scalar(s, name, v, f"{where}.value", states) for v in value]
        elif value is None and name in ("application", "max_ci_criticality"):
            pass  # "no application" / "touches no CI" are facts too
        else:
            value = _check_scalar(s, name, value, f"{where}.value", states)
        out.append({"field": name, "op": op, "value": value})
    return out


def validate_actions(
    s: Session | None, actions: Any, *, emails: set[str] | None = None
) -> list[dict[str, Any]]:
    """The actions as stored, or ``ValidationError`` naming the first problem. ``set_field``
    may set only ``SAFE_FIELDS``: never the status (that moves through transitions and their
    guards), a key, an id or a reference. ``emails`` (the people known) stands in for the
    session, for an import that brings its own people."""
    if not isinstance(actions, list) or not actions:
        raise _bad("actions", "a rule needs at least one action")
    if emails is None:
        assert s is not None
        emails = set(s.execute(select(Person.email)).scalars())
    out: list[dict[str, Any]] = []
    for i, a in enumerate(actions):
        where = f"actions[{i}]"
        if not isinstance(a, dict):
            raise _bad(where, "must be an object with an action")
        kind = a.get("action")
        if not isinstance(kind, str) or kind not in ACTIONS:
            raise _bad(f"{where}.action", f"{kind!r} is not one of {', '.join(ACTIONS)}")
        extra = sorted(set(a) - ACTION_KEYS[kind] - {"action"})
        if extra:
            raise _bad(
                f"{where}.{extra[0]}",
                f"unknown key (a {kind} action has {', '.join(sorted(ACTION_KEYS[kind]))})",
            )

        def text(key: str, where: str = where, a: dict[str, Any] = a) -> str:
            v = a.get(key)
            if not isinstance(v, str) or not v.strip():
                raise _bad(f"{where}.{key}", "must be non-empty text")
            return v.strip()

        if kind == "auto_approve_stage":
            out.append({"action": kind, "stage": text("stage")})
        elif kind == "add_stage":
            rule, pct = check_rule(a.get("rule", "all"), a.get("percent"), prefix=f"{where}.")
            approvers = a.get("approvers", [])
            if not isinstance(approvers, list):
                raise _bad(f"{where}.approvers", "must be a list of e-mail addresses")
            for e in approvers:
                if not isinstance(e, str) or e not in emails:
                    raise _bad(f"{where}.approvers", f"unknown person {e!r}")
            out.append(
                {
                    "action": kind,
                    "name": text("name"),
                    "rule": rule.value,
                    "percent": pct,
                    "approvers": list(approvers),
                }
            )
        elif kind == "assign_phase":
            phase = a.get("phase")
            if not isinstance(phase, str) or phase not in {p.value for p in E.Phase}:
                raise _bad(
                    f"{where}.phase",
                    f"{phase!r} is not one of {', '.join(p.value for p in E.Phase)}",
                )
            person = text("person")
            if person not in emails:
                raise _bad(f"{where}.person", f"unknown person {person!r}")
            out.append({"action": kind, "phase": phase, "person": person})
        elif kind == "require_test":
            test = a.get("kind")
            if not isinstance(test, str) or test not in {k.value for k in E.TestKind}:
                raise _bad(
                    f"{where}.kind",
                    f"{test!r} is not one of {', '.join(k.value for k in E.TestKind)}",
                )
            out.append({"action": kind, "kind": test})
        else:  # set_field
            name = a.get("field")
            if not isinstance(name, str) or name not in SAFE_FIELDS:
                raise _bad(
                    f"{where}.field", f"a rule may set only {', '.join(SAFE_FIELDS)}, not {name!r}"
                )
            out.append(
                {
                    "action": kind,
                    "field": name,
                    "value": _safe_value(name, a.get("value"), f"{where}.value"),
                }
            )
    return out


def _safe_value(name: str, value: Any, where: str) -> Any:
    if name in ("priority", "risk"):
        if value not in LEVELS:
            raise _bad(where, f"{value!r} is not one of {', '.join(LEVELS)}")
    elif name == "strategy":
        kinds = [k.value for k in E.StrategyKind]
        if value is not None and value not in kinds:
            raise _bad(where, f"{value!r} is not one of {', '.join(kinds)}")
    elif value is not None and (not isinstance(value, str) or len(value) > TEXT_LIMITS[name]):
        raise _bad(where, f"must be text of at most {TEXT_LIMITS[name]} characters")
    return value


def _event(value: Any) -> E.RuleEvent:
    try:
        return E.RuleEvent(value)
    except ValueError:
        raise _bad(
            "event", f"{value!r} is not one of {', '.join(e.value for e in E.RuleEvent)}"
        ) from None


def _name(s: Session, value: Any, rule_id: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad("name", "a rule needs a name")
    name = value.strip()
    q = select(Rule.id).where(Rule.name == name)
    if rule_id is not None:
        q = q.where(Rule.id != rule_id)
    if s.execute(q).first():
        raise _bad("name", f"a rule {name!r} already exists")
    return name


# --- CRUD ------------------------------------------------------------------------------------------


@operation
def create_rule(
    ctx: Ctx,
    name: str,
    event: str,
    conditions: list[dict[str, Any]] | None = None,
    actions: list[dict[str, Any]] | None = None,
    *,
    enabled: bool = True,
    position: int | None = None,
) -> int:
    with ctx.write() as tx:
        s = tx.session
        if position is None:
            position = (
                int(s.execute(select(func.coalesce(func.max(Rule.position), -1))).scalar_one()) + 1
            )
        rule = Rule(
            name=_name(s, name),
            event=_event(event),
            conditions=validate_conditions(s, conditions),
            actions=validate_actions(s, actions),
            enabled=bool(enabled),
            position=position,
        )
        s.add(rule)
        s.flush()
        tx.audit("rule", rule.id, "create", None, _audit_view(rule))
        return rule.id


def _audit_view(rule: Rule) -> dict[str, Any]:
    info = _info(rule)
    return {
        "name": info.name,
        "event": info.event,
        "conditions": info.conditions,
        "actions": info.actions,
        "enabled": info.enabled,
        "position": info.position,
    }


def _rule(s: Session, rule_id: int) -> Rule:
    rule = s.get(Rule, rule_id)
    if rule is None:
        raise NotFound(f"no rule #{rule_id} in this plan")
    return rule


def _check(tx: Tx, rule: Rule, version: int | None) -> None:
    locking.check(tx, rule, version, label=f"rule {rule.name!r}", entity="rule", entity_id=rule.id)


@operation
def update_rule(
    ctx: Ctx,
    rule_id: int,
    *,
    name: str | None = None,
    event: str | None = None,
    conditions: list[dict[str, Any]] | None = None,
    actions: list[dict[str, Any]] | None = None,
    enabled: bool | None = None,
    position: int | None = None,
    version: int | None = None,
) -> RuleInfo:
    """``version``: the rule's ``row_version`` as the form loaded it (None: no check)."""
    with ctx.write() as tx:
        s = tx.session
        rule = _rule(s, rule_id)
        _check(tx, rule, version)
        before = _audit_view(rule)
        if name is not None:
            rule.name = _name(s, name, rule.id)
        if event is not None:
            rule.event = _event(event)
        if conditions is not None:
            rule.conditions = validate_conditions(s, conditions)
        if actions is not None:
            rule.actions = validate_actions(s, actions)
        if enabled is not None:
            rule.enabled = bool(enabled)
        if position is not None:
            rule.position = int(position)
        after = _audit_view(rule)
        if after != before:
            changed = sorted(k for k in after if after[k] != before[k])
            tx.audit(
                "rule",
                rule.id,
                "update",
                {k: before[k] for k in changed},
                {k: after[k] for k in changed},
            )
        return _info(rule)


@operation
def delete_rule(ctx: Ctx, rule_id: int, *, version: int | None = None) -> None:
    with ctx.write() as tx:
        rule = _rule(tx.session, rule_id)
        _check(tx, rule, version)
        before = _audit_view(rule)
        tx.session.delete(rule)
        tx.audit("rule", rule_id, "delete", before, None)


def list_rules(ctx: Ctx) -> list[RuleInfo]:
    with ctx.read() as s:
        return [
            _info(r) for r in s.execute(select(Rule).order_by(Rule.position, Rule.id)).scalars()
        ]


# --- evaluation -------------------------------------------------------------------------------------


def facts(s: Session, release: Release, today: dt.date) -> dict[str, Any]:
    """What conditions can test: the release's own fields and facts derived from its evidence."""
    crit = (
        s.execute(
            select(ConfigurationItem.criticality)
            .join(change_cis, change_cis.c.ci_id == ConfigurationItem.id)
            .join(Change, Change.id == change_cis.c.change_id)
            .where(Change.release_id == release.id)
        )
        .scalars()
        .all()
    )
    levels = [E.Level(c).value for c in crit]
    change_count = s.execute(
        select(func.count()).select_from(Change).where(Change.release_id == release.id)
    ).scalar_one()
    return {
        "type": E.ReleaseType(release.type).value,
        "risk": E.Level(release.risk).value,
        "priority": E.Level(release.priority).value,
        "application": release.application,
        "status": release.status.name,
        "tests_passed": not tests_passed(s, release, None, today),
        "max_ci_criticality": max(levels, key=LEVELS.index) if levels else None,
        "change_count": int(change_count),
    }


def _rank(name: str, value: Any) -> Any:
    if value is None:
        return None
    return LEVELS.index(value) if name in LEVEL_FIELDS else value


def condition_holds(cond: dict[str, Any], known: dict[str, Any]) -> bool:
    name, op, want = cond["field"], cond["op"], cond.get("value")
    have = known.get(name)
    if op == "eq":
        return bool(have == want)
    if op == "ne":
        return bool(have != want)
    if op == "in":
        return have in (want or ())
    if op == "not_in":
        return have not in (want or ())
    a, b = _rank(name, have), _rank(name, want)
    if a is None or b is None:
        return False
    return bool(a >= b) if op == "gte" else bool(a <= b)


def matches(conditions: Iterable[dict[str, Any]], known: dict[str, Any]) -> bool:
    return all(condition_holds(c, known) for c in conditions)


def _apply(tx: Tx, rule: Rule, release: Release, action: dict[str, Any]) -> str:
    """Do one action; returns what happened, for the audit trail."""
    s = tx.session
    kind = action.get("action")
    if kind == "auto_approve_stage":
        stage = s.execute(
            select(ApprovalStage).where(
                ApprovalStage.release_id == release.id, ApprovalStage.name == action["stage"]
            )
        ).scalar_one_or_none()
        if stage is None:
            return f"skipped: no stage {action['stage']!r}"
        pending = [a for a in stage.approvals if a.decision == E.Decision.PENDING]
        for approval in pending:
            decide_tx(tx, approval, E.Decision.APPROVED, f"auto-approved by rule {rule.name}")
        status = refresh_stage(tx, stage)
        return f"approved {len(pending)} pending approval(s) of stage {stage.name}; stage is {status.value}"
    if kind == "add_stage":
        exists = s.execute(
            select(ApprovalStage.id).where(
                ApprovalStage.release_id == release.id, ApprovalStage.name == action["name"]
            )
        ).first()
        if exists:
            return f"skipped: stage {action['name']!r} exists already"
        add_stage_tx(
            tx,
            release,
            action["name"],
            action["rule"],
            action.get("percent"),
            action.get("approvers", []),
        )
        return f"added stage {action['name']}"
    if kind == "assign_phase":
        person = s.execute(
            select(Person).where(Person.email == action["person"])
        ).scalar_one_or_none()
        if person is None:
            return f"skipped: unknown person {action['person']!r}"
        tasks = (
            s.execute(
                select(Task).where(Task.release_id == release.id, Task.phase == action["phase"])
            )
            .scalars()
            .all()
        )
        for task in tasks:
            if task.assignee_id != person.id:
                before = task.assignee.email if task.assignee else None
                task.assignee = person
                tx.audit(
                    "task",
                    task.id,
                    "update",
                    {"assignee": before},
                    {"assignee": person.email},
                    release_key=release.key,
                )
        return f"assigned {len(tasks)} {action['phase']} task(s) to {person.email}"
    if kind == "require_test":
        kinds = list(release.required_tests or [])
        if action["kind"] in kinds:
            return f"{action['kind']} already required"
        release.required_tests = [*kinds, action["kind"]]  # a new list, so the JSON column is saved
        tx.audit(
            "release",
            release.key,
            "update",
            {"required_tests": kinds},
            {"required_tests": release.required_tests},
            release_key=release.key,
        )
        return f"required {action['kind']} tests"
    if kind == "set_field":
        name, value = action["field"], action.get("value")
        before = getattr(release, name)
        if name in ("priority", "risk"):
            value = E.Level(str(value))
        elif name == "strategy" and value is not None:
            value = E.StrategyKind(value)
        if before == value:
            return f"{name} already {value}"
        setattr(release, name, value)
        tx.audit(
            "release", release.key, "update", {name: before}, {name: value}, release_key=release.key
        )
        return f"set {name} to {value}"
    return f"skipped: unknown action {kind!r}"


def run_pending(tx: Tx) -> None:
    """Apply the enabled rules to every queued (event, release) pair, in position order.

    Each rule fires at most once per release per transaction, so a rule whose actions raise
    the event it listens to cannot loop. The service that raised the events calls this at the
    end of its transaction (``ctx.run_rules`` False: the events are dropped, as on import)."""
    if not tx.ctx.run_rules:
        tx.rule_events.clear()
        return
    s = tx.session
    fired: set[tuple[int, int]] = set()
    checked: dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]] | None] = {}
    rounds = 0
    while tx.rule_events and rounds < MAX_ROUNDS:
        rounds += 1
        pending = list(dict.fromkeys(tx.rule_events))
        tx.rule_events.clear()
        for event, release_id in pending:
            rules = (
                s.execute(
                    select(Rule)
                    .where(Rule.enabled.is_(True), Rule.event == event)
                    .order_by(Rule.position, Rule.id)
                )
                .scalars()
                .all()
            )
            if not rules:
                continue
            release = s.get(Release, release_id)
            if release is None:
                continue
            for rule in rules:
                if (rule.id, release_id) in fired:
                    continue
                if rule.id not in checked:
                    checked[rule.id] = _stored_rule(tx, rule)
                body = checked[rule.id]
                if body is None:
                    continue
                conditions, actions = body
                s.flush()
                if not matches(conditions, facts(s, release, tx.ctx.today())):
                    continue
                fired.add((rule.id, release_id))
                done = []
                for action in actions:
                    try:
                        done.append(_apply(tx, rule, release, action))
                    except ValidationError as exc:
                        done.append(f"skipped: {exc}")
                tx.audit(
                    "rule",
                    rule.id,
                    "fired",
                    None,
                    {"rule": rule.name, "event": event, "done": done},
                    release_key=release.key,
                )
    tx.rule_events.clear()


def _stored_rule(tx: Tx, rule: Rule) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """A rule as the rule editor would accept it, or None when it cannot be evaluated (edited
    by hand, or written by an older version): it is skipped, the action that raised its event
    goes on, and it is reported once — to whoever acts now, and in the audit trail."""
    try:
        return (
            validate_conditions(tx.session, rule.conditions or []),
            validate_actions(tx.session, rule.actions or []),
        )
    except ValidationError as exc:
        reason = str(exc)
    notice = f"rule {rule.name!r} was skipped: {reason}; fix it in Settings > Rules"
    tx.notices.append(notice)
    already = tx.session.execute(
        select(AuditEvent.id)
        .where(
            AuditEvent.entity == "rule",
            AuditEvent.entity_id == str(rule.id),
            AuditEvent.action == "skipped",
        )
        .limit(1)
    ).first()
    if already is None:
        tx.audit("rule", rule.id, "skipped", None, {"rule": rule.name, "reason": reason})
    return None


def rule_facts(ctx: Ctx, key: str) -> dict[str, Any]:
    """The facts rules would see for this release now (for the rule editor's preview)."""
    with ctx.read() as s:
        return facts(s, release_by_key(s, key), ctx.today())
