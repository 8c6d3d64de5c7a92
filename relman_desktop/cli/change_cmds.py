"""Change commands: ``relman changes`` lists them, ``relman change add`` adds one.

A change added without ``--key`` gets the next automatic key (``CHG-<n>`` after the highest
used), as the app's Changes page does; ``relman change next-key`` prints that key.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from relman_desktop.cli import open_ctx, print_json
from relman_desktop.models import enums as E


def register(sub: Any) -> None:
    p = sub.add_parser("changes", help="list the changes of the plan (keys in natural order)")
    p.add_argument("--release", metavar="KEY", help="only the changes bundled into this release")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_changes)

    p = sub.add_parser("change", help="add a change")
    kinds = p.add_subparsers(dest="change_kind", metavar="ACTION")
    kinds.required = True
    a = kinds.add_parser("add", help="add a change; without --key it gets the next CHG key")
    a.add_argument("--title", required=True)
    a.add_argument("--key", help="the change's key (default: the next automatic CHG-<n>)")
    a.add_argument("--type", choices=[t.value for t in E.ChangeType], default="normal")
    a.add_argument("--category", choices=[c.value for c in E.ChangeCategory], default="feature")
    a.add_argument("--risk", choices=[v.value for v in E.Level], default="medium")
    a.add_argument("--requester", metavar="EMAIL", help="a person in the plan")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.set_defaults(handler=cmd_change_add)
    n = kinds.add_parser("next-key", help="the key the next change added without --key gets")
    n.set_defaults(handler=cmd_change_next_key)


def cmd_changes(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import changes

    rows = changes.list_changes(open_ctx(args), args.release)
    if args.json:
        print_json(
            [
                {
                    "key": c.key,
                    "title": c.title,
                    "type": c.type,
                    "category": c.category,
                    "approval": c.approval,
                    "risk": c.risk,
                    "release": c.release,
                }
                for c in rows
            ],
            out,
        )
        return 0
    for c in rows:
        out.write(f"{c.key}\t{c.approval}\t{c.release or '—'}\t{c.title}\n")
    return 0


def cmd_change_add(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import changes

    fields: dict[str, Any] = {
        "title": args.title,
        "type": args.type,
        "category": args.category,
        "risk": args.risk,
    }
    if args.key is not None:
        fields["key"] = args.key
    if args.requester:
        fields["requester_email"] = args.requester
    key = changes.create_change(open_ctx(args), fields)
    if args.json:
        print_json({"key": key, "title": args.title.strip()}, out)
    else:
        out.write(f"{key} added\n")
    return 0


def cmd_change_next_key(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import changes

    out.write(changes.next_change_key(open_ctx(args)) + "\n")
    return 0
