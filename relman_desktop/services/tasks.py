"""A release's tasks and the dependencies between them (FS/SS/FF/SF with lag)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from relman_desktop.models import enums as E
from relman_desktop.models.entities import Person, Release, Task, TaskDependency

from . import limits, locking
from .base import (
    Ctx,
    CycleError,
    NotFound,
    ValidationError,
    operation,
    person_by_email,
    release_by_key,
)

if TYPE_CHECKING:
    import networkx as nx


@dataclass
class TaskRow:
    id: int
    local_id: str
    position: int
    title: str
    phase: str
    assignee_email: str | None
    assignee: str | None
    status: str
    start: dt.date | None
    end: dt.date | None
    effort_hours: float | None
    percent_complete: int
    notes: str | None
    predecessors: list[dict[str, Any]] = field(default_factory=list)
    outline: str | None = None  # the summary tasks above it in an imported schedule
    milestone: bool = False
    # the task's row_version: a form hands it back with its save (``version=``); not part of
    # the row's values (``as_dict``: what the audit trail, undo and exports see)
    version: int = field(default=0, compare=False)
    # working days from start to end, both included, weekends and the plan's holidays out
    # (what the critical path counts); None without both dates
    duration_days: int | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["version"]
        return d


FIELDS: dict[str, Any] = {
    "title": str,
    "phase": E.Phase,
    "assignee_email": str,
    "status": E.TaskStatus,
    "start": dt.date,
    "end": dt.date,
    "effort_hours": float,
    "percent_complete": int,
    "notes": str,
    "local_id": str,
    "position": int,
    "outline": str,
    "milestone": bool,
}
LABELS = {
    "assignee_email": "Assignee",
    "percent_complete": "% complete",
    "effort_hours": "Effort (hours)",
    "local_id": "Task id",
}
LOCAL_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


def _label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


def list_tasks(ctx: Ctx, key: str) -> list[TaskRow]:
    with ctx.read() as s:
        rel = release_by_key(s, key)
        return _rows(s, rel.id)


def _rows(s: Session, release_id: int) -> list[TaskRow]:
    pred = aliased(Task)
    links: dict[int, list[dict[str, Any]]] = {}
    for succ_id, pred_local, kind, lag in s.execute(
        select(
            TaskDependency.successor_id, pred.local_id, TaskDependency.type, TaskDependency.lag_days
        )
        .join(pred, pred.id == TaskDependency.predecessor_id)
        .where(pred.release_id == release_id)
        .order_by(pred.position, pred.id)
    ):
        links.setdefault(succ_id, []).append(
            {"task": pred_local, "type": kind.value, "lag_days": lag}
        )
    rows = s.execute(
        select(Task, Person.email, Person.name)
        .outerjoin(Person, Person.id == Task.assignee_id)
        .where(Task.release_id == release_id)
        .order_by(Task.position, Task.id)
    ).all()
    from .critical_path import plan_calendar, working_days

    starts = [t.start for t, _e, _n in rows if t.start is not None]
    days_off = plan_calendar(s, min(starts)) if starts else None
    return [
        TaskRow(
            id=t.id,
            local_id=t.local_id,
            position=t.position,
            title=t.title,
            phase=t.phase.value,
            assignee_email=email,
            assignee=name,
            status=t.status.value,
            start=t.start,
            end=t.end,
            effort_hours=t.effort_hours,
            percent_complete=t.percent_complete,
            notes=t.notes,
            predecessors=links.get(t.id, []),
            outline=t.outline,
            milestone=bool(t.milestone),
            version=t.row_version,
            duration_days=(
                working_days(t.start, t.end, days_off)
                if days_off is not None and t.start and t.end and t.end >= t.start
                else None
            ),
        )
        for t, email, name in rows
    ]


def _coerce(name: str, value: Any) -> Any:
    """One field's value in the type the plan stores, within the plan's bounds."""
    return limits.checked(name, _coerce_type(name, value), _label(name))


def _coerce_type(name: str, value: Any) -> Any:
    kind = FIELDS.get(name)
    if kind is None:
        raise ValidationError(f"unknown task field {name!r}", field=name)
    if value is None or (isinstance(value, str) and value.strip() == "" and name != "title"):
        return None
    try:
        if kind is str:
            return str(value).strip()
        if kind is bool:
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes")
            return bool(value)
        if kind is dt.date:
            return (
                value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
            )
        if kind is float:
            number = float(value)
            if number < 0:
                raise ValueError
            return number
        if kind is int:
            number = int(value)
            if name == "percent_complete" and not 0 <= number <= 100:
                raise ValidationError(
                    f"% complete must be between 0 and 100, not {number}", field=name
                )
            return number
        return kind(value)
    except ValidationError:
        raise
    except (TypeError, ValueError):
        pass
    if isinstance(kind, type) and issubclass(kind, E.StrEnum):
        allowed = ", ".join(m.value for m in kind)
        raise ValidationError(f"{_label(name)}: {value!r} is not one of {allowed}", field=name)
    what = {
        dt.date: "a date (YYYY-MM-DD)",
        float: "a number of hours (0 or more)",
        int: "a whole number",
    }[kind]
    raise ValidationError(f"{_label(name)}: {value!r} is not {what}", field=name)


def _done_means_complete(values: dict[str, Any]) -> dict[str, Any]:
    """A task set to done is 100 % complete, unless the same edit says otherwise."""
    if values.get("status") == E.TaskStatus.DONE and "percent_complete" not in values:
        values["percent_complete"] = 100
    return values


def _apply(s: Session, task: Task, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "assignee_email":
            task.assignee = person_by_email(s, value, field=name) if value else None
        elif name == "percent_complete" and value is None:
            task.percent_complete = 0
        elif name == "milestone":
            task.milestone = bool(value)
        else:
            setattr(task, name, value)
    if task.title is None or not task.title.strip():
        raise ValidationError("Title must not be empty", field="title")
    if task.start and task.end and task.end < task.start:
        raise ValidationError(f"End ({task.end}) is before start ({task.start})", field="end")


def _task(s: Session, rel: Release, local_id: str) -> Task:
    task = s.execute(
        select(Task).where(Task.release_id == rel.id, Task.local_id == local_id)
    ).scalar_one_or_none()
    if task is None:
        raise NotFound(f"no task {local_id!r} in release {rel.key}")
    return task


def _next_local_id(s: Session, release_id: int) -> str:
    ids = s.execute(select(Task.local_id).where(Task.release_id == release_id)).scalars().all()
    numbers = [int(m.group(1)) for i in ids if (m := re.fullmatch(r"T(\d+)", i))]
    return f"T{max(numbers, default=0) + 1}"


@operation
def add_task(ctx: Ctx, key: str, fields: dict[str, Any]) -> str:
    """A new task at the end of the release (or at ``position``); returns its task id."""
    values = {n: _coerce(n, v) for n, v in fields.items()}
    with ctx.write() as tx:
        s = tx.session
        rel = release_by_key(s, key)
        local_id = values.pop("local_id", None) or _next_local_id(s, rel.id)
        if not LOCAL_ID_RE.match(local_id):
            raise ValidationError(
                f"Task id {local_id!r} may hold only letters, digits, '-', '_' and '.'",
                field="local_id",
            )
        if s.execute(
            select(Task.id).where(Task.release_id == rel.id, Task.local_id == local_id)
        ).first():
            raise ValidationError(f"Task id {local_id} is already used in {key}", field="local_id")
        position = values.pop("position", None)
        if position is None:
            position = (
                s.execute(select(func.max(Task.position)).where(Task.release_id == rel.id)).scalar()
                or 0
            ) + 1
        else:  # make room
            for t in s.execute(
                select(Task).where(Task.release_id == rel.id, Task.position >= position)
            ).scalars():
                t.position += 1
        values.setdefault("phase", E.Phase.BUILD)
        values.setdefault("status", E.TaskStatus.TODO)
        task = Task(
            release_id=rel.id, local_id=local_id, position=position, title="", percent_complete=0
        )
        task.title = values.pop("title", None) or ""
        with s.no_autoflush:
            _apply(s, task, values)
        s.add(task)
        s.flush()
        tx.audit(
            "task", f"{key}/{local_id}", "create", None, _row(s, task).as_dict(), release_key=key
        )
        return local_id


def _row(s: Session, task: Task) -> TaskRow:
    return next(r for r in _rows(s, task.release_id) if r.id == task.id)


@operation
def update_task(
    ctx: Ctx, key: str, local_id: str, fields: dict[str, Any], *, version: int | None = None
) -> TaskRow:
    """``version``: the task's ``row_version`` as the editor loaded it (None: no check)."""
    values = _done_means_complete({n: _coerce(n, v) for n, v in fields.items()})
    with ctx.write() as tx:
        s = tx.session
        rel = release_by_key(s, key)
        task = _task(s, rel, local_id)
        locking.check(
            tx,
            task,
            version,
            label=f"task {local_id} of {key}",
            entity="task",
            entity_id=f"{key}/{local_id}",
        )
        before = _row(s, task).as_dict()
        new_id = values.get("local_id")
        if new_id and new_id != local_id:
            if not LOCAL_ID_RE.match(new_id):
                raise ValidationError(
                    f"Task id {new_id!r} may hold only letters, digits, '-', '_' and '.'",
                    field="local_id",
                )
            if s.execute(
                select(Task.id).where(Task.release_id == rel.id, Task.local_id == new_id)
            ).first():
                raise ValidationError(
                    f"Task id {new_id} is already used in {key}", field="local_id"
                )
        if "title" in values and not values["title"]:
            raise ValidationError("Title must not be empty", field="title")
        _apply(s, task, values)
        s.flush()
        after = _row(s, task)
        changed = {k for k in values if before.get(k) != after.as_dict().get(k)}
        if changed:
            tx.audit(
                "task",
                f"{key}/{after.local_id}",
                "update",
                {k: before.get(k) for k in changed},
                {k: after.as_dict().get(k) for k in changed},
                release_key=key,
            )
        return after


@operation
def delete_task(ctx: Ctx, key: str, local_id: str) -> dict[str, Any]:
    """Remove a task and its links; returns what undo needs to put it back (row + links)."""
    with ctx.write() as tx:
        s = tx.session
        rel = release_by_key(s, key)
        task = _task(s, rel, local_id)
        row = _row(s, task).as_dict()
        succ = aliased(Task)
        row["successors"] = [
            {"task": local, "type": kind.value, "lag_days": lag}
            for local, kind, lag in s.execute(
                select(succ.local_id, TaskDependency.type, TaskDependency.lag_days)
                .join(succ, succ.id == TaskDependency.successor_id)
                .where(TaskDependency.predecessor_id == task.id)
            )
        ]
        s.delete(task)
        tx.audit("task", f"{key}/{local_id}", "delete", row, None, release_key=key)
        return row


@operation
def restore_task(ctx: Ctx, key: str, row: dict[str, Any]) -> str:
    """Undo of delete_task: the task at its old position with its links in both directions."""
    fields = {n: row.get(n) for n in FIELDS if n in row}
    local_id = add_task(ctx, key, fields)
    for link in row.get("predecessors", []):
        add_task_dependency(ctx, key, link["task"], local_id, link["type"], link["lag_days"])
    for link in row.get("successors", []):
        add_task_dependency(ctx, key, local_id, link["task"], link["type"], link["lag_days"])
    return local_id


def task_graph(s: Session, release_id: int) -> nx.DiGraph:
    import networkx as nx

    pred, succ = aliased(Task), aliased(Task)
    graph = nx.DiGraph()
    graph.add_nodes_from(
        s.execute(select(Task.local_id).where(Task.release_id == release_id)).scalars()
    )
    graph.add_edges_from(
        s.execute(
            select(pred.local_id, succ.local_id)
            .join(TaskDependency, TaskDependency.predecessor_id == pred.id)
            .join(succ, succ.id == TaskDependency.successor_id)
            .where(pred.release_id == release_id)
        ).all()
    )
    return graph


@operation
def add_task_dependency(
    ctx: Ctx, key: str, predecessor: str, successor: str, type: str = "FS", lag_days: int = 0
) -> None:
    """``successor`` waits on ``predecessor``; a link that closes a loop is refused, naming it."""
    link_type, lag = _link_args(type, lag_days)
    with ctx.write() as tx:
        _link(tx, key, predecessor, successor, link_type, lag)


def _link_args(type: str, lag_days: Any) -> tuple[E.LinkType, int]:
    try:
        link_type = E.LinkType(str(type).upper())
    except ValueError:
        raise ValidationError(
            f"dependency type {type!r} is not one of FS, SS, FF, SF", field="type"
        ) from None
    try:
        lag = int(lag_days)
    except (TypeError, ValueError):
        raise ValidationError(
            f"lag {lag_days!r} is not a whole number of days", field="lag_days"
        ) from None
    limits.check_number("lag_days", lag, "Lag (days)")
    return link_type, lag


def _link(
    tx: Any, key: str, predecessor: str, successor: str, link_type: E.LinkType, lag: int
) -> None:
    import networkx as nx

    s = tx.session
    rel = release_by_key(s, key)
    if predecessor == successor:
        raise CycleError([predecessor, predecessor], "task dependency")
    pred, succ = _task(s, rel, predecessor), _task(s, rel, successor)
    existing = s.execute(
        select(TaskDependency).where(
            TaskDependency.predecessor_id == pred.id, TaskDependency.successor_id == succ.id
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise ValidationError(f"{successor} already depends on {predecessor}")
    graph = task_graph(s, rel.id)
    if nx.has_path(graph, successor, predecessor):
        path = nx.shortest_path(graph, successor, predecessor)
        raise CycleError([*path, successor], "task dependency")
    s.add(
        TaskDependency(predecessor_id=pred.id, successor_id=succ.id, type=link_type, lag_days=lag)
    )
    tx.audit(
        "task_dependency",
        f"{key}/{predecessor}->{successor}",
        "create",
        None,
        {
            "predecessor": predecessor,
            "successor": successor,
            "type": link_type.value,
            "lag_days": lag,
        },
        release_key=key,
    )


@operation
def remove_task_dependency(ctx: Ctx, key: str, predecessor: str, successor: str) -> dict[str, Any]:
    with ctx.write() as tx:
        return _unlink(tx, key, predecessor, successor)


def _unlink(tx: Any, key: str, predecessor: str, successor: str) -> dict[str, Any]:
    s = tx.session
    rel = release_by_key(s, key)
    pred, succ = _task(s, rel, predecessor), _task(s, rel, successor)
    link = s.execute(
        select(TaskDependency).where(
            TaskDependency.predecessor_id == pred.id, TaskDependency.successor_id == succ.id
        )
    ).scalar_one_or_none()
    if link is None:
        raise NotFound(f"{successor} does not depend on {predecessor}")
    before = {
        "predecessor": predecessor,
        "successor": successor,
        "type": link.type.value,
        "lag_days": link.lag_days,
    }
    s.delete(link)
    tx.audit(
        "task_dependency",
        f"{key}/{predecessor}->{successor}",
        "delete",
        before,
        None,
        release_key=key,
    )
    return before


# --- scheduling: edits that move the tasks downstream, as MS Project does ---------------------

Before = dict[str, dict[str, Any]]  # task id -> the fields an edit changed, as they were


def _move_successors(tx: Any, key: str, rel: Release, moved: set[str], before: Before) -> None:
    """Move every task downstream of ``moved`` to where its links now put it (see
    ``critical_path.reschedule_successors``), noting in ``before`` where each one was."""
    from .critical_path import reschedule_successors

    s = tx.session
    s.flush()
    for local_id, (start, end) in sorted(
        reschedule_successors(s, rel.id, moved, tx.ctx.today()).items()
    ):
        task = _task(s, rel, local_id)
        old = {"start": task.start, "end": task.end}
        noted = before.setdefault(local_id, {})
        for name, value in old.items():
            noted.setdefault(name, value)
        task.start, task.end = start, end
        tx.audit(
            "task",
            f"{key}/{local_id}",
            "update",
            old,
            {"start": start, "end": end},
            release_key=key,
        )


@operation
def schedule_task(
    ctx: Ctx, key: str, local_id: str, fields: dict[str, Any], *, version: int | None = None
) -> Before:
    """Edit a task (any field but its id, plus ``duration_days``: working days, which moves
    its end) and move the tasks that wait on it, in one transaction. A new start keeps the
    task's length; done means 100 %. Answers what changed, as it was, for ``restore_tasks``.
    ``version``: the task's ``row_version`` as the form loaded it (None: no check)."""
    fields = dict(fields)
    if "local_id" in fields:
        raise ValidationError("rename a task with update_task", field="local_id")
    duration = fields.pop("duration_days", None) if "duration_days" in fields else None
    if duration is not None:
        try:
            duration = int(duration)
        except (TypeError, ValueError):
            raise ValidationError(
                f"Duration: {duration!r} is not a whole number of working days",
                field="duration_days",
            ) from None
        if not 1 <= duration <= 3650:
            raise ValidationError(
                f"Duration must be between 1 and 3650 working days, not {duration}",
                field="duration_days",
            )
    values = _done_means_complete({n: _coerce(n, v) for n, v in fields.items()})
    from .critical_path import finish_after, first_working_day, plan_calendar, working_days

    with ctx.write() as tx:
        s = tx.session
        rel = release_by_key(s, key)
        task = _task(s, rel, local_id)
        locking.check(
            tx,
            task,
            version,
            label=f"task {local_id} of {key}",
            entity="task",
            entity_id=f"{key}/{local_id}",
        )
        row = _row(s, task).as_dict()
        start = values["start"] if "start" in values else task.start
        # working days skip the plan's holidays as well as weekends
        days_off = plan_calendar(s, start or task.start or ctx.today())
        if duration is not None:
            if start is None:
                start = first_working_day(ctx.today(), days_off)
                values["start"] = start
            values["end"] = finish_after(start, duration, days_off)
        elif (
            "start" in values
            and "end" not in values
            and values["start"] is not None
            and task.start is not None
            and task.end is not None
        ):
            length = working_days(task.start, task.end, days_off)
            values["end"] = finish_after(values["start"], length, days_off)
        if "title" in values and not values["title"]:
            raise ValidationError("Title must not be empty", field="title")
        _apply(s, task, values)
        s.flush()
        after = _row(s, task).as_dict()
        changed = {k for k in values if row.get(k) != after.get(k)}
        before: Before = {local_id: {k: row.get(k) for k in changed}}
        if changed:
            tx.audit(
                "task",
                f"{key}/{local_id}",
                "update",
                {k: row.get(k) for k in changed},
                {k: after.get(k) for k in changed},
                release_key=key,
            )
        if changed & {"start", "end", "status", "effort_hours"}:
            _move_successors(tx, key, rel, {local_id}, before)
        return before


@operation
def restore_tasks(ctx: Ctx, key: str, before: Before) -> Before:
    """Put tasks' fields back as ``before`` has them (the undo of a scheduling edit), in one
    transaction; answers what they were just before, so it can be undone in turn."""
    with ctx.write() as tx:
        s = tx.session
        rel = release_by_key(s, key)
        now: Before = {}
        for local_id, fields in before.items():
            task = _task(s, rel, local_id)
            row = _row(s, task).as_dict()
            values = {n: _coerce(n, v) for n, v in fields.items()}
            now[local_id] = {n: row.get(n) for n in fields}
            _apply(s, task, values)
            tx.audit(
                "task", f"{key}/{local_id}", "update", now[local_id], dict(fields), release_key=key
            )
        return now


@operation
def link_tasks(
    ctx: Ctx, key: str, predecessor: str, successor: str, type: str = "FS", lag_days: int = 0
) -> Before:
    """``add_task_dependency`` that also moves ``successor`` (and what waits on it) to where
    the new link puts it, in one transaction; answers the dates it moved, for ``unlink_tasks``."""
    link_type, lag = _link_args(type, lag_days)
    with ctx.write() as tx:
        _link(tx, key, predecessor, successor, link_type, lag)
        rel = release_by_key(tx.session, key)
        before: Before = {}
        _move_successors(tx, key, rel, {predecessor}, before)
        return before


@operation
def unlink_tasks(
    ctx: Ctx, key: str, predecessor: str, successor: str, restore: Before | None = None
) -> dict[str, Any]:
    """Remove a link and put back the dates it had moved (``restore``), in one transaction."""
    with ctx.write() as tx:
        link = _unlink(tx, key, predecessor, successor)
        s = tx.session
        rel = release_by_key(s, key)
        for local_id, fields in (restore or {}).items():
            task = _task(s, rel, local_id)
            row = _row(s, task).as_dict()
            _apply(s, task, {n: _coerce(n, v) for n, v in fields.items()})
            tx.audit(
                "task",
                f"{key}/{local_id}",
                "update",
                {n: row.get(n) for n in fields},
                dict(fields),
                release_key=key,
            )
        return link
