"""A record changed underneath a form that is being edited (another window, the ``relman``
command, an undo): nothing typed is lost, nothing is silently saved over the other change.

``refill(form, old, new)`` replaces ``form.set_values(new)`` when the form was filled from
``old`` (both as the form's ``set_values`` takes them). A field the user has not touched shows
the new value; a field they typed in keeps the typing; where that field also changed underneath
(to something other than what was typed), the field says so, the form's top line names the
fields, and ``refill`` returns their labels (the caller tells the status bar). The next Save
then writes the typing over the other change knowingly; Revert, or choosing the record again
after discarding, shows the plan's values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QComboBox, QPlainTextEdit

from .tab_forms import Field, Form, show_moment


def _shown(form: Form, spec: Field, value: Any) -> Any:
    """What ``form``'s editor for ``spec`` shows for ``value`` (as ``field_state`` reads it)."""
    if spec.kind == "choice":
        combo = form.editors[spec.name]
        assert isinstance(combo, QComboBox)
        return max(0, combo.findData("" if value is None else value))
    if spec.kind == "bool":
        return bool(value)
    if spec.kind == "checks":
        return sorted(key for key in form._checks[spec.name] if key in (value or []))
    if spec.kind == "json":
        return "" if value is None else json.dumps(value, indent=2)
    if spec.kind == "multiline":
        return value or ""
    if spec.kind == "moment":
        return show_moment(value, form._tz())
    if spec.kind == "list":
        return ", ".join(value or [])
    return "" if value is None else str(value)


def field_state(form: Form, name: str) -> Any:
    """What the editor of field ``name`` shows now (typed text, chosen index, ticks)."""
    spec = form.specs[name]
    w = form.editors[name]
    if spec.kind == "choice":
        assert isinstance(w, QComboBox)
        return w.currentIndex()
    if spec.kind == "bool":
        return bool(w.isChecked())  # type: ignore[attr-defined]
    if spec.kind == "checks":
        return sorted(key for key, box in form._checks[name].items() if box.isChecked())
    if isinstance(w, QPlainTextEdit):
        return w.toPlainText()
    return w.text()  # type: ignore[attr-defined]


def touched(form: Form, values: Mapping[str, Any]) -> list[str]:
    """The fields whose editors no longer show ``values`` (what the form was filled with)."""
    return [
        name
        for name, spec in form.specs.items()
        if field_state(form, name) != _shown(form, spec, values.get(name, spec.default))
    ]


def refill(form: Form, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Show ``new`` in a form filled from ``old`` without losing what was typed; the labels of
    the fields where the typing clashes with a change made underneath (see the module)."""
    typed = set(touched(form, old))
    if not typed:
        form.set_values(dict(new))
        return []
    clashes = []
    for name, spec in form.specs.items():
        theirs = new.get(name, spec.default)
        if theirs == old.get(name, spec.default):
            continue
        if name not in typed:
            form._show(spec, theirs)
            continue
        if field_state(form, name) == _shown(form, spec, theirs):
            continue  # what was typed is what the plan now holds (this very edit, saved)
        clashes.append(spec.label)
        shown = _shown(form, spec, theirs)
        if spec.kind == "choice":
            combo = form.editors[name]
            assert isinstance(combo, QComboBox)
            shown = combo.itemText(shown)
        elif spec.kind == "bool":
            shown = "on" if shown else "off"
        elif spec.kind == "checks":
            shown = ", ".join(shown)
        form.show_error(
            name,
            f"{spec.label} was changed elsewhere to “{shown or '(empty)'}” while you were "
            "editing; your value is kept here: Save writes it over theirs",
        )
    if clashes:
        form.show_error(
            None,
            "Changed elsewhere while you were editing: "
            f"{', '.join(clashes)}. Nothing of yours was saved over it yet.",
        )
    return clashes
