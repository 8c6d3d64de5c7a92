"""Unsaved edits in a record form (a list beside a form with a Save button) are never dropped.

A ``Draft`` remembers what the form held when it was filled. Before the view replaces the form's
contents (another record chosen, New), it asks ``draft.unsaved()``; if so it keeps its selection
and calls ``draft.ask(then)``: a non-blocking question — Save, Discard, or Cancel to keep
editing — after which ``then`` runs unless the user cancelled or the save was refused (whose
reason the form then shows beside its field).

Edits are told apart by the state of the input widgets under the form (text as typed, choices,
ticks: nothing parsed, so no error is shown), plus whatever ``extra()`` returns for editors that
are not plain input widgets (tables over models).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)


def editor_state(root: QWidget) -> list[Any]:
    """The state of every input widget under ``root``, in order: what was typed or chosen."""
    state: list[Any] = []
    for w in root.findChildren(QWidget):
        if isinstance(w, QLineEdit) and not isinstance(w.parent(), (QComboBox, QAbstractSpinBox)):
            state.append(w.text())
        elif isinstance(w, (QPlainTextEdit, QTextEdit)):
            state.append(w.toPlainText())
        elif isinstance(w, QComboBox):
            state.append((w.currentIndex(), w.currentText()))
        elif isinstance(w, QAbstractSpinBox):
            state.append(w.text())
        elif isinstance(w, QAbstractButton) and w.isCheckable():
            state.append(w.isChecked())
    return state


class Draft:
    """The unsaved-edits guard of one form. ``box``: the widget holding the form's editors;
    ``save()``: the view's save (True when saved); ``describe()``: what is being edited, for
    the question ("Person Ann Lee", "CHG-12"); ``extra()``: more state to compare."""

    def __init__(
        self,
        owner: QWidget,
        box: QWidget,
        save: Callable[[], bool],
        describe: Callable[[], str],
        extra: Callable[[], Any] = lambda: None,
    ) -> None:
        self.owner = owner
        self.box = box
        self._save = save
        self._describe = describe
        self._extra = extra
        self.baseline: Any = None  # None: nothing to guard (no form filled yet, or just saved)
        self.prompt: QMessageBox | None = None

    def snapshot(self) -> Any:
        return editor_state(self.box), self._extra()

    def filled(self) -> None:
        """The form was just filled (or cleared for a new record): this is its unedited state."""
        self.baseline = self.snapshot()

    def forget(self) -> None:
        """Saved, discarded or gone: nothing to guard until the form is filled again."""
        self.baseline = None

    def unsaved(self) -> bool:
        return self.baseline is not None and self.snapshot() != self.baseline

    def ask(self, then: Callable[[], Any], *, before: str = "opening another record") -> None:
        """Ask what to do with the unsaved edits, then (unless cancelled or refused) ``then()``.
        ``before``: what waits for the answer, in the question ("closing the window")."""
        if self.prompt is not None:
            return  # already asking
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            f"{self._describe()} has changes that are not saved.",
            parent=self.owner,
        )
        box.setObjectName("unsaved_prompt")
        box.setInformativeText(f"Save them before {before}?")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _r: self._answered(box, then))
        self.prompt = box
        box.open()

    def _answered(self, box: QMessageBox, then: Callable[[], Any]) -> None:
        self.prompt = None
        clicked = box.clickedButton()
        button = (
            box.standardButton(clicked)
            if clicked is not None
            else QMessageBox.StandardButton.Cancel
        )
        box.deleteLater()
        if button == QMessageBox.StandardButton.Cancel:
            return
        if button == QMessageBox.StandardButton.Save and not self._save():
            return  # refused: the reason is beside its field, the edits are still there
        self.forget()
        then()


def unsaved_drafts(root: QWidget) -> list[Draft]:
    """The forms under ``root`` (a window) holding unsaved edits."""
    drafts = [getattr(w, "draft", None) for w in root.findChildren(QWidget)]
    return [d for d in drafts if isinstance(d, Draft) and d.unsaved()]


def settle_drafts(root: QWidget, then: Callable[[], Any], before: str) -> None:
    """Ask about each form under ``root`` with unsaved edits, one after the other; when every
    one is saved or discarded, ``then()``. Cancel (or a refused save) stops there."""
    pending = unsaved_drafts(root)
    if not pending:
        then()
        return
    pending[0].ask(lambda: settle_drafts(root, then, before), before=before)
