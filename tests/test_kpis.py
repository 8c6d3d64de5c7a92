"""KPIs on a small plan whose every number was worked out by hand (see ``build_kpi_plan``)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from relman_desktop.services.base import ValidationError
from relman_desktop.services.kpis import (
    collect,
    compute_kpis,
    frequency_bucket,
    period_of,
    tier_for,
)


def T(month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


def build_kpi_plan(plan) -> None:
    """Five deployed releases (billing: REL-1, REL-2 in October; portal: REL-3, REL-4, REL-6
    in November) and one planned one (REL-5).

    Production deployments (7): REL-1 10-08; REL-2 10-22 (rolled back, restored in 2 h) and
    10-23; REL-3 11-05 (incident + hotfix, restored in 1 h) and 11-06 (failed, 7 h);
    REL-4 11-20; REL-6 11-24 (failed, no times recorded). REL-1 also went to staging.
    Releases: REL-1 ok on time, REL-2 failed late, REL-3 failed (no planned end),
    REL-4 ok on time, REL-6 failed on time.
    Changes: CHG-1 168 h, CHG-2 48 h (REL-1); CHG-3 48 h (REL-2); CHG-4 no created time,
    CHG-5 45 h and caused an incident (REL-3); CHG-6 24 h (REL-4); CHG-7 not deployed.
    Approvals: REL-1 24 h and 6 h (October); REL-4 4 h, and one with no requested time.
    """
    from sqlalchemy import select

    from relman_desktop.models.entities import (
        Approval,
        ApprovalStage,
        Change,
        Deployment,
        Person,
        Release,
        WorkflowState,
    )

    with plan.write() as s:
        state = s.execute(
            select(WorkflowState).where(WorkflowState.name == "Deployed")
        ).scalar_one()
        ana = Person(email="ana@example.com", name="Ana Silva")
        bo = Person(email="bo@example.com", name="Bo Berg")
        s.add_all([ana, bo])

        def release(key, app, planned_end, deployments, changes):
            rel = Release(
                key=key,
                title=f"{app} {key}",
                type="minor",
                application=app,
                status=state,
                manager=ana,
                planned_end=planned_end,
            )
            for d in deployments:
                rel.deployments.append(Deployment(**d))
            for c in changes:
                rel.changes.append(Change(type="normal", category="feature", **c))
            s.add(rel)
            return rel

        def prod(finished, outcome="success", **kw):
            return {
                "environment": "production",
                "started_at": finished - dt.timedelta(hours=1),
                "finished_at": finished,
                "outcome": outcome,
                **kw,
            }

        r1 = release(
            "REL-1",
            "billing",
            dt.date(2026, 10, 10),
            [
                {"environment": "staging", "finished_at": T(10, 7, 12), "outcome": "failed"},
                prod(T(10, 8, 22)),
            ],
            [
                {"key": "CHG-1", "title": "One", "created_at": T(10, 1, 22)},
                {"key": "CHG-2", "title": "Two", "created_at": T(10, 6, 22)},
            ],
        )
        release(
            "REL-2",
            "billing",
            dt.date(2026, 10, 20),
            [
                prod(
                    T(10, 22, 10),
                    "rolled_back",
                    failure_detected_at=T(10, 22, 10, 30),
                    restored_at=T(10, 22, 12, 30),
                ),
                prod(T(10, 23, 10)),
            ],
            [{"key": "CHG-3", "title": "Three", "created_at": T(10, 21, 10)}],
        )
        release(
            "REL-3",
            "portal",
            None,
            [
                prod(
                    T(11, 5, 12),
                    incidents=1,
                    hotfix=True,
                    failure_detected_at=T(11, 5, 13),
                    restored_at=T(11, 5, 14),
                ),
                prod(
                    T(11, 6, 9), "failed", failure_detected_at=T(11, 6, 9), restored_at=T(11, 6, 16)
                ),
            ],
            [
                {"key": "CHG-4", "title": "Four", "created_at": None},
                {
                    "key": "CHG-5",
                    "title": "Five",
                    "created_at": T(11, 4, 12),
                    "caused_incident": True,
                },
            ],
        )
        r4 = release(
            "REL-4",
            "portal",
            dt.date(2026, 11, 30),
            [prod(T(11, 20, 8))],
            [{"key": "CHG-6", "title": "Six", "created_at": T(11, 19, 8)}],
        )
        release(
            "REL-5",
            "billing",
            dt.date(2026, 12, 20),
            [],
            [{"key": "CHG-7", "title": "Seven", "created_at": T(11, 1)}],
        )
        release("REL-6", "portal", dt.date(2026, 11, 25), [prod(T(11, 24, 10), "failed")], [])
        s.flush()

        cab1 = ApprovalStage(release=r1, position=1, name="CAB", rule="all")
        cab1.approvals.append(
            Approval(
                approver=bo, decision="approved", requested_at=T(10, 1, 9), decided_at=T(10, 2, 9)
            )
        )
        cab1.approvals.append(
            Approval(
                approver=ana, decision="approved", requested_at=T(10, 1, 9), decided_at=T(10, 1, 15)
            )
        )
        cab4 = ApprovalStage(release=r4, position=1, name="CAB", rule="all")
        cab4.approvals.append(
            Approval(
                approver=bo,
                decision="approved",
                requested_at=T(11, 10, 9),
                decided_at=T(11, 10, 13),
            )
        )
        cab4.approvals.append(
            Approval(approver=ana, decision="approved", requested_at=None, decided_at=T(11, 12, 9))
        )
        s.add_all([cab1, cab4])


@pytest.fixture
def kpi_ctx(ctx):
    build_kpi_plan(ctx.plan)
    return ctx


def test_whole_plan_kpis_match_the_hand_computed_values(kpi_ctx):
    k = compute_kpis(kpi_ctx)
    assert k["range"] == {"start": dt.date(2026, 10, 1), "end": dt.date(2026, 11, 24)}
    assert k["releases_deployed"] == 5
    assert k["release_success_rate"] == pytest.approx(2 / 5)
    assert k["deployment_frequency"]["count"] == 7  # staging is not production
    assert k["changes_deployed"] == 6
    assert k["change_failure_rate"] == pytest.approx(3 / 6)
    assert k["mttr_hours"]["mean"] == pytest.approx((2 + 1 + 7) / 3)
    assert k["mttr_hours"]["median"] == pytest.approx(2)
    assert k["mttr_hours"]["failed_deployments"] == 4
    assert k["lead_time_hours"]["median"] == pytest.approx(48)
    assert k["on_time_delivery"] == pytest.approx(3 / 4)
    assert k["approval_cycle_hours"]["median"] == pytest.approx(6)


def test_monthly_series_has_each_period_with_its_own_values(kpi_ctx):
    series = {p["period"]: p for p in compute_kpis(kpi_ctx, by="month")["series"]}
    assert list(series) == ["2026-10", "2026-11"]
    oct_, nov = series["2026-10"], series["2026-11"]
    assert (oct_["deployments"], nov["deployments"]) == (3, 4)
    assert oct_["release_success_rate"] == pytest.approx(1 / 2)
    assert nov["release_success_rate"] == pytest.approx(1 / 3)
    assert oct_["change_failure_rate"] == pytest.approx(1 / 3)
    assert nov["change_failure_rate"] == pytest.approx(2 / 3)
    assert oct_["lead_time_hours_median"] == pytest.approx(48)
    assert nov["lead_time_hours_median"] == pytest.approx(34.5)
    assert oct_["mttr_hours_median"] == pytest.approx(2)
    assert nov["mttr_hours_mean"] == pytest.approx(4)
    assert oct_["on_time_delivery"] == pytest.approx(1 / 2)
    assert nov["on_time_delivery"] == pytest.approx(1)
    assert oct_["approval_cycle_hours_median"] == pytest.approx(15)
    assert nov["approval_cycle_hours_median"] == pytest.approx(4)
    assert oct_["start"] == dt.date(2026, 10, 1) and oct_["end"] == dt.date(2026, 10, 31)


def test_weekly_and_quarterly_series_cover_every_period_including_empty_ones(kpi_ctx):
    weeks = compute_kpis(kpi_ctx, by="week")["series"]
    assert weeks[0]["period"] == "2026-W40" and weeks[-1]["period"] == "2026-W48"
    assert len(weeks) == 9
    assert sum(w["deployments"] for w in weeks) == 7
    empty = next(w for w in weeks if w["period"] == "2026-W44")
    assert empty["deployments"] == 0 and empty["release_success_rate"] is None
    quarters = compute_kpis(kpi_ctx, by="quarter")["series"]
    assert [q["period"] for q in quarters] == ["2026-Q4"]
    assert quarters[0]["release_success_rate"] == pytest.approx(2 / 5)


def test_per_application_filter(kpi_ctx):
    k = compute_kpis(kpi_ctx, application="Portal")
    assert k["releases_deployed"] == 3
    assert k["deployment_frequency"]["count"] == 4
    assert k["release_success_rate"] == pytest.approx(1 / 3)
    assert k["change_failure_rate"] == pytest.approx(2 / 3)
    assert k["mttr_hours"]["mean"] == pytest.approx(4)
    assert k["lead_time_hours"]["median"] == pytest.approx(34.5)
    assert k["on_time_delivery"] == pytest.approx(1)
    assert k["approval_cycle_hours"]["median"] == pytest.approx(4)
    assert compute_kpis(kpi_ctx, application="nothing-here")["release_success_rate"] is None


def test_date_range_filter(kpi_ctx):
    k = compute_kpis(kpi_ctx, start="2026-11-01", end=dt.date(2026, 11, 30))
    assert k["deployment_frequency"]["count"] == 4
    assert k["releases_deployed"] == 3
    assert k["approval_cycle_hours"]["median"] == pytest.approx(4)
    october = compute_kpis(kpi_ctx, end="2026-10-22")
    # REL-2's rollback on 10-22 counts as a deployment; REL-2 itself was deployed on 10-23
    assert october["deployment_frequency"]["count"] == 2
    assert october["releases_deployed"] == 1


def test_data_quality_names_each_record_left_out(kpi_ctx):
    issues = compute_kpis(kpi_ctx)["data_quality"]
    by_record = {i["record"]: i for i in issues}
    assert len(issues) == 4
    rel6 = next(i for i in issues if i["record"].startswith("REL-6 production deployment"))
    assert rel6["kpi"] == "mttr" and "no failure detected and restored time" in rel6["issue"]
    assert by_record["CHG-4 (REL-3)"]["kpi"] == "lead_time"
    assert by_record["REL-3"]["kpi"] == "on_time_delivery"
    assert by_record["REL-4 CAB: Ana Silva"]["kpi"] == "approval_cycle_time"


def test_dora_tiers_follow_the_chosen_report_year(kpi_ctx):
    k = compute_kpis(kpi_ctx, report_year=2023)
    # 7 deployment days over 9 weeks: the median week has one → weekly
    assert k["deployment_frequency"]["bucket"] == "weekly"
    assert k["tiers"]["deployment_frequency"] == "high"
    assert k["tiers"]["lead_time"] == "high"  # 48 h: between a day and a week
    assert k["tiers"]["mttr"] == "high"  # 2 h: less than a day
    assert k["tiers"]["change_failure_rate"] == "low"  # 50 %
    k21 = compute_kpis(kpi_ctx, report_year=2021)
    assert k21["tiers"]["change_failure_rate"] == "low"
    assert k21["tiers"]["reference"]["lead_time"]["elite"] == "less than one hour"
    k19 = compute_kpis(kpi_ctx, report_year=2019)
    assert k19["tiers"]["reference"]["change_failure_rate"]["low"] == "46–60 %"


def test_tier_boundaries():
    assert tier_for(2023, "change_failure_rate", 0.05) == "elite"
    assert tier_for(2023, "change_failure_rate", 0.12) == "medium"
    assert tier_for(2021, "change_failure_rate", 0.2) == "high"
    assert tier_for(2019, "lead_time", 23.9) == "elite"
    assert tier_for(2021, "lead_time", 23.9) == "high"
    assert tier_for(2023, "mttr", 200) == "low"
    assert tier_for(2023, "mttr", None) is None


def test_frequency_bucket_by_median_period():
    monday = dt.date(2026, 11, 2)
    daily = [monday + dt.timedelta(days=w * 7 + d) for w in range(4) for d in range(3)]
    assert frequency_bucket(daily, monday, monday + dt.timedelta(days=27))["bucket"] == "daily"
    monthly = [dt.date(2026, m, 15) for m in range(1, 13)]
    assert (
        frequency_bucket(monthly, dt.date(2026, 1, 1), dt.date(2026, 12, 31))["bucket"] == "monthly"
    )
    rare = [dt.date(2026, 3, 15)]
    assert frequency_bucket(rare, dt.date(2026, 1, 1), dt.date(2026, 12, 31))["bucket"] == "yearly"


def test_period_labels():
    assert period_of(dt.date(2026, 11, 27), "week") == "2026-W48"
    assert period_of(dt.date(2027, 1, 1), "week") == "2026-W53"
    assert period_of(dt.date(2026, 11, 27), "month") == "2026-11"
    assert period_of(dt.date(2026, 11, 27), "quarter") == "2026-Q4"


def test_empty_plan_gives_none_not_a_crash(ctx):
    k = compute_kpis(ctx)
    for name in ("release_success_rate", "change_failure_rate", "on_time_delivery"):
        assert k[name] is None
    assert k["mttr_hours"] == {"mean": None, "median": None, "failed_deployments": 0}
    assert k["lead_time_hours"]["median"] is None
    assert k["approval_cycle_hours"]["median"] is None
    assert (
        k["deployment_frequency"]["bucket"] is None
        and k["deployment_frequency"]["per_week"] is None
    )
    assert k["series"] == [] and k["data_quality"] == []
    ranged = compute_kpis(ctx, start="2026-01-01", end="2026-03-31", by="month")
    assert len(ranged["series"]) == 3 and ranged["series"][0]["deployments"] == 0
    assert ranged["deployment_frequency"]["count"] == 0


def test_bad_input_is_one_clear_message(ctx):
    with pytest.raises(ValidationError, match="not a date"):
        compute_kpis(ctx, start="2026-13-01")
    with pytest.raises(ValidationError, match="starts"):
        compute_kpis(ctx, start="2026-12-01", end="2026-11-01")
    with pytest.raises(ValidationError, match="period"):
        compute_kpis(ctx, by="day")
    with pytest.raises(ValidationError, match="report year"):
        compute_kpis(ctx, report_year=2020)


def test_raw_rows_are_exposed_for_the_workbook(kpi_ctx):
    data = collect(kpi_ctx, by="month")
    assert [d.release_key for d in data.deployments] == [
        "REL-1",
        "REL-2",
        "REL-2",
        "REL-3",
        "REL-3",
        "REL-4",
        "REL-6",
    ]
    assert {c.key for c in data.changes} == {"CHG-1", "CHG-2", "CHG-3", "CHG-4", "CHG-5", "CHG-6"}
    assert len(data.approvals) == 4
    assert [r.key for r in data.releases] == ["REL-1", "REL-2", "REL-3", "REL-4", "REL-6"]


# --- command line -----------------------------------------------------------------------------------


def run_cli(*argv):
    from relman_desktop.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_kpis_json_and_table(kpi_ctx, plan_path):
    code, out, _ = run_cli(
        "--plan", str(plan_path), "kpis", "--json", "--by", "quarter", "--application", "billing"
    )
    assert code == 0
    data = json.loads(out)
    assert data["release_success_rate"] == pytest.approx(0.5)
    assert data["series"][0]["period"] == "2026-Q4"
    code, out, _ = run_cli("--plan", str(plan_path), "kpis", "--report-year", "2019")
    assert code == 0
    assert "Release success rate" in out and "40.0 %" in out
    assert "CHG-4 (REL-3)" in out  # data-quality gaps are listed


def test_cli_bad_date_is_one_line_and_exit_2(kpi_ctx, plan_path):
    code, out, err = run_cli("--plan", str(plan_path), "kpis", "--from", "yesterday")
    assert code == 2
    assert err.count("\n") == 1 and "not a date" in err
    code, _, err = run_cli("--plan", str(plan_path), "kpis", "--report-year", "2020")
    assert code == 2


def test_a_change_whose_release_deploys_across_two_periods_counts_once_in_the_later(ctx):
    """REL-W deploys in two production waves: the first finishes on 31 October, the second on
    2 November (the release is deployed then). Its change CHG-W, created 30 October 12:00, lands
    in both months' deployments but counts once, in November, with its lead time to 2 November."""
    from sqlalchemy import select

    from relman_desktop.models.entities import Change, Deployment, Release, WorkflowState

    with ctx.plan.write() as s:
        state = s.execute(
            select(WorkflowState).where(WorkflowState.name == "Deployed")
        ).scalar_one()
        rel = Release(
            key="REL-W",
            title="Waves",
            type="minor",
            application="billing",
            status=state,
            planned_end=dt.date(2026, 11, 1),
        )
        for wave, finished in (("1", T(10, 31, 22)), ("2", T(11, 2, 12))):
            rel.deployments.append(
                Deployment(
                    environment="production",
                    wave=wave,
                    started_at=finished - dt.timedelta(hours=1),
                    finished_at=finished,
                    outcome="success",
                )
            )
        rel.changes.append(
            Change(key="CHG-W", title="W", type="normal", category="fix", created_at=T(10, 30, 12))
        )
        s.add(rel)

    k = compute_kpis(ctx, by="month")
    assert (k["releases_deployed"], k["changes_deployed"]) == (1, 1)
    assert k["deployment_frequency"]["count"] == 2
    assert k["lead_time_hours"]["median"] == pytest.approx(72)  # 10-30 12:00 → 11-02 12:00
    assert k["on_time_delivery"] == 0  # deployed on 11-02, planned to end on 11-01
    october, november = k["series"]
    assert (october["period"], november["period"]) == ("2026-10", "2026-11")
    assert (october["deployments"], november["deployments"]) == (1, 1)
    assert (october["releases_deployed"], november["releases_deployed"]) == (0, 1)
    assert (october["changes_deployed"], november["changes_deployed"]) == (0, 1)
    assert october["lead_time_hours_median"] is None
    assert november["lead_time_hours_median"] == pytest.approx(72)
    assert november["release_success_rate"] == 1

    # cut the range at the end of October: the first wave counts, the release and its change
    # do not (they are deployed only when the last wave finishes)
    k = compute_kpis(ctx, end="2026-10-31")
    assert k["deployment_frequency"]["count"] == 1
    assert (k["releases_deployed"], k["changes_deployed"]) == (0, 0)
    assert [c.key for c in collect(ctx, start="2026-11-01").changes] == ["CHG-W"]
