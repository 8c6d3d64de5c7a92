"""Saved CI runs as deployment evidence (``relman import pipeline``): a Jenkins build's
``…/api/json``, a GitHub Actions run (``gh run view RUN --json …``) or a GitLab pipeline
(``GET /projects/:id/pipelines/:pipeline_id``).

The run becomes a deployment of the release: its environment (``--env``, else what the run
says: a Jenkins parameter such as ENVIRONMENT, a GitLab environment, a GitHub job or workflow
named for one), start, finish, outcome and URL. A run that names no environment is recorded
as a *build* (environment ``build``), which never counts as a production deployment in the
KPIs. The run id is the source identity: importing the same run again changes nothing, and a
run first saved while still running is updated when imported again finished.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relman_desktop.importers.preview import ImportPreview, PreviewRow
from relman_desktop.services import evidence_import
from relman_desktop.services.base import Ctx, ValidationError

__all__ = ["PipelineImport", "PipelineRun", "parse_pipeline", "plan_pipeline_import"]

EXPECTED = (
    "a Jenkins build (…/api/json), a GitHub Actions run (gh run view --json) "
    "or a GitLab pipeline (the pipelines API)"
)
BUILD = "build"
ENV_PARAMETERS = (
    "environment",
    "env",
    "deploy_env",
    "deploy_environment",
    "target_env",
    "target_environment",
    "stage",
    "target",
)
ENV_WORDS = (
    ("production", "production"),
    ("prod", "production"),
    ("staging", "staging"),
    ("stage", "staging"),
    ("uat", "uat"),
    ("qa", "qa"),
    ("test", "test"),
    ("dev", "development"),
)


class PipelineError(ValidationError):
    """A file that is not a saved pipeline run this app reads: one line naming it."""


@dataclass
class PipelineRun:
    tool: str  # "jenkins", "github", "gitlab"
    identity: str  # the run id, unique across tools
    label: str  # "Jenkins billing-deploy #42"
    environment: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    outcome: str | None  # success, failed, partial; None while running
    url: str | None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "run_id": self.identity,
            "label": self.label,
            "environment": self.environment,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "outcome": self.outcome,
            "url": self.url,
        }


def _ms(value: Any) -> dt.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return dt.datetime.fromtimestamp(value / 1000, dt.UTC)


def _iso(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip() or value.startswith("0001-01-01"):
        return None  # gh writes 0001-01-01T00:00:00Z for "not yet"
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


DEPLOY_WORDS = re.compile(r"deploy|release|rollout|promot|publish|ship", re.I)


def _env_from_words(*texts: Any) -> str | None:
    """The environment a run's names mention, the most production-like first: a workflow with
    a ``test`` job and a ``deploy-staging`` job deployed to staging."""
    words = [set(re.split(r"[^a-z0-9]+", t.lower())) for t in texts if isinstance(t, str)]
    for word, env in ENV_WORDS:
        if any(word in w for w in words):
            return env
    return None


# --- Jenkins ---------------------------------------------------------------------------------------------

JENKINS_OUTCOME = {
    "SUCCESS": "success",
    "FAILURE": "failed",
    "UNSTABLE": "partial",
    "ABORTED": "failed",
    "NOT_BUILT": None,
}


def _jenkins(data: dict[str, Any], name: str) -> PipelineRun:
    number = data.get("number")
    url = data.get("url") if isinstance(data.get("url"), str) else None
    title = data.get("fullDisplayName") or data.get("displayName") or f"#{number}"
    params: dict[str, Any] = {}
    for action in data.get("actions") or []:
        if isinstance(action, dict):
            for p in action.get("parameters") or []:
                if isinstance(p, dict) and isinstance(p.get("name"), str):
                    params[p["name"].lower()] = p.get("value")
    env = next((str(params[k]) for k in ENV_PARAMETERS if params.get(k) not in (None, "")), None)
    started = _ms(data.get("timestamp"))
    building = bool(data.get("building")) or data.get("result") is None
    duration = data.get("duration")
    finished = None
    if not building and started is not None and isinstance(duration, int | float) and duration >= 0:
        finished = started + dt.timedelta(milliseconds=duration)
    result = data.get("result")
    outcome = None if building else JENKINS_OUTCOME.get(str(result).upper(), "failed")
    run = PipelineRun(
        "jenkins",
        f"jenkins:{url or title}:{number}",
        f"Jenkins {title}",
        env,
        started,
        finished,
        outcome,
        url,
    )
    if str(result).upper() == "ABORTED":
        run.notes.append("the build was aborted: recorded as failed")
    return run


# --- GitHub Actions --------------------------------------------------------------------------------------

GITHUB_OUTCOME = {
    "success": "success",
    "failure": "failed",
    "timed_out": "failed",
    "cancelled": "failed",
    "startup_failure": "failed",
    "action_required": None,
    "neutral": "success",
    "skipped": None,
    "stale": None,
}


def _github(data: dict[str, Any], name: str) -> PipelineRun:
    run_id = data.get("databaseId") or data.get("id")
    attempt = data.get("attempt") or 1
    workflow = data.get("workflowName") or data.get("name") or "workflow"
    jobs = [j for j in data.get("jobs") or [] if isinstance(j, dict)]
    # only deployment jobs say where the run deployed ("test" in a CI job's name is a test step)
    deploy_jobs = [j.get("name") for j in jobs if DEPLOY_WORDS.search(str(j.get("name") or ""))]
    env = _env_from_words(*deploy_jobs, workflow, data.get("displayTitle"))
    started = _iso(data.get("startedAt")) or _iso(data.get("createdAt"))
    done = str(data.get("status") or "").lower() == "completed"
    ends = [_iso(j.get("completedAt")) for j in jobs]
    finished = max((e for e in ends if e is not None), default=None) or (
        _iso(data.get("updatedAt")) if done else None
    )
    conclusion = str(data.get("conclusion") or "").lower()
    outcome = GITHUB_OUTCOME.get(conclusion, "failed") if done and conclusion else None
    run = PipelineRun(
        "github",
        f"github:{run_id}:{attempt}",
        f"GitHub Actions {workflow} run {run_id}",
        env,
        started,
        finished if done else None,
        outcome,
        data.get("url"),
    )
    if conclusion == "cancelled":
        run.notes.append("the run was cancelled: recorded as failed")
    return run


# --- GitLab ----------------------------------------------------------------------------------------------

GITLAB_OUTCOME = {
    "success": "success",
    "failed": "failed",
    "canceled": "failed",
    "cancelled": "failed",
    "skipped": None,
}
GITLAB_RUNNING = (
    "created",
    "waiting_for_resource",
    "preparing",
    "pending",
    "running",
    "manual",
    "scheduled",
)


def _gitlab(data: dict[str, Any], name: str) -> PipelineRun:
    status = str(data.get("status") or "").lower()
    env = data.get("environment")
    if isinstance(env, dict):
        env = env.get("name")
    started = _iso(data.get("started_at")) or _iso(data.get("created_at"))
    running = status in GITLAB_RUNNING
    finished = None if running else _iso(data.get("finished_at"))
    outcome = None if running else GITLAB_OUTCOME.get(status, "failed")
    project = data.get("project_id", "")
    run = PipelineRun(
        "gitlab",
        f"gitlab:{project}:{data.get('id')}",
        f"GitLab pipeline {data.get('id')}",
        env if isinstance(env, str) and env.strip() else _env_from_words(data.get("ref")),
        started,
        finished,
        outcome,
        data.get("web_url"),
    )
    if status in ("canceled", "cancelled"):  # as GitHub's cancelled and Jenkins's ABORTED say
        run.notes.append("the pipeline was canceled: recorded as failed")
    return run


def parse_pipeline(data: Any, name: str) -> PipelineRun:
    if not isinstance(data, dict):
        raise PipelineError(
            f"{name}: a JSON {type(data).__name__}, not a pipeline run; expected {EXPECTED}"
        )
    cls = str(data.get("_class") or "")
    if (
        "hudson" in cls or "jenkins" in cls or {"number", "timestamp", "result"} <= data.keys()
    ) and "number" in data:
        return _jenkins(data, name)
    if "databaseId" in data or {"conclusion", "workflowName"} <= data.keys():
        return _github(data, name)
    if {"id", "status", "web_url"} <= data.keys() and ("sha" in data or "ref" in data):
        return _gitlab(data, name)
    raise PipelineError(
        f"{name}: JSON of another shape (keys {', '.join(sorted(map(str, data))[:6])}…); "
        f"expected {EXPECTED}"
    )


def read_pipeline(path: str) -> PipelineRun:
    p = Path(path)
    if not p.is_file():
        raise PipelineError(f"{path}: no such file")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineError(f"{path}: cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PipelineError(
            f"{path}: not JSON (line {exc.lineno}: {exc.msg}); expected {EXPECTED}"
        ) from None
    return parse_pipeline(data, path)


# --- preview and apply ------------------------------------------------------------------------------------


@dataclass
class PipelineImport:
    release: str
    run: PipelineRun
    preview: ImportPreview
    deployment_id: int | None = None  # the deployment to update (a run imported while running)
    values: dict[str, Any] = field(default_factory=dict)
    receipt: dict[str, Any] = field(default_factory=evidence_import.new_receipt)

    def apply(self, ctx: Ctx) -> int | None:
        if not self.values:
            return self.deployment_id
        with ctx.write() as tx:
            return evidence_import.record_pipeline_run(
                tx,
                self.release,
                self.run.identity,
                self.run.label,
                self.values,
                self.deployment_id,
                self.receipt,
            )

    def as_json(self, deployment_id: int | None = None) -> dict[str, Any]:
        data = self.preview.as_json()
        data["release"] = self.release
        data["run"] = self.run.as_json()
        data["deployment_id"] = deployment_id
        return data


def plan_pipeline_import(
    ctx: Ctx, path: str, key: str, environment: str | None = None
) -> PipelineImport:
    run = read_pipeline(path)
    if environment:
        run.environment = environment.strip()
    evidence_import.release_exists(ctx, key)
    env = run.environment or BUILD
    values = {
        "environment": env,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "outcome": run.outcome,
        "url": run.url,
        "source": run.label,
    }
    if run.started_at and run.finished_at and run.finished_at < run.started_at:
        raise PipelineError(
            f"{path}: the run finishes ({run.finished_at:%Y-%m-%d %H:%M}) before it starts"
        )
    job = PipelineImport(key, run, ImportPreview(source=path), values=values)
    job.preview.warnings.extend(f"{path}: {n}" for n in run.notes)
    if not run.environment:
        job.preview.warnings.append(
            f"{path}: the run names no environment: recorded as a build "
            "(give --env NAME for a deployment)"
        )
    what = "build" if env == BUILD else f"deployment to {env}"
    title = f"{what}, {run.outcome or 'in progress'}"
    known = evidence_import.known_sources(ctx, "pipeline_run", [run.identity]).get(run.identity)
    current = evidence_import.deployment_values(ctx, int(known["entity_id"])) if known else None
    if known and current is not None:
        if known["release"] != key:
            raise PipelineError(
                f"{path}: {run.label} is already recorded for {known['release']}, not {key}"
            )
        job.deployment_id = int(known["entity_id"])
        differ = sorted(k for k, v in values.items() if current.get(k) != v)
        if differ and current.get("finished_at") and not values.get("finished_at"):
            # a snapshot saved while the run was going, read after the finished one: it must
            # not undo the recorded outcome
            job.values = {}
            job.preview.rows.append(
                PreviewRow(
                    "skip",
                    "deployment",
                    run.label,
                    title,
                    f"deployment #{job.deployment_id} has finished already; "
                    "this file was saved while the run was going",
                    path,
                )
            )
        elif differ:
            job.values = {k: values[k] for k in differ}
            job.preview.rows.append(
                PreviewRow(
                    "update",
                    "deployment",
                    run.label,
                    title,
                    "changed since the last import: " + ", ".join(differ),
                    path,
                )
            )
        else:
            job.values = {}
            job.preview.rows.append(
                PreviewRow(
                    "skip",
                    "deployment",
                    run.label,
                    title,
                    f"already imported (deployment #{job.deployment_id})",
                    path,
                )
            )
    else:
        job.preview.rows.append(
            PreviewRow("create", "deployment", run.label, title, run.url or "", path)
        )
    return job
