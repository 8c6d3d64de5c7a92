"""Dependency-graph benchmark: the layered layout, and impact analysis on a large plan.

Run from the project root:

    .venv/bin/python benchmarks/bench_graph.py [--releases 10000] [--layout-releases 1000]

Prints one table. Targets (issue 5): layout of 1,000 releases with 2,000 dependencies ≤ 1 s;
impact of a shift at the root of a 10,000-release plan ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchkit import fmt_time, report, timed, verdict  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from relman_desktop.models.entities import Release, ReleaseDependency, WorkflowState  # noqa: E402
from relman_desktop.models.planfile import open_plan  # noqa: E402
from relman_desktop.services import impact as I  # noqa: E402
from relman_desktop.services.base import Ctx  # noqa: E402
from relman_desktop.views.graph.graph_layout import layered_layout, overlapping_pairs  # noqa: E402

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def layered_dag(
    n: int, m: int, layers: int = 10, seed: int = 1
) -> tuple[list[str], set[tuple[str, str]]]:
    """Releases in waves; most dependencies on the wave before, some two waves back."""
    rnd = random.Random(seed)
    wave = [i * layers // n for i in range(n)]
    by_wave: dict[int, list[int]] = {}
    for i in range(n):
        by_wave.setdefault(wave[i], []).append(i)
    edges: set[tuple[str, str]] = set()
    while len(edges) < m:
        j = rnd.randrange(n)
        if wave[j] == 0:
            continue
        k = wave[j] - 1 if rnd.random() < 0.85 else max(0, wave[j] - 2)
        i = rnd.choice(by_wave[k])
        edges.add((f"REL-{i:05d}", f"REL-{j:05d}"))
    return [f"REL-{i:05d}" for i in range(n)], edges


def build_tree_plan(path: Path, n: int) -> None:
    """n releases in a binary dependency tree under REL-00000, one day of deployment per level
    (so a shift at the root moves everything: the worst case), windows 22:00–23:00 UTC."""
    plan = open_plan(path, create=True)
    try:
        with plan.write() as s:
            state = (
                s.execute(select(WorkflowState.id).order_by(WorkflowState.position))
                .scalars()
                .first()
            )
            base = dt.datetime(2027, 1, 4, 22, tzinfo=dt.UTC)
            rows = []
            for i in range(n):
                depth = (i + 1).bit_length() - 1
                start = base + dt.timedelta(days=depth)
                rows.append(
                    {
                        "key": f"REL-{i:05d}",
                        "title": f"Release {i}",
                        "type": "minor",
                        "priority": "medium",
                        "risk": "medium",
                        "application": f"app{i % 40}",
                        "status_id": state,
                        "planned_start": start.date() - dt.timedelta(days=5),
                        "planned_end": start.date(),
                        "deploy_start": start,
                        "deploy_end": start + dt.timedelta(hours=1),
                        "waves": [],
                        "required_tests": [],
                        "created_at": NOW,
                    }
                )
            s.execute(insert(Release), rows)
            ids = dict(s.execute(select(Release.key, Release.id)).all())
            s.execute(
                insert(ReleaseDependency),
                [
                    {
                        "release_id": ids[f"REL-{i:05d}"],
                        "prerequisite_id": ids[f"REL-{(i - 1) // 2:05d}"],
                        "kind": "before",
                    }
                    for i in range(1, n)
                ],
            )
    finally:
        plan.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--releases", type=int, default=10_000)
    parser.add_argument("--layout-releases", type=int, default=1_000)
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs per figure, the best is shown (default 5)"
    )
    args = parser.parse_args(argv)
    rows: list[tuple[str, str, str]] = []
    problems: list[str] = []

    def aim(t: float, limit: float, what: str) -> str:
        if t > limit:
            problems.append(f"{what}: {fmt_time(t)} misses its aim of {fmt_time(limit)}")
        return verdict(t, limit)

    n = args.layout_releases
    nodes, edges = layered_dag(n, 2 * n)
    t, lay = timed(lambda: layered_layout(nodes, edges), args.repeat)
    overlaps = len(overlapping_pairs(lay))
    rows.append(
        (
            f"layout {n:,} releases, {len(edges):,} dependencies",
            fmt_time(t),
            f"{overlaps} overlapping boxes, {lay.width:.0f}×{lay.height:.0f} px; {aim(t, 1.0, 'layout')}",
        )
    )
    nodes3, edges3 = layered_dag(300, 300, layers=6)
    t, lay3 = timed(lambda: layered_layout(nodes3, edges3), args.repeat)
    rows.append(
        (
            "layout 300 releases, 300 dependencies",
            fmt_time(t),
            f"{len(overlapping_pairs(lay3))} overlapping boxes",
        )
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tree.relman"
        t0 = time.perf_counter()
        build_tree_plan(path, args.releases)
        build = time.perf_counter() - t0
        plan = open_plan(path)
        ctx = Ctx(plan, actor="bench", clock=lambda: NOW)
        try:
            t, result = timed(lambda: I.impact(ctx, "REL-00000", 3), args.repeat)
            rows.append(
                (
                    f"impact +3 d at the root of {args.releases:,} releases",
                    fmt_time(t),
                    f"{len(result.moved):,} releases move, {len(result.new_conflicts)} new conflicts; "
                    f"{aim(t, 0.2, 'impact at the root')}",
                )
            )
            t, result = timed(lambda: I.impact(ctx, "REL-00000", 3, conflicts=False), args.repeat)
            rows.append(
                (
                    "  the same, without the conflict rules",
                    fmt_time(t),
                    f"{len(result.moved):,} releases move",
                )
            )
            leaf = f"REL-{args.releases - 1:05d}"
            t, result = timed(lambda: I.impact(ctx, leaf, -30), args.repeat)
            rows.append(
                (
                    f"impact −30 d at a leaf of {args.releases:,}",
                    fmt_time(t),
                    f"{len(result.prerequisite_violations)} prerequisite violated",
                )
            )
        finally:
            plan.close()
    rows.append(
        (
            f"setup: building the {args.releases:,}-release plan",
            fmt_time(build),
            "Core bulk inserts",
        )
    )
    return report(
        "dependency graph benchmark", f"best of {args.repeat} unless noted", rows, [], problems
    )


if __name__ == "__main__":
    sys.exit(main())
