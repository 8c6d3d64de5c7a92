"""Release notes for a knowledge base or wiki: Markdown, and one self-contained printable HTML
page per release (styles inline, no scripts, no files it links to but its siblings); with
``--all`` a small static site whose ``index.html`` (and ``index.md``) lists every release.

The pages say what the Word release notes say (same status banner, same business/technical
rules, same local times), as what a wiki imports: headings, paragraphs, lists and tables.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from relman_desktop.services.base import Ctx, ServiceError
from relman_desktop.services.release_report import (
    ReleaseReport,
    all_release_reports,
    release_report,
)

from . import docx_kit as K
from .release_notes import CATEGORY_TITLES, VARIANTS, clean, rule_words, status_banner
from .safe_write import write_atomically

__all__ = ["KbSite", "kb_blocks", "page_html", "page_markdown", "write_kb_release", "write_kb_site"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

# A page is a list of blocks: ("h1"|"h2", text), ("p", text), ("ul", [items]),
# ("table", (header, rows)), ("banner", (fill, headline, body)), ("facts", rows).
Block = tuple[str, object]


def file_stem(key: str) -> str:
    stem = _UNSAFE.sub("_", key).strip("._") or "release"
    return stem


def kb_blocks(report: ReleaseReport, variant: str = "business") -> list[Block]:
    """The release notes as blocks, rendered below as Markdown or HTML."""
    if variant not in VARIANTS:
        raise ServiceError(f"variant {variant!r} is not one of {', '.join(VARIANTS)}")
    technical = variant == "technical"
    zone = ZoneInfo(report.zone)
    status = report.status
    window = K.fmt_range(report.deploy_start, report.deploy_end, zone)
    planned = (
        f"{report.planned_start or '—'} – {report.planned_end or '—'}"
        if report.planned_start or report.planned_end
        else "—"
    )
    blocks: list[Block] = [("h1", f"{report.key} — {report.title}" if technical else report.title)]
    blocks.append(("banner", status_banner(report, zone)))
    facts = [
        ["Release", report.key],
        ["Version", report.version or "—"],
        ["Application", report.application or "—"],
        ["Status", status],
        ["Planned", planned],
        ["Deployment window" if technical else "Go-live window", window],
        ["Release manager", report.manager or "—"],
        ["Issued", K.fmt_local(report.generated_at, zone)],
    ]
    blocks.append(("facts", facts))
    blocks.append(("h2", "Summary"))
    blocks.append(("p", report.scope or "No scope recorded."))
    if report.objectives:
        blocks.append(("p", report.objectives))

    blocks.append(("h2", "Changes" if technical else "What changes"))
    if technical:
        if report.changes:
            blocks.append(
                (
                    "table",
                    (
                        ["Change", "Title", "Category", "Release note"],
                        [
                            [c.key, c.title, K.words(c.category), c.release_note or ""]
                            for c in report.changes
                        ],
                    ),
                )
            )
        else:
            blocks.append(("p", "This release bundles no changes."))
    else:
        items: list[str] = []
        hidden = 0
        order = {cat: n for n, cat in enumerate(CATEGORY_TITLES)}
        for c in sorted(report.changes, key=lambda c: order.get(c.category, 99)):
            note = (c.release_note or "").strip()
            if c.audience == "business":
                items.append(f"{c.title}: {note}" if note else c.title)
            elif note:
                items.append(note)
            else:
                hidden += 1
        if items:
            blocks.append(("ul", items))
        if hidden or not items:
            blocks.append(
                (
                    "p",
                    f"{hidden} technical change{'s' if hidden != 1 else ''} with no visible "
                    "effect for users."
                    if hidden
                    else "This release bundles no changes.",
                )
            )
    issues = [c for c in report.changes if (c.known_issues or "").strip()]
    if issues:
        blocks.append(("h2", "Known issues"))
        blocks.append(
            (
                "ul",
                [
                    f"{c.key}: {c.known_issues}" if technical else c.known_issues or ""
                    for c in issues
                ],
            )
        )

    blocks.append(("h2", "Service availability"))
    downtime, how = report.expected_downtime()
    if status in ("Cancelled", "On Hold"):
        blocks.append(("p", f"Expected downtime: none — the release is {status.lower()}."))
    elif downtime in (None, dt.timedelta(0)):
        blocks.append(("p", f"Expected downtime: {how}."))
    else:
        blocks.append(("p", f"Expected downtime: {K.fmt_duration(downtime)} — {how}."))

    if report.deployments:
        blocks.append(("h2", "Deployments and incidents"))
        blocks.append(
            (
                "table",
                (
                    ["Environment", "Finished", "Outcome", "Incidents"],
                    [
                        [
                            d.environment,
                            K.fmt_local(d.finished_at or d.started_at, zone),
                            K.capital(K.words(d.outcome, "in progress")),
                            str(d.incidents),
                        ]
                        for d in report.deployments
                    ],
                ),
            )
        )
    if report.review is not None:
        r = report.review
        blocks.append(("h2", "Post-implementation review"))
        rows = [["Outcome", K.capital(K.words(r.outcome))], ["Incidents", str(r.incidents)]]
        if r.user_feedback:
            rows.append(["User feedback", r.user_feedback])
        if technical and r.lessons_learned:
            rows.append(["Lessons learned", r.lessons_learned])
        blocks.append(("facts", rows))

    if report.stages:
        blocks.append(("h2", "Approval sign-off"))
        blocks.append(
            (
                "table",
                (
                    ["Stage", "Rule", "Result"],
                    [
                        [
                            s.name,
                            K.capital(rule_words(s)),
                            f"{K.capital(K.words(s.status))} — {s.explanation}",
                        ]
                        for s in report.stages
                    ],
                ),
            )
        )
    if report.communication_plan:
        blocks.append(("h2", "Communication"))
        blocks.append(("p", report.communication_plan))
    return blocks


# --- Markdown -----------------------------------------------------------------------------------


def _md(text: object) -> str:
    """Inline Markdown text: characters a wiki would read as markup are escaped."""
    value = clean(text).replace("\r", "")
    value = re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", value)
    return value


def _md_cell(text: object) -> str:
    return _md(text).replace("\n", "<br>") or " "


def page_markdown(blocks: Iterable[Block]) -> str:
    out: list[str] = []
    for kind, value in blocks:
        value = cast(Any, value)
        if kind == "h1":
            out.append(f"# {_md(value)}")
        elif kind == "h2":
            out.append(f"## {_md(value)}")
        elif kind == "p":
            out.append("\n\n".join(_md(p) for p in re.split(r"\n\s*\n", str(value))))
        elif kind == "ul":
            out.append("\n".join(f"- {_md(i).replace(chr(10), ' ')}" for i in value))
        elif kind == "banner":
            _fill, headline, body = value
            out.append(f"> **{_md(headline)}**" + (f"  \n> {_md(body)}" if body else ""))
        elif kind in ("table", "facts"):
            header, rows = value if kind == "table" else (["", ""], value)
            lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |"]
            lines.append("|" + "|".join("---" for _ in header) + "|")
            lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


# --- HTML ---------------------------------------------------------------------------------------

_CSS = """
body{font:11pt/1.45 "Segoe UI",Carlito,Calibri,Arial,sans-serif;color:#1d2630;margin:2em auto;
max-width:48em;padding:0 1em}
h1{font-size:1.8em;color:#17365d;border-bottom:1px solid #4f81bd;padding-bottom:.2em}
h2{font-size:1.25em;color:#365f91;margin-top:1.4em;break-after:avoid}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em;table-layout:auto}
th,td{border:1px solid #9db3d1;padding:.25em .5em;text-align:left;vertical-align:top;
overflow-wrap:normal;word-break:normal;hyphens:manual}
th{background:#dde7f3}
tr{break-inside:avoid}
thead{display:table-header-group}
.facts th{width:30%;background:#f3f6fa}
.banner{padding:.6em .9em;margin:1em 0;border-radius:4px}
.banner strong{display:block}
nav a{margin-right:1em}
.key{white-space:nowrap}
footer{margin-top:2em;color:#666;font-size:.9em}
@media print{body{margin:0;max-width:none}nav{display:none}a{color:inherit;text-decoration:none}}
@page{margin:2cm}
""".strip()


def _h(text: object) -> str:
    return html.escape(clean(text)).replace("\n", "<br>")


def page_html(blocks: Iterable[Block], *, title: str, nav: str = "", footer: str = "") -> str:
    body: list[str] = []
    for kind, value in blocks:
        value = cast(Any, value)
        if kind == "h1":
            body.append(f"<h1>{_h(value)}</h1>")
        elif kind == "h2":
            body.append(f"<h2>{_h(value)}</h2>")
        elif kind == "p":
            body += [f"<p>{_h(p)}</p>" for p in re.split(r"\n\s*\n", clean(value))]
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{_h(i)}</li>" for i in value) + "</ul>")
        elif kind == "banner":
            fill, headline, text = value
            body.append(
                f'<div class="banner" role="status" style="background:#{fill}">'
                f"<strong>{_h(headline)}</strong><br>{_h(text)}</div>"
            )
        elif kind == "table":
            header, rows = value
            head = "".join(f'<th scope="col">{_h(h)}</th>' for h in header)
            rows_html = "".join(
                "<tr>" + "".join(f"<td>{_h(c)}</td>" for c in r) + "</tr>" for r in rows
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody></table>")
        elif kind == "facts":
            rows_html = "".join(
                f'<tr><th scope="row">{_h(k)}</th><td>{_h(v)}</td></tr>' for k, v in value
            )
            body.append(f'<table class="facts"><tbody>{rows_html}</tbody></table>')
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_h(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + (f"<nav>{nav}</nav>\n" if nav else "")
        + "\n".join(body)
        + (f"\n<footer>{_h(footer)}</footer>" if footer else "")
        + "\n</body>\n</html>\n"
    )


# --- writing ------------------------------------------------------------------------------------


def _write_text(path: Path, text: str) -> Path:
    data = text.encode("utf-8")
    return write_atomically(path, lambda tmp: tmp.write_bytes(data))


def _folder(target: str | os.PathLike[str]) -> Path:
    folder = Path(target).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ServiceError(f"cannot write into {folder}: it is a file, not a folder")
    if not folder.parent.is_dir():
        raise ServiceError(f"cannot write into {folder}: the folder {folder.parent} does not exist")
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise ServiceError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None
    return folder


def _footer_text(report: ReleaseReport) -> str:
    zone = ZoneInfo(report.zone)
    who = f" by {report.exported_by}" if report.exported_by else ""
    return f"Exported {K.fmt_local(report.generated_at, zone)}{who}. Times in {K.zone_label(zone)}."


def _write_page(report: ReleaseReport, folder: Path, variant: str, nav: str) -> list[Path]:
    blocks = kb_blocks(report, variant)
    stem = file_stem(report.key)
    md = page_markdown(blocks)
    page = page_html(
        blocks, title=f"{report.key} {report.title}", nav=nav, footer=_footer_text(report)
    )
    return [_write_text(folder / f"{stem}.md", md), _write_text(folder / f"{stem}.html", page)]


def write_kb_release(
    ctx: Ctx, key: str, target: str | os.PathLike[str], *, variant: str = "business"
) -> list[Path]:
    """``KEY.md`` and ``KEY.html`` for one release in the folder ``target``."""
    report = release_report(ctx, key)
    return _write_page(report, _folder(target), variant, "")


@dataclass(frozen=True)
class KbSite:
    index: Path
    pages: int


def write_kb_site(ctx: Ctx, target: str | os.PathLike[str], *, variant: str = "business") -> KbSite:
    """Every release as a page, and ``index.html`` / ``index.md`` listing them."""
    if variant not in VARIANTS:
        raise ServiceError(f"variant {variant!r} is not one of {', '.join(VARIANTS)}")
    folder = _folder(target)
    reports = all_release_reports(ctx)
    nav = '<a href="index.html">All releases</a>'
    for report in reports:
        _write_page(report, folder, variant, nav)
    rows = []
    for r in reports:
        zone = ZoneInfo(r.zone)
        rows.append(
            [
                r.key,
                r.title,
                r.status,
                r.application or "—",
                K.fmt_range(r.deploy_start, r.deploy_end, zone),
            ]
        )
    header = ["Release", "Title", "Status", "Application", "Window"]
    md = ["# Releases", ""]
    md.append("| " + " | ".join(header) + " |")
    md.append("|" + "|".join("---" for _ in header) + "|")
    for r, row in zip(reports, rows, strict=True):
        link = f"[{_md(r.key)}]({file_stem(r.key)}.md)"
        md.append("| " + " | ".join([link, *(_md_cell(c) for c in row[1:])]) + " |")
    _write_text(folder / "index.md", "\n".join(md) + "\n")
    body_rows = "".join(
        f'<tr><td class="key"><a href="{html.escape(file_stem(r.key))}.html">{_h(r.key)}</a></td>'
        + "".join(f"<td>{_h(c)}</td>" for c in row[1:])
        + "</tr>"
        for r, row in zip(reports, rows, strict=True)
    )
    head = "".join(f'<th scope="col">{h}</th>' for h in header)
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body_rows}</tbody></table>"
    index_page = page_html([("h1", "Releases")], title="Releases").replace(
        "</h1>", f"</h1>\n<p>{len(reports)} releases.</p>\n{table}", 1
    )
    index = _write_text(folder / "index.html", index_page)
    return KbSite(index, len(reports))
