"""Deleting asks first: one window-modal question (never a blocking exec()), Delete or Cancel,
Cancel the default so a stray Enter deletes nothing. Undo still brings a deletion back; the
question is for the click that was not meant."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget


def ask_before_delete(
    parent: QWidget, what: str, on_yes: Callable[[], object], detail: str = ""
) -> QMessageBox:
    """Ask "Delete <what>?"; ``on_yes`` runs only when the user chooses Delete."""
    box = QMessageBox(parent)
    box.setObjectName("confirm_delete")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Delete")
    box.setText(f"Delete {what}?")
    box.setInformativeText(detail or "Edit > Undo brings it back.")
    delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)

    def answered(_result: int) -> None:
        chosen = box.clickedButton()
        box.deleteLater()
        if chosen is delete:
            on_yes()

    box.finished.connect(answered)
    box.open()
    return box


def answer_delete(parent: QWidget, yes: bool = True) -> bool:
    """Answer the open "Delete …?" question under ``parent`` (tests, scripted walkthroughs)."""
    for box in parent.window().findChildren(QMessageBox, "confirm_delete"):
        if box.isVisible():
            wanted = next(
                (
                    b
                    for b in box.buttons()
                    if (box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole) == yes
                ),
                None,
            )
            if wanted is not None:
                wanted.click()
                return True
    return False
