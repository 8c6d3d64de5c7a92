"""Configuration items and their parent/child relations (never a loop)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import ConfigurationItem, ci_relations

from . import locking
from .base import Ctx, CycleError, NotFound, ValidationError, operation, person_by_email

if TYPE_CHECKING:
    import networkx as nx


@dataclass
class CIRow:
    id: int
    name: str
    ci_class: str
    environment: str | None
    owner_email: str | None
    criticality: str
    requires_maintenance_window: bool
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    # the row_version: a form hands it back with its save (``version=``); not one of the
    # record's values (``as_dict``: what the audit trail and undo see)
    version: int = field(default=0, compare=False)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["version"]
        return d


def _row(ci: ConfigurationItem, owners: dict[int, str]) -> CIRow:
    return CIRow(
        ci.id,
        ci.name,
        ci.ci_class.value,
        ci.environment,
        owners.get(ci.owner_id or -1),
        ci.criticality.value,
        bool(ci.requires_maintenance_window),
        sorted(p.name for p in ci.parents),
        sorted(c.name for c in ci.children),
        version=ci.row_version,
    )


def _owners(s: Session) -> dict[int, str]:
    from relman_desktop.models.entities import Person

    return dict(s.execute(select(Person.id, Person.email)).all())


def list_cis(ctx: Ctx) -> list[CIRow]:
    """Every CI by name, with its parents' and children's names. Read as plain columns and one
    read of the relations, not as ORM objects with their graphs (issue 16: the CIs page on a
    7,500-CI plan)."""
    with ctx.read() as s:
        owners = _owners(s)
        names = dict(s.execute(select(ConfigurationItem.id, ConfigurationItem.name)).all())
        parents: dict[int, list[str]] = {}
        children: dict[int, list[str]] = {}
        for parent_id, child_id in s.execute(
            select(ci_relations.c.parent_id, ci_relations.c.child_id)
        ):
            parents.setdefault(child_id, []).append(names[parent_id])
            children.setdefault(parent_id, []).append(names[child_id])
        stmt = select(
            ConfigurationItem.id,
            ConfigurationItem.name,
            ConfigurationItem.ci_class,
            ConfigurationItem.environment,
            ConfigurationItem.owner_id,
            ConfigurationItem.criticality,
            ConfigurationItem.requires_maintenance_window,
            ConfigurationItem.row_version,
        ).order_by(ConfigurationItem.name)
        return [
            CIRow(
                ci_id,
                name,
                ci_class.value,
                environment,
                owners.get(owner_id or -1),
                criticality.value,
                bool(needs_window),
                sorted(parents.get(ci_id, [])),
                sorted(children.get(ci_id, [])),
                version=version,
            )
            for (
                ci_id,
                name,
                ci_class,
                environment,
                owner_id,
                criticality,
                needs_window,
                version,
            ) in s.execute(stmt)
        ]


def ci_names(ctx: Ctx) -> list[str]:
    """Every CI's name, sorted: what a form offers as completions (one column, not the graph)."""
    with ctx.read() as s:
        return list(
            s.execute(select(ConfigurationItem.name).order_by(ConfigurationItem.name)).scalars()
        )


def _ci(s: Session, name: str) -> ConfigurationItem:
    ci = s.execute(
        select(ConfigurationItem).where(ConfigurationItem.name == name)
    ).scalar_one_or_none()
    if ci is None:
        raise NotFound(f"no configuration item {name!r}")
    return ci


def ci_graph(s: Session) -> nx.DiGraph:
    """Edges parent → child, nodes are CI names."""
    import networkx as nx

    names = dict(s.execute(select(ConfigurationItem.id, ConfigurationItem.name)).all())
    graph = nx.DiGraph()
    graph.add_nodes_from(names.values())
    graph.add_edges_from(
        (names[p], names[c])
        for p, c in s.execute(select(ci_relations.c.parent_id, ci_relations.c.child_id))
    )
    return graph


def _apply(s: Session, ci: ConfigurationItem, fields: dict[str, Any]) -> None:
    import networkx as nx

    for name, value in fields.items():
        if name == "name":
            text = (value or "").strip()
            if not text:
                raise ValidationError("Name must not be empty", field="name")
            other = s.execute(
                select(ConfigurationItem.id).where(ConfigurationItem.name == text)
            ).scalar()
            if other is not None and other != ci.id:
                raise ValidationError(f"Name: {text} is already used by another CI", field="name")
            ci.name = text
        elif name in ("ci_class", "criticality"):
            kind = E.CIClass if name == "ci_class" else E.Level
            try:
                setattr(ci, name, kind(value))
            except ValueError:
                label = "Class" if name == "ci_class" else "Criticality"
                raise ValidationError(
                    f"{label}: {value!r} is not one of {', '.join(m.value for m in kind)}",
                    field=name,
                ) from None
        elif name == "environment":
            ci.environment = (value or "").strip() or None
        elif name == "owner_email":
            ci.owner_id = person_by_email(s, value, field=name).id if value else None
        elif name == "requires_maintenance_window":
            ci.requires_maintenance_window = bool(value)
        elif name == "parents":
            parents = [_ci(s, p) for p in value or []]
            graph = ci_graph(s)
            for parent in parents:
                if parent.name == ci.name:
                    raise CycleError([ci.name, ci.name], "CI relation")
                if (
                    ci.name in graph
                    and parent.name in graph
                    and nx.has_path(graph, ci.name, parent.name)
                ):
                    path = nx.shortest_path(graph, ci.name, parent.name)
                    raise CycleError([*path, ci.name], "CI relation")
            ci.parents = parents
        else:
            raise ValidationError(f"unknown CI field {name!r}", field=name)


@operation
def create_ci(ctx: Ctx, fields: dict[str, Any]) -> str:
    with ctx.write() as tx:
        s = tx.session
        ci = ConfigurationItem(
            name="",
            ci_class=E.CIClass.SERVICE,
            criticality=E.Level.MEDIUM,
            requires_maintenance_window=False,
        )
        fields = {"ci_class": "service", **fields}
        if not (fields.get("name") or "").strip():
            raise ValidationError("Name must not be empty", field="name")
        parents = fields.pop("parents", None)
        _apply(s, ci, fields)
        s.add(ci)
        s.flush()
        if parents:
            _apply(s, ci, {"parents": parents})
        s.flush()
        tx.audit("ci", ci.name, "create", None, _row(ci, _owners(s)).as_dict())
        return ci.name


@operation
def update_ci(ctx: Ctx, name: str, fields: dict[str, Any], *, version: int | None = None) -> CIRow:
    """``version``: the CI's ``row_version`` as the form loaded it (None: no check)."""
    with ctx.write() as tx:
        s = tx.session
        ci = _ci(s, name)
        locking.check(tx, ci, version, label=f"CI {name}", entity="ci", entity_id=name)
        owners = _owners(s)
        before = _row(ci, owners).as_dict()
        _apply(s, ci, fields)
        s.flush()
        after = _row(ci, owners).as_dict()
        changed = [k for k in after if before[k] != after[k] and k != "children"]
        if changed:
            tx.audit(
                "ci",
                ci.name,
                "update",
                {k: before[k] for k in changed},
                {k: after[k] for k in changed},
            )
        return _row(ci, owners)


@operation
def delete_ci(ctx: Ctx, name: str, *, version: int | None = None) -> dict[str, Any]:
    with ctx.write() as tx:
        s = tx.session
        ci = _ci(s, name)
        locking.check(tx, ci, version, label=f"CI {name}", entity="ci", entity_id=name)
        before = _row(ci, _owners(s)).as_dict()
        s.delete(ci)
        tx.audit("ci", name, "delete", before, None)
        return before
