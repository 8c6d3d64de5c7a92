"""The demo's releases one by one (see ``services.demo``): the release row, its tasks with
dependencies, its changes, and (through ``demo_evidence``) its evidence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from relman_desktop.models.entities import (
    Change,
    Release,
    Review,
    Task,
    TaskDependency,
    change_cis,
)

from .demo_base import _App, _Rel
from .demo_data import (
    ACTIVE_PHASE,
    CATEGORY_RISK,
    CHANGE_CATEGORY_WEIGHTS,
    CONFIG_ITEMS,
    DAY,
    DEFECTS,
    DOCS,
    EMERGENCY_TITLES,
    FEEDBACK,
    INFRA_WORK,
    KNOWN_ISSUES,
    LESSONS,
    LEVEL,
    LIBRARIES,
    MINUTE,
    OBJECTIVES,
    PHASE_DONE_AT,
    PRE_DEPLOY,
    REQUIRED_TESTS,
    ROLLBACK_PLANS,
    STRATEGY_WORDS,
    TASKS,
    TEMPLATE_OF_TYPE,
    TYPE_RISK_PRIORITY,
    TYPE_STRATEGIES,
    WAVES,
    _berlin,
    _phase_of,
    _utc,
    _workday_before,
)
from .demo_evidence import _DemoEvidence


class _DemoReleases(_DemoEvidence):
    """One release with its tasks, changes and evidence."""

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
