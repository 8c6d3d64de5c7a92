"""CAB presenter mode: one agenda item per screen, readable from the back of the room, driven
from the keyboard (PRODUCT.md §8, issue 7).

``CabPresenter(ctx_or_store, meeting_id)`` is the shared-screen widget; it can be embedded or
shown full screen (``present_full_screen``). It reads and writes only through ``CabBackend``,
a small adapter over ``services.cab`` and the app's ``Store`` (given a bare ``Ctx`` it makes a
store of its own). Each decision, and each bulk decision, is one step on the store's undo stack
("CAB: approve REL-2026-014"): undo is the service's undo of that decision, redo records it
again with the same outcome and rationale. The presenter's Ctrl+Z is Edit > Undo.

Keys: A approve · R reject · D defer · I more info (the rationale box takes focus when the
decision needs one; Enter confirms, Esc cancels) · C conditions · N / → next · P / ← previous ·
Space selects the item for a bulk decision · B opens the bulk panel (each item its own decision
and reason; Ctrl+Enter records all) · Ctrl+Z undo (the app's last step) · F11 full screen ·
Esc leaves (``left`` signal).

Where things live: the screen's widgets and their layout are built by the base class
``presenter_screen.PresenterScreen``; this module fills them and holds the behaviour (data,
the timer, decisions, bulk, keys, type size). Its parts: ``agenda_item`` (sections),
``agenda_strip``, ``bulk_panel``, ``cab_backend``, ``detail_loader``, ``presenter_keys``,
``presenter_style``.

``CabPage`` is the navigator's CAB page (meeting chooser, new meeting, present, minutes, close);
the shell's composition root (``views/shell/screens.py``) lists it and the ``cab`` screenshot view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPalette, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QWidget,
)

from relman_desktop.models.planfile import PlanError
from relman_desktop.services import cab
from relman_desktop.services.base import ServiceError
from relman_desktop.services.text import as_sentence

from ..shell.commands import Refused
from ..shell.worker import Worker
from .agenda_item import (
    SECTIONS,
    SYMBOL,
    ItemDetail,
    _clock,
    _when,
    _words,
    sections_for,
)
from .cab_backend import CabBackend, decisions_text, preview_meeting
from .detail_loader import DetailLoader
from .presenter_keys import BULK_KEYS, PRESENTER_KEYS, binding_for
from .presenter_screen import PresenterScreen
from .presenter_style import (
    CLOSED_HELP_TEXT,
    CLOSED_LEGEND,
    CLOSED_WORD,
    DECISION_LABEL,
    HELP_TEXT,
    LEGEND,
    WORD,
    _colours,
    high_contrast,
    stylesheet,
)

# --- the presenter ----------------------------------------------------------------------------------


class CabPresenter(PresenterScreen):
    """The shared screen of a CAB meeting (``meeting_id`` None: a preview of the next agenda)."""

    left = Signal()  # Esc: the user leaves presenter mode
    decision_recorded = Signal(str)  # release key
    current_changed = Signal(int)  # index of the item on screen
    sections_loaded = Signal(str)  # release key whose sections are now on screen

    def __init__(
        self,
        source: Any,
        meeting_id: int | None,
        parent: QWidget | None = None,
        *,
        worker: Worker | None = None,
        meeting: cab.Meeting | None = None,
        details: dict[str, ItemDetail] | None = None,
    ) -> None:
        """``meeting`` and ``details``: what another presenter of the same meeting has read
        already (the full-screen one opens at once instead of reading it all again)."""
        super().__init__(parent)
        self.setObjectName("cab_presenter")
        self.setAccessibleName("CAB presenter")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAutoFillBackground(True)
        self.backend = CabBackend(source)
        self.backend.store.approvals_changed.connect(self._approvals_changed)
        self._recording = False
        self._stale = False
        self.meeting_id = meeting_id
        self.meeting: cab.Meeting | None = None
        self.index = 0
        self.pending: str | None = None  # a decision waiting for its rationale
        self.selected: set[str] = set()
        self.seconds: dict[str, int] = {}
        self._saved_seconds: dict[str, int] = {}
        self.loader = DetailLoader(lambda: self.backend.ctx, worker, details, self)
        self.loader.loaded.connect(self._detail_loaded)
        self._body_pt = 0.0
        self._styling = False
        self.zone = ZoneInfo("UTC")

        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)

        # what the screen's widgets (built by PresenterScreen) do
        self.strip.clicked.connect(self.go_to)
        for line in (self.rationale_edit, self.conditions_edit):
            line.installEventFilter(self)
            line.returnPressed.connect(self._confirm)

        self.reload(meeting)

    # --- data -------------------------------------------------------------------------------

    @property
    def items(self) -> list[cab.AgendaItemRow]:
        return self.meeting.items if self.meeting is not None else []

    @property
    def bulk_rows(self) -> list[tuple[str, QComboBox, QLineEdit]]:
        """(key, decision box, reason) of each row of the bulk panel, while it is open."""
        return self.bulk.rows

    @property
    def current(self) -> cab.AgendaItemRow | None:
        return self.items[self.index] if 0 <= self.index < len(self.items) else None

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except (ServiceError, PlanError, Refused) as exc:
            self.show_message(f"⚠ {exc}", error=True)
            self.backend.refused(str(exc))
            return None

    def _approvals_changed(self, key: str) -> None:
        """An undo or redo from anywhere (Edit > Undo) of a decision on this agenda: show it (when
        next shown, if hidden)."""
        self.loader.stale(key)  # its "Approvals so far" changed, whoever decided
        if self._recording or all(i.release_key != key for i in self.items):
            return
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def reload(self, meeting: cab.Meeting | None = None) -> None:
        """Read the meeting again, or show ``meeting`` as read already (keeps the item on
        screen)."""
        key = self.current.release_key if self.current else None
        if meeting is None:
            meeting = self._call(self.backend.meeting, self.meeting_id)
        if meeting is None:
            return
        self.meeting = meeting
        self.zone = ZoneInfo(meeting.timezone)
        for item in meeting.items:
            self.seconds.setdefault(item.release_key, item.seconds_spent)
            self._saved_seconds.setdefault(item.release_key, item.seconds_spent)
        keys = [i.release_key for i in meeting.items]
        self.selected &= set(keys)
        self.index = keys.index(key) if key in keys else min(self.index, max(0, len(keys) - 1))
        if not self._running():
            self.timer.stop()
        elif self.isVisible() and not self.timer.isActive():
            self.timer.start()
        self._build_chips()
        self._show_item()

    @property
    def worker(self) -> Worker:
        return self.loader.worker

    @property
    def _details(self) -> dict[str, ItemDetail]:
        return self.loader.details

    def _detail_loaded(self, key: str, detail: ItemDetail | None, error: str | None) -> None:
        current = self.current
        if current is None or current.release_key != key:
            return
        if detail is None:
            self.show_message(f"⚠ {error}", error=True)
            self.section_labels[SECTIONS[0]].setText(f"⚠ {error}")
            return
        self._fill_sections(detail)
        self._prefetch()

    def _prefetch(self) -> None:
        """Read the next item ahead, so N shows it at once."""
        if self.index + 1 < len(self.items):
            self.loader.request(self.items[self.index + 1].release_key)

    def _fill_sections(self, detail: ItemDetail) -> None:
        for name, text in sections_for(detail, self.zone).items():
            self.section_labels[name].setText(text)
        self.sections_loaded.emit(detail.report.key)

    # --- painting the state -------------------------------------------------------------------

    def _build_chips(self) -> None:
        if len(self.strip.chips) != len(self.items):  # the same agenda keeps its chips
            self.strip.build(len(self.items))
        self._paint_chips()

    @property
    def chips(self) -> list[Any]:
        return self.strip.chips

    def _dark(self) -> bool:
        return self.palette().color(QPalette.ColorRole.Window).lightness() < 128

    def _paint_chips(self) -> None:
        self.strip.paint(self.items, self.index, self.selected, self.palette(), self._dark())

    def _show_item(self) -> None:
        m = self.meeting
        if m is None:
            return
        chair = f" · chair {m.chair_name}" if m.chair_name else ""
        frozen = "" if m.frozen or m.id == 0 else " · agenda provisional until the cut-off"
        closed = " · closed" if self.closed else ""
        self.meeting_label.setText(
            f"{m.title} · {_when(m.held_at, self.zone)}{chair}{frozen}{closed}"
        )
        self.decision_form.setVisible(not self.closed)
        self.keys_help.setText(CLOSED_HELP_TEXT if self.closed else HELP_TEXT)
        self.legend.setText(CLOSED_LEGEND if self.closed else LEGEND)
        item = self.current
        self._paint_chips()
        self.stack.setCurrentIndex(0)
        if item is None:
            self.position_label.setText("No items")
            self.title_label.setText("The agenda is empty")
            self.facts_label.setText(
                "No release awaits the board's approval."
                if m.id
                else "No release awaits approval with a CAB stage."
            )
            self.decision_banner.setText("")
            self.decision_banner.setStyleSheet("")
            for label in self.section_labels.values():
                label.setText("")
            self._update_timer()
            return
        decided = m.decided
        self.position_label.setText(
            f"Item {self.index + 1} of {len(self.items)} · {decided} decided"
        )
        self.title_label.setText(f"{item.release_key} — {item.release_title}")
        cab_stage = (
            f"CAB stage {item.cab_stage_status}" if item.cab_stage_status else "no CAB stage"
        )
        self.facts_label.setText(
            f"Type: {_words(item.release_type)} · Risk: {item.risk.upper()} · "
            f"Status: {item.release_status} · {cab_stage}"
        )
        self._paint_banner()
        detail = self._details.get(item.release_key)
        if detail is not None:
            self._fill_sections(detail)
            self._prefetch()
        else:
            for n, label in enumerate(self.section_labels.values()):
                label.setText("<i>Loading this release…</i>" if n == 0 else "")
            self.loader.request(item.release_key)
        self.scroll_area.verticalScrollBar().setValue(0)
        self._update_timer()
        self.current_changed.emit(self.index)

    def _paint_banner(self) -> None:
        item = self.current
        if item is None:
            return
        colours = _colours(self._dark())
        state = self.pending if self.pending else item.decision
        colour = colours[state]
        if self.pending:
            text = (
                f"{SYMBOL[self.pending]} {DECISION_LABEL[self.pending].upper()}? Type the rationale and press "
                "Enter (Esc cancels)"
            )
            style = "dashed"
        elif item.decision:
            text = f"{SYMBOL[item.decision]} {WORD[item.decision]}"
            if item.rationale:
                text += f" — {item.rationale}"
            if item.conditions:
                text += f" · Conditions: {item.conditions}"
            style = "solid"
        elif self.closed:
            text = f"{SYMBOL[None]} {CLOSED_WORD} — meeting closed"
            if item.carried_to:
                when = f", {_when(item.carried_to_at, self.zone)}" if item.carried_to_at else ""
                text += f" · carried over to {item.carried_to}{when}"
            style = "dotted"
        else:
            text = f"{SYMBOL[None]} {WORD[None]} — press A, R, D or I"
            style = "dotted"
        self.decision_banner.setText(text)
        self.decision_banner.setProperty("decision", state or "none")
        self.decision_banner.setStyleSheet(
            f"QLabel#cab_decision_banner {{ color: {colour}; border: 4px {style} {colour}; padding: 6px 14px;"
            f" font-weight: bold; }}"
        )

    def show_message(self, text: str, *, error: bool = False) -> None:
        colours = _colours(self._dark())
        if text.startswith("⚠ "):  # a refusal from the service: a clause, shown as a line
            text = f"⚠ {as_sentence(text[2:])}"
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.message.setStyleSheet(
            f"color: {colours['reject']}; font-weight: bold;" if error else ""
        )

    # --- the timer -----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """A closed meeting: what it shows is the record; decision keys only say so."""
        return self.meeting is not None and self.meeting.status == "closed"

    def refuse_closed(self) -> bool:
        """On a closed meeting, say why a decision key does nothing (True: refused)."""
        if not self.closed:
            return False
        assert self.meeting is not None
        self.show_message(
            f"⚠ The meeting {self.meeting.title!r} is closed: its decisions are a record and can "
            "no longer change. Undecided releases go to the next meeting.",
            error=True,
        )
        return True

    def _running(self) -> bool:
        """A stored meeting that is not closed: its clock may count."""
        return (
            self.meeting is not None and bool(self.meeting.id) and self.meeting.status != "closed"
        )

    def stop_clock(self) -> None:
        """Stop counting (the meeting is being closed), keeping the time spent so far."""
        self._save_time()
        self.timer.stop()
        self._update_timer()

    def _tick(self) -> None:
        item = self.current
        if not self._running():
            self.timer.stop()
            return
        if item is not None and self.isVisible():
            self.seconds[item.release_key] = self.seconds.get(item.release_key, 0) + 1
            self._update_timer()

    def _update_timer(self) -> None:
        item = self.current
        seconds = self.seconds.get(item.release_key, 0) if item else 0
        stopped = self.meeting is not None and self.meeting.status == "closed"
        self.timer_label.setText(f"◷ {_clock(seconds)}" + (" · closed" if stopped else ""))

    def _save_time(self) -> None:
        item = self.current
        if (
            item is None
            or self.meeting is None
            or self.meeting.id == 0
            or self.meeting.status == "closed"
        ):
            return
        seconds = self.seconds.get(item.release_key, 0)
        if seconds != self._saved_seconds.get(item.release_key) and self._call(
            self.backend.record_time, self.meeting.id, item.release_key, seconds
        ):
            self._saved_seconds[item.release_key] = seconds

    # --- actions -------------------------------------------------------------------------------

    def go_to(self, index: int) -> None:
        if not self.items:
            return
        index = max(0, min(index, len(self.items) - 1))
        if index == self.index:
            return
        self._save_time()
        self._cancel_pending()
        self.index = index
        self.rationale_edit.clear()
        self.conditions_edit.clear()
        self._show_item()
        self.setFocus()

    def type_conditions(self) -> None:
        """C: the conditions box takes the keyboard (on an open meeting)."""
        if not self.refuse_closed():
            self.conditions_edit.setFocus()

    def next_item(self) -> None:
        self.go_to(self.index + 1)

    def previous_item(self) -> None:
        self.go_to(self.index - 1)

    def request(self, decision: str) -> None:
        """A decision key: record now, or ask for the rationale first when one is needed."""
        if self.current is None or self.refuse_closed():
            return
        if self.meeting is not None and self.meeting.id == 0:
            self.show_message(
                "⚠ This is a preview of the next agenda: create the meeting to record decisions.",
                error=True,
            )
            return
        needs = cab.parse_decision(decision) in cab.NEEDS_RATIONALE
        if needs and not self.rationale_edit.text().strip():
            self.pending = decision
            self._paint_banner()
            self.show_message(
                f"{DECISION_LABEL[decision]}: a rationale is required — type it and press Enter."
            )
            self.rationale_edit.setProperty("invalid", True)
            self.rationale_edit.setFocus()
            return
        self.pending = decision
        self._confirm()

    def _confirm(self) -> None:
        item, decision = self.current, self.pending
        if item is None or self.meeting is None:
            return
        if decision is None:
            self.setFocus()  # Enter with no decision waiting: back to the keys
            return
        rationale = self.rationale_edit.text().strip() or None
        if cab.parse_decision(decision) in cab.NEEDS_RATIONALE and rationale is None:
            self.show_message(f"⚠ {DECISION_LABEL[decision]} needs a rationale.", error=True)
            self.rationale_edit.setFocus()
            return
        seconds = self.seconds.get(item.release_key, 0)
        rows = self._record(
            [
                cab.ItemDecision(
                    item.release_key,
                    decision,
                    rationale,
                    self.conditions_edit.text().strip() or None,
                    seconds,
                    # the item as shown: refused (the typing kept) if decided elsewhere since
                    item.version,
                )
            ]
        )
        if rows is None:
            return
        self._saved_seconds[item.release_key] = seconds
        self.pending = None
        self.rationale_edit.setProperty("invalid", False)
        self.rationale_edit.clear()
        self.conditions_edit.clear()
        self.reload()
        self.show_message(
            f"{SYMBOL[decision]} Recorded: {item.release_key} {cab.decision_word(decision).lower()}"
            " · Ctrl+Z undoes"
        )
        self.decision_recorded.emit(item.release_key)
        self.setFocus()

    def _cancel_pending(self) -> None:
        if self.pending is not None:
            self.pending = None
            self.rationale_edit.setProperty("invalid", False)
            self._paint_banner()
            self.show_message("")

    def _record(self, decisions: list[cab.ItemDecision]) -> list[cab.AgendaItemRow] | None:
        assert self.meeting is not None
        self._recording = True  # the presenter reloads once afterwards, not once per item announced
        try:
            return self._call(self.backend.decide, self.meeting.id, decisions)
        finally:
            self._recording = False

    def undo(self) -> None:
        """Ctrl+Z: the app's Edit > Undo (the last decision, when that is the last step)."""
        if self.meeting is None or self.meeting.id == 0:
            return
        self._cancel_pending()
        done = self.backend.undo()
        if done is None:
            self.show_message("Nothing to undo.")
            return
        self.reload()
        text, refusal = done
        if refusal is not None:
            self.show_message(f"⚠ {refusal}", error=True)
        else:
            self.show_message(f"↶ Undone: {text}")

    def toggle_selected(self) -> None:
        item = self.current
        if item is None or self.refuse_closed():
            return
        self.selected ^= {item.release_key}
        self._paint_chips()
        n = len(self.selected)
        self.show_message(
            f"■ {n} item{'s' if n != 1 else ''} selected for a bulk decision · B opens it"
            if n
            else "No item selected."
        )

    def open_bulk(self) -> None:
        """The bulk panel: every selected item (or every undecided one) with its own decision and reason."""
        if self.refuse_closed():
            return
        keys = [i.release_key for i in self.items if i.release_key in self.selected]
        if not keys:
            keys = [i.release_key for i in self.items if not i.decided]
        if not keys or self.meeting is None or self.meeting.id == 0:
            self.show_message(
                "⚠ Nothing to decide in bulk: select items with Space first.", error=True
            )
            return
        self.bulk.fill(self.items, keys)
        self.stack.setCurrentIndex(1)
        self.bulk.rows[0][1].setFocus()
        self.show_message(
            "Bulk: choose each decision (↑/↓), Tab to its reason, Ctrl+Enter records all."
        )

    def record_bulk(self) -> None:
        if self.meeting is None or not self.bulk_rows:
            return
        versions = {i.release_key: i.version for i in self.items}
        decisions = self.bulk.decisions(self.seconds, versions)
        rows = self._record(decisions)
        if rows is None:
            return
        for r in rows:
            self._saved_seconds[r.release_key] = self.seconds.get(r.release_key, 0)
        self.selected.clear()
        self.bulk.rows = []
        self.reload()
        self.show_message(f"Recorded {len(rows)} decisions in one go · Ctrl+Z undoes all of them")
        for r in rows:
            self.decision_recorded.emit(r.release_key)
        self.setFocus()

    def close_bulk(self) -> None:
        self.bulk.rows = []
        self.stack.setCurrentIndex(0)
        self.show_message("")
        self.setFocus()

    def present_full_screen(self) -> None:
        # At the screen's size before it shows: the type is sized (one style sheet over every
        # chip) once, not first for the window's default size and again for the screen.
        screen = self.screen()
        if screen is not None:
            self.resize(screen.geometry().size())
        self.showFullScreen()
        self.activateWindow()
        self.setFocus()

    # --- keys ----------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        # One table (presenter_keys) answers the keys and fills the F1 list.
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        table = BULK_KEYS if self.stack.currentIndex() == 1 else PRESENTER_KEYS
        binding = binding_for(table, event.key(), ctrl)
        if binding is None:
            super().keyPressEvent(event)
        else:
            binding.act(self)

    def escape(self) -> None:
        """Esc: cancel the decision being typed; else leave the presenter."""
        if self.pending:
            self._cancel_pending()
            return
        self._save_time()
        if self.isWindow() and self.isFullScreen():
            self.showNormal()
        self.left.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if self.stack.currentIndex() == 1:
                if key == Qt.Key.Key_Escape or (
                    event.modifiers() & Qt.KeyboardModifier.ControlModifier
                    and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                ):
                    self.keyPressEvent(event)
                    return True
                return False
            if key == Qt.Key.Key_Escape and watched in (self.rationale_edit, self.conditions_edit):
                self._cancel_pending()
                self.setFocus()
                return True
        return super().eventFilter(watched, event)

    # --- size and type -------------------------------------------------------------------------

    def body_point_size(self) -> float:
        return self._body_pt

    def _restyle(self) -> None:
        """Type scales with the screen: 20 pt body at 1080 lines (≥ 18 pt), headings larger."""
        height = max(self.height(), 400)
        body = round(max(13.0, min(28.0, height / 54)), 1)
        if body == self._body_pt:
            return
        self._body_pt = body
        self._styling = True
        self.setStyleSheet(stylesheet(self.palette(), body, self._dark()))
        self._styling = False
        self.strip.restyled()
        self._paint_chips()
        self._paint_banner()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not self._styling:
            self._body_pt = 0.0  # the theme changed: colours come from the new palette
            self._restyle()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._arrange(3 if self.width() >= 1200 else 2)
        self._restyle()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        self._restyle()
        if self._stale:
            self._stale = False
            self.reload()
        if self._running():
            self.timer.start()
        self.setFocus()

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt name)
        self.timer.stop()
        super().hideEvent(event)


__all__ = [
    "CabBackend",
    "CabPresenter",
    "decisions_text",
    "high_contrast",
    "preview_meeting",
]
