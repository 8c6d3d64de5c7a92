"""Changes from a tracker's export (.csv or .xlsx): Jira issue exports and ServiceNow
change_request exports are recognised by their headers; any other layout is read through
``--map COLUMN=field``. Every value that does not fit (an unknown risk word, a date in a layout
we do not read unambiguously, a CI the plan does not have) is listed with its row and column and
its row is skipped — never guessed. Changes are matched by key, so a re-import updates them.
See docs/interchange.md for each column's mapping.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from relman_desktop.importers.preview import ImportPreview, PreviewRow
from relman_desktop.models import enums as E
from relman_desktop.models.entities import Change, ConfigurationItem, Release
from relman_desktop.services.base import Ctx, ValidationError, operation

# the change fields a column can fill
FIELDS = (
    "key",
    "title",
    "description",
    "type",
    "category",
    "approval",
    "risk",
    "created_at",
    "cis",
    "release",
    "external_ref",
    "ignore",
)

JIRA = {
    "issue key": "key",
    "summary": "title",
    "issue type": "category",
    "status": "approval",
    "priority": "risk",
    "fix version/s": "release",
    "fix versions": "release",
    "component/s": "cis",
    "components": "cis",
    "created": "created_at",
    "description": "description",
    "issue id": "external_ref",
}
SERVICENOW = {
    "number": "key",
    "short_description": "title",
    "type": "type",
    "risk": "risk",
    "state": "approval",
    "cmdb_ci": "cis",
    "description": "description",
    "category": "category",
    "opened_at": "created_at",
    "sys_created_on": "created_at",
    "sys_id": "external_ref",
    "start_date": "ignore",
    "end_date": "ignore",
}

RISK_WORDS = {
    "lowest": "low",
    "trivial": "low",
    "minor": "low",
    "low": "low",
    "4 - low": "low",
    "medium": "medium",
    "moderate": "medium",
    "normal": "medium",
    "3 - moderate": "medium",
    "major": "high",
    "high": "high",
    "2 - high": "high",
    "highest": "critical",
    "critical": "critical",
    "blocker": "critical",
    "very high": "critical",
    "1 - very high": "critical",
    "1 - critical": "critical",
}
APPROVAL_WORDS = {
    # Jira statuses
    "to do": "pending",
    "open": "pending",
    "backlog": "pending",
    "in progress": "pending",
    "selected for development": "pending",
    "in review": "pending",
    "reopened": "pending",
    "done": "approved",
    "closed": "approved",
    "resolved": "approved",
    "approved": "approved",
    "won't do": "rejected",
    "won't fix": "rejected",
    "rejected": "rejected",
    "declined": "rejected",
    # ServiceNow change states (words and their numbers)
    "new": "pending",
    "-5": "pending",
    "assess": "pending",
    "-4": "pending",
    "authorize": "pending",
    "-3": "pending",
    "scheduled": "approved",
    "-2": "approved",
    "implement": "approved",
    "-1": "approved",
    "review": "approved",
    "0": "approved",
    "canceled": "rejected",
    "cancelled": "rejected",
    "4": "rejected",
    "pending": "pending",
}
TYPE_WORDS = {
    "standard": "standard",
    "normal": "normal",
    "comprehensive": "normal",
    "emergency": "emergency",
    "expedited": "emergency",
}
CATEGORY_WORDS = {
    "bug": "fix",
    "defect": "fix",
    "fix": "fix",
    "hotfix": "fix",
    "incident": "fix",
    "problem": "fix",
    "story": "feature",
    "feature": "feature",
    "new feature": "feature",
    "improvement": "feature",
    "epic": "feature",
    "task": "feature",
    "sub-task": "feature",
    "subtask": "feature",
    "software": "feature",
    "security": "security",
    "vulnerability": "security",
    "configuration": "configuration",
    "config": "configuration",
    "hardware": "infrastructure",
    "network": "infrastructure",
    "infrastructure": "infrastructure",
    "telecom": "infrastructure",
    "documentation": "documentation",
    "other": "feature",
}
DATE_LAYOUTS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d/%b/%y %I:%M %p",
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%d-%b-%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)


@dataclass
class Table:
    source: str
    layout: str  # "Jira", "ServiceNow" or "mapped"
    columns: dict[int, tuple[str, str]]  # column index → (header, field)
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row number, cells)
    dropped: list[str] = field(default_factory=list)  # headers read by no field
    headers: list[str] = field(default_factory=list)  # every header, in the file's order


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, name = pair.partition("=")
        if not sep or not column.strip() or not name.strip():
            raise ValidationError(f"--map {pair!r}: write it as COLUMN=field")
        if name.strip() not in FIELDS:
            raise ValidationError(
                f"--map {pair!r}: {name.strip()!r} is not one of {', '.join(FIELDS)}"
            )
        mapping[column.strip().lower()] = name.strip()
    return mapping


def _cells(path: Path) -> list[list[Any]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import zipfile

        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ValidationError(f"{path.name} is not a readable .xlsx workbook: {exc}") from None
        try:
            sheet = book.worksheets[0]
            return [list(row) for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    raw = path.read_bytes()
    if b"\0" in raw[:4096]:
        raise ValidationError(
            f"{path.name} is not a text CSV file (save the sheet as .csv or .xlsx)"
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text, newline=""), dialect)]


def read_table(
    path: str | Path, mapping: dict[str, str] | None = None, *, require_key: bool = True
) -> Table:
    """The file's rows with each column assigned a change field; refuses a file without a key
    column (unless ``require_key`` is false: the app's mapping step picks one)."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ValidationError(f"{path}: no such file")
    if file.suffix.lower() not in (".csv", ".txt", ".tsv", ".xlsx", ".xlsm"):
        raise ValidationError(
            f"{file.name}: read .csv or .xlsx files (save the sheet in one of those)"
        )
    rows = _cells(file)
    first = next((i for i, r in enumerate(rows) if any(str(c or "").strip() for c in r)), None)
    if first is None:
        raise ValidationError(f"{file.name} is empty")
    headers = [str(c or "").strip() for c in rows[first]]
    lowered = [h.lower() for h in headers]
    mapping = mapping or {}
    jira_hits = sum(h in JIRA for h in lowered)
    snow_hits = sum(h in SERVICENOW for h in lowered)
    if "issue key" in lowered and jira_hits >= snow_hits:
        layout, known = "Jira", JIRA
    elif "number" in lowered and "short_description" in lowered:
        layout, known = "ServiceNow", SERVICENOW
    else:
        layout, known = "mapped", {"key": "key", "title": "title"}
    columns: dict[int, tuple[str, str]] = {}
    dropped = []
    for i, (header, low) in enumerate(zip(headers, lowered, strict=True)):
        name = mapping.get(low) or known.get(low)
        if layout == "mapped" and name is None and low in FIELDS:
            name = low
        if name and name != "ignore":
            columns[i] = (header, name)
        elif header:
            dropped.append(header)
    unknown_maps = [c for c in mapping if c not in lowered]
    if unknown_maps:
        raise ValidationError(
            f"{file.name} has no column {unknown_maps[0]!r} (its columns: "
            f"{', '.join(h for h in headers if h)})"
        )
    if require_key and "key" not in {f for _, f in columns.values()}:
        raise ValidationError(
            f"{file.name} has no key column: none of its columns ({', '.join(h for h in headers if h)}) "
            f"is a change key (Jira 'Issue key', ServiceNow 'number'); name one with --map COLUMN=key"
        )
    data = [
        (first + n + 2, r)
        for n, r in enumerate(rows[first + 1 :])
        if any(str(c or "").strip() for c in r)
    ]
    return Table(file.name, layout, columns, data, dropped, headers)


def table_headers(path: str | Path) -> list[str]:
    """The header row of a sheet (for the app's mapping step)."""
    return read_table(path, require_key=False).headers


def last_mapping(ctx: Ctx) -> dict[str, str]:
    """The column mapping last used in this plan's change imports (lower-case column → field)."""
    import json

    from relman_desktop.models.entities import PlanMeta

    with ctx.read() as s:
        meta = s.get(PlanMeta, "import.changes.mapping")
        try:
            value = json.loads(meta.value) if meta is not None else {}
        except ValueError:
            return {}
    return (
        {str(k): str(v) for k, v in value.items() if v in FIELDS} if isinstance(value, dict) else {}
    )


@operation
def remember_mapping(ctx: Ctx, mapping: dict[str, str]) -> None:
    """Keep ``mapping`` for the next change import into this plan (a preference, not audited)."""
    import json

    from relman_desktop.models.entities import PlanMeta

    with ctx.write() as tx:
        meta = tx.session.get(PlanMeta, "import.changes.mapping")
        text = json.dumps(mapping, sort_keys=True)
        if meta is None:
            tx.session.add(PlanMeta(key="import.changes.mapping", value=text))
        else:
            meta.value = text


def _date(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), dt.UTC)
    text = str(value).strip()
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
        for layout in DATE_LAYOUTS:
            try:
                moment = dt.datetime.strptime(text, layout)
                break
            except ValueError:
                continue
        if moment is None:
            raise ValueError(
                f"{text!r} is not a date layout read without guessing "
                f"(YYYY-MM-DD HH:MM, or Jira's 12/Mar/24 10:15 AM)"
            ) from None
    assert moment is not None  # each layout above either parsed or raised
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _word(table: dict[str, str], value: Any, what: str) -> str:
    text = str(value).strip().lower()
    if text in table:
        return table[text]
    raise ValueError(
        f"{str(value).strip()!r} is not a {what} word this import knows "
        f"(map the column to another field or fix the value)"
    )


@dataclass
class ChangePlan:
    preview: ImportPreview
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    bundles: list[tuple[str, str]] = field(default_factory=list)  # (change key, release key)
    applied: dict[str, Any] | None = None  # what apply_changes did: what undo_changes reverses


def preview_changes(ctx: Ctx, table: Table, *, release_key: str | None = None) -> ChangePlan:
    preview = ImportPreview(table.source)
    plan = ChangePlan(preview)
    if table.dropped:
        preview.warnings.append(
            f"{table.layout} layout; columns not read: {', '.join(table.dropped)}"
        )
    with ctx.read() as s:
        cis = set(s.execute(select(ConfigurationItem.name)).scalars())
        releases: dict[str, str] = {}
        for key, version, title in s.execute(select(Release.key, Release.version, Release.title)):
            for name in (key, version, title):
                if name:
                    releases.setdefault(name.strip().lower(), key)
        if release_key is not None and release_key.lower() not in releases:
            raise ValidationError(f"no release {release_key!r} in this plan")
        existing = {
            c.key: c
            for c in s.execute(
                select(Change).options(selectinload(Change.cis), selectinload(Change.release))
            ).scalars()
        }
        seen: dict[str, int] = {}
        for number, cells in table.rows:
            values: dict[str, Any] = {}
            problems: list[str] = []
            for index, (header, name) in table.columns.items():
                raw = cells[index] if index < len(cells) else None
                if raw is None or str(raw).strip() == "":
                    continue
                try:
                    value = _convert(name, raw, cis, releases)
                except ValueError as exc:
                    problems.append(f"row {number}, column {header!r}: {exc}")
                    continue
                if name in ("cis",) and name in values:
                    values[name] = list(dict.fromkeys([*values[name], *value]))
                elif name not in values:
                    values[name] = value
            key = str(values.get("key") or "").strip()
            if problems:
                preview.rows.append(
                    PreviewRow(
                        "skip",
                        "change",
                        key or f"row {number}",
                        "",
                        "; ".join(problems),
                        f"row {number}",
                    )
                )
                continue
            if not key:
                preview.rows.append(
                    PreviewRow(
                        "skip",
                        "change",
                        f"row {number}",
                        "",
                        "the key cell is empty",
                        f"row {number}",
                    )
                )
                continue
            if key in seen:
                preview.rows.append(
                    PreviewRow(
                        "skip",
                        "change",
                        key,
                        "",
                        f"the same key is on row {seen[key]}",
                        f"row {number}",
                    )
                )
                continue
            seen[key] = number
            release = values.pop("release", None)
            if release_key is not None:
                release = releases[release_key.lower()]
            current = existing.get(key)
            if current is None:
                if not values.get("title"):
                    preview.rows.append(
                        PreviewRow("skip", "change", key, "", "no title (summary)", f"row {number}")
                    )
                    continue
                values.setdefault("type", E.ChangeType.NORMAL)
                values.setdefault("category", E.ChangeCategory.FEATURE)
                values.setdefault("approval", E.ChangeApproval.PENDING)
                plan.creates.append(values)
                preview.rows.append(
                    PreviewRow("create", "change", key, values["title"], "", f"row {number}")
                )
                approval = values["approval"]
                in_release = None
            else:
                now: dict[str, Any] = {
                    "title": current.title,
                    "description": current.description,
                    "type": current.type,
                    "category": current.category,
                    "approval": current.approval,
                    "risk": current.risk,
                    "created_at": current.created_at,
                    "external_ref": current.external_ref,
                    "cis": [c.name for c in current.cis],
                }
                differs = {
                    n: v
                    for n, v in values.items()
                    if n != "key"
                    and (sorted(now["cis"]) != sorted(v or []) if n == "cis" else now.get(n) != v)
                }
                if differs:
                    plan.updates.append((key, differs))
                    preview.rows.append(
                        PreviewRow(
                            "update",
                            "change",
                            key,
                            current.title,
                            f"{', '.join(differs)} differ",
                            f"row {number}",
                        )
                    )
                else:
                    preview.rows.append(
                        PreviewRow(
                            "skip",
                            "change",
                            key,
                            current.title,
                            "already the same",
                            f"row {number}",
                        )
                    )
                approval = values.get("approval", current.approval)
                in_release = current.release.key if current.release else None
            if release and release != in_release:
                if in_release:
                    preview.warnings.append(
                        f"{key} stays in {in_release} (the file names {release})"
                    )
                elif approval != E.ChangeApproval.APPROVED:
                    preview.warnings.append(
                        f"{key} is not bundled into {release}: it is {approval}, "
                        f"and only approved changes can be bundled"
                    )
                else:
                    plan.bundles.append((key, release))
                    preview.rows.append(
                        PreviewRow(
                            "update",
                            "release",
                            release,
                            key,
                            f"{key} added to its scope",
                            f"row {number}",
                        )
                    )
    return plan


def _convert(name: str, raw: Any, cis: set[str], releases: dict[str, str]) -> Any:
    if name == "risk":
        return E.Level(_word(RISK_WORDS, raw, "risk"))
    if name == "approval":
        return E.ChangeApproval(_word(APPROVAL_WORDS, raw, "status"))
    if name == "type":
        return E.ChangeType(_word(TYPE_WORDS, raw, "change type"))
    if name == "category":
        return E.ChangeCategory(_word(CATEGORY_WORDS, raw, "category"))
    if name == "created_at":
        return _date(raw)
    if name == "cis":
        names = [n.strip() for n in re.split(r"[;,\n]", str(raw)) if n.strip()]
        missing = [n for n in names if n not in cis]
        if missing:
            raise ValueError(f"no configuration item {missing[0]!r} in the plan")
        return names
    if name == "release":
        text = str(raw).strip()
        found = releases.get(text.lower())
        if found is None:
            raise ValueError(f"no release with the key, version or title {text!r}")
        return found
    text = str(raw).strip()
    return text[:300] if name in ("title", "key") else text


@operation
def apply_changes(ctx: Ctx, plan: ChangePlan) -> ImportPreview:
    """Create, update and bundle in one transaction, each step audited."""
    from relman_desktop.services import changes as change_service

    applied: dict[str, Any] = {"created": [], "updated": [], "bundled": []}
    with ctx.write() as tx:
        s = tx.session
        for values in plan.creates:
            change = Change(caused_incident=False)
            change_service._apply(s, change, {n: v for n, v in values.items()})
            s.add(change)
            s.flush()
            tx.audit("change", change.key, "create", None, change_service._row(change).as_dict())
            applied["created"].append(change.key)
        for key, values in plan.updates:
            change = change_service._change(s, key)
            before = change_service._row(change).as_dict()
            change_service._apply(s, change, values)
            s.flush()
            after = change_service._row(change).as_dict()
            tx.audit(
                "change",
                key,
                "update",
                {n: before.get(n) for n in values},
                {n: after.get(n) for n in values},
                release_key=after.get("release"),
            )
            applied["updated"].append((key, {n: before.get(n) for n in values}))
        for key, release_key in plan.bundles:
            change = change_service._change(s, key)
            release = s.execute(select(Release).where(Release.key == release_key)).scalar_one()
            change.release = release
            s.flush()
            tx.audit(
                "change",
                key,
                "bundle",
                {"release": None},
                {"release": release_key},
                release_key=release_key,
            )
            change_service._reset_approvals(tx, release, f"{key} was added to the scope")
            applied["bundled"].append(key)
    plan.applied = applied
    return plan.preview


@operation
def undo_changes(ctx: Ctx, applied: dict[str, Any]) -> None:
    """Put the changes back as they were before ``apply_changes``, in one audited transaction."""
    from relman_desktop.services import changes as change_service

    with ctx.write() as tx:
        s = tx.session
        for key in applied["bundled"]:
            change = change_service._change(s, key)
            release = change.release
            change.release = None
            s.flush()
            if release is not None:
                tx.audit(
                    "change",
                    key,
                    "unbundle",
                    {"release": release.key},
                    {"release": None},
                    release_key=release.key,
                )
                change_service._reset_approvals(tx, release, f"{key} was removed from the scope")
        for key, before in applied["updated"]:
            change = change_service._change(s, key)
            change_service._apply(
                s, change, {n: change_service._coerce(n, v) for n, v in before.items()}
            )
            tx.audit("change", key, "update", None, before)
        for key in applied["created"]:
            change = change_service._change(s, key)
            tx.audit("change", key, "delete", change_service._row(change).as_dict(), None)
            s.delete(change)
