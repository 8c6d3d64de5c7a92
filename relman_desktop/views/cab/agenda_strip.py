"""The CAB presenter's agenda strip: one chip per item (number and decision symbol), the current
one highlighted. It scrolls on its own, keeping the current chip in view, so a long agenda never
widens the presenter past the screen (issue 16: 20+ items at 1366×768). Split out of
``cab_presenter.py``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
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
        self.look: tuple[str, ...] | None = None  # what it shows now, to skip repainting it
        self.kind: tuple[str, str] | None = None  # its style sheet selectors: decision, current
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
        self.current = -1
        self._sheet = ""  # the chips' one style sheet, on ``inner`` (see ``paint``)

    def _fit_height(self) -> None:
        """As tall as a chip in the current type size, plus the scroll bar below the chips."""
        chip = max((c.sizeHint().height() for c in self.chips), default=0)
        bar = self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(chip + bar + 4)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(200, self.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(80, self.height())

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
        self._fit_height()

    def paint(
        self,
        items: list[cab.AgendaItemRow],
        current: int,
        selected: set[str],
        pal: QPalette,
        dark: bool,
    ) -> None:
        """Each chip's number, symbol and colour. Only chips whose look changed are touched.
        The colours are one style sheet on the strip, chosen by each chip's ``decision`` and
        ``current`` properties: a style sheet per chip (parsed ~900 times on a 300-item agenda)
        made the full-screen presenter (F5) take a third of a second (issue 16)."""
        colours = _colours(dark)
        fg = pal.color(QPalette.ColorRole.WindowText).name()
        hl = pal.color(QPalette.ColorRole.Highlight).name()
        hl_text = pal.color(QPalette.ColorRole.HighlightedText).name()
        rules = [
            f"QLabel {{ color: {fg}; border: 2px solid {fg}; border-radius: 4px;"
            " padding: 2px 8px; }"
        ]
        for decision, colour in colours.items():
            if decision:
                rules.append(
                    f'QLabel[decision="{decision}"] {{ color: {colour};'
                    f" border: 2px solid {colour}; }}"
                )
        rules.append(
            f'QLabel[current="yes"] {{ background: {hl}; color: {hl_text};'
            f" border: 3px solid {hl}; font-weight: bold; }}"
        )
        sheet = "\n".join(rules)
        if sheet != self._sheet:
            self._sheet = sheet
            self.inner.setStyleSheet(sheet)  # restyles every chip once
        for chip, item in zip(self.chips, items, strict=False):
            mark = "■ " if item.release_key in selected else ""
            text = f"{mark}{item.position + 1} {SYMBOL[item.decision]}"
            kind = (item.decision or "", "yes" if chip.index == current else "no")
            word = cab.decision_word(item.decision)
            look = (text, item.release_key, word)
            if chip.kind != kind:
                chip.kind = kind
                chip.setProperty("decision", kind[0])
                chip.setProperty("current", kind[1])
                chip.style().unpolish(chip)  # a property selector is read again on polish
                chip.style().polish(chip)
            if chip.look == look:
                continue
            chip.look = look
            chip.setText(text)
            chip.setToolTip(f"{item.release_key}: {word}")
            chip.setAccessibleName(f"Item {item.position + 1}, {item.release_key}, {word}")
        self._fit_height()
        self.current = current
        self._follow()
        # Once laid out (new chips have no geometry yet), follow the current chip again.
        QTimer.singleShot(0, self, self._follow)

    def _follow(self) -> None:
        """Scroll so the current chip is in view (the first chip: all the way left)."""
        if not 0 <= self.current < len(self.chips):
            return
        if self.current == 0:
            self.horizontalScrollBar().setValue(0)
        else:
            self.ensureWidgetVisible(self.chips[self.current], 48, 0)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._follow()

    def restyled(self) -> None:
        """The type size changed (the presenter's style sheet): paint every chip again."""
        for chip in self.chips:
            chip.look = None


__all__ = ["AgendaStrip"]
