"""The demo's plan as a whole (see ``services.demo``): when each release deploys, which state
its dates put it in, keys, dependencies between releases, changes in no release, a baseline.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from relman_desktop.models.entities import (
    Baseline,
    Release,
    ReleaseDependency,
)

from .demo_base import _Rel
from .demo_data import (
    CHANGE_CATEGORY_WEIGHTS,
    DAY,
    LEVEL,
    MINUTE,
    TYPE_WEIGHTS,
    _allocate,
)
from .demo_releases import _DemoReleases


class _DemoPlan(_DemoReleases):
    """The schedule and what spans releases."""

    # --- dates, applications and statuses -----------------------------------------------------------

    def _schedule(self) -> list[_Rel]:
        """Deployment Saturdays: every free Saturday in range, a little denser around today."""
        saturdays = self._saturdays()
        weights = [2.5 if -21 <= (d - self.today).days <= 42 else 1.0 for d in saturdays]
        parts = _allocate(self.n, weights)
        rels: list[_Rel] = []
        for day, count in zip(saturdays, parts, strict=True):
            for _ in range(count):
                rels.append(_Rel(len(rels), day))
        # Applications: each block of len(apps) releases gives every application one, so each
        # application ships at a steady pace and never twice on the same night.
        perm: list[int] = []
        on_day: dict[dt.date, set[int]] = {}
        names, weights_t = zip(*TYPE_WEIGHTS, strict=True)
        for rel in rels:
            if not perm:
                perm = list(range(len(self.apps)))
                self.rng.shuffle(perm)
            used = on_day.setdefault(rel.deploy_day, set())
            pick = next((j for j, a in enumerate(perm) if a not in used), 0) if used else 0
            app_idx = perm.pop(pick)
            used.add(app_idx)
            rel.app = self.apps[app_idx]
            rel.type = self.rng.choices(names, weights_t)[0]
        return rels

    def _statuses(self, rels: list[_Rel]) -> None:
        rng = self.rng
        today = self.today
        n = len(rels)
        idx = list(range(n))
        n_cancel = max(1, round(0.05 * n)) if n >= 8 else 0
        n_hold = max(1, round(0.05 * n)) if n >= 8 else 0
        cancelled = sorted(rng.sample(idx, n_cancel))
        dropped = set(cancelled)
        future = [r for r in rels if r.deploy_day >= today and r.idx not in dropped]
        past = [r for r in rels if r.deploy_day < today and r.idx not in dropped]

        # Future releases by how close their window is.
        future.sort(key=lambda r: (r.deploy_day, r.idx))
        f = len(future)
        shares = [
            ("Approved", 0.10),
            ("Awaiting Approval", 0.13),
            ("Testing", 0.18),
            ("Build", 0.24),
        ]
        at = 0
        for state, share in shares:
            k = max(1, round(share * f)) if f >= 5 else (1 if at < f else 0)
            for r in future[at : at + k]:
                r.status = r.effective = state
            at += k
        for r in future[at:]:
            r.status = r.effective = "Planning"
        holdable = [
            r
            for r in future
            if r.status in ("Build", "Testing") and (r.deploy_day - today).days > 7
        ]
        left = Counter(r.status for r in holdable)
        for r in rng.sample(holdable, len(holdable)):
            if n_hold and left[r.status] > 1:  # keep one of each state in play
                r.status = "On Hold"
                left[r.effective] -= 1
                n_hold -= 1

        # Past releases, the most recent first.
        past.sort(key=lambda r: (r.deploy_day, r.idx), reverse=True)
        p = len(past)
        n_deployed = max(1, round(0.06 * p)) if p else 0
        n_review = max(1, round(0.08 * p)) if p >= 3 else 0
        for i, r in enumerate(past):
            state = (
                "Deployed"
                if i < n_deployed
                else "In Review"
                if i < n_deployed + n_review
                else "Closed"
            )
            days_ago = (today - r.deploy_day).days
            if state == "Closed" and days_ago <= 4:  # its review is not due yet
                state = "In Review"
            if state == "In Review" and days_ago <= 1:
                state = "Deployed"
            r.status = r.effective = state
        # Rollbacks: one recent release still stands Rolled Back; older ones were reviewed and closed.
        n_rb = max(1, round(0.06 * p)) if p >= 3 else 0
        if n_rb:
            recent = [
                r
                for r in past[: max(2, n_deployed + n_review)]
                if r.status in ("In Review", "Deployed")
            ]
            rolled = recent[-1:] if recent else []
            older = [r for r in past if r.status == "Closed"]
            rolled += rng.sample(older, min(n_rb - len(rolled), len(older)))
            for r in rolled:
                r.flavour = "rolled_back"
                if r.status != "Closed":
                    r.status = r.effective = "Rolled Back"
        pool = [r for r in past if r.flavour == "success"]
        rng.shuffle(pool)
        n_failed = max(1, round(0.07 * p)) if p >= 4 else 0
        n_partial = max(1, round(0.05 * p)) if p >= 4 else 0
        for r in pool[:n_failed]:
            r.flavour = "failed"
        for r in pool[n_failed : n_failed + n_partial]:
            r.flavour = "partial"
            if r.type == "emergency":
                r.type = "minor"
        for r in past:
            if r.status == "Closed" and rng.random() < 0.15:
                r.late_days = 7
        for r in future:
            if rng.random() < 0.12:
                r.baseline_shift = -7

        # Cancelled: from wherever they had got to.
        for i in cancelled:
            r = rels[i]
            if r.deploy_day < today:
                r.effective = rng.choice(["Build", "Testing", "Awaiting Approval"])
            else:
                r.effective = rng.choice(["Planning", "Build"])
            r.status = "Cancelled"

    def _identities(self, rels: list[_Rel]) -> None:
        """Ids up front (tasks and changes point at them); keys by year in deployment order."""
        per_year: Counter[int] = Counter()
        for rel, rid in zip(rels, self._reserve(Release.__table__, len(rels)), strict=True):
            rel.id = rid
            year = rel.deploy_day.year
            per_year[year] += 1
            rel.key = f"REL-{year}-{per_year[year]:03d}"

    # --- across releases ----------------------------------------------------------------------------

    def _release_dependencies(self, rels: list[_Rel]) -> None:
        """Some releases need another application's release first (e.g. the portal needs Identity)."""
        rng = self.rng
        table = ReleaseDependency.__table__
        ordered = sorted(rels, key=lambda r: (r.deploy_day, r.idx))
        deployed = {"Deployed", "In Review", "Closed"}
        want = max(3, self.n // 10) if self.n >= 6 else 0
        made: dict[tuple[int, int], bool] = {}
        tries = 0
        while len(made) < want and tries < want * 20:
            tries += 1
            i = rng.randrange(1, len(ordered))
            a = ordered[i]
            if a.status == "Cancelled":
                continue
            lo = max(0, i - 40)
            b = ordered[rng.randrange(lo, i)]
            if (
                b.deploy_day >= a.deploy_day
                or b.app is a.app
                or b.status in ("Cancelled", "Rolled Back")
            ):
                continue
            if LEVEL[a.effective] >= 6 and b.status not in deployed:
                continue
            if b.flavour == "rolled_back":
                continue
            if (a.id, b.id) in made:
                continue
            made[(a.id, b.id)] = True
            self._add(table, {"release_id": a.id, "prerequisite_id": b.id, "kind": "before"})
        # One pair of future releases that must go out together.
        early = [r for r in ordered if r.status in ("Planning", "Build")]
        for x, y in zip(early, early[1:], strict=False):
            if (
                x.deploy_day == y.deploy_day
                and x.app is not y.app
                and (x.id, y.id) not in made
                and (y.id, x.id) not in made
            ):
                self._add(table, {"release_id": y.id, "prerequisite_id": x.id, "kind": "together"})
                break

    def _unbundled_changes(self) -> None:
        """Changes not yet in any release: waiting for approval, or turned down."""
        rng = self.rng
        count = max(3, self.n // 8)
        cats, weights = zip(*CHANGE_CATEGORY_WEIGHTS, strict=True)
        for k in range(count):
            app = self.apps[rng.randrange(len(self.apps))]
            category = rng.choices(cats, weights)[0]
            title, note = self._change_text(category, app, rng.choice(app.topics))
            approval = "rejected" if k % 3 == 2 else "pending"
            created = self.now - rng.randint(1, 40) * DAY - rng.randint(0, 600) * MINUTE
            self._change(
                title=title,
                category=category,
                approval=approval,
                release_id=None,
                created=created,
                note=note,
                app=app,
                change_type="normal",
                caused=False,
                known=None,
            )

    def _baseline(self, rels: list[_Rel]) -> None:
        """The plan as agreed a month ago: slipped releases show their original dates."""
        snapshot: dict[str, Any] = {}
        for rel in rels:
            row_start, row_end, dates = self.release_dates[rel.id]
            shift = dt.timedelta(days=rel.baseline_shift - rel.late_days)
            base_shift = dt.timedelta(days=rel.baseline_shift)
            snapshot[rel.key] = {
                "planned_start": (row_start + base_shift).isoformat(),
                "planned_end": (row_end + base_shift).isoformat(),
                "deploy_start": None,
                "deploy_end": None,
                "tasks": {
                    tid: [(s + shift).isoformat(), (e + shift).isoformat()]
                    for tid, (s, e) in dates.items()
                },
            }
        by_id = {row["id"]: row for row in self.rows[Release.__table__]}
        for rel in rels:
            row = by_id[rel.id]
            base = dt.timedelta(days=rel.baseline_shift)
            snapshot[rel.key]["deploy_start"] = (
                (row["deploy_start"] + base).isoformat().replace("+00:00", "Z")
            )
            snapshot[rel.key]["deploy_end"] = (
                (row["deploy_end"] + base).isoformat().replace("+00:00", "Z")
            )
        self._add(
            Baseline.__table__,
            {
                "name": "Quarterly plan baseline",
                "created_at": self.now - 30 * DAY,
                "snapshot": snapshot,
            },
        )
