"""Checking a plan document for meaning before anything is written: references, duplicates,
dates and loops, against what the plan already holds.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relman_desktop.importers.plan_json.reading import (
    MAX_DEPTH,
    _at,
    _dict,
    _list,
    _show,
    _str,
    json_path,
    parse_date,
    parse_datetime,
)
from relman_desktop.models import entities as M
from relman_desktop.services import limits
from relman_desktop.services.base import ValidationError
from relman_desktop.services.text import MAX_TEXT, text_problem

# --- what the plan already holds -----------------------------------------------------------------


@dataclass
class _Existing:
    people: dict[str, int]
    cis: dict[str, int]
    releases: dict[str, int]
    changes: set[str]
    templates: dict[str, int]
    rules: set[str]
    baselines: set[str]
    states: dict[str, int]
    state_order: list[str]
    next_rule_position: int
    incidents: set[str] = field(default_factory=set)
    logins: dict[str, str] = field(default_factory=dict)  # login → the email it signs in as

    @classmethod
    def load(cls, s: Session) -> _Existing:
        states = s.execute(
            select(M.WorkflowState.name, M.WorkflowState.id).order_by(M.WorkflowState.position)
        ).all()
        return cls(
            people=dict(s.execute(select(M.Person.email, M.Person.id)).all()),
            cis=dict(s.execute(select(M.ConfigurationItem.name, M.ConfigurationItem.id)).all()),
            releases=dict(s.execute(select(M.Release.key, M.Release.id)).all()),
            changes=set(s.execute(select(M.Change.key)).scalars()),
            templates=dict(s.execute(select(M.Template.name, M.Template.id)).all()),
            rules=set(s.execute(select(M.Rule.name)).scalars()),
            baselines=set(s.execute(select(M.Baseline.name)).scalars()),
            states={name: sid for name, sid in states},
            state_order=[name for name, _ in states],
            next_rule_position=int(
                s.execute(select(func.coalesce(func.max(M.Rule.position), -1))).scalar_one()
            )
            + 1,
            incidents=set(s.execute(select(M.Incident.key)).scalars()),
            logins={
                str(login): email
                for login, email in s.execute(
                    select(M.Person.login, M.Person.email).where(M.Person.login.is_not(None))
                )
            },
        )


# --- checking meaning --------------------------------------------------------------------------------


@dataclass
class _Check:
    """Semantic checks over a document that may also have broken the schema: every read is
    defensive, so one bad value yields its own problem and never hides the others."""

    data: dict[str, Any]
    existing: _Existing
    replace_workflow: bool
    restoring: bool = False
    problems: list[str] = field(default_factory=list)
    incident_paths: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, message: str) -> None:
        self.problems.append(_at(path, message))

    def run(self) -> None:
        d = self.data
        if not self.restoring:
            self._values()
        self._template_bodies()
        self.file_people = self._keys("people", "email", "person", self.existing.people)
        self._logins()
        self.file_cis = self._keys(
            "configuration_items", "name", "configuration item", self.existing.cis
        )
        self.file_changes = self._keys("changes", "key", "change", self.existing.changes)
        self.file_releases = self._keys("releases", "key", "release", self.existing.releases)
        self.file_templates = self._keys("templates", "name", "template", self.existing.templates)
        self._keys("rules", "name", "rule", self.existing.rules)
        tz = d.get("timezone")
        if isinstance(tz, str):
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                self.add("timezone", f"{_show(tz)} is not an IANA time zone (e.g. Europe/Berlin)")
        self._keys("baselines", "name", "baseline", self.existing.baselines)
        self.states = self._workflow() if self.replace_workflow else list(self.existing.state_order)

        for i, ci in enumerate(_list(d.get("configuration_items"))):
            ci = _dict(ci)
            self._person(f"configuration_items[{i}].owner", ci.get("owner"))
            for j, parent in enumerate(_list(ci.get("parents"))):
                self._ci(f"configuration_items[{i}].parents[{j}]", parent)
        self._ci_loops()
        self._rules()
        for i, w in enumerate(_list(d.get("windows"))):
            self._window(i, _dict(w))
        for i, c in enumerate(_list(d.get("changes"))):
            c = _dict(c)
            path = f"changes[{i}]"
            self._person(f"{path}.requester", c.get("requester"))
            self._datetime(f"{path}.created_at", c.get("created_at"))
            for j, ci in enumerate(_list(c.get("cis"))):
                self._ci(f"{path}.cis[{j}]", ci)
        owner_of_change: dict[str, str] = {}
        for i, r in enumerate(_list(d.get("releases"))):
            self._release(i, _dict(r), owner_of_change)
        self._release_loops()
        for i, b in enumerate(_list(d.get("baselines"))):
            self._datetime(f"baselines[{i}].created_at", _dict(b).get("created_at"))

    # every value, wherever it sits (free-form bodies, conditions and snapshots included)

    def _values(self) -> None:
        """Text a plan may not hold, numbers that are not numbers, and nesting no plan needs,
        each at its JSON path. Iterative: a deep document must not exhaust Python's stack."""
        stack: list[tuple[tuple[Any, ...], Any]] = [((), self.data)]
        while stack:
            parts, value = stack.pop()
            if isinstance(value, dict | list):
                if len(parts) > MAX_DEPTH:
                    self.add(json_path(parts), f"nests more than {MAX_DEPTH} levels deep")
                    continue
                items = value.items() if isinstance(value, dict) else enumerate(value)
                for k, v in items:
                    if isinstance(k, str) and (problem := text_problem(k, max_length=200)):
                        self.add(json_path(parts), f"a field name {problem}")
                    stack.append(((*parts, k), v))
            elif isinstance(value, str):
                if problem := text_problem(value, max_length=MAX_TEXT):
                    self.add(json_path(parts), problem)
            elif isinstance(value, float) and not math.isfinite(value):
                word = "NaN" if math.isnan(value) else ("-" if value < 0 else "") + "Infinity"
                self.add(json_path(parts), f"{word} is not a number a plan can hold")
            elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
                digits = len(str(abs(value)))
                self.add(json_path(parts), f"a number of {digits} digits is more than a plan holds")

    def _template_bodies(self) -> None:
        """A template's body is free-form in the schema; the templates service knows its shape."""
        from relman_desktop.services.templates import validate_body

        for i, t in enumerate(_list(self.data.get("templates"))):
            body = _dict(t).get("body")
            if body is None:
                continue
            try:
                validate_body(body)
            except ValidationError as exc:
                where = (exc.field or "").removeprefix("body").lstrip(".")
                message = str(exc).removeprefix(f"{exc.field}: ") if exc.field else str(exc)
                self.add(
                    json_path(["templates", i, "body", *where.split(".")])
                    if where
                    else f"templates[{i}].body",
                    message,
                )

    # keys and references

    def _keys(self, section: str, key: str, noun: str, existing: Iterable[str]) -> set[str]:
        """The section's keys; a duplicate, or a key the plan already holds, is a problem."""
        seen: dict[str, int] = {}
        existing = set(existing)
        for i, item in enumerate(_list(self.data.get(section))):
            value = _str(_dict(item).get(key))
            if value is None:
                continue
            path = f"{section}[{i}].{key}"
            if value in seen:
                self.add(path, f"duplicate {noun} {_show(value)} (also {section}[{seen[value]}])")
            else:
                seen[value] = i
            if value in existing:
                self.add(path, f"{noun} {_show(value)} already exists in the plan")
        return set(seen)

    def _logins(self) -> None:
        """A login signs in as one person: two people of the file with one login, or a login
        the plan already maps to someone, is a problem at the person's row."""
        seen: dict[str, int] = {}
        for i, item in enumerate(_list(self.data.get("people"))):
            person = _dict(item)
            login = _str(person.get("login"))
            if login is None:
                continue
            path = f"people[{i}].login"
            if login in seen:
                self.add(
                    path,
                    f"duplicate login {_show(login)}: people[{seen[login]}] "
                    f"({_show(_dict(_list(self.data.get('people'))[seen[login]]).get('email'))}) "
                    "signs in with it too; a login signs in as one person",
                )
            else:
                seen[login] = i
            if login in self.existing.logins:
                self.add(
                    path,
                    f"login {_show(login)} already signs in as {self.existing.logins[login]} "
                    "in the plan",
                )

    def _rules(self) -> None:
        """Each rule through the rule editor's own validation (``services.rules``): a rule that
        sets the status, a key or an id, or lacks what evaluation needs, is refused here; the
        rules are then stored as the editor stores them."""
        from relman_desktop.services import rules as R

        emails = set(self.file_people) | set(self.existing.people)
        cleaned: list[Any] = []
        for i, rule in enumerate(_list(self.data.get("rules"))):
            rule = _dict(rule)
            try:
                conditions = R.validate_conditions(None, rule.get("conditions"), states=self.states)
                actions = R.validate_actions(None, rule.get("actions"), emails=emails)
            except ValidationError as exc:
                self.add(
                    f"rules[{i}].{exc.field}" if exc.field else f"rules[{i}]",
                    str(exc).split(": ", 1)[-1],
                )
                cleaned.append(rule)
                continue
            cleaned.append({**rule, "conditions": conditions, "actions": actions})
        if "rules" in self.data and isinstance(self.data["rules"], list):
            self.data["rules"] = cleaned

    def _person(self, path: str, email: Any) -> None:
        if (
            isinstance(email, str)
            and email not in self.file_people
            and email not in self.existing.people
        ):
            self.add(path, f"no person {_show(email)} in this file or the plan")

    def _ci(self, path: str, name: Any) -> None:
        if isinstance(name, str) and name not in self.file_cis and name not in self.existing.cis:
            self.add(path, f"no configuration item {_show(name)} in this file or the plan")

    def _state(self, path: str, name: Any) -> None:
        if isinstance(name, str) and name not in self.states:
            self.add(path, f"no workflow state {_show(name)} (states: {', '.join(self.states)})")

    # values

    def _date(self, path: str, value: Any) -> dt.date | None:
        if isinstance(value, str):
            parsed = parse_date(value)
            if parsed is None:
                self.add(path, f"{_show(value)} is not a date (YYYY-MM-DD)")
            elif limits.date_problem(parsed) is not None:
                return None  # the schema's pattern names it; nothing below may compute with it
            return parsed
        return None

    def _datetime(self, path: str, value: Any) -> dt.datetime | None:
        if isinstance(value, str):
            parsed = parse_datetime(value)
            if parsed is None:
                self.add(
                    path,
                    f"{_show(value)} is not an ISO 8601 date-time with an offset "
                    "(e.g. 2026-12-12T22:00:00+01:00 or 2026-12-12T21:00:00Z)",
                )
            elif limits.date_problem(parsed) is not None:
                return None
            return parsed
        return None

    def _order(
        self,
        path: str,
        start_name: str,
        start: Any,
        end_name: str,
        end: Any,
        *,
        strict: bool = False,
    ) -> None:
        if start is None or end is None:
            return
        if end < start or (strict and end == start):
            word = "not after" if strict and end == start else "before"
            self.add(f"{path}.{end_name}", f"{_text(end)} is {word} {start_name} {_text(start)}")

    def _dates(
        self, path: str, obj: dict[str, Any], start: str, end: str, *, kind: str = "date"
    ) -> None:
        parse = self._date if kind == "date" else self._datetime
        a = parse(f"{path}.{start}", obj.get(start))
        b = parse(f"{path}.{end}", obj.get(end))
        self._order(path, start, a, end, b)

    # sections

    def _workflow(self) -> list[str]:
        wf = _dict(self.data.get("workflow"))
        names: list[str] = []
        for i, st in enumerate(_list(wf.get("states"))):
            name = _str(_dict(st).get("name"))
            if name is None:
                continue
            if name in names:
                self.add(f"workflow.states[{i}].name", f"duplicate state {_show(name)}")
            else:
                names.append(name)
        pairs: dict[tuple[Any, Any], int] = {}
        for i, tr in enumerate(_list(wf.get("transitions"))):
            tr = _dict(tr)
            src, dst = _str(tr.get("from")), _str(tr.get("to"))
            for end in ("from", "to"):
                value = tr.get(end)
                if isinstance(value, str) and value not in names:
                    self.add(
                        f"workflow.transitions[{i}].{end}",
                        f"no state {_show(value)} in workflow.states",
                    )
            if src is None and dst is None:
                self.add(f"workflow.transitions[{i}]", 'needs a "from" or a "to" state')
            elif (src, dst) in pairs:
                self.add(
                    f"workflow.transitions[{i}]",
                    f"duplicates workflow.transitions[{pairs[(src, dst)]}]",
                )
            else:
                pairs[(src, dst)] = i
        return names

    def _window(self, i: int, w: dict[str, Any]) -> None:
        path = f"windows[{i}]"
        start = self._datetime(f"{path}.start", w.get("start"))
        end = self._datetime(f"{path}.end", w.get("end"))
        self._order(path, "start", start, "end", end, strict=True)
        tz = w.get("timezone")
        if isinstance(tz, str):
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                self.add(
                    f"{path}.timezone", f"{_show(tz)} is not an IANA time zone (e.g. Europe/Berlin)"
                )
        rrule = w.get("rrule")
        if isinstance(rrule, str) and (problem := limits.rrule_problem(rrule)) is not None:
            self.add(f"{path}.rrule", problem)
        elif isinstance(rrule, str) and start is not None:
            from dateutil.rrule import rrulestr

            try:
                rrulestr(rrule, dtstart=start)
            except (ValueError, TypeError) as exc:
                self.add(f"{path}.rrule", f"not a valid RFC 5545 RRULE ({exc})")
        for j, ci in enumerate(_list(_dict(w.get("scope")).get("cis"))):
            self._ci(f"{path}.scope.cis[{j}]", ci)

    def _release(self, i: int, r: dict[str, Any], owner_of_change: dict[str, str]) -> None:
        path = f"releases[{i}]"
        key = _str(r.get("key")) or f"#{i}"
        self._state(f"{path}.status", r.get("status"))
        self._state(f"{path}.previous_status", r.get("previous_status"))
        if r.get("status") is None and not self.states:
            self.add(f"{path}.status", "the workflow has no states")
        self._person(f"{path}.manager", r.get("manager"))
        self._dates(path, r, "planned_start", "planned_end")
        self._dates(path, r, "actual_start", "actual_end")
        self._dates(
            f"{path}.deployment_window",
            _dict(r.get("deployment_window")),
            "start",
            "end",
            kind="datetime",
        )
        self._date(f"{path}.rollback.rehearsed_on", _dict(r.get("rollback")).get("rehearsed_on"))
        self._datetime(f"{path}.created_at", r.get("created_at"))
        parent = r.get("parent")
        if (
            isinstance(parent, str)
            and parent not in self.file_releases
            and parent not in self.existing.releases
        ):
            self.add(f"{path}.parent", f"no release {_show(parent)} in this file or the plan")
        template = r.get("template")
        if (
            isinstance(template, str)
            and template not in self.file_templates
            and template not in self.existing.templates
        ):
            self.add(f"{path}.template", f"no template {_show(template)} in this file or the plan")
        for j, change in enumerate(_list(r.get("changes"))):
            if not isinstance(change, str):
                continue
            if change not in self.file_changes:
                self.add(f"{path}.changes[{j}]", f"no change {_show(change)} in this file")
            elif change in owner_of_change and owner_of_change[change] != key:
                self.add(
                    f"{path}.changes[{j}]",
                    f"change {change} is already in release {owner_of_change[change]}",
                )
            else:
                owner_of_change[change] = key
        seen_deps: dict[str, int] = {}
        for j, dep in enumerate(_list(r.get("depends_on"))):
            target, dpath = (
                (dep, f"{path}.depends_on[{j}]")
                if isinstance(dep, str)
                else (
                    _str(_dict(dep).get("release")),
                    f"{path}.depends_on[{j}].release",
                )
            )
            if target is None:
                continue
            if target not in self.file_releases and target not in self.existing.releases:
                self.add(dpath, f"no release {_show(target)} in this file or the plan")
            if target in seen_deps:
                self.add(dpath, f"{target} is listed twice (also depends_on[{seen_deps[target]}])")
            seen_deps.setdefault(target, j)
        self._tasks(path, key, _list(r.get("tasks")))
        self._stages(path, _list(r.get("approval_stages")))
        for j, run in enumerate(_list(r.get("test_runs"))):
            self._datetime(f"{path}.test_runs[{j}].run_at", _dict(run).get("run_at"))
        for j, dep in enumerate(_list(r.get("deployments"))):
            dep = _dict(dep)
            dpath = f"{path}.deployments[{j}]"
            self._dates(dpath, dep, "started_at", "finished_at", kind="datetime")
            self._dates(dpath, dep, "failure_detected_at", "restored_at", kind="datetime")
            self._incidents(f"{dpath}.incident_records", _list(dep.get("incident_records")))
        self._incidents(f"{path}.incidents", _list(r.get("incidents")))
        review = _dict(r.get("review"))
        self._datetime(f"{path}.review.closed_at", review.get("closed_at"))
        self._person(f"{path}.review.closed_by", review.get("closed_by"))
        seen_links: dict[tuple[Any, Any], int] = {}
        for j, link in enumerate(_list(r.get("links"))):
            link = _dict(link)
            pair = (_str(link.get("kind")), _str(link.get("key")))
            if None in pair:
                continue
            if pair in seen_links:
                self.add(
                    f"{path}.links[{j}]",
                    f"duplicate link {pair[0]} {pair[1]} (also links[{seen_links[pair]}])",
                )
            seen_links.setdefault(pair, j)

    def _incidents(self, path: str, incidents: list[Any]) -> None:
        for j, inc in enumerate(incidents):
            inc = _dict(inc)
            ipath = f"{path}[{j}]"
            self._dates(ipath, inc, "detected_at", "restored_at", kind="datetime")
            key = _str(inc.get("key"))
            if key is None:
                continue
            if key in self.incident_paths:
                self.add(
                    f"{ipath}.key",
                    f"incident {_show(key)} is listed twice (also {self.incident_paths[key]})",
                )
            self.incident_paths.setdefault(key, ipath)

    def _tasks(self, path: str, key: str, tasks: list[Any]) -> None:
        ids: dict[str, int] = {}
        for k, t in enumerate(tasks):
            tid = _str(_dict(t).get("id"))
            if tid is None:
                continue
            if tid in ids:
                self.add(
                    f"{path}.tasks[{k}].id",
                    f"duplicate task id {_show(tid)} (also tasks[{ids[tid]}])",
                )
            else:
                ids[tid] = k
        edges: list[tuple[str, str, str]] = []
        for k, t in enumerate(tasks):
            t = _dict(t)
            tpath = f"{path}.tasks[{k}]"
            self._person(f"{tpath}.assignee", t.get("assignee"))
            self._dates(tpath, t, "start", "end")
            seen: dict[str, int] = {}
            for j, dep in enumerate(_list(t.get("depends_on"))):
                pred = _str(_dict(dep).get("task"))
                if pred is None:
                    continue
                dpath = f"{tpath}.depends_on[{j}].task"
                if pred not in ids:
                    self.add(dpath, f'no task "{pred}" in release {key}')
                elif pred in seen:
                    self.add(dpath, f"{pred} is listed twice (also depends_on[{seen[pred]}])")
                else:
                    seen[pred] = j
                    tid = _str(t.get("id"))
                    if tid is not None:
                        edges.append((tid, pred, f"{tpath}.depends_on[{j}]"))
        for loop, where in _loops(edges):
            self.add(where, f"dependency loop {' → '.join(loop)} in release {key}")

    def _stages(self, path: str, stages: list[Any]) -> None:
        names: dict[str, int] = {}
        for k, st in enumerate(stages):
            st = _dict(st)
            spath = f"{path}.approval_stages[{k}]"
            name = _str(st.get("name"))
            if name is not None:
                if name in names:
                    self.add(
                        f"{spath}.name",
                        f"duplicate stage {_show(name)} (also approval_stages[{names[name]}])",
                    )
                names.setdefault(name, k)
            rule, percent = st.get("rule"), st.get("percent")
            if rule == "percent" and percent is None:
                self.add(f"{spath}.percent", 'is required when the rule is "percent"')
            elif rule != "percent" and percent is not None and isinstance(rule, str):
                self.add(
                    f"{spath}.percent", f'applies only to the rule "percent", not {_show(rule)}'
                )
            approvers: dict[str, int] = {}
            for j, a in enumerate(_list(st.get("approvals"))):
                a = _dict(a)
                apath = f"{spath}.approvals[{j}]"
                who = a.get("approver")
                self._person(f"{apath}.approver", who)
                self._person(f"{apath}.delegated_to", a.get("delegated_to"))
                if isinstance(who, str):
                    if who in approvers:
                        self.add(
                            f"{apath}.approver",
                            f"{who} is asked twice in this stage (also approvals[{approvers[who]}])",
                        )
                    approvers.setdefault(who, j)
                self._dates(apath, a, "requested_at", "decided_at", kind="datetime")

    def _ci_loops(self) -> None:
        edges = []
        for i, ci in enumerate(_list(self.data.get("configuration_items"))):
            ci = _dict(ci)
            name = _str(ci.get("name"))
            for j, parent in enumerate(_list(ci.get("parents"))):
                if name is not None and isinstance(parent, str):
                    edges.append((name, parent, f"configuration_items[{i}].parents[{j}]"))
        for loop, where in _loops(edges):
            self.add(where, f"parent loop {' → '.join(loop)}")

    def _release_loops(self) -> None:
        deps, parents = [], []
        for i, r in enumerate(_list(self.data.get("releases"))):
            r = _dict(r)
            key = _str(r.get("key"))
            if key is None:
                continue
            for j, dep in enumerate(_list(r.get("depends_on"))):
                target = dep if isinstance(dep, str) else _str(_dict(dep).get("release"))
                if target is not None:
                    deps.append((key, target, f"releases[{i}].depends_on[{j}]"))
            if isinstance(r.get("parent"), str):
                parents.append((key, r["parent"], f"releases[{i}].parent"))
        for loop, where in _loops(deps):
            self.add(where, f"dependency loop {' → '.join(loop)}")
        for loop, where in _loops(parents):
            self.add(where, f"parent loop {' → '.join(loop)}")


def _text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _loops(edges: list[tuple[str, str, str]]) -> list[tuple[list[str], str]]:
    """One loop per knot of ``edges`` (node → node, with the JSON path of the edge), named from
    its smallest node round to itself, with the path of the edge leaving that node.

    Only the document's own edges count: a node the plan already holds cannot point back
    into new ones, so every loop lies inside the document."""
    import networkx as nx

    graph = nx.DiGraph()
    where: dict[tuple[str, str], str] = {}
    for a, b, path in edges:
        graph.add_edge(a, b)
        where.setdefault((a, b), path)
    found = []
    for component in nx.strongly_connected_components(graph):
        if len(component) == 1:
            (node,) = component
            if not graph.has_edge(node, node):
                continue
        start = min(component)
        cycle_edges = nx.find_cycle(graph.subgraph(component), source=start)
        nodes = [a for a, _ in cycle_edges]
        first = nodes.index(min(nodes))
        nodes = nodes[first:] + nodes[:first]
        loop = [*nodes, nodes[0]]
        found.append((loop, where[(loop[0], loop[1])]))
    return sorted(found, key=lambda pair: pair[1])
