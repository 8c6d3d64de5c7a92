"""KPIs on a small plan whose every number was worked out by hand (see ``build_kpi_plan``), and
``compute_kpis`` (SQL aggregates) against ``compute_from(collect(...))`` (rows) on generated plans."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json

import pytest

from relman_desktop.services.base import ValidationError
from relman_desktop.services.kpis import (
    ApprovalCycleHours,
    KpiRange,
    MttrHours,
    collect,
    compute_from,
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
    assert k.range == KpiRange(start=dt.date(2026, 10, 1), end=dt.date(2026, 11, 24))
    assert k.releases_deployed == 5
    assert k.release_success_rate == pytest.approx(2 / 5)
    assert k.deployment_frequency.count == 7  # staging is not production
    assert k.changes_deployed == 6
    assert k.change_failure_rate == pytest.approx(3 / 6)
    assert k.mttr_hours.mean == pytest.approx((2 + 1 + 7) / 3)
    assert k.mttr_hours.median == pytest.approx(2)
    assert k.mttr_hours.failed_deployments == 4
    assert k.lead_time_hours.median == pytest.approx(48)
    assert k.on_time_delivery == pytest.approx(3 / 4)
    assert k.approval_cycle_hours.median == pytest.approx(6)


def test_monthly_series_has_each_period_with_its_own_values(kpi_ctx):
    series = {p.period: p for p in compute_kpis(kpi_ctx, by="month").series}
    assert list(series) == ["2026-10", "2026-11"]
    oct_, nov = series["2026-10"], series["2026-11"]
    assert (oct_.deployments, nov.deployments) == (3, 4)
    assert oct_.release_success_rate == pytest.approx(1 / 2)
    assert nov.release_success_rate == pytest.approx(1 / 3)
    assert oct_.change_failure_rate == pytest.approx(1 / 3)
    assert nov.change_failure_rate == pytest.approx(2 / 3)
    assert oct_.lead_time_hours_median == pytest.approx(48)
    assert nov.lead_time_hours_median == pytest.approx(34.5)
    assert oct_.mttr_hours_median == pytest.approx(2)
    assert nov.mttr_hours_mean == pytest.approx(4)
    assert oct_.on_time_delivery == pytest.approx(1 / 2)
    assert nov.on_time_delivery == pytest.approx(1)
    assert oct_.approval_cycle_hours_median == pytest.approx(15)
    assert nov.approval_cycle_hours_median == pytest.approx(4)
    assert oct_.start == dt.date(2026, 10, 1) and oct_.end == dt.date(2026, 10, 31)


def test_weekly_and_quarterly_series_cover_every_period_including_empty_ones(kpi_ctx):
    weeks = compute_kpis(kpi_ctx, by="week").series
    assert weeks[0].period == "2026-W40" and weeks[-1].period == "2026-W48"
    assert len(weeks) == 9
    assert sum(w.deployments for w in weeks) == 7
    empty = next(w for w in weeks if w.period == "2026-W44")
    assert empty.deployments == 0 and empty.release_success_rate is None
    quarters = compute_kpis(kpi_ctx, by="quarter").series
    assert [q.period for q in quarters] == ["2026-Q4"]
    assert quarters[0].release_success_rate == pytest.approx(2 / 5)


def test_per_application_filter(kpi_ctx):
    k = compute_kpis(kpi_ctx, application="Portal")
    assert k.releases_deployed == 3
    assert k.deployment_frequency.count == 4
    assert k.release_success_rate == pytest.approx(1 / 3)
    assert k.change_failure_rate == pytest.approx(2 / 3)
    assert k.mttr_hours.mean == pytest.approx(4)
    assert k.lead_time_hours.median == pytest.approx(34.5)
    assert k.on_time_delivery == pytest.approx(1)
    assert k.approval_cycle_hours.median == pytest.approx(4)
    assert compute_kpis(kpi_ctx, application="nothing-here").release_success_rate is None


def test_date_range_filter(kpi_ctx):
    k = compute_kpis(kpi_ctx, start="2026-11-01", end=dt.date(2026, 11, 30))
    assert k.deployment_frequency.count == 4
    assert k.releases_deployed == 3
    assert k.approval_cycle_hours.median == pytest.approx(4)
    october = compute_kpis(kpi_ctx, end="2026-10-22")
    # REL-2's rollback on 10-22 counts as a deployment; REL-2 itself was deployed on 10-23
    assert october.deployment_frequency.count == 2
    assert october.releases_deployed == 1


def test_data_quality_names_each_record_left_out(kpi_ctx):
    issues = compute_kpis(kpi_ctx).data_quality
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
    assert k.deployment_frequency.bucket == "weekly"
    assert k.tiers.deployment_frequency == "high"
    assert k.tiers.lead_time == "high"  # 48 h: between a day and a week
    assert k.tiers.mttr == "high"  # 2 h: less than a day
    assert k.tiers.change_failure_rate == "low"  # 50 %
    k21 = compute_kpis(kpi_ctx, report_year=2021)
    assert k21.tiers.change_failure_rate == "low"
    assert k21.tiers.reference["lead_time"]["elite"] == "less than one hour"
    k19 = compute_kpis(kpi_ctx, report_year=2019)
    assert k19.tiers.reference["change_failure_rate"]["low"] == "46–60 %"


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
        assert getattr(k, name) is None
    assert k.mttr_hours == MttrHours(mean=None, median=None, failed_deployments=0)
    assert k.lead_time_hours.median is None
    assert k.approval_cycle_hours.median is None
    assert k.deployment_frequency.bucket is None and k.deployment_frequency.per_week is None
    assert k.series == [] and k.data_quality == []
    ranged = compute_kpis(ctx, start="2026-01-01", end="2026-03-31", by="month")
    assert len(ranged.series) == 3 and ranged.series[0].deployments == 0
    assert ranged.deployment_frequency.count == 0


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
    assert (k.releases_deployed, k.changes_deployed) == (1, 1)
    assert k.deployment_frequency.count == 2
    assert k.lead_time_hours.median == pytest.approx(72)  # 10-30 12:00 → 11-02 12:00
    assert k.on_time_delivery == 0  # deployed on 11-02, planned to end on 11-01
    october, november = k.series
    assert (october.period, november.period) == ("2026-10", "2026-11")
    assert (october.deployments, november.deployments) == (1, 1)
    assert (october.releases_deployed, november.releases_deployed) == (0, 1)
    assert (october.changes_deployed, november.changes_deployed) == (0, 1)
    assert october.lead_time_hours_median is None
    assert november.lead_time_hours_median == pytest.approx(72)
    assert november.release_success_rate == 1

    # cut the range at the end of October: the first wave counts, the release and its change
    # do not (they are deployed only when the last wave finishes)
    k = compute_kpis(ctx, end="2026-10-31")
    assert k.deployment_frequency.count == 1
    assert (k.releases_deployed, k.changes_deployed) == (0, 0)
    assert [c.key for c in collect(ctx, start="2026-11-01").changes] == ["CHG-W"]


# --- compute_kpis (SQL aggregates) gives exactly the report of compute_from(collect(...)) -------
#
# ``compute_kpis`` reads counts and durations with SQL; the workbook and ``relman kpis`` use
# ``collect``'s rows. The two must agree on every key and value, floats to the last bit.

TODAY = dt.date(2026, 11, 27)


def differences(a, b, path="report"):
    """Every place where two reports differ: values, types (in Python 1 == 1.0 == True) and
    float bits, and the order of keys (the JSON of ``relman kpis --json`` shows it)."""
    if type(a) is not type(b):
        return [f"{path}: {a!r} ({type(a).__name__}) vs {b!r} ({type(b).__name__})"]
    if isinstance(a, dict):
        if list(a) != list(b):
            return [f"{path}: keys {list(a)} vs {list(b)}"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}[{k!r}]")]
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items vs {len(b)}"]
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in differences(x, y, f"{path}[{i}]")]
    same = a.hex() == b.hex() if isinstance(a, float) else a == b
    return [] if same else [f"{path}: {a!r} vs {b!r}"]


def report_differences(ctx, **kw):
    return differences(
        compute_kpis(ctx, **kw).as_dict(), compute_from(collect(ctx, **kw)).as_dict()
    )


def assert_same_report(ctx, **kw):
    report = compute_kpis(ctx, **kw)
    problems = differences(report.as_dict(), compute_from(collect(ctx, **kw)).as_dict())
    assert not problems, f"compute_kpis({kw}) ≠ compute_from(collect(…)): " + "; ".join(
        problems[:6]
    )
    return report


def test_the_report_comparison_sees_types_float_bits_and_key_order():
    assert differences({"a": 1}, {"a": 1.0}) and differences({"a": True}, {"a": 1})
    assert differences([0.1 + 0.2], [0.3]) and differences([0.0], [-0.0])
    assert differences({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert differences([{"x": None}], [{"x": 0}])
    report = {"s": [{"p": "2026-W53", "d": dt.date(2026, 12, 28), "v": 1 / 3, "n": None}]}
    assert differences(report, copy.deepcopy(report)) == []


def roughen(plan, seed):
    """What real plans hold and the demo does not: every kind of data-quality gap; production
    spelled in mixed case and with spaces, next to names that only look like it; times to the
    microsecond, on either side of midnight UTC and across the year-end ISO weeks; failures of
    every kind; applications spelled differently or missing."""
    import itertools
    import random

    from sqlalchemy import select

    from relman_desktop.models.entities import Approval, Deployment, Release

    rng = random.Random(seed)

    def jitter(moment):
        return moment + dt.timedelta(seconds=rng.randrange(3600), microseconds=rng.randrange(10**6))

    # either side of midnight UTC where ISO weeks 2026-W52, 2026-W53 (over New Year: December
    # and Q4 on one side, January and Q1 on the other) and 2027-W01 meet
    year_end = itertools.cycle(
        dt.datetime(2026, 12, day, tzinfo=dt.UTC) + dt.timedelta(days=later, microseconds=us)
        for day, later in ((31, 4), (31, 1), (28, 0))
        for us in (-1, 0)
    )

    def edge(moment):
        """An instant at a UTC day boundary: the day's last microsecond or the next's first."""
        day = dt.datetime.combine(moment.date(), dt.time(), tzinfo=dt.UTC)
        return day + rng.choice([dt.timedelta(days=1, microseconds=-1), dt.timedelta(days=1)])

    with plan.write() as s:
        for d in s.scalars(select(Deployment).order_by(Deployment.id)):
            if d.environment == "production":
                if rng.random() < 0.3:
                    d.environment = rng.choice(["Production", " PRODUCTION ", "production\t"])
                elif rng.random() < 0.05:
                    d.environment = rng.choice(
                        ["pre-production", "Production EU", "non-production"]
                    )
            elif rng.random() < 0.3:
                d.environment = rng.choice(["Staging", " STAGING"])
            if d.finished_at is not None:
                r = rng.random()
                if r < 0.05 and d.environment.strip().lower() == "production":
                    d.finished_at = next(year_end)
                elif r < 0.1:
                    d.finished_at = edge(d.finished_at)
                elif r < 0.6:
                    d.finished_at = jitter(d.finished_at)
                if d.started_at is not None and d.started_at > d.finished_at:
                    d.started_at = d.finished_at - dt.timedelta(hours=1)
                if d.failure_detected_at is not None:
                    d.failure_detected_at = jitter(d.finished_at)
                    if d.restored_at is not None:
                        d.restored_at = jitter(d.failure_detected_at)
            r = rng.random()
            if r < 0.04:  # unfinished, with an outcome (a data-quality note) or without
                d.finished_at = None
                if rng.random() < 0.3:
                    d.outcome, d.restored_at = None, None
            elif r < 0.08:
                d.incidents = rng.randint(1, 3)
            elif r < 0.11:
                d.hotfix = True
            elif r < 0.14:
                d.outcome = "partial"  # not a failure by itself
            elif r < 0.17 and d.finished_at is not None:
                d.outcome = rng.choice(["failed", "rolled_back"])
                d.failure_detected_at = jitter(d.finished_at)
                d.restored_at = None if rng.random() < 0.5 else jitter(d.failure_detected_at)
            if d.failure_detected_at is not None and rng.random() < 0.5:
                gone = rng.choice(["restored", "detected", "restored", "detected", "both"])
                if gone != "detected":
                    d.restored_at = None
                if gone != "restored":
                    d.failure_detected_at = None
        s.flush()

        for rel in s.scalars(select(Release).order_by(Release.id)):
            finished = [
                d.finished_at
                for d in rel.deployments
                if d.finished_at is not None and d.environment.strip().lower() == "production"
            ]
            r = rng.random()
            if r < 0.08:
                rel.planned_end = None
            elif r < 0.18 and finished:
                rel.planned_end = max(finished).date() - dt.timedelta(days=rng.choice([0, 1]))
            r = rng.random()
            if r < 0.05:
                rel.application = None
            elif r < 0.25 and rel.application:
                rel.application = rng.choice([rel.application.upper(), f" {rel.application} "])
            for c in rel.changes:
                r = rng.random()
                if r < 0.05:
                    c.created_at = None
                elif r < 0.08:
                    c.created_at = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)  # after deploying
                elif r < 0.11 and finished:
                    c.created_at = max(finished)  # a lead time of exactly zero
                elif r < 0.6 and c.created_at is not None:
                    c.created_at = jitter(c.created_at)
                if rng.random() < 0.05:
                    c.caused_incident = True
        s.flush()

        for a in s.scalars(select(Approval).order_by(Approval.id)):
            if a.decided_at is None:
                continue
            r = rng.random()
            if r < 0.05:
                a.requested_at = None
            elif r < 0.08:
                a.requested_at = a.decided_at
            elif r < 0.12:
                late = dt.datetime.combine(a.decided_at.date(), dt.time.max, tzinfo=dt.UTC)
                if a.requested_at is None or a.requested_at <= late:
                    a.decided_at = late
            elif r < 0.6:
                a.decided_at = jitter(a.decided_at)


@pytest.fixture(scope="module")
def rough_plans(tmp_path_factory):
    """Three generated demo plans of different sizes and seeds, each roughened."""
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services.base import Ctx
    from relman_desktop.services.demo import generate_demo

    now = dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC)
    plans = {}
    for seed, releases in ((3, 160), (5, 230), (8, 300)):
        plan = open_plan(tmp_path_factory.mktemp("kpis") / f"demo-{seed}.relman", create=True)
        ctx = Ctx(plan, actor="tester@example.com", clock=lambda: now)
        generate_demo(ctx, releases=releases, seed=seed, today=TODAY)
        roughen(plan, seed)
        plans[seed] = ctx
    yield plans
    for ctx in plans.values():
        ctx.plan.close()


def an_application(ctx):
    """The application of the plan spelled the most ways, spelled as a user might type it."""
    from sqlalchemy import select

    from relman_desktop.models.entities import Release

    with ctx.read() as s:
        names = s.scalars(select(Release.application).where(Release.application.is_not(None)))
        spellings = {}
        for name in names:
            spellings.setdefault(name.strip().lower(), set()).add(name)
    name = max(sorted(spellings), key=lambda n: len(spellings[n]))
    assert len(spellings[name]) >= 2
    return f"  {name.upper()} "


RANGES = [
    (None, None),
    ("2026-08-01", "2026-10-31"),
    ("2026-09-15", None),
    (None, dt.date(2026, 7, 31)),
    (dt.date(2026, 12, 28), dt.date(2027, 1, 3)),  # ISO week 2026-W53
]


@pytest.fixture
def no_fallback(monkeypatch, engine):
    """compute_kpis must answer from SQL here, not by falling back to ``collect`` (on a plan
    file: a server plan always answers through ``collect``, its times not being stored text)."""
    from relman_desktop.services import kpis

    if engine != "sqlite":
        return

    def refuse(*args, **kwargs):
        raise AssertionError("compute_kpis fell back to collect")

    monkeypatch.setattr(kpis, "collect", refuse)


@pytest.mark.parametrize("by", ["week", "month", "quarter"])
@pytest.mark.parametrize("seed", [3, 5, 8])
def test_compute_kpis_is_compute_from_collect_on_generated_plans(
    rough_plans, seed, by, no_fallback
):
    ctx = rough_plans[seed]
    failures = []
    for application in (None, an_application(ctx), "no such application", "  "):
        for start, end in RANGES:
            for report_year in (2019, 2021, 2023):
                kw = dict(by=by, application=application, start=start, end=end)
                problems = report_differences(ctx, report_year=report_year, **kw)
                if problems:
                    failures.append(f"{kw}, {report_year}: {'; '.join(problems[:3])}")
    assert not failures, f"{len(failures)} reports differ, e.g. " + " | ".join(failures[:3])


def test_the_generated_plans_hold_every_kind_of_data_quality_note(rough_plans):
    for ctx in rough_plans.values():
        notes = compute_kpis(ctx).data_quality
        kinds = {(n["kpi"], n["issue"].split(":")[0]) for n in notes}
        assert kinds == {
            ("deployment_frequency", "production deployment has an outcome but no finish time"),
            ("mttr", "failed deployment has no restored time"),
            ("mttr", "failed deployment has no failure detected time"),
            ("mttr", "failed deployment has no failure detected and restored time"),
            ("on_time_delivery", "deployed release has no planned end"),
            ("lead_time", "deployed change has no created/committed time"),
            ("lead_time", "change was created after its release was deployed"),
            ("approval_cycle_time", "decided approval has no requested time"),
        }
        weeks = {p.period for p in compute_kpis(ctx, by="week").series if p.deployments}
        assert {"2026-W52", "2026-W53", "2027-W01"} <= weeks


def every_filter():
    for by in ("week", "month", "quarter"):
        for start, end in [*RANGES, ("2026-11-01", "2026-11-30")]:
            for application in (None, "billing", " PORTAL", " "):
                yield {"by": by, "start": start, "end": end, "application": application}


def assert_same_reports(ctx):
    for kw in every_filter():
        for report_year in (2019, 2021, 2023):
            assert_same_report(ctx, report_year=report_year, **kw)


def test_an_empty_plan_gives_the_same_report_for_every_filter(ctx, no_fallback):
    assert_same_reports(ctx)


def test_the_hand_computed_plan_gives_the_same_report_for_every_filter(kpi_ctx, no_fallback):
    assert_same_reports(kpi_ctx)


def add_release(plan, key, app, planned_end=None, deployments=(), changes=(), approvals=()):
    """A deployed release; ``approvals`` are (requested at, decided at) in one CAB stage."""
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
        rel = Release(
            key=key, title=key, type="minor", application=app, status=state, planned_end=planned_end
        )
        for d in deployments:
            rel.deployments.append(Deployment(**{"outcome": "success", **d}))
        for n, created_at in enumerate(changes):
            rel.changes.append(
                Change(
                    key=f"{key}-C{n}",
                    title="c",
                    type="normal",
                    category="fix",
                    created_at=created_at,
                )
            )
        if approvals:
            stage = ApprovalStage(release=rel, position=1, name="CAB", rule="all")
            for n, (requested_at, decided_at) in enumerate(approvals):
                person = Person(email=f"{key.lower()}-{n}@example.com", name=f"{key} approver {n}")
                stage.approvals.append(
                    Approval(
                        approver=person,
                        decision="approved",
                        requested_at=requested_at,
                        decided_at=decided_at,
                    )
                )
        s.add(rel)


def test_a_plan_with_no_deployments_counts_its_approvals_alone(ctx, no_fallback):
    add_release(
        ctx.plan,
        "REL-1",
        "billing",
        dt.date(2026, 11, 30),
        changes=[T(11, 1), None],
        approvals=[(T(11, 2, 9), T(11, 2, 17)), (None, T(11, 3))],
    )
    k = assert_same_report(ctx)
    assert k.releases_deployed == k.changes_deployed == 0
    assert k.deployment_frequency.count == 0
    assert k.approval_cycle_hours == ApprovalCycleHours(median=8.0, decided=2)
    assert [n["kpi"] for n in k.data_quality] == ["approval_cycle_time"]
    assert_same_reports(ctx)


def test_failed_deployments_with_missing_recovery_times(ctx, no_fallback):
    def failed(day, hour, **times):
        return {
            "environment": "production",
            "finished_at": T(11, day, hour),
            "outcome": "failed",
            **times,
        }

    add_release(
        ctx.plan,
        "REL-1",
        "billing",
        dt.date(2026, 11, 30),
        deployments=[
            failed(2, 10, failure_detected_at=T(11, 2, 10), restored_at=T(11, 2, 13, 30)),
            failed(3, 10, failure_detected_at=T(11, 3, 10)),  # not restored (yet)
            failed(4, 10, restored_at=T(11, 4, 12)),  # restored, never detected
            failed(5, 10),  # neither
            {"environment": "production", "finished_at": T(11, 6), "hotfix": True},
        ],
    )
    k = assert_same_report(ctx, by="week")
    assert k.mttr_hours == MttrHours(mean=3.5, median=3.5, failed_deployments=5)
    assert [n["issue"] for n in k.data_quality] == [
        "failed deployment has no restored time: left out of MTTR",
        "failed deployment has no failure detected time: left out of MTTR",
        "failed deployment has no failure detected and restored time: left out of MTTR",
        "failed deployment has no failure detected and restored time: left out of MTTR",
    ]
    assert_same_reports(ctx)


def test_production_in_any_case_and_spacing_and_nothing_else(ctx, no_fallback):
    envs = ["production", "Production", " PRODUCTION ", "production\t", "pre-production"]
    envs += ["Production EU", "PROD", "Staging", "STAGING "]
    add_release(
        ctx.plan,
        "REL-1",
        "billing",
        dt.date(2026, 11, 20),
        deployments=[
            {"environment": env, "finished_at": T(11, 1 + n, 12), "wave": str(n)}
            for n, env in enumerate(envs)
        ]
        + [{"environment": "PRODUCTION", "finished_at": None, "wave": "late"}],
        changes=[T(10, 30)],
    )
    k = assert_same_report(ctx)
    assert k.deployment_frequency.count == 4
    # deployed with its last production deployment (4 November), not pre-production's (5th)
    assert k.lead_time_hours.median == (T(11, 4, 12) - T(10, 30)) / dt.timedelta(hours=1)
    assert [n["record"] for n in k.data_quality] == ["REL-1 PRODUCTION deployment #10, wave late"]
    assert_same_reports(ctx)


def test_periods_are_utc_days_and_iso_weeks_across_the_year_end(ctx, no_fallback):
    """Times entered in other zones count on their UTC day; ISO weeks run Monday to Sunday and
    2026-W53 spans New Year (31 December in 2026-12 and Q4, 1 January in 2027-01 and Q1)."""
    plus14, minus12 = (dt.timezone(dt.timedelta(hours=h)) for h in (14, -12))

    def at(*args, tz=dt.UTC):
        return dt.datetime(*args, tzinfo=tz)

    finished = [
        at(2025, 12, 29, 0, 0, 0, 1),  # Monday: ISO week 1 of 2026
        at(2026, 12, 28, 13, 59, 59, 999999, tz=plus14),  # Sunday 27th 23:59:59.999999 UTC
        at(2026, 12, 27, 12, 0, tz=minus12),  # Monday 28th 00:00 UTC: 2026-W53
        at(2026, 12, 31, 23, 59, 59, 999999),
        at(2027, 1, 1, 13, 59, tz=plus14),  # still 31 December in UTC
        at(2027, 1, 1),
        at(2027, 1, 3, 23, 59, 59, 999999),  # Sunday: the last moment of 2026-W53
        at(2027, 1, 4),  # Monday: 2027-W01
    ]
    for n, moment in enumerate(finished):
        add_release(
            ctx.plan,
            f"REL-{n}",
            "billing",
            moment.astimezone(dt.UTC).date(),  # planned to end on its UTC day: on time
            deployments=[{"environment": "production", "finished_at": moment}],
            changes=[moment - dt.timedelta(hours=1, microseconds=1)],
            approvals=[(moment - dt.timedelta(hours=2), moment)],
        )
    weeks = {p.period: p for p in assert_same_report(ctx, by="week").series}
    assert weeks["2026-W01"].start == dt.date(2025, 12, 29)
    assert weeks["2026-W01"].deployments == 1
    assert (weeks["2026-W52"].deployments, weeks["2026-W53"].deployments) == (1, 5)
    assert weeks["2027-W01"].deployments == 1
    assert weeks["2026-W53"].on_time_delivery == 1.0
    lead = dt.timedelta(hours=1, microseconds=1) / dt.timedelta(hours=1)
    assert weeks["2026-W53"].lead_time_hours_median == lead
    months = {p.period: p.deployments for p in assert_same_report(ctx).series}
    assert (months["2026-12"], months["2027-01"]) == (4, 3)
    quarters = assert_same_report(ctx, by="quarter", start="2026-12-31", end="2027-01-01")
    assert [(q.period, q.deployments) for q in quarters.series] == [
        ("2026-Q4", 2),
        ("2027-Q1", 1),
    ]
    assert_same_reports(ctx)


# about times stored as text by another tool: only a plan file stores them so (conftest.py)
FILE_ONLY_TESTS = {"test_a_time_stored_by_another_tool_takes_the_row_by_row_path"}


def test_a_time_stored_by_another_tool_takes_the_row_by_row_path(ctx, monkeypatch):
    """A plan edited outside the app may hold ``2026-11-05T10:00:00`` where SQLAlchemy writes
    ``2026-11-05 10:00:00.000000``: the SQL cannot read that as it is, ``collect`` can."""
    from relman_desktop.services import kpis

    build_kpi_plan(ctx.plan)
    with ctx.plan.write() as s:
        s.connection().exec_driver_sql(
            "UPDATE changes SET created_at = '2026-10-01T22:00:00' WHERE key = 'CHG-1'"
        )
    calls = []
    real_collect = kpis.collect
    monkeypatch.setattr(
        kpis, "collect", lambda *a, **kw: calls.append(kw) or real_collect(*a, **kw)
    )
    assert_same_report(ctx)
    assert len(calls) == 1
    assert compute_kpis(ctx).lead_time_hours.median == 48  # CHG-1 still 168 h
    # out of scope (another application), the odd time is not read at all
    calls.clear()
    assert_same_report(ctx, application="portal")
    assert calls == []


def test_records_of_a_release_deleted_with_foreign_keys_off_count_nowhere(kpi_ctx, no_fallback):
    import sqlite3

    con = sqlite3.connect(kpi_ctx.plan.path)  # foreign keys are off unless switched on
    with con:
        con.execute("DELETE FROM releases WHERE key = 'REL-3'")
    con.close()
    k = assert_same_report(kpi_ctx)
    assert k.releases_deployed == 4
    assert_same_reports(kpi_ctx)


def test_stored_times_become_exact_microseconds_and_hours():
    """The SQL reading of a stored time, over the whole calendar: the same microseconds as
    Python's datetime arithmetic, the same hours as ``(later - earlier) / HOUR``."""
    import random
    import sqlite3

    from relman_desktop.services.kpis import _HOUR_US, _us

    rng = random.Random(6)
    first, last = dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999)
    span = (last - first) // dt.timedelta(microseconds=1)
    pairs = [(first, last), (last, first), (first, first)]
    for _ in range(3000):
        a = first + dt.timedelta(microseconds=rng.randrange(span))
        near = dt.timedelta(microseconds=rng.randrange(-(10**12), 10**12))
        b = a + near if first <= a + near <= last else a
        pairs.append((a, first + dt.timedelta(microseconds=rng.randrange(span))))
        pairs.append((a, b))

    def stored(moment):  # as SQLAlchemy writes a DateTime into SQLite
        return moment.isoformat(sep=" ", timespec="microseconds")

    con = sqlite3.connect(":memory:")  # the SQLite library the app uses
    sql = f"SELECT {_us('a')} - {_us('b')} FROM (SELECT ? AS a, ? AS b)"
    for a, b in pairs:
        (us,) = con.execute(sql, (stored(a), stored(b))).fetchone()
        assert us == (a - b) // dt.timedelta(microseconds=1), (a, b)
        assert (us / _HOUR_US).hex() == ((a - b) / dt.timedelta(hours=1)).hex(), (a, b)
    con.close()
