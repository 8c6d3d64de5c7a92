"""The conflicts of a plan as plain rows for the Conflicts page (no Qt here).

``plan_conflicts`` is the one call the page makes to the conflict rules; an incremental tally
(``apply``/``counts``/``conflicts``) can answer there instead without the page changing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from relman_desktop.services.base import Ctx
from relman_desktop.services.conflicts import ERROR, Conflict, all_conflicts

RULE_NAMES = {
    "C1": "Freeze",
    "C2": "Outside maintenance window",
    "C3": "Same CI at the same time",
    "C4": "Person double-booked",
    "C5": "Deploys before its prerequisite",
    "C6": "Business event",
    "C7": "Rollback does not fit",
}


def plan_conflicts(ctx: Ctx) -> list[Conflict]:
    """Every conflict of the plan, errors first (suggested slots are asked per conflict, when
    one is selected, from the scheduling assistant)."""
    return all_conflicts(ctx, suggest=False)


@dataclass(frozen=True, slots=True)
class ConflictRow:
    rule: str
    severity: str
    releases: tuple[str, ...]
    cis: tuple[str, ...]
    people: tuple[str, ...]
    windows: tuple[str, ...]
    message: str
    haystack: str  # everything above, lower-cased, for the free-text filter

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def rule_text(self) -> str:
        return f"{self.rule} {RULE_NAMES.get(self.rule, '')}".strip()


def to_rows(found: list[Conflict], check: Callable[[], None] | None = None) -> list[ConflictRow]:
    rows = []
    for n, c in enumerate(found):
        if check is not None and n % 2000 == 0:
            check()
        rows.append(
            ConflictRow(
                rule=c.rule,
                severity=c.severity,
                releases=tuple(c.releases),
                cis=tuple(c.cis),
                people=tuple(c.people),
                windows=tuple(c.windows),
                message=c.message,
                haystack=" ".join(
                    (
                        c.rule,
                        RULE_NAMES.get(c.rule, ""),
                        c.severity,
                        *c.releases,
                        *c.cis,
                        *c.people,
                        *c.windows,
                        c.message,
                    )
                ).lower(),
            )
        )
    return rows


def counts_by_release(rows: list[ConflictRow]) -> dict[str, tuple[int, int]]:
    """``{release key: (errors, warnings)}`` over ``rows``."""
    out: dict[str, list[int]] = {}
    for r in rows:
        for key in r.releases:
            pair = out.setdefault(key, [0, 0])
            pair[0 if r.is_error else 1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


__all__ = ["RULE_NAMES", "ConflictRow", "counts_by_release", "plan_conflicts", "to_rows"]
