"""Which of the toolchain's records were already imported, and into what: the
``imported_sources`` book that makes every evidence import idempotent by the source's own
identity (a commit sha, a tag, a CI run id, an incident id).

Split from ``evidence_import`` (which re-exports :func:`known_sources`): the imports of test
reports, git history and incidents there, and of pipeline runs in ``deployment_runs``, all
remember what they read here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from relman_desktop.models.entities import (
    Change,
    Deployment,
    ImportedSource,
    Incident,
    Release,
    TestRun,
)

from .base import Ctx, Tx

_ENTITIES: dict[str, Any] = {
    "change": Change,
    "deployment": Deployment,
    "incident": Incident,
    "release": Release,
    "test_run": TestRun,
}


def known_sources(ctx: Ctx, kind: str, identities: list[str]) -> dict[str, dict[str, Any]]:
    """The identities of ``kind`` already imported, each with what it became and into which
    release. A record whose entity was deleted since does not count (it may be imported again)."""
    if not identities:
        return {}
    found: dict[str, dict[str, Any]] = {}
    with ctx.read() as s:
        wanted = sorted(set(identities))
        for start in range(0, len(wanted), 500):
            rows = s.execute(
                select(ImportedSource, Release.key)
                .outerjoin(Release, Release.id == ImportedSource.release_id)
                .where(
                    ImportedSource.kind == kind,
                    ImportedSource.identity.in_(wanted[start : start + 500]),
                )
            ).all()
            for src, release_key in rows:
                found[src.identity] = {
                    "entity": src.entity,
                    "entity_id": src.entity_id,
                    "release": release_key,
                    "label": src.label,
                }
    return found


def remember_source(
    tx: Tx,
    kind: str,
    identity: str,
    entity: str,
    entity_id: Any,
    release_id: int | None,
    label: str | None,
) -> None:
    """Note that ``identity`` was imported (replacing a record whose entity is gone)."""
    s = tx.session
    old = s.execute(
        select(ImportedSource).where(
            ImportedSource.kind == kind, ImportedSource.identity == identity
        )
    ).scalar_one_or_none()
    if old is not None:
        s.delete(old)
        s.flush()
    s.add(
        ImportedSource(
            kind=kind,
            identity=identity,
            entity=entity,
            entity_id=str(entity_id),
            release_id=release_id,
            label=(label or "")[:500] or None,
            imported_at=tx.ctx.now(),
        )
    )


def remember_sources(
    tx: Tx, kind: str, rows: list[tuple[str, str, Any, int | None, str | None]]
) -> None:
    """:func:`remember_source` for many identities at once: (identity, entity, id, release id, label)."""
    from sqlalchemy import delete, insert

    if not rows:
        return
    s = tx.session
    identities = [r[0] for r in rows]
    for start in range(0, len(identities), 500):
        s.execute(
            delete(ImportedSource).where(
                ImportedSource.kind == kind,
                ImportedSource.identity.in_(identities[start : start + 500]),
            )
        )
    now = tx.ctx.now()
    s.execute(
        insert(ImportedSource),
        [
            {
                "kind": kind,
                "identity": identity,
                "entity": entity,
                "entity_id": str(entity_id),
                "release_id": rid,
                "label": (label or "")[:500] or None,
                "imported_at": now,
            }
            for identity, entity, entity_id, rid, label in rows
        ],
    )


def entity_exists(ctx: Ctx, entity: str, entity_id: str) -> bool:
    model = _ENTITIES.get(entity)
    if model is None:
        return False
    with ctx.read() as s:
        if entity in ("change", "release"):
            return s.execute(select(model.id).where(model.key == entity_id)).first() is not None
        return s.get(model, int(entity_id)) is not None
