"""One entry point for the toolchain imports, for the app: build the preview of an import
named by plain parameters, or run it and get its receipt (what the app's undo takes back).

``kind`` is ``tests``, ``git``, ``tags``, ``pipeline`` or ``incidents``; ``params`` holds the
same choices as the command line (``paths``, ``release``, ``kind``, ``environment``, …).
"""

from __future__ import annotations

from typing import Any

from relman_desktop.services.base import Ctx, ValidationError

KINDS = ("tests", "git", "tags", "pipeline", "incidents")


def plan_import(ctx: Ctx, kind: str, params: dict[str, Any]) -> Any:
    """The import's job (``.preview`` to show, ``.apply(ctx)`` to write), writing nothing."""
    if kind == "tests":
        from .test_reports import plan_test_import

        return plan_test_import(
            ctx,
            params["release"],
            list(params["paths"]),
            params.get("kind", "unit"),
            params.get("environment"),
        )
    if kind == "git":
        from .git_history import plan_git_import

        return plan_git_import(
            ctx, params["path"], params["release"], params.get("from_rev"), params.get("to_rev")
        )
    if kind == "tags":
        from .git_history import plan_tag_import

        return plan_tag_import(ctx, params["path"], params.get("application"))
    if kind == "pipeline":
        from .pipelines import plan_pipeline_import

        return plan_pipeline_import(
            ctx, params["path"], params["release"], params.get("environment")
        )
    if kind == "incidents":
        from .incidents import plan_incident_import

        return plan_incident_import(ctx, params["path"], release=params.get("release"))
    raise ValidationError(f"unknown import {kind!r}; one of {', '.join(KINDS)}")


def run_import(ctx: Ctx, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """Preview and apply in one go (the redo of an undone import); returns the receipt."""
    job = plan_import(ctx, kind, params)
    job.apply(ctx)
    receipt: dict[str, Any] = job.receipt
    return receipt


def apply_job(ctx: Ctx, job: Any) -> dict[str, Any]:
    """Apply an import already previewed (what the user saw is what is written); its receipt."""
    job.apply(ctx)
    receipt: dict[str, Any] = job.receipt
    return receipt
