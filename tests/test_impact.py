"""Impact analysis on a hand-built plan (tests/graph_plan.py): exact moves through FS/SS/FF/SF
links with lag and slack, release dependencies with slack, prerequisite violations, new
conflicts and freezes — and nothing written unless applied."""

from __future__ import annotations

import io
import json

import pytest
from graph_plan import load_graph_plan
from helpers_builders import plan, plan_template  # noqa: F401  (faster plan fixture)
from sqlalchemy import func, select

from relman_desktop.models.entities import AuditEvent
from relman_desktop.services import impact as I
from relman_desktop.services import impact_load
from relman_desktop.services.base import NotFound, ValidationError
from relman_desktop.services.releases import get_release
from relman_desktop.services.tasks import list_tasks


@pytest.fixture
def gctx(ctx):
    load_graph_plan(ctx)
    return ctx


def _moves(result: I.ImpactResult) -> dict[str, tuple[int, int]]:
    return {m.key: (m.days, m.working_days) for m in result.moved}


def _events(ctx) -> int:
    with ctx.read() as s:
        return s.execute(select(func.count(AuditEvent.id))).scalar_one()


def test_task_shift_moves_successors_by_exactly_what_their_slack_does_not_absorb(gctx):
    result = I.impact(gctx, "REL-A/T1", 2)
    assert result.unit == "working days"
    moves = _moves(result)
    assert moves["REL-A/T1"] == (2, 2)  # Mon 7 → Wed 9 December
    assert moves["REL-A/T2"] == (4, 2)  # FS 0, no slack: Thu 10 → Mon 14 (over the weekend)
    assert moves["REL-A/T3"] == (1, 1)  # FS +2 with one day of slack: only 1 of the 2 days
    assert moves["REL-A/T4"] == (2, 2)  # SS +1, no slack
    assert moves["REL-A/T5"] == (2, 2)  # FF 0 after T2, whose end moved 2 working days
    assert "REL-A/T6" not in moves  # SF 0 after T4 with two days of slack: absorbed
    # T3 now ends a day later than the release's planned end: the release and its window follow
    assert moves["REL-A"] == (1, 1)
    # REL-A's window now ends 22:00 on the 17th; REL-B starts 08:00 on the 18th: its slack holds
    assert "REL-B" not in moves and "REL-C" not in moves


def test_task_shift_reports_the_freeze_it_now_hits_as_a_new_conflict(gctx):
    result = I.impact(gctx, "REL-A/T1", 2)
    assert [(c.rule, c.releases) for c in result.new_conflicts] == [("C1", ["REL-A"])]
    assert result.freezes_hit == [
        {
            "release": "REL-A",
            "window": "Year-end freeze",
            "severity": "error",
            "message": result.new_conflicts[0].message,
        }
    ]


def test_release_shift_pushes_dependents_that_lack_slack_and_their_together_partners(gctx):
    result = I.impact(gctx, "REL-A", 3)
    assert result.unit == "calendar days"
    moves = _moves(result)
    assert moves["REL-A"][0] == 3
    # REL-B starts 08:00 on the 18th; REL-A now ends 22:00 on the 19th: 1 day 14 hours short → 2 days
    assert moves["REL-B"][0] == 2
    # REL-D deploys together with REL-B (SS): REL-B's start moved 2 days, REL-D's 2 days too
    assert moves["REL-D"][0] == 2
    assert "REL-C" not in moves  # three weeks of slack
    # the release's tasks slide with it; one landing on Saturday starts on Monday
    assert moves["REL-A/T1"] == (3, 3)
    assert moves["REL-A/T5"] == (5, 3)
    assert result.prerequisite_violations == []


def test_a_release_pulled_before_its_prerequisite_is_reported(gctx):
    result = I.impact(gctx, "REL-B", -5)
    assert [(v.release, v.prerequisite) for v in result.prerequisite_violations] == [
        ("REL-B", "REL-A")
    ]
    assert (
        "REL-B would deploy 2026-12-13 08:00–09:00 but depends on REL-A"
        in result.prerequisite_violations[0].message
    )
    assert any(c.rule == "C5" and c.releases == ["REL-B", "REL-A"] for c in result.new_conflicts)
    assert "REL-D" not in _moves(result)  # nothing is pulled earlier


def test_impact_writes_nothing(gctx):
    before_events = _events(gctx)
    before = get_release(gctx, "REL-A")
    I.impact(gctx, "REL-A", 4)
    I.impact(gctx, "REL-A/T1", 3)
    assert _events(gctx) == before_events
    assert get_release(gctx, "REL-A").deploy_start == before.deploy_start


def test_apply_shift_writes_one_audited_transaction_and_restore_undoes_it(gctx):
    applied = I.apply_shift(gctx, "REL-A", 3)
    assert {m.key for m in applied.moved} >= {"REL-A", "REL-B", "REL-D"}
    assert str(get_release(gctx, "REL-B").deploy_start) == "2026-12-20 08:00:00+00:00"
    assert {t.local_id: str(t.start) for t in list_tasks(gctx, "REL-A")}["T1"] == "2026-12-10"
    I.restore_dates(gctx, applied.before)
    assert str(get_release(gctx, "REL-B").deploy_start) == "2026-12-18 08:00:00+00:00"
    assert str(get_release(gctx, "REL-A").planned_end) == "2026-12-16"
    assert {t.local_id: str(t.start) for t in list_tasks(gctx, "REL-A")}["T1"] == "2026-12-07"
    I.restore_dates(gctx, applied.after)  # redo
    assert str(get_release(gctx, "REL-A").deploy_start) == "2026-12-19 20:00:00+00:00"


def test_bad_keys_and_shifts_are_refused_with_a_clear_line(gctx):
    with pytest.raises(NotFound, match="REL-Z"):
        I.impact(gctx, "REL-Z", 1)
    with pytest.raises(NotFound, match="T99"):
        I.impact(gctx, "REL-A/T99", 1)
    with pytest.raises(ValidationError, match="whole number"):
        I.impact(gctx, "REL-A", 1.5)  # type: ignore[arg-type]


def test_cli_impact_json_shape(gctx, plan_path):
    from relman_desktop.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--plan", str(plan_path), "impact", "REL-A", "--days", "3", "--json"], out=out, err=err
    )
    assert code == 0, err.getvalue()
    data = json.loads(out.getvalue())
    assert {"moved", "new_conflicts", "prerequisite_violations", "freezes_hit"} <= data.keys()
    assert {"key": "REL-B", "days": 2} == {
        k: v for k, v in data["moved"][-2].items() if k in ("key", "days")
    }
    assert any(m["key"] == "REL-A/T3" for m in data["moved"])
    out2 = io.StringIO()
    main(
        ["--plan", str(plan_path), "impact", "REL-A/T1", "--days", "2", "--json"], out=out2, err=err
    )
    conflicts = json.loads(out2.getvalue())["new_conflicts"]
    assert conflicts[0]["rule"] == "C1"
    assert set(conflicts[0]) >= {"rule", "severity", "releases", "message", "windows", "suggestion"}


@pytest.fixture(scope="module")
def demo_ctx(tmp_path_factory):
    """A generated plan with tasks, task links, CIs, windows and release dependencies."""
    import datetime as dt

    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services.base import Ctx
    from relman_desktop.services.demo import generate_demo

    now = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
    p = open_plan(tmp_path_factory.mktemp("demo") / "demo.relman", create=True)
    ctx = Ctx(p, actor="test", clock=lambda: now)
    generate_demo(ctx, releases=120, seed=3)
    yield ctx
    p.close()


def _linked_releases(ctx) -> list[str]:
    """The releases with a release dependency either way, then a few without."""
    from relman_desktop.services import graph as G

    g = G.release_graph(ctx, with_conflicts=False).digraph()
    linked = sorted(n for n in g.nodes if g.degree(n))
    return linked + sorted(n for n in g.nodes if not g.degree(n))[:4]


def _same_but_conflicts(a: I.ImpactResult, b: I.ImpactResult) -> bool:
    blank = {"new_conflicts": [], "freezes_hit": []}
    return a.as_dict() | blank == b.as_dict() | blank


@pytest.mark.parametrize("plan_kind", ["hand-built", "hand-built, planned days only", "demo"])
def test_impact_with_and_without_the_conflict_index_moves_the_same(
    plan_kind, gctx, demo_ctx, monkeypatch
):
    """The conflict index's rows stand in for a second read of the releases, and many moving
    releases read their tasks in one pass: neither changes what moves, why, or what breaks."""
    ctx = demo_ctx if plan_kind == "demo" else gctx
    if plan_kind == "hand-built, planned days only":  # no deployment windows: the planned days move
        from relman_desktop.services.releases import list_releases, update_release

        for row in list_releases(ctx):
            update_release(ctx, row.key, {"deploy_start": None, "deploy_end": None})
    cases = [(k, d) for k in _linked_releases(ctx) for d in (5, 20, -3)]
    cases += [(f"{k}/T1", d) for k in _linked_releases(ctx)[:6] for d in (2, 7)]
    full = {}
    for case in cases:
        try:
            full[case] = I.impact(ctx, *case)
        except (ValidationError, NotFound):  # no dates, cancelled, no such task
            continue
    assert sum(1 for r in full.values() if len(r.moved_releases()) > 1) >= 2  # real propagation
    if plan_kind != "hand-built, planned days only":  # conflicts need deployment windows
        assert sum(len(r.new_conflicts) for r in full.values()) > 0
    for case, result in full.items():
        assert _same_but_conflicts(I.impact(ctx, *case, conflicts=False), result), case
    # every shift now reads its tasks in one pass (the reading lives in impact_load)
    monkeypatch.setattr(impact_load, "ONE_PASS_RELEASES", 0)
    for case, result in full.items():
        assert I.impact(ctx, *case).as_dict() == result.as_dict(), case
