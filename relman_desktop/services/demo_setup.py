"""The demo's stage and cast (see ``services.demo``): the calendar it spans, applications,
people with their roles, configuration items, calendar windows, templates and the rule.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from relman_desktop.models.entities import (
    CalendarWindow,
    ConfigurationItem,
    Person,
    Rule,
    Template,
    ci_relations,
    window_cis,
)

from .demo_base import _App, _DemoBase
from .demo_data import (
    DAY,
    DEFAULT_APPS,
    DEFAULT_PEOPLE,
    EMERGENCY_TEMPLATE,
    EMERGENCY_TITLES,
    EXTRA_APP_SUFFIXES,
    EXTRA_APP_WORDS,
    EXTRA_TOPICS,
    FIRST_NAMES,
    LAST_NAMES,
    REQUIRED_TESTS,
    RULE_NAME,
    STANDARD_TEMPLATE,
    TASKS,
    _ascii,
    _berlin,
    _black_friday,
    _overlaps,
)


class _DemoSetup(_DemoBase):
    """Everything releases are planned against."""

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
