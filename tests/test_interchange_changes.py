"""Changes from Jira and ServiceNow exports (.csv and .xlsx), by their headers or by --map."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from relman_desktop.cli import main

JIRA = """Summary,Issue key,Issue id,Issue Type,Status,Priority,Fix Version/s,Component/s,Component/s,Created
Login page times out,BILL-101,10001,Bug,Done,High,Billing 2.4,billing-web,billing-db,12/Mar/24 10:15 AM
Export invoices as PDF,BILL-102,10002,Story,In Progress,Medium,,,,2024-03-13 09:00
Rotate TLS keys,BILL-103,10003,Task,Done,Severe,,,,13/Mar/24 4:05 PM
Cache tuning,BILL-104,10004,Improvement,To Do,Low,,,,03/04/2024
"""
SNOW = [
    ["number", "short_description", "type", "risk", "state", "cmdb_ci", "start_date", "end_date"],
    [
        "CHG0030001",
        "Patch DB cluster",
        "Normal",
        "Moderate",
        "Scheduled",
        "billing-db",
        "2024-03-20 22:00:00",
        "2024-03-21 01:00:00",
    ],
    [
        "CHG0030002",
        "Replace core switch",
        "Emergency",
        "Very High",
        "Assess",
        "",
        "2024-03-22 22:00:00",
        "2024-03-23 01:00:00",
    ],
]


def run(plan: Path | str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--plan", str(plan), "--actor", "tester", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def plan_file(ctx) -> str:
    """The plan the changes are imported into: a file, or a server URL (both engines)."""
    from relman_desktop.services import cis, releases

    for name in ("billing-web", "billing-db"):
        cis.create_ci(ctx, {"name": name, "ci_class": "application"})
    releases.create_release(
        ctx, {"key": "REL-1", "title": "Billing 2.4", "type": "minor", "version": "2.4.0"}
    )
    ctx.plan.close()
    return ctx.plan.location


def changes(plan: Path | str) -> dict:
    from relman_desktop.models.database import open_database
    from relman_desktop.services.base import Ctx
    from relman_desktop.services.changes import list_changes

    ctx = Ctx(open_database(plan))
    try:
        return {c.key: c for c in list_changes(ctx)}
    finally:
        ctx.plan.close()


def test_jira_csv_by_its_headers(plan_file: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "jira.csv"
    csv_file.write_text(JIRA, encoding="utf-8")
    code, out, err = run(plan_file, "import", "changes", str(csv_file), "--json")
    assert code == 0, err
    preview = json.loads(out)
    assert preview["counts"] == {"create": 2, "update": 1, "skip": 2}
    skipped = {r["key"]: r["reason"] for r in preview["rows"] if r["action"] == "skip"}
    assert skipped["BILL-103"].startswith("row 4, column 'Priority': 'Severe' is not a risk word")
    assert skipped["BILL-104"].startswith("row 5, column 'Created': '03/04/2024' is not a date")
    got = changes(plan_file)
    assert set(got) == {"BILL-101", "BILL-102"}
    bug = got["BILL-101"]
    assert (bug.category, bug.approval, bug.risk) == ("fix", "approved", "high")
    assert bug.cis == ["billing-db", "billing-web"]  # both Component/s columns
    assert bug.release == "REL-1"  # Fix Version/s matched the release's title
    assert bug.created_at.isoformat() == "2024-03-12T10:15:00+00:00"
    assert got["BILL-102"].approval == "pending" and got["BILL-102"].release is None
    # again: nothing new, nothing duplicated
    code, out, _ = run(plan_file, "import", "changes", str(csv_file), "--json")
    assert json.loads(out)["counts"] == {"create": 0, "update": 0, "skip": 4}


def test_servicenow_xlsx_by_its_headers_and_an_update(plan_file: Path, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    for row in SNOW:
        book.active.append(row)
    xlsx = tmp_path / "change_request.xlsx"
    book.save(xlsx)
    code, out, err = run(plan_file, "import", "changes", str(xlsx))
    assert code == 0, err
    assert "columns not read: start_date, end_date" in out
    got = changes(plan_file)
    assert (got["CHG0030001"].type, got["CHG0030001"].risk, got["CHG0030001"].approval) == (
        "normal",
        "medium",
        "approved",
    )
    assert got["CHG0030001"].cis == ["billing-db"]
    assert (got["CHG0030002"].type, got["CHG0030002"].risk) == ("emergency", "critical")
    book.active["E3"] = "Scheduled"
    book.save(xlsx)
    code, out, _ = run(plan_file, "import", "changes", str(xlsx), "--json", "--release", "REL-1")
    preview = json.loads(out)
    update = next(r for r in preview["rows"] if r["key"] == "CHG0030002" and r["kind"] == "change")
    assert (update["action"], update["reason"]) == ("update", "approval differ")
    assert {c.release for c in changes(plan_file).values()} == {"REL-1"}


def test_other_layouts_through_map(plan_file: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "tracker.csv"
    csv_file.write_text("Ticket;Headline;Severity\nOPS-7;Raise disk quota;Low\n", encoding="utf-8")
    code, _, err = run(plan_file, "import", "changes", str(csv_file))
    assert code == 2
    assert err.strip() == (
        "relman: tracker.csv has no key column: none of its columns (Ticket, Headline, Severity) is a "
        "change key (Jira 'Issue key', ServiceNow 'number'); name one with --map COLUMN=key"
    )
    code, out, err = run(
        plan_file,
        "import",
        "changes",
        str(csv_file),
        "--map",
        "Ticket=key",
        "--map",
        "Headline=title",
        "--map",
        "severity=risk",
    )
    assert code == 0, err
    assert changes(plan_file)["OPS-7"].risk == "low"
    code, _, err = run(plan_file, "import", "changes", str(csv_file), "--map", "Ticket=owner")
    assert code == 2 and "'owner' is not one of key, title" in err


def test_dry_run_writes_nothing_and_bad_files_are_refused(plan_file: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "jira.csv"
    csv_file.write_text(JIRA, encoding="utf-8")
    code, out, _ = run(plan_file, "import", "changes", str(csv_file), "--dry-run")
    assert code == 0 and "would import jira.csv: 2 to create, 1 to update, 2 to skip" in out
    assert changes(plan_file) == {}
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    code, _, err = run(plan_file, "import", "changes", str(fake))
    assert code == 2 and "fake.xlsx is not a readable .xlsx workbook" in err
    assert len(err.strip().splitlines()) == 1
