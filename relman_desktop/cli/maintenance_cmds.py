"""Keeping a plan safe and saying what runs: ``backup``, ``backups``, ``restore``, ``version``
(and the top-level ``relman --version``).

Backups go to the backup folder (``services.backups``); a restore always writes a new file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from relman_desktop.cli import print_json
from relman_desktop.models.database import is_server_url
from relman_desktop.models.planfile import PlanError, default_plan_path
from relman_desktop.services import backups, diagnostics
from relman_desktop.services.text import counted


def register(sub: Any) -> None:
    p = sub.add_parser("backup", help="take a backup of the plan now (into the backup folder)")
    p.add_argument(
        "--keep",
        type=int,
        default=backups.DEFAULT_KEEP,
        metavar="K",
        help=f"automatic backups to keep besides one a day for a week (default {backups.DEFAULT_KEEP})",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("backups", help="list the plan's backups, newest first")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_backups)

    p = sub.add_parser(
        "restore", help="restore a backup into a NEW plan file (never over an existing one)"
    )
    p.add_argument("backup", metavar="BACKUP", help="the backup file (see 'relman backups')")
    p.add_argument("new_file", metavar="NEWFILE", help="the plan file to create")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser(
        "version",
        help="the app's, Python's, Qt's and SQLite's versions, the plan's schema, "
        "where the log and backups are",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_version)


def _plan_path(args: argparse.Namespace) -> Path:
    if is_server_url(getattr(args, "plan", None)):
        raise PlanError(
            "backups here are of plan files; a plan on a server is backed up by the server "
            "(pg_dump), or copied to a file with 'relman plan copy URL FILE'"
        )
    return (
        Path(args.plan).expanduser().absolute()
        if getattr(args, "plan", None)
        else default_plan_path()
    )


def _backup_json(b: backups.Backup) -> dict[str, Any]:
    return {
        "path": str(b.path),
        "taken_at": b.taken_at.isoformat(),
        "reason": b.reason,
        "size": b.size,
        "releases": b.releases,
        "schema": b.revision,
        "problem": b.problem,
    }


def cmd_backup(args: argparse.Namespace, out: TextIO) -> int:
    b = backups.take_backup(_plan_path(args), reason="manual", keep=args.keep)
    if args.json:
        print_json(_backup_json(b), out)
    else:
        out.write(f"backup written to {b.path}\n")
    return 0


def cmd_backups(args: argparse.Namespace, out: TextIO) -> int:
    plan = _plan_path(args)
    found = backups.list_backups(plan, count=True)
    if args.json:
        print_json(
            {
                "plan": str(plan),
                "folder": str(backups.backup_folder(plan)),
                "backups": [_backup_json(b) for b in found],
            },
            out,
        )
        return 0
    if not found:
        out.write(f"no backups of {plan.name} yet (they go to {backups.backup_folder(plan)})\n")
        return 0
    for b in found:
        what = counted(b.releases, "release") if b.releases is not None else ""
        out.write(
            f"{b.taken_at:%Y-%m-%d %H:%M:%S}  {b.reason:<6}  {what:<14}  {b.path}"
            f"{'  (' + b.problem + ')' if b.problem else ''}\n"
        )
    return 0


def cmd_restore(args: argparse.Namespace, out: TextIO) -> int:
    info = backups.check_restorable(Path(args.backup))
    target = backups.restore(info.path, Path(args.new_file))
    if args.json:
        print_json(
            {
                "backup": str(info.path),
                "plan": str(target),
                "releases": info.releases,
                "schema": info.revision,
            },
            out,
        )
    else:
        held = f" ({counted(info.releases, 'release')})" if info.releases is not None else ""
        out.write(f"restored {info.path.name}{held} into {target}\n")
    return 0


def qt_version() -> str | None:
    """PySide6's version (Qt's is the same) from the installed package's metadata: the command
    line never loads Qt itself, nor needs a display, to say which one it would use."""
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("PySide6-Essentials", "PySide6"):
        try:
            return f"{version(dist)} ({dist})"
        except PackageNotFoundError:
            continue
    return None


def facts(args: argparse.Namespace) -> diagnostics.AboutFacts:
    if is_server_url(getattr(args, "plan", None)):
        return diagnostics.about_facts(None, qt=qt_version())
    plan = _plan_path(args)
    return diagnostics.about_facts(plan if plan.exists() else None, qt=qt_version())


def cmd_version(args: argparse.Namespace, out: TextIO) -> int:
    about = facts(args)
    if args.json:
        print_json(about.as_dict(), out)
    else:
        width = max(len(k) for k, _ in about.lines())
        for label, value in about.lines():
            out.write(f"{label:<{width}}  {value}\n")
    return 0


class VersionAction(argparse.Action):
    """``relman --version`` (``--plan FILE`` before it names the plan whose schema is shown)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        namespace.json = False
        try:
            cmd_version(namespace, sys.stdout)
        except BrokenPipeError:
            pass
        parser.exit(0)
