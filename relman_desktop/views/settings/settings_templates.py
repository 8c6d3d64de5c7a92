"""Settings: release templates and when/if/then rules.

A template's body (tasks with working-day offsets, durations and dependencies; approval stages;
required tests; rollback rehearsal age) is edited as a structured form (``template_body``), with
a readable outline of it beside the list; the service checks it and names the first bad field by
its path (``tasks[2].duration_days``), which the form shows at that row and cell. Rules are edited
as structured rows: conditions (field, comparison, value) and actions (what, details).
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout

from relman_desktop.models import enums as E
from relman_desktop.services import rules, templates

from ..common.tab_forms import Column, Field, LocalError, choices_of
from ..releases.releases_model import words
from ..shell.commands import Refused
from .settings_rows import Row, RowList, combo, line, set_combo
from .settings_section import RecordSection
from .template_body import EMPTY_BODY, TemplateBodyEditor


def outline(body: Any) -> str:
    """The body in words (rich text), so a reader need not parse JSON to check a template."""
    if not isinstance(body, dict):
        return ""
    parts = []
    tasks = body.get("tasks") or []
    if tasks:
        items = []
        for t in tasks:
            if not isinstance(t, dict):
                continue
            deps = ", ".join(
                f"{d.get('type', 'FS')} {d.get('task')}"
                + (f" {d.get('lag_days'):+d}d" if d.get("lag_days") else "")
                for d in t.get("depends_on") or []
                if isinstance(d, dict)
            )
            items.append(
                f"<li><b>{html.escape(str(t.get('id')))}</b> {html.escape(str(t.get('title')))} "
                f"({html.escape(str(t.get('phase')))}): day {t.get('offset_days', 0)}, "
                f"{t.get('duration_days', 1)} day(s)"
                + (f"; after {html.escape(deps)}" if deps else "")
                + "</li>"
            )
        parts.append(f"<b>Tasks</b><ul>{''.join(items)}</ul>")
    stages = body.get("approval_stages") or []
    if stages:
        items = [
            f"<li>{html.escape(str(s.get('name')))} — {html.escape(str(s.get('rule', 'all')))}"
            + (f" {s.get('percent')}%" if s.get("percent") else "")
            + (
                ": " + html.escape(", ".join(s.get("approvers") or []))
                if s.get("approvers")
                else ""
            )
            + "</li>"
            for s in stages
            if isinstance(s, dict)
        ]
        parts.append(f"<b>Approval stages</b><ul>{''.join(items)}</ul>")
    tests = body.get("required_tests") or []
    if tests:
        parts.append("<b>Required tests:</b> " + html.escape(", ".join(map(str, tests))))
    if body.get("rollback_rehearsal_days"):
        parts.append(f"<br><b>Rollback rehearsed within</b> {body['rollback_rehearsal_days']} days")
    return "".join(parts) or "An empty template: no tasks, stages or required tests."


class TemplatesSection(RecordSection):
    title = "Templates"
    noun = "template"
    intro = (
        "Release patterns: tasks placed by working-day offset and duration with their dependencies "
        "(FS/SS/FF/SF, lag), approval stages with their rule and approvers, and the required tests."
    )
    signals = ("templates_changed", "people_changed")
    columns = (
        Column("Name", lambda t: t.name),
        Column("Release type", lambda t: words(t.release_type)),
        Column("Days", lambda t: t.default_duration_days, True),
        Column("Tasks", lambda t: len(t.body.get("tasks", [])), True),
        Column("Stages", lambda t: len(t.body.get("approval_stages", [])), True),
        Column("Required tests", lambda t: ", ".join(t.body.get("required_tests", [])) or None),
    )
    fields = (
        Field("name", "Name"),
        Field("release_type", "Release type", "choice", choices_of(E.ReleaseType)),
        Field("default_duration_days", "Default duration (days)", "int", default=10),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.body = TemplateBodyEditor()
        self.extra.addWidget(self.body)
        # The outline sums the template up in words under the list, where it does not push the form down.
        self.outline = QLabel()
        self.outline.setObjectName("template_outline")
        self.outline.setWordWrap(True)
        self.outline.setTextFormat(Qt.TextFormat.RichText)
        self.outline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outline.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.outline.setMargin(4)
        outline_scroll = QScrollArea()
        outline_scroll.setObjectName("template_outline_scroll")
        outline_scroll.setWidgetResizable(True)
        outline_scroll.setWidget(self.outline)
        left = self.splitter.widget(0)
        column = left.layout() if left is not None else None
        assert isinstance(column, QVBoxLayout)  # RecordSection's list column
        column.setStretchFactor(self.table, 1)
        column.addWidget(outline_scroll, 3)
        self.body.edited.connect(self._refresh_outline)
        self.body.set_value(EMPTY_BODY)
        self.splitter.setSizes(
            [1500, 3500]
        )  # the body's tables need the room more than the list does

    def _refresh_outline(self) -> None:
        self.outline.setText(outline(self.body.draft()))

    def draft_state(self) -> Any:
        return self.body.draft()

    def record_selected(self, record: Any) -> None:
        self.body.set_value(record.body if record is not None else EMPTY_BODY)

    def records(self) -> list[Any]:

        self.body.set_people(self.store.people() if self.store.has_plan else [])
        return self.read(templates.list_templates)

    def identity(self, record: Any) -> Any:
        return record.name

    def form_values(self, record: Any) -> dict[str, Any]:
        return {
            "name": record.name,
            "release_type": record.release_type,
            "default_duration_days": record.default_duration_days,
            "body": record.body,
        }

    def check(self, values: dict[str, Any]) -> None:
        values["body"] = self.body.value()

    def show_refusal(self, exc: Refused) -> None:
        self.body.clear_errors()
        if not self.body.show_refusal(exc.field, str(exc)):
            super().show_refusal(exc)

    def create_record(self, values: dict[str, Any]) -> Any:
        return self.store.edits.add_template(
            values.get("name") or "",
            values["release_type"],
            values["body"] or {},
            values["default_duration_days"],
        )

    def update_record(self, record: Any, values: dict[str, Any]) -> Any:
        return self.store.edits.update_template(
            record.name, values, self.form_values(record), record.version
        )

    def remove(self, record: Any) -> None:
        self.store.edits.delete_template(record)


# --- rules ------------------------------------------------------------------------------------------------

CONDITION_FIELDS = (
    "type",
    "risk",
    "priority",
    "application",
    "status",
    "tests_passed",
    "max_ci_criticality",
    "change_count",
)
OPS = (
    ("is", "eq"),
    ("is not", "ne"),
    ("is one of", "in"),
    ("is none of", "not_in"),
    ("at least", "gte"),
    ("at most", "lte"),
)
ACTION_HINTS = {
    "auto_approve_stage": "stage=CAB",
    "add_stage": "name=Security; rule=all; approvers=ann@example.com, bo@example.com",
    "assign_phase": "phase=deploy; person=ann@example.com",
    "require_test": "kind=security",
    "set_field": "field=priority; value=high",
}
LIST_KEYS = {"approvers"}
INT_KEYS = {"percent"}


def _scalar(field: str, text: str) -> Any:
    text = text.strip()
    if field == "tests_passed":
        low = text.lower()
        if low in ("true", "yes", "passed"):
            return True
        if low in ("false", "no", "failed"):
            return False
        raise LocalError(f"tests passed is yes or no, not {text!r}")
    if field == "change_count":
        try:
            return int(text)
        except ValueError:
            raise LocalError(f"change count is a whole number, not {text!r}") from None
    return text


def _show_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


class ConditionRow(Row):
    def __init__(self) -> None:
        super().__init__()
        self.field = combo([(words(f), f) for f in CONDITION_FIELDS], "condition_field")
        self.op = combo(OPS, "condition_op")
        self.field.setMinimumContentsLength(12)
        self.op.setMinimumContentsLength(7)
        self.value = line("value (a list: separate with commas)", "condition_value")
        self.value.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 9)
        self.line.addWidget(self.field, 3)
        self.line.addWidget(self.op, 2)
        self.line.addWidget(self.value, 3)
        self.finish()

    def get(self) -> dict[str, Any]:
        field, op, text = self.field.currentData(), self.op.currentData(), self.value.text()
        if op in ("in", "not_in"):
            value: Any = [_scalar(field, part) for part in text.split(",") if part.strip()]
        elif not text.strip() and field in ("application", "max_ci_criticality"):
            value = None
        else:
            value = _scalar(field, text)
        return {"field": field, "op": op, "value": value}

    def set(self, value: dict[str, Any]) -> None:
        set_combo(self.field, value.get("field"))
        set_combo(self.op, value.get("op", "eq"))
        v = value.get("value")
        self.value.setText(
            ", ".join(_show_scalar(x) for x in v) if isinstance(v, list) else _show_scalar(v)
        )


class ActionRow(Row):
    def __init__(self) -> None:
        super().__init__()
        self.action = combo([(words(a), a) for a in ACTION_HINTS], "action_kind")
        self.action.setMinimumContentsLength(18)
        self.details = line(ACTION_HINTS["auto_approve_stage"], "action_details")
        self.action.currentIndexChanged.connect(self._hint)
        self.line.addWidget(self.action, 2)
        self.line.addWidget(self.details, 3)
        self.finish()

    def _hint(self) -> None:
        hint = ACTION_HINTS.get(self.action.currentData(), "")
        self.details.setPlaceholderText(hint)
        self.details.setToolTip(hint)

    def get(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action.currentData()}
        for part in self.details.text().split(";"):
            if not part.strip():
                continue
            key, sep, value = part.partition("=")
            key = key.strip()
            if not sep or not key:
                raise LocalError(
                    f"write the details as name=value pairs separated by ';', e.g. "
                    f"{ACTION_HINTS[out['action']]}"
                )
            value = value.strip()
            if key in LIST_KEYS:
                out[key] = [v.strip() for v in value.split(",") if v.strip()]
            elif key in INT_KEYS:
                try:
                    out[key] = int(value) if value else None
                except ValueError:
                    raise LocalError(f"{key} is a whole number, not {value!r}") from None
            else:
                out[key] = value or None
        return out

    def set(self, value: dict[str, Any]) -> None:
        set_combo(self.action, value.get("action"))
        self._hint()
        parts = []
        for key, v in value.items():
            if key == "action" or v is None:
                continue
            parts.append(f"{key}={', '.join(v) if isinstance(v, list) else v}")
        self.details.setText("; ".join(parts))


def _rule_text(items: list[dict[str, Any]], kind: str) -> str:
    if kind == "if":
        ops = dict((v, k) for k, v in OPS)
        return (
            " and ".join(
                f"{words(c['field']).lower()} {ops.get(c['op'], c['op'])} "
                f"{', '.join(map(_show_scalar, c['value'])) if isinstance(c['value'], list) else _show_scalar(c['value']) or 'nothing'}"
                for c in items
            )
            or "always"
        )
    return "; ".join(
        words(a["action"]).lower()
        + " "
        + " ".join(str(v) for k, v in a.items() if k != "action" and v not in (None, []))
        for a in items
    )


class RulesSection(RecordSection):
    title = "Rules"
    noun = "rule"
    intro = "When something happens to a release, if its facts match, then act — in list order, each rule once per release."
    signals = ("rules_changed", "workflow_changed", "people_changed")
    stretch_column = "Name"
    columns = (
        Column("On", lambda r: r.enabled),
        Column("Name", lambda r: r.name),
        Column("When", lambda r: words(r.event)),
        Column("If", lambda r: _rule_text(r.conditions, "if")),
        Column("Then", lambda r: _rule_text(r.actions, "then")),
    )
    column_width = 170
    fields = (
        Field("name", "Name"),
        Field("event", "When", "choice", choices_of(E.RuleEvent)),
        Field("enabled", "Enabled", "bool", hint="the rule acts", default=True),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conditions = RowList(
            "If (all of these hold)", "Add condition", ConditionRow, "conditions"
        )
        self.action_rows = RowList("Then", "Add action", ActionRow, "actions")
        self.extra.addWidget(self.conditions)
        self.extra.addWidget(self.action_rows)

    def records(self) -> list[Any]:

        return self.read(rules.list_rules)

    def describe(self, record: Any) -> str:
        return f"Rule: {record.name}"

    def form_values(self, record: Any) -> dict[str, Any]:
        return {"name": record.name, "event": record.event, "enabled": record.enabled}

    def record_selected(self, record: Any) -> None:
        self.conditions.set_values(record.conditions if record else [])
        self.action_rows.set_values(record.actions if record else [])

    def check(self, values: dict[str, Any]) -> None:
        self.conditions.clear_error()
        self.action_rows.clear_error()
        values["conditions"] = self.conditions.values()
        values["actions"] = self.action_rows.values()

    def show_refusal(self, exc: Refused) -> None:
        where = (exc.field or "").split("[", 1)[0]
        if where == "conditions":
            self.conditions.show_error(str(exc))
        elif where == "actions":
            self.action_rows.show_error(str(exc))
        else:
            super().show_refusal(exc)

    def create_record(self, values: dict[str, Any]) -> Any:
        return self.store.edits.add_rule(values)

    def update_record(self, record: Any, values: dict[str, Any]) -> Any:
        return self.store.edits.update_rule(record, values)

    def remove(self, record: Any) -> None:
        self.store.edits.delete_rule(record)
