"""Settings > Time zone: the zone every document and view of the plan shows times in.

Stored in the plan (``services.plan_zone``); a plan that names none uses this computer's zone.
Setting it is one undoable step; the calendar and the documents read it on their next draw.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..shell.commands import Refused
from ..shell.store import Store


class TimeZoneSection(QWidget):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        from relman_desktop.services.plan_zone import all_zone_names

        super().__init__(parent)
        self.setObjectName("settings_timezone")
        self.store = store
        self.zone = QComboBox()
        self.zone.setObjectName("plan_timezone")
        self.zone.setEditable(True)
        self.zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.zone.addItems(all_zone_names())
        completer = QCompleter(all_zone_names(), self.zone)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.zone.setCompleter(completer)
        self.apply = QPushButton("Apply")
        self.apply.setObjectName("plan_timezone_apply")
        self.apply.clicked.connect(self.save)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setProperty("role", "error")
        self.problem.setWordWrap(True)
        self.zone.setMinimumWidth(280)
        row = QHBoxLayout()
        row.addWidget(self.zone)
        row.addWidget(self.apply)
        row.addStretch(1)
        form = QFormLayout()
        form.addRow("Plan time zone", row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        store.plan_opened.connect(self._plan_opened)  # bound: the store outlives the row
        self.reload()

    def _plan_opened(self, _path: str) -> None:
        self.reload()

    def reload(self) -> None:
        from relman_desktop.services.plan_zone import machine_zone_name, plan_zone_name

        if not self.store.has_plan:
            return
        current = plan_zone_name(self.store.ctx)
        self.zone.setCurrentText(current)
        self.note.setText(
            "Release notes, runbooks, minutes, knowledge-base pages, the .ics calendar and the "
            f"views show times in this zone. This computer's zone is {machine_zone_name()}."
        )
        self.problem.clear()

    def save(self) -> None:
        from relman_desktop.services.plan_zone import plan_zone_name

        wanted = self.zone.currentText().strip()
        before = plan_zone_name(self.store.ctx)
        if wanted == before:
            return
        try:
            self.store.edits.set_plan_zone(wanted, before)
        except Refused as exc:
            self.problem.setText(str(exc))
            return
        self.problem.clear()
