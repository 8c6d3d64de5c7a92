"""KPI commands: ``relman kpis`` and the documents stakeholders receive
(``relman export notes``, ``relman export kpis``)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from relman_desktop.cli import group, open_ctx, print_json
from relman_desktop.cli.values import day
from relman_desktop.services import kpis
from relman_desktop.services.base import ValidationError
from relman_desktop.services.text import counted


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--from", dest="start", type=day, metavar="DATE", help="first day counted (YYYY-MM-DD, UTC)"
    )
    p.add_argument(
        "--to", dest="end", type=day, metavar="DATE", help="last day counted (YYYY-MM-DD, UTC)"
    )
    p.add_argument(
        "--by", choices=kpis.PERIODS, default="month", help="period of the series (default: month)"
    )
    p.add_argument("--application", metavar="NAME", help="only releases of this application")
    p.add_argument(
        "--report-year",
        type=int,
        choices=kpis.REPORT_YEARS,
        default=2023,
        help="DORA State of DevOps report whose tiers apply (default: 2023)",
    )


def register(sub: Any) -> None:
    p = sub.add_parser("kpis", help="release-management KPIs with DORA tiers")
    _filters(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=cmd_kpis)

    export = group(sub, "export", "write a document or file from the plan")
    p = export.add_parser("notes", help="release notes as a Word document (.docx)")
    p.add_argument("key", metavar="KEY", help="the release, e.g. REL-2026-014")
    p.add_argument("file", metavar="FILE", help="the .docx to write")
    p.add_argument("--variant", choices=("business", "technical"), default="business")
    p.add_argument("--template", metavar="STYLE.docx", help="a Word document whose styles to use")
    p.set_defaults(handler=cmd_export_notes)

    p = export.add_parser("kpis", help="the KPI workbook (.xlsx) with charts and live formulas")
    p.add_argument("file", metavar="FILE", help="the .xlsx to write")
    _filters(p)
    p.set_defaults(handler=cmd_export_kpis)


def _collect(args: argparse.Namespace) -> tuple[Any, kpis.KpiData]:
    ctx = open_ctx(args)
    try:
        data = kpis.collect(
            ctx,
            start=args.start,
            end=args.end,
            by=args.by,
            application=args.application,
            report_year=args.report_year,
        )
    except ValidationError:
        ctx.plan.close()
        raise
    return ctx, data


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f} %"
    if kind == "hours":
        return f"{value:.1f} h"
    return str(value)


def cmd_kpis(args: argparse.Namespace, out: TextIO) -> int:
    ctx = open_ctx(args)
    try:  # the aggregate path: no row objects, as the dashboard reads them
        report = kpis.compute_kpis(
            ctx,
            start=args.start,
            end=args.end,
            by=args.by,
            application=args.application,
            report_year=args.report_year,
        )
    finally:
        ctx.plan.close()
    if args.json:
        print_json(report.as_dict(), out)
        return 0
    rng = report.range
    scope = f"application {report.application}" if report.application else "all applications"
    out.write(
        f"KPIs {rng.start or '—'} – {rng.end or '—'}, {scope}, DORA {report.report_year} tiers\n"
    )
    tiers = report.tiers
    freq = report.deployment_frequency
    rows = [
        ("Release success rate", _fmt(report.release_success_rate, "rate"), ""),
        (
            "Deployment frequency",
            f"{freq.count} deployments, {_fmt(freq.bucket, 'text')}",
            tiers.deployment_frequency or "",
        ),
        (
            "Change failure rate",
            _fmt(report.change_failure_rate, "rate"),
            tiers.change_failure_rate or "",
        ),
        (
            "MTTR mean / median",
            f"{_fmt(report.mttr_hours.mean, 'hours')} / {_fmt(report.mttr_hours.median, 'hours')}",
            tiers.mttr or "",
        ),
        (
            "Lead time median",
            _fmt(report.lead_time_hours.median, "hours"),
            tiers.lead_time or "",
        ),
        ("On-time delivery", _fmt(report.on_time_delivery, "rate"), ""),
        ("Approval cycle median", _fmt(report.approval_cycle_hours.median, "hours"), ""),
    ]
    for name, value, tier in rows:
        out.write(f"  {name:<24} {value:<32} {tier}\n".rstrip() + "\n")
    if report.data_quality:
        out.write(
            f"Data quality ({counted(len(report.data_quality), 'record')} not fully counted):\n"
        )
        for item in report.data_quality:
            out.write(f"  {item['record']}: {item['issue']}\n")
    return 0


def cmd_export_notes(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.exports.release_notes import write_release_notes
    from relman_desktop.services.audit import head
    from relman_desktop.services.release_report import release_report

    ctx = open_ctx(args)
    try:
        report = release_report(ctx, args.key)
        audit_head = head(ctx).text
    finally:
        ctx.plan.close()
    path = write_release_notes(
        report, args.file, variant=args.variant, template=args.template, audit_head=audit_head
    )
    out.write(f"release notes written: {path}\n")
    return 0


def cmd_export_kpis(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.exports.kpi_workbook import write_kpi_workbook

    ctx, data = _collect(args)
    ctx.plan.close()
    path = write_kpi_workbook(data, args.file)
    out.write(f"KPI workbook written: {path}\n")
    return 0
