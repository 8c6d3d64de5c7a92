"""Free deployment slots, found on the indexed plan (``plan_index``): the candidates the
scheduling assistant (``scheduling``) checks against every conflict rule before it proposes one
(the conflict list's suggestions are the assistant's proposals).

A *free slot* for a release lasts as long as its deployment window (2 hours when it has none)
and raises no error-level conflict: no hard freeze in scope (C1), no other release touching the
same CI or its parent/child at the same time (C3), after every prerequisite it depends on and
before every release that depends on it (C5), and — when any CI it touches requires a
maintenance window — inside one occurrence of a maintenance window of each such CI (C2).

Where slots are looked for:

- Some CI needs a maintenance window: from the start of each maintenance occurrence (or the
  moment the search starts, rounded up to a quarter hour), moving past whatever blocks it until
  the slot no longer fits in the occurrence. At most one slot per occurrence, so the choices
  offered are distinct nights rather than three starts in the same night.
- No CI needs one: working days (Monday–Friday) at 20:00 local time, one per evening, where
  "local" is the plan's display zone (PlanMeta ``timezone``, else the zone most calendar
  windows use, else UTC).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from . import plan_index as C

__all__ = ["DEFAULT_DURATION", "Slot", "find_slots"]

DEFAULT_DURATION = dt.timedelta(hours=2)
EVENING = dt.time(20, 0)
QUARTER = dt.timedelta(minutes=15)
NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    window_title: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "window": self.window_title}


def _ceil(moment: dt.datetime, step: dt.timedelta = QUARTER) -> dt.datetime:
    base = moment.replace(second=0, microsecond=0)
    if base < moment:
        base += dt.timedelta(minutes=1)
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    rest = (base - epoch) % step
    return base if not rest else base + (step - rest)


def _blocked(
    index: C.PlanIndex, rel: C.RelInfo, a: dt.datetime, b: dt.datetime
) -> dt.datetime | None:
    """None when ``[a, b)`` is free for ``rel``; otherwise the earliest moment worth retrying
    from (``datetime.max`` when no later start can help)."""
    retry: dt.datetime | None = None

    def later(moment: dt.datetime) -> None:
        nonlocal retry
        retry = moment if retry is None or moment > retry else retry

    for win in index.windows_of(C.E.WindowKind.FREEZE):
        if win.hard and win.applies_to(rel):
            for _s, e in win.between(a, b):
                later(e)
    for other, _c in index.clashing_releases(rel, a, b):
        later(other.end)  # type: ignore[arg-type]
    for prereq_id in index.prerequisites(rel.id):
        pre = index.releases[prereq_id]
        if pre.active and not pre.deployed and a < pre.end:  # type: ignore[operator]
            later(pre.end)  # type: ignore[arg-type]
    for release_id in index.dependents(rel.id):
        dep = index.releases[release_id]
        if dep.active and dep.start < b:  # type: ignore[operator]
            return NEVER
    return retry


def _holds_all(
    index: C.PlanIndex, required: list[C.CIInfo], a: dt.datetime, b: dt.datetime
) -> bool:
    for ci in required:
        if not any(win.holding(a, b) for win in index.maintenance_for(ci)):
            return False
    return True


def find_slots(
    index: C.PlanIndex,
    rel: C.RelInfo,
    *,
    count: int = 3,
    days: int = 30,
    start: dt.datetime,
    duration: dt.timedelta | None = None,
) -> list[Slot]:
    """The next ``count`` free slots for ``rel`` within ``days`` of ``start`` (see module doc)."""
    if duration is None:
        duration = rel.end - rel.start if rel.scheduled else DEFAULT_DURATION  # type: ignore[operator]
    begin = _ceil(start)
    until = start + dt.timedelta(days=days)
    required = index.required_cis(rel)
    slots: list[Slot] = []
    if required:
        occurrences: set[tuple[dt.datetime, dt.datetime, str]] = set()
        for ci in required:
            for win in index.maintenance_for(ci):
                for s, e in win.between(begin, until):
                    occurrences.add((s, e, win.title))
        for s, e, title in sorted(occurrences):
            if slots and s < slots[-1].end:
                continue  # one slot per occurrence, never overlapping the previous one
            t = max(_ceil(s, dt.timedelta(minutes=1)), begin)
            while t + duration <= e and t + duration <= until:
                if not _holds_all(index, required, t, t + duration):
                    break
                retry = _blocked(index, rel, t, t + duration)
                if retry is None:
                    slots.append(Slot(t, t + duration, title))
                    break
                if retry == NEVER:
                    return slots
                t = max(_ceil(retry, dt.timedelta(minutes=1)), t + dt.timedelta(minutes=1))
            if len(slots) >= count:
                break
        return slots
    tz = index.display_tz
    day = begin.astimezone(tz).date()
    while len(slots) < count:
        t = dt.datetime.combine(day, EVENING, tzinfo=tz).astimezone(dt.UTC)
        if t + duration > until:
            break
        if day.weekday() < 5 and t >= begin and _blocked(index, rel, t, t + duration) is None:
            slots.append(Slot(t, t + duration, None))
        day += dt.timedelta(days=1)
    return slots
