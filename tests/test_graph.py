"""The graph service: cycle refusal naming the loop, neighbourhoods, the critical chain, CI impact."""

from __future__ import annotations

import io

import pytest
from graph_plan import load_graph_plan
from helpers_builders import plan, plan_template  # noqa: F401  (faster plan fixture)

from relman_desktop.services import graph as G
from relman_desktop.services.base import CycleError, NotFound


@pytest.fixture
def gctx(ctx):
    load_graph_plan(ctx)
    return ctx


def test_release_graph_has_every_release_edges_prerequisite_to_dependent_and_kinds(gctx):
    g = G.release_graph(gctx)
    assert [n.key for n in g.nodes] == ["REL-A", "REL-B", "REL-C", "REL-D"]
    assert {(e.prerequisite, e.dependent, e.kind) for e in g.edges} == {
        ("REL-A", "REL-B", "before"),
        ("REL-A", "REL-C", "before"),
        ("REL-B", "REL-D", "together"),
    }
    assert g.node("REL-A").status == "Planning" and g.node("REL-A").status_color
    assert g.applications() == ["Billing", "Mobile", "Platform"]


def test_critical_chain_is_the_longest_chain_by_dates(gctx):
    # REL-A (from 7 December) → REL-C (deploys 10 January) spans longest
    assert G.release_graph(gctx).critical_chain == ["REL-A", "REL-C"]


def test_adding_a_dependency_that_closes_a_loop_is_refused_naming_it(gctx):
    assert G.loop_if_added(gctx, "REL-A", "REL-D") == ["REL-A", "REL-D", "REL-B", "REL-A"]
    with pytest.raises(CycleError) as exc:
        G.add_dependency(gctx, "REL-A", "REL-D")
    assert "REL-A → REL-D → REL-B → REL-A" in str(exc.value)
    assert ("REL-D", "REL-A") not in G.release_graph(gctx, with_conflicts=False).digraph().edges


def test_add_and_remove_a_dependency(gctx):
    assert G.loop_if_added(gctx, "REL-C", "REL-D") is None
    G.add_dependency(gctx, "REL-C", "REL-D", "together")
    g = G.release_graph(gctx, with_conflicts=False)
    assert ("REL-D", "REL-C", "together") in {
        (e.prerequisite, e.dependent, e.kind) for e in g.edges
    }
    assert G.remove_dependency(gctx, "REL-C", "REL-D") == "together"
    with pytest.raises(NotFound):
        G.remove_dependency(gctx, "REL-C", "REL-D")


def test_neighbourhood_levels_up_and_down(gctx):
    dg = G.release_graph(gctx, with_conflicts=False).digraph()
    assert G.neighbourhood(dg, "REL-B", 1, 0) == {"REL-A", "REL-B"}
    assert G.neighbourhood(dg, "REL-B", 0, 1) == {"REL-B", "REL-D"}
    assert G.neighbourhood(dg, "REL-D", 2, 0) == {"REL-A", "REL-B", "REL-D"}
    assert G.neighbourhood(dg, "REL-A", 0, 1) == {"REL-A", "REL-B", "REL-C"}


def test_ci_impact_reaches_through_parents_and_children(gctx):
    result = G.ci_impact(gctx, "billing-service")
    assert result.parents == ["platform"] and result.children == ["billing-db"]
    releases = {r["key"]: r["via"] for r in result.releases}
    assert releases == {
        "REL-A": [{"ci": "billing-service", "relation": "itself"}],
        "REL-C": [{"ci": "platform", "relation": "parent"}],
    }
    changes = {c["key"]: (c["release"], c["via"][0]["relation"]) for c in result.changes}
    assert changes == {
        "CHG-1": ("REL-A", "itself"),
        "CHG-2": ("REL-C", "parent"),
        "CHG-3": (None, "child"),
    }
    assert "REL-D" not in releases  # touches crm only
    child = G.ci_impact(gctx, "billing-db")
    assert {r["key"] for r in child.releases} == {"REL-A"}  # through its parent billing-service
    with pytest.raises(NotFound):
        G.ci_impact(gctx, "nope")


def test_task_graph_with_types_lags_and_slack(gctx):
    tg = G.task_graph(gctx, "REL-A")
    assert {(e.predecessor, e.successor, e.type, e.lag_days) for e in tg.edges} >= {
        ("T1", "T3", "FS", 2),
        ("T1", "T4", "SS", 1),
        ("T2", "T5", "FF", 0),
        ("T4", "T6", "SF", 0),
    }
    assert {n.id for n in tg.nodes} == {f"T{i}" for i in range(1, 7)}


def test_ci_graph_parent_to_child(gctx):
    cg = G.ci_graph(gctx)
    assert ("platform", "billing-service") in cg.edges and (
        "billing-service",
        "billing-db",
    ) in cg.edges


def test_cli_depend_refuses_a_loop_and_names_it(gctx, plan_path):
    from relman_desktop.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["--plan", str(plan_path), "depend", "REL-A", "REL-D"], out=out, err=err)
    assert code == 1
    assert "REL-A → REL-D → REL-B → REL-A" in err.getvalue()
    out = io.StringIO()
    assert main(["--plan", str(plan_path), "ci-impact", "billing-service"], out=out, err=err) == 0
    assert "release REL-C [Planning] via platform (parent)" in out.getvalue()
