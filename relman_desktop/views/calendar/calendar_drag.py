"""What a drag or a key press on the calendar would change, as plain data: no widget, no plan.

``candidate`` turns "part *p* of row *i* dragged by *d* days" into the (old, new) schedule
fields the store's edit writes; ``snap_deploy`` and ``stepped_deploy`` place a deployment
window on the nearest, next or previous maintenance-window occurrence; ``describe`` and
``impact_text`` are the words the page shows while dragging and on the undo stack.
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any

from . import gantt_data as D
from .gantt_geometry import Row

Fields = dict[str, Any]


def candidate(
    row: Row, part: str, delta: float, maintenance_starts: list[dt.datetime]
) -> tuple[Fields, Fields] | None:
    """(old, new) schedule fields for dragging ``part`` ("body", "start", "end", "deploy") of
    ``row`` by ``delta`` days; None when that part cannot move (no dates)."""
    days = round(delta)
    if row.task is not None:
        t = row.task
        if t.start is None or t.end is None:
            return None
        step = dt.timedelta(days=days)
        old = {"start": t.start, "end": t.end}
        if part == "body":
            new = {"start": t.start + step, "end": t.end + step}
        elif part == "start":
            new = {"start": min(t.start + step, t.end), "end": t.end}
        elif part == "end":
            new = {"start": t.start, "end": max(t.end + step, t.start)}
        else:
            return None
        return old, new
    rel = row.release
    if part == "deploy":
        if rel.deploy_start is None or rel.deploy_end is None:
            return None
        start, end = snap_deploy(
            rel, rel.deploy_start + dt.timedelta(days=delta), maintenance_starts
        )
        return (
            {"deploy_start": rel.deploy_start, "deploy_end": rel.deploy_end},
            {"deploy_start": start, "deploy_end": end},
        )
    if part == "body":
        moved = D.shifted_dates(rel, days)
        return D.schedule_fields(rel, moved), moved
    if rel.planned_start is None or rel.planned_end is None:
        return None
    step = dt.timedelta(days=days)
    if part == "start":
        return (
            {"planned_start": rel.planned_start},
            {"planned_start": min(rel.planned_start + step, rel.planned_end)},
        )
    if part == "end":
        return (
            {"planned_end": rel.planned_end},
            {"planned_end": max(rel.planned_end + step, rel.planned_start)},
        )
    return None


def snap_deploy(
    rel: D.GanttRelease, start: dt.datetime, maintenance_starts: list[dt.datetime]
) -> tuple[dt.datetime, dt.datetime]:
    """The nearest maintenance-window occurrence start (within 4 days; ``maintenance_starts``
    sorted), else a whole-hour move by whole days; the window keeps its length."""
    assert rel.deploy_start is not None and rel.deploy_end is not None
    length = rel.deploy_end - rel.deploy_start
    starts = maintenance_starts
    if starts:
        k = bisect.bisect_left(starts, start)
        near = [starts[j] for j in (k - 1, k) if 0 <= j < len(starts)]
        best = min(near, key=lambda s: abs(s - start))
        if abs(best - start) <= dt.timedelta(days=4):
            return best, best + length
    days = round((start - rel.deploy_start) / dt.timedelta(days=1))
    moved = rel.deploy_start + dt.timedelta(days=days)
    return moved, moved + length


def stepped_deploy(
    rel: D.GanttRelease, direction: int, maintenance_starts: list[dt.datetime]
) -> tuple[Fields, Fields]:
    """(old, new) deployment window moved to the next (``direction`` > 0) or previous
    maintenance-window occurrence, or by a day when there is none that way."""
    assert rel.deploy_start is not None and rel.deploy_end is not None
    length = rel.deploy_end - rel.deploy_start
    if direction > 0:
        later = [s for s in maintenance_starts if s > rel.deploy_start]
        start = later[0] if later else rel.deploy_start + dt.timedelta(days=1)
    else:
        earlier = [s for s in maintenance_starts if s < rel.deploy_start]
        start = earlier[-1] if earlier else rel.deploy_start - dt.timedelta(days=1)
    old = {"deploy_start": rel.deploy_start, "deploy_end": rel.deploy_end}
    return old, {"deploy_start": start, "deploy_end": start + length}


def _fmt(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
    return str(value)


def describe(key: str, old: Fields, new: Fields) -> str:
    """The words for moving ``key`` from ``old`` to ``new`` (status line and undo stack)."""
    parts = []
    if "planned_start" in new and "planned_end" in new:
        parts.append(f"planned {new['planned_start']} → {new['planned_end']}")
    elif "planned_start" in new:
        parts.append(f"planned start {new['planned_start']}")
    elif "planned_end" in new:
        parts.append(f"planned end {new['planned_end']}")
    if "deploy_start" in new:
        parts.append(f"deployment {_fmt(new['deploy_start'])} UTC")
    return f"move {key}: " + ", ".join(parts) if parts else f"edit {key}"


def impact_text(result: Any) -> str:
    """What else a move would shift and which conflicts it would raise (an impact result)."""
    out = []
    others = [m for m in result.moved if m.kind == "release" and m.key != result.key]
    if others:
        out.append(
            "would also move: "
            + ", ".join(f"{m.key} ({m.days:+d} d)" for m in others[:6])
            + (" …" if len(others) > 6 else "")
        )
    if result.new_conflicts:
        out.append(
            "new conflicts: "
            + "; ".join(f"{c.rule} {c.severity}: {c.message}" for c in result.new_conflicts[:3])
            + (" …" if len(result.new_conflicts) > 3 else "")
        )
    else:
        out.append("no new conflicts")
    return " — " + " — ".join(out)
