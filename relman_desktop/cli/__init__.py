"""``relman``: every service of the app, headless, for people and CI pipelines.

Each command group lives in its own module with ``register(subparsers)``; a command's handler
takes ``(args, out)`` and returns the exit status. A user's mistake ends with one line on
stderr and status 2; a refused transition with status 1; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO, cast

from relman_desktop.models.database import Database, is_server_url, open_database
from relman_desktop.models.planfile import PlanError, PlanNotWritable
from relman_desktop.services.base import Ctx, ServiceError, jsonable
from relman_desktop.services.text import for_terminal

# Modules that add commands. Each has ``register(subparsers) -> None``.
COMMAND_MODULES = [
    "relman_desktop.cli.plan_cmds",
    "relman_desktop.cli.gui_cmds",
    "relman_desktop.cli.calendar_cmds",
    "relman_desktop.cli.release_cmds",
    "relman_desktop.cli.kpi_cmds",
    "relman_desktop.cli.cab_cmds",
    "relman_desktop.cli.graph_cmds",
    "relman_desktop.cli.toolchain_cmds",
    "relman_desktop.cli.document_cmds",
    "relman_desktop.cli.maintenance_cmds",
    "relman_desktop.cli.interchange_cmds",
    "relman_desktop.cli.change_cmds",
    "relman_desktop.cli.team_cmds",
]

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
EXIT_BUG = 70  # EX_SOFTWARE: the program, not the input, is at fault


class UsageError(Exception):
    """A mistake on the command line (a missing file, a bad date): one line, exit 2."""


class _ArgumentError(Exception):
    """argparse refused the command line; main() prints it as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, through main()'s safe stream, instead of usage + error on raw stderr.
        raise _ArgumentError(f"{self.prog}: {message} (see '{self.prog} --help')")


class _SafeStream:
    """What the commands print, made safe for the terminal it lands on: escape sequences in
    titles or actor names are shown, not obeyed, and characters the terminal's encoding lacks
    (an arrow on an ISO-8859-1 console) degrade to '?' instead of a UnicodeEncodeError."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        encoding = getattr(stream, "encoding", None)
        self._encoding = encoding if isinstance(encoding, str) else None

    def write(self, text: str) -> int:
        return self._stream.write(for_terminal(text, self._encoding))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


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
    from relman_desktop.cli import values

    parser = _Parser(prog="relman", description="Release Manager Desktop, from the command line.")
    parser.add_argument(
        "--plan",
        metavar="FILE|URL",
        help="the plan file, or a server plan as postgresql://user@host:port/database "
        "(password from PGPASSWORD or ~/.pgpass; default: the plan in your data folder)",
    )
    parser.add_argument(
        "--actor",
        metavar="NAME",
        type=values.actor,
        help="who is acting, for the audit trail (default: your login)",
    )
    from relman_desktop.cli.maintenance_cmds import VersionAction

    parser.add_argument(
        "--version",
        action=VersionAction,
        help="versions, the plan's schema, where the log and backups are",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def plan_target(args: argparse.Namespace) -> str | Path | None:
    """What ``--plan`` names: a server URL as typed, a file as a path, or None (the default)."""
    if not args.plan:
        return None
    return str(args.plan) if is_server_url(args.plan) else Path(args.plan)


def open_ctx(args: argparse.Namespace, *, create: bool = False) -> Ctx:
    """The plan named by ``--plan``. A plan that cannot be written (a read-only medium, a full
    disk) is opened read-only: reading needs neither, and a write is refused with the reason."""
    target = plan_target(args)
    try:
        plan: Database = open_database(target, create=create)
    except PlanNotWritable as exc:
        if create:
            raise
        plan = open_database(target, read_only=True)
        plan.why_read_only = str(exc).rstrip(".")
    ctx = Ctx(plan)
    if getattr(args, "actor", None):
        ctx.actor = args.actor
    _contexts.append(ctx)
    return ctx


_contexts: list[Ctx] = []  # this run's: their notices (a rule skipped) are printed at the end


def _print_notices(err: TextIO) -> None:
    for ctx in _contexts:
        for notice in dict.fromkeys(ctx.notices):
            err.write(f"relman: note: {notice}\n")
        ctx.plan.close()  # a command that failed half-way still lets go of its connections
    _contexts.clear()


def print_json(data: Any, out: TextIO) -> None:
    json.dump(jsonable(data), out, indent=2, ensure_ascii=False)
    out.write("\n")


def describe_os_error(exc: OSError) -> str:
    """One line for a file-system refusal that no service turned into a message itself."""
    import errno

    reasons = {
        errno.ENAMETOOLONG: "the name is longer than the file system allows",
        errno.ENOSPC: "the disk is full",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied (read-only folder or file?)",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    name = str(exc.filename or "")
    if len(name) > 80:
        name = name[:77] + "…"
    return f"{name}: {reason}" if name else reason


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = cast(TextIO, _SafeStream(out or sys.stdout))
    err = cast(TextIO, _SafeStream(err or sys.stderr))
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    except _ArgumentError as exc:
        err.write(f"{exc}\n")
        return EXIT_USAGE
    handler: Callable[[argparse.Namespace, TextIO], int] = args.handler
    args.err = err  # handlers that print several lines of refusal write them here
    _contexts.clear()
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
    except OSError as exc:  # the file system refused (a name too long, a read-only folder)
        err.write(f"relman: {describe_os_error(exc)}\n")
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the promise is one line, even for the unforeseen
        if os.environ.get("RELMAN_TRACEBACK"):
            raise
        damaged = _damage_of(args, exc)
        if damaged:
            err.write(f"relman: {damaged}\n")
            return EXIT_USAGE
        reason = " ".join(str(exc).split())[:200]
        err.write(
            f"relman: internal error ({type(exc).__name__}: {reason}); this is a bug, please "
            "report it (RELMAN_TRACEBACK=1 shows where)\n"
        )
        return EXIT_BUG
    finally:
        _print_notices(err)


def _damage_of(args: argparse.Namespace, exc: Exception) -> str | None:
    """When a command failed in a way no check foresaw, is the plan file damaged? SQLite's
    quick_check says, and a damaged plan is the user's to restore, not a bug to report."""
    from relman_desktop.models.planfile import quick_check

    target = plan_target(args) if getattr(args, "plan", None) else None
    path = target.expanduser() if isinstance(target, Path) else None
    if path is None or not path.is_file():
        return None
    verdict = quick_check(path)
    if verdict == "ok":
        if isinstance(exc, LookupError) and "not among the defined enum values" in str(exc):
            value = " ".join(str(exc).split())[:120]
            return f"{path.name} holds a value this version does not know ({value}); it was damaged or edited by hand"
        return None
    return (
        f"{path.name} is damaged ({' '.join(str(verdict).split())[:120]}); restore it from a backup"
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
