"""The Changes page (navigator "Changes"): every change in the plan in a sortable, filterable
table, and beside it the selected change's form.

Create, edit and delete are one undoable step each (``commands.edit``); a value the service
refuses is shown under its field and nothing is saved. A change is bundled into a release or
taken out of it here too; only approved changes can be bundled, and the page says why a change
cannot. Double-clicking a change's release opens that release in the editor.

What lives where: this module holds the page (its layout, reading, selection, the form and
bundling); the table's columns, model and filter proxy are in ``changes_model`` (``COLUMN``
and ``PageChangesModel`` are re-exported here), and the filter bar's behaviour is the
``ChangeFilters`` mix-in in ``changes_filters``.

Importing this module registers the page and the ``changes`` screenshot view.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models import enums as E
from relman_desktop.services import changes, cis, people, releases

from ..common.background_read import BackgroundRead
from ..common.columns import ColumnChooser
from ..common.confirm import ask_before_delete
from ..common.tab_forms import Field, Form, LocalError, choices_of, show_moment
from ..common.underneath import refill
from ..releases.releases_model import words
from ..releases.tab_changes import KEY_ROLE, ChangeTable
from ..shell.commands import Refused
from ..shell.store import Store
from ..shell.unsaved import Draft
from ..shell.worker import Task, Worker
from .changes_filters import ChangeFilters
from .changes_model import COLUMN, PAGE_COLUMNS, ChangeFilterProxy, PageChangesModel

FIELDS = (
    Field("key", "Key", hint="CHG-…"),
    Field("title", "Title"),
    Field("type", "Type", "choice", choices_of(E.ChangeType), default="normal"),
    Field("category", "Category", "choice", choices_of(E.ChangeCategory), default="feature"),
    Field("approval", "Approval", "choice", choices_of(E.ChangeApproval), default="pending"),
    Field("risk", "Risk", "choice", choices_of(E.Level), default="medium"),
    Field("requester_email", "Requester", hint="e-mail of a person in the plan"),
    Field("created_at", "Created", "moment"),
    Field("cis", "CIs", "list", hint="names of CIs, separated by commas"),
    Field("external_ref", "External ref.", hint="ticket id, URL or commit"),
    Field("caused_incident", "Incident", "bool", hint="caused an incident"),
    Field("description", "Description", "multiline"),
    Field(
        "release_note", "Release note", "multiline", hint="what customers read in the release notes"
    ),
    Field("known_issues", "Known issues", "multiline"),
)
FORM_NAMES = tuple(f.name for f in FIELDS)


# Hidden first when the table is wider than its window (the form beside it shows them all).
CHANGES_DROP_ORDER = ("created", "requester", "cis", "type", "category", "risk")


class ChangesPage(ChangeFilters, BackgroundRead, QWidget):
    # the release the selected change is bundled into: the main window's releases list follows
    # it, so the Inspector shows that release
    release_selected = Signal(str)

    def __init__(
        self,
        store: Store,
        window: Any = None,
        parent: QWidget | None = None,
        *,
        worker: Worker | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("changes_page")
        self.store = store
        self.window_ = window
        self.current: Any = None  # the ChangeRow the form edits; None: a new change
        self._want_key: str | None = None  # asked to select before its row was read
        self._init_background_read(worker)

        # --- the list ----------------------------------------------------------------------
        self.model = PageChangesModel(self)
        self.proxy = ChangeFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit(placeholderText="Search key, title, CI, requester…")
        self.search.setObjectName("change_search")
        self.search.setAccessibleName("Search changes")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self.apply_filters())
        self.count_label = QLabel()
        self.count_label.setProperty("role", "subtle")
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.clicked.connect(self.clear_filters)
        self.approval_filter = self._combo(
            "Approval", [(words(v.value), v.value) for v in E.ChangeApproval]
        )
        self.category_filter = self._combo(
            "Category", [(words(v.value), v.value) for v in E.ChangeCategory]
        )
        self.type_filter = self._combo("Type", [(words(v.value), v.value) for v in E.ChangeType])
        self.bundled_filter = self._combo(
            "Bundling",
            [("In a release", "yes"), ("In no release", "no")],
            any_text="Bundled or not",
        )
        self.release_filter = self._combo("Release", [])
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        top.addWidget(self.clear_button)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for combo in self.filter_combos():
            bar.addWidget(combo, 1)
        filters = QWidget()
        filters.setLayout(bar)
        filter_area = QScrollArea()  # on a narrow window the filters scroll instead of clipping
        filter_area.setObjectName("change_filter_area")
        filter_area.setWidget(filters)
        filter_area.setWidgetResizable(True)
        filter_area.setFrameShape(QFrame.Shape.NoFrame)
        filter_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        filter_area.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        filter_area.setMinimumHeight(filters.sizeHint().height())
        filter_area.setMaximumHeight(
            filters.sizeHint().height() + filter_area.horizontalScrollBar().sizeHint().height()
        )

        self.table = ChangeTable("changes_table")
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Changes")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMN["key"], Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self._size_columns()
        self.columns = ColumnChooser(
            self.table,
            "changes",
            [n for n, _t in PAGE_COLUMNS],
            [t for _n, t in PAGE_COLUMNS],
            always=("key",),
            drop_order=CHANGES_DROP_ORDER,
            stretch="title",
            settings=getattr(window, "settings", None),
        )
        top.addWidget(self.columns.indicator)  # "2 columns hidden: …" when any are
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.delete_pressed.connect(self.ask_delete)  # the Delete key asks too
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())

        self.placeholder = QLabel("Reading the changes…")
        self.placeholder.setObjectName("changes_placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setProperty("role", "subtle")
        self.placeholder.hide()

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addLayout(top)
        lv.addWidget(filter_area)
        lv.addWidget(self.placeholder, 1)
        lv.addWidget(self.table, 1)

        # --- the form ----------------------------------------------------------------------
        self.form = Form(FIELDS)
        self.draft = Draft(self, self.form, self.save, self._editing)
        self.form.setObjectName("change_form")
        self.box = QGroupBox("New change")
        self.box.setObjectName("change_box")
        self.new_button = QPushButton("New change")
        self.new_button.setObjectName("new_change")
        self.new_button.clicked.connect(self.new)
        self.save_button = QPushButton("Add change")
        self.save_button.setObjectName("save_change")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setObjectName("delete_change")
        self.delete_button.setToolTip(
            "Delete this change (Delete in the table); Undo brings it back"
        )
        self.delete_button.clicked.connect(self.ask_delete)
        buttons = QHBoxLayout()
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.save_button)

        # Bundling: the release this change is in, or a release to put it in.
        self.bundle_box = QGroupBox("Release")
        self.bundle_box.setObjectName("bundle_box")
        self.release_label = QLabel()
        self.release_label.setObjectName("change_release")
        self.release_label.setWordWrap(True)
        self.release_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.release_choice = QComboBox()
        self.release_choice.setObjectName("bundle_release")
        self.release_choice.setAccessibleName("Release to bundle into")
        self.release_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.release_choice.setMinimumContentsLength(14)
        self.bundle_button = QPushButton("Bundle into release")
        self.bundle_button.setObjectName("bundle_change")
        self.bundle_button.clicked.connect(self.bundle)
        self.unbundle_button = QPushButton("Remove from release")
        self.unbundle_button.setObjectName("unbundle_change")
        self.unbundle_button.clicked.connect(self.unbundle)
        self.open_release_button = QPushButton("Open release")
        self.open_release_button.setObjectName("open_change_release")
        self.open_release_button.clicked.connect(
            lambda: self.open_release(self.current.release if self.current else None)
        )
        self.bundle_reason = QLabel()
        self.bundle_reason.setObjectName("bundle_reason")
        self.bundle_reason.setProperty("role", "subtle")
        self.bundle_reason.setWordWrap(True)
        self.bundle_reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bundle_error = QLabel()
        self.bundle_error.setObjectName("bundle_error")
        self.bundle_error.setProperty("role", "error")
        self.bundle_error.setWordWrap(True)
        self.bundle_error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bundle_error.hide()
        in_row = QHBoxLayout()
        in_row.addWidget(self.open_release_button)
        in_row.addWidget(self.unbundle_button)
        in_row.addStretch(1)
        out_row = QHBoxLayout()
        out_row.addWidget(self.release_choice, 1)
        out_row.addWidget(self.bundle_button)
        bv = QVBoxLayout(self.bundle_box)
        bv.addWidget(self.release_label)
        bv.addLayout(in_row)
        bv.addLayout(out_row)
        bv.addWidget(self.bundle_reason)
        bv.addWidget(self.bundle_error)

        fv = QVBoxLayout(self.box)
        fv.addWidget(self.form)
        fv.addLayout(buttons)
        fv.addWidget(self.bundle_box)
        fv.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("change_form_area")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(self.box)
        # Never narrower than the form's widest row: the form does not scroll sideways.
        if (form_layout := self.box.layout()) is not None:
            form_layout.activate()
        self.scroll_area.setMinimumWidth(
            self.box.minimumSizeHint().width()
            + self.scroll_area.verticalScrollBar().sizeHint().width()
            + 4
        )

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.scroll_area)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([3000, 1000])  # the form keeps its minimum; the table gets the rest
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.splitter)

        # Bound methods, not lambdas: Qt drops them when the page is deleted, so a store that
        # outlives the page never calls into a deleted widget.
        for signal in (store.changes_changed, store.cis_changed, store.people_changed):
            signal.connect(self._store_changed)
        store.releases_changed.connect(self.refresh)
        store.release_renamed.connect(self._store_changed)
        store.plan_opened.connect(self._store_opened)
        store.plan_closed.connect(self._plan_opened)
        self._show_mode()

    def _store_changed(self, *_args: Any) -> None:
        self.refresh()

    def _store_opened(self, *_args: Any) -> None:
        self._plan_opened()

    # --- building -------------------------------------------------------------------------------

    def _size_columns(self) -> None:
        fm = self.fontMetrics()
        samples = {
            "key": "CHG-00000",
            "title": "Upgrade OpenSSL (CVE-2026-1",
            "type": "Emergency",
            "category": "Infrastructure",
            "approval": "Approved",
            "risk": "Critical",
            "release": "REL-2026-000",
            "cis": "billing-service",
            "requester": "Claire Dubois",
            "created": "2026-12-31",
        }
        for name, sample in samples.items():
            self.table.setColumnWidth(COLUMN[name], fm.horizontalAdvance(sample) + 24)

    # --- reading --------------------------------------------------------------------------------

    def _plan_opened(self) -> None:
        self.current = None
        self.form.clear()
        self.draft.filled()
        self._show_mode()
        self.refresh()

    def reload(self, select: str | None = None) -> None:
        """Read the changes again (on the worker: the rows arrive in ``_loaded``, which keeps the
        selection, or selects ``select``); the first read shows a placeholder meanwhile."""
        self._stale = False
        if select is not None:
            self._want_key = select
        if not self.store.has_plan:
            self._loader.stop()
            self._show_placeholder(False)
            self.model.set_rows([], {})
            self._update_count()
            return
        self._start_read()

    def _load_job(self) -> Any:
        if not self.store.has_plan:
            return None
        ctx = self.store.ctx

        def read(_task: Task) -> dict[str, Any]:
            listed = releases.list_releases(ctx)  # already in natural key order
            return {
                "rows": changes.list_changes(ctx),
                "people": {p.email: p.name for p in people.list_people(ctx)},
                "cis": list(cis.ci_names(ctx)),
                "releases": [(r.key, r.title) for r in listed],
            }

        return read

    def _load_failed(self, message: str) -> None:
        self._show_placeholder(False)
        self.store.error.emit(message)

    def _show_placeholder(self, on: bool) -> None:
        self.placeholder.setVisible(on)
        self.table.setVisible(not on)
        if on:
            self.count_label.setText("Reading…")

    def _loaded(self, data: dict[str, Any]) -> None:
        """The rows arrived: show them, keeping filters, sort and the selected change."""
        if not self.store.has_plan:
            return
        self.loads += 1
        self._show_placeholder(False)
        want, self._want_key = self._want_key, None
        keep = want or (self.current.key if self.current is not None else None)
        people_names = data["people"]
        self.model.set_rows(data["rows"], people_names)
        self.form.set_completions("requester_email", sorted(people_names))
        self.form.set_completions("cis", data["cis"])
        listed = data["releases"]
        self._fill(self.release_filter, [(key, key) for key, _title in listed])
        self._fill(
            self.release_choice,
            [(f"{key} — {title}", key) for key, title in listed],
            keep_first=False,
        )
        self.apply_filters()
        if want is not None and not self.select_key(want):
            self.clear_filters()  # asked for by name (another page, a save): show it
            self.select_key(want)
        elif keep is not None and not self.select_key(keep):
            self.current = None  # it went away (deleted, or its creation undone)
            self.form.clear()
            self.draft.filled()
            self._show_mode()
        elif keep is not None:
            self._selected()

    # --- selection --------------------------------------------------------------------------------

    def select_key(self, key: str) -> bool:
        """Select the change ``key``; asked before its row was read, it is selected when the
        rows arrive (True then too)."""
        row = self.model.row_of(key)
        if row < 0 and (self.loading or self._stale or self.loads == 0):
            self._want_key = key
            return True
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    def _selected(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            return
        row = self.model.row_of(index.data(KEY_ROLE))
        if row < 0:
            return
        chosen = self.model.rows[row]
        if self.draft.unsaved():
            if self.current is not None and chosen.key == self.current.key:
                # the list was read again: keep what is being typed, and say what clashes
                old, self.current = self.current.as_dict(), chosen
                new = chosen.as_dict()
                clashes = refill(
                    self.form,
                    {n: old.get(n) for n in FORM_NAMES},
                    {n: new.get(n) for n in FORM_NAMES},
                )
                if clashes:
                    self.store.error.emit(
                        f"{chosen.key} was changed elsewhere while you were editing "
                        f"{', '.join(clashes)}: nothing of yours was saved over it yet"
                    )
                self._show_mode()
                return
            self._hold_selection()
            self.draft.ask(lambda: self.select_key(chosen.key))
            return
        self.current = chosen
        if self.current.release:
            self.release_selected.emit(self.current.release)
        values = self.current.as_dict()
        self.form.set_values({n: values.get(n) for n in FORM_NAMES})
        self.draft.filled()
        self._show_mode()

    def _editing(self) -> str:
        return self.current.key if self.current is not None else "The new change"

    @property
    def unsaved_prompt(self) -> Any:
        return self.draft.prompt

    def _hold_selection(self) -> None:
        """Another change was chosen while this one has unsaved edits: the selection stays."""
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        back = self.model.row_of(self.current.key) if self.current is not None else -1
        index = self.proxy.mapFromSource(self.model.index(back, 0)) if back >= 0 else QModelIndex()
        if index.isValid():
            selection.setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        else:
            selection.clearSelection()
            selection.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.NoUpdate)
        selection.blockSignals(False)
        self.table.viewport().update()

    def _key_edit(self) -> QLineEdit:
        edit = self.form.editors["key"]
        assert isinstance(edit, QLineEdit)
        return edit

    def _show_mode(self) -> None:
        c = self.current
        if c is None:
            self.box.setTitle("New change")
            self.save_button.setText("Add change")
        else:
            title = (
                c.title if len(c.title) <= 36 else c.title[:35] + "…"
            )  # a group box title never wraps
            self.box.setTitle(f"{c.key}: {title}")
            self.box.setToolTip(f"{c.key}: {c.title}")
            self.save_button.setText("Save changes")
            self._key_edit().setPlaceholderText("CHG-…")
        self.delete_button.setEnabled(c is not None)
        self.bundle_box.setVisible(c is not None)
        self.bundle_error.hide()
        if c is None:
            return
        in_release = c.release is not None
        self.release_label.setText(f"In {c.release}" if in_release else "In no release yet")
        self.open_release_button.setVisible(in_release and self._can_open_release())
        self.unbundle_button.setVisible(in_release)
        self.release_choice.setVisible(not in_release)
        self.bundle_button.setVisible(not in_release)
        refusal = None if in_release else c.bundle_refusal
        self.bundle_button.setEnabled(
            not in_release and refusal is None and self.release_choice.count() > 0
        )
        self.bundle_button.setToolTip(refusal or "Add this change to the chosen release's scope")
        if in_release:
            reason = "Removing it changes the release's scope: approvals already given go back to pending."
        elif refusal:
            reason = f"It cannot be bundled: {refusal}."
        else:
            reason = (
                "Adding it changes the release's scope: approvals already given go back to pending."
            )
        self.bundle_reason.setText(reason)

    def new(self) -> None:
        if self.draft.unsaved():
            self.draft.ask(self.new)
            return
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        selection.clearSelection()
        self.table.setCurrentIndex(QModelIndex())
        selection.blockSignals(False)
        self.current = None
        self.form.set_values(
            {"created_at": dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)}
        )
        self.draft.filled()
        self._show_mode()
        key_edit = self._key_edit()
        following = self.store.call(changes.next_change_key)
        if following is not Store.FAILED:  # left empty, the change gets this automatic key
            key_edit.setPlaceholderText(f"{following} (automatic; type to choose another)")
        self.form.editors["title"].setFocus()

    # --- editing ----------------------------------------------------------------------------------

    def _notify(self, *releases: str | None) -> list[tuple[str, tuple[Any, ...]]]:
        signals: list[tuple[str, tuple[Any, ...]]] = [("changes_changed", ("",))]
        for key in dict.fromkeys(r for r in releases if r):
            signals += [("changes_changed", (key,)), ("approvals_changed", (key,))]
        return signals

    def save(self) -> bool:
        """Add the new change, or save the edited fields of the selected one, as one undo step."""
        try:
            values = self.form.values()
        except LocalError:
            return False
        try:
            key = (
                self._create(values) if self.current is None else self._update(self.current, values)
            )
        except Refused as exc:
            self.form.show_error(exc.field, str(exc))
            return False
        self.draft.forget()  # saved: the form is filled again from what the plan now holds
        self.current = None
        self.reload(select=key or None)
        return True

    def _create(self, values: dict[str, Any]) -> str:
        return self.store.edits.create_change(values)

    def _update(self, record: Any, values: dict[str, Any]) -> str:
        old = {n: getattr(record, n) for n in FORM_NAMES}
        diff = {k: v for k, v in values.items() if v != old[k]}
        if "created_at" in diff and show_moment(diff["created_at"]) == show_moment(
            old["created_at"]
        ):
            del diff["created_at"]  # the form shows minutes: the same minute is no change
        if "cis" in diff and sorted(diff["cis"]) == sorted(old["cis"]):
            del diff["cis"]
        if not diff:
            self.store.message.emit(f"{record.key}: nothing to save")
            return record.key
        # the version the form was filled from: refused (typing kept) if saved by someone since
        return self.store.edits.update_change(record.key, diff, old, record.version)

    def ask_delete(self) -> None:
        """The Delete button: asks first, then deletes (undoable)."""
        if self.current is not None:
            ask_before_delete(self, f"change {self.current.key}", self.delete)

    def delete(self) -> bool:
        """Delete the selected change; undo creates it again from what the service returned
        (and puts it back into its release)."""
        record = self.current
        if record is None:
            return False
        try:
            self.store.edits.delete_change(record.key, record.version)
        except Refused as exc:
            self.form.show_error(None, str(exc))
            return False
        self.current = None
        self.form.clear()
        self.draft.filled()
        self._show_mode()
        self.reload()
        return True

    def bundle(self, release_key: str | None = None) -> bool:
        record = self.current
        target = release_key or self.release_choice.currentData()
        if record is None or not target:
            return False
        try:
            self.store.edits.bundle_change(record.key, target)
        except Refused as exc:
            self._bundle_refused(str(exc))
            return False
        self.reload()
        return True

    def unbundle(self) -> bool:
        record = self.current
        if record is None or record.release is None:
            return False
        try:
            self.store.edits.unbundle_change(record.key, record.approval, record.release)
        except Refused as exc:
            self._bundle_refused(str(exc))
            return False
        self.reload()
        return True

    def _bundle_refused(self, reason: str) -> None:
        self.bundle_error.setText(reason)
        self.bundle_error.show()

    # --- opening a release --------------------------------------------------------------------------

    def _can_open_release(self) -> bool:
        return callable(getattr(self.window_, "open_release", None))

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.column() == COLUMN["release"]:
            row = self.model.row_of(index.data(KEY_ROLE))
            if row >= 0:
                self.open_release(self.model.rows[row].release)
                return
        self.form.editors["title"].setFocus()

    def open_release(self, key: str | None) -> bool:
        if not key or not self._can_open_release():
            return False
        self.window_.open_release(key, "Changes")
        return True


def page_factory(store: Store, window: Any) -> ChangesPage:
    from ..shell.worker import shared_worker

    page = ChangesPage(store, window, worker=shared_worker())
    releases_view = getattr(window, "releases_view", None)
    if releases_view is not None and hasattr(releases_view, "select_key"):
        page.release_selected.connect(releases_view.select_key)
    return page


def prepare_screenshot(window: Any, _key: str | None) -> None:
    window.show_page("changes")
    page = window.page_widgets.get("changes")
    if isinstance(page, ChangesPage):
        page.load_now()
        if page.proxy.rowCount():
            page.table.selectRow(0)
