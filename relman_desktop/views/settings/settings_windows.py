"""Settings: calendar windows — maintenance windows, freezes, business events, holidays.

Start and end are wall-clock times in the window's own time zone (the service stores UTC beside
the zone name); a recurrence is one RFC 5545 RRULE line, checked by the service before saving.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from relman_desktop.models import enums as E

from ..common.tab_forms import Column, Field, Form, LocalError, choices_of
from ..releases.releases_model import words
from .settings_section import RecordSection

WALL_HINT = "YYYY-MM-DD HH:MM, in the window's time zone"


@functools.lru_cache(maxsize=1)
def _zones() -> list[str]:
    return sorted(available_timezones())


def _wall(value: dt.datetime | None, tzname: str) -> str:
    if value is None:
        return ""
    try:
        tz = ZoneInfo(tzname)
    except Exception:  # an unknown zone in an old plan: show UTC rather than nothing
        tz = ZoneInfo("UTC")
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _parse_wall(text: str | None, label: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise LocalError(f"{label}: {text!r} is not a date and time (YYYY-MM-DD HH:MM)") from None


def _scope(w: Any) -> str:
    return str(w.scope_text)


HARD_FREEZE = "refuse deployments inside it (a hard freeze cannot be overridden)"
ONLY_FREEZES = "only freezes are hard or soft"


def _hardness(w: Any) -> str:
    if w.kind != E.WindowKind.FREEZE:
        return "—"
    return "hard" if w.hard else "soft"


class WindowForm(Form):
    """The window form; "Hard" means something only for a freeze, and says so: on any other kind
    the box is shown empty and disabled, and the stored value is kept for when it is a freeze
    again (a maintenance window does not read as "hard")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._hard = True
        super().__init__(*args, **kwargs)
        self.editors["kind"].currentIndexChanged.connect(self._kind_changed)  # type: ignore[attr-defined]
        self.editors["hard"].toggled.connect(self._hard_toggled)  # type: ignore[attr-defined]
        self.show_hardness()

    def set_values(self, values: dict[str, Any]) -> None:
        self._hard = bool(values.get("hard", self.specs["hard"].default))
        super().set_values(values)
        self.show_hardness()

    def value(self, name: str) -> Any:
        if name == "hard":
            return self._hard
        return super().value(name)

    def _kind_changed(self, _index: int) -> None:
        self.show_hardness()

    def _hard_toggled(self, checked: bool) -> None:
        if self._is_freeze():
            self._hard = checked

    def _is_freeze(self) -> bool:
        return bool(self.editors["kind"].currentData() == E.WindowKind.FREEZE.value)  # type: ignore[attr-defined]

    def show_hardness(self) -> None:
        freeze = self._is_freeze()
        box = self.editors["hard"]
        box.blockSignals(True)
        box.setChecked(self._hard if freeze else False)  # type: ignore[attr-defined]
        box.blockSignals(False)
        box.setText(HARD_FREEZE if freeze else ONLY_FREEZES)  # type: ignore[attr-defined]
        box.setEnabled(freeze)


class WindowsSection(RecordSection):
    title = "Calendar windows"
    noun = "window"
    intro = (
        "Maintenance windows, freezes, business events and holidays. A hard freeze refuses deployments "
        "inside it and cannot be overridden; a soft one warns. Leave the scope empty for a window that "
        "applies to everything."
    )
    signals = ("calendar_changed", "cis_changed")
    form_columns = 1
    columns = (
        Column("Title", lambda w: w.title),
        Column("Kind", lambda w: words(w.kind)),
        Column("Hard", _hardness),
        Column("Start", lambda w: _wall(w.start, w.timezone)),
        Column("End", lambda w: _wall(w.end, w.timezone)),
        Column("Time zone", lambda w: w.timezone),
        Column("Repeats", lambda w: w.rrule),
        Column("Scope", _scope),
    )
    fields = (
        Field("title", "Title"),
        Field("kind", "Kind", "choice", choices_of(E.WindowKind)),
        Field("hard", "Hard", "bool", hint=HARD_FREEZE, default=True),
        Field("timezone", "Time zone", hint="an IANA name, e.g. Europe/Berlin", default="UTC"),
        Field("start", "Start", hint=WALL_HINT),
        Field("end", "End", hint=WALL_HINT),
        Field("rrule", "Repeats (RRULE)", hint="e.g. FREQ=WEEKLY;BYDAY=SA;COUNT=26 — empty: once"),
        Field("environment", "Scope: environment", hint="e.g. production"),
        Field("cis", "Scope: CIs", "list", hint="CI names, separated by commas"),
    )

    def make_form(self) -> Form:
        return WindowForm(self.fields, columns=self.form_columns)

    def records(self) -> list[Any]:
        from relman_desktop.services import cis, windows

        self.form.set_completions("timezone", _zones())
        self.form.set_completions("cis", [c.name for c in self.read(cis.list_cis)])
        return self.read(windows.list_windows)

    def describe(self, record: Any) -> str:
        return f"{words(record.kind)}: {record.title}"

    def form_values(self, record: Any) -> dict[str, Any]:
        return {
            "title": record.title,
            "kind": record.kind,
            "hard": record.hard,
            "timezone": record.timezone,
            "start": _wall(record.start, record.timezone),
            "end": _wall(record.end, record.timezone),
            "rrule": record.rrule,
            "environment": record.environment,
            "cis": list(record.cis),
        }

    def _fields(self, values: dict[str, Any]) -> dict[str, Any]:
        out = dict(values)
        out["timezone"] = values.get("timezone") or "UTC"
        out["start"] = _parse_wall(values.get("start"), "Start")
        out["end"] = _parse_wall(values.get("end"), "End")
        return out

    def check(self, values: dict[str, Any]) -> None:
        for name, label in (("start", "Start"), ("end", "End")):
            try:
                if _parse_wall(values.get(name), label) is None:
                    self.form.show_error(name, f"{label}: a window needs a {name} ({WALL_HINT})")
                    raise LocalError(name)
            except LocalError as exc:
                if not self.form.error_text(name):
                    self.form.show_error(name, str(exc))
                raise

    @staticmethod
    def _snapshot(record: Any) -> dict[str, Any]:
        return {
            "title": record.title,
            "kind": record.kind,
            "hard": record.hard,
            "start": record.start,
            "end": record.end,
            "timezone": record.timezone,
            "rrule": record.rrule,
            "environment": record.environment,
            "cis": list(record.cis),
        }

    def create_record(self, values: dict[str, Any]) -> Any:
        return self.store.edits.add_window(self._fields(values))

    def update_record(self, record: Any, values: dict[str, Any]) -> Any:
        return self.store.edits.update_window(
            record.id, record.title, self._fields(values), self._snapshot(record), record.version
        )

    def remove(self, record: Any) -> None:
        self.store.edits.delete_window(
            record.id, record.title, self._snapshot(record), record.version
        )
