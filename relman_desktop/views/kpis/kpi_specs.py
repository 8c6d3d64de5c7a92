"""What each KPI on the KPIs page is, and how its numbers read: the chart specs
(``KPI_SPECS``), the headline and DORA tier lines, the plotted series, which periods are
counted only in part, and the DORA tier bands in each KPI's unit.

Plain data from ``services.kpis.KpiReport`` to words and numbers, no widgets; ``kpi_chart``
draws them and ``kpi_dashboard`` (which re-exports these names) lays the charts out.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from relman_desktop.services import kpis

PERIOD_DAYS = {"week": 7.0, "month": 30.44, "quarter": 91.31}


@dataclass(frozen=True)
class KpiSpec:
    name: str
    title: str
    series_key: str  # the key in each ``series`` entry
    kind: str  # rate | hours | count
    tier_metric: str | None  # key in DORA_TIERS[year], or None: no DORA tier
    what: str  # one sentence: the definition


KPI_SPECS: tuple[KpiSpec, ...] = (
    KpiSpec(
        "release_success_rate",
        "Release success rate",
        "release_success_rate",
        "rate",
        None,
        "Deployed releases without a failed production deployment ÷ deployed releases.",
    ),
    KpiSpec(
        "deployment_frequency",
        "Deployment frequency",
        "deployments",
        "count",
        "deployment_frequency",
        "Finished production deployments per period.",
    ),
    KpiSpec(
        "change_failure_rate",
        "Change failure rate",
        "change_failure_rate",
        "rate",
        "change_failure_rate",
        "Deployed changes that degraded service ÷ deployed changes.",
    ),
    KpiSpec(
        "mttr",
        "Time to restore (MTTR)",
        "mttr_hours_median",
        "hours",
        "mttr",
        "Restored at − failure detected at, over failed deployments (median; mean dashed).",
    ),
    KpiSpec(
        "lead_time",
        "Lead time for changes",
        "lead_time_hours_median",
        "hours",
        "lead_time",
        "Release deployed at − change created at (median).",
    ),
    KpiSpec(
        "on_time_delivery",
        "On-time delivery",
        "on_time_delivery",
        "rate",
        None,
        "Releases deployed by their planned end ÷ deployed releases.",
    ),
    KpiSpec(
        "approval_cycle",
        "Approval cycle time",
        "approval_cycle_hours_median",
        "hours",
        None,
        "Decided at − requested at, over decided approvals (median).",
    ),
)


def fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def fmt_hours(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 60:.0f} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


def headline(spec: KpiSpec, report: kpis.KpiReport) -> tuple[str, str]:
    """The big number of one KPI and the line under it."""
    if spec.name == "release_success_rate":
        return fmt_rate(
            report.release_success_rate
        ), f"{report.releases_deployed} deployed releases"
    if spec.name == "deployment_frequency":
        df = report.deployment_frequency
        per_week = df.per_week
        value = f"{per_week:.1f} / week" if per_week is not None else "—"
        bucket = df.bucket
        return value, f"{df.count} production deployments" + (f" · {bucket}" if bucket else "")
    if spec.name == "change_failure_rate":
        return fmt_rate(report.change_failure_rate), f"{report.changes_deployed} deployed changes"
    if spec.name == "mttr":
        m = report.mttr_hours
        return fmt_hours(
            m.median
        ), f"median · mean {fmt_hours(m.mean)} · {m.failed_deployments} failed"
    if spec.name == "lead_time":
        return fmt_hours(
            report.lead_time_hours.median
        ), f"median over {report.changes_deployed} changes"
    if spec.name == "on_time_delivery":
        return fmt_rate(report.on_time_delivery), f"{report.releases_deployed} deployed releases"
    a = report.approval_cycle_hours
    return fmt_hours(a.median), f"median over {a.decided} decisions"


def tier_text(spec: KpiSpec, report: kpis.KpiReport) -> str:
    if spec.tier_metric is None:
        return "No DORA tier for this KPI"
    tiers = report.tiers
    year = tiers.report_year
    tier: str | None = getattr(tiers, spec.tier_metric)
    if tier is None:
        return f"DORA {year}: no data to rate"
    reference = tiers.reference[spec.tier_metric][tier]
    return f"DORA {year}: {tier} — {reference}"


def series_values(spec: KpiSpec, report: kpis.KpiReport) -> list[float | None]:
    """The plotted values per period, in the KPI's own unit (rates as fractions, hours)."""
    return [getattr(row, spec.series_key) for row in report.series]


def partial_periods(
    report: kpis.KpiReport, today: dt.date, *, start_given: bool, end_given: bool
) -> list[bool]:
    """For each period of the series: is it counted only in part? The period still running
    today is, and so is one a chosen From or To date cuts. ("earliest"/"latest" start and end
    at the first and last thing recorded: nothing is left out there.)"""
    start, end = report.range.start, report.range.end
    return [
        row.start <= today <= row.end
        or (start_given and start is not None and row.start < start)
        or (end_given and end is not None and row.end > end)
        for row in report.series
    ]


def partial_note(report: kpis.KpiReport, partial: list[bool], today: dt.date) -> str:
    """The chart's footnote for its partial periods, e.g.
    "* partial: 2026-12 (running, to 3 Dec)"."""
    start, end = report.range.start, report.range.end
    parts = []
    for row, cut in zip(report.series, partial, strict=True):
        if not cut:
            continue
        if row.start <= today <= row.end:
            what = f"running, to {today.day} {today:%b}"
        else:
            bits = []
            if start is not None and row.start < start:
                bits.append(f"from {start.day} {start:%b}")
            if end is not None and row.end > end:
                bits.append(f"to {end.day} {end:%b}")
            what = " ".join(bits)
        parts.append(f"{row.period} ({what})")
    return "* partial: " + ", ".join(parts) if parts else ""


def tier_bands(spec: KpiSpec, report_year: int, by: str) -> list[tuple[float, float, str]]:
    """``(low, high, tier)`` bands in the KPI's unit (rates as fractions, hours, deployments per
    period), classified as ``kpis.tier_for`` classifies; tiers with identical limits merge."""
    if spec.tier_metric is None:
        return []
    ref = kpis.DORA_TIERS[report_year][spec.tier_metric]
    bands: list[tuple[float, float, str]] = []
    if spec.tier_metric == "deployment_frequency":
        days = PERIOD_DAYS.get(by, 30.44)
        edges = {
            "daily": (3 * days / 7, math.inf),
            "weekly": (days / 7, 3 * days / 7),
            "monthly": (days / 30.44, days / 7),
            "yearly": (0.0, days / 30.44),
        }
        for bucket in ("yearly", "monthly", "weekly", "daily"):
            lo, hi = edges[bucket]
            tier = ref["by_bucket"].get(bucket)
            if tier is None or hi <= lo:
                continue
            if bands and bands[-1][2] == tier:
                bands[-1] = (bands[-1][0], hi, tier)
            else:
                bands.append((lo, hi, tier))
        return bands
    limits = ref["limits"] if spec.tier_metric == "change_failure_rate" else ref["limits_hours"]
    lo = 0.0
    for tier in kpis.TIER_NAMES:
        hi = float(limits[tier])
        if hi > lo:
            bands.append((lo, hi, tier))
            lo = hi
    return bands
