"""Calendar feeds (.ics from Outlook, Google, Thunderbird, Confluence…) in, as calendar windows.

``icalendar`` parses the feed and ``recurring-ical-events`` expands it (RRULE, RDATE, EXDATE,
occurrences moved with RECURRENCE-ID, VTIMEZONE/TZID), so each occurrence in the chosen range
becomes one window: maintenance, freeze, holiday or business event. A window remembers the
event's UID and the occurrence it stands for, so importing the same feed again updates the
windows instead of adding them twice. See docs/interchange.md.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import icalendar
import recurring_ical_events
from sqlalchemy import select

from relman_desktop.importers.preview import ImportPreview, PreviewRow
from relman_desktop.models import enums as E
from relman_desktop.models.entities import CalendarWindow, ConfigurationItem
from relman_desktop.services.base import Ctx, ValidationError, operation

KINDS = {
    "maintenance": E.WindowKind.MAINTENANCE,
    "freeze": E.WindowKind.FREEZE,
    "holiday": E.WindowKind.HOLIDAY,
    "event": E.WindowKind.BUSINESS_EVENT,
}


@dataclass
class Feed:
    source: str
    calendar: Any
    zone: str  # X-WR-TIMEZONE when it names a real zone, else UTC: for all-day and floating times
    warnings: list[str] = field(default_factory=list)


@dataclass
class Occurrence:
    identity: str  # "ics:<UID>@<original start>"
    title: str
    start: dt.datetime  # UTC
    end: dt.datetime
    timezone: str
    all_day: bool
    source: str


def _zone_name(tzinfo: Any) -> str | None:
    name = getattr(tzinfo, "key", None) or getattr(tzinfo, "zone", None)
    if not name and tzinfo is not None:
        name = tzinfo.tzname(None) if hasattr(tzinfo, "tzname") else None
    if not name:
        return None
    try:
        zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return str(name)


def read_ics(path: str | Path) -> Feed:
    """Parse a feed, or refuse it in one line when it is not an iCalendar file."""
    file = Path(path).expanduser()
    name = file.name
    if not file.is_file():
        raise ValidationError(f"{path}: no such file")
    raw = file.read_bytes()
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper()
    if not head.startswith(b"BEGIN:VCALENDAR"):
        raise ValidationError(
            f"{name} is not an iCalendar file: it does not begin with BEGIN:VCALENDAR"
        )
    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except Exception as exc:  # icalendar raises ValueError and others for broken feeds
        raise ValidationError(f"{name} is not a readable calendar: {exc}") from None
    if not isinstance(calendar, icalendar.Calendar):
        raise ValidationError(f"{name} is not an iCalendar file")
    zone = _zone_name(_tz_from_name(str(calendar.get("X-WR-TIMEZONE", "") or ""))) or "UTC"
    return Feed(name, calendar, zone)


def _tz_from_name(name: str) -> Any:
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _as_utc(value: Any, zone: str) -> tuple[dt.datetime, str]:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # floating time: the feed's zone
            return value.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(dt.UTC), zone
        return value.astimezone(dt.UTC), _zone_name(value.tzinfo) or "UTC"
    day = dt.datetime.combine(value, dt.time(0), zoneinfo.ZoneInfo(zone))
    return day.astimezone(dt.UTC), zone


def occurrences(
    feed: Feed, since: dt.date, until: dt.date
) -> tuple[list[Occurrence], list[PreviewRow]]:
    """Every occurrence that starts from ``since`` up to and including ``until``."""
    found: list[Occurrence] = []
    skipped: list[PreviewRow] = []
    query = recurring_ical_events.of(feed.calendar, skip_bad_series=True)
    try:
        events = query.between(since, until + dt.timedelta(days=1))
    except Exception as exc:  # a series the library cannot expand at all
        raise ValidationError(f"{feed.source}: cannot expand its recurring events: {exc}") from None
    for event in events:
        uid = str(event.get("UID", "") or "").strip()
        title = str(event.get("SUMMARY", "") or "").strip() or "(no title)"
        start_prop = event.get("DTSTART")
        if start_prop is None:
            continue
        start_value = start_prop.dt
        all_day = not isinstance(start_value, dt.datetime)
        end_prop = event.get("DTEND")
        end_value = end_prop.dt if end_prop is not None else None
        if end_value is None and event.get("DURATION") is not None:
            end_value = start_value + event.get("DURATION").dt
        if all_day and (end_value is None or end_value <= start_value):
            end_value = start_value + dt.timedelta(days=1)  # a zero-length all-day event: its day
        start, tz = _as_utc(start_value, feed.zone)
        if end_value is None:
            skipped.append(
                PreviewRow(
                    "skip",
                    "window",
                    title,
                    str(start_value),
                    "the event has no end (zero length)",
                    f"UID {uid}",
                )
            )
            continue
        end, _ = _as_utc(end_value, feed.zone)
        if end <= start:
            skipped.append(
                PreviewRow(
                    "skip",
                    "window",
                    title,
                    str(start_value),
                    "the event ends when it starts",
                    f"UID {uid}",
                )
            )
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            skipped.append(
                PreviewRow(
                    "skip",
                    "window",
                    title,
                    str(start_value),
                    "the event is cancelled",
                    f"UID {uid}",
                )
            )
            continue
        if not uid:
            feed.warnings.append(
                f"event {title!r} on {start_value} has no UID: a re-import "
                f"will match it by title and start"
            )
            uid = f"{title}"
        recurrence = event.get("RECURRENCE-ID")
        slot = recurrence.dt if recurrence is not None else start_value
        slot_text = (
            slot.isoformat()
            if not isinstance(slot, dt.datetime)
            else (_as_utc(slot, feed.zone)[0].strftime("%Y%m%dT%H%M%SZ"))
        )
        found.append(
            Occurrence(
                f"ics:{uid}@{slot_text}"[:300], title[:300], start, end, tz, all_day, f"UID {uid}"
            )
        )
    found.sort(key=lambda o: (o.start, o.title))
    return found, skipped


@dataclass
class WindowPlan:
    preview: ImportPreview
    kind: E.WindowKind
    hard: bool
    cis: list[str]
    creates: list[Occurrence] = field(default_factory=list)
    updates: list[tuple[int, Occurrence]] = field(default_factory=list)
    applied: dict[str, Any] | None = None  # what apply_windows did: what undo_windows reverses


def preview_windows(
    ctx: Ctx,
    feed: Feed,
    *,
    kind: str,
    cis: list[str] | None = None,
    hard: bool = True,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> WindowPlan:
    """What importing the feed's occurrences from ``since`` to ``until`` would do (no writes).
    Default range: from a year before today to two years after."""
    if kind not in KINDS:
        raise ValidationError(f"--as {kind!r} is not one of {', '.join(KINDS)}")
    today = ctx.today()
    since = since or today - dt.timedelta(days=365)
    until = until or today + dt.timedelta(days=730)
    if until < since:
        raise ValidationError(f"--until {until} is before --from {since}")
    found, skipped = occurrences(feed, since, until)
    preview = ImportPreview(feed.source, warnings=feed.warnings)
    plan = WindowPlan(preview, KINDS[kind], hard, list(dict.fromkeys(cis or [])))
    if not found and not skipped:
        starts = [c.get("DTSTART").dt for c in feed.calendar.walk("VEVENT") if c.get("DTSTART")]
        if starts:
            days = sorted(s.date() if isinstance(s, dt.datetime) else s for s in starts)
            preview.warnings.append(
                f"no event falls between {since} and {until}; the feed's events "
                f"start from {days[0]} to {days[-1]} (use --from and --until)"
            )
    with ctx.read() as s:
        if plan.cis:
            known = set(
                s.execute(
                    select(ConfigurationItem.name).where(ConfigurationItem.name.in_(plan.cis))
                ).scalars()
            )
            missing = [c for c in plan.cis if c not in known]
            if missing:
                raise ValidationError("unknown CI " + ", ".join(repr(c) for c in missing))
        ids = [o.identity for o in found]
        existing: dict[str, CalendarWindow] = {}
        for chunk in range(0, len(ids), 500):
            for w in s.execute(
                select(CalendarWindow).where(
                    CalendarWindow.external_uid.in_(ids[chunk : chunk + 500])
                )
            ).scalars():
                existing[w.external_uid or ""] = w
        for occ in found:
            when = (
                occ.start.strftime("%Y-%m-%d")
                if occ.all_day
                else occ.start.strftime("%Y-%m-%d %H:%MZ")
            )
            current = existing.get(occ.identity)
            if current is None:
                plan.creates.append(occ)
                preview.rows.append(PreviewRow("create", "window", occ.title, when, "", occ.source))
                continue
            differs = [
                n
                for n, a, b in (
                    ("title", current.title, occ.title),
                    ("start", current.start, occ.start),
                    ("end", current.end, occ.end),
                    ("kind", current.kind, plan.kind),
                    ("hard", current.hard, hard),
                    ("cis", sorted(c.name for c in current.cis), sorted(plan.cis)),
                )
                if a != b
            ]
            if differs:
                plan.updates.append((current.id, occ))
                preview.rows.append(
                    PreviewRow(
                        "update",
                        "window",
                        occ.title,
                        when,
                        f"{', '.join(differs)} differ",
                        occ.source,
                    )
                )
            else:
                preview.rows.append(
                    PreviewRow("skip", "window", occ.title, when, "already in the plan", occ.source)
                )
    preview.rows.extend(skipped)
    return plan


@operation
def apply_windows(ctx: Ctx, plan: WindowPlan) -> ImportPreview:
    """Write the previewed windows in one transaction, each audited."""
    with ctx.write() as tx:
        s = tx.session
        cis = (
            list(
                s.execute(
                    select(ConfigurationItem).where(ConfigurationItem.name.in_(plan.cis))
                ).scalars()
            )
            if plan.cis
            else []
        )

        def view(w: CalendarWindow) -> dict[str, Any]:
            return {
                "title": w.title,
                "kind": w.kind,
                "hard": w.hard,
                "start": w.start,
                "end": w.end,
                "timezone": w.timezone,
                "cis": sorted(c.name for c in w.cis),
                "source": w.external_uid,
            }

        applied: dict[str, Any] = {"created": [], "updated": []}
        for window_id, occ in plan.updates:
            window = s.get(CalendarWindow, window_id)
            assert window is not None
            before = view(window)
            applied["updated"].append((window.id, before))
            window.title, window.start, window.end = occ.title, occ.start, occ.end
            window.timezone, window.kind, window.hard = occ.timezone, plan.kind, plan.hard
            window.cis = list(cis)
            tx.audit("calendar_window", window.id, "update", before, view(window))
        new = []
        for occ in plan.creates:
            window = CalendarWindow(
                title=occ.title,
                kind=plan.kind,
                hard=plan.hard,
                start=occ.start,
                end=occ.end,
                timezone=occ.timezone,
                external_uid=occ.identity,
            )
            window.cis = list(cis)
            new.append(window)
        s.add_all(new)
        s.flush()
        for window in new:
            tx.audit("calendar_window", window.id, "create", None, view(window))
            applied["created"].append(window.id)
    plan.applied = applied
    return plan.preview


@operation
def undo_windows(ctx: Ctx, applied: dict[str, Any]) -> None:
    """Put the windows back as they were before ``apply_windows``, in one audited transaction."""
    with ctx.write() as tx:
        s = tx.session
        for window_id in applied["created"]:
            window = s.get(CalendarWindow, window_id)
            if window is not None:
                tx.audit(
                    "calendar_window", window_id, "delete", {"source": window.external_uid}, None
                )
                s.delete(window)
        for window_id, before in applied["updated"]:
            window = s.get(CalendarWindow, window_id)
            if window is None:
                continue
            window.title, window.start, window.end = before["title"], before["start"], before["end"]
            window.timezone, window.kind, window.hard = (
                before["timezone"],
                before["kind"],
                before["hard"],
            )
            window.cis = (
                list(
                    s.execute(
                        select(ConfigurationItem).where(ConfigurationItem.name.in_(before["cis"]))
                    ).scalars()
                )
                if before["cis"]
                else []
            )
            tx.audit("calendar_window", window_id, "update", None, {"restored": before})
