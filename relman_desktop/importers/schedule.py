"""A schedule from another planning tool (MS Project XML, GanttProject), read into plain data,
then previewed against a release and applied as one audited transaction.

Readers (``msproject.read_mspdi``, ``ganttproject.read_gan``) turn a file into a
:class:`Schedule`: work tasks with their outline (the summary tasks above them become the
task's outline text and phase, never work of their own), links with lags in whole days, the
resources each task names, and non-working days. :func:`preview_schedule` compares it with the
release without writing; :func:`apply_schedule` writes exactly what the preview shows, in one
transaction, each task and link audited. Tasks are matched by their source identity (MSPDI GUID
or UID, .gan task id), so importing the same file again updates instead of duplicating.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import aliased

from relman_desktop.importers.preview import Action, ImportPreview, PreviewRow
from relman_desktop.models import enums as E
from relman_desktop.models.entities import CalendarWindow, Person, Release, Task, TaskDependency
from relman_desktop.services.base import Ctx, ValidationError, operation, release_by_key
from relman_desktop.services.task_identity import export_guid

# Stable GUIDs for what the app exports (tasks, summary groups): same task, same GUID, every time.


@dataclass
class SourceTask:
    identity: str  # "guid:…", "uid:12", "gan:7": how a re-import finds it again
    name: str
    source: str  # where it is in the file, for the preview: "task UID 12"
    outline: str | None = None  # the names of the summary tasks above it, " / " between
    phase: E.Phase = E.Phase.BUILD
    start: dt.date | None = None
    end: dt.date | None = None
    milestone: bool = False
    percent_complete: int = 0
    effort_hours: float | None = None
    resources: list[str] = field(default_factory=list)  # resource keys, best first
    notes: str | None = None


@dataclass
class SourceLink:
    predecessor: str  # SourceTask.identity
    successor: str
    type: E.LinkType
    lag_days: int


@dataclass
class SourceResource:
    key: str
    name: str
    email: str | None = None


@dataclass
class NonWorkingDays:
    identity: str  # "mspdi:<project>:<calendar>:<first day>"
    title: str
    first: dt.date
    last: dt.date


@dataclass
class Schedule:
    source: str  # the file as the user named it
    title: str
    tasks: list[SourceTask] = field(default_factory=list)
    links: list[SourceLink] = field(default_factory=list)
    resources: dict[str, SourceResource] = field(default_factory=dict)
    non_working: list[NonWorkingDays] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def check_loops(self) -> None:
        """Predecessor links that go round in a circle cannot be scheduled: refuse the file."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_edges_from((link.predecessor, link.successor) for link in self.links)
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return
        names = {t.identity: t.name for t in self.tasks}
        loop = [names.get(a, a) for a, _ in cycle] + [names.get(cycle[0][0], cycle[0][0])]
        raise ValidationError(
            f"{self.source}: the predecessor links form a loop: {' → '.join(loop)}"
        )


# --- phases from the outline ---------------------------------------------------------------------

PHASE_WORDS: list[tuple[E.Phase, tuple[str, ...]]] = [
    (E.Phase.ROLLBACK, ("rollback", "roll back", "roll-back", "backout", "back out", "fallback")),
    (E.Phase.APPROVE, ("approv", "sign-off", "signoff", "sign off", "cab", "authori")),
    (E.Phase.TEST, ("test", "qa", "uat", "validat", "pilot")),
    (
        E.Phase.DEPLOY,
        (
            "deploy",
            "rollout",
            "roll-out",
            "roll out",
            "launch",
            "install",
            "cutover",
            "go-live",
            "go live",
            "release",
            "migrat",
        ),
    ),
    (E.Phase.VERIFY, ("verif", "monitor", "stabili", "hypercare")),
    (E.Phase.REVIEW, ("review", "retrospective", "closure", "close-out", "lessons", "post-")),
    (
        E.Phase.PLAN,
        (
            "plan",
            "design",
            "envision",
            "scope",
            "requirement",
            "analys",
            "initiat",
            "specif",
            "concept",
        ),
    ),
    (E.Phase.BUILD, ("build", "develop", "implement", "construct", "code", "manufactur")),
]


_PHASE_PATTERNS = [
    (phase, re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + ")"))
    for phase, words in PHASE_WORDS
]


@functools.lru_cache(maxsize=4096)
def _phase_of(name: str) -> E.Phase | None:
    lowered = name.lower()
    return next((phase for phase, pattern in _PHASE_PATTERNS if pattern.search(lowered)), None)


def phase_for(names: list[str]) -> E.Phase:
    """The phase the nearest matching name suggests (own name first, then each summary above it,
    innermost first); build when none says."""
    for name in names:
        phase = _phase_of(name)
        if phase is not None:
            return phase
    return E.Phase.BUILD


def status_for(percent: int) -> E.TaskStatus:
    if percent >= 100:
        return E.TaskStatus.DONE
    return E.TaskStatus.IN_PROGRESS if percent > 0 else E.TaskStatus.TODO


# --- preview and apply ---------------------------------------------------------------------------

TASK_FIELDS = (
    "title",
    "outline",
    "phase",
    "start",
    "end",
    "milestone",
    "percent_complete",
    "effort_hours",
    "assignee",
)


@dataclass
class _Plan:
    """What the import will do, worked out in a read; applied as is in one write."""

    preview: ImportPreview
    release_key: str | None
    new_release: dict[str, Any] | None
    creates: list[tuple[SourceTask, dict[str, Any]]] = field(default_factory=list)
    updates: list[tuple[int, SourceTask, dict[str, Any]]] = field(default_factory=list)
    links: list[SourceLink] = field(default_factory=list)
    windows: list[NonWorkingDays] = field(default_factory=list)
    applied: dict[str, Any] | None = None  # what apply_schedule did: what undo_schedule reverses


def _values(task: SourceTask, assignee: int | None) -> dict[str, Any]:
    return {
        "title": task.name[:300],
        "outline": task.outline[:500] if task.outline else None,
        "phase": task.phase,
        "start": task.start,
        "end": task.end,
        "milestone": task.milestone,
        "percent_complete": task.percent_complete,
        "effort_hours": task.effort_hours,
        "assignee": assignee,
    }


def _people(session: Any, schedule: Schedule, preview: ImportPreview) -> dict[str, int]:
    """Resource key → person id, by e-mail first, then by name (case-insensitive)."""
    by_email: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for pid, email, name in session.execute(select(Person.id, Person.email, Person.name)):
        by_email[email.lower()] = pid
        by_name.setdefault(name.strip().lower(), pid)
    used: dict[str, int] = {}
    for task in schedule.tasks:
        for key in task.resources:
            used[key] = used.get(key, 0) + 1
    found: dict[str, int] = {}
    for key, count in used.items():
        res = schedule.resources.get(key)
        if res is None:
            continue
        pid = by_email.get((res.email or "").lower()) if res.email else None
        if pid is None:
            pid = by_name.get(res.name.strip().lower())
        if pid is not None:
            found[key] = pid
            continue
        label = f"{res.name} <{res.email}>" if res.email else res.name
        preview.rows.append(
            PreviewRow(
                "skip",
                "person",
                label,
                res.name,
                f"no person in the plan has this e-mail or name; "
                f"its {count} task(s) are left unassigned",
                f"resource {key}",
            )
        )
        preview.warnings.append(
            f"resource {label!r} matches no person by e-mail or name: "
            f"{count} task(s) left unassigned"
        )
    return found


def preview_schedule(
    ctx: Ctx,
    schedule: Schedule,
    *,
    release_key: str | None = None,
    new_release: dict[str, Any] | None = None,
) -> _Plan:
    """Work out, without writing, what importing ``schedule`` into the release would do."""
    schedule.check_loops()
    preview = ImportPreview(schedule.source, warnings=list(schedule.warnings))
    plan = _Plan(preview, release_key, new_release)
    with ctx.read() as s:
        existing: dict[str, Any] = {}  # identity → the task's row
        release_id: int | None = None
        if new_release is not None:
            if s.execute(select(Release.id).where(Release.key == new_release["key"])).first():
                raise ValidationError(
                    f"a release {new_release['key']} already exists: "
                    f"use --release {new_release['key']} to update it"
                )
            preview.rows.append(
                PreviewRow(
                    "create",
                    "release",
                    new_release["key"],
                    new_release["title"],
                    source=schedule.source,
                )
            )
        else:
            assert release_key is not None
            rel = release_by_key(s, release_key)
            release_id = rel.id
            for t in s.execute(
                select(
                    Task.id,
                    Task.local_id,
                    Task.title,
                    Task.outline,
                    Task.phase,
                    Task.start,
                    Task.end,
                    Task.milestone,
                    Task.percent_complete,
                    Task.effort_hours,
                    Task.assignee_id,
                    Task.external_uid,
                ).where(Task.release_id == rel.id)
            ):
                existing.setdefault(f"guid:{export_guid(t.id)}".lower(), t)
                if t.external_uid:
                    existing[t.external_uid.lower()] = t
        people = _people(s, schedule, preview)
        for task in schedule.tasks:
            assignee = next((people[k] for k in task.resources if k in people), None)
            values = _values(task, assignee)
            current = existing.get(task.identity.lower())
            if current is None:
                plan.creates.append((task, values))
                preview.rows.append(
                    PreviewRow("create", "task", task.name, task.outline or "", source=task.source)
                )
                continue
            now = {
                "title": current.title,
                "outline": current.outline,
                "phase": current.phase,
                "start": current.start,
                "end": current.end,
                "milestone": current.milestone,
                "percent_complete": current.percent_complete,
                "effort_hours": current.effort_hours,
                "assignee": current.assignee_id,
            }
            differs = [n for n in TASK_FIELDS if now[n] != values[n]]
            if differs:
                plan.updates.append((current.id, task, {n: values[n] for n in differs}))
                preview.rows.append(
                    PreviewRow(
                        "update",
                        "task",
                        task.name,
                        task.outline or "",
                        f"{current.local_id}: {', '.join(differs)} differ",
                        task.source,
                    )
                )
            else:
                preview.rows.append(
                    PreviewRow(
                        "skip",
                        "task",
                        task.name,
                        task.outline or "",
                        f"{current.local_id} is already the same",
                        task.source,
                    )
                )
        # links: the file's links replace the links between the tasks it holds
        names = {t.identity: t.name for t in schedule.tasks}
        have: dict[tuple[int, int], tuple[str, int]] = {}
        if release_id is not None:
            for pred, succ, kind, lag in s.execute(
                select(
                    TaskDependency.predecessor_id,
                    TaskDependency.successor_id,
                    TaskDependency.type,
                    TaskDependency.lag_days,
                )
                .join(Task, Task.id == TaskDependency.successor_id)
                .where(Task.release_id == release_id)
            ):
                have[(pred, succ)] = (kind.value, lag)
        for link in schedule.links:
            label = f"{names[link.predecessor]} → {names[link.successor]}"
            detail = f"{link.type.value} {link.lag_days:+d}d"
            pred_task = existing.get(link.predecessor.lower())
            succ_task = existing.get(link.successor.lower())
            now_link = have.get((pred_task.id, succ_task.id)) if pred_task and succ_task else None
            if now_link == (link.type.value, link.lag_days):
                preview.rows.append(
                    PreviewRow("skip", "task_link", label, detail, "already linked")
                )
                continue
            plan.links.append(link)
            action: Action = "update" if now_link else "create"
            reason = f"was {now_link[0]} {now_link[1]:+d}d" if now_link else ""
            preview.rows.append(PreviewRow(action, "task_link", label, detail, reason))
        # the project calendar's non-working days become holiday windows
        known = {
            uid: (title, start, end)
            for uid, title, start, end in s.execute(
                select(
                    CalendarWindow.external_uid,
                    CalendarWindow.title,
                    CalendarWindow.start,
                    CalendarWindow.end,
                ).where(CalendarWindow.external_uid.is_not(None))
            )
        }
        for days in schedule.non_working:
            span = f"{days.first}" if days.first == days.last else f"{days.first} – {days.last}"
            if days.identity in known:
                title, start, end = known[days.identity]
                same = (
                    title == days.title
                    and start.date() == days.first
                    and (end - dt.timedelta(seconds=1)).date() == days.last
                )
                if same:
                    preview.rows.append(
                        PreviewRow("skip", "window", span, days.title, "already a holiday window")
                    )
                    continue
                preview.rows.append(
                    PreviewRow("update", "window", span, days.title, "dates differ")
                )
            else:
                preview.rows.append(
                    PreviewRow(
                        "create",
                        "window",
                        span,
                        days.title,
                        "non-working day of the project calendar",
                    )
                )
            plan.windows.append(days)
    return plan


def new_release_fields(ctx: Ctx, schedule: Schedule) -> dict[str, Any]:
    """A new release for an imported schedule: named after the project, dated by its tasks, keyed
    REL-<year of its first task>-NNN (the next free number)."""
    starts = [t.start for t in schedule.tasks if t.start]
    ends = [d for d in (t.end or t.start for t in schedule.tasks) if d is not None]
    year = min(starts).year if starts else ctx.today().year
    with ctx.read() as s:
        keys = set(
            s.execute(select(Release.key).where(Release.key.like(f"REL-{year}-%"))).scalars()
        )
    numbers = [int(m.group(1)) for k in keys if (m := re.fullmatch(rf"REL-{year}-(\d+)", k))]
    fields: dict[str, Any] = {
        "key": f"REL-{year}-{max(numbers, default=0) + 1:03d}",
        "title": schedule.title[:300] or schedule.source,
        "type": "minor",
    }
    if starts:
        fields["planned_start"] = min(starts)
        fields["planned_end"] = max(ends)
    return fields


@operation
def apply_schedule(ctx: Ctx, plan: _Plan) -> ImportPreview:
    """Write what ``plan`` previewed, all in one transaction; returns the preview it applied."""
    import networkx as nx

    from relman_desktop.services import releases as release_service

    with ctx.write() as tx:
        s = tx.session
        if plan.new_release is not None:
            values = release_service._checked(s, plan.new_release, {}, None)
            first = s.execute(
                select(release_service.WorkflowState)
                .order_by(release_service.WorkflowState.position)
                .limit(1)
            ).scalar_one()
            rel = Release(status=first, waves=[], required_tests=[], created_at=ctx.now())
            release_service._apply(s, rel, values)
            s.add(rel)
            s.flush()
            tx.audit(
                "release",
                rel.key,
                "create",
                None,
                {**values, "imported_from": plan.preview.source},
                release_key=rel.key,
            )
        else:
            assert plan.release_key is not None
            rel = release_by_key(s, plan.release_key)
        key = rel.key
        used = set(s.execute(select(Task.local_id).where(Task.release_id == rel.id)).scalars())
        numbers = [int(m.group(1)) for i in used if (m := re.fullmatch(r"T(\d+)", i))]
        next_number = max(numbers, default=0) + 1
        position = (
            s.execute(select(func.max(Task.position)).where(Task.release_id == rel.id)).scalar()
            or 0
        )
        # identity → (row id, task id) of every task the links may name
        by_identity: dict[str, tuple[int, str]] = {}
        for tid, local_id, external in s.execute(
            select(Task.id, Task.local_id, Task.external_uid).where(Task.release_id == rel.id)
        ):
            by_identity.setdefault(f"guid:{export_guid(tid)}".lower(), (tid, local_id))
            if external:
                by_identity[external.lower()] = (tid, local_id)
        # One audit event for the whole import: a 10,000-task schedule would otherwise add 20,000
        # events; this one lists every task and link it created or changed, before and after.
        record: dict[str, Any] = {
            "source": plan.preview.source,
            "tasks_created": [],
            "tasks_updated": [],
            "links_created": [],
            "links_updated": [],
            "windows": [],
        }
        for task_id, source, values in plan.updates:
            task = s.get(Task, task_id)
            assert task is not None
            before = {n: getattr(task, "assignee_id" if n == "assignee" else n) for n in values}
            for name, value in values.items():
                setattr(task, "assignee_id" if name == "assignee" else name, value)
            task.status = status_for(task.percent_complete)
            record["tasks_updated"].append(
                {"task": task.local_id, "before": before, "after": values}
            )
            by_identity[source.identity.lower()] = (task.id, task.local_id)
        rows: list[dict[str, Any]] = []
        for source, values in plan.creates:
            while f"T{next_number}" in used:
                next_number += 1
            position += 1
            local_id = f"T{next_number}"
            used.add(local_id)
            next_number += 1
            rows.append(
                {
                    "release_id": rel.id,
                    "local_id": local_id,
                    "position": position,
                    "title": values["title"],
                    "outline": values["outline"],
                    "phase": values["phase"],
                    "start": values["start"],
                    "end": values["end"],
                    "milestone": values["milestone"],
                    "percent_complete": values["percent_complete"],
                    "effort_hours": values["effort_hours"],
                    "assignee_id": values["assignee"],
                    "status": status_for(values["percent_complete"]),
                    "external_uid": source.identity,
                }
            )
            record["tasks_created"].append(
                {
                    "task": local_id,
                    "title": values["title"],
                    "outline": values["outline"],
                    "start": values["start"],
                    "end": values["end"],
                    "source": source.identity,
                }
            )
        s.flush()
        if rows:
            s.execute(insert(Task), rows)
            for tid, local_id, external in (
                s.execute(
                    select(Task.id, Task.local_id, Task.external_uid).where(
                        Task.release_id == rel.id, Task.local_id.in_([r["local_id"] for r in rows])
                    )
                )
                if len(rows) < 900
                else s.execute(
                    select(Task.id, Task.local_id, Task.external_uid).where(
                        Task.release_id == rel.id
                    )
                )
            ):
                if external:
                    by_identity[external.lower()] = (tid, local_id)
        succ_task = aliased(Task)
        links_now = {
            (row.predecessor_id, row.successor_id): row
            for row in s.execute(
                select(TaskDependency)
                .join(succ_task, succ_task.id == TaskDependency.successor_id)
                .where(succ_task.release_id == rel.id)
            ).scalars()
        }
        new_links: list[dict[str, Any]] = []
        for link in plan.links:
            (pred_id, pred_local) = by_identity[link.predecessor.lower()]
            (succ_id, succ_local) = by_identity[link.successor.lower()]
            row = links_now.get((pred_id, succ_id))
            after = {
                "predecessor": pred_local,
                "successor": succ_local,
                "type": link.type.value,
                "lag_days": link.lag_days,
            }
            if row is None:
                new_links.append(
                    {
                        "predecessor_id": pred_id,
                        "successor_id": succ_id,
                        "type": link.type,
                        "lag_days": link.lag_days,
                    }
                )
                record["links_created"].append(after)
            else:
                record["links_updated"].append(
                    {**after, "before": {"type": row.type.value, "lag_days": row.lag_days}}
                )
                row.type, row.lag_days = link.type, link.lag_days
        if new_links:
            s.execute(insert(TaskDependency), new_links)
        s.flush()
        from relman_desktop.services.tasks import task_graph

        cycle = None
        if links_now and new_links:  # links already in the plan may close a loop with the file's
            try:
                cycle = nx.find_cycle(task_graph(s, rel.id))
            except nx.NetworkXNoCycle:
                cycle = None
        if cycle:
            loop = " → ".join([a for a, _ in cycle] + [cycle[0][0]])
            raise ValidationError(
                f"{plan.preview.source}: with the links already in {key} the "
                f"tasks would form a loop: {loop}"
            )
        for days in plan.windows:
            start = dt.datetime.combine(days.first, dt.time(0), dt.UTC)
            end = dt.datetime.combine(days.last + dt.timedelta(days=1), dt.time(0), dt.UTC)
            window = s.execute(
                select(CalendarWindow).where(CalendarWindow.external_uid == days.identity)
            ).scalar_one_or_none()
            after_w = {"title": days.title, "kind": "holiday", "start": start, "end": end}
            if window is None:
                window = CalendarWindow(
                    title=days.title,
                    kind=E.WindowKind.HOLIDAY,
                    hard=True,
                    start=start,
                    end=end,
                    timezone="UTC",
                    external_uid=days.identity,
                )
                s.add(window)
                s.flush()
                record["windows"].append({"window": window.id, "after": after_w})
            else:
                before_w = {"title": window.title, "start": window.start, "end": window.end}
                window.title, window.start, window.end = days.title, start, end
                record["windows"].append(
                    {"window": window.id, "before": before_w, "after": after_w}
                )
        tx.audit("release", key, "import", None, record, release_key=key)
        plan.applied = {**record, "release": key, "release_created": plan.new_release is not None}
        return plan.preview


@operation
def undo_schedule(ctx: Ctx, applied: dict[str, Any]) -> None:
    """Put the plan back as it was before ``apply_schedule`` (its ``plan.applied``), in one
    audited transaction: the undo of the app's File > Import."""
    with ctx.write() as tx:
        s = tx.session
        key = applied["release"]
        rel = release_by_key(s, key)
        tasks = {
            t.local_id: t
            for t in s.execute(select(Task).where(Task.release_id == rel.id)).scalars()
        }
        for entry in applied["windows"]:
            window = s.get(CalendarWindow, entry["window"])
            if window is None:
                continue
            if "before" in entry:
                window.title = entry["before"]["title"]
                window.start, window.end = entry["before"]["start"], entry["before"]["end"]
            else:
                s.delete(window)
        if applied["release_created"]:
            s.delete(rel)
        else:
            for link in applied["links_created"]:
                pred, succ = tasks.get(link["predecessor"]), tasks.get(link["successor"])
                if pred is not None and succ is not None:
                    s.execute(
                        delete(TaskDependency).where(
                            TaskDependency.predecessor_id == pred.id,
                            TaskDependency.successor_id == succ.id,
                        )
                    )
            for link in applied["links_updated"]:
                pred, succ = tasks.get(link["predecessor"]), tasks.get(link["successor"])
                if pred is None or succ is None:
                    continue
                row = s.execute(
                    select(TaskDependency).where(
                        TaskDependency.predecessor_id == pred.id,
                        TaskDependency.successor_id == succ.id,
                    )
                ).scalar_one_or_none()
                if row is not None:
                    row.type = E.LinkType(link["before"]["type"])
                    row.lag_days = link["before"]["lag_days"]
            for entry in applied["tasks_created"]:
                task = tasks.get(entry["task"])
                if task is not None:
                    s.delete(task)
            for entry in applied["tasks_updated"]:
                task = tasks.get(entry["task"])
                if task is None:
                    continue
                for name, value in entry["before"].items():
                    setattr(task, "assignee_id" if name == "assignee" else name, value)
                task.status = status_for(task.percent_complete)
        tx.audit(
            "release", key, "import_undone", None, {"source": applied["source"]}, release_key=key
        )
