"""Reading a plan interchange document (docs/plan-format.md, version 1) into a plan.

An import is a restore: all or nothing, statuses set directly (no lifecycle guards), rules not
run. Everything is checked before anything is written — first against the JSON Schema that
ships with the app, then for meaning (references, duplicates, dates, loops) — and every
problem is reported with its JSON path, e.g.
``releases[3].tasks[1].depends_on[0].task: no task "T9" in release REL-2026-004``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema
from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from relman_desktop.models import entities as M
from relman_desktop.models.defaults import ROLE_OF_DEFAULT_NAME
from relman_desktop.services import limits
from relman_desktop.services.base import Ctx, Tx, ValidationError, operation
from relman_desktop.services.text import MAX_TEXT, text_problem

__all__ = ["import_plan", "load_plan_file", "load_schema", "schema_path", "schema_problems"]

SCHEMA_FILE = "plan-v1.schema.json"
MAX_DEPTH = 64  # nesting of lists and objects; a plan document needs about ten
TOP_LEVEL_KEYS = (
    "format",
    "version",
    "people",
    "configuration_items",
    "windows",
    "changes",
    "releases",
    "templates",
    "rules",
    "workflow",
    "baselines",
    "timezone",
)


# --- the schema ------------------------------------------------------------------------------------


def schema_path() -> Path:
    """Where the JSON Schema of the format lies inside the installed package."""
    return Path(str(resources.files("relman_desktop") / "schema" / SCHEMA_FILE))


@cache
def load_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the plan format, version 1."""
    with open(schema_path(), encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


@cache
def _validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(load_schema())


def json_path(parts: Iterable[Any]) -> str:
    """``releases[3].tasks[1].depends_on[0].task`` from ``("releases", 3, "tasks", 1, …)``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _at(path: str, message: str) -> str:
    return f"{path}: {message}" if path else message


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def _describe(error: jsonschema.ValidationError) -> list[str]:
    """A schema error in the words of the format, prefixed with its JSON path."""
    path = json_path(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        if not path:
            return [
                _at(k, f"unknown top-level key (allowed: {', '.join(TOP_LEVEL_KEYS)})")
                for k in extra
            ]
        return [_at(json_path([*error.absolute_path, k]), "unknown field") for k in extra]
    if kind == "required" and isinstance(error.instance, dict):
        return [
            _at(json_path([*error.absolute_path, k]), "is required")
            for k in error.validator_value
            if k not in error.instance
        ]
    if kind == "enum":
        choices = ", ".join("null" if v is None else str(v) for v in error.validator_value)
        return [_at(path, f"{_show(error.instance)} is not one of: {choices}")]
    if kind == "const":
        return [_at(path, f"must be {_show(error.validator_value)}, not {_show(error.instance)}")]
    if kind == "type":
        types = (
            error.validator_value
            if isinstance(error.validator_value, list)
            else [error.validator_value]
        )
        words = " or ".join(str(_TYPE_WORDS.get(t, t)) for t in types)
        return [_at(path, f"expected {words}, got {_show(error.instance)}")]
    if kind == "anyOf" and path.rsplit("[", 1)[0].endswith("depends_on"):
        return [
            _at(path, 'expected a release key or {"release": KEY, "kind": "before"|"together"}')
        ]
    if kind == "uniqueItems":
        return [_at(path, "lists the same value twice")]
    if kind in ("minimum", "maximum"):
        word = "at least" if kind == "minimum" else "at most"
        return [_at(path, f"must be {word} {error.validator_value}, not {_show(error.instance)}")]
    if kind == "minLength" and error.validator_value == 1:
        return [_at(path, "must not be empty")]
    if kind in ("minLength", "maxLength"):
        word = "at least" if kind == "minLength" else "at most"
        return [_at(path, f"must be {word} {error.validator_value} characters long")]
    if kind == "pattern":
        if error.validator_value == load_schema()["$defs"]["date"]["pattern"]:
            return [
                _at(
                    path,
                    f"{_show(error.instance)} is outside the years "
                    f"{limits.EARLIEST_YEAR}–{limits.LATEST_YEAR}",
                )
            ]
        rule = error.schema.get("description", "")
        return [
            _at(
                path,
                f"{_show(error.instance)} is not allowed here ({rule})"
                if rule
                else f"{_show(error.instance)} is not allowed here",
            )
        ]
    if kind == "minItems":
        return [_at(path, f"needs at least {error.validator_value} item(s)")]
    return [_at(path, error.message)]


# The schema's bounds (as opposed to its shape): what a plan written by an older version may
# already hold, so putting back a deleted release (undo) does not hold it to them.
BOUND_KEYWORDS = frozenset({"maximum", "minimum", "maxLength", "pattern"})


def schema_problems(data: Any, *, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Every way ``data`` breaks the JSON Schema, one path-prefixed line each (``ignore``: schema
    keywords whose failures do not count)."""
    problems: list[str] = []
    errors = sorted(
        (e for e in _validator().iter_errors(data) if e.validator not in ignore),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    for error in errors:
        problems.extend(_describe(error))
    return _unique(problems)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- reading a file ---------------------------------------------------------------------------------


def load_plan_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON object in ``path``; a missing file, bad JSON or a non-object is one clear line."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise ValidationError(f"{p} is a folder, not a plan JSON file")
    try:
        # a FIFO with no writer would block the read for ever; a device never ends
        if p.exists() and not stat.S_ISREG(p.stat().st_mode):
            raise ValidationError(
                f"{p.name} is not a regular file (a pipe or a device); name a file"
            )
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationError(f"there is no file at {p}") from None
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{p.name} is not UTF-8 text (byte {exc.start}): is it a plan JSON file?"
        ) from None
    except OSError as exc:
        raise ValidationError(f"{p.name} cannot be read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{p.name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise ValidationError(
            f"{p.name} nests lists or objects thousands of levels deep; a plan nests at most "
            f"{MAX_DEPTH}"
        ) from None
    except ValueError as exc:  # a number of more digits than Python converts (4,300)
        raise ValidationError(
            f"{p.name} holds a number of thousands of digits ({exc}); no plan value is that long"
        ) from None
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
            type(data), "a number"
        )
        raise ValidationError(
            f'{p.name} holds {kind}, not a plan (a JSON object with "format": "relman-plan")'
        )
    return data


# --- parsing values --------------------------------------------------------------------------------


def parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def parse_datetime(value: Any) -> dt.datetime | None:
    """An aware datetime from ISO 8601 text with an offset or ``Z``; None otherwise."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


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


# --- the import ---------------------------------------------------------------------------------------


@operation
def import_plan(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """Add the document's contents to the plan, all or nothing; returns counts per section.

    Raises ``ValidationError`` listing every problem (``.problems``, each prefixed with its JSON
    path) and writes nothing when there is any.
    """
    if not isinstance(data, dict):
        raise ValidationError('the plan JSON must be an object with "format": "relman-plan"')
    with ctx.write() as tx:
        return import_into(tx, data)


def import_into(tx: Tx, data: dict[str, Any], *, restoring: bool = False) -> dict[str, Any]:
    """``import_plan`` inside a transaction the caller holds (undo of a deletion uses it, with
    ``restoring``: what the plan held a moment ago goes back even if it predates the bounds)."""
    problems = schema_problems(data, ignore=BOUND_KEYWORDS if restoring else frozenset())
    data = dict(data)  # the checks store the rules as validated; the caller's dict stays as it was
    existing = _Existing.load(tx.session)
    has_releases = bool(existing.releases)
    replace_workflow = data.get("workflow") is not None and not has_releases
    check = _Check(data, existing, replace_workflow, restoring=restoring)
    check.run()
    problems = _unique(problems + check.problems)
    if problems:
        n = len(problems)
        raise ValidationError(
            f"the plan JSON has {n} problem{'s' if n != 1 else ''}:",
            field=None,
            problems=problems,
        )
    summary = _Writer(tx, data, existing, replace_workflow).run()
    summary["workflow"] = (
        "replaced"
        if replace_workflow
        else ("kept" if data.get("workflow") is not None else "unchanged")
    )
    tx.audit("plan", "plan", "import plan", after=summary)
    return summary


@operation
def restore_release(ctx: Ctx, snapshot: dict[str, Any]) -> str:
    """Undo of ``releases.delete_release``: the release as it was (state, tasks, stages and
    decisions, evidence, review, links, dependencies both ways) and its changes re-bundled
    without resetting approvals, in one transaction. Returns its key."""
    from relman_desktop.models.entities import Change, Release, ReleaseDependency

    release = dict(snapshot["release"])
    change_keys = list(release.get("changes") or [])
    release["changes"] = []
    doc = {"format": "relman-plan", "version": 1, "releases": [release]}
    with ctx.write() as tx:
        s = tx.session
        try:
            import_into(tx, doc, restoring=True)
        except ValidationError as exc:
            raise ValidationError(
                f"{release.get('key')} cannot be put back: {'; '.join(exc.problems)}"
            ) from None
        rel = s.execute(select(Release).where(Release.key == release["key"])).scalar_one()
        for key in change_keys:
            change = s.execute(select(Change).where(Change.key == key)).scalar_one_or_none()
            if change is not None and change.release_id is None:
                change.release_id = rel.id
        for dep in snapshot.get("dependents") or []:
            other = s.execute(
                select(Release).where(Release.key == dep["release"])
            ).scalar_one_or_none()
            if other is not None:
                s.add(
                    ReleaseDependency(release_id=other.id, prerequisite_id=rel.id, kind=dep["kind"])
                )
        tx.audit("release", rel.key, "restore", None, {"changes": change_keys}, release_key=rel.key)
        return str(rel.key)


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
