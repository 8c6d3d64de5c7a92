"""Keys as people read them: natural order and the next free automatic key.

``REL-2026-559`` comes before ``REL-2026-5589`` (559 < 5589), and ``CHG-9`` before ``CHG-10``:
every place that sorts releases or changes by key uses :func:`natural_key`, so the list, the
CLI, exports and documents agree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

_PARTS = re.compile(r"(\d+)")


def natural_key(key: str | None) -> tuple[tuple[int, int, str], ...]:
    """A sort key for ``key``: digit runs compare as numbers, text without regard to case."""
    if not key:
        return ()
    parts: list[tuple[int, int, str]] = []
    for i, part in enumerate(_PARTS.split(key)):
        if not part:
            continue
        if i % 2:  # a run of digits; "007" and "7" tie on value, then the shorter first
            parts.append((1, int(part), part))
        else:
            parts.append((0, 0, part.casefold()))
    return tuple(parts)


def natural_text(key: str | None) -> str:
    """:func:`natural_key` as one string (digit runs zero-padded), for sort roles and SQL-free
    places that compare strings: ``natural_text("REL-2026-559") < natural_text("REL-2026-5589")``."""
    if not key:
        return ""
    return _PARTS.sub(lambda m: m.group().zfill(20), key.casefold())


def sorted_keys(keys: Iterable[str]) -> list[str]:
    return sorted(keys, key=natural_key)


def next_key(prefix: str, used: Iterable[str], *, width: int = 3) -> str:
    """The first free ``<prefix><NNN>`` after the highest number already used with ``prefix``
    (never a gap left by a deleted key, so a key once seen is not handed out again)."""
    highest = 0
    for key in used:
        if key.startswith(prefix) and key[len(prefix) :].isdigit():
            highest = max(highest, int(key[len(prefix) :]))
    return f"{prefix}{highest + 1:0{width}d}"


def release_prefix(year: int | None = None) -> str:
    return f"REL-{year or dt.date.today().year}-"


CHANGE_PREFIX = "CHG-"
