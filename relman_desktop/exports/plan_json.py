"""The whole plan as the interchange document of docs/plan-format.md (version 1).

Natural keys only, never database ids; a stable order everywhere (people by email, CIs and
templates by name, releases and changes by key, tasks by position), so that exporting,
importing into an empty plan and exporting again gives the same document, byte for byte.
Audit events are not part of the format: an import writes its own.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.exports.safe_write import write_atomically
from relman_desktop.models import entities as M
from relman_desktop.services.base import Ctx, ValidationError
from relman_desktop.services.release_snapshot import (
    enum_value,
    releases_json,
    utc_text,
    zoned_text,
)

PLAN_FORMAT = "relman-plan"
PLAN_FORMAT_VERSION = 1

__all__ = ["PLAN_FORMAT", "PLAN_FORMAT_VERSION", "export_plan", "write_plan_file", "dumps_plan"]


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def export_plan(ctx: Ctx) -> dict[str, Any]:
    """The whole plan as the version 1 JSON document (a plain dict, ready for ``json.dump``)."""
    with ctx.read() as s:
        return _export(s)


def _export(s: Session) -> dict[str, Any]:
    people = s.execute(select(M.Person)).scalars().all()
    email = {p.id: p.email for p in people}
    cis = s.execute(select(M.ConfigurationItem)).scalars().all()
    ci_name = {c.id: c.name for c in cis}
    states = (
        s.execute(select(M.WorkflowState).order_by(M.WorkflowState.position, M.WorkflowState.name))
        .scalars()
        .all()
    )
    state_name = {st.id: st.name for st in states}
    templates = s.execute(select(M.Template).order_by(M.Template.name)).scalars().all()
    template_name = {t.id: t.name for t in templates}
    releases = s.execute(select(M.Release).order_by(M.Release.key)).scalars().all()
    release_key = {r.id: r.key for r in releases}

    ci_parents: dict[int, list[str]] = defaultdict(list)
    for parent_id, child_id in s.execute(
        select(M.ci_relations.c.parent_id, M.ci_relations.c.child_id)
    ):
        ci_parents[child_id].append(ci_name[parent_id])

    doc: dict[str, Any] = {"format": PLAN_FORMAT, "version": PLAN_FORMAT_VERSION}
    doc["people"] = [
        {
            "email": p.email,
            "name": p.name,
            "team": p.team,
            "roles": list(p.roles or []),
            "login": p.login,
        }
        for p in sorted(people, key=lambda p: p.email)
    ]
    doc["configuration_items"] = [
        {
            "name": c.name,
            "class": enum_value(c.ci_class),
            "environment": c.environment,
            "owner": email.get(c.owner_id) if c.owner_id else None,
            "criticality": enum_value(c.criticality),
            "requires_maintenance_window": bool(c.requires_maintenance_window),
            "parents": sorted(ci_parents.get(c.id, [])),
        }
        for c in sorted(cis, key=lambda c: c.name)
    ]
    doc["windows"] = _windows(s, ci_name)
    doc["changes"], changes_of = _changes(s, email, ci_name)
    doc["releases"] = releases_json(
        s, releases, release_key, email, state_name, template_name, changes_of
    )
    doc["templates"] = [
        {
            "name": t.name,
            "release_type": enum_value(t.release_type),
            "default_duration_days": t.default_duration_days,
            "body": t.body or {},
        }
        for t in templates
    ]
    rules = s.execute(select(M.Rule).order_by(M.Rule.position, M.Rule.name)).scalars().all()
    doc["rules"] = [
        {
            "name": r.name,
            "event": enum_value(r.event),
            "enabled": bool(r.enabled),
            "conditions": list(r.conditions or []),
            "actions": list(r.actions or []),
        }
        for r in rules
    ]
    doc["workflow"] = _workflow(s, states)
    baselines = s.execute(select(M.Baseline).order_by(M.Baseline.name)).scalars().all()
    doc["baselines"] = [
        {"name": b.name, "created_at": utc_text(b.created_at), "snapshot": b.snapshot or {}}
        for b in baselines
    ]
    zone = s.get(M.PlanMeta, "timezone")
    doc["timezone"] = zone.value if zone is not None and zone.value else None
    return doc


def _windows(s: Session, ci_name: dict[int, str]) -> list[dict[str, Any]]:
    window_cis: dict[int, list[str]] = defaultdict(list)
    for window_id, ci_id in s.execute(select(M.window_cis.c.window_id, M.window_cis.c.ci_id)):
        window_cis[window_id].append(ci_name[ci_id])
    rows = []
    for w in s.execute(select(M.CalendarWindow)).scalars():
        rows.append(
            (
                w.start,
                {
                    "title": w.title,
                    "kind": enum_value(w.kind),
                    "hard": bool(w.hard),
                    "start": zoned_text(w.start, w.timezone),
                    "end": zoned_text(w.end, w.timezone),
                    "timezone": w.timezone,
                    "rrule": w.rrule,
                    "scope": {
                        "environment": w.scope_environment,
                        "cis": sorted(window_cis.get(w.id, [])),
                    },
                },
            )
        )
    rows.sort(key=lambda pair: (pair[0], pair[1]["title"], _canonical(pair[1])))
    return [doc for _, doc in rows]


def _changes(
    s: Session, email: dict[int, str], ci_name: dict[int, str]
) -> tuple[list[dict[str, Any]], dict[int, list[str]]]:
    change_cis: dict[int, list[str]] = defaultdict(list)
    for change_id, ci_id in s.execute(select(M.change_cis.c.change_id, M.change_cis.c.ci_id)):
        change_cis[change_id].append(ci_name[ci_id])
    changes_of: dict[int, list[str]] = defaultdict(list)
    out = []
    for c in s.execute(select(M.Change).order_by(M.Change.key)).scalars():
        if c.release_id is not None:
            changes_of[c.release_id].append(c.key)
        out.append(
            {
                "key": c.key,
                "title": c.title,
                "description": c.description,
                "type": enum_value(c.type),
                "category": enum_value(c.category),
                "approval": enum_value(c.approval),
                "risk": enum_value(c.risk),
                "requester": email.get(c.requester_id) if c.requester_id else None,
                "created_at": utc_text(c.created_at),
                "release_note": c.release_note,
                "known_issues": c.known_issues,
                "caused_incident": bool(c.caused_incident),
                "audience": enum_value(c.audience),
                "cis": sorted(change_cis.get(c.id, [])),
                "external_ref": c.external_ref,
            }
        )
    return out, changes_of


def _workflow(s: Session, states: Any) -> dict[str, Any]:
    position = {st.id: (st.position, st.name) for st in states}
    name = {st.id: st.name for st in states}
    last = (1 << 30, "")

    def order(t: M.WorkflowTransition) -> tuple[Any, ...]:
        # "from any open state" after the named states; "back to before" after named targets
        return (
            position.get(t.from_state_id, last) if t.from_state_id else last,
            position.get(t.to_state_id, last) if t.to_state_id else last,
        )

    transitions = sorted(s.execute(select(M.WorkflowTransition)).scalars().all(), key=order)
    return {
        "states": [
            {
                "name": st.name,
                "category": enum_value(st.category),
                "color": st.color,
                "role": enum_value(st.role),
            }
            for st in states
        ],
        "transitions": [
            {
                "from": name.get(t.from_state_id) if t.from_state_id else None,
                "to": name.get(t.to_state_id) if t.to_state_id else None,
                "label": t.label,
                "guards": [
                    {
                        "guard": g.get("guard"),
                        "param": g.get("param"),
                        "soft": bool(g.get("soft", False)),
                    }
                    for g in (t.guards or [])
                ],
            }
            for t in transitions
        ],
    }


def dumps_plan(doc: dict[str, Any]) -> str:
    """The document as text: two-space indent, UTF-8 characters kept, a final newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_plan_file(ctx: Ctx, path: str | os.PathLike[str]) -> Path:
    """Export to ``path`` atomically (a temporary file beside it, then a rename): a failure
    leaves any earlier file as it was."""
    target = Path(path).expanduser().absolute()
    if target.is_dir():
        raise ValidationError(f"{target} is a folder; name the JSON file to write")
    if not target.parent.is_dir():
        raise ValidationError(f"the folder {target.parent} does not exist; create it first")
    data = dumps_plan(export_plan(ctx)).encode("utf-8")
    write_atomically(
        target,
        lambda tmp: tmp.write_bytes(data),
        protect=[p for p in (ctx.plan.path,) if p is not None],
    )
    return target
