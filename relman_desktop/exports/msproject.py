"""A release's tasks as Microsoft Project XML (MSPDI), for Project, ProjectLibre and GanttProject.

Each task keeps the same UID and GUID in every export (the UID is the task's row id in the plan,
the GUID its source GUID when it came from a Project file, else one derived from the row id), so
a project manager who re-imports an updated export into Project sees the same tasks, not copies.
Outline groups become summary tasks; links keep their type and lag (whole working days, written
as LagFormat 7); each assignee becomes a resource with an assignment; the plan's holidays become
exceptions of the Standard calendar. Written through ``safe_write.write_atomically``.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import aliased

from relman_desktop.exports.safe_write import write_atomically
from relman_desktop.models import enums as E
from relman_desktop.models.entities import Person, Task, TaskDependency
from relman_desktop.services.base import Ctx, release_by_key
from relman_desktop.services.task_identity import EXPORT_NAMESPACE, export_guid
from relman_desktop.services.workdays import holiday_dates, is_workday

NS = "http://schemas.microsoft.com/project"
LINK_CODES = {E.LinkType.FF: 0, E.LinkType.FS: 1, E.LinkType.SF: 2, E.LinkType.SS: 3}
MINUTES_PER_DAY = 480
WORK_TIMES = (("08:00:00", "12:00:00"), ("13:00:00", "17:00:00"))


@dataclass
class ExportTask:
    uid: int
    guid: str
    name: str
    outline: list[str]
    start: dt.date
    end: dt.date
    milestone: bool
    percent: int
    effort_hours: float | None
    assignee: int | None
    links: list[tuple[int, E.LinkType, int]] = field(default_factory=list)  # (pred uid, type, lag)


@dataclass
class ExportProject:
    key: str
    title: str
    start: dt.date
    end: dt.date
    tasks: list[ExportTask]
    people: dict[int, tuple[str, str]]  # id → (name, email)
    holidays: list[dt.date]


def collect(ctx: Ctx, key: str) -> ExportProject:
    """Plain data for one release's export (one read)."""
    with ctx.read() as s:
        rel = release_by_key(s, key)
        rows = s.execute(
            select(
                Task.id,
                Task.title,
                Task.outline,
                Task.start,
                Task.end,
                Task.milestone,
                Task.percent_complete,
                Task.effort_hours,
                Task.assignee_id,
                Task.external_uid,
            )
            .where(Task.release_id == rel.id)
            .order_by(Task.position, Task.id)
        ).all()
        default_day = (
            rel.planned_start or next((r.start for r in rows if r.start), None) or ctx.today()
        )
        tasks: dict[int, ExportTask] = {}
        for t in rows:
            start = t.start or t.end or default_day
            end = t.end or start
            external = t.external_uid or ""
            guid = external[5:] if external.startswith("guid:") else export_guid(t.id)
            outline = [p.strip() for p in (t.outline or "").split(" / ") if p.strip()]
            tasks[t.id] = ExportTask(
                t.id,
                guid.upper(),
                t.title,
                outline,
                start,
                max(end, start),
                bool(t.milestone),
                t.percent_complete,
                t.effort_hours,
                t.assignee_id,
            )
        pred = aliased(Task)
        for pred_id, succ_id, kind, lag in s.execute(
            select(
                TaskDependency.predecessor_id,
                TaskDependency.successor_id,
                TaskDependency.type,
                TaskDependency.lag_days,
            )
            .join(pred, pred.id == TaskDependency.predecessor_id)
            .where(pred.release_id == rel.id)
            .order_by(TaskDependency.id)
        ):
            if succ_id in tasks:
                tasks[succ_id].links.append((pred_id, kind, lag))
        ids = {t.assignee for t in tasks.values() if t.assignee}
        people = (
            {
                pid: (name, email)
                for pid, name, email in s.execute(
                    select(Person.id, Person.name, Person.email).where(Person.id.in_(ids))
                )
            }
            if ids
            else {}
        )
        starts = [t.start for t in tasks.values()] or [rel.planned_start or default_day]
        ends = [t.end for t in tasks.values()] or [
            rel.planned_end or rel.planned_start or default_day
        ]
        first, last = min(starts), max(ends)
        if rel.planned_start:
            first = min(first, rel.planned_start)
        if rel.planned_end:
            last = max(last, rel.planned_end)
        holidays = sorted(
            holiday_dates(s, first - dt.timedelta(days=31), last + dt.timedelta(days=366))
        )
        return ExportProject(
            rel.key, rel.title, first, last, list(tasks.values()), people, holidays
        )


def _workdays(start: dt.date, end: dt.date, holidays: set[dt.date]) -> int:
    days, day = 0, start
    while day <= end:
        if is_workday(day, holidays):
            days += 1
        day += dt.timedelta(days=1)
    return days


def _hours(hours: float) -> str:
    whole = int(hours)
    minutes = int(round((hours - whole) * 60))
    return f"PT{whole}H{minutes}M0S"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class _Writer:
    """Writes the document as text, element by element: ten times faster than building a tree
    of 300,000 elements for a 10,000-task release, and the layout is Project's own."""

    def __init__(self) -> None:
        self.parts: list[str] = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n']
        self.depth = 0

    def open(self, tag: str, attrs: str = "") -> None:
        self.parts.append(f"{'  ' * self.depth}<{tag}{attrs}>\n")
        self.depth += 1

    def close(self, tag: str) -> None:
        self.depth -= 1
        self.parts.append(f"{'  ' * self.depth}</{tag}>\n")

    def leaf(self, tag: str, value: object) -> None:
        text = escape(_NOT_XML.sub("", str(value)))  # control characters cannot be in XML 1.0
        self.parts.append(f"{'  ' * self.depth}<{tag}>{text}</{tag}>\n")

    def text(self) -> str:
        return "".join(self.parts)


def build_document(project: ExportProject) -> str:
    """The MSPDI document for ``project``, as text (elements in the order of Project's schema)."""
    holidays = set(project.holidays)
    w = _Writer()
    w.open("Project", f' xmlns="{NS}"')
    for tag, value in (
        ("SaveVersion", 14),
        ("Name", f"{project.key}.xml"),
        ("GUID", str(uuid.uuid5(EXPORT_NAMESPACE, f"release:{project.key}")).upper()),
        ("Title", project.title),
        ("ScheduleFromStart", 1),
        ("StartDate", f"{project.start}T08:00:00"),
        ("FinishDate", f"{project.end}T17:00:00"),
        ("FYStartDate", 1),
        ("CriticalSlackLimit", 0),
        ("CurrencyDigits", 2),
        ("CurrencySymbol", "$"),
        ("CurrencySymbolPosition", 0),
        ("CalendarUID", 1),
        ("DefaultStartTime", "08:00:00"),
        ("DefaultFinishTime", "17:00:00"),
        ("MinutesPerDay", MINUTES_PER_DAY),
        ("MinutesPerWeek", MINUTES_PER_DAY * 5),
        ("DaysPerMonth", 20),
        ("DefaultTaskType", 0),
        ("DefaultFixedCostAccrual", 3),
        ("DurationFormat", 7),
        ("WorkFormat", 2),
        ("HonorConstraints", 0),
        ("NewTasksEffortDriven", 0),
        ("NewTasksEstimated", 0),
        ("WeekStartDay", 1),
        ("NewTasksAreManual", 0),
    ):
        w.leaf(tag, value)

    w.open("Calendars")
    w.open("Calendar")
    for tag, value in (
        ("UID", 1),
        ("Name", "Standard"),
        ("IsBaseCalendar", 1),
        ("IsBaselineCalendar", 0),
        ("BaseCalendarUID", -1),
    ):
        w.leaf(tag, value)
    w.open("WeekDays")
    for day_type in range(1, 8):  # 1 = Sunday … 7 = Saturday
        w.open("WeekDay")
        w.leaf("DayType", day_type)
        working = day_type not in (1, 7)
        w.leaf("DayWorking", int(working))
        if working:
            w.open("WorkingTimes")
            for a, b in WORK_TIMES:
                w.open("WorkingTime")
                w.leaf("FromTime", a)
                w.leaf("ToTime", b)
                w.close("WorkingTime")
            w.close("WorkingTimes")
        w.close("WeekDay")
    w.close("WeekDays")
    if holidays:
        w.open("Exceptions")
        for day in project.holidays:
            w.open("Exception")
            w.leaf("EnteredByOccurrences", 0)
            w.open("TimePeriod")
            w.leaf("FromDate", f"{day}T00:00:00")
            w.leaf("ToDate", f"{day}T23:59:00")
            w.close("TimePeriod")
            w.leaf("Occurrences", 1)
            w.leaf("Name", "Holiday")
            w.leaf("Type", 1)
            w.leaf("DayWorking", 0)
            w.close("Exception")
        w.close("Exceptions")
    w.close("Calendar")
    w.close("Calendars")

    w.open("Tasks")
    next_id = 0

    def task_el(
        uid: int,
        guid: str,
        name: str,
        level: int,
        outline_number: str,
        start: dt.date,
        end: dt.date,
        *,
        summary: bool,
        milestone: bool,
        percent: int,
        effort: float | None,
        links: list[tuple[int, E.LinkType, int]] | None = None,
    ) -> None:
        nonlocal next_id
        days = 0 if milestone else max(1, _workdays(start, end, holidays))
        w.open("Task")
        for tag, value in (
            ("UID", uid),
            ("GUID", guid),
            ("ID", next_id),
            ("Name", name),
            ("Active", 1),
            ("Manual", 0),
            ("Type", 1 if summary else 0),
            ("IsNull", 0),
            ("WBS", outline_number),
            ("OutlineNumber", outline_number),
            ("OutlineLevel", level),
            ("Priority", 500),
            ("Start", f"{start}T08:00:00"),
            ("Finish", f"{end}T{'08:00:00' if milestone else '17:00:00'}"),
            ("Duration", _hours(days * MINUTES_PER_DAY / 60)),
            ("DurationFormat", 7),
            ("Work", _hours(effort or 0.0)),
            ("Estimated", 0),
            ("Milestone", int(milestone)),
            ("Summary", int(summary)),
            ("PercentComplete", percent),
            ("ConstraintType", 0 if summary else 4),  # 4: start no earlier than
            ("CalendarUID", -1),
        ):
            w.leaf(tag, value)
        next_id += 1
        if not summary:
            w.leaf("ConstraintDate", f"{start}T08:00:00")
        for pred_uid, kind, lag in links or []:  # after the task's own fields, as in the schema
            w.open("PredecessorLink")
            w.leaf("PredecessorUID", pred_uid)
            w.leaf("Type", LINK_CODES[kind])
            w.leaf("CrossProject", 0)
            w.leaf("LinkLag", lag * MINUTES_PER_DAY * 10)
            w.leaf("LagFormat", 7)
            w.close("PredecessorLink")
        w.close("Task")

    # summary tasks for each outline group, in the order their first task appears
    order: list[tuple[str, ...]] = []
    members: dict[tuple[str, ...], list[ExportTask]] = {}
    for t in project.tasks:
        path = tuple(t.outline)
        if path not in members:
            members[path] = []
            order.append(path)
        members[path].append(t)
    tree: dict[tuple[str, ...], list[tuple[str, ...]]] = {(): []}
    for path in order:
        for depth in range(1, len(path) + 1):
            prefix, parent = path[:depth], path[: depth - 1]
            tree.setdefault(prefix, [])
            if prefix not in tree[parent]:
                tree[parent].append(prefix)
    used_uids = {t.uid for t in project.tasks}

    def group_uid(path: tuple[str, ...]) -> int:
        uid = 1_000_000_000 + zlib.crc32("\x1f".join(path).encode()) % 1_000_000_000
        while uid in used_uids:
            uid += 1
        used_uids.add(uid)
        return uid

    def span(path: tuple[str, ...]) -> tuple[dt.date, dt.date]:
        inside = [t for p, ts in members.items() if p[: len(path)] == path for t in ts]
        return min(t.start for t in inside), max(t.end for t in inside)

    exported: list[ExportTask] = []

    def emit(path: tuple[str, ...], number: str) -> None:
        n = 0
        for t in members.get(path, []):
            n += 1
            num = f"{number}.{n}" if number else str(n)
            task_el(
                t.uid,
                t.guid,
                t.name,
                len(path) + 1,
                num,
                t.start,
                t.end,
                summary=False,
                milestone=t.milestone,
                percent=t.percent,
                effort=t.effort_hours,
                links=t.links,
            )
            exported.append(t)
        for child in tree.get(path, []):
            n += 1
            num = f"{number}.{n}" if number else str(n)
            first, last = span(child)
            task_el(
                group_uid(child),
                str(
                    uuid.uuid5(EXPORT_NAMESPACE, f"group:{project.key}:" + "\x1f".join(child))
                ).upper(),
                child[-1],
                len(child),
                num,
                first,
                last,
                summary=True,
                milestone=False,
                percent=0,
                effort=None,
            )
            emit(child, num)

    task_el(
        0,
        str(uuid.uuid5(EXPORT_NAMESPACE, f"project:{project.key}")).upper(),
        project.title,
        0,
        "0",
        project.start,
        project.end,
        summary=True,
        milestone=False,
        percent=0,
        effort=None,
    )
    emit((), "")
    w.close("Tasks")

    w.open("Resources")
    for pid, (name, email) in sorted(project.people.items()):
        w.open("Resource")
        for tag, value in (
            ("UID", pid),
            ("ID", pid),
            ("Name", name),
            ("Type", 1),
            ("IsNull", 0),
            ("EmailAddress", email),
            ("MaxUnits", "1.00"),
        ):
            w.leaf(tag, value)
        w.close("Resource")
    w.close("Resources")
    w.open("Assignments")
    for t in exported:
        if t.assignee is None:
            continue
        w.open("Assignment")
        for tag, value in (
            ("UID", t.uid),
            ("TaskUID", t.uid),
            ("ResourceUID", t.assignee),
            ("PercentWorkComplete", t.percent),
            ("Finish", f"{t.end}T{'08:00:00' if t.milestone else '17:00:00'}"),
            ("Start", f"{t.start}T08:00:00"),
            ("Units", 1),
            ("Work", _hours(t.effort_hours or 0.0)),
        ):
            w.leaf(tag, value)
        w.close("Assignment")
    w.close("Assignments")
    w.close("Project")
    return w.text()


def write_mspdi(ctx: Ctx, key: str, target: str | Path) -> tuple[Path, int]:
    """Write release ``key`` as MSPDI to ``target``; returns the file and the task count."""
    project = collect(ctx, key)
    document = build_document(project)

    def write(path: Path) -> None:
        path.write_text(document, encoding="utf-8")

    return write_atomically(target, write), len(project.tasks)
