"""The plan's conflicts, kept up to date from change sets instead of recomputed after every edit.

The status bar's conflict count and the Conflicts page need the whole plan's conflicts again
and again; on a large plan ``all_conflicts`` reads everything each time. A ``ConflictTally``
reads the plan once, then for each write's ``ChangeSet`` re-checks only the releases it
concerns (each through the focused index of ``plan_index.Focus``: what can conflict with that
release), so an edit to one release costs what that release touches.

    tally = ConflictTally(ctx)              # one full read
    outcome = changeset.run(ctx, releases.update_release, "REL-7", {...})
    tally.apply(ctx, outcome.changes)       # re-checks REL-7 only
    tally.counts()                          # {"errors": 3, "warnings": 12}
    tally.conflicts()                       # == all_conflicts(ctx, suggest=False)

``conflicts()`` always equals ``conflicts.all_conflicts(ctx, suggest=False)`` on the same plan
(``tests/test_scale.py`` checks it after random edits). What a release-by-release update cannot
see falls back to a full read: calendar windows, CIs, people, the workflow, a change edited or
deleted (it may have moved between releases), an import (``whole_plan``), or more than
``FULL_AFTER`` releases at once. Plain Python, no Qt: a view holds one and calls ``apply`` from
the store's change announcements.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.models.entities import Release

from .base import Ctx, gc_paused
from .changeset import Action, ChangeSet, Kind
from .conflicts import ERROR, WARNING, Conflict, _detect, _order, all_conflicts, load_index

__all__ = ["FULL_AFTER", "ConflictTally"]

# Re-checking this many releases one by one costs about what one full read does.
FULL_AFTER = 200

# Changes whose effect on conflicts is not confined to the releases a change set names.
_WHOLE_KINDS = {Kind.WINDOWS, Kind.CIS, Kind.PEOPLE, Kind.WORKFLOW, Kind.PLAN}
# Changes that can alter conflicts; the rest (approvals, evidence, CAB, ...) cannot.
_RELEASE_KINDS = {Kind.RELEASES, Kind.DEPENDENCIES, Kind.TASKS, Kind.CHANGES}
# Rules about one release's own window: the whole-plan check applies them to open releases only.
_OWN_WINDOW_RULES = {"C1", "C2", "C6", "C7"}

_Ident = tuple[Any, ...]


def _ident(c: Conflict) -> _Ident:
    return (c.severity, c.rule, tuple(c.releases), c.message, tuple(c.windows), tuple(c.cis))


class ConflictTally:
    """Every conflict of the plan, by release, updated from change sets (see module doc)."""

    def __init__(self, ctx: Ctx | None = None) -> None:
        self._found: dict[_Ident, tuple[Conflict, int]] = {}
        self._involving: dict[str, set[_Ident]] = {}
        self._totals: Counter[str] = Counter({ERROR: 0, WARNING: 0})  # kept by _add/_forget
        self.full_reads = 0  # how often the whole plan was read (for tests and benchmarks)
        if ctx is not None:
            self.refresh(ctx)

    # --- reading ---------------------------------------------------------------------------------

    def conflicts(self) -> list[Conflict]:
        """Every conflict, errors first, in ``all_conflicts``'s order (without suggestions)."""
        out: list[Conflict] = []
        for c, n in self._found.values():
            out += [c] * n
        return _order(out)

    def counts(self) -> dict[str, int]:
        """``{"errors": n, "warnings": m}``: what a status bar shows."""
        return {"errors": self._totals[ERROR], "warnings": self._totals[WARNING]}

    def release_counts(self, key: str) -> tuple[int, int]:
        """``(errors, warnings)`` of the conflicts involving release ``key`` (a list's badge)."""
        errors = warnings = 0
        for ident in self._involving.get(key, ()):
            c, n = self._found[ident]
            if c.severity == ERROR:
                errors += n
            else:
                warnings += n
        return errors, warnings

    def related(self, keys: set[str]) -> set[str]:
        """``keys`` and every release sharing a conflict with one of them: whose badges an
        update of ``keys`` can change."""
        out = set(keys)
        for key in keys:
            for ident in self._involving.get(key, ()):
                out.update(self._found[ident][0].releases)
        return out

    def for_release(self, key: str) -> list[Conflict]:
        """The conflicts involving release ``key``, as the whole-plan check finds them."""
        out: list[Conflict] = []
        for ident in self._involving.get(key, ()):
            c, n = self._found[ident]
            out += [c] * n
        return _order(out)

    # --- updating --------------------------------------------------------------------------------

    def refresh(self, ctx: Ctx) -> None:
        """Read the whole plan again."""
        self._found.clear()
        self._involving.clear()
        self._totals = Counter({ERROR: 0, WARNING: 0})
        self._add(all_conflicts(ctx, suggest=False))
        self.full_reads += 1

    def apply(self, ctx: Ctx, changes: ChangeSet) -> set[str]:
        """Bring the tally up to date after ``changes`` (already committed to ``ctx``'s plan).
        Returns the keys of the releases re-checked (every key involved after a full read)."""
        if not changes:
            return set()
        if self.needs_full_read(changes):
            self.refresh(ctx)
            return set(self._involving)
        keys = self._keys(changes)
        with ctx.read() as s, gc_paused():
            for key in sorted(keys):
                self._forget(key)
                self._add(self._check(s, key))
        return keys

    @classmethod
    def needs_full_read(cls, changes: ChangeSet) -> bool:
        """Whether ``apply(ctx, changes)`` would read the whole plan again (a caller on a GUI
        thread then rebuilds in the background instead)."""
        if not changes:
            return False
        if (
            changes.whole_plan
            or changes.kinds & _WHOLE_KINDS
            or changes.ids(Kind.CHANGES, Action.UPDATED) | changes.ids(Kind.CHANGES, Action.DELETED)
        ):
            return True
        return len(cls._keys(changes)) > FULL_AFTER

    @classmethod
    def keys_of(cls, changes: ChangeSet) -> set[str]:
        """The releases ``apply(ctx, changes)`` re-checks when it needs no full read."""
        return cls._keys(changes)

    # --- inside ----------------------------------------------------------------------------------

    @staticmethod
    def _keys(changes: ChangeSet) -> set[str]:
        keys: set[str] = set()
        for kind in _RELEASE_KINDS:
            keys |= changes.releases(kind)
        for old, new in changes.renamed:
            keys |= {old, new}
        return keys

    @staticmethod
    def _check(s: Session, key: str) -> list[Conflict]:
        """Release ``key``'s conflicts as the whole-plan check finds them (none once deleted)."""
        release_id = s.scalar(select(Release.id).where(Release.key == key))
        if release_id is None:
            return []
        index = load_index(s, release_id)
        rel = index.by_key[key]
        found = _detect(index, {release_id})
        if not rel.active:  # closed, cancelled or unscheduled: no window rules of its own
            found = [c for c in found if c.rule not in _OWN_WINDOW_RULES]
        return found

    def _forget(self, key: str) -> None:
        for ident in self._involving.pop(key, set()):
            found = self._found.pop(ident, None)
            if found is None:
                continue
            self._totals[found[0].severity] -= found[1]
            for other in found[0].releases:
                if other != key and other in self._involving:
                    self._involving[other].discard(ident)

    def _add(self, found: list[Conflict]) -> None:
        for c in found:
            ident = _ident(c)
            known = self._found.get(ident)
            self._found[ident] = (c, known[1] + 1 if known else 1)
            self._totals[c.severity] += 1
            for key in c.releases:
                self._involving.setdefault(key, set()).add(ident)
