"""The CAB presenter's screen: its widgets and where they sit, read from the back of the room.

``PresenterScreen`` builds the header (meeting · item n of m · timer), the agenda strip and its
legend, the release's title, facts and decision banner, the sections (2 or 3 columns, in a
scroll area) stacked with the bulk panel, the rationale and conditions form, the message line
and the keys help. ``cab_presenter.CabPresenter`` is its subclass: it fills these widgets,
answers the keys and records the decisions; nothing here reads or writes the plan.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .agenda_item import COLUMNS, SECTIONS
from .agenda_strip import AgendaStrip
from .bulk_panel import BulkPanel
from .presenter_style import HELP_TEXT, LEGEND, _rule


class PresenterScreen(QWidget):
    """The shared screen's widgets, laid out; ``CabPresenter`` gives them their content and
    their keys (the bulk panel's boxes report their key presses to this widget)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # header: meeting · item n of m · timer
        self.meeting_label = QLabel()
        self.meeting_label.setProperty("cab", "meta")
        # A long meeting title wraps in the space left, never pushing the timer off-screen.
        self.meeting_label.setWordWrap(True)
        self.position_label = QLabel()
        self.position_label.setProperty("cab", "meta")
        self.timer_label = QLabel()
        self.timer_label.setProperty("cab", "timer")
        self.timer_label.setAccessibleName("Time on this item")
        header = QHBoxLayout()
        header.addWidget(self.meeting_label, 1)
        header.addWidget(self.position_label)
        header.addSpacing(24)
        header.addWidget(self.timer_label)

        # progress strip: scrolls on its own, however long the agenda
        self.strip = AgendaStrip()
        self.legend = QLabel(LEGEND)
        self.legend.setProperty("cab", "small")

        # the release and its decision
        self.title_label = QLabel()
        self.title_label.setProperty("cab", "h1")
        self.title_label.setWordWrap(True)
        self.facts_label = QLabel()
        self.facts_label.setProperty("cab", "facts")
        self.facts_label.setWordWrap(True)
        self.decision_banner = QLabel()
        self.decision_banner.setObjectName("cab_decision_banner")
        self.decision_banner.setWordWrap(True)
        self.decision_banner.setAccessibleName("Decision")

        # sections, in a scroll area so nothing is ever cut off
        self.section_labels: dict[str, QLabel] = {}
        self.section_heads: dict[str, QLabel] = {}
        self.content = QWidget()
        self.content_layout = QHBoxLayout(self.content)
        self.content_layout.setContentsMargins(0, 0, 8, 0)
        self.content_layout.setSpacing(36)
        self.columns = 0
        for name in SECTIONS:
            head = QLabel(name)
            head.setProperty("cab", "h2")
            body = QLabel()
            body.setWordWrap(True)
            body.setTextFormat(Qt.TextFormat.RichText)
            body.setProperty("cab", "body")
            body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            body.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
            self.section_heads[name] = head
            self.section_labels[name] = body
        self._arrange(2)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(self.content)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        # bulk panel
        self.bulk = BulkPanel(self)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.scroll_area)
        bulk_scroll = QScrollArea()
        bulk_scroll.setWidget(self.bulk)
        bulk_scroll.setWidgetResizable(True)
        bulk_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.stack.addWidget(bulk_scroll)

        # rationale and conditions
        self.rationale_edit = QLineEdit()
        self.rationale_edit.setObjectName("cab_rationale")
        self.rationale_edit.setAccessibleName("Rationale")
        self.rationale_edit.setPlaceholderText(
            "Rationale (required to reject, defer or ask for more information)"
        )
        self.conditions_edit = QLineEdit()
        self.conditions_edit.setObjectName("cab_conditions")
        self.conditions_edit.setAccessibleName("Conditions")
        self.conditions_edit.setPlaceholderText("Conditions (optional)")
        self.rationale_label = QLabel("Rationale")
        self.rationale_label.setProperty("cab", "h3")
        self.rationale_label.setBuddy(self.rationale_edit)
        conditions_label = QLabel("Conditions")
        conditions_label.setProperty("cab", "h3")
        conditions_label.setBuddy(self.conditions_edit)
        # the decision form, hidden on a closed meeting (its presenter is a record)
        self.decision_form = QWidget()
        form = QHBoxLayout(self.decision_form)
        form.setContentsMargins(0, 0, 0, 0)
        form.addWidget(self.rationale_label)
        form.addWidget(self.rationale_edit, 3)
        form.addSpacing(12)
        form.addWidget(conditions_label)
        form.addWidget(self.conditions_edit, 2)

        self.message = QLabel()
        self.message.setObjectName("cab_message")
        self.message.setWordWrap(True)
        self.message.setProperty("cab", "message")
        self.message.setVisible(False)
        self.keys_help = QLabel(HELP_TEXT)
        self.keys_help.setWordWrap(True)
        self.keys_help.setProperty("cab", "small")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 18, 28, 14)
        layout.setSpacing(8)
        strip_row = QHBoxLayout()
        strip_row.addWidget(self.strip, 1)
        strip_row.addWidget(self.legend)
        layout.addLayout(header)
        layout.addLayout(strip_row)
        layout.addWidget(_rule())
        layout.addWidget(self.title_label)
        layout.addWidget(self.facts_label)
        layout.addWidget(self.decision_banner)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.decision_form)
        layout.addWidget(self.message)
        layout.addWidget(self.keys_help)

    def _arrange(self, columns: int) -> None:
        """Lay the sections out in 2 or 3 columns (3 when the screen is wide enough)."""
        if columns == self.columns:
            return
        self.columns = columns
        while self.content_layout.count():
            taken = self.content_layout.takeAt(0)
            if taken is not None and (inner := taken.layout()) is not None:
                while inner.count():
                    inner.takeAt(0)
                inner.deleteLater()
        for names in COLUMNS[columns]:
            col = QVBoxLayout()
            col.setSpacing(4)
            for name in names:
                col.addWidget(self.section_heads[name])
                col.addWidget(self.section_labels[name])
                col.addSpacing(10)
            col.addStretch(1)
            self.content_layout.addLayout(col, 1)
