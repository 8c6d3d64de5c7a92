"""Documents: who reads about a change (changes.audience), apologies in CAB attendance
(cab_attendees.apologies) (issue 15)

Existing changes become ``technical``: the business release notes then show them only through
their release note, never by key or engineering title, until someone marks them ``business``.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-03 08:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004_toolchain_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "audience",
                sa.Enum(
                    "business",
                    "technical",
                    name="change_audience",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=False,
                server_default="technical",
            )
        )
    with op.batch_alter_table("cab_attendees", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("apologies", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("cab_attendees", schema=None) as batch_op:
        batch_op.drop_column("apologies")
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("ck_changes_change_audience"), type_="check"
        )  # with its column
        batch_op.drop_column("audience")
