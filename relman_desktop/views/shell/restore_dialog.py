"""File > Restore from Backup: the open plan's backups with their time, why they were taken and
how many releases they hold; the chosen one is restored into a NEW file (never over the open
plan), which then opens. The automatic-backup settings sit below the list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.services import backups

from .settings import Settings

REASON_TEXT = {"open": "on open", "auto": "while editing", "manual": "by hand"}


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{max(1, n // 1000)} kB"


class RestoreDialog(QDialog):
    def __init__(
        self,
        plan: Path,
        settings: Settings,
        on_restored: Callable[[Path], None],
        parent: QWidget | None = None,
        *,
        on_interval: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("restore_dialog")
        self.setWindowTitle("Restore from a backup")
        self.plan = plan
        self.settings = settings
        self.on_restored = on_restored
        self.on_interval = on_interval
        self.folder = backups.backup_folder(plan)
        intro = QLabel(
            f"Backups of <b>{plan.name}</b>, newest first. A backup is restored into a new "
            "file, which then opens; the plan you have open is left as it is."
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("backups_table")
        self.table.setHorizontalHeaderLabels(["Taken", "When", "Releases", "Size"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.choose_target())
        self.status = QLabel()
        self.status.setObjectName("restore_status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        folder = QLabel(f"Backup folder: {self.folder}")
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        folder.setWordWrap(True)

        self.interval = QSpinBox()
        self.interval.setObjectName("backup_interval")
        self.interval.setRange(1, 24 * 60)
        self.interval.setSuffix(" minutes of editing")
        self.interval.setValue(settings.backup_interval_minutes)
        self.interval.valueChanged.connect(self._save_settings)
        self.kept = QSpinBox()
        self.kept.setObjectName("backups_kept")
        self.kept.setRange(1, 1000)
        self.kept.setSuffix(" backups, and one a day for a week")
        self.kept.setValue(settings.backups_kept)
        self.kept.valueChanged.connect(self._save_settings)
        form = QFormLayout()
        form.addRow("Back up every", self.interval)
        form.addRow("Keep the last", self.kept)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.restore_button = QPushButton("Restore into a new file…")
        self.restore_button.setObjectName("restore_button")
        self.restore_button.clicked.connect(self.choose_target)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        for w in (intro, self.table, self.status, folder):
            layout.addWidget(w)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(640, 460)
        self.reload()

    def _save_settings(self) -> None:
        if self.on_interval is not None:
            self.on_interval(self.interval.value())
        else:
            self.settings.backup_interval_minutes = self.interval.value()
        self.settings.backups_kept = self.kept.value()
        self.settings.sync()

    def reload(self) -> None:
        self.items = backups.list_backups(self.plan, count=True)
        self.table.setRowCount(len(self.items))
        for row, b in enumerate(self.items):
            cells = [
                b.taken_at.strftime("%Y-%m-%d %H:%M:%S"),
                REASON_TEXT.get(b.reason, b.reason),
                "damaged" if b.problem and b.releases is None else str(b.releases),
                _size(b.size),
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(b.problem or str(b.path))
                if col == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, col, item)
        if self.items:
            self.table.selectRow(0)
        else:
            self.status.setText("No backups of this plan yet: one is taken each time it opens.")
        self.restore_button.setEnabled(bool(self.items))

    def selected(self) -> backups.Backup | None:
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()] if rows else None

    def default_target(self, b: backups.Backup) -> Path:
        base = self.plan.with_name(
            f"{self.plan.stem}-restored-{b.taken_at:%Y%m%d-%H%M}{self.plan.suffix}"
        )
        n, target = 1, base
        while target.exists():
            n += 1
            target = base.with_name(f"{base.stem}-{n}{base.suffix}")
        return target

    def choose_target(self) -> QFileDialog | None:
        b = self.selected()
        if b is None:
            return None
        dialog = QFileDialog(self, "Restore into a new plan file")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("Release plans (*.relman)")
        dialog.setDefaultSuffix("relman")
        dialog.selectFile(str(self.default_target(b)))
        dialog.fileSelected.connect(lambda path: self.restore_into(b, Path(path)))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def restore_into(self, b: backups.Backup, target: Path) -> Path | None:
        """Restore ``b`` into ``target`` (a new file); a refusal is shown in one line."""
        if target.absolute() == self.plan.absolute():
            self.status.setText(
                "That is the plan you have open; choose a new file for the restored copy."
            )
            return None
        try:
            restored = backups.restore(b.path, target)
        except backups.BackupError as exc:
            self.status.setText(f"⚠ {exc}")
            return None
        self.status.setText(f"Restored into {restored}")
        self.on_restored(restored)
        self.close()
        return restored
