"""Writing a checked plan document into the plan with bulk inserts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, update

from relman_desktop.importers.plan_json.checks import _Existing
from relman_desktop.importers.plan_json.reading import (
    _dict,
    _list,
    _or,
    parse_date,
    parse_datetime,
)
from relman_desktop.models import entities as M
from relman_desktop.models.defaults import ROLE_OF_DEFAULT_NAME
from relman_desktop.services.base import Tx


def _incident_row(
    inc: dict[str, Any], release_id: int, deployment_id: int | None
) -> dict[str, Any]:
    return {
        "key": inc["key"],
        "title": _or(inc.get("title"), inc["key"]),
        "severity": inc.get("severity"),
        "service": inc.get("service"),
        "environment": inc.get("environment"),
        "detected_at": parse_datetime(inc["detected_at"]),
        "restored_at": parse_datetime(inc.get("restored_at")),
        "release_id": release_id,
        "deployment_id": deployment_id,
        "source": inc.get("source"),
    }


class _Writer:
    """Writes a checked document with bulk inserts (one statement per table and batch)."""

    def __init__(
        self, tx: Tx, data: dict[str, Any], existing: _Existing, replace_workflow: bool
    ) -> None:
        self.tx = tx
        self.s = tx.session
        self.data = data
        self.existing = existing
        self.replace_workflow = replace_workflow
        self.now = tx.ctx.now()

    def section(self, name: str) -> list[dict[str, Any]]:
        return _list(self.data.get(name))

    def insert(self, entity: Any, rows: list[dict[str, Any]]) -> list[int]:
        """Insert ``rows`` and return their new ids, in the rows' order."""
        if not rows:
            return []
        stmt = insert(entity).returning(entity.id, sort_by_parameter_order=True)
        return list(self.s.execute(stmt, rows).scalars())

    def insert_plain(self, table: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.s.execute(insert(table), rows)

    def run(self) -> dict[str, Any]:
        if self.replace_workflow:
            states = self._workflow()
            first_state: int | None = states[self.data["workflow"]["states"][0]["name"]]
        else:
            states = dict(self.existing.states)
            first_state = (
                states[self.existing.state_order[0]] if self.existing.state_order else None
            )
        state_name = {sid: name for name, sid in states.items()}

        people = self.section("people")
        ids = self.insert(
            M.Person,
            [
                {
                    "email": p["email"],
                    "name": p["name"],
                    "team": p.get("team"),
                    "roles": _or(p.get("roles"), []),
                    "login": p.get("login"),
                }
                for p in people
            ],
        )
        person = {
            **self.existing.people,
            **{p["email"]: i for p, i in zip(people, ids, strict=True)},
        }

        def pid(email: Any) -> int | None:
            return person[email] if email is not None else None

        cis = self.section("configuration_items")
        ids = self.insert(
            M.ConfigurationItem,
            [
                {
                    "name": c["name"],
                    "ci_class": c["class"],
                    "environment": c.get("environment"),
                    "owner_id": pid(c.get("owner")),
                    "criticality": _or(c.get("criticality"), "medium"),
                    "requires_maintenance_window": bool(c.get("requires_maintenance_window")),
                }
                for c in cis
            ],
        )
        ci = {**self.existing.cis, **{c["name"]: i for c, i in zip(cis, ids, strict=True)}}
        self.insert_plain(
            M.ci_relations,
            [
                {"parent_id": ci[p], "child_id": ci[c["name"]]}
                for c in cis
                for p in _or(c.get("parents"), [])
            ],
        )

        templates = self.section("templates")
        ids = self.insert(
            M.Template,
            [
                {
                    "name": t["name"],
                    "release_type": t["release_type"],
                    "default_duration_days": _or(t.get("default_duration_days"), 10),
                    "body": _or(t.get("body"), {}),
                }
                for t in templates
            ],
        )
        template = {
            **self.existing.templates,
            **{t["name"]: i for t, i in zip(templates, ids, strict=True)},
        }

        rules = self.section("rules")
        self.insert(
            M.Rule,
            [
                {
                    "name": r["name"],
                    "event": r["event"],
                    "conditions": _or(r.get("conditions"), []),
                    "actions": _or(r.get("actions"), []),
                    "enabled": _or(r.get("enabled"), True),
                    "position": self.existing.next_rule_position + n,
                }
                for n, r in enumerate(rules)
            ],
        )

        windows = self.section("windows")
        ids = self.insert(
            M.CalendarWindow,
            [
                {
                    "title": w["title"],
                    "kind": w["kind"],
                    "hard": _or(w.get("hard"), True),
                    "start": parse_datetime(w["start"]),
                    "end": parse_datetime(w["end"]),
                    "timezone": _or(w.get("timezone"), "UTC"),
                    "rrule": w.get("rrule"),
                    "scope_environment": _dict(w.get("scope")).get("environment"),
                }
                for w in windows
            ],
        )
        self.insert_plain(
            M.window_cis,
            [
                {"window_id": wid, "ci_id": ci[name]}
                for w, wid in zip(windows, ids, strict=True)
                for name in _or(_dict(w.get("scope")).get("cis"), [])
            ],
        )

        releases = self.section("releases")
        rows = [self._release_row(r, states, first_state, pid, template) for r in releases]
        ids = self.insert(M.Release, rows)
        status_of = {row["key"]: state_name[row["status_id"]] for row in rows}
        release = {
            **self.existing.releases,
            **{r["key"]: i for r, i in zip(releases, ids, strict=True)},
        }
        parents = [
            {"b_id": release[r["key"]], "b_parent": release[r["parent"]]}
            for r in releases
            if r.get("parent")
        ]
        if parents:  # Core, not the ORM's bulk update, which wants each row's row_version
            table = M.Release.__table__
            assert isinstance(table, Table)
            self.s.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(parent_id=bindparam("b_parent")),
                parents,
            )
        deps = []
        for r in releases:
            for dep in _or(r.get("depends_on"), []):
                target, kind = (
                    (dep, "before")
                    if isinstance(dep, str)
                    else (dep["release"], _or(dep.get("kind"), "before"))
                )
                deps.append(
                    {
                        "release_id": release[r["key"]],
                        "prerequisite_id": release[target],
                        "kind": kind,
                    }
                )
        self.insert_plain(M.ReleaseDependency, deps)

        release_of_change = {c: r["key"] for r in releases for c in _or(r.get("changes"), [])}
        changes = self.section("changes")
        ids = self.insert(
            M.Change,
            [
                {
                    "key": c["key"],
                    "title": c["title"],
                    "description": c.get("description"),
                    "type": c["type"],
                    "category": c["category"],
                    "approval": _or(c.get("approval"), "pending"),
                    "risk": _or(c.get("risk"), "medium"),
                    "requester_id": pid(c.get("requester")),
                    "created_at": parse_datetime(c.get("created_at")),
                    "release_note": c.get("release_note"),
                    "known_issues": c.get("known_issues"),
                    "caused_incident": bool(c.get("caused_incident")),
                    "audience": _or(c.get("audience"), "technical"),
                    "release_id": release[release_of_change[c["key"]]]
                    if c["key"] in release_of_change
                    else None,
                    "external_ref": c.get("external_ref"),
                }
                for c in changes
            ],
        )
        self.insert_plain(
            M.change_cis,
            [
                {"change_id": cid, "ci_id": ci[name]}
                for c, cid in zip(changes, ids, strict=True)
                for name in _or(c.get("cis"), [])
            ],
        )

        counts = self._release_parts(releases, release, pid)

        baselines = self.section("baselines")
        self.insert(
            M.Baseline,
            [
                {
                    "name": b["name"],
                    "created_at": parse_datetime(b.get("created_at")) or self.now,
                    "snapshot": b["snapshot"],
                }
                for b in baselines
            ],
        )
        zone = self.data.get("timezone")
        if isinstance(zone, str) and zone:
            meta = self.tx.session.get(M.PlanMeta, "timezone")
            if meta is None:
                self.tx.session.add(M.PlanMeta(key="timezone", value=zone))
            else:
                meta.value = zone

        for r in releases:
            self.tx.audit(
                "release",
                release[r["key"]],
                "import",
                after={
                    "key": r["key"],
                    "title": r["title"],
                    "status": status_of[r["key"]],
                    "tasks": len(_or(r.get("tasks"), [])),
                    "changes": len(_or(r.get("changes"), [])),
                },
                release_key=r["key"],
            )
        return {
            "people": len(people),
            "configuration_items": len(cis),
            "windows": len(windows),
            "changes": len(changes),
            "releases": len(releases),
            **counts,
            "templates": len(templates),
            "rules": len(rules),
            "baselines": len(baselines),
        }

    def _workflow(self) -> dict[str, int]:
        wf = self.data["workflow"]
        self.s.execute(delete(M.WorkflowTransition))
        self.s.execute(delete(M.WorkflowState))
        states = wf["states"]
        ids = self.insert(
            M.WorkflowState,
            [
                {
                    "name": st["name"],
                    "position": n,
                    "category": st["category"],
                    "color": st.get("color"),
                    # A file from before roles: a default state's name gives its role.
                    "role": st["role"]
                    if "role" in st
                    else ROLE_OF_DEFAULT_NAME.get(st["name"].strip().lower()),
                }
                for n, st in enumerate(states)
            ],
        )
        state = {st["name"]: i for st, i in zip(states, ids, strict=True)}
        self.insert(
            M.WorkflowTransition,
            [
                {
                    "from_state_id": state[t["from"]] if t.get("from") else None,
                    "to_state_id": state[t["to"]] if t.get("to") else None,
                    "label": t.get("label"),
                    "guards": [
                        {"guard": g["guard"], "param": g.get("param"), "soft": bool(g.get("soft"))}
                        for g in _or(t.get("guards"), [])
                    ],
                }
                for t in _or(wf.get("transitions"), [])
            ],
        )
        return state

    def _release_row(
        self,
        r: dict[str, Any],
        states: dict[str, int],
        first_state: int | None,
        pid: Any,
        template: dict[str, int],
    ) -> dict[str, Any]:
        window = _dict(r.get("deployment_window"))
        strategy = _dict(r.get("strategy"))
        rollback = _dict(r.get("rollback"))
        status = r.get("status")
        return {
            "key": r["key"],
            "title": r["title"],
            "version": r.get("version"),
            "type": r["type"],
            "priority": _or(r.get("priority"), "medium"),
            "risk": _or(r.get("risk"), "medium"),
            "application": r.get("application"),
            "status_id": states[status] if status is not None else first_state,
            "previous_status_id": states[r["previous_status"]]
            if r.get("previous_status")
            else None,
            "scope": r.get("scope"),
            "objectives": r.get("objectives"),
            "manager_id": pid(r.get("manager")),
            "planned_start": parse_date(r.get("planned_start")),
            "planned_end": parse_date(r.get("planned_end")),
            "deploy_start": parse_datetime(window.get("start")),
            "deploy_end": parse_datetime(window.get("end")),
            "actual_start": parse_date(r.get("actual_start")),
            "actual_end": parse_date(r.get("actual_end")),
            "strategy": strategy.get("kind"),
            "waves": [
                {k: v for k, v in w.items() if v is not None}
                for w in _or(strategy.get("waves"), [])
            ],
            "rollback_plan": rollback.get("plan"),
            "rollback_minutes": rollback.get("duration_minutes"),
            "rollback_rehearsed_on": parse_date(rollback.get("rehearsed_on")),
            "communication_plan": r.get("communication_plan"),
            "implementation_plan": r.get("implementation_plan"),
            "required_tests": _or(r.get("required_tests"), []),
            "template_id": template[r["template"]] if r.get("template") else None,
            "closure_code": r.get("closure_code"),
            "created_at": parse_datetime(r.get("created_at")) or self.now,
            "commit_range": _dict(r.get("commits")).get("range"),
            "commit_count": _dict(r.get("commits")).get("count"),
            "commit_authors": _or(_dict(r.get("commits")).get("authors"), []),
        }

    def _release_parts(
        self, releases: list[dict[str, Any]], release: dict[str, int], pid: Any
    ) -> dict[str, int]:
        task_rows, task_keys = [], []
        stage_rows, stage_approvals = [], []
        run_rows, deployment_rows, review_rows, link_rows = [], [], [], []
        incident_rows: list[dict[str, Any]] = []
        deployment_incidents: list[tuple[int, list[Any]]] = []
        for r in releases:
            rid = release[r["key"]]
            for position, t in enumerate(_or(r.get("tasks"), [])):
                task_keys.append((rid, t["id"]))
                task_rows.append(
                    {
                        "release_id": rid,
                        "local_id": t["id"],
                        "position": position,
                        "title": t["title"],
                        "phase": t["phase"],
                        "assignee_id": pid(t.get("assignee")),
                        "status": _or(t.get("status"), "todo"),
                        "start": parse_date(t.get("start")),
                        "end": parse_date(t.get("end")),
                        "effort_hours": t.get("effort_hours"),
                        "percent_complete": _or(t.get("percent_complete"), 0),
                        "notes": t.get("notes"),
                        "outline": t.get("outline"),
                        "milestone": bool(t.get("milestone") or False),
                    }
                )
            for n, st in enumerate(_or(r.get("approval_stages"), [])):
                stage_rows.append(
                    {
                        "release_id": rid,
                        "position": _or(st.get("order"), n + 1),
                        "name": st["name"],
                        "rule": st["rule"],
                        "percent": st.get("percent"),
                        "status": _or(st.get("status"), "pending"),
                    }
                )
                stage_approvals.append(_or(st.get("approvals"), []))
            for run in _or(r.get("test_runs"), []):
                failed = _or(run.get("failed"), 0)
                run_rows.append(
                    {
                        "release_id": rid,
                        "kind": run["kind"],
                        "environment": run.get("environment"),
                        "passed": _or(run.get("passed"), 0),
                        "failed": failed,
                        "skipped": _or(run.get("skipped"), 0),
                        "run_at": parse_datetime(run["run_at"]),
                        "source": run.get("source"),
                        "verdict": _or(run.get("verdict"), "failed" if failed else "passed"),
                        "errored": _or(run.get("errored"), 0),
                        "failures": _or(run.get("failures"), []),
                        "source_sha256": run.get("source_sha256"),
                        "duration_seconds": run.get("duration_seconds"),
                        "note": run.get("note"),
                    }
                )
            for d in _or(r.get("deployments"), []):
                deployment_rows.append(
                    {
                        "release_id": rid,
                        "environment": d["environment"],
                        "wave": d.get("wave"),
                        "started_at": parse_datetime(d.get("started_at")),
                        "finished_at": parse_datetime(d.get("finished_at")),
                        "outcome": d.get("outcome"),
                        "incidents": _or(d.get("incidents"), 0),
                        "failure_detected_at": parse_datetime(d.get("failure_detected_at")),
                        "restored_at": parse_datetime(d.get("restored_at")),
                        "hotfix": bool(d.get("hotfix")),
                        "source": d.get("source"),
                        "url": d.get("url"),
                    }
                )
                deployment_incidents.append((rid, _or(d.get("incident_records"), [])))
            for inc in _or(r.get("incidents"), []):
                incident_rows.append(_incident_row(inc, rid, None))
            review = r.get("review")
            if review:
                review_rows.append(
                    {
                        "release_id": rid,
                        "outcome": review["outcome"],
                        "incidents": _or(review.get("incidents"), 0),
                        "lessons_learned": review.get("lessons_learned"),
                        "user_feedback": review.get("user_feedback"),
                        "closed_at": parse_datetime(review.get("closed_at")),
                        "closed_by_id": pid(review.get("closed_by")),
                    }
                )
            for link in _or(r.get("links"), []):
                link_rows.append(
                    {
                        "release_id": rid,
                        "kind": link["kind"],
                        "external_key": link["key"],
                        "title": link.get("title"),
                        "url": link.get("url"),
                        "relation": link["relation"],
                    }
                )

        task_ids = dict(zip(task_keys, self.insert(M.Task, task_rows), strict=True))
        dep_rows = [
            {
                "predecessor_id": task_ids[(release[r["key"]], dep["task"])],
                "successor_id": task_ids[(release[r["key"]], t["id"])],
                "type": _or(dep.get("type"), "FS"),
                "lag_days": _or(dep.get("lag_days"), 0),
            }
            for r in releases
            for t in _or(r.get("tasks"), [])
            for dep in _or(t.get("depends_on"), [])
        ]
        self.insert_plain(M.TaskDependency, dep_rows)
        stage_ids = self.insert(M.ApprovalStage, stage_rows)
        approval_rows = [
            {
                "stage_id": sid,
                "approver_id": pid(a["approver"]),
                "decision": _or(a.get("decision"), "pending"),
                "comment": a.get("comment"),
                "requested_at": parse_datetime(a.get("requested_at")),
                "decided_at": parse_datetime(a.get("decided_at")),
                "delegated_to_id": pid(a.get("delegated_to")),
            }
            for sid, approvals in zip(stage_ids, stage_approvals, strict=True)
            for a in approvals
        ]
        self.insert_plain(M.Approval, approval_rows)
        self.insert_plain(M.TestRun, run_rows)
        deployment_ids = self.insert(M.Deployment, deployment_rows)
        for dep_id, (rid, incidents) in zip(deployment_ids, deployment_incidents, strict=True):
            incident_rows.extend(_incident_row(inc, rid, dep_id) for inc in incidents)
        # an incident already in the plan (left behind when its release was deleted, or
        # imported from monitoring before) is linked again rather than duplicated
        known = [row for row in incident_rows if row["key"] in self.existing.incidents]
        for row in known:
            self.s.execute(
                update(M.Incident)
                .where(M.Incident.key == row["key"])
                .values({k: v for k, v in row.items() if k != "key"})
            )
        self.insert_plain(
            M.Incident, [row for row in incident_rows if row["key"] not in self.existing.incidents]
        )
        self.insert_plain(M.Review, review_rows)
        self.insert_plain(M.LinkedRecord, link_rows)
        return {
            "tasks": len(task_rows),
            "task_dependencies": len(dep_rows),
            "approval_stages": len(stage_rows),
            "approvals": len(approval_rows),
            "test_runs": len(run_rows),
            "deployments": len(deployment_rows),
            "incidents": len(incident_rows),
            "reviews": len(review_rows),
            "links": len(link_rows),
        }
