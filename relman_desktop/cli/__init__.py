"""``relman``: every service of the app, headless, for people and CI pipelines.

Each command group lives in its own module with ``register(subparsers)``; a command's handler
takes ``(args, out)`` and returns the exit status. A user's mistake ends with one line on
stderr and status 2; a refused transition with status 1; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from relman_desktop.models.planfile import Plan, PlanError, open_plan
from relman_desktop.services.base import Ctx, ServiceError, jsonable

# Modules that add commands. Each has ``register(subparsers) -> None``.
COMMAND_MODULES = [
    "relman_desktop.cli.plan_cmds",
    "relman_desktop.cli.gui_cmds",
    "relman_desktop.cli.calendar_cmds",
    "relman_desktop.cli.release_cmds",
    "relman_desktop.cli.kpi_cmds",
    "relman_desktop.cli.cab_cmds",
    "relman_desktop.cli.graph_cmds",
    "relman_desktop.cli.interchange_cmds",
]

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A mistake on the command line (a missing file, a bad date): one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exit code is 2 as well
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"relman: error: {message}\n")


def group(sub: Any, name: str, help: str) -> Any:
    """The shared sub-command group ``relman NAME …`` (``export``, ``import``, ``screenshot``),
    created by whichever module asks first, so every module can add its own kinds to it."""
    groups: dict[str, Any] = sub.__dict__.setdefault("_relman_groups", {})
    if name not in groups:
        parser = sub.add_parser(name, help=help)
        kinds = parser.add_subparsers(dest=f"{name}_kind", metavar="KIND", parser_class=_Parser)
        kinds.required = True
        groups[name] = kinds
    return groups[name]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="relman", description="Release Manager Desktop, from the command line.")
    parser.add_argument("--plan", metavar="FILE", help="the plan file (default: the plan in your data folder)")
    parser.add_argument("--actor", metavar="NAME", help="who is acting, for the audit trail (default: your login)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def open_ctx(args: argparse.Namespace, *, create: bool = False) -> Ctx:
    plan: Plan = open_plan(Path(args.plan) if args.plan else None, create=create)
    ctx = Ctx(plan)
    if getattr(args, "actor", None):
        ctx.actor = args.actor
    return ctx


def print_json(data: Any, out: TextIO) -> None:
    json.dump(jsonable(data), out, indent=2, ensure_ascii=False)
    out.write("\n")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    handler: Callable[[argparse.Namespace, TextIO], int] = args.handler
    args.err = err  # handlers that print several lines of refusal write them here
    try:
        return handler(args, out)
    except (PlanError, ServiceError, UsageError) as exc:
        err.write(f"relman: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write("relman: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
