"""The navigator's pages, as a registry a later module extends with ``register_page``.

A factory takes ``(store, window)`` and returns the page's QWidget. Pages not built yet are
placeholders that say what will be there. Every page name is also a screenshot view
(``relman screenshot calendar out.png``) unless the module registers its own preparation
with ``views.screenshot.register_screenshot_view``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from .store import Store

PageFactory = Callable[["Store", Any], QWidget]


@dataclass
class PageSpec:
    name: str  # stable id: "calendar"
    title: str  # what the navigator shows: "Calendar"
    factory: PageFactory | None  # None: the placeholder below
    description: str = ""


class PlaceholderPage(QWidget):
    def __init__(self, title: str, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"placeholder_page_{title.lower()}")
        heading = QLabel(title)
        heading.setProperty("role", "heading")
        body = QLabel(description)
        body.setWordWrap(True)
        note = QLabel("This view is not built yet.")
        note.setProperty("role", "subtle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 32, 32, 32)
        layout.addWidget(heading)
        layout.addWidget(body)
        layout.addWidget(note)
        layout.addStretch(1)


PAGE_REGISTRY: list[PageSpec] = [
    PageSpec("releases", "Releases", None, "All releases, filtered and sorted."),
    PageSpec("calendar", "Calendar", None,
             "Gantt rows of releases (expanding to their tasks): planned and actual bars, deployment "
             "windows, shaded maintenance windows, hatched freezes, business events, a today line, "
             "dependency arrows, the critical path and conflict badges. Zoom from day to quarter; drag "
             "or nudge with the keyboard to move and resize, snapped and undoable."),
    PageSpec("dependencies", "Dependencies", None,
             "A layered graph of releases and their tasks. New dependencies that would close a loop "
             "are refused with the loop named; “what slips if this slips” shows the knock-on effect."),
    PageSpec("changes", "Changes", None,
             "Every change (CHG-…) with its type, category, approval status, risk and the release it is "
             "bundled into; bundle approved changes into a release or take them out."),
    PageSpec("cis", "CIs", None,
             "Configuration items by class and environment with owner, criticality, maintenance-window "
             "needs and parent/child relations, and the releases that touch each one."),
    PageSpec("kpis", "KPIs", None,
             "Release success rate, deployment frequency, change failure rate, time to restore, lead "
             "time for changes, on-time delivery and approval cycle time, per period and application, "
             "with DORA performance tiers."),
    PageSpec("cab", "CAB", None,
             "Presenter mode for the Change Advisory Board: full screen, large type, a frozen agenda, "
             "one-key decisions and the minutes written as you go."),
    PageSpec("settings", "Settings", None, "Appearance, the plan file, the workflow and templates."),
]


def register_page(name: str, title: str, factory: PageFactory, description: str = "") -> None:
    """Replace a placeholder page (or add a new one) in the navigator of windows made later."""
    for spec in PAGE_REGISTRY:
        if spec.name == name:
            spec.title = title
            spec.factory = factory
            spec.description = description or spec.description
            return
    PAGE_REGISTRY.insert(len(PAGE_REGISTRY) - 1, PageSpec(name, title, factory, description))


def page_names() -> list[str]:
    return [spec.name for spec in PAGE_REGISTRY]
