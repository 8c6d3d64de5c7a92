"""Optimistic locking on every record a form edits (issue 12)

0009_team versioned releases, changes, tasks, approvals, windows, CAB meetings and the
workflow; the other records people edit in a form get their ``row_version`` here: people,
configuration items, templates, rules, approval stages, deployments, reviews and CAB agenda
items (the board's decisions). A save made against an older version is refused.

Revision ID: 0010_versions
Revises: 0009_team
Create Date: 2026-12-03 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_versions"
down_revision = "0009_team"
branch_labels = None
depends_on = None

VERSIONED = (
    "people",
    "configuration_items",
    "templates",
    "rules",
    "approval_stages",
    "deployments",
    "reviews",
    "cab_agenda_items",
)


def upgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("row_version", sa.Integer(), server_default="1", nullable=False)
            )


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN on both engines, as 0009_team does (a batch "move and copy"
    # would drop tables other tables refer to, which SQLite's foreign keys refuse)
    for table in reversed(VERSIONED):
        op.execute(f"ALTER TABLE {table} DROP COLUMN row_version")
