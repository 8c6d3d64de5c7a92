"""Settings > General: the theme, the text size and the plan file (with Back up now).

The settings of the app rather than of the plan; ``window`` is the main window, whose
``set_theme``, ``change_text_size`` and ``back_up_now`` the controls call.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..shell.settings import THEMES
from ..shell.store import Store


class GeneralSettings(QWidget):
    """Appearance and the plan file."""

    def __init__(self, store: Store, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settings_page")
        self.window_ = window
        self.theme = QComboBox()
        for name in THEMES:
            self.theme.addItem(name.replace("-", " ").capitalize(), name)
        self.theme.setCurrentIndex(max(0, self.theme.findData(window.settings.theme)))
        self.theme.activated.connect(lambda _i: window.set_theme(self.theme.currentData()))
        size_row = QHBoxLayout()
        for text, step in (("Smaller", -1), ("Reset", 0), ("Bigger", 1)):
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, s=step: window.change_text_size(s))
            size_row.addWidget(button)
        size_row.addStretch(1)
        self.plan_path = QLabel()
        self.plan_path.setWordWrap(
            False
        )  # wrapped, a path breaks at "/" and shows its first line only
        self.plan_path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        backup = QPushButton("Back up now")
        backup.clicked.connect(window.back_up_now)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("Theme:", self.theme)
        form.addRow("Text size:", size_row)
        form.addRow("Plan file:", self.plan_path)
        form.addRow("", backup)
        from ..shell.backup_support import interval_box

        restore = QPushButton("Restore from a backup…")
        restore.clicked.connect(lambda: window.backups.restore_dialog())
        form.addRow("Back up every:", interval_box(window))
        form.addRow("", restore)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.addLayout(form)
        layout.addStretch(1)
        store.plan_opened.connect(self.plan_path.setText)
        if store.plan_path:
            self.plan_path.setText(str(store.plan_path))
