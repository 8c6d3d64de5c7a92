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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, String, func, select, type_coerce

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
    return _deployment_label(release_key, d[_D_ENV], d[_D_ID], d[_D_WAVE])


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
                        issue(_unfinished_issue(_dep_label(rel_key, d)))
                    continue
                finished.append(d)
                if not in_range(finished_at):
                    continue
                failed = _row_failed(d)
                detected, restored = d[_D_DETECTED], d[_D_RESTORED]
                restore = _hours(restored, detected) if failed else None
                if failed and (detected is None or restored is None):
                    issue(
                        _no_restore_issue(
                            _dep_label(rel_key, d), detected is None, restored is None
                        )
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
                        issue(_no_planned_end_issue(rel_key))
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
                    issue(_no_requested_issue(rel_key, stage, approver))
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
            issue(_change_issue(key, rel_key, created=False))
        elif lead is not None and lead < 0:
            issue(_change_issue(key, rel_key, created=True))
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
) -> dict[str, Any]:
    """The KPI report from the tallies of each period (by label) over ``start..end``."""
    total = _Tally()
    for tally in tallies.values():
        total.add(tally)
    overall = total.metrics()
    series: list[dict[str, Any]] = []
    if start is not None and end is not None:
        empty = _Tally()
        for label, first, last in periods_between(start, end, by):
            m = tallies.get(label, empty).metrics()
            series.append({"period": label, "start": first, "end": last, **m})
        freq = frequency_bucket(deploy_days, start, end)
        weeks = ((end - start).days + 1) / 7
    else:
        freq = {"bucket": None, "median_days_per_week": None, "median_days_per_month": None}
        weeks = 0
    deployment_frequency = {
        "count": overall["deployments"],
        "per_week": overall["deployments"] / weeks if weeks else None,
        **freq,
    }
    tiers = {
        "report_year": report_year,
        "deployment_frequency": tier_for(report_year, "deployment_frequency", freq["bucket"]),
        "lead_time": tier_for(report_year, "lead_time", overall["lead_time_hours_median"]),
        "mttr": tier_for(report_year, "mttr", overall["mttr_hours_median"]),
        "change_failure_rate": tier_for(
            report_year, "change_failure_rate", overall["change_failure_rate"]
        ),
        "reference": {metric: ref["text"] for metric, ref in DORA_TIERS[report_year].items()},
    }
    return {
        "range": {"start": start, "end": end},
        "by": by,
        "application": application,
        "report_year": report_year,
        "release_success_rate": overall["release_success_rate"],
        "releases_deployed": overall["releases_deployed"],
        "deployment_frequency": deployment_frequency,
        "change_failure_rate": overall["change_failure_rate"],
        "changes_deployed": overall["changes_deployed"],
        "mttr_hours": {
            "mean": overall["mttr_hours_mean"],
            "median": overall["mttr_hours_median"],
            "failed_deployments": overall["failed_deployments"],
        },
        "lead_time_hours": {"median": overall["lead_time_hours_median"]},
        "on_time_delivery": overall["on_time_delivery"],
        "approval_cycle_hours": {
            "median": overall["approval_cycle_hours_median"],
            "decided": total.approvals,
        },
        "series": series,
        "data_quality": list(data_quality),
        "tiers": tiers,
    }


def compute_from(data: KpiData) -> dict[str, Any]:
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


# --- the KPIs straight from SQL -------------------------------------------------------------------
#
# ``compute_kpis`` builds none of ``collect``'s row objects: SQLite counts per UTC day and works
# out each duration as a whole number of microseconds; Python maps each day to its period and
# turns microseconds into hours as ``(later - earlier) / HOUR`` does (one correctly rounded
# integer division), so every value is the one ``compute_from(collect(...))`` gives, bit for
# bit (tests/test_kpis.py compares the two on generated plans). Only durations (for medians and
# means), per-day counts and the records named in ``data_quality`` leave SQLite.
#
# The SQL reads times as stored: SQLAlchemy writes naive UTC as ``YYYY-MM-DD HH:MM:SS.ffffff``,
# so the first ten characters are the UTC day and text order is time order. A time stored any
# other way (a plan edited with another tool) sends the call back to ``collect``, and so does a
# plan whose times are not stored as text at all (a server plan: ``Database.times_as_text``),
# where ``collect``'s portable SELECTs give the same report (tests/test_engines.py compares them).

_HOUR_US = 3_600_000_000  # HOUR in microseconds
_STORED_TIME = "2026-11-27 09:00:00.000000"


def _odd(column: str, *, ordered: bool = False) -> str:
    """SQL: true when a stored time is not as SQLAlchemy writes it (NULL when there is none).
    Its length is enough where only the day and ``_us`` are read (``julianday`` takes a ``T``
    too); where text order stands for time order (``ordered``), the separator counts as well."""
    test = f"length({column}) <> {len(_STORED_TIME)}"
    return f"({test} OR substr({column}, 11, 1) <> ' ')" if ordered else f"({test})"


def _us(column: str) -> str:
    """SQL: a stored time in whole microseconds (NULL when there is none). ``julianday`` of the
    time up to its seconds is a whole number of milliseconds divided by 86,400,000 in a double,
    so multiplying back and rounding is exact; the microseconds are the digits after the dot."""
    return (
        f"(CAST(round(julianday(substr({column}, 1, 19)) * 86400000) AS INTEGER) * 1000"
        f" + CAST(substr({column}, 21) AS INTEGER))"
    )


# ``deployment_failed`` for the deployment ``d``, as 0 or 1
_FAILED_SQL = (
    "(CASE WHEN d.outcome IN ({outcomes}) OR coalesce(d.incidents, 0) > 0"
    " OR coalesce(d.hotfix, 0) <> 0 OR d.failure_detected_at IS NOT NULL THEN 1 ELSE 0 END)"
).format(outcomes=", ".join(f"'{word}'" for word in sorted(_FAILED_WORDS)))


class _NotStoredAsExpected(Exception):
    """A time the SQL cannot read as it is: ``compute_kpis`` falls back to ``collect``."""


def _marks(values: list[Any]) -> str:
    return ", ".join("?" * len(values))


class _SqlKpis:
    """The tallies, deployment days and data-quality notes of ``compute_kpis``, read with a few
    SQL statements (see "the KPIs straight from SQL" above)."""

    def __init__(
        self,
        conn: Connection,
        first: dt.date | None,
        last: dt.date | None,
        by: str,
        app: str | None,
    ) -> None:
        self.conn = conn
        self.by = by
        self.first = None if first is None else first.isoformat()
        self.last = None if last is None else last.isoformat()
        self.tallies: dict[str, _Tally] = {}
        self._tally_of_day: dict[str, _Tally] = {}
        self.days: set[str] = set()  # days with a counted deployment, release or approval
        self.deploy_days: set[str] = set()
        # (release key, part, order in the part, note): sorted, the order ``collect`` lists
        # them in — per release its deployments, the release, its changes, its approvals
        self.notes: list[tuple[str, int, Any, dict[str, str]]] = []

        # environments and applications are matched in Python, exactly as ``collect`` does
        # (SQL lower() and trim() fold fewer letters and spaces); SQL gets the exact names.
        # Every query joins the release (``r``) as ``collect`` does: a record of a release
        # that is gone (deleted with foreign keys off) counts nowhere.
        environments = self._run("SELECT DISTINCT environment FROM deployments")
        self.production = [env for (env,) in environments if _is_production(env)]
        self.scope, self.scope_params = "", []
        if app is not None:
            names = [
                name
                for (name,) in self._run("SELECT DISTINCT application FROM releases")
                if (name or "").strip().lower() == app
            ]
            self.scope_params = [name for name in names if name is not None]
            test = f"r.application IN ({_marks(self.scope_params)})"
            if None in names:  # a blank filter: the releases with no application
                test += " OR r.application IS NULL"
            self.scope = f"AND ({test})"

    def _run(self, sql: str, params: list[Any] | None = None) -> Sequence[Any]:
        # driver SQL: no type processing, every value a plain int, str or None
        return self.conn.exec_driver_sql(sql, tuple(params or ())).fetchall()

    def _within(self, day: str) -> tuple[str, list[str]]:
        """SQL: ``day`` (a ``YYYY-MM-DD`` expression) lies in the range; and its parameters."""
        tests, params = ["1"], []
        if self.first is not None:
            tests.append(f"{day} >= ?")
            params.append(self.first)
        if self.last is not None:
            tests.append(f"{day} <= ?")
            params.append(self.last)
        return " AND ".join(tests), params

    def _tally(self, day: str) -> _Tally:
        """The tally of the period holding ``day``."""
        tally = self._tally_of_day.get(day)
        if tally is None:
            label = period_of(dt.date.fromisoformat(day), self.by)
            tally = self._tally_of_day[day] = self.tallies.setdefault(label, _Tally())
            self.days.add(day)
        return tally

    def read(self) -> None:
        self._deployments()
        deployed, params = self._deployed()
        self._releases(deployed, params)
        self._changes(deployed, params)
        self._approvals()

    def _production(self) -> tuple[str, list[Any]]:
        """SQL: the production deployments ``d`` of the releases ``r`` in scope."""
        return (
            f"""deployments AS d JOIN releases AS r ON r.id = d.release_id
                WHERE d.environment IN ({_marks(self.production)}) {self.scope}""",
            [*self.production, *self.scope_params],
        )

    def _deployments(self) -> None:
        production, params = self._production()
        # every day with finished production deployments, in range or not: a release is
        # deployed when its latest one finished, so all their times are checked here
        for day, count, failed, odd in self._run(
            f"""SELECT substr(d.finished_at, 1, 10), count(*), sum({_FAILED_SQL}),
                       max({_odd("d.finished_at", ordered=True)})
                FROM {production} AND d.finished_at IS NOT NULL
                GROUP BY 1""",
            params,
        ):
            if odd:
                raise _NotStoredAsExpected
            if (self.first is None or day >= self.first) and (
                self.last is None or day <= self.last
            ):
                tally = self._tally(day)
                tally.deployments += count
                tally.failed_deployments += failed
                self.deploy_days.add(day)

        # failed deployments in range (their recovery), and unfinished ones with an outcome
        within, within_params = self._within("substr(d.finished_at, 1, 10)")
        rows = self._run(
            f"""SELECT r.key, d.environment, d.id, d.wave, substr(d.finished_at, 1, 10),
                       {_us("d.restored_at")} - {_us("d.failure_detected_at")},
                       d.failure_detected_at IS NULL, d.restored_at IS NULL,
                       coalesce({_odd("d.failure_detected_at")} OR {_odd("d.restored_at")}, 0)
                FROM {production}
                  AND CASE WHEN d.finished_at IS NULL
                           THEN d.outcome IS NOT NULL OR d.restored_at IS NOT NULL
                           ELSE {_FAILED_SQL} = 1 AND {within} END
                ORDER BY r.key, d.started_at, d.id""",
            params + within_params,
        )
        for n, row in enumerate(rows):
            rel_key, env, dep_id, wave, day, restore_us, no_detected, no_restored, odd = row
            if odd:
                raise _NotStoredAsExpected
            if day is None:
                label = _deployment_label(rel_key, env, dep_id, wave)
                self.notes.append((rel_key, 0, n, _unfinished_issue(label)))
            elif restore_us is None:
                label = _deployment_label(rel_key, env, dep_id, wave)
                issue = _no_restore_issue(label, bool(no_detected), bool(no_restored))
                self.notes.append((rel_key, 0, n, issue))
            else:
                self._tally(day).restore_hours.append(restore_us / _HOUR_US)

    def _deployed(self) -> tuple[str, list[Any]]:
        """SQL: the releases deployed in range (CTE ``deployed``): when their latest finished
        production deployment finished, and whether any of those deployments failed."""
        production, params = self._production()
        within, within_params = self._within("substr(deployed_at, 1, 10)")
        sql = f"""deployed AS (
                SELECT release_id, deployed_at, failed FROM (
                    SELECT d.release_id, max(d.finished_at) AS deployed_at,
                           max({_FAILED_SQL}) AS failed
                    FROM {production} AND d.finished_at IS NOT NULL
                    GROUP BY d.release_id)
                WHERE {within})"""
        return sql, params + within_params

    def _releases(self, deployed: str, params: list[Any]) -> None:
        no_planned_end = 0
        for day, count, failed, planned, on_time, odd in self._run(
            f"""WITH {deployed}
                SELECT substr(x.deployed_at, 1, 10), count(*), sum(x.failed),
                       count(r.planned_end),
                       count(CASE WHEN substr(x.deployed_at, 1, 10) <= r.planned_end THEN 1 END),
                       max(length(r.planned_end) <> 10)
                FROM deployed AS x JOIN releases AS r ON r.id = x.release_id
                GROUP BY 1""",
            params,
        ):
            if odd:
                raise _NotStoredAsExpected
            tally = self._tally(day)
            tally.releases += count
            tally.succeeded += count - failed
            tally.with_planned_end += planned
            tally.on_time += on_time
            no_planned_end += count - planned
        if no_planned_end:
            for (rel_key,) in self._run(
                f"""WITH {deployed}
                    SELECT r.key FROM deployed AS x JOIN releases AS r ON r.id = x.release_id
                    WHERE r.planned_end IS NULL""",
                params,
            ):
                self.notes.append((rel_key, 1, 0, _no_planned_end_issue(rel_key)))

    def _changes(self, deployed: str, params: list[Any]) -> None:
        rows = self._run(
            f"""WITH {deployed}
                SELECT substr(x.deployed_at, 1, 10),
                       CASE WHEN x.failed = 1 OR coalesce(c.caused_incident, 0) <> 0
                            THEN 1 ELSE 0 END,
                       {_us("x.deployed_at")} - {_us("c.created_at")},
                       coalesce({_odd("c.created_at")}, 0)
                FROM deployed AS x JOIN changes AS c ON c.release_id = x.release_id""",
            params,
        )
        left_out = 0
        tally_of_day = self._tally_of_day
        for day, failed, lead_us, odd in rows:
            if odd:
                raise _NotStoredAsExpected
            tally = tally_of_day.get(day) or self._tally(day)
            tally.changes += 1
            tally.failed_changes += failed
            if lead_us is None or lead_us < 0:
                left_out += 1
            else:
                tally.lead_time_hours.append(lead_us / _HOUR_US)
        if left_out:
            for rel_key, change_key, created in self._run(
                f"""WITH {deployed}
                    SELECT r.key, c.key, c.created_at IS NOT NULL
                    FROM deployed AS x JOIN changes AS c ON c.release_id = x.release_id
                         JOIN releases AS r ON r.id = x.release_id
                    WHERE c.created_at IS NULL
                       OR {_us("c.created_at")} > {_us("x.deployed_at")}""",
                params,
            ):
                issue = _change_issue(change_key, rel_key, created=bool(created))
                self.notes.append((rel_key, 2, change_key, issue))

    def _approvals(self) -> None:
        within, params = self._within("substr(a.decided_at, 1, 10)")
        decided = f"""FROM approvals AS a JOIN approval_stages AS st ON st.id = a.stage_id
                      JOIN releases AS r ON r.id = st.release_id
                      JOIN people AS p ON p.id = a.approver_id
                      WHERE a.decided_at IS NOT NULL {self.scope} AND {within}"""
        params = [*self.scope_params, *params]
        rows = self._run(
            f"""SELECT substr(a.decided_at, 1, 10),
                       {_us("a.decided_at")} - {_us("a.requested_at")},
                       coalesce({_odd("a.decided_at")} OR {_odd("a.requested_at")}, 0)
                {decided}""",
            params,
        )
        no_requested = 0
        tally_of_day = self._tally_of_day
        for day, cycle_us, odd in rows:
            if odd:
                raise _NotStoredAsExpected
            tally = tally_of_day.get(day) or self._tally(day)
            tally.approvals += 1
            if cycle_us is None:
                no_requested += 1
            else:
                tally.cycle_hours.append(cycle_us / _HOUR_US)
        if no_requested:
            rows = self._run(
                f"""SELECT r.key, st.name, p.name {decided} AND a.requested_at IS NULL
                    ORDER BY r.key, st.position, st.id, a.id""",
                params,
            )
            for n, (rel_key, stage, approver) in enumerate(rows):
                self.notes.append((rel_key, 3, n, _no_requested_issue(rel_key, stage, approver)))

    def data_quality(self) -> list[dict[str, str]]:
        self.notes.sort(key=lambda note: note[:3])
        return [note[3] for note in self.notes]


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
