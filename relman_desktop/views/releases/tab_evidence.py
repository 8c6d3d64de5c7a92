"""The release editor's evidence tabs: Tests, Deployments, Review and Links.

Each tab lists what the release has gathered and holds a form to record more. A refused value is
shown under the field the service names and nothing is saved; an accepted one is in the plan at
once and one step on the undo stack (undoing a recorded run, deployment or first review deletes it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models import enums as E
from relman_desktop.services import evidence as ev

from ..common.tab_forms import (
    Column,
    Field,
    Form,
    LocalError,
    RowsModel,
    choices_of,
    fit_columns,
    selected_row,
    show_moment,
    table_view,
)
from ..common.underneath import refill
from ..shell.commands import Ref, Refused
from ..shell.store import Store
from ..shell.unsaved import Draft
from .releases_model import words


def _kind_word(value: str | None) -> str:
    if not value:
        return "—"
    return "UAT" if value == "uat" else words(value)


class EvidenceTab(QWidget):
    """Shared plumbing: the release shown, re-reading when its evidence changes (at once when
    visible, otherwise when next shown)."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.key: str | None = None
        self._stale = True
        # The form's unsaved typing: asked about (Save / Discard / Cancel) before the window
        # closes, another plan opens or another release is shown (see shell/unsaved.py).
        self.draft: Draft | None = None
        store.evidence_changed.connect(self._evidence_changed)
        store.plan_opened.connect(self._plan_opened)  # bound: the store outlives the tab

    def guard_form(self, form: QWidget, save: Any, what: str) -> None:
        """Never lose what is typed into ``form``: ``save()`` is its Save button's action."""
        self.draft = Draft(self, form, save, lambda: f"{what} of {self.key or 'this release'}")

    def form_filled(self) -> None:
        """The form now shows a saved record (or a fresh one): nothing typed yet."""
        if self.draft is not None:
            self.draft.filled()

    def save_on_ctrl_return(self, slot: Any) -> None:
        """Ctrl+Return anywhere in the tab records the form, as the default button does."""
        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        shortcut.activated.connect(slot)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.setWhatsThis("Record the form (release editor's evidence tabs)")

    def _plan_opened(self, _path: str) -> None:
        """Another plan: no release of the old one stays shown here."""
        self.set_release(None)

    def set_release(self, key: str | None) -> None:
        self.key = key
        self._stale = True
        self.reset_form()
        self.reload()

    def _evidence_changed(self, key: str) -> None:
        if key and key == self.key:
            self._stale = True
            if self.isVisible():
                self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.reload()

    def reload(self) -> None:
        self._stale = False
        self.setEnabled(self.key is not None and self.store.has_plan)
        self.load()

    def load(self) -> None:  # pragma: no cover - each tab
        raise NotImplementedError

    def reset_form(self) -> None:
        pass

    def _tell(self, clashes: list[str], what: str) -> None:
        """Say in the status bar which typed fields were changed underneath (see ``refill``)."""
        if clashes:
            self.store.error.emit(
                f"{what.capitalize()} of {self.key} was changed elsewhere while you were editing "
                f"{', '.join(clashes)}: nothing of yours was saved over it yet"
            )

    def read(self, fn: Any, default: Any) -> Any:
        if self.key is None or not self.store.has_plan:
            return default
        result = self.store.call(fn, self.key)
        return default if result is Store.FAILED else result


def _button(text: str, name: str, *, default: bool = False) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setDefault(default)
    button.setAutoDefault(default)
    return button


def _group(title: str, form: Form, buttons: list[QWidget], note: QLabel | None = None) -> QGroupBox:
    box = QGroupBox(title)
    v = QVBoxLayout(box)
    v.addWidget(form)
    row = QHBoxLayout()
    if note is not None:
        row.addWidget(note, 1)
    else:
        row.addStretch(1)
    for b in buttons:
        row.addWidget(b)
    v.addLayout(row)
    return box


def _split(top: QWidget, bottom: QWidget) -> QSplitter:
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.addWidget(top)
    splitter.addWidget(bottom)
    splitter.setStretchFactor(0, 1)
    splitter.setStretchFactor(1, 0)
    splitter.setChildrenCollapsible(False)
    return splitter


def _now_text() -> str:
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M")


# --- Tests ------------------------------------------------------------------------------------------------


def _failed_tests(run: dict[str, Any]) -> str | None:
    """The first failed tests of a run read from a report (the rest counted)."""
    names = [f.get("full_name") or f.get("name", "") for f in run.get("failures") or []]
    if not names:
        return None
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


class TestsTab(EvidenceTab):
    __test__ = False  # not a pytest class

    FIELDS = (
        Field("kind", "Kind", "choice", choices_of(E.TestKind)),
        Field("environment", "Environment", hint="e.g. staging"),
        Field("run_at", "Run at", "moment"),
        Field("passed", "Passed", "int", default=0),
        Field("failed", "Failed", "int", default=0),
        Field("skipped", "Skipped", "int", default=0),
        Field("source", "Source", hint="where the results came from, e.g. a CI job or report"),
    )

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self.setObjectName("tests_tab")
        self.required = QLabel()
        self.required.setObjectName("required_tests")
        self.required.setWordWrap(True)
        self.required.setTextFormat(Qt.TextFormat.RichText)
        self.model = RowsModel(
            [
                Column("Run at", lambda r: show_moment(r["run_at"])),
                Column("Kind", lambda r: _kind_word(r["kind"])),
                Column("Environment", lambda r: r["environment"]),
                Column("Passed", lambda r: r["passed"], True),
                Column("Failed", lambda r: r["failed"], True),
                Column("Skipped", lambda r: r["skipped"], True),
                Column("Verdict", lambda r: words(r["verdict"])),
                Column("Source", lambda r: r["source"]),
                Column("Failed tests", _failed_tests),
            ],
            self,
        )
        self.table = table_view(self.model, "test_runs_table")
        self.form = Form(self.FIELDS, columns=3)
        self.record_button = _button("Record test run", "record_test_run", default=True)
        self.record_button.clicked.connect(self.record)
        self.save_on_ctrl_return(self.record)
        self.guard_form(self.form, self.record, "The test run being recorded")
        note = QLabel("The verdict is “failed” when any test failed.")
        note.setProperty("role", "subtle")
        top = QWidget()
        tv = QVBoxLayout(top)
        tv.setContentsMargins(0, 0, 0, 0)
        tv.addWidget(self.required)
        tv.addWidget(self.table, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(
            _split(top, _group("Record a test run", self.form, [self.record_button], note))
        )
        store.release_changed.connect(self._release_changed)

    def _release_changed(self, key: str) -> None:
        if key == self.key:
            self._show_required()

    def reset_form(self) -> None:
        self.form.clear()
        self.form.editors["run_at"].setText(_now_text())  # type: ignore[attr-defined]
        self.form_filled()

    def load(self) -> None:

        self.runs = self.read(ev.list_test_runs, [])
        self.model.set_rows(list(reversed(self.runs)))  # newest first
        fit_columns(self.table)
        self._show_required()

    def _show_required(self) -> None:
        detail = self.store.release(self.key) if self.key and self.store.has_plan else None
        kinds = list(getattr(detail, "required_tests", []) or [])
        if not kinds:
            self.required.setText(
                "No test kinds are required for this release (set them on the Overview tab)."
            )
            return
        parts = []
        for kind in kinds:
            runs = [r for r in getattr(self, "runs", []) if r["kind"] == kind]
            if not runs:
                parts.append(f"<b>{_kind_word(kind)}</b>: no run yet")
            else:
                last = runs[-1]
                parts.append(
                    f"<b>{_kind_word(kind)}</b>: {words(last['verdict']).lower()} "
                    f"({show_moment(last['run_at'])})"
                )
        self.required.setText("Required tests — " + " · ".join(parts))

    def record(self) -> bool:
        if self.key is None:
            return False
        try:
            v = self.form.values()
        except LocalError:
            return False
        if v["run_at"] is None:
            self.form.show_error("run_at", "Run at: a date and time is required")
            return False
        text = f"record {_kind_word(v['kind'])} test run of {self.key}"
        try:
            self.store.edits.record_test_run(self.key, text, v)
        except Refused as exc:
            self.form.show_error(exc.field, str(exc))
            return False
        self.reset_form()
        return True


# --- Deployments ------------------------------------------------------------------------------------------


DEPLOYMENT_FIELDS = (
    Field("environment", "Environment", hint="e.g. production"),
    Field("wave", "Wave", hint="e.g. 1 of 3 (10%)"),
    Field("outcome", "Outcome", "choice", choices_of(E.Outcome, blank="— not yet —")),
    Field("started_at", "Started", "moment"),
    Field("finished_at", "Finished", "moment"),
    Field("incidents", "Incidents", "int", default=0),
    Field("failure_detected_at", "Failure detected", "moment"),
    Field("restored_at", "Service restored", "moment"),
    Field("hotfix", "Hotfix", "bool", hint="needed a hotfix"),
)


class DeploymentsTab(EvidenceTab):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self.setObjectName("deployments_tab")
        # The deployment the form edits (None: a new one), as the Ref every command about it shares:
        # undoing its deletion re-creates it under a new id, and the form and the stack follow.
        self.editing: Ref | None = None
        self.filled: dict[str, Any] | None = None  # the row the form was filled from
        self.model = RowsModel(
            [
                Column("Environment", lambda r: r["environment"]),
                Column("Wave", lambda r: r["wave"]),
                Column("Started", lambda r: show_moment(r["started_at"]) or None),
                Column("Finished", lambda r: show_moment(r["finished_at"]) or None),
                Column("Outcome", lambda r: words(r["outcome"]) if r["outcome"] else "in progress"),
                Column("Incidents", lambda r: r["incidents"], True),
                Column("Failure detected", lambda r: show_moment(r["failure_detected_at"]) or None),
                Column("Restored", lambda r: show_moment(r["restored_at"]) or None),
                Column("Hotfix", lambda r: r["hotfix"]),
                Column("Source", lambda r: r.get("source") or r.get("url")),
            ],
            self,
        )
        self.table = table_view(self.model, "deployments_table")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected())
        self.form = Form(DEPLOYMENT_FIELDS, columns=3)
        self.save_button = _button("Record deployment", "save_deployment", default=True)
        self.save_button.clicked.connect(self.save)
        self.save_on_ctrl_return(self.save)
        self.new_button = _button("New deployment", "new_deployment")
        self.guard_form(self.form, self.save, "The deployment")
        self.new_button.clicked.connect(self.new)
        self.box = _group("Record a deployment", self.form, [self.new_button, self.save_button])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(_split(self.table, self.box))

    def load(self) -> None:
        keep = self.editing
        self.model.set_rows(self.read(ev.list_deployments, []))
        fit_columns(self.table)
        if keep is not None:
            self.select(keep.id)

    def reset_form(self) -> None:
        self.editing = None
        self.filled = None
        self.form.clear()
        self.box.setTitle("Record a deployment")
        self.save_button.setText("Record deployment")
        self.form_filled()

    def new(self) -> None:
        self.table.clearSelection()
        self.reset_form()
        self.form.editors["environment"].setFocus()

    def select(self, deployment_id: int) -> bool:
        for i, row in enumerate(self.model.rows):
            if row["id"] == deployment_id:
                self.table.selectRow(i)
                return True
        return False

    def _selected(self) -> None:
        i = selected_row(self.table)
        if i < 0:
            return
        row = self.model.row(i)
        same = self.editing is not None and self.editing.id == row["id"]
        if same and self.filled is not None:
            # read again (an edit elsewhere, an undo): keep what is being typed, say what clashes
            self._tell(refill(self.form, self.filled, row), f"the {row['environment']} deployment")
        else:
            self.form.set_values(row)
        self.filled = row
        self.editing = self.store.edits.deployment(row["id"])
        self.box.setTitle(
            f"Deployment to {row['environment']}" + (f", wave {row['wave']}" if row["wave"] else "")
        )
        self.save_button.setText("Save changes")
        self.form_filled()

    def save(self) -> bool:
        if self.key is None:
            return False
        try:
            v = self.form.values()
        except LocalError:
            return False
        if v["incidents"] is None:
            v["incidents"] = 0
        key = self.key
        try:
            if self.editing is None:
                environment = v.pop("environment")
                self.editing = self.store.edits.record_deployment(key, environment, v)
                self.load()
                return True
            target = self.editing
            old = next((r for r in self.model.rows if r["id"] == target.id), None)
            if old is None:
                self.reset_form()
                return False
            changed = {n: v[n] for n in v if _differs(v[n], old.get(n))}
            if not changed:
                return True
            names = ", ".join(f.label.lower() for f in DEPLOYMENT_FIELDS if f.name in changed)
            self.store.edits.update_deployment(
                target,
                f"edit {names} of the {old['environment']} deployment of {key}",
                changed,
                old,
                # the version the form was filled from: refused if someone saved it since
                (self.filled or old).get("version"),
            )
        except Refused as exc:
            self.form.show_error(exc.field, str(exc))
            return False
        self.form_filled()
        return True


def _differs(new: Any, old: Any) -> bool:
    if isinstance(new, dt.datetime) and isinstance(old, dt.datetime):
        return new.replace(second=0, microsecond=0) != old.replace(second=0, microsecond=0)
    return new != old


# --- Review -----------------------------------------------------------------------------------------------


REVIEW_FIELDS = (
    Field("outcome", "Outcome", "choice", choices_of(E.ReviewOutcome)),
    Field("incidents", "Incidents", "int", default=0),
    Field("closed_at", "Closed at", "moment"),
    Field("closed_by", "Closed by", hint="e-mail of a person in the plan"),
    Field("lessons_learned", "Lessons learned", "multiline"),
    Field("user_feedback", "User feedback", "multiline"),
)


class ReviewTab(EvidenceTab):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self.setObjectName("review_tab")
        self.current: dict[str, Any] | None = None
        self.filled: dict[str, Any] | None = None  # what the form was filled from
        self.state = QLabel()
        self.state.setObjectName("review_state")
        self.state.setWordWrap(True)
        self.form = Form(REVIEW_FIELDS)
        self.save_button = _button("Save review", "save_review", default=True)
        self.save_button.clicked.connect(self.save)
        self.save_on_ctrl_return(self.save)
        self.guard_form(self.form, self.save, "The post-release review")
        self.revert_button = _button("Revert", "revert_review")
        self.revert_button.setToolTip("Show the review as it is saved in the plan")
        self.revert_button.clicked.connect(lambda: self.load(keep_typing=False))
        box = _group(
            "Post-release review", self.form, [self.revert_button, self.save_button], self.state
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(box)
        layout.addStretch(1)
        store.people_changed.connect(self._people)

    def _people(self) -> None:
        # no release shown (a plan just opened): a big plan's people are read when one is
        people = self.store.people() if self.key is not None else []
        self.form.set_completions("closed_by", [p.email for p in people])

    def reset_form(self) -> None:
        self.filled = None

    def load(self, keep_typing: bool = True) -> None:
        """Show the review as the plan has it; typing in progress is kept (``keep_typing``,
        unless Revert), and a field also changed underneath says so."""
        self._people()
        self.current = self.read(ev.get_review, None)
        values = dict(self.current or {})
        values["closed_by"] = values.get("closed_by_email")
        if keep_typing and self.filled is not None:
            self._tell(refill(self.form, self.filled, values), "the review")
        else:
            self.form.set_values(values)
        self.filled = values
        if self.current is None:
            self.state.setText("No review is recorded for this release yet.")
        else:
            self.state.setText("The review is recorded; saving again updates it.")
        self.form_filled()

    def save(self) -> bool:
        if self.key is None:
            return False
        try:
            v = self.form.values()
        except LocalError:
            return False
        if v["outcome"] is None:
            self.form.show_error("outcome", "Outcome: choose one")
            return False
        kwargs = {
            "incidents": v["incidents"] or 0,
            "lessons_learned": v["lessons_learned"],
            "user_feedback": v["user_feedback"],
            "closed_by_email": v["closed_by"],
            "closed_at": v["closed_at"],
        }
        # the version the form was filled from (0: it showed no review): a review someone else
        # recorded or changed since is refused with who and when; the typing stays
        version = None if self.filled is None else self.filled.get("version", 0)
        try:
            self.store.edits.record_review(
                self.key, v["outcome"], kwargs, self.current, version=version
            )
        except Refused as exc:
            self.form.show_error(exc.field, str(exc))
            return False
        self.load()
        return True


# --- Links ------------------------------------------------------------------------------------------------


LINK_FIELDS = (
    Field("kind", "Kind", "choice", choices_of(E.LinkKind)),
    Field("key", "Key", hint="the record's key in its system, e.g. INC-1042"),
    Field("relation", "Relation", "choice", choices_of(E.LinkRelation)),
    Field("title", "Title"),
    Field("url", "URL", hint="https://…"),
)


class LinksTab(EvidenceTab):
    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self.setObjectName("links_tab")
        self.model = RowsModel(
            [
                Column("Kind", lambda r: words(r["kind"])),
                Column("Key", lambda r: r["external_key"]),
                Column("Relation", lambda r: words(r["relation"])),
                Column("Title", lambda r: r["title"]),
                Column("URL", lambda r: r["url"]),
            ],
            self,
        )
        self.table = table_view(self.model, "links_table")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.remove_button = _button("Remove selected link", "remove_link")
        self.remove_button.clicked.connect(self.remove_selected)
        self.form = Form(LINK_FIELDS, columns=2)
        self.add_button = _button("Add link", "add_link", default=True)
        self.add_button.clicked.connect(self.add)
        self.save_on_ctrl_return(self.add)
        self.guard_form(self.form, self.add, "The link being added")
        self.form_filled()
        top = QWidget()
        tv = QVBoxLayout(top)
        tv.setContentsMargins(0, 0, 0, 0)
        tv.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.remove_button)
        tv.addLayout(row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(_split(top, _group("Link a record", self.form, [self.add_button])))
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(selected_row(self.table) >= 0)

    def load(self) -> None:
        self.model.set_rows(self.read(ev.list_links, []))
        fit_columns(self.table)
        self._update_buttons()

    def add(self) -> bool:
        if self.key is None:
            return False
        try:
            v = self.form.values()
        except LocalError:
            return False
        try:
            self.store.edits.add_link(
                self.key, v["kind"], v["key"] or "", v["relation"], v["title"], v["url"]
            )
        except Refused as exc:
            self.form.show_error(exc.field, str(exc))
            return False
        self.form.clear()
        self.form_filled()
        return True

    def remove_selected(self) -> bool:
        i = selected_row(self.table)
        if i < 0 or self.key is None:
            return False
        row = self.model.row(i)
        try:
            self.store.edits.remove_link(self.key, row)
        except Refused as exc:
            self.form.show_error(None, str(exc))
            return False
        return True
