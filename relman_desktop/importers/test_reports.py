"""Test reports from any CI: JUnit/xUnit XML (Maven Surefire, pytest, Jest's jest-junit,
go-junit-report, PHPUnit, TestNG, Jenkins), NUnit 3 XML and xUnit.net v2 XML, read into
test-run evidence.

What a careful user of the producing tool would see is what counts:

- the test cases present in the file are counted, not the header attributes; when the root's
  ``tests``/``failures``/``errors``/``skipped`` disagree with the elements, the elements win and
  the run carries a note saying so;
- a case with ``<failure>`` is failed, with ``<error>`` errored (counted as failed too), with
  ``<skipped>`` skipped (pytest writes xfail as a skip), otherwise passed;
- Surefire's ``<flakyFailure>``/``<flakyError>`` alone mean the test passed on a rerun (passed,
  and noted as flaky); ``<rerunFailure>`` comes with a final ``<failure>``, so it fails;
- an ``<error>`` directly inside a ``<testsuite>`` (the suite could not run, e.g. its class
  failed to load) counts as one errored test named after the suite, as Jenkins shows it;
- suites nest to any depth; a file of several ``<testsuite>`` elements with no root is read as
  if they had one;
- terminal colours and other control characters XML 1.0 forbids (raw or as ``&#27;``), which
  ctest and go test output carry into reports, are dropped rather than failing the file;
- odd timestamps (``2021-03-07T10:36:56 UTC``, ``2024-01-03T 12:40:13``, no zone, a date only)
  are read; a time without a zone is taken as UTC.

Parsing uses lxml with entity expansion and network access off. Nothing here writes: the
importer builds an :class:`ImportPreview` and a list of :class:`TestReport` for the service
that records them (``services/evidence_import.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from relman_desktop.importers.preview import ImportPreview, PreviewRow
from relman_desktop.models.enums import TestKind
from relman_desktop.services import evidence_import
from relman_desktop.services.base import Ctx, ValidationError

__all__ = [
    "ReportError",
    "TestImport",
    "TestReport",
    "parse_report",
    "plan_test_import",
    "read_report",
]

EXPECTED = (
    "a JUnit/xUnit XML report (<testsuites> or <testsuite>), an NUnit 3 report (<test-run>) "
    "or an xUnit.net v2 report (<assemblies>)"
)
MESSAGE_LIMIT = 500


class ReportError(ValidationError):
    """A file that is not a test report this app reads: the message names the file."""


@dataclass
class FailedTest:
    """A failed or errored test: ``name`` as the report writes it, ``full_name`` as a person
    tells it apart (``classname.name``, or ``suite › name`` when the class is empty)."""

    full_name: str
    classname: str
    kind: str  # "failure" or "error"
    message: str
    name: str = ""
    suite: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or self.full_name

    def as_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "full_name": self.full_name,
            "classname": self.classname,
            "suite": self.suite,
            "kind": self.kind,
            "message": self.message,
        }


@dataclass
class TestReport:
    """One report file, read: its counts, the failed tests, where it came from and when it ran."""

    __test__ = False  # not a pytest class

    file: str  # the file's name (no folders), as the test run's source
    path: str
    sha256: str
    format: str  # "junit" or "nunit3"
    passed: int = 0
    failed: int = 0  # failures and errors
    errored: int = 0
    skipped: int = 0
    flaky: int = 0
    run_at: dt.datetime | None = None
    duration_seconds: float | None = None
    failures: list[FailedTest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped

    @property
    def note(self) -> str | None:
        return "; ".join(self.notes) or None

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "format": self.format,
            "tests": self.total,
            "passed": self.passed,
            "failed": self.failed,
            "errored": self.errored,
            "skipped": self.skipped,
            "run_at": self.run_at,
            "duration_seconds": self.duration_seconds,
            "failures": [f.as_json() for f in self.failures],
            "note": self.note,
        }


# --- reading a file ---------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    # No entity expansion, no DTD or network fetches: a report is data, never instructions.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )


_HTML = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.I | re.S
)
_ANSI = re.compile(rb"(?:\x1b|&#0*27;|&#[xX]0*1[bB];)\[[0-9;]*[A-Za-z]")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_REF = re.compile(
    rb"&#(?:0*(?:[0-8]|1[124-9]|2[0-9]|3[01])|[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]));"
)
_DECLARATION = re.compile(rb"^\s*(?:\xef\xbb\xbf)?<\?xml[^>]*\?>", re.S)


def _root(data: bytes, name: str) -> Any:
    if not data.strip():
        raise ReportError(f"{name}: the file is empty; expected {EXPECTED}")
    if _HTML.match(data):
        raise ReportError(
            f"{name}: an HTML page (a rendered test report?), not the XML the test tool writes; "
            f"expected {EXPECTED}"
        )
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        first = exc
    # Terminal colours (ESC, raw or as &#27;) and other control characters XML 1.0 forbids,
    # copied from a test's output by ctest, go-junit-report and the like: the report is
    # otherwise sound, so read it without them (never in UTF-16, where such bytes are text).
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" not in data[:4]:
        clean = _CONTROL_REF.sub(b"", _CONTROL.sub(b"", _ANSI.sub(b"", data)))
        if clean != data:
            try:
                return _root(clean, name)
            except ReportError:
                pass
    # Several <testsuite> elements one after the other, with no root (old Ant/Jenkins merges).
    if b"<testsuite" in data and "Extra content at the end of the document" in str(first):
        body = _DECLARATION.sub(b"", data, count=1)
        try:
            return etree.fromstring(b"<testsuites>" + body + b"</testsuites>", _parser())
        except etree.XMLSyntaxError:
            pass
    line = getattr(first, "lineno", None)
    where = f" at line {line}" if line else ""
    reason = str(first.msg if hasattr(first, "msg") else first).split(", line")[0]
    raise ReportError(
        f"{name}: not well-formed XML{where} ({reason}); expected {EXPECTED}"
    ) from None


def read_report(path: str | os.PathLike[str]) -> TestReport:
    """Read one report file; :class:`ReportError` (naming the file) if it cannot be used."""
    p = Path(path)
    if not p.exists():
        raise ReportError(f"{p}: no such file")
    if p.is_dir():
        raise ReportError(f"{p}: is a folder; give the report files themselves")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ReportError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    mtime = dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC).replace(microsecond=0)
    return parse_report(data, p.name, path=str(p), fallback_time=mtime)


def parse_report(
    data: bytes, name: str, *, path: str | None = None, fallback_time: dt.datetime | None = None
) -> TestReport:
    shown = path or name  # refusals name the file as the user gave it
    root = _root(data, shown)
    tag = _local(root.tag)
    report = TestReport(
        file=name, path=path or name, sha256=hashlib.sha256(data).hexdigest(), format="junit"
    )
    if tag in ("testsuites", "testsuite"):
        _read_junit(root, report)
    elif tag == "test-run":
        report.format = "nunit3"
        _read_nunit3(root, report)
    elif tag in ("assemblies", "assembly"):
        report.format = "xunit2"
        _read_xunit2(root, report)
    else:
        hint = {
            "test-results": " (this looks like NUnit 2, which is not read; NUnit 3 is)",
            "TestRun": " (this looks like a Visual Studio TRX file; ask for JUnit or NUnit 3 XML)",
        }.get(tag, "")
        raise ReportError(
            f"{shown}: <{tag}> is not a test report this app reads{hint}; expected {EXPECTED}"
        )
    if report.total == 0:
        report.notes.append("the report holds no test cases")
    if report.run_at is None:
        if fallback_time is None:
            raise ReportError(f"{shown}: the report does not say when it ran")
        report.run_at = fallback_time
        report.notes.append("no timestamp in the report: the file's modification time is used")
    return report


def _local(tag: Any) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1]


# --- JUnit / xUnit ------------------------------------------------------------------------------------


def _message(el: Any) -> str:
    text = el.get("message") or ""
    if not text.strip():
        for child in el:
            if _local(child.tag) == "message":
                text = child.text or ""
                break
    if not text.strip():
        text = el.text or ""
    text = text.strip()
    first = text.splitlines()[0].strip() if text else ""
    if not first and el.get("type"):
        first = str(el.get("type"))
    return first[:MESSAGE_LIMIT]


def _read_junit(root: Any, report: TestReport) -> None:
    times: list[dt.datetime] = []
    disagreements: list[str] = []
    _walk_suite(root, report, times, disagreements)
    if report.flaky:
        report.notes.append(
            f"{report.flaky} test{'s' if report.flaky != 1 else ''} passed on a rerun (flaky)"
        )
    if disagreements:
        shown = disagreements[:3]
        more = len(disagreements) - len(shown)
        report.notes.append(
            "; ".join(shown)
            + (f"; and {more} more suites" if more else "")
            + "; the test cases present are counted"
        )
    stamp = _timestamp(root.get("timestamp"))
    report.run_at = stamp or (min(times) if times else None)
    root_time = _seconds(root.get("time"))
    if root_time is not None:
        report.duration_seconds = root_time
    else:
        suites = (
            [s for s in root if _local(s.tag) == "testsuite"]
            if _local(root.tag) == "testsuites"
            else []
        )
        secs = [_seconds(s.get("time")) for s in suites]
        known = [s for s in secs if s is not None]
        report.duration_seconds = round(sum(known), 3) if known else None


def _tally(report: TestReport) -> dict[str, int]:
    return {
        "tests": report.total,
        "failures": report.failed - report.errored,
        "errors": report.errored,
        "skipped": report.skipped,
    }


def _walk_suite(
    suite: Any, report: TestReport, times: list[dt.datetime], disagreements: list[str]
) -> None:
    suite_name = (suite.get("name") or "").strip()
    before = _tally(report)
    stamp = _timestamp(suite.get("timestamp"))
    if stamp is not None:
        times.append(stamp)
    for el in suite:
        tag = _local(el.tag)
        if tag == "testcase":
            _read_case(el, report, times, suite_name)
        elif tag == "testsuite":
            _walk_suite(el, report, times, disagreements)
        elif tag == "error" and _local(suite.tag) == "testsuite":
            # The suite itself errored (its class failed to load): Jenkins shows one errored test.
            name = suite_name or "unnamed suite"
            report.failed += 1
            report.errored += 1
            report.failures.append(
                FailedTest(f"{name} (suite error)", name, "error", _message(el), suite=name)
            )
            report.notes.append(
                f"suite {name} reported an error outside any test case; counted as one errored test"
            )
    after = _tally(report)
    counted = {k: after[k] - before[k] for k in after}
    differ = _header_differs({k: suite.get(k) for k in counted}, counted)
    if differ:
        who = (
            "the report's header"
            if suite.getparent() is None
            else f"suite {suite_name or '(unnamed)'}"
        )
        disagreements.append(f"{who} says {differ}")


def _read_case(case: Any, report: TestReport, times: list[dt.datetime], suite_name: str) -> None:
    failure = error = skipped = None
    flaky = False
    for child in case:
        tag = _local(child.tag)
        if tag == "failure" and failure is None:
            failure = child
        elif tag == "error" and error is None:
            error = child
        elif tag == "skipped":
            skipped = child
        elif tag in ("flakyFailure", "flakyError"):
            flaky = True
    stamp = _timestamp(case.get("timestamp"))
    if stamp is not None:
        times.append(stamp)
    classname = (case.get("classname") or case.get("class") or "").strip()
    name = (case.get("name") or "").strip() or "unnamed test"
    if classname:
        # mocha-junit-reporter (Mocha, Cypress) writes the test's title as the class and its
        # full title as the name: "Login rejects bad password", not "rejects….Login rejects…"
        contained = name.startswith(classname + ".") or name.endswith(" " + classname)
        full = name if contained or name == classname else f"{classname}.{name}"
    elif suite_name and suite_name != name:
        # jest-junit leaves classname empty: the suite (the test file) tells the tests apart
        full = f"{suite_name} › {name}"
    else:  # Bazel names its one test case after the suite, the target
        full = name
    if failure is not None or error is not None:
        report.failed += 1
        kind = "failure" if failure is not None else "error"
        if kind == "error":
            report.errored += 1
        report.failures.append(
            FailedTest(
                full,
                classname,
                kind,
                _message(failure if failure is not None else error),
                name=name,
                suite=suite_name,
            )
        )
    elif skipped is not None:
        report.skipped += 1
    else:
        report.passed += 1
        if flaky:
            report.flaky += 1


def _header_differs(header: dict[str, str | None], counted: dict[str, int]) -> str:
    """The header counts that disagree with what was counted, in words ("" if none)."""
    differ = []
    for name, value in header.items():
        if value is None:
            continue
        try:
            said = int(float(value))
        except ValueError:
            continue
        if said != counted[name]:
            differ.append(f"{name}={said} (counted {counted[name]})")
    return ", ".join(differ)


# --- NUnit 3 ----------------------------------------------------------------------------------------------


def _read_nunit3(root: Any, report: TestReport) -> None:
    times: list[dt.datetime] = []
    for case in root.iter("test-case"):
        result = (case.get("result") or "").strip().lower()
        label = (case.get("label") or "").strip().lower()
        stamp = _timestamp(case.get("start-time"))
        if stamp is not None:
            times.append(stamp)
        classname = (case.get("classname") or "").strip()
        full = (case.get("fullname") or case.get("name") or "unnamed test").strip()
        own = (case.get("name") or "").strip()
        if result == "failed":
            kind = "error" if label in ("error", "cancelled", "invalid") else "failure"
            report.failed += 1
            if kind == "error":
                report.errored += 1
            failure = next((c for c in case if _local(c.tag) in ("failure", "reason")), None)
            message = _message(failure) if failure is not None else ""
            report.failures.append(
                FailedTest(full, classname, kind, message or (case.get("label") or ""), name=own)
            )
        elif result in ("skipped", "inconclusive"):
            report.skipped += 1
        else:  # Passed, Warning
            report.passed += 1
    header = {
        "tests": root.get("total"),
        "failed": root.get("failed"),
        "skipped": root.get("skipped"),
    }
    differ = _header_differs(
        header, {"tests": report.total, "failed": report.failed, "skipped": report.skipped}
    )
    if differ:
        report.notes.append(
            f"the report's header says {differ}; the test cases present are counted"
        )
    report.run_at = _timestamp(root.get("start-time")) or (min(times) if times else None)
    report.duration_seconds = _seconds(root.get("duration"))


# --- xUnit.net v2 ------------------------------------------------------------------------------------------


def _read_xunit2(root: Any, report: TestReport) -> None:
    """``dotnet test --logger xunit`` / the xUnit.net console's ``-xml``: assemblies of
    collections of ``<test result="Pass|Fail|Skip|NotRun">``."""
    assemblies = (
        [root]
        if _local(root.tag) == "assembly"
        else [a for a in root if _local(a.tag) == "assembly"]
    )
    said = {"tests": 0, "failed": 0, "skipped": 0}
    for assembly in assemblies:
        for name, attr in (("tests", "total"), ("failed", "failed"), ("skipped", "skipped")):
            value = assembly.get(attr)
            if value is not None and value.isdigit():
                said[name] += int(value)
        if report.run_at is None and assembly.get("run-date"):
            report.run_at = _timestamp(
                f"{assembly.get('run-date')}T{assembly.get('run-time') or '00:00:00'}"
            )
        for errors in (e for e in assembly if _local(e.tag) == "errors"):
            for err in errors:  # a class or collection that failed outside any test (a fixture)
                name = err.get("name") or err.get("type") or "assembly"
                failure = next((c for c in err if _local(c.tag) == "failure"), None)
                report.failed += 1
                report.errored += 1
                report.failures.append(
                    FailedTest(
                        f"{name} ({err.get('type') or 'error'})",
                        "",
                        "error",
                        _message(failure) if failure is not None else "",
                    )
                )
        for test in assembly.iter("test"):
            result = (test.get("result") or "").strip().lower()
            name = (test.get("name") or "unnamed test").strip()
            classname = (test.get("type") or "").strip()
            if result == "fail":
                report.failed += 1
                failure = next((c for c in test if _local(c.tag) == "failure"), None)
                report.failures.append(
                    FailedTest(
                        name, classname, "failure", _message(failure) if failure is not None else ""
                    )
                )
            elif result in ("skip", "notrun"):
                report.skipped += 1
            else:
                report.passed += 1
    secs = [_seconds(a.get("time")) for a in assemblies]
    known = [x for x in secs if x is not None]
    report.duration_seconds = round(sum(known), 3) if known else None
    if assemblies and any(a.get("total") is not None for a in assemblies):
        counted = {
            "tests": report.total,
            "failed": report.failed - report.errored,
            "skipped": report.skipped,
        }
        differ = _header_differs({k: str(v) for k, v in said.items()}, counted)
        if differ:
            report.notes.append(
                f"the report's header says {differ}; the test cases present are counted"
            )


# --- values -----------------------------------------------------------------------------------------------


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return round(float(value.replace(",", "")), 3)
    except ValueError:
        return None


_ZONE_WORD = re.compile(r"\s*(UTC|GMT|Z)$", re.I)


def _timestamp(value: str | None) -> dt.datetime | None:
    """A report timestamp as an aware UTC datetime; None when it cannot be read at all."""
    if not value or not value.strip():
        return None
    text = value.strip()
    text = re.sub(r"T\s+", "T", text)
    text = _ZONE_WORD.sub("+00:00", text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            from dateutil import parser as du

            moment = du.parse(value)
        except (ValueError, OverflowError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


# --- the preview ----------------------------------------------------------------------------------------


def preview_rows(reports: list[TestReport], known: dict[str, str], kind: str) -> ImportPreview:
    """What importing ``reports`` would do; ``known`` maps a sha256 already in the plan to where
    (e.g. ``"REL-2026-014 (unit test run of 2026-11-27)"``)."""
    preview = ImportPreview(source=", ".join(r.file for r in reports))
    seen: dict[str, str] = {}
    for r in reports:
        title = f"{kind}: {r.passed} passed, {r.failed} failed, {r.skipped} skipped"
        if r.sha256 in known:
            preview.rows.append(
                PreviewRow(
                    "skip",
                    "test_run",
                    r.file,
                    title,
                    f"already imported into {known[r.sha256]}",
                    r.file,
                )
            )
        elif r.sha256 in seen:
            preview.rows.append(
                PreviewRow(
                    "skip", "test_run", r.file, title, f"same content as {seen[r.sha256]}", r.file
                )
            )
        else:
            seen[r.sha256] = r.file
            preview.rows.append(
                PreviewRow("create", "test_run", r.file, title, r.note or "", r.file)
            )
            if r.note:
                preview.warnings.append(f"{r.file}: {r.note}")
    return preview


# --- the whole import: read, preview, apply ---------------------------------------------------------


@dataclass
class TestImport:
    """Reports read and checked against the plan; :meth:`apply` records the new ones."""

    __test__ = False  # not a pytest class

    release: str
    kind: str
    environment: str | None
    reports: list[TestReport]
    preview: ImportPreview
    receipt: dict[str, Any] = field(default_factory=evidence_import.new_receipt)

    def new_reports(self) -> list[TestReport]:
        # preview_rows makes one row per report, in order
        return [
            r
            for r, row in zip(self.reports, self.preview.rows, strict=True)
            if row.action == "create"
        ]

    def runs(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": self.kind,
                "environment": self.environment,
                "passed": r.passed,
                "failed": r.failed,
                "errored": r.errored,
                "skipped": r.skipped,
                "run_at": r.run_at,
                "source": r.file,
                "source_sha256": r.sha256,
                "failures": [f.as_json() for f in r.failures],
                "duration_seconds": r.duration_seconds,
                "note": r.note,
            }
            for r in self.new_reports()
        ]

    def apply(self, ctx: Ctx) -> list[int]:
        """Record every new report as one test run, in one transaction; returns their ids."""
        runs = self.runs()
        if not runs:
            return []
        with ctx.write() as tx:
            return evidence_import.add_test_runs(tx, self.release, runs, self.receipt)

    def as_json(self, ids: list[int] | None = None) -> dict[str, Any]:
        new_ids = iter(ids or [])
        data = self.preview.as_json()
        data["release"] = self.release
        data["test_runs"] = []
        for r, row in zip(self.reports, self.preview.rows, strict=True):
            run_id = next(new_ids, None) if row.action == "create" else None
            data["test_runs"].append(
                r.as_json()
                | {
                    "action": row.action,
                    "id": run_id,
                    "kind": self.kind,
                    "environment": self.environment,
                }
            )
        return data


def plan_test_import(
    ctx: Ctx, key: str, paths: list[str], kind: str = "unit", environment: str | None = None
) -> TestImport:
    """Read every report and compare with the plan, writing nothing. Every unreadable file is
    named (one problem each) in the :class:`ValidationError` raised."""
    if kind not in {k.value for k in TestKind}:
        raise ValidationError(
            f"--kind: {kind!r} is not one of {', '.join(k.value for k in TestKind)}"
        )
    reports, problems = [], []
    for path in paths:
        try:
            reports.append(read_report(path))
        except ReportError as exc:
            problems.append(str(exc))
    if problems:
        raise ValidationError(problems[0], problems=problems)
    evidence_import.release_exists(ctx, key)
    known = evidence_import.known_test_reports(ctx, [r.sha256 for r in reports])
    preview = preview_rows(reports, known, kind)
    return TestImport(key, kind, (environment or "").strip() or None, reports, preview)
