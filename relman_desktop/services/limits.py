"""What a person could mean: the bounds every way into a plan applies alike.

The JSON Schema of the plan format (``relman_desktop/schema/plan-v1.schema.json``), the
services behind the app's forms, and the command line's argument types all take their limits
from here (``tests/test_limits.py`` holds the schema to these numbers). A value outside them is
a typing slip or hostile input, never a plan: a rollback of ten years, a lag of 2^64 days, a
window in year 1. Refusing it at the door, with the field's name, keeps SQLite's 64-bit
integers, Python's dates (years 1–9999) and the recurrence expander out of reach.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from relman_desktop.services.base import ValidationError

# Calendar: plans, history brought in from other tools, and far-future freezes all fit.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2199
EARLIEST_DATE = dt.date(EARLIEST_YEAR, 1, 1)
LATEST_DATE = dt.date(LATEST_YEAR, 12, 31)

MAX_ROLLBACK_MINUTES = 7 * 24 * 60  # a rollback takes under a week, or it is a new release
MAX_BAKE_MINUTES = 7 * 24 * 60
MAX_LAG_DAYS = 365  # a task dependency's lag, either way
MAX_DURATION_DAYS = 3650  # template offsets and durations, a release's default length
MAX_SHIFT_DAYS = 3650  # "what if this slips by N days"
MAX_EFFORT_HOURS = 100_000
MAX_COUNT = 10_000_000  # tests in a run, incidents, wave batch size
MAX_ORDER = 10_000  # positions in a list (approval stage order)
MAX_ID = 2**63 - 1  # a row id SQLite can hold
MAX_RRULE_INTERVAL = 1000
MAX_RRULE_COUNT = 10_000
FINEST_RECURRENCE = "DAILY"  # maintenance windows recur daily at most often

# field name -> (least, most); the same names as the plan format uses.
BOUNDS: dict[str, tuple[float, float]] = {
    "duration_minutes": (0, MAX_ROLLBACK_MINUTES),
    "rollback_minutes": (0, MAX_ROLLBACK_MINUTES),
    "bake_minutes": (0, MAX_BAKE_MINUTES),
    "lag_days": (-MAX_LAG_DAYS, MAX_LAG_DAYS),
    "effort_hours": (0, MAX_EFFORT_HOURS),
    "percent_complete": (0, 100),
    "percent": (1, 100),
    "passed": (0, MAX_COUNT),
    "failed": (0, MAX_COUNT),
    "skipped": (0, MAX_COUNT),
    "incidents": (0, MAX_COUNT),
    "batch": (1, MAX_COUNT),
    "order": (0, MAX_ORDER),
    "default_duration_days": (1, MAX_DURATION_DAYS),
    "offset_days": (0, MAX_DURATION_DAYS),
    "duration_days": (0, MAX_DURATION_DAYS),
    "rollback_rehearsal_days": (1, MAX_DURATION_DAYS),
}


def number_problem(value: Any, least: float, most: float, *, whole: bool = True) -> str | None:
    """Why ``value`` is not a number in ``[least, most]``, in words, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{value!r} is not a {'whole ' if whole else ''}number"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a number"
    if whole and isinstance(value, float) and not value.is_integer():
        return f"{value} is not a whole number"
    if not least <= value <= most:
        shown = (
            f"{value:,}" if abs(value) < 10**30 else f"a number of {len(str(int(value)))} digits"
        )
        return f"must be between {least:,} and {most:,}, not {shown}"
    return None


def check_number(field: str, value: Any, label: str | None = None, *, whole: bool = True) -> Any:
    """``value`` when it lies within ``BOUNDS[field]``; otherwise ValidationError naming it."""
    least, most = BOUNDS[field]
    problem = number_problem(value, least, most, whole=whole)
    if problem:
        raise ValidationError(
            f"{label or field.replace('_', ' ').capitalize()}: {problem}", field=field
        )
    return value


def date_problem(value: dt.date | dt.datetime) -> str | None:
    """Why a date (or the UTC day of an aware date-time) lies outside what a plan may hold."""
    day = value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            # Year 1 at +05:00 is year 0 in UTC: compare before converting.
            if value.year <= EARLIEST_YEAR or value.year >= LATEST_YEAR:
                day = value.replace(tzinfo=None).date()
            else:
                day = value.astimezone(dt.UTC).date()
        else:
            day = value.date()
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        return f"{value.isoformat()} is outside the years {EARLIEST_YEAR}–{LATEST_YEAR}"
    return None


def check_date(field: str, value: Any, label: str | None = None) -> Any:
    """``value`` (a date or date-time, or None) when it lies within the years a plan may hold."""
    if isinstance(value, dt.date):
        problem = date_problem(value)
        if problem:
            raise ValidationError(
                f"{label or field.replace('_', ' ').capitalize()}: {problem}", field=field
            )
    return value


def rrule_problem(text: str) -> str | None:
    """What a recurrence rule asks that a maintenance window cannot mean, or None.

    Rules finer than daily would put thousands of windows in a week; an INTERVAL of 0 never
    advances; a COUNT or INTERVAL in the millions is a slip of the keyboard.
    """
    finer = {"SECONDLY", "MINUTELY", "HOURLY"}
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    for part in body.split(";"):
        name, _, raw = part.partition("=")
        name, raw = name.strip().upper(), raw.strip()
        if name == "FREQ" and raw.upper() in finer:
            return f"FREQ={raw.upper()} repeats more often than daily; windows recur daily at most"
        if name == "UNTIL":
            year = raw[:4]
            if not year.isdigit() or not EARLIEST_YEAR <= int(year) <= LATEST_YEAR:
                return f"UNTIL={raw} is outside the years {EARLIEST_YEAR}–{LATEST_YEAR}"
        if name in ("INTERVAL", "COUNT"):
            most = MAX_RRULE_INTERVAL if name == "INTERVAL" else MAX_RRULE_COUNT
            if not raw.isdigit() or len(raw) > 9 or not 1 <= int(raw) <= most:
                return f"{name}={raw} must be a whole number from 1 to {most:,}"
    return None


# Fields holding one line of short text (titles, names, keys); other text may run to pages.
SHORT_TEXT = {
    "key",
    "title",
    "name",
    "version",
    "application",
    "environment",
    "local_id",
    "closure_code",
    "wave",
    "manager_email",
    "assignee_email",
    "requester_email",
    "external_ref",
    "source",
}
COLOR_RE = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})")


def checked(name: str, value: Any, label: str | None = None) -> Any:
    """One field's coerced value held to the plan's bounds: numbers to ``BOUNDS``, dates to the
    years a plan holds, text to ``text.text_problem``. The services' field coercions end here,
    so a form, the command line and an import refuse the same values with the field's name."""
    from relman_desktop.services.text import MAX_TEXT, MAX_TITLE, text_problem

    label = label or name.replace("_", " ").capitalize()
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        bound = "rollback_minutes" if name == "duration_minutes" else name
        if bound in BOUNDS:
            return check_number(bound, value, label, whole=isinstance(value, int))
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError(f"{label}: {value} is not a number", field=name)
        return value
    if isinstance(value, dt.date):
        return check_date(name, value, label)
    if isinstance(value, str):
        short = name in SHORT_TEXT
        problem = text_problem(
            value, max_length=MAX_TITLE if short else MAX_TEXT, single_line=short
        )
        if problem:
            raise ValidationError(f"{label}: {problem}", field=name)
        return value
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str) and (problem := text_problem(item, max_length=MAX_TITLE)):
                raise ValidationError(f"{label}: {problem}", field=name)
    return value


def check_color(value: str | None, field: str = "color") -> str | None:
    """A workflow state's colour: ``#rgb`` or ``#rrggbb``, or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not COLOR_RE.fullmatch(value.strip()):
        raise ValidationError(f"Colour: {value!r} is not a colour like #3b6fb6", field=field)
    return value.strip()


WAVE_FIELDS = {"percent", "batch", "bake_minutes", "abort_criteria"}


def check_waves(waves: list[Any], field: str = "waves") -> list[Any]:
    """A canary or rolling strategy's waves, as the plan format describes them."""
    for i, wave in enumerate(waves):
        where = f"Waves[{i}]"
        if not isinstance(wave, dict):
            raise ValidationError(
                f"{where}: must be an object with percent, batch, bake_minutes", field=field
            )
        unknown = sorted(set(wave) - WAVE_FIELDS)
        if unknown:
            raise ValidationError(f"{where}.{unknown[0]}: unknown field", field=field)
        for name in ("percent", "batch", "bake_minutes"):
            if wave.get(name) is not None:
                checked(name, wave[name], f"{where}.{name}")
        if wave.get("abort_criteria") is not None:
            if not isinstance(wave["abort_criteria"], str):
                raise ValidationError(f"{where}.abort_criteria: must be text", field=field)
            checked("abort_criteria", wave["abort_criteria"], f"{where}.abort_criteria")
    return waves
