"""Deployments a CI pipeline reports: a pipeline run imported as a deployment of the release
(``relman import pipeline``), and a deployment started and finished from the command line
(``relman deployment start|finish``), each audited in one transaction.

Split from ``evidence_import``, which re-exports these names (the importers and the CLI call
them from there) and uses :func:`_deployment_snapshot` for incidents and undo.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from relman_desktop.models.entities import Deployment

from .base import Ctx, Tx, ValidationError, operation, release_by_key
from .import_sources import remember_source

RUN_DEPLOYMENT_FIELDS = ("environment", "started_at", "finished_at", "outcome", "url", "source")


def deployment_values(ctx: Ctx, deployment_id: int) -> dict[str, Any] | None:
    with ctx.read() as s:
        d = s.get(Deployment, deployment_id)
        if d is None:
            return None
        row = {n: getattr(d, n) for n in RUN_DEPLOYMENT_FIELDS}
        row["outcome"] = d.outcome.value if d.outcome is not None else None
        return row


def _deployment_snapshot(d: Deployment) -> dict[str, Any]:
    from .evidence import _deployment_view

    return _deployment_view(d) | {"url": d.url, "source": d.source}


def _checked_deployment(values: dict[str, Any]) -> dict[str, Any]:
    from .evidence import _check_deployment, _deployment_values

    plain = _deployment_values({k: v for k, v in values.items() if k not in ("url", "source")})
    _check_deployment(plain)
    for name in ("url", "source"):
        if name in values:
            text = values[name]
            plain[name] = text.strip()[:1000] if isinstance(text, str) and text.strip() else None
    return plain


def record_pipeline_run(
    tx: Tx,
    key: str,
    identity: str,
    label: str,
    values: dict[str, Any],
    deployment_id: int | None = None,
    receipt: dict[str, Any] | None = None,
) -> int:
    """A CI run as a deployment of the release (or the update of the one it made before)."""
    s = tx.session
    rel = release_by_key(s, key)
    if deployment_id is not None:
        dep = s.get(Deployment, deployment_id)
        if dep is None:
            raise ValidationError(f"deployment #{deployment_id} is gone; import the run again")
        before = _deployment_snapshot(dep)
        if receipt is not None:
            receipt["deployments_before"][dep.id] = {n: getattr(dep, n) for n in values}
        merged = {
            n: getattr(dep, n) for n in ("environment", "started_at", "finished_at", "outcome")
        } | values
        checked = _checked_deployment(
            {k: v for k, v in merged.items() if k in RUN_DEPLOYMENT_FIELDS}
        )
        for name in values:
            setattr(dep, name, checked[name])
        s.flush()
        after = _deployment_snapshot(dep)
        changed = sorted(k for k in after if after[k] != before[k])
        tx.audit(
            "deployment",
            dep.id,
            "import_update",
            {k: before[k] for k in changed},
            {k: after[k] for k in changed} | {"run": identity},
            release_key=rel.key,
        )
        return dep.id
    checked = _checked_deployment(values)
    dep = Deployment(incidents=0, hotfix=False, **checked)
    rel.deployments.append(dep)
    s.flush()
    tx.audit(
        "deployment",
        dep.id,
        "import",
        None,
        _deployment_snapshot(dep) | {"run": identity},
        release_key=rel.key,
    )
    remember_source(tx, "pipeline_run", identity, "deployment", dep.id, rel.id, label)
    if receipt is not None:
        receipt["deployments"].append(dep.id)
        receipt["sources"].append(["pipeline_run", identity])
    return dep.id


def _deployment_row(d: Deployment, key: str) -> dict[str, Any]:
    return {
        "id": d.id,
        "release": key,
        "environment": d.environment,
        "wave": d.wave,
        "started_at": d.started_at,
        "finished_at": d.finished_at,
        "outcome": d.outcome.value if d.outcome is not None else None,
        "url": d.url,
        "source": d.source,
    }


@operation
def start_deployment(
    ctx: Ctx,
    key: str,
    environment: str,
    *,
    at: dt.datetime | None = None,
    wave: str | None = None,
    url: str | None = None,
    source: str = "relman cli",
) -> dict[str, Any]:
    """A pipeline starts deploying the release to ``environment`` (now, unless ``at``)."""
    with ctx.write() as tx:
        s = tx.session
        rel = release_by_key(s, key)
        env = (environment or "").strip()
        running = [
            d
            for d in rel.deployments
            if d.environment == env
            and d.finished_at is None
            and d.started_at is not None
            and (d.wave or None) == (wave or None)
        ]
        if running:
            raise ValidationError(
                f"{key} is already being deployed to {env} (started {running[0].started_at:%Y-%m-%d %H:%M} UTC); "
                "finish that deployment first"
            )
        checked = _checked_deployment(
            {
                "environment": env,
                "wave": wave,
                "started_at": at or tx.ctx.now(),
                "url": url,
                "source": source,
            }
        )
        dep = Deployment(incidents=0, hotfix=False, **checked)
        rel.deployments.append(dep)
        s.flush()
        tx.audit(
            "deployment", dep.id, "start", None, _deployment_snapshot(dep), release_key=rel.key
        )
        return _deployment_row(dep, rel.key)


@operation
def finish_deployment(
    ctx: Ctx,
    key: str,
    outcome: str,
    *,
    environment: str | None = None,
    at: dt.datetime | None = None,
) -> dict[str, Any]:
    """The deployment in progress ends (now, unless ``at``) with ``outcome``."""
    with ctx.write() as tx:
        rel = release_by_key(tx.session, key)
        env = (environment or "").strip() or None
        running = [
            d
            for d in rel.deployments
            if d.finished_at is None
            and d.started_at is not None
            and (env is None or d.environment == env)
        ]
        if not running:
            where = f" to {env}" if env else ""
            raise ValidationError(
                f"{key} has no deployment{where} in progress; "
                f"start one with: relman deployment start {key} --env NAME"
            )
        if len(running) > 1:
            envs = ", ".join(
                sorted({d.environment + (f" ({d.wave})" if d.wave else "") for d in running})
            )
            raise ValidationError(
                f"{key} has {len(running)} deployments in progress ({envs}); name one with --env"
            )
        dep = running[0]
        before = _deployment_snapshot(dep)
        merged = {
            "environment": dep.environment,
            "started_at": dep.started_at,
            "finished_at": at or tx.ctx.now(),
            "outcome": outcome,
        }
        checked = _checked_deployment(merged)
        dep.finished_at, dep.outcome = checked["finished_at"], checked["outcome"]
        tx.session.flush()
        after = _deployment_snapshot(dep)
        changed = sorted(k for k in after if after[k] != before[k])
        tx.audit(
            "deployment",
            dep.id,
            "finish",
            {k: before[k] for k in changed},
            {k: after[k] for k in changed},
            release_key=rel.key,
        )
        return _deployment_row(dep, rel.key)
