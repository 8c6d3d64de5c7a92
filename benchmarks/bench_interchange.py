"""MS Project XML at size: import and export of a 10,000-task MSPDI file.

    .venv/bin/python benchmarks/bench_interchange.py               # 10,000 tasks
    .venv/bin/python benchmarks/bench_interchange.py --tasks 2000  # quicker

The file is generated here (100 summary tasks of 100 tasks each, a finish-to-start chain inside
each group with lags in several LagFormats, 50 resources), written as Project writes it. The
baseline is lxml parsing the same file alone; the import (read + preview + apply in one
transaction, every task and link audited) and the export are shown with their ratio to it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import fmt_time, profile_top, report, timed, verdict  # noqa: E402

NS = "http://schemas.microsoft.com/project"


def generate(path: Path, tasks: int) -> None:
    from lxml import etree

    root = etree.Element(f"{{{NS}}}Project", nsmap={None: NS})

    def sub(parent, tag, text=None):
        el = etree.SubElement(parent, f"{{{NS}}}{tag}")
        if text is not None:
            el.text = str(text)
        return el

    sub(root, "SaveVersion", 14)
    sub(root, "Title", f"Bench {tasks}")
    sub(root, "MinutesPerDay", 480)
    sub(root, "CalendarUID", 1)
    cals = sub(root, "Calendars")
    cal = sub(cals, "Calendar")
    sub(cal, "UID", 1)
    sub(cal, "Name", "Standard")
    exceptions = sub(cal, "Exceptions")
    for day in ("2027-01-01", "2027-05-01", "2027-12-25"):
        ex = sub(exceptions, "Exception")
        period = sub(ex, "TimePeriod")
        sub(period, "FromDate", f"{day}T00:00:00")
        sub(period, "ToDate", f"{day}T23:59:00")
        sub(ex, "DayWorking", 0)
    tasks_el = sub(root, "Tasks")
    start = dt.date(2027, 1, 4)
    uid = 0
    t = sub(tasks_el, "Task")
    for tag, value in (
        ("UID", 0),
        ("ID", 0),
        ("Name", "Bench"),
        ("OutlineLevel", 0),
        ("Summary", 1),
    ):
        sub(t, tag, value)
    per_group = 100
    lag_formats = [(0, 7), (4800, 7), (24000, 9), (14400, 8), (9600, 5)]
    n = 0
    group = 0
    while n < tasks:
        group += 1
        uid += 1
        s = sub(tasks_el, "Task")
        for tag, value in (
            ("UID", uid),
            ("ID", uid),
            ("Name", f"Phase {group}"),
            ("OutlineLevel", 1),
            ("Summary", 1),
        ):
            sub(s, tag, value)
        previous = None
        for i in range(min(per_group, tasks - n)):
            uid += 1
            n += 1
            day = start + dt.timedelta(days=(group * 7 + i) % 300)
            t = sub(tasks_el, "Task")
            for tag, value in (
                ("UID", uid),
                ("GUID", f"00000000-0000-4000-8000-{uid:012d}"),
                ("ID", uid),
                ("Name", f"Task {group}.{i + 1}"),
                ("OutlineLevel", 2),
                ("Start", f"{day}T08:00:00"),
                ("Finish", f"{day + dt.timedelta(days=2)}T17:00:00"),
                ("Duration", "PT24H0M0S"),
                ("Work", "PT24H0M0S"),
                ("Milestone", 0),
                ("Summary", 0),
                ("PercentComplete", (i * 7) % 101),
            ):
                sub(t, tag, value)
            if previous is not None:
                lag, fmt = lag_formats[i % len(lag_formats)]
                link = sub(t, "PredecessorLink")
                sub(link, "PredecessorUID", previous)
                sub(link, "Type", 1)
                sub(link, "LinkLag", lag)
                sub(link, "LagFormat", fmt)
            previous = uid
    resources = sub(root, "Resources")
    for r in range(1, 51):
        res = sub(resources, "Resource")
        sub(res, "UID", r)
        sub(res, "Name", f"Person {r}")
        sub(res, "EmailAddress", f"person{r}@example.com")
    assignments = sub(root, "Assignments")
    for a, task_uid in enumerate(range(2, uid + 1, 3), start=1):
        el = sub(assignments, "Assignment")
        sub(el, "UID", a)
        sub(el, "TaskUID", task_uid)
        sub(el, "ResourceUID", 1 + a % 50)
    etree.ElementTree(root).write(
        str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from lxml import etree

    from relman_desktop.exports.msproject import write_mspdi
    from relman_desktop.importers.msproject import read_mspdi
    from relman_desktop.importers.schedule import apply_schedule, preview_schedule
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services import people
    from relman_desktop.services.base import Ctx

    rows: list[tuple[str, str, str]] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "big.xml"
        generate(source, args.tasks)
        size = source.stat().st_size / 1e6
        parse_s, _ = timed(lambda: etree.parse(str(source)), args.repeat)
        rows.append(("lxml parse alone (baseline)", fmt_time(parse_s), f"{size:.1f} MB file"))
        read_s, schedule = timed(lambda: read_mspdi(source), args.repeat)
        rows.append(
            ("read_mspdi (parse + map)", fmt_time(read_s), f"{read_s / parse_s:.1f}× baseline")
        )

        counter = iter(range(1000))

        def import_once() -> Ctx:
            plan = open_plan(folder / f"plan{next(counter)}.relman", create=True)
            ctx = Ctx(plan, actor="bench")
            for r in range(1, 51):
                people.create_person(
                    ctx, {"email": f"person{r}@example.com", "name": f"Person {r}"}
                )
            t0 = __import__("time").perf_counter()
            sched = read_mspdi(source)
            plan_ = preview_schedule(
                ctx, sched, new_release={"key": "BIG", "title": sched.title, "type": "major"}
            )
            apply_schedule(ctx, plan_)
            ctx.elapsed = __import__("time").perf_counter() - t0  # type: ignore[attr-defined]
            return ctx

        best, ctx = float("inf"), None
        for _ in range(args.repeat):
            if ctx is not None:
                ctx.plan.close()
            ctx = import_once()
            best = min(best, ctx.elapsed)  # type: ignore[attr-defined]
        assert ctx is not None
        rows.append(
            (
                f"import {args.tasks:,} tasks (read + preview + apply)",
                fmt_time(best),
                f"{best / parse_s:.1f}× baseline; {verdict(best, 3.0)}",
            )
        )
        if best > 3.0:
            problems.append(f"import took {best:.2f} s (aim 3 s)")
        reimport_s, _ = timed(
            lambda: preview_schedule(ctx, read_mspdi(source), release_key="BIG"), 1
        )
        rows.append(
            (
                "re-import preview (all unchanged)",
                fmt_time(reimport_s),
                f"{reimport_s / parse_s:.1f}× baseline",
            )
        )
        out = folder / "out.xml"
        export_s, _ = timed(lambda: write_mspdi(ctx, "BIG", out), args.repeat)
        rows.append(
            (
                f"export {args.tasks:,} tasks",
                fmt_time(export_s),
                f"{export_s / parse_s:.1f}× baseline; {verdict(export_s, 2.0)}",
            )
        )
        if export_s > 2.0:
            problems.append(f"export took {export_s:.2f} s (aim 2 s)")
        profiles = (
            [("write_mspdi", profile_top(lambda: write_mspdi(ctx, "BIG", out)))]
            if "--profile" in sys.argv
            else []
        )
        ctx.plan.close()
    return report(
        "MS Project XML interchange",
        f"{args.tasks:,} tasks, best of {args.repeat}",
        rows,
        profiles,
        problems,
    )


if __name__ == "__main__":
    sys.exit(main())
