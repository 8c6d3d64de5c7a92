"""Release templates: a release pattern (tasks in working-day offsets, approval stages, required
tests, rollback rehearsal age) and making a new release from one.

Body shape::

    {"tasks": [{"id", "title", "phase", "role", "offset_days", "duration_days",
                "depends_on": [{"task", "type", "lag_days"}]}],
     "approval_stages": [{"name", "rule", "percent", "approvers": [emails]}],
     "required_tests": [kinds],
     "rollback_rehearsal_days": int | null}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    Person,
    Release,
    Task,
    TaskDependency,
    Template,
    WorkflowState,
)

from . import limits, locking, rules
from .approvals import add_stage_tx, check_rule
from .base import Ctx, CycleError, NotFound, ValidationError, operation, person_by_email
from .workdays import add_workdays, holiday_dates, next_workday

BODY_KEYS = {"tasks", "approval_stages", "required_tests", "rollback_rehearsal_days"}
TASK_KEYS = {"id", "title", "phase", "role", "offset_days", "duration_days", "depends_on"}
STAGE_KEYS = {"name", "rule", "percent", "approvers"}


@dataclass(frozen=True)
class TemplateInfo:
    id: int
    name: str
    release_type: str
    default_duration_days: int
    body: dict[str, Any] = field(default_factory=dict)
    version: int = field(default=0, compare=False)  # row_version, for a form's ``version=``

    @property
    def task_count(self) -> int:
        return len(self.body.get("tasks", []))


# --- validation -----------------------------------------------------------------------------------


def _whole(value: Any, where: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{where}: {value!r} is not a whole number", field=where)
    if minimum is not None and value < minimum:
        raise ValidationError(f"{where}: must be {minimum} or more, not {value}", field=where)
    bounds = limits.BOUNDS.get(where.rsplit(".", 1)[-1])
    if bounds is not None and (problem := limits.number_problem(value, *bounds)):
        raise ValidationError(f"{where}: {problem}", field=where)
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{where}: must be non-empty text", field=where)
    return value.strip()


def _no_unknown(d: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(d) - allowed)
    if extra:
        raise ValidationError(
            f"{where}.{extra[0]}: unknown field (allowed: {', '.join(sorted(allowed))})",
            field=f"{where}.{extra[0]}",
        )


def validate_body(body: Any, known_emails: set[str] | None = None) -> dict[str, Any]:
    """The body, checked and normalised; ValidationError names the first bad field by its path
    (``tasks[2].duration_days``)."""
    import networkx as nx

    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ValidationError(
            "body: must be an object with tasks, approval_stages, required_tests", field="body"
        )
    _no_unknown(body, BODY_KEYS, "body")
    tasks_in = body.get("tasks", [])
    if not isinstance(tasks_in, list):
        raise ValidationError("tasks: must be a list", field="tasks")
    phases = ", ".join(p.value for p in E.Phase)
    tasks: list[dict[str, Any]] = []
    ids: set[str] = set()
    for i, t in enumerate(tasks_in):
        where = f"tasks[{i}]"
        if not isinstance(t, dict):
            raise ValidationError(f"{where}: must be an object", field=where)
        _no_unknown(t, TASK_KEYS, where)
        tid = _text(t.get("id"), f"{where}.id")
        if len(tid) > 32:
            raise ValidationError(f"{where}.id: at most 32 characters", field=f"{where}.id")
        if tid in ids:
            raise ValidationError(
                f"{where}.id: {tid!r} is used by another task", field=f"{where}.id"
            )
        ids.add(tid)
        phase = t.get("phase")
        if phase not in {p.value for p in E.Phase}:
            raise ValidationError(
                f"{where}.phase: {phase!r} is not one of {phases}", field=f"{where}.phase"
            )
        role = t.get("role")
        if role is not None and not isinstance(role, str):
            raise ValidationError(f"{where}.role: must be text", field=f"{where}.role")
        tasks.append(
            {
                "id": tid,
                "title": _text(t.get("title"), f"{where}.title"),
                "phase": phase,
                "role": role or None,
                "offset_days": _whole(t.get("offset_days", 0), f"{where}.offset_days", minimum=0),
                "duration_days": _whole(
                    t.get("duration_days", 1), f"{where}.duration_days", minimum=0
                ),
                "depends_on": t.get("depends_on") or [],
            }
        )
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(
        t["id"] for t in tasks
    )  # task order: a loop is named the same way each time
    for i, t in enumerate(tasks):
        deps = t["depends_on"]
        if not isinstance(deps, list):
            raise ValidationError(
                f"tasks[{i}].depends_on: must be a list", field=f"tasks[{i}].depends_on"
            )
        clean = []
        for j, d in enumerate(deps):
            where = f"tasks[{i}].depends_on[{j}]"
            if not isinstance(d, dict):
                raise ValidationError(f"{where}: must be an object", field=where)
            _no_unknown(d, {"task", "type", "lag_days"}, where)
            other = d.get("task")
            if other not in ids:
                raise ValidationError(
                    f"{where}.task: no task {other!r} in this template", field=f"{where}.task"
                )
            if other == t["id"]:
                raise ValidationError(
                    f"{where}.task: a task cannot depend on itself", field=f"{where}.task"
                )
            kind = d.get("type", "FS")
            if kind not in {k.value for k in E.LinkType}:
                raise ValidationError(
                    f"{where}.type: {kind!r} is not one of FS, SS, FF, SF", field=f"{where}.type"
                )
            lag = _whole(d.get("lag_days", 0), f"{where}.lag_days")
            clean.append({"task": other, "type": kind, "lag_days": lag})
            graph.add_edge(other, t["id"])
        t["depends_on"] = clean
    try:
        loop = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        loop = None
    if loop:
        nodes = [a for a, _ in loop] + [loop[0][0]]
        raise CycleError(nodes, "task dependency")

    stages_in = body.get("approval_stages", [])
    if not isinstance(stages_in, list):
        raise ValidationError("approval_stages: must be a list", field="approval_stages")
    stages: list[dict[str, Any]] = []
    names: set[str] = set()
    for i, st in enumerate(stages_in):
        where = f"approval_stages[{i}]"
        if not isinstance(st, dict):
            raise ValidationError(f"{where}: must be an object", field=where)
        _no_unknown(st, STAGE_KEYS, where)
        name = _text(st.get("name"), f"{where}.name")
        if name.lower() in names:
            raise ValidationError(
                f"{where}.name: {name!r} is used by another stage", field=f"{where}.name"
            )
        names.add(name.lower())
        rule, pct = check_rule(st.get("rule", "all"), st.get("percent"), prefix=f"{where}.")
        approvers = st.get("approvers", [])
        if not isinstance(approvers, list) or not all(
            isinstance(a, str) and a.strip() for a in approvers
        ):
            raise ValidationError(
                f"{where}.approvers: must be a list of e-mail addresses", field=f"{where}.approvers"
            )
        if len(set(approvers)) != len(approvers):
            raise ValidationError(
                f"{where}.approvers: the same person is listed twice", field=f"{where}.approvers"
            )
        if known_emails is not None:
            for a in approvers:
                if a not in known_emails:
                    raise ValidationError(
                        f"{where}.approvers: unknown person {a!r}", field=f"{where}.approvers"
                    )
        stages.append(
            {"name": name, "rule": rule.value, "percent": pct, "approvers": list(approvers)}
        )

    tests = body.get("required_tests", [])
    kinds = {k.value for k in E.TestKind}
    if not isinstance(tests, list) or any(k not in kinds for k in tests):
        raise ValidationError(
            f"required_tests: each must be one of {', '.join(k.value for k in E.TestKind)}",
            field="required_tests",
        )
    rehearsal = body.get("rollback_rehearsal_days")
    if rehearsal is not None:
        rehearsal = _whole(rehearsal, "rollback_rehearsal_days", minimum=1)
    return {
        "tasks": tasks,
        "approval_stages": stages,
        "required_tests": list(dict.fromkeys(tests)),
        "rollback_rehearsal_days": rehearsal,
    }


def _release_type(value: Any) -> E.ReleaseType:
    try:
        return E.ReleaseType(value)
    except ValueError:
        words = ", ".join(t.value for t in E.ReleaseType)
        raise ValidationError(
            f"Release type: {value!r} is not one of {words}", field="release_type"
        ) from None


def _emails(s: Any) -> set[str]:
    return set(s.execute(select(Person.email)).scalars())


def _info(t: Template) -> TemplateInfo:
    return TemplateInfo(
        t.id,
        t.name,
        E.ReleaseType(t.release_type).value,
        t.default_duration_days,
        dict(t.body or {}),
        t.row_version,
    )


def _by_name(s: Any, name: str) -> Template:
    t = s.execute(select(Template).where(Template.name == name)).scalar_one_or_none()
    if t is None:
        raise NotFound(f"no template {name!r} in this plan")
    return t


# --- CRUD ----------------------------------------------------------------------------------------


@operation
def create_template(
    ctx: Ctx,
    name: str,
    release_type: str,
    body: dict[str, Any] | None = None,
    default_duration_days: int = 10,
) -> int:
    with ctx.write() as tx:
        s = tx.session
        name = _text(name, "name")
        if s.execute(select(Template.id).where(Template.name == name)).first():
            raise ValidationError(f"name: a template {name!r} already exists", field="name")
        t = Template(
            name=name,
            release_type=_release_type(release_type),
            default_duration_days=_whole(default_duration_days, "default_duration_days", minimum=1),
            body=validate_body(body, _emails(s)),
        )
        s.add(t)
        s.flush()
        tx.audit(
            "template",
            t.id,
            "create",
            None,
            {
                "name": t.name,
                "release_type": t.release_type,
                "default_duration_days": t.default_duration_days,
                "body": t.body,
            },
        )
        return t.id


@operation
def update_template(
    ctx: Ctx,
    name: str,
    *,
    new_name: str | None = None,
    release_type: str | None = None,
    body: dict[str, Any] | None = None,
    default_duration_days: int | None = None,
    version: int | None = None,
) -> TemplateInfo:
    """``version``: the template's ``row_version`` as the form loaded it (None: no check)."""
    with ctx.write() as tx:
        s = tx.session
        t = _by_name(s, name)
        locking.check(
            tx, t, version, label=f"template {t.name!r}", entity="template", entity_id=t.id
        )
        before = _info(t)
        if new_name is not None:
            new_name = _text(new_name, "name")
            if (
                new_name != t.name
                and s.execute(select(Template.id).where(Template.name == new_name)).first()
            ):
                raise ValidationError(f"name: a template {new_name!r} already exists", field="name")
            t.name = new_name
        if release_type is not None:
            t.release_type = _release_type(release_type)
        if default_duration_days is not None:
            t.default_duration_days = _whole(
                default_duration_days, "default_duration_days", minimum=1
            )
        if body is not None:
            t.body = validate_body(body, _emails(s))
        after = _info(t)
        changed = {
            k
            for k in ("name", "release_type", "default_duration_days", "body")
            if getattr(before, k) != getattr(after, k)
        }
        if changed:
            tx.audit(
                "template",
                t.id,
                "update",
                {k: getattr(before, k) for k in sorted(changed)},
                {k: getattr(after, k) for k in sorted(changed)},
            )
        return after


@operation
def delete_template(ctx: Ctx, name: str, *, version: int | None = None) -> None:
    """Releases made from it keep their tasks and stages; they just forget the template."""
    with ctx.write() as tx:
        t = _by_name(tx.session, name)
        locking.check(
            tx, t, version, label=f"template {t.name!r}", entity="template", entity_id=t.id
        )
        before = _info(t)
        tx.session.delete(t)
        tx.audit("template", before.id, "delete", {"name": before.name, "body": before.body}, None)


def get_template(ctx: Ctx, name: str) -> TemplateInfo:
    with ctx.read() as s:
        return _info(_by_name(s, name))


def list_templates(ctx: Ctx) -> list[TemplateInfo]:
    with ctx.read() as s:
        return [_info(t) for t in s.execute(select(Template).order_by(Template.name)).scalars()]


# --- instantiation -----------------------------------------------------------------------------------


@operation
def create_release_from_template(
    ctx: Ctx,
    template_name: str,
    *,
    key: str,
    title: str,
    start: dt.date,
    manager_email: str | None = None,
    application: str | None = None,
) -> str:
    """A new release in the workflow's first state, with the template's tasks (dated from
    working-day offsets after ``start``), stages, approvers and required tests. Returns its key."""
    with ctx.write() as tx:
        s = tx.session
        template = _by_name(s, template_name)
        key = _text(key, "key")
        title = _text(title, "title")
        if s.execute(select(Release.id).where(Release.key == key)).first():
            raise ValidationError(f"Key: {key} is already used by another release", field="key")
        if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
            raise ValidationError(f"Start: {start!r} is not a date", field="start")
        body = validate_body(template.body, _emails(s))
        manager = (
            person_by_email(s, manager_email, field="manager_email") if manager_email else None
        )
        first = s.execute(
            select(WorkflowState).order_by(WorkflowState.position).limit(1)
        ).scalar_one()

        span = max(
            [t["offset_days"] + t["duration_days"] for t in body["tasks"]]
            + [template.default_duration_days]
        )
        horizon = start + dt.timedelta(days=3 * span + 60)  # room for weekends and holidays
        holidays = holiday_dates(s, start, horizon)
        day0 = next_workday(start, holidays)
        dates: dict[str, tuple[dt.date, dt.date]] = {}
        for t in body["tasks"]:
            t_start = add_workdays(day0, t["offset_days"], holidays)
            t_end = add_workdays(t_start, max(t["duration_days"] - 1, 0), holidays)
            dates[t["id"]] = (t_start, t_end)
        if dates:
            planned_end = max(end for _, end in dates.values())
        else:
            planned_end = add_workdays(day0, template.default_duration_days - 1, holidays)

        rel = Release(
            key=key,
            title=title,
            type=template.release_type,
            status=first,
            manager=manager,
            application=(application or "").strip() or None,
            planned_start=start,
            planned_end=planned_end,
            required_tests=list(body["required_tests"]),
            template=template,
            waves=[],
            created_at=ctx.now(),
        )
        s.add(rel)
        s.flush()
        tasks: dict[str, Task] = {}
        for position, t in enumerate(body["tasks"]):
            t_start, t_end = dates[t["id"]]
            task = Task(
                release=rel,
                local_id=t["id"],
                position=position,
                title=t["title"],
                phase=E.Phase(t["phase"]),
                start=t_start,
                end=t_end,
                assignee=manager if (t["role"] == E.Role.RELEASE_MANAGER and manager) else None,
                notes=f"role: {t['role']}" if t["role"] else None,
            )
            s.add(task)
            tasks[t["id"]] = task
        s.flush()
        for t in body["tasks"]:
            for d in t["depends_on"]:
                s.add(
                    TaskDependency(
                        predecessor_id=tasks[d["task"]].id,
                        successor_id=tasks[t["id"]].id,
                        type=E.LinkType(d["type"]),
                        lag_days=d["lag_days"],
                    )
                )
        s.flush()
        tx.audit(
            "release",
            rel.key,
            "create",
            None,
            {
                "title": title,
                "type": E.ReleaseType(rel.type).value,
                "template": template.name,
                "planned_start": start,
                "planned_end": planned_end,
                "manager_email": manager.email if manager else None,
                "application": rel.application,
                "required_tests": rel.required_tests,
                "tasks": [
                    {"id": t["id"], "start": dates[t["id"]][0], "end": dates[t["id"]][1]}
                    for t in body["tasks"]
                ],
            },
            release_key=rel.key,
        )
        for st in body["approval_stages"]:
            add_stage_tx(tx, rel, st["name"], st["rule"], st["percent"], st["approvers"])
        tx.rule_events.append(("on_create", rel.id))
        rules.run_pending(tx)  # the rules this write raised act in the same transaction
        return rel.key
