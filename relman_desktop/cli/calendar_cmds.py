"""Calendar commands: ``export ics FILE``, ``conflicts [--json]``, ``slots KEY``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from relman_desktop.cli import group, open_ctx, print_json
from relman_desktop.cli.values import whole_number
from relman_desktop.services import limits
from relman_desktop.services.text import counted


def register(sub: Any) -> None:
    export = group(sub, "export", "write a document or file from the plan")
    p = export.add_parser("ics", help="the release calendar as an iCalendar (.ics) file")
    p.add_argument("file", metavar="FILE", help="the .ics file to write (replaced if it exists)")
    p.set_defaults(handler=cmd_export_ics)

    p = sub.add_parser("conflicts", help="list every scheduling conflict (rules C1–C7)")
    p.add_argument(
        "--json", action="store_true", help="print JSON instead of one line per conflict"
    )
    p.set_defaults(handler=cmd_conflicts)

    p = sub.add_parser(
        "slots", help="the next deployment slots for a release that raise no conflict, and why"
    )
    p.add_argument("key", metavar="KEY", help="the release key, e.g. REL-2026-014")
    p.add_argument(
        "--count",
        type=whole_number(1, 1000),
        default=3,
        metavar="N",
        help="how many slots (default 3)",
    )
    p.add_argument(
        "--days",
        type=whole_number(1, limits.MAX_DURATION_DAYS),
        default=30,
        metavar="D",
        help="how many days ahead (default 30)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of one line per slot")
    p.set_defaults(handler=cmd_slots)


def _table(rows: list[list[str]], out: TextIO) -> None:
    """Aligned columns; the last column runs free."""
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        cells = [c.ljust(w) for c, w in zip(r, widths, strict=False)] + [r[-1]]
        out.write("  ".join(cells).rstrip() + "\n")


def cmd_export_ics(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.exports.ics import export_ics

    ctx = open_ctx(args)
    try:
        result = export_ics(ctx, args.file)
    finally:
        ctx.plan.close()
    out.write(
        f"wrote {result.path}: {counted(result.deployments, 'deployment window')}, "
        f"{counted(result.windows, 'calendar window')}\n"
    )
    return 0


def cmd_conflicts(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services.conflicts import all_conflicts
    from relman_desktop.services.scheduling import suggest_moves

    ctx = open_ctx(args)
    try:
        found = all_conflicts(ctx, suggest=suggest_moves)
    finally:
        ctx.plan.close()
    if args.json:
        print_json([c.as_dict() for c in found], out)
        return 0
    if not found:
        out.write("no conflicts\n")
        return 0
    rows = []
    for c in found:
        text = c.message + (f" — suggestion: {c.suggestion}" if c.suggestion else "")
        rows.append([c.rule, c.severity, ", ".join(c.releases), text])
    _table(rows, out)
    return 0


def cmd_slots(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services.conflicts import fmt_span
    from relman_desktop.services.scheduling import free_slots
    from relman_desktop.services.windows import list_windows, zone

    ctx = open_ctx(args)
    try:
        slots = free_slots(ctx, args.key, count=args.count, days=args.days)
        zones = {w.title: w.timezone for w in list_windows(ctx)}
    finally:
        ctx.plan.close()
    if args.json:
        print_json([s.as_dict() for s in slots], out)
        return 0
    if not slots:
        from relman_desktop.services.scheduling import why_no_slot

        ctx = open_ctx(args)
        try:
            out.write(f"{why_no_slot(ctx, args.key, days=args.days)}\n")
        finally:
            ctx.plan.close()
        return 0
    rows = []
    for s in slots:
        tzname = zones.get(s.window_title or "", "UTC")
        rows.append(
            [
                fmt_span(s.start, s.end, zone(tzname)),
                tzname,
                s.window_title or "working-day evening",
                s.reason,
            ]
        )
    _table(rows, out)
    return 0
