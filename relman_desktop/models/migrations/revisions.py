"""The schema revisions this version knows, oldest first, the last being the head.

Opening an up-to-date plan only needs these names, and importing Alembic costs a third of a
second of start-up, so Alembic is loaded only to create or upgrade a plan.
``tests/test_planfile.py`` checks this list against Alembic's own script directory: add each
new migration's revision here.
"""

KNOWN_REVISIONS = (
    "0001",
    "0002",
    "0003",
    "0004_toolchain_evidence",
    "0006",
    "0007",
    "0008",
    "0009_scale",
    "0009_team",
    "0010_versions",
)
HEAD = KNOWN_REVISIONS[-1]
