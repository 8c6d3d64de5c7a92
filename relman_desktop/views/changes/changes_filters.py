"""The Changes page's filters: the search field and the combos (approval, category, type,
bundling, release) narrowing its table, and the count of changes shown.

Split from ``changes_page``: :class:`ChangeFilters` is a mix-in of the page (``ChangesPage``
builds the widgets named below in its ``__init__`` and inherits these methods), so the page
and its tests call them as before.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit

from ..releases.tab_changes import KEY_ROLE
from .changes_model import ANY, ChangeFilterProxy, PageChangesModel


class ChangeFilters:
    """The filter behaviour of ``ChangesPage``; the page makes these widgets."""

    model: PageChangesModel
    proxy: ChangeFilterProxy
    search: QLineEdit
    count_label: QLabel
    approval_filter: QComboBox
    category_filter: QComboBox
    type_filter: QComboBox
    bundled_filter: QComboBox
    release_filter: QComboBox

    def filter_combos(self) -> list[QComboBox]:
        return [
            self.approval_filter,
            self.category_filter,
            self.type_filter,
            self.bundled_filter,
            self.release_filter,
        ]

    def _combo(
        self, label: str, items: list[tuple[str, str]], any_text: str | None = None
    ) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(f"{label.lower()}_filter")
        combo.setAccessibleName(f"{label} filter")
        combo.setToolTip(f"Show only changes with this {label.lower()}")
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(8)
        combo.addItem(any_text or f"Any {label.lower()}", ANY)
        for text, value in items:
            combo.addItem(text, value)
        combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
        return combo

    @staticmethod
    def _fill(combo: QComboBox, items: list[tuple[str, str]], *, keep_first: bool = True) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        while combo.count() > (1 if keep_first else 0):
            combo.removeItem(combo.count() - 1)
        for text, value in items:
            combo.addItem(text, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def apply_filters(self) -> None:
        self.proxy.set_filters(
            self.search.text(),
            approval=self.approval_filter.currentData(),
            category=self.category_filter.currentData(),
            type=self.type_filter.currentData(),
            bundled=self.bundled_filter.currentData(),
            release=self.release_filter.currentData(),
        )
        self._update_count()

    def set_filter(self, combo: QComboBox, value: str) -> None:
        combo.setCurrentIndex(max(0, combo.findData(value)))

    def clear_filters(self) -> None:
        for combo in self.filter_combos():
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.apply_filters()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        noun = "change" if total == 1 else "changes"
        self.count_label.setText(
            f"{total:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun} shown"
        )

    def shown_keys(self) -> list[str]:
        return [self.proxy.index(i, 0).data(KEY_ROLE) for i in range(self.proxy.rowCount())]
