"""Critical path: each link type with lag gives exact dates and slack; loops are named."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    Release,
    ReleaseDependency,
    Task,
    TaskDependency,
    WorkflowState,
)
from relman_desktop.services.base import CycleError, NotFound
from relman_desktop.services.critical_path import (
    Activity,
    Link,
    compute_cpm,
    release_critical_path,
    task_critical_path,
)

D = dt.date
# Working days from Monday 30 November 2026: 0 Mon 30/11, 1 Tue 1/12, 2 Wed 2/12, 3 Thu 3/12,
# 4 Fri 4/12, 5 Mon 7/12, 6 Tue 8/12, 7 Wed 9/12.


def row(s):
    return (s.early_start, s.early_finish, s.late_start, s.late_finish, s.total_slack, s.critical)


def test_finish_to_start_with_lag():
    result = compute_cpm(
        [
            Activity("A", "Build", D(2026, 11, 30), D(2026, 12, 2)),
            Activity("B", "Docs", duration=2),
            Activity("C", "Soak", duration=1),
            Activity("D", "Deploy", duration=2),
        ],
        [Link("A", "B"), Link("A", "C", "FS", 2), Link("B", "D"), Link("C", "D")],
    )
    got = result.by_id()
    assert row(got["A"]) == (
        D(2026, 11, 30),
        D(2026, 12, 2),
        D(2026, 11, 30),
        D(2026, 12, 2),
        0,
        True,
    )
    assert row(got["B"]) == (
        D(2026, 12, 3),
        D(2026, 12, 4),
        D(2026, 12, 4),
        D(2026, 12, 7),
        1,
        False,
    )
    assert row(got["C"]) == (
        D(2026, 12, 7),
        D(2026, 12, 7),
        D(2026, 12, 7),
        D(2026, 12, 7),
        0,
        True,
    )
    assert row(got["D"]) == (
        D(2026, 12, 8),
        D(2026, 12, 9),
        D(2026, 12, 8),
        D(2026, 12, 9),
        0,
        True,
    )
    assert result.critical == ["A", "C", "D"]
    assert (result.start, result.finish) == (D(2026, 11, 30), D(2026, 12, 9))


def test_start_to_start_finish_to_finish_and_start_to_finish():
    result = compute_cpm(
        [
            Activity("A", "Build", D(2026, 11, 30), D(2026, 12, 3)),  # 4 days
            Activity("B", "Review", duration=2),
            Activity("C", "Test", duration=3),
            Activity("D", "Announce", duration=2),
        ],
        [Link("A", "B", "SS", 1), Link("A", "C", "FF", 2), Link("A", "D", "SF", 3)],
    )
    got = result.by_id()
    # SS+1: B starts a day after A starts.
    assert row(got["B"]) == (
        D(2026, 12, 1),
        D(2026, 12, 2),
        D(2026, 12, 4),
        D(2026, 12, 7),
        3,
        False,
    )
    # FF+2: C finishes two days after A finishes (Thursday → Monday).
    assert row(got["C"]) == (
        D(2026, 12, 3),
        D(2026, 12, 7),
        D(2026, 12, 3),
        D(2026, 12, 7),
        0,
        True,
    )
    # SF+3: D finishes by the third working day after A starts.
    assert row(got["D"]) == (
        D(2026, 12, 1),
        D(2026, 12, 2),
        D(2026, 12, 4),
        D(2026, 12, 7),
        3,
        False,
    )
    assert row(got["A"])[4:] == (0, True)
    assert result.critical == ["A", "C"]


def test_negative_lag_weekends_and_unlinked_tasks():
    result = compute_cpm(
        [
            Activity("A", "Build", D(2026, 12, 3), D(2026, 12, 7)),  # Thu, Fri, Mon: 3 days
            Activity("B", "Test", duration=2),
            Activity("E", "Comms", D(2026, 12, 4), D(2026, 12, 4)),
        ],
        [Link("A", "B", "FS", -1)],
    )
    got = result.by_id()
    assert got["A"].duration_days == 3
    assert (got["B"].early_start, got["B"].early_finish) == (D(2026, 12, 7), D(2026, 12, 8))
    assert (got["E"].early_start, got["E"].total_slack) == (D(2026, 12, 4), 2)
    assert result.finish == D(2026, 12, 8)


def test_a_loop_is_refused_naming_it():
    with pytest.raises(CycleError) as info:
        compute_cpm(
            [
                Activity("T1", "a", duration=1),
                Activity("T2", "b", duration=1),
                Activity("T3", "c", duration=1),
            ],
            [Link("T1", "T2"), Link("T2", "T3"), Link("T3", "T1")],
        )
    loop = info.value.loop
    assert loop[0] == loop[-1] and sorted(loop[:-1]) == ["T1", "T2", "T3"]
    assert "task dependency would close a loop: " + " → ".join(loop) in str(info.value)


def _state(s, name="Planning"):
    return s.execute(select(WorkflowState).where(WorkflowState.name == name)).scalar_one()


def test_task_critical_path_reads_the_release_tasks(ctx):
    with ctx.write() as tx:
        s = tx.session
        rel = Release(
            key="REL-1",
            title="Billing",
            type=E.ReleaseType.MINOR,
            status=_state(s),
            planned_start=D(2026, 11, 30),
        )
        s.add(rel)
        s.flush()
        tasks = {}
        for pos, (local_id, start, end, status) in enumerate(
            [
                ("T1", D(2026, 11, 30), D(2026, 12, 2), "todo"),
                ("T2", D(2026, 12, 3), D(2026, 12, 4), "todo"),
                ("T3", D(2026, 12, 3), D(2026, 12, 3), "todo"),
                ("T4", D(2026, 12, 3), D(2026, 12, 3), "cancelled"),
            ]
        ):
            tasks[local_id] = Task(
                release_id=rel.id,
                local_id=local_id,
                position=pos,
                title=f"Task {local_id}",
                phase=E.Phase.BUILD,
                start=start,
                end=end,
                status=E.TaskStatus(status),
            )
            s.add(tasks[local_id])
        s.flush()
        for pred, succ, kind, lag in [
            ("T1", "T2", "FS", 0),
            ("T1", "T3", "FS", 2),
            ("T3", "T4", "FS", 0),
        ]:
            s.add(
                TaskDependency(
                    predecessor_id=tasks[pred].id,
                    successor_id=tasks[succ].id,
                    type=E.LinkType(kind),
                    lag_days=lag,
                )
            )
    result = task_critical_path(ctx, "REL-1")
    got = result.by_id()
    assert set(got) == {"T1", "T2", "T3"}  # the cancelled task is left out
    assert (got["T3"].early_start, got["T3"].total_slack) == (D(2026, 12, 7), 0)
    assert (got["T2"].early_start, got["T2"].total_slack) == (D(2026, 12, 3), 1)
    assert result.critical == ["T1", "T3"]
    with pytest.raises(NotFound):
        task_critical_path(ctx, "REL-NOPE")


def test_release_chain_uses_planned_dates_and_refuses_loops(ctx):
    with ctx.write() as tx:
        s = tx.session

        def rel(key, start, end):
            r = Release(
                key=key,
                title=key,
                type=E.ReleaseType.MINOR,
                status=_state(s),
                planned_start=start,
                planned_end=end,
            )
            s.add(r)
            s.flush()
            return r

        a = rel("REL-A", D(2026, 12, 1), D(2026, 12, 4))
        b = rel("REL-B", D(2026, 12, 7), D(2026, 12, 8))
        c = rel("REL-C", D(2026, 12, 7), D(2026, 12, 7))
        rel("REL-D", D(2026, 12, 1), D(2026, 12, 30))
        s.add(ReleaseDependency(release_id=b.id, prerequisite_id=a.id))
        s.add(ReleaseDependency(release_id=c.id, prerequisite_id=a.id))
        ids = (a.id, b.id)
    result = release_critical_path(ctx, "REL-B")
    got = result.by_id()
    assert set(got) == {"REL-A", "REL-B", "REL-C"}
    assert row(got["REL-B"])[:2] == (D(2026, 12, 7), D(2026, 12, 8))
    assert (got["REL-C"].total_slack, result.critical) == (1, ["REL-A", "REL-B"])
    assert "REL-D" in release_critical_path(ctx).by_id()

    with ctx.write() as tx:
        tx.session.add(ReleaseDependency(release_id=ids[0], prerequisite_id=ids[1]))
    with pytest.raises(CycleError, match="release dependency would close a loop"):
        release_critical_path(ctx, "REL-A")
