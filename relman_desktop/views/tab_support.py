"""What the Changes, Tasks and Approvals tabs share: running service steps as one undoable
edit (all or nothing), and the inline notice that shows a refused edit's reason.

A step runs its service call at once; when every step of an edit succeeded they go on the undo
stack together (one ``CallCommand``, or a macro of several). When a step is refused, the steps
already done are reversed at once, so nothing is half-saved, and the service's sentence is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QLabel, QWidget

from relman_desktop.models.planfile import PlanError
from relman_desktop.services.base import ServiceError

from .commands import CallCommand, ServiceCall
from .store import Store

Notify = list[tuple[str, tuple[Any, ...]]]
_Index = QModelIndex | QPersistentModelIndex


class NamedColumnsModel(QAbstractTableModel):
    """A table over a cache of plain rows whose columns are ``(field, title)`` pairs: the
    plumbing the Changes and Approvals tables share. Subclasses say what a cell shows
    (``data``) and, if need be, which rows are enabled (``flags``)."""

    numbered_rows = False  # the vertical header counts rows

    def __init__(self, columns: tuple[tuple[str, str], ...], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.rows: list[Any] = []

    def set_rows(self, rows: Any) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def cell(self, index: _Index) -> tuple[Any, str] | None:
        """The row and the field name behind ``index``, or None outside the table."""
        if not index.isValid() or index.row() >= len(self.rows) or index.column() >= len(self.columns):
            return None
        return self.rows[index.row()], self.columns[index.column()][0]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section][1]
        if self.numbered_rows and orientation == Qt.Orientation.Vertical and 0 <= section < len(self.rows):
            return str(section + 1)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


@dataclass
class Step:
    """One service call of an edit. ``undo(result)`` gives the call that takes it back, knowing
    what the first call answered (e.g. the row ``delete_task`` returns); ``replay(result)``, when
    given, is the call redo uses instead of ``forward`` (e.g. ``add_task`` with the id it chose)."""

    forward: ServiceCall
    undo: Callable[[Any], ServiceCall]
    replay: Callable[[Any], ServiceCall] | None = None


def call(module: str, function: str, *args: Any, **kwargs: Any) -> ServiceCall:
    return ServiceCall(module, function, tuple(args), dict(kwargs))


def run_steps(store: Store, text: str, steps: list[Step], notify: Notify) -> tuple[list[Any], str | None]:
    """Run ``steps`` in order; on success push them as one undo step and emit ``notify``.

    Returns ``(results, None)`` or ``([], reason)`` when a step was refused (the steps before it
    are reversed, and ``store.error`` carries the reason too)."""
    done: list[tuple[Step, Any]] = []
    try:
        for step in steps:
            done.append((step, step.forward(store.ctx)))
    except (ServiceError, PlanError) as exc:
        for step, result in reversed(done):
            try:
                step.undo(result)(store.ctx)
            except (ServiceError, PlanError):  # pragma: no cover - the plan moved underneath
                pass
        if done:
            _emit(store, notify)
        store.error.emit(str(exc))
        return [], str(exc)
    if not done:
        return [], None
    commands = [
        CallCommand(store, text, step.replay(result) if step.replay else step.forward, step.undo(result),
                    notify=notify, done=True)
        for step, result in done
    ]
    if len(commands) == 1:
        store.push(commands[0])
    else:
        store.undo_stack.beginMacro(text)
        for command in commands:
            # Each child announces on its own undo/redo: a few cheap reloads of one release.
            store.push(command)
        store.undo_stack.endMacro()
    _emit(store, notify)
    return [result for _step, result in done], None


def _emit(store: Store, notify: Notify) -> None:
    for name, args in notify:
        getattr(store, name).emit(*args)


def attempt(store: Store, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """A read or a not-undoable call: ``(result, None)`` or ``(None, reason)``."""
    try:
        return fn(store.ctx, *args, **kwargs), None
    except (ServiceError, PlanError) as exc:
        store.error.emit(str(exc))
        return None, str(exc)


class Notice(QLabel):
    """A one-line (wrapping) message beside a table: a refused edit's reason, or a note such as
    "approvals were reset". Hidden while empty; selectable so the reason can be copied."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setMargin(4)
        self.hide()

    def show_error(self, text: str) -> None:
        self._show(text, "error")

    def show_note(self, text: str) -> None:
        self._show(text, "banner")

    def _show(self, text: str, role: str) -> None:
        self.setProperty("role", role)
        self.style().unpolish(self)
        self.style().polish(self)
        self.setText(text)
        self.setVisible(bool(text))

    def clear_notice(self) -> None:
        self.setText("")
        self.hide()

    @property
    def shown_text(self) -> str:
        return self.text() if not self.isHidden() else ""
