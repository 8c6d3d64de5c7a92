"""The CAB presenter's agenda strip: one chip per item (number and decision symbol), the current
one highlighted. It scrolls on its own, keeping the current chip in view, so a long agenda never
widens the presenter past the screen (issue 16: 20+ items at 1366×768). Split out of
``cab_presenter.py``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QWidget

from relman_desktop.services import cab

from .agenda_item import SYMBOL
from .presenter_style import _colours


class _Chip(QLabel):
    clicked = Signal(int)

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 (Qt name)
        self.clicked.emit(self.index)


class AgendaStrip(QScrollArea):
    """The row of item chips, in its own horizontal scroll area."""

    clicked = Signal(int)  # index of the chip clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cab_agenda_strip")
        self.setAccessibleName("Agenda items")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setWidgetResizable(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.inner = QWidget()
        self.row = QHBoxLayout(self.inner)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(6)
        self.setWidget(self.inner)
        self.chips: list[_Chip] = []

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        bar = self.horizontalScrollBar().sizeHint().height()
        return QSize(200, self.inner.sizeHint().height() + bar + 2)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(80, self.sizeHint().height())

    def build(self, count: int) -> None:
        """One chip per agenda item (the old ones gone at once)."""
        while self.row.count():
            taken = self.row.takeAt(0)
            gone = taken.widget() if taken is not None else None
            if gone is not None:
                gone.hide()  # gone at once, not only when the event loop deletes it
                gone.deleteLater()
        self.chips = []
        for i in range(count):
            chip = _Chip(i)
            chip.clicked.connect(self.clicked)
            self.chips.append(chip)
            self.row.addWidget(chip)
        self.row.addStretch(1)
        self.updateGeometry()

    def paint(
        self,
        items: list[cab.AgendaItemRow],
        current: int,
        selected: set[str],
        pal: QPalette,
        dark: bool,
    ) -> None:
        colours = _colours(dark)
        fg = pal.color(QPalette.ColorRole.WindowText).name()
        hl = pal.color(QPalette.ColorRole.Highlight).name()
        hl_text = pal.color(QPalette.ColorRole.HighlightedText).name()
        for chip, item in zip(self.chips, items, strict=False):
            mark = "■ " if item.release_key in selected else ""
            chip.setText(f"{mark}{item.position + 1} {SYMBOL[item.decision]}")
            chip.setToolTip(f"{item.release_key}: {cab.decision_word(item.decision)}")
            chip.setAccessibleName(
                f"Item {item.position + 1}, {item.release_key}, {cab.decision_word(item.decision)}"
            )
            if chip.index == current:
                chip.setStyleSheet(
                    f"QLabel {{ background: {hl}; color: {hl_text}; border: 3px solid {hl};"
                    " border-radius: 4px; padding: 2px 8px; font-weight: bold; }"
                )
            else:
                colour = colours[item.decision] if item.decision else fg
                chip.setStyleSheet(
                    f"QLabel {{ color: {colour}; border: 2px solid {colour}; border-radius: 4px;"
                    " padding: 2px 8px; }"
                )
        self.updateGeometry()
        if 0 <= current < len(self.chips):
            self.ensureWidgetVisible(self.chips[current], 48, 0)


__all__ = ["AgendaStrip"]
