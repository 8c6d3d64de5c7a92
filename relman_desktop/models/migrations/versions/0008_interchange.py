"""Interchange with other tools (issue 14): task outline, milestone flag and source identity;
calendar windows' source identity (ICS UID, MSPDI calendar exception)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outline", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("milestone", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("external_uid", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_tasks_external_uid"), ["release_id", "external_uid"]
        )
    with op.batch_alter_table("calendar_windows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_uid", sa.String(length=300), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_calendar_windows_external_uid"), ["external_uid"]
        )


def downgrade() -> None:
    with op.batch_alter_table("calendar_windows", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_calendar_windows_external_uid"), type_="unique")
        batch_op.drop_column("external_uid")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_tasks_external_uid"), type_="unique")
        batch_op.drop_column("external_uid")
        batch_op.drop_column("milestone")
        batch_op.drop_column("outline")
