"""Recording what the toolchain left behind (test reports, git history, pipeline runs,
incidents) as release evidence: each import lands in ONE transaction, audited, and is
idempotent by the source's own identity (a report file's sha256, a commit sha, a CI run id,
an incident id), kept in ``imported_sources`` (test runs carry their file's sha256 directly).

The importers (``relman_desktop/importers/``) read and validate the files and build the
preview; these functions take the plain data they produce and write it.

What lives where: this module holds the receipt, test runs, git history, incidents and the
undo of an import (:func:`revert_import`); the ``imported_sources`` book is in
``import_sources`` and pipeline runs and deployments started/finished from the command line
are in ``deployment_runs``. The names callers use from there are re-exported here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    Change,
    Deployment,
    ImportedSource,
    Incident,
    Release,
    TestRun,
)

from . import rules
from .base import Ctx, Tx, ValidationError, operation, release_by_key
from .deployment_runs import (
    _deployment_snapshot,
    deployment_values,
    finish_deployment,
    record_pipeline_run,
    start_deployment,
)
from .import_sources import known_sources, remember_source, remember_sources

__all__ = [
    "add_test_runs",
    "deployment_values",
    "finish_deployment",
    "known_sources",
    "known_test_reports",
    "list_incidents",
    "record_pipeline_run",
    "release_exists",
    "start_deployment",
]


def release_exists(ctx: Ctx, key: str) -> None:
    """NotFound (exit 2 on the command line) when the plan has no release ``key``."""
    with ctx.read() as s:
        release_by_key(s, key)


def new_receipt() -> dict[str, Any]:
    """What one import wrote, so that it can be taken back as one undo step: rows it created
    (ids or keys), sources it remembered, and the values it replaced (``*_before``)."""
    return {
        "test_runs": [],
        "changes": [],
        "releases": [],
        "deployments": [],
        "incidents": [],
        "sources": [],
        "changes_before": {},
        "releases_before": {},
        "deployments_before": {},
        "incidents_before": {},
    }


# --- test runs --------------------------------------------------------------------------------------------


def known_test_reports(ctx: Ctx, sha256s: list[str]) -> dict[str, str]:
    """For each report sha256 already recorded: where, in words ("REL-1, unit test run #4")."""
    if not sha256s:
        return {}
    with ctx.read() as s:
        rows = s.execute(
            select(TestRun.source_sha256, TestRun.id, TestRun.kind, Release.key)
            .join(Release, Release.id == TestRun.release_id)
            .where(TestRun.source_sha256.in_(sorted(set(sha256s))))
        ).all()
    return {
        str(sha): f"{key} ({E.TestKind(kind).value} test run #{run_id})"
        for sha, run_id, kind, key in rows
    }


RUN_FIELDS = (
    "kind",
    "environment",
    "passed",
    "failed",
    "errored",
    "skipped",
    "run_at",
    "source",
    "source_sha256",
    "failures",
    "duration_seconds",
    "note",
)


def _run_values(run: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(run) - set(RUN_FIELDS))
    if unknown:
        raise ValidationError(f"unknown test run field {unknown[0]!r}", field=unknown[0])
    try:
        kind = E.TestKind(run["kind"])
    except ValueError:
        raise ValidationError(
            f"Kind: {run['kind']!r} is not one of {', '.join(k.value for k in E.TestKind)}",
            field="kind",
        ) from None
    run_at = run.get("run_at")
    if not isinstance(run_at, dt.datetime) or run_at.tzinfo is None:
        raise ValidationError(
            "Run at: a date and time with a time zone is required", field="run_at"
        )
    values = dict(run)
    values["kind"] = kind
    values["verdict"] = E.Verdict.FAILED if run.get("failed") else E.Verdict.PASSED
    values.setdefault("failures", [])
    values.setdefault("errored", 0)
    return values


def add_test_runs(
    tx: Tx, key: str, runs: list[dict[str, Any]], receipt: dict[str, Any] | None = None
) -> list[int]:
    """Record test runs read from report files, inside the caller's transaction."""
    rel = release_by_key(tx.session, key)
    ids = []
    for run in runs:
        values = _run_values(run)
        test_run = TestRun(**values)
        rel.test_runs.append(test_run)
        tx.session.flush()
        tx.audit("test_run", test_run.id, "import", None, values, release_key=rel.key)
        ids.append(test_run.id)
    if ids:
        tx.rule_events.append(("on_tests_recorded", rel.id))
        rules.run_pending(tx)  # the rules this write raised act in the same transaction
    if receipt is not None:
        receipt["test_runs"].extend(ids)
    return ids


# --- incidents --------------------------------------------------------------------------------------------


def list_incidents(ctx: Ctx, key: str | None = None) -> list[dict[str, Any]]:
    with ctx.read() as s:
        stmt = select(Incident).order_by(Incident.detected_at, Incident.id)
        if key is not None:
            stmt = stmt.where(Incident.release_id == release_by_key(s, key).id)
        return [
            {
                "id": i.id,
                "key": i.key,
                "title": i.title,
                "severity": i.severity,
                "service": i.service,
                "environment": i.environment,
                "detected_at": i.detected_at,
                "restored_at": i.restored_at,
                "release": i.release.key if i.release else None,
                "deployment_id": i.deployment_id,
                "source": i.source,
            }
            for i in s.execute(stmt).scalars()
        ]


# --- git history ------------------------------------------------------------------------------------------


def apply_git(
    tx: Tx,
    key: str,
    release_fields: dict[str, Any],
    drafts: list[dict[str, Any]],
    receipt: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create the draft changes a release's git history proposes, attach commits to existing
    changes (a change's committed time becomes its earliest commit's), set the release's
    commit range, count and authors; every commit is remembered by its sha.

    A thousand commits are one flush of new changes and one insert of their shas, not a
    round trip each."""
    from .approvals import reset_for_scope_change
    from .changes import _coerce, _row

    s = tx.session
    rel = release_by_key(s, key)
    created, updated = [], []
    new = [d for d in drafts if not d["existing"]]
    taken = _existing_change_keys(s, [d["key"] for d in new])
    if taken:
        raise ValidationError(
            f"Key: {sorted(taken)[0]} is already used by another change; import again"
        )
    fresh = []
    for d in new:
        earliest = min(c["when"] for c in d["commits"])
        fields = {
            "key": d["key"],
            "title": d["title"][:300],
            "type": "normal",
            "category": d["category"],
            "approval": "pending",
            "release_note": d["release_note"],
            "external_ref": d["external_ref"],
            "created_at": earliest,
            "risk": "high" if d["breaking"] else "medium",
            "known_issues": "Breaking change: see the commit message." if d["breaking"] else None,
        }
        values = {n: _coerce(n, v) for n, v in fields.items()}
        fresh.append(Change(caused_incident=False, release_id=rel.id, cis=[], **values))
    s.add_all(fresh)
    s.flush()
    for c in fresh:
        tx.audit("change", c.key, "create", None, _row(c).as_dict(), release_key=rel.key)
        created.append(c.key)
    if fresh:
        reset_for_scope_change(
            tx, rel, f"{len(fresh)} changes from git history were added to the scope"
        )
    for d in drafts:
        if not d["existing"]:
            continue
        earliest = min(c["when"] for c in d["commits"])
        change = s.execute(select(Change).where(Change.key == d["key"])).scalar_one()
        before = _row(change).as_dict()
        if receipt is not None:
            receipt["changes_before"].setdefault(
                change.key, {"created_at": change.created_at, "external_ref": change.external_ref}
            )
        if change.created_at is None or earliest < change.created_at:
            change.created_at = earliest
        if not change.external_ref:
            change.external_ref = d["external_ref"]
        s.flush()
        after = _row(change).as_dict()
        changed = sorted(k for k in after if after[k] != before[k])
        tx.audit(
            "change",
            change.key,
            "attach_commits",
            {k: before[k] for k in changed},
            {k: after[k] for k in changed} | {"commits": [c["sha"] for c in d["commits"]]},
            release_key=change.release.key if change.release else None,
        )
        updated.append(change.key)
    remember_sources(
        tx,
        "commit",
        [
            (c["sha"], "change", d["key"], rel.id, c["subject"])
            for d in drafts
            for c in d["commits"]
        ],
    )
    if receipt is not None:
        receipt["changes"].extend(created)
        receipt["sources"].extend(["commit", c["sha"]] for d in drafts for c in d["commits"])
    if release_fields:
        before = {n: getattr(rel, n) for n in release_fields}
        if receipt is not None:
            receipt["releases_before"][rel.key] = dict(before)
        for name, value in release_fields.items():
            setattr(rel, name, value)
        tx.audit("release", rel.key, "update", before, dict(release_fields), release_key=rel.key)
    return {
        "changes_created": created,
        "changes_updated": updated,
        "release_updated": bool(release_fields),
    }


def _existing_change_keys(s: Any, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(
            s.execute(select(Change.key).where(Change.key.in_(keys[start : start + 500]))).scalars()
        )
    return found


def create_releases_from_tags(
    tx: Tx, proposals: list[dict[str, Any]], receipt: dict[str, Any] | None = None
) -> list[str]:
    """Releases proposed by a repository's version tags (``relman import git --tags``)."""
    from .releases import create_release_tx

    created = []
    extra = ("commit_range", "commit_count", "commit_authors", "tag", "annotated", "identity")
    for p in proposals:
        fields = {k: v for k, v in p.items() if k not in extra and v is not None}
        key = create_release_tx(tx, fields)
        rel = release_by_key(tx.session, key)
        rel.commit_range, rel.commit_count, rel.commit_authors = (
            p["commit_range"],
            p["commit_count"],
            p["commit_authors"],
        )
        tx.audit(
            "release",
            key,
            "update",
            None,
            {
                "commit_range": p["commit_range"],
                "commit_count": p["commit_count"],
                "commit_authors": p["commit_authors"],
                "tag": p["tag"],
            },
            release_key=key,
        )
        remember_source(tx, "tag", p["identity"], "release", key, rel.id, p["tag"])
        created.append(key)
        if receipt is not None:
            receipt["releases"].append(key)
            receipt["sources"].append(["tag", p["identity"]])
    return created


# --- incidents and the deployments that caused them ----------------------------------------------------


def release_keys(ctx: Ctx) -> set[str]:
    with ctx.read() as s:
        return set(s.execute(select(Release.key)).scalars())


def deployments_for_linking(ctx: Ctx) -> list[dict[str, Any]]:
    """Every deployment with what an incident is matched on: release, application, the CIs of
    the release's changes (lower-case names), environment and times."""
    from relman_desktop.models.entities import ConfigurationItem, change_cis

    with ctx.read() as s:
        cis: dict[int, set[str]] = {}
        for release_id, name in s.execute(
            select(Change.release_id, ConfigurationItem.name)
            .join(change_cis, change_cis.c.change_id == Change.id)
            .join(ConfigurationItem, ConfigurationItem.id == change_cis.c.ci_id)
            .where(Change.release_id.is_not(None))
        ).all():
            if release_id is not None:
                cis.setdefault(release_id, set()).add(name.lower())
        rows = s.execute(
            select(
                Deployment.id,
                Release.id,
                Release.key,
                Release.application,
                Deployment.environment,
                Deployment.started_at,
                Deployment.finished_at,
            ).join(Release, Release.id == Deployment.release_id)
        ).all()
        return [
            {
                "id": d_id,
                "release": key,
                "application": app,
                "environment": env,
                "started_at": started,
                "finished_at": finished,
                "cis": cis.get(r_id, set()),
            }
            for d_id, r_id, key, app, env, started, finished in rows
        ]


INCIDENT_FIELDS = (
    "title",
    "severity",
    "service",
    "environment",
    "detected_at",
    "restored_at",
    "deployment_id",
)


def existing_incidents(ctx: Ctx, keys: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    with ctx.read() as s:
        wanted = sorted(set(keys))
        for start in range(0, len(wanted), 500):
            for inc in s.execute(
                select(Incident).where(Incident.key.in_(wanted[start : start + 500]))
            ).scalars():
                found[inc.key] = {n: getattr(inc, n) for n in INCIDENT_FIELDS}
    return found


def _incident_view(i: Incident) -> dict[str, Any]:
    return {n: getattr(i, n) for n in INCIDENT_FIELDS} | {
        "key": i.key,
        "release": i.release.key if i.release else None,
    }


def record_incidents(
    tx: Tx, incidents: list[dict[str, Any]], source: str, receipt: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Create or update incidents (by key), then recompute each deployment they point at (or
    pointed at before): its incident count, failure-detected and restored times."""
    s = tx.session
    releases = {k: i for k, i in s.execute(select(Release.key, Release.id)).all()}
    touched: set[int] = set()
    created, updated = [], []
    for values in incidents:
        inc = s.execute(select(Incident).where(Incident.key == values["key"])).scalar_one_or_none()
        release_id = releases.get(str(values["release"])) if values.get("release") else None
        if values.get("release") and release_id is None:
            raise ValidationError(
                f"incident {values['key']}: release {values['release']} is not in this plan"
            )
        fields = {n: values.get(n) for n in INCIDENT_FIELDS} | {
            "release_id": release_id,
            "source": source,
        }
        if inc is None:
            inc = Incident(key=values["key"], **fields)
            s.add(inc)
            s.flush()
            tx.audit(
                "incident",
                inc.key,
                "import",
                None,
                _incident_view(inc),
                release_key=values.get("release"),
            )
            created.append(inc.key)
        else:
            before = _incident_view(inc)
            if receipt is not None:
                receipt["incidents_before"].setdefault(
                    inc.key, {n: getattr(inc, n) for n in fields}
                )
            if inc.deployment_id is not None:
                touched.add(inc.deployment_id)
            for name, value in fields.items():
                setattr(inc, name, value)
            s.flush()
            after = _incident_view(inc)
            changed = sorted(k for k in after if after[k] != before[k])
            tx.audit(
                "incident",
                inc.key,
                "import_update",
                {k: before[k] for k in changed},
                {k: after[k] for k in changed},
                release_key=values.get("release"),
            )
            updated.append(inc.key)
        if inc.deployment_id is not None:
            touched.add(inc.deployment_id)
    for dep_id in sorted(touched):
        if receipt is not None:
            dep = s.get(Deployment, dep_id)
            if dep is not None:
                receipt["deployments_before"].setdefault(
                    dep_id,
                    {
                        "incidents": dep.incidents,
                        "failure_detected_at": dep.failure_detected_at,
                        "restored_at": dep.restored_at,
                    },
                )
        _refresh_deployment(tx, dep_id)
    if receipt is not None:
        receipt["incidents"].extend(created)
    return {"created": created, "updated": updated, "deployments": sorted(touched)}


def _refresh_deployment(tx: Tx, deployment_id: int) -> None:
    s = tx.session
    dep = s.get(Deployment, deployment_id)
    if dep is None:
        return
    linked = list(
        s.execute(select(Incident).where(Incident.deployment_id == deployment_id)).scalars()
    )
    before = _deployment_snapshot(dep)
    if linked:
        dep.incidents = len(linked)
        dep.failure_detected_at = min(i.detected_at for i in linked)
        restores = [i.restored_at for i in linked]
        dep.restored_at = (
            None if any(r is None for r in restores) else max(r for r in restores if r is not None)
        )
    else:
        dep.incidents = 0
        dep.failure_detected_at = dep.restored_at = None
    s.flush()
    after = _deployment_snapshot(dep)
    changed = sorted(k for k in after if after[k] != before[k])
    if changed:
        tx.audit(
            "deployment",
            dep.id,
            "incidents_linked",
            {k: before[k] for k in changed},
            {k: after[k] for k in changed},
            release_key=dep.release.key,
        )


# --- taking an import back (the app's undo) --------------------------------------------------------------


@operation
def revert_import(ctx: Ctx, receipt: dict[str, Any]) -> None:
    """Undo one import from its receipt, in one transaction: delete what it created, put back
    what it replaced, forget the sources it remembered (so the import can be redone)."""
    from sqlalchemy import delete

    with ctx.write() as tx:
        s = tx.session
        for key in receipt["incidents"]:
            inc = s.execute(select(Incident).where(Incident.key == key)).scalar_one_or_none()
            if inc is not None:
                tx.audit(
                    "incident",
                    key,
                    "import_undo",
                    _incident_view(inc),
                    None,
                    release_key=inc.release.key if inc.release else None,
                )
                s.delete(inc)
        for key, before in receipt["incidents_before"].items():
            inc = s.execute(select(Incident).where(Incident.key == key)).scalar_one_or_none()
            if inc is not None:
                for name, value in before.items():
                    setattr(inc, name, value)
                tx.audit("incident", key, "import_undo", None, _incident_view(inc))
        s.flush()
        for dep_id, before in receipt["deployments_before"].items():
            dep = s.get(Deployment, int(dep_id))
            if dep is not None:
                for name, value in before.items():
                    setattr(dep, name, value)
                tx.audit(
                    "deployment",
                    dep.id,
                    "import_undo",
                    None,
                    _deployment_snapshot(dep),
                    release_key=dep.release.key,
                )
        for dep_id in receipt["deployments"]:
            dep = s.get(Deployment, int(dep_id))
            if dep is not None:
                tx.audit(
                    "deployment",
                    dep.id,
                    "import_undo",
                    _deployment_snapshot(dep),
                    None,
                    release_key=dep.release.key,
                )
                s.delete(dep)
        released = set()
        for run_id in receipt["test_runs"]:
            run = s.get(TestRun, int(run_id))
            if run is not None:
                tx.audit(
                    "test_run",
                    run.id,
                    "import_undo",
                    {"source": run.source, "sha256": run.source_sha256},
                    None,
                    release_key=run.release.key,
                )
                released.add(run.release_id)
                s.delete(run)
        for release_id in released:
            tx.rule_events.append(("on_tests_recorded", release_id))
        rules.run_pending(tx)
        for key in receipt["changes"]:
            change = s.execute(select(Change).where(Change.key == key)).scalar_one_or_none()
            if change is not None:
                tx.audit(
                    "change",
                    key,
                    "import_undo",
                    {"title": change.title},
                    None,
                    release_key=change.release.key if change.release else None,
                )
                s.delete(change)
        for key, before in receipt["changes_before"].items():
            change = s.execute(select(Change).where(Change.key == key)).scalar_one_or_none()
            if change is not None:
                for name, value in before.items():
                    setattr(change, name, value)
                tx.audit("change", key, "import_undo", None, dict(before))
        for key, before in receipt["releases_before"].items():
            rel = s.execute(select(Release).where(Release.key == key)).scalar_one_or_none()
            if rel is not None:
                for name, value in before.items():
                    setattr(rel, name, value)
                tx.audit("release", key, "import_undo", None, dict(before), release_key=key)
        for key in receipt["releases"]:
            rel = s.execute(select(Release).where(Release.key == key)).scalar_one_or_none()
            if rel is not None:
                tx.audit("release", key, "import_undo", {"key": key}, None, release_key=key)
                s.delete(rel)
        for kind, identity in receipt["sources"]:
            s.execute(
                delete(ImportedSource).where(
                    ImportedSource.kind == kind, ImportedSource.identity == identity
                )
            )
