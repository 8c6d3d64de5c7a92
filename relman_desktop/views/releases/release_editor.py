"""The release editor: a header, the lifecycle buttons, and one tab per aspect of a release.

The editor builds the tabs it is given, in order: a ``TabSpec`` pairs a title with a factory
taking ``(store, editor)`` and returning a QWidget; if the widget has ``set_release(key)`` the
editor calls it whenever the release shown changes. The shell's composition root
(``views/shell/screens.py``) lists the app's tabs; Overview is built here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models import enums as E

from ..common.elided_label import ElidedLabel
from ..shell.commands import Refused
from ..shell.store import Store
from ..shell.unsaved import Draft
from .guard_targets import Target, target_for
from .releases_model import words
from .tab_spec import TabSpec  # apart, so screens.py lists the tabs without this module

# --- Overview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    kind: str  # text, multiline, choice, date, datetime, int, person, release, tests, waves
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""


def _choices(enum: Any, *, blank: bool = False) -> tuple[tuple[str, str], ...]:
    items = tuple((words(m.value), m.value) for m in enum)
    return ((("—", ""),) + items) if blank else items


FIELD_GROUPS: tuple[tuple[str, tuple[FieldSpec, ...]], ...] = (
    (
        "Release",
        (
            FieldSpec("key", "Key", "text", hint="e.g. REL-2026-014"),
            FieldSpec("title", "Title", "text"),
            FieldSpec("version", "Version", "text"),
            FieldSpec("type", "Type", "choice", _choices(E.ReleaseType)),
            FieldSpec("priority", "Priority", "choice", _choices(E.Level)),
            FieldSpec("risk", "Risk", "choice", _choices(E.Level)),
            FieldSpec("application", "Application", "text"),
            FieldSpec(
                "manager_email", "Release manager", "person", hint="e-mail of a person in the plan"
            ),
            FieldSpec("parent", "Parent release", "release", hint="key of the release train"),
        ),
    ),
    (
        "Schedule",
        (
            FieldSpec("planned_start", "Planned start", "date", hint="YYYY-MM-DD"),
            FieldSpec("planned_end", "Planned end", "date", hint="YYYY-MM-DD"),
            FieldSpec(
                "deploy_start",
                "Deployment window start",
                "datetime",
                hint="YYYY-MM-DD HH:MM (local time)",
            ),
            FieldSpec(
                "deploy_end",
                "Deployment window end",
                "datetime",
                hint="YYYY-MM-DD HH:MM (local time)",
            ),
            FieldSpec("actual_start", "Actual start", "date", hint="YYYY-MM-DD"),
            FieldSpec("actual_end", "Actual end", "date", hint="YYYY-MM-DD"),
        ),
    ),
    (
        "Deployment and rollback",
        (
            FieldSpec(
                "strategy", "Deployment strategy", "choice", _choices(E.StrategyKind, blank=True)
            ),
            FieldSpec(
                "waves",
                "Waves",
                "waves",
                hint="e.g. 10% bake 60 min; 50% bake 30 min abort: error rate > 2%; 100%",
            ),
            FieldSpec("rollback_minutes", "Rollback duration (minutes)", "int"),
            FieldSpec(
                "rollback_rehearsed_on", "Rollback last rehearsed", "date", hint="YYYY-MM-DD"
            ),
            FieldSpec("rollback_plan", "Rollback plan", "multiline"),
        ),
    ),
    (
        "Closure",
        (
            FieldSpec("required_tests", "Required tests", "tests"),
            FieldSpec("closure_code", "Closure code", "text"),
        ),
    ),
    (
        "Scope and plans",
        (
            FieldSpec("scope", "Scope", "multiline"),
            FieldSpec("objectives", "Objectives", "multiline"),
            FieldSpec("communication_plan", "Communication plan", "multiline"),
            FieldSpec("implementation_plan", "Implementation plan", "multiline"),
        ),
    ),
)
FIELDS: dict[str, FieldSpec] = {f.name: f for _, group in FIELD_GROUPS for f in group}


class PlainTextField(QPlainTextEdit):
    """A multi-line field that, like QLineEdit, says when editing is finished (on focus out)."""

    editingFinished = Signal()  # noqa: N815 - the QLineEdit spelling, on purpose

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.editingFinished.emit()


_WAVE_RE = re.compile(
    r"^(?:(?P<percent>\d{1,3})\s*%|batch\s+(?:of\s+)?(?P<batch>\d+))"
    r"(?:\s+bake\s+(?P<bake>\d+)\s*(?:min|minutes?|m)?)?"
    r"(?:\s+abort:\s*(?P<abort>.+))?$",
    re.IGNORECASE,
)


def waves_text(waves: list[dict[str, Any]]) -> str:
    """Waves as a release manager writes them: ``10% bake 60 min; batch of 2 abort: …``."""
    parts = []
    for w in waves:
        text = f"{w['percent']}%" if w.get("percent") is not None else f"batch of {w.get('batch')}"
        if w.get("bake_minutes"):
            text += f" bake {w['bake_minutes']} min"
        if w.get("abort_criteria"):
            text += f" abort: {w['abort_criteria']}"
        parts.append(text)
    return "; ".join(parts)


def parse_waves(text: str) -> list[dict[str, Any]]:
    """The reverse of ``waves_text``; a wave it cannot read is named with what it expects."""
    waves: list[dict[str, Any]] = []
    for n, part in enumerate((p.strip() for p in text.split(";")), start=1):
        if not part:
            continue
        m = _WAVE_RE.match(part)
        if m is None:
            raise ValueError(
                f"wave {n} ({part!r}): write it like “10% bake 60 min” or “batch of 2 abort: …”"
            )
        wave: dict[str, Any] = {}
        if m["percent"] is not None:
            percent = int(m["percent"])
            if not 1 <= percent <= 100:
                raise ValueError(f"wave {n}: {percent}% is not between 1 and 100")
            wave["percent"] = percent
        else:
            wave["batch"] = int(m["batch"])
        if m["bake"] is not None:
            wave["bake_minutes"] = int(m["bake"])
        if m["abort"]:
            wave["abort_criteria"] = m["abort"].strip()
        waves.append(wave)
    return waves


class _LocalError(Exception):
    """A value the view cannot even hand to the service (bad JSON, a malformed time)."""


def _parse_local_datetime(text: str) -> Any:
    """A user's "2026-12-01 22:00" is local time; services store aware datetimes."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _LocalError(f"{text!r} is not a date and time (YYYY-MM-DD HH:MM)") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # the machine's time zone, at that date
    return moment


class OverviewDraft(Draft):
    """The Overview saves a field when the cursor leaves it; before the window closes (or
    another release or plan opens) it saves what the user is still typing the same way, and
    only a value that does not validate is asked about (Save / Discard / Cancel): it stays
    where it was typed, with its reason beside it."""

    def __init__(self, tab: OverviewTab) -> None:
        super().__init__(tab, tab, tab.save_drafts, lambda: f"The overview of {tab.key}")
        self.tab = tab

    def unsaved(self) -> bool:
        if self.tab.key is None or self.tab.detail is None:
            return False
        return not self.tab.save_drafts()


def _name_from_email(email: str) -> str:
    """ "carol.checker@example.com" → "Carol Checker": a first guess the user can correct."""
    local = email.split("@", 1)[0]
    return " ".join(part.capitalize() for part in re.split(r"[._+-]+", local) if part)


class OverviewTab(QScrollArea):
    """Every release field; checked as you type (reason shown beside the field), saved when
    editing finishes, as one undoable step. A refused value is never saved, not even in part."""

    def __init__(
        self, store: Store, editor: ReleaseEditor | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("overview_tab")
        self.store = store
        self.key: str | None = None
        self.detail: Any = None
        self.version: int | None = None  # the release's version as loaded (optimistic locking)
        self.editors: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._error_source: dict[
            str, str
        ] = {}  # field showing an error -> field whose edit caused it
        self._test_boxes: dict[str, QCheckBox] = {}
        self._loading = False
        self.add_person_button: QPushButton | None = None
        self.add_person_form: QWidget | None = None
        self.draft = OverviewDraft(self)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)

        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(12, 12, 12, 12)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(12)
        boxes = {title: self._group(title, specs) for title, specs in FIELD_GROUPS}
        grid.addWidget(boxes["Release"], 0, 0, 2, 1)
        grid.addWidget(boxes["Schedule"], 0, 1)
        grid.addWidget(boxes["Closure"], 1, 1)
        grid.addWidget(boxes["Deployment and rollback"], 2, 0, 1, 2)
        grid.addWidget(boxes["Scope and plans"], 3, 0, 1, 2)
        grid.setAlignment(boxes["Schedule"], Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(4, 1)
        self.setWidget(body)

        self._people = QStringListModel(self)
        self._release_keys = QStringListModel(self)
        for name, model in (("manager_email", self._people), ("parent", self._release_keys)):
            completer = QCompleter(model, self)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            self.editors[name].setCompleter(completer)  # type: ignore[attr-defined]

    # --- building ---------------------------------------------------------------------------

    def _group(self, title: str, specs: tuple[FieldSpec, ...]) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for spec in specs:
            editor = self._editor(spec)
            error = QLabel()
            error.setObjectName(f"error_{spec.name}")
            error.setProperty("role", "error")
            error.setWordWrap(True)
            error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            error.hide()
            cell = QWidget()
            v = QVBoxLayout(cell)
            v.setContentsMargins(0, 0, 0, 0)
            v.setSpacing(2)
            v.addWidget(editor)
            v.addWidget(error)
            if spec.kind == "person":
                v.addWidget(self._add_person_widgets(spec.name))
            label = QLabel(spec.label + ":")
            label.setBuddy(editor)
            form.addRow(label, cell)
            editor.setAccessibleName(spec.label)
            self.editors[spec.name] = editor
            self.errors[spec.name] = error
        return box

    def _add_person_widgets(self, name: str) -> QWidget:
        """Under a person field: "Add this person…" when the e-mail typed is nobody in the
        plan, which opens a small form (e-mail and a name guessed from it) right there."""
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 0, 0)
        button = QPushButton("Add this person…")
        button.setObjectName(f"add_person_{name}")
        button.setProperty("role", "link")
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setToolTip("Add the e-mail typed above to the plan's people, then use it here")
        button.clicked.connect(lambda _c=False, n=name: self.show_add_person(n))
        button.hide()
        form = QWidget()
        form.setObjectName("add_person_form")
        row = QHBoxLayout(form)
        row.setContentsMargins(0, 0, 0, 0)
        self.new_person_name = QLineEdit()
        self.new_person_name.setObjectName("new_person_name")
        self.new_person_name.setAccessibleName("Name of the new person")
        self.new_person_name.setPlaceholderText("Full name")
        add = QPushButton("Add person")
        add.setObjectName("confirm_add_person")
        add.clicked.connect(lambda _c=False, n=name: self.add_person(n))
        self.new_person_name.returnPressed.connect(lambda n=name: self.add_person(n))
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(form.hide)
        label = QLabel("Name:")
        label.setBuddy(self.new_person_name)
        self.new_person_name.setMinimumWidth(self.fontMetrics().horizontalAdvance("M" * 14))
        row.addWidget(label)
        row.addWidget(self.new_person_name, 1)
        row.addWidget(add)
        row.addWidget(cancel)
        form.hide()
        v.addWidget(button)
        v.addWidget(form)
        self.add_person_button, self.add_person_form = button, form
        return box

    def show_add_person(self, name: str) -> None:
        email = self.editors[name].text().strip()  # type: ignore[attr-defined]
        if self.add_person_form is None or not email:
            return
        self.new_person_name.setText(_name_from_email(email))
        self.new_person_name.selectAll()
        self.add_person_form.show()
        self.new_person_name.setFocus(Qt.FocusReason.OtherFocusReason)

    def add_person(self, name: str) -> bool:
        """Add the typed e-mail as a person (one undoable edit), then save the field with it."""
        email = self.editors[name].text().strip()  # type: ignore[attr-defined]
        person = self.new_person_name.text().strip()
        try:
            self.store.edits.add_person({"email": email, "name": person})
        except Refused as exc:
            self._set_error(name, str(exc))
            return False
        if self.add_person_form is not None:
            self.add_person_form.hide()
        self._people.setStringList([p.email for p in self.store.people()])
        self._commit(name)
        self.editors[name].setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def save_drafts(self) -> bool:
        """Save every field being typed in, as leaving it would; True when nothing typed is
        left unsaved (a value that does not validate stays, with its reason beside it)."""
        if self.key is None or self.detail is None:
            return True
        for name in self._drafts():
            self._commit(name)
        return not self._drafts()

    def _editor(self, spec: FieldSpec) -> QWidget:
        name = spec.name
        if spec.kind == "choice":
            combo = QComboBox()
            for text, value in spec.choices:
                combo.addItem(text, value)
            combo.activated.connect(lambda _i, n=name: self._commit(n))
            w: QWidget = combo
        elif spec.kind == "multiline":
            edit = PlainTextField()
            edit.setTabChangesFocus(True)
            edit.setMinimumHeight(self.fontMetrics().height() * 3 + 12)
            edit.setMaximumHeight(self.fontMetrics().height() * 6 + 12)
            edit.textChanged.connect(lambda n=name: self._validate(n))
            edit.editingFinished.connect(lambda n=name: self._commit(n))
            w = edit
        elif spec.kind == "tests":
            w = QWidget()
            checks = QGridLayout(w)
            checks.setContentsMargins(0, 0, 0, 0)
            for i, kind in enumerate(E.TestKind):
                box = QCheckBox("UAT" if kind.value == "uat" else words(kind.value))
                box.clicked.connect(lambda _c, n=name: self._commit(n))
                self._test_boxes[kind.value] = box
                checks.addWidget(box, i // 3, i % 3)
            checks.setColumnStretch(3, 1)
        else:
            line = QLineEdit()
            if spec.hint:
                line.setPlaceholderText(spec.hint)
                line.setToolTip(spec.hint)
            line.textEdited.connect(lambda _t, n=name: self._validate(n))
            line.editingFinished.connect(lambda n=name: self._commit(n))
            w = line
        w.setObjectName(f"field_{name}")
        return w

    # --- showing a release ------------------------------------------------------------------

    def set_release(self, key: str | None) -> None:
        self.key = key
        if key:
            self.store.selection.set(key)
        self.reload()

    def reload(self) -> None:
        """Show the release as the plan has it now. A field the user is typing in (a draft: its
        text differs from what was loaded) keeps the typing; if the same field was changed
        underneath (another window, the ``relman`` command), the field says so instead of the
        draft silently overwriting it, or it silently losing the draft."""
        old = self.detail if self.detail is not None and self.detail.key == self.key else None
        drafts = self._drafts() if old is not None else {}
        self.detail = self.store.release(self.key) if self.key else None
        # the version this form shows: a save made from it is refused if the release moved on
        self.version = self.store.release_version(self.key) if self.key and self.detail else None
        self._people.setStringList([p.email for p in self.store.people()])
        self._release_keys.setStringList(
            [r.key for r in self.store.releases() if r.key != self.key]
        )
        self._loading = True
        clashes = []
        try:
            for name in FIELDS:
                self._show_value(name, getattr(self.detail, name, None) if self.detail else None)
                self._set_error(name, "")
            self._error_source.clear()
            for name, text in drafts.items():
                if self.detail is None:
                    break
                if self._shown_text(name) == text:
                    continue  # what was typed is what the plan now holds (this very edit, saved)
                self._show_draft(name, text)
                theirs = getattr(self.detail, name, None)
                if theirs != getattr(old, name, None):
                    clashes.append(name)
                    self._set_error(
                        name,
                        f"{FIELDS[name].label} was changed elsewhere to "
                        f"“{self._text(FIELDS[name], theirs) or '(empty)'}” while you were "
                        "typing; your text is kept here: leave the field to save it over "
                        "theirs, or Esc to drop yours",
                    )
        finally:
            self._loading = False
        self.setEnabled(self.detail is not None)
        if clashes:
            labels = ", ".join(FIELDS[n].label for n in clashes)
            self.store.error.emit(
                f"{self.key} was changed elsewhere while you were editing {labels}: "
                "nothing of yours was saved over it yet"
            )

    def _drafts(self) -> dict[str, str]:
        """Text fields whose text differs from the value loaded: what the user is typing."""
        found = {}
        for name, spec in FIELDS.items():
            if spec.kind in ("choice", "tests"):
                continue  # saved the moment they are picked: never a draft
            try:
                unchanged = self._unchanged(name)
            except Exception:  # text that does not parse yet is a draft too
                unchanged = False
            if not unchanged:
                found[name] = self._shown_text(name)
        return found

    def _shown_text(self, name: str) -> str:
        w = self.editors[name]
        return w.toPlainText() if FIELDS[name].kind == "multiline" else w.text()  # type: ignore[attr-defined]

    def _show_draft(self, name: str, text: str) -> None:
        w = self.editors[name]
        w.blockSignals(True)
        try:
            if FIELDS[name].kind == "multiline":
                w.setPlainText(text)  # type: ignore[attr-defined]
            else:
                w.setText(text)  # type: ignore[attr-defined]
        finally:
            w.blockSignals(False)

    def _show_value(self, name: str, value: Any) -> None:
        spec = FIELDS[name]
        w = self.editors[name]
        w.blockSignals(True)
        try:
            if spec.kind == "choice":
                combo: QComboBox = w  # type: ignore[assignment]
                combo.setCurrentIndex(max(0, combo.findData(value or "")))
            elif spec.kind == "tests":
                for kind, box in self._test_boxes.items():
                    box.setChecked(kind in (value or []))
            elif spec.kind == "multiline":
                w.setPlainText(value or "")  # type: ignore[attr-defined]
            else:
                w.setText(self._text(spec, value))  # type: ignore[attr-defined]
                w.setCursorPosition(0)  # type: ignore[attr-defined]  # a long value shows its start
        finally:
            w.blockSignals(False)

    @staticmethod
    def _text(spec: FieldSpec, value: Any) -> str:
        if value is None:
            return ""
        if spec.kind == "datetime":
            return value.astimezone().strftime("%Y-%m-%d %H:%M")
        if spec.kind == "date":
            return value.isoformat()
        if spec.kind == "waves":
            return waves_text(value or [])
        return str(value)

    # --- reading what the user typed --------------------------------------------------------

    def value(self, name: str) -> Any:
        """The field's value as the services take it (raw text for dates: they check it)."""
        spec = FIELDS[name]
        w = self.editors[name]
        if spec.kind == "choice":
            return w.currentData() or None  # type: ignore[attr-defined]
        if spec.kind == "tests":
            return [k for k, box in self._test_boxes.items() if box.isChecked()]
        if spec.kind == "multiline":
            return w.toPlainText()  # type: ignore[attr-defined]
        text = w.text()  # type: ignore[attr-defined]
        if spec.kind == "datetime":
            return _parse_local_datetime(text)
        if spec.kind == "waves":
            try:
                return parse_waves(text)
            except ValueError as exc:
                raise _LocalError(str(exc)) from None
        return text

    def _unchanged(self, name: str) -> bool:
        if self.detail is None:
            return True
        spec = FIELDS[name]
        current = getattr(self.detail, name)
        if spec.kind == "choice":
            return (self.value(name) or None) == (current or None)
        if spec.kind == "tests":
            return sorted(self.value(name)) == sorted(current or [])
        if spec.kind == "multiline":
            return self.value(name) == (current or "")
        return self.editors[name].text().strip() == self._text(spec, current)  # type: ignore[attr-defined]

    # --- checking and saving ----------------------------------------------------------------

    def _check(self, name: str) -> tuple[Any, dict[str, str]]:
        try:
            value = self.value(name)
        except _LocalError as exc:
            return None, {name: f"{FIELDS[name].label}: {exc}"}
        return value, self.store.validate_release({name: value}, self.key)

    def _show_problems(self, name: str, problems: dict[str, str]) -> None:
        for shown, source in list(self._error_source.items()):
            if source == name:
                self._set_error(shown, "")
                del self._error_source[shown]
        for field_name, message in problems.items():
            target = field_name if field_name in self.errors else name
            self._set_error(target, message)
            self._error_source[target] = name

    def _validate(self, name: str) -> None:
        if self._loading or self.key is None:
            return
        _value, problems = self._check(name)
        self._show_problems(name, problems)

    def _commit(self, name: str) -> None:
        if self._loading or self.key is None or self.detail is None:
            return
        value, problems = self._check(name)
        self._show_problems(name, problems)
        if problems or self._unchanged(name):
            return
        try:
            self.store.save_release(self.key, {name: value}, version=self.version)
        except Refused as exc:  # e.g. changed elsewhere since loaded: the typing stays, and why
            self._set_error(name, str(exc))
            self.store.error.emit(str(exc))
            return
        self.version = self.store.release_version(self.key)

    def _set_error(self, name: str, message: str) -> None:
        label = self.errors[name]
        label.setText(message)
        label.setVisible(bool(message))
        if FIELDS[name].kind == "person" and self.add_person_button is not None:
            unknown = message.startswith("unknown person") or "unknown person" in message
            self.add_person_button.setVisible(unknown)
            if not unknown and self.add_person_form is not None:
                self.add_person_form.hide()
        editor = self.editors[name]
        editor.setProperty("invalid", bool(message))
        editor.setToolTip(message or FIELDS[name].hint)
        editor.style().unpolish(editor)
        editor.style().polish(editor)

    def error_text(self, name: str) -> str:
        """The reason shown beside a field ("" when it is fine)."""
        label = self.errors[name]
        return label.text() if not label.isHidden() else ""


# --- lifecycle --------------------------------------------------------------------------------


class GuardPanel(QFrame):
    """What is missing for a refused move, each item with a way to the tab that fixes it, and
    for soft guards an override that needs a written reason (no modal dialog)."""

    jump_requested = Signal(str)  # tab title (or page name) of the fix
    target_requested = Signal(object)  # the fix's guard_targets.Target
    move_requested = Signal(str)  # the state to move to, once every condition holds
    override_requested = Signal(str, str)  # to_state, reason

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guard_panel")
        self.setProperty("role", "banner")
        self.to_state = ""
        self.check: Any = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: 600;")
        self.items = QVBoxLayout()
        self.items.setSpacing(4)
        self.override_button = QPushButton("Override with reason…")
        self.override_button.clicked.connect(self.show_override)
        close = QPushButton("Close")
        close.clicked.connect(self.hide)

        self.reason_box = QWidget()
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("override_reason")
        self.reason.setPlaceholderText(
            "Why is it safe to go ahead without this? The reason is kept in the audit trail."
        )
        self.reason.setMaximumHeight(self.fontMetrics().height() * 4 + 12)
        self.reason.setAccessibleName("Override reason")
        self.reason_error = QLabel()
        self.reason_error.setProperty("role", "error")
        self.reason_error.hide()
        self.confirm_button = QPushButton("Override and move")
        self.confirm_button.clicked.connect(self._confirm)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(lambda: self.reason_box.hide())
        rv = QVBoxLayout(self.reason_box)
        rv.setContentsMargins(0, 4, 0, 0)
        rv.addWidget(self.reason)
        rv.addWidget(self.reason_error)
        rb = QHBoxLayout()
        rb.addStretch(1)
        rb.addWidget(cancel)
        rb.addWidget(self.confirm_button)
        rv.addLayout(rb)
        self.reason_box.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.override_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.title)
        layout.addLayout(self.items)
        layout.addWidget(self.reason_box)
        layout.addLayout(buttons)
        self.hide()

    def show_refusal(self, to_state: str, check: Any) -> None:
        self.to_state = to_state
        self.check = check
        while self.items.count():
            item = self.items.takeAt(0)
            gone = item.widget() if item is not None else None
            if gone is not None:
                gone.deleteLater()
        unmet = list(getattr(check, "unmet", []) or [])
        n = len(unmet)
        self.title.setText(
            f"Cannot move to {to_state} yet: {n} condition{'s' if n != 1 else ''} not met."
        )
        for u in unmet:
            self.items.addWidget(self._item(u))
        overridable = bool(unmet) and all(u.soft for u in unmet)
        self.override_button.setVisible(overridable)
        self.override_button.setEnabled(overridable)
        if not overridable and unmet:
            note = QLabel(
                "Conditions marked “required” cannot be overridden; put them right first."
            )
            note.setWordWrap(True)
            self.items.addWidget(note)
        self.confirm_button.setText(f"Override and move to {to_state}")
        self.reason.clear()
        self.reason_error.hide()
        self.reason_box.hide()
        self.show()

    def _item(self, unmet: Any) -> QWidget:
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        title = getattr(unmet, "title", None) or unmet.guard.replace("_", " ")
        kind = "may be overridden" if unmet.soft else "required"
        if getattr(unmet, "binding", ""):  # a hard freeze: no override, whatever the workflow says
            kind = f"required: {unmet.binding}"
        text = QLabel(
            f"<b>{_html(str(title)).capitalize()}</b> ({kind}): "
            + "; ".join(_html(m) for m in unmet.messages)
        )
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        target = target_for(unmet.guard, unmet.messages)
        jump = QPushButton(target.label)
        jump.setProperty("role", "link")
        jump.setObjectName(f"jump_{unmet.guard}")
        jump.setCursor(Qt.CursorShape.PointingHandCursor)
        jump.setToolTip(
            f"Go to {target.tab} and put it right" if target.tab else f"Open {target.label}"
        )
        jump.clicked.connect(lambda _c=False, t=target: self._jump(t))
        row.addWidget(text, 1)
        row.addWidget(jump, 0, Qt.AlignmentFlag.AlignTop)
        return w

    def _jump(self, target: Target) -> None:
        self.jump_requested.emit(target.tab or target.page or "")
        self.target_requested.emit(target)

    def show_ready(self, to_state: str) -> None:
        """Every condition now holds (put right while the panel was open): say so, and offer
        the move itself."""
        self.to_state = to_state
        self.check = None
        while self.items.count():
            item = self.items.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.title.setText(f"All conditions are met now: {to_state} is allowed.")
        move = QPushButton(f"Move to {to_state}")
        move.setObjectName("move_now")
        move.clicked.connect(lambda _c=False, s=to_state: self.move_requested.emit(s))
        self.items.addWidget(move, 0, Qt.AlignmentFlag.AlignLeft)
        self.override_button.hide()
        self.reason_box.hide()
        self.show()

    def show_override(self) -> None:
        unmet = list(getattr(self.check, "unmet", []) or [])
        if not unmet or not all(u.soft for u in unmet):
            return  # a required condition cannot be overridden
        self.reason_box.show()
        self.reason.setFocus(Qt.FocusReason.OtherFocusReason)

    def _confirm(self) -> None:
        reason = self.reason.toPlainText().strip()
        if not reason:
            self.reason_error.setText("Write a reason: an override without one is refused.")
            self.reason_error.show()
            return
        self.reason_error.hide()
        self.override_requested.emit(self.to_state, reason)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class LifecycleBar(QWidget):
    """A button per state the release may move to; a refused move opens the guard panel, which
    checks again after every change to the plan until it is closed (or the move is allowed)."""

    jump_requested = Signal(str)
    target_requested = Signal(object)  # guard_targets.Target

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.key: str | None = None
        self.buttons: dict[str, QPushButton] = {}
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        self.caption = QLabel("Move to:")
        self.panel = GuardPanel()
        self.panel.jump_requested.connect(self.jump_requested)
        self.panel.target_requested.connect(self.target_requested)
        self.panel.move_requested.connect(self.request)
        self.panel.override_requested.connect(self._override)
        store.changed.connect(self._store_changed)  # bound: Qt drops it with the bar
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.row)
        layout.addWidget(self.panel)

    def set_release(self, key: str | None) -> None:
        self.key = key
        if key:
            self.store.selection.set(key)
        self.panel.hide()
        self.refresh()

    def refresh(self) -> None:
        while self.row.count():
            item = self.row.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None and w is not self.caption:
                w.deleteLater()
        self.buttons.clear()
        if not self.key:
            return
        options = self.store.available_transitions(self.key)
        self.row.addWidget(self.caption)
        if options is None:
            note = QLabel("Lifecycle moves arrive with the lifecycle service.")
            note.setProperty("role", "subtle")
            self.row.addWidget(note)
        elif not options:
            note = QLabel("No further moves from this state.")
            note.setProperty("role", "subtle")
            self.row.addWidget(note)
        for to_state, label in options or []:
            button = QPushButton(label)
            button.setObjectName(f"transition_{to_state}")
            button.setToolTip(f"Check the conditions and move this release to {to_state}")
            button.clicked.connect(lambda _c=False, s=to_state: self.request(s))
            self.buttons[to_state] = button
            self.row.addWidget(button)
        self.row.addStretch(1)

    def request(self, to_state: str) -> None:
        if not self.key:
            return
        check = self.store.can_transition(self.key, to_state)
        if check is not None:
            self.show_check(to_state, check)

    def show_check(self, to_state: str, check: Any) -> None:
        """A check's answer: move at once when allowed, otherwise list what is missing."""
        if getattr(check, "allowed", False):
            self.panel.hide()
            if self.key and self.store.transition(self.key, to_state):
                self.refresh()
            return
        self.panel.show_refusal(to_state, check)

    def _store_changed(self, _changes: object) -> None:
        self.recheck()

    def recheck(self) -> None:
        """The plan changed while the guard panel is open: show what is still missing (a
        reason being written is kept), or that the move is allowed now."""
        to_state = getattr(self.panel, "to_state", None)
        if not self.key or not to_state or self.panel.isHidden():
            return
        check = self.store.can_transition(self.key, to_state)
        if check is None:
            return
        if getattr(check, "allowed", False):
            self.panel.show_ready(to_state)
            return
        reason, writing = self.panel.reason.toPlainText(), self.panel.reason_box.isVisibleTo(self)
        self.panel.show_refusal(to_state, check)
        if writing and self.panel.override_button.isVisible():
            self.panel.reason_box.show()
            self.panel.reason.setPlainText(reason)

    def _override(self, to_state: str, reason: str) -> None:
        if self.key and self.store.transition(self.key, to_state, reason=reason):
            self.panel.hide()
            self.refresh()


# --- the editor -------------------------------------------------------------------------------


class ReleaseEditor(QWidget):
    back_requested = Signal()
    tool_requested = Signal(str, str, str)  # page, tool, release key: a guard's fix elsewhere

    def __init__(
        self, store: Store, tabs: Sequence[TabSpec], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("release_editor")
        self.store = store
        self.key: str | None = None
        self.back = QPushButton("← Releases")
        self.back.setToolTip("Back to the releases list (Esc)")
        self.back.clicked.connect(self.back_requested)
        # A long title ends in "…", never widens the editor past the window (which pushed the
        # guard panel's "fix it" links off-screen); the whole heading is in the tooltip.
        self.heading = ElidedLabel()
        self.heading.setProperty("role", "heading")
        self.status = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.back)
        top.addWidget(self.heading, 1)
        top.addWidget(self.status)
        self.top = top  # the shell adds the conflict badge here
        self.lifecycle = LifecycleBar(store)
        # Closed or Cancelled (by role): the tabs are read-only until a transition reopens it.
        self.read_only_notice = QLabel()
        self.read_only_notice.setObjectName("read_only_notice")
        self.read_only_notice.setProperty("role", "error")
        self.read_only_notice.setWordWrap(True)
        self.read_only_notice.hide()
        self.read_only = False
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tab_widgets: dict[str, QWidget] = {}
        for spec in tabs:
            widget = spec.factory(store, self)
            self.tab_widgets[spec.title] = widget
            self.tabs.addTab(widget, spec.title)
        self.lifecycle.target_requested.connect(self.go_to)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addWidget(self.lifecycle)
        layout.addWidget(self.read_only_notice)
        layout.addWidget(self.tabs, 1)
        store.release_changed.connect(self._changed)
        store.release_renamed.connect(self._renamed)
        store.release_deleted.connect(self._deleted)
        # Another plan (or none): nothing of the old plan's release stays open, so no edit in
        # progress can land in the new plan's release of the same key.
        store.plan_opened.connect(self._plan_gone)  # bound: the store outlives the editor
        store.plan_closed.connect(self._plan_gone)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        # Esc that no field wanted (fields ignore it) goes back to the list.
        if event.key() == Qt.Key.Key_Escape:
            self.back_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    @property
    def overview(self) -> OverviewTab:
        return self.tab_widgets["Overview"]  # type: ignore[return-value]

    def set_release(self, key: str | None) -> None:
        self.key = key
        if key:
            self.store.selection.set(key)
        self.lifecycle.set_release(key)
        for widget in self.tab_widgets.values():
            setter = getattr(widget, "set_release", None)
            if callable(setter):
                setter(key)
        self._refresh_header()  # after the tabs: a read-only release disables what they enabled

    def _refresh_header(self) -> None:
        detail = self.store.release(self.key) if self.key else None
        if detail is None:
            self.heading.setText("No release")
            self.status.setText("")
            self._set_read_only(None)
            return
        self.heading.setText(f"{detail.key} — {detail.title}")
        self.status.setText(f"Status: <b>{_html(detail.status)}</b>")
        self._set_read_only(detail)

    def _set_read_only(self, detail: Any) -> None:
        """A Closed or Cancelled release (by its state's role) is shown, not edited: every tab
        but History is disabled and a line says how to edit it again (the lifecycle bar)."""
        self.read_only = bool(detail is not None and getattr(detail, "read_only", False))
        if self.read_only:
            self.read_only_notice.setText(
                f"{detail.key} is {detail.status}: reopen it through a workflow transition to edit it"
            )
        self.read_only_notice.setVisible(self.read_only)
        for title, widget in self.tab_widgets.items():
            if title != "History":
                widget.setEnabled(not self.read_only)

    def show_tab(self, title: str) -> bool:
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i).lower() == title.lower():
                self.tabs.setCurrentIndex(i)
                return True
        return False

    def go_to(self, target: Target) -> QWidget | None:
        """Land on a guard's fix: the tab, and the field or button in it scrolled into view and
        focused (a button that opens a picker is pressed); a tool on another page is asked of
        the main window. Answers the widget landed on."""
        if target.page:
            self.tool_requested.emit(target.page, target.tool or "", self.key or "")
            return None
        if not target.tab or not self.show_tab(target.tab):
            return None
        tab = self.tab_widgets[self.tabs.tabText(self.tabs.currentIndex())]
        widget = tab.findChild(QWidget, target.widget) if target.widget else None
        if widget is None:
            return None
        if target.click and isinstance(widget, QAbstractButton) and widget.isEnabled():
            widget.click()
        else:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
        self._scroll_to(widget)
        # again once the guard panel and the tab are laid out (the viewport shrinks)
        QTimer.singleShot(0, widget, lambda: self._scroll_to(widget))
        QTimer.singleShot(150, widget, lambda: self._scroll_to(widget))
        return widget

    @staticmethod
    def _scroll_to(widget: QWidget) -> None:
        """Bring ``widget`` into view in every scroll area holding it: whole, and near the top
        when it was out of view (a field at the very bottom edge is easy to miss)."""
        parent = widget.parentWidget()
        while parent is not None:
            if isinstance(parent, QScrollArea) and parent.widget() is not None:
                viewport = parent.viewport()
                top = widget.mapTo(viewport, widget.rect().topLeft()).y()
                bottom = top + widget.height()
                if top < 0 or bottom > viewport.height():
                    bar = parent.verticalScrollBar()
                    bar.setValue(bar.value() + top - min(48, viewport.height() // 4))
                parent.ensureWidgetVisible(widget, 16, 16)
            parent = parent.parentWidget()

    def current_tab(self) -> str:
        return self.tabs.tabText(self.tabs.currentIndex())

    def _changed(self, key: str) -> None:
        if key != self.key:
            return
        self.lifecycle.refresh()
        overview = self.tab_widgets.get("Overview")
        if isinstance(overview, OverviewTab):
            overview.reload()
        self._refresh_header()  # last: closing it makes what the reload enabled read-only

    def _renamed(self, old: str, new: str) -> None:
        if old == self.key:
            self.key = new
            for widget in self.tab_widgets.values():
                if hasattr(widget, "key"):
                    widget.key = new

    def _deleted(self, key: str) -> None:
        if key == self.key:
            self.back_requested.emit()

    def _plan_gone(self, *_path: object) -> None:
        if self.key is None:
            return
        self.set_release(None)
        self.back_requested.emit()
