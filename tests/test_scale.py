"""Issue 19: one release's checks read only what can conflict with it, and find exactly what
the whole-plan check finds; the whole-plan rules agree with a naive all-pairs check.

Random plans (hypothesis draws the seed and the sizes): CIs with parents and children, people,
releases in every kind of state (some unscheduled, closed, cancelled, deployed), overlapping
deployments, tasks, dependencies, hard and soft freezes, a nightly maintenance window and a
business event.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import sqlite3
import tempfile
from itertools import combinations
from pathlib import Path

import pytest
from helpers_builders import plan_template  # noqa: F401  (fixture)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plans import Builder, berlin, random_plan
from sqlalchemy import select

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    Change,
    Person,
    Release,
    ReleaseDependency,
    Task,
    WorkflowState,
    change_cis,
    ci_relations,
)
from relman_desktop.models.migrations.revisions import HEAD
from relman_desktop.models.planfile import open_plan
from relman_desktop.services import changeset, releases, scheduling, tasks, windows
from relman_desktop.services import conflicts as C
from relman_desktop.services.base import Ctx, ServiceError
from relman_desktop.services.changeset import ChangeSet
from relman_desktop.services.conflict_tally import ConflictTally

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


def _fresh_ctx(template: Path, folder: Path) -> tuple[Ctx, object]:
    path = folder / "random.relman"
    shutil.copyfile(template, path)
    p = open_plan(path)
    return Ctx(p, actor="tester@example.com", clock=lambda: NOW), p


# --- the naive checks: every pair, straight from the tables ---------------------------------------


def _naive(ctx: Ctx) -> dict[str, set[tuple[str, ...]]]:
    """C3, C4 and C5 as pairs of release keys (C4 with the person), every pair compared."""
    with ctx.read() as s:
        states = {
            r.id: (r.key, r.deploy_start, r.deploy_end, cat, role)
            for r, cat, role in s.execute(
                select(Release, WorkflowState.category, WorkflowState.role).join(
                    WorkflowState, WorkflowState.id == Release.status_id
                )
            )
        }
        direct: dict[int, set[int]] = {r: set() for r in states}
        for rid, ci in s.execute(
            select(Change.release_id, change_cis.c.ci_id).join(
                change_cis, change_cis.c.change_id == Change.id
            )
        ):
            if rid is not None:
                direct[rid].add(ci)
        relations = set(s.execute(select(ci_relations.c.parent_id, ci_relations.c.child_id)))
        tasks = s.execute(
            select(Task.release_id, Task.start, Task.end, Task.status, Person.email).join(
                Person, Person.id == Task.assignee_id
            )
        ).all()
        deps = s.execute(
            select(
                ReleaseDependency.release_id,
                ReleaseDependency.prerequisite_id,
                ReleaseDependency.kind,
            )
        ).all()

    def open_(r: int) -> bool:
        return states[r][3] != E.StateCategory.TERMINAL

    def active(r: int) -> bool:
        _k, a, b, _c, _role = states[r]
        return open_(r) and a is not None and b is not None and b > a

    def touched(r: int) -> set[int]:
        out = set(direct[r])
        for p, c in relations:
            if p in direct[r]:
                out.add(c)
            if c in direct[r]:
                out.add(p)
        return out

    found: dict[str, set[tuple[str, ...]]] = {"C3": set(), "C4": set(), "C5": set()}
    for x, y in combinations(sorted(states), 2):
        if not (active(x) and active(y)):
            continue
        (kx, sx, ex, *_), (ky, sy, ey, *_) = states[x], states[y]
        if not (sx < ey and sy < ex):
            continue
        shared = touched(x) & touched(y)
        if any(c in direct[x] or c in direct[y] for c in shared):
            found["C3"].add(tuple(sorted((kx, ky))))
    for t, u in combinations(tasks, 2):
        if t.release_id == u.release_id or t.email != u.email:
            continue
        if not (open_(t.release_id) and open_(u.release_id)):
            continue
        if {t.status, u.status} & {E.TaskStatus.DONE, E.TaskStatus.CANCELLED}:
            continue
        if None in (t.start, t.end, u.start, u.end):
            continue
        if t.start <= u.end and u.start <= t.end:
            keys = sorted((states[t.release_id][0], states[u.release_id][0]))
            found["C4"].add((*keys, t.email))
    for rid, pid, kind in deps:
        if kind != E.DependencyKind.BEFORE or not (active(rid) and active(pid)):
            continue
        if states[pid][4] in E.DEPLOYED_ROLES:
            continue
        if states[rid][1] < states[pid][2]:
            found["C5"].add((states[rid][0], states[pid][0]))
    return found


def _pairs(found: list[C.Conflict]) -> dict[str, set[tuple[str, ...]]]:
    out: dict[str, set[tuple[str, ...]]] = {"C3": set(), "C4": set(), "C5": set()}
    for c in found:
        if c.rule == "C3":
            out["C3"].add(tuple(sorted(c.releases)))
        elif c.rule == "C4":
            out["C4"].add((*c.releases, *c.people))
        elif c.rule == "C5":
            out["C5"].add(tuple(c.releases))
    return out


def _whole_plan_for_release(ctx: Ctx, key: str, suggest: bool) -> list[dict]:
    """What ``conflicts_for_release`` found before issue 19: the whole plan's index, then the
    rules focused on the release (and suggestions searched on the whole plan)."""
    with ctx.read() as s:
        index = C.load_index(s)
        found = C._order(C._detect(index, {index.by_key[key].id}))
        if suggest:
            scheduling.suggest_moves(s, index, found, None, ctx.now())
    return [c.as_dict() for c in found]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_releases=st.integers(2, 40),
    n_cis=st.integers(1, 9),
)
def test_indexed_checks_equal_the_naive_all_pairs_and_the_whole_plan_check(
    plan_template: Path,  # noqa: F811
    seed: int,
    n_releases: int,
    n_cis: int,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        ctx, p = _fresh_ctx(plan_template, Path(folder))
        try:
            random_plan(ctx, random.Random(seed), n_releases, n_cis)
            everything = C.all_conflicts(ctx, suggest=False)
            assert _pairs(everything) == _naive(ctx)
            with ctx.read() as s:
                keys = list(s.scalars(select(Release.key).order_by(Release.key)))
            for key in keys:
                suggest = key in keys[:3]  # suggestions search 60 days: a few releases suffice
                fix = scheduling.suggest_moves if suggest else False
                focused = [c.as_dict() for c in C.conflicts_for_release(ctx, key, suggest=fix)]
                assert focused == _whole_plan_for_release(ctx, key, suggest), key
                if suggest:  # the scheduling assistant's free slots, on the focused index too
                    with ctx.read() as s:
                        index = C.load_index(s)
                        rel = index.by_key[key]
                        whole = scheduling.proposals(
                            s, index, rel, count=3, days=30, start=NOW, now=ctx.now()
                        )
                    assert scheduling.free_slots(ctx, key, count=3, start=NOW) == whole, key
                with ctx.read() as s:
                    release = s.scalars(select(Release).where(Release.key == key)).one()
                    index = C.load_index(s)
                    rel = index.by_key[key]
                    expected = (
                        [f"{key} has no deployment window set"]
                        if not rel.scheduled
                        else [
                            c.message
                            for c in C._order(C._detect(index, {rel.id}, errors_only=True))
                            if c.severity == C.ERROR
                        ]
                    )
                    assert C.window_clear_problems(s, release) == expected, key
                mine = [c.as_dict() for c in everything if key in c.releases]
                if rel.active:  # an open, scheduled release: exactly the plan's findings on it
                    assert [
                        c.as_dict() for c in C.conflicts_for_release(ctx, key, suggest=False)
                    ] == mine
        finally:
            p.close()  # type: ignore[attr-defined]


# --- migration 0009_scale ------------------------------------------------------------------------

SCALE_INDEXES = {
    "ix_change_cis_ci_id",
    "ix_ci_relations_child_id",
    "ix_releases_deploy_window",
    "ix_tasks_assignee_start",
}


def _indexes(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        con.close()


def test_a_plan_from_before_the_scale_indexes_upgrades_and_keeps_its_conflicts(
    plan_template: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    from alembic import command

    from relman_desktop.models.planfile import Plan, _alembic_config, current_revision

    ctx, p = _fresh_ctx(plan_template, tmp_path)
    try:
        random_plan(ctx, random.Random(7), 30, 5)
        before = [c.as_dict() for c in C.all_conflicts(ctx, suggest=False)]
    finally:
        p.close()  # type: ignore[attr-defined]
    path = tmp_path / "random.relman"
    old = Plan(path)
    try:
        with old.write_engine.connect() as conn:
            cfg = _alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008")
            conn.commit()
    finally:
        old.close()
    assert not SCALE_INDEXES & _indexes(path)
    upgraded = open_plan(path)
    try:
        assert current_revision(upgraded) == HEAD  # through 0009_scale and on
        assert upgraded.backup_made is not None and "backup-0008" in upgraded.backup_made.name
        after = [c.as_dict() for c in C.all_conflicts(Ctx(upgraded), suggest=False)]
    finally:
        upgraded.close()
    assert SCALE_INDEXES <= _indexes(path)
    assert after == before and {c["rule"] for c in after} >= {"C3", "C4"}


# --- the incremental tally -------------------------------------------------------------------------


def _edit(ctx: Ctx, rng: random.Random, keys: list[str], serial: int) -> ChangeSet:
    """One random write through the services, as the app makes them; its change set."""
    key = rng.choice(keys)
    what = rng.choice(["move", "move", "move", "task", "task", "depend", "undepend"])
    what = rng.choice([what, "rename", "delete", "create"]) if rng.random() < 0.2 else what
    try:
        if what == "move":
            start = dt.datetime(2026, 12, 1, 20, tzinfo=dt.UTC) + dt.timedelta(
                hours=rng.randrange(0, 24 * 20)
            )
            end = start + dt.timedelta(minutes=30 * rng.randint(1, 12))
            return changeset.run(ctx, scheduling.move_release, key, start, end).changes
        if what == "task":
            day = dt.date(2026, 12, 1) + dt.timedelta(days=rng.randrange(0, 40))
            fields = {
                "title": f"Edit {serial}",
                "start": day,
                "end": day + dt.timedelta(days=rng.randrange(0, 3)),
                "assignee_email": f"p{rng.randrange(4)}@example.com",
            }
            return changeset.run(ctx, tasks.add_task, key, fields).changes
        if what == "depend":
            other = rng.choice(keys)
            return changeset.run(ctx, releases.add_dependency, key, other).changes
        if what == "undepend":
            with ctx.read() as s:
                pairs = s.execute(
                    select(Release.key, ReleaseDependency.prerequisite_id).join(
                        ReleaseDependency, ReleaseDependency.release_id == Release.id
                    )
                ).all()
                if not pairs:
                    return ChangeSet()
                rel_key, pre_id = rng.choice(pairs)
                pre_key = s.scalar(select(Release.key).where(Release.id == pre_id))
            return changeset.run(ctx, releases.remove_dependency, rel_key, pre_key).changes
        if what == "rename":
            new = f"REN-{serial:03d}"
            out = changeset.run(ctx, releases.update_release, key, {"key": new}).changes
            keys[keys.index(key)] = new
            return out
        if what == "delete":
            out = changeset.run(ctx, releases.delete_release, key).changes
            keys.remove(key)
            return out
        new = f"NEW-{serial:03d}"
        out = changeset.run(
            ctx, releases.create_release, {"key": new, "title": "New", "type": "minor"}
        ).changes
        keys.append(new)
        return out
    except ServiceError:  # refused (a dependency loop, a closed release): nothing changed
        return ChangeSet()


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), n_releases=st.integers(3, 30))
def test_the_tally_after_random_edits_equals_a_full_recompute(
    plan_template: Path,  # noqa: F811
    seed: int,
    n_releases: int,
) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        ctx, p = _fresh_ctx(plan_template, Path(folder))
        try:
            random_plan(ctx, rng, n_releases, 6)
            tally = ConflictTally(ctx)
            with ctx.read() as s:
                keys = list(s.scalars(select(Release.key).order_by(Release.key)))
            for serial in range(15):
                if len(keys) < 2:
                    break
                tally.apply(ctx, _edit(ctx, rng, keys, serial))
                full = C.all_conflicts(ctx, suggest=False)
                assert [c.as_dict() for c in tally.conflicts()] == [c.as_dict() for c in full]
                errors = sum(c.severity == C.ERROR for c in full)
                assert tally.counts() == {"errors": errors, "warnings": len(full) - errors}
                for key in keys:
                    mine = [c.as_dict() for c in full if key in c.releases]
                    assert [c.as_dict() for c in tally.for_release(key)] == mine, key
            assert tally.full_reads == 1  # every edit above was applied release by release
        finally:
            p.close()  # type: ignore[attr-defined]


def test_plan_wide_reads_show_text_that_is_not_utf8_with_a_replacement_character(
    plan_template: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The list and the whole-plan check read text with SQLite's own decoder; a value that is
    not UTF-8 (a raw edit, a damaged page) still reads, with U+FFFD for its bad bytes, and
    the connection goes back to the tolerant decoder for what is read after."""
    ctx, p = _fresh_ctx(plan_template, tmp_path)
    try:
        _read_damaged_text(ctx)
    finally:
        p.close()  # type: ignore[attr-defined]


def _read_damaged_text(ctx: Ctx) -> None:
    with ctx.write() as tx:
        b = Builder(tx)
        b.person("ana@example.com")
        r1 = b.release("REL-1", berlin(2026, 12, 12, 22), berlin(2026, 12, 12, 23))
        r2 = b.release("REL-2", berlin(2026, 12, 19, 22), berlin(2026, 12, 19, 23))
        b.task(r1, "T1", dt.date(2026, 12, 1), dt.date(2026, 12, 3), "ana@example.com")
        b.task(r2, "T1", dt.date(2026, 12, 3), dt.date(2026, 12, 4), "ana@example.com")
    con = sqlite3.connect(ctx.plan.path)  # type: ignore[attr-defined]
    with con:
        con.execute("UPDATE releases SET title = CAST(X'52656cff31' AS TEXT) WHERE key = 'REL-1'")
        con.execute(
            "UPDATE tasks SET title = CAST(X'54ff31' AS TEXT) WHERE release_id = ?", [r2.id]
        )
    con.close()

    rows = {r.key: r.title for r in releases.list_releases(ctx)}
    assert rows == {"REL-1": "Rel\ufffd1", "REL-2": "Release REL-2"}
    [c4] = C.all_conflicts(ctx, suggest=False)
    assert c4.message == (
        "ana@example.com has overlapping tasks in REL-1 (\u201cTask T1\u201d 2026-12-01 → "
        "2026-12-03) and REL-2 (\u201cT\ufffd1\u201d 2026-12-03 → 2026-12-04)"
    )
    assert releases.get_release(ctx, "REL-1").title == "Rel\ufffd1"  # read tolerantly again


def test_a_window_edit_makes_the_tally_read_the_whole_plan_again(ctx: Ctx) -> None:
    random_plan(ctx, random.Random(3), 12, 4)
    tally = ConflictTally(ctx)
    outcome = changeset.run(
        ctx,
        windows.create_window,
        title="New freeze",
        kind="freeze",
        start=berlin(2026, 12, 1),
        end=berlin(2026, 12, 31),
    )
    found = C.all_conflicts(ctx, suggest=False)
    tally.apply(ctx, outcome.changes)
    assert [c.as_dict() for c in tally.conflicts()] == [c.as_dict() for c in found]
    assert tally.full_reads == 2
    assert any(c.windows == ["New freeze"] for c in tally.conflicts())


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_releases=st.integers(2, 30),
    n_cis=st.integers(1, 6),
)
def test_impact_reading_what_it_touches_equals_the_whole_plan_reading(
    plan_template: Path,  # noqa: F811
    seed: int,
    n_releases: int,
    n_cis: int,
) -> None:
    """``impact`` reads the releases a shift reaches through the dependencies and, when one
    release moves, only what can conflict with it; the answer is the whole-index reading's."""
    from relman_desktop.services import impact as I

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        ctx, p = _fresh_ctx(plan_template, Path(folder))
        try:
            random_plan(ctx, rng, n_releases, n_cis)
            with ctx.read() as s:
                keys = list(s.scalars(select(Release.key).order_by(Release.key)))
                task_keys = [
                    f"{k}/{t}"
                    for k, t in s.execute(
                        select(Release.key, Task.local_id).join(Task, Task.release_id == Release.id)
                    )
                ]
            picks = rng.sample(keys, k=min(6, len(keys)))
            picks += rng.sample(task_keys, k=min(4, len(task_keys)))
            for key in picks:
                for days in (rng.choice([-3, -1, 1, 2, 7, 30]), 1):
                    try:
                        whole = I._impact_whole(ctx, key, days).as_dict()
                    except ServiceError as exc:
                        with pytest.raises(ServiceError, match=re.escape(str(exc))):
                            I.impact(ctx, key, days)
                        continue
                    assert I.impact(ctx, key, days).as_dict() == whole, (key, days)
        finally:
            p.close()  # type: ignore[attr-defined]
