"""Foundation commands: init, demo, releases, show, transition, import/export plan, audit."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from relman_desktop.cli import group, open_ctx


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


def cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    ctx = open_ctx(args, create=True)
    out.write(f"plan ready: {ctx.plan.path}\n")
    ctx.plan.close()
    return 0


def cmd_import_plan(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.importers.plan_json import import_plan, load_plan_file
    from relman_desktop.services.base import ValidationError

    data = load_plan_file(args.file)  # before opening: a bad file creates no plan
    new_plan = bool(args.plan) and not Path(args.plan).expanduser().exists()
    ctx = open_ctx(args, create=True)
    try:
        summary = import_plan(ctx, data)
    except ValidationError as exc:
        ctx.plan.close()
        if new_plan:  # refused: leave no empty plan behind that the user did not ask for
            for leftover in (
                ctx.plan.path,
                *(Path(f"{ctx.plan.path}-{x}") for x in ("wal", "shm")),
            ):
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
    out.write(f"imported {counts or 'nothing'} into {ctx.plan.path}\n")
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
