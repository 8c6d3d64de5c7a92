"""Team mode (issue 12): who you are signed in as (``whoami``) and who signs in as whom
(``people login``). What each role may do is ``services.permissions``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from relman_desktop.cli import UsageError, _Parser, open_ctx, print_json


def register(sub: Any) -> None:
    p = sub.add_parser("whoami", help="who you are signed in as on the plan, and your role")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_whoami)

    people = sub.add_parser("people", help="the people of the plan: who signs in as whom")
    kinds = people.add_subparsers(dest="people_kind", metavar="KIND", parser_class=_Parser)
    kinds.required = True
    p = kinds.add_parser(
        "login", help="map a login (database role, or OS user) to a person (release managers)"
    )
    p.add_argument("email", metavar="EMAIL", help="the person")
    p.add_argument("login", metavar="LOGIN", nargs="?", help="the login that signs in as them")
    p.add_argument("--clear", action="store_true", help="remove the person's login")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_people_login)


def _identity_json(identity: Any) -> dict[str, Any]:
    return {
        "login": identity.login,
        "person": identity.email,
        "role": identity.role,
        "roles": sorted(identity.roles),
        "mapped": identity.email is not None,
    }


def cmd_whoami(args: argparse.Namespace, out: TextIO) -> int:
    ctx = open_ctx(args)
    identity = ctx.identity()
    if args.json:
        print_json(_identity_json(identity), out)
    else:
        out.write(f"{identity.actor} ({identity.role}), signed in as {identity.login}\n")
    return 0


def cmd_people_login(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import people

    if args.clear == (args.login is not None):
        raise UsageError("people login: give either LOGIN or --clear")
    ctx = open_ctx(args)
    row = people.update_person(ctx, args.email, {"login": None if args.clear else args.login})
    if args.json:
        print_json({"email": row.email, "login": None if args.clear else args.login}, out)
    elif args.clear:
        out.write(f"{row.email} has no login now\n")
    else:
        out.write(f"{args.login} signs in as {row.email}\n")
    return 0
