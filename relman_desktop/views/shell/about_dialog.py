"""Help > About: the app's version, Python, Qt, SQLite, the open plan's schema revision, and
where the log and backups are, with a button to copy it all for a bug report."""

from __future__ import annotations

from html import escape
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from relman_desktop.services.diagnostics import AboutFacts, about_facts


def qt_version() -> str:
    return f"{qVersion()} (PySide6 {PySide6.__version__})"


def facts_for(plan: Path | None) -> AboutFacts:
    return about_facts(plan, qt=qt_version())


def facts_text(facts: AboutFacts) -> str:
    return "\n".join(f"{k}: {v}" for k, v in facts.lines())


class AboutDialog(QDialog):
    def __init__(self, plan: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("about_dialog")
        self.setWindowTitle("About Release Manager Desktop")
        self.facts = facts_for(plan)
        rows = "".join(
            f"<tr><td><b>{escape(k)}</b>&nbsp;&nbsp;</td><td>{escape(v)}</td></tr>"
            for k, v in self.facts.lines()
        )
        self.text = QLabel(
            "<p>Offline planning and governance of software releases (ITSM release management).</p>"
            f"<table>{rows}</table>"
        )
        self.text.setObjectName("about_facts")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy")
        copy.setToolTip("Copy these facts, for a bug report")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(facts_text(self.facts)))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(720, 0)
