"""Imported toolchain evidence survives the plan JSON format: export, import into a new plan,
export again gives the same document, and the evidence is in it."""

from __future__ import annotations

import io
import json
from pathlib import Path

from git_repos import billing_repo  # tests/ is on sys.path under pytest
from jsonschema import Draft202012Validator

from relman_desktop.cli import main
from relman_desktop.exports.plan_json import export_plan
from relman_desktop.importers.plan_json import import_plan, load_schema
from relman_desktop.models.planfile import open_plan
from relman_desktop.services import releases
from relman_desktop.services.base import Ctx

HERE = Path(__file__).parent
CORPUS = Path("/work/shared/corpus/junit")
if not CORPUS.is_dir():
    CORPUS = HERE.parents[1] / "shared" / "corpus" / "junit"


def run(*argv: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(list(argv), out=out, err=err) == 0, err.getvalue()


def test_evidence_round_trips_through_the_plan_format(
    ctx: Ctx, plan_path: Path, tmp_path: Path
) -> None:
    releases.create_release(
        ctx,
        {
            "key": "REL-1",
            "title": "Billing 1.1",
            "type": "minor",
            "version": "1.1.0",
            "application": "Billing",
        },
    )
    ctx.plan.close()
    p = str(plan_path)
    repo = billing_repo(tmp_path / "repo")
    run("--plan", p, "import", "git", str(repo.repo.workdir), "--release", "REL-1")
    run("--plan", p, "import", "tests", str(CORPUS / "pytest_junitxml.xml"), "--release", "REL-1")
    run(
        "--plan",
        p,
        "import",
        "pipeline",
        str(HERE / "fixtures" / "pipelines" / "github_run.json"),
        "--release",
        "REL-1",
    )
    run(
        "--plan",
        p,
        "import",
        "incidents",
        str(HERE / "fixtures" / "incidents" / "servicenow_incidents.csv"),
        "--release",
        "REL-1",
    )

    plan = open_plan(plan_path)
    try:
        first = export_plan(Ctx(plan))
    finally:
        plan.close()
    assert not list(Draft202012Validator(load_schema()).iter_errors(first))
    rel = next(r for r in first["releases"] if r["key"] == "REL-1")
    assert rel["commits"] == {
        "range": "v1.0.0..v1.1.0",
        "count": 7,
        "authors": ["Alice Adams", "Bob Brown", "Carol Chen", "Dave Diaz"],
    }
    run0 = rel["test_runs"][0]
    assert [f["full_name"] for f in run0["failures"]] == [
        "tests.test_lib.test_always_fail",
        "tests.test_lib.test_error",
    ]
    assert len(run0["source_sha256"]) == 64 and "tests=15" in run0["note"]
    dep = rel["deployments"][0]
    assert dep["url"] == "https://github.com/acme/billing/actions/runs/12817263541"
    assert [i["key"] for i in dep["incident_records"]] == [
        "INC0010001",
        "INC0010003",
        "INC0010002",
    ]  # by detection

    other = Ctx(open_plan(tmp_path / "copy.relman", create=True), actor="t")
    try:
        summary = import_plan(other, json.loads(json.dumps(first)))
        assert summary["incidents"] == 3
        assert export_plan(other) == first
    finally:
        other.plan.close()
