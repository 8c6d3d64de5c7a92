"""Releases: list, read, create, edit, delete, and their release-to-release dependencies."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    Person,
    Release,
    ReleaseDependency,
    WorkflowState,
)
from relman_desktop.models.planfile import decoded_in_c

from . import limits, locking, rules
from .base import (
    Ctx,
    CycleError,
    NotFound,
    Tx,
    ValidationError,
    gc_paused,
    operation,
    person_by_email,
    release_by_key,
    state_by_name,
)
from .keys import natural_key
from .release_snapshot import release_snapshot

if TYPE_CHECKING:
    import networkx as nx


@dataclass(slots=True)
class ReleaseRow:
    """One line of the releases list: what the list, filters and sorting need, nothing more."""

    id: int
    key: str
    title: str
    version: str | None
    type: str
    priority: str
    risk: str
    status: str
    application: str | None
    manager: str | None
    manager_email: str | None
    planned_start: dt.date | None
    planned_end: dt.date | None
    deploy_start: dt.datetime | None
    deploy_end: dt.datetime | None
    actual_start: dt.date | None = None
    actual_end: dt.date | None = None
    status_role: str | None = None  # what its state means (StateRole value); None: a custom state

    @property
    def read_only(self) -> bool:
        """Closed or Cancelled (by role): no edit until a transition reopens it."""
        return self.status_role in E.READ_ONLY_ROLES


@dataclass
class ReleaseDetail:
    """Every field of one release, as plain values (enum values as their words)."""

    id: int
    key: str
    title: str
    version: str | None
    type: str
    priority: str
    risk: str
    status: str
    application: str | None
    scope: str | None
    objectives: str | None
    manager_email: str | None
    manager: str | None
    planned_start: dt.date | None
    planned_end: dt.date | None
    deploy_start: dt.datetime | None
    deploy_end: dt.datetime | None
    actual_start: dt.date | None
    actual_end: dt.date | None
    strategy: str | None
    waves: list[dict[str, Any]]
    rollback_plan: str | None
    rollback_minutes: int | None
    rollback_rehearsed_on: dt.date | None
    communication_plan: str | None
    implementation_plan: str | None
    required_tests: list[str]
    parent: str | None
    template: str | None
    closure_code: str | None
    depends_on: list[dict[str, str]] = field(default_factory=list)
    dependents: list[str] = field(default_factory=list)
    status_role: str | None = None  # what its state means (StateRole value); None: a custom state

    @property
    def read_only(self) -> bool:
        """Closed or Cancelled (by role): no edit until a transition reopens it."""
        return self.status_role in E.READ_ONLY_ROLES

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# Fields a user edits, with the type each takes; "manager_email" and "parent" are natural keys.
EDITABLE: dict[str, Any] = {
    "key": str,
    "title": str,
    "version": str,
    "type": E.ReleaseType,
    "priority": E.Level,
    "risk": E.Level,
    "application": str,
    "scope": str,
    "objectives": str,
    "manager_email": str,
    "planned_start": dt.date,
    "planned_end": dt.date,
    "deploy_start": dt.datetime,
    "deploy_end": dt.datetime,
    "actual_start": dt.date,
    "actual_end": dt.date,
    "strategy": E.StrategyKind,
    "waves": list,
    "rollback_plan": str,
    "rollback_minutes": int,
    "rollback_rehearsed_on": dt.date,
    "communication_plan": str,
    "implementation_plan": str,
    "required_tests": list,
    "parent": str,
    "closure_code": str,
}
REQUIRED = ("key", "title", "type")
SCHEDULE_FIELDS = {"planned_start", "planned_end", "deploy_start", "deploy_end"}
KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")

LABELS = {
    "key": "Key",
    "title": "Title",
    "type": "Type",
    "priority": "Priority",
    "risk": "Risk",
    "manager_email": "Release manager",
    "planned_start": "Planned start",
    "planned_end": "Planned end",
    "deploy_start": "Deployment window start",
    "deploy_end": "Deployment window end",
    "actual_start": "Actual start",
    "actual_end": "Actual end",
    "rollback_minutes": "Rollback duration",
    "strategy": "Deployment strategy",
    "parent": "Parent release",
    "required_tests": "Required tests",
    "waves": "Waves",
}


def _label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


# --- reading ----------------------------------------------------------------------------------


def release_rows_select() -> Any:  # a Select of ReleaseRow's columns
    """The Core SELECT of ``ReleaseRow``'s columns, in its field order (releases with their
    state and manager): the list and the calendar's range read (``calendar_data``) narrow it."""
    manager = aliased(Person)
    return (
        select(
            Release.id,
            Release.key,
            Release.title,
            Release.version,
            type_coerce(Release.type, String),
            type_coerce(Release.priority, String),
            type_coerce(Release.risk, String),
            WorkflowState.name,
            Release.application,
            manager.name,
            manager.email,
            Release.planned_start,
            Release.planned_end,
            Release.deploy_start,
            Release.deploy_end,
            Release.actual_start,
            Release.actual_end,
            type_coerce(WorkflowState.role, String),
        )
        .join(WorkflowState, WorkflowState.id == Release.status_id)
        .outerjoin(manager, manager.id == Release.manager_id)
    )


def list_releases(
    ctx: Ctx, *, first: int | None = None, keys: Iterable[str] | None = None
) -> list[ReleaseRow]:
    """All releases in one Core SELECT (no ORM identity map): the list shows 100,000 rows.
    Enumerations come back as their stored words, which is what a row holds anyway. Text is
    decoded by SQLite (``decoded_in_c``) and the collector sleeps while the rows are built:
    what is left per row is the natural sort key and the row itself.

    ``first=n``: only the first ``n`` by key (what a lazily filled list shows at once);
    ``keys``: only those releases (an unknown key is simply absent)."""
    stmt = release_rows_select()
    if keys is not None:
        stmt = stmt.where(Release.key.in_(list(keys)))
    if first is not None:  # shorter keys first: REL-2026-559 before REL-2026-5589, as below
        stmt = stmt.order_by(func.length(Release.key), Release.key).limit(first)
    with ctx.read() as s, gc_paused():
        rows: list[Any] = decoded_in_c(s, lambda: list(s.connection().execute(stmt).all()))
        rows.sort(key=lambda r: natural_key(r[1]))  # REL-2026-559 before REL-2026-5589
        return [ReleaseRow(*r) for r in rows]


def count_releases(ctx: Ctx) -> int:
    """How many releases the plan holds (one indexed count, whatever the plan's size)."""
    with ctx.read() as s:
        return int(s.scalar(select(func.count(Release.id))) or 0)


def get_release(ctx: Ctx, key: str) -> ReleaseDetail:
    with ctx.read() as s:
        return _detail(s, release_by_key(s, key))


def _detail(s: Session, rel: Release) -> ReleaseDetail:
    deps = s.execute(
        select(Release.key, ReleaseDependency.kind)
        .join(ReleaseDependency, ReleaseDependency.prerequisite_id == Release.id)
        .where(ReleaseDependency.release_id == rel.id)
        .order_by(Release.key)
    ).all()
    dependents = s.execute(
        select(Release.key)
        .join(ReleaseDependency, ReleaseDependency.release_id == Release.id)
        .where(ReleaseDependency.prerequisite_id == rel.id)
        .order_by(Release.key)
    ).scalars()
    return ReleaseDetail(
        id=rel.id,
        key=rel.key,
        title=rel.title,
        version=rel.version,
        type=rel.type.value,
        priority=rel.priority.value,
        risk=rel.risk.value,
        status=rel.status.name,
        status_role=rel.status.role.value if rel.status.role else None,
        application=rel.application,
        scope=rel.scope,
        objectives=rel.objectives,
        manager_email=rel.manager.email if rel.manager else None,
        manager=rel.manager.name if rel.manager else None,
        planned_start=rel.planned_start,
        planned_end=rel.planned_end,
        deploy_start=rel.deploy_start,
        deploy_end=rel.deploy_end,
        actual_start=rel.actual_start,
        actual_end=rel.actual_end,
        strategy=rel.strategy.value if rel.strategy else None,
        waves=list(rel.waves or []),
        rollback_plan=rel.rollback_plan,
        rollback_minutes=rel.rollback_minutes,
        rollback_rehearsed_on=rel.rollback_rehearsed_on,
        communication_plan=rel.communication_plan,
        implementation_plan=rel.implementation_plan,
        required_tests=list(rel.required_tests or []),
        parent=rel.parent.key if rel.parent else None,
        template=rel.template.name if rel.template else None,
        closure_code=rel.closure_code,
        depends_on=[{"release": k, "kind": kind.value} for k, kind in deps],
        dependents=list(dependents),
    )


# --- validation -------------------------------------------------------------------------------


def _coerce(name: str, value: Any) -> Any:
    """One field's value in the type the plan stores, within the plan's bounds."""
    return limits.checked(name, _coerce_type(name, value), _label(name))


def _coerce_type(name: str, value: Any) -> Any:
    """One field's value in the type the plan stores, or ValidationError naming the field."""
    kind = EDITABLE[name]
    if value is None or (isinstance(value, str) and value.strip() == "" and name not in REQUIRED):
        return [] if kind is list else None
    try:
        if kind is str:
            if not isinstance(value, str):
                raise TypeError
            return value.strip()
        if kind is int:
            if isinstance(value, bool):
                raise TypeError
            number = int(value)
            if number < 0:
                raise ValueError
            return number
        if kind is dt.date:
            if isinstance(value, dt.datetime):
                return value.date()
            if isinstance(value, dt.date):
                return value
            return dt.date.fromisoformat(str(value))
        if kind is dt.datetime:
            moment = (
                value
                if isinstance(value, dt.datetime)
                else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            )
            if moment.tzinfo is None:
                raise ValidationError(
                    f"{_label(name)}: give a time zone offset (e.g. +01:00 or Z)", field=name
                )
            return moment
        if kind is list:
            if not isinstance(value, list):
                raise TypeError
            return value
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
        dt.datetime: "a date and time",
        int: "a whole number of 0 or more",
        str: "text",
        list: "a list",
    }[kind]
    raise ValidationError(f"{_label(name)}: {value!r} is not {what}", field=name)


def validate_release_fields(
    ctx: Ctx, fields: dict[str, Any], key: str | None = None
) -> dict[str, str]:
    """What is wrong with these values, by field, without saving anything (for inline checks)."""
    try:
        with ctx.read() as s:
            current = _detail(s, release_by_key(s, key)).as_dict() if key else {}
            _checked(s, fields, current, key)
    except ValidationError as exc:
        return {exc.field or "": str(exc)}
    return {}


def _checked(
    s: Session, fields: dict[str, Any], current: dict[str, Any], key: str | None
) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise ValidationError(f"unknown release field {unknown[0]!r}", field=unknown[0])
    values = {name: _coerce(name, v) for name, v in fields.items()}
    if values.get("waves"):
        limits.check_waves(values["waves"])
    merged = {**current, **values}
    for name in REQUIRED:
        if not merged.get(name):
            raise ValidationError(f"{_label(name)} must not be empty", field=name)
    new_key = merged["key"]
    if not KEY_RE.match(new_key):
        raise ValidationError(
            f"Key: {new_key!r} may hold only letters, digits, '-', '_' and '.'", field="key"
        )
    if new_key != key:
        if s.execute(select(Release.id).where(Release.key == new_key)).first():
            raise ValidationError(f"Key: {new_key} is already used by another release", field="key")
    for start, end in (
        ("planned_start", "planned_end"),
        ("deploy_start", "deploy_end"),
        ("actual_start", "actual_end"),
    ):
        a, b = merged.get(start), merged.get(end)
        if a is not None and b is not None and b < a:
            raise ValidationError(
                f"{_label(end)} ({_fmt(b)}) is before {_label(start).lower()} ({_fmt(a)})",
                field=end,
            )
    if merged.get("manager_email"):
        person_by_email(s, merged["manager_email"], field="manager_email")
    if merged.get("parent"):
        if merged["parent"] == new_key:
            raise ValidationError(
                "Parent release: a release cannot be its own parent", field="parent"
            )
        if not s.execute(select(Release.id).where(Release.key == merged["parent"])).first():
            raise ValidationError(
                f"Parent release: no release {merged['parent']!r}", field="parent"
            )
    for kind in merged.get("required_tests") or []:
        if kind not in {m.value for m in E.TestKind}:
            allowed = ", ".join(m.value for m in E.TestKind)
            raise ValidationError(
                f"Required tests: {kind!r} is not one of {allowed}", field="required_tests"
            )
    return values


def _fmt(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    return str(value)


def _apply(s: Session, rel: Release, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "manager_email":
            rel.manager = person_by_email(s, value) if value else None
        elif name == "parent":
            rel.parent = release_by_key(s, value) if value else None
        else:
            setattr(rel, name, value)


def _snapshot(rel_detail: ReleaseDetail, names: Any) -> dict[str, Any]:
    d = rel_detail.as_dict()
    return {n: d.get(n) for n in names}


# --- writing ----------------------------------------------------------------------------------


@operation
def create_release(ctx: Ctx, fields: dict[str, Any]) -> str:
    """A new release in the workflow's first state; returns its key."""
    with ctx.write() as tx:
        return create_release_tx(tx, fields)


def create_release_tx(tx: Tx, fields: dict[str, Any]) -> str:
    """:func:`create_release` inside a transaction the caller holds (an import of several)."""
    s = tx.session
    values = _checked(s, fields, {}, None)
    first = s.execute(select(WorkflowState).order_by(WorkflowState.position).limit(1)).scalar_one()
    rel = Release(status=first, waves=[], required_tests=[], created_at=tx.ctx.now())
    _apply(s, rel, values)
    s.add(rel)
    s.flush()
    tx.audit(
        "release",
        rel.key,
        "create",
        None,
        _snapshot(_detail(s, rel), values.keys()),
        release_key=rel.key,
    )
    tx.rule_events.append(("on_create", rel.id))
    rules.run_pending(tx)  # the rules this write raised act in the same transaction
    return rel.key


@operation
def update_release(
    ctx: Ctx, key: str, fields: dict[str, Any], *, version: int | None = None
) -> ReleaseDetail:
    """Change some fields of a release; all are checked before any is saved. ``version``:
    the ``row_version`` the editor loaded (``locking.version_of``); refused if it moved."""
    with ctx.write() as tx:
        s = tx.session
        rel = release_by_key(s, key)
        locking.check(tx, rel, version, label=key, entity="release", entity_id=key)
        before = _detail(s, rel)
        values = _checked(s, fields, before.as_dict(), key)
        changed = {n: v for n, v in values.items() if before.as_dict().get(n) != v}
        if not changed:
            return before
        _apply(s, rel, changed)
        s.flush()
        after = _detail(s, rel)
        tx.audit(
            "release",
            after.key,
            "update",
            _snapshot(before, changed),
            _snapshot(after, changed),
            release_key=after.key,
        )
        if SCHEDULE_FIELDS & changed.keys():
            tx.rule_events.append(("on_schedule_change", rel.id))
            rules.run_pending(tx)  # the rules this write raised act in the same transaction
        return after


@operation
def delete_release(ctx: Ctx, key: str) -> dict[str, Any]:
    """Delete a release with its tasks, stages, evidence; its changes are unbundled, not deleted.

    Returns a snapshot — ``{"release": <plan-JSON release object>, "dependents": [...]}`` —
    from which ``importers.plan_json.restore_release`` puts all of it back (undo)."""
    with ctx.write() as tx:
        s = tx.session
        rel = release_by_key(s, key)
        snapshot = {
            "release": release_snapshot(s, rel),
            "dependents": [
                {"release": k, "kind": kind.value}
                for k, kind in s.execute(
                    select(Release.key, ReleaseDependency.kind)
                    .join(ReleaseDependency, ReleaseDependency.release_id == Release.id)
                    .where(ReleaseDependency.prerequisite_id == rel.id)
                )
            ],
        }
        s.delete(rel)
        tx.audit("release", key, "delete", snapshot, None, release_key=key)
        return snapshot


def set_status_direct(tx: Any, rel: Release, state_name: str) -> None:
    """For restores (import, undo of a transition): no guards, but audited by the caller."""
    rel.status = state_by_name(tx.session, state_name)


# --- release dependencies ---------------------------------------------------------------------


def dependency_graph(s: Session) -> nx.DiGraph:
    """Edges prerequisite → dependent, nodes are release keys."""
    import networkx as nx

    pre = aliased(Release)
    dep = aliased(Release)
    graph = nx.DiGraph()
    rows = s.execute(
        select(pre.key, dep.key)
        .join(ReleaseDependency, ReleaseDependency.prerequisite_id == pre.id)
        .join(dep, dep.id == ReleaseDependency.release_id)
    ).all()
    graph.add_edges_from(rows)
    return graph


@operation
def add_dependency(ctx: Ctx, key: str, prerequisite: str, kind: str = "before") -> None:
    """``key`` depends on ``prerequisite``; refused with the loop named if it closes a cycle."""
    import networkx as nx

    try:
        dep_kind = E.DependencyKind(kind)
    except ValueError:
        raise ValidationError(
            f"dependency kind {kind!r} is not one of before, together", field="kind"
        ) from None
    with ctx.write() as tx:
        s = tx.session
        rel, pre = release_by_key(s, key), release_by_key(s, prerequisite)
        if rel.id == pre.id:
            raise CycleError([key, key], "release dependency")
        exists = s.execute(
            select(ReleaseDependency).where(
                ReleaseDependency.release_id == rel.id, ReleaseDependency.prerequisite_id == pre.id
            )
        ).scalar_one_or_none()
        if exists is not None:
            raise ValidationError(f"{key} already depends on {prerequisite}")
        graph = dependency_graph(s)
        if (
            graph.has_node(key)
            and graph.has_node(prerequisite)
            and nx.has_path(graph, key, prerequisite)
        ):
            path = nx.shortest_path(graph, key, prerequisite)
            raise CycleError(_depends_loop(key, path), "release dependency")
        s.add(ReleaseDependency(release_id=rel.id, prerequisite_id=pre.id, kind=dep_kind))
        tx.audit(
            "release_dependency",
            f"{key}->{prerequisite}",
            "create",
            None,
            {"release": key, "prerequisite": prerequisite, "kind": dep_kind.value},
            release_key=key,
        )


def _depends_loop(key: str, path: list[str]) -> list[str]:
    """The loop in "depends on" order, e.g. REL-7 → REL-9 → REL-7. ``path`` runs key → … →
    prerequisite along prerequisite→dependent edges: each node depends on the one before it,
    so reading it backwards, after the new "key depends on prerequisite", closes the loop."""
    return [key, *reversed(path)]


@operation
def remove_dependency(ctx: Ctx, key: str, prerequisite: str) -> None:
    with ctx.write() as tx:
        s = tx.session
        rel, pre = release_by_key(s, key), release_by_key(s, prerequisite)
        row = s.execute(
            select(ReleaseDependency).where(
                ReleaseDependency.release_id == rel.id, ReleaseDependency.prerequisite_id == pre.id
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"{key} does not depend on {prerequisite}")
        kind = row.kind.value
        s.delete(row)
        tx.audit(
            "release_dependency",
            f"{key}->{prerequisite}",
            "delete",
            {"release": key, "prerequisite": prerequisite, "kind": kind},
            None,
            release_key=key,
        )
