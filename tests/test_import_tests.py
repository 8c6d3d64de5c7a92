"""`relman import tests`: every real report in ../shared/corpus/junit, counted as a user of the
producing tool would count it; re-imports change nothing; bad files are refused by name."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from relman_desktop.cli import main
from relman_desktop.importers.test_reports import parse_report, read_report
from relman_desktop.models.entities import AuditEvent, TestRun
from relman_desktop.services import evidence, releases
from relman_desktop.services.base import Ctx

# Checks of the file's content, refused before any write: the plan file is enough (conftest.py)
FILE_ONLY_TESTS = {
    "test_a_file_that_is_no_report_is_refused_by_name_and_nothing_is_written",
    "test_an_html_report_is_refused_as_a_page_not_as_broken_xml",
}

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "junit"
if not CORPUS.is_dir():  # the worktree may sit elsewhere; the corpus lives in /work/shared
    CORPUS = Path("/work/shared/corpus/junit")

# Counted by hand from each file (grep for <testcase, <failure, <error, <skipped and reading
# the odd ones), not by the importer: (tests, passed, failed incl. errors, errored, skipped,
# names of the failed tests).
EXPECTED = {
    "go-junit-report_001.xml": (5, 2, 1, 0, 2, ["package/fail.TestOne"]),
    # two test cases, plus an <error> straight inside suite test.3rdlevel (Jenkins: one error)
    "jenkins_nested-testsuites.xml": (3, 2, 1, 1, 0, ["test.3rdlevel (suite error)"]),
    "jenkins_various-timestamps.xml": (12, 12, 0, 0, 0, []),
    "jest-junit_jest-repo.xml": (
        4239,
        4207,
        2,
        0,
        30,
        [
            "e2e/__tests__/jestChangedFiles.test.ts › gets changed files for hg",
            "e2e/__tests__/onlyChanged.test.ts › gets changed files for hg",
        ],
    ),
    "legacy-2009_no-root_errors.xml": (
        8,
        5,
        3,
        3,
        0,
        [
            "org.twia.vendor.VendorManagerTest.testGetVendorFirmKeyForVendorRep",
            "org.twia.vendor.VendorManagerTest.testGetRevokedClaimsForAdjustingFirm",
            "org.twia.vendor.VendorManagerTest.testCreateAdjustingFirm",
        ],
    ),
    "nunit3_dotnet-nunit.xml": (
        9,
        3,
        5,
        2,
        1,
        [
            "DotnetTests.XUnitTests.CalculatorTests.Exception_In_TargetTest",
            "DotnetTests.XUnitTests.CalculatorTests.Exception_In_Test",
            "DotnetTests.XUnitTests.CalculatorTests.Failing_Test",
            "DotnetTests.XUnitTests.CalculatorTests.Is_Even_Number(3)",
            "DotnetTests.XUnitTests.CalculatorTests.Timeout_Test",
        ],
    ),
    "phpunit_phpcheckstyle.xml": (
        30,
        28,
        2,
        0,
        0,
        ["OtherTest.testOther", "OtherTest.testException"],
    ),
    # the header says tests=15; ten <testcase>; xfail is written as <skipped>
    "pytest_junitxml.xml": (
        10,
        6,
        2,
        0,
        2,
        ["tests.test_lib.test_always_fail", "tests.test_lib.test_error"],
    ),
    # one test case whose two flakyFailure reruns ended in a pass
    "surefire_TEST-io.olamy.FlakyTest.xml": (1, 1, 0, 0, 0, []),
    "testng_TEST-org.apache.pulsar.AddMissingPatchVersionTest.xml": (
        2,
        0,
        1,
        0,
        1,
        ["org.apache.pulsar.AddMissingPatchVersionTest.testVersionStrings"],
    ),
}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def plan_file(ctx: Ctx) -> str:
    """The plan the importer writes into: a file, or a server URL (both engines)."""
    releases.create_release(ctx, {"key": "REL-1", "title": "Billing 2.4", "type": "minor"})
    ctx.plan.close()
    return ctx.plan.location


def state(plan_path: Path) -> tuple[int, int]:
    """(test runs, audit events) in the plan: what 'nothing was written' is checked against."""
    from relman_desktop.models.database import open_database

    plan = open_database(plan_path)
    try:
        with plan.read() as s:
            return (
                s.execute(select(func.count(TestRun.id))).scalar_one(),
                s.execute(select(func.count(AuditEvent.id))).scalar_one(),
            )
    finally:
        plan.close()


def test_the_table_covers_every_file_in_the_corpus() -> None:
    assert sorted(p.name for p in CORPUS.glob("*.xml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_come_from_the_test_cases_present(name: str) -> None:
    tests, passed, failed, errored, skipped, failed_names = EXPECTED[name]
    report = read_report(CORPUS / name)
    assert (report.total, report.passed, report.failed, report.errored, report.skipped) == (
        tests,
        passed,
        failed,
        errored,
        skipped,
    )
    assert [f.full_name for f in report.failures] == failed_names
    assert len(report.sha256) == 64


def test_a_header_that_disagrees_with_the_elements_is_noted() -> None:
    assert "tests=15 (counted 10)" in (read_report(CORPUS / "pytest_junitxml.xml").note or "")
    surefire = read_report(CORPUS / "surefire_TEST-io.olamy.FlakyTest.xml").note or ""
    assert "1 test passed on a rerun (flaky)" in surefire and "failures=2 (counted 0)" in surefire
    assert read_report(CORPUS / "jest-junit_jest-repo.xml").note is None  # header agrees


def test_jest_failures_keep_their_own_name_and_the_suite() -> None:
    jest = read_report(CORPUS / "jest-junit_jest-repo.xml").failures
    assert [(f.name, f.suite) for f in jest] == [
        ("gets changed files for hg", "e2e/__tests__/jestChangedFiles.test.ts"),
        ("gets changed files for hg", "e2e/__tests__/onlyChanged.test.ts"),
    ]


def test_failure_messages_are_kept() -> None:
    testng = read_report(CORPUS / "testng_TEST-org.apache.pulsar.AddMissingPatchVersionTest.xml")
    assert testng.failures[0].message == "expected [1.2.1] but found [1.2.0]"
    nunit = {f.name: f for f in read_report(CORPUS / "nunit3_dotnet-nunit.xml").failures}
    assert nunit["Exception_In_Test"].kind == "error"
    assert nunit["Exception_In_Test"].message == "System.Exception : Test"
    assert nunit["Timeout_Test"].message == "Test exceeded Timeout value 1ms."


def test_odd_timestamps_are_read_as_utc() -> None:
    testng = read_report(CORPUS / "testng_TEST-org.apache.pulsar.AddMissingPatchVersionTest.xml")
    assert testng.run_at is not None and testng.run_at.isoformat() == "2021-03-07T10:36:56+00:00"
    pytest_run = read_report(CORPUS / "pytest_junitxml.xml")  # -05:00 in the file
    assert pytest_run.run_at is not None and pytest_run.run_at.strftime("%H:%M:%S") == "16:51:49"


def test_suites_without_a_root_element_are_read(tmp_path: Path) -> None:
    f = tmp_path / "merged.xml"
    f.write_text(
        '<?xml version="1.0"?>\n'
        '<testsuite name="a" timestamp="2026-01-02T03:04:05"><testcase name="t1"/></testsuite>\n'
        '<testsuite name="b"><testcase name="t2"><failure message="boom"/></testcase></testsuite>\n'
    )
    report = read_report(f)
    assert (report.passed, report.failed) == (1, 1)
    assert report.failures[0].message == "boom"


def test_import_records_each_report_with_its_evidence(plan_file: Path, ctx: Ctx) -> None:
    code, out, err = run(
        "--plan",
        str(plan_file),
        "import",
        "tests",
        str(CORPUS / "pytest_junitxml.xml"),
        str(CORPUS / "go-junit-report_001.xml"),
        "--release",
        "REL-1",
        "--kind",
        "regression",
        "--env",
        "staging",
    )
    assert code == 0, err
    assert "recorded 2 test runs for REL-1" in out
    from relman_desktop.models.database import open_database

    plan = open_database(plan_file)
    try:
        runs = {r["source"]: r for r in evidence.list_test_runs(Ctx(plan), "REL-1")}
        with plan.read() as s:
            stored = s.execute(
                select(TestRun).where(TestRun.source == "pytest_junitxml.xml")
            ).scalar_one()
            assert [f["full_name"] for f in stored.failures] == EXPECTED["pytest_junitxml.xml"][5]
            assert [(f["name"], f["classname"]) for f in stored.failures] == [
                ("test_always_fail", "tests.test_lib"),
                ("test_error", "tests.test_lib"),
            ]
            assert stored.source_sha256 == read_report(CORPUS / "pytest_junitxml.xml").sha256
            assert "tests=15" in (stored.note or "")
    finally:
        plan.close()
    assert runs["pytest_junitxml.xml"]["kind"] == "regression"
    assert runs["pytest_junitxml.xml"]["environment"] == "staging"
    assert (
        runs["go-junit-report_001.xml"]["passed"],
        runs["go-junit-report_001.xml"]["failed"],
    ) == (2, 1)
    assert runs["go-junit-report_001.xml"]["verdict"] == "failed"


def test_reimporting_the_same_file_changes_nothing(plan_file: Path) -> None:
    args = (
        "--plan",
        str(plan_file),
        "import",
        "tests",
        str(CORPUS / "phpunit_phpcheckstyle.xml"),
        "--release",
        "REL-1",
    )
    assert run(*args)[0] == 0
    before = state(plan_file)
    code, out, _ = run(*args)
    assert code == 0
    assert "already imported into REL-1" in out and "recorded 0 test runs" in out
    assert state(plan_file) == before


def test_dry_run_writes_nothing_and_json_lists_the_runs(plan_file: Path) -> None:
    before = state(plan_file)
    code, out, err = run(
        "--plan",
        str(plan_file),
        "import",
        "tests",
        str(CORPUS / "nunit3_dotnet-nunit.xml"),
        "--release",
        "REL-1",
        "--dry-run",
        "--json",
    )
    assert code == 0, err
    assert state(plan_file) == before
    data = json.loads(out)
    assert data["dry_run"] is True and data["counts"] == {"create": 1, "update": 0, "skip": 0}
    run0 = data["test_runs"][0]
    assert (run0["format"], run0["passed"], run0["failed"], run0["skipped"], run0["id"]) == (
        "nunit3",
        3,
        5,
        1,
        None,
    )
    assert run0["run_at"] == "2021-06-28T20:23:41Z"


def test_the_same_content_twice_in_one_import_is_recorded_once(
    plan_file: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.xml"
    copy.write_bytes((CORPUS / "go-junit-report_001.xml").read_bytes())
    code, out, _ = run(
        "--plan",
        str(plan_file),
        "import",
        "tests",
        str(CORPUS / "go-junit-report_001.xml"),
        str(copy),
        "--release",
        "REL-1",
    )
    assert code == 0 and "same content as go-junit-report_001.xml" in out
    assert state(plan_file)[0] == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('<?xml version="1.0"?><testsuite name="x"><testcase name="a">', "not well-formed XML"),
        ("name,passed\nx,1\n", "not well-formed XML"),
        ("", "the file is empty"),
        (
            '<?xml version="1.0"?><Project xmlns="http://schemas.microsoft.com/project"/>',
            "<Project> is not a test report this app reads",
        ),
        ('<test-results total="1"/>', "looks like NUnit 2"),
    ],
    ids=["truncated", "csv", "empty", "ms-project", "nunit2"],
)
def test_a_file_that_is_no_report_is_refused_by_name_and_nothing_is_written(
    plan_file: Path, tmp_path: Path, content: str, expected: str
) -> None:
    bad = tmp_path / "report.xml"
    bad.write_text(content)
    before = state(plan_file)
    code, out, err = run(
        "--plan",
        str(plan_file),
        "import",
        "tests",
        str(CORPUS / "pytest_junitxml.xml"),
        str(bad),
        "--release",
        "REL-1",
    )
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"relman: {bad}: ") and expected in err
    assert state(plan_file) == before  # the good file given with it is not recorded either


def test_every_bad_file_gets_its_own_line(plan_file: Path, tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text("<a/>")
    code, _, err = run(
        "--plan",
        str(plan_file),
        "import",
        "tests",
        str(tmp_path / "a.xml"),
        str(tmp_path / "missing.xml"),
        "--release",
        "REL-1",
    )
    assert code == 2
    assert err.splitlines() == [
        f"relman: {tmp_path / 'a.xml'}: <a> is not a test report this app reads; expected a JUnit/xUnit XML "
        "report (<testsuites> or <testsuite>), an NUnit 3 report (<test-run>) or an xUnit.net v2 report "
        "(<assemblies>)",
        f"relman: {tmp_path / 'missing.xml'}: no such file",
    ]


def test_an_unknown_release_is_refused(plan_file: Path) -> None:
    before = state(plan_file)
    code, out, err = run(
        "--plan",
        str(plan_file),
        "import",
        "tests",
        str(CORPUS / "pytest_junitxml.xml"),
        "--release",
        "REL-404",
    )
    assert (code, out, err) == (2, "", "relman: no release 'REL-404' in this plan\n")
    assert state(plan_file) == before


def test_a_flaky_test_that_passed_on_rerun_leaves_the_run_passed(plan_file: Path) -> None:
    from relman_desktop.models.database import open_database

    run(
        "--plan",
        str(plan_file),
        "import",
        "tests",
        str(CORPUS / "surefire_TEST-io.olamy.FlakyTest.xml"),
        "--release",
        "REL-1",
    )
    plan = open_database(plan_file)
    try:
        verdicts = [r["verdict"] for r in evidence.list_test_runs(Ctx(plan), "REL-1")]
    finally:
        plan.close()
    assert verdicts == ["passed"]  # a flaky test that passed on rerun does not fail the run


def test_an_xunit_net_report_is_read() -> None:
    report = read_report(Path(__file__).parent / "fixtures" / "reports" / "xunit2_dotnet.xml")
    assert (report.format, report.total, report.passed, report.failed, report.skipped) == (
        "xunit2",
        5,
        3,
        1,
        1,
    )
    assert [(f.full_name, f.message) for f in report.failures] == [
        ("Billing.Tests.InvoiceTests.Vat_is_rounded(rate: 0.07)", "Assert.Equal() Failure")
    ]
    assert report.run_at is not None and report.run_at.isoformat() == "2026-12-01T21:40:02+00:00"
    assert report.note is None


def test_a_report_with_no_test_cases_says_so(tmp_path: Path) -> None:
    f = tmp_path / "empty.xml"
    f.write_text('<testsuite name="none" tests="0" timestamp="2026-12-01T10:00:00"/>')
    report = read_report(f)
    assert (report.total, report.note) == (0, "the report holds no test cases")


def test_the_text_output_names_each_failed_test(plan_file: Path) -> None:
    code, out, _ = run(
        "--plan",
        str(plan_file),
        "import",
        "tests",
        str(CORPUS / "pytest_junitxml.xml"),
        "--release",
        "REL-1",
        "--dry-run",
    )
    assert code == 0
    assert out.splitlines()[-3:] == [
        "  failure pytest_junitxml.xml: tests.test_lib.test_always_fail — assert False",
        "  failure pytest_junitxml.xml: tests.test_lib.test_error — Exception: error",
        "dry run: nothing was written",
    ]


@pytest.mark.parametrize(
    "case, suite, expected",
    [
        # mocha-junit-reporter (Mocha, Cypress): the title as class, the full title as name
        (
            '<testcase name="Login rejects bad password" classname="rejects bad password">',
            "Login",
            "Login rejects bad password",
        ),
        # ctest --output-junit: class and name are both the test's name
        ('<testcase name="unit_b" classname="unit_b" status="fail">', "Linux-c++", "unit_b"),
        # Bazel test.xml: no class, the one case named after its suite (the target)
        ('<testcase name="//pkg:foo_test" status="run">', "//pkg:foo_test", "//pkg:foo_test"),
        # the usual JUnit shapes are unchanged
        (
            '<testcase name="bad()" classname="com.x.FooTest">',
            "com.x.FooTest",
            "com.x.FooTest.bad()",
        ),
        ('<testcase name="renders">', "src/App.test.js", "src/App.test.js › renders"),
    ],
)
def test_a_failed_test_is_named_once_whatever_tool_wrote_it(
    case: str, suite: str, expected: str
) -> None:
    xml = (
        f'<testsuite name="{suite}" timestamp="2026-05-01T10:00:00">'
        f'{case}<failure message="boom"/></testcase></testsuite>'
    )
    report = parse_report(xml.encode(), "report.xml")
    assert [f.full_name for f in report.failures] == [expected]


@pytest.mark.parametrize(
    "page",
    [
        b"<!DOCTYPE html><html><head><title>Test Report</title></head><body>3 passed<br></body>",
        b"\xef\xbb\xbf<!-- surefire-report --><html lang='en'><body><p>3 passed</p></body></html>",
    ],
)
def test_an_html_report_is_refused_as_a_page_not_as_broken_xml(
    plan_file: Path, tmp_path: Path, page: bytes
) -> None:
    f = tmp_path / "index.html"
    f.write_bytes(page)
    before = state(plan_file)
    code, out, err = run("--plan", str(plan_file), "import", "tests", str(f), "--release", "REL-1")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"relman: {f}: an HTML page")
    assert state(plan_file) == before


@pytest.mark.parametrize(
    "message",
    [
        b"\x1b[31mexpected 1, got 2\x1b[0m",  # a raw escape, as ctest copies a test's output
        b"&#27;[31mexpected 1, got 2&#x1b;[0m",  # the same as character references
        b"expected 1, got 2\x07",  # a stray bell
    ],
)
def test_terminal_colours_in_a_report_do_not_make_it_unreadable(message: bytes) -> None:
    xml = (
        b'<testsuite name="S" tests="2" timestamp="2026-05-01T10:00:00">'
        b'<testcase classname="A" name="ok"/>'
        b'<testcase classname="A" name="bad"><failure message="' + message + b'">x</failure>'
        b"</testcase></testsuite>"
    )
    report = parse_report(xml, "ctest.xml")
    assert (report.total, report.failed) == (2, 1)
    assert [f.message for f in report.failures] == ["expected 1, got 2"]
    assert report.sha256 == hashlib.sha256(xml).hexdigest()  # the file as written is the identity
