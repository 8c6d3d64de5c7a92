"""GanttProject .gan and GNOME Planner files in, over every file in shared/corpus/schedules."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from relman_desktop.cli import main
from relman_desktop.importers.ganttproject import read_schedule

CORPUS = (
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "schedules"
)  # shared/ beside the repo
D = dt.date


def run(plan: Path | str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--plan", str(plan), "--actor", "tester", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_every_schedule_file_is_covered() -> None:
    # TaskJuggler .tjp is a programming language, not a file format: it is not read (docs say so)
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_file()) == [
        "ganttproject_HouseBuildingSample.gan",
        "planner_project1.planner",
    ]


def test_ganttproject_sample() -> None:
    schedule = read_schedule(CORPUS / "ganttproject_HouseBuildingSample.gan")
    # 20 <task> elements, 4 of them hold others: 16 work tasks, 4 with meeting="true"
    assert len(schedule.tasks) == 16
    assert sorted(t.name for t in schedule.tasks if t.milestone) == [
        "Agreement on architectural plan",
        "Bring your family here",
        "Construction completed",
        "GanttProject 3.3",
    ]
    tasks = {t.name: t for t in schedule.tasks}
    # start 2024-07-01, 15 working days: ends Friday 2024-07-19
    assert (tasks["Foundation building"].start, tasks["Foundation building"].end) == (
        D(2024, 7, 1),
        D(2024, 7, 19),
    )
    assert tasks["Roof"].outline == "Construction phase"
    assert tasks["Create draft of architecture"].percent_complete == 100
    names = {t.identity: t.name for t in schedule.tasks}
    links = {(names[link.predecessor], names[link.successor]) for link in schedule.links}
    # 17 <depend>: 14 between work tasks, 3 on summary tasks, which became 4 work links
    assert len(schedule.links) == 18
    assert {(link.type.value, link.lag_days) for link in schedule.links} == {("FS", 0)}
    assert ("Roof", "Construction completed") in links
    # 'Interior design' (a summary) → Walls: its last-finishing tasks now precede Walls
    assert {("Furniture selection", "Walls"), ("Equipment planning", "Walls")} <= links
    assert [d.first for d in schedule.non_working] == [D(2006, 2, 14)]


def test_planner_sample() -> None:
    schedule = read_schedule(CORPUS / "planner_project1.planner")
    assert len(schedule.tasks) == 29  # 30 tasks, 'Task Four' holds another
    assert sum(t.milestone for t in schedule.tasks) == 1
    assert Counter((link.type.value, link.lag_days) for link in schedule.links) == Counter(
        {("FS", 0): 1, ("FS", 1): 1, ("FF", 0): 1, ("SS", 0): 1, ("SF", 0): 1}
    )


@pytest.mark.parametrize(
    "name", ["ganttproject_HouseBuildingSample.gan", "planner_project1.planner"]
)
def test_import_and_reimport(ctx, name: str) -> None:
    """Imported into a new release, then again by its key: on a plan file and on a server."""
    ctx.plan.close()
    plan = ctx.plan.location
    code, out, err = run(plan, "import", "gantt", str(CORPUS / name), "--new-release", "--json")
    assert code == 0, err
    first = json.loads(out)
    key = first["release"]
    shown = json.loads(run(plan, "show", key, "--json")[1])
    assert shown["tasks"]["total"] == len(read_schedule(CORPUS / name).tasks)
    code, out, _ = run(plan, "import", "gantt", str(CORPUS / name), "--release", key, "--json")
    again = json.loads(out)
    assert again["counts"]["create"] == 0 and again["counts"]["update"] == 0


def test_not_a_schedule_is_refused(tmp_path: Path) -> None:
    plan = tmp_path / "p.relman"
    mspdi = CORPUS.parent / "mspdi" / "msproject2007_relations.xml"
    code, out, err = run(plan, "import", "gantt", str(mspdi), "--new-release")
    assert code == 2 and out == ""
    assert "is XML but not a GanttProject file" in err and len(err.strip().splitlines()) == 1
    assert not plan.exists()


def test_outline_and_milestones_survive_the_plan_json_round_trip(tmp_path: Path) -> None:
    plan, copy, doc = tmp_path / "p.relman", tmp_path / "copy.relman", tmp_path / "plan.json"
    run(
        plan,
        "import",
        "gantt",
        str(CORPUS / "ganttproject_HouseBuildingSample.gan"),
        "--new-release",
    )
    assert run(plan, "export", "plan", str(doc))[0] == 0
    tasks = json.loads(doc.read_text(encoding="utf-8"))["releases"][0]["tasks"]
    roof = next(t for t in tasks if t["title"] == "Roof")
    assert roof["outline"] == "Construction phase" and "milestone" not in roof
    assert next(t for t in tasks if t["title"] == "Bring your family here")["milestone"] is True
    code, _, err = run(copy, "import", "plan", str(doc))
    assert code == 0, err
    assert run(copy, "export", "plan", str(tmp_path / "again.json"))[0] == 0
    again = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))["releases"][0][
        "tasks"
    ]
    assert again == tasks
