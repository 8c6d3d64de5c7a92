"""The release editor's Overview tab: the release's own fields, grouped, saved one by one.

``FIELD_GROUPS`` lists the fields (a ``FieldSpec`` each: name, label, kind, choices, hint); the
tab draws an editor per kind (text, choice, date, person, waves, ...), checks a field when it is
left (``store.validate_release``) and saves it through the store, showing the reason beside the
field when it is refused; what is typed and not yet saved is a ``Draft`` (``OverviewDraft``).
Apart from ``release_editor.py`` (the editor's frame and lifecycle bar), which builds it as the
"Overview" tab and re-exports ``OverviewTab`` for the composition root.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
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
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models import enums as E

from ..common.tab_forms import field_cell
from ..shell.commands import Refused
from ..shell.store import Store
from ..shell.unsaved import Draft
from .releases_model import words

if TYPE_CHECKING:
    from .release_editor import ReleaseEditor


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
            cell, error, v = field_cell(editor, spec.name)
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
