"""Microsoft Project XML (MSPDI) in: a project's tasks, outline, links, resources and calendar.

Read with lxml, no Java. Every MSPDI writer we have met is handled the same way: Microsoft
Project 2002–2019, MPXJ, ProjectLibre and other MPXJ-era writers. Where flags are missing
(ProjectLibre writes every <Summary> and <Milestone> as 0) they are inferred the way Project
shows them: a task followed by a deeper task is a summary, a zero-length task a milestone.
See docs/interchange.md for which field becomes what and what is dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

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

NS = "http://schemas.microsoft.com/project"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-file header of a binary .mpp

# MSPDI <Type> of a PredecessorLink
LINK_TYPES = {0: E.LinkType.FF, 1: E.LinkType.FS, 2: E.LinkType.SF, 3: E.LinkType.SS}
# LagFormat: which are elapsed (24-hour days), which are a percentage of the predecessor
ELAPSED_FORMATS = {4, 6, 8, 10, 12, 20, 36, 38, 40, 42, 44, 52}
PERCENT_FORMATS = {19, 20, 51, 52}
_DURATION = re.compile(
    r"^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def duration_hours(text: str | None) -> float | None:
    """An xsd:duration as Project writes it ("PT8H0M0S") in hours; None when absent or odd."""
    if not text:
        return None
    m = _DURATION.match(text.strip())
    if not m:
        return None
    sign, years, months, days, hours, minutes, seconds = m.groups()
    total = (
        float(days or 0) * 24
        + float(hours or 0)
        + float(minutes or 0) / 60
        + float(seconds or 0) / 3600
        + float(years or 0) * 8760
        + float(months or 0) * 730
    )
    return -total if sign else total


def _moment(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def _int(text: str | None, default: int = 0) -> int:
    try:
        return int(float(text)) if text not in (None, "") else default
    except ValueError:
        return default


def _leaves(element: Any) -> dict[str, str]:
    """The text of an element's direct children, by local name (the first of each)."""
    out: dict[str, str] = {}
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue  # comments, processing instructions
        name = tag.rpartition("}")[2]
        if name not in out:
            out[name] = child.text or ""
    return out


def _children(element: Any, name: str) -> Iterator[Any]:
    for child in element:
        if isinstance(child.tag, str) and child.tag.rpartition("}")[2] == name:
            yield child


def _child(element: Any, name: str) -> Any | None:
    return next(_children(element, name), None)


def load_root(path: str | Path) -> Any:
    """The <Project> element of an MSPDI file, or ValidationError saying what the file is."""
    file = Path(path).expanduser()
    name = file.name
    if not file.is_file():
        raise ValidationError(f"{path}: no such file")
    with file.open("rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC or file.suffix.lower() in (".mpp", ".mpt"):
        raise ValidationError(
            f"{name} is a binary Microsoft Project file (.mpp): open it in Project and save it "
            f"as XML (File > Save As > XML Format), then import the .xml file"
        )
    try:
        root = etree.parse(
            str(file), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        ).getroot()
    except etree.XMLSyntaxError as exc:
        raise ValidationError(f"{name} is not XML: {exc.msg} (line {exc.lineno})") from None
    local = root.tag.rpartition("}")[2] if isinstance(root.tag, str) else ""
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    if local != "Project" or namespace not in (NS, ""):
        raise ValidationError(
            f"{name} is XML but not Microsoft Project XML: its root element is <{local}>"
            f"{' in ' + namespace if namespace else ''}, not <Project> in {NS}"
        )
    if namespace == "" and _child(root, "Tasks") is None and _child(root, "Calendars") is None:
        raise ValidationError(
            f"{name} is XML but not Microsoft Project XML: it has no Tasks or Calendars"
        )
    return root


def read_mspdi(path: str | Path) -> Schedule:
    """Read an MSPDI file into a :class:`Schedule` (no plan needed, nothing written)."""
    root = load_root(path)
    name = Path(path).name
    head = _leaves(root)
    minutes_per_day = _int(head.get("MinutesPerDay"), 480) or 480
    schedule = Schedule(source=name, title="")

    # tasks, in ID order (the order Project shows them)
    rows = []
    tasks_el = _child(root, "Tasks")
    for el in _children(tasks_el, "Task") if tasks_el is not None else ():
        f = _leaves(el)
        if f.get("IsNull") == "1" or not f.get("UID"):
            continue
        rows.append((el, f))
    if all(f.get("ID", "").strip().lstrip("-").isdigit() for _, f in rows):
        rows.sort(key=lambda r: int(r[1]["ID"]))

    levels = [_int(f.get("OutlineLevel"), 1) for _, f in rows]
    project_summary_name = ""
    stack: list[tuple[int, str]] = []  # (level, name) of the open summary tasks
    by_uid: dict[str, SourceTask] = {}
    summaries: dict[str, str] = {}  # uid → name
    hours_of: dict[str, float] = {}
    open_uids: list[str] = []  # the summaries above the current row
    leaves_of: dict[str, list[SourceTask]] = {}  # summary uid → the work tasks under it
    for i, (_el, f) in enumerate(rows):
        uid = f["UID"].strip()
        level = levels[i]
        title = (f.get("Name") or "").strip()
        if level == 0:
            project_summary_name = project_summary_name or title
            summaries[uid] = title or "project"
            continue
        followed_deeper = i + 1 < len(levels) and levels[i + 1] > level
        is_summary = f.get("Summary") == "1" or followed_deeper
        while stack and stack[-1][0] >= level:
            stack.pop()
            open_uids.pop()
        if is_summary:
            summaries[uid] = title
            stack.append((level, title or f"(summary UID {uid})"))
            open_uids.append(uid)
            leaves_of[uid] = []
            continue
        if f.get("ExternalTask") == "1":
            schedule.warnings.append(
                f"task UID {uid} ({title}) is a placeholder for another project's task: left out"
            )
            summaries[uid] = title
            continue
        hours = duration_hours(f.get("Duration"))
        start, finish = _moment(f.get("Start")), _moment(f.get("Finish"))
        milestone = f.get("Milestone") == "1" or (hours is not None and hours == 0)
        start_day = start.date() if start else None
        end_day = finish.date() if finish else None
        if finish and start and finish > start and finish.time() == dt.time(0):
            end_day = (finish - dt.timedelta(days=1)).date()  # ends at midnight: the day before
        if milestone and start_day:
            end_day = start_day
        if start_day and end_day and end_day < start_day:
            end_day = start_day
        work = duration_hours(f.get("Work"))
        guid = (f.get("GUID") or "").strip()
        outline_names = [n for _, n in stack]
        task = SourceTask(
            identity=f"guid:{guid.upper()}" if guid else f"uid:{uid}",
            name=title or f"(unnamed task UID {uid})",
            source=f"task UID {uid}",
            outline=" / ".join(outline_names) or None,
            phase=phase_for([title, *reversed(outline_names)]),
            start=start_day,
            end=end_day,
            milestone=milestone,
            percent_complete=max(0, min(100, _int(f.get("PercentComplete")))),
            effort_hours=round(work, 2) if work else None,
        )
        if not title:
            schedule.warnings.append(f"task UID {uid} has no name: imported as {task.name!r}")
        by_uid[uid] = task
        for summary_uid in open_uids:
            leaves_of[summary_uid].append(task)
        hours_of[uid] = hours or 0.0
        schedule.tasks.append(task)
    schedule.title = (project_summary_name or head.get("Title") or "").strip() or (
        (head.get("Name") or "").removesuffix(".xml").strip() or Path(path).stem
    )

    # predecessor links (held by the successor)
    seen: set[tuple[str, str]] = set()
    summary_links: list[tuple[str, str, E.LinkType, dict[str, str]]] = []
    for el, f in rows:
        succ_uid = f["UID"].strip()
        for link_el in _children(el, "PredecessorLink"):
            lf = _leaves(link_el)
            pred_uid = (lf.get("PredecessorUID") or "").strip()
            if lf.get("CrossProject") == "1":
                schedule.warnings.append(
                    f"link to task UID {succ_uid} from another project "
                    f"({lf.get('CrossProjectName') or 'unnamed'}): left out"
                )
                continue
            kind = LINK_TYPES.get(_int(lf.get("Type"), 1), E.LinkType.FS)
            succ, pred = by_uid.get(succ_uid), by_uid.get(pred_uid)
            if (succ is None and succ_uid in leaves_of) or (pred is None and pred_uid in leaves_of):
                summary_links.append((pred_uid, succ_uid, kind, lf))
                continue
            if succ is None or pred is None:
                if pred_uid in summaries or succ_uid in summaries:
                    schedule.warnings.append(
                        f"link UID {pred_uid} → UID {succ_uid} involves the project summary "
                        f"task: left out"
                    )
                else:
                    schedule.warnings.append(
                        f"link UID {pred_uid} → UID {succ_uid} names a task "
                        f"that is not in the file: left out"
                    )
                continue
            if (pred.identity, succ.identity) in seen:
                schedule.warnings.append(
                    f"a second link {pred.name} → {succ.name}: only the first is kept"
                )
                continue
            if pred is succ:
                raise ValidationError(
                    f"{name}: task {succ.name!r} (UID {succ_uid}) is its own predecessor"
                )
            seen.add((pred.identity, succ.identity))
            lag_days = _lag_days(lf, minutes_per_day, hours_of.get(pred_uid, 0.0))
            whole = round(lag_days)
            if abs(lag_days - whole) > 1e-6:
                schedule.warnings.append(
                    f"lag of {lag_days:.2f} days on {pred.name} → {succ.name} rounded to {whole} "
                    f"(the plan keeps lags in whole days)"
                )
            schedule.links.append(SourceLink(pred.identity, succ.identity, kind, int(whole)))

    _links_through_summaries(
        schedule, summary_links, by_uid, leaves_of, summaries, seen, minutes_per_day, hours_of
    )

    # resources and assignments
    res_el = _child(root, "Resources")
    for el in _children(res_el, "Resource") if res_el is not None else ():
        f = _leaves(el)
        rname = (f.get("Name") or "").strip()
        if not rname or f.get("IsNull") == "1":
            continue
        email = (f.get("EmailAddress") or "").strip() or None
        schedule.resources[f["UID"].strip()] = SourceResource(f["UID"].strip(), rname, email)
    assign_el = _child(root, "Assignments")
    per_task: dict[str, list[tuple[float, int, str]]] = {}
    for n, el in enumerate(_children(assign_el, "Assignment") if assign_el is not None else ()):
        f = _leaves(el)
        rid, tid = (f.get("ResourceUID") or "").strip(), (f.get("TaskUID") or "").strip()
        if rid in schedule.resources and tid in by_uid:
            per_task.setdefault(tid, []).append((-(duration_hours(f.get("Work")) or 0.0), n, rid))
    for tid, assigned in per_task.items():
        by_uid[tid].resources = [rid for _, _, rid in sorted(assigned)]
        if len(assigned) > 1:
            names = ", ".join(schedule.resources[rid].name for _, _, rid in sorted(assigned)[1:])
            schedule.warnings.append(
                f"task {by_uid[tid].name!r} has {len(assigned)} resources: "
                f"assigned to the one with the most work (not {names})"
            )

    schedule.non_working = _non_working_days(root, head, name, schedule.warnings)
    return schedule


def _links_through_summaries(
    schedule: Schedule,
    summary_links: list[tuple[str, str, E.LinkType, dict[str, str]]],
    by_uid: dict[str, SourceTask],
    leaves_of: dict[str, list[SourceTask]],
    summaries: dict[str, str],
    seen: set[tuple[str, str]],
    minutes_per_day: int,
    hours_of: dict[str, float],
) -> None:
    """A link to or from a summary task binds the work under it: the summary's finish is its
    last-finishing tasks' finish, its start its first-starting tasks' start. Such links become
    links between those work tasks (unless one would close a loop with the file's own links:
    then it is left out, with a warning)."""
    if not summary_links:
        return
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_edges_from((link.predecessor, link.successor) for link in schedule.links)
    uid_of = {id(t): u for u, t in by_uid.items()}

    def ends(uid: str, side: str) -> list[SourceTask]:
        if uid in by_uid:
            return [by_uid[uid]]
        tasks = leaves_of.get(uid, [])
        if side == "finish":
            last = max((t.end for t in tasks if t.end), default=None)
            return [t for t in tasks if t.end == last]
        first = min((t.start for t in tasks if t.start), default=None)
        return [t for t in tasks if t.start == first]

    added = 0
    for pred_uid, succ_uid, kind, lf in summary_links:
        pred_side = "finish" if kind in (E.LinkType.FS, E.LinkType.FF) else "start"
        succ_side = "start" if kind in (E.LinkType.FS, E.LinkType.SS) else "finish"
        label = (
            f"{summaries.get(pred_uid) or by_uid[pred_uid].name} → "
            f"{summaries.get(succ_uid) or by_uid[succ_uid].name}"
        )
        for pred in ends(pred_uid, pred_side):
            for succ in ends(succ_uid, succ_side):
                if pred is succ or (pred.identity, succ.identity) in seen:
                    continue
                if (
                    graph.has_node(succ.identity)
                    and graph.has_node(pred.identity)
                    and nx.has_path(graph, succ.identity, pred.identity)
                ):
                    schedule.warnings.append(
                        f"summary link {label}: {pred.name} → {succ.name} "
                        f"would close a loop, left out"
                    )
                    continue
                lag = round(_lag_days(lf, minutes_per_day, hours_of.get(uid_of[id(pred)], 0.0)))
                schedule.links.append(SourceLink(pred.identity, succ.identity, kind, int(lag)))
                graph.add_edge(pred.identity, succ.identity)
                seen.add((pred.identity, succ.identity))
                added += 1
    schedule.warnings.append(
        f"{len(summary_links)} link(s) to or from summary tasks became {added} link(s) between "
        f"the work tasks that start or finish those summaries"
    )


def _lag_days(link: dict[str, str], minutes_per_day: int, predecessor_hours: float) -> float:
    lag = _int(link.get("LinkLag"))
    fmt = _int(link.get("LagFormat"), 7)
    if lag == 0:
        return 0.0
    if fmt in PERCENT_FORMATS:  # LinkLag is a percentage of the predecessor's duration
        per_day = 24.0 if fmt in ELAPSED_FORMATS else minutes_per_day / 60
        return predecessor_hours / per_day * lag / 100
    minutes = lag / 10  # every other format: tenths of a minute
    return minutes / (1440 if fmt in ELAPSED_FORMATS else minutes_per_day)


def _non_working_days(
    root: Any, head: dict[str, str], name: str, warnings: list[str]
) -> list[NonWorkingDays]:
    """The project calendar's exceptions that make days non-working (both the Project 2003
    <WeekDay DayType=0> form and the 2007+ <Exceptions> form; the same range once)."""
    cal_uid = (head.get("CalendarUID") or "").strip()
    cals = _child(root, "Calendars")
    calendar = None
    for el in _children(cals, "Calendar") if cals is not None else ():
        if (_leaves(el).get("UID") or "").strip() == cal_uid:
            calendar = el
            break
    if calendar is None:
        return []
    cal_name = (_leaves(calendar).get("Name") or "Standard").strip()
    project = (head.get("GUID") or head.get("Title") or head.get("Name") or name).strip()
    spans: dict[dt.date, NonWorkingDays] = {}

    def add(period: Any, title: str, working: bool) -> None:
        if period is None:
            return
        p = _leaves(period)
        first, last = _moment(p.get("FromDate")), _moment(p.get("ToDate"))
        if first is None or last is None:
            return
        if working:
            warnings.append(
                f"{first.date()} is made a working day in the {cal_name} calendar: "
                f"the plan only records days off, so it is left out"
            )
            return
        if last.time() == dt.time(0) and last > first:
            last -= dt.timedelta(minutes=1)
        spans.setdefault(
            first.date(),
            NonWorkingDays(
                f"mspdi:{project}:{cal_uid}:{first.date().isoformat()}",
                title or f"Non-working day ({cal_name} calendar)",
                first.date(),
                last.date(),
            ),
        )

    weekdays = _child(calendar, "WeekDays")
    for el in _children(weekdays, "WeekDay") if weekdays is not None else ():
        f = _leaves(el)
        if f.get("DayType") == "0":
            add(_child(el, "TimePeriod"), "", f.get("DayWorking") == "1")
    exceptions = _child(calendar, "Exceptions")
    for el in _children(exceptions, "Exception") if exceptions is not None else ():
        f = _leaves(el)
        if _int(f.get("Occurrences"), 1) > 1 and f.get("Type") not in (None, "", "1"):
            warnings.append(
                f"recurring calendar exception {f.get('Name') or ''!r} of the "
                f"{cal_name} calendar is left out: only single dates and ranges are read"
            )
            continue
        add(_child(el, "TimePeriod"), (f.get("Name") or "").strip(), f.get("DayWorking") == "1")
    return sorted(spans.values(), key=lambda d: d.first)
