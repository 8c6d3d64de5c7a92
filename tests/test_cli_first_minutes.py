"""Issue 16 through the command line: automatic change keys and natural key order."""

from __future__ import annotations

import io
import json
from pathlib import Path

from relman_desktop.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_change_add_gives_the_next_key_and_a_typed_key_overrides_it(tmp_path: Path) -> None:
    plan = str(tmp_path / "p.relman")
    assert run("--plan", plan, "init")[0] == 0
    assert run("--plan", plan, "change", "next-key") == (0, "CHG-001\n", "")
    assert run("--plan", plan, "change", "add", "--title", "Rotate keys") == (
        0,
        "CHG-001 added\n",
        "",
    )
    code, out, _ = run("--plan", plan, "change", "add", "--title", "Typed", "--key", "CHG-10")
    assert code == 0 and out == "CHG-10 added\n"
    code, out, _ = run("--plan", plan, "change", "add", "--title", "Next", "--json")
    assert json.loads(out) == {"key": "CHG-011", "title": "Next"}
    code, out, err = run("--plan", plan, "change", "add", "--title", "Dup", "--key", "CHG-10")
    assert (code, out) == (2, "") and err == (
        "relman: Key: CHG-10 is already used by another change\n"
    )
    code, out, err = run("--plan", plan, "change", "add", "--title", "  ")
    assert (code, err) == (2, "relman: Title must not be empty\n")
    code, out, _ = run("--plan", plan, "changes", "--json")
    assert [c["key"] for c in json.loads(out)] == ["CHG-001", "CHG-10", "CHG-011"]


def test_releases_and_changes_list_in_natural_key_order(tmp_path: Path) -> None:
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services import releases
    from relman_desktop.services.base import Ctx

    path = tmp_path / "n.relman"
    plan = open_plan(path, create=True)
    ctx = Ctx(plan)
    for key in ("REL-2026-5589", "REL-2026-559", "REL-2026-56", "REL-2026-1000"):
        releases.create_release(ctx, {"key": key, "title": key, "type": "minor"})
    plan.close()
    code, out, _ = run("--plan", str(path), "releases", "--json")
    assert code == 0
    assert [r["key"] for r in json.loads(out)] == [
        "REL-2026-56",
        "REL-2026-559",
        "REL-2026-1000",
        "REL-2026-5589",
    ]


def test_history_in_words_and_dates_filled_from_what_happened(tmp_path: Path) -> None:
    import datetime as dt

    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services import evidence, releases
    from relman_desktop.services.base import Ctx

    plan_path = tmp_path / "demo.relman"
    plan = str(plan_path)
    assert run("--plan", plan, "demo")[0] == 0
    code, out, _ = run("--plan", plan, "show", "REL-2026-028", "--json")
    before = json.loads(out)
    assert (before["status"], before["actual_end"]) == ("Approved", None)

    assert run("--plan", plan, "--actor", "ana", "transition", "REL-2026-028", "Deploying")[0] == 0
    code, _, err = run(
        "--plan", plan, "--actor", "ana", "transition", "REL-2026-028", "Deployed",
        "--reason", "deployed by the pipeline; task list late",
    )  # fmt: skip
    assert code == 0, err
    shown = json.loads(run("--plan", plan, "show", "REL-2026-028", "--json")[1])
    assert shown["actual_end"] == dt.date.today().isoformat()  # filled from the move
    assert shown["actual_start"] == before["actual_start"]  # a date already there is kept

    code, out, _ = run("--plan", plan, "audit", "log", "--release", "REL-2026-028", "--words")
    lines = out.splitlines()
    assert lines[-1].endswith("ana moved REL-2026-028 from Approved to Deploying")
    overrides = [line for line in lines if "OVERRIDE:" in line]
    assert overrides and all("deployed by the pipeline" in line for line in overrides)
    assert any("ana moved REL-2026-028 from Deploying to Deployed" in line for line in overrides)
    assert any(
        line.endswith(f"Actual end recorded: {dt.date.today()} (moved to Deployed)")
        for line in lines
    )
    # the plain log is unchanged for scripts that read it
    plain = run("--plan", plan, "audit", "log", "--release", "REL-2026-028")[1]
    assert "OVERRIDE" not in plain and "moved release REL-2026-028 to Deployed" in plain

    # Closing stamps the review's "Closed at" when nobody typed it
    ctx = Ctx(open_plan(plan_path))
    evidence.record_review(ctx, "REL-2026-025", "successful")
    assert evidence.get_review(ctx, "REL-2026-025")["closed_at"] is None
    ctx.plan.close()
    code, _, err = run(
        "--plan", plan, "transition", "REL-2026-025", "Closed", "--reason", "review done offline"
    )
    assert code == 0, err
    ctx = Ctx(open_plan(plan_path))
    closed_at = evidence.get_review(ctx, "REL-2026-025")["closed_at"]
    assert closed_at is not None and closed_at.date() == dt.datetime.now(dt.UTC).date()
    assert releases.get_release(ctx, "REL-2026-025").status == "Closed"
    ctx.plan.close()


def test_an_approval_reads_as_who_approved_which_stage(tmp_path: Path) -> None:
    from relman_desktop.models.entities import Person
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services import approvals, releases
    from relman_desktop.services.base import Ctx

    path = tmp_path / "a.relman"
    plan = open_plan(path, create=True)
    with plan.write() as s:
        s.add(Person(email="carol@example.com", name="Carol Checker", roles=[]))
    ctx = Ctx(plan)
    releases.create_release(ctx, {"key": "REL-2026-014", "title": "T", "type": "minor"})
    approvals.add_stage(ctx, "REL-2026-014", "CAB", approvers=["carol@example.com"])
    plan.close()
    code, _, err = run(
        "--plan", str(path), "approve", "REL-2026-014", "--stage", "CAB",
        "--as", "carol@example.com",
    )  # fmt: skip
    assert code == 0, err
    out = run("--plan", str(path), "audit", "log", "--release", "REL-2026-014", "--words")[1]
    assert "Carol Checker approved the CAB stage" in out
    assert "The CAB stage is now approved" in out
