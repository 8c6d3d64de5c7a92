"""Documents for the night and for the knowledge base, and the zone their times are in:
``relman export runbook KEY FILE.docx``, ``relman export kb KEY DIR``, ``relman export kb --all
DIR``, ``relman timezone [ZONE]``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from relman_desktop.cli import UsageError, group, open_ctx
from relman_desktop.services.text import counted


def register(sub: Any) -> None:
    p = sub.add_parser("timezone", help="show or set the plan's time zone (documents and views)")
    p.add_argument("zone", metavar="ZONE", nargs="?", help="an IANA zone, e.g. Europe/Berlin")
    p.set_defaults(handler=cmd_timezone)

    export = group(sub, "export", "write a document or file from the plan")
    p = export.add_parser("runbook", help="the deployment runbook of a release (.docx)")
    p.add_argument("key", metavar="KEY", help="the release, e.g. REL-2026-014")
    p.add_argument("file", metavar="FILE", help="the .docx to write (replaced if it exists)")
    p.set_defaults(handler=cmd_export_runbook)

    p = export.add_parser(
        "kb", help="knowledge-base pages: Markdown and printable HTML (one release or --all)"
    )
    p.add_argument("key", metavar="KEY", nargs="?", help="the release (omit with --all)")
    p.add_argument("dir", metavar="DIR", help="the folder to write into (created if missing)")
    p.add_argument("--all", action="store_true", help="every release, with an index page")
    p.add_argument(
        "--variant",
        choices=("business", "technical"),
        default="business",
        help="whose release notes (default: business)",
    )
    p.set_defaults(handler=cmd_export_kb)


def cmd_export_runbook(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.exports.runbook import write_runbook
    from relman_desktop.services.release_report import release_report

    ctx = open_ctx(args)
    try:
        report = release_report(ctx, args.key)
    finally:
        ctx.plan.close()
    path = write_runbook(report, args.file)
    out.write(f"runbook written: {path}\n")
    return 0


def cmd_export_kb(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.exports.kb import write_kb_release, write_kb_site

    if args.all and args.key:
        raise UsageError("export kb: give either a release KEY or --all, not both")
    if not args.all and not args.key:
        raise UsageError("export kb: name a release KEY, or --all for every release")
    ctx = open_ctx(args)
    try:
        if args.all:
            result = write_kb_site(ctx, args.dir, variant=args.variant)
            out.write(
                f"knowledge base written: {result.index} ({counted(result.pages, 'release')})\n"
            )
        else:
            paths = write_kb_release(ctx, args.key, args.dir, variant=args.variant)
            out.write("".join(f"written: {p}\n" for p in paths))
    finally:
        ctx.plan.close()
    return 0


def cmd_timezone(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services.plan_zone import plan_zone_name, set_plan_zone

    ctx = open_ctx(args)
    try:
        if args.zone:
            out.write(f"the plan's time zone is now {set_plan_zone(ctx, args.zone)}\n")
        else:
            out.write(f"{plan_zone_name(ctx)}\n")
    finally:
        ctx.plan.close()
    return 0
