"""The Settings page (navigator "Settings"): appearance and the plan file, then the plan's own
settings — people, CIs, calendar windows, templates, rules and the workflow — each section with
add / edit / delete, reasons shown inline, and every edit one step on the store's undo stack.

The shell (``views/shell/screens.py``) builds it and its screenshot views ``settings`` and
``settings-<section>`` (``settings-workflow``, ``settings-cis``…).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from ..shell.store import Store
from .general import GeneralSettings
from .settings_section import RecordSection

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


class SettingsPage(QWidget):
    def __init__(self, store: Store, window: Any = None, parent: QWidget | None = None) -> None:
        from .settings_people import CISection, PeopleSection
        from .settings_templates import RulesSection, TemplatesSection
        from .settings_windows import WindowsSection
        from .settings_workflow import WorkflowSection

        super().__init__(parent)
        self.setObjectName("settings_page")
        self.store = store
        heading = QLabel("Settings")
        heading.setProperty("role", "heading")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("settings_tabs")
        self.tabs.setDocumentMode(True)
        self.sections: dict[str, QWidget] = {}
        general = _general(store, window)
        if general is not None:
            self._add("General", general)
        from .settings_timezone import TimeZoneSection

        self.timezone = TimeZoneSection(store)
        self._add("Time zone", self.timezone)
        self.people = PeopleSection(store)
        self.cis = CISection(store)
        self.windows = WindowsSection(store)
        self.templates = TemplatesSection(store)
        self.rules = RulesSection(store)
        self.workflow = WorkflowSection(store)
        for title, widget in (
            ("People", self.people),
            ("CIs", self.cis),
            ("Calendar windows", self.windows),
            ("Templates", self.templates),
            ("Rules", self.rules),
            ("Workflow", self.workflow),
        ):
            self._add(title, widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addWidget(heading)
        layout.addWidget(self.tabs, 1)

    def _add(self, title: str, widget: QWidget) -> None:
        self.sections[title] = widget
        self.tabs.addTab(widget, title)

    def show_section(self, title: str) -> bool:
        title = SECTION_IDS.get(title.lower(), title)
        widget = self.sections.get(title)
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
