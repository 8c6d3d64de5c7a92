"""Workflow states carry a role (issue 11): what a state means, whatever it is called.

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-03 09:00:00

Existing plans get their roles from the default names (case-insensitive: "Deployed" → deployed,
"On Hold" → on_hold, ...). A state with any other name gets no role (NULL) — a custom step no
built-in rule recognises — except that a plan's only hold-category state becomes on_hold.
A renamed default state (say "Live") is one the user should give its role in Settings >
Workflow; until then dependencies_met and the rest treat it as an ordinary open state.

Closed and Cancelled releases become read-only, so a plan that has those states and no
transition out of them gets the default "Reopen" transitions (Closed → In Review,
Cancelled → Planning) to make them editable again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ROLES = (
    "planning",
    "build",
    "testing",
    "awaiting_approval",
    "approved",
    "deploying",
    "deployed",
    "in_review",
    "closed",
    "on_hold",
    "cancelled",
    "rolled_back",
)
DEFAULT_NAMES = {
    "planning": "planning",
    "build": "build",
    "testing": "testing",
    "awaiting approval": "awaiting_approval",
    "approved": "approved",
    "deploying": "deploying",
    "deployed": "deployed",
    "in review": "in_review",
    "closed": "closed",
    "on hold": "on_hold",
    "cancelled": "cancelled",
    "rolled back": "rolled_back",
}
REOPEN = (("closed", "in_review"), ("cancelled", "planning"))


def upgrade() -> None:
    # A plain ADD COLUMN with its named CHECK (SQLite keeps a column constraint; the same name
    # a new plan's table has). A batch copy of the table would drop it, which the releases'
    # foreign keys to their states forbid.
    allowed = ", ".join(f"'{r}'" for r in ROLES)
    op.execute(
        f"ALTER TABLE workflow_states ADD COLUMN role VARCHAR(32) "
        f"CONSTRAINT ck_workflow_states_state_role CHECK (role IN ({allowed}))"
    )
    con = op.get_bind()
    states = con.execute(sa.text("SELECT id, name, category FROM workflow_states")).all()
    for sid, name, _category in states:
        role = DEFAULT_NAMES.get((name or "").strip().lower())
        if role is not None:
            con.execute(
                sa.text("UPDATE workflow_states SET role = :r WHERE id = :i"), {"r": role, "i": sid}
            )
    holds = [sid for sid, _n, category in states if category == "hold"]
    taken = {
        r
        for (r,) in con.execute(sa.text("SELECT role FROM workflow_states WHERE role IS NOT NULL"))
    }
    if len(holds) == 1 and "on_hold" not in taken:
        con.execute(
            sa.text("UPDATE workflow_states SET role = 'on_hold' WHERE id = :i AND role IS NULL"),
            {"i": holds[0]},
        )
    by_role: dict[str, int] = dict(
        con.execute(sa.text("SELECT role, id FROM workflow_states WHERE role IS NOT NULL")).all()
    )
    for src, dst in REOPEN:
        if src not in by_role or dst not in by_role:
            continue
        leaving = con.execute(
            sa.text("SELECT 1 FROM workflow_transitions WHERE from_state_id = :s"),
            {"s": by_role[src]},
        ).first()
        if leaving is None:
            con.execute(
                sa.text(
                    "INSERT INTO workflow_transitions (from_state_id, to_state_id, label, guards) "
                    "VALUES (:s, :d, 'Reopen', '[]')"
                ),
                {"s": by_role[src], "d": by_role[dst]},
            )


def downgrade() -> None:
    # SQLite drops a column together with its own CHECK (3.35+); a batch copy of the table would
    # have to drop the table the releases point at, which foreign keys refuse.
    op.execute("ALTER TABLE workflow_states DROP COLUMN role")
