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
