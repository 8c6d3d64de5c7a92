"""The composition root: every navigator page, release-editor tab and screenshot view the app
builds, listed here and nowhere else.

No module registers itself by being imported. A new screen is a module with a factory
``(store, window) -> QWidget`` (a tab: ``(store, editor)``) and, if it wants a picture,
a ``prepare(window, release_key)`` for ``relman screenshot``; it appears once it is listed below.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from ..conflicts import conflicts_page
from ..releases.tab_spec import TabSpec

if TYPE_CHECKING:
    from .store import Store

PageFactory = Callable[["Store", Any], QWidget]
Prepare = Callable[[Any, "str | None"], None]


def _later(module: str, name: str) -> Callable[..., Any]:
    """``module.name``, imported on its first call: the main window builds a page on its first
    show, and the code of a page nobody has opened is not imported at start (issue 16)."""

    def call(*args: Any) -> Any:
        return getattr(import_module(module, __package__), name)(*args)

    call.__qualname__ = f"{module.lstrip('.')}.{name}"
    return call


_CALENDAR = "..calendar.calendar_view"
_GRAPH = "..graph.graph_view"
_KPIS = "..kpis.kpi_dashboard"
_CAB = "..cab.cab_page"
_CHANGES = "..changes.changes_page"
_CIS = "..cis.cis_page"
_SETTINGS = "..settings.settings_page"
_EDITOR = "..releases.release_editor"
_EVIDENCE = "..releases.tab_evidence"


def _tab(module: str, name: str, *, takes_editor: bool = True) -> Callable[..., Any]:
    """A release-editor tab's factory ``(store, editor)``: ``module.name(store[, editor])``,
    imported when the editor is first built (on the first release opened, not at start)."""
    make = _later(module, name)
    return make if takes_editor else lambda store, _editor: make(store)


@dataclass(frozen=True)
class PageSpec:
    name: str  # stable id, also the screenshot view's name: "calendar"
    title: str  # what the navigator shows: "Calendar"
    factory: PageFactory | None  # None: the shell's own page (the releases list and editor)
    description: str = ""  # the navigator entry's tooltip


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "releases",
        "Releases",
        None,
        "All releases, filtered and sorted; Enter opens the release editor.",
    ),
    PageSpec(
        "calendar",
        "Calendar",
        _later(_CALENDAR, "page_factory"),
        "Gantt rows of releases and tasks with windows, freezes, conflicts and the critical path.",
    ),
    PageSpec(
        "conflicts",
        "Conflicts",
        conflicts_page.page_factory,
        "Every conflict (rules C1–C7) filtered by rule, severity, release, CI and person; open "
        "the release, its calendar bar, or move it to a slot that raises no conflict.",
    ),
    PageSpec(
        "dependencies",
        "Dependencies",
        _later(_GRAPH, "page_factory"),
        "A layered graph of releases and their dependencies; what slips if this slips.",
    ),
    PageSpec(
        "changes",
        "Changes",
        _later(_CHANGES, "page_factory"),
        "Every change (CHG-…) with its type, category, approval status, risk and the release it "
        "is bundled into; bundle approved changes into a release or take them out.",
    ),
    PageSpec(
        "cis",
        "CIs",
        _later(_CIS, "page_factory"),
        "Configuration items by class and environment with owner, criticality, maintenance-window "
        "needs and parent/child relations, and the releases that touch each one.",
    ),
    PageSpec(
        "kpis",
        "KPIs",
        _later(_KPIS, "page_factory"),
        "Release success rate, deployment frequency, change failure rate, time to restore, lead "
        "time for changes, on-time delivery and approval cycle time, with DORA tiers.",
    ),
    PageSpec(
        "cab",
        "CAB",
        _later(_CAB, "page_factory"),
        "Presenter mode for the Change Advisory Board.",
    ),
    PageSpec(
        "settings",
        "Settings",
        _later(_SETTINGS, "page_factory"),
        "Appearance, the plan file, people, CIs, calendar windows, templates, rules and the workflow.",
    ),
)

RELEASE_TABS: tuple[TabSpec, ...] = (
    TabSpec("Overview", _tab(_EDITOR, "OverviewTab")),
    TabSpec("Changes", _tab("..releases.tab_changes", "ChangesTab")),
    TabSpec("Tasks", _tab("..releases.tab_tasks", "TasksTab")),
    TabSpec("Approvals", _tab("..releases.tab_approvals", "ApprovalsTab")),
    TabSpec("Tests", _tab(_EVIDENCE, "TestsTab", takes_editor=False)),
    TabSpec("Deployments", _tab(_EVIDENCE, "DeploymentsTab", takes_editor=False)),
    TabSpec("Review", _tab(_EVIDENCE, "ReviewTab", takes_editor=False)),
    TabSpec("Links", _tab(_EVIDENCE, "LinksTab", takes_editor=False)),
    TabSpec("History", _tab("..releases.tab_history", "HistoryTab", takes_editor=False)),
)


def _page(name: str) -> Prepare:
    return lambda window, _key: window.show_page(name)


def _release_tab(tab: str) -> Prepare:
    def prepare(window: Any, key: str | None) -> None:
        if key is None:
            raise LookupError(
                "the plan has no release to show; give --release KEY or use another plan"
            )
        window.open_release(key, tab)

    return prepare


def _releases(window: Any, key: str | None) -> None:
    window.show_page("releases")
    if key:
        window.releases_view.select_key(key)


@functools.cache
def screenshot_views() -> dict[str, Prepare]:
    """``relman screenshot VIEW``: a page by its name, or one of these states of the window.
    Built when first asked for (``SCREENSHOT_VIEWS``), with the code of the views it names."""
    from ..changes import changes_page
    from ..cis import cis_page
    from ..releases import tab_changes, tab_history
    from ..settings import settings_page

    return {
        **{spec.name: _page(spec.name) for spec in PAGES},
        "releases": _releases,
        "release": _release_tab("Overview"),
        "tasks": _release_tab("Tasks"),
        "approvals": _release_tab("Approvals"),
        "release-changes": tab_changes.prepare_screenshot,
        "tests": _release_tab("Tests"),
        "deployments": _release_tab("Deployments"),
        "review": _release_tab("Review"),
        "links": _release_tab("Links"),
        "history": tab_history.prepare_screenshot,
        "calendar": _later(_CALENDAR, "prepare_screenshot"),
        "dependencies": _later(_GRAPH, "prepare_screenshot"),
        "changes": changes_page.prepare_screenshot,
        "cis": cis_page.prepare_screenshot,
        "conflicts": conflicts_page.prepare_screenshot,
        "kpis": _later(_KPIS, "prepare_screenshot"),
        "cab": _later(_CAB, "prepare_screenshot"),
        "settings": settings_page.prepare_screenshot(None),
        **{
            f"settings-{section}": settings_page.prepare_screenshot(section)
            for section in settings_page.SECTION_IDS
        },
    }


def __getattr__(name: str) -> Any:
    # ``SCREENSHOT_VIEWS``: the table above, built on first use, so that importing this module
    # (the main window does, at start) imports no page's code but the Conflicts page's
    if name == "SCREENSHOT_VIEWS":
        return screenshot_views()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
