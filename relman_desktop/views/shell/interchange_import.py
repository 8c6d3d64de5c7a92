"""File > Import from MS Project, GanttProject/Planner, a calendar feed or a tracker sheet, and
File > Export to MS Project.

Choosing a file reads it on the worker (progress in the Import and export panel); then a preview
window lists what the import would create, update and skip, with the reasons, before anything
is written. Its options (which release; what the calendar's events become and over which dates;
which column is which change field, remembered per plan) re-run the preview. Import applies it
as one step on the undo stack: Edit > Undo takes the whole import back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QDate, QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models.planfile import PlanError
from relman_desktop.services.base import ServiceError

from .commands import Refused

KINDS = {
    "msproject": (
        "Microsoft &Project (XML)…",
        "Microsoft Project XML (*.xml);;All files (*)",
        "Tasks, outline, links and lags, assignees and days off from a Project XML file",
    ),
    "gantt": (
        "&GanttProject or Planner…",
        "GanttProject / Planner (*.gan *.planner);;All files (*)",
        "Tasks, nesting, milestones and links from a GanttProject or GNOME Planner file",
    ),
    "ics": (
        "Calendar &Events (.ics)…",
        "iCalendar files (*.ics);;All files (*)",
        "Events of an Outlook, Google or Thunderbird calendar as maintenance, freeze, holiday "
        "or event windows",
    ),
    "changes": (
        "&Changes from Jira or ServiceNow (.csv, .xlsx)…",
        "Spreadsheets (*.csv *.xlsx);;All files (*)",
        "Changes from a Jira issue export or a ServiceNow change_request export",
    ),
}
ACTION_WORDS = {"create": "Create", "update": "Update", "skip": "Skip"}


class PreviewDialog(QDialog):
    """What an import would do, with its options; Import applies it."""

    applied = Signal(str)  # the summary line

    def __init__(
        self,
        interchange: Interchange,
        kind: str,
        path: Path,
        source: Any,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.interchange, self.kind, self.path, self.source = interchange, kind, path, source
        self.store = interchange.store
        self.plan: Any = None
        self.setObjectName(f"import_preview_{kind}")
        self.setWindowTitle(f"Import {path.name}")
        self.summary = QLabel("")
        self.summary.setObjectName("import_summary")
        self.summary.setWordWrap(True)
        self.options = QFormLayout()
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("import_rows")
        self.table.setHorizontalHeaderLabels(["Action", "What", "Item", "Detail", "Why", "Where"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAccessibleName("What the import would do")
        self.warnings = QListWidget()
        self.warnings.setObjectName("import_warnings")
        self.warnings.setAccessibleName("Warnings")
        self.warnings.setWordWrap(True)
        self.warnings.setMaximumHeight(self.fontMetrics().height() * 6)
        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setObjectName("import_apply")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(self.options)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel("Warnings (what is left out or changed on the way in):"))
        layout.addWidget(self.warnings)
        layout.addWidget(self.buttons)
        self._build_options()
        self.resize(
            self.fontMetrics().horizontalAdvance("M") * 90, self.fontMetrics().height() * 32
        )
        self.refresh()

    # --- options ---------------------------------------------------------------------------------

    def _build_options(self) -> None:
        ctx = self.store.ctx
        if self.kind in ("msproject", "gantt"):
            from relman_desktop.services.releases import list_releases

            self.target = QComboBox()
            self.target.setObjectName("import_target")
            self.target.addItem(f"A new release: {self.source.title}", None)
            for row in list_releases(ctx):
                self.target.addItem(f"{row.key} — {row.title}", row.key)
            current = self.interchange.current_key()
            if current:
                self.target.setCurrentIndex(max(0, self.target.findData(current)))
            self.target.currentIndexChanged.connect(self.refresh)
            self.options.addRow("Into:", self.target)
        elif self.kind == "ics":
            self.as_kind = QComboBox()
            self.as_kind.setObjectName("import_window_kind")
            for word, label in (
                ("maintenance", "Maintenance windows"),
                ("freeze", "Freezes"),
                ("holiday", "Holidays"),
                ("event", "Business events"),
            ):
                self.as_kind.addItem(label, word)
            self.as_kind.currentIndexChanged.connect(self.refresh)
            today = ctx.today()
            self.since, self.until = QDateEdit(), QDateEdit()
            for edit, day in (
                (self.since, today - dt.timedelta(days=365)),
                (self.until, today + dt.timedelta(days=730)),
            ):
                edit.setCalendarPopup(True)
                edit.setDisplayFormat("yyyy-MM-dd")
                edit.setDate(QDate(day.year, day.month, day.day))
                edit.dateChanged.connect(self.refresh)
            span = QHBoxLayout()
            span.addWidget(self.since)
            span.addWidget(QLabel("to"))
            span.addWidget(self.until)
            span.addStretch(1)
            self.options.addRow("Events become:", self.as_kind)
            self.options.addRow("Occurrences from:", span)
        elif self.kind == "changes":
            self.columns: dict[str, QComboBox] = {}
            from relman_desktop.importers.tracker_changes import FIELDS

            mapped = {header: name for header, name in self.source.columns.values()}
            remembered = self.interchange.remembered_mapping()
            grid = QFormLayout()
            for header in self.source.headers:
                if not header or header in self.columns:  # Jira repeats "Component/s" columns
                    continue
                box = QComboBox()
                box.setObjectName(f"map_{header}")
                box.addItem("(not read)", "ignore")
                for name in FIELDS[:-1]:
                    box.addItem(name.replace("_", " "), name)
                choice = remembered.get(header.lower()) or mapped.get(header) or "ignore"
                box.setCurrentIndex(max(0, box.findData(choice)))
                box.currentIndexChanged.connect(self.refresh)
                self.columns[header] = box
                grid.addRow(f"{header}:", box)
            inner = QWidget()
            inner.setLayout(grid)
            scroll = QScrollArea()
            scroll.setObjectName("import_mapping")
            scroll.setWidget(inner)
            scroll.setWidgetResizable(True)
            # a Jira export has a hundred columns: the mapping scrolls, the preview keeps its room
            scroll.setMaximumHeight(self.fontMetrics().height() * 11)
            self.options.addRow(f"Columns ({self.source.layout} layout):", scroll)

    def mapping(self) -> dict[str, str]:
        return {h.lower(): box.currentData() for h, box in self.columns.items()}

    # --- preview and apply -----------------------------------------------------------------------

    def refresh(self) -> None:
        try:
            self.plan = self._preview()
        except (ServiceError, PlanError) as exc:
            self.plan = None
            self.summary.setText(f"Cannot import {self.path.name}: {exc}")
            self.table.setRowCount(0)
            self.warnings.clear()
            self.import_button.setEnabled(False)
            return
        preview = self.plan.preview
        counts = preview.counts()
        self.summary.setText(
            f"{self.path.name}: {preview.summary()}. Nothing is written until you "
            f"press Import; Edit > Undo takes the whole import back."
        )
        self.import_button.setEnabled(counts["create"] + counts["update"] > 0)
        self.table.setRowCount(len(preview.rows))
        for r, row in enumerate(preview.rows):
            for c, text in enumerate(
                (
                    ACTION_WORDS[row.action],
                    row.kind.replace("_", " "),
                    row.key,
                    row.title,
                    row.reason,
                    row.source,
                )
            ):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        for c in range(self.table.columnCount()):
            self.table.setColumnWidth(c, min(self.table.columnWidth(c), 320))
        self.warnings.clear()
        self.warnings.addItems(preview.warnings or ["None."])

    def _preview(self) -> Any:
        ctx = self.store.ctx
        if self.kind in ("msproject", "gantt"):
            from relman_desktop.importers.schedule import new_release_fields, preview_schedule

            key = self.target.currentData()
            if key:
                return preview_schedule(ctx, self.source, release_key=key)
            return preview_schedule(
                ctx, self.source, new_release=new_release_fields(ctx, self.source)
            )
        if self.kind == "ics":
            from relman_desktop.importers.ics_windows import preview_windows

            since = cast(dt.date, self.since.date().toPython())
            until = cast(dt.date, self.until.date().toPython())
            return preview_windows(
                ctx, self.source, kind=self.as_kind.currentData(), since=since, until=until
            )
        from relman_desktop.importers.tracker_changes import preview_changes, read_table

        mapping = self.mapping()
        if "key" not in mapping.values():
            raise ServiceError("choose which column holds the change key")
        self.source = read_table(self.path, mapping)
        return preview_changes(ctx, self.source)

    def apply(self) -> None:
        if self.plan is None:
            return
        interchange = self.interchange
        if self.kind == "changes":
            interchange.remember_mapping(self.mapping())
        failed = interchange.apply_import(self.kind, self.path, self.plan)
        if failed:
            self.summary.setText(f"Not imported: {failed}")
            return
        message = f"Imported {self.path.name}: {self.plan.preview.summary()}"
        self.store.message.emit(message)
        self.applied.emit(message)
        self.accept()


class Interchange(QObject):
    """The interchange entries of File > Import and File > Export of one main window."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.store = window.store
        self.transfers = window.file_transfers
        self.actions: dict[str, QAction] = {}
        self.dialogs: list[PreviewDialog] = []
        menu = window.import_menu
        menu.addSeparator()
        for kind, (text, name_filter, tip) in KINDS.items():
            self._add(
                menu,
                f"import_{kind}",
                text,
                tip,
                lambda k=kind, f=name_filter: self.transfers._dialog(  # type: ignore[misc]
                    f"Import {KINDS[k][0].replace('&', '').rstrip('…')}",
                    f,
                    "",
                    lambda p, k=k: self.import_file(k, p),
                    save=False,
                ),
            )
        export = window.export_menu
        export.addSeparator()
        self._add(
            export,
            "export_msproject",
            "Microsoft &Project (XML)…",
            "The selected release's tasks, links and lags as Microsoft Project XML",
            self.export_msproject_dialog,
        )
        # bound methods: Qt drops them with this object (the store may outlive the window)
        self.store.plan_opened.connect(self._plan_opened)
        self.store.plan_closed.connect(self._plan_closed)
        self._enable(self.store.has_plan)

    def _add(self, menu: Any, name: str, text: str, tip: str, slot: Callable[[], Any]) -> None:
        action = QAction(text, self.window)
        action.setObjectName(f"action_{name}")
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda _c=False: slot())
        menu.addAction(action)
        self.actions[name] = action

    def _plan_opened(self, _path: str) -> None:
        self._enable(True)

    def _plan_closed(self) -> None:
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for action in self.actions.values():
            action.setEnabled(on)

    def current_key(self) -> str:
        return self.transfers._key()

    # --- import ------------------------------------------------------------------------------

    def import_file(self, kind: str, path: str | Path) -> Any:
        """Read ``path`` on the worker, then show the preview (what the file dialog calls)."""
        file = Path(path)

        def read(task: Any) -> Any:
            task.progress(10, f"reading {file.name}")
            if kind == "msproject":
                from relman_desktop.importers.msproject import read_mspdi

                schedule = read_mspdi(file)
                schedule.check_loops()
                return schedule
            if kind == "gantt":
                from relman_desktop.importers.ganttproject import read_schedule

                schedule = read_schedule(file)
                schedule.check_loops()
                return schedule
            if kind == "ics":
                from relman_desktop.importers.ics_windows import read_ics

                return read_ics(file)
            from relman_desktop.importers.tracker_changes import read_table

            return read_table(file, self._usable_mapping(file), require_key=False)

        return self.transfers._run(
            f"Read {file.name}", read, lambda source: self._show(kind, file, source)
        )

    def _usable_mapping(self, file: Path) -> dict[str, str]:
        from relman_desktop.importers.tracker_changes import table_headers

        headers = {h.lower() for h in table_headers(file)}
        return {c: f for c, f in self.remembered_mapping().items() if c in headers}

    def _show(self, kind: str, path: Path, source: Any) -> str:
        dialog = PreviewDialog(self, kind, path, source, self.window)
        dialog.finished.connect(
            lambda _r, d=dialog: self.dialogs.remove(d) if d in self.dialogs else None
        )
        self.dialogs.append(dialog)
        dialog.open()
        return f"Read {path.name}: see the preview"

    def apply_import(self, kind: str, path: Path, plan: Any) -> str | None:
        """Write the previewed ``plan`` as one undo step (undo reverses what it wrote, redo
        applies the same preview again); the store announces what it changed. Returns why it
        was refused, or None."""
        try:
            self.store.edits.apply_import(kind, f"Import {path.name}", plan)
        except Refused as exc:
            self.store.error.emit(str(exc))
            return str(exc)
        return None

    def remembered_mapping(self) -> dict[str, str]:
        from relman_desktop.importers.tracker_changes import last_mapping

        try:
            return last_mapping(self.store.ctx)
        except (ServiceError, PlanError):
            return {}

    def remember_mapping(self, mapping: dict[str, str]) -> None:
        self.store.edits.run_remember_mapping(mapping)

    # --- export --------------------------------------------------------------------------------

    def export_msproject(self, path: str | Path, *, key: str | None = None) -> Any:
        key = key or self.current_key()
        if not key:
            self.store.error.emit("select a release first (in the releases list or the editor)")
            return None
        ctx = self.store.ctx

        def run(task: Any) -> tuple[Path, int]:
            from relman_desktop.exports.msproject import write_mspdi

            task.progress(20, f"reading the tasks of {key}")
            task.check()
            return write_mspdi(ctx, key, path)

        return self.transfers._run(
            f"Microsoft Project XML of {key}",
            run,
            lambda r: f"Wrote {r[0]}: {r[1]} task{'s' if r[1] != 1 else ''}",
        )

    def export_msproject_dialog(self) -> Any:
        key = self.current_key()
        if not key:
            self.store.error.emit("select a release first (in the releases list or the editor)")
            return None
        return self.transfers._dialog(
            f"Microsoft Project XML of {key}",
            "Microsoft Project XML (*.xml)",
            "xml",
            lambda p: self.export_msproject(p, key=key),
            file_name=f"{key}.xml",
        )


def install(window: Any) -> Interchange:
    """Add the interchange entries to ``window``'s File > Import and File > Export."""
    return Interchange(window)


__all__ = ["Interchange", "PreviewDialog", "install"]
