"""Baselines freeze the plan's dates under a name, for the calendar's plan-vs-now overlay."""

from __future__ import annotations

import pytest

from relman_desktop.services import baselines, releases, tasks
from relman_desktop.services.base import Ctx, ValidationError


def test_a_baseline_keeps_the_dates_of_the_day_it_was_taken(ctx: Ctx) -> None:
    releases.create_release(
        ctx,
        {
            "key": "REL-1",
            "title": "Billing",
            "type": "minor",
            "planned_start": "2026-12-01",
            "planned_end": "2026-12-10",
        },
    )
    tasks.add_task(ctx, "REL-1", {"title": "Build", "start": "2026-12-01", "end": "2026-12-03"})
    assert baselines.create_baseline(ctx, "Q4 plan") == "Q4 plan"
    releases.update_release(ctx, "REL-1", {"planned_end": "2026-12-17"})
    [row] = baselines.list_baselines(ctx)
    assert row.name == "Q4 plan"
    assert row.snapshot["REL-1"]["planned_end"] == "2026-12-10"
    assert row.snapshot["REL-1"]["tasks"] == {"T1": ["2026-12-01", "2026-12-03"]}
    assert releases.list_releases(ctx)[0].planned_end.isoformat() == "2026-12-17"


def test_baseline_names_are_required_and_unique(ctx: Ctx) -> None:
    baselines.create_baseline(ctx, "Q4 plan")
    with pytest.raises(ValidationError, match="there is already a baseline called 'Q4 plan'"):
        baselines.create_baseline(ctx, "Q4 plan")
    with pytest.raises(ValidationError, match="a baseline needs a name"):
        baselines.create_baseline(ctx, "  ")
    baselines.delete_baseline(ctx, "Q4 plan")
    assert baselines.list_baselines(ctx) == []
