"""The release editor's Approvals tab: the approval stages in order with their rule and a line
saying whether each passes and why; the approvers of the chosen stage with their decisions;
recording a decision (with a comment, which rejecting or asking for more information needs)
and delegating.

Stage edits (add, rename, reorder, rule, remove) and approver edits are undoable. Their undo
finds stages by name (names are unique within a release), because a stage put back by undo gets
a new id. Decisions and delegations are *not* undoable: the approvals service has no call that
puts a previous decision or delegation back, and the tab says so rather than pretend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models import enums as E
from relman_desktop.models.planfile import PlanError
from relman_desktop.services import approvals
from relman_desktop.services.base import ServiceError

from ..common.tab_support import NamedColumnsModel, Notice
from ..shell.commands import Refused
from ..shell.store import Store
from .releases_model import words

_Index = QModelIndex | QPersistentModelIndex
RULES = tuple(r.value for r in E.StageRule)
DECISIONS = (("approved", "Approve"), ("rejected", "Reject"), ("more_info", "Ask for more info"))


def state_of(a: Any) -> dict[str, Any]:
    """An approver row's decision as ``approvals.restore_approval`` takes it."""
    return {
        "decision": a.decision,
        "comment": a.comment,
        "decided_at": a.decided_at,
        "delegated_to": a.delegated_to_email,
    }


def rule_text(rule: str, percent: int | None) -> str:
    if rule == "percent":
        return f"{percent}%"
    return approvals.RULE_WORDS.get(E.StageRule(rule), rule) if rule in RULES else rule


# --- models ----------------------------------------------------------------------------------------


class StagesModel(NamedColumnsModel):
    """The release's stages in order: rule, outcome and the one-sentence reason."""

    COLUMNS = (
        ("position", "#"),
        ("name", "Stage"),
        ("rule", "Rule"),
        ("status", "Outcome"),
        ("explanation", "Why"),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(self.COLUMNS, parent)

    def row_of(self, name: str) -> int:
        return next((i for i, r in enumerate(self.rows) if r.name.lower() == name.lower()), -1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        found = self.cell(index)
        if found is None:
            return None
        r, name = found
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return str(index.row() + 1) if name == "position" else self.display(r, name)
        if role == Qt.ItemDataRole.FontRole and name == "status":
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self.columns[index.column()][1]}: {self.data(index)}"
        return None

    @staticmethod
    def display(r: Any, name: str) -> str:
        if name == "position":
            return ""  # the row number is filled in by data()
        if name == "rule":
            return rule_text(r.rule, r.percent)
        if name == "status":
            return {"approved": "Passes", "rejected": "Fails", "pending": "Pending"}.get(
                r.status, words(r.status)
            )
        return str(getattr(r, name) or "")


class ApproversModel(NamedColumnsModel):
    """The approvers of one stage and what each decided."""

    COLUMNS = (
        ("name", "Approver"),
        ("decision", "Decision"),
        ("comment", "Comment"),
        ("decided_at", "Decided"),
        ("delegated", "Delegated to"),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(self.COLUMNS, parent)

    def row_of(self, email: str) -> int:
        return next((i for i, r in enumerate(self.rows) if r.email == email), -1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        found = self.cell(index)
        if found is None:
            return None
        r, name = found
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(r, name)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                r.email
                if name == "name"
                else (r.delegated_to_email or "")
                if name == "delegated"
                else self.display(r, name)
            )
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self.columns[index.column()][1]}: {self.display(r, name) or 'none'}"
        return None

    @staticmethod
    def display(r: Any, name: str) -> str:
        if name == "decision":
            return {"more_info": "More info asked"}.get(r.decision, words(r.decision))
        if name == "decided_at":
            return r.decided_at.astimezone().strftime("%Y-%m-%d %H:%M") if r.decided_at else ""
        if name == "delegated":
            return r.delegated_to_name or ""
        return str(getattr(r, name) or "")


class ListTable(QTableView):
    delete_pressed = Signal()

    def __init__(
        self, name: str, model: QAbstractTableModel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Delete:
            self.delete_pressed.emit()
            return
        super().keyPressEvent(event)

    def widths(self, chars: Sequence[int]) -> None:
        char = self.fontMetrics().averageCharWidth()
        for column, n in enumerate(chars):
            self.horizontalHeader().resizeSection(column, char * n + 16)


def _rule_combo(name: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setAccessibleName("Rule")
    for rule in RULES:
        combo.addItem(words(rule) if rule != "percent" else "Percent N", rule)
    combo.setToolTip(
        "any: one approval is enough · all · majority · percent N · first response wins"
    )
    return combo


def _percent_spin(name: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setObjectName(name)
    spin.setAccessibleName("Percent needed")
    spin.setRange(1, 100)
    spin.setValue(60)
    spin.setSuffix(" %")
    return spin


# --- the tab ---------------------------------------------------------------------------------------


class ApprovalsTab(QScrollArea):
    """A scroll area, so a small window scrolls the tab instead of growing past the screen."""

    def __init__(self, store: Store, editor: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("approvals_tab")
        self.store = store
        self.key: str | None = None
        self._people: list[Any] = []
        self._loading = False
        self._stale = False  # the last edit was refused: the record changed since it was read

        # --- stages: the table, and beside it the order buttons and the stage forms ---
        self.stages_model = StagesModel(self)
        self.stages = ListTable("stages_table", self.stages_model)
        self.stages.setAccessibleName("Approval stages")
        self.stages.setWordWrap(True)
        self.stages.widths([3, 14, 8, 8])
        self.stages.verticalHeader().setMinimumSectionSize(self.fontMetrics().height() + 10)
        # The reason may wrap to two lines: rows follow their text (a release has a few stages).
        self.stages.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.stages.delete_pressed.connect(self.remove_stage)
        self.stages.selectionModel().currentRowChanged.connect(lambda *_: self._show_stage())
        self.up_button = QPushButton("Move up")
        self.up_button.setObjectName("stage_up")
        self.up_button.setToolTip("Move the chosen stage earlier (Alt+Up)")
        self.up_button.setShortcut("Alt+Up")
        self.up_button.clicked.connect(lambda: self.move_stage(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.setObjectName("stage_down")
        self.down_button.setToolTip("Move the chosen stage later (Alt+Down)")
        self.down_button.setShortcut("Alt+Down")
        self.down_button.clicked.connect(lambda: self.move_stage(1))
        self.remove_stage_button = QPushButton("Remove")
        self.remove_stage_button.setObjectName("remove_stage")
        self.remove_stage_button.setToolTip("Remove the chosen stage (Delete in the list)")
        self.remove_stage_button.clicked.connect(self.remove_stage)
        order = QHBoxLayout()
        order.addWidget(self.up_button)
        order.addWidget(self.down_button)
        order.addStretch(1)
        order.addWidget(self.remove_stage_button)

        self.stage_name = QLineEdit()
        self.stage_name.setObjectName("stage_name")
        self.stage_name.setAccessibleName("Name of the chosen stage")
        self.stage_name.editingFinished.connect(self._rename_from_field)
        self.stage_rule = _rule_combo("stage_rule")
        self.stage_rule.activated.connect(lambda _i: self._rule_from_fields())
        self.stage_percent = _percent_spin("stage_percent")
        self.stage_percent.editingFinished.connect(self._rule_from_fields)
        chosen = QGroupBox("Chosen stage")
        cg = QGridLayout(chosen)
        cg.addWidget(QLabel("Name:"), 0, 0)
        cg.addWidget(self.stage_name, 0, 1, 1, 2)
        cg.addWidget(QLabel("Rule:"), 1, 0)
        cg.addWidget(self.stage_rule, 1, 1)
        cg.addWidget(self.stage_percent, 1, 2)
        cg.setColumnStretch(1, 1)

        self.new_name = QLineEdit()
        self.new_name.setObjectName("new_stage_name")
        self.new_name.setPlaceholderText("e.g. QA sign-off, CAB, Business")
        self.new_name.setAccessibleName("Name of a new stage")
        self.new_name.returnPressed.connect(self.add_stage_from_fields)
        self.new_rule = _rule_combo("new_stage_rule")
        self.new_percent = _percent_spin("new_stage_percent")
        self.new_rule.currentIndexChanged.connect(
            lambda _i: self.new_percent.setEnabled(self.new_rule.currentData() == "percent")
        )
        self.new_percent.setEnabled(False)
        self.add_stage_button = QPushButton("Add stage")
        self.add_stage_button.setObjectName("add_stage")
        self.add_stage_button.clicked.connect(self.add_stage_from_fields)
        new = QGroupBox("New stage")
        ng = QGridLayout(new)
        ng.addWidget(QLabel("Name:"), 0, 0)
        ng.addWidget(self.new_name, 0, 1, 1, 2)
        ng.addWidget(QLabel("Rule:"), 1, 0)
        ng.addWidget(self.new_rule, 1, 1)
        ng.addWidget(self.new_percent, 1, 2)
        ng.addWidget(self.add_stage_button, 2, 1, 1, 2, Qt.AlignmentFlag.AlignRight)
        ng.setColumnStretch(1, 1)
        self.stage_notice = Notice("stages_notice")

        stage_side = QVBoxLayout()
        stage_side.addLayout(order)
        stage_side.addWidget(chosen)
        stage_side.addWidget(new)
        stage_side.addWidget(self.stage_notice)
        stage_side.addStretch(1)

        # --- approvers of the chosen stage, and beside them the approver and decision forms ---
        self.approvers_heading = QLabel()
        self.approvers_heading.setStyleSheet("font-weight: 600;")
        self.outcome = QLabel()
        self.outcome.setObjectName("stage_outcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.approvers_model = ApproversModel(self)
        self.approvers = ListTable("approvers_table", self.approvers_model)
        self.approvers.setAccessibleName("Approvers of the chosen stage")
        self.approvers.widths([14, 12, 20, 18])
        self.approvers.delete_pressed.connect(self.remove_approver)
        self.approvers.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self.person = QComboBox()
        self.person.setObjectName("approver_person")
        self.person.setAccessibleName("Person")
        self.person.setMinimumContentsLength(12)
        self.person.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.add_approver_button = QPushButton("Add approver")
        self.add_approver_button.setObjectName("add_approver")
        self.add_approver_button.setToolTip("Make the chosen person an approver of this stage")
        self.add_approver_button.clicked.connect(self.add_approver)
        self.delegate_button = QPushButton("Delegate to")
        self.delegate_button.setObjectName("delegate")
        self.delegate_button.setToolTip(
            "Hand the selected approver's pending approval to the chosen person."
        )
        self.delegate_button.clicked.connect(self.delegate)
        self.remove_approver_button = QPushButton("Remove")
        self.remove_approver_button.setObjectName("remove_approver")
        self.remove_approver_button.setToolTip(
            "Take the selected approver off this stage (Delete in the list)"
        )
        self.remove_approver_button.clicked.connect(self.remove_approver)
        people_box = QGroupBox("Approvers")
        pg = QGridLayout(people_box)
        pg.addWidget(QLabel("Person:"), 0, 0)
        pg.addWidget(self.person, 0, 1, 1, 3)
        pg.addWidget(self.add_approver_button, 1, 1)
        pg.addWidget(self.delegate_button, 1, 2)
        pg.addWidget(self.remove_approver_button, 1, 3)
        pg.setColumnStretch(1, 1)

        self.decision = QComboBox()
        self.decision.setObjectName("decision")
        self.decision.setAccessibleName("Decision")
        for value, text in DECISIONS:
            self.decision.addItem(text, value)
        self.comment = QLineEdit()
        self.comment.setObjectName("decision_comment")
        self.comment.setAccessibleName("Comment")
        self.comment.setPlaceholderText("needed to reject or ask for more info")
        self.comment.returnPressed.connect(self.record_decision)
        self.decide_button = QPushButton("Record decision")
        self.decide_button.setObjectName("record_decision")
        self.decide_button.setToolTip(
            "Record the selected approver's decision (Undo puts the previous one back)."
        )
        self.decide_button.clicked.connect(self.record_decision)
        decide_box = QGroupBox("Decision of the selected approver")
        dg = QGridLayout(decide_box)
        dg.addWidget(QLabel("Decision:"), 0, 0)
        dg.addWidget(self.decision, 0, 1)
        dg.addWidget(self.decide_button, 0, 2)
        dg.addWidget(QLabel("Comment:"), 1, 0)
        dg.addWidget(self.comment, 1, 1, 1, 2)
        dg.setColumnStretch(1, 1)
        self.approver_notice = Notice("approvers_notice")

        approver_side = QVBoxLayout()
        approver_side.addWidget(people_box)
        approver_side.addWidget(decide_box)
        approver_side.addWidget(self.approver_notice)
        approver_side.addStretch(1)

        heading = QLabel("Stages, in order")
        heading.setStyleSheet("font-weight: 600;")
        top = QWidget()
        tv = QVBoxLayout(top)
        tv.setContentsMargins(0, 0, 0, 0)
        tv.addWidget(heading)
        th = QHBoxLayout()
        th.addWidget(self.stages, 3)
        th.addLayout(stage_side, 2)
        tv.addLayout(th, 1)
        bottom = QWidget()
        bv = QVBoxLayout(bottom)
        bv.setContentsMargins(0, 0, 0, 0)
        bv.addWidget(self.approvers_heading)
        bv.addWidget(self.outcome)
        bh = QHBoxLayout()
        bh.addWidget(self.approvers, 3)
        bh.addLayout(approver_side, 2)
        bv.addLayout(bh, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(top)
        split.addWidget(bottom)
        body = QWidget()
        self.setWidget(body)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(split)

        store.approvals_changed.connect(self._approvals_changed)
        store.people_changed.connect(self._load_people)
        store.plan_opened.connect(self._plan_opened)  # bound: the store outlives the tab

    # --- showing ----------------------------------------------------------------------------------

    def _plan_opened(self, _path: str) -> None:
        """Another plan: no release of the old one stays shown here."""
        self.set_release(None)

    def set_release(self, key: str | None) -> None:
        if key != self.key:
            self.stage_notice.clear_notice()
            self.approver_notice.clear_notice()
        self.key = key
        self._load_people()
        self.reload()

    def _approvals_changed(self, key: str) -> None:
        if key == self.key:
            self.reload()

    def _load_people(self) -> None:
        # no release shown (a plan just opened): nothing to pick people for; a big plan's
        # thousands of people are read when a release is
        self._people = self.store.people() if self.store.has_plan and self.key else []
        current = self.person.currentData()
        self.person.clear()
        for p in self._people:
            self.person.addItem(f"{p.name} <{p.email}>", p.email)
        self.person.setCurrentIndex(max(0, self.person.findData(current)))

    def current_stage(self) -> Any | None:
        row = self.stages.currentIndex().row()
        return self.stages_model.rows[row] if 0 <= row < len(self.stages_model.rows) else None

    def current_approver(self) -> Any | None:
        row = self.approvers.currentIndex().row()
        return self.approvers_model.rows[row] if 0 <= row < len(self.approvers_model.rows) else None

    def reload(self) -> None:
        """Read the stages again. A new stage name being typed (not yet saved) is kept; if that
        stage was renamed underneath meanwhile (another window, ``relman``, an undo), the
        notice says so instead of the typing being dropped or saved over it unseen."""
        stage = self.current_stage()
        approver = self.current_approver()
        typed = self.stage_name.text()
        typing = stage is not None and typed.strip() != stage.name
        rows: list[Any] = []
        if self.key and self.store.has_plan:
            try:
                rows = approvals.list_stages(self.store.ctx, self.key)
            except (ServiceError, PlanError) as exc:
                self.stage_notice.show_error(str(exc))
        self.stages_model.set_rows(rows)
        same = next((r for r in rows if stage is not None and r.id == stage.id), None)
        self.select_stage(
            same.name if same else stage.name if stage else (rows[0].name if rows else None),
            approver.email if approver else None,
        )
        self.setEnabled(self.key is not None)
        if typing and stage is not None and same is not None and self.current_stage() == same:
            self.stage_name.setText(typed)  # the typing stays
            if same.name != stage.name and typed.strip() != same.name:
                message = (
                    f"Stage {stage.name} was renamed elsewhere to “{same.name}” while you were "
                    "typing; your name is kept here: leave the field to rename it over theirs"
                )
                self.stage_notice.show_error(message)
                self.store.error.emit(message)

    def select_stage(self, name: str | None, approver_email: str | None = None) -> None:
        row = self.stages_model.row_of(name) if name else -1
        if row < 0 and self.stages_model.rows:
            row = 0
        if row >= 0:
            self.stages.setCurrentIndex(self.stages_model.index(row, 1))
        self._show_stage(approver_email)

    def _show_stage(self, approver_email: str | None = None) -> None:
        stage = self.current_stage()
        self._loading = True
        try:
            self.approvers_model.set_rows(stage.approvers if stage else [])
            if stage is None:
                self.approvers_heading.setText(
                    "No stages yet: add one (e.g. QA sign-off, CAB, Business)."
                    if self.key
                    else "No release"
                )
                self.outcome.setText("")
                self.stage_name.clear()
            else:
                self.approvers_heading.setText(f"Approvers of {stage.name}")
                verdict = {"approved": "Passes", "rejected": "Fails", "pending": "Pending"}.get(
                    stage.status, stage.status
                )
                self.outcome.setText(
                    f"{verdict} under the rule “{rule_text(stage.rule, stage.percent)}”: {stage.explanation}."
                )
                self.outcome.setProperty(
                    "role", {"approved": "ok", "rejected": "error"}.get(stage.status, "")
                )
                self.outcome.style().unpolish(self.outcome)
                self.outcome.style().polish(self.outcome)
                self.stage_name.setText(stage.name)
                self.stage_rule.setCurrentIndex(max(0, self.stage_rule.findData(stage.rule)))
                self.stage_percent.setValue(stage.percent or 60)
            row = self.approvers_model.row_of(approver_email) if approver_email else -1
            if row < 0 and self.approvers_model.rows:
                row = 0
            if row >= 0:
                self.approvers.setCurrentIndex(self.approvers_model.index(row, 0))
        finally:
            self._loading = False
        self._enable()

    def _enable(self) -> None:
        stage = self.current_stage()
        row = self.stages.currentIndex().row()
        has_stage = stage is not None
        approver = self.current_approver()
        self.up_button.setEnabled(has_stage and row > 0)
        self.down_button.setEnabled(has_stage and row < len(self.stages_model.rows) - 1)
        for w in (
            self.remove_stage_button,
            self.stage_name,
            self.stage_rule,
            self.add_approver_button,
        ):
            w.setEnabled(has_stage)
        self.stage_percent.setEnabled(has_stage and self.stage_rule.currentData() == "percent")
        for w in (self.remove_approver_button, self.decide_button, self.decision, self.comment):
            w.setEnabled(approver is not None)
        self.delegate_button.setEnabled(approver is not None and approver.decision == "pending")

    # --- undoable edits (each one store edit) ----------------------------------------------------

    def _run(self, action: Callable[[], object], notice: Notice, note: str = "") -> bool:
        self._stale = False
        try:
            action()
        except Refused as exc:
            # refused because the stage or approval changed since this tab read it: what was
            # typed stays, to save again once the tab reads it again
            self._stale = exc.stale
            self.store.error.emit(str(exc))
            notice.show_error(str(exc))
            return False
        if note:
            notice.show_note(note)
        else:
            notice.clear_notice()
        return True

    def add_stage(
        self, name: str, rule: str, percent: int | None = None, approvers: Sequence[str] = ()
    ) -> bool:
        if not self.key:
            return False
        key, name = self.key, name.strip()
        position = len(self.stages_model.rows)
        if not self._run(
            lambda: self.store.edits.add_stage(key, name, rule, percent, approvers, position),
            self.stage_notice,
        ):
            return False
        self.select_stage(name)
        return True

    def add_stage_from_fields(self) -> None:
        rule = self.new_rule.currentData()
        if self.add_stage(
            self.new_name.text(), rule, self.new_percent.value() if rule == "percent" else None
        ):
            self.new_name.clear()

    def rename_stage(self, new: str) -> bool:
        stage = self.current_stage()
        if stage is None or not self.key:
            return False
        key, old, new = self.key, stage.name, new.strip()
        if new == old:
            return True
        version = stage.version  # as this tab read it: refused if the stage changed since
        if not self._run(
            lambda: self.store.edits.rename_stage(key, old, new, version), self.stage_notice
        ):
            if not self._stale:
                self.stage_name.setText(old)
            return False
        self.select_stage(new)
        return True

    def _rename_from_field(self) -> None:
        if not self._loading and self.current_stage() is not None:
            self.rename_stage(self.stage_name.text())

    def set_rule(self, rule: str, percent: int | None = None) -> bool:
        stage = self.current_stage()
        if stage is None or not self.key:
            return False
        if (rule, percent) == (stage.rule, stage.percent):
            return True
        key, name = self.key, stage.name
        text = f"set the rule of {name} to {rule_text(rule, percent)}"
        return self._run(
            lambda: self.store.edits.set_stage_rule(
                key, name, text, rule, percent, stage.rule, stage.percent, stage.version
            ),
            self.stage_notice,
        )

    def _rule_from_fields(self) -> None:
        if self._loading or self.current_stage() is None:
            return
        rule = self.stage_rule.currentData()
        self.stage_percent.setEnabled(rule == "percent")
        self.set_rule(rule, self.stage_percent.value() if rule == "percent" else None)

    def move_stage(self, delta: int) -> bool:
        stage = self.current_stage()
        if stage is None or not self.key:
            return False
        names = [r.name for r in self.stages_model.rows]
        i = names.index(stage.name)
        j = i + delta
        if not 0 <= j < len(names):
            return False
        new = list(names)
        new[i], new[j] = new[j], new[i]
        key = self.key
        text = f"move approval stage {stage.name} {'up' if delta < 0 else 'down'}"
        if not self._run(
            lambda: self.store.edits.reorder_stages(key, text, new, names), self.stage_notice
        ):
            return False
        self.select_stage(stage.name)
        return True

    def remove_stage(self) -> bool:
        stage = self.current_stage()
        if stage is None or not self.key:
            return False
        key, row = self.key, self.stages.currentIndex().row()
        states = {a.email: state_of(a) for a in stage.approvers}
        return self._run(
            lambda: self.store.edits.remove_stage(key, stage, row, states), self.stage_notice
        )

    def add_approver(self, email: str | None = None) -> bool:
        stage = self.current_stage()
        email = email or self.person.currentData()
        if stage is None or not self.key or not email:
            return False
        key, name, who = self.key, stage.name, email
        if not self._run(
            lambda: self.store.edits.add_approver(key, name, who), self.approver_notice
        ):
            return False
        self.select_stage(name, email)
        return True

    def remove_approver(self) -> bool:
        stage, approver = self.current_stage(), self.current_approver()
        if stage is None or approver is None or not self.key:
            return False
        key, name, email = self.key, stage.name, approver.email
        state = state_of(approver)
        return self._run(
            lambda: self.store.edits.remove_approver(key, name, email, state),
            self.approver_notice,
        )

    # --- decisions: undo puts the approval back as it was ------------------------------------------

    def record_decision(self) -> bool:
        stage, approver = self.current_stage(), self.current_approver()
        if stage is None or approver is None or not self.key:
            return False
        decision = self.decision.currentData()
        key, name, email = self.key, stage.name, approver.email
        who = approver.delegated_to_name or approver.name
        verb = dict(DECISIONS)[decision].lower()
        comment = self.comment.text()
        if not self._run(
            lambda: self.store.edits.decide(
                key,
                name,
                email,
                approver.approval_id,
                decision,
                comment,
                f"record {who}'s decision ({verb}) on {name}",
                approver.version,  # as this tab read it: refused if decided or handed on since
            ),
            self.approver_notice,
        ):
            return False
        self.comment.clear()
        self.store.message.emit(f"{who}: {verb} recorded for {name}")
        self.approver_notice.show_note(f"Recorded: {who} — {verb} on {name}.")
        return True

    def delegate(self, email: str | None = None) -> bool:
        stage, approver = self.current_stage(), self.current_approver()
        email = email or self.person.currentData()
        if stage is None or approver is None or not email or not self.key:
            return False
        key, name, who, to = self.key, stage.name, approver.email, email
        if not self._run(
            lambda: self.store.edits.delegate(
                key,
                name,
                who,
                approver.approval_id,
                to,
                f"delegate {approver.name}'s approval on {name} to {to}",
                approver.version,
            ),
            self.approver_notice,
        ):
            return False
        self.approver_notice.show_note(f"{approver.name}'s approval is delegated to {email}.")
        return True
