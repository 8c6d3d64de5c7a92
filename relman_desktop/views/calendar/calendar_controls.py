"""The two rows of controls above the calendar's chart: zoom, fit, today, the scheduling
assistant, baselines, and the status/application/manager filters; plus the message line under
the chart. Only widgets: ``CalendarView`` connects them and owns what they do."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .gantt_geometry import ZOOMS


class CalendarControls(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zoom_combo = QComboBox()
        self.zoom_combo.setObjectName("calendar_zoom")
        self.zoom_combo.setAccessibleName("Zoom")
        for name in ZOOMS:
            self.zoom_combo.addItem(name.capitalize(), name)
        self.zoom_combo.setCurrentIndex(list(ZOOMS).index("week"))
        self.zoom_in = QPushButton("+")
        self.zoom_out = QPushButton("−")
        for b, tip in (
            (self.zoom_in, "Zoom in (+, Ctrl+wheel)"),
            (self.zoom_out, "Zoom out (−, Ctrl+wheel)"),
        ):
            b.setToolTip(tip)
            b.setFixedWidth(b.fontMetrics().horizontalAdvance("+") + 28)
        self.fit_button = QPushButton("Fit release")
        self.fit_button.setToolTip("Zoom to the selected release's dates (F)")
        self.today_button = QPushButton("Today")
        self.today_button.setToolTip("Scroll to today (T)")
        self.slots_button = QPushButton("Next free slots…")
        self.slots_button.setObjectName("calendar_slots")
        self.slots_button.setToolTip(
            "The next free deployment slots for the selected release; pick one to move it there"
        )
        self.baseline_combo = QComboBox()
        self.baseline_combo.setObjectName("calendar_baseline")
        self.baseline_combo.setAccessibleName("Baseline")
        self.save_baseline_button = QPushButton("Save baseline")
        self.save_baseline_button.setObjectName("calendar_save_baseline")
        self.save_baseline_button.setToolTip(
            "Keep today's planned dates under a name, to compare the plan against them later"
        )
        self.status_filter = _filter_combo("calendar_status_filter", "Status")
        self.app_filter = _filter_combo("calendar_app_filter", "Application")
        self.manager_filter = _filter_combo("calendar_manager_filter", "Release manager")
        # the message line sits under the chart (CalendarView places it), not in these rows
        self.message = QLabel("")
        self.message.setObjectName("calendar_message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        bar1 = QHBoxLayout()
        bar1.addWidget(QLabel("Zoom:"))
        bar1.addWidget(self.zoom_combo)
        bar1.addWidget(self.zoom_out)
        bar1.addWidget(self.zoom_in)
        bar1.addWidget(self.fit_button)
        bar1.addWidget(self.today_button)
        bar1.addSpacing(12)
        bar1.addWidget(self.slots_button)
        bar1.addSpacing(12)
        bar1.addWidget(QLabel("Baseline:"))
        bar1.addWidget(self.baseline_combo)
        bar1.addWidget(self.save_baseline_button)
        bar1.addStretch(1)
        bar2 = QHBoxLayout()
        for label, combo in (
            ("Status:", self.status_filter),
            ("Application:", self.app_filter),
            ("Manager:", self.manager_filter),
        ):
            bar2.addWidget(QLabel(label))
            bar2.addWidget(combo)
        bar2.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar1)
        layout.addLayout(bar2)


def _filter_combo(name: str, what: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setAccessibleName(f"Filter by {what.lower()}")
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    combo.setMinimumContentsLength(10)
    return combo
