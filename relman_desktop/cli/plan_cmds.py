"""Foundation commands: init, demo, releases, show, transition, import/export plan, audit."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from relman_desktop.cli import group, open_ctx


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create a new, empty plan file")
    p.set_defaults(handler=cmd_init)
    group(sub, "export", "write a document or file from the plan")
    group(sub, "import", "read a file into the plan")


def cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    ctx = open_ctx(args, create=True)
    out.write(f"plan ready: {ctx.plan.path}\n")
    ctx.plan.close()
    return 0
