"""Release commands: releases, show, transition, demo, audit verify.

``--json`` shapes are a contract for pipelines (docs/cli.md): fields may be added, never
renamed or re-typed.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from relman_desktop.cli import EXIT_REFUSED, open_ctx, print_json
from relman_desktop.cli.values import whole_number
from relman_desktop.services.base import GuardRefused, ValidationError, jsonable
from relman_desktop.services.text import counted


def register(sub: Any) -> None:
    p = sub.add_parser("releases", help="list the releases of the plan")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_releases)

    p = sub.add_parser("show", help="show one release")
    p.add_argument("key")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("transition", help="move a release to another workflow state")
    p.add_argument("key")
    p.add_argument("state", help='the target state, e.g. "Awaiting Approval"')
    p.add_argument("--reason", help="override unmet soft guards with this written reason")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_transition)

    p = sub.add_parser("demo", help="fill a new plan with a realistic demo plan")
    p.add_argument(
        "--releases",
        type=whole_number(1, 100_000),
        default=40,
        metavar="N",
        help="how many releases (default 40)",
    )
    p.add_argument(
        "--seed",
        type=whole_number(0, 2**32 - 1),
        default=1,
        metavar="S",
        help="random seed (default 1)",
    )
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("audit", help="the audit trail")
    kinds = p.add_subparsers(dest="audit_kind", metavar="ACTION")
    kinds.required = True
    v = kinds.add_parser(
        "verify", help="check that no audit event was edited, removed or reordered"
    )
    v.add_argument("--json", action="store_true")
    v.add_argument(
        "--against",
        metavar="HASH",
        type=_head_hash,
        help="a head hash recorded earlier (relman audit head): prove the history up to it is unchanged",
    )
    v.set_defaults(handler=cmd_audit_verify)
    hd = kinds.add_parser(
        "head", help="the hash of the trail's last event, to keep outside the plan"
    )
    hd.add_argument("--json", action="store_true")
    hd.set_defaults(handler=cmd_audit_head)
    h = kinds.add_parser("log", help="print the audit trail, newest first")
    h.add_argument("--release", metavar="KEY")
    h.add_argument(
        "--limit",
        type=whole_number(1, 10_000_000),
        default=50,
        metavar="N",
        help="at most N events (default 50)",
    )
    h.add_argument(
        "--words",
        action="store_true",
        help="each event as a sentence, as the History tab shows it (overrides marked)",
    )
    h.set_defaults(handler=cmd_audit_log)


def release_json(row: Any) -> dict[str, Any]:
    return {
        "key": row.key,
        "title": row.title,
        "version": row.version,
        "type": row.type,
        "priority": row.priority,
        "risk": row.risk,
        "status": row.status,
        "status_role": row.status_role,
        "application": row.application,
        "manager": row.manager_email,
        "planned_start": jsonable(row.planned_start),
        "planned_end": jsonable(row.planned_end),
        "deployment_window": (
            {"start": jsonable(row.deploy_start), "end": jsonable(row.deploy_end)}
            if row.deploy_start
            else None
        ),
    }


def cmd_releases(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import releases

    ctx = open_ctx(args)
    rows = releases.list_releases(ctx)
    if args.json:
        print_json([release_json(r) for r in rows], out)
        return 0
    if not rows:
        out.write("no releases in this plan\n")
        return 0
    table: list[tuple[str, ...]] = [("KEY", "STATUS", "TYPE", "RISK", "PLANNED", "TITLE")]
    for r in rows:
        planned = (
            f"{r.planned_start or '?'} → {r.planned_end or '?'}"
            if (r.planned_start or r.planned_end)
            else ""
        )
        table.append((r.key, r.status, r.type, r.risk, planned, r.title))
    _print_table(table, out)
    return 0


def _print_table(rows: list[tuple[str, ...]], out: TextIO) -> None:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        out.write(
            "  ".join(str(c).ljust(w) for c, w in zip(r[:-1], widths, strict=False))
            + "  "
            + str(r[-1])
            + "\n"
        )


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import changes, lifecycle, releases, tasks

    ctx = open_ctx(args)
    d = releases.get_release(ctx, args.key)
    task_rows = tasks.list_tasks(ctx, args.key)
    change_rows = changes.list_changes(ctx, args.key)
    options = lifecycle.available_transitions(ctx, args.key)
    checks = [lifecycle.can_transition(ctx, args.key, o.to_state) for o in options]
    data = {
        **release_json(d),
        "manager_name": d.manager,
        "scope": d.scope,
        "objectives": d.objectives,
        "actual_start": jsonable(d.actual_start),
        "actual_end": jsonable(d.actual_end),
        "strategy": {"kind": d.strategy, "waves": d.waves} if d.strategy else None,
        "rollback": {
            "plan": d.rollback_plan,
            "duration_minutes": d.rollback_minutes,
            "rehearsed_on": jsonable(d.rollback_rehearsed_on),
        },
        "communication_plan": d.communication_plan,
        "implementation_plan": d.implementation_plan,
        "required_tests": d.required_tests,
        "parent": d.parent,
        "template": d.template,
        "closure_code": d.closure_code,
        "changes": [{"key": c.key, "title": c.title, "approval": c.approval} for c in change_rows],
        "depends_on": d.depends_on,
        "dependents": d.dependents,
        "tasks": {
            "total": len(task_rows),
            "done": sum(1 for t in task_rows if t.status in ("done", "cancelled")),
        },
        "next_states": [
            {
                "state": c.to_state,
                "allowed": c.allowed,
                "unmet": [
                    {
                        "guard": u.guard,
                        "param": u.param,
                        "soft": u.soft,
                        "messages": list(u.messages),
                    }
                    for u in c.unmet
                ],
            }
            for c in checks
        ],
    }
    if args.json:
        print_json(data, out)
        return 0
    out.write(f"{d.key}  {d.title}" + (f"  (version {d.version})" if d.version else "") + "\n")
    lines = [
        ("Status", d.status),
        ("Type / risk / priority", f"{d.type} / {d.risk} / {d.priority}"),
        ("Application", d.application or "—"),
        ("Release manager", f"{d.manager} <{d.manager_email}>" if d.manager_email else "—"),
        ("Planned", f"{d.planned_start or '?'} → {d.planned_end or '?'}"),
        (
            "Deployment window",
            f"{jsonable(d.deploy_start)} → {jsonable(d.deploy_end)}" if d.deploy_start else "—",
        ),
        ("Strategy", d.strategy or "—"),
        ("Rollback", f"{d.rollback_minutes} min: {d.rollback_plan}" if d.rollback_plan else "—"),
        ("Changes", ", ".join(f"{c.key} ({c.approval})" for c in change_rows) or "—"),
        ("Depends on", ", ".join(x["release"] for x in d.depends_on) or "—"),
        ("Tasks", f"{data['tasks']['done']} of {data['tasks']['total']} done"),
    ]
    width = max(len(k) for k, _ in lines)
    for k, v in lines:
        out.write(f"  {k.ljust(width)}  {v}\n")
    for c in checks:
        mark = "ready" if c.allowed else "blocked"
        out.write(f"  → {c.to_state}: {mark}\n")
        for u in c.unmet:
            for m in u.messages:
                out.write(f"      - {m}{' (soft)' if u.soft else ''}\n")
    return 0


def cmd_transition(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import lifecycle

    ctx = open_ctx(args)
    if args.reason is not None and not args.reason.strip():
        raise ValidationError("--reason must say why the guards are overridden; it is empty")
    try:
        new_state = lifecycle.transition(ctx, args.key, args.state, reason=args.reason)
    except GuardRefused as refused:
        err = args.err
        if args.json:
            print_json(
                {
                    "key": args.key,
                    "state": args.state,
                    "allowed": False,
                    "unmet": [
                        {
                            "guard": u.guard,
                            "param": u.param,
                            "soft": u.soft,
                            "messages": list(u.messages),
                        }
                        for u in refused.unmet
                    ],
                },
                out,
            )
        binding = [u.binding for u in refused.unmet if getattr(u, "binding", "")]
        if args.reason is not None and binding:  # an override asked for that cannot be given
            err.write(
                f"relman: {args.key} cannot move to {args.state}, not even with --reason: "
                f"{'; '.join(binding)}\n"
            )
            return EXIT_REFUSED
        err.write(f"relman: {args.key} cannot move to {args.state}:\n")
        for u in refused.unmet:
            for m in u.messages:
                hint = " (soft: --reason overrides it)" if u.soft and args.reason is None else ""
                err.write(f"  - {m}{hint}\n")
            if u.binding:
                err.write(f"  {u.title} cannot be overridden: {u.binding}\n")
        return EXIT_REFUSED
    if args.json:
        print_json({"key": args.key, "state": new_state, "allowed": True, "unmet": []}, out)
    else:
        out.write(f"{args.key} is now {new_state}\n")
    return 0


def _count_of(n: int, things: str) -> str:
    """``1 task dependency``, ``2 task dependencies``: a count and a table's plural name."""
    if n != 1:
        return f"{n:,} {things}"
    if things.endswith("people"):
        return f"1 {things[:-6]}person"
    return f"1 {things[:-3] + 'y' if things.endswith('ies') else things.removesuffix('s')}"


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import demo

    if args.releases < 1:
        raise ValidationError(f"--releases must be 1 or more, not {args.releases}")
    ctx = open_ctx(args, create=True)
    try:
        summary = demo.generate_demo(ctx, releases=args.releases, seed=args.seed)
    finally:
        ctx.plan.close()  # the last connection checkpoints the WAL into the plan file
    counts = ", ".join(
        _count_of(v, k.replace("_", " ")) for k, v in summary.items() if isinstance(v, int)
    )
    out.write(f"demo plan written to {ctx.plan.location}: {counts}\n")
    return 0


def _head_hash(text: str) -> str:
    value = text.strip().lower().rpartition(":")[2]  # "SEQ:HASH" as printed is accepted too
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a head hash (64 hex digits, from relman audit head)"
        )
    return value


def cmd_audit_head(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import audit

    ctx = open_ctx(args)
    try:
        head = audit.head(ctx)
    finally:
        ctx.plan.close()
    if args.json:
        print_json({"seq": head.seq, "hash": head.hash}, out)
    else:
        out.write(f"{head.hash}  (event {head.seq})\n")
    return 0


def cmd_audit_verify(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import audit

    ctx = open_ctx(args)
    try:
        result = audit.verify(ctx, against=args.against)
    finally:
        ctx.plan.close()
    if args.json:
        data: dict[str, Any] = {
            "ok": result.ok,
            "events": result.events,
            "problems": result.problems,
        }
        if args.against:
            data["anchored_at"] = result.anchored_at
        print_json(data, out)
    elif result.ok:
        out.write(f"audit trail intact: {counted(result.events, 'event')}\n")
        if args.against:
            out.write(f"unchanged up to event {result.anchored_at} (hash {args.against[:16]}…)\n")
    if not result.ok:
        if not args.json:
            args.err.write(
                f"relman: the audit trail has been tampered with ({len(result.problems)} problems):\n"
            )
            for p in result.problems:
                args.err.write(f"  - {p}\n")
        return EXIT_REFUSED
    return 0


def cmd_audit_log(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import audit

    ctx = open_ctx(args)
    people: dict[str, str] | None = None
    try:
        rows = audit.history(ctx, args.release, limit=args.limit)
        if args.words:
            from relman_desktop.services.history_words import people_names

            people = people_names(ctx)
        if args.release is not None and not rows:
            from relman_desktop.services.base import release_by_key

            with ctx.read() as s:
                release_by_key(s, args.release)  # no such release, and no event names it: exit 2
    finally:
        ctx.plan.close()
    for row in rows:
        when = f"{row.at:%Y-%m-%d %H:%M}" if row.at is not None else "????-??-?? ??:??"
        if people is not None:
            from relman_desktop.services.history_words import sentence

            out.write(f"{row.seq:>6}  {when}  {sentence(row, people)}\n")
        else:
            out.write(f"{row.seq:>6}  {when}  {row.summary}\n")
    return 0
