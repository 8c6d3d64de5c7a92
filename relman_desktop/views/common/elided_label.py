"""A one-line label that ends in "…" when it is narrower than its text (a long release title
beside the conflict badge and the status at 1366 px), with the whole text as its tooltip."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy


class ElidedLabel(QLabel):
    """``text()`` is the whole text; what is painted is cut to the width with "…"."""

    def __init__(self, text: str = "", parent: Any = None) -> None:
        super().__init__(parent)
        self._full = ""
        # never widen the row it sits in: the label takes what is left
        self.setMinimumWidth(0)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802
        self._full = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        """What is painted (the text, or its start and "…")."""
        return super().text()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._elide()

    def _elide(self) -> None:
        width = self.contentsRect().width()
        shown = (
            self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width)
            if width > 0
            else self._full
        )
        if shown != super().text():
            super().setText(shown)
