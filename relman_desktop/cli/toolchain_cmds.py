"""The DevOps toolchain as release evidence: ``relman import tests|git|pipeline|incidents``.

Every import first shows what it would do (``--dry-run`` stops there and writes nothing),
then applies it in one transaction; ``--json`` prints the preview, or the result, as JSON
(shapes in docs/cli.md). A file that cannot be used is named on one line, exit status 2, and
nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from relman_desktop.cli import group, open_ctx, print_json
from relman_desktop.importers.preview import ImportPreview
from relman_desktop.models.enums import TestKind
from relman_desktop.services.base import ValidationError
from relman_desktop.services.text import counted


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dry-run", action="store_true", help="show what would be imported; write nothing"
    )
    p.add_argument("--json", action="store_true", help="print the preview (or the result) as JSON")


def register(sub: Any) -> None:
    imports = group(sub, "import", "read a file into the plan")
    p = imports.add_parser("tests", help="test reports (JUnit/xUnit XML, NUnit 3 XML) as test runs")
    p.add_argument("files", nargs="+", metavar="FILE", help="the report files, one test run each")
    p.add_argument(
        "--release", required=True, metavar="KEY", help="the release the runs are evidence for"
    )
    p.add_argument(
        "--kind",
        choices=[k.value for k in TestKind],
        default="unit",
        help="what kind of testing (default: unit)",
    )
    p.add_argument("--env", metavar="NAME", help="the environment the tests ran in")
    _common(p)
    p.set_defaults(handler=cmd_import_tests)

    p = imports.add_parser(
        "git", help="git history: changes, commit range and authors of a release"
    )
    p.add_argument("repository", metavar="REPO", help="a repository folder or a bundle file")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--release", metavar="KEY", help="the release whose history this is")
    which.add_argument("--tags", action="store_true", help="propose one release per version tag")
    p.add_argument(
        "--from",
        dest="from_rev",
        metavar="REV",
        help="first commit left out (default: the version tag before the release's)",
    )
    p.add_argument(
        "--to",
        dest="to_rev",
        metavar="REV",
        help="last commit taken (default: the release's version tag, else HEAD)",
    )
    p.add_argument(
        "--change-pattern", metavar="REGEX", help=r"change keys in messages (default: CHG-\d+)"
    )
    p.add_argument(
        "--issue-pattern", metavar="REGEX", help="issue keys in messages (default: ABC-123)"
    )
    p.add_argument(
        "--category",
        default="feature",
        help="category of issue commits with no type (default: feature)",
    )
    p.add_argument("--include-merges", action="store_true", help="count merge commits too")
    p.add_argument("--include-bots", action="store_true", help="count commits by bots too")
    p.add_argument(
        "--application", metavar="NAME", help="with --tags: the application of the new releases"
    )
    _common(p)
    p.set_defaults(handler=cmd_import_git)

    p = imports.add_parser(
        "pipeline", help="a saved Jenkins build, GitHub Actions run or GitLab pipeline"
    )
    p.add_argument("file", metavar="FILE", help="the run's JSON as the CI tool wrote it")
    p.add_argument(
        "--release", required=True, metavar="KEY", help="the release the run deployed or built"
    )
    p.add_argument(
        "--env", metavar="NAME", help="the environment deployed to (default: what the run says)"
    )
    _common(p)
    p.set_defaults(handler=cmd_import_pipeline)

    p = imports.add_parser(
        "incidents", help="incidents (CSV export, Alertmanager/Prometheus alerts JSON)"
    )
    p.add_argument("file", metavar="FILE", help="a CSV with a header row, or alerts JSON")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="read COLUMN as FIELD (key, title, severity, service, environment, detected_at, "
        "restored_at, release); repeatable",
    )
    p.add_argument(
        "--timezone",
        default="UTC",
        metavar="ZONE",
        help="zone of times written without one (default: UTC)",
    )
    p.add_argument("--release", metavar="KEY", help="every incident was caused by this release")
    p.add_argument(
        "--window",
        type=float,
        default=24.0,
        metavar="HOURS",
        help="how long after a deployment an incident is blamed on it (default: 24)",
    )
    _common(p)
    p.set_defaults(handler=cmd_import_incidents)

    dep = sub.add_parser("deployment", help="record a deployment as a pipeline runs it")
    steps = dep.add_subparsers(dest="deployment_step", metavar="STEP", required=True)
    p = steps.add_parser("start", help="a deployment of the release starts now")
    p.add_argument("key", metavar="KEY", help="the release")
    p.add_argument("--env", required=True, metavar="NAME", help="the environment, e.g. production")
    p.add_argument("--wave", metavar="NAME", help="the wave or step of a canary/rolling deployment")
    p.add_argument("--url", metavar="URL", help="the pipeline run's address")
    p.add_argument(
        "--at", metavar="TIME", help="when it started, ISO 8601 with a zone (default: now)"
    )
    p.add_argument("--json", action="store_true", help="print the deployment as JSON")
    p.set_defaults(handler=cmd_deployment_start)
    p = steps.add_parser("finish", help="the deployment in progress ends with an outcome")
    p.add_argument("key", metavar="KEY", help="the release")
    p.add_argument(
        "--outcome", required=True, choices=("success", "failed", "rolled_back", "partial")
    )
    p.add_argument("--env", metavar="NAME", help="which deployment, when several are in progress")
    p.add_argument(
        "--at", metavar="TIME", help="when it finished, ISO 8601 with a zone (default: now)"
    )
    p.add_argument("--json", action="store_true", help="print the deployment as JSON")
    p.set_defaults(handler=cmd_deployment_finish)

    p = sub.add_parser(
        "approve", help="record an approver's decision on a release's approval stage"
    )
    p.add_argument("key", metavar="KEY", help="the release")
    p.add_argument("--stage", required=True, metavar="NAME", help="the approval stage, e.g. CAB")
    p.add_argument(
        "--as", dest="approver", required=True, metavar="EMAIL", help="the approver deciding"
    )
    p.add_argument("--decision", choices=("approved", "rejected", "more_info"), default="approved")
    p.add_argument(
        "--comment", metavar="TEXT", help="why (required to reject or ask for more information)"
    )
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.set_defaults(handler=cmd_approve)


def refuse(args: argparse.Namespace, exc: ValidationError) -> int:
    """Each problem on its own line, exit status 2."""
    err = getattr(args, "err", None) or sys.stderr
    for problem in exc.problems or [str(exc)]:
        err.write(f"relman: {problem}\n")
    return 2


def print_preview(preview: ImportPreview, out: TextIO, *, what: str, dry_run: bool) -> None:
    out.write(f"{what}: {preview.summary()}\n")
    width = max((len(r.key) for r in preview.rows), default=0)
    for r in preview.rows:
        why = f" — {r.reason}" if r.reason else ""
        out.write(f"  {r.action:<6}  {r.kind:<10}  {r.key:<{width}}  {r.title}{why}\n")
    for warning in preview.warnings:
        out.write(f"  note: {warning}\n")
    if dry_run:
        out.write("dry run: nothing was written\n")


def cmd_import_tests(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.importers.test_reports import plan_test_import

    ctx = open_ctx(args)
    try:
        try:
            job = plan_test_import(ctx, args.release, args.files, args.kind, args.env)
        except ValidationError as exc:
            return refuse(args, exc)
        ids = [] if args.dry_run else job.apply(ctx)
    finally:
        ctx.plan.close()
    if args.json:
        print_json(job.as_json(ids) | {"dry_run": args.dry_run}, out)
        return 0
    print_preview(job.preview, out, what=f"test reports for {args.release}", dry_run=False)
    for report in job.reports:
        for f in report.failures[:20]:
            message = f" — {f.message}" if f.message else ""
            out.write(f"  {f.kind:<7} {report.file}: {f.full_name}{message}\n")
        if len(report.failures) > 20:
            out.write(
                f"  … and {len(report.failures) - 20} more failed tests in {report.file} (--json lists all)\n"
            )
    if args.dry_run:
        out.write("dry run: nothing was written\n")
    else:
        out.write(
            f"recorded {len(ids)} test run{'s' if len(ids) != 1 else ''} for {args.release}\n"
        )
    return 0


def cmd_import_git(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.importers import git_history as gh

    if args.tags and (args.from_rev or args.to_rev):
        return refuse(
            args,
            ValidationError("--tags reads every version tag; --from and --to go with --release"),
        )
    options = gh.Options(
        include_merges=args.include_merges,
        include_bots=args.include_bots,
        default_category=args.category,
    )
    if args.change_pattern:
        options.change_pattern = args.change_pattern
    if args.issue_pattern:
        options.issue_pattern = args.issue_pattern
    ctx = open_ctx(args)
    try:
        try:
            if args.tags:
                tag_job = gh.plan_tag_import(ctx, args.repository, args.application)
                created = [] if args.dry_run else tag_job.apply(ctx)
            else:
                job = gh.plan_git_import(
                    ctx, args.repository, args.release, args.from_rev, args.to_rev, options
                )
                result = None if args.dry_run else job.apply(ctx)
        except ValidationError as exc:
            return refuse(args, exc)
    finally:
        ctx.plan.close()
    if args.tags:
        if args.json:
            print_json(
                tag_job.as_json(None if args.dry_run else created) | {"dry_run": args.dry_run}, out
            )
            return 0
        print_preview(
            tag_job.preview, out, what=f"version tags in {args.repository}", dry_run=args.dry_run
        )
        if not args.dry_run:
            out.write(f"created {len(created)} release{'s' if len(created) != 1 else ''}\n")
        return 0
    if args.json:
        print_json(job.as_json(result) | {"dry_run": args.dry_run}, out)
        return 0
    print_preview(
        job.preview,
        out,
        what=f"git history {job.range_label} for {args.release}",
        dry_run=args.dry_run,
    )
    if result is not None:
        out.write(
            f"{len(job.counted)} commits; created {len(result['changes_created'])} draft changes, "
            f"attached commits to {len(result['changes_updated'])}\n"
        )
    return 0


def cmd_import_pipeline(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.importers.pipelines import plan_pipeline_import

    ctx = open_ctx(args)
    try:
        try:
            job = plan_pipeline_import(ctx, args.file, args.release, args.env)
            dep_id = None if args.dry_run else job.apply(ctx)
        except ValidationError as exc:
            return refuse(args, exc)
    finally:
        ctx.plan.close()
    if args.json:
        print_json(job.as_json(dep_id) | {"dry_run": args.dry_run}, out)
        return 0
    print_preview(job.preview, out, what=f"pipeline run for {args.release}", dry_run=args.dry_run)
    if dep_id is not None:
        out.write(f"deployment #{dep_id} of {args.release}: {job.run.label}\n")
    return 0


def _moment(text: str | None, what: str) -> Any:
    import datetime as dt

    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{what}: {text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise ValidationError(f"{what}: {text!r} has no time zone (add Z or +01:00)")
    return moment


def _print_deployment(row: dict[str, Any], verb: str, out: TextIO, as_json: bool) -> None:
    if as_json:
        print_json(row, out)
        return
    wave = f" ({row['wave']})" if row.get("wave") else ""
    outcome = f": {row['outcome']}" if row.get("outcome") else ""
    out.write(
        f"{row['release']} deployment #{row['id']} to {row['environment']}{wave} {verb}{outcome}\n"
    )


def cmd_deployment_start(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import evidence_import

    at = _moment(args.at, "--at")
    ctx = open_ctx(args)
    try:
        row = evidence_import.start_deployment(
            ctx, args.key, args.env, at=at, wave=args.wave, url=args.url
        )
    finally:
        ctx.plan.close()
    _print_deployment(row, "started", out, args.json)
    return 0


def cmd_deployment_finish(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import evidence_import

    at = _moment(args.at, "--at")
    ctx = open_ctx(args)
    try:
        row = evidence_import.finish_deployment(
            ctx, args.key, args.outcome, environment=args.env, at=at
        )
    finally:
        ctx.plan.close()
    _print_deployment(row, "finished", out, args.json)
    return 0


def cmd_approve(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.services import approvals

    ctx = open_ctx(args)
    try:
        approval_id = approvals.approval_id_for(ctx, args.key, args.stage, args.approver)
        stage_status = approvals.decide(ctx, approval_id, args.decision, args.comment)
    finally:
        ctx.plan.close()
    result = {
        "release": args.key,
        "stage": args.stage,
        "approver": args.approver,
        "decision": args.decision,
        "comment": args.comment,
        "stage_status": stage_status,
    }
    if args.json:
        print_json(result, out)
    else:
        out.write(
            f"{args.approver} {args.decision.replace('_', ' ')} stage {args.stage} of {args.key}; "
            f"the stage is {stage_status}\n"
        )
    return 0


def cmd_import_incidents(args: argparse.Namespace, out: TextIO) -> int:
    from relman_desktop.importers.incidents import plan_incident_import

    ctx = open_ctx(args)
    try:
        try:
            job = plan_incident_import(
                ctx,
                args.file,
                mapping=args.map,
                timezone=args.timezone,
                release=args.release,
                window_hours=args.window,
            )
            result = None if args.dry_run else job.apply(ctx)
        except ValidationError as exc:
            return refuse(args, exc)
    finally:
        ctx.plan.close()
    if args.json:
        print_json(job.as_json(result) | {"dry_run": args.dry_run}, out)
        return 0
    print_preview(job.preview, out, what=f"incidents in {args.file}", dry_run=args.dry_run)
    if result is not None:
        out.write(
            f"created {len(result['created'])}, updated "
            f"{counted(len(result['updated']), 'incident')}; "
            f"{counted(len(result['deployments']), 'deployment')} now carry them\n"
        )
    return 0
