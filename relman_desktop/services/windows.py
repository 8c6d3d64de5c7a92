"""Calendar windows: maintenance, freeze/blackout, business events and holidays.

A window is stored as a UTC start/end plus the IANA time zone it was planned in and an optional
RFC 5545 RRULE. Recurrences are expanded on *local wall-clock* times in the window's own zone,
so "Saturday 22:00–04:00 Europe/Berlin" stays 22:00 local across a DST change (its UTC offset
moves instead), and each occurrence keeps its local wall-clock duration.

Scope: a window with neither an environment nor CIs applies to everything. Otherwise it applies
to a release when its environment is the environment of a CI the release touches, *or* it names
a CI the release touches. A release touches the CIs of its changes and, through CI relations,
their parents and children.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule as RRule
from dateutil.rrule import rrulestr
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    CalendarWindow,
    Change,
    ConfigurationItem,
    change_cis,
    ci_relations,
)

from . import limits, locking
from .base import Ctx, NotFound, ValidationError, operation

__all__ = [
    "WindowInfo",
    "create_window",
    "delete_window",
    "expand",
    "get_window",
    "list_windows",
    "occurrences",
    "parse_rrule",
    "touched_ci_ids",
    "update_window",
    "window_applies",
    "windows_in_scope",
    "zone",
]

Interval = tuple[dt.datetime, dt.datetime]


class _WindowLike(Protocol):
    """What ``occurrences`` reads of a window (a row, or a frozen ``WindowInfo``)."""

    @property
    def start(self) -> dt.datetime: ...
    @property
    def end(self) -> dt.datetime: ...
    @property
    def timezone(self) -> str: ...
    @property
    def rrule(self) -> str | None: ...


@dataclass(frozen=True)
class WindowInfo:
    """A calendar window as plain data (times aware UTC; ``cis`` by name)."""

    id: int
    title: str
    kind: str
    hard: bool
    start: dt.datetime
    end: dt.datetime
    timezone: str
    rrule: str | None
    environment: str | None
    cis: tuple[str, ...]
    version: int = field(default=0, compare=False)  # row_version, for a form's ``version=``

    @property
    def scope_text(self) -> str:
        parts = []
        if self.environment:
            parts.append(f"environment {self.environment}")
        if self.cis:
            parts.append("CIs " + ", ".join(self.cis))
        return " or ".join(parts) if parts else "everything"


# --- time zones and recurrence rules -----------------------------------------------------------


@functools.lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or a ValidationError naming it."""
    if not name or not isinstance(name, str):
        raise ValidationError(
            "a window needs a time zone (an IANA name such as Europe/Berlin)", field="timezone"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or UTC",
            field="timezone",
        ) from exc


def _local_naive(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def _normalise_rrule(text: str, tz: ZoneInfo) -> str:
    """Strip an ``RRULE:`` prefix; turn a UTC ``UNTIL=…Z`` into local wall time, because the
    rule is expanded on naive local times (dateutil refuses to mix the two)."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    parts = []
    for part in body.split(";"):
        name, _, value = part.partition("=")
        if name.strip().upper() == "UNTIL" and value.strip().upper().endswith("Z"):
            try:
                until = dt.datetime.strptime(value.strip()[:-1], "%Y%m%dT%H%M%S").replace(
                    tzinfo=dt.UTC
                )
            except ValueError as exc:
                raise ValidationError(
                    f"the recurrence rule's UNTIL {value!r} is not a date-time", field="rrule"
                ) from exc
            part = f"UNTIL={_local_naive(until, tz):%Y%m%dT%H%M%S}"
        parts.append(part)
    return ";".join(parts)


@functools.lru_cache(maxsize=1024)
def _cached_rule(text: str, tzname: str, local_start: dt.datetime) -> RRule:
    tz = zone(tzname)
    body = _normalise_rrule(text, tz)
    if "\n" in body or not body:
        raise ValidationError(
            "a window's recurrence is one RRULE line, e.g. FREQ=WEEKLY;COUNT=26", field="rrule"
        )
    try:
        rule = rrulestr(body, dtstart=local_start)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValidationError(
            f"the recurrence rule {text!r} cannot be read ({exc}); write it as in RFC 5545, "
            "e.g. FREQ=WEEKLY;BYDAY=SA;COUNT=26",
            field="rrule",
        ) from exc
    if not isinstance(rule, RRule):
        raise ValidationError(f"the recurrence rule {text!r} must be a single RRULE", field="rrule")
    return rule


def parse_rrule(text: str, start: dt.datetime, tzname: str) -> RRule:
    """The dateutil rule for ``text``, anchored at ``start`` as local wall time in ``tzname``."""
    tz = zone(tzname)
    return _cached_rule(text, tzname, _local_naive(start, tz))


def expand(
    start: dt.datetime,
    end: dt.datetime,
    tzname: str,
    rrule: str | None,
    range_start: dt.datetime,
    range_end: dt.datetime,
) -> list[Interval]:
    """Occurrences (aware UTC) of a window that overlap ``[range_start, range_end)``, by start.

    Recurrences are computed on local wall time in ``tzname``; each occurrence lasts as long in
    local wall time as the first one (so a 22:00–04:00 window ends at 04:00 local on both sides
    of a DST change, even though it is an hour shorter or longer in real time).
    """
    if not rrule:
        return [(start, end)] if start < range_end and end > range_start else []
    tz = zone(tzname)
    local_start = _local_naive(start, tz)
    wall = _local_naive(end, tz) - local_start
    rule = _cached_rule(rrule, tzname, local_start)
    # A day of margin either side covers any UTC offset; exact filtering follows.
    lo = _local_naive(range_start, tz) - wall - dt.timedelta(days=1)
    hi = _local_naive(range_end, tz) + dt.timedelta(days=1)
    out: list[Interval] = []
    for occ in rule.between(lo, hi, inc=True):
        s = occ.replace(tzinfo=tz).astimezone(dt.UTC)
        e = (occ + wall).replace(tzinfo=tz).astimezone(dt.UTC)
        if s < range_end and e > range_start and e > s:
            out.append((s, e))
    return out


def occurrences(
    window: _WindowLike, range_start: dt.datetime, range_end: dt.datetime
) -> list[Interval]:
    """``[(start_utc, end_utc), …]`` of ``window`` (a CalendarWindow or WindowInfo) that overlap
    the range, expanded in the window's own time zone (see ``expand``)."""
    return expand(
        window.start, window.end, window.timezone or "UTC", window.rrule, range_start, range_end
    )


# --- scope -------------------------------------------------------------------------------------


def window_applies(
    environment: str | None,
    window_ci_ids: Iterable[int],
    touched: set[int] | frozenset[int],
    touched_environments: set[str] | frozenset[str],
) -> bool:
    """Does a window with this scope apply to something touching these CIs/environments?"""
    ci_ids = set(window_ci_ids)
    if environment is None and not ci_ids:
        return True
    if environment is not None and environment in touched_environments:
        return True
    return bool(ci_ids & set(touched))


def touched_ci_ids(session: Session, release_id: int) -> tuple[set[int], set[int]]:
    """``(direct, touched)``: the CIs of the release's changes, and those plus their parents and
    children (through ci_relations)."""
    direct = set(
        session.execute(
            select(change_cis.c.ci_id)
            .join(Change, Change.id == change_cis.c.change_id)
            .where(Change.release_id == release_id)
        ).scalars()
    )
    touched = set(direct)
    if direct:
        for parent, child in session.execute(
            select(ci_relations.c.parent_id, ci_relations.c.child_id).where(
                or_(ci_relations.c.parent_id.in_(direct), ci_relations.c.child_id.in_(direct))
            )
        ):
            touched.add(parent)
            touched.add(child)
    return direct, touched


def windows_in_scope(
    session: Session, release: Any, *, kinds: Sequence[str] | None = None
) -> list[CalendarWindow]:
    """The calendar windows that apply to ``release`` (ORM objects of ``session``), by start."""
    _, touched = touched_ci_ids(session, release.id)
    envs: set[str] = set()
    if touched:
        envs = {
            e
            for e in session.execute(
                select(ConfigurationItem.environment).where(ConfigurationItem.id.in_(touched))
            ).scalars()
            if e
        }
    stmt = select(CalendarWindow).order_by(CalendarWindow.start, CalendarWindow.id)
    if kinds:
        stmt = stmt.where(CalendarWindow.kind.in_([E.WindowKind(k) for k in kinds]))
    result = []
    for window in session.execute(stmt).scalars():
        if window_applies(window.scope_environment, (c.id for c in window.cis), touched, envs):
            result.append(window)
    return result


# --- CRUD --------------------------------------------------------------------------------------


def _info(window: CalendarWindow) -> WindowInfo:
    return WindowInfo(
        id=window.id,
        title=window.title,
        kind=E.WindowKind(window.kind).value,
        hard=bool(window.hard),
        start=window.start,
        end=window.end,
        timezone=window.timezone,
        rrule=window.rrule,
        environment=window.scope_environment,
        cis=tuple(c.name for c in window.cis),
        version=window.row_version,
    )


def _audit_view(info: WindowInfo) -> dict[str, Any]:
    return {
        "title": info.title,
        "kind": info.kind,
        "hard": info.hard,
        "start": info.start,
        "end": info.end,
        "timezone": info.timezone,
        "rrule": info.rrule,
        "environment": info.environment,
        "cis": list(info.cis),
    }


def _aware(value: Any, tz: ZoneInfo, name: str) -> dt.datetime:
    """An aware datetime; a naive one is read as wall time in the window's own zone."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError(
                f"the window's {name} {value!r} is not an ISO 8601 date-time", field=name
            ) from exc
    if not isinstance(value, dt.datetime):
        raise ValidationError(f"the window's {name} must be a date and time", field=name)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(dt.UTC)


def _kind(value: Any) -> E.WindowKind:
    try:
        return E.WindowKind(value)
    except ValueError as exc:
        kinds = ", ".join(k.value for k in E.WindowKind)
        raise ValidationError(
            f"unknown window kind {value!r} (kinds: {kinds})", field="kind"
        ) from exc


def _cis_by_name(session: Session, names: Iterable[str]) -> list[ConfigurationItem]:
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return []
    found = {
        ci.name: ci
        for ci in session.execute(
            select(ConfigurationItem).where(ConfigurationItem.name.in_(wanted))
        ).scalars()
    }
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValidationError("unknown CI " + ", ".join(repr(n) for n in missing), field="cis")
    return [found[n] for n in wanted]


def _apply(session: Session, window: CalendarWindow, fields: dict[str, Any]) -> None:
    """Validate every field first, then set them all: nothing changes when anything is wrong."""
    known = {"title", "kind", "hard", "start", "end", "timezone", "rrule", "environment", "cis"}
    unknown = set(fields) - known
    if unknown:
        raise ValidationError("a window has no field " + ", ".join(sorted(unknown)))
    tzname = fields.get("timezone", window.timezone) or "UTC"
    tz = zone(tzname)
    title = fields.get("title", window.title)
    if not title or not str(title).strip():
        raise ValidationError("a window needs a title", field="title")
    limits.checked("title", str(title).strip(), "Title")
    kind = _kind(fields.get("kind", window.kind))
    start = _aware(fields["start"], tz, "start") if "start" in fields else window.start
    end = _aware(fields["end"], tz, "end") if "end" in fields else window.end
    if start is None or end is None:
        raise ValidationError(
            "a window needs a start and an end", field="start" if start is None else "end"
        )
    limits.check_date("start", start, "Start")
    limits.check_date("end", end, "End")
    if end <= start:
        raise ValidationError(
            f"the window ends ({end:%Y-%m-%d %H:%M} UTC) before or when it starts ({start:%Y-%m-%d %H:%M} UTC)",
            field="end",
        )
    rrule = fields.get("rrule", window.rrule)
    rrule = rrule.strip() if isinstance(rrule, str) else rrule
    rrule = rrule or None
    if rrule is not None:
        if problem := limits.rrule_problem(rrule):
            raise ValidationError(f"Recurrence: {problem}", field="rrule")
        parse_rrule(rrule, start, tzname)
        if rrule.upper().startswith("RRULE:"):
            rrule = rrule[6:]
    environment = fields.get("environment", window.scope_environment)
    if isinstance(environment, str):
        environment = environment.strip() or None
    cis = _cis_by_name(session, fields["cis"]) if "cis" in fields else None

    window.title = str(title).strip()
    window.kind = kind
    window.hard = bool(fields.get("hard", window.hard if window.hard is not None else True))
    window.start, window.end = start, end
    window.timezone = tzname
    window.rrule = rrule
    window.scope_environment = environment
    if cis is not None:
        window.cis = cis


@operation
def create_window(
    ctx: Ctx,
    *,
    title: str,
    kind: str,
    start: dt.datetime,
    end: dt.datetime,
    timezone: str = "UTC",
    rrule: str | None = None,
    hard: bool = True,
    environment: str | None = None,
    cis: Sequence[str] = (),
) -> WindowInfo:
    """Add a window. Naive ``start``/``end`` are wall-clock times in ``timezone``."""
    with ctx.write() as tx:
        window = CalendarWindow(hard=hard, timezone=timezone)
        window.cis = []
        _apply(
            tx.session,
            window,
            {
                "title": title,
                "kind": kind,
                "start": start,
                "end": end,
                "timezone": timezone,
                "rrule": rrule,
                "hard": hard,
                "environment": environment,
                "cis": list(cis),
            },
        )
        tx.session.add(window)
        tx.session.flush()
        info = _info(window)
        tx.audit("calendar_window", window.id, "create", after=_audit_view(info))
    return info


def _load(session: Session, window_id: int) -> CalendarWindow:
    window = session.get(CalendarWindow, window_id)
    if window is None:
        raise NotFound(f"no calendar window #{window_id} in this plan")
    return window


@operation
def update_window(
    ctx: Ctx, window_id: int, *, version: int | None = None, **fields: Any
) -> WindowInfo:
    """Change some of a window's fields (title, kind, hard, start, end, timezone, rrule,
    environment, cis). ``version``: its ``row_version`` as the editor loaded it (None: no
    check; see ``locking``)."""
    with ctx.write() as tx:
        window = _load(tx.session, window_id)
        locking.check(
            tx,
            window,
            version,
            label=f"window {window.title!r}",
            entity="calendar_window",
            entity_id=window.id,
        )
        before = _info(window)
        _apply(tx.session, window, fields)
        tx.session.flush()
        after = _info(window)
        if after != before:
            tx.audit(
                "calendar_window",
                window.id,
                "update",
                before=_audit_view(before),
                after=_audit_view(after),
            )
    return after


@operation
def delete_window(ctx: Ctx, window_id: int, *, version: int | None = None) -> None:
    with ctx.write() as tx:
        window = _load(tx.session, window_id)
        locking.check(
            tx,
            window,
            version,
            label=f"window {window.title!r}",
            entity="calendar_window",
            entity_id=window.id,
        )
        before = _info(window)
        tx.session.delete(window)
        tx.audit("calendar_window", window_id, "delete", before=_audit_view(before))


def get_window(ctx: Ctx, window_id: int) -> WindowInfo:
    with ctx.read() as s:
        return _info(_load(s, window_id))


def list_windows(ctx: Ctx, *, kind: str | None = None) -> list[WindowInfo]:
    """Every window (optionally of one kind), by start."""
    with ctx.read() as s:
        stmt = select(CalendarWindow).order_by(CalendarWindow.start, CalendarWindow.id)
        if kind is not None:
            stmt = stmt.where(CalendarWindow.kind == _kind(kind))
        return [_info(w) for w in s.execute(stmt).scalars()]
