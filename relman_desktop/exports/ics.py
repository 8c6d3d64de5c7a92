"""The plan's calendar as an iCalendar (.ics) file, for the calendar tools people already use.

One VEVENT per release deployment window, in the plan's time zone (UID stable per release key;
STATUS CANCELLED for a cancelled release, TENTATIVE for one on hold, else CONFIRMED), and one
per calendar window (maintenance, freeze, business event, holiday) in the window's own time
zone, with its RRULE kept so the recurrence is the calendar tool's to expand. CATEGORIES carry
the kind. A window's UID comes from what it is (kind and start instant), never from a database
id, so it survives export → import into another plan.

Each zone gets a VTIMEZONE from icalendar (``Timezone.from_tzinfo``) over the span the
calendar needs, with one observance per clock change: icalendar lists the changes as RDATE
values, which dateutil-based readers (vobject) do not apply — they would read a summer
window in Berlin as CET — while one DTSTART per change reads the same in every parser.

Across a DST change the app keeps a window's local times: a 22:00–04:00 window ends at 04:00
local on the night the clocks go forward (5 hours) or back (7 hours). RFC 5545 gives every
occurrence the first one's exact length instead (§3.8.5.3), which would show 05:00 or 03:00.
So each occurrence whose length differs gets an override: a VEVENT with the same UID, a
RECURRENCE-ID naming the occurrence, and its own DTEND — for occurrences up to
``OVERRIDE_YEARS`` after the export (or the rule's end, if sooner).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from icalendar import Calendar, Event, Timezone, vRecur

from relman_desktop.services.base import Ctx
from relman_desktop.services.plan_zone import plan_zone_name
from relman_desktop.services.scheduling import DeploymentWindow, deployment_windows
from relman_desktop.services.text import clean_text
from relman_desktop.services.windows import WindowInfo, expand, list_windows, zone

from . import docx_kit as K
from .safe_write import write_atomically

__all__ = ["IcsResult", "build_calendar", "export_ics"]

PRODID = "-//Release Manager Desktop//relman-desktop//EN"
UID_DOMAIN = "relman-desktop"
OVERRIDE_YEARS = 5
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


# release state -> (iCalendar STATUS, what the summary says first)
STATUS_FOR = {"Cancelled": ("CANCELLED", "Cancelled: "), "On Hold": ("TENTATIVE", "On hold: ")}


def _deployment_event(d: DeploymentWindow, stamp: dt.datetime, tz: dt.tzinfo) -> Event:
    event = Event()
    status, prefix = STATUS_FOR.get(d.status, ("CONFIRMED", ""))
    event.add("uid", f"{d.key}-deployment@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", d.start.astimezone(tz))
    event.add("dtend", d.end.astimezone(tz))
    event.add("summary", f"{prefix}{d.key} {d.title} \u2014 deployment")
    event.add("status", status)
    if status != "CONFIRMED":
        event.add("transp", "TRANSPARENT")
    lines = [f"Status: {d.status}"]
    strategy = K.words(d.strategy, "not set")
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


def window_uids(windows: Sequence[WindowInfo]) -> dict[int, str]:
    """A UID per window from its kind and start instant (``-2``, ``-3`` for windows of one
    kind starting together, ordered by title): the same in every plan that holds the window."""
    uids: dict[int, str] = {}
    seen: dict[str, int] = {}
    for w in sorted(windows, key=lambda w: (w.kind, w.start, w.title, w.end)):
        base = f"{w.kind.replace('_', '-')}-{w.start.astimezone(dt.UTC):%Y%m%dT%H%MZ}"
        seen[base] = seen.get(base, 0) + 1
        suffix = f"-{seen[base]}" if seen[base] > 1 else ""
        uids[w.id] = f"{base}{suffix}@{UID_DOMAIN}"
    return uids


def _window_event(w: WindowInfo, stamp: dt.datetime, uid: str | None = None) -> list[Event]:
    """The window's VEVENT, then one override per occurrence a DST change makes shorter or
    longer than the first (see the module doc)."""
    tz = zone(w.timezone or "UTC")
    kind = KIND_WORDS.get(w.kind, w.kind)
    hardness = "hard" if w.hard else "soft"
    label = f"{hardness} {kind}" if w.kind == "freeze" else kind
    description = f"{label[:1].upper()}{label[1:]}; applies to {w.scope_text}."

    def event(start: dt.datetime, end: dt.datetime, text: str) -> Event:
        e = Event()
        e.add("uid", uid or window_uids([w])[w.id])
        e.add("dtstamp", stamp)
        e.add("dtstart", start.astimezone(tz))
        e.add("dtend", end.astimezone(tz))
        e.add("summary", w.title)
        e.add("description", text)
        return e

    def tail(e: Event) -> Event:
        e.add("categories", [w.kind] + ([hardness] if w.kind == "freeze" else []))
        e.add("transp", "OPAQUE" if w.kind in ("freeze", "business_event") else "TRANSPARENT")
        return e

    master = event(w.start, w.end, description)
    if not w.rrule:
        return [tail(master)]
    master.add("rrule", _rrule(w.rrule, tz))
    events = [tail(master)]
    exact = w.end - w.start
    horizon = max(stamp, w.start) + dt.timedelta(days=366 * OVERRIDE_YEARS)
    for start, end in expand(w.start, w.end, w.timezone or "UTC", w.rrule, w.start, horizon):
        if end - start == exact or start < w.start:
            continue
        hours = (end - start) / dt.timedelta(hours=1)
        override = event(
            start,
            end,
            f"{description} The clocks change during this one: it still ends at "
            f"{end.astimezone(tz):%H:%M} local time ({hours:g} hours).",
        )
        override.add("recurrence-id", start.astimezone(tz))
        events.append(tail(override))
    return events


def _observances(zone: Timezone) -> Timezone:
    """The same VTIMEZONE with each RDATE list spread into one observance per clock change."""
    out = Timezone()
    for name, value in zone.items():
        out[name] = value
    for sub in zone.subcomponents:
        starts = [sub.decoded("DTSTART")]
        rdates = sub.get("RDATE")
        for rdate in rdates if isinstance(rdates, list) else [rdates] if rdates else []:
            starts += [p.dt for p in rdate.dts]
        for start in starts:
            one = type(sub)()
            for name, value in sub.items():
                if name not in ("DTSTART", "RDATE"):
                    one[name] = value
            one.add("dtstart", start)
            out.add_component(one)
    return out


def _add_timezones(cal: Calendar, zones: set[str], first: dt.date, last: dt.date) -> None:
    for name in sorted(zones):
        if name in ("UTC", "Etc/UTC"):
            continue
        block = Timezone.from_tzinfo(zone(name), tzid=name, first_date=first, last_date=last)
        cal.subcomponents.insert(0, _observances(block))


def build_calendar(
    deployments: Sequence[DeploymentWindow],
    windows: Sequence[WindowInfo],
    *,
    stamp: dt.datetime,
    timezone: str = "UTC",
) -> Calendar:
    """The calendar; deployments shown in ``timezone`` (the plan's), windows in their own."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Release calendar")
    cal.add("x-wr-timezone", timezone)
    plan_tz = zone(timezone)
    for d in deployments:
        cal.add_component(_deployment_event(d, stamp, plan_tz))
    uids = window_uids(windows)
    for w in windows:
        for event in _window_event(w, stamp, uids[w.id]):
            cal.add_component(event)
    moments = [stamp] + [d.start for d in deployments] + [w.start for w in windows]
    ends = [stamp] + [d.end for d in deployments] + [w.end for w in windows]
    first = min(moments).date() - dt.timedelta(days=366)
    last = max(max(ends), stamp).date() + dt.timedelta(days=366 * (OVERRIDE_YEARS + 2))
    zones = {w.timezone or "UTC" for w in windows}
    if deployments:
        zones.add(timezone)
    _add_timezones(cal, zones, first, last)
    return cal


def export_ics(ctx: Ctx, path: str | os.PathLike[str]) -> IcsResult:
    """Write the plan's calendar to ``path`` (replaced atomically)."""
    deployments = deployment_windows(ctx)
    windows = list_windows(ctx)
    ical = build_calendar(
        deployments, windows, stamp=ctx.now().astimezone(dt.UTC), timezone=plan_zone_name(ctx)
    ).to_ical()
    # icalendar escapes line breaks, commas and semicolons in text (no title can start its own
    # VEVENT); characters no calendar reader accepts are the text-hygiene rule's to drop.
    data = clean_text(ical.decode("utf-8", "surrogatepass")).encode("utf-8")
    target = write_atomically(path, lambda tmp: tmp.write_bytes(data))
    return IcsResult(target, len(deployments), len(windows))
