"""Indexes for checks that cost what one release touches (issue 19): the releases that change
a CI, a CI's parents, the releases deploying in an interval, a person's task days

Revision ID: 0009_scale
Revises: 0008
Create Date: 2026-12-03 11:50:00
"""

from alembic import op

revision = "0009_scale"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_change_cis_ci_id", "change_cis", ["ci_id"]),
    ("ix_ci_relations_child_id", "ci_relations", ["child_id"]),
    ("ix_releases_deploy_window", "releases", ["deploy_start", "deploy_end"]),
    ("ix_tasks_assignee_start", "tasks", ["assignee_id", "start"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
