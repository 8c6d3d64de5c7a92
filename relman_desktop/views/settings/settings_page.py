"""The Settings page (navigator "Settings"): appearance and the plan file, then the plan's own
settings — people, CIs, calendar windows, templates, rules and the workflow — each section with
add / edit / delete, reasons shown inline, and every edit one step on the store's undo stack.

The shell (``views/shell/screens.py``) builds it and its screenshot views ``settings`` and
``settings-<section>`` (``settings-workflow``, ``settings-cis``…).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from ..shell.store import Store
from .general import GeneralSettings
from .settings_section import RecordSection

if TYPE_CHECKING:
    from .settings_people import CISection, PeopleSection
    from .settings_templates import RulesSection, TemplatesSection
    from .settings_timezone import TimeZoneSection
    from .settings_windows import WindowsSection
    from .settings_workflow import WorkflowSection

SECTIONS = (
    "General",
    "Time zone",
    "People",
    "CIs",
    "Calendar windows",
    "Templates",
    "Rules",
    "Workflow",
)
SECTION_IDS = {
    "general": "General",
    "timezone": "Time zone",
    "people": "People",
    "cis": "CIs",
    "windows": "Calendar windows",
    "templates": "Templates",
    "rules": "Rules",
    "workflow": "Workflow",
}


# Each section's class, by tab title: built when its tab is first shown (or asked for), so the
# first open of Settings builds only the tab it shows (all eight took ~0.3 s on a big plan).
LAZY_SECTIONS: dict[str, tuple[str, str]] = {
    "Time zone": ("settings_timezone", "TimeZoneSection"),
    "People": ("settings_people", "PeopleSection"),
    "CIs": ("settings_people", "CISection"),
    "Calendar windows": ("settings_windows", "WindowsSection"),
    "Templates": ("settings_templates", "TemplatesSection"),
    "Rules": ("settings_templates", "RulesSection"),
    "Workflow": ("settings_workflow", "WorkflowSection"),
}


class SettingsPage(QWidget):
    def __init__(self, store: Store, window: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settings_page")
        self.store = store
        heading = QLabel("Settings")
        heading.setProperty("role", "heading")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("settings_tabs")
        self.tabs.setDocumentMode(True)
        self.sections: dict[str, QWidget] = {}  # the sections built so far, by title
        self._placeholders: dict[str, QWidget] = {}
        general = _general(store, window)
        if general is not None:
            self._add("General", general)
        for title in LAZY_SECTIONS:
            placeholder = QWidget()
            placeholder.setObjectName(f"settings_placeholder_{title}")
            self._placeholders[title] = placeholder
            self.tabs.addTab(placeholder, title)
        self.tabs.currentChanged.connect(self._tab_shown)
        if general is None:  # no window (a test, a screenshot): the first tab is a section
            self._tab_shown(self.tabs.currentIndex())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addWidget(heading)
        layout.addWidget(self.tabs, 1)

    def _add(self, title: str, widget: QWidget) -> None:
        self.sections[title] = widget
        self.tabs.addTab(widget, title)

    def _tab_shown(self, index: int) -> None:
        if index >= 0:
            self.section(self.tabs.tabText(index))

    def lazy_sections(self) -> list[str]:
        """The titles of the sections not built yet (F1 builds them to list their keys)."""
        return list(self._placeholders)

    def section(self, title: str) -> QWidget | None:
        """The section titled ``title``, built (in its tab's place) if it was not yet."""
        built = self.sections.get(title)
        if built is not None or title not in LAZY_SECTIONS:
            return built
        module, name = LAZY_SECTIONS[title]
        cls = getattr(import_module(f"{__package__}.{module}"), name)
        widget: QWidget = cls(self.store)
        self.sections[title] = widget
        placeholder = self._placeholders.pop(title)
        index = self.tabs.indexOf(placeholder)
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)  # the swap is not the user choosing another tab
        try:
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, widget, title)
            self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(False)
        placeholder.deleteLater()
        return widget

    @property
    def timezone(self) -> TimeZoneSection:
        return self.section("Time zone")  # type: ignore[return-value]

    @property
    def people(self) -> PeopleSection:
        return self.section("People")  # type: ignore[return-value]

    @property
    def cis(self) -> CISection:
        return self.section("CIs")  # type: ignore[return-value]

    @property
    def windows(self) -> WindowsSection:
        return self.section("Calendar windows")  # type: ignore[return-value]

    @property
    def templates(self) -> TemplatesSection:
        return self.section("Templates")  # type: ignore[return-value]

    @property
    def rules(self) -> RulesSection:
        return self.section("Rules")  # type: ignore[return-value]

    @property
    def workflow(self) -> WorkflowSection:
        return self.section("Workflow")  # type: ignore[return-value]

    def show_section(self, title: str) -> bool:
        title = SECTION_IDS.get(title.lower(), title)
        widget = self.section(title)
        if widget is None:
            return False
        self.tabs.setCurrentWidget(widget)
        return True

    def select_first(self) -> None:
        widget = self.tabs.currentWidget()
        for section in (getattr(widget, "states", None), getattr(widget, "transitions", widget)):
            if isinstance(section, RecordSection):
                section.reload()
                if section.model.rowCount():
                    section.table.selectRow(0)


def _general(store: Store, window: Any) -> QWidget | None:
    """Appearance and the plan file: the main window's own settings form, when there is a window."""
    if window is None or not hasattr(window, "settings"):
        return None
    general = GeneralSettings(store, window)
    general.setObjectName("settings_general")
    return general


def page_factory(store: Store, window: Any) -> SettingsPage:
    return SettingsPage(store, window)


def prepare_screenshot(section: str | None) -> Any:
    """The Settings page, on ``section`` (one of ``SECTION_IDS``) or on its first."""

    def prepare(window: Any, _key: str | None) -> None:
        window.show_page("settings")
        page = window.page_widgets.get("settings")
        if section is not None and isinstance(page, SettingsPage):
            page.show_section(section)
            page.select_first()  # the form shows a record being edited, which is what to look at

    return prepare
