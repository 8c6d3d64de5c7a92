"""Release-management KPIs (PRODUCT.md §6) with DORA tiers, per period and per application.

Definitions used everywhere (the app, ``relman kpis`` and the KPI workbook's formulas):

- A *deployed* deployment is a production deployment (environment ``production``, any case)
  that finished. It belongs to the period (UTC) of its ``finished_at``.
- A release is *deployed* when it has at least one deployed deployment; it is deployed at the
  ``finished_at`` of its latest one (waves and redeploys included) and counts in that period.
- A deployment *failed* when its outcome is failed or rolled back, it caused incidents, it
  needed a hotfix, or a failure was detected on it.
- Release success rate: deployed releases none of whose production deployments failed ÷
  deployed releases.
- Change failure rate: changes of deployed releases that degraded service (the change caused
  an incident, or its release's production deployment failed) ÷ those changes.
- MTTR (failed deployment recovery time): ``restored_at − failure_detected_at`` over failed
  deployments; mean and median, in hours.
- Lead time for changes: release deployed at − change created at; median, in hours.
- On-time delivery: deployed releases whose deployed date ≤ planned end ÷ deployed releases
  that have a planned end.
- Approval cycle time: ``decided_at − requested_at`` over decided approvals (period of the
  decision); median, in hours.

Records that cannot be counted (no restore time, no creation time, no planned end…) are listed
in ``data_quality`` naming the record — never silently dropped.
"""

from __future__ import annotations

import datetime as dt

from relman_desktop.services.base import Ctx, gc_paused
from relman_desktop.services.kpis.report import (
    DATA_QUALITY_CHECKS,
    DORA_TIERS,
    FAILED_OUTCOMES,
    HOUR,
    INF,
    PERIODS,
    PRODUCTION,
    REPORT_YEARS,
    TIER_NAMES,
    ApprovalCycleHours,
    ApprovalRow,
    ChangeRow,
    DeploymentFrequency,
    DeploymentRow,
    KpiData,
    KpiRange,
    KpiReport,
    KpiTiers,
    LeadTimeHours,
    MttrHours,
    PeriodKpis,
    ReleaseRow,
    _check_args,
    _report,
    compute_from,
    deployment_failed,
    frequency_bucket,
    period_bounds,
    period_of,
    periods_between,
    tier_for,
)
from relman_desktop.services.kpis.rows import collect
from relman_desktop.services.kpis.sql import _NotStoredAsExpected, _SqlKpis

# read from here by tests/test_kpis.py (the SQL reading of stored times, against Python's)
from relman_desktop.services.kpis.sql import _HOUR_US, _us  # noqa: F401  # isort: skip

# The package: report.py (the typed rows, DORA tiers, periods, formulas: ``compute_from``),
# rows.py (``collect``, row by row, any engine) and sql.py (the fast path). ``compute_kpis``
# stays here and calls ``collect`` through this module, as it always did.

__all__ = [
    "ApprovalCycleHours",
    "DeploymentFrequency",
    "KpiRange",
    "KpiReport",
    "KpiTiers",
    "LeadTimeHours",
    "MttrHours",
    "PeriodKpis",
    "ApprovalRow",
    "ChangeRow",
    "DATA_QUALITY_CHECKS",
    "DORA_TIERS",
    "DeploymentRow",
    "FAILED_OUTCOMES",
    "HOUR",
    "INF",
    "KpiData",
    "PERIODS",
    "PRODUCTION",
    "REPORT_YEARS",
    "ReleaseRow",
    "TIER_NAMES",
    "collect",
    "compute_from",
    "compute_kpis",
    "deployment_failed",
    "frequency_bucket",
    "period_bounds",
    "period_of",
    "periods_between",
    "tier_for",
]


def compute_kpis(
    ctx: Ctx,
    *,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    by: str = "month",
    application: str | None = None,
    report_year: int = 2023,
) -> KpiReport:
    """The KPIs of PRODUCT.md §6 over ``start..end`` (inclusive; default: all the data), per
    ``by`` period (week, month, quarter), for one application or all. Rates are fractions
    0..1 and every value is ``None`` when there is nothing to measure.

    The report ``compute_from(collect(...))`` gives, read with SQL aggregates instead of rows
    (see "the KPIs straight from SQL" above)."""
    first, last = _check_args(start, end, by, report_year)
    app_filter = application.strip().lower() if application else None
    try:
        if not ctx.plan.times_as_text:  # the SQL below reads times as SQLite keeps them
            raise _NotStoredAsExpected
        # ~50,000 fetched tuples: the cyclic GC would sweep them (and every other object of
        # the app) again and again while they pile up; reference counting frees them
        with gc_paused(), ctx.read() as s:
            facts = _SqlKpis(s.connection(), first, last, by, app_filter)
            facts.read()
    except _NotStoredAsExpected:
        with gc_paused():
            data = collect(
                ctx, start=start, end=end, by=by, application=application, report_year=report_year
            )
            return compute_from(data)
    days = sorted(facts.days)
    return _report(
        start=first or (dt.date.fromisoformat(days[0]) if days else None),
        end=last or (dt.date.fromisoformat(days[-1]) if days else None),
        by=by,
        application=application,
        report_year=report_year,
        tallies=facts.tallies,
        deploy_days=[dt.date.fromisoformat(day) for day in facts.deploy_days],
        data_quality=facts.data_quality(),
    )
