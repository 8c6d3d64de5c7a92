"""The CAB screen's downtime line says what the release notes and the runbook say: the figure
and how it was found — never "up to 0 min" for a canary that keeps the service running."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from plans import Builder, berlin

from relman_desktop.models import enums as E
from relman_desktop.services.release_report import release_report
from relman_desktop.views.cab.agenda_item import ItemDetail, sections_for


def _downtime(ctx, key: str) -> str:
    sections = sections_for(ItemDetail(release_report(ctx, key)), ZoneInfo("Europe/Berlin"))
    text = next(v for k, v in sections.items() if "downtime" in k.lower())
    return text.split("<br>")[0]


def test_downtime_names_the_figure_and_how_it_was_found(ctx):
    with ctx.write() as tx:
        b = Builder(tx)
        b.release(
            "REL-C", berlin(2026, 12, 5, 21), berlin(2026, 12, 5, 23)
        ).strategy = E.StrategyKind.CANARY
        b.release(
            "REL-B", berlin(2026, 12, 5, 21), berlin(2026, 12, 5, 23)
        ).strategy = E.StrategyKind.BIG_BANG
        b.release("REL-N")
        b.release(
            "REL-F", berlin(2026, 12, 5, 21), berlin(2026, 12, 5, 23)
        ).implementation_plan = "Stop the service (downtime about 45 minutes), migrate, start."
    assert _downtime(ctx, "REL-C") == (
        "<b>Downtime:</b> none expected — a canary deployment keeps the service running"
    )
    assert _downtime(ctx, "REL-B") == (
        "<b>Downtime:</b> 2 h 00 min — at most the whole deployment window (a big-bang deployment)"
    )
    assert _downtime(ctx, "REL-N") == (
        "<b>Downtime:</b> not known — no deployment window is scheduled"
    )
    assert _downtime(ctx, "REL-F") == (
        "<b>Downtime:</b> 45 min — the figure stated in the implementation plan"
    )
