"""Reading a plan interchange document (docs/plan-format.md, version 1) into a plan.

An import is a restore: all or nothing, statuses set directly (no lifecycle guards), rules not
run. Everything is checked before anything is written — first against the JSON Schema that
ships with the app, then for meaning (references, duplicates, dates, loops) — and every
problem is reported with its JSON path, e.g.
``releases[3].tasks[1].depends_on[0].task: no task "T9" in release REL-2026-004``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from relman_desktop.importers.plan_json.checks import _Check, _Existing
from relman_desktop.importers.plan_json.reading import (
    BOUND_KEYWORDS,
    _unique,
    load_plan_file,
    load_schema,
    schema_path,
    schema_problems,
)
from relman_desktop.importers.plan_json.writing import _Writer
from relman_desktop.services.base import Ctx, Tx, ValidationError, operation

__all__ = ["import_plan", "load_plan_file", "load_schema", "schema_path", "schema_problems"]


# --- the import ---------------------------------------------------------------------------------------


@operation
def import_plan(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """Add the document's contents to the plan, all or nothing; returns counts per section.

    Raises ``ValidationError`` listing every problem (``.problems``, each prefixed with its JSON
    path) and writes nothing when there is any.
    """
    if not isinstance(data, dict):
        raise ValidationError('the plan JSON must be an object with "format": "relman-plan"')
    with ctx.write() as tx:
        return import_into(tx, data)


def import_into(tx: Tx, data: dict[str, Any], *, restoring: bool = False) -> dict[str, Any]:
    """``import_plan`` inside a transaction the caller holds (undo of a deletion uses it, with
    ``restoring``: what the plan held a moment ago goes back even if it predates the bounds)."""
    problems = schema_problems(data, ignore=BOUND_KEYWORDS if restoring else frozenset())
    data = dict(data)  # the checks store the rules as validated; the caller's dict stays as it was
    existing = _Existing.load(tx.session)
    has_releases = bool(existing.releases)
    replace_workflow = data.get("workflow") is not None and not has_releases
    check = _Check(data, existing, replace_workflow, restoring=restoring)
    check.run()
    problems = _unique(problems + check.problems)
    if problems:
        n = len(problems)
        raise ValidationError(
            f"the plan JSON has {n} problem{'s' if n != 1 else ''}:",
            field=None,
            problems=problems,
        )
    if tx.identity is not None and any(
        isinstance(p, dict) and (p.get("roles") or p.get("login")) for p in data.get("people") or []
    ):  # who signs in as whom, and with which rights: as in the people editor
        from relman_desktop.services import permissions

        permissions.require(tx.identity, permissions.Capability.MANAGE_PEOPLE)
    summary = _Writer(tx, data, existing, replace_workflow).run()
    summary["workflow"] = (
        "replaced"
        if replace_workflow
        else ("kept" if data.get("workflow") is not None else "unchanged")
    )
    tx.audit("plan", "plan", "import plan", after=summary)
    return summary


@operation
def restore_release(ctx: Ctx, snapshot: dict[str, Any]) -> str:
    """Undo of ``releases.delete_release``: the release as it was (state, tasks, stages and
    decisions, evidence, review, links, dependencies both ways) and its changes re-bundled
    without resetting approvals, in one transaction. Returns its key."""
    from relman_desktop.models.entities import Change, Release, ReleaseDependency

    release = dict(snapshot["release"])
    change_keys = list(release.get("changes") or [])
    release["changes"] = []
    doc = {"format": "relman-plan", "version": 1, "releases": [release]}
    with ctx.write() as tx:
        s = tx.session
        try:
            import_into(tx, doc, restoring=True)
        except ValidationError as exc:
            raise ValidationError(
                f"{release.get('key')} cannot be put back: {'; '.join(exc.problems)}"
            ) from None
        rel = s.execute(select(Release).where(Release.key == release["key"])).scalar_one()
        for key in change_keys:
            change = s.execute(select(Change).where(Change.key == key)).scalar_one_or_none()
            if change is not None and change.release_id is None:
                change.release_id = rel.id
        for dep in snapshot.get("dependents") or []:
            other = s.execute(
                select(Release).where(Release.key == dep["release"])
            ).scalar_one_or_none()
            if other is not None:
                s.add(
                    ReleaseDependency(release_id=other.id, prerequisite_id=rel.id, kind=dep["kind"])
                )
        tx.audit("release", rel.key, "restore", None, {"changes": change_keys}, release_key=rel.key)
        return str(rel.key)
