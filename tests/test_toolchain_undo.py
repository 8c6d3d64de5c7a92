"""Every toolchain import can be taken back as one step (the app's undo) and done again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from git_repos import billing_repo  # tests/ is on sys.path under pytest

from relman_desktop.exports.plan_json import export_plan
from relman_desktop.importers.toolchain import plan_import, run_import
from relman_desktop.services import changes, evidence, evidence_import, releases
from relman_desktop.services.base import Ctx

HERE = Path(__file__).parent
CORPUS = Path("/work/shared/corpus/junit")
if not CORPUS.is_dir():
    CORPUS = HERE.parents[1] / "shared" / "corpus" / "junit"


@pytest.fixture
def seeded(ctx: Ctx) -> Ctx:
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
    changes.create_change(
        ctx, {"key": "CHG-7", "title": "TLS hardening", "type": "normal", "category": "security"}
    )
    evidence.record_deployment(
        ctx,
        "REL-1",
        "production",
        started_at=dt.datetime(2026, 12, 1, 22, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 12, 1, 22, 30, tzinfo=dt.UTC),
        outcome="success",
    )
    return ctx


def params(kind: str, tmp_path: Path) -> dict:
    if kind in ("git", "tags"):
        return {"path": str(billing_repo(tmp_path / "repo").repo.workdir), "release": "REL-1"}
    if kind == "tests":
        return {
            "paths": [str(CORPUS / "pytest_junitxml.xml"), str(CORPUS / "nunit3_dotnet-nunit.xml")],
            "release": "REL-1",
            "kind": "regression",
        }
    if kind == "pipeline":
        return {
            "path": str(HERE / "fixtures" / "pipelines" / "jenkins_build.json"),
            "release": "REL-1",
        }
    return {"path": str(HERE / "fixtures" / "incidents" / "servicenow_incidents.csv")}


@pytest.mark.parametrize("kind", ["tests", "git", "tags", "pipeline", "incidents"])
def test_an_import_undone_leaves_the_plan_as_it_was_and_can_be_redone(
    seeded: Ctx, tmp_path: Path, kind: str
) -> None:
    p = params(kind, tmp_path)
    before = export_plan(seeded)
    receipt = run_import(seeded, kind, p)
    after = export_plan(seeded)
    assert after != before  # the import wrote something
    evidence_import.revert_import(seeded, receipt)
    assert export_plan(seeded) == before
    assert (
        plan_import(seeded, kind, p).preview.counts()["create"] > 0
    )  # nothing is remembered as imported
    run_import(seeded, kind, p)  # redo
    assert export_plan(seeded) == after
