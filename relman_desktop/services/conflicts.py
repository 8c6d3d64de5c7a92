"""Conflict detection: the rules C1–C7 of PRODUCT.md §5, each finding naming its evidence.

| id | rule | severity |
|----|------|----------|
| C1 | deployment window overlaps a freeze/blackout window in scope | hard → error, soft → warning |
| C2 | deployment window not inside one occurrence of a maintenance window of each CI that requires one | error |
| C3 | two releases touch the same CI (or its parent/child) in overlapping deployment windows | error |
| C4 | one person has overlapping tasks in different releases | warning |
| C5 | a release deploys before (or while) a release it depends on ("before") deploys | error |
| C6 | deployment window overlaps a business event in scope | warning |
| C7 | the rollback does not fit between deployment end and the end of the maintenance window | warning |

Intervals are half-open: a window ending at 22:00 and one starting at 22:00 do not overlap.
Task dates are whole days, both included (a task ending on the 3rd overlaps one starting then).

It scales: the plan's open releases (no whole-plan rule looks at closed or cancelled ones)
are read with a handful of Core SELECTs, text decoded by SQLite, into a ``PlanIndex``;
C3 and C4 sweep sorted intervals per CI / per person (never all pairs), window rules look
occurrences up by bisection. One release's checks (``conflicts_for_release``, the
``window_clear`` guard) read only what can conflict with it (``plan_index.Focus``, through the
indexes of migration 0009_scale), so they cost what that release touches, not the plan; and
``conflict_tally.ConflictTally`` keeps the whole plan's conflicts up to date from change sets. Releases in a terminal state (Closed, Cancelled) and releases
without a deployment window are skipped by every rule that needs a window.

Times in messages are shown in the window's own time zone for window rules, otherwise in the
plan's display zone (PlanMeta ``timezone``, else the zone most windows use, else UTC).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import Release
from relman_desktop.models.planfile import decoded_in_c

from .base import Ctx, NotFound, gc_paused, jsonable
from .plan_index import CIInfo, PlanIndex, RelInfo, WinInfo, load_index

__all__ = [
    "Conflict",
    "PlanIndex",
    "Suggester",
    "all_conflicts",
    "conflicts_for_release",
    "load_index",
    "window_clear_problems",
]

ERROR, WARNING = "error", "warning"
SEARCH_DAYS = 60  # how far ahead a suggestion looks (as far as the Conflicts page does)


@dataclass(slots=True)
class Conflict:
    """One finding. ``suggestion`` is a sentence; ``suggested_*`` the slot it proposes."""

    rule: str
    severity: str
    releases: list[str]
    message: str
    cis: list[str] = field(default_factory=list)
    windows: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    suggestion: str | None = None
    suggested_start: dt.datetime | None = None
    suggested_end: dt.datetime | None = None
    suggested_window: str | None = None
    suggested_reason: str | None = None  # why the assistant chose the suggested slot

    def as_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))


# --- wording ----------------------------------------------------------------------------------------


def fmt_span(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> str:
    """``2026-12-20 22:00–23:30``, or ``2026-12-12 22:30 → 2026-12-13 01:30`` across midnight."""
    s, e = start.astimezone(tz), end.astimezone(tz)
    if s.date() == e.date():
        return f"{s:%Y-%m-%d %H:%M}–{e:%H:%M}"
    return f"{s:%Y-%m-%d %H:%M} → {e:%Y-%m-%d %H:%M}"


def fmt_window_span(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> str:
    """Whole local days as dates (``2026-12-19 → 2027-01-04``), otherwise as ``fmt_span``."""
    s, e = start.astimezone(tz), end.astimezone(tz)
    if s.time() == dt.time(0) and e.time() == dt.time(0):
        return f"{s:%Y-%m-%d} → {e:%Y-%m-%d}"
    return fmt_span(start, end, tz)


def _names(index: PlanIndex, ci_ids: Iterable[int]) -> list[str]:
    return sorted(index.cis[c].name for c in ci_ids)


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _quote(title: str) -> str:
    return f"\u201c{title}\u201d"


# --- the rules ----------------------------------------------------------------------------------------


def _overlap_rule(
    index: PlanIndex, rels: Iterable[RelInfo], kind: E.WindowKind, rule: str
) -> list[Conflict]:
    """C1 (freeze) and C6 (business event): the deployment overlaps a window in scope."""
    found: list[Conflict] = []
    wins = index.windows_of(kind)
    if not wins:
        return found
    for rel in rels:
        assert rel.start is not None and rel.end is not None
        for win in wins:
            if not win.applies_to(rel):
                continue
            occ = win.between(rel.start, rel.end)
            if not occ:
                continue
            s, e = occ[0]
            where = "inside" if s <= rel.start and rel.end <= e else "overlapping"
            deploy = fmt_span(rel.start, rel.end, win.tz)
            span = fmt_window_span(s, e, win.tz)
            if kind == E.WindowKind.FREEZE:
                severity = ERROR if win.hard else WARNING
                what = f"the {'hard' if win.hard else 'soft'} freeze {_quote(win.title)}"
            else:
                severity = WARNING
                what = f"the business event {_quote(win.title)}"
            found.append(
                Conflict(
                    rule=rule,
                    severity=severity,
                    releases=[rel.key],
                    windows=[win.title],
                    message=f"{rel.key} deploys {deploy} {where} {what} ({span})",
                )
            )
    return found


def _c2_c7(index: PlanIndex, rels: Iterable[RelInfo]) -> list[Conflict]:
    """C2: inside one maintenance occurrence for every CI that requires one; C7: the rollback
    still fits before the (earliest closing) maintenance window that holds the deployment ends."""
    found = []
    maint = index.windows_of(E.WindowKind.MAINTENANCE)
    for rel in rels:
        assert rel.start is not None and rel.end is not None
        required = index.required_cis(rel)
        failing: list[CIInfo] = []
        candidates: dict[str, None] = {}
        deadlines: list[tuple[dt.datetime, WinInfo]] = []
        for ci in required:
            best: tuple[dt.datetime, WinInfo] | None = None
            for win in maint:
                if not win.applies_to_ci(ci):
                    continue
                candidates[win.title] = None
                for _s, e in win.holding(rel.start, rel.end):
                    if best is None or e > best[0]:
                        best = (e, win)
            if best is None:
                failing.append(ci)
            else:
                deadlines.append(best)
        tz = index.display_tz
        if failing:
            names = [c.name for c in failing]
            deploy = fmt_span(rel.start, rel.end, tz)
            needs = "requires" if len(names) == 1 else "require"
            if candidates:
                tz = next(w.tz for w in maint if w.title in candidates)
                deploy = fmt_span(rel.start, rel.end, tz)
                windows_text = _and([_quote(t) for t in candidates])
                message = (
                    f"{rel.key} deploys {deploy} outside every maintenance window of "
                    f"{_and(names)}, which {needs} one (windows: {windows_text})"
                )
            else:
                message = (
                    f"{rel.key} deploys {deploy}, but {_and(names)} {needs} a maintenance window "
                    "and none is defined for it"
                )
            found.append(
                Conflict(
                    rule="C2",
                    severity=ERROR,
                    releases=[rel.key],
                    cis=names,
                    windows=list(candidates),
                    message=message,
                )
            )
            continue
        if not required:
            for win in maint:
                if win.applies_to(rel):
                    for _s, e in win.holding(rel.start, rel.end):
                        deadlines.append((e, win))
            if deadlines:
                deadlines = [max(deadlines, key=lambda d: d[0])]
        if not deadlines or not rel.rollback_minutes:
            continue
        closes, win = min(deadlines, key=lambda d: d[0])
        rollback = dt.timedelta(minutes=rel.rollback_minutes)
        if rel.end + rollback > closes:
            left = max(closes - rel.end, dt.timedelta(0))
            left_min = int(left.total_seconds() // 60)
            found.append(
                Conflict(
                    rule="C7",
                    severity=WARNING,
                    releases=[rel.key],
                    windows=[win.title],
                    cis=[c.name for c in required],
                    message=(
                        f"{rel.key}'s {rel.rollback_minutes}-minute rollback does not fit between the end of "
                        f"its deployment ({rel.end.astimezone(win.tz):%Y-%m-%d %H:%M}) and the end of the "
                        f"maintenance window {_quote(win.title)} ({closes.astimezone(win.tz):%Y-%m-%d %H:%M}): "
                        f"only {left_min} minutes remain"
                    ),
                )
            )
    return found


def _relation_words(index: PlanIndex, a: RelInfo, b: RelInfo, c: int) -> str:
    """How ``a`` and ``b`` meet at CI ``c`` (``c`` is one ``a`` changes)."""
    name = index.cis[c].name
    if c in b.direct:
        return f"both change {name}"
    for other in sorted(b.direct & index.neighbours.get(c, set()), key=lambda x: index.cis[x].name):
        relation = "parent" if other in index.parents.get(c, set()) else "child"
        return f"{a.key} changes {name}, {b.key} its {relation} {index.cis[other].name}"
    return f"both touch {name}"


def _c3(index: PlanIndex, focus: set[int] | None) -> list[Conflict]:
    """Sweep each CI's deployments by start; pairs overlap while the earlier has not ended."""
    groups: dict[int, list[RelInfo]] = defaultdict(list)
    for rel in index.releases.values():
        if rel.active:
            for c in rel.touched:
                groups[c].append(rel)
    if focus is not None:
        wanted = set().union(*(index.releases[r].touched for r in focus))
        groups = {c: g for c, g in groups.items() if c in wanted}
    pairs: dict[tuple[str, str], tuple[RelInfo, RelInfo, list[int]]] = {}
    for c, rels in groups.items():
        if len(rels) < 2:
            continue
        rels.sort(key=lambda r: (r.start, r.key))
        active: list[RelInfo] = []
        for rel in rels:
            active = [x for x in active if x.end > rel.start]  # type: ignore[operator]
            for other in active:
                if c not in rel.direct and c not in other.direct:
                    continue  # siblings under a shared parent do not clash
                if focus is not None and rel.id not in focus and other.id not in focus:
                    continue
                a, b = (other, rel) if (other.key < rel.key) else (rel, other)
                entry = pairs.setdefault((a.key, b.key), (a, b, []))
                entry[2].append(c)
            active.append(rel)
    found = []
    tz = index.display_tz
    for (_ka, _kb), (a, b, ci_ids) in sorted(pairs.items()):
        assert a.start and a.end and b.start and b.end
        first = min(ci_ids, key=lambda x: index.cis[x].name)
        words = (
            _relation_words(index, a, b, first)
            if first in a.direct
            else _relation_words(index, b, a, first)
        )
        evidence = set(ci_ids)
        for c in ci_ids:  # name the CI the other release changes as well
            evidence |= (a.direct | b.direct) & (index.neighbours.get(c, set()) | {c})
        found.append(
            Conflict(
                rule="C3",
                severity=ERROR,
                releases=[a.key, b.key],
                cis=_names(index, evidence),
                message=(
                    f"{a.key} ({fmt_span(a.start, a.end, tz)}) and {b.key} ({fmt_span(b.start, b.end, tz)}) "
                    f"deploy at overlapping times: {words}"
                ),
            )
        )
    return found


def _c4(index: PlanIndex, focus: set[int] | None) -> list[Conflict]:
    """Sweep each person's tasks by start date; days are inclusive."""
    per_person: dict[str, list[tuple[str, str, int, str]]] = defaultdict(list)
    for release_id, start, end, title, email in index.tasks():
        per_person[email].append((start, end, release_id, title))
    if focus is not None:
        people = {t[4] for t in index.tasks() if t[0] in focus}
        per_person = {p: ts for p, ts in per_person.items() if p in people}
    keys = {r.id: r.key for r in index.releases.values()}
    found = []
    for email in sorted(per_person):
        tasks = per_person[email]
        tasks.sort()
        pairs: dict[tuple[str, str], list[tuple[Any, Any]]] = {}
        active: list[tuple[str, int]] = []  # heap of (end, position in tasks)
        for n, t in enumerate(tasks):
            start, end, release_id, _title = t
            while active and active[0][0] < start:
                heapq.heappop(active)
            for _e, m in active:
                other = tasks[m]
                if other[2] == release_id:
                    continue
                if focus is not None and release_id not in focus and other[2] not in focus:
                    continue
                ka, kb = keys[other[2]], keys[release_id]
                if ka < kb:
                    pairs.setdefault((ka, kb), []).append((other, t))
                else:
                    pairs.setdefault((kb, ka), []).append((t, other))
            heapq.heappush(active, (end, n))
        for (ka, kb), evidence in sorted(pairs.items()):
            a, b = min(evidence)
            more = ""
            if len(evidence) > 1:
                more = f" (and {len(evidence) - 1} more overlapping pair{'s' if len(evidence) > 2 else ''})"
            found.append(
                Conflict(
                    rule="C4",
                    severity=WARNING,
                    releases=[ka, kb],
                    people=[email],
                    message=(
                        f"{email} has overlapping tasks in {ka} ({_quote(a[3])} {a[0]} → {a[1]}) "
                        f"and {kb} ({_quote(b[3])} {b[0]} → {b[1]}){more}"
                    ),
                )
            )
    return found


def _c5(index: PlanIndex, focus: set[int] | None) -> list[Conflict]:
    found = []
    tz = index.display_tz
    for release_id, prereq_id, kind in index.dependencies:
        if kind != E.DependencyKind.BEFORE:
            continue
        if focus is not None and release_id not in focus and prereq_id not in focus:
            continue
        rel, pre = index.releases[release_id], index.releases[prereq_id]
        if not rel.active or not pre.active or pre.deployed:
            continue
        assert rel.start and rel.end and pre.start and pre.end
        if rel.start < pre.end:
            when = "later" if rel.end <= pre.start else "at the same time"
            found.append(
                Conflict(
                    rule="C5",
                    severity=ERROR,
                    releases=[rel.key, pre.key],
                    message=(
                        f"{rel.key} deploys {fmt_span(rel.start, rel.end, tz)} but depends on {pre.key}, which "
                        f"deploys {when} ({fmt_span(pre.start, pre.end, tz)}); {pre.key} must finish deploying first"
                    ),
                )
            )
    return found


def _detect(
    index: PlanIndex, focus: set[int] | None, *, errors_only: bool = False
) -> list[Conflict]:
    if focus is None:
        rels = [r for r in index.releases.values() if r.active]
    else:
        rels = [index.releases[r] for r in focus if index.releases[r].scheduled]
    rels.sort(key=lambda r: (r.start, r.key))
    found = _overlap_rule(index, rels, E.WindowKind.FREEZE, "C1")
    found += _c2_c7(index, rels)
    found += _c3(index, focus)
    if not errors_only:  # C4 and C6 only ever warn
        found += _c4(index, focus)
    found += _c5(index, focus)
    if not errors_only:
        found += _overlap_rule(index, rels, E.WindowKind.BUSINESS_EVENT, "C6")
    return found


def _order(conflicts: list[Conflict]) -> list[Conflict]:
    """Errors first, then by rule, releases and message (ties keep the order found).

    Sorted as ``(severity, rule, releases, message)`` would be, but bucketed by severity and
    rule first and, where a bucket's findings all name as many releases (each rule names a
    fixed number), sorted on one flat tuple of strings: a plan-wide check returns 100,000
    findings, and comparing nested keys cost more than the rules themselves."""
    buckets: dict[tuple[bool, str], list[Conflict]] = defaultdict(list)
    for c in conflicts:
        buckets[(c.severity != ERROR, c.rule)].append(c)
    out: list[Conflict] = []
    for head in sorted(buckets):
        group = buckets[head]
        if len({len(c.releases) for c in group}) == 1:
            group.sort(key=lambda c: (*c.releases, c.message))
        else:
            group.sort(key=lambda c: (c.releases, c.message))
        out += group
    return out


class Suggester(Protocol):
    """Fills in each conflict's suggested slot: ``scheduling.suggest_moves`` (the scheduling
    assistant asks these rules about each slot it considers, so it is handed in, not imported).
    ``start`` None: from now. ``index_for(key)``: the index to search ``key``'s slots on, when
    ``index`` is one release's focused index and the release to move is another one."""

    def __call__(
        self,
        session: Session,
        index: PlanIndex,
        conflicts: list[Conflict],
        start: dt.datetime | None,
        now: dt.datetime,
        index_for: Callable[[str], PlanIndex] | None = None,
    ) -> None: ...


def _suggester(suggest: Suggester | bool) -> Suggester | None:
    if suggest is True:
        raise TypeError("suggest= takes the scheduling assistant's scheduling.suggest_moves")
    return suggest or None


def _search_start(ctx: Ctx, today: dt.date | None) -> dt.datetime | None:
    """Where suggestions are searched from: None for now (the assistant says "from today")."""
    if today is None or today == ctx.today():
        return None
    return dt.datetime.combine(today, dt.time(0), tzinfo=dt.UTC)


# --- public API -----------------------------------------------------------------------------------------


def _whole_index(s: Session) -> PlanIndex:
    """The index the whole-plan rules need: no rule of the whole-plan check looks at a closed
    or cancelled release, so none is read (``open_only``); people's tasks are read at once."""
    index = load_index(s, open_only=True)
    index.tasks()
    return index


def all_conflicts(
    ctx: Ctx, *, today: dt.date | None = None, suggest: Suggester | bool = False
) -> list[Conflict]:
    """Every conflict in the plan, errors first; with ``suggest=scheduling.suggest_moves`` each
    carries the assistant's slot where moving a deployment helps. ``today`` only sets where
    suggested slots are searched from (default: now)."""
    suggester = _suggester(suggest)
    with ctx.read() as s, gc_paused():
        index = decoded_in_c(s, lambda: _whole_index(s))
        found = _order(_detect(index, None))
        if suggester is not None:
            suggester(s, index, found, _search_start(ctx, today), ctx.now())
        del index  # freed while the collector still sleeps: it then has nothing to sweep
    return found


def conflicts_for_release(
    ctx: Ctx, key: str, *, today: dt.date | None = None, suggest: Suggester | bool = False
) -> list[Conflict]:
    """The conflicts involving release ``key``. Its own window rules (C1, C2, C6, C7) are
    checked even when it is closed or cancelled; pairs (C3, C4, C5) only while it is open."""
    with ctx.read() as s:
        release_id = s.scalar(select(Release.id).where(Release.key == key))
        if release_id is None:
            raise NotFound(f"no release {key!r} in this plan")
        # Only what can conflict with it is read (plan_index.Focus), and for suggestions the
        # releases sharing its CIs in the slot search's range.
        start, now = _search_start(ctx, today), ctx.now()
        begin = start or now
        suggester = _suggester(suggest)
        spans = [(begin, begin + dt.timedelta(days=SEARCH_DAYS))] if suggester else []
        index = load_index(s, release_id, spans=spans)
        rel = index.by_key[key]
        found = _order(_detect(index, {rel.id}))
        if suggester is not None:

            def index_for(other: str) -> PlanIndex:
                if other == key:
                    return index
                return load_index(s, index.by_key[other].id, spans=spans)

            suggester(s, index, found, start, now, index_for)
    return found


def window_clear_problems(
    session: Session, release: Any, today: dt.date | None = None
) -> list[str]:
    """For the lifecycle guard ``window_clear``: one sentence per problem — no deployment window,
    outside the maintenance windows of CIs that need one (C2), and every error-level conflict
    (C1 hard freeze, C3, C5) involving the release."""
    if release.deploy_start is None or release.deploy_end is None:
        return [f"{release.key} has no deployment window set"]
    session.flush()
    index = load_index(session, around=release)
    rel = index.by_key[release.key]
    return [
        c.message for c in _order(_detect(index, {rel.id}, errors_only=True)) if c.severity == ERROR
    ]
