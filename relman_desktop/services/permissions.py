"""Who may do what (team mode, issue 12): the one place the services consult.

A person signs in as themselves: the plan's ``people.login`` maps a login to a person. The
login is the database role on a server plan (``current_user``), and the acting name
(``Ctx.actor``: the OS user, or ``--actor``) on a file plan. A login mapped to nobody is, on a
file plan, the local user of a single-user plan: a release manager, exactly as before team
mode. On a server it has no rights to change anything until a release manager maps it, except
the role that owns the plan's database (or a superuser), which set the plan up.

What each role may do (``POLICY``):

- anyone mapped, except a viewer, may change the plan (a person whose roles are only
  ``viewer`` or ``stakeholder``, or none, reads and exports only);
- only a release manager transitions releases (and overrides their guards) and edits the
  workflow;
- CAB meetings are run by their chair: a ``cab_chair`` or a release manager;
- an approval is decided only by its approver or the person it was delegated to;
- only a release manager changes a person's roles or login (who signs in as whom).

The checks run in ``base.Ctx.write`` (may this person write at all), ``base.Tx.audit`` (the
kind of write, from the audit event every write records) and ``approvals.decide_tx``. A
refusal is one line naming the person, their role and what they may not do, and the
transaction is rolled back: nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from relman_desktop.models import enums as E
from relman_desktop.models.entities import Person

from .errors import ServiceError


class PermissionDenied(ServiceError):
    """The person signed in may not do this: one line, nothing written."""


class Capability(StrEnum):
    WRITE = "change the plan"
    TRANSITION = "transition releases"
    EDIT_WORKFLOW = "edit the workflow"
    RUN_CAB = "run CAB meetings"
    MANAGE_PEOPLE = "change who signs in as whom, or their roles"


_WRITERS = (
    E.Role.RELEASE_MANAGER,
    E.Role.RELEASE_TEAM,
    E.Role.APPROVER,
    E.Role.CAB_CHAIR,
    E.Role.CAB_MEMBER,
)
POLICY: dict[Capability, frozenset[str]] = {
    Capability.WRITE: frozenset(r.value for r in _WRITERS),
    Capability.TRANSITION: frozenset({E.Role.RELEASE_MANAGER.value}),
    Capability.EDIT_WORKFLOW: frozenset({E.Role.RELEASE_MANAGER.value}),
    Capability.RUN_CAB: frozenset({E.Role.RELEASE_MANAGER.value, E.Role.CAB_CHAIR.value}),
    Capability.MANAGE_PEOPLE: frozenset({E.Role.RELEASE_MANAGER.value}),
}

# The role named in a refusal: the person's most capable one.
_RANK = (
    E.Role.RELEASE_MANAGER,
    E.Role.CAB_CHAIR,
    E.Role.APPROVER,
    E.Role.RELEASE_TEAM,
    E.Role.CAB_MEMBER,
)

# Audit events (entity, action) that need more than WRITE. An entity of the workflow needs
# EDIT_WORKFLOW whatever the action.
_WORKFLOW_ENTITIES = frozenset({"workflow", "workflow_state", "workflow_transition"})
_TRANSITION_ACTIONS = frozenset({"transition", "restore_status", "override"})
_CAB_ACTIONS = frozenset(
    {
        "create",
        "start",
        "close",
        "decide",
        "undo",
        "time",
        "attendance",
        "move_cutoff",
        "move_held_at",
    }
)


@dataclass(frozen=True)
class Identity:
    """Who is signed in: ``login`` as the plan sees it, the person it maps to (``email``,
    None when unmapped) and their roles. ``local``: the unmapped user of a file plan, who
    may do everything (a single-user plan works as it always has)."""

    login: str
    email: str | None
    roles: frozenset[str]
    local: bool = False

    @property
    def actor(self) -> str:
        """The name the audit trail records: the person's email, or the login."""
        return self.email or self.login

    @property
    def role(self) -> str:
        """The role a refusal names ("viewer" for someone who may not write)."""
        if self.local:
            return E.Role.RELEASE_MANAGER.value
        if self.email is None:
            return "not a person of this plan"
        for role in _RANK:
            if role.value in self.roles:
                return role.value
        return E.Role.VIEWER.value

    def can(self, capability: Capability) -> bool:
        if self.local:
            return True
        if E.Role.VIEWER.value in self.roles and E.Role.RELEASE_MANAGER.value not in self.roles:
            return False  # "viewer" wins over a write role given alongside it
        return bool(self.roles & POLICY[capability])

    def refusal(self, what: str) -> str:
        line = f"{self.actor} ({self.role}) may not {what}"
        if self.email is None:
            line += (
                f"; a release manager maps the login to a person "
                f"(relman people login EMAIL {self.login})"
            )
        return line


def login_of(session: Session, actor: str) -> str:
    """The login the plan's connection signs in as: the server's role (``current_user``), or
    the acting name on a file plan (the OS user, or ``--actor``)."""
    if session.get_bind().dialect.name == "postgresql":
        return str(session.execute(text("SELECT current_user")).scalar_one())
    return actor


def identify(session: Session, actor: str) -> Identity:
    """The identity of a connection acting as ``actor``, read from the plan's mapping."""
    login = login_of(session, actor)
    person = session.execute(
        select(Person.email, Person.roles).where(Person.login == login)
    ).first()
    if person is not None:
        return Identity(login, person.email, frozenset(person.roles or ()))
    if session.get_bind().dialect.name == "sqlite":
        return Identity(login, None, frozenset(), local=True)
    # On a server, the role that owns the plan's database (or a superuser) set the plan up:
    # unmapped, it may do everything, so it can map the team's logins to people.
    admin = session.execute(_ADMIN_SQL).scalar_one()
    return Identity(login, None, frozenset(), local=bool(admin))


_ADMIN_SQL = text(
    "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
    " OR (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database())"
    " = current_user"
)


def require(identity: Identity, capability: Capability) -> None:
    if not identity.can(capability):
        raise PermissionDenied(identity.refusal(capability.value))


def check_event(identity: Identity, entity: str, action: str) -> None:
    """Refuse an audited write the identity may not make (see the module's table)."""
    if identity.local:
        return
    if entity in _WORKFLOW_ENTITIES:
        require(identity, Capability.EDIT_WORKFLOW)
    elif entity == "release" and action in _TRANSITION_ACTIONS:
        require(identity, Capability.TRANSITION)
    elif entity in ("cab_meeting", "cab_item") and action in _CAB_ACTIONS:
        require(identity, Capability.RUN_CAB)


def require_decider(identity: Identity, approval: Any) -> None:
    """An approval is decided by its approver, or the person it was delegated to."""
    if identity.local:
        return
    allowed = {approval.approver.email}
    if approval.delegated_to is not None:
        allowed.add(approval.delegated_to.email)
    if identity.email not in allowed:
        whose = approval.approver.email
        raise PermissionDenied(
            f"{identity.actor} ({identity.role}) may not decide {whose}'s approval: only the "
            "approver or their delegate decides it"
        )
