"""CAB commands: ``cab list|new|show|decide|undo|close`` and ``export minutes MEETING FILE``.

Times on the command line without a zone are read in the plan's time zone (its ``timezone``
setting) or, when the plan has none, in the user's local zone; they are stored in UTC.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from relman_desktop.cli import UsageError, _Parser, group, open_ctx, print_json
from relman_desktop.cli.values import record_id
from relman_desktop.services import limits
from relman_desktop.services.text import counted


def register(sub: Any) -> None:
    p = sub.add_parser("cab", help="Change Advisory Board meetings")
    kinds = p.add_subparsers(dest="cab_command", metavar="ACTION", parser_class=_Parser)
    kinds.required = True

    c = kinds.add_parser("list", help="the meetings, latest first")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(handler=cmd_list)

    c = kinds.add_parser("new", help="a new meeting; prints its id and its (frozen) agenda")
    c.add_argument(
        "--date",
        metavar="YYYY-MM-DD[THH:MM]",
        help="when it is held (default now; a date alone is 10:00)",
    )
    c.add_argument(
        "--cutoff",
        metavar="YYYY-MM-DD[THH:MM]",
        help="when the agenda freezes (default now, or the meeting time if that is earlier; "
        "a date alone is 00:00)",
    )
    c.add_argument("--chair", metavar="EMAIL", help="who chairs the meeting")
    c.add_argument(
        "--title", metavar="TEXT", help="the meeting's title (default: CAB and the date)"
    )
    c.add_argument(
        "--attendee",
        metavar="EMAIL",
        action="append",
        help="an attendee (repeat; default: everyone with the CAB-member role)",
    )
    c.add_argument(
        "--apologies",
        metavar="EMAIL",
        action="append",
        default=[],
        help="an invited person who sent apologies: absent, excused (repeat)",
    )
    c.add_argument(
        "--item",
        metavar="KEY",
        action="append",
        help="a release to put on the agenda (repeat; default: every eligible release)",
    )
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(handler=cmd_new)

    c = kinds.add_parser("show", help="one meeting: attendees and agenda with decisions")
    c.add_argument("meeting", type=record_id, metavar="MEETING", help="the meeting id")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(handler=cmd_show)

    c = kinds.add_parser("decide", help="record the board's decision on an agenda item")
    c.add_argument("meeting", type=record_id, metavar="MEETING", help="the meeting id")
    c.add_argument("key", metavar="KEY", help="the release on the agenda")
    c.add_argument("decision", metavar="DECISION", help="approve, reject, defer or more_info")
    c.add_argument(
        "--rationale", metavar="TEXT", help="why (required for reject, defer and more_info)"
    )
    c.add_argument("--conditions", metavar="TEXT", help="conditions attached to the decision")
    c.set_defaults(handler=cmd_decide)

    c = kinds.add_parser("undo", help="take back the meeting's last decision")
    c.add_argument("meeting", type=record_id, metavar="MEETING", help="the meeting id")
    c.set_defaults(handler=cmd_undo)

    c = kinds.add_parser("close", help="end the meeting (undecided items go to the next one)")
    c.add_argument("meeting", type=record_id, metavar="MEETING", help="the meeting id")
    c.set_defaults(handler=cmd_close)

    export = group(sub, "export", "write a document or file from the plan")
    e = export.add_parser("minutes", help="the minutes of a CAB meeting as a Word (.docx) document")
    e.add_argument(
        "meeting", type=record_id, metavar="MEETING", help="the meeting id (see: relman cab list)"
    )
    e.add_argument("file", metavar="FILE", help="the .docx file to write (replaced if it exists)")
    e.set_defaults(handler=cmd_export_minutes)

    # ``relman screenshot cab OUT.png``: load the presenter's page and screenshot registration first.
    shots = group(sub, "screenshot", "render a view of the app to a PNG (offscreen)")
    cab_shot = shots.choices.get("cab")
    if cab_shot is not None:
        cab_shot.set_defaults(handler=cmd_screenshot_cab)


def parse_time(text: str, zone: ZoneInfo | None, *, default_hour: int) -> dt.datetime:
    """``text`` as an aware UTC time; without a zone it is read in ``zone`` (the plan's) or,
    when that is None, in the user's local time zone."""
    value = text.strip()
    if value.lower() == "now":
        return dt.datetime.now(dt.UTC)
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            if problem := limits.date_problem(day):
                raise UsageError(problem)
            parsed = dt.datetime.combine(day, dt.time(default_hour))
        else:
            parsed = dt.datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        raise UsageError(f"{text!r} is not a date like 2026-12-01 or 2026-12-01T14:00") from None
    if parsed.tzinfo is None:
        wall = parsed
        # astimezone() on a naive time reads it as the system's local time
        parsed = parsed.replace(tzinfo=zone) if zone is not None else parsed.astimezone()
        back = parsed.astimezone(dt.UTC).astimezone(zone)  # zone None: the local zone
        if back.replace(tzinfo=None) != wall:
            from relman_desktop.services.plan_zone import zone_label

            name = zone_label(zone) if zone is not None else (back.tzname() or "your time zone")
            raise UsageError(
                f"{text!r} does not exist in {name}: the clocks skip that time (summer time "
                "begins); choose another time, or add the UTC offset you mean (e.g. +01:00)"
            )
    if problem := limits.date_problem(parsed):
        raise UsageError(problem)
    return parsed.astimezone(dt.UTC)


def input_zone(ctx: Any) -> ZoneInfo | None:
    """The zone a time typed without one is read in: the plan's, if it names one."""
    from relman_desktop.models.entities import PlanMeta
    from relman_desktop.services import cab

    with ctx.read() as s:
        named = s.get(PlanMeta, "timezone")
    return cab.display_zone(ctx) if named is not None and named.value else None


def _when(value: dt.datetime, zone: ZoneInfo) -> str:
    from relman_desktop.services.plan_zone import zone_label

    return f"{value.astimezone(zone):%Y-%m-%d %H:%M} {zone_label(zone)}"


def _meeting_json(m: Any) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(m)
    data["frozen"] = m.frozen
    return data


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import cab

    ctx = open_ctx(args)
    try:
        rows = cab.list_meetings(ctx)
        zone = cab.display_zone(ctx)
    finally:
        ctx.plan.close()
    if args.json:
        from dataclasses import asdict

        print_json([asdict(r) for r in rows], out)
        return 0
    if not rows:
        out.write("no CAB meetings in this plan (relman cab new makes one)\n")
        return 0
    table = [("ID", "HELD AT", "STATUS", "AGENDA", "DECIDED", "CHAIR", "TITLE")]
    for r in rows:
        agenda = f"{r.items}" if r.frozen else f"{r.items} (provisional)"
        table.append(
            (
                str(r.id),
                _when(r.held_at, zone),
                r.status,
                agenda,
                str(r.decided),
                r.chair_name or "—",
                r.title,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    for row in table:
        out.write(
            "  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=False))
            + "  "
            + row[-1]
            + "\n"
        )
    return 0


def _print_meeting(m: Any, zone: ZoneInfo, out: TextIO) -> None:
    from relman_desktop.services.cab import decision_word

    out.write(f"meeting {m.id}: {m.title}\n")
    out.write(f"  held at {_when(m.held_at, zone)}, chair {m.chair_name or '—'}, {m.status}\n")
    frozen = "frozen" if m.frozen else "provisional until the cut-off"
    out.write(f"  agenda {frozen} at {_when(m.cutoff_at, zone)}: {counted(len(m.items), 'item')}\n")
    present = [a.name for a in m.attendees if a.present]
    sorry = [a.name for a in m.attendees if not a.present and a.apologies]
    absent = [a.name for a in m.attendees if not a.present and not a.apologies]
    out.write(f"  present: {', '.join(present) or '—'}\n")
    if sorry:
        out.write(f"  apologies: {', '.join(sorry)}\n")
    if absent:
        out.write(f"  absent: {', '.join(absent)}\n")
    for i in m.items:
        line = f"  {i.position + 1:>2}. {i.release_key}  {i.risk:<8} {i.release_title}"
        if i.decision:
            line += f"  → {decision_word(i.decision)}"
            if i.rationale:
                line += f": {i.rationale}"
        out.write(line + "\n")


def cmd_new(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import cab

    ctx = open_ctx(args)
    try:
        zone = cab.display_zone(ctx)
        typed_in = input_zone(ctx)
        held = parse_time(args.date, typed_in, default_hour=10) if args.date else None
        cutoff = parse_time(args.cutoff, typed_in, default_hour=0) if args.cutoff else None
        if cutoff is None and held is not None:
            cutoff = min(held, ctx.now())
        meeting = cab.create_meeting(
            ctx,
            held_at=held,
            cutoff_at=cutoff,
            chair=args.chair,
            title=args.title,
            attendees=args.attendee,
            apologies=args.apologies,
            releases=args.item,
        )
    finally:
        ctx.plan.close()
    if args.json:
        print_json(_meeting_json(meeting), out)
    else:
        _print_meeting(meeting, zone, out)
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import cab

    ctx = open_ctx(args)
    try:
        meeting = cab.get_meeting(ctx, args.meeting)
        zone = cab.display_zone(ctx)
    finally:
        ctx.plan.close()
    if args.json:
        print_json(_meeting_json(meeting), out)
    else:
        _print_meeting(meeting, zone, out)
    return 0


def cmd_decide(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import cab

    ctx = open_ctx(args)
    try:
        row = cab.record_decision(
            ctx, args.meeting, args.key, args.decision, args.rationale, args.conditions
        )
    finally:
        ctx.plan.close()
    out.write(
        f"{row.release_key}: {cab.decision_word(row.decision)}; CAB stage {row.cab_stage_status or '—'}\n"
    )
    return 0


def cmd_undo(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import cab

    ctx = open_ctx(args)
    try:
        rows = cab.undo_last_decision(ctx, args.meeting)
    finally:
        ctx.plan.close()
    if not rows:
        out.write("nothing to undo\n")
    for r in rows:
        out.write(f"{r.release_key}: back to {cab.decision_word(r.decision).lower()}\n")
    return 0


def cmd_close(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import cab

    ctx = open_ctx(args)
    try:
        m = cab.close_meeting(ctx, args.meeting)
    finally:
        ctx.plan.close()
    out.write(f"meeting {m.id} closed: {m.decided} of {counted(len(m.items), 'item')} decided\n")
    return 0


def cmd_export_minutes(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.exports.cab_minutes import export_minutes

    ctx = open_ctx(args)
    try:
        path = export_minutes(ctx, args.meeting, args.file)
    finally:
        ctx.plan.close()
    out.write(f"wrote {path}\n")
    return 0


def cmd_screenshot_cab(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.cli.gui_cmds import cmd_screenshot

    return int(cmd_screenshot(args, out))
