"""Baselines: named snapshots of the plan's dates, to compare the plan against what happened."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from relman_desktop.models.entities import Baseline, Release, Task

from .base import Ctx, NotFound, ValidationError, jsonable, operation


@dataclass
class BaselineRow:
    name: str
    created_at: dt.datetime
    snapshot: dict[str, Any] = field(default_factory=dict)


def list_baselines(ctx: Ctx) -> list[BaselineRow]:
    """Oldest first. ``snapshot``: ``{release_key: {"planned_start", "planned_end",
    "deploy_start", "deploy_end", "tasks": {task_id: [start, end]}}}`` with ISO strings."""
    with ctx.read() as s:
        return [
            BaselineRow(b.name, b.created_at, dict(b.snapshot or {}))
            for b in s.execute(
                select(Baseline).order_by(Baseline.created_at, Baseline.name)
            ).scalars()
        ]


@operation
def create_baseline(ctx: Ctx, name: str) -> str:
    """Freeze today's planned dates of every release and task under ``name``."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("Name: a baseline needs a name", field="name")
    with ctx.write() as tx:
        s = tx.session
        if s.execute(select(Baseline.id).where(Baseline.name == name)).first():
            raise ValidationError(
                f"Name: there is already a baseline called {name!r}", field="name"
            )
        snapshot: dict[str, Any] = {}
        keys: dict[int, str] = {}
        for rid, key, ps, pe, ds, de in s.execute(
            select(
                Release.id,
                Release.key,
                Release.planned_start,
                Release.planned_end,
                Release.deploy_start,
                Release.deploy_end,
            )
        ):
            keys[rid] = key
            snapshot[key] = {
                "planned_start": jsonable(ps),
                "planned_end": jsonable(pe),
                "deploy_start": jsonable(ds),
                "deploy_end": jsonable(de),
                "tasks": {},
            }
        for rid, local_id, start, end in s.execute(
            select(Task.release_id, Task.local_id, Task.start, Task.end)
        ):
            snapshot[keys[rid]]["tasks"][local_id] = [jsonable(start), jsonable(end)]
        s.add(Baseline(name=name, created_at=ctx.now(), snapshot=snapshot))
        tx.audit("baseline", name, "create", None, {"releases": len(snapshot)})
        return name


@operation
def delete_baseline(ctx: Ctx, name: str) -> None:
    with ctx.write() as tx:
        b = tx.session.execute(select(Baseline).where(Baseline.name == name)).scalar_one_or_none()
        if b is None:
            raise NotFound(f"no baseline {name!r}")
        tx.session.delete(b)
        tx.audit("baseline", name, "delete", {"releases": len(b.snapshot or {})}, None)
