"""The CAB presenter's adapter over ``services.cab`` and the app's ``Store`` (``CabBackend``),
and the preview of the next agenda (``preview_meeting``). Split out of ``cab_presenter.py``."""

from __future__ import annotations

from relman_desktop.services import cab
from relman_desktop.services.base import Ctx

from ..shell.store import Store
from .agenda_item import ItemDetail, load_item_detail

# --- the adapter ------------------------------------------------------------------------------------


def decisions_text(decisions: list[cab.ItemDecision]) -> str:
    """What the undo stack calls a decision, or a bulk decision: "CAB: approve REL-2026-014"."""
    parts = [
        f"{cab.parse_decision(d.decision).value.replace('_', ' ')} {d.item}" for d in decisions
    ]
    if len(parts) > 3:
        return f"CAB: {len(parts)} decisions ({', '.join(parts[:2])}, …)"
    return "CAB: " + ", ".join(parts)


class CabBackend:
    """``services.cab`` for the presenter, over the app's ``Store`` (or a ``Ctx``, given a store
    of its own): decisions are steps on the store's undo stack."""

    def __init__(self, source: Store | Ctx) -> None:
        self.store = source if isinstance(source, Store) else Store(source)

    @property
    def ctx(self) -> Ctx:
        return self.store.ctx

    def refused(self, message: str) -> None:
        self.store.error.emit(message)

    def meeting(self, meeting_id: int | None) -> cab.Meeting:
        if meeting_id is None:
            return preview_meeting(self.ctx)
        # Reading a meeting past its cut-off freezes its agenda (a write): announced as any write.
        return self.store.edits.read_cab_meeting(meeting_id)

    def item_detail(self, key: str) -> ItemDetail:
        return load_item_detail(self.ctx, key)

    def decide(self, meeting_id: int, decisions: list[cab.ItemDecision]) -> list[cab.AgendaItemRow]:
        """Record the decisions now, as one undo step; ``Refused`` when the service refuses."""
        decisions = list(decisions)
        return self.store.edits.record_cab_decisions(
            meeting_id, decisions, decisions_text(decisions)
        )

    def undo(self) -> tuple[str, str | None] | None:
        """Undo the app's last step (Edit > Undo): its text and the refusal, if it was refused;
        None when there is nothing to undo."""
        stack = self.store.undo_stack
        if not stack.canUndo():
            return None
        text = stack.undoText()
        refusals: list[str] = []

        def heard(message: str) -> None:
            refusals.append(message)

        self.store.error.connect(heard)
        try:
            stack.undo()
        finally:
            self.store.error.disconnect(heard)
        return text, refusals[-1] if refusals else None

    def record_time(self, meeting_id: int, key: str, seconds: int) -> bool:
        """The time spent on an item (not an undo step; announced like every write)."""
        return self.store.edits.run_record_cab_time(meeting_id, key, seconds) is not Store.FAILED


def preview_meeting(ctx: Ctx) -> cab.Meeting:
    """What the next meeting's agenda would hold now (nothing stored; decisions need a meeting)."""
    zone = cab.display_zone(ctx)
    items = cab.preview_agenda(ctx)
    now = ctx.now()
    return cab.Meeting(
        0,
        "Next CAB (preview)",
        now,
        now,
        None,
        "planned",
        None,
        None,
        dict(cab.DEFAULT_FILTER),
        [],
        items,
        str(zone),
    )


__all__ = ["CabBackend", "decisions_text", "preview_meeting"]
