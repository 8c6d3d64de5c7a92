"""A realistic demo plan: releases across applications, with everything a release manager sees.

``generate_demo(ctx)`` fills an empty plan with about 40 releases spread over the six months
before and the three months after today: people with their roles, configuration items, a
weekly maintenance window, a year-end freeze, changes, tasks with dependencies, approval
stages with every kind of decision, test evidence, deployments (some failed, rolled back or
partial, with detection and restore times), reviews, templates, a rule and a baseline.

Each release's status fits its dates and the entry guards of its state (PRODUCT.md §4): an
Approved release has every change approved, its required tests passed, every approval stage
approved and a rollback plan; a Closed one has a review; and so on.

The same seed and the same ``today`` give the same plan. ``releases=10_000`` stays fast: rows
are built as plain dicts and written with Core bulk inserts in one transaction, with one
summary audit event.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from relman_desktop.models.entities import (
    Approval,
    ApprovalStage,
    Baseline,
    CalendarWindow,
    Change,
    ConfigurationItem,
    Deployment,
    LinkedRecord,
    Person,
    Release,
    ReleaseDependency,
    Review,
    Rule,
    Task,
    TaskDependency,
    Template,
    TestRun,
    WorkflowState,
    change_cis,
    ci_relations,
    window_cis,
)

from .base import Ctx, ServiceError, ValidationError, operation
from .demo_data import (
    ACTIVE_PHASE,
    CATEGORY_RISK,
    CHANGE_CATEGORY_WEIGHTS,
    CONFIG_ITEMS,
    DAY,
    DEFAULT_APPS,
    DEFAULT_PEOPLE,
    DEFAULT_RELEASES,
    DEFECTS,
    DOCS,
    EMERGENCY_TEMPLATE,
    EMERGENCY_TITLES,
    EXTRA_APP_SUFFIXES,
    EXTRA_APP_WORDS,
    EXTRA_TOPICS,
    FEEDBACK,
    FIRST_NAMES,
    HOUR,
    INFRA_WORK,
    KNOWN_ISSUES,
    LAST_NAMES,
    LESSONS,
    LEVEL,
    LIBRARIES,
    MAX_RELEASES,
    MINUTE,
    MORE_INFO_COMMENTS,
    OBJECTIVES,
    PHASE_DONE_AT,
    PRE_DEPLOY,
    REJECT_COMMENTS,
    REQUIRED_TESTS,
    ROLLBACK_PLANS,
    RULE_NAME,
    STANDARD_TEMPLATE,
    STATE_NAMES,
    STRATEGY_WORDS,
    TASKS,
    TEMPLATE_OF_TYPE,
    TYPE_RISK_PRIORITY,
    TYPE_STRATEGIES,
    TYPE_WEIGHTS,
    WAVE_LABELS,
    WAVES,
    _allocate,
    _ascii,
    _berlin,
    _black_friday,
    _overlaps,
    _phase_of,
    _stage_status,
    _utc,
    _workday_before,
)

__all__ = ["DEFAULT_RELEASES", "MAX_RELEASES", "generate_demo"]

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


class _Demo:
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

    # --- the whole plan -------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self.states = dict(self.s.execute(select(WorkflowState.name, WorkflowState.id)).all())
        missing = [name for name in STATE_NAMES if name not in self.states]
        if missing:
            raise ServiceError(
                "the demo needs the default workflow; this plan has no state "
                + ", ".join(repr(m) for m in missing)
            )
        self._calendar_bounds()
        self._applications()
        self._people()
        self._cis()
        self._windows()
        self._templates_and_rule()
        rels = self._schedule()
        self._statuses(rels)
        self._identities(rels)
        for rel in rels:
            self._release(rel)
        self._release_dependencies(rels)
        self._unbundled_changes()
        self._baseline(rels)
        self._write()
        summary: dict[str, Any] = {
            "releases": len(rels),
            "applications": len(self.apps),
            "people": len(self.rows.get(Person.__table__, [])),
            "configuration_items": len(self.rows.get(ConfigurationItem.__table__, [])),
            "windows": len(self.rows.get(CalendarWindow.__table__, [])),
            "changes": len(self.rows.get(Change.__table__, [])),
            "tasks": len(self.rows.get(Task.__table__, [])),
            "task_dependencies": len(self.rows.get(TaskDependency.__table__, [])),
            "release_dependencies": len(self.rows.get(ReleaseDependency.__table__, [])),
            "approval_stages": len(self.rows.get(ApprovalStage.__table__, [])),
            "approvals": len(self.rows.get(Approval.__table__, [])),
            "test_runs": len(self.rows.get(TestRun.__table__, [])),
            "deployments": len(self.rows.get(Deployment.__table__, [])),
            "reviews": len(self.rows.get(Review.__table__, [])),
            "linked_records": len(self.rows.get(LinkedRecord.__table__, [])),
            "templates": len(self.rows.get(Template.__table__, [])),
            "rules": len(self.rows.get(Rule.__table__, [])),
            "baselines": len(self.rows.get(Baseline.__table__, [])),
            "statuses": dict(sorted(Counter(r.status for r in rels).items())),
        }
        return summary

    # --- calendar -------------------------------------------------------------------------------

    def _calendar_bounds(self) -> None:
        today = self.today
        self.range_start = today - dt.timedelta(days=182)
        self.range_end = today + dt.timedelta(days=91)
        # The year end nearest to today.
        year = today.year if today.month >= 7 else today.year - 1
        self.freeze = (_berlin(dt.date(year, 12, 19), 0), _berlin(dt.date(year + 1, 1, 4), 0), year)
        bf = _black_friday(year)
        self.event = (_berlin(bf, 0), _berlin(bf + dt.timedelta(days=4), 0), year)
        candidates = []
        for y in (today.year - 1, today.year, today.year + 1):
            candidates += [
                (dt.date(y, 5, 1), "Labour Day"),
                (dt.date(y, 10, 3), "German Unity Day"),
            ]
        self.holiday = min(candidates, key=lambda c: (abs((c[0] - today).days), c[0]))

    def _saturdays(self) -> list[dt.date]:
        first = self.range_start + dt.timedelta(days=(5 - self.range_start.weekday()) % 7)
        days = []
        day = first
        while day <= self.range_end:
            w0, w1 = _berlin(day, 22), _berlin(day + DAY, 4)
            blocked = _overlaps(w0, w1, self.freeze[0], self.freeze[1]) or _overlaps(
                w0, w1, self.event[0], self.event[1]
            )
            if not blocked:
                days.append(day)
            day += dt.timedelta(days=7)
        return days

    # --- people, applications, CIs ----------------------------------------------------------------

    def _applications(self) -> None:
        n_apps = 5 if self.n <= 80 else math.ceil(self.n / 8)
        apps = []
        for i in range(n_apps):
            if i < len(DEFAULT_APPS):
                name, slug, team, topics = DEFAULT_APPS[i]
            else:
                j = i - len(DEFAULT_APPS)
                word = EXTRA_APP_WORDS[j % len(EXTRA_APP_WORDS)]
                suffix = EXTRA_APP_SUFFIXES[(j // len(EXTRA_APP_WORDS)) % len(EXTRA_APP_SUFFIXES)]
                series = j // (len(EXTRA_APP_WORDS) * len(EXTRA_APP_SUFFIXES))
                name = f"{word} {suffix}" + (f" {series + 1}" if series else "")
                slug = name.lower().replace(" ", "-")
                team = f"{word} Team"
                topics = self.rng.sample(EXTRA_TOPICS, 6)
            app = _App(i, name, slug, team, topics)
            app.version = [self.rng.randint(1, 5), self.rng.randint(0, 9), 0]
            app.topics = self.rng.sample(app.topics, len(app.topics))
            apps.append(app)
        self.apps = apps

    def _people(self) -> None:
        extra = 0 if self.n <= 40 else math.ceil((self.n - 40) / 10)
        people: list[tuple[str, str, list[str]]] = list(DEFAULT_PEOPLE)
        cycle = [
            ["release_team"],
            ["release_team"],
            ["release_team"],
            ["release_team", "approver"],
            ["stakeholder", "approver"],
            ["release_manager"],
            ["cab_member", "approver"],
            ["stakeholder"],
        ]
        for k in range(extra):
            first = FIRST_NAMES[k % len(FIRST_NAMES)]
            last = LAST_NAMES[(k // len(FIRST_NAMES)) % len(LAST_NAMES)]
            series = k // (len(FIRST_NAMES) * len(LAST_NAMES))
            name = f"{first} {last}" + (f" {series + 1}" if series else "")
            team = self.apps[k % len(self.apps)].team
            people.append((name, team, list(cycle[k % len(cycle)])))
        self.person_ids: list[int] = []
        self.person_email: dict[int, str] = {}
        self.person_name: dict[int, str] = {}
        pools: dict[str, list[int]] = {
            "release_manager": [],
            "release_team": [],
            "stakeholder": [],
            "cab_member": [],
            "approver": [],
            "qa": [],
        }
        for name, team, roles in people:
            email = _ascii(name) + "@example.com"
            pid = self._add(
                Person.__table__, {"email": email, "name": name, "team": team, "roles": roles}
            )
            self.person_ids.append(pid)
            self.person_email[pid] = email
            self.person_name[pid] = name
            for role in roles:
                pools[role].append(pid)
            if "release_team" in roles and "approver" in roles:
                pools["qa"].append(pid)
        self.pools = pools
        ids = self.person_ids
        # The default cast, by position in DEFAULT_PEOPLE.
        (
            ana,
            jonas,
            priya,
            marta,
            david,
            sofia,
            lukas,
            chen,
            fatima,
            tom,
            elena,
            maxm,
            claire,
            ravi,
            hannah,
        ) = ids[:15]
        self.cab_chair = marta
        self.cab_pool = [marta, david, sofia, lukas, ana] + pools["cab_member"][5:]
        self.qa_pool = [chen, fatima] + pools["qa"][2:]
        default_cast = [
            (ana, tom, [claire, hannah]),
            (jonas, elena, [ravi, hannah]),
            (jonas, elena, [ravi, hannah]),
            (priya, maxm, [claire, ravi]),
            (priya, tom, [hannah, ravi]),
        ]
        managers, teams, holders = (
            pools["release_manager"],
            pools["release_team"],
            pools["stakeholder"],
        )
        for app in self.apps:
            if app.idx < len(default_cast):
                app.manager, app.team_member, app.stakeholders = default_cast[app.idx]
            else:
                i = app.idx
                app.manager = managers[i % len(managers)]
                app.team_member = teams[i % len(teams)]
                one, other = holders[i % len(holders)], holders[(i + 1) % len(holders)]
                app.stakeholders = [one, other] if one != other else [one]

    def _cis(self) -> None:
        table = ConfigurationItem.__table__
        self.service_ci: dict[int, int] = {}
        for app in self.apps:
            owner = app.team_member
            crit = "critical" if app.idx in (0, 4) else self.rng.choice(["high", "medium"])
            svc = self._add(
                table,
                {
                    "name": f"{app.slug}-service",
                    "ci_class": "service",
                    "environment": "production",
                    "owner_id": owner,
                    "criticality": crit,
                    "requires_maintenance_window": True,
                },
            )
            servers = []
            for k in (1, 2):
                sid = self._add(
                    table,
                    {
                        "name": f"{app.slug}-app-0{k}",
                        "ci_class": "server",
                        "environment": "production",
                        "owner_id": owner,
                        "criticality": "medium",
                        "requires_maintenance_window": False,
                    },
                )
                servers.append(sid)
                self._add(ci_relations, {"parent_id": svc, "child_id": sid})
            db = self._add(
                table,
                {
                    "name": f"{app.slug}-db",
                    "ci_class": "database",
                    "environment": "production",
                    "owner_id": owner,
                    "criticality": "critical" if crit == "critical" else "high",
                    "requires_maintenance_window": True,
                },
            )
            self._add(ci_relations, {"parent_id": svc, "child_id": db})
            stg = self._add(
                table,
                {
                    "name": f"{app.slug}-service-staging",
                    "ci_class": "service",
                    "environment": "staging",
                    "owner_id": owner,
                    "criticality": "low",
                    "requires_maintenance_window": False,
                },
            )
            stg_app = self._add(
                table,
                {
                    "name": f"{app.slug}-app-staging-01",
                    "ci_class": "server",
                    "environment": "staging",
                    "owner_id": owner,
                    "criticality": "low",
                    "requires_maintenance_window": False,
                },
            )
            self._add(ci_relations, {"parent_id": stg, "child_id": stg_app})
            app.prod_cis = [svc, *servers, db]
            self.service_ci[app.idx] = svc

    def _windows(self) -> None:
        table = CalendarWindow.__table__
        first_sat = self.range_start - dt.timedelta(days=7 + (self.range_start.weekday() - 5) % 7)
        self._add(
            table,
            {
                "title": "Saturday night maintenance",
                "kind": "maintenance",
                "hard": True,
                "start": _berlin(first_sat, 22),
                "end": _berlin(first_sat + DAY, 4),
                "timezone": "Europe/Berlin",
                "rrule": "FREQ=WEEKLY",
                "scope_environment": "production",
            },
        )
        f0, f1, year = self.freeze
        self._add(
            table,
            {
                "title": f"Year-end change freeze {year}/{year + 1}",
                "kind": "freeze",
                "hard": True,
                "start": f0,
                "end": f1,
                "timezone": "Europe/Berlin",
                "rrule": None,
                "scope_environment": None,
            },
        )
        e0, e1, year = self.event
        event_id = self._add(
            table,
            {
                "title": f"Cyber Week sales campaign {year}",
                "kind": "business_event",
                "hard": False,
                "start": e0,
                "end": e1,
                "timezone": "Europe/Berlin",
                "rrule": None,
                "scope_environment": None,
            },
        )
        for app in self.apps[:2]:  # billing and the customer portal carry the campaign
            self._add(window_cis, {"window_id": event_id, "ci_id": self.service_ci[app.idx]})
        day, name = self.holiday
        self._add(
            table,
            {
                "title": f"{name} (public holiday)",
                "kind": "holiday",
                "hard": False,
                "start": _berlin(day, 0),
                "end": _berlin(day + DAY, 0),
                "timezone": "Europe/Berlin",
                "rrule": None,
                "scope_environment": None,
            },
        )

    # --- templates and the rule -------------------------------------------------------------------

    def _template_body(self, rtype: str) -> dict[str, Any]:
        specs = [t for t in TASKS if rtype in t[4]]
        ids = {t[0] for t in specs}
        start: dict[str, int] = {}
        end: dict[str, int] = {}
        tasks = []
        for tid, title, phase, role, durations, deps in specs:
            live = [(p, k, lag) for p, k, lag in deps if p in ids]
            s = 0
            for p, kind, lag in live:
                s = max(s, end[p] + 1 + lag if kind == "FS" else start[p] + lag)
            start[tid], end[tid] = s, s + durations[rtype] - 1
            if rtype == "emergency":
                title = EMERGENCY_TITLES.get(tid, title)
            tasks.append(
                {
                    "id": tid,
                    "title": title.replace(" {version}", ""),
                    "phase": phase,
                    "role": {
                        "manager": "release_manager",
                        "team": "release_team",
                        "qa": "release_team",
                        "stakeholder": "stakeholder",
                    }[role],
                    "offset_days": s,
                    "duration_days": durations[rtype],
                    "depends_on": [{"task": p, "type": k, "lag_days": lag} for p, k, lag in live],
                }
            )
        return {"tasks": tasks, "duration": end["T12"] + 1}

    def _templates_and_rule(self) -> None:
        cab = [self.person_email[p] for p in self.cab_pool[:3]]
        qa = [self.person_email[self.qa_pool[0]]]
        std = self._template_body("minor")
        emg = self._template_body("emergency")
        self.template_ids = {
            STANDARD_TEMPLATE: self._add(
                Template.__table__,
                {
                    "name": STANDARD_TEMPLATE,
                    "release_type": "minor",
                    "default_duration_days": std["duration"],
                    "body": {
                        "tasks": std["tasks"],
                        "approval_stages": [
                            {
                                "name": "QA sign-off",
                                "rule": "all",
                                "percent": None,
                                "approvers": qa,
                            },
                            {"name": "CAB", "rule": "majority", "percent": None, "approvers": cab},
                            {
                                "name": "Business",
                                "rule": "first_response",
                                "percent": None,
                                "approvers": [
                                    self.person_email[p] for p in self.apps[0].stakeholders
                                ],
                            },
                        ],
                        "required_tests": REQUIRED_TESTS["minor"],
                        "rollback_rehearsal_days": 90,
                    },
                },
            ),
            EMERGENCY_TEMPLATE: self._add(
                Template.__table__,
                {
                    "name": EMERGENCY_TEMPLATE,
                    "release_type": "emergency",
                    "default_duration_days": emg["duration"],
                    "body": {
                        "tasks": emg["tasks"],
                        "approval_stages": [
                            {
                                "name": "QA sign-off",
                                "rule": "any",
                                "percent": None,
                                "approvers": [self.person_email[p] for p in self.qa_pool[:2]],
                            },
                            {
                                "name": "CAB",
                                "rule": "first_response",
                                "percent": None,
                                "approvers": cab,
                            },
                        ],
                        "required_tests": REQUIRED_TESTS["emergency"],
                        "rollback_rehearsal_days": 90,
                    },
                },
            ),
        }
        self._add(
            Rule.__table__,
            {
                "name": RULE_NAME,
                "event": "on_tests_recorded",
                "conditions": [
                    {"field": "type", "op": "eq", "value": "standard"},
                    {"field": "tests_passed", "op": "eq", "value": True},
                ],
                "actions": [{"action": "auto_approve_stage", "stage": "CAB"}],
                "enabled": True,
                "position": 0,
            },
        )

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

    # --- one release ------------------------------------------------------------------------------

    def _release(self, rel: _Rel) -> None:
        rng = self.rng
        app = rel.app
        assert app is not None
        rtype = rel.type
        level = LEVEL[rel.effective]
        status = rel.status
        prev_version = ".".join(map(str, app.version))
        if rtype == "major":
            app.version = [app.version[0] + 1, 0, 0]
        elif rtype in ("minor", "standard"):
            app.version = [app.version[0], app.version[1] + 1, 0]
        else:
            app.version = [app.version[0], app.version[1], app.version[2] + 1]
        version = ".".join(map(str, app.version))
        short = version if rtype in ("patch", "emergency") else ".".join(map(str, app.version[:2]))
        topics = app.topics_for_next_release()
        if rtype == "emergency":
            incident_key = f"INC-{rng.randint(40000, 89999)}"
            title = f"{app.name} {short} – emergency fix for {incident_key}"
        elif rtype == "patch":
            title = f"{app.name} {short} – fixes"
        else:
            title = f"{app.name} {short} – {topics[0][0].upper() + topics[0][1:]}"

        # Tasks, laid out in working days ending the Friday before the window.
        dep = rel.deploy_day
        friday = dep - DAY
        specs = [t for t in TASKS if rtype in t[4]]
        have = {t[0] for t in specs}
        s_wd: dict[str, int] = {}
        e_wd: dict[str, int] = {}
        dur: dict[str, int] = {}
        for tid, _title, _phase, _role, durations, deps in specs:
            d = durations[rtype]
            if tid in ("T3", "T6") and d >= 3:
                d += rng.randint(-1, 1)
            start = 0
            for p, kind, lag in deps:
                if p in have:
                    start = max(start, e_wd[p] + 1 + lag if kind == "FS" else s_wd[p] + lag)
            s_wd[tid], e_wd[tid], dur[tid] = start, start + d - 1, d
        last = e_wd["T9"]
        # A release already past a phase whose planned dates lie ahead did that work early:
        # its earlier tasks move back so that finished work ends before today.
        early = 0
        if dep >= self.today and level >= 1:
            target = self.today - DAY
            while target.weekday() >= 5:
                target -= DAY
            gap = (friday - target).days
            k_target = gap // 7 * 5 + gap % 7
            done_ends = [
                last - e_wd[t]
                for t in s_wd
                if t in PRE_DEPLOY and PHASE_DONE_AT[_phase_of(t)] <= level
            ]
            if done_ends:
                early = max(0, k_target - min(done_ends))
        dates: dict[str, tuple[dt.date, dt.date]] = {}
        for tid in s_wd:
            if tid in PRE_DEPLOY:
                back = early if PHASE_DONE_AT[_phase_of(tid)] <= level else 0
                dates[tid] = (
                    _workday_before(friday, last - s_wd[tid] + back),
                    _workday_before(friday, last - e_wd[tid] + back),
                )
        dates["T10"] = (dep, dep)
        dates["T11"] = (dep + DAY, dep + DAY)
        dates["T12"] = (dep + 4 * DAY, dep + 4 * DAY)
        planned_start = dates["T1"][0] - dt.timedelta(days=rel.late_days)
        planned_end = dates["T12"][1] - dt.timedelta(days=rel.late_days)
        self.release_dates[rel.id] = (planned_start, planned_end, dates)

        # The deployment window: Saturday night, inside the maintenance window, leaving room to roll back.
        strategy = rng.choice(TYPE_STRATEGIES[rtype])
        if rel.flavour == "partial":
            strategy = "canary"
        rollback_minutes = rng.choice([20, 30, 45, 60, 90])
        offset = rng.choice([0, 30, 60])
        room = 360 - offset - rollback_minutes
        length = max(m for m in (60, 90, 120, 150, 180) if m <= room)
        length = rng.choice([m for m in (60, 90, 120, 150, 180) if m <= length])
        w_start = _berlin(dep, 22) + offset * MINUTE
        w_end = w_start + length * MINUTE

        manager = app.manager
        template = TEMPLATE_OF_TYPE.get(rtype)
        rehearsed = dep - dt.timedelta(days=rng.randint(5, 40))
        if rehearsed >= self.today:
            rehearsed = self.today - dt.timedelta(days=rng.randint(1, 5))
        closed_at: dt.datetime | None = None
        review_outcome: str | None = None
        if status == "Closed":
            review_outcome = {
                "success": "successful",
                "failed": "successful_with_issues",
                "partial": "successful_with_issues",
                "rolled_back": "rolled_back",
            }[rel.flavour]
            closed_at = self._past(_utc(dates["T12"][1], 15, rng.randint(0, 59)), 1)
        stakeholder_team = ", ".join(sorted({self.person_name[p] for p in app.stakeholders}))
        objective = rng.choice(OBJECTIVES).format(topic=topics[1], app=app.name)
        runbook = f"RB-{100 + app.idx * 7 % 900}"
        row = {
            "id": rel.id,
            "key": rel.key,
            "title": title,
            "version": version,
            "type": rtype,
            "priority": TYPE_RISK_PRIORITY[rtype][1],
            "risk": TYPE_RISK_PRIORITY[rtype][0],
            "application": app.name,
            "status_id": self.states[status],
            "previous_status_id": self.states[rel.effective]
            if status in ("On Hold", "Cancelled")
            else None,
            "scope": (
                f"{topics[0][0].upper() + topics[0][1:]} and {topics[1]} for {app.name}; "
                f"services {app.slug}-service and {app.slug}-db."
            ),
            "objectives": objective,
            "manager_id": manager,
            "planned_start": planned_start,
            "planned_end": planned_end,
            "deploy_start": w_start,
            "deploy_end": w_end,
            "actual_start": min(dates["T1"][0], self.today) if level >= 1 else None,
            "actual_end": closed_at.date() if closed_at else None,
            "strategy": strategy,
            "waves": WAVES.get(strategy, []),
            "rollback_plan": ROLLBACK_PLANS[strategy].format(prev=prev_version),
            "rollback_minutes": rollback_minutes,
            "rollback_rehearsed_on": rehearsed,
            "communication_plan": (
                f"Announce to {stakeholder_team} and the service desk two working days before; "
                "status mail after the deployment; release notes on the intranet."
            ),
            "implementation_plan": (
                f"Runbook {runbook}: pre-deployment checks (backups taken, alerts silenced), "
                f"{STRATEGY_WORDS[strategy]}, post-deployment verification by QA."
            ),
            "required_tests": REQUIRED_TESTS[rtype],
            "parent_id": None,
            "template_id": self.template_ids[template] if template else None,
            "closure_code": review_outcome or ("cancelled" if status == "Cancelled" else None),
            "created_at": self._past(
                _utc(planned_start - dt.timedelta(days=rng.randint(3, 20)), 9, 30), 12
            ),
        }
        self.rows.setdefault(Release.__table__, []).append(row)

        self._tasks(rel, specs, dates, dur, level, prev_version, version)
        change_keys = self._changes(rel, level, planned_start, topics)
        self._tests(rel, level, dates, version)
        self._approvals(rel, level, dates)
        self._deployments(rel, level, dates, strategy, w_start, w_end, rollback_minutes)
        self._links(rel, change_keys, topics)
        if status == "Closed":
            self._add(
                Review.__table__,
                {
                    "release_id": rel.id,
                    "outcome": review_outcome,
                    "incidents": 0 if rel.flavour == "success" else rng.randint(1, 2),
                    "lessons_learned": rng.choice(LESSONS),
                    "user_feedback": rng.choice(FEEDBACK),
                    "closed_at": closed_at,
                    "closed_by_id": manager,
                },
            )

    def _tasks(
        self,
        rel: _Rel,
        specs: list[Any],
        dates: dict[str, tuple[dt.date, dt.date]],
        dur: dict[str, int],
        level: int,
        prev_version: str,
        version: str,
    ) -> None:
        rng = self.rng
        app = rel.app
        assert app is not None
        status = rel.status
        role_person = {
            "manager": app.manager,
            "team": app.team_member,
            "qa": self.qa_pool[rel.idx % len(self.qa_pool)],
            "stakeholder": app.stakeholders[0],
        }
        active = ACTIVE_PHASE.get(level)
        task_ids: dict[str, int] = {}
        first_active = True
        position = 0
        items = [(tid, title, phase, role, deps) for tid, title, phase, role, _d, deps in specs]
        if rel.flavour == "rolled_back" and level >= 6:
            items.append(
                (
                    "T13",
                    f"Execute rollback to {prev_version}",
                    "rollback",
                    "team",
                    [("T10", "SS", 0)],
                )
            )
            dates["T13"] = dates["T10"]
            dur["T13"] = 1
        for tid, title, phase, role, deps in items:
            if rel.type == "emergency":
                title = EMERGENCY_TITLES.get(tid, title)
            title = title.replace("{version}", version)
            notes = None
            if level >= PHASE_DONE_AT[phase] or tid == "T13":
                t_status, pct = "done", 100
            elif status == "Cancelled":
                t_status, pct = "cancelled", 0
            elif phase == active or (phase == "rollback" and active == "test"):
                if status == "On Hold" and first_active:
                    t_status, pct = "blocked", rng.choice([10, 20, 30])
                    notes = "On hold: waiting for a decision on the budget for this release."
                elif dates[tid][0] <= self.today or (phase == "approve" and first_active):
                    t_status, pct = "in_progress", rng.choice([20, 40, 50, 60, 80])
                else:
                    t_status, pct = "todo", 0
                first_active = False
            else:
                t_status, pct = "todo", 0
            start, end = dates[tid]
            task_ids[tid] = self._add(
                Task.__table__,
                {
                    "release_id": rel.id,
                    "local_id": tid,
                    "position": position,
                    "title": title,
                    "phase": phase,
                    "assignee_id": role_person[role],
                    "status": t_status,
                    "start": start,
                    "end": end,
                    "effort_hours": float(dur[tid] * rng.choice([4, 5, 6, 7])),
                    "percent_complete": pct,
                    "notes": notes,
                },
            )
            position += 1
            for pred, kind, lag in deps:
                if pred in task_ids:
                    self._add(
                        TaskDependency.__table__,
                        {
                            "predecessor_id": task_ids[pred],
                            "successor_id": task_ids[tid],
                            "type": kind,
                            "lag_days": lag,
                        },
                    )

    def _changes(
        self, rel: _Rel, level: int, planned_start: dt.date, topics: list[str]
    ) -> list[str]:
        rng = self.rng
        app = rel.app
        assert app is not None
        n = rng.randint(1, 4)
        if rel.type == "emergency":
            n = 1
        cats, weights = zip(*CHANGE_CATEGORY_WEIGHTS, strict=True)
        keys = []
        caused = rel.flavour != "success"
        for k in range(n):
            if rel.type == "emergency":
                category = rng.choice(["fix", "security"])
            elif rel.type == "patch":
                category = rng.choice(["fix", "fix", "security", "configuration"])
            else:
                category = rng.choices(cats, weights)[0]
            title, note = self._change_text(category, app, topics[k % 2])
            if level >= 2:
                approval = "approved"
            elif rel.status == "Cancelled":
                approval = rng.choice(["pending", "rejected"])
            elif level == 1:
                approval = "approved" if rng.random() < 0.6 else "pending"
            else:
                approval = "approved" if rng.random() < 0.3 else "pending"
            created = _utc(
                planned_start - dt.timedelta(days=rng.randint(2, 30)),
                rng.randint(7, 18),
                rng.randint(0, 59),
            )
            key = self._change(
                title=title,
                category=category,
                approval=approval,
                release_id=rel.id,
                created=created,
                note=note,
                app=app,
                change_type={"standard": "standard", "emergency": "emergency"}.get(
                    rel.type, "normal"
                ),
                caused=caused and k == 0,
                known=rng.choice(KNOWN_ISSUES)
                if category == "feature" and rng.random() < 0.2
                else None,
            )
            keys.append(key)
        return keys

    def _change_text(self, category: str, app: _App, topic: str) -> tuple[str, str]:
        rng = self.rng
        if category == "feature":
            return (f"Add {topic}", f"{app.name} now offers {topic}.")
        if category == "fix":
            defect = rng.choice(DEFECTS)
            return (f"Fix {defect}", f"Fixed: {defect}.")
        if category == "security":
            lib = rng.choice(LIBRARIES)
            cve = f"CVE-{self.today.year}-{rng.randint(10000, 49999)}"
            return (f"Upgrade {lib} ({cve})", f"Security update: {lib} upgraded to close {cve}.")
        if category == "configuration":
            item = rng.choice(CONFIG_ITEMS)
            return (f"Tune {item}", f"Internal configuration change ({item}); no visible effect.")
        if category == "infrastructure":
            work = rng.choice(INFRA_WORK)
            return (work, "Runs on updated infrastructure; no visible change.")
        doc = rng.choice(DOCS)
        return (f"Update the {doc}", f"The {doc} describes this release.")

    def _change(
        self,
        *,
        title: str,
        category: str,
        approval: str,
        release_id: int | None,
        created: dt.datetime,
        note: str,
        app: _App,
        change_type: str,
        caused: bool,
        known: str | None,
    ) -> str:
        rng = self.rng
        number = 1001 + len(self.rows.get(Change.__table__, []))
        key = f"CHG-{number}"
        requester = app.stakeholders[0] if category == "feature" else app.team_member
        ref = (
            f"git:{rng.getrandbits(28):07x}"
            if rng.random() < 0.6
            else f"{app.slug.split('-')[0].upper()[:4]}-{rng.randint(100, 2999)}"
        )
        risk = CATEGORY_RISK[category]
        cid = self._add(
            Change.__table__,
            {
                "key": key,
                "title": title,
                "description": f"{title}. Requested by {self.person_name[requester]}; tracked as {ref}.",
                "type": change_type,
                "category": category,
                "approval": approval,
                "risk": risk,
                "requester_id": requester,
                "created_at": self._past(created, 2),
                "release_note": note,
                "known_issues": known,
                "caused_incident": caused,
                "release_id": release_id,
                "external_ref": ref,
            },
        )
        cis = app.prod_cis
        touched = [cis[0]] if category in ("feature", "fix", "documentation") else [cis[-1]]
        if category in ("infrastructure", "security") or rng.random() < 0.3:
            extra = cis[rng.randint(1, len(cis) - 1)]
            if extra not in touched:
                touched.append(extra)
        for ci in touched:
            self._add(change_cis, {"change_id": cid, "ci_id": ci})
        return key

    def _tests(
        self, rel: _Rel, level: int, dates: dict[str, tuple[dt.date, dt.date]], version: str
    ) -> None:
        if level < 2:
            return
        rng = self.rng
        app = rel.app
        assert app is not None
        required = REQUIRED_TESTS[rel.type]
        day_of = {
            "unit": dates["T4"][0],
            "integration": dates["T6"][0],
            "regression": dates["T6"][1],
            "performance": dates["T6"][1],
            "security": dates["T6"][0],
            "uat": dates.get("T7", dates["T6"])[1],
        }
        sizes = {
            "unit": (800, 3000),
            "integration": (120, 400),
            "regression": (300, 900),
            "performance": (12, 40),
            "security": (20, 80),
            "uat": (15, 60),
        }
        if level == 2:  # in testing: half the evidence is in, and the first in the plan still fails
            kinds = required[: max(1, (len(required) + 1) // 2)]
            failing = kinds[-1] if rel.idx % 2 == 0 else None
        else:
            kinds, failing = list(required), None
        if level >= 3 and rng.random() < 0.4:
            kinds.append(
                rng.choice(
                    [k for k in ("performance", "security") if k not in required] or ["regression"]
                )
            )
        for kind in kinds:
            lo, hi = sizes[kind]
            at = _utc(day_of[kind], 14, rng.randint(0, 59))
            if kind == failing:
                verdicts = ["failed"]
            elif level >= 3 and rng.random() < 0.12:
                verdicts = ["failed", "passed"]  # fixed and re-run: the latest run counts
            else:
                verdicts = ["passed"]
            for attempt, verdict in enumerate(verdicts):
                failed = rng.randint(1, 9) if verdict == "failed" else 0
                self._add(
                    TestRun.__table__,
                    {
                        "release_id": rel.id,
                        "kind": kind,
                        "environment": "staging",
                        "passed": rng.randint(lo, hi),
                        "failed": failed,
                        "skipped": rng.randint(0, 5),
                        "run_at": self._past(at + attempt * 3 * HOUR, 60 - attempt * 6),
                        "source": None
                        if kind == "uat"
                        else f"junit/{app.slug}-{kind}-{version}.xml",
                        "verdict": verdict,
                    },
                )

    def _stages_for(self, rel: _Rel) -> list[tuple[str, str, int | None, list[int]]]:
        app = rel.app
        assert app is not None
        k = rel.idx
        cab_pool = [p for p in self.cab_pool if p != app.manager]
        cab = [cab_pool[(k + j) % len(cab_pool)] for j in range(3)]
        qa = self.qa_pool[k % len(self.qa_pool)]
        qa2 = self.qa_pool[(k + 1) % len(self.qa_pool)]
        if rel.type == "major":
            return [
                ("QA sign-off", "all", None, [qa, qa2] if qa2 != qa else [qa]),
                ("CAB", "majority", None, cab),
                ("Business", "percent", 50, app.stakeholders),
            ]
        if rel.type == "minor":
            return [
                ("QA sign-off", "all", None, [qa]),
                ("CAB", "majority", None, cab),
                ("Business", "first_response", None, app.stakeholders),
            ]
        if rel.type == "emergency":
            return [
                ("QA sign-off", "any", None, [qa, qa2] if qa2 != qa else [qa]),
                ("CAB", "first_response", None, cab),
            ]
        return [("QA sign-off", "all", None, [qa]), ("CAB", "majority", None, cab)]

    def _approvals(self, rel: _Rel, level: int, dates: dict[str, tuple[dt.date, dt.date]]) -> None:
        rng = self.rng
        stages = self._stages_for(rel)
        requested = self._past(_utc(dates["T9"][0], 8, 0), 40)
        approve_end = _utc(dates["T9"][1], 17, 0)
        flavour = None
        if rel.status == "Awaiting Approval":
            flavour = self.counts["awaiting"] % 4
            self.counts["awaiting"] += 1
        elif level == 3:  # held or cancelled while waiting
            flavour = rel.idx % 4
        for position, (name, rule, percent, approvers) in enumerate(stages, start=1):
            votes: list[dict[str, Any]] = []
            for person in approvers:
                vote: dict[str, Any] = {
                    "approver_id": person,
                    "decision": "pending",
                    "comment": None,
                    "requested_at": None,
                    "decided_at": None,
                    "delegated_to_id": None,
                }
                if level >= 3:
                    vote["requested_at"] = requested
                if level >= 4 or (level == 3 and name == "QA sign-off" and flavour != 2):
                    vote["decision"] = "approved"
                votes.append(vote)
            if level >= 4:
                self._settled_variety(rel, name, rule, votes, approvers)
            elif level == 3:
                self._awaiting_variety(flavour, name, rule, votes, approvers)
            for j, vote in enumerate(votes):
                if vote["decision"] != "pending":
                    decided = requested + rng.randint(1, 30) * HOUR + j * 17 * MINUTE
                    decided = min(decided, max(approve_end, requested + HOUR))
                    vote["decided_at"] = max(self._past(decided, 1), requested + 5 * MINUTE)
            if rel.type == "standard" and name == "CAB" and level >= 4:
                for vote in votes:
                    vote["comment"] = (
                        f"Pre-approved by the rule '{RULE_NAME}': all required tests passed."
                    )
            status = _stage_status(rule, percent, [(v["decision"], v["decided_at"]) for v in votes])
            stage_id = self._add(
                ApprovalStage.__table__,
                {
                    "release_id": rel.id,
                    "position": position,
                    "name": name,
                    "rule": rule,
                    "percent": percent,
                    "status": status,
                },
            )
            for vote in votes:
                vote["stage_id"] = stage_id
                self._add(Approval.__table__, vote)

    def _deputy(self, approvers: list[int]) -> int | None:
        return next((p for p in self.cab_pool if p not in approvers), None)

    def _settled_variety(
        self, rel: _Rel, name: str, rule: str, votes: list[dict[str, Any]], approvers: list[int]
    ) -> None:
        """Approved stages, but not all alike: a dissenting vote, a delegated vote, a silent member."""
        if name != "CAB" or rule != "majority" or len(votes) < 3 or rel.type == "standard":
            if rule == "first_response" and len(votes) > 1:
                votes[-1]["decision"] = "pending"  # the first answer settled it
            return
        variant = rel.idx % 5
        if variant == 1:
            votes[2]["decision"] = "rejected"
            votes[2]["comment"] = "Outvoted: " + self.rng.choice(REJECT_COMMENTS)
        elif variant == 2:
            deputy = self._deputy(approvers)
            if deputy is not None:
                votes[1]["delegated_to_id"] = deputy
                votes[1]["comment"] = (
                    f"Delegated to {self.person_name[deputy]} while on leave; approved."
                )
        elif variant == 3:
            votes[2]["decision"] = "pending"

    def _awaiting_variety(
        self,
        flavour: int | None,
        name: str,
        rule: str,
        votes: list[dict[str, Any]],
        approvers: list[int],
    ) -> None:
        """Releases waiting for approval show every kind of answer between them."""
        rng = self.rng
        if name == "CAB" and len(votes) >= 3:
            if flavour == 0:
                votes[0]["decision"] = "approved"
                votes[1]["decision"], votes[1]["comment"] = (
                    "more_info",
                    rng.choice(MORE_INFO_COMMENTS),
                )
                votes[2]["decision"], votes[2]["comment"] = "rejected", rng.choice(REJECT_COMMENTS)
            elif flavour == 1:
                votes[0]["decision"] = "approved"
                votes[1]["decision"] = "approved"
            elif flavour == 3:
                votes[0]["decision"] = "approved"
                votes[1]["decision"], votes[1]["comment"] = (
                    "more_info",
                    rng.choice(MORE_INFO_COMMENTS),
                )
        elif name == "Business":
            if flavour == 0:
                deputy = self._deputy(approvers)
                if deputy is not None:
                    votes[0]["delegated_to_id"] = deputy
                    votes[0]["comment"] = (
                        f"Delegated to {self.person_name[deputy]} while travelling."
                    )
            elif flavour == 1 and rule == "first_response":
                votes[0]["decision"], votes[0]["comment"] = "rejected", rng.choice(REJECT_COMMENTS)
            elif flavour == 3:
                votes[0]["decision"] = "approved"
        elif name == "QA sign-off" and flavour == 2 and len(votes) > 1:
            votes[0]["decision"] = "approved"

    def _deployments(
        self,
        rel: _Rel,
        level: int,
        dates: dict[str, tuple[dt.date, dt.date]],
        strategy: str,
        w_start: dt.datetime,
        w_end: dt.datetime,
        rollback_minutes: int,
    ) -> None:
        rng = self.rng
        table = Deployment.__table__
        if level >= 2:
            started = self._past(_utc(dates["T5"][0], 10, rng.randint(0, 50)), 80)
            self._add(
                table,
                {
                    "release_id": rel.id,
                    "environment": "staging",
                    "wave": None,
                    "started_at": started,
                    "finished_at": started + rng.randint(15, 50) * MINUTE,
                    "outcome": "success",
                    "incidents": 0,
                    "failure_detected_at": None,
                    "restored_at": None,
                    "hotfix": False,
                },
            )
        if level < 6:
            return
        labels = WAVE_LABELS.get(strategy, [None])
        step = (w_end - w_start - 10 * MINUTE) / len(labels)
        broken_wave = {"failed": 0, "partial": 1, "rolled_back": len(labels) - 1}.get(rel.flavour)
        t = w_start + 5 * MINUTE
        for i, label in enumerate(labels):
            row: dict[str, Any] = {
                "release_id": rel.id,
                "environment": "production",
                "wave": label,
                "started_at": t,
                "finished_at": t + step - 5 * MINUTE,
                "outcome": "success",
                "incidents": 0,
                "failure_detected_at": None,
                "restored_at": None,
                "hotfix": False,
            }
            self._add(table, row)
            t += step
            if i != broken_wave:
                continue
            detected = row["started_at"] + rng.randint(10, 40) * MINUTE
            row["finished_at"] = max(row["finished_at"], detected)
            row["incidents"] = rng.randint(1, 2)
            row["failure_detected_at"] = detected
            if rel.flavour == "rolled_back":
                row["outcome"] = "rolled_back"
                row["restored_at"] = detected + (rollback_minutes + rng.randint(-10, 25)) * MINUTE
                break
            # Failed or partial: service restored, then the release finished with a hotfix.
            row["outcome"] = rel.flavour
            row["hotfix"] = True
            row["restored_at"] = (
                detected + rng.randint(15, 120 if rel.flavour == "failed" else 240) * MINUTE
            )
            if rel.flavour == "failed":  # fixed forward the same night
                again = row["restored_at"] + 10 * MINUTE
            else:  # the remaining wave goes out a few days later
                again = _berlin(rel.deploy_day + 3 * DAY, 22, 15)
            self._add(
                table,
                {
                    "release_id": rel.id,
                    "environment": "production",
                    "wave": "hotfix",
                    "started_at": again,
                    "finished_at": again + rng.randint(20, 60) * MINUTE,
                    "outcome": "success",
                    "incidents": 0,
                    "failure_detected_at": None,
                    "restored_at": None,
                    "hotfix": False,
                },
            )
            break

    def _links(self, rel: _Rel, change_keys: list[str], topics: list[str]) -> None:
        rng = self.rng
        app = rel.app
        assert app is not None
        table = LinkedRecord.__table__

        def link(kind: str, prefix: str, title: str, relation: str) -> None:
            key = f"{prefix}-{rng.randint(1000, 99999)}"
            self._add(
                table,
                {
                    "release_id": rel.id,
                    "kind": kind,
                    "external_key": key,
                    "title": title,
                    "url": f"https://itsm.example.com/{kind}/{key}",
                    "relation": relation,
                },
            )

        if rel.type == "emergency":
            title = self.rows[Release.__table__][-1]["title"]
            link(
                "incident",
                "INC",
                f"{app.name} outage: " + title.rsplit(" for ", 1)[0],
                "initiated_by",
            )
        elif rng.random() < 0.6:
            link(
                "request",
                "REQ",
                f"{topics[0][0].upper() + topics[0][1:]} for {app.team}",
                "initiated_by",
            )
        if rel.type == "patch" or rng.random() < 0.25:
            link("problem", "PRB", f"Recurring {rng.choice(DEFECTS)}", "fixes")
        if rel.flavour != "success" and LEVEL[rel.effective] >= 6:
            link(
                "incident",
                "INC",
                f"{app.name} degraded after the {rel.key} deployment",
                "caused_by",
            )
        if rng.random() < 0.3:
            link(
                "knowledge_article",
                "KB",
                f"{app.name}: operating notes for {topics[0]}",
                "documents",
            )

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

    # --- writing -----------------------------------------------------------------------------------

    def _write(self) -> None:
        order: list[Any] = [
            Person.__table__,
            ConfigurationItem.__table__,
            ci_relations,
            Template.__table__,
            Rule.__table__,
            CalendarWindow.__table__,
            window_cis,
            Release.__table__,
            ReleaseDependency.__table__,
            Change.__table__,
            change_cis,
            Task.__table__,
            TaskDependency.__table__,
            TestRun.__table__,
            ApprovalStage.__table__,
            Approval.__table__,
            Deployment.__table__,
            Review.__table__,
            LinkedRecord.__table__,
            Baseline.__table__,
        ]
        assert set(self.rows) <= set(order), set(self.rows) - set(order)
        for table in order:
            rows = self.rows.get(table)
            if rows:
                self.s.execute(insert(table), rows)


# --- the service ------------------------------------------------------------------------------------

_CONTENT = [
    (Release, "release", "releases"),
    (Change, "change", "changes"),
    (Person, "person", "people"),
    (ConfigurationItem, "configuration item", "configuration items"),
    (CalendarWindow, "calendar window", "calendar windows"),
    (Template, "template", "templates"),
    (Rule, "rule", "rules"),
    (Baseline, "baseline", "baselines"),
]


@operation
def generate_demo(
    ctx: Ctx, *, releases: int = DEFAULT_RELEASES, seed: int = 1, today: dt.date | None = None
) -> dict[str, Any]:
    """Fill an empty plan with a realistic demo; returns what was made.

    The summary maps each kind of record to its count (``releases``, ``tasks``, …), plus
    ``statuses`` (releases per workflow state) and ``generated_with`` (seed and day). The same
    seed and ``today`` (default: ``ctx.today()``) always give the same plan.

    Refuses a plan that already holds releases (or any people, CIs, changes, windows, templates,
    rules or baselines): the demo never mixes with real data.
    """
    if (
        isinstance(releases, bool)
        or not isinstance(releases, int)
        or not 1 <= releases <= MAX_RELEASES
    ):
        raise ValidationError(
            f"releases: a whole number from 1 to {MAX_RELEASES:,}, not {releases!r}",
            field="releases",
        )
    day = today or ctx.today()
    with ctx.write() as tx:
        s = tx.session
        for model, one, many in _CONTENT:
            n = s.execute(select(func.count()).select_from(model)).scalar_one()
            if n:
                raise ServiceError(
                    f"this plan already has {n:,} {one if n == 1 else many}; "
                    "the demo fills only an empty plan (create a new one with 'relman --plan NEW.relman init')"
                )
        demo = _Demo(s, releases, seed, day)
        summary = demo.run()
        counts = {k: v for k, v in summary.items() if isinstance(v, int)}
        summary["generated_with"] = {"seed": seed, "today": day.isoformat()}
        tx.audit(
            "plan",
            "demo",
            "generate demo",
            after={"seed": seed, "today": day.isoformat(), **counts},
        )
    return summary
