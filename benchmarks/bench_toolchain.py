"""How fast the toolchain imports are: a 4,000-test JUnit report and 1,000 git commits, each
against reading the same input with the parsing library alone (lxml, pygit2) in this process.

    .venv/bin/python benchmarks/bench_toolchain.py [--tests 4000] [--commits 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from benchkit import fmt_time, profile_top, report, timed, verdict  # noqa: E402

AIM_REPORT = 1.0  # seconds, read + preview + record, 4,000 tests (issue 13)
AIM_COMMITS = 2.0  # seconds, read + preview + record, 1,000 commits


def junit_report(path: Path, tests: int) -> None:
    """A Surefire-like report: 40 suites, 1 % failures with stack traces, 2 % skipped."""
    per_suite = max(1, tests // 40)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench">']
    n = 0
    for s in range(0, tests, per_suite):
        cases = []
        for i in range(s, min(tests, s + per_suite)):
            n += 1
            body = ""
            if i % 100 == 7:
                body = (
                    '<failure message="expected 3 but was 4" type="AssertionError">'
                    + "at com.example.Suite.test(Suite.java:42)\n" * 20
                    + "</failure>"
                )
            elif i % 50 == 3:
                body = '<skipped message="not on this platform"/>'
            cases.append(
                f'<testcase classname="com.example.Suite{s}" name="test_{i}" time="0.004">{body}'
                "<system-out>log line\nlog line</system-out></testcase>"
            )
        parts.append(
            f'<testsuite name="com.example.Suite{s}" tests="{len(cases)}" '
            f'timestamp="2026-12-01T10:00:00" time="1.0">{"".join(cases)}</testsuite>'
        )
    parts.append("</testsuites>")
    path.write_text("\n".join(parts), encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tests", type=int, default=4000)
    ap.add_argument("--commits", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import pygit2
    from git_repos import long_repo
    from lxml import etree

    from relman_desktop.importers.git_history import plan_git_import
    from relman_desktop.importers.test_reports import plan_test_import
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services import releases
    from relman_desktop.services.base import Ctx

    rows: list[tuple[str, str, str]] = []
    problems: list[str] = []
    profiles: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        xml = folder / "TEST-bench.xml"
        junit_report(xml, args.tests)
        repo_path = folder / "repo"
        long_repo(repo_path, args.commits)

        def fresh_plan(name: str) -> Ctx:
            ctx = Ctx(
                open_plan(folder / name, create=True),
                actor="bench",
                clock=lambda: dt.datetime(2026, 12, 3, tzinfo=dt.UTC),
            )
            releases.create_release(ctx, {"key": "REL-1", "title": "Bench", "type": "minor"})
            return ctx

        # --- test report -----------------------------------------------------------------------
        def lxml_alone() -> int:
            root = etree.parse(str(xml)).getroot()
            return sum(1 for _ in root.iter("testcase"))

        t_lib, count = timed(lxml_alone, args.repeat)
        rows.append(
            (f"lxml alone: parse + count {count:,} <testcase>", fmt_time(t_lib), "the floor")
        )

        plans = iter(range(1000))

        def import_report() -> int:
            ctx = fresh_plan(f"t{next(plans)}.relman")
            try:
                job = plan_test_import(ctx, "REL-1", [str(xml)], "regression", "staging")
                ids = job.apply(ctx)
                assert job.reports[0].total == args.tests
                return len(ids)
            finally:
                ctx.plan.close()

        # the plan is created outside the timing: measure read + preview + record only
        def import_report_timed() -> float:
            ctx = fresh_plan(f"t{next(plans)}.relman")
            try:
                t, _ = timed(
                    lambda: plan_test_import(
                        ctx, "REL-1", [str(xml)], "regression", "staging"
                    ).apply(ctx)
                )
            finally:
                ctx.plan.close()
            return t

        t_imp = min(import_report_timed() for _ in range(args.repeat))
        rows.append(
            (
                f"import tests: {args.tests:,}-test report (read, preview, record)",
                fmt_time(t_imp),
                f"{t_imp / t_lib:.1f}× lxml alone; {verdict(t_imp, AIM_REPORT)}",
            )
        )
        if t_imp > AIM_REPORT:
            problems.append(f"importing a {args.tests}-test report took {fmt_time(t_imp)}")
            profiles.append(("import_report", profile_top(import_report)))

        # --- git history -----------------------------------------------------------------------
        def pygit2_alone() -> int:
            repo = pygit2.Repository(str(repo_path))
            n = 0
            for c in repo.walk(
                repo.head.target, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME
            ):
                _ = (c.message, c.author.name, c.author.email, c.commit_time, c.parent_ids)
                n += 1
            return n

        t_git, n = timed(pygit2_alone, args.repeat)
        rows.append(
            (
                f"pygit2 alone: walk {n:,} commits (message, author, time, parents)",
                fmt_time(t_git),
                "the floor",
            )
        )

        def import_git_timed() -> float:
            ctx = fresh_plan(f"g{next(plans)}.relman")
            try:
                t, result = timed(lambda: plan_git_import(ctx, str(repo_path), "REL-1").apply(ctx))
                assert result["release_updated"]
            finally:
                ctx.plan.close()
            return t

        t_gimp = min(import_git_timed() for _ in range(args.repeat))
        rows.append(
            (
                f"import git: {args.commits:,} commits (read, classify, preview, record)",
                fmt_time(t_gimp),
                f"{t_gimp / t_git:.1f}× pygit2 alone; {verdict(t_gimp, AIM_COMMITS)}",
            )
        )
        if t_gimp > AIM_COMMITS:
            problems.append(f"importing {args.commits} commits took {fmt_time(t_gimp)}")

    return report(
        "toolchain imports",
        f"{args.tests:,}-test JUnit report, {args.commits:,} commits, best of {args.repeat}",
        rows,
        profiles,
        problems,
    )


if __name__ == "__main__":
    sys.exit(main())
