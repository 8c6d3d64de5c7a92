"""Layered (Sugiyama) layout of the release dependency graph, left to right. No Qt here.

grandalf does the layering, the crossing reduction (barycentre sweeps) and the coordinate
assignment (Brandes–Köpf). Its layers run top to bottom, so node sizes go in swapped and the
result is turned a quarter: a layer becomes a column, prerequisites on the left, dependents on
the right. Two things are done around grandalf, for speed and for legibility:

- Components are found with networkx and each is handed to grandalf as a ``graph_core`` built
  directly: ``grandalf.graphs.Graph`` merges components with set comparisons that cost O(n²)
  (10 s for 1,000 releases). Alignment conflicts are kept in a set, not a list, for the same
  reason.
- After placement each column is swept so that no two boxes overlap (Brandes–Köpf's balanced
  average can bring neighbours closer than their sizes), and the components are packed in
  rows, largest first, releases with no dependency at all last, in a grid.

Long edges follow grandalf's dummy vertices, so they bend around the columns they cross
instead of cutting through boxes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import SugiyamaLayout
from grandalf.utils.poset import Poset

Point = tuple[float, float]

NODE_W = 200.0
NODE_H = 58.0
COLUMN_GAP = 110.0  # room for the arrows between columns
ROW_GAP = 22.0
COMPONENT_GAP = 60.0


@dataclass
class GraphLayout:
    """Centres of the boxes, each edge's polyline (from the right side of the prerequisite to
    the left side of the dependent), and the size of the whole drawing."""

    positions: dict[str, Point] = field(default_factory=dict)
    routes: dict[tuple[str, str], list[Point]] = field(default_factory=dict)
    columns: dict[str, int] = field(default_factory=dict)
    width: float = 0.0
    height: float = 0.0
    node_w: float = NODE_W
    node_h: float = NODE_H


class _View:
    """grandalf's vertex view: the size (swapped: w is the box's height on screen)."""

    __slots__ = ("w", "h", "xy")

    def __init__(self, w: float, h: float) -> None:
        self.w, self.h = w, h
        self.xy: Point = (0.0, 0.0)


class _EdgeView:
    __slots__ = ("points",)

    def __init__(self) -> None:
        self.points: list[Point] = []

    def setpath(self, points: list[Point]) -> None:
        self.points = list(points)


class _Sugiyama(SugiyamaLayout):
    def _detect_alignment_conflicts(self) -> None:  # type: ignore[override]
        super()._detect_alignment_conflicts()
        self.conflicts = set(self.conflicts)  # type: ignore[has-type]  # looked up once per aligned pair


def _core(vertices: list[Vertex], edges: list[Edge]) -> graph_core:
    """A connected grandalf graph, built without Graph()'s quadratic component merge."""
    core = graph_core.__new__(graph_core)
    core.directed = True
    core.sV = Poset(vertices)
    core.sE = Poset([])
    core.degenerated_edges = set()
    for e in edges:
        core.sE.add(e)
        e.attach()
    for v in vertices:
        v.c = core
    return core


@dataclass
class _Placed:
    keys: list[str]
    pos: dict[str, Point]
    routes: dict[tuple[str, str], list[Point]]
    columns: dict[str, int]
    width: float
    height: float


def _layout_component(keys: list[str], edges: list[tuple[str, str]], w: float, h: float) -> _Placed:
    if len(keys) == 1:
        return _Placed(keys, {keys[0]: (w / 2, h / 2)}, {}, {keys[0]: 0}, w, h)
    vs = {k: Vertex(k) for k in keys}
    for v in vs.values():
        v.view = _View(h, w)  # swapped: grandalf's x runs along a layer
    es = []
    for a, b in edges:
        e = Edge(vs[a], vs[b])
        e.view = _EdgeView()
        es.append(e)
    core = _core(list(vs.values()), es)
    sug = _Sugiyama(core)
    sug.xspace = ROW_GAP
    sug.yspace = COLUMN_GAP
    sug.init_all(
        inverted_edges=[], optimize=True
    )  # no loops; roots pulled next to their dependents
    sug.draw(N=1.5)

    # Columns (layers) and the order of every box and dummy point within its column.
    rank = {v: sug.grx[v].rank for layer in sug.layers for v in layer}
    col_x: dict[int, float] = {}
    for layer in sug.layers:
        for v in layer:
            col_x.setdefault(rank[v], v.view.xy[1])
    # Sweep each column top to bottom: no two boxes closer than their half-heights + gap.
    ys: dict[object, float] = {}
    for layer in sug.layers:
        items = sorted(layer, key=lambda v: v.view.xy[0])
        last_bottom = -math.inf
        for v in items:
            half = (6.0 if sug.grx[v].dummy else h) / 2
            y = max(v.view.xy[0], last_bottom + ROW_GAP + half)
            ys[v] = y
            last_bottom = y + half
    pos = {k: (col_x[rank[v]], ys[v]) for k, v in vs.items()}
    routes: dict[tuple[str, str], list[Point]] = {}
    for e in es:
        a, b = e.v[0].data, e.v[1].data
        points: list[Point] = []
        ctrl = sug.ctrls.get(e)
        if ctrl:
            for r in sorted(ctrl):
                d = ctrl[r]
                if d is e.v[0] or d is e.v[1]:
                    continue
                points.append((col_x[rank[d]], ys[d]))
        routes[(a, b)] = points
    min_x = min(x for x, _ in pos.values()) - w / 2
    min_y = min(y for _, y in [*pos.values(), *[p for r in routes.values() for p in r]]) - h / 2
    pos = {k: (x - min_x, y - min_y) for k, (x, y) in pos.items()}
    routes = {k: [(x - min_x, y - min_y) for x, y in r] for k, r in routes.items()}
    width = max(x for x, _ in pos.values()) + w / 2
    height = max(y for _, y in [*pos.values(), *[p for r in routes.values() for p in r]]) + h / 2
    columns = {k: rank[v] for k, v in vs.items()}
    return _Placed(keys, pos, routes, columns, width, height)


def layered_layout(
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str]],
    *,
    node_w: float = NODE_W,
    node_h: float = NODE_H,
    aspect: float = 1.6,
) -> GraphLayout:
    """Place ``nodes`` with ``edges`` (prerequisite → dependent) left to right."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    comps = [sorted(c) for c in nx.weakly_connected_components(g)]
    comps.sort(key=lambda c: (-len(c), c[0]))
    placed: list[_Placed] = []
    for comp in comps:
        sub = g.subgraph(comp)
        placed.append(_layout_component(comp, sorted(sub.edges), node_w, node_h))
    out = GraphLayout(node_w=node_w, node_h=node_h)
    if not placed:
        return out
    area = sum((p.width + COMPONENT_GAP) * (p.height + COMPONENT_GAP) for p in placed)
    target = max(max(p.width for p in placed), math.sqrt(area * aspect))
    x = y = row_h = 0.0
    for p in placed:
        if x > 0 and x + p.width > target:
            x, y, row_h = 0.0, y + row_h + COMPONENT_GAP, 0.0
        for k, (px, py) in p.pos.items():
            out.positions[k] = (x + px, y + py)
        for e, r in p.routes.items():
            out.routes[e] = [(x + px, y + py) for px, py in r]
        out.columns.update(p.columns)
        x += p.width + (COMPONENT_GAP if len(p.keys) > 1 else ROW_GAP * 2)
        row_h = max(row_h, p.height)
        out.width = max(out.width, x)
    out.height = y + row_h
    return out


def overlapping_pairs(layout: GraphLayout) -> list[tuple[str, str]]:
    """Boxes that overlap (for tests and the benchmark): none, when the layout is right."""
    w, h = layout.node_w, layout.node_h
    cells: dict[tuple[int, int], list[str]] = defaultdict(list)
    for k, (x, y) in layout.positions.items():
        cells[(int(x // w), int(y // h))].append(k)
    found = []
    for k, (x, y) in layout.positions.items():
        cx, cy = int(x // w), int(y // h)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for other in cells.get((cx + dx, cy + dy), []):
                    if other <= k:
                        continue
                    ox, oy = layout.positions[other]
                    if abs(ox - x) < w and abs(oy - y) < h:
                        found.append((k, other))
    return found
