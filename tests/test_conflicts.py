"""Conflict rules C1–C7: each fires, and none fires on the boundary (touching windows)."""

from __future__ import annotations

import datetime as dt

import pytest
from plans import Builder, berlin
from sqlalchemy import insert, select

from relman_desktop.models.entities import (
    Change,
    PlanMeta,
    Release,
    change_cis,
)
from relman_desktop.services import conflicts as C
from relman_desktop.services.base import NotFound
from relman_desktop.services.scheduling import suggest_moves

UTC = dt.UTC


@pytest.fixture
def build(ctx):
    def run(fn):
        with ctx.write() as tx:
            fn(Builder(tx))

    return run


def rules(ctx, rule=None):
    found = C.all_conflicts(ctx, suggest=False)
    return [c for c in found if rule is None or c.rule == rule]


# --- C1 freeze -------------------------------------------------------------------------------------


def test_c1_hard_freeze_is_an_error_naming_the_evidence(ctx, build):
    def plan(b):
        b.ci("billing-service")
        b.release(
            "REL-2026-004",
            berlin(2026, 12, 20, 22),
            berlin(2026, 12, 20, 23, 30),
            cis=["billing-service"],
        )
        b.window("Year-end freeze", "freeze", berlin(2026, 12, 19), berlin(2027, 1, 4))

    build(plan)
    [c] = rules(ctx)
    assert (c.rule, c.severity, c.releases, c.windows) == (
        "C1",
        "error",
        ["REL-2026-004"],
        ["Year-end freeze"],
    )
    assert c.message == (
        "REL-2026-004 deploys 2026-12-20 22:00–23:30 inside the hard freeze \u201cYear-end freeze\u201d "
        "(2026-12-19 → 2027-01-04)"
    )


def test_c1_soft_freeze_is_a_warning_and_touching_is_not_overlap(ctx, build):
    def plan(b):
        b.ci("billing-service")
        b.release(
            "REL-1", berlin(2026, 12, 18, 22), berlin(2026, 12, 19, 0, 30), cis=["billing-service"]
        )
        b.release(
            "REL-2", berlin(2026, 12, 18, 22), berlin(2026, 12, 19, 0, 0), cis=["billing-service"]
        )
        b.release("REL-3", berlin(2027, 1, 4, 0), berlin(2027, 1, 4, 2), cis=["billing-service"])
        b.window("Soft freeze", "freeze", berlin(2026, 12, 19), berlin(2027, 1, 4), hard=False)

    build(plan)
    found = rules(ctx, "C1")
    assert [(c.releases, c.severity) for c in found] == [(["REL-1"], "warning")]
    assert "overlapping the soft freeze" in found[0].message


def test_c1_freeze_applies_only_in_scope(ctx, build):
    def plan(b):
        b.ci("billing-service", env="production")
        b.ci("billing-staging", env="staging")
        b.ci("billing-db", parents=["billing-service"])
        b.release(
            "REL-PROD", berlin(2026, 12, 20, 22), berlin(2026, 12, 20, 23), cis=["billing-service"]
        )
        b.release(
            "REL-STAGE", berlin(2026, 12, 20, 22), berlin(2026, 12, 20, 23), cis=["billing-staging"]
        )
        b.release(
            "REL-CHILD", berlin(2026, 12, 21, 22), berlin(2026, 12, 21, 23), cis=["billing-db"]
        )
        b.window(
            "Production freeze",
            "freeze",
            berlin(2026, 12, 19),
            berlin(2026, 12, 21),
            env="production",
        )
        b.window(
            "Billing freeze",
            "freeze",
            berlin(2026, 12, 21),
            berlin(2026, 12, 22),
            env="nowhere",
            cis=["billing-service"],
        )

    build(plan)
    found = {(c.releases[0], c.windows[0]) for c in rules(ctx, "C1")}
    # REL-CHILD changes billing-db, whose parent billing-service the billing freeze names.
    assert found == {("REL-PROD", "Production freeze"), ("REL-CHILD", "Billing freeze")}


def test_c1_skips_closed_cancelled_and_unscheduled_releases(ctx, build):
    def plan(b):
        b.release("REL-CLOSED", berlin(2026, 12, 20, 22), berlin(2026, 12, 20, 23), status="Closed")
        b.release(
            "REL-CANCELLED", berlin(2026, 12, 20, 22), berlin(2026, 12, 20, 23), status="Cancelled"
        )
        b.release("REL-OPEN")
        b.window("Year-end freeze", "freeze", berlin(2026, 12, 19), berlin(2027, 1, 4))

    build(plan)
    assert rules(ctx) == []


# --- C2 maintenance windows --------------------------------------------------------------------------


def test_c2_outside_every_maintenance_window_is_an_error(ctx, build):
    def plan(b):
        b.ci("billing-db", needs_window=True)
        b.ci("wiki", needs_window=False)
        b.release("REL-IN", berlin(2026, 12, 12, 23), berlin(2026, 12, 13, 1), cis=["billing-db"])
        b.release(
            "REL-EXACT", berlin(2026, 12, 19, 22), berlin(2026, 12, 20, 4), cis=["billing-db"]
        )
        b.release("REL-OUT", berlin(2026, 12, 14, 10), berlin(2026, 12, 14, 12), cis=["billing-db"])
        b.release("REL-SPILL", berlin(2026, 12, 13, 3), berlin(2026, 12, 13, 5), cis=["billing-db"])
        b.release("REL-WIKI", berlin(2026, 12, 14, 10), berlin(2026, 12, 14, 12), cis=["wiki"])
        b.window(
            "Saturday night maintenance",
            "maintenance",
            berlin(2026, 12, 5, 22),
            berlin(2026, 12, 6, 4),
            rrule="FREQ=WEEKLY;COUNT=26",
            env="production",
        )

    build(plan)
    found = rules(ctx, "C2")
    assert [c.releases for c in found] == [["REL-OUT"], ["REL-SPILL"]]
    assert found[0].severity == "error"
    assert found[0].cis == ["billing-db"]
    assert found[0].message == (
        "REL-OUT deploys 2026-12-14 10:00–12:00 outside every maintenance window of billing-db, which requires one "
        "(windows: \u201cSaturday night maintenance\u201d)"
    )


def test_c2_back_to_back_occurrences_are_not_one_window(ctx, build):
    def plan(b):
        b.ci("core-net", needs_window=True)
        b.release("REL-ACROSS", berlin(2026, 12, 7, 5), berlin(2026, 12, 7, 7), cis=["core-net"])
        b.release("REL-TO-END", berlin(2026, 12, 7, 4), berlin(2026, 12, 7, 6), cis=["core-net"])
        b.window(
            "Six-hourly",
            "maintenance",
            berlin(2026, 12, 7, 0),
            berlin(2026, 12, 7, 6),
            rrule="FREQ=HOURLY;INTERVAL=6;COUNT=8",
            cis=["core-net"],
        )

    build(plan)
    assert [c.releases for c in rules(ctx, "C2")] == [["REL-ACROSS"]]


def test_c2_names_a_ci_with_no_maintenance_window_at_all(ctx, build):
    def plan(b):
        b.ci("mainframe", env="legacy", needs_window=True)
        b.release("REL-1", berlin(2026, 12, 14, 10), berlin(2026, 12, 14, 12), cis=["mainframe"])
        b.window(
            "Production night",
            "maintenance",
            berlin(2026, 12, 5, 22),
            berlin(2026, 12, 6, 4),
            rrule="FREQ=WEEKLY",
            env="production",
        )

    build(plan)
    [c] = rules(ctx, "C2")
    assert "mainframe requires a maintenance window and none is defined for it" in c.message


# --- C3 shared CIs -------------------------------------------------------------------------------------


def test_c3_same_ci_overlapping_is_an_error_touching_is_not(ctx, build):
    def plan(b):
        b.s.add(PlanMeta(key="timezone", value="Europe/Berlin"))  # the zone messages use
        b.ci("billing-db")
        b.release("REL-A", berlin(2026, 12, 12, 22), berlin(2026, 12, 12, 23), cis=["billing-db"])
        b.release(
            "REL-B", berlin(2026, 12, 12, 22, 30), berlin(2026, 12, 13, 0), cis=["billing-db"]
        )
        b.release("REL-C", berlin(2026, 12, 13, 0), berlin(2026, 12, 13, 1), cis=["billing-db"])

    build(plan)
    [c] = rules(ctx, "C3")
    assert (c.releases, c.severity, c.cis) == (["REL-A", "REL-B"], "error", ["billing-db"])
    assert c.message == (
        "REL-A (2026-12-12 22:00–23:00) and REL-B (2026-12-12 22:30 → 2026-12-13 00:00) deploy at "
        "overlapping times: both change billing-db"
    )


def test_c3_parent_and_child_clash_siblings_do_not(ctx, build):
    def plan(b):
        b.ci("billing-service")
        b.ci("billing-db", parents=["billing-service"])
        b.ci("billing-cache", parents=["billing-service"])
        b.ci("hr-portal")
        start, end = berlin(2026, 12, 12, 22), berlin(2026, 12, 12, 23)
        b.release("REL-PARENT", start, end, cis=["billing-service"])
        b.release(
            "REL-CHILD",
            start + dt.timedelta(days=1),
            end + dt.timedelta(days=1),
            cis=["billing-db"],
        )
        b.release(
            "REL-SIBLING",
            start + dt.timedelta(days=1),
            end + dt.timedelta(days=1),
            cis=["billing-cache"],
        )
        b.release("REL-DB", start, end, cis=["billing-db"])
        b.release("REL-HR", start, end, cis=["hr-portal"])

    build(plan)
    found = rules(ctx, "C3")
    assert [c.releases for c in found] == [["REL-DB", "REL-PARENT"]]
    assert found[0].cis == ["billing-db", "billing-service"]
    assert "REL-DB changes billing-db, REL-PARENT its parent billing-service" in found[0].message


# --- C4 people ---------------------------------------------------------------------------------------------


def test_c4_one_person_overlapping_tasks_across_releases(ctx, build):
    def plan(b):
        b.person("ana@example.com")
        b.person("bo@example.com")
        r1, r2, r3 = b.release("REL-1"), b.release("REL-2"), b.release("REL-3")
        b.task(r1, "T1", dt.date(2026, 12, 1), dt.date(2026, 12, 3), "ana@example.com")
        b.task(
            r1, "T2", dt.date(2026, 12, 2), dt.date(2026, 12, 2), "ana@example.com"
        )  # same release: fine
        b.task(
            r2, "T1", dt.date(2026, 12, 3), dt.date(2026, 12, 4), "ana@example.com"
        )  # shares the 3rd
        b.task(r3, "T1", dt.date(2026, 12, 4), dt.date(2026, 12, 5), "bo@example.com")
        b.task(
            r3, "T2", dt.date(2026, 12, 1), dt.date(2026, 12, 9), "ana@example.com", status="done"
        )

    build(plan)
    [c] = rules(ctx, "C4")
    assert (c.severity, c.releases, c.people) == (
        "warning",
        ["REL-1", "REL-2"],
        ["ana@example.com"],
    )
    assert c.message == (
        "ana@example.com has overlapping tasks in REL-1 (\u201cTask T1\u201d 2026-12-01 → 2026-12-03) "
        "and REL-2 (\u201cTask T1\u201d 2026-12-03 → 2026-12-04)"
    )


def test_c4_adjacent_days_do_not_overlap(ctx, build):
    def plan(b):
        b.person("ana@example.com")
        r1, r2 = b.release("REL-1"), b.release("REL-2")
        b.task(r1, "T1", dt.date(2026, 12, 1), dt.date(2026, 12, 3), "ana@example.com")
        b.task(r2, "T1", dt.date(2026, 12, 4), dt.date(2026, 12, 4), "ana@example.com")

    build(plan)
    assert rules(ctx, "C4") == []


# --- C5 dependencies ------------------------------------------------------------------------------------


def test_c5_deploying_before_a_prerequisite_is_an_error(ctx, build):
    def plan(b):
        pre = b.release("REL-API", berlin(2026, 12, 12, 22), berlin(2026, 12, 12, 23))
        early = b.release("REL-EARLY", berlin(2026, 12, 12, 21), berlin(2026, 12, 12, 22))
        ok = b.release(
            "REL-AFTER", berlin(2026, 12, 12, 23), berlin(2026, 12, 13, 0)
        )  # touching: fine
        done_pre = b.release(
            "REL-OLD", berlin(2026, 12, 14, 22), berlin(2026, 12, 14, 23), status="Deployed"
        )
        late = b.release("REL-LATE", berlin(2026, 12, 14, 20), berlin(2026, 12, 14, 21))
        together = b.release("REL-TOGETHER", berlin(2026, 12, 12, 22), berlin(2026, 12, 12, 23))
        b.depends(early, pre)
        b.depends(ok, pre)
        b.depends(late, done_pre)
        b.depends(together, pre, kind="together")

    build(plan)
    [c] = rules(ctx, "C5")
    assert (c.severity, c.releases) == ("error", ["REL-EARLY", "REL-API"])
    assert c.message == (  # no window and no plan time zone: times in UTC
        "REL-EARLY deploys 2026-12-12 20:00–21:00 but depends on REL-API, which deploys later "
        "(2026-12-12 21:00–22:00); REL-API must finish deploying first"
    )


# --- C6 business events ------------------------------------------------------------------------------------


def test_c6_business_event_overlap_is_a_warning(ctx, build):
    def plan(b):
        b.release("REL-1", berlin(2026, 11, 27, 22), berlin(2026, 11, 27, 23))
        b.release("REL-2", berlin(2026, 11, 28, 0), berlin(2026, 11, 28, 1))
        b.window("Black Friday", "business_event", berlin(2026, 11, 27), berlin(2026, 11, 28))

    build(plan)
    [c] = rules(ctx, "C6")
    assert (c.severity, c.releases, c.windows) == ("warning", ["REL-1"], ["Black Friday"])
    assert "during" not in c.message and "business event \u201cBlack Friday\u201d" in c.message


# --- C7 rollback --------------------------------------------------------------------------------------


def test_c7_rollback_must_fit_before_the_window_closes(ctx, build):
    def plan(b):
        b.ci("billing-db", needs_window=True)
        night = (berlin(2026, 12, 5, 22), berlin(2026, 12, 6, 4))
        b.window(
            "Saturday night maintenance",
            "maintenance",
            *night,
            rrule="FREQ=WEEKLY",
            env="production",
        )
        b.release(
            "REL-TIGHT",
            berlin(2026, 12, 6, 3),
            berlin(2026, 12, 6, 3, 30),
            cis=["billing-db"],
            rollback=45,
        )
        b.release(
            "REL-EXACT",
            berlin(2026, 12, 13, 3),
            berlin(2026, 12, 13, 3, 15),
            cis=["billing-db"],
            rollback=45,
        )
        b.release(
            "REL-NONE", berlin(2026, 12, 20, 3), berlin(2026, 12, 20, 3, 30), cis=["billing-db"]
        )

    build(plan)
    [c] = rules(ctx, "C7")
    assert (c.severity, c.releases, c.windows) == (
        "warning",
        ["REL-TIGHT"],
        ["Saturday night maintenance"],
    )
    assert c.message == (
        "REL-TIGHT's 45-minute rollback does not fit between the end of its deployment (2026-12-06 03:30) and "
        "the end of the maintenance window \u201cSaturday night maintenance\u201d (2026-12-06 04:00): "
        "only 30 minutes remain"
    )


# --- per release, the guard and suggestions ----------------------------------------------------------------


def _freeze_and_clash(b):
    b.ci("billing-db", needs_window=True)
    b.window(
        "Saturday night maintenance",
        "maintenance",
        berlin(2026, 12, 5, 22),
        berlin(2026, 12, 6, 4),
        rrule="FREQ=WEEKLY",
        env="production",
    )
    b.window("Year-end freeze", "freeze", berlin(2026, 12, 19), berlin(2027, 1, 4))
    b.window("Soft freeze", "freeze", berlin(2026, 12, 12, 23), berlin(2026, 12, 13, 0), hard=False)
    b.release("REL-A", berlin(2026, 12, 12, 22), berlin(2026, 12, 12, 23, 30), cis=["billing-db"])
    b.release("REL-B", berlin(2026, 12, 12, 23), berlin(2026, 12, 13, 0, 30), cis=["billing-db"])
    b.release("REL-C", berlin(2026, 12, 19, 22), berlin(2026, 12, 19, 23), cis=["billing-db"])
    b.release("REL-D")


def test_conflicts_for_release_only_those_involving_it(ctx, build):
    build(_freeze_and_clash)
    assert {(c.rule, c.severity) for c in C.conflicts_for_release(ctx, "REL-B", suggest=False)} == {
        ("C1", "warning"),
        ("C3", "error"),
    }
    assert [c.rule for c in C.conflicts_for_release(ctx, "REL-C", suggest=False)] == ["C1"]
    with pytest.raises(NotFound):
        C.conflicts_for_release(ctx, "REL-NOPE")


def test_window_clear_problems_lists_error_sentences(ctx, build):
    build(_freeze_and_clash)
    with ctx.read() as s:
        get = lambda key: s.execute(select(Release).where(Release.key == key)).scalar_one()  # noqa: E731
        assert C.window_clear_problems(s, get("REL-D"), ctx.today()) == [
            "REL-D has no deployment window set"
        ]
        problems_b = C.window_clear_problems(s, get("REL-B"), ctx.today())
        assert len(problems_b) == 1 and problems_b[0].startswith(
            "REL-A (2026-12-12 22:00–23:30) and REL-B"
        )
        problems_c = C.window_clear_problems(s, get("REL-C"), ctx.today())
        assert problems_c == [
            "REL-C deploys 2026-12-19 22:00–23:00 inside the hard freeze \u201cYear-end freeze\u201d "
            "(2026-12-19 → 2027-01-04)"
        ]


def test_suggestions_name_the_next_free_slot(ctx, build):
    build(_freeze_and_clash)
    found = {c.rule + c.releases[0]: c for c in C.all_conflicts(ctx, suggest=suggest_moves)}
    c1 = found["C1REL-C"]
    # The maintenance window's first night (5 December) is the first free one after now (27 November).
    assert c1.suggested_start == berlin(2026, 12, 5, 22)
    assert c1.suggested_end == berlin(2026, 12, 5, 23)
    assert c1.suggestion == (
        "move REL-C to 2026-12-05 22:00–23:00: first free slot in “Saturday night maintenance” "
        "on Sat 5 Dec, from today"
    )
    assert (
        c1.suggested_reason
        == "first free slot in “Saturday night maintenance” on Sat 5 Dec, from today"
    )
    c3 = found["C3REL-A"]
    assert "move REL-B to" in c3.suggestion  # the later of the two moves
    as_json = c3.as_dict()
    assert set(as_json) >= {
        "rule",
        "severity",
        "releases",
        "message",
        "cis",
        "windows",
        "people",
        "suggestion",
        "suggested_reason",
    }
    assert as_json["suggested_start"].endswith("Z")


def test_suggestions_are_the_assistants_proposals_and_raise_no_conflict(ctx, build):
    """The older slot search offered REL-C 5 December, before its testing ends; the suggestion is
    now the scheduling assistant's, as on the Conflicts page: after testing, conflict-free, and
    saying why (the rollback fitting the window included)."""
    from relman_desktop.services import scheduling

    def plan(b):
        _freeze_and_clash(b)
        rel_c = b.s.execute(select(Release).where(Release.key == "REL-C")).scalar_one()
        rel_c.rollback_minutes = 150
        b.task(rel_c, "T1", dt.date(2026, 12, 1), dt.date(2026, 12, 8), None, phase="test")

    build(plan)
    c1 = next(
        c
        for c in C.all_conflicts(ctx, suggest=suggest_moves)
        if c.rule == "C1" and c.releases == ["REL-C"]
    )
    assert c1.suggested_start is not None and c1.suggested_start >= berlin(2026, 12, 9)
    assert "after testing ends 8 Dec" in c1.suggested_reason
    assert "rollback 2 h 30 min fits before the window closes at 04:00" in c1.suggested_reason
    assert c1.suggested_reason in c1.suggestion
    # the same slot the Conflicts page offers for this conflict
    key, proposal = scheduling.suggest_slot(ctx, "C1", ["REL-C"], days=C.SEARCH_DAYS)
    assert (key, proposal.start, proposal.end) == ("REL-C", c1.suggested_start, c1.suggested_end)
    # taking it leaves REL-C with no conflict at all
    scheduling.move_release(ctx, "REL-C", c1.suggested_start, c1.suggested_end)
    assert C.conflicts_for_release(ctx, "REL-C", suggest=False) == []
    # one release's list suggests the same slot
    (again,) = [
        c for c in C.conflicts_for_release(ctx, "REL-B", suggest=suggest_moves) if c.rule == "C3"
    ]
    (whole,) = [c for c in C.all_conflicts(ctx, suggest=suggest_moves) if c.rule == "C3"]
    assert (again.suggestion, again.suggested_start) == (whole.suggestion, whole.suggested_start)


# --- scale -----------------------------------------------------------------------------------------------


def test_thousands_of_releases_are_checked_quickly(ctx):
    n = 3000
    with ctx.write() as tx:
        s = tx.session
        b = Builder(tx)
        for i in range(40):
            b.ci(f"ci-{i}", needs_window=i % 2 == 0)
        b.window(
            "Nightly",
            "maintenance",
            berlin(2026, 1, 1, 22),
            berlin(2026, 1, 2, 5),
            rrule="FREQ=DAILY",
            env="production",
        )
        b.window("Year-end freeze", "freeze", berlin(2026, 12, 19), berlin(2027, 1, 4))
        b.window(
            "Launch", "business_event", berlin(2027, 3, 1), berlin(2027, 3, 2), rrule="FREQ=MONTHLY"
        )
        s.flush()
        state = b.states["Approved"].id
        ci_ids = [b.cis[f"ci-{i}"].id for i in range(40)]
        base = dt.datetime(2026, 12, 1, 21, tzinfo=UTC)
        rows = []
        for i in range(n):
            start = base + dt.timedelta(hours=((i // 2) * 5) % (24 * 200), minutes=(i % 2) * 30)
            rows.append(
                {
                    "id": i + 1,
                    "key": f"REL-{i:05d}",
                    "title": f"R{i}",
                    "type": "minor",
                    "status_id": state,
                    "deploy_start": start,
                    "deploy_end": start + dt.timedelta(hours=2),
                    "rollback_minutes": 60,
                }
            )
        s.execute(insert(Release), rows)
        s.execute(
            insert(Change),
            [
                {
                    "id": i + 1,
                    "key": f"CHG-{i:05d}",
                    "title": "c",
                    "type": "normal",
                    "category": "fix",
                    "release_id": i + 1,
                }
                for i in range(n)
            ],
        )
        s.execute(
            insert(change_cis),
            [{"change_id": i + 1, "ci_id": ci_ids[(i // 2) % 40]} for i in range(n)],
        )
    found = C.all_conflicts(ctx, suggest=False)  # its speed: benchmarks/bench_conflicts.py
    assert {c.rule for c in found} >= {"C1", "C2", "C3", "C7"}


# --- plans imported from plan JSON ----------------------------------------------------------------------


def _json_release(key, start, end, changes, status="Approved"):
    return {
        "key": key,
        "title": f"Release {key}",
        "type": "minor",
        "status": status,
        "deployment_window": {"start": start, "end": end},
        "changes": changes,
    }


def test_imported_plan_parent_and_child_cis_meet_in_c1_c2_c3(ctx):
    """A hand-built plan JSON: billing-service with children billing-db (needs a maintenance
    window) and billing-cache. A release on the parent clashes with one on a child (C3) and
    needs the child's maintenance window (C2); a freeze scoped to the parent stops a release on
    the child (C1); siblings do not clash, and a CI outside the family is untouched."""
    from relman_desktop.importers.plan_json import import_plan

    def ci(name, parents=(), needs_window=False):
        return {
            "name": name,
            "class": "service",
            "environment": "production",
            "requires_maintenance_window": needs_window,
            "parents": list(parents),
        }

    def change(key, cis):
        return {"key": key, "title": key, "type": "normal", "category": "fix", "cis": cis}

    import_plan(
        ctx,
        {
            "format": "relman-plan",
            "version": 1,
            "configuration_items": [
                ci("billing-service"),
                ci("billing-db", ["billing-service"], needs_window=True),
                ci("billing-cache", ["billing-service"]),
                ci("hr-portal"),
            ],
            "windows": [
                {
                    "title": "DB night",
                    "kind": "maintenance",
                    "start": "2026-12-05T22:00:00+01:00",
                    "end": "2026-12-06T04:00:00+01:00",
                    "timezone": "Europe/Berlin",
                    "rrule": "FREQ=WEEKLY",
                    "scope": {"environment": None, "cis": ["billing-db"]},
                },
                {
                    "title": "Billing freeze",
                    "kind": "freeze",
                    "hard": True,
                    "start": "2026-12-19T00:00:00+01:00",
                    "end": "2026-12-21T00:00:00+01:00",
                    "timezone": "Europe/Berlin",
                    "scope": {"environment": None, "cis": ["billing-service"]},
                },
            ],
            "changes": [
                change("CHG-SVC", ["billing-service"]),
                change("CHG-DB", ["billing-db"]),
                change("CHG-CACHE", ["billing-cache"]),
                change("CHG-SVC-2", ["billing-service"]),
                change("CHG-DB-2", ["billing-db"]),
                change("CHG-HR", ["hr-portal"]),
            ],
            "releases": [
                # Saturday 12 December, all inside the DB night.
                _json_release(
                    "REL-PARENT",
                    "2026-12-12T22:00:00+01:00",
                    "2026-12-12T23:00:00+01:00",
                    ["CHG-SVC"],
                ),
                _json_release(
                    "REL-DB", "2026-12-12T22:30:00+01:00", "2026-12-12T23:30:00+01:00", ["CHG-DB"]
                ),
                # overlaps REL-DB (a sibling: no clash), touches REL-PARENT's end (no overlap)
                _json_release(
                    "REL-CACHE",
                    "2026-12-12T23:00:00+01:00",
                    "2026-12-13T00:00:00+01:00",
                    ["CHG-CACHE"],
                ),
                # Sunday morning: the parent's change needs its child's window, and it is closed
                _json_release(
                    "REL-SUNDAY",
                    "2026-12-13T10:00:00+01:00",
                    "2026-12-13T11:00:00+01:00",
                    ["CHG-SVC-2"],
                ),
                # Saturday 19 December, inside the DB night but in the parent's freeze
                _json_release(
                    "REL-FROZEN",
                    "2026-12-19T22:00:00+01:00",
                    "2026-12-19T23:00:00+01:00",
                    ["CHG-DB-2"],
                ),
                _json_release(
                    "REL-HR", "2026-12-19T22:00:00+01:00", "2026-12-19T23:00:00+01:00", ["CHG-HR"]
                ),
            ],
        },
    )

    found = rules(ctx)
    assert [(c.rule, c.releases) for c in found if c.severity == "error"] == [
        ("C1", ["REL-FROZEN"]),
        ("C2", ["REL-SUNDAY"]),
        ("C3", ["REL-DB", "REL-PARENT"]),
    ]
    c1, c2, c3 = (next(c for c in found if c.rule == r) for r in ("C1", "C2", "C3"))
    assert c1.windows == ["Billing freeze"]
    assert (c2.cis, c2.windows) == (["billing-db"], ["DB night"])
    assert c3.cis == ["billing-db", "billing-service"]
    assert "REL-DB changes billing-db, REL-PARENT its parent billing-service" in c3.message
    assert not any("REL-HR" in c.releases or "REL-CACHE" in c.releases for c in found)


# --- a recurring window, far from its first occurrence -------------------------------------------------


def test_c2_holds_inside_the_tenth_weekly_occurrence_across_dst_and_not_after_it(ctx, build):
    """Saturdays 22:00–04:00 Berlin, ten times from 30 January 2027: the 10th occurrence is
    3 April, after the switch to summer time (20:00Z, not 21:00Z like the first)."""

    def plan(b):
        b.ci("billing-db", needs_window=True)
        b.window(
            "Saturday night",
            "maintenance",
            berlin(2027, 1, 30, 22),
            berlin(2027, 1, 31, 4),
            rrule="FREQ=WEEKLY;COUNT=10",
            cis=["billing-db"],
        )
        # inside the 10th occurrence, up to its very end
        b.release("REL-10TH", berlin(2027, 4, 3, 22), berlin(2027, 4, 4, 4), cis=["billing-db"])
        # one hour after the 10th occurrence has closed
        b.release("REL-AFTER", berlin(2027, 4, 4, 5), berlin(2027, 4, 4, 6), cis=["billing-db"])
        # the same Saturday evening a week later: there is no 11th occurrence
        b.release("REL-11TH", berlin(2027, 4, 10, 22), berlin(2027, 4, 10, 23), cis=["billing-db"])
        # the hour before it opens (21:00–22:00 Berlin = 19:00–20:00Z); an expansion that kept
        # the first occurrence's 21:00Z would also fail REL-10TH, which starts at 20:00Z
        b.release(
            "REL-EARLY",
            dt.datetime(2027, 4, 3, 19, tzinfo=UTC),
            dt.datetime(2027, 4, 3, 20, tzinfo=UTC),
            cis=["billing-db"],
        )

    build(plan)
    assert sorted(c.releases[0] for c in rules(ctx, "C2")) == ["REL-11TH", "REL-AFTER", "REL-EARLY"]
    assert C.conflicts_for_release(ctx, "REL-10TH", suggest=False) == []
