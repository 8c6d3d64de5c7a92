"""The audit trail's head printed into an exported document (release notes, CAB minutes).

A document that leaves the plan — e-mailed, attached to a ticket — then anchors the history:
``relman audit verify --against HASH`` proves later that nothing up to that event was changed
in the plan, even by someone who rebuilt the chain's hashes.
"""

from __future__ import annotations

from typing import Any

from docx.shared import Pt

PROPERTY_PREFIX = "relman-audit-head "


def stamp_audit_head(doc: Any, head: str | None) -> None:
    """Record ``head`` ("SEQ:HASH", from ``audit.head(ctx).text``) in the document's
    identifier property and as a last small line; nothing when there is no head."""
    if not head:
        return
    seq, _, digest = head.partition(":")
    doc.core_properties.identifier = f"{PROPERTY_PREFIX}{head}"
    run = doc.add_paragraph().add_run(
        f"Audit trail head when written: event {seq}, SHA-256 {digest} "
        "(check with: relman audit verify --against HASH)"
    )
    run.font.size = Pt(7)
