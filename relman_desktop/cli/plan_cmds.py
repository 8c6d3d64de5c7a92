"""Foundation commands: init, demo, releases, show, transition, import/export plan, audit."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from relman_desktop.cli import group, open_ctx, plan_target
from relman_desktop.services.text import counted


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create a new, empty plan file")
    p.set_defaults(handler=cmd_init)
    p = group(sub, "export", "write a document or file from the plan").add_parser(
        "plan", help="the whole plan as a JSON document (docs/plan-format.md)"
    )
    p.add_argument("file", metavar="FILE", help="the JSON file to write (replaced atomically)")
    p.set_defaults(handler=cmd_export_plan)
    p = group(sub, "import", "read a file into the plan").add_parser(
        "plan", help="add a plan JSON document to the plan, all or nothing"
    )
    p.add_argument("file", metavar="FILE", help="the plan JSON file to read")
    p.set_defaults(handler=cmd_import_plan)
    p = sub.add_parser("plan", help="whole-plan operations: copy between a file and a server")
    kinds = p.add_subparsers(dest="plan_kind", metavar="KIND", parser_class=type(p))
    kinds.required = True
    p = kinds.add_parser("copy", help="copy a whole plan: file or server URL to file or server URL")
    p.add_argument("source", metavar="SOURCE", help="the plan to copy (a file or a server URL)")
    p.add_argument("target", metavar="TARGET", help="where to copy it (a file or a server URL)")
    p.add_argument(
        "--replace", action="store_true", help="overwrite a target that already holds records"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(handler=cmd_plan_copy)


def cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    ctx = open_ctx(args, create=True)
    out.write(f"plan ready: {ctx.plan.location}\n")
    ctx.plan.close()
    return 0


def cmd_import_plan(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.importers.plan_json import import_plan, load_plan_file
    from relman_desktop.services.base import ValidationError

    data = load_plan_file(args.file)  # before opening: a bad file creates no plan
    new_plan = isinstance(plan_target(args), Path) and not Path(args.plan).expanduser().exists()
    ctx = open_ctx(args, create=True)
    try:
        summary = import_plan(ctx, data)
    except ValidationError as exc:
        ctx.plan.close()
        if new_plan:  # refused: leave no empty plan behind that the user did not ask for
            path = Path(str(ctx.plan.path))
            for leftover in (path, *(Path(f"{path}-{x}") for x in ("wal", "shm"))):
                leftover.unlink(missing_ok=True)
        err = getattr(args, "err", None) or sys.stderr
        err.write(f"relman: {exc}\n")
        for problem in exc.problems:
            err.write(f"{problem}\n")
        return 2
    finally:
        ctx.plan.close()
    counts = ", ".join(
        f"{n} {name.replace('_', ' ')}" for name, n in summary.items() if isinstance(n, int) and n
    )
    out.write(f"imported {counts or 'nothing'} into {ctx.plan.location}\n")
    return 0


def cmd_export_plan(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.exports.plan_json import write_plan_file

    ctx = open_ctx(args)
    try:
        target = write_plan_file(ctx, args.file)
    finally:
        ctx.plan.close()
    out.write(f"exported the plan to {target}\n")
    return 0


#: a copy of at least this many rows reports its progress on stderr
PROGRESS_FROM_ROWS = 20_000


def cmd_plan_copy(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.cli import print_json
    from relman_desktop.models.transfer import copy_plan
    from relman_desktop.services import audit
    from relman_desktop.services.base import Ctx

    err = getattr(args, "err", None) or sys.stderr
    shown = [0]  # the last tenth reported

    def progress(done: int, total: int) -> None:
        """A line per tenth of a long copy (a 10,000-release plan is ~460,000 rows)."""
        tenth = done * 10 // total if total else 10
        if total >= PROGRESS_FROM_ROWS and tenth > shown[0]:
            shown[0] = tenth
            err.write(f"relman: copied {done:,} of {total:,} rows ({tenth * 10} %)\n")
            err.flush()

    result = copy_plan(
        args.source,
        args.target,
        replace=args.replace,
        verify=lambda plan: audit.verify(Ctx(plan)).problems,
        progress=progress,
    )
    if args.json:
        print_json(
            {
                "source": result.source,
                "target": result.target,
                "rows": result.rows,
                "audit_events": result.audit_events,
                "audit_verified": True,
            },
            out,
        )
        return 0
    releases = counted(result.rows.get("releases", 0), "release")
    rows = counted(sum(result.rows.values()), "row")
    events = counted(result.audit_events, "event")
    out.write(
        f"copied {result.source} to {result.target}: {releases}, {rows}; "
        f"audit trail of {events} verified\n"
    )
    return 0
