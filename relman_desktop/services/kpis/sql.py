"""The KPIs straight from SQL (the fast path of ``compute_kpis`` on a plan file)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from relman_desktop.services.kpis.report import (
    _change_issue,
    _deployment_label,
    _is_production,
    _no_planned_end_issue,
    _no_requested_issue,
    _no_restore_issue,
    _Tally,
    _unfinished_issue,
    period_of,
)
from relman_desktop.services.kpis.rows import (
    _FAILED_WORDS,
)

# --- the KPIs straight from SQL -------------------------------------------------------------------
#
# ``compute_kpis`` builds none of ``collect``'s row objects: SQLite counts per UTC day and works
# out each duration as a whole number of microseconds; Python maps each day to its period and
# turns microseconds into hours as ``(later - earlier) / HOUR`` does (one correctly rounded
# integer division), so every value is the one ``compute_from(collect(...))`` gives, bit for
# bit (tests/test_kpis.py compares the two on generated plans). Only durations (for medians and
# means), per-day counts and the records named in ``data_quality`` leave SQLite.
#
# The SQL reads times as stored: SQLAlchemy writes naive UTC as ``YYYY-MM-DD HH:MM:SS.ffffff``,
# so the first ten characters are the UTC day and text order is time order. A time stored any
# other way (a plan edited with another tool) sends the call back to ``collect``, and so does a
# plan whose times are not stored as text at all (a server plan: ``Database.times_as_text``),
# where ``collect``'s portable SELECTs give the same report (tests/test_engines.py compares them).

_HOUR_US = 3_600_000_000  # HOUR in microseconds
_STORED_TIME = "2026-11-27 09:00:00.000000"


def _odd(column: str, *, ordered: bool = False) -> str:
    """SQL: true when a stored time is not as SQLAlchemy writes it (NULL when there is none).
    Its length is enough where only the day and ``_us`` are read (``julianday`` takes a ``T``
    too); where text order stands for time order (``ordered``), the separator counts as well."""
    test = f"length({column}) <> {len(_STORED_TIME)}"
    return f"({test} OR substr({column}, 11, 1) <> ' ')" if ordered else f"({test})"


def _us(column: str) -> str:
    """SQL: a stored time in whole microseconds (NULL when there is none). ``julianday`` of the
    time up to its seconds is a whole number of milliseconds divided by 86,400,000 in a double,
    so multiplying back and rounding is exact; the microseconds are the digits after the dot."""
    return (
        f"(CAST(round(julianday(substr({column}, 1, 19)) * 86400000) AS INTEGER) * 1000"
        f" + CAST(substr({column}, 21) AS INTEGER))"
    )


# ``deployment_failed`` for the deployment ``d``, as 0 or 1
_FAILED_SQL = (
    "(CASE WHEN d.outcome IN ({outcomes}) OR coalesce(d.incidents, 0) > 0"
    " OR coalesce(d.hotfix, 0) <> 0 OR d.failure_detected_at IS NOT NULL THEN 1 ELSE 0 END)"
).format(outcomes=", ".join(f"'{word}'" for word in sorted(_FAILED_WORDS)))


class _NotStoredAsExpected(Exception):
    """A time the SQL cannot read as it is: ``compute_kpis`` falls back to ``collect``."""


def _marks(values: list[Any]) -> str:
    return ", ".join("?" * len(values))


class _SqlKpis:
    """The tallies, deployment days and data-quality notes of ``compute_kpis``, read with a few
    SQL statements (see "the KPIs straight from SQL" above)."""

    def __init__(
        self,
        conn: Connection,
        first: dt.date | None,
        last: dt.date | None,
        by: str,
        app: str | None,
    ) -> None:
        self.conn = conn
        self.by = by
        self.first = None if first is None else first.isoformat()
        self.last = None if last is None else last.isoformat()
        self.tallies: dict[str, _Tally] = {}
        self._tally_of_day: dict[str, _Tally] = {}
        self.days: set[str] = set()  # days with a counted deployment, release or approval
        self.deploy_days: set[str] = set()
        # (release key, part, order in the part, note): sorted, the order ``collect`` lists
        # them in — per release its deployments, the release, its changes, its approvals
        self.notes: list[tuple[str, int, Any, dict[str, str]]] = []

        # environments and applications are matched in Python, exactly as ``collect`` does
        # (SQL lower() and trim() fold fewer letters and spaces); SQL gets the exact names.
        # Every query joins the release (``r``) as ``collect`` does: a record of a release
        # that is gone (deleted with foreign keys off) counts nowhere.
        environments = self._run("SELECT DISTINCT environment FROM deployments")
        self.production = [env for (env,) in environments if _is_production(env)]
        self.scope, self.scope_params = "", []
        if app is not None:
            names = [
                name
                for (name,) in self._run("SELECT DISTINCT application FROM releases")
                if (name or "").strip().lower() == app
            ]
            self.scope_params = [name for name in names if name is not None]
            test = f"r.application IN ({_marks(self.scope_params)})"
            if None in names:  # a blank filter: the releases with no application
                test += " OR r.application IS NULL"
            self.scope = f"AND ({test})"

    def _run(self, sql: str, params: list[Any] | None = None) -> Sequence[Any]:
        # driver SQL: no type processing, every value a plain int, str or None
        return self.conn.exec_driver_sql(sql, tuple(params or ())).fetchall()

    def _within(self, day: str) -> tuple[str, list[str]]:
        """SQL: ``day`` (a ``YYYY-MM-DD`` expression) lies in the range; and its parameters."""
        tests, params = ["1"], []
        if self.first is not None:
            tests.append(f"{day} >= ?")
            params.append(self.first)
        if self.last is not None:
            tests.append(f"{day} <= ?")
            params.append(self.last)
        return " AND ".join(tests), params

    def _tally(self, day: str) -> _Tally:
        """The tally of the period holding ``day``."""
        tally = self._tally_of_day.get(day)
        if tally is None:
            label = period_of(dt.date.fromisoformat(day), self.by)
            tally = self._tally_of_day[day] = self.tallies.setdefault(label, _Tally())
            self.days.add(day)
        return tally

    def read(self) -> None:
        self._deployments()
        deployed, params = self._deployed()
        self._releases(deployed, params)
        self._changes(deployed, params)
        self._approvals()

    def _production(self) -> tuple[str, list[Any]]:
        """SQL: the production deployments ``d`` of the releases ``r`` in scope."""
        return (
            f"""deployments AS d JOIN releases AS r ON r.id = d.release_id
                WHERE d.environment IN ({_marks(self.production)}) {self.scope}""",
            [*self.production, *self.scope_params],
        )

    def _deployments(self) -> None:
        production, params = self._production()
        # every day with finished production deployments, in range or not: a release is
        # deployed when its latest one finished, so all their times are checked here
        for day, count, failed, odd in self._run(
            f"""SELECT substr(d.finished_at, 1, 10), count(*), sum({_FAILED_SQL}),
                       max({_odd("d.finished_at", ordered=True)})
                FROM {production} AND d.finished_at IS NOT NULL
                GROUP BY 1""",
            params,
        ):
            if odd:
                raise _NotStoredAsExpected
            if (self.first is None or day >= self.first) and (
                self.last is None or day <= self.last
            ):
                tally = self._tally(day)
                tally.deployments += count
                tally.failed_deployments += failed
                self.deploy_days.add(day)

        # failed deployments in range (their recovery), and unfinished ones with an outcome
        within, within_params = self._within("substr(d.finished_at, 1, 10)")
        rows = self._run(
            f"""SELECT r.key, d.environment, d.id, d.wave, substr(d.finished_at, 1, 10),
                       {_us("d.restored_at")} - {_us("d.failure_detected_at")},
                       d.failure_detected_at IS NULL, d.restored_at IS NULL,
                       coalesce({_odd("d.failure_detected_at")} OR {_odd("d.restored_at")}, 0)
                FROM {production}
                  AND CASE WHEN d.finished_at IS NULL
                           THEN d.outcome IS NOT NULL OR d.restored_at IS NOT NULL
                           ELSE {_FAILED_SQL} = 1 AND {within} END
                ORDER BY r.key, d.started_at, d.id""",
            params + within_params,
        )
        for n, row in enumerate(rows):
            rel_key, env, dep_id, wave, day, restore_us, no_detected, no_restored, odd = row
            if odd:
                raise _NotStoredAsExpected
            if day is None:
                label = _deployment_label(rel_key, env, dep_id, wave)
                self.notes.append((rel_key, 0, n, _unfinished_issue(label)))
            elif restore_us is None:
                label = _deployment_label(rel_key, env, dep_id, wave)
                issue = _no_restore_issue(label, bool(no_detected), bool(no_restored))
                self.notes.append((rel_key, 0, n, issue))
            else:
                self._tally(day).restore_hours.append(restore_us / _HOUR_US)

    def _deployed(self) -> tuple[str, list[Any]]:
        """SQL: the releases deployed in range (CTE ``deployed``): when their latest finished
        production deployment finished, and whether any of those deployments failed."""
        production, params = self._production()
        within, within_params = self._within("substr(deployed_at, 1, 10)")
        sql = f"""deployed AS (
                SELECT release_id, deployed_at, failed FROM (
                    SELECT d.release_id, max(d.finished_at) AS deployed_at,
                           max({_FAILED_SQL}) AS failed
                    FROM {production} AND d.finished_at IS NOT NULL
                    GROUP BY d.release_id)
                WHERE {within})"""
        return sql, params + within_params

    def _releases(self, deployed: str, params: list[Any]) -> None:
        no_planned_end = 0
        for day, count, failed, planned, on_time, odd in self._run(
            f"""WITH {deployed}
                SELECT substr(x.deployed_at, 1, 10), count(*), sum(x.failed),
                       count(r.planned_end),
                       count(CASE WHEN substr(x.deployed_at, 1, 10) <= r.planned_end THEN 1 END),
                       max(length(r.planned_end) <> 10)
                FROM deployed AS x JOIN releases AS r ON r.id = x.release_id
                GROUP BY 1""",
            params,
        ):
            if odd:
                raise _NotStoredAsExpected
            tally = self._tally(day)
            tally.releases += count
            tally.succeeded += count - failed
            tally.with_planned_end += planned
            tally.on_time += on_time
            no_planned_end += count - planned
        if no_planned_end:
            for (rel_key,) in self._run(
                f"""WITH {deployed}
                    SELECT r.key FROM deployed AS x JOIN releases AS r ON r.id = x.release_id
                    WHERE r.planned_end IS NULL""",
                params,
            ):
                self.notes.append((rel_key, 1, 0, _no_planned_end_issue(rel_key)))

    def _changes(self, deployed: str, params: list[Any]) -> None:
        rows = self._run(
            f"""WITH {deployed}
                SELECT substr(x.deployed_at, 1, 10),
                       CASE WHEN x.failed = 1 OR coalesce(c.caused_incident, 0) <> 0
                            THEN 1 ELSE 0 END,
                       {_us("x.deployed_at")} - {_us("c.created_at")},
                       coalesce({_odd("c.created_at")}, 0)
                FROM deployed AS x JOIN changes AS c ON c.release_id = x.release_id""",
            params,
        )
        left_out = 0
        tally_of_day = self._tally_of_day
        for day, failed, lead_us, odd in rows:
            if odd:
                raise _NotStoredAsExpected
            tally = tally_of_day.get(day) or self._tally(day)
            tally.changes += 1
            tally.failed_changes += failed
            if lead_us is None or lead_us < 0:
                left_out += 1
            else:
                tally.lead_time_hours.append(lead_us / _HOUR_US)
        if left_out:
            for rel_key, change_key, created in self._run(
                f"""WITH {deployed}
                    SELECT r.key, c.key, c.created_at IS NOT NULL
                    FROM deployed AS x JOIN changes AS c ON c.release_id = x.release_id
                         JOIN releases AS r ON r.id = x.release_id
                    WHERE c.created_at IS NULL
                       OR {_us("c.created_at")} > {_us("x.deployed_at")}""",
                params,
            ):
                issue = _change_issue(change_key, rel_key, created=bool(created))
                self.notes.append((rel_key, 2, change_key, issue))

    def _approvals(self) -> None:
        within, params = self._within("substr(a.decided_at, 1, 10)")
        decided = f"""FROM approvals AS a JOIN approval_stages AS st ON st.id = a.stage_id
                      JOIN releases AS r ON r.id = st.release_id
                      JOIN people AS p ON p.id = a.approver_id
                      WHERE a.decided_at IS NOT NULL {self.scope} AND {within}"""
        params = [*self.scope_params, *params]
        rows = self._run(
            f"""SELECT substr(a.decided_at, 1, 10),
                       {_us("a.decided_at")} - {_us("a.requested_at")},
                       coalesce({_odd("a.decided_at")} OR {_odd("a.requested_at")}, 0)
                {decided}""",
            params,
        )
        no_requested = 0
        tally_of_day = self._tally_of_day
        for day, cycle_us, odd in rows:
            if odd:
                raise _NotStoredAsExpected
            tally = tally_of_day.get(day) or self._tally(day)
            tally.approvals += 1
            if cycle_us is None:
                no_requested += 1
            else:
                tally.cycle_hours.append(cycle_us / _HOUR_US)
        if no_requested:
            rows = self._run(
                f"""SELECT r.key, st.name, p.name {decided} AND a.requested_at IS NULL
                    ORDER BY r.key, st.position, st.id, a.id""",
                params,
            )
            for n, (rel_key, stage, approver) in enumerate(rows):
                self.notes.append((rel_key, 3, n, _no_requested_issue(rel_key, stage, approver)))

    def data_quality(self) -> list[dict[str, str]]:
        self.notes.sort(key=lambda note: note[:3])
        return [note[3] for note in self.notes]
