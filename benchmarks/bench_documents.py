"""The runbook and the knowledge-base site on large inputs (issue 15).

Run from the project root:

    .venv/bin/python benchmarks/bench_documents.py                 # generates the plan (~10 s)
    .venv/bin/python benchmarks/bench_documents.py --profile       # plus cProfile top entries

Prints one table. Aims: the deployment runbook of a release with 500 tasks ≤ 2 s (read the
release, build the .docx, write it), measured next to python-docx writing the same 500 x 6
table with nothing else (the floor: what the library itself costs); the knowledge-base site
(``export kb --all``) for 1,000 releases ≤ 10 s, next to writing the same 2,001 files with the
release titles only (the floor: one query and the file system). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import fmt_time, profile_top, report, timed, verdict  # noqa: E402

from relman_desktop.models.planfile import open_plan  # noqa: E402
from relman_desktop.services.base import Ctx  # noqa: E402

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
RUNBOOK_AIM = 2.0
SITE_AIM = 10.0
TASKS = 500
RELEASES = 1000


def _add_tasks(ctx: Ctx, key: str, n: int) -> None:
    """``n`` deploy/verify/rollback tasks with owners, efforts and a chain of dependencies."""
    from sqlalchemy import delete, insert, select

    from relman_desktop.models.entities import Person, Release, Task, TaskDependency

    with ctx.plan.write() as s:
        rel = s.execute(select(Release).where(Release.key == key)).scalar_one()
        rel.deploy_start = dt.datetime(2026, 12, 12, 20, 0, tzinfo=dt.UTC)
        rel.deploy_end = dt.datetime(2026, 12, 14, 4, 0, tzinfo=dt.UTC)
        rel.rollback_minutes = 90
        people = list(s.execute(select(Person.id)).scalars())
        s.execute(delete(Task).where(Task.release_id == rel.id))
        phases = ("deploy", "verify", "rollback")
        rows = [
            {
                "release_id": rel.id,
                "local_id": f"T{i + 1}",
                "position": i,
                "title": f"Step {i + 1}: switch the {('load balancer', 'database', 'cache')[i % 3]} "
                f"of cluster {i % 17} to the new version",
                "phase": phases[i % 3],
                "status": "todo",
                "percent_complete": 0,
                "assignee_id": people[i % len(people)],
                "effort_hours": 0.25,
                "notes": "Check the dashboard before going on." if i % 10 == 0 else None,
            }
            for i in range(n)
        ]
        s.execute(insert(Task), rows)
        ids = list(
            s.execute(
                select(Task.id).where(Task.release_id == rel.id).order_by(Task.position)
            ).scalars()
        )
        s.execute(
            insert(TaskDependency),
            [
                {"predecessor_id": a, "successor_id": b, "type": "FS", "lag_days": 0}
                for a, b in zip(ids, ids[1:], strict=False)
            ],
        )


def _floor_docx(target: Path, rows: list[list[str]]) -> None:
    from docx import Document

    doc = Document()
    table = doc.add_table(rows=0, cols=6)
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    doc.save(str(target))


def _floor_site(ctx: Ctx, folder: Path) -> int:
    from sqlalchemy import select

    from relman_desktop.models.entities import Release

    with ctx.read() as s:
        rows = s.execute(select(Release.key, Release.title).order_by(Release.key)).all()
    for key, title in rows:
        (folder / f"{key}.md").write_text(f"# {title}\n", encoding="utf-8")
        (folder / f"{key}.html").write_text(f"<h1>{html.escape(title)}</h1>\n", encoding="utf-8")
    (folder / "index.html").write_text("".join(f"<p>{html.escape(k)}</p>" for k, _ in rows))
    return len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=RELEASES)
    parser.add_argument("--tasks", type=int, default=TASKS)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best shown)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    from relman_desktop.exports.kb import write_kb_site
    from relman_desktop.exports.runbook import runbook_steps, write_runbook
    from relman_desktop.services.demo import generate_demo
    from relman_desktop.services.release_report import release_report

    rows: list[tuple[str, str, str]] = []
    problems: list[str] = []
    profiles: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ctx = Ctx(open_plan(tmp / "bench.relman", create=True), actor="bench", clock=lambda: NOW)
        t, _ = timed(lambda: generate_demo(ctx, releases=args.releases, today=NOW.date()))
        rows.append((f"generate demo ({args.releases} releases)", fmt_time(t), "setup"))
        key = "REL-2026-001"
        _add_tasks(ctx, key, args.tasks)

        report_steps = runbook_steps(release_report(ctx, key))
        floor_rows = [
            [str(s.number), s.task.title, s.task.owner or "", "2026-12-12 21:00", "T1", "☐"]
            for s in report_steps
        ]
        t_floor, _ = timed(lambda: _floor_docx(tmp / "floor.docx", floor_rows), args.repeat)
        rows.append((f"floor: python-docx, {len(floor_rows)} x 6 table", fmt_time(t_floor), "—"))

        def runbook() -> Path:
            return write_runbook(release_report(ctx, key), tmp / "runbook.docx")

        t_run, _ = timed(runbook, args.repeat)
        steps = len(report_steps)
        note = f"{steps} steps; {t_run / t_floor:.1f}× the floor; {verdict(t_run, RUNBOOK_AIM)}"
        rows.append((f"runbook, {args.tasks} tasks", fmt_time(t_run), note))
        if t_run > RUNBOOK_AIM:
            problems.append(f"the runbook took {fmt_time(t_run)} (aim {fmt_time(RUNBOOK_AIM)})")

        floor_dir = tmp / "floor-site"
        floor_dir.mkdir()
        t_fsite, n = timed(lambda: _floor_site(ctx, floor_dir), args.repeat)
        rows.append((f"floor: {2 * n + 1} files of titles", fmt_time(t_fsite), "—"))
        site = tmp / "site"

        def kb_site() -> int:
            return write_kb_site(ctx, site).pages

        t_site, pages = timed(kb_site, args.repeat)
        note = f"{pages} pages; {t_site / t_fsite:.1f}× the floor; {verdict(t_site, SITE_AIM)}"
        rows.append((f"knowledge-base site, {args.releases} releases", fmt_time(t_site), note))
        if t_site > SITE_AIM:
            problems.append(f"the KB site took {fmt_time(t_site)} (aim {fmt_time(SITE_AIM)})")
        if args.profile:
            profiles.append(("the runbook", profile_top(runbook)))
            profiles.append(("the KB site", profile_top(kb_site)))
        ctx.plan.close()
    return report(
        "documents",
        f"runbook of a release with {args.tasks} tasks; KB site of {args.releases} releases",
        rows,
        profiles,
        problems,
    )


if __name__ == "__main__":
    sys.exit(main())
