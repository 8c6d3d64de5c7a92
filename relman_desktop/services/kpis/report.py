"""The KPI report: DORA reference data, periods, the plain rows it is computed from, the
data-quality notes, and the formulas (``compute_from``). Definitions: see the package.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from relman_desktop.models.entities import (
    Deployment,
)
from relman_desktop.models.enums import Outcome
from relman_desktop.services.base import ValidationError

PERIODS = ("week", "month", "quarter")
PRODUCTION = "production"
FAILED_OUTCOMES = frozenset({Outcome.FAILED, Outcome.ROLLED_BACK})
HOUR = dt.timedelta(hours=1)

# --- DORA reference data ----------------------------------------------------------------------
#
# Sources (the published "Accelerate State of DevOps" report tables, by report year):
#   2019: PRODUCT.md §6 (State of DevOps 2019, p. 18).
#   2021: Accelerate State of DevOps 2021, "Software delivery performance" table —
#         DF elite on-demand (multiple deploys per day), high once per week–once per month,
#         medium once per month–once every 6 months, low fewer than once per six months;
#         lead time elite < 1 hour, high 1 day–1 week, medium 1–6 months, low > 6 months;
#         time to restore elite < 1 hour, high < 1 day, medium 1 day–1 week, low > 6 months;
#         change failure rate elite 0–15 %, high/medium/low 16–30 %.
#   2023: Accelerate State of DevOps 2023, "Software delivery performance" clusters —
#         DF elite on demand, high once per day–once per week, medium and low once per
#         week–once per month; lead time elite < 1 day, high 1 day–1 week, medium and low
#         1 week–1 month; failed deployment recovery time elite < 1 hour, high < 1 day,
#         medium 1 day–1 week, low 1–6 months; change failure rate (the published
#         per-cluster values) elite 5 %, high 10 %, medium 15 %, low 64 %.
#   Checked value by value (2026-11) against Octopus Deploy's posts on the 2021 and 2023
#   clusters (a report sponsor: blog/2022-10/new-devops-performance-clusters,
#   blog/2023-10/software-delivery-performance-clusters-2023), Google Cloud's announcement of
#   the 2021 report, and Apache DevLake's DORA metric pages — whose 2023 recovery-time page
#   lists low as "more than six months", carried over from 2021; Octopus gives 1–6 months.
#   The report PDFs themselves were not read.
#
# Classifying a measured value: the best tier (elite first) whose published range holds it.
# Time limits are "less than" upper bounds in hours (a value in a gap between published
# ranges falls to the next tier down); change failure rate limits are inclusive fractions
# (2023 publishes one value per cluster, used here as upper bounds). Deployment frequency is
# classified from its bucket (daily/weekly/monthly/yearly, see ``frequency_bucket``).

TIER_NAMES = ("elite", "high", "medium", "low")
DAY, WEEK, MONTH, SIX_MONTHS = 24.0, 168.0, 720.0, 4380.0
INF = float("inf")

Tiers = tuple[Any, Any, Any, Any]  # one value per tier, elite first


def _metric(text: Tiers, key: str, values: Tiers) -> dict[str, dict[str, Any]]:
    """One metric's reference data: each tier's published wording, and ``key`` (how a measured
    value is classified: ``by_bucket``, ``limits_hours`` or ``limits``) with each tier's value."""
    return {
        "text": dict(zip(TIER_NAMES, text, strict=True)),
        key: dict(zip(TIER_NAMES, values, strict=True)),
    }


def _frequency(text: Tiers, daily: str, weekly: str, monthly: str, yearly: str) -> dict:
    """Deployment frequency: its wording, and the tier of each frequency bucket."""
    return {
        "text": dict(zip(TIER_NAMES, text, strict=True)),
        "by_bucket": {"daily": daily, "weekly": weekly, "monthly": monthly, "yearly": yearly},
    }


DORA_TIERS: dict[int, dict[str, Any]] = {
    2019: {
        "deployment_frequency": _frequency(
            (
                "on demand (multiple deploys per day)",
                "between once per day and once per week",
                "between once per week and once per month",
                "between once per month and once every six months",
            ),
            *("elite", "high", "medium", "low"),
        ),
        "lead_time": _metric(
            (
                "less than one day",
                "between one day and one week",
                "between one week and one month",
                "between one month and six months",
            ),
            "limits_hours",
            (DAY, WEEK, MONTH, INF),
        ),
        "mttr": _metric(
            (
                "less than one hour",
                "less than one day",
                "less than one day",
                "between one week and one month",
            ),
            "limits_hours",
            (1.0, DAY, DAY, INF),
        ),
        "change_failure_rate": _metric(
            ("0–15 %", "0–15 %", "0–15 %", "46–60 %"), "limits", (0.15, 0.15, 0.15, 1.0)
        ),
    },
    2021: {
        "deployment_frequency": _frequency(
            (
                "on demand (multiple deploys per day)",
                "between once per week and once per month",
                "between once per month and once every six months",
                "fewer than once per six months",
            ),
            *("elite", "high", "high", "medium"),
        ),
        "lead_time": _metric(
            (
                "less than one hour",
                "between one day and one week",
                "between one month and six months",
                "more than six months",
            ),
            "limits_hours",
            (1.0, WEEK, SIX_MONTHS, INF),
        ),
        "mttr": _metric(
            (
                "less than one hour",
                "less than one day",
                "between one day and one week",
                "more than six months",
            ),
            "limits_hours",
            (1.0, DAY, WEEK, INF),
        ),
        "change_failure_rate": _metric(
            ("0–15 %", "16–30 %", "16–30 %", "16–30 %"), "limits", (0.15, 0.30, 0.30, 1.0)
        ),
    },
    2023: {
        "deployment_frequency": _frequency(
            (
                "on demand",
                "between once per day and once per week",
                "between once per week and once per month",
                "between once per week and once per month",
            ),
            *("elite", "high", "medium", "low"),
        ),
        "lead_time": _metric(
            (
                "less than one day",
                "between one day and one week",
                "between one week and one month",
                "between one week and one month",
            ),
            "limits_hours",
            (DAY, WEEK, MONTH, INF),
        ),
        "mttr": _metric(
            (
                "less than one hour",
                "less than one day",
                "between one day and one week",
                "between one month and six months",
            ),
            "limits_hours",
            (1.0, DAY, WEEK, INF),
        ),
        "change_failure_rate": _metric(
            ("5 %", "10 %", "15 %", "64 %"), "limits", (0.05, 0.10, 0.15, 1.0)
        ),
    },
}
REPORT_YEARS = tuple(sorted(DORA_TIERS))


def tier_for(report_year: int, metric: str, value: Any) -> str | None:
    """The DORA tier of one measured value (``None`` when there is no value)."""
    if value is None:
        return None
    ref = DORA_TIERS[report_year][metric]
    if metric == "deployment_frequency":
        return ref["by_bucket"].get(value)
    if metric == "change_failure_rate":
        return next(t for t in TIER_NAMES if value <= ref["limits"][t])
    return next(t for t in TIER_NAMES if value < ref["limits_hours"][t])


# --- periods --------------------------------------------------------------------------------------


def period_of(day: dt.date, by: str) -> str:
    """The label of the period holding ``day``: ``2026-W48``, ``2026-11`` or ``2026-Q4``."""
    if by == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def period_bounds(day: dt.date, by: str) -> tuple[dt.date, dt.date]:
    """First and last day of the period holding ``day``."""
    if by == "week":
        first = day - dt.timedelta(days=day.weekday())
        return first, first + dt.timedelta(days=6)
    if by == "month":
        first = day.replace(day=1)
    else:
        first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    months = 1 if by == "month" else 3
    y, m = divmod(first.month - 1 + months, 12)
    return first, dt.date(first.year + y, m + 1, 1) - dt.timedelta(days=1)


def periods_between(start: dt.date, end: dt.date, by: str) -> list[tuple[str, dt.date, dt.date]]:
    """Every period touching ``start..end`` (empty ones too: a chart shows the gaps)."""
    out = []
    day = start
    while day <= end:
        first, last = period_bounds(day, by)
        out.append((period_of(day, by), first, last))
        day = last + dt.timedelta(days=1)
    return out


# --- raw rows (plain data, also what the workbook writes) ------------------------------------------


@dataclass
class DeploymentRow:
    id: int
    release_key: str
    application: str | None
    environment: str
    wave: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime
    outcome: str | None
    incidents: int
    hotfix: bool
    failure_detected_at: dt.datetime | None
    restored_at: dt.datetime | None
    period: str
    failed: bool
    restore_hours: float | None


@dataclass
class ReleaseRow:
    key: str
    title: str
    application: str | None
    planned_end: dt.date | None
    deployed_at: dt.datetime
    period: str
    production_deployments: int
    failed_deployments: int
    succeeded: bool
    on_time: bool | None


@dataclass
class ChangeRow:
    key: str
    title: str
    category: str
    release_key: str
    application: str | None
    created_at: dt.datetime | None
    deployed_at: dt.datetime
    period: str
    caused_incident: bool
    release_failed: bool
    failed: bool
    lead_time_hours: float | None


@dataclass
class ApprovalRow:
    release_key: str
    application: str | None
    stage: str
    approver: str
    decision: str
    requested_at: dt.datetime | None
    decided_at: dt.datetime
    period: str
    cycle_hours: float | None


@dataclass
class KpiData:
    """Everything the KPIs are computed from, already filtered to the range and application."""

    start: dt.date | None
    end: dt.date | None
    by: str
    application: str | None
    report_year: int
    deployments: list[DeploymentRow] = field(default_factory=list)
    releases: list[ReleaseRow] = field(default_factory=list)
    changes: list[ChangeRow] = field(default_factory=list)
    approvals: list[ApprovalRow] = field(default_factory=list)
    data_quality: list[dict[str, str]] = field(default_factory=list)


def _hours(later: dt.datetime | None, earlier: dt.datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier) / HOUR


def _is_production(environment: str | None) -> bool:
    return (environment or "").strip().lower() == PRODUCTION


def deployment_failed(d: Deployment) -> bool:
    return (
        d.outcome in FAILED_OUTCOMES
        or (d.incidents or 0) > 0
        or bool(d.hotfix)
        or d.failure_detected_at is not None
    )


def _parse_date(value: dt.date | str | None, what: str) -> dt.date | None:
    from relman_desktop.services.limits import check_date

    if value is None or isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError(
                f"{what} date {value!r} is not a date like 2026-11-30", field=what
            ) from None
    return check_date(what, day, f"{what.capitalize()} date")


def _check_args(
    start: Any, end: Any, by: str, report_year: int
) -> tuple[dt.date | None, dt.date | None]:
    if by not in PERIODS:
        raise ValidationError(f"period {by!r} is not one of {', '.join(PERIODS)}", field="by")
    if report_year not in DORA_TIERS:
        years = ", ".join(str(y) for y in REPORT_YEARS)
        raise ValidationError(
            f"no DORA tiers for report year {report_year} (known: {years})", field="report_year"
        )
    first, last = _parse_date(start, "from"), _parse_date(end, "to")
    if first and last and first > last:
        raise ValidationError(f"the range starts ({first}) after it ends ({last})", field="from")
    return first, last


# --- data-quality notes (one wording for ``collect`` and ``compute_kpis``) ----------------------


def _deployment_label(
    release_key: str, environment: str, deployment_id: int, wave: str | None
) -> str:
    return (
        f"{release_key} {environment} deployment #{deployment_id}{f', wave {wave}' if wave else ''}"
    )


def _unfinished_issue(label: str) -> dict[str, str]:
    return {
        "kind": "deployment",
        "record": label,
        "kpi": "deployment_frequency",
        "issue": "production deployment has an outcome but no finish time: not counted",
    }


def _no_restore_issue(label: str, no_detected: bool, no_restored: bool) -> dict[str, str]:
    missing = " and ".join(
        w for w, gone in (("failure detected", no_detected), ("restored", no_restored)) if gone
    )
    return {
        "kind": "deployment",
        "record": label,
        "kpi": "mttr",
        "issue": f"failed deployment has no {missing} time: left out of MTTR",
    }


def _no_planned_end_issue(release_key: str) -> dict[str, str]:
    return {
        "kind": "release",
        "record": release_key,
        "kpi": "on_time_delivery",
        "issue": "deployed release has no planned end: left out of on-time delivery",
    }


def _change_issue(change_key: str, release_key: str, created: bool) -> dict[str, str]:
    """A deployed change left out of lead time: no creation time, or created after deploying."""
    return {
        "kind": "change",
        "record": f"{change_key} ({release_key})",
        "kpi": "lead_time",
        "issue": "change was created after its release was deployed: left out of lead time"
        if created
        else "deployed change has no created/committed time: left out of lead time",
    }


def _no_requested_issue(release_key: str, stage: str, approver: str) -> dict[str, str]:
    return {
        "kind": "approval",
        "record": f"{release_key} {stage}: {approver}",
        "kpi": "approval_cycle_time",
        "issue": "decided approval has no requested time: left out of the cycle time",
    }


# What the data-quality checks above look at, (kind, kpi, check), for a report that found no
# gap to say what it checked (one line per ``_..._issue`` above; keep them together).
DATA_QUALITY_CHECKS: tuple[tuple[str, str, str], ...] = (
    (
        "deployment",
        "deployment_frequency",
        "every production deployment with an outcome has a finish time",
    ),
    ("deployment", "mttr", "every failed deployment has its failure-detected and restored times"),
    ("release", "on_time_delivery", "every deployed release has a planned end"),
    (
        "change",
        "lead_time",
        "every deployed change has a created/committed time before its release was deployed",
    ),
    ("approval", "approval_cycle_time", "every decided approval has a requested time"),
)


# --- the report (typed; ``as_dict`` is the shape ``relman kpis --json`` prints) ---------------


@dataclass(frozen=True)
class KpiRange:
    start: dt.date | None
    end: dt.date | None


@dataclass(frozen=True)
class DeploymentFrequency:
    count: int
    per_week: float | None
    bucket: str | None
    median_days_per_week: float | None
    median_days_per_month: float | None


@dataclass(frozen=True)
class MttrHours:
    mean: float | None
    median: float | None
    failed_deployments: int


@dataclass(frozen=True)
class LeadTimeHours:
    median: float | None


@dataclass(frozen=True)
class ApprovalCycleHours:
    median: float | None
    decided: int


@dataclass(frozen=True)
class PeriodKpis:
    """One period of the series (its label, first and last day, and its metrics)."""

    period: str
    start: dt.date
    end: dt.date
    deployments: int
    releases_deployed: int
    release_success_rate: float | None
    changes_deployed: int
    change_failure_rate: float | None
    failed_deployments: int
    mttr_hours_mean: float | None
    mttr_hours_median: float | None
    lead_time_hours_median: float | None
    on_time_delivery: float | None
    approval_cycle_hours_median: float | None


@dataclass(frozen=True)
class KpiTiers:
    report_year: int
    deployment_frequency: str | None
    lead_time: str | None
    mttr: str | None
    change_failure_rate: str | None
    reference: dict[str, dict[str, str]]  # metric → tier → what the tier means


@dataclass(frozen=True)
class KpiReport:
    """The KPI report of ``compute_kpis`` and ``compute_from`` (fields in the order of the
    JSON of ``relman kpis --json``, which is ``as_dict()``)."""

    range: KpiRange
    by: str
    application: str | None
    report_year: int
    release_success_rate: float | None
    releases_deployed: int
    deployment_frequency: DeploymentFrequency
    change_failure_rate: float | None
    changes_deployed: int
    mttr_hours: MttrHours
    lead_time_hours: LeadTimeHours
    on_time_delivery: float | None
    approval_cycle_hours: ApprovalCycleHours
    series: list[PeriodKpis]
    data_quality: list[dict[str, str]]
    tiers: KpiTiers

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- computing ----------------------------------------------------------------------------------


def _ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


def _median(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.fmean(vals) if vals else None


def frequency_bucket(days: Iterable[dt.date], start: dt.date, end: dt.date) -> dict[str, Any]:
    """DORA deployment-frequency bucket by the median period having a deployment
    (the Four Keys rule): the median week has deployments on ≥ 3 days → daily; the median
    week has one → weekly; the median month has one → monthly; otherwise yearly.
    Weeks and months are every one touching ``start..end``, empty ones included."""
    deploy_days = set(days)
    if not deploy_days:
        return {"bucket": None, "median_days_per_week": None, "median_days_per_month": None}
    per_week: dict[str, int] = {label: 0 for label, _, _ in periods_between(start, end, "week")}
    per_month: dict[str, int] = {label: 0 for label, _, _ in periods_between(start, end, "month")}
    for day in deploy_days:
        per_week[period_of(day, "week")] = per_week.get(period_of(day, "week"), 0) + 1
        per_month[period_of(day, "month")] = per_month.get(period_of(day, "month"), 0) + 1
    week_median = statistics.median(per_week.values())
    month_median = statistics.median(per_month.values())
    if week_median >= 3:
        bucket = "daily"
    elif week_median >= 1:
        bucket = "weekly"
    elif month_median >= 1:
        bucket = "monthly"
    else:
        bucket = "yearly"
    return {
        "bucket": bucket,
        "median_days_per_week": week_median,
        "median_days_per_month": month_median,
    }


@dataclass
class _Tally:
    """What the KPIs of one period (or of the whole range) are computed from: counts, and the
    measured hours whose medians and means are taken (values that cannot be measured are
    left out here and listed in ``data_quality``)."""

    deployments: int = 0
    failed_deployments: int = 0
    restore_hours: list[float] = field(default_factory=list)
    releases: int = 0
    succeeded: int = 0
    with_planned_end: int = 0
    on_time: int = 0
    changes: int = 0
    failed_changes: int = 0
    lead_time_hours: list[float] = field(default_factory=list)
    approvals: int = 0
    cycle_hours: list[float] = field(default_factory=list)

    def add(self, other: _Tally) -> None:
        self.deployments += other.deployments
        self.failed_deployments += other.failed_deployments
        self.restore_hours += other.restore_hours
        self.releases += other.releases
        self.succeeded += other.succeeded
        self.with_planned_end += other.with_planned_end
        self.on_time += other.on_time
        self.changes += other.changes
        self.failed_changes += other.failed_changes
        self.lead_time_hours += other.lead_time_hours
        self.approvals += other.approvals
        self.cycle_hours += other.cycle_hours

    def metrics(self) -> dict[str, Any]:
        # medians sort and fmean sums exactly (math.fsum): neither depends on the order the
        # values were gathered in, so rows and SQL aggregates give the same floats
        return {
            "deployments": self.deployments,
            "releases_deployed": self.releases,
            "release_success_rate": _ratio(self.succeeded, self.releases),
            "changes_deployed": self.changes,
            "change_failure_rate": _ratio(self.failed_changes, self.changes),
            "failed_deployments": self.failed_deployments,
            "mttr_hours_mean": _mean(self.restore_hours),
            "mttr_hours_median": _median(self.restore_hours),
            "lead_time_hours_median": _median(self.lead_time_hours),
            "on_time_delivery": _ratio(self.on_time, self.with_planned_end),
            "approval_cycle_hours_median": _median(self.cycle_hours),
        }


def _report(
    *,
    start: dt.date | None,
    end: dt.date | None,
    by: str,
    application: str | None,
    report_year: int,
    tallies: dict[str, _Tally],
    deploy_days: Iterable[dt.date],
    data_quality: list[dict[str, str]],
) -> KpiReport:
    """The KPI report from the tallies of each period (by label) over ``start..end``."""
    total = _Tally()
    for tally in tallies.values():
        total.add(tally)
    overall = total.metrics()
    series: list[PeriodKpis] = []
    if start is not None and end is not None:
        empty = _Tally()
        for label, first, last in periods_between(start, end, by):
            m = tallies.get(label, empty).metrics()
            series.append(PeriodKpis(period=label, start=first, end=last, **m))
        freq = frequency_bucket(deploy_days, start, end)
        weeks = ((end - start).days + 1) / 7
    else:
        freq = {"bucket": None, "median_days_per_week": None, "median_days_per_month": None}
        weeks = 0
    deployment_frequency = DeploymentFrequency(
        count=overall["deployments"],
        per_week=overall["deployments"] / weeks if weeks else None,
        **freq,
    )
    tiers = KpiTiers(
        report_year=report_year,
        deployment_frequency=tier_for(report_year, "deployment_frequency", freq["bucket"]),
        lead_time=tier_for(report_year, "lead_time", overall["lead_time_hours_median"]),
        mttr=tier_for(report_year, "mttr", overall["mttr_hours_median"]),
        change_failure_rate=tier_for(
            report_year, "change_failure_rate", overall["change_failure_rate"]
        ),
        reference={metric: ref["text"] for metric, ref in DORA_TIERS[report_year].items()},
    )
    return KpiReport(
        range=KpiRange(start=start, end=end),
        by=by,
        application=application,
        report_year=report_year,
        release_success_rate=overall["release_success_rate"],
        releases_deployed=overall["releases_deployed"],
        deployment_frequency=deployment_frequency,
        change_failure_rate=overall["change_failure_rate"],
        changes_deployed=overall["changes_deployed"],
        mttr_hours=MttrHours(
            mean=overall["mttr_hours_mean"],
            median=overall["mttr_hours_median"],
            failed_deployments=overall["failed_deployments"],
        ),
        lead_time_hours=LeadTimeHours(median=overall["lead_time_hours_median"]),
        on_time_delivery=overall["on_time_delivery"],
        approval_cycle_hours=ApprovalCycleHours(
            median=overall["approval_cycle_hours_median"],
            decided=total.approvals,
        ),
        series=series,
        data_quality=list(data_quality),
        tiers=tiers,
    )


def compute_from(data: KpiData) -> KpiReport:
    """The KPI report for already collected rows (see ``compute_kpis``)."""
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for d in data.deployments:
        t = tallies[d.period]
        t.deployments += 1
        if d.failed:
            t.failed_deployments += 1
            if d.restore_hours is not None:
                t.restore_hours.append(d.restore_hours)
    for r in data.releases:
        t = tallies[r.period]
        t.releases += 1
        t.succeeded += r.succeeded
        if r.on_time is not None:
            t.with_planned_end += 1
            t.on_time += r.on_time
    for c in data.changes:
        t = tallies[c.period]
        t.changes += 1
        t.failed_changes += c.failed
        if c.lead_time_hours is not None:
            t.lead_time_hours.append(c.lead_time_hours)
    for a in data.approvals:
        t = tallies[a.period]
        t.approvals += 1
        if a.cycle_hours is not None:
            t.cycle_hours.append(a.cycle_hours)

    moments = [d.finished_at.date() for d in data.deployments] + [
        a.decided_at.date() for a in data.approvals
    ]
    moments += [r.deployed_at.date() for r in data.releases]
    return _report(
        start=data.start or (min(moments) if moments else None),
        end=data.end or (max(moments) if moments else None),
        by=data.by,
        application=data.application,
        report_year=data.report_year,
        tallies=tallies,
        deploy_days=(d.finished_at.date() for d in data.deployments),
        data_quality=data.data_quality,
    )
