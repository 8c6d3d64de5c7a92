"""Microsoft Project XML in and out, over every real MSPDI file in shared/corpus/mspdi, with the
exported file read back by MPXJ (an independent reader of Project files, test-only)."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from relman_desktop.cli import main
from relman_desktop.importers.msproject import read_mspdi
from relman_desktop.services.base import ValidationError

CORPUS = (
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "mspdi"
)  # shared/ beside the repo

D = dt.date


# MPXJ reads the file the export wrote: the export's SQL runs on both engines in the round-trip
# tests, so the JVM's readings stay on the plan file (conftest.py)
FILE_ONLY_TESTS = {
    "test_mpxj_reads_the_export_as_the_app_holds_it",
    "test_mpxj_sees_the_plans_holidays_as_calendar_exceptions",
}


def run(plan: Path | str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--plan", str(plan), "--actor", "tester", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def links_of(schedule) -> Counter:
    return Counter((link.type.value, link.lag_days) for link in schedule.links)


# What each file holds, worked out by reading it: work tasks (summaries and the project summary
# row excluded), milestones, the links between work tasks as (type, lag in days), one task's dates.
EXPECTED = {
    "msproject2002_mpxj-sample.xml": dict(
        tasks=16,
        milestones=1,
        links={("FS", 0): 1, ("FS", 1): 1, ("FS", -1): 1, ("SS", 0): 1, ("FF", 0): 1, ("SF", 0): 1},
        task=("Second Task", D(2003, 1, 7), D(2003, 3, 18), "First Task"),
    ),
    "mpxj-written_sample1.xml": dict(
        tasks=18,
        milestones=1,
        links={("FS", 0): 1, ("FS", 1): 1, ("FS", -1): 1, ("SS", 0): 1, ("FF", 0): 1, ("SF", 0): 1},
        task=("Second Task", D(2003, 1, 7), D(2003, 3, 18), "First Task"),
    ),
    "msproject2007_relations.xml": dict(
        tasks=5,
        milestones=0,
        links={("FS", 0): 1, ("SS", 1): 1, ("FF", 0): 1, ("SF", 0): 1},
        task=("Task 3", D(2006, 9, 25), D(2006, 9, 25), None),
    ),
    "msproject2019_task-links.xml": dict(
        tasks=16,
        milestones=0,  # LagFormat 7 (days) and 9 (weeks: 24000 = 1w = 5 working days)
        links={
            ("FS", 0): 1,
            ("FS", 1): 1,
            ("FS", 2): 1,
            ("FS", 5): 1,
            ("FS", 10): 1,
            ("SF", 2): 1,
            ("SS", 2): 1,
            ("FF", 2): 1,
        },
        task=("Task 2", D(2018, 10, 19), D(2018, 10, 19), None),
    ),
    "new-product_projectlibre-testdata.xml": dict(
        # no Summary/Milestone flags: 6 summaries inferred from the outline, 12 zero-length tasks
        tasks=36,
        milestones=12,
        links=None,
        task=("Begin project", D(2001, 1, 1), D(2001, 1, 1), None),
    ),
    "DERIVED_ms-office-2003-deployment_mpxj-16.10.xml": dict(
        tasks=250,
        milestones=23,
        links=None,
        task=(
            "Evaluate corporate business objectives (per EPM Enterprise Implementation Framework)",
            D(2003, 9, 15),
            D(2003, 9, 17),
            "Microsoft Office Project 2003 Deployment / Envisioning",
        ),
    ),
    "calendar-only_ganttproject-issue1520.xml": dict(tasks=0, milestones=0, links={}, task=None),
}


def test_every_corpus_file_is_covered() -> None:
    assert sorted(p.name for p in CORPUS.glob("*.xml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reads_each_corpus_file(name: str) -> None:
    want = EXPECTED[name]
    schedule = read_mspdi(CORPUS / name)
    assert len(schedule.tasks) == want["tasks"]
    assert sum(t.milestone for t in schedule.tasks) == want["milestones"]
    if want["links"] is not None:
        assert dict(links_of(schedule)) == want["links"]
    if want["task"]:
        title, start, end, outline = want["task"]
        task = next(t for t in schedule.tasks if t.name.strip() == title)
        assert (task.start, task.end) == (start, end)
        if outline:
            assert task.outline == outline


def test_projectlibre_file_keeps_its_negative_finish_to_finish_lag_and_lists_unknown_people() -> (
    None
):
    schedule = read_mspdi(CORPUS / "new-product_projectlibre-testdata.xml")
    assert links_of(schedule)[("FS", -15)] == 1  # LinkLag -72000 tenths of a minute = -15 days
    assert links_of(schedule)[("FF", 0)] == 1
    # its 3 links on summary tasks became links between the tasks that start/finish them
    assert any("3 link(s) to or from summary tasks" in w for w in schedule.warnings)
    assert {r.name for r in schedule.resources.values()} >= {
        "Scott Adams",
        "Mary Logan",
        "Assemblers",
    }
    # the summary 'Design Phase' makes its tasks plan work, unless the task's own name says test
    design = {t.name: t.phase.value for t in schedule.tasks if t.outline == "Design Phase"}
    assert design == {
        "Prototype design": "plan",
        "Test prototype": "test",
        "Prototype completed": "plan",
    }


def test_derived_deployment_file_turns_summary_links_into_work_links() -> None:
    schedule = read_mspdi(CORPUS / "DERIVED_ms-office-2003-deployment_mpxj-16.10.xml")
    # 138 FS links in the file: 63 between work tasks, 75 on summary tasks
    assert any(w.startswith("75 link(s) to or from summary tasks") for w in schedule.warnings)
    assert len(schedule.links) > 63
    assert set(links_of(schedule)) == {("FS", 0)}


def test_calendar_only_file_gives_its_day_off_and_says_what_it_left_out() -> None:
    schedule = read_mspdi(CORPUS / "calendar-only_ganttproject-issue1520.xml")
    assert [(d.first, d.last) for d in schedule.non_working] == [(D(2018, 4, 30), D(2018, 4, 30))]
    assert any("2018-04-28 is made a working day" in w for w in schedule.warnings)


# --- through the command line -----------------------------------------------------------------


def test_import_into_a_new_release_then_again_updates_nothing(ctx) -> None:
    """Into a new release, then again by its key: on a plan file and on a server."""
    ctx.plan.close()
    plan = ctx.plan.location
    code, out, err = run(
        plan, "import", "msproject", str(CORPUS / "msproject2002_mpxj-sample.xml"), "--new-release"
    )
    assert code == 0, err
    assert (
        "imported msproject2002_mpxj-sample.xml into REL-2003-001: 23 to create, 0 to update, 2 to skip"
        in out
    )
    code, out, _ = run(plan, "show", "REL-2003-001", "--json")
    shown = json.loads(out)
    assert shown["title"] == "sample" and shown["tasks"]["total"] == 16
    assert (shown["planned_start"], shown["planned_end"]) == ("2003-01-07", "2003-03-18")
    code, out, _ = run(
        plan,
        "import",
        "msproject",
        str(CORPUS / "msproject2002_mpxj-sample.xml"),
        "--release",
        "REL-2003-001",
        "--json",
    )
    preview = json.loads(out)
    assert preview["counts"] == {"create": 0, "update": 0, "skip": 24}
    assert preview["applied"] is True


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    plan = tmp_path / "p.relman"
    assert run(plan, "init")[0] == 0
    events = json.loads(run(plan, "audit", "verify", "--json")[1])["events"]
    code, out, _ = run(
        plan,
        "import",
        "msproject",
        str(CORPUS / "msproject2019_task-links.xml"),
        "--new-release",
        "--dry-run",
        "--json",
    )
    assert code == 0
    preview = json.loads(out)
    assert preview["applied"] is False and preview["counts"]["create"] == 25  # release+16+8
    assert json.loads(run(plan, "releases", "--json")[1]) == []
    assert json.loads(run(plan, "audit", "verify", "--json")[1])["events"] == events


def test_resources_map_to_people_by_email_or_name(tmp_path: Path, ctx) -> None:
    from relman_desktop.importers.schedule import apply_schedule, preview_schedule
    from relman_desktop.services import people, releases, tasks

    people.create_person(ctx, {"email": "howard@example.com", "name": "howard thompson"})
    releases.create_release(ctx, {"key": "NP", "title": "New product", "type": "major"})
    schedule = read_mspdi(CORPUS / "new-product_projectlibre-testdata.xml")
    plan = preview_schedule(ctx, schedule, release_key="NP")
    unknown = {r.key for r in plan.preview.rows if r.kind == "person"}
    assert "Howard Thompson" not in unknown and {"Scott Adams", "Assemblers"} <= unknown
    apply_schedule(ctx, plan)
    rows = tasks.list_tasks(ctx, "NP")
    assert len(rows) == 36
    # the file names him as the main resource of 9 tasks
    assert sum(1 for r in rows if r.assignee_email == "howard@example.com") == 9


# --- bad input: one line, exit 2, nothing written ------------------------------------------------


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        (b"this is not xml at all", ".xml", "is not XML"),
        (b"<?xml version='1.0'?><testsuite name='x'/>", ".xml", "not Microsoft Project XML"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".mpp", "save it as XML"),
    ],
)
def test_bad_files_are_refused_with_one_line(
    tmp_path: Path, content: bytes, suffix: str, message: str
) -> None:
    bad = tmp_path / f"bad{suffix}"
    bad.write_bytes(content)
    plan = tmp_path / "p.relman"
    code, out, err = run(plan, "import", "msproject", str(bad), "--new-release")
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    assert not plan.exists()


def test_a_loop_in_predecessor_links_is_refused(tmp_path: Path) -> None:
    text = (CORPUS / "msproject2007_relations.xml").read_text(encoding="utf-8")
    # make Task 1 wait for Task 3 as well: 1 → 2 → 3 → 1
    first = text.index("<UID>1</UID>", text.index("<Tasks>"))
    end_of_task = text.index("</Task>", first)
    text = (
        text[:end_of_task] + "<PredecessorLink><PredecessorUID>3</PredecessorUID><Type>1</Type>"
        "</PredecessorLink>" + text[end_of_task:]
    )
    looped = tmp_path / "looped.xml"
    looped.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match="loop"):
        read_mspdi(looped).check_loops()
    plan = tmp_path / "p.relman"
    code, out, err = run(plan, "import", "msproject", str(looped), "--new-release")
    assert code == 2 and "form a loop: Task" in err and len(err.strip().splitlines()) == 1
    assert not plan.exists()


# --- export, round trip, and MPXJ as the independent reader ---------------------------------------


@pytest.fixture
def release_with_tasks(ctx):
    from relman_desktop.services import people, releases, tasks

    people.create_person(ctx, {"email": "ana@example.com", "name": "Ana Ops"})
    releases.create_release(
        ctx,
        {
            "key": "REL-9",
            "title": "Billing 3.0",
            "type": "major",
            "planned_start": "2026-03-02",
            "planned_end": "2026-03-31",
        },
    )
    spec = [
        ("Design", "2026-03-02", "2026-03-06", "plan"),
        ("Build API", "2026-03-09", "2026-03-13", "build"),
        ("Build UI", "2026-03-09", "2026-03-18", "build"),
        ("Regression tests", "2026-03-19", "2026-03-24", "test"),
        ("CAB approval", "2026-03-25", "2026-03-25", "approve"),
        ("Deploy", "2026-03-27", "2026-03-27", "deploy"),
    ]
    for title, start, end, phase in spec:
        tasks.add_task(
            ctx,
            "REL-9",
            {
                "title": title,
                "start": start,
                "end": end,
                "phase": phase,
                "assignee_email": "ana@example.com" if phase == "build" else None,
                "percent_complete": 50 if title == "Design" else 0,
            },
        )
    tasks.add_task_dependency(ctx, "REL-9", "T1", "T2", "FS", 0)
    tasks.add_task_dependency(ctx, "REL-9", "T2", "T3", "SS", 2)
    tasks.add_task_dependency(ctx, "REL-9", "T3", "T4", "FF", 4)
    tasks.add_task_dependency(ctx, "REL-9", "T4", "T5", "SF", -1)
    tasks.add_task_dependency(ctx, "REL-9", "T5", "T6", "FS", 1)
    return ctx


def test_round_trip_gives_the_same_tasks_dates_links_and_lags(
    release_with_tasks, tmp_path: Path
) -> None:
    from relman_desktop.exports.msproject import write_mspdi
    from relman_desktop.importers.schedule import apply_schedule, preview_schedule
    from relman_desktop.services import tasks

    ctx = release_with_tasks
    out = tmp_path / "rel9.xml"
    write_mspdi(ctx, "REL-9", out)
    schedule = read_mspdi(out)
    plan = preview_schedule(
        ctx, schedule, new_release={"key": "REL-10", "title": schedule.title, "type": "major"}
    )
    apply_schedule(ctx, plan)

    def shape(key: str) -> list[tuple]:
        rows = tasks.list_tasks(ctx, key)
        name = {r.local_id: r.title for r in rows}
        return sorted(
            (
                r.title,
                r.start,
                r.end,
                r.assignee_email,
                r.percent_complete,
                sorted((name[p["task"]], p["type"], p["lag_days"]) for p in r.predecessors),
            )
            for r in rows
        )

    assert shape("REL-10") == shape("REL-9")
    # importing the export back into the release it came from changes nothing
    again = preview_schedule(ctx, read_mspdi(out), release_key="REL-9")
    assert again.preview.counts() == {"create": 0, "update": 0, "skip": 11}


def test_export_keeps_uids_stable_across_exports(release_with_tasks, tmp_path: Path) -> None:
    from relman_desktop.exports.msproject import write_mspdi
    from relman_desktop.services import tasks

    ctx = release_with_tasks
    write_mspdi(ctx, "REL-9", tmp_path / "a.xml")
    tasks.add_task(ctx, "REL-9", {"title": "Hypercare", "start": "2026-03-30", "end": "2026-03-31"})
    tasks.update_task(ctx, "REL-9", "T2", {"title": "Build the API"})
    write_mspdi(ctx, "REL-9", tmp_path / "b.xml")

    def uids(path: Path) -> dict[str, tuple[str, str]]:
        from lxml import etree

        ns = {"p": "http://schemas.microsoft.com/project"}
        root = etree.parse(str(path)).getroot()
        return {
            t.findtext("p:GUID", namespaces=ns): (
                t.findtext("p:UID", namespaces=ns),
                t.findtext("p:Name", namespaces=ns),
            )
            for t in root.findall("p:Tasks/p:Task", ns)
        }

    a, b = uids(tmp_path / "a.xml"), uids(tmp_path / "b.xml")
    assert set(a) < set(b)  # every task of the first export is in the second, by GUID
    assert all(a[g][0] == b[g][0] for g in a)  # with the same UID
    assert sum(1 for g in a if a[g][1] != b[g][1]) == 1  # the renamed one


@pytest.fixture(scope="module")
def mpxj_reader():
    """MPXJ on the JVM, started once for the module (test-only dependency)."""
    import jpype
    import mpxj  # noqa: F401  (puts MPXJ's jars on the class path)

    if not jpype.isJVMStarted():
        jpype.startJVM("-Djava.awt.headless=true")
    from org.mpxj.reader import UniversalProjectReader

    return UniversalProjectReader()


def test_mpxj_reads_the_export_as_the_app_holds_it(
    release_with_tasks, tmp_path: Path, mpxj_reader
) -> None:
    from relman_desktop.exports.msproject import write_mspdi
    from relman_desktop.services import tasks

    ctx = release_with_tasks
    out = tmp_path / "rel9.xml"
    write_mspdi(ctx, "REL-9", out)
    project = mpxj_reader.read(str(out))
    work = [t for t in project.getTasks() if not t.getSummary()]
    rows = tasks.list_tasks(ctx, "REL-9")
    assert len(work) == len(rows) == 6
    by_name = {str(t.getName()): t for t in work}
    assert set(by_name) == {r.title for r in rows}
    titles = {r.local_id: r.title for r in rows}
    for row in rows:
        task = by_name[row.title]
        assert str(task.getStart().toLocalDate()) == row.start.isoformat()
        assert str(task.getFinish().toLocalDate()) == row.end.isoformat()
        got = sorted(
            (
                str(rel.getPredecessorTask().getName()),
                str(rel.getType()),
                float(rel.getLag().getDuration()),
                str(rel.getLag().getUnits()),
            )
            for rel in task.getPredecessors()
        )
        want = sorted(
            (titles[p["task"]], p["type"], float(p["lag_days"]), "d") for p in row.predecessors
        )
        assert got == want, row.title
    assert [str(r.getName()) for r in project.getResources() if r.getName()] == ["Ana Ops"]
    # the release itself is the project summary row, not work
    assert any(t.getSummary() and str(t.getName()) == "Billing 3.0" for t in project.getTasks())


def test_mpxj_and_the_importer_agree_on_every_corpus_file(mpxj_reader) -> None:
    """The independent reader's work tasks (not summaries) are the ones the importer keeps."""
    for name in sorted(EXPECTED):
        project = mpxj_reader.read(str(CORPUS / name))
        theirs = sorted(
            str(t.getName()).strip()
            for t in project.getTasks()
            if not t.getSummary()
            and t.getOutlineLevel()
            and int(t.getOutlineLevel()) > 0
            and not t.getNull()
        )
        ours = sorted(t.name.strip() for t in read_mspdi(CORPUS / name).tasks)
        assert ours == theirs, name


@pytest.mark.parametrize(
    ("link_lag", "lag_format", "days"),
    [
        (4800, 7, 1),  # days: tenths of a minute over an 8-hour working day
        (4800, 3, 1),  # minutes
        (4800, 5, 1),  # hours
        (24000, 9, 5),  # weeks: one working week
        (96000, 11, 20),  # months: 20 working days
        (14400, 8, 1),  # elapsed days: 24-hour days
        (14400, 4, 1),  # elapsed minutes
        (14400, 6, 1),  # elapsed hours
        (100800, 10, 7),  # elapsed weeks
        (-4800, 39, -1),  # estimated days ("1d?")
        (9600, 53, 2),  # 53: no format given, still tenths of a minute over the working day
        (50, 19, 1),  # 50 % of a 2-day predecessor
    ],
)
def test_every_lag_format_becomes_days(
    tmp_path: Path, link_lag: int, lag_format: int, days: int
) -> None:
    text = (CORPUS / "msproject2007_relations.xml").read_text(encoding="utf-8")
    # Task 1 (UID 1) lasts one day; make it two so that a percentage lag has something to work on
    first = text.index("<UID>1</UID>", text.index("<Tasks>"))
    text = text[:first] + text[first:].replace(
        "<Duration>PT8H0M0S</Duration>", "<Duration>PT16H0M0S</Duration>", 1
    )
    # the FS link Task 1 → Task 2 gets the lag under test
    link = text.index("<PredecessorUID>1</PredecessorUID>")
    end = text.index("</PredecessorLink>", link)
    text = (
        text[:link]
        + (
            f"<PredecessorUID>1</PredecessorUID><Type>1</Type><LinkLag>{link_lag}"
            f"</LinkLag><LagFormat>{lag_format}</LagFormat>"
        )
        + text[end:]
    )
    changed = tmp_path / "lag.xml"
    changed.write_text(text, encoding="utf-8")
    schedule = read_mspdi(changed)
    names = {t.identity: t.name for t in schedule.tasks}
    link = next(x for x in schedule.links if names[x.predecessor] == "Task 1")
    assert (link.type.value, link.lag_days) == ("FS", days)


def test_the_import_is_audited(tmp_path: Path) -> None:
    plan = tmp_path / "p.relman"
    run(plan, "import", "msproject", str(CORPUS / "msproject2007_relations.xml"), "--new-release")
    code, out, _ = run(plan, "audit", "log", "--release", "REL-2006-001")
    assert code == 0
    assert "import" in out and "create" in out  # the release, then the import of its tasks
    assert json.loads(run(plan, "audit", "verify", "--json")[1])["ok"] is True


def test_an_unknown_release_leaves_no_new_plan_behind(tmp_path: Path) -> None:
    plan = tmp_path / "p.relman"
    code, out, err = run(
        plan,
        "import",
        "msproject",
        str(CORPUS / "msproject2007_relations.xml"),
        "--release",
        "REL-404",
    )
    assert code == 2 and err.strip() == "relman: no release 'REL-404' in this plan"
    assert not plan.exists()


def test_mpxj_sees_the_plans_holidays_as_calendar_exceptions(
    release_with_tasks, tmp_path: Path, mpxj_reader
) -> None:
    from relman_desktop.exports.msproject import write_mspdi
    from relman_desktop.services import windows

    ctx = release_with_tasks
    windows.create_window(
        ctx,
        title="Spring holiday",
        kind="holiday",
        start=dt.datetime(2026, 3, 16),
        end=dt.datetime(2026, 3, 17),
    )
    out = tmp_path / "rel9.xml"
    write_mspdi(ctx, "REL-9", out)
    calendar = mpxj_reader.read(str(out)).getDefaultCalendar()
    exceptions = [
        (str(e.getFromDate()), str(e.getToDate()), bool(e.getWorking()))
        for e in calendar.getCalendarExceptions()
    ]
    assert exceptions == [("2026-03-16", "2026-03-16", False)]
    # and the importer reads it back as the same day off
    assert [(d.first, d.last) for d in read_mspdi(out).non_working] == [
        (D(2026, 3, 16), D(2026, 3, 16))
    ]
