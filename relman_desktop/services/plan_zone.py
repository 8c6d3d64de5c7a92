"""The plan's time zone: the one zone every document and view shows times in.

Stored in the plan (``plan_meta`` key ``timezone``, an IANA name) so that everyone who opens
the plan reads the same local times; a plan that names none uses the machine's zone.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from relman_desktop.models.entities import PlanMeta

from .base import Ctx, ValidationError, operation

META_KEY = "timezone"

__all__ = [
    "fmt_local",
    "fmt_range",
    "machine_zone_name",
    "plan_zone",
    "plan_zone_name",
    "set_plan_zone",
    "valid_zone",
    "zone_label",
]


def machine_zone_name() -> str:
    """This computer's IANA zone (tzlocal reads TZ, /etc/localtime or the Windows registry)."""
    try:
        from tzlocal import get_localzone_name

        name = get_localzone_name()
    except Exception:  # no zone configured at all (bare containers): UTC
        return "UTC"
    return name if name and _loads(name) else "UTC"


def _loads(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def valid_zone(name: str) -> str:
    """``name`` stripped, or ValidationError naming what is wrong."""
    value = (name or "").strip()
    if not value or not _loads(value) or ("/" not in value and value not in ("UTC", "GMT")):
        raise ValidationError(
            f"Time zone: {name!r} is not an IANA time zone (e.g. Europe/Berlin)", field="timezone"
        )
    return value


def plan_zone_name(ctx: Ctx) -> str:
    """The plan's zone name; the machine's when the plan names none (or one it cannot load)."""
    with ctx.read() as s:
        meta = s.get(PlanMeta, META_KEY)
        stored = meta.value if meta is not None else ""
    return stored if stored and _loads(stored) else machine_zone_name()


def plan_zone(ctx: Ctx) -> ZoneInfo:
    return ZoneInfo(plan_zone_name(ctx))


@operation
def set_plan_zone(ctx: Ctx, name: str) -> str:
    """Store the plan's zone (audited); returns the stored name."""
    value = valid_zone(name)
    with ctx.write() as tx:
        meta = tx.session.get(PlanMeta, META_KEY)
        before = meta.value if meta is not None else None
        if before == value:
            return value
        if meta is None:
            tx.session.add(PlanMeta(key=META_KEY, value=value))
        else:
            meta.value = value
        tx.audit("plan", META_KEY, "update", {"timezone": before}, {"timezone": value})
    return value


def all_zone_names() -> list[str]:
    """Every IANA zone this machine knows, sorted (for the Settings chooser)."""
    return sorted(n for n in available_timezones() if "/" in n or n == "UTC")


# --- times as a reader sees them --------------------------------------------------------------


# IANA names that are UTC itself (aliases in tzdata's "backward" file). GMT and Etc/GMT are
# left as they are: a reader of "GMT" may mean London, and Europe/London is not UTC at all.
UTC_NAMES = frozenset(
    ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu")
)


def zone_label(zone: ZoneInfo | str) -> str:
    """A zone's name as a reader sees it after a time: ``UTC`` for every alias of UTC
    (``Etc/UTC`` …), else the IANA name. ``--json`` output keeps the IANA name (a contract)."""
    name = zone if isinstance(zone, str) else zone.key
    return "UTC" if name in UTC_NAMES else name


def fmt_local(value: dt.datetime | None, zone: ZoneInfo, *, with_zone: bool = True) -> str:
    """``2026-12-12 22:30 CET`` in the plan's zone (the abbreviation says summer or winter)."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(zone)
    text = f"{local:%Y-%m-%d %H:%M}"
    return f"{text} {local.tzname() or zone_label(zone)}" if with_zone else text


def fmt_range(start: dt.datetime | None, end: dt.datetime | None, zone: ZoneInfo) -> str:
    """One window in local time; the end shows only its time when it falls on the same day."""
    if start is None:
        return "—"
    if end is None:
        return f"from {fmt_local(start, zone)}"
    s, e = start.astimezone(zone), end.astimezone(zone)
    if s.date() == e.date():
        return f"{s:%Y-%m-%d %H:%M} – {e:%H:%M} {e.tzname()}"
    return f"{s:%Y-%m-%d %H:%M} {s.tzname()} – {e:%Y-%m-%d %H:%M} {e.tzname()}"
