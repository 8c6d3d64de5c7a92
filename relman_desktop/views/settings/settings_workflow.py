"""Settings: the workflow itself — its states in order, the transitions between them, and the
guards each transition checks (hard, or soft: may be overridden with a written reason)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget

from relman_desktop.models import enums as E
from relman_desktop.services import workflow

from ..common.tab_forms import Column, Field, choices_of
from ..releases.releases_model import words
from ..shell.commands import Refused
from ..shell.store import Store
from .settings_rows import Row, RowList, check, combo, set_combo
from .settings_section import RecordSection

ANY_OPEN = "any open state"
PREVIOUS = "the previous state"


def _guard_names() -> tuple[tuple[str, ...], frozenset[str], dict[str, str]]:
    from relman_desktop.services.guards import GUARDS

    return (
        tuple(GUARDS),
        frozenset(g.name for g in GUARDS.values() if g.takes_phase),
        {g.name: g.title for g in GUARDS.values()},
    )


def guard_text(g: dict[str, Any]) -> str:
    _names, _with_phase, titles = _guard_names()
    title = titles.get(g["guard"], g["guard"].replace("_", " "))
    text = f"{title} ({g['param']})" if g.get("param") else title
    return text + (" — soft" if g.get("soft") else "")


class StatesSection(RecordSection):
    title = "States"
    noun = "state"
    intro = (
        "The states a release moves through, in order. A state's role says what it means (guards, "
        "conflicts, CAB and the calendar read the role, not the name). A state with releases in it "
        "cannot be deleted."
    )
    signals = ("workflow_changed",)
    stretch_column = "State"
    columns = (
        Column("#", lambda s: s.position + 1, True),
        Column("State", lambda s: s.name),
        Column("Category", lambda s: words(s.category)),
        Column("Role", lambda s: words(s.role) if s.role else "—"),
        Column("Releases", lambda s: s.release_count, True),
    )
    fields = (
        Field("name", "Name"),
        Field("category", "Category", "choice", choices_of(E.StateCategory)),
        Field(
            "role",
            "Role",
            "choice",
            choices_of(E.StateRole, blank="— none (a custom state)"),
            hint="What the state means: renaming it changes nothing, its role does",
        ),
    )

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self.up_button = QPushButton("Move up")
        self.up_button.setObjectName("state_up")
        self.up_button.clicked.connect(lambda: self.move_state(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.setObjectName("state_down")
        self.down_button.clicked.connect(lambda: self.move_state(1))
        row = QHBoxLayout()
        row.addWidget(self.up_button)
        row.addWidget(self.down_button)
        row.addStretch(1)
        self.extra.addLayout(row)
        self.record_selected(None)

    def records(self) -> list[Any]:

        return self.read(workflow.list_states)

    def identity(self, record: Any) -> Any:
        return record.name

    def describe(self, record: Any) -> str:
        return f"State: {record.name}"

    def form_values(self, record: Any) -> dict[str, Any]:
        return {"name": record.name, "category": record.category, "role": record.role or ""}

    def record_selected(self, record: Any) -> None:
        for b in (self.up_button, self.down_button):
            b.setEnabled(record is not None)

    def create_record(self, values: dict[str, Any]) -> Any:
        return self.store.edits.add_state(
            values.get("name") or "", values["category"], values.get("role") or None
        )

    def update_record(self, record: Any, values: dict[str, Any]) -> Any:
        return self.store.edits.update_state(
            record.name,
            record.category,
            record.role,
            (values.get("name") or "").strip(),
            values["category"],
            values.get("role") or None,
            record.version,  # as the form loaded it: refused if someone saved the state since
        )

    def remove(self, record: Any) -> None:

        # Deleting a state deletes its transitions too; undo puts both back.
        gone = [
            t
            for t in self.read(workflow.list_transitions)
            if record.name in (t.from_state, t.to_state)
        ]
        self.store.edits.delete_state(record, gone)

    def move_state(self, step: int) -> bool:
        if self.current is None:
            return False
        names = [s.name for s in self.model.rows]
        i = names.index(self.current.name)
        j = i + step
        if not 0 <= j < len(names):
            return False
        order = list(names)
        order[i], order[j] = order[j], order[i]
        try:
            self.store.edits.reorder_states(
                f"move state {self.current.name} {'up' if step < 0 else 'down'}", order, names
            )
        except Refused as exc:
            self.show_refusal(exc)
            return False
        self.reload()
        return True


class GuardRow(Row):
    def __init__(self) -> None:
        super().__init__()
        names, self.with_phase, titles = _guard_names()
        self.guard = combo([(titles.get(n, n), n) for n in names], "guard_name")
        self.phase = combo(
            [("—", None)] + [(words(p.value), p.value) for p in E.Phase], "guard_phase"
        )
        self.phase.setToolTip("The phase whose tasks must be done")
        self.soft = check("soft", "guard_soft")
        self.soft.setToolTip("A soft guard may be overridden with a written reason")
        self.guard.currentIndexChanged.connect(self._phase_enabled)
        self.line.addWidget(self.guard, 1)
        self.line.addWidget(self.phase)
        self.line.addWidget(self.soft)
        self.finish()
        self._phase_enabled()

    def _phase_enabled(self) -> None:
        needs = self.guard.currentData() in self.with_phase
        self.phase.setEnabled(needs)
        if not needs:
            self.phase.setCurrentIndex(0)

    def get(self) -> dict[str, Any]:
        return {
            "guard": self.guard.currentData(),
            "param": self.phase.currentData(),
            "soft": self.soft.isChecked(),
        }

    def set(self, value: dict[str, Any]) -> None:
        set_combo(self.guard, value.get("guard"))
        self._phase_enabled()
        set_combo(self.phase, value.get("param"))
        self.soft.setChecked(bool(value.get("soft")))


class TransitionsSection(RecordSection):
    title = "Transitions"
    noun = "transition"
    intro = "Which state may follow which, and what each move checks first."
    signals = ("workflow_changed",)
    stretch_column = "Guards"
    columns = (
        Column("From", lambda t: t.from_state or ANY_OPEN),
        Column("To", lambda t: t.to_state or PREVIOUS),
        Column("Label", lambda t: t.label),
        Column("Guards", lambda t: "; ".join(guard_text(g) for g in t.guards) or None),
    )
    fields = (
        Field("from_state", "From", "choice", ((ANY_OPEN, ""),)),
        Field("to_state", "To", "choice", ((PREVIOUS, ""),)),
        Field("label", "Button label", hint="what the button says, e.g. Approve"),
    )

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(store, parent)
        self.guards = RowList("Guards (all must hold)", "Add guard", GuardRow, "guards")
        self.extra.addWidget(self.guards)

    def records(self) -> list[Any]:

        names = [(s.name, s.name) for s in self.read(workflow.list_states)]
        self.form.set_choices("from_state", [(ANY_OPEN, "")] + names)
        self.form.set_choices("to_state", [(PREVIOUS, "")] + names)
        return self.read(workflow.list_transitions)

    def describe(self, record: Any) -> str:
        return f"{record.from_state or ANY_OPEN} → {record.to_state or PREVIOUS}"

    def form_values(self, record: Any) -> dict[str, Any]:
        return {
            "from_state": record.from_state or "",
            "to_state": record.to_state or "",
            "label": record.label,
        }

    def record_selected(self, record: Any) -> None:
        self.guards.set_values(record.guards if record else [])

    def check(self, values: dict[str, Any]) -> None:
        self.guards.clear_error()
        values["guards"] = self.guards.values()

    def show_refusal(self, exc: Refused) -> None:
        if (exc.field or "").startswith("guards"):
            self.guards.show_error(str(exc))
        else:
            super().show_refusal(exc)

    def create_record(self, values: dict[str, Any]) -> Any:
        text = (
            f"add transition {values['from_state'] or ANY_OPEN} → {values['to_state'] or PREVIOUS}"
        )
        return self.store.edits.add_transition(text, values)

    def update_record(self, record: Any, values: dict[str, Any]) -> Any:
        old = {
            "from_state": record.from_state,
            "to_state": record.to_state,
            "label": record.label,
            "guards": record.guards,
        }
        same_ends = (values["from_state"], values["to_state"], values["label"]) == (
            record.from_state,
            record.to_state,
            record.label,
        )
        if same_ends:
            if values["guards"] == record.guards:
                return record.id
            return self.store.edits.set_transition_guards(
                f"set guards of {self.describe(record)}",
                record.id,
                values["guards"],
                record.guards,
                record.version,
            )
        # No service changes a transition's states or label: replace it (undo swaps it back).
        return self.store.edits.replace_transition(
            f"edit transition {self.describe(record)}", record.id, values, old
        )

    def remove(self, record: Any) -> None:
        old = {
            "from_state": record.from_state,
            "to_state": record.to_state,
            "label": record.label,
            "guards": record.guards,
        }
        self.store.edits.remove_transition(
            f"remove transition {self.describe(record)}", record.id, old, record.version
        )


class WorkflowSection(QWidget):
    title = "Workflow"

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settings_workflow")
        self.states = StatesSection(store)
        self.transitions = TransitionsSection(store)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.states)
        splitter.addWidget(self.transitions)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def reload(self) -> None:
        self.states.reload()
        self.transitions.reload()
