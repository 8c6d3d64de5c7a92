"""Alembic environment: run in code by the plan-file module, never from a command line of its own.

The caller hands over an open connection in ``config.attributes["connection"]``.
"""

from alembic import context

from relman_desktop.models.entities import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things in place
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
