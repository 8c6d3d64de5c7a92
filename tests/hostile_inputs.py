"""Named hostile mutations of a valid plan JSON document, shared by the regression tests and the
fuzz harness (issue 18). Each mutation is ``(name, apply)`` where ``apply(doc)`` changes a deep
copy of a valid export in place, or ``(name, raw_text)`` builders for what a dict cannot hold
(5,000-deep nesting, 5,000-digit numbers, NaN)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

Doc = dict[str, Any]

BIG = 2**64
HUGE_TITLE = "x" * 10_000_000


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """Set the value at a dotted path like ``releases.0.tasks.1.lag_days``."""

    def apply(doc: Doc) -> None:
        parts = path.split(".")
        node: Any = doc
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def _first_release_with(doc: Doc, field: str) -> dict[str, Any]:
    for release in doc["releases"]:
        if release.get(field):
            return release
    raise LookupError(field)


def _task_dep(value: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        for release in doc["releases"]:
            for task in release["tasks"]:
                if task["depends_on"]:
                    task["depends_on"][0]["lag_days"] = value
                    return
        raise LookupError("task dependency")

    return apply


def _in_first(field: str, key: str, value: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        _first_release_with(doc, field)[field][0][key] = value

    return apply


def _window(**values: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        doc["windows"][0].update(values)

    return apply


def _guard(name: str) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        for transition in doc["workflow"]["transitions"]:
            if transition.get("guards"):
                transition["guards"][0]["guard"] = name
                return
        raise LookupError("guard")

    return apply


def _template_task(key: str, value: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        doc["templates"][0]["body"]["tasks"][0][key] = value

    return apply


def _waves(**wave: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        doc["releases"][0]["strategy"] = {"kind": "canary", "waves": [wave]}

    return apply


# Every mutation a dict can carry. Names say what a tester would call them.
MUTATIONS: list[tuple[str, Callable[[Doc], None]]] = [
    # integers beyond 64 bits and beyond what a person could mean
    ("rollback minutes 2**64", _set("releases.0.rollback.duration_minutes", BIG)),
    ("rollback minutes 10**12", _set("releases.0.rollback.duration_minutes", 10**12)),
    ("rollback minutes over a week", _set("releases.0.rollback.duration_minutes", 7 * 24 * 60 + 1)),
    ("rollback minutes negative", _set("releases.0.rollback.duration_minutes", -5)),
    ("lag 2**64", _task_dep(BIG)),
    ("lag -2**64", _task_dep(-BIG)),
    ("lag over a year", _task_dep(400)),
    ("lag under minus a year", _task_dep(-400)),
    ("effort 2**64", _in_first("tasks", "effort_hours", BIG)),
    ("effort 1e308", _in_first("tasks", "effort_hours", 1e308)),
    ("effort NaN", _in_first("tasks", "effort_hours", float("nan"))),
    ("effort Infinity", _in_first("tasks", "effort_hours", float("inf"))),
    ("effort -Infinity", _in_first("tasks", "effort_hours", float("-inf"))),
    ("percent complete 2**64", _in_first("tasks", "percent_complete", BIG)),
    ("passed count 2**64", _in_first("test_runs", "passed", BIG)),
    ("failed count 10**12", _in_first("test_runs", "failed", 10**12)),
    ("incidents 2**64", _in_first("deployments", "incidents", BIG)),
    ("stage order 2**64", _in_first("approval_stages", "order", BIG)),
    ("stage order negative", _in_first("approval_stages", "order", -1)),
    ("wave batch 2**64", _waves(batch=BIG)),
    ("wave bake 2**64", _waves(bake_minutes=BIG, percent=10)),
    ("template duration 2**64", _set("templates.0.default_duration_days", BIG)),
    ("template task offset 2**64", _template_task("offset_days", BIG)),
    ("template task duration 10**9", _template_task("duration_days", 10**9)),
    ("template task offset negative", _template_task("offset_days", -3)),
    # text
    ("title 10 MB", _set("releases.0.title", HUGE_TITLE)),
    ("title 100,000 chars", _set("releases.0.title", "y" * 100_000)),
    ("title lone surrogate", _set("releases.0.title", "Billing \ud800 fix")),
    ("title U+FFFE", _set("releases.0.title", "Billing \ufffe fix")),
    ("title U+FFFF", _set("releases.0.title", "Billing \uffff fix")),
    ("title NUL", _set("releases.0.title", "Billing\x00fix")),
    ("title bell", _set("releases.0.title", "Billing\x07fix")),
    ("title escape sequence", _set("releases.0.title", "Billing \x1b[2J\x1b]0;owned\x07")),
    ("title only spaces", _set("releases.0.title", "   ")),
    ("scope lone surrogate", _set("releases.0.scope", "\udfff")),
    ("change title surrogate", _set("changes.0.title", "\ud83d")),
    ("person name control", _set("people.0.name", "Ana\x1b[31m")),
    ("window title 100,000", _window(title="w" * 100_000)),
    ("key with newline", _set("releases.0.key", "REL-1\nREL-2")),
    # dates
    ("planned start year 1", _set("releases.0.planned_start", "0001-01-01")),
    ("planned end year 9999", _set("releases.0.planned_end", "9999-12-31")),
    ("window start year 1 offset", _window(start="0001-01-01T00:30:00+05:00")),
    ("window end 9999 offset", _window(end="9999-12-31T23:30:00-05:00")),
    (
        "deploy window year 1",
        _set(
            "releases.0.deployment_window",
            {"start": "0001-01-01T00:00:00+01:00", "end": "0001-01-01T03:00:00+01:00"},
        ),
    ),
    ("run at year 1 offset", _in_first("test_runs", "run_at", "0001-01-01T00:10:00+01:00")),
    ("created at 9999 negative offset", _set("releases.0.created_at", "9999-12-31T23:59:59-01:00")),
    # recurrence
    ("rrule SECONDLY", _window(rrule="FREQ=SECONDLY")),
    ("rrule MINUTELY", _window(rrule="FREQ=MINUTELY;INTERVAL=1")),
    ("rrule HOURLY", _window(rrule="FREQ=HOURLY")),
    ("rrule INTERVAL=0", _window(rrule="FREQ=DAILY;INTERVAL=0")),
    ("rrule INTERVAL 2**64", _window(rrule=f"FREQ=DAILY;INTERVAL={BIG}")),
    ("rrule COUNT 2**64", _window(rrule=f"FREQ=WEEKLY;COUNT={BIG}")),
    ("rrule garbage", _window(rrule="FREQ=WEEKLY;BYDAY=XX")),
    ("rrule injection", _window(rrule="FREQ=WEEKLY\r\nEND:VEVENT\r\nBEGIN:VEVENT")),
    ("window to 9999 with rrule", _window(end="9999-12-31T00:00:00Z", rrule="FREQ=WEEKLY")),
    ("rrule until year 1", _window(rrule="FREQ=WEEKLY;UNTIL=00010101T000000Z")),
    ("timezone bogus", _window(timezone="../../etc/passwd")),
    # names of things the app knows
    ("unknown guard", _guard("no_such_guard")),
    ("unknown colour", _set("workflow.states.0.color", "#zzzzzz")),
    ("colour word", _set("workflow.states.0.color", "url(x)")),
    (
        "baseline snapshot junk",
        _set("baselines.0.snapshot", {"REL-X": {"tasks": {"T1": [BIG, "x"]}}}),
    ),
]


def raw_mutations(base: Doc) -> list[tuple[str, str]]:
    """Documents that only raw JSON text can carry."""
    text = json.dumps(base)
    deep = "[" * 5000 + "]" * 5000
    deep_obj = '{"a":' * 5000 + "1" + "}" * 5000

    def value(field: str, raw: str) -> str:
        return re.sub(rf'"{field}": [^,}}]+', f'"{field}": {raw}', text, count=1)

    return [
        (
            "5,000-deep list in a rule",
            text.replace('"conditions": [', f'"conditions": [{deep}, ', 1),
        ),
        (
            "5,000-deep object in template body",
            text.replace('"body": {', f'"body": {{"x": {deep_obj}, ', 1),
        ),
        ("5,000-deep top level", deep),
        (
            "100-deep object in a baseline",
            text.replace(
                '"snapshot": {', '"snapshot": {"x": ' + '{"a":' * 100 + "1" + "}" * 100 + ", ", 1
            ),
        ),
        ("5,000-digit number", value("duration_minutes", "9" * 5000)),
        ("5,000-digit float", value("effort_hours", "1" + "0" * 5000 + ".5")),
        ("NaN literal", value("effort_hours", "NaN")),
        ("Infinity literal", value("effort_hours", "Infinity")),
        ("-Infinity literal", value("lag_days", "-Infinity")),
        ("truncated document", text[: len(text) // 2]),
        ("lone surrogate escape", text.replace('"title": "', '"title": "\\udc00', 1)),
        ("not an object", "[]"),
        ("empty file", ""),
        ("byte order mark and junk", "\ufeff\x00\x01"),
    ]


def mutated(base: Doc, apply: Callable[[Doc], None]) -> Doc:
    doc = copy.deepcopy(base)
    apply(doc)
    return doc
