"""Which columns a table shows, and how wide: the user's choice, else what fits.

Right-click a table's header for a checkable list of its columns and "Fit columns to the
window". Until the user picks, the table fits its viewport: when the columns are wider than
the viewport, the least important ones (a per-table order) are hidden until the rest fit —
a 1366×768 laptop with the Inspector open shows no sideways scrolling — and they come back
when the window grows. One column (the title) takes whatever width the others leave over.
A choice made in the menu is kept in the settings under the table's name and applies as is,
at any width, until "Fit columns to the window" hands the table back to fitting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QPushButton, QTableView

from ..shell.settings import Settings


class ColumnChooser(QObject):
    """Column visibility and widths for ``table``.

    ``names``: the model's column names, in order. ``always``: columns that cannot be hidden
    (the key). ``drop_order``: the columns hidden first when the table does not fit, most
    expendable first. ``stretch``: the column that takes the spare width (it keeps at least
    the width it had when the chooser was made). ``name``: the settings key.
    """

    def __init__(
        self,
        table: QTableView,
        name: str,
        names: Sequence[str],
        titles: Sequence[str],
        *,
        always: Sequence[str] = (),
        drop_order: Sequence[str] = (),
        stretch: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        super().__init__(table)
        self.table = table
        self.name = name
        self.names = list(names)
        self.titles = dict(zip(self.names, titles, strict=True))
        self.always = set(always)
        self.drop_order = [n for n in drop_order if n not in self.always]
        self.stretch = stretch
        self.settings = settings
        # Hidden columns are never a secret: "2 columns hidden: Priority, Type" next to the
        # table (the view places it), opening the same menu as the header's right-click.
        self.indicator = QPushButton()
        self.indicator.setObjectName(f"{name}_hidden_columns")
        self.indicator.setProperty("role", "link")
        self.indicator.setFlat(True)
        self.indicator.clicked.connect(
            lambda: self.menu().popup(
                self.indicator.mapToGlobal(self.indicator.rect().bottomLeft())
            )
        )
        self.indicator.hide()
        header = table.horizontalHeader()
        # the widths the table was given are each column's natural width
        self.natural = {n: table.columnWidth(i) for i, n in enumerate(self.names)}
        stored = settings.hidden_columns(name) if settings is not None else None
        self.chosen: set[str] | None = (
            {n for n in stored if n in self.titles and n not in self.always}
            if stored is not None
            else None
        )
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._menu)
        header.sectionResized.connect(self._resized_by_user)
        self._viewport = table.viewport()
        self._viewport.installEventFilter(self)
        self._fitting = False
        self.fit()

    # --- state ------------------------------------------------------------------------------

    @property
    def fitting(self) -> bool:
        """True while the table fits its viewport (the user has not picked columns)."""
        return self.chosen is None

    def hidden(self) -> list[str]:
        return [n for i, n in enumerate(self.names) if self.table.isColumnHidden(i)]

    def set_hidden(self, names: Sequence[str] | None) -> None:
        """The user's choice (``None``: fit to the window again), kept in the settings."""
        self.chosen = (
            None
            if names is None
            else {n for n in names if n in self.titles and n not in self.always}
        )
        if self.settings is not None:
            self.settings.set_hidden_columns(
                self.name, None if self.chosen is None else sorted(self.chosen)
            )
        self.fit()

    # --- fitting ----------------------------------------------------------------------------

    def fit(self) -> None:
        """Show the chosen columns (or as many as fit), and give the spare width to the stretch
        column."""
        self._fitting = True
        try:
            available = self.table.viewport().width()
            if self.chosen is not None:
                hide = set(self.chosen)
            else:
                hide = set()
                total = sum(self.natural.values())
                for n in self.drop_order:
                    if total <= available:
                        break
                    hide.add(n)
                    total -= self.natural[n]
            for i, n in enumerate(self.names):
                if self.table.isColumnHidden(i) != (n in hide):
                    self.table.setColumnHidden(i, n in hide)
            if self.stretch is not None and self.stretch not in hide:
                i = self.names.index(self.stretch)
                others = sum(
                    self.table.columnWidth(j)
                    for j, n in enumerate(self.names)
                    if n != self.stretch and n not in hide
                )
                self.table.setColumnWidth(i, max(self.natural[self.stretch], available - others))
        finally:
            self._fitting = False
        self._show_indicator()

    def _show_indicator(self) -> None:
        hidden = [self.titles[n] for n in self.hidden()]
        n = len(hidden)
        # short, so it never squeezes the search box; the names are in the tooltip
        self.indicator.setText(f"{n} column{'s' if n != 1 else ''} hidden ▾" if hidden else "")
        self.indicator.setToolTip(
            f"Hidden: {', '.join(hidden)}. Click to choose the columns (or right-click a column "
            "header)" + ("" if self.chosen is not None else "; hidden to fit the window")
        )
        self.indicator.setAccessibleName(f"{n} columns hidden: {', '.join(hidden)}")
        # only where the view placed it: an indicator no layout holds would be a window
        self.indicator.setVisible(bool(hidden) and self.indicator.parentWidget() is not None)

    def contents_sized(self) -> None:
        """The table just sized its columns to their contents (``resizeColumnsToContents``):
        those widths are now the natural ones, the stretch column's included; fit again."""
        self.natural = {
            n: self.table.columnWidth(i) or self.natural[n] for i, n in enumerate(self.names)
        }
        self.fit()

    def _resized_by_user(self, index: int, _old: int, new: int) -> None:
        """A column the user widened or narrowed keeps that width as its natural one."""
        if self._fitting or new == 0 or not 0 <= index < len(self.names):
            return
        name = self.names[index]
        if name != self.stretch:
            self.natural[name] = new

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 (Qt name)
        # the type first: while the table is being destroyed it must not be asked anything
        if event.type() == QEvent.Type.Resize and watched is self._viewport:
            self.fit()
        return super().eventFilter(watched, event)

    # --- the header menu --------------------------------------------------------------------

    def menu(self) -> QMenu:
        """The header's context menu: one checkable entry per column, then "Fit columns"."""
        menu = QMenu(self.table)
        menu.setObjectName(f"{self.name}_columns_menu")
        shown = set(self.names) - set(self.hidden())
        for n in self.names:
            action = QAction(self.titles[n], menu)
            action.setCheckable(True)
            action.setChecked(n in shown)
            action.setEnabled(n not in self.always)
            action.setData(n)
            action.toggled.connect(lambda on, n=n: self._toggle(n, on))
            menu.addAction(action)
        menu.addSeparator()
        fit = menu.addAction("Fit columns to the window")
        fit.setCheckable(True)
        fit.setChecked(self.fitting)
        fit.setToolTip("Hide the least important columns when the window is narrow")
        fit.triggered.connect(lambda: self.set_hidden(None))
        return menu

    def _toggle(self, name: str, on: bool) -> None:
        hidden = set(self.hidden())
        (hidden.discard if on else hidden.add)(name)
        self.set_hidden(sorted(hidden))

    def _menu(self, pos: QPoint) -> None:
        self.menu().exec(self.table.horizontalHeader().mapToGlobal(pos))
