"""Reading a plan interchange document: the JSON Schema that ships with the app, the problems
it finds (each with its JSON path), reading a file, and parsing its values.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from relman_desktop.services import limits
from relman_desktop.services.base import ValidationError

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
