"""Pipelines as deployment evidence: `relman import pipeline`, `relman deployment start|finish`
and `relman approve`, as a CI job would call them."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from helpers_builders import make_person  # tests/ is on sys.path under pytest
from sqlalchemy import func, select

from relman_desktop.cli import main
from relman_desktop.models.database import open_database
from relman_desktop.models.entities import AuditEvent, Deployment
from relman_desktop.services import approvals, releases
from relman_desktop.services.base import Ctx

# Checks of the file's content, refused before any write: the plan file is enough (conftest.py)
FILE_ONLY_TESTS = {
    "test_a_file_of_another_shape_is_refused",
}

PIPELINES = Path(__file__).parent / "fixtures" / "pipelines"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def plan_file(ctx: Ctx) -> str:
    """The plan the importer writes into: a file, or a server URL (both engines)."""
    releases.create_release(
        ctx, {"key": "REL-1", "title": "Billing 2.4", "type": "minor", "version": "2.4.0"}
    )
    make_person(ctx, "ana@example.com")
    make_person(ctx, "bo@example.com")
    approvals.add_stage(ctx, "REL-1", "CAB", "all", ["ana@example.com", "bo@example.com"])
    ctx.plan.close()
    return ctx.plan.location


def deployments(plan_path: Path) -> list[tuple]:
    plan = open_database(plan_path)
    try:
        with plan.read() as s:
            return [
                (
                    d.environment,
                    d.started_at,
                    d.finished_at,
                    d.outcome.value if d.outcome else None,
                    d.url,
                    d.source,
                )
                for d in s.execute(select(Deployment).order_by(Deployment.id)).scalars()
            ]
    finally:
        plan.close()


def audit_count(plan_path: Path) -> int:
    plan = open_database(plan_path)
    try:
        with plan.read() as s:
            return s.execute(select(func.count(AuditEvent.id))).scalar_one()
    finally:
        plan.close()


def test_a_jenkins_build_becomes_a_production_deployment(plan_file: Path) -> None:
    code, out, err = run(
        "--plan",
        str(plan_file),
        "import",
        "pipeline",
        str(PIPELINES / "jenkins_build.json"),
        "--release",
        "REL-1",
    )
    assert code == 0, err
    start = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    assert deployments(plan_file) == [
        (
            "production",
            start,
            start + dt.timedelta(milliseconds=754321),
            "success",
            "https://jenkins.example.com/job/billing/job/deploy/42/",
            "Jenkins billing » deploy #42",
        )
    ]


def test_a_github_run_takes_its_environment_from_the_deploy_job(plan_file: Path) -> None:
    code, out, err = run(
        "--plan",
        str(plan_file),
        "import",
        "pipeline",
        str(PIPELINES / "github_run.json"),
        "--release",
        "REL-1",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["run"]["run_id"] == "github:12817263541:1"
    assert (data["run"]["environment"], data["run"]["outcome"]) == ("production", "failed")
    assert data["run"]["finished_at"] == "2026-12-01T22:19:02Z"  # the last job's end
    assert data["deployment_id"] is not None


def test_a_running_gitlab_pipeline_is_updated_when_imported_finished(
    plan_file: Path, tmp_path: Path
) -> None:
    args = ("--plan", str(plan_file), "import", "pipeline")
    code, _, err = run(
        *args, str(PIPELINES / "gitlab_pipeline.json"), "--release", "REL-1", "--env", "staging"
    )
    assert code == 0, err
    assert deployments(plan_file)[0][2:4] == (None, None)  # still running: no finish, no outcome
    finished = json.loads((PIPELINES / "gitlab_pipeline.json").read_text())
    finished.update(status="success", finished_at="2026-12-02T10:12:30.000Z", duration=748)
    later = tmp_path / "pipeline.json"
    later.write_text(json.dumps(finished))
    code, out, _ = run(*args, str(later), "--release", "REL-1", "--env", "staging")
    assert code == 0 and "update  deployment" in out
    rows = deployments(plan_file)
    assert len(rows) == 1
    assert rows[0][2:4] == (dt.datetime(2026, 12, 2, 10, 12, 30, tzinfo=dt.UTC), "success")


def test_a_snapshot_saved_while_running_does_not_undo_the_finished_run(
    plan_file: Path, tmp_path: Path
) -> None:
    args = ("--plan", str(plan_file), "import", "pipeline")
    finished = json.loads((PIPELINES / "gitlab_pipeline.json").read_text())
    finished.update(status="success", finished_at="2026-12-02T10:12:30.000Z", duration=748)
    later = tmp_path / "pipeline.json"
    later.write_text(json.dumps(finished))
    code, _, err = run(*args, str(later), "--release", "REL-1", "--env", "staging")
    assert code == 0, err
    before = audit_count(plan_file)
    # the earlier, running snapshot is imported last (files copied out of order)
    code, out, err = run(
        *args, str(PIPELINES / "gitlab_pipeline.json"), "--release", "REL-1", "--env", "staging"
    )
    assert code == 0, err
    assert "has finished already" in out
    assert deployments(plan_file)[0][2:4] == (
        dt.datetime(2026, 12, 2, 10, 12, 30, tzinfo=dt.UTC),
        "success",
    )
    assert audit_count(plan_file) == before


def test_importing_the_same_run_again_changes_nothing(plan_file: Path) -> None:
    args = (
        "--plan",
        str(plan_file),
        "import",
        "pipeline",
        str(PIPELINES / "jenkins_build.json"),
        "--release",
        "REL-1",
    )
    assert run(*args)[0] == 0
    before = audit_count(plan_file)
    code, out, _ = run(*args)
    assert code == 0 and "already imported" in out
    assert audit_count(plan_file) == before and len(deployments(plan_file)) == 1


def test_a_run_without_an_environment_is_a_build(plan_file: Path, tmp_path: Path) -> None:
    data = json.loads((PIPELINES / "jenkins_build.json").read_text())
    data["actions"] = []
    f = tmp_path / "build.json"
    f.write_text(json.dumps(data))
    code, out, _ = run(
        "--plan", str(plan_file), "import", "pipeline", str(f), "--release", "REL-1", "--dry-run"
    )
    assert code == 0 and "recorded as a build" in out and "dry run: nothing was written" in out
    assert deployments(plan_file) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"name": "x", "count": 3}', "JSON of another shape"),
        ("[1, 2]", "a JSON list, not a pipeline run"),
        ('{"_class": "hudson.model.FreeStyleBuild", "number": 1', "not JSON (line 1"),
        ("<xml/>", "not JSON"),
    ],
    ids=["other-shape", "list", "truncated", "xml"],
)
def test_a_file_of_another_shape_is_refused(
    plan_file: Path, tmp_path: Path, content: str, expected: str
) -> None:
    f = tmp_path / "run.json"
    f.write_text(content)
    before = audit_count(plan_file)
    code, out, err = run(
        "--plan", str(plan_file), "import", "pipeline", str(f), "--release", "REL-1"
    )
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"relman: {f}: ") and expected in err
    assert audit_count(plan_file) == before


def test_an_unknown_release_is_refused(plan_file: Path) -> None:
    assert run(
        "--plan",
        str(plan_file),
        "import",
        "pipeline",
        str(PIPELINES / "jenkins_build.json"),
        "--release",
        "REL-404",
    ) == (2, "", "relman: no release 'REL-404' in this plan\n")


def test_deployment_start_then_finish(plan_file: Path) -> None:
    code, out, err = run(
        "--plan",
        str(plan_file),
        "deployment",
        "start",
        "REL-1",
        "--env",
        "production",
        "--at",
        "2026-12-05T22:00:00Z",
        "--url",
        "https://ci.example.com/run/7",
        "--json",
    )
    assert code == 0, err
    started = json.loads(out)
    assert (started["environment"], started["started_at"], started["outcome"]) == (
        "production",
        "2026-12-05T22:00:00Z",
        None,
    )
    code, out, err = run(
        "--plan",
        str(plan_file),
        "deployment",
        "finish",
        "REL-1",
        "--outcome",
        "rolled_back",
        "--at",
        "2026-12-05T22:40:00+00:00",
    )
    assert code == 0, err
    assert out == f"REL-1 deployment #{started['id']} to production finished: rolled_back\n"
    assert deployments(plan_file) == [
        (
            "production",
            dt.datetime(2026, 12, 5, 22, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 5, 22, 40, tzinfo=dt.UTC),
            "rolled_back",
            "https://ci.example.com/run/7",
            "relman cli",
        )
    ]


def test_deployment_steps_out_of_order_are_refused(plan_file: Path) -> None:
    assert run(
        "--plan", str(plan_file), "deployment", "finish", "REL-1", "--outcome", "success"
    ) == (
        2,
        "",
        "relman: REL-1 has no deployment in progress; start one with: relman deployment start REL-1 "
        "--env NAME\n",
    )
    assert (
        run(
            "--plan",
            str(plan_file),
            "deployment",
            "start",
            "REL-1",
            "--env",
            "production",
            "--at",
            "2026-12-05T22:00:00Z",
        )[0]
        == 0
    )
    code, _, err = run(
        "--plan", str(plan_file), "deployment", "start", "REL-1", "--env", "production"
    )
    assert code == 2 and "already being deployed to production" in err
    code, _, err = run(
        "--plan",
        str(plan_file),
        "deployment",
        "finish",
        "REL-1",
        "--outcome",
        "success",
        "--at",
        "2026-12-05T21:00:00Z",
    )
    assert code == 2 and "before started" in err
    code, _, err = run(
        "--plan", str(plan_file), "deployment", "start", "REL-1", "--env", "qa", "--at", "tomorrow"
    )
    assert (code, err) == (2, "relman: --at: 'tomorrow' is not an ISO 8601 date and time\n")


def test_approve_records_the_decision_and_is_audited(plan_file: Path) -> None:
    before = audit_count(plan_file)
    code, out, err = run(
        "--plan",
        str(plan_file),
        "--actor",
        "ci-bot",
        "approve",
        "REL-1",
        "--stage",
        "CAB",
        "--as",
        "ana@example.com",
        "--comment",
        "tests green",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out) == {
        "release": "REL-1",
        "stage": "CAB",
        "approver": "ana@example.com",
        "decision": "approved",
        "comment": "tests green",
        "stage_status": "pending",
    }
    code, out, _ = run(
        "--plan", str(plan_file), "approve", "REL-1", "--stage", "CAB", "--as", "bo@example.com"
    )
    assert out == "bo@example.com approved stage CAB of REL-1; the stage is approved\n"
    assert audit_count(plan_file) > before


def test_approve_by_someone_who_is_no_approver_is_refused(plan_file: Path) -> None:
    assert run(
        "--plan", str(plan_file), "approve", "REL-1", "--stage", "CAB", "--as", "eve@example.com"
    ) == (2, "", "relman: eve@example.com is not an approver of stage 'CAB' of REL-1\n")
    code, _, err = run(
        "--plan",
        str(plan_file),
        "approve",
        "REL-1",
        "--stage",
        "CAB",
        "--as",
        "ana@example.com",
        "--decision",
        "rejected",
    )
    assert code == 2 and err.startswith("relman: Comment: a comment is required")


def test_approve_of_a_stage_the_release_has_not_names_its_stages(plan_file: Path) -> None:
    before = audit_count(plan_file)
    assert run(
        "--plan", str(plan_file), "approve", "REL-1", "--stage", "cab", "--as", "ana@example.com"
    ) == (2, "", "relman: REL-1 has no approval stage 'cab' (its stages: CAB)\n")
    assert audit_count(plan_file) == before


def test_a_test_job_does_not_make_a_run_a_deployment_to_test(
    plan_file: Path, tmp_path: Path
) -> None:
    data = json.loads((PIPELINES / "github_run.json").read_text())
    data["workflowName"] = data["name"] = data["displayTitle"] = "CI"
    data["jobs"] = [dict(data["jobs"][0], name="unit test"), dict(data["jobs"][0], name="lint")]
    ci = tmp_path / "ci.json"
    ci.write_text(json.dumps(data))
    code, out, _ = run(
        "--plan", str(plan_file), "import", "pipeline", str(ci), "--release", "REL-1", "--json"
    )
    assert code == 0 and json.loads(out)["run"]["environment"] is None  # a build, not a deployment
    data["jobs"].append(dict(data["jobs"][0], name="Deploy to staging"))
    ci.write_text(json.dumps(data))
    code, out, _ = run(
        "--plan",
        str(plan_file),
        "import",
        "pipeline",
        str(ci),
        "--release",
        "REL-1",
        "--json",
        "--dry-run",
    )
    assert json.loads(out)["run"]["environment"] == "staging"


@pytest.mark.parametrize(
    "tool, change, note",
    [
        ("gitlab_pipeline.json", {"status": "canceled"}, "the pipeline was canceled"),
        ("jenkins_build.json", {"result": "ABORTED", "building": False}, "the build was aborted"),
    ],
)
def test_a_stopped_run_says_why_it_is_recorded_as_failed(
    plan_file: Path, tmp_path: Path, tool: str, change: dict, note: str
) -> None:
    data = json.loads((PIPELINES / tool).read_text())
    data.update(change)
    f = tmp_path / tool
    f.write_text(json.dumps(data))
    code, out, err = run(
        "--plan", str(plan_file), "import", "pipeline", str(f), "--release", "REL-1", "--json"
    )
    assert code == 0, err
    preview = json.loads(out)
    assert preview["run"]["outcome"] == "failed"
    assert any(note in w for w in preview["warnings"])
