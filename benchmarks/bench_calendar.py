"""One repaint of the calendar's visible area (1920×1080) at 100 vs 10,000 releases, and with
1,000 vs 100,000 task rows expanded: the cost must not grow with the plan (aim: ratio ≤ 1.5,
≤ 16 ms a frame).

    .venv/bin/python benchmarks/bench_calendar.py [--repeat N]

Plans are built with Core bulk inserts in a temporary folder; the chart is painted into an
offscreen image exactly as its paintEvent does (tree and chart laid out as on screen).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build_plan(path: Path, n: int, tasks_per_release: int = 0) -> None:
    from sqlalchemy import insert, select

    from relman_desktop.models.entities import Person, Release, Task, WorkflowState
    from relman_desktop.models.planfile import open_plan

    plan = open_plan(path, create=True)
    base = dt.date(2026, 1, 1)
    try:
        with plan.write() as s:
            s.execute(
                insert(Person),
                [
                    {"email": f"p{i}@example.com", "name": f"Person {i}", "roles": []}
                    for i in range(20)
                ],
            )
            people = list(s.execute(select(Person.id)).scalars())
            states = list(
                s.execute(select(WorkflowState.id).order_by(WorkflowState.position)).scalars()
            )[:8]
            rows = []
            for i in range(n):
                start = base + dt.timedelta(days=(i * 7) % 365)
                win = dt.datetime.combine(start + dt.timedelta(days=7), dt.time(22), tzinfo=dt.UTC)
                rows.append(
                    {
                        "key": f"REL-{i:05d}",
                        "title": f"Release {i} for app{i % 40}",
                        "type": "minor",
                        "priority": "medium",
                        "risk": "low",
                        "application": f"app{i % 40}",
                        "status_id": states[i % len(states)],
                        "manager_id": people[i % len(people)],
                        "planned_start": start,
                        "planned_end": start + dt.timedelta(days=10),
                        "deploy_start": win,
                        "deploy_end": win + dt.timedelta(hours=2),
                        "waves": [],
                        "required_tests": [],
                        "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                    }
                )
            s.execute(insert(Release), rows)
            if tasks_per_release:
                ids = list(
                    s.execute(select(Release.id, Release.planned_start).order_by(Release.id))
                )
                task_rows = []
                for rid, start in ids:
                    for k in range(tasks_per_release):
                        day = start + dt.timedelta(days=k % 10)
                        task_rows.append(
                            {
                                "release_id": rid,
                                "local_id": f"T{k + 1}",
                                "position": k,
                                "title": f"Task {k + 1}",
                                "phase": "build",
                                "status": "todo",
                                "start": day,
                                "end": day + dt.timedelta(days=1),
                                "percent_complete": 0,
                            }
                        )
                s.execute(insert(Task), task_rows)
    finally:
        plan.close()


def measure(path: Path, repeat: int, expand_all: bool) -> tuple[float, float, int]:
    from PySide6.QtGui import QImage, QPainter

    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services.base import Ctx
    from relman_desktop.views.calendar.calendar_view import CalendarView
    from relman_desktop.views.shell.store import Store

    plan = open_plan(path)
    ctx = Ctx(plan, clock=lambda: dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    view = CalendarView(Store(ctx))
    try:
        view.resize(1920, 1080)
        view.show()
        if expand_all:
            from relman_desktop.views.calendar import gantt_data as D

            for rel in view.model.rows:  # bulk-load tasks as the tree would on expanding each
                view.model.tasks[rel.key] = []
            tasks_by_release = _all_tasks(ctx)
            view.model.beginResetModel()
            for key, tasks in tasks_by_release.items():
                view.model.tasks[key] = [
                    D.GanttTask(key, t[0], t[1], "build", "todo", t[2], t[3]) for t in tasks
                ]
            view.model.endResetModel()
            view.expanded = {r.key for r in view.model.rows}
            view.rebuild_rows()
        mid = len(view.renderer.rows) // 2
        view.tree.verticalScrollBar().setValue(mid * view.model.row_height)
        view.scroll_to_date(dt.date(2026, 6, 1))
        vp = view.chart.viewport()
        image = QImage(vp.width(), vp.height(), QImage.Format.Format_ARGB32_Premultiplied)
        times = []
        for _ in range(repeat):
            p = QPainter(image)
            t0 = time.perf_counter()
            view.chart.paint_visible(p, vp.width(), vp.height())
            times.append(time.perf_counter() - t0)
            p.end()
        return statistics.median(times) * 1000, min(times) * 1000, len(view.renderer.rows)
    finally:
        view.close()
        view.deleteLater()
        plan.close()


def _all_tasks(ctx) -> dict[str, list[tuple]]:
    from sqlalchemy import select

    from relman_desktop.models.entities import Release, Task

    out: dict[str, list[tuple]] = {}
    with ctx.read() as s:
        for key, local, title, start, end in s.execute(
            select(Release.key, Task.local_id, Task.title, Task.start, Task.end)
            .join(Task, Task.release_id == Release.id)
            .order_by(Release.key, Task.position)
        ):
            out.setdefault(key, []).append((local, title, start, end))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    from relman_desktop.views.shell.screenshot import ensure_app

    ensure_app()
    cases = [
        ("releases", 100, 0, False),
        ("releases", 10_000, 0, False),
        ("task rows", 100, 10, True),
        ("task rows", 10_000, 10, True),
    ]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for what, n, per, expand in cases:
            path = Path(tmp) / f"plan-{n}-{per}.relman"
            build_plan(path, n, per)
            median, best, rows = measure(path, args.repeat, expand)
            results.append((what, n, rows, median, best))
    print(f"{'case':<34}{'rows in chart':>14}{'median ms':>12}{'best ms':>10}")
    for what, n, rows, median, best in results:
        print(
            f"{f'{n:,} releases' + (' + tasks expanded' if what == 'task rows' else ''):<34}{rows:>14,}{median:>12.2f}{best:>10.2f}"
        )
    r1 = results[1][3] / results[0][3]
    r2 = results[3][3] / results[2][3]
    print(
        f"\nratio 10,000 / 100 releases: {r1:.2f}   ratio {results[3][2]:,} / {results[2][2]:,} rows: {r2:.2f}"
        f"   (aim ≤ 1.5; frame aim ≤ 16 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
