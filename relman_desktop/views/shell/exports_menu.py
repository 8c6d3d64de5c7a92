"""File > Import and File > Export, and their progress panel; ``install`` also adds the status
bar's conflict count.

Every export and import runs through the worker helper (``views.worker``): a panel at the
bottom of the window shows what is running with a progress bar and Cancel, then the outcome —
the service's own one-line message when a write is refused (missing folder, file open in
another program), or every problem with its JSON path when a plan JSON is refused (nothing is
imported then). File dialogs open non-modally; each action also has a method taking the path,
which is what the dialog calls and what tests call.

The conflict count (errors / warnings), the conflict badges and the Conflicts page's rows come
from one ``ConflictTally`` per open plan: built once off the GUI thread, then kept up to date
from the store's change sets (``ConflictStatus``, in ``conflict_status.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QMenu,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.services.changeset import Outcome

from .conflict_status import ConflictStatus
from .worker import Job, Task, Worker, shared_worker


def export_folder(settings: Any) -> str:
    """Where an export's file dialog opens: the folder the last export went to, while it still
    exists; else the user's Documents folder (QStandardPaths); else home."""
    last = getattr(settings, "last_export_folder", None) if settings is not None else None
    if last and Path(last).is_dir():
        return str(last)
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return documents if documents and Path(documents).is_dir() else str(Path.home())


class TransferPanel(QWidget):
    """What the running export or import is doing, and how the last one ended."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transfer_panel")
        self.title = QLabel("")
        self.title.setStyleSheet("font-weight: 600;")
        self.title.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setAccessibleName("Progress")
        self.message = QLabel("")
        self.message.setObjectName("transfer_message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.problems = QListWidget()
        self.problems.setObjectName("transfer_problems")
        self.problems.setAccessibleName("Problems")
        self.problems.setWordWrap(True)
        self.problems.setMinimumHeight(self.fontMetrics().height() + 10)
        self.problems.hide()
        # Side by side: the window leaves the bottom dock little height at 1366×768, and the
        # problem list needs it more than the title does.
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        column = QVBoxLayout()
        column.addWidget(self.title)
        column.addLayout(row)
        column.addWidget(self.message)
        column.addStretch(1)
        left = QWidget()
        left.setLayout(column)
        left.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 24)
        left.setMaximumWidth(self.fontMetrics().horizontalAdvance("M") * 36)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(left, 1)
        layout.addWidget(self.problems, 3)

    def _set_role(self, role: str) -> None:
        self.message.setProperty("role", role)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def start(self, title: str) -> None:
        self.title.setText(title)
        self.bar.setValue(0)
        self.bar.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.message.setText("Starting…")
        self._set_role("subtle")
        self.problems.clear()
        self.problems.hide()

    def progress(self, percent: int, message: str) -> None:
        self.bar.setValue(percent)
        if message:
            self.message.setText(message[:1].upper() + message[1:] + "…")

    def finish(self, message: str, *, ok: bool, problems: list[str] | None = None) -> None:
        self.cancel_button.hide()
        self.bar.setVisible(ok)
        if ok:
            self.bar.setValue(100)
        self.message.setText(message[:1].upper() + message[1:])
        self._set_role("ok" if ok else "error")
        self.problems.clear()
        if problems:
            self.problems.addItems(problems)
            self.problems.show()
        else:
            self.problems.hide()


class FileTransfers(QObject):
    """The File > Import / Export actions of one main window."""

    finished = Signal(str, str)  # state (succeeded | failed | cancelled), message

    def __init__(self, window: Any, worker: Worker | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.store = window.store
        self._worker = worker
        self.job: Job | None = None
        self.template: str | None = None  # the Word style template for release notes
        self._dialogs: list[QDialog] = []
        self.actions: dict[str, QAction] = {}

        self.panel = TransferPanel()
        self.panel.cancel_requested.connect(self.cancel)
        self.dock = QDockWidget("Import and export", window)
        self.dock.setObjectName("transfer_dock")
        self.dock.setWidget(self.panel)
        self.dock.setAllowedAreas(
            Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.TopDockWidgetArea
        )
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self._build_menus()
        # bound methods: Qt drops them with this object (the store may outlive the window)
        self.store.plan_opened.connect(self._plan_opened)
        self.store.plan_closed.connect(self._plan_closed)
        self._enable(self.store.has_plan)

    @property
    def worker(self) -> Worker:
        return self._worker or shared_worker()

    # --- menus ------------------------------------------------------------------------------------

    def _add(self, menu: QMenu, name: str, text: str, slot: Callable[[], Any], tip: str) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(f"action_{name}")
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda _c=False: slot())
        menu.addAction(action)
        self.actions[name] = action
        return action

    def _build_menus(self) -> None:
        imp, exp = self.window.import_menu, self.window.export_menu
        imp.clear()
        exp.clear()
        self._add(
            imp,
            "import_plan",
            "&Plan (JSON)…",
            self.import_plan_dialog,
            "Add releases, changes, people and windows from a plan JSON file (all or nothing)",
        )
        self._add(
            exp,
            "export_notes_business",
            "Release Notes, &Business (.docx)…",
            lambda: self.release_notes_dialog("business"),
            "Word release notes of the selected release for stakeholders (no technical detail)",
        )
        self._add(
            exp,
            "export_notes_technical",
            "Release Notes, &Technical (.docx)…",
            lambda: self.release_notes_dialog("technical"),
            "Word release notes of the selected release with deployment and rollback detail",
        )
        self._add(
            exp,
            "export_runbook",
            "Deployment &Runbook (.docx)…",
            self.runbook_dialog,
            "The selected release's deployment runbook: steps, owners, times, waves, rollback, sign-off",
        )
        self._add(
            exp,
            "export_kb",
            "Knowledge &Base Pages (folder)…",
            self.kb_dialog,
            "Every release's notes as Markdown and printable HTML, with an index page",
        )
        self._add(
            exp,
            "notes_template",
            "Word Style &Template for Release Notes…",
            self.template_dialog,
            "Use your own .docx as the style template of the release notes",
        )
        self._add(
            exp,
            "notes_template_clear",
            "Use the Built-in Release Notes Style",
            self.clear_template,
            "Forget the chosen Word template",
        )
        exp.addSeparator()
        self._add(
            exp,
            "export_kpis",
            "&KPI Workbook (.xlsx)…",
            self.kpi_workbook_dialog,
            "The KPIs with the KPIs page's filters, as an Excel workbook with formulas and charts",
        )
        self._add(
            exp,
            "export_ics",
            "&Calendar (.ics)…",
            self.calendar_dialog,
            "Deployment, maintenance and freeze windows for Outlook, Google or Apple calendars",
        )
        self._add(
            exp,
            "export_plan",
            "&Plan (JSON)…",
            self.plan_json_dialog,
            "The whole plan as a JSON document (the interchange format)",
        )
        exp.addSeparator()
        self._add(
            exp,
            "export_calendar_picture",
            "Calendar &Picture (PNG/PDF)…",
            self.calendar_picture_dialog,
            "The Gantt calendar as a PNG picture or a multi-page PDF",
        )
        exp.aboutToShow.connect(self._update_menu)
        self._update_menu()

    def _update_menu(self) -> None:
        has_plan = self.store.has_plan
        self.actions["export_calendar_picture"].setEnabled(has_plan)
        self.actions["notes_template_clear"].setVisible(self.template is not None)
        template = self.actions["notes_template"]
        template.setText(
            f"Word Style &Template: {Path(self.template).name}…"
            if self.template
            else "Word Style &Template for Release Notes…"
        )

    def _plan_opened(self, _path: str) -> None:
        self._enable(True)

    def _plan_closed(self) -> None:
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for action in self.actions.values():
            action.setEnabled(on)
        if on:
            self._update_menu()

    # --- running ---------------------------------------------------------------------------------

    def _run(
        self, title: str, fn: Callable[[Task], Any], on_done: Callable[[Any], str]
    ) -> Job | None:
        if self.job is not None and not self.job.done:
            self.store.error.emit(f"wait for “{self.job.name}” to finish, or cancel it")
            return None
        self.panel.start(title)
        self.dock.show()
        self.dock.raise_()
        self._fit_dock()
        self._on_done = on_done
        self.job = self.worker.submit(
            fn,
            name=title,
            on_progress=self.panel.progress,
            on_result=self._succeeded,
            on_error=self._failed,
            on_cancelled=self._cancelled,
        )
        return self.job

    def cancel(self) -> None:
        if self.job is not None and not self.job.done:
            self.job.cancel()
            self.panel.cancel_button.setEnabled(False)
            self.panel.message.setText("Cancelling…")

    def _fit_dock(self) -> None:
        """Tall enough for what the panel shows (the problem list, when there is one)."""
        height = self.panel.minimumSizeHint().height() + 24
        if self.panel.problems.isVisibleTo(self.panel):
            rows = min(self.panel.problems.count(), 10)
            height += self.panel.fontMetrics().height() * max(0, rows - 5) + 8 * rows
        w = self.window
        room = (
            w.height()
            - w.centralWidget().minimumSizeHint().height()
            - w.menuBar().height()
            - w.statusBar().height()
            - 8
        )  # never push the window past its current height
        height = max(self.dock.minimumSizeHint().height(), min(height, room, w.height() // 2))
        w.resizeDocks([self.dock], [height], Qt.Orientation.Vertical)

    def _succeeded(self, result: Any) -> None:
        message = self._on_done(result)
        self.panel.finish(message, ok=True)
        self._fit_dock()
        self.store.message.emit(message)
        self.finished.emit("succeeded", message)

    def _failed(self, message: str) -> None:
        sender = self.sender()
        job = (
            sender if isinstance(sender, Job) else self.job
        )  # a synchronous job reports before submit returns
        problems = list(getattr(job.exception, "problems", None) or []) if job is not None else []
        if problems == [message]:
            problems = []
        self.panel.finish(message, ok=False, problems=problems)
        self._fit_dock()
        self.store.error.emit(message)
        self.finished.emit("failed", message)

    def _cancelled(self) -> None:
        message = "Cancelled: nothing was written."
        self.panel.finish(message, ok=False)
        self.store.message.emit(message)
        self.finished.emit("cancelled", message)

    def _key(self) -> str:
        """The one current release (Store.selection): what File > Export writes about."""
        return self.store.selection.key or ""

    # --- exports (each takes the target path; the dialogs call these) ------------------------

    def export_release_notes(
        self,
        path: str | Path,
        *,
        key: str | None = None,
        variant: str = "business",
        template: str | Path | None = None,
    ) -> Job | None:
        key = key or self._key()
        if not key:
            self.store.error.emit("select a release first (in the releases list or the editor)")
            return None
        ctx = self.store.ctx
        template = template if template is not None else self.template

        def run(task: Task) -> Path:
            from relman_desktop.exports.release_notes import write_release_notes
            from relman_desktop.services.release_report import release_report

            task.progress(10, f"reading {key}")
            from relman_desktop.services.audit import head

            report = release_report(ctx, key)
            audit_head = head(ctx).text
            task.check()
            task.progress(40, "writing the Word document")
            return write_release_notes(
                report,
                path,
                variant=variant,
                template=template,
                cancelled=task.cancelled,
                audit_head=audit_head,
            )

        return self._run(f"Release notes of {key} ({variant})", run, lambda p: f"Wrote {p}")

    def export_runbook(self, path: str | Path, *, key: str | None = None) -> Job | None:
        key = key or self._key()
        if not key:
            self.store.error.emit("select a release first (in the releases list or the editor)")
            return None
        ctx = self.store.ctx

        def run(task: Task) -> Path:
            from relman_desktop.exports.runbook import write_runbook
            from relman_desktop.services.release_report import release_report

            task.progress(10, f"reading {key}")
            report = release_report(ctx, key)
            task.check()
            task.progress(40, "writing the Word document")
            return write_runbook(report, path, cancelled=task.cancelled)

        return self._run(f"Runbook of {key}", run, lambda p: f"Wrote {p}")

    def export_kb(self, folder: str | Path) -> Job | None:
        ctx = self.store.ctx

        def run(task: Task) -> Any:
            from relman_desktop.exports.kb import write_kb_site

            task.progress(10, "writing the knowledge-base pages")
            return write_kb_site(ctx, folder)

        return self._run(
            "Knowledge-base pages", run, lambda r: f"Wrote {r.index} ({r.pages} releases)"
        )

    def kpi_filters(self) -> dict[str, Any]:
        page = getattr(self.window, "kpi_dashboard", None)
        if page is not None and hasattr(page, "filters"):
            return dict(page.filters())
        return {"start": None, "end": None, "by": "month", "application": None, "report_year": 2023}

    def export_kpi_workbook(
        self, path: str | Path, filters: dict[str, Any] | None = None
    ) -> Job | None:
        ctx = self.store.ctx
        chosen = dict(filters if filters is not None else self.kpi_filters())

        def run(task: Task) -> Path:
            from relman_desktop.exports.kpi_workbook import write_kpi_workbook
            from relman_desktop.services import kpis

            task.progress(10, "collecting deployments, changes and approvals")
            data = kpis.collect(ctx, **chosen)
            task.check()
            task.progress(40, "writing the workbook")
            return write_kpi_workbook(data, path, cancelled=task.cancelled)

        return self._run("KPI workbook", run, lambda p: f"Wrote {p}")

    def export_calendar(self, path: str | Path) -> Job | None:
        ctx = self.store.ctx

        def run(task: Task) -> Any:
            from relman_desktop.exports.ics import export_ics

            task.progress(20, "collecting deployment and maintenance windows")
            task.check()
            return export_ics(ctx, path)

        return self._run(
            "Calendar (.ics)",
            run,
            lambda r: (
                f"Wrote {r.path}: {r.deployments} deployment{'s' if r.deployments != 1 else ''}, "
                f"{r.windows} window{'s' if r.windows != 1 else ''}"
            ),
        )

    def export_plan(self, path: str | Path) -> Job | None:
        ctx = self.store.ctx

        def run(task: Task) -> Path:
            from relman_desktop.exports.plan_json import write_plan_file

            task.progress(20, "reading the whole plan")
            task.check()
            return write_plan_file(ctx, path)

        return self._run("Plan (JSON)", run, lambda p: f"Wrote {p}")

    def export_calendar_picture(self, path: str | Path) -> Any:
        """The Gantt as PNG or tiled PDF (GUI-thread painting, so not a worker job)."""
        from relman_desktop.services.base import ServiceError

        from ..calendar.calendar_export import export_calendar_file

        try:
            target = export_calendar_file(self.window, path)
        except (ServiceError, OSError) as exc:
            self.store.error.emit(str(exc))
            return None
        self.store.message.emit(f"Wrote {target}")
        return target

    # --- import ------------------------------------------------------------------------------

    def import_plan(self, path: str | Path) -> Job | None:
        ctx = self.store.ctx

        def run(task: Task) -> Outcome[dict[str, Any]]:
            from relman_desktop.importers.plan_json import load_plan_file

            from .edits.plan import import_plan_data

            task.progress(10, f"reading {Path(path).name}")
            data = load_plan_file(path)
            task.check()
            task.progress(40, "checking every record, then importing")
            return import_plan_data(ctx, data)

        return self._run(f"Import {Path(path).name}", run, self._imported)

    def _imported(self, outcome: Outcome[dict[str, Any]]) -> str:
        self.store.announce(
            outcome.changes
        )  # an import changes the whole plan: every view re-reads
        summary = outcome.result
        counts = ", ".join(
            f"{v} {k.replace('_', ' ')}" for k, v in summary.items() if isinstance(v, int) and v
        )
        return f"Imported {counts or 'nothing new'}"

    # --- non-modal file dialogs -------------------------------------------------------------

    def _dialog(
        self,
        title: str,
        name_filter: str,
        suffix: str,
        on_selected: Callable[[str], Any],
        *,
        save: bool = True,
        file_name: str = "",
    ) -> QFileDialog:
        dialog = QFileDialog(self.window, title)
        dialog.setNameFilter(name_filter)
        if save:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setDefaultSuffix(suffix)
            if file_name:
                dialog.selectFile(file_name)
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        if save:  # exports: the last folder one went to, else Documents
            dialog.setDirectory(export_folder(getattr(self.window, "settings", None)))
            dialog.fileSelected.connect(self._remember_folder)
        elif self.store.plan_path:
            dialog.setDirectory(str(self.store.plan_path.parent))
        dialog.fileSelected.connect(on_selected)
        dialog.finished.connect(
            lambda _r, d=dialog: self._dialogs.remove(d) if d in self._dialogs else None
        )
        self._dialogs.append(dialog)
        dialog.open()
        return dialog

    def _remember_folder(self, path: str) -> None:
        settings = getattr(self.window, "settings", None)
        if settings is not None and path:
            settings.last_export_folder = str(Path(path).parent)

    def release_notes_dialog(self, variant: str) -> QDialog | None:
        """The file dialog for the selected release's notes; with none selected, first asks
        which release (that choice becomes the selection)."""
        key = self._key()
        if not key:
            return self.ask_release(
                f"Release notes ({variant})", lambda: self.release_notes_dialog(variant)
            )
        return self._dialog(
            f"Release notes of {key} ({variant})",
            "Word documents (*.docx)",
            "docx",
            lambda p: self.export_release_notes(p, key=key, variant=variant),
            file_name=f"{key}-release-notes-{variant}.docx",
        )

    def runbook_dialog(self) -> QDialog | None:
        key = self._key()
        if not key:
            return self.ask_release("Deployment runbook", self.runbook_dialog)
        return self._dialog(
            f"Runbook of {key}",
            "Word documents (*.docx)",
            "docx",
            lambda p: self.export_runbook(p, key=key),
            file_name=f"{key}-runbook.docx",
        )

    def kb_dialog(self) -> QFileDialog:
        dialog = QFileDialog(self.window, "Folder for the knowledge-base pages")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setDirectory(export_folder(getattr(self.window, "settings", None)))
        dialog.fileSelected.connect(self.export_kb)
        dialog.finished.connect(
            lambda _r, d=dialog: self._dialogs.remove(d) if d in self._dialogs else None
        )
        self._dialogs.append(dialog)
        dialog.open()
        return dialog

    def ask_release(self, title: str, then: Callable[[], Any]) -> QInputDialog | None:
        """Which release? A non-modal list of the plan's releases; picking one selects it
        (Store.selection) and runs ``then``."""
        rows = self.store.releases()
        if not rows:
            self.store.error.emit("this plan has no release to export yet")
            return None
        dialog = QInputDialog(self.window)
        dialog.setObjectName("ask_release")
        dialog.setWindowTitle(title)
        dialog.setLabelText("No release is selected. Which release?")
        dialog.setComboBoxItems([f"{r.key} — {r.title}" for r in rows])
        dialog.setComboBoxEditable(False)

        def chosen(text: str) -> None:
            self.store.selection.set(text.split(" — ", 1)[0])
            then()

        dialog.textValueSelected.connect(chosen)
        dialog.finished.connect(
            lambda _r, d=dialog: self._dialogs.remove(d) if d in self._dialogs else None
        )
        self._dialogs.append(dialog)
        dialog.open()
        return dialog

    def template_dialog(self) -> QFileDialog:
        return self._dialog(
            "Word style template for release notes",
            "Word documents (*.docx *.dotx)",
            "docx",
            self.set_template,
            save=False,
        )

    def set_template(self, path: str | Path) -> None:
        self.template = str(path)
        self._update_menu()
        self.store.message.emit(f"Release notes will use the styles of {Path(path).name}")

    def clear_template(self) -> None:
        self.template = None
        self._update_menu()

    def kpi_workbook_dialog(self) -> QFileDialog:
        return self._dialog(
            "KPI workbook",
            "Excel workbooks (*.xlsx)",
            "xlsx",
            self.export_kpi_workbook,
            file_name="kpis.xlsx",
        )

    def calendar_dialog(self) -> QFileDialog:
        return self._dialog(
            "Calendar",
            "iCalendar files (*.ics)",
            "ics",
            self.export_calendar,
            file_name="release-calendar.ics",
        )

    def plan_json_dialog(self) -> QFileDialog:
        stem = self.store.plan_path.stem if self.store.plan_path else "plan"
        return self._dialog(
            "Export the plan as JSON",
            "Plan JSON (*.json)",
            "json",
            self.export_plan,
            file_name=f"{stem}.json",
        )

    def calendar_picture_dialog(self) -> QFileDialog:
        return self._dialog(
            "Calendar picture",
            "PNG images (*.png);;PDF documents (*.pdf)",
            "png",
            self.export_calendar_picture,
            file_name="calendar.png",
        )

    def import_plan_dialog(self) -> QFileDialog:
        return self._dialog(
            "Import a plan JSON",
            "Plan JSON (*.json);;All files (*)",
            "json",
            self.import_plan,
            save=False,
        )


def install(window: Any, worker: Worker | None = None) -> FileTransfers:
    """Fill File > Import / Export of ``window``, add the progress panel and the conflict count."""
    transfers = FileTransfers(window, worker)
    window.conflict_status = ConflictStatus(window, worker)
    return transfers


__all__ = ["ConflictStatus", "FileTransfers", "TransferPanel", "install"]
