"""The "New meeting…" dialog: the date and time, chair, attendees (present or apologies), the agenda's
cut-off and its items (every eligible release pre-selected), instead of a meeting dated now
(issue 16). The dialog only gathers; ``CabPage`` creates the meeting through ``services.cab``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimeZone
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.services.plan_zone import zone_label
from relman_desktop.services.text import as_sentence

# What each attendee row offers; "not invited" leaves the person off the meeting.
ATTENDANCE = ("present", "apologies", "not invited")


@dataclass(frozen=True)
class Candidate:
    """One eligible release offered as an agenda item."""

    key: str
    title: str
    risk: str


@dataclass(frozen=True)
class Invitee:
    email: str
    name: str
    cab_member: bool


@dataclass
class MeetingRequest:
    """What the dialog gathered, ready for ``cab.create_meeting``."""

    title: str | None
    held_at: dt.datetime
    cutoff_at: dt.datetime
    chair: str | None
    attendees: list[str] = field(default_factory=list)
    apologies: list[str] = field(default_factory=list)
    releases: list[str] | None = None  # None: every eligible release, as the plan moves

    def kwargs(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "held_at": self.held_at,
            "cutoff_at": self.cutoff_at,
            "chair": self.chair,
            "attendees": self.attendees,
            "apologies": self.apologies,
            "releases": self.releases,
        }


def _qdatetime(value: dt.datetime, zone: ZoneInfo) -> QDateTime:
    local = value.astimezone(zone)
    return QDateTime(
        QDate(local.year, local.month, local.day),
        QTime(local.hour, local.minute),
        QTimeZone(zone.key.encode()),
    )


class NewMeetingDialog(QDialog):
    """Plan a CAB meeting. ``now`` and ``zone`` come from the plan (its clock and display zone)."""

    def __init__(
        self,
        people: list[Invitee],
        candidates: list[Candidate],
        now: dt.datetime,
        zone: ZoneInfo,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("cab_new_meeting")
        self.setWindowTitle("New CAB meeting")
        self.zone = zone
        self.people = people
        self.candidates = candidates
        # Next half hour, today: a meeting planned a little ahead, editable.
        start = (now.astimezone(zone) + dt.timedelta(minutes=30)).replace(
            minute=0 if now.astimezone(zone).minute >= 30 else 30, second=0, microsecond=0
        )
        if start <= now.astimezone(zone):
            start += dt.timedelta(hours=1)

        self.title_edit = QLineEdit()
        self.title_edit.setAccessibleName("Meeting title")
        self.title_edit.setPlaceholderText(f"CAB {start:%Y-%m-%d}")
        self.date_edit = QDateEdit(QDate(start.year, start.month, start.day))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setAccessibleName("Meeting date")
        self.time_edit = QTimeEdit(QTime(start.hour, start.minute))
        self.time_edit.setDisplayFormat("HH:mm")
        self.time_edit.setAccessibleName("Meeting time")
        when = QHBoxLayout()
        when.addWidget(self.date_edit)
        when.addWidget(self.time_edit)
        when.addWidget(QLabel(zone_label(zone)))
        when.addStretch(1)

        self.chair_combo = QComboBox()
        self.chair_combo.setAccessibleName("Chair")
        self.chair_combo.addItem("(no chair)", None)
        for p in people:
            self.chair_combo.addItem(f"{p.name} <{p.email}>", p.email)

        self.attendee_table = QTableWidget(len(people), 2)
        self.attendee_table.setObjectName("cab_attendees")
        self.attendee_table.setAccessibleName("Attendees")
        self.attendee_table.setHorizontalHeaderLabels(["Person", "Attendance"])
        self.attendee_table.verticalHeader().setVisible(False)
        header = self.attendee_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.attendance: dict[str, QComboBox] = {}
        for row, p in enumerate(people):
            name = QLabel(f"{p.name} <{p.email}>" + (" · CAB member" if p.cab_member else ""))
            name.setContentsMargins(6, 0, 6, 0)
            combo = QComboBox()
            combo.setAccessibleName(f"Attendance of {p.name}")
            combo.addItems(ATTENDANCE)
            combo.setCurrentText("present" if p.cab_member else "not invited")
            self.attendance[p.email] = combo
            self.attendee_table.setCellWidget(row, 0, name)
            self.attendee_table.setCellWidget(row, 1, combo)
        self.attendee_table.setMinimumHeight(140)

        self.cutoff_edit = QDateTimeEdit(_qdatetime(now, zone))
        self.cutoff_edit.setCalendarPopup(True)
        self.cutoff_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.cutoff_edit.setAccessibleName("Agenda cut-off")
        self.cutoff_edit.setToolTip(
            "The agenda freezes at the cut-off; until then it follows the plan (provisional)."
        )

        self.items_list = QListWidget()
        self.items_list.setObjectName("cab_new_items")
        self.items_list.setAccessibleName("Agenda items")
        self.items_list.setUniformItemSizes(True)  # hundreds of eligible releases stay quick
        for c in candidates:
            item = QListWidgetItem(f"{c.key} — {c.title} ({c.risk} risk)")
            item.setData(Qt.ItemDataRole.UserRole, c.key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.items_list.addItem(item)
        self.items_list.itemChanged.connect(lambda _i: self._count_items())
        self.items_label = QLabel()
        all_button = QPushButton("Select &all")
        none_button = QPushButton("Select &none")
        all_button.clicked.connect(lambda: self._check_all(Qt.CheckState.Checked))
        none_button.clicked.connect(lambda: self._check_all(Qt.CheckState.Unchecked))
        items_bar = QHBoxLayout()
        items_bar.addWidget(self.items_label, 1)
        items_bar.addWidget(all_button)
        items_bar.addWidget(none_button)

        self.error_label = QLabel()
        self.error_label.setObjectName("cab_new_error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: palette(link); font-weight: bold;")
        self.error_label.setVisible(False)

        form = QFormLayout()
        form.addRow("&Title:", self.title_edit)
        form.addRow("&Date and time:", when)
        form.addRow("C&hair:", self.chair_combo)
        form.addRow("&Attendees:", self.attendee_table)
        form.addRow("Agenda &cut-off:", self.cutoff_edit)
        when_label = form.labelForField(when)
        if isinstance(when_label, QLabel):
            when_label.setBuddy(self.date_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("&Create meeting")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        items_head = QLabel("Agenda &items (the releases awaiting the board, all selected):")
        items_head.setBuddy(self.items_list)
        layout.addWidget(items_head)
        layout.addLayout(items_bar)
        layout.addWidget(self.items_list, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.request: MeetingRequest | None = None
        self._count_items()
        self.resize(720, 640)

    # --- reading the form -----------------------------------------------------------------------

    def _check_all(self, state: Qt.CheckState) -> None:
        self.items_list.blockSignals(True)
        for i in range(self.items_list.count()):
            self.items_list.item(i).setCheckState(state)
        self.items_list.blockSignals(False)
        self._count_items()

    def chosen_keys(self) -> list[str]:
        return [
            self.items_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.items_list.count())
            if self.items_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _count_items(self) -> None:
        n, total = len(self.chosen_keys()), self.items_list.count()
        self.items_label.setText(
            f"{n} of {total} item{'s' if total != 1 else ''} on the agenda"
            if total
            else "No release awaits the board now; the agenda fills up until the cut-off."
        )

    def held_at(self) -> dt.datetime:
        d, t = self.date_edit.date(), self.time_edit.time()
        return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=self.zone)

    def cutoff_at(self) -> dt.datetime:
        q = self.cutoff_edit.dateTime()
        d, t = q.date(), q.time()
        return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=self.zone)

    def show_error(self, text: str) -> None:
        self.error_label.setText(f"⚠ {as_sentence(text)}")
        self.error_label.setVisible(True)

    def _accept(self) -> None:
        held, cutoff = self.held_at(), self.cutoff_at()
        if cutoff > held:
            self.show_error("Cut-off: the agenda must freeze before the meeting, not after it.")
            self.cutoff_edit.setFocus()
            return
        chair = self.chair_combo.currentData()
        present = [e for e, c in self.attendance.items() if c.currentText() == "present"]
        sorry = [e for e, c in self.attendance.items() if c.currentText() == "apologies"]
        if chair is not None and chair in sorry:
            self.show_error("Apologies: the chair cannot send apologies to their own meeting.")
            self.attendance[chair].setFocus()
            return
        keys = self.chosen_keys()
        if self.candidates and not keys:
            self.show_error("Agenda items: choose at least one release (or Select all).")
            self.items_list.setFocus()
            return
        # All of them chosen: the agenda keeps following the plan until the cut-off.
        everything = len(keys) == self.items_list.count()
        self.request = MeetingRequest(
            self.title_edit.text().strip() or None,
            held,
            cutoff,
            chair,
            present,
            sorry,
            None if everything else keys,
        )
        self.accept()


__all__ = ["ATTENDANCE", "Candidate", "Invitee", "MeetingRequest", "NewMeetingDialog"]
