"""The CAB presenter's keys, as one table its key handler reads and Help > Keyboard Shortcuts
(F1) lists: a key added here works and is listed; none is written down twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QKeyCombination, Qt
from PySide6.QtGui import QKeySequence

from .presenter_style import DECISION_LABEL, KEY_DECISION

K = Qt.Key


@dataclass(frozen=True)
class PresenterKey:
    """``keys`` (with Ctrl when ``ctrl``) run ``act(presenter)``; ``label`` is what F1 says."""

    label: str
    keys: tuple[Qt.Key, ...]
    act: Callable[[Any], object]
    ctrl: bool = False

    def matches(self, key: int, ctrl: bool) -> bool:
        return ctrl == self.ctrl and key in self.keys

    def sequences(self) -> list[QKeySequence]:
        mods = Qt.KeyboardModifier.ControlModifier if self.ctrl else Qt.KeyboardModifier(0)
        return [QKeySequence(QKeyCombination(mods, k)) for k in self.keys]


def _scroll(presenter: Any, steps: int) -> None:
    bar = presenter.scroll_area.verticalScrollBar()
    bar.setValue(bar.value() + bar.singleStep() * steps)


def _full_screen(presenter: Any) -> None:
    if presenter.isWindow():
        presenter.showNormal() if presenter.isFullScreen() else presenter.showFullScreen()


def _decide(decision: str) -> Callable[[Any], object]:
    return lambda p: p.request(decision)


# On an agenda item (the rationale box and the conditions box keep their own typing).
PRESENTER_KEYS: tuple[PresenterKey, ...] = (
    *(PresenterKey(DECISION_LABEL[d], (k,), _decide(d)) for k, d in KEY_DECISION.items()),
    PresenterKey("Type the conditions", (K.Key_C,), lambda p: p.type_conditions()),
    PresenterKey("Next item", (K.Key_N, K.Key_Right, K.Key_PageDown), lambda p: p.next_item()),
    PresenterKey("Previous item", (K.Key_P, K.Key_Left, K.Key_PageUp), lambda p: p.previous_item()),
    PresenterKey("First item", (K.Key_Home,), lambda p: p.go_to(0)),
    PresenterKey("Last item", (K.Key_End,), lambda p: p.go_to(len(p.items) - 1)),
    PresenterKey("Scroll the item down", (K.Key_Down,), lambda p: _scroll(p, 3)),
    PresenterKey("Scroll the item up", (K.Key_Up,), lambda p: _scroll(p, -3)),
    PresenterKey(
        "Select the item for a bulk decision", (K.Key_Space,), lambda p: p.toggle_selected()
    ),
    PresenterKey("Bulk decision on the selected items", (K.Key_B,), lambda p: p.open_bulk()),
    PresenterKey("Full screen on or off", (K.Key_F11,), _full_screen),
    PresenterKey(
        "Leave, or cancel the decision being typed",
        (K.Key_Escape,),
        lambda p: p.escape(),
    ),
    PresenterKey("Undo the last decision", (K.Key_Z,), lambda p: p.undo(), ctrl=True),
)

# In the bulk panel (each item its own decision and reason).
BULK_KEYS: tuple[PresenterKey, ...] = (
    PresenterKey(
        "Record every bulk decision",
        (K.Key_Return, K.Key_Enter),
        lambda p: p.record_bulk(),
        ctrl=True,
    ),
    PresenterKey("Close the bulk panel", (K.Key_Escape,), lambda p: p.close_bulk()),
)

TABLES = (("CAB presenter", PRESENTER_KEYS), ("CAB presenter, bulk panel", BULK_KEYS))


def binding_for(table: tuple[PresenterKey, ...], key: int, ctrl: bool) -> PresenterKey | None:
    return next((b for b in table if b.matches(key, ctrl)), None)


def shortcut_rows() -> list[tuple[str, str, str]]:
    """(where, what, keys) of every presenter key, for the F1 list."""
    native = QKeySequence.SequenceFormat.NativeText
    return [
        (where, b.label, ", ".join(s.toString(native) for s in b.sequences()))
        for where, table in TABLES
        for b in table
    ]
