"""The plan's calendar as an iCalendar (.ics) file, for the calendar tools people already use.

One VEVENT per release deployment window (UTC; UID stable per release key) and one per
calendar window (maintenance, freeze, business event, holiday) in the window's own time zone
(TZID plus a generated VTIMEZONE), with its RRULE kept so the recurrence — and its behaviour
across DST — is the calendar tool's to expand. CATEGORIES carry the kind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from icalendar import Calendar, Event, vRecur

from relman_desktop.services.base import Ctx, ValidationError
from relman_desktop.services.scheduling import DeploymentWindow, deployment_windows
from relman_desktop.services.windows import WindowInfo, list_windows, zone

__all__ = ["IcsResult", "build_calendar", "export_ics"]

PRODID = "-//Release Manager Desktop//relman-desktop//EN"
UID_DOMAIN = "relman-desktop"
KIND_WORDS = {
    "maintenance": "maintenance window",
    "freeze": "freeze",
    "business_event": "business event",
    "holiday": "holiday",
}


@dataclass(frozen=True)
class IcsResult:
    path: Path
    deployments: int
    windows: int


def _deployment_event(d: DeploymentWindow, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", f"{d.key}-deployment@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", d.start.astimezone(dt.UTC))
    event.add("dtend", d.end.astimezone(dt.UTC))
    event.add("summary", f"{d.key} {d.title} \u2014 deployment")
    lines = [f"Status: {d.status}"]
    strategy = (d.strategy or "not set").replace("_", " ")
    if d.waves:
        waves = ", ".join(
            f"{w.get('percent', w.get('batch', '?'))}%"
            + (f" bake {w['bake_minutes']} min" if w.get("bake_minutes") else "")
            for w in d.waves
        )
        strategy += f" (waves: {waves})"
    lines.append(f"Strategy: {strategy}")
    rollback = d.rollback_plan or "no rollback plan recorded"
    if d.rollback_minutes is not None:
        rollback += f" ({d.rollback_minutes} minutes)"
    lines.append(f"Rollback: {rollback}")
    event.add("description", "\n".join(lines))
    event.add("categories", ["deployment"])
    return event


def _rrule(text: str, tz: dt.tzinfo) -> vRecur:
    """The window's RRULE; a local (floating) UNTIL becomes UTC, as RFC 5545 asks when
    DTSTART carries a TZID."""
    rule = vRecur.from_ical(text)
    until = rule.get("UNTIL")
    if until:
        rule["UNTIL"] = [
            u.replace(tzinfo=tz).astimezone(dt.UTC)
            if isinstance(u, dt.datetime) and u.tzinfo is None
            else u
            for u in until
        ]
    return rule


def _window_event(w: WindowInfo, stamp: dt.datetime) -> Event:
    tz = zone(w.timezone or "UTC")
    event = Event()
    event.add("uid", f"window-{w.id}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", w.start.astimezone(tz))
    event.add("dtend", w.end.astimezone(tz))
    event.add("summary", w.title)
    kind = KIND_WORDS.get(w.kind, w.kind)
    hardness = "hard" if w.hard else "soft"
    label = f"{hardness} {kind}" if w.kind == "freeze" else kind
    event.add("description", f"{label[:1].upper()}{label[1:]}; applies to {w.scope_text}.")
    if w.rrule:
        event.add("rrule", _rrule(w.rrule, tz))
    event.add("categories", [w.kind] + ([hardness] if w.kind == "freeze" else []))
    event.add("transp", "OPAQUE" if w.kind in ("freeze", "business_event") else "TRANSPARENT")
    return event


def build_calendar(
    deployments: Sequence[DeploymentWindow], windows: Sequence[WindowInfo], *, stamp: dt.datetime
) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Release calendar")
    for d in deployments:
        cal.add_component(_deployment_event(d, stamp))
    for w in windows:
        cal.add_component(_window_event(w, stamp))
    cal.add_missing_timezones()
    return cal


def _check_target(path: Path) -> None:
    if path.is_dir():
        raise ValidationError(
            f"cannot write {path}: it is a folder; name a file such as calendar.ics"
        )
    if not path.parent.is_dir():
        raise ValidationError(f"cannot write {path}: the folder {path.parent} does not exist")


def _write_atomically(path: Path, data: bytes) -> None:
    _check_target(path)
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ValidationError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def export_ics(ctx: Ctx, path: str | os.PathLike[str]) -> IcsResult:
    """Write the plan's calendar to ``path`` (replaced atomically)."""
    target = Path(path)
    _check_target(target)
    deployments = deployment_windows(ctx)
    windows = list_windows(ctx)
    cal = build_calendar(deployments, windows, stamp=ctx.now().astimezone(dt.UTC))
    _write_atomically(target, cal.to_ical())
    return IcsResult(target, len(deployments), len(windows))
