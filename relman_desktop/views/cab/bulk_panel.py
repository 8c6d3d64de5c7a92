"""The CAB presenter's bulk panel: each chosen agenda item with its own decision and reason,
recorded together (Ctrl+Enter). Split out of ``cab_presenter.py``; the presenter owns the keys
(its event filter watches every box here) and the recording."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QWidget

from relman_desktop.services import cab

from .agenda_item import SYMBOL
from .presenter_style import DECISION_LABEL


class BulkPanel(QWidget):
    """Rows of (release, decision box, reason); ``key_filter`` sees their key presses."""

    def __init__(self, key_filter: QObject, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key_filter = key_filter
        self.grid = QGridLayout(self)
        self.rows: list[tuple[str, QComboBox, QLineEdit]] = []

    def fill(self, items: list[cab.AgendaItemRow], keys: list[str]) -> None:
        """One row per key (in ``keys`` order), the old rows gone at once."""
        while self.grid.count():
            taken = self.grid.takeAt(0)
            gone = taken.widget() if taken is not None else None
            if gone is not None:
                gone.hide()
                gone.deleteLater()
        self.rows = []
        head = QLabel(
            f"Bulk decision — {len(keys)} items · each with its own reason · Ctrl+Enter records all · "
            "Esc cancels"
        )
        head.setProperty("cab", "h2")
        head.setWordWrap(True)
        self.grid.addWidget(head, 0, 0, 1, 3)
        by_key = {i.release_key: i for i in items}
        for row, key in enumerate(keys, 1):
            label = QLabel(f"{key} — {by_key[key].release_title}")
            label.setWordWrap(True)
            combo = QComboBox()
            combo.setAccessibleName(f"Decision for {key}")
            for value, text in DECISION_LABEL.items():
                combo.addItem(f"{SYMBOL[value]} {text}", value)
            reason = QLineEdit()
            reason.setAccessibleName(f"Reason for {key}")
            reason.setPlaceholderText("Reason (required unless approving)")
            reason.installEventFilter(self.key_filter)
            combo.installEventFilter(self.key_filter)
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(combo, row, 1)
            self.grid.addWidget(reason, row, 2)
            self.rows.append((key, combo, reason))
        self.grid.setColumnStretch(0, 2)
        self.grid.setColumnStretch(2, 3)
        self.grid.setRowStretch(len(keys) + 1, 1)

    def decisions(
        self, seconds: dict[str, int], versions: dict[str, int | None] | None = None
    ) -> list[cab.ItemDecision]:
        """What the rows say, each with the time spent on its item and (``versions``, by
        release key) the item's version as shown: one decided elsewhere since is refused."""
        versions = versions or {}
        return [
            cab.ItemDecision(
                key,
                combo.currentData(),
                reason.text().strip() or None,
                None,
                seconds.get(key),
                versions.get(key),
            )
            for key, combo, reason in self.rows
        ]


__all__ = ["BulkPanel"]
