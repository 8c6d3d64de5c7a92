"""`relman import git`: repositories built here with known commits and tags."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from git_repos import billing_repo  # tests/ is on sys.path under pytest
from sqlalchemy import func, select

from relman_desktop.cli import main
from relman_desktop.models.database import open_database
from relman_desktop.models.entities import AuditEvent, Change, Release
from relman_desktop.services import changes, releases
from relman_desktop.services.base import Ctx

# Checks of the file's content, refused before any write: the plan file is enough (conftest.py)
FILE_ONLY_TESTS = {
    "test_an_empty_repository_says_it_has_no_commits",
    "test_bad_revisions_are_refused",
}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def plan_file(ctx: Ctx) -> str:
    """The plan the importer writes into: a file, or a server URL (both engines)."""
    releases.create_release(
        ctx, {"key": "REL-1", "title": "Billing 1.1", "type": "minor", "version": "1.1.0"}
    )
    changes.create_change(
        ctx, {"key": "CHG-7", "title": "TLS hardening", "type": "normal", "category": "security"}
    )
    ctx.plan.close()
    return ctx.plan.location


@pytest.fixture
def repo(tmp_path: Path):
    return billing_repo(tmp_path / "billing")


def read(plan_path: Path, fn):
    plan = open_database(plan_path)
    try:
        with plan.read() as s:
            return fn(s)
    finally:
        plan.close()


def audit_count(plan_path: Path) -> int:
    return read(plan_path, lambda s: s.execute(select(func.count(AuditEvent.id))).scalar_one())


def test_default_range_is_the_previous_version_tag_to_the_releases_tag(
    plan_file: Path, repo
) -> None:
    code, out, err = run(
        "--plan", str(plan_file), "import", "git", str(repo.repo.workdir), "--release", "REL-1"
    )
    assert code == 0, err
    rel = read(
        plan_file, lambda s: s.execute(select(Release).where(Release.key == "REL-1")).scalar_one()
    )
    assert rel.commit_range == "v1.0.0..v1.1.0"
    # merges and the bot left out; the side-branch commit counted; the docs commit after v1.1.0 not
    assert rel.commit_count == 7
    assert rel.commit_authors == ["Alice Adams", "Bob Brown", "Carol Chen", "Dave Diaz"]


def test_a_lower_case_key_does_not_move_the_numbering_on_either_engine(plan_file, repo) -> None:
    """Draft changes number on after the highest CHG-n; a change keyed "chg-40" (the plan
    keeps keys as typed) is not one of them — SQLite's LIKE ignores case, PostgreSQL's not."""
    plan = open_database(plan_file)
    try:
        changes.create_change(
            Ctx(plan, actor="tester"),
            {"key": "chg-40", "title": "typed by hand", "type": "normal", "category": "fix"},
        )
    finally:
        plan.close()
    code, _out, err = run(
        "--plan", str(plan_file), "import", "git", str(repo.repo.workdir), "--release", "REL-1"
    )
    assert code == 0, err
    keys = read(plan_file, lambda s: set(s.execute(select(Change.key)).scalars()))
    assert {"CHG-8", "CHG-9", "chg-40"} <= keys and "CHG-41" not in keys


def test_commits_become_draft_changes_or_attach_to_named_ones(plan_file: Path, repo) -> None:
    run("--plan", str(plan_file), "import", "git", str(repo.repo.workdir), "--release", "REL-1")
    rows = read(
        plan_file,
        lambda s: {
            c.key: (
                c.title,
                c.category.value,
                c.approval.value,
                c.release_note,
                c.external_ref,
                c.release.key if c.release else None,
                c.created_at,
                c.risk.value,
            )
            for c in s.execute(select(Change)).scalars()
        },
    )
    assert rows["CHG-8"][:6] == (
        "add invoice export PAY-12",
        "feature",
        "pending",
        "add invoice export PAY-12",
        "PAY-12",
        "REL-1",
    )
    assert rows["CHG-8"][6] == repo.when("feat-pay")  # its first commit: lead time starts there
    assert rows["CHG-9"][:2] == ("rounding of totals", "fix")
    assert rows["CHG-9"][4] == repo.shas["fix-round"][:12]
    assert rows["CHG-10"][:2] == ("null check in the exporter", "fix")
    assert (
        rows["CHG-11"][:2] == ("drop the v1 invoice API", "feature") and rows["CHG-11"][7] == "high"
    )
    # CHG-7 existed: its commit attaches (committed time set), it keeps its title and category
    assert rows["CHG-7"][:2] == ("TLS hardening", "security") and rows["CHG-7"][6] == repo.when(
        "chg7"
    )
    assert sorted(rows) == [
        "CHG-10",
        "CHG-11",
        "CHG-7",
        "CHG-8",
        "CHG-9",
    ]  # no change from PAY-12's 2nd commit


def test_importing_again_changes_nothing(plan_file: Path, repo) -> None:
    args = ("--plan", str(plan_file), "import", "git", str(repo.repo.workdir), "--release", "REL-1")
    assert run(*args)[0] == 0
    before = audit_count(plan_file)
    code, out, _ = run(*args, "--json")
    data = json.loads(out)
    assert code == 0 and data["counts"]["create"] == 0 and data["counts"]["update"] == 0
    assert audit_count(plan_file) == before


def test_dry_run_shows_the_preview_and_writes_nothing(plan_file: Path, repo) -> None:
    before = audit_count(plan_file)
    code, out, _ = run(
        "--plan",
        str(plan_file),
        "import",
        "git",
        str(repo.repo.workdir),
        "--release",
        "REL-1",
        "--dry-run",
        "--json",
    )
    assert code == 0 and audit_count(plan_file) == before
    data = json.loads(out)
    assert data["dry_run"] is True and data["range"] == "v1.0.0..v1.1.0" and data["commits"] == 7
    skipped = {r["title"]: r["reason"] for r in data["rows"] if r["action"] == "skip"}
    assert skipped["Merge branch 'null-check'"] == "merge commit"
    assert skipped["chore(deps): bump lxml from 5.1 to 5.2"] == "bot (dependabot[bot])"
    assert skipped["refactor: tidy the invoice module"] == "refactor: not release-note material"
    assert [c["key"] for c in data["changes"]] == ["CHG-8", "CHG-9", "CHG-7", "CHG-10", "CHG-11"]


def test_an_explicit_range_and_merges_on_request(plan_file: Path, repo) -> None:
    code, out, _ = run(
        "--plan",
        str(plan_file),
        "import",
        "git",
        str(repo.repo.workdir),
        "--release",
        "REL-1",
        "--from",
        "v1.1.0",
        "--to",
        "HEAD",
        "--json",
    )
    data = json.loads(out)
    assert code == 0 and data["range"] == "v1.1.0..HEAD" and data["commits"] == 1
    assert [(c["title"], c["category"]) for c in data["changes"]] == [
        ("explain invoice export", "documentation")
    ]
    code, out, _ = run(
        "--plan",
        str(plan_file),
        "import",
        "git",
        str(repo.repo.workdir),
        "--release",
        "REL-1",
        "--from",
        "v1.0.0",
        "--to",
        "v1.1.0",
        "--include-merges",
        "--include-bots",
        "--dry-run",
        "--json",
    )
    assert json.loads(out)["commits"] == 9


def test_a_custom_change_pattern(plan_file: Path, tmp_path: Path) -> None:
    from git_repos import RepoBuilder

    b = RepoBuilder(tmp_path / "r")
    b.commit("a", "Initial\n")
    b.commit("b", "Rotate keys per RFC#42\n")
    code, out, _ = run(
        "--plan",
        str(plan_file),
        "import",
        "git",
        str(tmp_path / "r"),
        "--release",
        "REL-1",
        "--change-pattern",
        r"RFC#\d+",
        "--dry-run",
        "--json",
    )
    data = json.loads(out)
    assert code == 0 and [c["key"] for c in data["changes"]] == ["RFC#42"]


def test_tags_propose_one_release_per_version_tag(plan_file: Path, repo) -> None:
    code, out, err = run(
        "--plan", str(plan_file), "import", "git", str(repo.repo.workdir), "--tags", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert [(r["action"], r["key"]) for r in data["rows"]] == [
        ("create", "REL-1.0.0"),
        ("skip", "REL-1.1.0"),
    ]
    assert data["rows"][1]["reason"] == "REL-1 has version 1.1.0 already"
    assert data["created"] == ["REL-1.0.0"]
    new = data["releases"][0]
    assert (new["version"], new["tag"], new["annotated"], new["type"]) == (
        "1.0.0",
        "v1.0.0",
        False,
        "major",
    )
    assert new["actual_end"] == repo.when("init").date().isoformat()
    again = json.loads(
        run("--plan", str(plan_file), "import", "git", str(repo.repo.workdir), "--tags", "--json")[
            1
        ]
    )
    assert again["counts"] == {"create": 0, "update": 0, "skip": 2}


def test_tags_on_an_empty_plan_propose_both_with_dates(tmp_path: Path, repo) -> None:
    plan = tmp_path / "p.relman"
    run("--plan", str(plan), "init")
    code, out, _ = run(
        "--plan",
        str(plan),
        "import",
        "git",
        str(repo.repo.workdir),
        "--tags",
        "--json",
        "--application",
        "Billing",
    )
    data = json.loads(out)
    second = data["releases"][1]
    assert (second["key"], second["title"], second["type"], second["annotated"]) == (
        "REL-1.1.0",
        "Billing 1.1.0",
        "minor",
        True,
    )
    assert second["commit_range"] == "v1.0.0..v1.1.0" and second["commit_count"] == 7


def test_a_bundle_reads_like_the_repository(plan_file: Path, repo, tmp_path: Path) -> None:
    bundle = tmp_path / "billing.bundle"
    subprocess.run(
        ["git", "-C", str(repo.repo.workdir), "bundle", "create", str(bundle), "--all"],
        check=True,
        capture_output=True,
    )
    code, out, err = run(
        "--plan", str(plan_file), "import", "git", str(bundle), "--release", "REL-1", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["commits"] == 7


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--from", "v9.9.9"], "relman: {repo}: revision 'v9.9.9' does not exist\n"),
        (["--to", "no-such-branch"], "relman: {repo}: revision 'no-such-branch' does not exist\n"),
        (["--change-pattern", "CHG-(("], None),
    ],
    ids=["bad-from", "bad-to", "bad-pattern"],
)
def test_bad_revisions_are_refused(
    plan_file: Path, repo, extra: list[str], expected: str | None
) -> None:
    before = audit_count(plan_file)
    path = str(repo.repo.workdir).rstrip("/")
    code, out, err = run(
        "--plan", str(plan_file), "import", "git", path, "--release", "REL-1", *extra
    )
    assert code == 2 and out == "" and err.count("\n") == 1
    if expected:
        assert err == expected.format(repo=path)
    else:
        assert err.startswith("relman: --change-pattern: 'CHG-((' is not a valid pattern")
    assert audit_count(plan_file) == before


def test_not_a_repository_and_unknown_release_are_refused(
    plan_file: Path, repo, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (tmp_path / "notes.txt").write_text("hello")
    before = audit_count(plan_file)
    assert run("--plan", str(plan_file), "import", "git", str(plain), "--release", "REL-1") == (
        2,
        "",
        f"relman: {plain}: not a git repository\n",
    )
    assert run(
        "--plan", str(plan_file), "import", "git", str(tmp_path / "notes.txt"), "--release", "REL-1"
    ) == (2, "", f"relman: {tmp_path / 'notes.txt'}: not a git repository or bundle\n")
    assert run(
        "--plan", str(plan_file), "import", "git", str(repo.repo.workdir), "--release", "REL-9"
    ) == (2, "", "relman: no release 'REL-9' in this plan\n")
    assert audit_count(plan_file) == before


def test_standards_shaped_like_issue_keys_are_no_issues(plan_file: Path, tmp_path: Path) -> None:
    from git_repos import RepoBuilder

    b = RepoBuilder(tmp_path / "r")
    b.commit("a", "Initial\n")
    b.commit("b", "fix: read UTF-8 file names\n")
    b.commit("c", "fix: verify SHA-256 sums\n")
    b.commit("d", "Store dates as ISO-8601\n")
    code, out, _ = run(
        "--plan",
        str(plan_file),
        "import",
        "git",
        str(tmp_path / "r"),
        "--release",
        "REL-1",
        "--dry-run",
        "--json",
    )
    data = json.loads(out)
    # two separate fixes (not one change for "UTF-8"), and the ISO commit is neither issue nor type
    assert [(c["title"], c["external_ref"]) for c in data["changes"]] == [
        ("read UTF-8 file names", b.shas["b"][:12]),
        ("verify SHA-256 sums", b.shas["c"][:12]),
    ]


def rc_repo(path: Path):
    """1.1.0, then two commits tagged v1.2.0-rc.1, a fix, and 1.2.0 tagged twice (v1.2.0 and
    1.2.0, as teams that changed their tag style have)."""
    from git_repos import RepoBuilder

    b = RepoBuilder(path)
    b.tag("v1.1.0", b.commit("base", "initial"), annotated=True)
    b.commit("feat", "feat: export to PDF")
    b.tag("v1.2.0-rc.1", b.commit("perf", "perf: faster export"), annotated=False)
    final = b.commit("fix", "fix: export crash found in the rc")
    b.tag("v1.2.0", final, annotated=True)
    b.tag("1.2.0", final, annotated=False)
    return b


def test_a_final_release_reaches_back_past_its_own_release_candidates(
    ctx: Ctx, plan_path: Path, tmp_path: Path
) -> None:
    releases.create_release(
        ctx, {"key": "REL-2", "title": "Billing 1.2", "type": "minor", "version": "1.2.0"}
    )
    ctx.plan.close()
    b = rc_repo(tmp_path / "rc")
    code, out, err = run(
        "--plan", str(plan_path), "import", "git", str(b.repo.workdir), "--release", "REL-2",
        "--dry-run", "--json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    # 1.2.0 follows 1.1.0: the rc's commits are part of it
    assert (data["range"], data["commits"]) == ("v1.1.0..v1.2.0", 3)


def test_tags_naming_one_version_twice_propose_one_release_typed_against_the_last_final(
    ctx: Ctx, plan_path: Path, tmp_path: Path
) -> None:
    releases.create_release(
        ctx, {"key": "REL-OLD", "title": "Billing 1.1", "type": "minor", "version": "v1.1"}
    )
    ctx.plan.close()
    b = rc_repo(tmp_path / "rc")
    code, out, err = run("--plan", str(plan_path), "import", "git", str(b.repo.workdir), "--tags")
    assert code == 0, err
    data = read(
        plan_path,
        lambda s: {
            r.key: (r.version, r.type.value, r.commit_range, r.commit_count)
            for r in s.execute(select(Release)).scalars()
        },
    )
    assert data == {
        "REL-OLD": ("v1.1", "minor", None, None),  # v1.1.0 is the same version: not twice
        "REL-1.2.0-rc.1": ("1.2.0-rc.1", "minor", "v1.1.0..v1.2.0-rc.1", 2),
        "REL-1.2.0": ("1.2.0", "minor", "v1.1.0..v1.2.0", 3),
    }
    assert "tag v1.2.0 names the same version" in out


def test_a_shallow_clone_is_refused_when_the_range_runs_into_its_cut(
    plan_file: Path, repo, tmp_path: Path
) -> None:
    # what a CI checkout holds by default: the last commits, and only the tags among them
    clone = tmp_path / "ci-checkout"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{repo.repo.workdir}", str(clone)],
        check=True,
        capture_output=True,
    )
    before = audit_count(plan_file)
    args = ("--plan", str(plan_file), "import", "git", str(clone), "--release", "REL-1")
    code, out, err = run(*args)
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"relman: {clone}: a shallow clone, and v1.1.0 (all history) reaches")
    assert audit_count(plan_file) == before
    # a range the clone holds in full is read
    code, out, err = run(*args, "--from", "v1.1.0", "--to", "HEAD", "--json")
    assert code == 0, err
    assert json.loads(out)["commits"] == 1


def test_an_empty_repository_says_it_has_no_commits(plan_file: Path, tmp_path: Path) -> None:
    import pygit2

    empty = tmp_path / "new-project"
    pygit2.init_repository(str(empty), initial_head="main")
    before = audit_count(plan_file)
    code, out, err = run(
        "--plan", str(plan_file), "import", "git", str(empty), "--release", "REL-1"
    )
    assert (code, out, err) == (2, "", f"relman: {empty}: the repository has no commits yet\n")
    assert audit_count(plan_file) == before
