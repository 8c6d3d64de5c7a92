"""The dependency graphs of a plan, as plain data: releases, a release's tasks, and CIs.

- **Release graph**: one node per release, edges prerequisite → dependent (the prerequisite
  deploys first, or "together" with it). Drawn left to right in the Dependencies view.
- **Task graph** of a release: edges predecessor → successor, with type (FS/SS/FF/SF) and lag.
- **CI graph**: edges parent → child. ``ci_impact`` lists every release and change touching a
  CI, its parents or its children (PRODUCT.md §3: a release touches the CIs of its changes and,
  through CI relations, their parents and children).

Graph algorithms are networkx's. Adding a release dependency goes through
``releases.add_dependency``, which refuses a loop and names it (``REL-7 → REL-9 → REL-7``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    Change,
    ConfigurationItem,
    Release,
    ReleaseDependency,
    Task,
    TaskDependency,
    WorkflowState,
    change_cis,
    ci_relations,
)

from . import releases as R
from .base import Ctx, CycleError, NotFound, operation, release_by_key

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "CIGraph",
    "CIImpact",
    "GraphEdge",
    "GraphNode",
    "ReleaseGraph",
    "TaskEdge",
    "TaskGraph",
    "TaskNode",
    "add_dependency",
    "ci_graph",
    "ci_impact",
    "critical_chain",
    "loop_if_added",
    "neighbourhood",
    "release_graph",
    "remove_dependency",
    "task_graph",
]


@dataclass(frozen=True)
class GraphNode:
    """A release as the graph shows it; ``conflicts`` counts the conflicts naming it."""

    key: str
    title: str
    status: str
    status_color: str | None
    application: str | None
    start: dt.datetime | None  # deployment window, else the planned dates (whole days, UTC)
    end: dt.datetime | None
    conflicts: int = 0
    conflict_rules: tuple[str, ...] = ()
    terminal: bool = False


@dataclass(frozen=True)
class GraphEdge:
    prerequisite: str
    dependent: str
    kind: str  # "before" | "together"


@dataclass
class ReleaseGraph:
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    critical_chain: list[str] = field(default_factory=list)

    def digraph(self) -> nx.DiGraph:
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(n.key for n in self.nodes)
        g.add_edges_from((e.prerequisite, e.dependent, {"kind": e.kind}) for e in self.edges)
        return g

    def node(self, key: str) -> GraphNode | None:
        return next((n for n in self.nodes if n.key == key), None)

    def applications(self) -> list[str]:
        return sorted({n.application for n in self.nodes if n.application})

    def subgraph(self, keys: Iterable[str]) -> ReleaseGraph:
        """Only these releases and the edges between them (critical chain kept where inside)."""
        wanted = set(keys)
        return ReleaseGraph(
            [n for n in self.nodes if n.key in wanted],
            [e for e in self.edges if e.prerequisite in wanted and e.dependent in wanted],
            [k for k in self.critical_chain if k in wanted],
        )

    def critical_edges(self) -> set[tuple[str, str]]:
        chain = self.critical_chain
        return set(zip(chain, chain[1:], strict=False))


def _interval(row: Any) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The time a release occupies: its deployment window, else its planned days."""
    if row.deploy_start is not None and row.deploy_end is not None:
        return row.deploy_start, row.deploy_end
    start = end = None
    if row.planned_start is not None:
        start = dt.datetime.combine(row.planned_start, dt.time(), tzinfo=dt.UTC)
    if row.planned_end is not None:
        end = dt.datetime.combine(row.planned_end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    if start is None and end is not None:
        start = end - dt.timedelta(days=1)
    if end is None and start is not None:
        end = start + dt.timedelta(days=1)
    return start, end


def release_graph(ctx: Ctx, *, with_conflicts: bool = True) -> ReleaseGraph:
    """Every release and dependency of the plan, with conflict counts and the critical chain."""
    with ctx.read() as s:
        rows = s.execute(
            select(
                Release.key,
                Release.title,
                Release.application,
                Release.planned_start,
                Release.planned_end,
                Release.deploy_start,
                Release.deploy_end,
                WorkflowState.name,
                WorkflowState.color,
                WorkflowState.category,
            )
            .join(WorkflowState, WorkflowState.id == Release.status_id)
            .order_by(Release.key)
        ).all()
        pre, dep = aliased(Release), aliased(Release)
        edge_rows = s.execute(
            select(pre.key, dep.key, ReleaseDependency.kind)
            .join(ReleaseDependency, ReleaseDependency.prerequisite_id == pre.id)
            .join(dep, dep.id == ReleaseDependency.release_id)
            .order_by(pre.key, dep.key)
        ).all()
    counts: dict[str, list[str]] = {}
    if with_conflicts:
        for c in _conflicts(ctx):
            for key in c.releases:
                counts.setdefault(key, []).append(c.rule)
    nodes = []
    for r in rows:
        start, end = _interval(r)
        rules = counts.get(r.key, [])
        nodes.append(
            GraphNode(
                key=r.key,
                title=r.title,
                status=r.name,
                status_color=r.color,
                application=r.application,
                start=start,
                end=end,
                conflicts=len(rules),
                conflict_rules=tuple(sorted(set(rules))),
                terminal=E.StateCategory(r.category) == E.StateCategory.TERMINAL,
            )
        )
    edges = [GraphEdge(p, d, E.DependencyKind(k).value) for p, d, k in edge_rows]
    graph = ReleaseGraph(nodes, edges)
    graph.critical_chain = critical_chain(graph)
    return graph


def _conflicts(ctx: Ctx) -> list[Any]:
    from . import conflicts

    return conflicts.all_conflicts(ctx, suggest=False)


def critical_chain(graph: ReleaseGraph) -> list[str]:
    """The longest dependency chain by dates: of all chains of two or more releases linked by
    dependencies, the one from the earliest start of its first release to the latest end of
    its last spans the most time (ties: more releases, then keys). Undated releases still link."""
    import networkx as nx

    g = graph.digraph()
    if g.number_of_edges() == 0:
        return []
    nodes = {n.key: n for n in graph.nodes}
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    # best[v] = (earliest start of a chain of >= 2 nodes ending at v, its length, predecessor)
    best: dict[str, tuple[dt.datetime, int, str]] = {}
    for v in nx.topological_sort(g):
        for p in g.predecessors(v):
            start_p = nodes[p].start or far_future
            via = best.get(p)
            cand = (start_p, 2, p)
            if via is not None and (via[0], -via[1]) <= (start_p, -1):
                cand = (via[0], via[1] + 1, p)
            cur = best.get(v)
            if cur is None or (cand[0], -cand[1], cand[2]) < (cur[0], -cur[1], cur[2]):
                best[v] = cand

    def score(v: str) -> tuple[dt.timedelta, int, str]:
        start, length, _ = best[v]
        end = nodes[v].end
        if end is None or start == far_future:
            return (dt.timedelta(0), length, v)
        return (end - start, length, v)

    tail = max(best, key=score)
    chain = [tail]
    while chain[-1] in best:
        _start, length, p = best[chain[-1]]
        chain.append(p)
        if length == 2:
            break
    return list(reversed(chain))


def neighbourhood(graph: nx.DiGraph, key: str, up: int, down: int) -> set[str]:
    """``key`` with its prerequisites up to ``up`` levels and dependents up to ``down`` levels."""
    import networkx as nx

    if key not in graph:
        return set()
    keep = {key}
    if up > 0:
        keep |= set(
            nx.single_source_shortest_path_length(graph.reverse(copy=False), key, cutoff=up)
        )
    if down > 0:
        keep |= set(nx.single_source_shortest_path_length(graph, key, cutoff=down))
    return keep


def loop_if_added(ctx: Ctx, key: str, prerequisite: str) -> list[str] | None:
    """The loop ``key`` depending on ``prerequisite`` would close (as CycleError words it),
    or None when the dependency is acyclic. Reads only."""
    import networkx as nx

    if key == prerequisite:
        return [key, key]
    with ctx.read() as s:
        g = R.dependency_graph(s)
    if key in g and prerequisite in g and nx.has_path(g, key, prerequisite):
        return R._depends_loop(key, nx.shortest_path(g, key, prerequisite))
    return None


@operation
def add_dependency(ctx: Ctx, key: str, prerequisite: str, kind: str = "before") -> None:
    """``key`` depends on ``prerequisite`` (audited); CycleError naming the loop if it closes one."""
    R.add_dependency(ctx, key, prerequisite, kind)


@operation
def remove_dependency(ctx: Ctx, key: str, prerequisite: str) -> str:
    """Remove the dependency; returns its kind so that undo can put it back as it was."""
    with ctx.read() as s:
        rel, pre = release_by_key(s, key), release_by_key(s, prerequisite)
        kind = s.execute(
            select(ReleaseDependency.kind).where(
                ReleaseDependency.release_id == rel.id, ReleaseDependency.prerequisite_id == pre.id
            )
        ).scalar_one_or_none()
    if kind is None:
        raise NotFound(f"{key} does not depend on {prerequisite}")
    R.remove_dependency(ctx, key, prerequisite)
    return E.DependencyKind(kind).value


# --- tasks -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskNode:
    id: str  # "T3"
    title: str
    phase: str
    status: str
    start: dt.date | None
    end: dt.date | None
    critical: bool = False
    slack_days: int | None = None


@dataclass(frozen=True)
class TaskEdge:
    predecessor: str
    successor: str
    type: str
    lag_days: int


@dataclass
class TaskGraph:
    release: str
    nodes: list[TaskNode]
    edges: list[TaskEdge]

    def digraph(self) -> nx.DiGraph:
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(n.id for n in self.nodes)
        g.add_edges_from(
            (e.predecessor, e.successor, {"type": e.type, "lag": e.lag_days}) for e in self.edges
        )
        return g


def task_graph(ctx: Ctx, key: str) -> TaskGraph:
    """Release ``key``'s tasks and their links, with CPM slack and the critical tasks."""
    from .critical_path import task_critical_path

    with ctx.read() as s:
        rel = release_by_key(s, key)
        rows = s.execute(
            select(
                Task.id, Task.local_id, Task.title, Task.phase, Task.status, Task.start, Task.end
            )
            .where(Task.release_id == rel.id)
            .order_by(Task.position, Task.id)
        ).all()
        local = {r.id: r.local_id for r in rows}
        links = s.execute(
            select(
                TaskDependency.predecessor_id,
                TaskDependency.successor_id,
                TaskDependency.type,
                TaskDependency.lag_days,
            ).where(TaskDependency.predecessor_id.in_(local))
        ).all()
    try:
        schedule = task_critical_path(ctx, key).by_id()
    except CycleError:
        schedule = {}
    nodes = []
    for r in rows:
        sched = schedule.get(r.local_id)
        nodes.append(
            TaskNode(
                r.local_id,
                r.title,
                E.Phase(r.phase).value,
                E.TaskStatus(r.status).value,
                r.start,
                r.end,
                critical=bool(sched and sched.critical),
                slack_days=sched.total_slack if sched else None,
            )
        )
    edges = [
        TaskEdge(local[p], local[q], E.LinkType(t).value, lag or 0)
        for p, q, t, lag in links
        if p in local and q in local
    ]
    return TaskGraph(key, nodes, edges)


# --- configuration items ---------------------------------------------------------------------


@dataclass(frozen=True)
class CIGraph:
    nodes: list[str]
    edges: list[tuple[str, str]]  # parent → child


def ci_graph(ctx: Ctx) -> CIGraph:
    from . import cis

    with ctx.read() as s:
        g = cis.ci_graph(s)
    return CIGraph(sorted(g.nodes), sorted(g.edges))


@dataclass
class CIImpact:
    """What touches a CI: ``related`` maps each CI considered to how it relates ("itself",
    "parent", "child"); releases and changes name the CIs through which they touch it."""

    ci: str
    parents: list[str]
    children: list[str]
    releases: list[dict[str, Any]]
    changes: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ci": self.ci,
            "parents": self.parents,
            "children": self.children,
            "releases": self.releases,
            "changes": self.changes,
        }


def ci_impact(ctx: Ctx, name: str) -> CIImpact:
    """Every release and change that touches CI ``name`` or its direct parents and children."""
    with ctx.read() as s:
        ci_id = s.execute(
            select(ConfigurationItem.id).where(ConfigurationItem.name == name)
        ).scalar_one_or_none()
        if ci_id is None:
            raise NotFound(f"no configuration item {name!r}")
        names = dict(s.execute(select(ConfigurationItem.id, ConfigurationItem.name)).all())
        parents = {
            p
            for (p,) in s.execute(
                select(ci_relations.c.parent_id).where(ci_relations.c.child_id == ci_id)
            )
        }
        children = {
            c
            for (c,) in s.execute(
                select(ci_relations.c.child_id).where(ci_relations.c.parent_id == ci_id)
            )
        }
        relation = {
            ci_id: "itself",
            **{p: "parent" for p in parents},
            **{c: "child" for c in children},
        }
        rows = s.execute(
            select(
                Change.key,
                Change.title,
                Change.approval,
                Release.key,
                Release.title,
                WorkflowState.name,
                change_cis.c.ci_id,
            )
            .join(change_cis, change_cis.c.change_id == Change.id)
            .outerjoin(Release, Release.id == Change.release_id)
            .outerjoin(WorkflowState, WorkflowState.id == Release.status_id)
            .where(change_cis.c.ci_id.in_(relation))
            .order_by(Change.key)
        ).all()
    changes: dict[str, dict[str, Any]] = {}
    rels: dict[str, dict[str, Any]] = {}
    for ckey, ctitle, approval, rkey, rtitle, status, cid in rows:
        via = {"ci": names[cid], "relation": relation[cid]}
        ch = changes.setdefault(
            ckey,
            {
                "key": ckey,
                "title": ctitle,
                "approval": E.ChangeApproval(approval).value,
                "release": rkey,
                "via": [],
            },
        )
        ch["via"].append(via)
        if rkey is not None:
            rel = rels.setdefault(
                rkey, {"key": rkey, "title": rtitle, "status": status, "changes": [], "via": []}
            )
            if ckey not in rel["changes"]:
                rel["changes"].append(ckey)
            if via not in rel["via"]:
                rel["via"].append(via)
    order = {"itself": 0, "parent": 1, "child": 2}
    for item in (*changes.values(), *rels.values()):
        item["via"].sort(key=lambda v: (order[v["relation"]], v["ci"]))
    return CIImpact(
        ci=name,
        parents=sorted(names[p] for p in parents),
        children=sorted(names[c] for c in children),
        releases=[rels[k] for k in sorted(rels)],
        changes=[changes[k] for k in sorted(changes)],
    )
