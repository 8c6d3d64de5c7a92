"""The CAB vocabulary and the rows the CAB services hand out (split from ``cab.py``).

The default agenda filter, the decision words and their aliases (``parse_decision``,
``decision_word``), and the frozen dataclasses the views, the CLI and the minutes read:
``Meeting`` with its ``AttendeeRow``s and ``AgendaItemRow``s, ``MeetingRow`` for the list of
meetings, and ``ItemDecision`` for one decision of a bulk. Plain data: no queries here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from relman_desktop.models import enums as E
from relman_desktop.models.entities import (
    CabDecision,
)

from .base import ValidationError

CAB_STAGE = "CAB"
# Eligible: releases whose state's role is awaiting_approval, whatever the state is called.
# A filter may instead name ``states`` (the user's own choice of state names).
DEFAULT_FILTER: dict[str, Any] = {
    "roles": [E.StateRole.AWAITING_APPROVAL.value],
    "stage": CAB_STAGE,
    "undecided_only": True,
}

NEEDS_RATIONALE = {CabDecision.REJECT, CabDecision.DEFER, CabDecision.MORE_INFO}
APPROVAL_FOR = {
    CabDecision.APPROVE: E.Decision.APPROVED,
    CabDecision.REJECT: E.Decision.REJECTED,
    CabDecision.MORE_INFO: E.Decision.MORE_INFO,
}
DECISION_WORDS = {
    CabDecision.APPROVE: "Approved",
    CabDecision.REJECT: "Rejected",
    CabDecision.DEFER: "Deferred",
    CabDecision.MORE_INFO: "More information needed",
}
_ALIASES = {
    "approve": CabDecision.APPROVE,
    "approved": CabDecision.APPROVE,
    "a": CabDecision.APPROVE,
    "reject": CabDecision.REJECT,
    "rejected": CabDecision.REJECT,
    "r": CabDecision.REJECT,
    "defer": CabDecision.DEFER,
    "deferred": CabDecision.DEFER,
    "d": CabDecision.DEFER,
    "more_info": CabDecision.MORE_INFO,
    "more info": CabDecision.MORE_INFO,
    "more-info": CabDecision.MORE_INFO,
    "info": CabDecision.MORE_INFO,
    "i": CabDecision.MORE_INFO,
}


# --- rows handed out ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendeeRow:
    person_id: int
    name: str
    email: str
    present: bool
    is_chair: bool = False
    apologies: bool = False

    @property
    def attendance(self) -> str:
        """``present``, ``apologies`` (absent, excused beforehand) or ``absent``."""
        return "present" if self.present else ("apologies" if self.apologies else "absent")


@dataclass(frozen=True)
class AgendaItemRow:
    id: int  # 0 while the agenda is provisional (not frozen yet)
    position: int
    release_key: str
    release_title: str
    release_type: str
    risk: str
    release_status: str
    decision: str | None
    rationale: str | None
    conditions: str | None
    seconds_spent: int
    decided_at: dt.datetime | None
    cab_stage_status: str | None  # None: the release has no CAB stage
    can_undo: bool = False
    # the item's row_version (None while provisional): a decision made from this row hands it
    # back (``ItemDecision.version``) and is refused if someone decided the item since
    version: int | None = None
    # an undecided item of a closed meeting: the later meeting whose agenda holds the release
    carried_to: str | None = None
    carried_to_at: dt.datetime | None = None

    @property
    def decided(self) -> bool:
        return self.decision is not None


@dataclass(frozen=True)
class MeetingRow:
    id: int
    title: str
    held_at: dt.datetime
    cutoff_at: dt.datetime
    status: str
    frozen: bool
    chair_name: str | None
    items: int
    decided: int


@dataclass(frozen=True)
class Meeting:
    id: int
    title: str
    held_at: dt.datetime
    cutoff_at: dt.datetime
    frozen_at: dt.datetime | None
    status: str
    chair_name: str | None
    chair_email: str | None
    filter: dict[str, Any]
    attendees: list[AttendeeRow] = field(default_factory=list)
    items: list[AgendaItemRow] = field(default_factory=list)
    timezone: str = "UTC"
    version: int = 1  # the meeting's row_version (for ``close_meeting``'s ``version``)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def decided(self) -> int:
        return sum(1 for i in self.items if i.decided)


@dataclass(frozen=True)
class ItemDecision:
    """One decision of a bulk: ``item`` is an agenda item id or a release key."""

    item: int | str
    decision: str
    rationale: str | None = None
    conditions: str | None = None
    seconds_spent: int | None = None
    version: int | None = None  # the item's version as the form showed it (None: no check)


def parse_decision(value: Any) -> CabDecision:
    word = str(value or "").strip().lower().replace("_", " ") if value is not None else ""
    found = _ALIASES.get(word) or _ALIASES.get(word.replace(" ", "_"))
    if found is None:
        raise ValidationError(
            f"Decision: {value!r} is not one of approve, reject, defer, more_info", field="decision"
        )
    return found


def decision_word(value: str | None) -> str:
    if value is None:
        return "Not decided"
    return DECISION_WORDS[CabDecision(value)]
