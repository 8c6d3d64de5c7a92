"""Git history as release evidence (``relman import git``), read with pygit2 (libgit2: no git
program needed, except to unpack a bundle).

- A commit that names a change key (``CHG-1234``; the pattern is configurable) attaches to that
  change: its commit time becomes the change's committed time when earlier (lead time).
- A commit naming an issue key (``PAY-12``) or written as a Conventional Commit (``feat:``,
  ``fix(api)!:`` …) becomes a draft change of the release, in the matching category, with the
  subject as its release-note text; later commits of the same issue attach to it.
- Merge commits and bots (``dependabot[bot]``, ``renovate``…) are left out unless asked for.
- The release gets the commit range, the commit count and the authors.
- ``--tags`` proposes one release per version tag (annotated or lightweight) with its dates.

Default range: the release's version tag if there is one, from the version tag before it;
otherwise from the latest version tag below the release's version (or the latest version tag
of all) to HEAD. Commits are identified by sha: importing again changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2
from packaging.version import InvalidVersion, Version
from sqlalchemy import select

from relman_desktop.importers.preview import ImportPreview, PreviewRow
from relman_desktop.models import entities as M
from relman_desktop.models.enums import ChangeCategory
from relman_desktop.services import evidence_import
from relman_desktop.services.base import Ctx, ValidationError, release_by_key

__all__ = ["Commit", "GitImport", "plan_git_import", "plan_tag_import", "read_commits"]

DEFAULT_CHANGE_PATTERN = r"\bCHG-\d+\b"
DEFAULT_ISSUE_PATTERN = r"\b[A-Z][A-Z0-9]{1,9}-\d+\b"
BOT = re.compile(r"\[bot\]|^dependabot|^renovate|^github-actions|^greenkeeper|^snyk-bot", re.I)
CONVENTIONAL = re.compile(
    r"^(?P<type>[a-zA-Z]+)(?:\((?P<scope>[^)]*)\))?(?P<breaking>!)?:\s*(?P<text>.+)$"
)
# Conventional Commits types that make release-note material, and the change category of each.
CATEGORY_OF_TYPE = {
    "feat": ChangeCategory.FEATURE,
    "feature": ChangeCategory.FEATURE,
    "perf": ChangeCategory.FEATURE,
    "fix": ChangeCategory.FIX,
    "bugfix": ChangeCategory.FIX,
    "revert": ChangeCategory.FIX,
    "security": ChangeCategory.SECURITY,
    "sec": ChangeCategory.SECURITY,
    "docs": ChangeCategory.DOCUMENTATION,
    "build": ChangeCategory.INFRASTRUCTURE,
    "ci": ChangeCategory.INFRASTRUCTURE,
    "infra": ChangeCategory.INFRASTRUCTURE,
    "config": ChangeCategory.CONFIGURATION,
}
NOT_RELEASE_NOTES = ("chore", "refactor", "style", "test", "tests", "wip")
# Words shaped like an issue key that name standards, not tickets ("UTF-8", "SHA-256", "ISO-8601")
NOT_ISSUE_PREFIXES = frozenset(
    {
        "UTF",
        "SHA",
        "ISO",
        "RFC",
        "CVE",
        "CWE",
        "TLS",
        "SSL",
        "HTTP",
        "MD",
        "AES",
        "RSA",
        "UUID",
        "IPV",
        "PEP",
        "ECMA",
        "ES",
        "WCAG",
        "GPL",
        "LGPL",
        "AGPL",
        "MPL",
        "CC",
        "BSD",
        "HTML",
        "CSS",
        "X",
        "UCS",
        "WIN",
        "IEEE",
        "ANSI",
        "DIN",
        "EN",
    }
)


class GitError(ValidationError):
    """A repository or revision that cannot be used: one line naming it."""


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    message: str
    author: str
    email: str
    when: dt.datetime
    parents: int

    @property
    def short(self) -> str:
        return self.sha[:7]


@dataclass(frozen=True)
class VersionTag:
    name: str
    version: Version
    sha: str  # the commit it points at
    when: dt.datetime  # the tagger's time (annotated) or the commit's (lightweight)
    annotated: bool


# --- the repository -------------------------------------------------------------------------------------


@contextlib.contextmanager
def open_repository(path: str) -> Iterator[pygit2.Repository]:
    """A repository folder (or its .git), or a bundle file (unpacked with git into a temporary
    folder, removed afterwards)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise GitError(f"{path}: no such file or folder")
    if p.is_file():
        with open(p, "rb") as fh:
            head = fh.read(20)
        if not head.startswith((b"# v2 git bundle", b"# v3 git bundle")):
            raise GitError(f"{path}: not a git repository or bundle")
        git = shutil.which("git")
        if git is None:
            raise GitError(
                f"{path}: reading a bundle needs the git program, which is not installed"
            )
        tmp = tempfile.mkdtemp(prefix="relman-bundle-")
        try:
            done = subprocess.run(
                [git, "clone", "--quiet", "--mirror", str(p), tmp],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                why = (done.stderr.strip().splitlines() or ["git clone failed"])[-1]
                raise GitError(f"{path}: the bundle cannot be read ({why})")
            yield pygit2.Repository(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    try:
        # NO_SEARCH: a plain folder inside some other repository is not the one the user meant
        repo = pygit2.Repository(str(p), pygit2.enums.RepositoryOpenFlag.NO_SEARCH)
    except pygit2.GitError:
        raise GitError(f"{path}: not a git repository") from None
    yield repo


def _when(seconds: int, offset_minutes: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _commit(c: Any) -> Commit:
    message = c.message or ""
    return Commit(
        sha=str(c.id),
        subject=message.split("\n", 1)[0].strip(),
        message=message,
        author=c.author.name,
        email=c.author.email,
        when=_when(c.commit_time, c.commit_time_offset),
        parents=len(c.parent_ids),
    )


def _resolve(repo: pygit2.Repository, rev: str, repo_name: str) -> Any:
    try:
        obj = repo.revparse_single(rev)
        return obj.peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
        if repo.head_is_unborn and not any(r.startswith("refs/") for r in repo.references):
            raise GitError(f"{repo_name}: the repository has no commits yet") from None
        raise GitError(f"{repo_name}: revision {rev!r} does not exist") from None


def version_tags(repo: pygit2.Repository) -> list[VersionTag]:
    """Tags that name a version (``v1.2.0``, ``1.2``, ``release-2.0.1``), oldest version first."""
    tags = []
    for ref_name in repo.references:
        if not ref_name.startswith("refs/tags/"):
            continue
        name = ref_name[len("refs/tags/") :]
        version = parse_version(name)
        if version is None:
            continue
        ref = repo.references[ref_name]
        target = repo[ref.target]
        try:
            commit = target.peel(pygit2.Commit)
        except (pygit2.GitError, ValueError):
            continue  # a tag of a tree or blob
        if isinstance(target, pygit2.Tag) and target.tagger is not None:
            when, annotated = _when(target.tagger.time, target.tagger.offset), True
        else:
            when, annotated = _when(commit.commit_time, commit.commit_time_offset), False
        tags.append(VersionTag(name, version, str(commit.id), when, annotated))
    return sorted(tags, key=lambda t: (t.version, t.when))


_VERSION_IN_TAG = re.compile(
    r"^(?:[A-Za-z][A-Za-z_-]*?[-_/])?[vV]?(\d+(?:\.\d+)*(?:[-.+]?[0-9A-Za-z.+-]*)?)$"
)


def version_text(tag: str) -> str:
    """The version as the tag writes it (``v1.2.0-rc.1`` → ``1.2.0-rc.1``), for a person."""
    m = _VERSION_IN_TAG.match(tag.strip())
    return m.group(1) if m else tag


def parse_version(text: str | None) -> Version | None:
    if not text:
        return None
    m = _VERSION_IN_TAG.match(text.strip())
    if not m:
        return None
    try:
        return Version(m.group(1))
    except InvalidVersion:
        return None


def _walk(repo: pygit2.Repository, to: Any, hide: Any | None) -> Iterator[Any]:
    walker = repo.walk(to.id, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.TIME)
    if hide is not None:
        walker.hide(hide.id)
    yield from walker


def _abbrev(rev: str) -> str:
    return rev[:12] if re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", rev) else rev


def _shallow_cut(repo: pygit2.Repository) -> set[str]:
    """The commits a shallow clone holds without their parents (git's ``shallow`` file; libgit2
    shows them as root commits)."""
    try:
        return set((Path(repo.path) / "shallow").read_text().split())
    except OSError:
        return set()


def read_commits(
    repo: pygit2.Repository, to_rev: str, from_rev: str | None, repo_name: str
) -> list[Commit]:
    """The commits reachable from ``to_rev`` and not from ``from_rev``, newest first."""
    to = _resolve(repo, to_rev, repo_name)
    hide = _resolve(repo, from_rev, repo_name) if from_rev else None
    walked = list(_walk(repo, to, hide))
    if repo.is_shallow and _shallow_cut(repo) & {str(c.id) for c in walked}:
        # A CI checkout (actions/checkout fetches one commit by default): the range runs into
        # the cut, and its count, authors and changes would be short without a word.
        start, end = (_abbrev(r) for r in (from_rev or "", to_rev))
        span = f"{start}..{end}" if start else f"{end} (all history)"
        raise GitError(
            f"{repo_name}: a shallow clone, and {span} reaches past the history it holds; "
            "fetch the whole history (git fetch --unshallow --tags, or fetch-depth: 0)"
        )
    return [_commit(c) for c in walked]


# --- classifying commits --------------------------------------------------------------------------------


@dataclass
class Options:
    change_pattern: str = DEFAULT_CHANGE_PATTERN
    issue_pattern: str = DEFAULT_ISSUE_PATTERN
    include_merges: bool = False
    include_bots: bool = False
    default_category: str = "feature"

    def compiled(self) -> tuple[re.Pattern[str], re.Pattern[str]]:
        try:
            change = re.compile(self.change_pattern)
        except re.error as exc:
            raise ValidationError(
                f"--change-pattern: {self.change_pattern!r} is not a valid pattern ({exc})"
            ) from None
        try:
            issue = re.compile(self.issue_pattern)
        except re.error as exc:
            raise ValidationError(
                f"--issue-pattern: {self.issue_pattern!r} is not a valid pattern ({exc})"
            ) from None
        return change, issue


def is_bot(c: Commit) -> bool:
    return bool(BOT.search(c.author) or BOT.search(c.email.split("@", 1)[0]))


@dataclass
class Draft:
    """A draft change the import would create (or the existing change a commit attaches to)."""

    key: str
    title: str
    category: str
    release_note: str
    external_ref: str
    breaking: bool
    commits: list[Commit] = field(default_factory=list)
    existing: bool = False  # the change is already in the plan


@dataclass
class GitImport:
    """What ``relman import git`` found, checked against the plan; :meth:`apply` writes it."""

    release: str
    repository: str
    range_label: str
    preview: ImportPreview
    counted: list[Commit] = field(default_factory=list)  # in range, merges and bots left out
    drafts: list[Draft] = field(default_factory=list)
    release_fields: dict[str, Any] = field(
        default_factory=dict
    )  # commit_range/count/authors to set
    skipped: list[tuple[Commit, str]] = field(default_factory=list)
    receipt: dict[str, Any] = field(default_factory=evidence_import.new_receipt)

    def apply(self, ctx: Ctx) -> dict[str, Any]:
        if not self.drafts and not self.release_fields:
            return {"changes_created": [], "changes_updated": [], "release_updated": False}
        with ctx.write() as tx:
            return evidence_import.apply_git(
                tx,
                self.release,
                self.release_fields,
                [
                    {
                        "key": d.key,
                        "title": d.title,
                        "category": d.category,
                        "release_note": d.release_note,
                        "external_ref": d.external_ref,
                        "breaking": d.breaking,
                        "existing": d.existing,
                        "commits": [
                            {"sha": c.sha, "subject": c.subject, "when": c.when} for c in d.commits
                        ],
                    }
                    for d in self.drafts
                ],
                self.receipt,
            )

    def as_json(self, result: dict[str, Any] | None = None) -> dict[str, Any]:
        data = self.preview.as_json()
        data.update(
            {
                "release": self.release,
                "range": self.range_label,
                "commits": len(self.counted),
                "authors": self.release_fields.get(
                    "commit_authors", sorted({c.author for c in self.counted})
                ),
                "changes": [
                    {
                        "key": d.key,
                        "title": d.title,
                        "category": d.category,
                        "existing": d.existing,
                        "external_ref": d.external_ref,
                        "breaking": d.breaking,
                        "commits": [c.sha for c in d.commits],
                    }
                    for d in self.drafts
                ],
            }
        )
        if result is not None:
            data["result"] = result
        return data


def previous_release(tags: list[VersionTag], version: Version | None) -> VersionTag | None:
    """The tag of the release before ``version``: the highest version below it, leaving out
    pre-releases (``v1.2.0-rc.1``) when ``version`` is a final release: 1.2.0 follows 1.1.0,
    and its release candidates' commits are part of it."""
    below = [
        t
        for t in tags
        if version is None
        or (t.version < version and (version.is_prerelease or not t.version.is_prerelease))
    ]
    return below[-1] if below else None


def _default_range(tags: list[VersionTag], version: Version | None) -> tuple[str | None, str, str]:
    """(from, to, label) for a release of ``version``."""
    own = [t for t in tags if version is not None and t.version == version]
    if own:
        to = own[-1]
        before = previous_release(tags, to.version)
        return (before.name if before else None), to.name, to.name
    below = previous_release(tags, version)
    return (below.name if below else None), "HEAD", "HEAD"


def plan_git_import(
    ctx: Ctx,
    repository: str,
    key: str,
    from_rev: str | None = None,
    to_rev: str | None = None,
    options: Options | None = None,
) -> GitImport:
    options = options or Options()
    change_re, issue_re = options.compiled()
    if options.default_category not in {c.value for c in ChangeCategory}:
        raise ValidationError(
            f"--category: {options.default_category!r} is not one of "
            f"{', '.join(c.value for c in ChangeCategory)}"
        )
    with ctx.read() as s:
        rel = release_by_key(s, key)
        version = parse_version(rel.version)
        release_now = {
            "commit_range": rel.commit_range,
            "commit_count": rel.commit_count,
            "commit_authors": list(rel.commit_authors or []),
        }
    with open_repository(repository) as repo:
        tags = version_tags(repo)
        default_from, default_to, _ = _default_range(tags, version)
        start = from_rev if from_rev is not None else default_from
        end = to_rev or default_to
        commits = read_commits(repo, end, start, repository)
        if start is None:
            range_label = f"{_short(repo, end)} (all history)"
        else:
            range_label = f"{_short(repo, start)}..{_short(repo, end)}"
    return _classify(
        ctx, key, repository, range_label, commits, release_now, change_re, issue_re, options
    )


def _short(repo: pygit2.Repository, rev: str) -> str:
    if rev == "HEAD" or f"refs/tags/{rev}" in repo.references or rev in repo.branches:
        return rev
    with contextlib.suppress(KeyError, ValueError, pygit2.GitError):
        return str(repo.revparse_single(rev).peel(pygit2.Commit).id)[:12]
    return rev


def _next_change_keys(ctx: Ctx) -> Iterator[str]:
    with ctx.read() as s:
        keys = s.execute(select(M.Change.key).where(M.Change.key.like("CHG-%"))).scalars().all()
    # LIKE ignores case on SQLite, not on PostgreSQL: "chg-40" is no CHG key on either engine
    numbers = [int(k[4:]) for k in keys if k.startswith("CHG-") and k[4:].isdigit()]
    n = max(numbers, default=0)
    while True:
        n += 1
        yield f"CHG-{n}"


def _classify(
    ctx: Ctx,
    key: str,
    repository: str,
    range_label: str,
    commits: list[Commit],
    release_now: dict[str, Any],
    change_re: re.Pattern[str],
    issue_re: re.Pattern[str],
    options: Options,
) -> GitImport:
    job = GitImport(
        key, repository, range_label, ImportPreview(source=f"{repository} {range_label}")
    )
    known = evidence_import.known_sources(ctx, "commit", [c.sha for c in commits])
    with ctx.read() as s:
        named = set()
        for c in commits:
            named.update(change_re.findall(c.message))
        existing_changes = (
            {
                k: (title, ref)
                for k, title, ref in s.execute(
                    select(M.Change.key, M.Change.title, M.Change.external_ref).where(
                        M.Change.key.in_(sorted(named))
                    )
                ).all()
            }
            if named
            else {}
        )
        by_ref = {
            ref: k
            for k, ref in s.execute(
                select(M.Change.key, M.Change.external_ref).where(
                    M.Change.external_ref.is_not(None)
                )
            ).all()
        }
    new_keys = _next_change_keys(ctx)
    drafts: dict[str, Draft] = {}  # by change key
    draft_of_ref: dict[str, Draft] = {}
    for c in reversed(commits):  # oldest first: the first commit of an issue names its change
        if c.parents > 1 and not options.include_merges:
            job.skipped.append((c, "merge commit"))
            continue
        if is_bot(c) and not options.include_bots:
            job.skipped.append((c, f"bot ({c.author})"))
            continue
        job.counted.append(c)
        if c.sha in known:
            job.skipped.append(
                (c, f"already imported ({known[c.sha]['entity']} {known[c.sha]['entity_id']})")
            )
            continue
        cc = CONVENTIONAL.match(c.subject)
        cc_type = cc.group("type").lower() if cc else None
        text = cc.group("text").strip() if cc else c.subject
        breaking = bool(cc and cc.group("breaking")) or "BREAKING CHANGE" in c.message
        change_keys = list(dict.fromkeys(change_re.findall(c.message)))
        if change_keys:
            for ck in change_keys:
                d = drafts.get(ck)
                if d is None:
                    exists = ck in existing_changes
                    category = CATEGORY_OF_TYPE.get(
                        cc_type or "", ChangeCategory(options.default_category)
                    ).value
                    d = drafts[ck] = Draft(
                        ck,
                        existing_changes[ck][0] if exists else text,
                        category,
                        text,
                        c.sha[:12],
                        breaking,
                        existing=exists,
                    )
                d.commits.append(c)
            continue
        issues = [
            i
            for i in dict.fromkeys(issue_re.findall(c.message))
            if not change_re.fullmatch(i) and i.split("-", 1)[0].upper() not in NOT_ISSUE_PREFIXES
        ]
        if not issues and (cc_type is None or cc_type not in CATEGORY_OF_TYPE) and not breaking:
            reason = (
                f"{cc_type}: not release-note material"
                if cc_type in NOT_RELEASE_NOTES
                else "names no change or issue and is no Conventional Commit"
            )
            job.skipped.append((c, reason))
            continue
        ref = issues[0] if issues else c.sha[:12]
        d = draft_of_ref.get(ref)
        if d is None and ref in by_ref:
            d = drafts.get(by_ref[ref]) or Draft(
                by_ref[ref], text, "", text, ref, breaking, existing=True
            )
            drafts[d.key] = draft_of_ref[ref] = d
        if d is None:
            category = CATEGORY_OF_TYPE.get(
                cc_type or "", ChangeCategory(options.default_category)
            ).value
            d = Draft(next(new_keys), text, category, text, ref, breaking)
            drafts[d.key] = draft_of_ref[ref] = d
        d.commits.append(c)
    job.drafts = list(drafts.values())
    authors = sorted({c.author for c in job.counted})
    wanted = {
        "commit_range": range_label,
        "commit_count": len(job.counted),
        "commit_authors": authors,
    }
    rows = job.preview.rows
    for d in job.drafts:
        shas = ", ".join(c.short for c in d.commits[:5]) + (" …" if len(d.commits) > 5 else "")
        if d.existing:
            rows.append(
                PreviewRow(
                    "update",
                    "change",
                    d.key,
                    d.title,
                    f"attach {len(d.commits)} commit{'s' if len(d.commits) != 1 else ''}",
                    shas,
                )
            )
        else:
            why = f"draft {d.category} change from {d.external_ref}" + (
                " (breaking)" if d.breaking else ""
            )
            rows.append(PreviewRow("create", "change", d.key, d.title, why, shas))
    for c, why in job.skipped:
        rows.append(PreviewRow("skip", "commit", c.short, c.subject, why, f"commit {c.short}"))
    if wanted != release_now:
        job.release_fields = wanted
        rows.append(
            PreviewRow(
                "update",
                "release",
                key,
                f"{range_label}: {len(job.counted)} commits by {len(authors)} authors",
                "commit range, count and authors",
                repository,
            )
        )
    else:
        rows.append(
            PreviewRow(
                "skip",
                "release",
                key,
                f"{range_label}: {len(job.counted)} commits",
                "commit range, count and authors unchanged",
                repository,
            )
        )
    return job


# --- releases from tags ---------------------------------------------------------------------------------


@dataclass
class TagImport:
    repository: str
    preview: ImportPreview
    releases: list[dict[str, Any]] = field(default_factory=list)
    receipt: dict[str, Any] = field(default_factory=evidence_import.new_receipt)

    def apply(self, ctx: Ctx) -> list[str]:
        if not self.releases:
            return []
        with ctx.write() as tx:
            return evidence_import.create_releases_from_tags(tx, self.releases, self.receipt)

    def as_json(self, created: list[str] | None = None) -> dict[str, Any]:
        data = self.preview.as_json()
        data["releases"] = [{k: v for k, v in r.items() if k != "identity"} for r in self.releases]
        if created is not None:
            data["created"] = created
        return data


def _release_type(previous: Version | None, version: Version) -> str:
    if previous is None or version.major != previous.major:
        return "major"
    if version.minor != previous.minor:
        return "minor"
    return "patch"


def plan_tag_import(ctx: Ctx, repository: str, application: str | None = None) -> TagImport:
    """One proposed release per version tag, with its dates (the previous tag to this one)."""
    name = Path(repository).expanduser().resolve().name.removesuffix(".git").removesuffix(".bundle")
    job = TagImport(repository, ImportPreview(source=repository))
    with open_repository(repository) as repo:
        tags = version_tags(repo)
        counts = []
        same: dict[Version, VersionTag] = {}  # v1.2.0 and 1.2.0 naming one version: one release
        for t in tags:
            prev = previous_release(tags, t.version)
            commits = read_commits(repo, t.sha, prev.sha if prev else None, repository)
            kept = [c for c in commits if c.parents <= 1 and not is_bot(c)]
            counts.append((t, prev, kept))
    for t, _, _ in counts:  # the annotated tag names the release, else the latest
        if t.version not in same or t.annotated or not same[t.version].annotated:
            same[t.version] = t
    with ctx.read() as s:
        by_version: dict[Version, str] = {}
        for k, v in s.execute(select(M.Release.key, M.Release.version)).all():
            parsed = parse_version(v)
            if parsed is not None:
                by_version.setdefault(parsed, k)
        keys = set(s.execute(select(M.Release.key)).scalars())
    known = evidence_import.known_sources(ctx, "tag", [f"{t.name}@{t.sha}" for t, _, _ in counts])
    for t, prev, kept in counts:
        version = version_text(t.name)
        key = f"REL-{version}"
        first = min((c.when for c in kept), default=t.when)
        start = (prev.when if prev else first).date()
        fields = {
            "key": key,
            "title": f"{application or name} {version}",
            "version": version,
            "type": _release_type(prev.version if prev else None, t.version),
            "application": application,
            "planned_start": min(start, t.when.date()),
            "planned_end": t.when.date(),
            "actual_start": min(start, t.when.date()),
            "actual_end": t.when.date(),
            "commit_range": f"{prev.name}..{t.name}" if prev else f"{t.name} (all history)",
            "commit_count": len(kept),
            "commit_authors": sorted({c.author for c in kept}),
            "tag": t.name,
            "annotated": t.annotated,
            "identity": f"{t.name}@{t.sha}",
        }
        label = f"{t.name} ({'annotated' if t.annotated else 'lightweight'}, {t.when:%Y-%m-%d})"
        if fields["identity"] in known:
            job.preview.rows.append(
                PreviewRow("skip", "release", key, label, "already imported", t.name)
            )
        elif same[t.version] is not t:
            job.preview.rows.append(
                PreviewRow(
                    "skip",
                    "release",
                    key,
                    label,
                    f"tag {same[t.version].name} names the same version",
                    t.name,
                )
            )
        elif t.version in by_version:
            job.preview.rows.append(
                PreviewRow(
                    "skip",
                    "release",
                    key,
                    label,
                    f"{by_version[t.version]} has version {version} already",
                    t.name,
                )
            )
        elif key in keys:
            job.preview.rows.append(
                PreviewRow("skip", "release", key, label, f"{key} exists already", t.name)
            )
        else:
            job.releases.append(fields)
            job.preview.rows.append(
                PreviewRow(
                    "create",
                    "release",
                    key,
                    label,
                    f"{fields['commit_count']} commits, {fields['type']}",
                    t.name,
                )
            )
    if not tags:
        job.preview.warnings.append(f"{repository}: no version tags (such as v1.2.0)")
    return job
