"""File > Import for the DevOps toolchain: test reports, git history and tags, pipeline runs,
incidents. Each shows a preview table first (what will be created, updated or skipped, and
why); Apply writes it as one undoable step (undo takes the whole import back).

The reading and checking is the importers' (``importers/toolchain.py``); this module only
chooses files, shows the preview and pushes the undo command. Dialogs open non-modally.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.importers.preview import ImportPreview, PreviewRow

from .commands import Refused

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Action", "What", "Key", "Title", "From", "Why")  # "Why" last: it takes the spare width
WHAT = {
    "tests": "test reports",
    "git": "git history",
    "tags": "releases from git tags",
    "pipeline": "pipeline run",
    "incidents": "incidents",
}


class PreviewModel(QAbstractTableModel):
    """The rows of an :class:`ImportPreview`, as plain data (no database access)."""

    def __init__(self, preview: ImportPreview, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[PreviewRow] = list(preview.rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        values = (
            row.action,
            row.kind.replace("_", " "),
            row.key,
            row.title,
            row.source,
            row.reason,
        )
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return values[index.column()]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{COLUMNS[index.column()]}: {values[index.column()]}"
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None


class ImportPreviewDialog(QDialog):
    """What an import would do; Apply (the default button) writes it, Cancel writes nothing."""

    def __init__(self, title: str, preview: ImportPreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("import_preview")
        self.setWindowTitle(title)
        self.model = PreviewModel(preview, self)
        self.summary = QLabel(f"{preview.source}: {preview.summary()}.")
        self.summary.setObjectName("import_summary")
        self.summary.setWordWrap(True)
        self.table = QTableView()
        self.table.setObjectName("import_preview_table")
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)  # the full text is the tooltip
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.warnings = QLabel("\n".join(preview.warnings))
        self.warnings.setObjectName("import_warnings")
        self.warnings.setWordWrap(True)
        self.warnings.setProperty("role", "subtle")
        self.warnings.setVisible(bool(preview.warnings))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Cancel
        )
        apply = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        apply.setDefault(True)
        nothing = not any(r.action != "skip" for r in preview.rows)
        apply.setEnabled(not nothing)
        apply.setToolTip(
            "Nothing to import: every row is skipped" if nothing else "Write this import (undoable)"
        )
        apply.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.warnings)
        layout.addWidget(self.buttons)
        self.resize(1000, 520)


class ToolchainImports(QObject):
    """File > Import entries for the toolchain, on one main window."""

    imported = Signal(str)  # what was imported, in words

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.store = window.store
        self.actions: dict[str, QAction] = {}
        self._open: list[QDialog] = []
        menu = window.import_menu
        menu.addSeparator()
        for name, text, slot, tip in (
            (
                "import_tests",
                "&Test Reports (JUnit, NUnit XML)…",
                self.tests_dialog,
                "Test reports of any CI as test runs of the selected release",
            ),
            (
                "import_git",
                "&Git History of the Release…",
                lambda: self.repository_dialog("git"),
                "Commits of a repository as changes, commit range and authors of the selected release",
            ),
            (
                "import_tags",
                "Releases from Git &Tags…",
                lambda: self.repository_dialog("tags"),
                "One release per version tag of a repository",
            ),
            (
                "import_pipeline",
                "P&ipeline Run (Jenkins, GitHub, GitLab JSON)…",
                self.pipeline_dialog,
                "A saved CI run as a deployment of the selected release",
            ),
            (
                "import_incidents",
                "&Incidents (CSV, Alertmanager JSON)…",
                self.incidents_dialog,
                "Incidents linked to the deployments that caused them",
            ),
        ):
            action = QAction(text, window)
            action.setObjectName(f"action_{name}")
            action.setStatusTip(tip)
            action.triggered.connect(lambda _c=False, f=slot: f())
            menu.addAction(action)
            self.actions[name] = action
        # bound methods: Qt drops them with this object (the store may outlive the window)
        self.store.plan_opened.connect(self._plan_opened)
        self.store.plan_closed.connect(self._plan_closed)
        self._enable(self.store.has_plan)

    def _plan_opened(self, _path: str) -> None:
        self._enable(True)

    def _plan_closed(self) -> None:
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for action in self.actions.values():
            action.setEnabled(on)

    def _release(self) -> str:
        current = getattr(self.window, "_current_key", None)
        key = str(current() or "") if callable(current) else ""
        if not key:
            self.store.error.emit("Select a release first: the import is evidence for one release")
        return key

    # --- choosing files (non-modal) ------------------------------------------------------------------

    def _files(
        self,
        title: str,
        name_filter: str,
        on_chosen: Callable[[list[str]], Any],
        *,
        many: bool = False,
        folder: bool = False,
    ) -> QFileDialog:
        dialog = QFileDialog(self.window, title)
        if folder:
            dialog.setFileMode(QFileDialog.FileMode.Directory)
            dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        else:
            dialog.setNameFilter(name_filter)
            dialog.setFileMode(
                QFileDialog.FileMode.ExistingFiles if many else QFileDialog.FileMode.ExistingFile
            )
        dialog.filesSelected.connect(lambda files: on_chosen(list(files)))
        self._keep(dialog)
        dialog.open()
        return dialog

    def _keep(self, dialog: QDialog) -> None:
        self._open.append(dialog)
        dialog.finished.connect(
            lambda _r, d=dialog: self._open.remove(d) if d in self._open else None
        )

    def tests_dialog(self) -> QFileDialog | None:
        key = self._release()
        if not key:
            return None
        return self._files(
            "Import test reports",
            "Test reports (*.xml);;All files (*)",
            lambda files: self.preview("tests", {"paths": files, "release": key}),
            many=True,
        )

    def repository_dialog(self, kind: str) -> QFileDialog | None:
        key = self._release() if kind == "git" else ""
        if kind == "git" and not key:
            return None
        return self._files(
            "Choose the git repository",
            "",
            lambda files: self.preview(kind, {"path": files[0], "release": key}),
            folder=True,
        )

    def pipeline_dialog(self) -> QFileDialog | None:
        key = self._release()
        if not key:
            return None
        return self._files(
            "Import a pipeline run",
            "Pipeline JSON (*.json);;All files (*)",
            lambda files: self.preview("pipeline", {"path": files[0], "release": key}),
        )

    def incidents_dialog(self) -> QFileDialog:
        return self._files(
            "Import incidents",
            "Incidents (*.csv *.json);;All files (*)",
            lambda files: self.preview("incidents", {"path": files[0]}),
        )

    # --- preview, then apply as one undo step ----------------------------------------------------------

    def preview(self, kind: str, params: dict[str, Any]) -> ImportPreviewDialog | None:
        """Read and check, write nothing; show the preview (None, and a message, if refused)."""
        from relman_desktop.importers.toolchain import plan_import

        job = self.store.call(plan_import, kind, params)
        if job is self.store.FAILED:
            return None
        dialog = ImportPreviewDialog(f"Import {WHAT[kind]}", job.preview, self.window)
        dialog.accepted.connect(lambda: self.apply(kind, params, job))
        self._keep(dialog)
        dialog.open()
        return dialog

    def apply(self, kind: str, params: dict[str, Any], job: Any) -> bool:
        """Write what the preview showed, as one undo step (redo imports the source again)."""
        try:
            self.store.edits.apply_toolchain_job(f"Import {WHAT[kind]}", kind, params, job)
        except Refused as exc:
            self.store.error.emit(str(exc))
            return False
        counts = job.preview.counts()
        message = f"Imported {WHAT[kind]}: {counts['create']} created, {counts['update']} updated"
        self.store.message.emit(message)
        self.imported.emit(message)
        return True


def install(window: Any) -> ToolchainImports:
    """Add the toolchain imports to ``window``'s File > Import menu."""
    return ToolchainImports(window)


__all__ = ["ImportPreviewDialog", "PreviewModel", "ToolchainImports", "install"]
