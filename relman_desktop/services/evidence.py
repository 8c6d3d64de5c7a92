"""Evidence a release gathers: test runs, deployments, the post-release review, and linked
records from other systems (requests, problems, incidents, knowledge articles).

Recording a test run raises ``on_tests_recorded`` so rules (e.g. CAB pre-approval of a
standard release whose tests passed) act in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from relman_desktop.models import enums as E
from relman_desktop.models.entities import Deployment, LinkedRecord, Review, TestRun

from . import limits, locking, rules
from .base import (
    Ctx,
    NotFound,
    ValidationError,
    jsonable,
    operation,
    person_by_email,
    release_by_key,
)

LABELS = {
    "started_at": "Started",
    "finished_at": "Finished",
    "failure_detected_at": "Failure detected",
    "restored_at": "Service restored",
    "run_at": "Run at",
    "closed_at": "Closed at",
}


def _label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


def _enum(cls: type[StrEnum], value: Any, name: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        words = ", ".join(m.value for m in cls)
        raise ValidationError(
            f"{_label(name)}: {value!r} is not one of {words}", field=name
        ) from None


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            f"{_label(name)}: must be a whole number 0 or more, not {value!r}", field=name
        )
    return limits.check_number(name, value, _label(name)) if name in limits.BOUNDS else value


def _when(value: Any, name: str, *, required: bool = False) -> dt.datetime | None:
    if value is None:
        if required:
            raise ValidationError(f"{_label(name)}: a date and time is required", field=name)
        return None
    if not isinstance(value, dt.datetime):
        raise ValidationError(f"{_label(name)}: {value!r} is not a date and time", field=name)
    if value.tzinfo is None:
        raise ValidationError(f"{_label(name)}: give a time zone with the time", field=name)
    return limits.check_date(name, value, _label(name))


def _text(value: Any, name: str, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"{_label(name)} must not be empty", field=name)
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{_label(name)}: {value!r} is not text", field=name)
    return str(limits.checked(name, value.strip(), _label(name)))


def _order(values: dict[str, Any], first: str, then: str, what: str) -> None:
    a, b = values.get(first), values.get(then)
    if a is not None and b is not None and b < a:
        raise ValidationError(
            f"{_label(then)}: {what} ({b:%Y-%m-%d %H:%M}) before {_label(first).lower()} "
            f"({a:%Y-%m-%d %H:%M})",
            field=then,
        )


# --- test runs -------------------------------------------------------------------------------------------


@operation
def record_test_run(
    ctx: Ctx,
    key: str,
    kind: str,
    environment: str | None,
    passed: int,
    failed: int,
    skipped: int,
    run_at: dt.datetime,
    source: str | None = None,
) -> int:
    """A test run's counts; its verdict is "failed" when any test failed."""
    values = {
        "kind": _enum(E.TestKind, kind, "kind"),
        "environment": _text(environment, "environment"),
        "passed": _count(passed, "passed"),
        "failed": _count(failed, "failed"),
        "skipped": _count(skipped, "skipped"),
        "run_at": _when(run_at, "run_at", required=True),
        "source": _text(source, "source"),
    }
    values["verdict"] = E.Verdict.FAILED if values["failed"] else E.Verdict.PASSED
    with ctx.write() as tx:
        rel = release_by_key(tx.session, key)
        run = TestRun(**values)
        rel.test_runs.append(run)
        tx.session.flush()
        tx.audit("test_run", run.id, "create", None, values, release_key=rel.key)
        tx.rule_events.append(("on_tests_recorded", rel.id))
        rules.run_pending(tx)  # the rules this write raised act in the same transaction
        return run.id


def list_test_runs(ctx: Ctx, key: str) -> list[dict[str, Any]]:
    with ctx.read() as s:
        rel = release_by_key(s, key)
        return [
            {
                "id": r.id,
                "kind": E.TestKind(r.kind).value,
                "environment": r.environment,
                "passed": r.passed,
                "failed": r.failed,
                "skipped": r.skipped,
                "run_at": r.run_at,
                "source": r.source,
                "verdict": E.Verdict(r.verdict).value,
                # read from a report file (relman import tests): which tests failed, the file's hash
                "failures": list(r.failures or []),
                "source_sha256": r.source_sha256,
                "note": r.note,
            }
            for r in sorted(rel.test_runs, key=lambda r: (r.run_at, r.id))
        ]


# --- deployments ----------------------------------------------------------------------------------------

DEPLOYMENT_FIELDS = (
    "environment",
    "wave",
    "started_at",
    "finished_at",
    "outcome",
    "incidents",
    "failure_detected_at",
    "restored_at",
    "hotfix",
)


def _deployment_values(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(DEPLOYMENT_FIELDS))
    if unknown:
        raise ValidationError(f"unknown deployment field {unknown[0]!r}", field=unknown[0])
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "environment":
            out[name] = _text(value, name, required=True)
        elif name == "wave":
            out[name] = _text(value, name)
        elif name in ("started_at", "finished_at", "failure_detected_at", "restored_at"):
            out[name] = _when(value, name)
        elif name == "outcome":
            out[name] = None if value is None else _enum(E.Outcome, value, name)
        elif name == "incidents":
            out[name] = _count(value, name)
        elif name == "hotfix":
            if not isinstance(value, bool):
                raise ValidationError(f"Hotfix: true or false, not {value!r}", field=name)
            out[name] = value
    return out


def _check_deployment(values: dict[str, Any]) -> None:
    _order(values, "started_at", "finished_at", "the deployment cannot finish")
    _order(values, "failure_detected_at", "restored_at", "service cannot be restored")


def _deployment_view(d: Deployment) -> dict[str, Any]:
    return {name: jsonable(getattr(d, name)) for name in DEPLOYMENT_FIELDS}


@operation
def record_deployment(
    ctx: Ctx,
    key: str,
    environment: str,
    *,
    wave: str | None = None,
    started_at: dt.datetime | None = None,
    finished_at: dt.datetime | None = None,
    outcome: str | None = None,
    incidents: int = 0,
    failure_detected_at: dt.datetime | None = None,
    restored_at: dt.datetime | None = None,
    hotfix: bool = False,
) -> int:
    """A deployment of the release to an environment (a wave, its times and outcome)."""
    values = _deployment_values(
        {
            "environment": environment,
            "wave": wave,
            "started_at": started_at,
            "finished_at": finished_at,
            "outcome": outcome,
            "incidents": incidents,
            "failure_detected_at": failure_detected_at,
            "restored_at": restored_at,
            "hotfix": hotfix,
        }
    )
    _check_deployment(values)
    with ctx.write() as tx:
        rel = release_by_key(tx.session, key)
        dep = Deployment(**values)
        rel.deployments.append(dep)
        tx.session.flush()
        tx.audit("deployment", dep.id, "create", None, _deployment_view(dep), release_key=rel.key)
        return dep.id


@operation
def update_deployment(
    ctx: Ctx, deployment_id: int, *, version: int | None = None, **fields: Any
) -> dict[str, Any]:
    """``version``: the deployment's ``row_version`` as the form loaded it (None: no check)."""
    values = _deployment_values(fields)
    with ctx.write() as tx:
        dep = tx.session.get(Deployment, deployment_id)
        if dep is None:
            raise NotFound(f"no deployment #{deployment_id} in this plan")
        locking.check(
            tx,
            dep,
            version,
            label=f"the deployment of {dep.release.key} to {dep.environment}",
            entity="deployment",
            entity_id=dep.id,
        )
        before = _deployment_view(dep)
        merged = {name: getattr(dep, name) for name in DEPLOYMENT_FIELDS} | values
        _check_deployment(merged)
        for name, value in values.items():
            setattr(dep, name, value)
        after = _deployment_view(dep)
        changed = sorted(k for k in after if after[k] != before[k])
        if changed:
            tx.audit(
                "deployment",
                dep.id,
                "update",
                {k: before[k] for k in changed},
                {k: after[k] for k in changed},
                release_key=dep.release.key,
            )
        return after


# --- review -----------------------------------------------------------------------------------------------


@operation
def record_review(
    ctx: Ctx,
    key: str,
    outcome: str,
    *,
    incidents: int = 0,
    lessons_learned: str | None = None,
    user_feedback: str | None = None,
    closed_by_email: str | None = None,
    closed_at: dt.datetime | None = None,
    version: int | None = None,
) -> int:
    """The post-release review (one per release: recording again updates it). ``version``:
    the review's ``row_version`` as the form loaded it, 0 when it showed no review yet (None:
    no check); a review recorded or changed since is refused (see ``locking``)."""
    values: dict[str, Any] = {
        "outcome": _enum(E.ReviewOutcome, outcome, "outcome"),
        "incidents": _count(incidents, "incidents"),
        "lessons_learned": _text(lessons_learned, "lessons_learned"),
        "user_feedback": _text(user_feedback, "user_feedback"),
        "closed_at": _when(closed_at, "closed_at"),
    }
    with ctx.write() as tx:
        s = tx.session
        rel = release_by_key(s, key)
        values["closed_by"] = (
            person_by_email(s, closed_by_email, field="closed_by_email")
            if closed_by_email
            else None
        )
        review = s.execute(select(Review).where(Review.release_id == rel.id)).scalar_one_or_none()
        view_names = ("outcome", "incidents", "lessons_learned", "user_feedback", "closed_at")

        def view(r: Review) -> dict[str, Any]:
            d = {n: getattr(r, n) for n in view_names}
            d["closed_by"] = r.closed_by.email if r.closed_by else None
            return d

        if review is not None:
            locking.check(
                tx,
                review,
                version,
                label=f"the review of {rel.key}",
                entity="review",
                entity_id=review.id,
            )
        if review is None:
            review = Review(release_id=rel.id, **values)
            s.add(review)
            s.flush()
            tx.audit("review", review.id, "create", None, view(review), release_key=rel.key)
        else:
            before = view(review)
            for name, value in values.items():
                setattr(review, name, value)
            tx.audit("review", review.id, "update", before, view(review), release_key=rel.key)
        return review.id


# --- linked records ---------------------------------------------------------------------------------------


@operation
def add_link(
    ctx: Ctx,
    key: str,
    kind: str,
    external_key: str,
    relation: str,
    title: str | None = None,
    url: str | None = None,
) -> int:
    values = {
        "kind": _enum(E.LinkKind, kind, "kind"),
        "external_key": _text(external_key, "external_key", required=True),
        "relation": _enum(E.LinkRelation, relation, "relation"),
        "title": _text(title, "title"),
        "url": _text(url, "url"),
    }
    with ctx.write() as tx:
        s = tx.session
        rel = release_by_key(s, key)
        dup = s.execute(
            select(LinkedRecord.id).where(
                LinkedRecord.release_id == rel.id,
                LinkedRecord.kind == values["kind"],
                LinkedRecord.external_key == values["external_key"],
            )
        ).first()
        if dup:
            raise ValidationError(
                f"External key: {values['external_key']} is already linked to {rel.key}",
                field="external_key",
            )
        link = LinkedRecord(**values)
        rel.links.append(link)
        s.flush()
        tx.audit("linked_record", link.id, "create", None, values, release_key=rel.key)
        return link.id


@operation
def remove_link(ctx: Ctx, link_id: int) -> None:
    with ctx.write() as tx:
        link = tx.session.get(LinkedRecord, link_id)
        if link is None:
            raise NotFound(f"no linked record #{link_id} in this plan")
        before = {
            "kind": link.kind,
            "external_key": link.external_key,
            "relation": link.relation,
            "title": link.title,
            "url": link.url,
        }
        key = link.release.key
        link.release.links.remove(link)
        tx.session.delete(link)
        tx.audit("linked_record", link_id, "delete", before, None, release_key=key)


# --- reading back, and deleting (the editor tabs' lists and the undo of "record") ------------------------


def list_deployments(ctx: Ctx, key: str) -> list[dict[str, Any]]:
    """The release's deployments, earliest first (unstarted ones last), as plain rows."""
    with ctx.read() as s:
        rel = release_by_key(s, key)
        rows = []
        for d in sorted(rel.deployments, key=lambda d: (d.started_at is None, d.started_at, d.id)):
            row = {name: getattr(d, name) for name in DEPLOYMENT_FIELDS}
            row["outcome"] = d.outcome.value if d.outcome is not None else None
            row["id"] = d.id
            row["source"], row["url"] = d.source, d.url  # a CI run it was imported from
            row["version"] = d.row_version  # handed back with an edit (``locking``)
            rows.append(row)
        return rows


def get_review(ctx: Ctx, key: str) -> dict[str, Any] | None:
    with ctx.read() as s:
        r = release_by_key(s, key).review
        if r is None:
            return None
        return {
            "id": r.id,
            "outcome": r.outcome.value,
            "incidents": r.incidents,
            "lessons_learned": r.lessons_learned,
            "user_feedback": r.user_feedback,
            "closed_at": r.closed_at,
            "closed_by_email": r.closed_by.email if r.closed_by else None,
            "version": r.row_version,  # handed back with an edit (``locking``)
        }


def list_links(ctx: Ctx, key: str) -> list[dict[str, Any]]:
    with ctx.read() as s:
        rel = release_by_key(s, key)
        return [
            {
                "id": link.id,
                "kind": link.kind.value,
                "external_key": link.external_key,
                "title": link.title,
                "url": link.url,
                "relation": link.relation.value,
            }
            for link in sorted(rel.links, key=lambda link: (link.kind.value, link.external_key))
        ]


@operation
def delete_test_run(ctx: Ctx, run_id: int) -> dict[str, Any]:
    """Remove a test run recorded by mistake; returns it, so it can be recorded again."""
    with ctx.write() as tx:
        run = tx.session.get(TestRun, run_id)
        if run is None:
            raise NotFound(f"no test run #{run_id} in this plan")
        before = {
            "kind": run.kind.value,
            "environment": run.environment,
            "passed": run.passed,
            "failed": run.failed,
            "skipped": run.skipped,
            "run_at": run.run_at,
            "source": run.source,
        }
        key = run.release.key
        run.release.test_runs.remove(run)
        tx.session.delete(run)
        tx.audit("test_run", run_id, "delete", before, None, release_key=key)
        tx.rule_events.append(("on_tests_recorded", run.release_id))
        rules.run_pending(tx)  # the rules this write raised act in the same transaction
        return before


@operation
def delete_deployment(ctx: Ctx, deployment_id: int) -> dict[str, Any]:
    with ctx.write() as tx:
        dep = tx.session.get(Deployment, deployment_id)
        if dep is None:
            raise NotFound(f"no deployment #{deployment_id} in this plan")
        before = {name: getattr(dep, name) for name in DEPLOYMENT_FIELDS}
        key = dep.release.key
        dep.release.deployments.remove(dep)
        tx.session.delete(dep)
        tx.audit("deployment", deployment_id, "delete", before, None, release_key=key)
        return before


@operation
def delete_review(ctx: Ctx, key: str) -> dict[str, Any] | None:
    """Remove the release's post-release review; returns what it held (None if there was none)."""
    with ctx.write() as tx:
        rel = release_by_key(tx.session, key)
        r = rel.review
        if r is None:
            return None
        before = {
            "outcome": r.outcome.value,
            "incidents": r.incidents,
            "lessons_learned": r.lessons_learned,
            "user_feedback": r.user_feedback,
            "closed_at": r.closed_at,
            "closed_by_email": r.closed_by.email if r.closed_by else None,
        }
        rel.review = None
        tx.session.flush()
        tx.audit("review", key, "delete", before, None, release_key=key)
        return before
