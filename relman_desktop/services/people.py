"""People: who manages, approves, works on and hears about releases."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from relman_desktop.models import enums as E
from relman_desktop.models.entities import Person

from . import locking, permissions
from .base import Ctx, NotFound, ValidationError, operation

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class PersonRow:
    id: int
    email: str
    name: str
    team: str | None
    roles: list[str] = field(default_factory=list)
    # the row_version: a form hands it back with its save (``version=``); not one of the
    # record's values (``as_dict``: what the audit trail and undo see)
    version: int = field(default=0, compare=False)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["version"]
        return d


def _row(p: Person) -> PersonRow:
    return PersonRow(p.id, p.email, p.name, p.team, list(p.roles or []), version=p.row_version)


# Who signs in as whom, and with which rights: only a release manager changes these.
_ACCESS_FIELDS = frozenset({"roles", "login"})
LOGIN_RE = re.compile(r"^[^\s]{1,128}$")


def list_people(ctx: Ctx, role: str | None = None) -> list[PersonRow]:
    with ctx.read() as s:
        rows = [_row(p) for p in s.execute(select(Person).order_by(Person.name)).scalars()]
    return [r for r in rows if role is None or role in r.roles]


def _validated(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in ("email", "name", "team", "roles", "login"):
            raise ValidationError(f"unknown person field {name!r}", field=name)
        if name == "roles":
            roles = list(value or [])
            for role in roles:
                if role not in {r.value for r in E.Role}:
                    allowed = ", ".join(r.value for r in E.Role)
                    raise ValidationError(f"Roles: {role!r} is not one of {allowed}", field="roles")
            out[name] = roles
        else:
            text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
            out[name] = text or None
    if "email" in out and (not out["email"] or not EMAIL_RE.match(out["email"])):
        raise ValidationError(
            f"Email: {fields.get('email')!r} is not an email address", field="email"
        )
    if out.get("login") is not None and not LOGIN_RE.match(out["login"]):
        raise ValidationError(
            f"Login: {fields.get('login')!r} must be one word of at most 128 characters",
            field="login",
        )
    if "name" in out and not out["name"]:
        raise ValidationError("Name must not be empty", field="name")
    return out


@operation
def create_person(ctx: Ctx, fields: dict[str, Any]) -> str:
    values = _validated(fields)
    for required in ("email", "name"):
        if not values.get(required):
            raise ValidationError(f"{required.capitalize()} must not be empty", field=required)
    with ctx.write() as tx:
        s = tx.session
        if values.get("roles") or values.get("login"):
            permissions.require(tx.identity, permissions.Capability.MANAGE_PEOPLE)
        if s.execute(select(Person.id).where(Person.email == values["email"])).first():
            raise ValidationError(
                f"Email: {values['email']} already belongs to someone", field="email"
            )
        p = Person(**{"roles": [], **values})
        s.add(p)
        s.flush()
        tx.audit("person", p.email, "create", None, _row(p).as_dict())
        return p.email


@operation
def update_person(
    ctx: Ctx, email: str, fields: dict[str, Any], *, version: int | None = None
) -> PersonRow:
    """``version``: the person's ``row_version`` as the form loaded it (None: no check)."""
    values = _validated(fields)
    with ctx.write() as tx:
        s = tx.session
        p = s.execute(select(Person).where(Person.email == email)).scalar_one_or_none()
        if p is None:
            raise NotFound(f"no person with email {email!r}")
        locking.check(tx, p, version, label=email, entity="person", entity_id=email)
        if values.get("email") and values["email"] != email:
            if s.execute(select(Person.id).where(Person.email == values["email"])).first():
                raise ValidationError(
                    f"Email: {values['email']} already belongs to someone", field="email"
                )
        if values.get("login") and values["login"] != p.login:
            taken = s.execute(
                select(Person.email).where(Person.login == values["login"])
            ).scalar_one_or_none()
            if taken is not None:
                raise ValidationError(
                    f"Login: {values['login']} already signs in as {taken}", field="login"
                )
        before = {**_row(p).as_dict(), "login": p.login}
        if any(values[k] != getattr(p, k) for k in _ACCESS_FIELDS & values.keys()):
            permissions.require(tx.identity, permissions.Capability.MANAGE_PEOPLE)
        for k, v in values.items():
            setattr(p, k, v)
        s.flush()
        after = {**_row(p).as_dict(), "login": p.login}
        changed = [k for k in values if before[k] != after[k]]
        if changed:
            tx.audit(
                "person",
                p.email,
                "update",
                {k: before[k] for k in changed},
                {k: after[k] for k in changed},
            )
        return _row(p)


@operation
def delete_person(ctx: Ctx, email: str, *, version: int | None = None) -> dict[str, Any]:
    with ctx.write() as tx:
        s = tx.session
        p = s.execute(select(Person).where(Person.email == email)).scalar_one_or_none()
        if p is None:
            raise NotFound(f"no person with email {email!r}")
        locking.check(tx, p, version, label=email, entity="person", entity_id=email)
        before = _row(p).as_dict()
        s.delete(p)
        s.flush()
        tx.audit("person", email, "delete", before, None)
        return before
