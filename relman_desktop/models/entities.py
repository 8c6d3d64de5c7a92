"""SQLAlchemy 2.0 entities for every fact of PRODUCT.md §3.

Portable SQL only: nothing here is SQLite-specific (the plan-file module owns that), so the
same schema serves a PostgreSQL server later. Times are stored as naive UTC and handed back
timezone-aware (``UTCDateTime``); enumerations are CHECK-constrained strings.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from . import enums as E

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC (portable)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: times must carry a time zone")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            # a server's driver hands back naive datetimes (UTC as stored): one call each
            utc = dt.UTC

            def aware(value: dt.datetime | None) -> dt.datetime | None:
                return None if value is None else value.replace(tzinfo=utc)

            return aware
        # SQLite hands back the stored ISO text: one C call makes the aware datetime (the
        # releases list reads 20,000 of these).
        parse = dt.datetime.fromisoformat

        def process(value: str | None) -> dt.datetime | None:
            return None if value is None else parse(value + "+00:00")

        return process


def enum_col(enum_cls: type[StrEnum], name: str) -> Enum:
    """A CHECK-constrained string column holding the enum's values (not its member names)."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- people -------------------------------------------------------------------------------


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Team mode (issue 12): the login that signs in as this person (a database role on a server
    # plan, the OS user or --actor on a file plan); see services/permissions.py.
    login: Mapped[str | None] = mapped_column(String(128), unique=True, index=True)
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    __table_args__ = (
        CheckConstraint("length(email) > 2", name="email_not_empty"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )


# --- configuration items ----------------------------------------------------------------------

ci_relations = Table(
    "ci_relations",
    Base.metadata,
    Column("parent_id", ForeignKey("configuration_items.id", ondelete="CASCADE"), primary_key=True),
    Column("child_id", ForeignKey("configuration_items.id", ondelete="CASCADE"), primary_key=True),
    CheckConstraint("parent_id <> child_id", name="not_self"),
)


class ConfigurationItem(Base):
    __tablename__ = "configuration_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    ci_class: Mapped[E.CIClass] = mapped_column(enum_col(E.CIClass, "ci_class"))
    environment: Mapped[str | None] = mapped_column(String(100))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    criticality: Mapped[E.Level] = mapped_column(
        enum_col(E.Level, "criticality"), default=E.Level.MEDIUM
    )
    requires_maintenance_window: Mapped[bool] = mapped_column(Boolean, default=False)
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    parents: Mapped[list[ConfigurationItem]] = relationship(
        secondary=ci_relations,
        primaryjoin=lambda: ConfigurationItem.id == ci_relations.c.child_id,
        secondaryjoin=lambda: ConfigurationItem.id == ci_relations.c.parent_id,
        back_populates="children",
    )
    children: Mapped[list[ConfigurationItem]] = relationship(
        secondary=ci_relations,
        primaryjoin=lambda: ConfigurationItem.id == ci_relations.c.parent_id,
        secondaryjoin=lambda: ConfigurationItem.id == ci_relations.c.child_id,
        back_populates="parents",
    )

    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)


# --- workflow ---------------------------------------------------------------------------------


class WorkflowState(Base):
    __tablename__ = "workflow_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking (issue 12): bumped by every ORM update (the mapper's version_id_col),
    # so a write carrying an older number is refused (services/locking.py).
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    category: Mapped[E.StateCategory] = mapped_column(enum_col(E.StateCategory, "state_category"))
    color: Mapped[str | None] = mapped_column(String(16))
    # What the state means (StateRole); None: a custom state no built-in rule recognises.
    role: Mapped[E.StateRole | None] = mapped_column(
        enum_col(E.StateRole, "state_role"), nullable=True
    )


class WorkflowTransition(Base):
    """From a state to a state, with the guards it needs.

    ``from_state_id`` NULL means "from any open state" (On Hold, Cancelled); ``to_state_id``
    NULL means "back to the state the release was in before" (leaving On Hold).
    ``guards`` is a list of ``{"guard": name, "param": str|None, "soft": bool}``.
    """

    __tablename__ = "workflow_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking (issue 12): bumped by every ORM update (the mapper's version_id_col),
    # so a write carrying an older number is refused (services/locking.py).
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    from_state_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflow_states.id", ondelete="CASCADE")
    )
    to_state_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflow_states.id", ondelete="CASCADE")
    )
    label: Mapped[str | None] = mapped_column(String(100))
    guards: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    from_state: Mapped[WorkflowState | None] = relationship(foreign_keys=[from_state_id])
    to_state: Mapped[WorkflowState | None] = relationship(foreign_keys=[to_state_id])

    __table_args__ = (
        UniqueConstraint("from_state_id", "to_state_id", name="uq_workflow_transitions_pair"),
        CheckConstraint("from_state_id IS NOT NULL OR to_state_id IS NOT NULL", name="has_an_end"),
    )


# --- templates and rules ------------------------------------------------------------------------


class Template(Base):
    """A release pattern. ``body`` holds tasks (offsets and durations in working days,
    dependencies, phase, role), approval stages, required test kinds and rollback rehearsal age."""

    __tablename__ = "templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    release_type: Mapped[E.ReleaseType] = mapped_column(enum_col(E.ReleaseType, "release_type"))
    default_duration_days: Mapped[int] = mapped_column(Integer, default=10)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    __table_args__ = (CheckConstraint("default_duration_days >= 1", name="duration_positive"),)


class Rule(Base):
    """Declarative when/if/then: ``conditions`` and ``actions`` are data, never code."""

    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    event: Mapped[E.RuleEvent] = mapped_column(enum_col(E.RuleEvent, "rule_event"))
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}


# --- releases -----------------------------------------------------------------------------------


class Release(Base):
    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking (issue 12): bumped by every ORM update (the mapper's version_id_col),
    # so a write carrying an older number is refused (services/locking.py).
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    version: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[E.ReleaseType] = mapped_column(enum_col(E.ReleaseType, "release_type"))
    priority: Mapped[E.Level] = mapped_column(enum_col(E.Level, "priority"), default=E.Level.MEDIUM)
    risk: Mapped[E.Level] = mapped_column(enum_col(E.Level, "risk"), default=E.Level.MEDIUM)
    application: Mapped[str | None] = mapped_column(String(200), index=True)
    status_id: Mapped[int] = mapped_column(
        ForeignKey("workflow_states.id", ondelete="RESTRICT"), index=True
    )
    previous_status_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflow_states.id", ondelete="SET NULL")
    )
    scope: Mapped[str | None] = mapped_column(Text)
    objectives: Mapped[str | None] = mapped_column(Text)
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    planned_start: Mapped[dt.date | None] = mapped_column(Date)
    planned_end: Mapped[dt.date | None] = mapped_column(Date)
    deploy_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deploy_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    actual_start: Mapped[dt.date | None] = mapped_column(Date)
    actual_end: Mapped[dt.date | None] = mapped_column(Date)
    strategy: Mapped[E.StrategyKind | None] = mapped_column(enum_col(E.StrategyKind, "strategy"))
    waves: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rollback_plan: Mapped[str | None] = mapped_column(Text)
    rollback_minutes: Mapped[int | None] = mapped_column(Integer)
    rollback_rehearsed_on: Mapped[dt.date | None] = mapped_column(Date)
    communication_plan: Mapped[str | None] = mapped_column(Text)
    implementation_plan: Mapped[str | None] = mapped_column(Text)
    required_tests: Mapped[list[str]] = mapped_column(JSON, default=list)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id", ondelete="SET NULL"))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("templates.id", ondelete="SET NULL"))
    closure_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What ``relman import git`` found: "v1.2.0..v1.3.0" (or "<sha>..<sha>"), how many commits
    # (merges and bots left out) and who wrote them.
    commit_range: Mapped[str | None] = mapped_column(String(200))
    commit_count: Mapped[int | None] = mapped_column(Integer)
    commit_authors: Mapped[list[str]] = mapped_column(JSON, default=list)

    status: Mapped[WorkflowState] = relationship(foreign_keys=[status_id])
    previous_status: Mapped[WorkflowState | None] = relationship(foreign_keys=[previous_status_id])
    manager: Mapped[Person | None] = relationship()
    template: Mapped[Template | None] = relationship()
    parent: Mapped[Release | None] = relationship(remote_side=[id])
    changes: Mapped[list[Change]] = relationship(back_populates="release", order_by="Change.key")
    tasks: Mapped[list[Task]] = relationship(
        back_populates="release", cascade="all, delete-orphan", order_by="Task.position"
    )
    stages: Mapped[list[ApprovalStage]] = relationship(
        back_populates="release", cascade="all, delete-orphan", order_by="ApprovalStage.position"
    )
    test_runs: Mapped[list[TestRun]] = relationship(
        back_populates="release", cascade="all, delete-orphan", order_by="TestRun.run_at"
    )
    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="release", cascade="all, delete-orphan", order_by="Deployment.started_at"
    )
    review: Mapped[Review | None] = relationship(
        back_populates="release", cascade="all, delete-orphan"
    )
    links: Mapped[list[LinkedRecord]] = relationship(
        back_populates="release", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("length(key) > 0", name="key_not_empty"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint(
            "planned_end IS NULL OR planned_start IS NULL OR planned_end >= planned_start",
            name="planned_order",
        ),
        CheckConstraint(
            "deploy_end IS NULL OR deploy_start IS NULL OR deploy_end >= deploy_start",
            name="deploy_order",
        ),
        CheckConstraint(
            "actual_end IS NULL OR actual_start IS NULL OR actual_end >= actual_start",
            name="actual_order",
        ),
        CheckConstraint(
            "rollback_minutes IS NULL OR rollback_minutes >= 0", name="rollback_minutes_positive"
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )


class ReleaseDependency(Base):
    """``release`` depends on ``prerequisite``: the prerequisite deploys first (or together)."""

    __tablename__ = "release_dependencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    prerequisite_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[E.DependencyKind] = mapped_column(
        enum_col(E.DependencyKind, "dependency_kind"), default=E.DependencyKind.BEFORE
    )

    __table_args__ = (
        UniqueConstraint("release_id", "prerequisite_id", name="uq_release_dependencies_pair"),
        CheckConstraint("release_id <> prerequisite_id", name="not_self"),
    )


change_cis = Table(
    "change_cis",
    Base.metadata,
    Column("change_id", ForeignKey("changes.id", ondelete="CASCADE"), primary_key=True),
    Column("ci_id", ForeignKey("configuration_items.id", ondelete="CASCADE"), primary_key=True),
)


class Change(Base):
    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking (issue 12): bumped by every ORM update (the mapper's version_id_col),
    # so a write carrying an older number is refused (services/locking.py).
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[E.ChangeType] = mapped_column(enum_col(E.ChangeType, "change_type"))
    category: Mapped[E.ChangeCategory] = mapped_column(
        enum_col(E.ChangeCategory, "change_category")
    )
    approval: Mapped[E.ChangeApproval] = mapped_column(
        enum_col(E.ChangeApproval, "change_approval"), default=E.ChangeApproval.PENDING
    )
    risk: Mapped[E.Level] = mapped_column(enum_col(E.Level, "risk"), default=E.Level.MEDIUM)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    release_note: Mapped[str | None] = mapped_column(Text)
    known_issues: Mapped[str | None] = mapped_column(Text)
    caused_incident: Mapped[bool] = mapped_column(Boolean, default=False)
    audience: Mapped[E.ChangeAudience] = mapped_column(
        enum_col(E.ChangeAudience, "change_audience"), default=E.ChangeAudience.TECHNICAL
    )
    release_id: Mapped[int | None] = mapped_column(
        ForeignKey("releases.id", ondelete="SET NULL"), index=True
    )
    external_ref: Mapped[str | None] = mapped_column(String(500))

    release: Mapped[Release | None] = relationship(back_populates="changes")
    requester: Mapped[Person | None] = relationship()
    cis: Mapped[list[ConfigurationItem]] = relationship(
        secondary=change_cis, order_by=ConfigurationItem.name
    )

    __table_args__ = (
        CheckConstraint("length(key) > 0", name="key_not_empty"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
    )


class LinkedRecord(Base):
    __tablename__ = "linked_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[E.LinkKind] = mapped_column(enum_col(E.LinkKind, "link_kind"))
    external_key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(1000))
    relation: Mapped[E.LinkRelation] = mapped_column(enum_col(E.LinkRelation, "link_relation"))

    release: Mapped[Release] = relationship(back_populates="links")

    __table_args__ = (
        UniqueConstraint("release_id", "kind", "external_key", name="uq_linked_records_key"),
        CheckConstraint("length(external_key) > 0", name="key_not_empty"),
    )


# --- tasks --------------------------------------------------------------------------------------


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking (issue 12): bumped by every ORM update (the mapper's version_id_col),
    # so a write carrying an older number is refused (services/locking.py).
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    local_id: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    phase: Mapped[E.Phase] = mapped_column(enum_col(E.Phase, "phase"))
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[E.TaskStatus] = mapped_column(
        enum_col(E.TaskStatus, "task_status"), default=E.TaskStatus.TODO
    )
    start: Mapped[dt.date | None] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date)
    effort_hours: Mapped[float | None] = mapped_column(Float)
    percent_complete: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    # Interchange (issue 14): the summary tasks above it in the source schedule ("Design / Build"),
    # a zero-length checkpoint, and the source's identity (MSPDI GUID or "uid:N", .gan id) so that
    # importing the same file again updates the task instead of adding it twice.
    outline: Mapped[str | None] = mapped_column(String(500))
    milestone: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    external_uid: Mapped[str | None] = mapped_column(String(200))

    release: Mapped[Release] = relationship(back_populates="tasks")
    assignee: Mapped[Person | None] = relationship()

    __table_args__ = (
        UniqueConstraint("release_id", "local_id", name="uq_tasks_local_id"),
        UniqueConstraint("release_id", "external_uid", name="uq_tasks_external_uid"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint('"end" IS NULL OR start IS NULL OR "end" >= start', name="dates_order"),
        CheckConstraint("percent_complete >= 0 AND percent_complete <= 100", name="percent_range"),
        CheckConstraint("effort_hours IS NULL OR effort_hours >= 0", name="effort_positive"),
    )


class TaskDependency(Base):
    __tablename__ = "task_dependencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    successor_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[E.LinkType] = mapped_column(
        enum_col(E.LinkType, "link_type"), default=E.LinkType.FS
    )
    lag_days: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("predecessor_id", "successor_id", name="uq_task_dependencies_pair"),
        CheckConstraint("predecessor_id <> successor_id", name="not_self"),
    )


# --- evidence, approvals, deployment, review ------------------------------------------------------


class TestRun(Base):
    __tablename__ = "test_runs"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[E.TestKind] = mapped_column(enum_col(E.TestKind, "test_kind"))
    environment: Mapped[str | None] = mapped_column(String(100))
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    source: Mapped[str | None] = mapped_column(String(500))
    verdict: Mapped[E.Verdict] = mapped_column(enum_col(E.Verdict, "verdict"))
    # Evidence read from a report file (relman import tests): ``failed`` counts failures and
    # errors alike; ``errored`` says how many of them were errors. ``failures`` lists each
    # failed or errored test: {"name", "classname", "kind": "failure"|"error", "message"}.
    errored: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)

    release: Mapped[Release] = relationship(back_populates="test_runs")

    __table_args__ = (
        CheckConstraint("passed >= 0 AND failed >= 0 AND skipped >= 0", name="counts_positive"),
    )


class ApprovalStage(Base):
    __tablename__ = "approval_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    rule: Mapped[E.StageRule] = mapped_column(enum_col(E.StageRule, "stage_rule"))
    percent: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[E.StageStatus] = mapped_column(
        enum_col(E.StageStatus, "stage_status"), default=E.StageStatus.PENDING
    )
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    release: Mapped[Release] = relationship(back_populates="stages")
    approvals: Mapped[list[Approval]] = relationship(
        back_populates="stage", cascade="all, delete-orphan", order_by="Approval.id"
    )

    __table_args__ = (
        UniqueConstraint("release_id", "name", name="uq_approval_stages_name"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint(
            "(rule = 'percent' AND percent BETWEEN 1 AND 100) OR (rule <> 'percent' AND percent IS NULL)",
            name="percent_with_rule",
        ),
    )


class Approval(Base):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking (issue 12): bumped by every ORM update (the mapper's version_id_col),
    # so a write carrying an older number is refused (services/locking.py).
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    stage_id: Mapped[int] = mapped_column(
        ForeignKey("approval_stages.id", ondelete="CASCADE"), index=True
    )
    approver_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    decision: Mapped[E.Decision] = mapped_column(
        enum_col(E.Decision, "decision"), default=E.Decision.PENDING
    )
    comment: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delegated_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )

    stage: Mapped[ApprovalStage] = relationship(back_populates="approvals")
    approver: Mapped[Person] = relationship(foreign_keys=[approver_id])
    delegated_to: Mapped[Person | None] = relationship(foreign_keys=[delegated_to_id])

    __table_args__ = (
        UniqueConstraint("stage_id", "approver_id", name="uq_approvals_approver"),
        CheckConstraint(
            "decided_at IS NULL OR requested_at IS NULL OR decided_at >= requested_at",
            name="decided_after_requested",
        ),
    )


window_cis = Table(
    "window_cis",
    Base.metadata,
    Column("window_id", ForeignKey("calendar_windows.id", ondelete="CASCADE"), primary_key=True),
    Column("ci_id", ForeignKey("configuration_items.id", ondelete="CASCADE"), primary_key=True),
)


class CalendarWindow(Base):
    __tablename__ = "calendar_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking (issue 12): bumped by every ORM update (the mapper's version_id_col),
    # so a write carrying an older number is refused (services/locking.py).
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[E.WindowKind] = mapped_column(enum_col(E.WindowKind, "window_kind"))
    hard: Mapped[bool] = mapped_column(Boolean, default=True)
    start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    rrule: Mapped[str | None] = mapped_column(String(500))
    scope_environment: Mapped[str | None] = mapped_column(String(100))
    # Interchange (issue 14): where an imported window came from (an ICS event's UID and
    # occurrence, an MSPDI calendar exception), so a re-import updates it instead of duplicating.
    external_uid: Mapped[str | None] = mapped_column(String(300), unique=True)

    cis: Mapped[list[ConfigurationItem]] = relationship(
        secondary=window_cis, order_by=ConfigurationItem.name
    )

    __table_args__ = (
        CheckConstraint('"end" > start', name="end_after_start"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
    )


class Deployment(Base):
    __tablename__ = "deployments"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    environment: Mapped[str] = mapped_column(String(100))
    wave: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[E.Outcome | None] = mapped_column(enum_col(E.Outcome, "outcome"))
    incidents: Mapped[int] = mapped_column(Integer, default=0)
    failure_detected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    restored_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    hotfix: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where it came from: a CI run ("GitHub Actions run 123"), the run's URL, or "relman cli".
    source: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(1000))
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    release: Mapped[Release] = relationship(back_populates="deployments")

    __table_args__ = (
        CheckConstraint(
            "finished_at IS NULL OR started_at IS NULL OR finished_at >= started_at",
            name="finish_order",
        ),
        CheckConstraint(
            "restored_at IS NULL OR failure_detected_at IS NULL OR restored_at >= failure_detected_at",
            name="restore_order",
        ),
        CheckConstraint("incidents >= 0", name="incidents_positive"),
    )


class Incident(Base):
    """An incident from a monitoring or ITSM export, linked to the deployment that caused it.

    A linked incident makes its deployment failed (KPIs: change failure rate) and sets the
    deployment's failure-detected and restored times (MTTR) from the incidents' own."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    severity: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(200))
    environment: Mapped[str | None] = mapped_column(String(100))
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    restored_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    release_id: Mapped[int | None] = mapped_column(
        ForeignKey("releases.id", ondelete="SET NULL"), index=True
    )
    deployment_id: Mapped[int | None] = mapped_column(
        ForeignKey("deployments.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str | None] = mapped_column(String(500))

    release: Mapped[Release | None] = relationship()
    deployment: Mapped[Deployment | None] = relationship()

    __table_args__ = (
        CheckConstraint("length(key) > 0", name="key_not_empty"),
        CheckConstraint("restored_at IS NULL OR restored_at >= detected_at", name="restore_order"),
    )


class ImportedSource(Base):
    """What an import has already read, by its identity in the source tool (a commit sha, a
    report file's sha256, a CI run id, an incident id): importing it again changes nothing."""

    __tablename__ = "imported_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # commit, test_report, pipeline_run, incident
    identity: Mapped[str] = mapped_column(String(200))
    entity: Mapped[str] = mapped_column(String(64))  # what it became: change, test_run, ...
    entity_id: Mapped[str] = mapped_column(String(200))
    release_id: Mapped[int | None] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str | None] = mapped_column(String(500))  # the file name, the commit subject
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("kind", "identity", name="uq_imported_sources_identity"),)


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[E.ReviewOutcome] = mapped_column(enum_col(E.ReviewOutcome, "review_outcome"))
    incidents: Mapped[int] = mapped_column(Integer, default=0)
    lessons_learned: Mapped[str | None] = mapped_column(Text)
    user_feedback: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    release: Mapped[Release] = relationship(back_populates="review")
    closed_by: Mapped[Person | None] = relationship()

    __table_args__ = (CheckConstraint("incidents >= 0", name="incidents_positive"),)


# --- audit, baselines, overrides, plan metadata --------------------------------------------------


class AuditEvent(Base):
    """Append-only; ``hash`` = sha256(previous hash + canonical content), so any edit, deletion
    or reordering of events breaks the chain."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(254))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(200))
    release_key: Mapped[str | None] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class PlanMeta(Base):
    """Marks a SQLite file as a plan; also holds plan-wide settings (key/value)."""

    __tablename__ = "plan_meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


Index("ix_tasks_release_position", Task.release_id, Task.position)
# Issue 19 (migration 0009_scale): what one release's conflict checks look up. The releases
# that touch a CI (change_cis by CI), a CI's parents (ci_relations by child), the releases
# deploying in an interval, and a person's task days.
Index("ix_change_cis_ci_id", change_cis.c.ci_id)
Index("ix_ci_relations_child_id", ci_relations.c.child_id)
Index("ix_releases_deploy_window", Release.deploy_start, Release.deploy_end)
Index("ix_tasks_assignee_start", Task.assignee_id, Task.start)


class Baseline(Base):
    """A named snapshot of the plan's dates (releases and tasks), to compare plan with actual.

    ``snapshot``: ``{release_key: {"planned_start", "planned_end", "deploy_start", "deploy_end",
    "tasks": {local_id: [start, end]}}}`` with ISO strings."""

    __tablename__ = "baselines"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)


class GuardOverride(Base):
    """A soft guard a release manager overrode, with the reason, for one transition."""

    __tablename__ = "guard_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str] = mapped_column(String(100))
    to_state: Mapped[str] = mapped_column(String(100))
    guard: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(254))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("length(reason) > 0", name="reason_not_empty"),)


# --- CAB meetings ----------------------------------------------------------------------------------
# Their enumerations live here, not in ``enums``: plan JSON (whose fixture spells every value of
# ``enums``) does not carry meetings.


class CabMeetingStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    CLOSED = "closed"


class CabDecision(StrEnum):
    """What the Change Advisory Board decides about one agenda item."""

    APPROVE = "approve"
    REJECT = "reject"
    DEFER = "defer"
    MORE_INFO = "more_info"


class CabMeeting(Base):
    """A Change Advisory Board meeting. Its agenda is chosen by ``filter`` and frozen at
    ``cutoff_at`` (``frozen_at`` says when the items were written down); releases that become
    eligible later go to the next meeting."""

    __tablename__ = "cab_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking (issue 12): bumped by every ORM update (the mapper's version_id_col),
    # so a write carrying an older number is refused (services/locking.py).
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    title: Mapped[str] = mapped_column(String(300))
    held_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    cutoff_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    frozen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    status: Mapped[CabMeetingStatus] = mapped_column(
        enum_col(CabMeetingStatus, "cab_meeting_status"), default=CabMeetingStatus.PLANNED
    )
    filter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    chair: Mapped[Person | None] = relationship()
    attendees: Mapped[list[CabAttendee]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="CabAttendee.id"
    )
    items: Mapped[list[CabAgendaItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="CabAgendaItem.position"
    )

    __table_args__ = (
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        CheckConstraint("cutoff_at <= held_at", name="cutoff_before_meeting"),
    )


class CabAttendee(Base):
    __tablename__ = "cab_attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("cab_meetings.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    # not present, but sent apologies beforehand (minutes list them apart from the absent)
    apologies: Mapped[bool] = mapped_column(Boolean, default=False)

    meeting: Mapped[CabMeeting] = relationship(back_populates="attendees")
    person: Mapped[Person] = relationship()

    __table_args__ = (UniqueConstraint("meeting_id", "person_id", name="uq_cab_attendees_pair"),)


class CabAgendaItem(Base):
    """One release on a meeting's agenda and what the board decided about it.

    ``undo_log`` is a stack of the states before each decision (the item's own fields and the
    CAB approvals it changed), so the last decision can be taken back exactly."""

    __tablename__ = "cab_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("cab_meetings.id", ondelete="CASCADE"), index=True
    )
    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    decision: Mapped[CabDecision | None] = mapped_column(enum_col(CabDecision, "cab_decision"))
    rationale: Mapped[str | None] = mapped_column(Text)
    conditions: Mapped[str | None] = mapped_column(Text)
    seconds_spent: Mapped[int] = mapped_column(Integer, default=0)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    undo_log: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    meeting: Mapped[CabMeeting] = relationship(back_populates="items")
    release: Mapped[Release] = relationship()

    __table_args__ = (
        UniqueConstraint("meeting_id", "release_id", name="uq_cab_agenda_items_pair"),
        CheckConstraint("position >= 0", name="position_positive"),
        CheckConstraint("seconds_spent >= 0", name="seconds_positive"),
        CheckConstraint(
            "decision IS NULL OR decision = 'approve' OR (rationale IS NOT NULL AND length(rationale) > 0)",
            name="rationale_required",
        ),
        CheckConstraint(
            "(decision IS NULL) = (decided_at IS NULL)", name="decided_at_with_decision"
        ),
    )
