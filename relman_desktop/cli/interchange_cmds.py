"""Interchange with other tools: `import msproject|gantt|ics|changes`, `export msproject`.

Every import reads the whole file first (a bad file creates no plan and writes nothing), then
prints what it would do — the shared ImportPreview — and, unless ``--dry-run``, applies it in
one transaction. ``--json`` prints the preview as JSON (docs/cli.md) instead of lines.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from relman_desktop.cli import group, open_ctx, plan_target, print_json
from relman_desktop.importers.preview import ImportPreview
from relman_desktop.services.text import counted


def register(sub: Any) -> None:
    imports = group(sub, "import", "read a file into the plan")
    p = imports.add_parser(
        "msproject", help="a Microsoft Project XML (MSPDI) file's tasks into a release"
    )
    p.add_argument(
        "file", metavar="FILE", help="the .xml file saved by Project, ProjectLibre, MPXJ…"
    )
    _schedule_args(p)
    p.set_defaults(handler=cmd_import_msproject)
    p = imports.add_parser(
        "gantt", help="a GanttProject .gan (or GNOME Planner .planner) file's tasks into a release"
    )
    p.add_argument("file", metavar="FILE", help="the .gan or .planner file")
    _schedule_args(p)
    p.set_defaults(handler=cmd_import_gantt)
    p = imports.add_parser(
        "ics", help="calendar events (.ics) as maintenance, freeze, holiday or event windows"
    )
    p.add_argument(
        "file", metavar="FILE", help="the .ics file (Outlook, Google, Thunderbird, Confluence…)"
    )
    p.add_argument(
        "--as",
        dest="kind",
        required=True,
        choices=["maintenance", "freeze", "holiday", "event"],
        help="what the events become",
    )
    p.add_argument(
        "--ci",
        action="append",
        default=[],
        metavar="NAME",
        help="scope the windows to this CI (repeat for several; default: everything)",
    )
    p.add_argument(
        "--soft", action="store_true", help="make the windows soft (warnings, not errors)"
    )
    p.add_argument(
        "--from",
        dest="since",
        metavar="YYYY-MM-DD",
        help="first day to take occurrences of recurring events from (default: a year ago)",
    )
    p.add_argument(
        "--until",
        metavar="YYYY-MM-DD",
        help="last day of recurring occurrences (default: two years from today)",
    )
    _preview_args(p)
    p.set_defaults(handler=cmd_import_ics)
    p = imports.add_parser(
        "changes", help="changes from a Jira or ServiceNow export (.csv or .xlsx)"
    )
    p.add_argument("file", metavar="FILE", help="the .csv or .xlsx file")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=field",
        help="read COLUMN as this change field (repeat; see docs/interchange.md)",
    )
    p.add_argument(
        "--release", metavar="KEY", help="bundle every imported change into this release"
    )
    _preview_args(p)
    p.set_defaults(handler=cmd_import_changes)

    exports = group(sub, "export", "write a document or file from the plan")
    p = exports.add_parser("msproject", help="a release's tasks as Microsoft Project XML (MSPDI)")
    p.add_argument("key", metavar="KEY", help="the release")
    p.add_argument("file", metavar="FILE", help="the .xml file to write (replaced atomically)")
    p.set_defaults(handler=cmd_export_msproject)


def _preview_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="show what would happen; write nothing")
    p.add_argument("--json", action="store_true", help="print the preview as JSON")


def _schedule_args(p: argparse.ArgumentParser) -> None:
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--release", metavar="KEY", help="import into this release (re-import updates)"
    )
    target.add_argument(
        "--new-release",
        action="store_true",
        help="create a release named after the project, dated by its tasks",
    )
    _preview_args(p)


def report(
    preview: ImportPreview, args: argparse.Namespace, out: TextIO, *, applied: bool, **extra: Any
) -> int:
    if args.json:
        print_json({**preview.as_json(), "applied": applied, **extra}, out)
        return 0
    for row in preview.rows:
        text = f"{row.action:<7} {row.kind:<10} {row.key}"
        if row.title:
            text += f" — {row.title}"
        if row.reason:
            text += f" ({row.reason})"
        out.write(text + "\n")
    for warning in preview.warnings:
        out.write(f"warning: {warning}\n")
    verb = "would import" if not applied else "imported"
    where = f" into {extra['release']}" if extra.get("release") else ""
    out.write(f"{verb} {preview.source}{where}: {preview.summary()}\n")
    return 0


@contextlib.contextmanager
def _plan_for_import(args: argparse.Namespace) -> Iterator[Any]:
    """The plan to import into, created when absent unless this is a dry run; a refused import
    leaves no plan behind that the user did not ask for."""
    target = plan_target(args)
    path = target.expanduser() if isinstance(target, Path) else None
    new_plan = path is not None and not path.exists()
    ctx = open_ctx(args, create=not args.dry_run)
    try:
        yield ctx
    except BaseException:
        ctx.plan.close()
        if new_plan and path is not None:
            for leftover in (path, *(Path(f"{ctx.plan.path}-{x}") for x in ("wal", "shm"))):
                leftover.unlink(missing_ok=True)
        raise
    else:
        ctx.plan.close()


def _import_schedule(args: argparse.Namespace, out: TextIO, schedule: Any) -> int:
    from relman_desktop.importers.schedule import (
        apply_schedule,
        new_release_fields,
        preview_schedule,
    )

    schedule.check_loops()  # before opening: a refused file creates no plan
    with _plan_for_import(args) as ctx:
        new_release = new_release_fields(ctx, schedule) if args.new_release else None
        plan = preview_schedule(ctx, schedule, release_key=args.release, new_release=new_release)
        key = new_release["key"] if new_release else args.release
        if not args.dry_run:
            apply_schedule(ctx, plan)
    return report(plan.preview, args, out, applied=not args.dry_run, release=key)


def cmd_import_msproject(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.importers.msproject import read_mspdi

    return _import_schedule(args, out, read_mspdi(args.file))


def cmd_import_gantt(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.importers.ganttproject import read_schedule

    return _import_schedule(args, out, read_schedule(args.file))


def cmd_export_msproject(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.exports.msproject import write_mspdi

    ctx = open_ctx(args)
    try:
        target, count = write_mspdi(ctx, args.key, args.file)
    finally:
        ctx.plan.close()
    out.write(f"exported {counted(count, 'task')} of {args.key} to {target}\n")
    return 0


def cmd_import_ics(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.importers.ics_windows import apply_windows, preview_windows, read_ics
    from relman_desktop.services.base import ValidationError

    def day(text: str | None, flag: str) -> Any:
        import datetime as dt

        if text is None:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(f"{flag} {text!r} is not a date (YYYY-MM-DD)") from None

    since, until = day(args.since, "--from"), day(args.until, "--until")
    feed = read_ics(args.file)  # before opening: a refused file creates no plan
    with _plan_for_import(args) as ctx:
        plan = preview_windows(
            ctx, feed, kind=args.kind, cis=args.ci, hard=not args.soft, since=since, until=until
        )
        if not args.dry_run:
            apply_windows(ctx, plan)
    return report(plan.preview, args, out, applied=not args.dry_run, release=None)


def cmd_import_changes(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.importers.tracker_changes import (
        apply_changes,
        parse_mapping,
        preview_changes,
        read_table,
    )

    mapping = parse_mapping(args.map)
    table = read_table(args.file, mapping)  # before opening: a refused file creates no plan
    with _plan_for_import(args) as ctx:
        plan = preview_changes(ctx, table, release_key=args.release)
        if not args.dry_run:
            apply_changes(ctx, plan)
    return report(plan.preview, args, out, applied=not args.dry_run, release=args.release)
