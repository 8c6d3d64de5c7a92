"""Team mode (issue 12): who signs in as whom, and optimistic locking

``people.login`` maps a login (a database role on a server plan, the OS user on a file plan)
to a person; ``row_version`` on every record people edit is bumped by each update, so a write
made against an older version is refused instead of silently overwriting another's change.

Revision ID: 0009_team
Revises: 0008
Create Date: 2026-12-03 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_team"
down_revision = "0009_scale"
branch_labels = None
depends_on = None

VERSIONED = (
    "releases",
    "changes",
    "tasks",
    "approvals",
    "calendar_windows",
    "cab_meetings",
    "workflow_states",
    "workflow_transitions",
)


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("login", sa.String(length=128), nullable=True))
        batch_op.create_index(batch_op.f("ix_people_login"), ["login"], unique=True)
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("row_version", sa.Integer(), server_default="1", nullable=False)
            )


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN on both engines (SQLite 3.35+), as 0007 does: a batch
    # "move and copy" would drop tables other tables refer to, which SQLite's foreign keys refuse
    for table in reversed(VERSIONED):
        op.execute(f"ALTER TABLE {table} DROP COLUMN row_version")
    op.drop_index(op.f("ix_people_login"), table_name="people")
    op.execute("ALTER TABLE people DROP COLUMN login")
