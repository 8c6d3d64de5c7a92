"""File > Connect to Server… and the welcome page's server field: open a plan kept on a
PostgreSQL server by its URL. A password typed here is used for this session only: never saved,
never shown (the URL in titles and the recent list carries none); PGPASSWORD and ~/.pgpass work
as well, so the field may stay empty."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models.database import is_server_url, redact

URL_HINT = "postgresql://user@host:5432/database"


class ConnectDialog(QDialog):
    def __init__(self, url: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connect_dialog")
        self.setWindowTitle("Connect to a plan on a server")
        self.url_edit = QLineEdit(redact(url))
        self.url_edit.setObjectName("connect_url")
        self.url_edit.setPlaceholderText(URL_HINT)
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("connect_password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("empty: PGPASSWORD or ~/.pgpass")
        note = QLabel(
            "The team's plan in a PostgreSQL database. The password is used for this session "
            "only and never saved."
        )
        note.setWordWrap(True)
        note.setProperty("role", "subtle")
        self.problem = QLabel()
        self.problem.setObjectName("connect_problem")
        self.problem.setProperty("role", "error")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form = QFormLayout()
        form.addRow("Server URL:", self.url_edit)
        form.addRow("Password:", self.password_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def url(self) -> str:
        return self.url_edit.text().strip()

    def password(self) -> str | None:
        return self.password_edit.text() or None

    def _accept(self) -> None:
        if not is_server_url(self.url()):
            self.problem.setText(f"Write the server's address as {URL_HINT}")
            self.problem.show()
            self.url_edit.setFocus()
            return
        self.accept()


def connect_to_server(window: Any, url: str = "") -> ConnectDialog:
    """Ask for the URL (and, if wanted, a password), then open the plan there."""
    dialog = ConnectDialog(url, window)
    dialog.accepted.connect(lambda: window.open_plan(dialog.url(), password=dialog.password()))
    dialog.open()  # window-modal, like the app's other sheets
    return dialog


def install(window: Any, file_menu: Any, before: QAction) -> None:
    action = QAction("Connect to &Server…", window)
    action.setObjectName("connect_server")
    action.setStatusTip("Open the team's plan on a PostgreSQL server")
    action.triggered.connect(lambda: connect_to_server(window))
    file_menu.insertAction(before, action)
    window.welcome.connect_requested.connect(lambda url: connect_to_server(window, url))
