"""The demo generator's state (see ``services.demo``): the applications and releases it
plans, the ids it reserves and the rows it collects for one bulk insert per table.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .demo_data import (
    MINUTE,
    _utc,
)

# --- the generator -------------------------------------------------------------------------------


@dataclass
class _App:
    idx: int
    name: str
    slug: str
    team: str
    topics: list[str]
    manager: int = 0
    team_member: int = 0
    stakeholders: list[int] = field(default_factory=list)
    prod_cis: list[int] = field(default_factory=list)  # ids: service, servers, database
    version: list[int] = field(default_factory=lambda: [1, 0, 0])
    next_topic: int = 0

    def topics_for_next_release(self) -> list[str]:
        """Two topics, moving through the application's list so that releases differ."""
        k = self.next_topic
        self.next_topic += 1
        return [self.topics[k % len(self.topics)], self.topics[(k + 3) % len(self.topics)]]


@dataclass
class _Rel:
    idx: int
    deploy_day: dt.date
    app: _App | None = None
    type: str = "minor"
    status: str = "Planning"
    effective: str = "Planning"  # the state whose facts it carries (before On Hold / Cancelled)
    flavour: str = "success"  # deployment outcome: success, failed, partial, rolled_back
    id: int = 0
    key: str = ""
    late_days: int = 0
    baseline_shift: int = 0


class _DemoBase:
    """The generator's state, and the rows it collects for the bulk insert."""

    states: dict[str, int]  # workflow state ids by name (read by ``run`` first)

    def __init__(self, session: Session, n: int, seed: int, today: dt.date) -> None:
        self.s = session
        self.n = n
        self.rng = random.Random(seed)
        self.today = today
        # "Now" for the story: early morning of today; everything that happened lies before it.
        self.now = _utc(today, 6, 0)
        self.rows: dict[Any, list[dict[str, Any]]] = {}
        self.next_id: dict[Any, int] = {}
        self.counts: Counter[str] = Counter()
        self.release_dates: dict[
            int, tuple[dt.date, dt.date, dict[str, tuple[dt.date, dt.date]]]
        ] = {}

    # --- ids and rows ---------------------------------------------------------------------------

    def _first_id(self, table: Any) -> None:
        if table not in self.next_id:
            current = self.s.execute(select(func.max(table.c.id))).scalar() or 0
            self.next_id[table] = current + 1

    def _reserve(self, table: Any, n: int) -> list[int]:
        self._first_id(table)
        first = self.next_id[table]
        self.next_id[table] += n
        return list(range(first, first + n))

    def _add(self, table: Any, row: dict[str, Any]) -> int:
        if "id" in table.c and "id" not in row:
            self._first_id(table)
            row["id"] = self.next_id[table]
            self.next_id[table] += 1
        self.rows.setdefault(table, []).append(row)
        return row.get("id", 0)

    def _past(self, moment: dt.datetime, margin_hours: float) -> dt.datetime:
        """``moment``, or a little before now when it lies later (work done early)."""
        limit = self.now - dt.timedelta(hours=margin_hours) - self.rng.randrange(0, 300) * MINUTE
        return moment if moment <= limit else limit
