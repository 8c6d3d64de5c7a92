"""Incidents from an ITSM export or from monitoring (``relman import incidents``), linked to the
deployment that caused them, so that change failure rate and MTTR come from real detection and
restore times.

Sources:

- CSV (ServiceNow, Jira Service Management, PagerDuty, Opsgenie exports …): columns are found by
  their header names (``number``/``id``/``key``, ``short_description``/``title``/``summary``,
  ``opened_at``/``created``/``detected_at``, ``resolved_at``/``restored_at`` …); ``--map
  COLUMN=FIELD`` names the others. Times without a zone are read in ``--timezone`` (UTC).
- Alertmanager (``/api/v2/alerts``, or a webhook payload) and Prometheus (``/api/v1/alerts``)
  alert JSON: one incident per alert firing (fingerprint and start), restored when resolved.

Linking: an incident that names a release (a ``release`` column or label) is linked to that
release's latest deployment started before it was detected; otherwise to the latest deployment
(to the incident's environment, production by default; of the incident's service when it names
one: the release's application or a CI of its changes) that started within ``--window`` hours
before the detection. A linked deployment counts as failed; its failure-detected time is its
first incident's detection, its restore time the last incident's restore.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from relman_desktop.importers.preview import ImportPreview, PreviewRow
from relman_desktop.services import evidence_import
from relman_desktop.services.base import Ctx, ValidationError

__all__ = ["IncidentImport", "IncidentRecord", "plan_incident_import", "read_incidents"]

FIELDS = (
    "key",
    "title",
    "severity",
    "service",
    "environment",
    "detected_at",
    "restored_at",
    "release",
)
REQUIRED = ("key", "detected_at")
HEADER_NAMES = {
    "key": (
        "key",
        "id",
        "number",
        "incident",
        "incident id",
        "incident_id",
        "incident number",
        "issue key",
        "incident key",
        "ticket",
        "ticket id",
        "reference",
        "ref",
        "alias",
    ),
    "title": (
        "title",
        "summary",
        "short description",
        "short_description",
        "description",
        "name",
        "subject",
        "message",
    ),
    "severity": ("severity", "priority", "sev", "urgency", "impact"),
    "service": (
        "service",
        "service name",
        "business service",
        "cmdb_ci",
        "configuration item",
        "affected ci",
        "ci",
        "application",
        "app",
        "affected service",
        "component",
    ),
    "environment": ("environment", "env"),
    "detected_at": (
        "detected_at",
        "detected",
        "detected at",
        "opened_at",
        "opened",
        "opened at",
        "opened on",
        "created",
        "created_at",
        "created at",
        "created on",
        "createdat",
        "start",
        "start time",
        "started_at",
        "started",
        "begin",
        "began",
        "sys_created_on",
        "triggered",
        "triggered at",
        "alert time",
    ),
    "restored_at": (
        "restored_at",
        "restored",
        "restored at",
        "restore time",
        "resolved_at",
        "resolved",
        "resolved at",
        "resolved on",
        "service restored",
        "recovered at",
        "end",
        "end time",
        "ended_at",
        "ended",
        "closed_at",
        "closed",
        "closed on",
        "mitigated at",
        "fixed at",
    ),
    "release": ("release", "release key", "release_key", "caused by release", "caused_by_release"),
}
EXPECTED_JSON = "Alertmanager alerts (/api/v2/alerts or a webhook payload) or Prometheus alerts (/api/v1/alerts)"


class IncidentError(ValidationError):
    """A file or row that cannot be used: the message names the file (and row)."""


@dataclass
class IncidentRecord:
    key: str
    title: str
    detected_at: dt.datetime
    restored_at: dt.datetime | None = None
    severity: str | None = None
    service: str | None = None
    environment: str | None = None
    release: str | None = None
    where: str = ""  # "row 4", "alert 2"

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "severity": self.severity,
            "service": self.service,
            "environment": self.environment,
            "detected_at": self.detected_at,
            "restored_at": self.restored_at,
            "release": self.release,
        }


def _norm(header: str) -> str:
    return re.sub(r"[\s_]+", " ", header.strip().lower().lstrip("\ufeff"))


_DOTTED = re.compile(r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4}\b")
_SLASHED = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/\d{2,4}\b")


def day_first(values: list[str]) -> bool:
    """Whether a column's ``dd/mm/yyyy`` dates put the day first: yes when one of them could
    only be read that way (``13/05/2024``); month first (dateutil's, and US exports') otherwise."""
    for value in values:
        m = _SLASHED.match(value)
        if m and int(m.group(1)) > 12:
            return True
        if m and int(m.group(2)) > 12:
            return False
    return False


def _moment(text: str, zone: dt.tzinfo, dayfirst: bool = False) -> dt.datetime | None:
    value = text.strip()
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            from dateutil import parser as du

            # 01.05.2024 is 1 May wherever dots are written (de, fr, ru, ...)
            moment = du.parse(value, dayfirst=dayfirst or bool(_DOTTED.match(value)))
        except (ValueError, OverflowError):
            raise ValueError(value) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


# --- CSV --------------------------------------------------------------------------------------------------


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``--map "Opened On=detected_at"`` → {"opened on": "detected_at"}."""
    mapping = {}
    for pair in pairs:
        column, sep, name = pair.rpartition("=")
        if not sep or not column.strip():
            raise IncidentError(f"--map: {pair!r} is not COLUMN=FIELD")
        if name.strip() not in FIELDS:
            raise IncidentError(f"--map: {name.strip()!r} is not one of {', '.join(FIELDS)}")
        mapping[_norm(column)] = name.strip()
    return mapping


def _csv(text: str, name: str, mapping: dict[str, str], zone: dt.tzinfo) -> list[IncidentRecord]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise IncidentError(f"{name}: the file is empty") from None
    except csv.Error as exc:
        raise IncidentError(f"{name}: not a CSV file ({exc})") from None
    columns: dict[str, int] = {}
    for i, h in enumerate(header):
        wanted = mapping.get(_norm(h))
        if wanted:
            columns[wanted] = i
    normalised = [_norm(h) for h in header]
    for f, names in HEADER_NAMES.items():
        if f in columns:
            continue
        for alias in names:  # the likeliest name first: resolved_at wins over closed_at
            found = next(
                (
                    i
                    for i, h in enumerate(normalised)
                    if h == _norm(alias) and i not in columns.values()
                ),
                None,
            )
            if found is not None:
                columns[f] = found
                break
    missing = [f for f in REQUIRED if f not in columns]
    unmapped = [c for c in mapping if c not in {_norm(h) for h in header}]
    if unmapped:
        raise IncidentError(
            f"{name}: --map names column {unmapped[0]!r}, which the header does not have "
            f"(it has: {', '.join(h.strip() for h in header)})"
        )
    if missing:
        looked = ", ".join(HEADER_NAMES[missing[0]][:6])
        raise IncidentError(
            f"{name}: no column for {missing[0]} (looked for {looked} …); "
            f"name one with --map COLUMN={missing[0]}"
        )
    rows = list(reader)
    # one reading for the whole file: its dates come from one tool in one locale
    dayfirst = day_first(
        [
            r[i]
            for f, i in columns.items()
            if f in ("detected_at", "restored_at")
            for r in rows
            if i < len(r)
        ]
    )
    records, problems = [], []
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {f: (row[i].strip() if i < len(row) else "") for f, i in columns.items()}
        where = f"row {line}"
        if not cell["key"]:
            problems.append(f"{name} {where}: the {header[columns['key']].strip()} column is empty")
            continue
        times: dict[str, dt.datetime | None] = {}
        bad = False
        for f in ("detected_at", "restored_at"):
            if f not in cell:
                times[f] = None
                continue
            try:
                times[f] = _moment(cell[f], zone, dayfirst)
            except ValueError:
                problems.append(
                    f"{name} {where}: {header[columns[f]].strip()} {cell[f]!r} is not a date and time"
                )
                bad = True
        if bad:
            continue
        if times["detected_at"] is None:
            problems.append(f"{name} {where}: {header[columns['detected_at']].strip()} is empty")
            continue
        restored = times["restored_at"]
        if restored is not None and restored < times["detected_at"]:  # type: ignore[operator]
            problems.append(f"{name} {where}: restored ({restored:%Y-%m-%d %H:%M}) before detected")
            continue
        records.append(
            IncidentRecord(
                key=cell["key"],
                title=cell.get("title") or cell["key"],
                detected_at=times["detected_at"],  # type: ignore[arg-type]
                restored_at=restored,
                severity=cell.get("severity") or None,
                service=cell.get("service") or None,
                environment=cell.get("environment") or None,
                release=cell.get("release") or None,
                where=where,
            )
        )
    if problems:
        raise IncidentError(problems[0], problems=problems)
    return records


# --- Alertmanager / Prometheus -----------------------------------------------------------------------------


def _alerts(data: Any, name: str) -> list[IncidentRecord]:
    if isinstance(data, dict) and isinstance(data.get("alerts"), list):
        alerts = data["alerts"]  # Alertmanager webhook payload
    elif (
        isinstance(data, dict)
        and isinstance(data.get("data"), dict)
        and isinstance(data["data"].get("alerts"), list)
    ):
        alerts = data["data"]["alerts"]  # Prometheus /api/v1/alerts
    elif isinstance(data, list) and all(isinstance(a, dict) and "labels" in a for a in data):
        alerts = data  # Alertmanager /api/v2/alerts
    else:
        raise IncidentError(f"{name}: JSON of another shape; expected {EXPECTED_JSON}")
    records, problems = [], []
    for i, alert in enumerate(alerts):
        where = f"alert {i + 1}"
        if not isinstance(alert, dict) or not isinstance(alert.get("labels"), dict):
            problems.append(f"{name} {where}: no labels; expected {EXPECTED_JSON}")
            continue
        labels = {str(k): str(v) for k, v in alert["labels"].items()}
        annotations = alert.get("annotations")
        notes: dict[str, Any] = annotations if isinstance(annotations, dict) else {}
        start_text = alert.get("startsAt") or alert.get("activeAt")
        try:
            start = _moment(str(start_text or ""), dt.UTC)
        except ValueError:
            start = None
        if start is None:
            problems.append(f"{name} {where}: startsAt {start_text!r} is not a date and time")
            continue
        status = alert.get("status")
        state = (
            (status.get("state") if isinstance(status, dict) else status)
            or alert.get("state")
            or ""
        )
        restored = None
        if str(state).lower() == "resolved":
            try:
                restored = _moment(str(alert.get("endsAt") or ""), dt.UTC)
            except ValueError:
                restored = None
        fingerprint = (
            alert.get("fingerprint")
            or hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
        )
        alertname = labels.get("alertname", "alert")
        records.append(
            IncidentRecord(
                key=f"{alertname}:{fingerprint}@{start:%Y-%m-%dT%H:%M:%SZ}",
                title=str(notes.get("summary") or notes.get("description") or alertname),
                detected_at=start,
                restored_at=restored,
                severity=labels.get("severity"),
                service=labels.get("service") or labels.get("app") or labels.get("job"),
                environment=labels.get("env") or labels.get("environment"),
                release=labels.get("release"),
                where=where,
            )
        )
    if problems:
        raise IncidentError(problems[0], problems=problems)
    return records


def _decode(data: bytes, path: str) -> str:
    """The file's text as Excel and ITSM tools save it: UTF-8 (with or without a BOM), UTF-16
    with its BOM (Excel's "Unicode Text"), or Windows-1252 (Excel's "CSV" on Windows)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "cp1252"
    if b"\x00" in data and encoding != "utf-16":
        raise IncidentError(f"{path}: not a text file (CSV or JSON expected)")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise IncidentError(f"{path}: not a text file (CSV or JSON expected)") from None


def read_incidents(
    path: str, mapping: list[str] | None = None, timezone: str = "UTC"
) -> list[IncidentRecord]:
    try:
        zone: dt.tzinfo = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise IncidentError(
            f"--timezone: {timezone!r} is not a time zone name such as Europe/Berlin"
        ) from None
    p = Path(path)
    if not p.is_file():
        raise IncidentError(f"{path}: no such file")
    text = _decode(p.read_bytes(), path)
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IncidentError(
                f"{path}: not JSON (line {exc.lineno}: {exc.msg}); expected {EXPECTED_JSON}"
            ) from None
        if mapping:
            raise IncidentError("--map applies to CSV files; alert JSON has fixed fields")
        records = _alerts(data, path)
    else:
        records = _csv(text, path, parse_mapping(mapping or []), zone)
    keys: dict[str, str] = {}
    for r in records:
        if r.key in keys:
            raise IncidentError(
                f"{path} {r.where}: incident {r.key} appears again (first at {keys[r.key]})"
            )
        keys[r.key] = r.where
    return records


# --- linking to deployments -------------------------------------------------------------------------------


def match_deployment(
    incident: IncidentRecord, deployments: list[dict[str, Any]], window: dt.timedelta
) -> tuple[dict[str, Any] | None, str]:
    """The deployment that most likely caused ``incident``, and why (or why none)."""
    env = (incident.environment or "production").strip().lower()
    before = [
        d
        for d in deployments
        if d["started_at"] is not None and d["started_at"] <= incident.detected_at
    ]
    if incident.release:
        own = [d for d in before if d["release"] == incident.release]
        if not own:
            return (
                None,
                f"names release {incident.release}, which has no deployment before it was detected",
            )
        best = max(own, key=lambda d: d["started_at"])
        return best, f"named release {incident.release}"
    near = [
        d
        for d in before
        if (d["environment"] or "").lower() == env
        and incident.detected_at - (d["finished_at"] or d["started_at"]) <= window
    ]
    if incident.service:
        svc = incident.service.strip().lower()
        near = [d for d in near if svc == (d["application"] or "").lower() or svc in d["cis"]]
    if not near:
        what = f" of {incident.service}" if incident.service else ""
        return (
            None,
            f"no {env} deployment{what} in the {window.total_seconds() / 3600:g} h before it",
        )
    best = max(near, key=lambda d: d["started_at"])
    return (
        best,
        f"{best['release']} deployed to {best['environment']} {best['started_at']:%Y-%m-%d %H:%M} UTC",
    )


@dataclass
class IncidentImport:
    source: str
    records: list[IncidentRecord]
    preview: ImportPreview
    links: dict[str, int | None] = field(default_factory=dict)  # incident key -> deployment id
    writes: list[dict[str, Any]] = field(default_factory=list)
    receipt: dict[str, Any] = field(default_factory=evidence_import.new_receipt)

    def apply(self, ctx: Ctx) -> dict[str, Any]:
        if not self.writes:
            return {"created": [], "updated": [], "deployments": []}
        with ctx.write() as tx:
            return evidence_import.record_incidents(tx, self.writes, self.source, self.receipt)

    def as_json(self, result: dict[str, Any] | None = None) -> dict[str, Any]:
        data = self.preview.as_json()
        data["incidents"] = [
            r.as_json() | {"deployment_id": self.links.get(r.key)} for r in self.records
        ]
        if result is not None:
            data["result"] = result
        return data


def plan_incident_import(
    ctx: Ctx,
    path: str,
    *,
    mapping: list[str] | None = None,
    timezone: str = "UTC",
    release: str | None = None,
    window_hours: float = 24.0,
) -> IncidentImport:
    if window_hours <= 0:
        raise IncidentError(f"--window: {window_hours:g} hours; give a number above 0")
    records = read_incidents(path, mapping, timezone)
    if release:
        evidence_import.release_exists(ctx, release)
        for r in records:
            r.release = r.release or release
    deployments = evidence_import.deployments_for_linking(ctx)
    known_releases = {d["release"] for d in deployments} | evidence_import.release_keys(ctx)
    existing = evidence_import.existing_incidents(ctx, [r.key for r in records])
    job = IncidentImport(Path(path).name, records, ImportPreview(source=path))
    window = dt.timedelta(hours=window_hours)
    for r in records:
        if r.release and r.release not in known_releases:
            raise IncidentError(f"{path} {r.where}: release {r.release} is not in this plan")
        dep, why = match_deployment(r, deployments, window)
        dep_id = dep["id"] if dep else None
        job.links[r.key] = dep_id
        values = {
            "key": r.key,
            "title": r.title[:500],
            "severity": r.severity,
            "service": r.service,
            "environment": r.environment,
            "detected_at": r.detected_at,
            "restored_at": r.restored_at,
            "deployment_id": dep_id,
            "release": dep["release"] if dep else r.release,
        }
        linked = f"→ {dep['release']} deployment #{dep_id} ({why})" if dep else f"not linked: {why}"
        old = existing.get(r.key)
        if old is None:
            job.writes.append(values)
            job.preview.rows.append(
                PreviewRow("create", "incident", r.key, r.title, linked, r.where)
            )
            continue
        differ = sorted(
            k
            for k in (
                "title",
                "severity",
                "service",
                "environment",
                "detected_at",
                "restored_at",
                "deployment_id",
            )
            if old.get(k) != values[k]
        )
        if differ:
            job.writes.append(values)
            job.preview.rows.append(
                PreviewRow(
                    "update",
                    "incident",
                    r.key,
                    r.title,
                    f"{', '.join(differ)} changed; {linked}",
                    r.where,
                )
            )
        else:
            job.preview.rows.append(
                PreviewRow("skip", "incident", r.key, r.title, "already imported", r.where)
            )
    return job
