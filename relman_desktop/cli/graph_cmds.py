"""Dependency commands: ``impact KEY --days N``, ``depend``, ``graph``, ``ci-impact``, and
``export graph OUT.png|svg|pdf`` (Qt is imported only when that export runs).

``--json`` shapes are a contract for pipelines: fields may be added, never renamed or re-typed.
``impact --json``: ``{"key", "shift_days", "unit", "moved": [{"key", "days", "working_days", …}],
"prerequisite_violations": [...], "new_conflicts": [same shape as "conflicts --json"],
"freezes_hit": [...]}``.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from relman_desktop.cli import EXIT_REFUSED, UsageError, group, open_ctx, print_json
from relman_desktop.cli.values import shift_days, whole_number
from relman_desktop.services.text import counted

levels = whole_number(0, 1000)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "impact", help="what moves and what breaks if a release (KEY) or task (KEY/T3) slips"
    )
    p.add_argument(
        "key", metavar="KEY", help="a release key, or KEY/TASK for one task (e.g. REL-7/T3)"
    )
    p.add_argument(
        "--days",
        type=shift_days,
        required=True,
        metavar="N",
        help="the slip: calendar days for a release, working days for a task (negative: earlier)",
    )
    p.add_argument("--apply", action="store_true", help="write the shift to the plan (audited)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_impact)

    p = sub.add_parser(
        "depend", help="make release KEY depend on PREREQUISITE (refused if it closes a loop)"
    )
    p.add_argument("key", metavar="KEY")
    p.add_argument("prerequisite", metavar="PREREQUISITE")
    p.add_argument(
        "--kind",
        choices=("before", "together"),
        default="before",
        help="the prerequisite deploys before KEY (default) or together with it",
    )
    p.add_argument("--remove", action="store_true", help="remove the dependency instead")
    p.set_defaults(handler=cmd_depend)

    p = sub.add_parser(
        "graph", help="the release dependency graph (edges prerequisite → dependent)"
    )
    p.add_argument("--release", metavar="KEY", help="only this release and its neighbourhood")
    p.add_argument(
        "--up", type=levels, default=2, metavar="N", help="levels of prerequisites (with --release)"
    )
    p.add_argument(
        "--down", type=levels, default=2, metavar="N", help="levels of dependents (with --release)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_graph)

    p = sub.add_parser(
        "ci-impact", help="every release and change touching a CI, its parents or children"
    )
    p.add_argument("ci", metavar="CI")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_ci_impact)

    p = group(sub, "export", "write a document or file from the plan").add_parser(
        "graph",
        help="the dependency graph as a picture (.png, .svg or .pdf, by the file's extension)",
    )
    p.add_argument("out", metavar="OUT")
    p.add_argument("--release", metavar="KEY", help="only this release and its neighbourhood")
    p.add_argument("--up", type=levels, default=2, metavar="N")
    p.add_argument("--down", type=levels, default=2, metavar="N")
    p.set_defaults(handler=cmd_export_graph)


def cmd_impact(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import impact

    ctx = open_ctx(args)
    try:
        result = impact.impact(ctx, args.key, args.days)
        if args.apply:
            impact.apply_shift(ctx, args.key, args.days)
    finally:
        ctx.plan.close()
    if args.json:
        data = result.as_dict()
        data["applied"] = bool(args.apply)
        print_json(data, out)
        return 0
    out.write(f"{args.key} {args.days:+d} {result.unit}{' (applied)' if args.apply else ''}\n")
    if not result.moved:
        out.write("nothing moves\n")
    for m in result.moved:
        out.write(f"  moves {m.days:+d} days ({m.working_days:+d} working): {m.key} — {m.reason}\n")
    for v in result.prerequisite_violations:
        out.write(f"  prerequisite violated: {v.message}\n")
    for c in result.new_conflicts:
        out.write(f"  new conflict {c.rule} ({c.severity}): {c.message}\n")
    for f in result.freezes_hit:
        out.write(f"  freeze hit: {f['release']} — {f['window']}\n")
    return 0


def cmd_depend(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import graph
    from relman_desktop.services.base import CycleError

    ctx = open_ctx(args)
    try:
        if args.remove:
            graph.remove_dependency(ctx, args.key, args.prerequisite)
            out.write(f"{args.key} no longer depends on {args.prerequisite}\n")
            return 0
        try:
            graph.add_dependency(ctx, args.key, args.prerequisite, args.kind)
        except CycleError as exc:
            args.err.write(f"relman: refused: {exc}\n")
            return EXIT_REFUSED
        out.write(f"{args.key} now depends on {args.prerequisite} ({args.kind})\n")
        return 0
    finally:
        ctx.plan.close()


def _graph(ctx: Any, args: argparse.Namespace) -> Any:
    from relman_desktop.services import graph

    g = graph.release_graph(ctx)
    if args.release:
        if g.node(args.release) is None:
            raise UsageError(f"no release {args.release!r} in this plan")
        g = g.subgraph(graph.neighbourhood(g.digraph(), args.release, args.up, args.down))
    return g


def cmd_graph(args: argparse.Namespace, out: TextIO) -> int:
    ctx = open_ctx(args)
    try:
        g = _graph(ctx, args)
    finally:
        ctx.plan.close()
    if args.json:
        print_json(
            {
                "releases": [
                    {
                        "key": n.key,
                        "title": n.title,
                        "status": n.status,
                        "application": n.application,
                        "conflicts": n.conflicts,
                    }
                    for n in g.nodes
                ],
                "dependencies": [
                    {"prerequisite": e.prerequisite, "release": e.dependent, "kind": e.kind}
                    for e in g.edges
                ],
                "critical_chain": g.critical_chain,
            },
            out,
        )
        return 0
    out.write(
        f"{counted(len(g.nodes), 'release')}, {counted(len(g.edges), 'dependency', 'dependencies')}\n"
    )
    for e in g.edges:
        out.write(f"  {e.prerequisite} → {e.dependent} ({e.kind})\n")
    if g.critical_chain:
        out.write(f"critical chain: {' → '.join(g.critical_chain)}\n")
    return 0


def cmd_ci_impact(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import graph

    ctx = open_ctx(args)
    try:
        result = graph.ci_impact(ctx, args.ci)
    finally:
        ctx.plan.close()
    if args.json:
        print_json(result.as_dict(), out)
        return 0
    out.write(
        f"{result.ci}: parents {', '.join(result.parents) or '—'}; children {', '.join(result.children) or '—'}\n"
    )
    for r in result.releases:
        via = ", ".join(f"{v['ci']} ({v['relation']})" for v in r["via"])
        out.write(f"  release {r['key']} [{r['status']}] via {via}\n")
    for c in result.changes:
        via = ", ".join(f"{v['ci']} ({v['relation']})" for v in c["via"])
        out.write(f"  change {c['key']} ({c['release'] or 'no release'}) via {via}\n")
    return 0


def cmd_export_graph(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.views.graph.graph_view import export_graph_file

    ctx = open_ctx(args)
    try:
        keys = sorted(_graph(ctx, args).digraph().nodes) if args.release else None
        try:
            target = export_graph_file(ctx, args.out, keys=keys)
        except (OSError, ValueError) as exc:
            raise UsageError(str(exc)) from None
    finally:
        ctx.plan.close()
    out.write(f"wrote {target}\n")
    return 0
