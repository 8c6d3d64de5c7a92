"""What one CAB agenda item shows: the release report, its conflicts, and the screen's sections
as rich text (user text escaped). No widgets here beyond the Qt-free data the presenter lays out."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from relman_desktop.services.base import Ctx, ServiceError
from relman_desktop.services.plan_zone import zone_label

# Symbols say the decision without colour (colour only repeats it).
SYMBOL = {"approve": "✔", "reject": "✘", "defer": "↷", "more_info": "?", None: "○"}


# --- what one screen shows ---------------------------------------------------------------------------


@dataclass
class ItemDetail:
    report: Any
    conflicts: list[Any] = field(default_factory=list)
    conflicts_error: str | None = None


def load_item_detail(ctx: Ctx, key: str) -> ItemDetail:
    from relman_desktop.services.release_report import release_report

    detail = ItemDetail(release_report(ctx, key))
    try:
        from relman_desktop.services.conflicts import conflicts_for_release

        detail.conflicts = list(conflicts_for_release(ctx, key, suggest=False))
    except ServiceError as exc:
        detail.conflicts_error = str(exc)
    except Exception as exc:  # the conflict service is still moving; the meeting must go on
        detail.conflicts_error = f"conflicts could not be checked ({type(exc).__name__})"
    return detail


def _esc(text: Any) -> str:
    return html.escape(str(text)) if text not in (None, "") else "—"


def _when(value: dt.datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return "—"
    return f"{value.astimezone(zone):%a %Y-%m-%d %H:%M}"


def _words(value: str | None) -> str:
    return value.replace("_", " ") if value else "—"


def _clock(seconds: int) -> str:
    m, s = divmod(max(0, seconds), 60)
    return f"{m:02d}:{s:02d}"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _list(lines: list[str], limit: int) -> str:
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(f"<i>… and {len(lines) - limit} more</i>")
    return "<br>".join(shown) if shown else "—"


def sections_for(detail: ItemDetail, zone: ZoneInfo) -> dict[str, str]:
    """The screen's sections as rich text (user text escaped), by heading."""
    r = detail.report
    tz = zone_label(zone)
    changes = [
        f"<b>{_esc(c.key)}</b> {_esc(c.title)} <span>({_words(c.category)}, {_esc(c.risk)} risk, "
        f"{_esc(c.approval)})</span>"
        for c in r.changes
    ]
    cis = [
        f"{_esc(ci.name)} ({_words(ci.ci_class)}, {_esc(ci.criticality)}"
        f"{', needs a maintenance window' if ci.requires_maintenance_window else ''})"
        for ci in r.cis
    ]
    # the same reasoning as the release notes and the runbook: the figure and how it was found
    downtime, how = r.expected_downtime()
    how = _esc(how.replace(": ", " — ", 1))
    if not downtime:  # not known, or none expected: the reason says which
        cis.insert(0, f"<b>Downtime:</b> {how}")
    else:
        minutes = int(downtime.total_seconds() // 60)
        down = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
        cis.insert(0, f"<b>Downtime:</b> {down} — {how}")
    if detail.conflicts_error:
        conflicts = [f"⚠ {_esc(detail.conflicts_error)}"]
    elif detail.conflicts:
        conflicts = [
            f"{'✘ error' if c.severity == 'error' else '⚠ warning'} <b>{_esc(c.rule)}</b> {_esc(c.message)}"
            for c in detail.conflicts
        ]
    else:
        conflicts = ["✔ no conflicts"]
    tests = [
        f"{'✔' if t.verdict == 'passed' else '✘'} <b>{_esc(t.kind.upper() if t.kind == 'uat' else t.kind)}</b> "
        f"{t.verdict}: {t.passed} passed, {t.failed} failed, {t.skipped} skipped "
        f"({_esc(t.environment)}, {t.run_at.astimezone(zone):%Y-%m-%d})"
        for t in r.tests
    ]
    window = (
        f"{_when(r.deploy_start, zone)} → {_when(r.deploy_end, zone)} {tz}"
        if r.deploy_start
        else "not scheduled"
    )
    deploy = [f"<b>Window:</b> {window}", f"<b>Strategy:</b> {_words(r.strategy)}"]
    for n, wave in enumerate(r.waves or [], 1):
        if wave.get("percent") is not None:
            share = f"{_esc(wave['percent'])} %"
        elif wave.get("batch") is not None:
            share = f"batch of {_esc(wave['batch'])}"
        else:
            share = _esc(wave.get("name") or "")
        bake = wave.get("bake_minutes")
        deploy.append(f"wave {n}: {share}{f', bake {_esc(bake)} min' if bake else ''}")
    rollback = [_esc(r.rollback_plan) if r.rollback_plan else "⚠ <b>no rollback plan</b>"]
    if r.rollback_minutes is not None:
        rollback.append(f"<b>Rollback takes:</b> {r.rollback_minutes} min")
        if r.deploy_end is not None:
            pnr = r.deploy_end - dt.timedelta(minutes=r.rollback_minutes)
            rollback.append(
                f"<b>Point of no return:</b> {_when(pnr, zone)} {tz} "
                "(a rollback started later cannot finish inside the window)"
            )
    else:
        rollback.append("⚠ <b>no rollback duration</b>: point of no return unknown")
    rollback.append(
        f"<b>Last rehearsed:</b> {r.rollback_rehearsed_on.isoformat() if r.rollback_rehearsed_on else 'never'}"
    )
    # Approvers of one stage with the same decision and comment (the board's) share one line.
    groups: list[tuple[str, str, str | None, list[str]]] = []
    for so in r.sign_offs:
        comment = so.comment if so.decision != "pending" else None
        if groups and groups[-1][:3] == (so.stage, so.decision, comment):
            groups[-1][3].append(so.approver)
        else:
            groups.append((so.stage, so.decision, comment, [so.approver]))
    symbol_of = {"approved": "approve", "rejected": "reject", "more_info": "more_info"}
    approvals = [
        f"{SYMBOL.get(symbol_of.get(decision))} <b>{_esc(stage)}</b> · {_esc(', '.join(names))}: "
        f"{_words(decision)}" + (f" — <i>{_esc(_short(comment, 90))}</i>" if comment else "")
        for stage, decision, comment, names in groups
    ]
    return {
        "Changes": _list(changes, 6),
        "Affected CIs and downtime": _list(cis, 6),
        "Conflicts": _list(conflicts, 4),
        "Test evidence": _list(tests, 6) if tests else "⚠ no test runs recorded",
        "Deployment": _list(deploy, 6),
        "Rollback": "<br>".join(rollback),
        "Approvals so far": _list(approvals, 8) if approvals else "no approval stages",
    }


SECTIONS = (
    "Changes",
    "Affected CIs and downtime",
    "Conflicts",
    "Test evidence",
    "Deployment",
    "Rollback",
    "Approvals so far",
)
# Which sections share a column, by the number of columns the width allows.
COLUMNS = {
    2: (
        ("Changes", "Affected CIs and downtime", "Conflicts", "Test evidence"),
        ("Deployment", "Rollback", "Approvals so far"),
    ),
    3: (
        ("Changes", "Affected CIs and downtime"),
        ("Conflicts", "Test evidence", "Deployment"),
        ("Rollback", "Approvals so far"),
    ),
}
