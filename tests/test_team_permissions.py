"""Who may do what (issue 12): people signed in as themselves, refused in one clear line,
nothing written; a single-user plan unchanged (its local user is a release manager)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from helpers_builders import make_person, make_release, make_stage, status_of
from sqlalchemy import create_engine, text
from team_pg import open_server_plan, url_of

from relman_desktop.cli import main
from relman_desktop.services import approvals, audit, lifecycle, people, releases, workflow
from relman_desktop.services.base import Ctx
from relman_desktop.services.permissions import PermissionDenied

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def as_login(plan, login: str) -> Ctx:
    return Ctx(plan, actor=login, clock=lambda: NOW)


@pytest.fixture
def team(plan):
    """A plan with a release manager, two approvers, a CAB chair and a viewer, each mapped to
    a login, and a release REL-1 in Planning with one approval stage."""
    admin = as_login(plan, "admin")  # unmapped on a file plan: the local release manager
    for email, roles, login in (
        ("rm@example.com", ["release_manager"], "rm"),
        ("ana@example.com", ["viewer"], "ana"),
        ("apr@example.com", ["approver"], "apr"),
        ("bob@example.com", ["approver"], "bob"),
        ("chair@example.com", ["cab_chair"], "chair"),
    ):
        make_person(admin, email, roles=roles)
        people.update_person(admin, email, {"login": login})
    make_release(admin, "REL-1", title="Payments")
    stage = make_stage(admin, "REL-1", "Business", approvers=["apr@example.com"])
    return plan, stage


def test_a_single_user_plan_works_as_before(plan) -> None:
    """Nobody mapped: the local user does everything, and the trail names them."""
    me = as_login(plan, "someone")
    make_release(me, "REL-1")
    lifecycle.transition(me, "REL-1", "On Hold")
    workflow.add_state(me, "Hardening", "open")
    assert status_of(me, "REL-1") == "On Hold"
    assert me.identity().role == "release_manager"
    assert audit.history(me, "REL-1")[0].actor == "someone"


def test_a_viewer_reads_and_writes_nothing(team) -> None:
    plan, _ = team
    ana = as_login(plan, "ana")
    assert [r.key for r in releases.list_releases(ana)] == ["REL-1"]
    before = audit.head(ana)
    with pytest.raises(PermissionDenied) as refused:
        releases.update_release(ana, "REL-1", {"title": "Hacked"})
    assert str(refused.value) == "ana@example.com (viewer) may not change the plan"
    with pytest.raises(PermissionDenied, match=r"ana@example.com \(viewer\) may not"):
        lifecycle.transition(ana, "REL-1", "On Hold")
    assert releases.get_release(ana, "REL-1").title == "Payments"
    assert audit.head(ana) == before  # nothing written, not even an event


def test_only_release_managers_transition_and_edit_the_workflow(team) -> None:
    plan, _ = team
    bob = as_login(plan, "bob")
    with pytest.raises(PermissionDenied) as refused:
        lifecycle.transition(bob, "REL-1", "On Hold")
    assert str(refused.value) == "bob@example.com (approver) may not transition releases"
    with pytest.raises(PermissionDenied, match=r"\(approver\) may not edit the workflow"):
        workflow.add_state(bob, "Hardening", "open")
    assert "Hardening" not in [s.name for s in workflow.list_states(bob)]
    assert status_of(bob, "REL-1") == "Planning"
    # an approver still edits the release's contents
    releases.update_release(bob, "REL-1", {"scope": "card payments"})
    rm = as_login(plan, "rm")
    assert lifecycle.transition(rm, "REL-1", "On Hold") == "On Hold"
    history = audit.history(rm, "REL-1")
    assert [(e.actor, e.action) for e in history[:2]] == [
        ("rm@example.com", "transition"),
        ("bob@example.com", "update"),
    ]


def test_an_approval_is_decided_by_its_approver_or_their_delegate(team) -> None:
    plan, stage = team
    rm, bob, apr = (as_login(plan, x) for x in ("rm", "bob", "apr"))
    aid = approvals.approval_id_for(rm, "REL-1", "Business", "apr@example.com")
    for who in (bob, rm):  # another approver, and even a release manager, may not
        with pytest.raises(PermissionDenied) as refused:
            approvals.decide(who, aid, "approved")
        assert "only the approver or their delegate decides it" in str(refused.value)
    assert approvals.approval_state(rm, aid)["decision"] == "pending"
    approvals.delegate(apr, aid, "bob@example.com")
    assert approvals.decide(bob, aid, "approved") == "approved"
    decided = [e for e in audit.history(rm, "REL-1") if e.action == "decide"]
    assert [(e.actor, e.entity_id) for e in decided] == [("bob@example.com", str(aid))]


def test_cab_chair_runs_meetings_an_approver_does_not(team) -> None:
    from relman_desktop.services import cab

    plan, _ = team
    chair, bob = as_login(plan, "chair"), as_login(plan, "bob")
    held = NOW + dt.timedelta(days=3)
    with pytest.raises(PermissionDenied, match=r"bob@example.com \(approver\) may not run CAB"):
        cab.create_meeting(bob, title="Weekly CAB", held_at=held)
    meeting = cab.create_meeting(chair, title="Weekly CAB", held_at=held)
    assert [m.title for m in cab.list_meetings(chair)] == ["Weekly CAB"]
    assert meeting is not None


def test_only_a_release_manager_hands_out_logins_and_roles(team) -> None:
    plan, _ = team
    bob = as_login(plan, "bob")
    with pytest.raises(PermissionDenied, match="may not change who signs in as whom"):
        people.update_person(bob, "bob@example.com", {"roles": ["release_manager"]})
    with pytest.raises(PermissionDenied):
        people.update_person(bob, "rm@example.com", {"login": "bob2"})
    people.update_person(bob, "bob@example.com", {"team": "Payments"})  # a plain edit is fine
    assert bob.identity().role == "approver"


def test_cli_refusal_is_one_line_with_exit_status_2(team, plan_path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--plan", str(plan_path), "--actor", "ana", "transition", "REL-1", "On Hold"],
        out,
        err,
    )
    assert code == 2
    assert err.getvalue() == "relman: ana@example.com (viewer) may not transition releases\n"
    out = io.StringIO()
    assert main(["--plan", str(plan_path), "--actor", "bob", "whoami"], out, io.StringIO()) == 0
    assert out.getvalue() == "bob@example.com (approver), signed in as bob\n"
    err = io.StringIO()
    code = main(
        ["--plan", str(plan_path), "--actor", "rm", "people", "login", "bob@example.com", "rm"],
        io.StringIO(),
        err,
    )
    assert code == 2
    assert err.getvalue() == "relman: Login: rm already signs in as rm@example.com\n"


def test_server_plan_signs_people_in_by_their_database_role(pg_plan) -> None:
    """On PostgreSQL the login is the connection's role, whatever name the client claims."""
    url = url_of(pg_plan)
    admin = Ctx(pg_plan, actor="admin", clock=lambda: NOW)  # the database's owner: set-up
    make_person(admin, "ana@example.com", roles=["viewer"])
    make_person(admin, "rm@example.com", roles=["release_manager"])
    people.update_person(admin, "ana@example.com", {"login": "relman_ana"})
    people.update_person(admin, "rm@example.com", {"login": "relman_rm"})
    make_release(admin, "REL-1")
    server = url.rsplit("/", 1)[0]
    owner = create_engine(url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        for role in ("relman_ana", "relman_rm", "relman_nobody"):
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
            conn.execute(text(f"CREATE ROLE {role} LOGIN"))
            conn.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
            conn.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    owner.dispose()
    db = url.rsplit("/", 1)[1]
    plans = {
        r: open_server_plan(f"{server.replace('postgres@', f'{r}@')}/{db}")
        for r in ("relman_ana", "relman_rm", "relman_nobody")
    }
    try:
        ana = Ctx(plans["relman_ana"], actor="rm@example.com", clock=lambda: NOW)  # a false claim
        with pytest.raises(PermissionDenied) as refused:
            lifecycle.transition(ana, "REL-1", "On Hold")
        assert str(refused.value) == "ana@example.com (viewer) may not transition releases"
        nobody = Ctx(plans["relman_nobody"], clock=lambda: NOW)
        with pytest.raises(PermissionDenied) as refused:
            releases.update_release(nobody, "REL-1", {"title": "x"})
        assert str(refused.value) == (
            "relman_nobody (not a person of this plan) may not change the plan; a release "
            "manager maps the login to a person (relman people login EMAIL relman_nobody)"
        )
        rm = Ctx(plans["relman_rm"], actor="whoever", clock=lambda: NOW)
        lifecycle.transition(rm, "REL-1", "On Hold")
        assert audit.history(rm, "REL-1")[0].actor == "rm@example.com"
        assert audit.verify(rm).ok
    finally:
        for p in plans.values():
            p.close()
        engine = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            for role in ("relman_ana", "relman_rm", "relman_nobody"):
                c.execute(text(f"DROP ROLE IF EXISTS {role}"))
        engine.dispose()
