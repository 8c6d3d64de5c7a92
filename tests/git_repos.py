"""Git repositories with known commits and tags, built with pygit2 for the import tests and
the benchmark (no git program needed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pygit2

BASE = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)
PEOPLE = {
    "alice": ("Alice Adams", "alice@example.com"),
    "bob": ("Bob Brown", "bob@example.com"),
    "carol": ("Carol Chen", "carol@example.com"),
    "dave": ("Dave Diaz", "dave@example.com"),
    "bot": ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
}


class RepoBuilder:
    def __init__(self, path: Path) -> None:
        self.repo = pygit2.init_repository(str(path), initial_head="main")
        self.hours = 0
        self.shas: dict[str, str] = {}

    def sign(self, who: str) -> pygit2.Signature:
        name, email = PEOPLE[who]
        self.hours += 1
        when = BASE + dt.timedelta(hours=self.hours)
        return pygit2.Signature(name, email, int(when.timestamp()), 0)

    def commit(
        self,
        label: str,
        message: str,
        who: str = "alice",
        parents: list[str] | None = None,
        ref: str | None = "HEAD",
    ) -> str:
        blob = self.repo.create_blob(f"{label}\n".encode())
        builder = self.repo.TreeBuilder()
        builder.insert(f"{label}.txt", blob, pygit2.enums.FileMode.BLOB)
        tree = builder.write()
        if parents is None:
            parents = [] if self.repo.head_is_unborn else [str(self.repo.head.target)]
        sig = self.sign(who)
        oid = self.repo.create_commit(
            ref, sig, sig, message, tree, [pygit2.Oid(hex=p) for p in parents]
        )
        self.shas[label] = str(oid)
        return str(oid)

    def tag(self, name: str, sha: str, *, annotated: bool) -> None:
        if annotated:
            self.repo.create_tag(
                name,
                pygit2.Oid(hex=sha),
                pygit2.enums.ObjectType.COMMIT,
                self.sign("alice"),
                f"Release {name}\n",
            )
        else:
            self.repo.references.create(f"refs/tags/{name}", pygit2.Oid(hex=sha))

    def when(self, label: str) -> dt.datetime:
        c = self.repo[pygit2.Oid(hex=self.shas[label])]
        return dt.datetime.fromtimestamp(c.commit_time, dt.UTC)


def billing_repo(path: Path) -> RepoBuilder:
    """v1.0.0 (lightweight) .. v1.1.0 (annotated) .. HEAD, with the commits the tests count:

    in v1.0.0..v1.1.0, merges and bots left out: feat-pay, fix-round, pay-again, chg7, refactor,
    side, breaking = 7 commits by Alice, Bob, Carol and Dave. After v1.1.0: docs."""
    b = RepoBuilder(path)
    b.commit("init", "Initial commit\n")
    b.tag("v1.0.0", b.shas["init"], annotated=False)
    b.commit("feat-pay", "feat(api): add invoice export PAY-12\n\nLets finance export invoices.\n")
    b.commit("fix-round", "fix: rounding of totals\n", who="bob")
    b.commit("pay-again", "PAY-12 handle empty invoices\n", who="bob")
    b.commit("chg7", "Tighten TLS configuration (CHG-7)\n", who="carol")
    b.commit("deps", "chore(deps): bump lxml from 5.1 to 5.2\n", who="bot")
    b.commit("refactor", "refactor: tidy the invoice module\n")
    main_tip = b.shas["refactor"]
    b.commit("side", "fix: null check in the exporter\n", who="dave", parents=[main_tip], ref=None)
    b.commit("merge", "Merge branch 'null-check'\n", parents=[main_tip, b.shas["side"]])
    b.commit("breaking", "feat!: drop the v1 invoice API\n", who="carol")
    b.tag("v1.1.0", b.shas["breaking"], annotated=True)
    b.commit("docs", "docs: explain invoice export\n")
    return b


def long_repo(path: Path, commits: int) -> RepoBuilder:
    """``commits`` linear commits, every third naming an issue, the others Conventional Commits."""
    b = RepoBuilder(path)
    kinds = [
        "feat: add report {i}",
        "fix: correct total {i}",
        "PAY-{i} adjust export",
        "chore: tidy {i}",
    ]
    for i in range(commits):
        b.commit(
            f"c{i}", kinds[i % len(kinds)].format(i=i) + "\n", who=("alice", "bob", "carol")[i % 3]
        )
    return b
