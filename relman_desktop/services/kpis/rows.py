"""The row-by-row path: ``collect`` reads plain rows with portable SELECTs (any engine, any
way times are stored) into a ``KpiData`` for ``compute_from``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
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
from relman_desktop.services.base import Ctx, gc_paused
from relman_desktop.services.kpis.report import (
    FAILED_OUTCOMES,
    PRODUCTION,
    ApprovalRow,
    ChangeRow,
    DeploymentRow,
    KpiData,
    ReleaseRow,
    _change_issue,
    _check_args,
    _deployment_label,
    _hours,
    _is_production,
    _no_planned_end_issue,
    _no_requested_issue,
    _no_restore_issue,
    _unfinished_issue,
    period_of,
)

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
