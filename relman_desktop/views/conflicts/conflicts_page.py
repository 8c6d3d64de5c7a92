"""The Conflicts page (navigator "Conflicts"): every conflict of the plan (rules C1–C7) in one
table — rule, severity, releases, CIs, people, calendar windows, the sentence — filtered by rule,
severity, release, CI, person and free text.

From the selected conflict: open the release (Enter, double-click), show its bar on the
calendar, or move it to the first slot the scheduling assistant finds that raises no conflict
(one click, one undo step).

The list is computed off the GUI thread (``Worker``) behind a "Checking…" placeholder, and the
model filters and sorts plain rows itself, so the 16,000 warnings of a 10,000-release plan
neither freeze the window nor pass through a Python ``lessThan`` per comparison.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QMouseEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.services import scheduling
from relman_desktop.services.conflicts import ERROR
from relman_desktop.services.text import as_sentence

from ..common.run_here import run_here
from ..releases.releases_model import conflict_words
from ..shell.commands import Refused
from ..shell.store import Store
from ..shell.worker import DebouncedTask, Task, Worker
from .conflict_rows import RULE_NAMES, ConflictRow, counts_by_release, plan_conflicts, to_rows

_Index = QModelIndex | QPersistentModelIndex
ALL = ""
SEARCH_MIN_WIDTH = 240  # the free-text filter stays usable on a 1366-pixel screen

COLUMNS = ("Rule", "Severity", "Release(s)", "Conflict", "CIs", "People", "Windows")
MESSAGE = COLUMNS.index("Conflict")


def _cell(row: ConflictRow, column: int) -> str:
    if column == 0:
        return row.rule_text
    if column == 1:
        return "Error" if row.is_error else "Warning"
    if column == 2:
        return ", ".join(row.releases)
    if column == 3:
        return row.message
    if column == 4:
        return ", ".join(row.cis)
    if column == 5:
        return ", ".join(row.people)
    return ", ".join(row.windows)


def _sort_key(column: int) -> Any:
    if column == 0:
        return lambda r: (r.rule, r.severity != ERROR, r.releases)
    if column == 1:
        return lambda r: (r.severity != ERROR, r.rule, r.releases)
    return lambda r: (_cell(r, column).lower(), r.releases)


class ConflictsModel(QAbstractTableModel):
    """All rows, and the ones the filters let through (``shown``), in the order asked."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[ConflictRow] = []
        self.shown: list[ConflictRow] = []
        self.known_keys: set[str] = set()
        self.filters: dict[str, str] = {}
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self.error_brush = QBrush(QColor("#b3261e"))

    def set_rows(self, rows: list[ConflictRow]) -> None:
        self.rows = rows
        self.known_keys = {k for r in rows for k in r.releases}
        self._refilter()

    def set_filters(self, **filters: str) -> None:
        self.filters = {k: v.strip().lower() for k, v in filters.items() if v and v.strip()}
        self._refilter()

    def _accepts(self) -> Any:
        f = self.filters
        rule, severity = f.get("rule"), f.get("severity")
        release, ci, person = f.get("release"), f.get("ci"), f.get("person")
        words = (f.get("text") or "").split()
        # a whole key the plan knows matches only itself (REL-1 is not REL-10); a part matches
        # every key containing it, so the list narrows while the key is typed
        exact = bool(release) and any(release == k.lower() for k in self.known_keys)

        def ok(r: ConflictRow) -> bool:
            if rule and r.rule.lower() != rule:
                return False
            if severity and r.severity != severity:
                return False
            if release and not any(
                (release == k.lower()) if exact else (release in k.lower()) for k in r.releases
            ):
                return False
            if ci and not any(ci in c.lower() for c in r.cis):
                return False
            if person and not any(person in p.lower() for p in r.people):
                return False
            return all(w in r.haystack for w in words)

        return ok

    def _refilter(self) -> None:
        self.beginResetModel()
        ok = self._accepts()
        self.shown = [r for r in self.rows if ok(r)] if self.filters else list(self.rows)
        if self._sort is not None:
            column, order = self._sort
            self.shown.sort(key=_sort_key(column), reverse=order == Qt.SortOrder.DescendingOrder)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        self.shown.sort(key=_sort_key(column), reverse=order == Qt.SortOrder.DescendingOrder)
        self.layoutChanged.emit()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.shown)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.shown[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.message
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1 and row.is_error:
            return self.error_brush
        return None

    def row_at(self, i: int) -> ConflictRow | None:
        return self.shown[i] if 0 <= i < len(self.shown) else None


class _Table(QTableView):
    activated_row = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_row.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)


class ClickableLabel(QLabel):
    """A status-bar label that opens something when clicked (the conflict count)."""

    clicked = Signal()

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class ConflictBadge(QPushButton):
    """The release editor's "⚠ 3 conflicts (1 error, 2 warnings)" link to the Conflicts page
    filtered on that release; hidden while the release has none."""

    open_requested = Signal(str)  # the release key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflict_badge")
        self.setProperty("role", "link")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Show this release's conflicts on the Conflicts page")
        self.key: str | None = None
        self.counts: dict[str, tuple[int, int]] = {}
        self.clicked.connect(lambda: self.key and self.open_requested.emit(self.key))
        self.hide()

    def set_counts(self, counts: dict[str, tuple[int, int]]) -> None:
        self.counts = counts
        self._update()

    def set_release(self, key: str | None) -> None:
        """The release whose counts show (``Store.selection``'s key: "" for none)."""
        self.key = key or None
        self._update()

    def _update(self) -> None:
        errors, warnings = self.counts.get(self.key or "", (0, 0))
        if not errors and not warnings:
            self.hide()
            return
        self.setText(f"⚠ {conflict_words(errors, warnings)}")
        self.setAccessibleName(f"{conflict_words(errors, warnings)}: show them")
        self.show()


class ConflictsPage(QWidget):
    """The page; ``window`` (the main window) is asked to open releases and the calendar."""

    loaded = Signal()

    def __init__(
        self,
        store: Store,
        window: Any = None,
        parent: QWidget | None = None,
        *,
        worker: Worker | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conflicts_page")
        self.store = store
        self.window_ = window
        self.by_release: dict[str, tuple[int, int]] = {}
        self._stale = True
        self.loading = False
        self.proposal: tuple[str, Any] | None = None  # (key, scheduling.Proposal)
        self.source: Any = None  # the status bar's ConflictStatus, once ``use_source`` is called
        self._source_rows: list[ConflictRow] | None = None  # the rows last shown

        heading = QLabel("Conflicts")
        heading.setProperty("role", "heading")
        self.summary = QLabel("")
        self.summary.setObjectName("conflicts_summary")

        self.rule_filter = QComboBox()
        self.rule_filter.setObjectName("conflicts_rule")
        self.rule_filter.setAccessibleName("Rule")
        self.rule_filter.addItem("All rules", ALL)
        for rule, name in RULE_NAMES.items():
            self.rule_filter.addItem(f"{rule} {name}", rule)
        self.severity_filter = QComboBox()
        self.severity_filter.setObjectName("conflicts_severity")
        self.severity_filter.setAccessibleName("Severity")
        for text, value in (
            ("Errors and warnings", ALL),
            ("Errors", "error"),
            ("Warnings", "warning"),
        ):
            self.severity_filter.addItem(text, value)
        self.release_filter = self._line("conflicts_release", "Release", "Release key")
        self.ci_filter = self._line("conflicts_ci", "CI", "CI")
        self.person_filter = self._line("conflicts_person", "Person", "Person (e-mail)")
        self.search = self._line("conflicts_search", "Search", "Search the conflicts…")
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.setObjectName("conflicts_clear")
        self.clear_button.clicked.connect(self.clear_filters)
        for combo in (self.rule_filter, self.severity_filter):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(150)
        self._filter_timer.timeout.connect(self.apply_filters)
        for line in (self.release_filter, self.ci_filter, self.person_filter, self.search):
            line.textChanged.connect(lambda _t: self._filter_timer.start())

        # The free-text box sits on the heading's row, where it has room: beside five filters
        # and a button it was squeezed to a few pixels on a 1366-pixel screen.
        self.search.setMinimumWidth(
            max(SEARCH_MIN_WIDTH, self._text_width("Search the conflicts…"))
        )
        filters = QHBoxLayout()
        filters.addWidget(self.rule_filter)
        filters.addWidget(self.severity_filter)
        for line in (self.release_filter, self.ci_filter, self.person_filter):
            filters.addWidget(line, 1)
        filters.addWidget(self.clear_button)

        self.model = ConflictsModel(self)
        self.table = _Table()
        self.table.setObjectName("conflicts_table")
        self.table.setAccessibleName("Conflicts")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        fm = self.fontMetrics()
        for column, sample in enumerate(
            (
                "C5 Deploys before its prerequisite",
                "Warning",
                "REL-2026-0000, REL-2026-0000",
                "x" * 60,  # the sentence: the rest of it is in the tooltip and below the table
                "billing-db, billing-db",
                "someone@example.com",
                "Saturday maintenance",
            )
        ):
            self.table.setColumnWidth(column, fm.horizontalAdvance(sample) + 24)
        self.table.activated_row.connect(lambda _r: self.open_release())
        self.table.doubleClicked.connect(lambda _i: self.open_release())
        self.table.selectionModel().currentRowChanged.connect(lambda _c, _p: self._selected())

        self.placeholder = QLabel("Checking the plan for conflicts…")
        self.placeholder.setObjectName("conflicts_placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setProperty("role", "subtle")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.table)

        self.detail = QLabel("Select a conflict to see what to do about it.")
        self.detail.setObjectName("conflicts_detail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.suggestion = QLabel("")
        self.suggestion.setObjectName("conflicts_suggestion")
        self.suggestion.setWordWrap(True)
        self.suggestion.setProperty("role", "subtle")
        self.open_button = QPushButton("Open release")
        self.open_button.setObjectName("conflicts_open")
        self.open_button.setToolTip("Open the release in the editor (Enter)")
        self.open_button.clicked.connect(lambda: self.open_release())
        self.calendar_button = QPushButton("Show on calendar")
        self.calendar_button.setObjectName("conflicts_calendar")
        self.calendar_button.clicked.connect(lambda: self.show_on_calendar())
        self.move_button = QPushButton("Move to suggested slot")
        self.move_button.setObjectName("conflicts_move")
        self.move_button.clicked.connect(lambda: self.move_to_suggestion())
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.calendar_button)
        buttons.addWidget(self.move_button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addSpacing(12)
        top.addWidget(self.search, 1)
        top.addSpacing(12)
        top.addWidget(self.summary)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.suggestion)
        layout.addLayout(buttons)
        self._show_selection(None)

        self.task = DebouncedTask(self._job, delay_ms=300, worker=worker, parent=self)
        self.task.result.connect(self._loaded)
        self.task.error.connect(self._failed)
        self.suggest_task = DebouncedTask(
            self._suggest_job, delay_ms=150, worker=worker, parent=self
        )
        self.suggest_task.result.connect(self._suggested)
        self.suggest_task.error.connect(lambda msg: self.suggestion.setText(f"⚠ {msg}"))
        s = store
        for signal in (
            s.plan_opened,
            s.releases_changed,
            s.release_changed,
            s.tasks_changed,
            s.changes_changed,
            s.approvals_changed,
            s.cis_changed,
            s.calendar_changed,
            s.workflow_changed,
            s.people_changed,
        ):
            signal.connect(self._store_changed)  # bound: Qt drops it with the page
        s.plan_closed.connect(self._closed)
        if s.has_plan:
            self.refresh()

    def _text_width(self, text: str) -> int:
        """Room for ``text`` in a line edit (its frame, the clear button) in this theme's font."""
        return self.fontMetrics().horizontalAdvance(text) + 48

    def _line(self, name: str, accessible: str, placeholder: str) -> QLineEdit:
        line = QLineEdit()
        line.setObjectName(name)
        line.setAccessibleName(accessible)
        line.setPlaceholderText(placeholder)
        line.setClearButtonEnabled(True)
        return line

    # --- loading ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Recompute now when shown (in the background); otherwise when next shown."""
        self._stale = True
        if self.isVisible():
            self.reload()

    def _store_changed(self, *_args: object) -> None:
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale or self.source is not None:  # the tally's rows may be newer than shown
            self.reload()

    def use_source(self, status: Any) -> None:
        """Take the rows from the status bar's conflict tally (``ConflictStatus.rows_ready``,
        sent after its build and after each edit) instead of checking the whole plan again."""
        self.source = status
        status.rows_ready.connect(self._source_ready)
        status.wanted = self.isVisible  # hidden, the page asks for the rows when next shown

    def _source_ready(self, rows: list[ConflictRow]) -> None:
        if self.isVisible():
            self._loaded(rows)
        else:  # not filled (sorted, filtered) for nobody: showEvent takes the newest rows
            self._stale = True

    def reload(self) -> None:
        if not self.store.has_plan:
            return
        self._stale = False
        if self.source is not None:
            # the source's tally follows every edit and sends new rows itself: take its current
            # rows if this page has not shown them yet, or wait for the build under way
            rows = self.source.ensure()
            if rows is not None:
                if rows is not self._source_rows:
                    self._loaded(rows)
                return
        self.loading = True
        if not self.model.rows:
            self.stack.setCurrentWidget(self.placeholder)
        self.summary.setText("Checking…")
        if self.source is None:
            self.task.trigger()

    def _job(self) -> Any:
        if not self.store.has_plan:
            return None
        ctx = self.store.ctx

        def run(task: Task) -> list[ConflictRow]:
            found = plan_conflicts(ctx)
            task.check()
            return to_rows(found, task.check)

        return run

    def load_here(self) -> None:
        """Load on this thread (screenshots and tests without a running event loop)."""
        run_here(self._job, self._loaded, stop=self.task, name="conflicts")

    def _loaded(self, rows: list[ConflictRow]) -> None:
        self._source_rows = rows
        self.loading = False
        self._stale = False
        key = self._current_row()
        self.by_release = counts_by_release(rows)
        self.model.set_rows(rows)
        self.stack.setCurrentWidget(self.table)
        self._update_summary()
        self._reselect(key)
        self._update_completions()
        show_counts = getattr(self.window_, "set_conflict_counts", None)
        if callable(show_counts):  # the status bar agrees with what the page shows
            errors = sum(1 for r in rows if r.is_error)
            show_counts(errors, len(rows) - errors)
        self.loaded.emit()

    def _failed(self, message: str) -> None:
        self.loading = False
        self.placeholder.setText(f"⚠ The conflicts could not be checked: {message}")
        self.stack.setCurrentWidget(self.placeholder)

    def _closed(self) -> None:
        self.task.stop()
        self.suggest_task.stop()
        self.by_release = {}
        self.model.set_rows([])
        self.summary.setText("")
        self._show_selection(None)

    def _update_completions(self) -> None:
        keys = sorted({k for r in self.model.rows for k in r.releases})
        cis = sorted({c for r in self.model.rows for c in r.cis})
        people = sorted({p for r in self.model.rows for p in r.people})
        for line, values in (
            (self.release_filter, keys),
            (self.ci_filter, cis),
            (self.person_filter, people),
        ):
            completer = QCompleter(QStringListModel(values, line), line)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            line.setCompleter(completer)

    # --- filters ------------------------------------------------------------------------------

    def apply_filters(self) -> None:
        key = self._current_row()
        self.model.set_filters(
            rule=self.rule_filter.currentData() or "",
            severity=self.severity_filter.currentData() or "",
            release=self.release_filter.text(),
            ci=self.ci_filter.text(),
            person=self.person_filter.text(),
            text=self.search.text(),
        )
        self._update_summary()
        self._reselect(key)

    def clear_filters(self) -> None:
        for combo in (self.rule_filter, self.severity_filter):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        for line in (self.release_filter, self.ci_filter, self.person_filter, self.search):
            line.blockSignals(True)
            line.clear()
            line.blockSignals(False)
        self.apply_filters()

    def filter_release(self, key: str) -> None:
        """Show only the conflicts of release ``key`` (from the editor's badge)."""
        self.clear_filters()
        self.release_filter.blockSignals(True)
        self.release_filter.setText(key)
        self.release_filter.blockSignals(False)
        self.apply_filters()
        if self.model.shown:
            self.table.selectRow(0)

    def _update_summary(self) -> None:
        rows = self.model.rows
        errors = sum(1 for r in rows if r.is_error)
        warnings = len(rows) - errors
        text = (
            f"{errors:,} error{'s' if errors != 1 else ''}, "
            f"{warnings:,} warning{'s' if warnings != 1 else ''}"
        )
        if self.model.filters:
            text += f" — {len(self.model.shown):,} shown"
        if not rows:
            text = "No conflicts: every release fits its windows, CIs, people and dependencies"
        self.summary.setText(text)

    # --- selection ----------------------------------------------------------------------------

    def _current_row(self) -> ConflictRow | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _reselect(self, row: ConflictRow | None) -> None:
        if row is not None:
            for i, r in enumerate(self.model.shown):
                if r == row:
                    self.table.selectRow(i)
                    return
        self._show_selection(None)

    def _selected(self) -> None:
        self._show_selection(self._current_row())
        key = self.selected_key()
        if key:  # the inspector (and the editor, when opened) show the conflict's release
            self.store.selection.set(key)

    def _show_selection(self, row: ConflictRow | None) -> None:
        self.proposal = None
        self.move_button.setEnabled(False)
        self.move_button.setText("Move to suggested slot")
        self.open_button.setEnabled(row is not None)
        self.calendar_button.setEnabled(row is not None)
        if row is None:
            self.detail.setText("Select a conflict to see what to do about it.")
            self.suggestion.setText("")
            return
        self.detail.setText(f"<b>{row.rule_text}</b> — {_html(row.message)}")
        if row.rule == "C4":
            self.suggestion.setText(
                "Moving a deployment does not help here: change the task dates or the assignee "
                "in the release's Tasks tab."
            )
            return
        self.suggestion.setText("Looking for a slot that raises no conflict…")
        self.suggest_task.trigger()

    def _suggest_job(self) -> Any:
        row = self._current_row()
        if row is None or not self.store.has_plan or row.rule == "C4":
            return None
        ctx = self.store.ctx
        rule, keys = row.rule, list(row.releases)

        def run(task: Task) -> tuple[ConflictRow, Any]:
            return row, scheduling.suggest_slot(ctx, rule, keys)

        return run

    def suggest_here(self) -> None:
        run_here(self._suggest_job, self._suggested, stop=self.suggest_task, name="suggest")

    def _suggested(self, answer: tuple[ConflictRow, Any]) -> None:
        row, result = answer
        if row != self._current_row() or result is None:
            return
        key, proposal = result
        if isinstance(proposal, str):  # no slot: the assistant says what blocks every one
            self.suggestion.setText(f"{as_sentence(proposal)}; move it by hand on the calendar.")
            return
        self.proposal = (key, proposal)
        when = proposal.when
        where = f" ({proposal.window_title})" if proposal.window_title else ""
        self.suggestion.setText(f"Suggested: move {key} to {when}{where} — {proposal.reason}.")
        self.move_button.setText(f"Move {key} to {when}")
        self.move_button.setEnabled(True)

    # --- going to the fix ---------------------------------------------------------------------

    def selected_key(self) -> str | None:
        row = self._current_row()
        if row is None:
            return None
        wanted = self.release_filter.text().strip().lower()
        return next((k for k in row.releases if k.lower() == wanted), row.releases[0])

    def open_release(self) -> bool:
        key = self.selected_key()
        opener = getattr(self.window_, "open_release", None)
        if not key or not callable(opener):
            return False
        opener(key)
        return True

    def show_on_calendar(self) -> bool:
        key = self.selected_key()
        window = self.window_
        if not key or window is None or not window.show_page("calendar"):
            return False
        view = getattr(window, "calendar_view", None)
        if view is None:
            return False
        if not view.select_key(key):
            return False
        tree = getattr(view, "tree", None)
        if tree is not None:  # the row in the middle of the chart, not half under its edge
            tree.scrollTo(tree.currentIndex(), QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def move_to_suggestion(self) -> bool:
        """Move the release to the proposed slot: one undoable step through the store."""
        if self.proposal is None:
            return False
        key, proposal = self.proposal
        rel = self.store.release(key)
        if rel is None:
            return False
        old = {"deploy_start": rel.deploy_start, "deploy_end": rel.deploy_end}
        when = proposal.when
        text = f"move the deployment of {key} to {when}"
        try:
            self.store.edits.move_to_slot(key, text, proposal.start, proposal.end, old)
        except Refused as exc:
            self.store.error.emit(str(exc))
            return False
        self.store.message.emit(f"Moved the deployment of {key} to {when} (Ctrl+Z to undo)")
        self.proposal = None
        self.move_button.setEnabled(False)
        return True


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def page_factory(store: Store, window: Any) -> ConflictsPage:
    page = ConflictsPage(store, window)
    if window is not None:
        window.conflicts_page = page
    return page


def prepare_screenshot(window: Any, key: str | None) -> None:
    window.show_page("conflicts")
    page: ConflictsPage | None = getattr(window, "conflicts_page", None)
    if page is None:
        return
    if not page.model.rows:  # (the status bar's check has usually filled it already)
        page.load_here()
    if page.model.shown:
        page.table.selectRow(0)
        page.suggest_here()


__all__ = [
    "ClickableLabel",
    "ConflictBadge",
    "ConflictsModel",
    "ConflictsPage",
    "page_factory",
    "prepare_screenshot",
]
