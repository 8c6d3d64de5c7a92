"""Settings: people, and configuration items with their parents (a loop is refused, named)."""

from __future__ import annotations

from typing import Any

from relman_desktop.models import enums as E

from ..common.tab_forms import Column, Field, choices_of
from ..releases.releases_model import words
from ..shell.commands import Refused
from .settings_section import RecordSection, changed


class PeopleSection(RecordSection):
    title = "People"
    noun = "person"
    intro = "Who manages, approves, works on and hears about releases. The e-mail address is how the plan knows them."
    signals = ("people_changed",)
    columns = (
        Column("Name", lambda p: p.name),
        Column("Email", lambda p: p.email),
        Column("Team", lambda p: p.team),
        Column("Roles", lambda p: ", ".join(words(r) for r in p.roles) or None),
    )
    fields = (
        Field("name", "Name"),
        Field("email", "Email", hint="name@example.com"),
        Field("team", "Team"),
        Field("roles", "Roles", "checks", choices_of(E.Role, upper=())),
    )

    def records(self) -> list[Any]:
        from relman_desktop.services import people

        return self.read(people.list_people)

    def identity(self, record: Any) -> Any:
        return record.email

    def describe(self, record: Any) -> str:
        return f"{record.name} <{record.email}>"

    def create_record(self, values: dict[str, Any]) -> Any:
        return self.store.edits.add_person(values)

    def update_record(self, record: Any, values: dict[str, Any]) -> Any:
        old = self.form_values(record)
        diff = changed(values, old)
        if not diff:
            return record.email
        # the version the form was filled from: refused if someone saved the person since
        return self.store.edits.update_person(record.email, diff, old, record.version)

    def remove(self, record: Any) -> None:
        before = {k: v for k, v in self.form_values(record).items() if k != "id"}
        self.store.edits.delete_person(record.email, before, record.version)


class CISection(RecordSection):
    title = "CIs"
    noun = "CI"
    intro = (
        "Configuration items and their parent/child relations. A parent that would make a loop "
        "(a CI above itself) is refused, with the loop named."
    )
    signals = ("cis_changed", "people_changed")
    columns = (
        Column("Name", lambda c: c.name),
        Column("Class", lambda c: words(c.ci_class)),
        Column("Environment", lambda c: c.environment),
        Column("Owner", lambda c: c.owner_email),
        Column("Criticality", lambda c: words(c.criticality)),
        Column("Maint. window", lambda c: c.requires_maintenance_window),
        Column("Parents", lambda c: ", ".join(c.parents) or None),
        Column("Children", lambda c: ", ".join(c.children) or None),
    )
    fields = (
        Field("name", "Name"),
        Field("ci_class", "Class", "choice", choices_of(E.CIClass)),
        Field("environment", "Environment", hint="e.g. production"),
        Field("owner_email", "Owner", hint="e-mail of a person in the plan"),
        Field("criticality", "Criticality", "choice", choices_of(E.Level), default="medium"),
        Field(
            "requires_maintenance_window",
            "Maintenance",
            "bool",
            hint="changes need a maintenance window",
        ),
        Field("parents", "Parents", "list", hint="names of parent CIs, separated by commas"),
    )

    def records(self) -> list[Any]:
        from relman_desktop.services import cis

        rows = self.read(cis.list_cis)
        self.form.set_completions("owner_email", [p.email for p in self.store.people()])
        self.form.set_completions("parents", [r.name for r in rows])
        return rows

    def identity(self, record: Any) -> Any:
        return record.name

    def describe(self, record: Any) -> str:
        return f"CI {record.name}"

    def form_values(self, record: Any) -> dict[str, Any]:
        values = dict(vars(record))
        values.pop("children", None)
        values.pop("id", None)
        values.pop("version", None)  # goes with a save, not in the form
        return values

    def create_record(self, values: dict[str, Any]) -> Any:
        try:
            return self.store.edits.add_ci(values)
        except Refused as exc:
            raise _loop_under_parents(exc) from None

    def update_record(self, record: Any, values: dict[str, Any]) -> Any:
        old = self.form_values(record)
        diff = changed(values, old)
        if "parents" in diff and sorted(diff["parents"]) == sorted(old["parents"]):
            del diff["parents"]
        if not diff:
            return record.name
        try:
            return self.store.edits.update_ci(record.name, diff, old, record.version)
        except Refused as exc:
            raise _loop_under_parents(exc) from None

    def remove(self, record: Any) -> None:
        before = self.form_values(record)
        # Undo brings the CI back with its parents, and puts it back above each of its children.
        parents_of = {r.name: list(r.parents) for r in self.model.rows}
        self.store.edits.delete_ci(record.name, before, record.children, parents_of, record.version)


def _loop_under_parents(exc: Refused) -> Refused:
    """A loop (CycleError) names no field: it is about the parents."""
    if exc.field is None and "loop" in str(exc):
        return Refused(f"Parents: {exc}", "parents")
    return exc
