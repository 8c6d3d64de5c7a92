"""One Settings section: a table of records on the left, the selected record's form on the right,
with New / Save / Delete. Subclasses say which columns and fields, how to read the records, and
which undoable edit each button makes (``commands.edit``); a refused value is shown under the
field the service names, and nothing is saved."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..common.columns import ColumnChooser
from ..common.confirm import ask_before_delete
from ..common.tab_forms import (
    Column,
    Field,
    Form,
    LocalError,
    RowsModel,
    fit_columns,
    selected_row,
    table_view,
)
from ..common.underneath import refill
from ..shell.commands import Refused
from ..shell.store import Store
from ..shell.unsaved import Draft


class RecordSection(QWidget):
    title = ""
    noun = "record"
    intro = ""
    columns: Sequence[Column] = ()
    fields: Sequence[Field] = ()
    form_columns = 1
    column_width = 240  # the widest a column starts (the full text is in its tooltip)
    stretch_column: str | None = None  # the column given the spare width (default: the first)
    signals: Sequence[str] = ()  # store signals that mean "re-read"

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setObjectName(f"settings_{self.noun.replace(' ', '_')}s")
        self.current: Any = None  # the record the form edits; None: a new one
        self.model = RowsModel(self.columns, self)
        self.table = table_view(self.model, f"{self.noun.replace(' ', '_')}_table")
        # the wide column (by default the first, which names the record) takes the spare width;
        # the columns after it hide first, from the last
        self.table.horizontalHeader().setStretchLastSection(False)
        titles = [c.title for c in self.columns]
        wide = self.stretch_column or (titles[0] if titles else None)
        self.column_fit = ColumnChooser(
            self.table,
            f"settings_{self.noun.replace(' ', '_')}",
            titles,
            titles,
            always=titles[:1] + ([wide] if wide else []),
            drop_order=titles[:0:-1],
            stretch=wide,
        )
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected())
        self.form = self.make_form()
        self.new_button = QPushButton(f"New {self.noun}")
        self.new_button.setObjectName("new_record")
        self.new_button.clicked.connect(self.new)
        self.save_button = QPushButton(f"Add {self.noun}")
        self.save_button.setObjectName("save_record")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setObjectName("delete_record")
        self.delete_button.clicked.connect(self.ask_delete)
        save_key = QShortcut(QKeySequence("Ctrl+Return"), self)
        save_key.activated.connect(self.save)
        save_key.setWhatsThis("Save the record being edited")
        save_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # each section its own

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        if self.intro:
            intro = QLabel(self.intro)
            intro.setWordWrap(True)
            intro.setProperty("role", "subtle")
            lv.addWidget(intro)
        lv.addWidget(self.table, 1)
        self.box = QGroupBox()
        self.draft = Draft(self, self.box, self.save, self._editing, self.draft_state)
        bv = QVBoxLayout(self.box)
        bv.addWidget(self.form)
        self.extra = QVBoxLayout()
        bv.addLayout(self.extra)
        bv.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.save_button)
        bv.addLayout(buttons)
        self.scroll_area = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.box)
        scroll.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 34)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([3000, 2000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.splitter)
        self._stale = True
        for name in self.signals:
            getattr(store, name).connect(self.refresh)
        store.plan_opened.connect(self._plan_opened)  # bound: the store outlives the section
        self._show_mode()

    def _plan_opened(self, *_path: object) -> None:
        self.current = None
        self.form.clear()
        self.record_selected(None)
        self.draft.filled()
        self._show_mode()
        self.refresh()

    def refresh(self) -> None:
        """Re-read now when visible; otherwise the next time the section is shown."""
        self._stale = True
        if self.isVisible():
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.reload()
        self.fit_form()

    def fit_form(self) -> None:
        """Keep the form at least as wide as its widest row, so nothing in it is cut off (once the
        rows just added have been laid out)."""
        QTimer.singleShot(0, self, self._fit_form_now)

    def _fit_form_now(self) -> None:
        layout = self.box.layout()
        if layout is not None:
            layout.activate()
        bar = self.scroll_area.verticalScrollBar().sizeHint().width()
        wanted = max(self.scroll_area.minimumWidth(), self.box.minimumSizeHint().width() + bar + 4)
        self.scroll_area.setMinimumWidth(wanted)
        sizes = self.splitter.sizes()
        if (
            len(sizes) == 2 and 0 < sizes[1] < wanted
        ):  # the splitter applies a new minimum only when moved
            self.splitter.setSizes([max(sizes[0] - (wanted - sizes[1]), 1), wanted])

    def make_form(self) -> Form:
        return Form(self.fields, columns=self.form_columns)

    # --- reading ------------------------------------------------------------------------------

    def records(self) -> list[Any]:  # pragma: no cover - each section
        raise NotImplementedError

    def identity(self, record: Any) -> Any:
        """What stays the same for a record across a reload (a name, an id)."""
        return getattr(record, "id", None)

    def form_values(self, record: Any) -> dict[str, Any]:
        values = dict(record) if isinstance(record, dict) else dict(vars(record))
        values.pop("version", None)  # the record's version goes with a save, not in the form
        return values

    def read(self, fn: Any, *args: Any, default: Any = None) -> Any:
        if not self.store.has_plan:
            return [] if default is None else default
        result = self.store.call(fn, *args)
        return ([] if default is None else default) if result is Store.FAILED else result

    def reload(self) -> None:
        self._stale = False
        keep = self.identity(self.current) if self.current is not None else None
        self.model.set_rows(self.records() if self.store.has_plan else [])
        fit_columns(self.table, maximum=self.column_width)
        self.column_fit.contents_sized()
        self.before_reload_selection()
        if keep is not None and self.select(keep):
            return
        if self.current is not None:  # the record went away (deleted, or undone)
            self.current = None
            self.form.clear()
            self.record_selected(None)
            self.draft.filled()
            self._show_mode()

    def before_reload_selection(self) -> None:
        pass

    def select(self, identity: Any) -> bool:
        for i, row in enumerate(self.model.rows):
            if self.identity(row) == identity:
                if selected_row(self.table) == i:
                    self._selected()
                else:
                    self.table.selectRow(i)
                return True
        return False

    def _selected(self) -> None:
        i = selected_row(self.table)
        if i < 0:
            return
        row = self.model.row(i)
        same = self.current is not None and self.identity(row) == self.identity(self.current)
        if self.unsaved():
            if same:  # the list was read again (an edit elsewhere): keep what is being typed
                old, self.current = self.current, row
                clashes = refill(self.form, self.form_values(old), self.form_values(row))
                if clashes:
                    self.store.error.emit(
                        f"{self.describe(row)} was changed elsewhere while you were editing "
                        f"{', '.join(clashes)}: nothing of yours was saved over it yet"
                    )
                return
            wanted = self.identity(row)
            self._hold_selection()
            self.draft.ask(lambda: self.select(wanted))
            return
        self.current = row
        self.form.set_values(self.form_values(self.current))
        self.record_selected(self.current)
        self.draft.filled()
        self.fit_form()
        self._show_mode()

    # --- unsaved edits ------------------------------------------------------------------------

    def draft_state(self) -> Any:
        """A section's editors that are not plain input widgets (tables over models): their
        contents, for telling whether the user changed anything."""
        return None

    def unsaved(self) -> bool:
        """Has the user changed the form since it was filled (or cleared for a new record)?"""
        return self.draft.unsaved()

    @property
    def unsaved_prompt(self) -> QMessageBox | None:
        return self.draft.prompt

    def _hold_selection(self) -> None:
        """Another record was chosen while this one has unsaved edits: the selection stays."""
        model = self.table.selectionModel()
        model.blockSignals(True)
        back = next(
            (
                r
                for r, rec in enumerate(self.model.rows)
                if self.current is not None and self.identity(rec) == self.identity(self.current)
            ),
            -1,
        )
        if back >= 0:
            self.table.selectRow(back)
        else:
            self.table.clearSelection()
        model.blockSignals(False)
        self.table.viewport().update()

    def record_selected(self, record: Any) -> None:
        pass

    def _show_mode(self) -> None:
        if self.current is None:
            self.box.setTitle(f"New {self.noun}")
            self.save_button.setText(f"Add {self.noun}")
        else:
            self.box.setTitle(self.describe(self.current))
            self.save_button.setText("Save changes")
        self.delete_button.setEnabled(self.current is not None)

    def describe(self, record: Any) -> str:
        return f"{self.noun.capitalize()} {self.identity(record)}"

    def _editing(self) -> str:
        return self.describe(self.current) if self.current is not None else f"The new {self.noun}"

    # --- editing ------------------------------------------------------------------------------

    def new(self) -> None:
        if self.unsaved():
            self.draft.ask(self.new)
            return
        self.table.selectionModel().blockSignals(True)
        self.table.clearSelection()
        self.table.selectionModel().blockSignals(False)
        self.current = None
        self.form.clear()
        self.record_selected(None)
        self.draft.filled()
        self._show_mode()
        first = next(iter(self.form.editors.values()), None)
        if first is not None:
            first.setFocus()

    def save(self) -> bool:
        try:
            values = self.form.values()
            self.check(values)
        except LocalError:
            return False
        try:
            if self.current is None:
                identity = self.create_record(values)
            else:
                identity = self.update_record(self.current, values)
        except Refused as exc:
            self.show_refusal(exc)
            return False
        except LocalError as exc:
            self.form.show_error(None, str(exc))
            return False
        self.draft.forget()  # saved: the form is filled again from what the plan now holds
        if identity is not None:
            self.current = None
            self.reload()
            self.select(identity)
        return True

    def show_refusal(self, exc: Refused) -> None:
        """The service's reason, under the field it names (or above the form)."""
        self.form.show_error(exc.field, str(exc))

    def check(self, values: dict[str, Any]) -> None:
        """Checks the view makes before any service is asked (raise LocalError after show_error)."""

    def ask_delete(self) -> None:
        """The Delete button: asks first (a window, a person, a CI…), then deletes."""
        if self.current is not None:
            ask_before_delete(self, self.describe(self.current).lower(), self.delete)

    def delete(self) -> bool:
        if self.current is None:
            return False
        try:
            self.remove(self.current)
        except Refused as exc:
            self.form.show_error(None, str(exc))
            return False
        self.current = None
        self.form.clear()
        self.record_selected(None)
        self.draft.filled()
        self._show_mode()
        self.reload()
        return True

    def create_record(self, values: dict[str, Any]) -> Any:  # pragma: no cover - each section
        raise NotImplementedError

    def update_record(
        self, record: Any, values: dict[str, Any]
    ) -> Any:  # pragma: no cover - each section
        raise NotImplementedError

    def remove(self, record: Any) -> None:  # pragma: no cover - each section
        raise NotImplementedError


def changed(values: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v != old.get(k)}
