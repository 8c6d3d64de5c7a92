"""`relman import incidents`: ITSM CSV exports and Alertmanager alerts, linked to the deployment
that caused them, feeding change failure rate and MTTR."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from relman_desktop.cli import main
from relman_desktop.models.database import open_database
from relman_desktop.models.entities import AuditEvent, Deployment, Incident
from relman_desktop.services import changes, evidence, kpis, releases
from relman_desktop.services.base import Ctx

# Checks of the file's content, refused before any write: the plan file is enough (conftest.py)
FILE_ONLY_TESTS = {
    "test_bad_input_is_one_line_and_writes_nothing",
    "test_local_date_formats_are_read_the_way_the_file_writes_them",
    "test_excel_saved_exports_are_read_in_their_encoding",
}

INCIDENTS = Path(__file__).parent / "fixtures" / "incidents"
UTC = dt.UTC


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def plan_file(ctx: Ctx) -> str:
    """The plan the importer writes into: a file, or a server URL (both engines)."""
    releases.create_release(
        ctx, {"key": "REL-1", "title": "Billing 2.4", "type": "minor", "application": "Billing"}
    )
    releases.create_release(
        ctx, {"key": "REL-2", "title": "Payroll 7", "type": "minor", "application": "Payroll"}
    )
    changes.create_change(
        ctx,
        {
            "key": "CHG-1",
            "title": "Export",
            "type": "normal",
            "category": "feature",
            "approval": "approved",
            "created_at": dt.datetime(2026, 11, 30, 9, tzinfo=UTC),
        },
    )
    changes.bundle_change(ctx, "CHG-1", "REL-1")
    evidence.record_deployment(
        ctx,
        "REL-1",
        "production",
        started_at=dt.datetime(2026, 12, 1, 22, tzinfo=UTC),
        finished_at=dt.datetime(2026, 12, 1, 22, 30, tzinfo=UTC),
        outcome="success",
    )
    evidence.record_deployment(
        ctx,
        "REL-2",
        "production",
        started_at=dt.datetime(2026, 11, 20, 22, tzinfo=UTC),
        finished_at=dt.datetime(2026, 11, 20, 22, 30, tzinfo=UTC),
        outcome="success",
    )
    ctx.plan.close()
    return ctx.plan.location


def with_plan(plan_path: Path, fn):
    plan = open_database(plan_path)
    try:
        return fn(plan)
    finally:
        plan.close()


def billing_deployment(plan_path: Path) -> tuple:
    def read(plan):
        with plan.read() as s:
            d = (
                s.execute(
                    select(Deployment)
                    .where(Deployment.environment == "production")
                    .order_by(Deployment.started_at.desc())
                )
                .scalars()
                .first()
            )
            return d.incidents, d.failure_detected_at, d.restored_at

    return with_plan(plan_path, read)


def audit_count(plan_path: Path) -> int:
    def read(plan):
        with plan.read() as s:
            return s.execute(select(func.count(AuditEvent.id))).scalar_one()

    return with_plan(plan_path, read)


def test_a_servicenow_export_links_incidents_to_the_deployment_of_their_service(
    plan_file: Path,
) -> None:
    code, out, err = run(
        "--plan",
        str(plan_file),
        "import",
        "incidents",
        str(INCIDENTS / "servicenow_incidents.csv"),
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    links = {i["key"]: i["deployment_id"] for i in data["incidents"]}
    assert links["INC0010001"] is not None and links["INC0010002"] == links["INC0010001"]
    assert links["INC0010003"] is None  # Printers: no deployment of that service
    reasons = {r["key"]: r["reason"] for r in data["rows"]}
    assert (
        reasons["INC0010003"]
        == "not linked: no production deployment of Printers in the 24 h before it"
    )
    # the deployment is failed from the first detection; one incident is still open: no restore yet
    assert billing_deployment(plan_file) == (2, dt.datetime(2026, 12, 1, 23, 10, tzinfo=UTC), None)


def test_change_failure_rate_and_mttr_come_from_the_incidents(
    plan_file: Path, tmp_path: Path
) -> None:
    run(
        "--plan", str(plan_file), "import", "incidents", str(INCIDENTS / "servicenow_incidents.csv")
    )
    report = with_plan(plan_file, lambda p: kpis.compute_kpis(Ctx(p)))
    assert report.change_failure_rate == pytest.approx(1.0)  # CHG-1's only deployment failed
    assert report.mttr_hours.failed_deployments == 1 and report.mttr_hours.mean is None
    # the open incident is resolved later: exported again, imported again
    text = (INCIDENTS / "servicenow_incidents.csv").read_text()
    later = tmp_path / "later.csv"
    later.write_text(
        text.replace(
            '"2026-12-02 08:00:00","","In Progress"',
            '"2026-12-02 08:00:00","2026-12-02 09:00:00","Resolved"',
        )
    )
    code, out, _ = run("--plan", str(plan_file), "import", "incidents", str(later))
    assert code == 0 and "update  incident    INC0010002" in out
    assert billing_deployment(plan_file)[2] == dt.datetime(2026, 12, 2, 9, tzinfo=UTC)
    report = with_plan(plan_file, lambda p: kpis.compute_kpis(Ctx(p)))
    assert report.mttr_hours.mean == pytest.approx(9 + 50 / 60)  # 23:10 detected, 09:00 restored


def test_importing_the_same_export_again_changes_nothing(plan_file: Path) -> None:
    args = (
        "--plan",
        str(plan_file),
        "import",
        "incidents",
        str(INCIDENTS / "servicenow_incidents.csv"),
    )
    assert run(*args)[0] == 0
    before = audit_count(plan_file)
    code, out, _ = run(*args, "--json")
    assert code == 0 and json.loads(out)["counts"] == {"create": 0, "update": 0, "skip": 3}
    assert audit_count(plan_file) == before


def test_alertmanager_alerts_become_incidents(plan_file: Path) -> None:
    code, out, err = run(
        "--plan",
        str(plan_file),
        "import",
        "incidents",
        str(INCIDENTS / "alertmanager_webhook.json"),
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    got = {
        i["key"]: (
            i["title"],
            i["detected_at"],
            i["restored_at"],
            i["severity"],
            i["deployment_id"] is not None,
        )
        for i in data["incidents"]
    }
    assert got == {
        "HighErrorRate:c4b8a2f1d3e5a7b9@2026-12-01T23:05:00Z": (
            "Billing API 5xx above 5%",
            "2026-12-01T23:05:00Z",
            "2026-12-01T23:50:00Z",
            "critical",
            True,
        ),
        "HighLatency:9e8d7c6b5a4f3e2d@2026-12-02T00:15:00Z": (
            "p99 latency above 2s",
            "2026-12-02T00:15:00Z",
            None,
            "warning",
            True,
        ),
    }
    assert billing_deployment(plan_file) == (2, dt.datetime(2026, 12, 1, 23, 5, tzinfo=UTC), None)


def test_alertmanager_api_list_and_a_named_release(plan_file: Path, tmp_path: Path) -> None:
    alerts = [
        {
            "labels": {"alertname": "DiskFull", "severity": "critical"},
            "annotations": {},
            "startsAt": "2026-11-21T03:00:00Z",
            "endsAt": "2026-11-21T03:05:00Z",
            "fingerprint": "abc",
            "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
            "updatedAt": "2026-11-21T03:00Z",
        }
    ]
    f = tmp_path / "alerts.json"
    f.write_text(json.dumps(alerts))
    code, out, err = run(
        "--plan", str(plan_file), "import", "incidents", str(f), "--release", "REL-2"
    )
    assert code == 0, err
    assert "REL-2 deployment" in out and "named release REL-2" in out

    def read(plan):
        with plan.read() as s:
            inc = s.execute(select(Incident)).scalar_one()
            return inc.release.key, inc.restored_at

    assert with_plan(plan_file, read) == ("REL-2", None)  # still active: not restored


def test_unusual_headers_are_mapped(plan_file: Path, tmp_path: Path) -> None:
    f = tmp_path / "pagerduty.csv"
    f.write_text(
        "Incident ID;Title;Urgency;Began;Ended;Where\n"
        "Q1ABC;Login broken;high;2026-12-02T00:00:00+01:00;2026-12-02T01:00:00+01:00;production\n"
    )
    code, out, err = run(
        "--plan",
        str(plan_file),
        "import",
        "incidents",
        str(f),
        "--map",
        "Began=detected_at",
        "--map",
        "Ended=restored_at",
        "--map",
        "Where=environment",
        "--json",
    )
    assert code == 0, err
    inc = json.loads(out)["incidents"][0]
    assert (inc["key"], inc["detected_at"], inc["restored_at"], inc["environment"]) == (
        "Q1ABC",
        "2026-12-01T23:00:00Z",
        "2026-12-02T00:00:00Z",
        "production",
    )
    assert inc["deployment_id"] is not None  # no service named: the latest production deployment


@pytest.mark.parametrize(
    ("content", "extra", "expected"),
    [
        (
            "name,when\nx,2026-12-01\n",
            [],
            "{f}: no column for key (looked for key, id, number, incident, "
            "incident id, incident_id …); name one with --map COLUMN=key",
        ),
        (
            "number,title\nINC1,x\n",
            [],
            "{f}: no column for detected_at (looked for detected_at, detected, "
            "detected at, opened_at, opened, opened at …); name one with --map "
            "COLUMN=detected_at",
        ),
        (
            "number,opened_at\nINC1,yesterday-ish\n",
            [],
            "{f} row 2: opened_at 'yesterday-ish' is not a date and time",
        ),
        (
            "number,opened_at\nINC1,2026-12-01\n",
            ["--map", "Begun=detected_at"],
            "{f}: --map names column 'begun', which the header does not have (it has: number, opened_at)",
        ),
        (
            '{"receiver": "x"}',
            [],
            "{f}: JSON of another shape; expected Alertmanager alerts (/api/v2/alerts or a "
            "webhook payload) or Prometheus alerts (/api/v1/alerts)",
        ),
        (
            "number,opened_at\nINC1,2026-12-01\n",
            ["--release", "REL-404"],
            "no release 'REL-404' in this plan",
        ),
    ],
    ids=["no-key", "no-detected", "bad-date", "bad-map", "other-json", "unknown-release"],
)
def test_bad_input_is_one_line_and_writes_nothing(
    plan_file: Path, tmp_path: Path, content: str, extra: list[str], expected: str
) -> None:
    f = tmp_path / "in.csv"
    f.write_text(content)
    before = audit_count(plan_file)
    code, out, err = run("--plan", str(plan_file), "import", "incidents", str(f), *extra)
    assert (code, out, err) == (2, "", f"relman: {expected.format(f=f)}\n")
    assert audit_count(plan_file) == before


def test_the_likeliest_column_wins_whatever_its_place(plan_file: Path, tmp_path: Path) -> None:
    f = tmp_path / "jira.csv"
    f.write_text(
        "Summary,Issue key,Closed,Resolved,Created\n"
        "Checkout down,OPS-7,2026-12-03 09:00,2026-12-02 01:00,2026-12-01 23:00\n"
    )
    code, out, err = run(
        "--plan", str(plan_file), "import", "incidents", str(f), "--json", "--dry-run"
    )
    assert code == 0, err
    inc = json.loads(out)["incidents"][0]
    assert (inc["key"], inc["title"], inc["detected_at"], inc["restored_at"]) == (
        "OPS-7",
        "Checkout down",
        "2026-12-01T23:00:00Z",
        "2026-12-02T01:00:00Z",
    )


@pytest.mark.parametrize(
    "rows, detected",
    [
        # a German export: dotted dates are day first, whatever else the file holds
        (
            ["INC-1;DB down;01.05.2026 10:30;01.05.2026 11:45"],
            ["2026-05-01T10:30:00Z"],
        ),
        # 13/06 can only be day first, so 05/06 in the same file is 5 June, not 6 May
        (
            ["INC-1;a;05/06/2026 10:00;05/06/2026 11:00", "INC-2;b;13/06/2026 09:00;"],
            ["2026-06-05T10:00:00Z", "2026-06-13T09:00:00Z"],
        ),
        # 06/13 can only be month first (a US export)
        (
            ["INC-1;a;05/06/2026 10:00;", "INC-2;b;06/13/2026 09:00;"],
            ["2026-05-06T10:00:00Z", "2026-06-13T09:00:00Z"],
        ),
    ],
)
def test_local_date_formats_are_read_the_way_the_file_writes_them(
    plan_file: Path, tmp_path: Path, rows: list[str], detected: list[str]
) -> None:
    f = tmp_path / "export.csv"
    f.write_bytes(("\ufeffKey;Summary;Created;Resolved\n" + "\n".join(rows) + "\n").encode())
    code, out, err = run(
        "--plan", str(plan_file), "import", "incidents", str(f), "--timezone", "UTC", "--json"
    )
    assert code == 0, err
    assert [i["detected_at"] for i in json.loads(out)["incidents"]] == detected


@pytest.mark.parametrize(
    "encoding, sep",
    [("cp1252", ";"), ("utf-16", "\t"), ("utf-8-sig", ",")],
    ids=["excel-csv-windows", "excel-unicode-text", "utf8-bom"],
)
def test_excel_saved_exports_are_read_in_their_encoding(
    plan_file: Path, tmp_path: Path, encoding: str, sep: str
) -> None:
    f = tmp_path / "export.csv"
    rows = [["Key", "Summary", "Created"], ["INC-9", "Störung Zahlung", "2026-05-01 10:30"]]
    f.write_bytes("\n".join(sep.join(r) for r in rows).encode(encoding))
    code, out, err = run(
        "--plan", str(plan_file), "import", "incidents", str(f), "--timezone", "UTC", "--json"
    )
    assert code == 0, err
    assert [(i["key"], i["title"]) for i in json.loads(out)["incidents"]] == [
        ("INC-9", "Störung Zahlung")
    ]
