"""``relman screenshot VIEW OUT.png``: the main window showing a view, rendered offscreen.

Qt is imported only when the command runs, so the rest of the CLI stays Qt-free.
"""

from __future__ import annotations

import argparse
import re
from typing import Any, TextIO

from relman_desktop.cli import UsageError, group, open_ctx
from relman_desktop.cli.values import day

THEMES = ("light", "dark", "high-contrast")
# Views that are a kind of their own: ``relman screenshot calendar out.png``. Every view listed in
# the shell's composition root (views/shell/screens.py) is reachable as
# ``relman screenshot view NAME out.png``; add its name here for the short form.
VIEW_KINDS = [
    "releases",
    "release",
    "tasks",
    "approvals",
    "settings",
    "calendar",
    "conflicts",
    "dependencies",
    "changes",
    "cis",
    "kpis",
    "cab",
]


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 1366x768")
    return int(m.group(1)), int(m.group(2))


def register(sub: Any) -> None:
    shots = group(sub, "screenshot", "render a view of the app to a PNG (offscreen)")
    p = shots.add_parser("view", help="the main window showing VIEW (any registered view)")
    _add_arguments(p)
    for name in VIEW_KINDS:
        add_view_kind(shots, name)
    cal = group(sub, "export", "write a document or file from the plan").add_parser(
        "calendar",
        help="the Gantt calendar as a picture (.png) or a multi-page PDF (.pdf) with row labels on each page",
    )
    cal.add_argument("file", metavar="FILE", help="where to write it (.png or .pdf)")
    cal.add_argument("--zoom", choices=("day", "week", "month", "quarter"), default="week")
    cal.add_argument(
        "--from", dest="start", type=day, metavar="DATE", help="first day shown (YYYY-MM-DD)"
    )
    cal.add_argument(
        "--to", dest="end", type=day, metavar="DATE", help="last day shown (YYYY-MM-DD)"
    )
    cal.add_argument("--theme", choices=THEMES, default="light")
    cal.set_defaults(handler=cmd_export_calendar)


def add_view_kind(shots: Any, name: str) -> None:
    """``relman screenshot NAME OUT.png`` for one view (``shots`` is the screenshot group)."""
    _add_arguments(shots.add_parser(name, help=f"the main window showing {name}"), view=name)


def _add_arguments(p: argparse.ArgumentParser, view: str | None = None) -> None:
    if view is None:
        p.add_argument("view", metavar="VIEW", help="which view to show")
    p.add_argument("out", metavar="OUT.png", help="where to write the picture")
    p.add_argument("--release", metavar="KEY", help="the release to show (default: the first)")
    p.add_argument(
        "--size",
        type=_size,
        default=(1366, 768),
        metavar="WxH",
        help="window size (default 1366x768)",
    )
    p.add_argument("--theme", choices=THEMES, default="light", help="colour theme (default light)")
    p.set_defaults(handler=cmd_screenshot, view_name=view)


def cmd_export_calendar(args: argparse.Namespace, out: TextIO) -> int:
    start, end = args.start, args.end
    if start and end and end < start:
        raise UsageError(f"--to {end} is before --from {start}")
    ctx = open_ctx(args)
    from relman_desktop.views.calendar.calendar_export import export_calendar_file

    target = export_calendar_file(
        ctx, args.file, zoom=args.zoom, start=start, end=end, theme=args.theme
    )
    out.write(f"wrote {target}\n")
    return 0


def cmd_screenshot(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.views.shell.screenshot import render

    view = args.view_name or args.view
    ctx = open_ctx(args)
    try:
        target = render(ctx, view, args.out, release=args.release, size=args.size, theme=args.theme)
    except LookupError as exc:
        raise UsageError(str(exc).strip("'\"")) from None
    except OSError as exc:
        raise UsageError(str(exc)) from None
    finally:
        ctx.plan.close()
    out.write(f"wrote {target} ({args.size[0]}x{args.size[1]}, {view}, {args.theme})\n")
    return 0
