"""KPIs and the documents stakeholders receive, on large inputs (issue 6).

Run from the project root:

    .venv/bin/python benchmarks/bench_kpis.py                        # generates the plan (~10-15 s)
    .venv/bin/python benchmarks/bench_kpis.py --plan /tmp/big.relman  # reuses a plan

Prints one table. Aims: ``compute_kpis`` on the 10,000-release demo plan ≤ 200 ms, measured next
to one raw SQL aggregate query computing the release success rate (the floor) and checked to
give the same rate, and the same report as ``compute_from(collect(...))`` (the row-by-row path
the workbook reads); the KPI workbook for that plan ≤ 5 s; release notes for a
release with 1,000 changes ≤ 2 s (the release is imported into a temporary plan through the plan
JSON importer). ``--profile`` adds cProfile's top entries for each service. See
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchkit import fmt_time, profile_top, report, timed, verdict  # noqa: E402

from relman_desktop.models.planfile import open_plan  # noqa: E402
from relman_desktop.services.base import Ctx  # noqa: E402

TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
KPIS_AIM = 0.200
WORKBOOK_AIM = 5.0
NOTES_AIM = 2.0
CATEGORIES = ("feature", "fix", "security", "configuration", "infrastructure", "documentation")

# The release success rate of services.kpis in one statement: releases with a finished production
# deployment, and among them those none of whose finished production deployments failed (failed:
# outcome failed or rolled back, incidents, a hotfix, or a detected failure).
SUCCESS_RATE_SQL = """
SELECT count(*), sum(failed = 0), avg(failed = 0)
FROM (
    SELECT release_id,
           max(outcome IN ('failed', 'rolled_back') OR coalesce(incidents, 0) > 0
               OR coalesce(hotfix, 0) OR failure_detected_at IS NOT NULL) AS failed
    FROM deployments
    WHERE lower(trim(environment)) = 'production' AND finished_at IS NOT NULL
    GROUP BY release_id
)
"""


def raw_success_rate(path: Path) -> tuple[int, int, float | None]:
    con = sqlite3.connect(path)
    try:
        return con.execute(SUCCESS_RATE_SQL).fetchone()
    finally:
        con.close()


# --- a release with 1,000 changes ------------------------------------------------------------------


def big_release_document(changes: int) -> dict[str, Any]:
    """A plan JSON document: one release as a careful release manager fills it in, with
    ``changes`` changes over six categories touching 40 CIs (parents and children), release-note
    text on each and known issues on one in twenty; two approval stages, test runs, waves."""
    people = [
        {"email": f"{n.lower()}@example.com", "name": f"{n} Example", "roles": roles}
        for n, roles in (
            ("Ana", ["release_manager"]),
            ("Bo", ["cab_member"]),
            ("Cy", ["cab_member"]),
            ("Di", ["approver"]),
            ("Ed", ["release_team"]),
        )
    ]
    cis = []
    for i in range(40):
        parent = [f"service-{i // 8}"] if i % 8 else []
        name = f"service-{i // 8}" if i % 8 == 0 else f"component-{i}"
        cis.append(
            {
                "name": name,
                "class": "service" if not parent else "application",
                "environment": "production",
                "requires_maintenance_window": i % 8 == 0,
                "parents": parent,
            }
        )
    names = [c["name"] for c in cis]
    change_docs = []
    for i in range(changes):
        category = CATEGORIES[i % len(CATEGORIES)]
        change_docs.append(
            {
                "key": f"CHG-{10000 + i}",
                "title": f"{category.capitalize()} {i}: adjust invoice handling step {i % 37}",
                "type": "normal" if i % 10 else "standard",
                "category": category,
                "approval": "approved",
                "risk": ("low", "medium", "high")[i % 3],
                "requester": people[i % len(people)]["email"],
                "created_at": (
                    dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC) + dt.timedelta(hours=i)
                ).isoformat(),
                "release_note": f"Customers see the improved invoice handling in area {i % 37} "
                f"(change {i}); no action is needed.",
                "known_issues": f"Area {i % 37}: a rare rounding difference remains."
                if i % 20 == 0
                else None,
                "cis": [names[i % 40]] + ([names[(i * 7 + 3) % 40]] if i % 3 == 0 else []),
            }
        )

    def approvals(stage: int) -> list[dict[str, Any]]:
        return [
            {
                "approver": p["email"],
                "decision": "approved",
                "comment": "ok",
                "requested_at": f"2026-11-{10 + stage:02d}T08:00:00Z",
                "decided_at": f"2026-11-{10 + stage:02d}T1{k}:00:00Z",
            }
            for k, p in enumerate(people[1:4])
        ]

    release = {
        "key": "REL-BIG-1000",
        "title": "Billing platform 3.0",
        "version": "3.0.0",
        "type": "major",
        "priority": "high",
        "risk": "high",
        "status": "Planning",
        "manager": people[0]["email"],
        "application": "Billing",
        "scope": "The billing platform rewrite: 1,000 changes across invoicing, payments and tax",
        "objectives": "Faster invoicing, fewer payment tickets",
        "planned_start": "2026-11-02",
        "planned_end": "2026-12-12",
        "deployment_window": {
            "start": "2026-12-12T22:00:00+01:00",
            "end": "2026-12-13T02:00:00+01:00",
        },
        "strategy": {
            "kind": "canary",
            "waves": [
                {"percent": 5, "bake_minutes": 60},
                {"percent": 25, "bake_minutes": 60},
                {"percent": 100, "bake_minutes": 0},
            ],
        },
        "rollback": {
            "plan": "Redeploy 2.9.4 from the artefact store and restore the schema snapshot",
            "duration_minutes": 60,
            "rehearsed_on": "2026-12-01",
        },
        "communication_plan": "Mail to finance and support two days before; status page during the window",
        "implementation_plan": "Runbook RB-300",
        "changes": [c["key"] for c in change_docs],
        "approval_stages": [
            {"name": name, "order": n + 1, "rule": "all", "approvals": approvals(n)}
            for n, name in enumerate(("Technical review", "CAB"))
        ],
        "test_runs": [
            {
                "kind": kind,
                "environment": "staging",
                "passed": 900 + k,
                "failed": 0,
                "skipped": k,
                "run_at": f"2026-12-0{k + 5}T16:00:00Z",
            }
            for k, kind in enumerate(("unit", "integration", "regression", "performance"))
        ],
    }
    return {
        "format": "relman-plan",
        "version": 1,
        "people": people,
        "configuration_items": cis,
        "changes": change_docs,
        "releases": [release],
    }


def docx_text(path: Path) -> str:
    """All paragraph and table text of a .docx (to check the notes name every change)."""
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


# --- main ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--plan", metavar="PATH", help="measure this plan (default: generate a demo plan)"
    )
    parser.add_argument(
        "--releases", type=int, default=10_000, help="demo releases to generate (default 10000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--changes", type=int, default=1_000, help="changes in the release-notes release"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per measurement; the best counts"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print cProfile's top entries for each service"
    )
    args = parser.parse_args(argv)

    from relman_desktop.exports.kpi_workbook import (
        ZIP_LEVEL,
        build_kpi_workbook,
        save_workbook_fast,
        write_kpi_workbook,
    )
    from relman_desktop.exports.release_notes import write_release_notes
    from relman_desktop.importers.plan_json import import_plan
    from relman_desktop.services.base import gc_paused
    from relman_desktop.services.kpis import collect, compute_from, compute_kpis
    from relman_desktop.services.release_report import release_report

    rows: list[tuple[str, str, str]] = []
    profiles: list[tuple[str, str]] = []
    problems: list[str] = []

    def clock() -> dt.datetime:
        return NOW

    tmp = tempfile.TemporaryDirectory(prefix="relman-bench-")
    out_dir = Path(tmp.name)
    try:
        # 1. Release notes for a release with 1,000 changes, in a plan of its own.
        notes_plan = open_plan(out_dir / "notes.relman", create=True)
        try:
            nctx = Ctx(notes_plan, actor="bench@example.com", clock=clock)
            doc = big_release_document(args.changes)
            t_imp, _ = timed(lambda: import_plan(nctx, doc))
            rows.append(
                (
                    f"setup: import a release with {args.changes:,} changes",
                    fmt_time(t_imp),
                    "plan JSON importer, one transaction (not measured against an aim)",
                )
            )
            key = doc["releases"][0]["key"]
            t_rep, notes_data = timed(lambda: release_report(nctx, key), args.repeat)
            rows.append(
                (
                    "release notes: release_report (read)",
                    fmt_time(t_rep),
                    f"{len(notes_data.changes):,} changes, {len(notes_data.cis)} CIs",
                )
            )
            for variant in ("technical", "business"):
                target = out_dir / f"notes-{variant}.docx"

                def notes(variant: str = variant, target: Path = target) -> Path:
                    return write_release_notes(release_report(nctx, key), target, variant=variant)

                t_notes, written = timed(notes, args.repeat)
                text = docx_text(written)
                missing = [c["key"] for c in doc["changes"] if c["key"] not in text]
                if missing:
                    problems.append(
                        f"{variant} notes miss {len(missing)} change keys, e.g. {missing[:3]}"
                    )
                rows.append(
                    (
                        f"release notes: report + write_release_notes ({variant})",
                        fmt_time(t_notes),
                        f"{written.stat().st_size / 1e3:,.0f} kB, "
                        f"{'every change key found' if not missing else f'{len(missing)} keys MISSING'}"
                        f"; {verdict(t_notes, NOTES_AIM)}",
                    )
                )
                if t_notes > NOTES_AIM or args.profile:
                    profiles.append((f"release notes ({variant})", profile_top(notes)))
        finally:
            notes_plan.close()

        # 2. The 10,000-release plan.
        if args.plan:
            path = Path(args.plan).absolute()
            source = f"plan {path}"
        else:
            from relman_desktop.services.demo import generate_demo

            path = out_dir / "bench.relman"
            plan = open_plan(path, create=True)
            t_gen, summary = timed(
                lambda: generate_demo(
                    Ctx(plan, actor="bench@example.com", clock=clock),
                    releases=args.releases,
                    seed=args.seed,
                    today=TODAY,
                )
            )
            plan.close()
            source = f"demo plan, seed {args.seed}, today {TODAY.isoformat()}"
            rows.append(
                (
                    f"setup: generate demo --releases {args.releases}",
                    fmt_time(t_gen),
                    f"{summary['releases']:,} releases, {summary['changes']:,} changes "
                    "(not measured against an aim)",
                )
            )

        plan = open_plan(path)
        ctx = Ctx(plan, actor="bench@example.com", clock=clock)
        try:
            t_sql, (deployed, succeeded, rate) = timed(lambda: raw_success_rate(path), args.repeat)
            rows.append(
                (
                    "KPIs: one SQL aggregate, success rate (floor)",
                    fmt_time(t_sql),
                    f"{succeeded:,} of {deployed:,} deployed releases succeeded = {rate:.4f}",
                )
            )
            t_kpis, kpis = timed(lambda: compute_kpis(ctx), args.repeat)
            same = kpis.releases_deployed == deployed and (
                rate is None
                if kpis.release_success_rate is None
                else abs(kpis.release_success_rate - rate) < 1e-12
            )
            if not same:
                problems.append(
                    f"compute_kpis says {kpis.release_success_rate} of "
                    f"{kpis.releases_deployed}, the SQL {rate} of {deployed}"
                )
            rows.append(
                (
                    "KPIs: compute_kpis (all KPIs, monthly series)",
                    fmt_time(t_kpis),
                    f"success rate {kpis.release_success_rate:.4f} "
                    f"({'same as the SQL' if same else 'DIFFERS from the SQL'}), "
                    f"{len(kpis.series)} periods, {len(kpis.data_quality):,} data-quality notes; "
                    f"{t_kpis / t_sql:.0f}× the floor; {verdict(t_kpis, KPIS_AIM)}",
                )
            )

            def paused() -> Any:
                gc.disable()
                try:
                    return compute_kpis(ctx)
                finally:
                    gc.enable()

            t_nogc, _ = timed(paused, args.repeat)
            rows.append(
                (
                    "  same call with the cyclic GC paused",
                    fmt_time(t_nogc),
                    f"diagnostic: the cyclic GC costs {fmt_time(max(t_kpis - t_nogc, 0))} of the call",
                )
            )
            # compute_kpis reads SQL aggregates; the workbook reads collect's rows
            t_collect, data = timed(lambda: collect(ctx), args.repeat)
            same_report = repr(compute_from(data)) == repr(kpis)  # every value, to the last bit
            if not same_report:
                problems.append(
                    "compute_kpis and compute_from(collect(...)) give different reports"
                )
            rows.append(
                (
                    "  row by row: collect (the workbook's rows)",
                    fmt_time(t_collect),
                    f"{len(data.deployments):,} deployments, {len(data.releases):,} releases, "
                    f"{len(data.changes):,} changes, {len(data.approvals):,} approvals; "
                    f"compute_from of them gives {'the same' if same_report else 'a DIFFERENT'} "
                    "report as compute_kpis",
                )
            )
            if t_kpis > KPIS_AIM or args.profile:
                profiles.append(("compute_kpis", profile_top(lambda: compute_kpis(ctx))))

            target = out_dir / "kpis.xlsx"

            def workbook() -> Path:
                return write_kpi_workbook(collect(ctx), target)

            t_wb, written = timed(workbook, args.repeat)
            rows.append(
                (
                    "KPI workbook: collect + write_kpi_workbook",
                    fmt_time(t_wb),
                    f"{written.stat().st_size / 1e6:.1f} MB; {verdict(t_wb, WORKBOOK_AIM)}",
                )
            )
            t_build, wb = timed(lambda: build_kpi_workbook(data), args.repeat)
            rows.append(
                (
                    "  of which: build_kpi_workbook (openpyxl objects)",
                    fmt_time(t_build),
                    f"{len(wb.sheetnames)} sheets",
                )
            )

            def save() -> None:  # as write_kpi_workbook saves: its zip level, the GC paused
                with gc_paused():
                    save_workbook_fast(wb, out_dir / "kpis-save.xlsx")

            t_save, _ = timed(save, args.repeat)
            rows.append(
                (
                    "  of which: save_workbook_fast (zip + XML)",
                    fmt_time(t_save),
                    f"zip level {ZIP_LEVEL}",
                )
            )
            if t_wb > WORKBOOK_AIM or args.profile:
                profiles.append(("KPI workbook", profile_top(workbook)))
        finally:
            plan.close()
    finally:
        tmp.cleanup()

    return report(
        "KPI & documents benchmark",
        f"best of {args.repeat} unless noted; {source}",
        rows,
        profiles,
        problems,
    )


if __name__ == "__main__":
    raise SystemExit(main())
