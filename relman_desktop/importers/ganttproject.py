"""GanttProject (.gan) files in: tasks with their nesting, milestones, ``<depend>`` links,
resources and the calendar's holidays. Nested tasks become the outline of the tasks under them,
as MS Project summaries do (see docs/interchange.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from lxml import etree

from relman_desktop.importers.msproject import _links_through_summaries
from relman_desktop.importers.schedule import (
    NonWorkingDays,
    Schedule,
    SourceLink,
    SourceResource,
    SourceTask,
    phase_for,
)
from relman_desktop.models import enums as E
from relman_desktop.services.base import ValidationError
from relman_desktop.services.workdays import is_workday

# <depend type="…">: GanttProject's dependency kinds
DEPEND_TYPES = {"1": E.LinkType.SS, "2": E.LinkType.FS, "3": E.LinkType.FF, "4": E.LinkType.SF}


def _load(path: str | Path) -> Any:
    file = Path(path).expanduser()
    if not file.is_file():
        raise ValidationError(f"{path}: no such file")
    try:
        root = etree.parse(
            str(file), etree.XMLParser(resolve_entities=False, no_network=True)
        ).getroot()
    except etree.XMLSyntaxError as exc:
        raise ValidationError(f"{file.name} is not XML: {exc.msg} (line {exc.lineno})") from None
    if root.tag != "project" or root.find("tasks") is None:
        raise ValidationError(
            f"{file.name} is XML but not a GanttProject file: its root is "
            f"<{root.tag}>, not <project> with <tasks>"
        )
    return root


def _end(start: dt.date, duration: int, holidays: set[dt.date]) -> dt.date:
    """The last working day of a task that lasts ``duration`` working days from ``start``."""
    if duration <= 0:
        return start
    day, left = start, duration
    while True:
        if is_workday(day, holidays):
            left -= 1
            if left == 0:
                return day
        day += dt.timedelta(days=1)


def read_gan(path: str | Path) -> Schedule:
    root = _load(path)
    name = Path(path).name
    schedule = Schedule(source=name, title=(root.get("name") or "").strip() or Path(path).stem)

    holidays: set[dt.date] = set()
    calendars = root.find("calendars")
    for el in calendars.findall("date") if calendars is not None else []:
        try:
            if not el.get("year"):
                schedule.warnings.append(
                    f"yearly holiday {el.get('month')}/{el.get('date')} is left "
                    f"out: only dated holidays are read"
                )
                continue
            day = dt.date(int(el.get("year")), int(el.get("month")), int(el.get("date")))
        except (TypeError, ValueError):
            continue
        if (el.get("type") or "HOLIDAY").upper() == "HOLIDAY":
            holidays.add(day)
            schedule.non_working.append(
                NonWorkingDays(
                    f"gan:{schedule.title}:{day}", "Holiday (GanttProject calendar)", day, day
                )
            )

    by_id: dict[str, SourceTask] = {}
    leaves_of: dict[str, list[SourceTask]] = {}
    summaries: dict[str, str] = {}
    depends: list[tuple[str, Any]] = []

    def walk(el: Any, outline: list[str], open_ids: list[str]) -> None:
        for task_el in el.findall("task"):
            tid = task_el.get("id", "")
            title = (task_el.get("name") or "").strip() or f"(unnamed task {tid})"
            for dep in task_el.findall("depend"):
                depends.append((tid, dep))
            if task_el.find("task") is not None:
                summaries[tid] = title
                leaves_of[tid] = []
                walk(task_el, [*outline, title], [*open_ids, tid])
                continue
            try:
                start = dt.date.fromisoformat(task_el.get("start", ""))
            except ValueError:
                raise ValidationError(
                    f"{name}: task {title!r} (id {tid}) has no valid start date"
                ) from None
            duration = int(float(task_el.get("duration") or 0))
            milestone = task_el.get("meeting") == "true" or duration == 0
            task = SourceTask(
                identity=f"gan:{task_el.get('uid') or tid}",
                name=title,
                source=f"task id {tid}",
                outline=" / ".join(outline) or None,
                phase=phase_for([title, *reversed(outline)]),
                start=start,
                end=start if milestone else _end(start, duration, holidays),
                milestone=milestone,
                percent_complete=max(0, min(100, int(float(task_el.get("complete") or 0)))),
            )
            by_id[tid] = task
            for sid in open_ids:
                leaves_of[sid].append(task)
            schedule.tasks.append(task)

    walk(root.find("tasks"), [], [])

    seen: set[tuple[str, str]] = set()
    summary_links = []
    for pred_id, dep in depends:
        succ_id = dep.get("id", "")
        kind = DEPEND_TYPES.get(dep.get("type", "2"), E.LinkType.FS)
        lag = int(float(dep.get("difference") or 0))
        if pred_id in summaries or succ_id in summaries:
            summary_links.append(
                (pred_id, succ_id, kind, {"LinkLag": str(lag * 4800), "LagFormat": "7"})
            )
            continue
        pred, succ = by_id.get(pred_id), by_id.get(succ_id)
        if pred is None or succ is None:
            schedule.warnings.append(
                f"link {pred_id} → {succ_id} names a task that is not in the file"
            )
            continue
        if pred is succ or (pred.identity, succ.identity) in seen:
            continue
        seen.add((pred.identity, succ.identity))
        if dep.get("hardness") == "Rubber":
            schedule.warnings.append(
                f"link {pred.name} → {succ.name} is 'Rubber' (at least the lag) "
                f"in GanttProject; the plan keeps it as a plain {kind.value} link"
            )
        schedule.links.append(SourceLink(pred.identity, succ.identity, kind, lag))
    _links_through_summaries(schedule, summary_links, by_id, leaves_of, summaries, seen, 480, {})

    resources = root.find("resources")
    for el in resources.findall("resource") if resources is not None else []:
        rname = (el.get("name") or "").strip()
        if rname:
            email = (el.get("contacts") or "").strip()
            schedule.resources[el.get("id", "")] = SourceResource(
                el.get("id", ""), rname, email if "@" in email else None
            )
    allocations = root.find("allocations")
    per_task: dict[str, list[tuple[int, float, int, str]]] = {}
    for n, el in enumerate(allocations.findall("allocation") if allocations is not None else []):
        tid, rid = el.get("task-id", ""), el.get("resource-id", "")
        if tid in by_id and rid in schedule.resources:
            responsible = 0 if el.get("responsible") == "true" else 1
            per_task.setdefault(tid, []).append((responsible, -float(el.get("load") or 0), n, rid))
    for tid, assigned in per_task.items():
        by_id[tid].resources = [rid for *_, rid in sorted(assigned)]
    return schedule


# --- GNOME Planner (.planner): the same shape, so the same command reads it ----------------------

PLANNER_TYPES = {"FS": E.LinkType.FS, "SS": E.LinkType.SS, "FF": E.LinkType.FF, "SF": E.LinkType.SF}


def _planner_moment(text: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text or "", "%Y%m%dT%H%M%SZ")
    except ValueError:
        return None


def read_planner(path: str | Path) -> Schedule:
    root = _load(path)
    name = Path(path).name
    schedule = Schedule(source=name, title=(root.get("name") or "").strip() or Path(path).stem)
    by_id: dict[str, SourceTask] = {}
    leaves_of: dict[str, list[SourceTask]] = {}
    summaries: dict[str, str] = {}
    preds: list[tuple[str, Any]] = []

    def walk(el: Any, outline: list[str], open_ids: list[str]) -> None:
        for task_el in el.findall("task"):
            tid = task_el.get("id", "")
            title = (task_el.get("name") or "").strip() or f"(unnamed task {tid})"
            links = task_el.find("predecessors")
            for p in links.findall("predecessor") if links is not None else []:
                preds.append((tid, p))
            if task_el.find("task") is not None:
                summaries[tid] = title
                leaves_of[tid] = []
                walk(task_el, [*outline, title], [*open_ids, tid])
                continue
            start, end = _planner_moment(task_el.get("start")), _planner_moment(task_el.get("end"))
            if start is None:
                raise ValidationError(f"{name}: task {title!r} (id {tid}) has no valid start")
            milestone = task_el.get("type") == "milestone"
            last = end.date() if end else start.date()
            if end and end > start and end.time() == dt.time(0):
                last = (end - dt.timedelta(days=1)).date()
            task = SourceTask(
                identity=f"planner:{tid}",
                name=title,
                source=f"task id {tid}",
                outline=" / ".join(outline) or None,
                phase=phase_for([title, *reversed(outline)]),
                start=start.date(),
                end=start.date() if milestone else max(last, start.date()),
                milestone=milestone,
                percent_complete=max(0, min(100, int(task_el.get("percent-complete") or 0))),
                effort_hours=round(int(task_el.get("work") or 0) / 3600, 2) or None,
            )
            by_id[tid] = task
            for sid in open_ids:
                leaves_of[sid].append(task)
            schedule.tasks.append(task)

    walk(root.find("tasks"), [], [])
    seen: set[tuple[str, str]] = set()
    summary_links = []
    for succ_id, p in preds:
        pred_id = p.get("predecessor-id", "")
        kind = PLANNER_TYPES.get((p.get("type") or "FS").upper(), E.LinkType.FS)
        lag_days = round(int(p.get("lag") or 0) / 86400)  # seconds
        if pred_id in summaries or succ_id in summaries:
            summary_links.append(
                (pred_id, succ_id, kind, {"LinkLag": str(lag_days * 4800), "LagFormat": "7"})
            )
            continue
        pred, succ = by_id.get(pred_id), by_id.get(succ_id)
        if pred is None or succ is None or pred is succ or (pred.identity, succ.identity) in seen:
            continue
        seen.add((pred.identity, succ.identity))
        schedule.links.append(SourceLink(pred.identity, succ.identity, kind, lag_days))
    _links_through_summaries(schedule, summary_links, by_id, leaves_of, summaries, seen, 480, {})
    resources = root.find("resources")
    for el in resources.findall("resource") if resources is not None else []:
        if (el.get("name") or "").strip():
            schedule.resources[el.get("id", "")] = SourceResource(
                el.get("id", ""),
                el.get("name", "").strip(),
                (el.get("email") or "").strip() or None,
            )
    allocations = root.find("allocations")
    per_task: dict[str, list[tuple[float, int, str]]] = {}
    for n, el in enumerate(allocations.findall("allocation") if allocations is not None else []):
        tid, rid = el.get("task-id", ""), el.get("resource-id", "")
        if tid in by_id and rid in schedule.resources:
            per_task.setdefault(tid, []).append((-float(el.get("units") or 0), n, rid))
    for tid, assigned in per_task.items():
        by_id[tid].resources = [rid for *_, rid in sorted(assigned)]
    return schedule


def read_schedule(path: str | Path) -> Schedule:
    """A GanttProject .gan or a GNOME Planner .planner file, told apart by their contents."""
    root = _load(path)
    if root.get("mrproject-version") is not None:
        return read_planner(path)
    return read_gan(path)
