"""Toolchain evidence (issue 13): test-report details, deployment source and URL, the
release's commit range, incidents, and what each import has already read

Revision ID: 0004_toolchain_evidence
Revises: 0003
Create Date: 2026-12-03 08:45:00
"""

import sqlalchemy as sa
from alembic import op

import relman_desktop.models.entities

revision = "0004_toolchain_evidence"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("commit_range", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("commit_count", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("commit_authors", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("test_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("errored", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("failures", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("source_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("duration_seconds", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_test_runs_source_sha256"), ["source_sha256"], unique=False
        )
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("url", sa.String(length=1000), nullable=True))

    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("severity", sa.String(length=64), nullable=True),
        sa.Column("service", sa.String(length=200), nullable=True),
        sa.Column("environment", sa.String(length=100), nullable=True),
        sa.Column("detected_at", relman_desktop.models.entities.UTCDateTime(), nullable=False),
        sa.Column("restored_at", relman_desktop.models.entities.UTCDateTime(), nullable=True),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("deployment_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=True),
        sa.CheckConstraint("length(key) > 0", name=op.f("ck_incidents_key_not_empty")),
        sa.CheckConstraint(
            "restored_at IS NULL OR restored_at >= detected_at",
            name=op.f("ck_incidents_restore_order"),
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_incidents_deployment_id_deployments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_incidents_release_id_releases"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("key", name=op.f("uq_incidents_key")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incidents_deployment_id"), ["deployment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incidents_release_id"), ["release_id"], unique=False)

    op.create_table(
        "imported_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("identity", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=500), nullable=True),
        sa.Column("imported_at", relman_desktop.models.entities.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_imported_sources_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_sources")),
        sa.UniqueConstraint("kind", "identity", name="uq_imported_sources_identity"),
    )
    with op.batch_alter_table("imported_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_imported_sources_release_id"), ["release_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("imported_sources")
    op.drop_table("incidents")
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_column("url")
        batch_op.drop_column("source")
    with op.batch_alter_table("test_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_test_runs_source_sha256"))
        batch_op.drop_column("note")
        batch_op.drop_column("duration_seconds")
        batch_op.drop_column("source_sha256")
        batch_op.drop_column("failures")
        batch_op.drop_column("errored")
    with op.batch_alter_table("releases", schema=None) as batch_op:
        batch_op.drop_column("commit_authors")
        batch_op.drop_column("commit_count")
        batch_op.drop_column("commit_range")
