"""Conflict detection and critical path on a large plan (issue 4).

Run from the project root:

    .venv/bin/python benchmarks/bench_conflicts.py                        # generates the plan (~10-15 s)
    .venv/bin/python benchmarks/bench_conflicts.py --plan /tmp/big.relman  # reuses a plan

Prints one table. Aims: ``all_conflicts`` on the 10,000-release demo plan ≤ 0.5 s, measured next
to a naive all-pairs check of rule C3 (same CI, or its parent/child, in overlapping deployment
windows) in the same run, and the two must find the same C3 pairs; ``compute_cpm`` on 10,000
tasks with FS/SS/FF/SF links and lags ≤ 100 ms. ``--profile`` adds cProfile's top entries for
each service call. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import sqlite3
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import fmt_time, profile_top, report, timed, verdict  # noqa: E402

from relman_desktop.models.planfile import open_plan  # noqa: E402
from relman_desktop.services.base import Ctx  # noqa: E402
from relman_desktop.services.scheduling import suggest_moves  # noqa: E402

TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
CONFLICTS_AIM = 0.5
CPM_AIM = 0.100

# What the naive check reads: every release with its state category, the CIs its changes touch,
# and the CI parent/child relations. Datetimes are stored as naive UTC ISO text, which compares
# like the instants.
RAW_RELEASES_SQL = """
SELECT r.id, r.key, r.deploy_start, r.deploy_end, s.category
FROM releases r JOIN workflow_states s ON s.id = r.status_id
"""
RAW_TOUCHED_SQL = """
SELECT c.release_id, cc.ci_id FROM changes c JOIN change_cis cc ON cc.change_id = c.id
WHERE c.release_id IS NOT NULL
"""
RAW_RELATIONS_SQL = "SELECT parent_id, child_id FROM ci_relations"


# --- the naive C3 check ----------------------------------------------------------------------------


def naive_c3_load(path: Path) -> list[tuple[str, str, str, frozenset[int], frozenset[int]]]:
    """Open releases with a deployment window: ``(key, start, end, direct CIs, touched CIs)``
    where touched = direct + their parents and children (read with plain sqlite3)."""
    con = sqlite3.connect(path)
    try:
        releases = con.execute(RAW_RELEASES_SQL).fetchall()
        direct: dict[int, set[int]] = defaultdict(set)
        for release_id, ci_id in con.execute(RAW_TOUCHED_SQL):
            direct[release_id].add(ci_id)
        neighbours: dict[int, set[int]] = defaultdict(set)
        for parent, child in con.execute(RAW_RELATIONS_SQL):
            neighbours[parent].add(child)
            neighbours[child].add(parent)
    finally:
        con.close()
    out = []
    for rid, key, start, end, category in releases:
        if start is None or end is None or not end > start or category == "terminal":
            continue
        d = direct.get(rid, set())
        touched = set(d)
        for c in d:
            touched |= neighbours.get(c, set())
        out.append((key, start, end, frozenset(d), frozenset(touched)))
    return out


def naive_c3_pairs(
    rels: list[tuple[str, str, str, frozenset[int], frozenset[int]]],
) -> set[tuple[str, str]]:
    """Every pair of releases, no sorting: half-open windows overlap and one release changes a
    CI the other touches (the same CI, or its parent or child; siblings do not clash)."""
    found = set()
    n = len(rels)
    for i in range(n):
        ka, sa, ea, da, ta = rels[i]
        for j in range(i + 1, n):
            kb, sb, eb, db, tb = rels[j]
            if sa < eb and sb < ea and (da & tb or db & ta):
                found.add((ka, kb) if ka < kb else (kb, ka))
    return found


# --- a synthetic CPM network -------------------------------------------------------------------------


def cpm_network(n: int, seed: int) -> tuple[list[Any], list[Any]]:
    """``n`` tasks in workstreams of 50 over about two years (80 % with planned dates, 20 % with
    a duration only). Each task follows one or two of the ten tasks before it in its workstream,
    and one task in twenty also one in the workstream before: FS 55 %, SS 20 %, FF 15 %, SF 10 %,
    lag −2…+5 working days. Acyclic by construction (links only point forward)."""
    from relman_desktop.services.critical_path import Activity, Link

    rnd = random.Random(seed)
    base = dt.date(2027, 1, 4)  # a Monday
    stream = 50
    activities = []
    for i in range(n):
        if rnd.random() < 0.8:
            start = base + dt.timedelta(
                days=(i // stream) % 80 * 7 + (i % stream) * 2 + rnd.randrange(0, 5)
            )
            end = start + dt.timedelta(days=rnd.randrange(0, 10))
            activities.append(Activity(id=f"T{i}", title=f"Task {i}", start=start, end=end))
        else:
            activities.append(Activity(id=f"T{i}", title=f"Task {i}", duration=rnd.randrange(1, 8)))
    types = ["FS"] * 55 + ["SS"] * 20 + ["FF"] * 15 + ["SF"] * 10
    links = []
    for j in range(n):
        first = j - j % stream
        preds = set(
            rnd.sample(range(max(first, j - 10), j), k=min(j - first, rnd.choice((1, 1, 2))))
        )
        if first >= stream and rnd.random() < 0.05:
            preds.add(rnd.randrange(first - stream, first))
        for i in sorted(preds):
            links.append(Link(f"T{i}", f"T{j}", rnd.choice(types), rnd.randint(-2, 5)))
    return activities, links


# --- a variant of the plan where deployments collide ----------------------------------------------


def crowded_copy(source: Path, target: Path, seed: int, nights: int = 14) -> int:
    """Copy the plan and move every open release's deployment into one of ``nights`` Saturday
    evenings from 9 January 2027 (21:00–23:30 UTC starts, in quarter hours, keeping its
    length), so releases sharing a CI collide (C3) — the demo plan avoids that. Returns how many
    releases moved."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
    rnd = random.Random(seed)
    first = dt.datetime(2027, 1, 9, 21)
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    try:
        rows = dst.execute(
            "SELECT r.id, r.deploy_start, r.deploy_end FROM releases r "
            "JOIN workflow_states s ON s.id = r.status_id "
            "WHERE s.category != 'terminal' AND r.deploy_start IS NOT NULL AND r.deploy_end IS NOT NULL"
        ).fetchall()
        updates = []
        for rid, start, end in rows:
            length = dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)
            new = first + dt.timedelta(weeks=rnd.randrange(nights), minutes=15 * rnd.randrange(11))
            updates.append((new.strftime(fmt), (new + length).strftime(fmt), rid))
        dst.executemany(
            "UPDATE releases SET deploy_start = ?, deploy_end = ? WHERE id = ?", updates
        )
        dst.commit()
    finally:
        dst.close()
    return len(updates)


# --- main ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--plan", metavar="PATH", help="measure this plan (default: generate a demo plan)"
    )
    parser.add_argument(
        "--releases", type=int, default=10_000, help="demo releases to generate (default 10000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--tasks", type=int, default=10_000, help="tasks in the CPM network (default 10000)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per measurement; the best counts"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print cProfile's top entries for each service"
    )
    args = parser.parse_args(argv)

    from relman_desktop.services import conflicts as C
    from relman_desktop.services.critical_path import compute_cpm

    rows: list[tuple[str, str, str]] = []
    profiles: list[tuple[str, str]] = []
    problems: list[str] = []

    def clock() -> dt.datetime:
        return NOW

    def measure(path: Path, label: str, *, aim: bool) -> None:
        """all_conflicts, where its time goes, and the naive all-pairs C3 next to it."""
        plan = open_plan(path)
        ctx = Ctx(plan, actor="bench@example.com", clock=clock)
        try:
            t_all, found = timed(lambda: C.all_conflicts(ctx, suggest=False), args.repeat)
            by_rule = Counter(c.rule for c in found)
            rules_text = ", ".join(f"{r} {by_rule[r]:,}" for r in sorted(by_rule)) or "none"
            note = f"{len(found):,} findings ({rules_text})"
            if aim:
                note += f"; {verdict(t_all, CONFLICTS_AIM)}"
            rows.append((f"{label}: all_conflicts(suggest=False)", fmt_time(t_all), note))
            if (aim and t_all > CONFLICTS_AIM) or args.profile:
                profiles.append(
                    (
                        f"all_conflicts(suggest=False) on the {label}",
                        profile_top(lambda: C.all_conflicts(ctx, suggest=False)),
                    )
                )

            if aim:

                def paused() -> Any:
                    gc.disable()
                    try:
                        return C.all_conflicts(ctx, suggest=False)
                    finally:
                        gc.enable()

                t_nogc, _ = timed(paused, args.repeat)
                rows.append(
                    (
                        "  same call with the cyclic GC paused",
                        fmt_time(t_nogc),
                        f"diagnostic: the cyclic GC costs {fmt_time(max(t_all - t_nogc, 0))} of the call",
                    )
                )

            def load() -> Any:
                with ctx.read() as s:
                    index = C.load_index(s)
                    index.tasks()  # C4's rows, which the rule reads lazily
                    return index

            t_load, index = timed(load, args.repeat)
            active = sum(1 for r in index.releases.values() if r.active)
            rows.append(
                (
                    "  of which: load_index + C4's task rows",
                    fmt_time(t_load),
                    f"{len(index.releases):,} releases ({active:,} open with a window), "
                    f"{len(index.tasks()):,} assigned open tasks",
                )
            )
            t_c4, c4 = timed(lambda: C._c4(index, None), args.repeat)
            rows.append(
                ("  of which: C4 sweep (people)", fmt_time(t_c4), f"{len(c4):,} C4 findings")
            )
            t_sweep, swept = timed(lambda: C._c3(index, None), args.repeat)
            rows.append(
                ("  of which: C3 sweep (CIs)", fmt_time(t_sweep), f"{len(swept):,} C3 pairs")
            )

            t_nload, naive_rels = timed(lambda: naive_c3_load(path), args.repeat)
            t_pairs, naive = timed(lambda: naive_c3_pairs(naive_rels))
            n = len(naive_rels)
            service_pairs = {(c.releases[0], c.releases[1]) for c in found if c.rule == "C3"}
            agree = service_pairs == naive
            if not agree:
                problems.append(
                    f"{label}: C3 pairs differ — only the service: {sorted(service_pairs - naive)[:5]}, "
                    f"only naive: {sorted(naive - service_pairs)[:5]}"
                )
            rows.append(
                (
                    f"{label}: naive all-pairs C3",
                    fmt_time(t_nload + t_pairs),
                    f"sqlite3 read {fmt_time(t_nload)} + {n * (n - 1) // 2:,} pairs {fmt_time(t_pairs)} "
                    f"→ {len(naive):,} C3 pairs, "
                    f"{'the same as the service' if agree else 'NOT the same as the service'}; "
                    f"{(t_nload + t_pairs) / t_all:.1f}× all_conflicts, pair loop {t_pairs / t_sweep:.0f}× "
                    "the C3 sweep",
                )
            )

            t_sugg, found_s = timed(
                lambda: C.all_conflicts(ctx, suggest=suggest_moves, today=TODAY)
            )
            with_fix = sum(1 for c in found_s if c.suggested_start is not None)
            rows.append(
                (
                    f"{label}: all_conflicts(suggest=suggest_moves), once",
                    fmt_time(t_sugg),
                    f"as `relman conflicts` runs it; {with_fix:,} findings with a suggested slot (no aim)",
                )
            )
        finally:
            plan.close()

    cpm_rows: list[tuple[str, str, str]] = []
    # Critical path on a synthetic network, measured first (in a small heap), listed last.
    activities, links = cpm_network(args.tasks, args.seed)
    kinds = Counter(lk.type for lk in links)
    t_cpm, schedule = timed(lambda: compute_cpm(activities, links), args.repeat)
    cpm_rows.append(
        (
            f"critical path: compute_cpm, {args.tasks:,} tasks",
            fmt_time(t_cpm),
            f"{len(links):,} links ("
            + ", ".join(f"{k} {kinds[k]:,}" for k in ("FS", "SS", "FF", "SF"))
            + f"), lag −2…+5; {len(schedule.critical):,} critical, {schedule.start} → {schedule.finish}; "
            + verdict(t_cpm, CPM_AIM),
        )
    )

    def graph_only() -> Any:
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(a.id for a in activities)
        graph.add_edges_from((lk.predecessor, lk.successor) for lk in links)
        return list(nx.topological_sort(graph))

    t_graph, _ = timed(graph_only, args.repeat)
    cpm_rows.append(
        (
            "  of which: networkx DiGraph + topological sort",
            fmt_time(t_graph),
            "the cycle check compute_cpm starts with",
        )
    )
    if t_cpm > CPM_AIM or args.profile:
        profiles.append(("compute_cpm", profile_top(lambda: compute_cpm(activities, links))))

    tmp = tempfile.TemporaryDirectory(prefix="relman-bench-")
    try:
        if args.plan:
            path = Path(args.plan).absolute()
            source = f"plan {path}"
        else:
            from relman_desktop.services.demo import generate_demo

            path = Path(tmp.name) / "bench.relman"
            plan = open_plan(path, create=True)
            t_gen, summary = timed(
                lambda: generate_demo(
                    Ctx(plan, actor="bench@example.com", clock=clock),
                    releases=args.releases,
                    seed=args.seed,
                    today=TODAY,
                )
            )
            plan.close()
            source = f"demo plan, seed {args.seed}, today {TODAY.isoformat()}"
            rows.append(
                (
                    f"setup: generate demo --releases {args.releases}",
                    fmt_time(t_gen),
                    f"{summary['releases']:,} releases, {summary['tasks']:,} tasks, "
                    f"{summary['changes']:,} changes (not measured against an aim)",
                )
            )

        # 1. The plan as it is (the demo keeps releases apart, so C3 finds nothing there) ...
        measure(path, "plan", aim=True)
        # ... and a copy where the open releases are crowded into 14 nights, so C3 has pairs to find.
        crowded = Path(tmp.name) / "crowded.relman"
        moved = crowded_copy(path, crowded, args.seed)
        rows.append(
            ("setup: crowded copy", "", f"{moved:,} open releases moved into 14 Saturday nights")
        )
        measure(crowded, "crowded", aim=False)
    finally:
        tmp.cleanup()

    rows += cpm_rows
    return report(
        "conflicts & critical path benchmark",
        f"best of {args.repeat} unless noted; {source}",
        rows,
        profiles,
        problems,
    )


if __name__ == "__main__":
    raise SystemExit(main())
