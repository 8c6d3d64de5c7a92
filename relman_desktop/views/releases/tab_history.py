"""The release editor's History tab: the release's audit events, newest first, in words.

The list is re-read whenever anything about the release changes (fields, tasks, approvals,
changes, evidence), at once when the tab is visible and otherwise the next time it is shown.
Selecting an event shows every value it changed, before and after.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..common.tab_forms import Column, RowsModel, fit_columns, selected_row, table_view
from ..shell.store import Store


def when_text(at: dt.datetime | None) -> str:
    if at is None:  # a time garbled by hand (the event says it is damaged)
        return "?"
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


def what_text(row: Any) -> str:
    """The audit row's own summary, without the actor (the Who column shows it)."""
    summary = str(row.summary)
    actor = str(row.actor)
    for prefix in (f"{actor}: ", f"{actor} "):
        if summary.startswith(prefix):
            summary = summary[len(prefix) :]
            break
    detail = _what_it_was(row)
    if detail:
        summary += f" ({detail})"
    return summary[:1].upper() + summary[1:]


def words_text(row: Any, people: dict[str, str] | None = None) -> str:
    """The event as a sentence ("Carol Checker approved the CAB stage"); overrides start with
    OVERRIDE. Events with no sentence of their own keep the audit summary (without the actor)."""
    from relman_desktop.services.history_words import sentence

    text = sentence(row, people)
    return what_text(row) if text == row.summary else text


DESCRIPTIVE = ("kind", "external_key", "environment", "wave", "name", "title", "outcome", "verdict")


def _what_it_was(row: Any) -> str:
    """For a record created or deleted, its few telling values (the summary names only its id)."""
    if row.action not in ("create", "delete") or row.entity == "release":
        return ""
    values = row.after if row.action == "create" else row.before
    if not isinstance(values, dict):
        return ""
    parts = [str(values[k]) for k in DESCRIPTIVE if values.get(k) not in (None, "", [])]
    text = " ".join(parts)
    return text if len(text) <= 80 else text[:79] + "…"


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=True)


class HistoryTab(QWidget):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history_tab")
        self.store = store
        self.key: str | None = None
        self._stale = True
        self.events: list[Any] = []
        self.people: dict[str, str] = {}  # e-mail → name, to name approvers in words
        self.model = RowsModel(
            [
                Column("When", lambda r: when_text(r.at)),
                Column("Who", lambda r: r.actor),
                Column("What", lambda r: words_text(r, self.people)),
            ],
            self,
        )
        self.table = table_view(self.model, "history_table")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_detail())
        self.filter = QLineEdit()
        self.filter.setObjectName("history_filter")
        self.filter.setPlaceholderText("Filter events (who or what)…")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter history")
        self.filter.textChanged.connect(lambda _t: self._show())
        self.count = QLabel()
        self.count.setProperty("role", "subtle")
        self.empty = QLabel(
            "No audit events are recorded for this release yet: every edit made from now on "
            "appears here, newest first."
        )
        self.empty.setObjectName("history_empty")
        self.empty.setWordWrap(True)
        self.empty.setProperty("role", "subtle")
        self.empty.hide()
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("history_detail")
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("Select an event to see every value it changed.")
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.count)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addWidget(self.empty)
        layout.addWidget(splitter, 1)
        for signal in (
            store.release_changed,
            store.tasks_changed,
            store.approvals_changed,
            store.changes_changed,
            store.evidence_changed,
        ):
            signal.connect(self._changed)
        store.release_renamed.connect(self._renamed)
        store.plan_opened.connect(self._plan_opened)  # bound: the store outlives the tab

    def _plan_opened(self, _path: str) -> None:
        """Another plan: no release of the old one stays shown here."""
        self.set_release(None)

    def set_release(self, key: str | None) -> None:
        self.key = key
        self._stale = True
        if self.isVisible() or key is None:
            self.reload()

    def _changed(self, key: str) -> None:
        if key and key == self.key:
            self._stale = True
            if self.isVisible():
                self.reload()

    def _renamed(self, _old: str, new: str) -> None:
        if self.key == new:  # the editor re-pointed ``key`` already; the events moved with it
            self._changed(new)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> None:
        from relman_desktop.services import audit

        self._stale = False
        self.events = []
        if self.key is not None and self.store.has_plan:
            result = self.store.call(audit.history, self.key)
            self.events = [] if result is Store.FAILED else list(result)
            self.people = {p.email: p.name for p in self.store.people()}
        self._show()

    def _show(self) -> None:
        needle = self.filter.text().strip().lower()
        rows = [
            e
            for e in self.events
            if not needle
            or needle in str(e.actor).lower()
            or needle in words_text(e, self.people).lower()
        ]
        self.model.set_rows(rows)  # history() answers newest first
        fit_columns(self.table, maximum=260)
        n = len(self.events)
        shown = f"{len(rows)} of {n}" if needle else str(n)
        self.count.setText(f"{shown} event{'s' if n != 1 else ''}")
        self.empty.setVisible(n == 0 and self.key is not None)
        self._show_detail()

    def _show_detail(self) -> None:
        i = selected_row(self.table)
        if i < 0:
            self.detail.clear()
            return
        e = self.model.row(i)
        lines = [f"#{e.seq}  {when_text(e.at)}  {e.actor}", words_text(e, self.people), ""]
        if e.before:
            lines += ["Before:", _pretty(e.before), ""]
        if e.after:
            lines += ["After:", _pretty(e.after)]
        self.detail.setPlainText("\n".join(lines).rstrip())

    def summaries(self) -> list[str]:
        """What the user reads in the What column, top to bottom."""
        return [self.model.data(self.model.index(r, 2)) for r in range(self.model.rowCount())]


def prepare_screenshot(window: Any, key: str | None) -> None:
    if key is None:
        raise LookupError("the plan has no release to show; give --release KEY or use another plan")
    window.open_release(key, "History")
