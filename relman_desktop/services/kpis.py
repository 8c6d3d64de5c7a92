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
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, func, select, type_coerce

from relman_desktop.models.entities import (
    Approval,
    ApprovalStage,
    Change,
    Deployment,
    Person,
    Release,
)
from relman_desktop.models.enums import Outcome

from .base import Ctx, ValidationError, gc_paused

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
#         medium 1 day–1 week, low 1–6 months; change failure rate (cluster medians)
#         elite 5 %, high 10 %, medium 15 %, low 64 %.
#   (Cross-checked against Apache DevLake's DORA metric pages, which quote the 2021 and 2023
#   tables.)
#
# Classifying a measured value: the best tier (elite first) whose published range holds it.
# Time limits are "less than" upper bounds in hours (a value in a gap between published
# ranges falls to the next tier down); change failure rate limits are inclusive fractions
# (2023 publishes cluster medians, used here as upper bounds). Deployment frequency is
# classified from its bucket (daily/weekly/monthly/yearly, see ``frequency_bucket``).

TIER_NAMES = ("elite", "high", "medium", "low")
DAY, WEEK, MONTH, SIX_MONTHS = 24.0, 168.0, 720.0, 4380.0
INF = float("inf")

DORA_TIERS: dict[int, dict[str, Any]] = {
    2019: {
        "deployment_frequency": {
            "text": {
                "elite": "on demand (multiple deploys per day)",
                "high": "between once per day and once per week",
                "medium": "between once per week and once per month",
                "low": "between once per month and once every six months",
            },
            "by_bucket": {"daily": "elite", "weekly": "high", "monthly": "medium", "yearly": "low"},
        },
        "lead_time": {
            "text": {
                "elite": "less than one day",
                "high": "between one day and one week",
                "medium": "between one week and one month",
                "low": "between one month and six months",
            },
            "limits_hours": {"elite": DAY, "high": WEEK, "medium": MONTH, "low": INF},
        },
        "mttr": {
            "text": {
                "elite": "less than one hour",
                "high": "less than one day",
                "medium": "less than one day",
                "low": "between one week and one month",
            },
            "limits_hours": {"elite": 1.0, "high": DAY, "medium": DAY, "low": INF},
        },
        "change_failure_rate": {
            "text": {"elite": "0–15 %", "high": "0–15 %", "medium": "0–15 %", "low": "46–60 %"},
            "limits": {"elite": 0.15, "high": 0.15, "medium": 0.15, "low": 1.0},
        },
    },
    2021: {
        "deployment_frequency": {
            "text": {
                "elite": "on demand (multiple deploys per day)",
                "high": "between once per week and once per month",
                "medium": "between once per month and once every six months",
                "low": "fewer than once per six months",
            },
            "by_bucket": {
                "daily": "elite",
                "weekly": "high",
                "monthly": "high",
                "yearly": "medium",
            },
        },
        "lead_time": {
            "text": {
                "elite": "less than one hour",
                "high": "between one day and one week",
                "medium": "between one month and six months",
                "low": "more than six months",
            },
            "limits_hours": {"elite": 1.0, "high": WEEK, "medium": SIX_MONTHS, "low": INF},
        },
        "mttr": {
            "text": {
                "elite": "less than one hour",
                "high": "less than one day",
                "medium": "between one day and one week",
                "low": "more than six months",
            },
            "limits_hours": {"elite": 1.0, "high": DAY, "medium": WEEK, "low": INF},
        },
        "change_failure_rate": {
            "text": {"elite": "0–15 %", "high": "16–30 %", "medium": "16–30 %", "low": "16–30 %"},
            "limits": {"elite": 0.15, "high": 0.30, "medium": 0.30, "low": 1.0},
        },
    },
    2023: {
        "deployment_frequency": {
            "text": {
                "elite": "on demand",
                "high": "between once per day and once per week",
                "medium": "between once per week and once per month",
                "low": "between once per week and once per month",
            },
            "by_bucket": {"daily": "elite", "weekly": "high", "monthly": "medium", "yearly": "low"},
        },
        "lead_time": {
            "text": {
                "elite": "less than one day",
                "high": "between one day and one week",
                "medium": "between one week and one month",
                "low": "between one week and one month",
            },
            "limits_hours": {"elite": DAY, "high": WEEK, "medium": MONTH, "low": INF},
        },
        "mttr": {
            "text": {
                "elite": "less than one hour",
                "high": "less than one day",
                "medium": "between one day and one week",
                "low": "between one month and six months",
            },
            "limits_hours": {"elite": 1.0, "high": DAY, "medium": WEEK, "low": INF},
        },
        "change_failure_rate": {
            "text": {"elite": "5 %", "high": "10 %", "medium": "15 %", "low": "64 %"},
            "limits": {"elite": 0.05, "high": 0.10, "medium": 0.15, "low": 1.0},
        },
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
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(
            f"{what} date {value!r} is not a date like 2026-11-30", field=what
        ) from None


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


# Plain rows read by ``collect`` (positions in the SELECTs below): no ORM entities, no
# relationship loading: 10,000 releases are ~100,000 rows, and entities cost 20× more.
_D_REL, _D_ID, _D_ENV, _D_WAVE, _D_STARTED, _D_FINISHED, _D_OUTCOME = range(7)
_D_INCIDENTS, _D_HOTFIX, _D_DETECTED, _D_RESTORED = range(7, 11)
_FAILED_WORDS = frozenset(o.value for o in FAILED_OUTCOMES)


def _row_failed(d: Any) -> bool:
    """``deployment_failed`` for a deployment row of ``_read_rows``."""
    return (
        d[_D_OUTCOME] in _FAILED_WORDS
        or (d[_D_INCIDENTS] or 0) > 0
        or bool(d[_D_HOTFIX])
        or d[_D_DETECTED] is not None
    )


def _dep_label(release_key: str, d: Any) -> str:
    wave = f", wave {d[_D_WAVE]}" if d[_D_WAVE] else ""
    return f"{release_key} {d[_D_ENV]} deployment #{d[_D_ID]}{wave}"


def _grouped(rows: Iterable[Any], wanted: set[int] | None) -> dict[int, list[Any]]:
    """Rows whose first column is a release id, grouped by it (in the order read)."""
    out: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        if wanted is None or row[0] in wanted:
            out[row[0]].append(row)
    return out


def _read_rows(
    conn: Any, app_filter: str | None
) -> tuple[list[Any], dict[int, list[Any]], dict[int, list[Any]], dict[int, list[Any]]]:
    """Releases (by key) and, per release id, their production deployments (by start time),
    changes (by key) and decided approvals (by stage position, then approval): plain columns,
    enums as their words, times as the column types give them (aware UTC)."""
    rels = [
        r
        for r in conn.execute(
            select(
                Release.id, Release.key, Release.title, Release.application, Release.planned_end
            ).order_by(Release.key)
        ).all()
        if app_filter is None or (r[3] or "").strip().lower() == app_filter
    ]
    wanted = None if app_filter is None else {r[0] for r in rels}
    deployments = _grouped(
        (
            d
            for d in conn.execute(
                select(
                    Deployment.release_id,
                    Deployment.id,
                    Deployment.environment,
                    Deployment.wave,
                    Deployment.started_at,
                    Deployment.finished_at,
                    type_coerce(Deployment.outcome, String),
                    Deployment.incidents,
                    Deployment.hotfix,
                    Deployment.failure_detected_at,
                    Deployment.restored_at,
                )
                # a superset of the production rows (SQL lower() folds at least ASCII, and no
                # other letter lowercases into these); the exact test is ``_is_production``
                .where(func.lower(Deployment.environment).contains(PRODUCTION))
                .order_by(Deployment.release_id, Deployment.started_at, Deployment.id)
            ).all()
            if _is_production(d[_D_ENV])
        ),
        wanted,
    )
    changes = _grouped(
        conn.execute(
            select(
                Change.release_id,
                Change.key,
                Change.title,
                type_coerce(Change.category, String),
                Change.created_at,
                Change.caused_incident,
            )
            .where(Change.release_id.is_not(None))
            .order_by(Change.release_id, Change.key)
        ).all(),
        wanted,
    )
    approvals = _grouped(
        conn.execute(
            select(
                ApprovalStage.release_id,
                ApprovalStage.name,
                Person.name,
                type_coerce(Approval.decision, String),
                Approval.requested_at,
                Approval.decided_at,
            )
            .join(ApprovalStage, Approval.stage_id == ApprovalStage.id)
            .join(Person, Approval.approver_id == Person.id)
            .where(Approval.decided_at.is_not(None))
            .order_by(
                ApprovalStage.release_id, ApprovalStage.position, ApprovalStage.id, Approval.id
            )
        ).all(),
        wanted,
    )
    return rels, deployments, changes, approvals


def collect(
    ctx: Ctx,
    *,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    by: str = "month",
    application: str | None = None,
    report_year: int = 2023,
) -> KpiData:
    """The raw rows behind the KPIs: in ``start..end`` (inclusive, UTC dates) and, when given,
    for one application (case-insensitive)."""
    first, last = _check_args(start, end, by, report_year)
    data = KpiData(first, last, by, application, report_year)
    app_filter = application.strip().lower() if application else None

    def in_range(moment: dt.datetime) -> bool:
        day = moment.date()
        return (first is None or day >= first) and (last is None or day <= last)

    periods: dict[dt.date, str] = {}

    def period(moment: dt.datetime) -> str:
        day = moment.date()
        label = periods.get(day)
        if label is None:
            label = periods[day] = period_of(day, by)
        return label

    issue = data.data_quality.append
    # ~100,000 rows and ~70,000 row objects with no reference cycles: the cyclic GC's sweeps
    # while they pile up would cost as much as building them
    with gc_paused():
        with ctx.read() as s:
            # Core rows straight off the connection: no ORM loading step for plain columns
            rels, deployments_of, changes_of, approvals_of = _read_rows(s.connection(), app_filter)
        no_rows: list[Any] = []
        for rel_id, rel_key, rel_title, rel_app, rel_planned_end in rels:
            prod = deployments_of.get(rel_id, no_rows)
            finished = []
            for d in prod:
                finished_at = d[_D_FINISHED]
                if finished_at is None:
                    if d[_D_OUTCOME] is not None or d[_D_RESTORED] is not None:
                        issue(
                            {
                                "kind": "deployment",
                                "record": _dep_label(rel_key, d),
                                "kpi": "deployment_frequency",
                                "issue": "production deployment has an outcome but no finish time: not counted",
                            }
                        )
                    continue
                finished.append(d)
                if not in_range(finished_at):
                    continue
                failed = _row_failed(d)
                detected, restored = d[_D_DETECTED], d[_D_RESTORED]
                restore = _hours(restored, detected) if failed else None
                if failed and (detected is None or restored is None):
                    missing = " and ".join(
                        w
                        for w, v in (("failure detected", detected), ("restored", restored))
                        if v is None
                    )
                    issue(
                        {
                            "kind": "deployment",
                            "record": _dep_label(rel_key, d),
                            "kpi": "mttr",
                            "issue": f"failed deployment has no {missing} time: left out of MTTR",
                        }
                    )
                data.deployments.append(
                    DeploymentRow(
                        id=d[_D_ID],
                        release_key=rel_key,
                        application=rel_app,
                        environment=d[_D_ENV],
                        wave=d[_D_WAVE],
                        started_at=d[_D_STARTED],
                        finished_at=finished_at,
                        outcome=d[_D_OUTCOME],
                        incidents=d[_D_INCIDENTS] or 0,
                        hotfix=bool(d[_D_HOTFIX]),
                        failure_detected_at=detected,
                        restored_at=restored,
                        period=period(finished_at),
                        failed=failed,
                        restore_hours=restore,
                    )
                )

            if finished:
                deployed_at = max(d[_D_FINISHED] for d in finished)
                if in_range(deployed_at):
                    failed_count = sum(1 for d in finished if _row_failed(d))
                    on_time = (
                        None if rel_planned_end is None else deployed_at.date() <= rel_planned_end
                    )
                    if rel_planned_end is None:
                        issue(
                            {
                                "kind": "release",
                                "record": rel_key,
                                "kpi": "on_time_delivery",
                                "issue": "deployed release has no planned end: left out of on-time delivery",
                            }
                        )
                    rel_period = period(deployed_at)
                    data.releases.append(
                        ReleaseRow(
                            key=rel_key,
                            title=rel_title,
                            application=rel_app,
                            planned_end=rel_planned_end,
                            deployed_at=deployed_at,
                            period=rel_period,
                            production_deployments=len(finished),
                            failed_deployments=failed_count,
                            succeeded=failed_count == 0,
                            on_time=on_time,
                        )
                    )
                    _collect_changes(
                        data,
                        changes_of.get(rel_id, no_rows),
                        rel_key,
                        rel_app,
                        deployed_at,
                        rel_period,
                        failed_count > 0,
                        issue,
                    )

            for _, stage, approver, decision, requested_at, decided_at in approvals_of.get(
                rel_id, no_rows
            ):
                if not in_range(decided_at):
                    continue
                if requested_at is None:
                    issue(
                        {
                            "kind": "approval",
                            "record": f"{rel_key} {stage}: {approver}",
                            "kpi": "approval_cycle_time",
                            "issue": "decided approval has no requested time: left out of the cycle time",
                        }
                    )
                data.approvals.append(
                    ApprovalRow(
                        release_key=rel_key,
                        application=rel_app,
                        stage=stage,
                        approver=approver,
                        decision=decision,
                        requested_at=requested_at,
                        decided_at=decided_at,
                        period=period(decided_at),
                        cycle_hours=_hours(decided_at, requested_at),
                    )
                )
        data.deployments.sort(key=lambda r: (r.finished_at, r.id))
        data.releases.sort(key=lambda r: (r.deployed_at, r.key))
        data.changes.sort(key=lambda r: (r.deployed_at, r.key))
        data.approvals.sort(key=lambda r: (r.decided_at, r.release_key, r.stage, r.approver))
    return data


def _collect_changes(
    data: KpiData,
    changes: list[Any],
    rel_key: str,
    rel_app: str | None,
    deployed_at: dt.datetime,
    period: str,
    release_failed: bool,
    issue: Any,
) -> None:
    for _, key, title, category, created_at, caused_incident in changes:
        lead = _hours(deployed_at, created_at)
        if created_at is None:
            issue(
                {
                    "kind": "change",
                    "record": f"{key} ({rel_key})",
                    "kpi": "lead_time",
                    "issue": "deployed change has no created/committed time: left out of lead time",
                }
            )
        elif lead is not None and lead < 0:
            issue(
                {
                    "kind": "change",
                    "record": f"{key} ({rel_key})",
                    "kpi": "lead_time",
                    "issue": "change was created after its release was deployed: left out of lead time",
                }
            )
            lead = None
        data.changes.append(
            ChangeRow(
                key=key,
                title=title,
                category=category,
                release_key=rel_key,
                application=rel_app,
                created_at=created_at,
                deployed_at=deployed_at,
                period=period,
                caused_incident=bool(caused_incident),
                release_failed=release_failed,
                failed=bool(caused_incident) or release_failed,
                lead_time_hours=lead,
            )
        )


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


def _metrics(
    deployments: list[DeploymentRow],
    releases: list[ReleaseRow],
    changes: list[ChangeRow],
    approvals: list[ApprovalRow],
) -> dict[str, Any]:
    restore = [d.restore_hours for d in deployments if d.failed]
    on_time = [r.on_time for r in releases if r.on_time is not None]
    return {
        "deployments": len(deployments),
        "releases_deployed": len(releases),
        "release_success_rate": _ratio(sum(r.succeeded for r in releases), len(releases)),
        "changes_deployed": len(changes),
        "change_failure_rate": _ratio(sum(c.failed for c in changes), len(changes)),
        "failed_deployments": sum(d.failed for d in deployments),
        "mttr_hours_mean": _mean(restore),
        "mttr_hours_median": _median(restore),
        "lead_time_hours_median": _median(c.lead_time_hours for c in changes),
        "on_time_delivery": _ratio(sum(on_time), len(on_time)),
        "approval_cycle_hours_median": _median(a.cycle_hours for a in approvals),
    }


def compute_from(data: KpiData) -> dict[str, Any]:
    """The KPI report for already collected rows (see ``compute_kpis``)."""
    moments = [d.finished_at.date() for d in data.deployments] + [
        a.decided_at.date() for a in data.approvals
    ]
    moments += [r.deployed_at.date() for r in data.releases]
    start = data.start or (min(moments) if moments else None)
    end = data.end or (max(moments) if moments else None)

    total = _metrics(data.deployments, data.releases, data.changes, data.approvals)
    series: list[dict[str, Any]] = []
    if start is not None and end is not None:
        groups: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for name, rows in (
            ("deployments", data.deployments),
            ("releases", data.releases),
            ("changes", data.changes),
            ("approvals", data.approvals),
        ):
            for row in rows:
                groups[row.period][name].append(row)
        for label, first, last in periods_between(start, end, data.by):
            g = groups.get(label, {})
            m = _metrics(
                g.get("deployments", []),
                g.get("releases", []),
                g.get("changes", []),
                g.get("approvals", []),
            )
            series.append({"period": label, "start": first, "end": last, **m})

    if start is not None and end is not None:
        freq = frequency_bucket((d.finished_at.date() for d in data.deployments), start, end)
        weeks = ((end - start).days + 1) / 7
    else:
        freq = {"bucket": None, "median_days_per_week": None, "median_days_per_month": None}
        weeks = 0
    deployment_frequency = {
        "count": total["deployments"],
        "per_week": total["deployments"] / weeks if weeks else None,
        **freq,
    }
    year = data.report_year
    tiers = {
        "report_year": year,
        "deployment_frequency": tier_for(year, "deployment_frequency", freq["bucket"]),
        "lead_time": tier_for(year, "lead_time", total["lead_time_hours_median"]),
        "mttr": tier_for(year, "mttr", total["mttr_hours_median"]),
        "change_failure_rate": tier_for(year, "change_failure_rate", total["change_failure_rate"]),
        "reference": {metric: ref["text"] for metric, ref in DORA_TIERS[year].items()},
    }
    return {
        "range": {"start": start, "end": end},
        "by": data.by,
        "application": data.application,
        "report_year": year,
        "release_success_rate": total["release_success_rate"],
        "releases_deployed": total["releases_deployed"],
        "deployment_frequency": deployment_frequency,
        "change_failure_rate": total["change_failure_rate"],
        "changes_deployed": total["changes_deployed"],
        "mttr_hours": {
            "mean": total["mttr_hours_mean"],
            "median": total["mttr_hours_median"],
            "failed_deployments": total["failed_deployments"],
        },
        "lead_time_hours": {"median": total["lead_time_hours_median"]},
        "on_time_delivery": total["on_time_delivery"],
        "approval_cycle_hours": {
            "median": total["approval_cycle_hours_median"],
            "decided": len(data.approvals),
        },
        "series": series,
        "data_quality": list(data.data_quality),
        "tiers": tiers,
    }


def compute_kpis(
    ctx: Ctx,
    *,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    by: str = "month",
    application: str | None = None,
    report_year: int = 2023,
) -> dict[str, Any]:
    """The KPIs of PRODUCT.md §6 over ``start..end`` (inclusive; default: all the data), per
    ``by`` period (week, month, quarter), for one application or all. Rates are fractions
    0..1 and every value is ``None`` when there is nothing to measure."""
    # ~70,000 row objects with no reference cycles, read and grouped per period: paused over
    # both steps, the cyclic GC never sweeps them (they are freed by reference counting)
    with gc_paused():
        return compute_from(
            collect(
                ctx, start=start, end=end, by=by, application=application, report_year=report_year
            )
        )
