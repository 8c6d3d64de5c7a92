"""Audit events as sentences people read in a release's history.

"Carol Checker approved the CAB stage", "ana moved REL-2026-014 from Testing to Awaiting
Approval", "OVERRIDE: ana moved REL-2026-014 past 'no test run passed' …": the History tab and
``relman audit log --words`` print these instead of "decide approval 3". An event this module
does not know keeps the audit row's own summary, so nothing is ever left unsaid.
"""

from __future__ import annotations

from typing import Any

from .audit import AuditRow
from .base import Ctx

DECIDED = {
    "approved": "approved",
    "rejected": "rejected",
    "more_info": "asked for more information on",
    "pending": "took back the decision on",
}


def people_names(ctx: Ctx) -> dict[str, str]:
    """E-mail → name of everyone in the plan (to name approvers and actors)."""
    from .people import list_people

    return {p.email: p.name for p in list_people(ctx)}


def is_override(row: AuditRow) -> bool:
    """An unmet soft guard overridden with a reason, or a transition made that way."""
    return row.action == "override" or (
        row.action == "transition" and bool((row.after or {}).get("reason"))
    )


def sentence(row: AuditRow, people: dict[str, str] | None = None) -> str:
    """The event in words, with who did it first."""
    people = people or {}
    actor = people.get(row.actor, row.actor)
    before, after = row.before or {}, row.after or {}
    if row.damaged:
        return row.summary
    if row.entity == "release":
        key = row.entity_id
        if row.action == "transition":
            text = f"{actor} moved {key} from {before.get('status')} to {after.get('status')}"
            if after.get("reason"):
                text = f"OVERRIDE: {text}, overriding unmet guards: “{after['reason']}”"
            return text
        if row.action == "override":
            missing = "; ".join(str(m) for m in after.get("missing") or []) or after.get("guard")
            return (
                f"OVERRIDE: {actor} moved {key} from {after.get('from')} to {after.get('to')} "
                f"although {missing} — reason: “{after.get('reason')}”"
            )
        if row.action == "record_dates":
            filled = [_filled(n, v) for n, v in after.items() if n != "because"]
            return f"{'; '.join(filled)} ({after.get('because', 'from its moves')})"
        if row.action == "restore_status":
            return f"{actor} put {key} back in {after.get('status')} (undo)"
        if row.action == "create":
            return f"{actor} created {key}"
        if row.action == "delete":
            return f"{actor} deleted {key}"
    if row.entity == "approval":
        approver = people.get(str(after.get("approver") or before.get("approver") or ""), "")
        stage = after.get("stage") or before.get("stage")
        the_stage = f"the {stage} stage" if stage else "an approval stage"
        if row.action == "decide":
            who = approver or actor
            verb = DECIDED.get(str(after.get("decision")), f"decided {after.get('decision')} on")
            comment = f": “{after['comment']}”" if after.get("comment") else ""
            by = f" (recorded by {actor})" if approver and approver != actor else ""
            return f"{who} {verb} {the_stage}{comment}{by}"
        if row.action == "create":
            return f"{actor} asked {approver or after.get('approver')} to approve {the_stage}"
        if row.action == "delegate":
            to = people.get(str(after.get("delegated_to")), after.get("delegated_to"))
            return f"{approver or actor} delegated {the_stage} to {to}"
    if row.entity == "approval_stage":
        name = after.get("name") or before.get("name") or after.get("stage")
        stage = f"the {name} stage" if name else f"approval stage {row.entity_id}"
        if row.action == "status":
            why = f" ({after['why']})" if after.get("why") else ""
            return f"{stage[:1].upper() + stage[1:]} is now {after.get('status')}{why}"
        if row.action == "create":
            return f"{actor} added {stage}"
        if row.action == "delete":
            because = f" ({after['because']})" if after.get("because") else ""
            return f"{actor} removed {stage}{because}"
    return row.summary


def _filled(name: str, value: Any) -> str:
    label = "Closed at" if name == "review_closed_at" else _label(name)
    return f"{label} recorded: {value}"


def _label(name: str) -> str:
    from .releases import LABELS

    return LABELS.get(name, name.replace("_", " ").capitalize())
