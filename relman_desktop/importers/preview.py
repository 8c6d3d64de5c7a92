"""What an import would do, shown before anything is written.

Every importer that reads another tool's file (git history, test reports, pipeline runs,
incidents, MS Project, calendars, tracker spreadsheets) first builds an :class:`ImportPreview`
from the file and the plan, without writing. The command line prints it (``--dry-run`` stops
there, ``--json`` prints :meth:`ImportPreview.as_json`); the app shows the same rows in a preview
table before the user applies the import as one undoable step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["create", "update", "skip"]


@dataclass(frozen=True)
class PreviewRow:
    """One thing the import would create, update or skip, and why."""

    action: Action
    kind: str  # the plan entity: "change", "test_run", "deployment", "task", "window", ...
    key: str  # how the user recognises it: a change key, a file name, a task name
    title: str = ""
    reason: str = ""  # for updates and skips: what differs, or why it is left out
    source: str = ""  # where in the source it came from: "report.xml", "row 14", "commit 1a2b3c4"


@dataclass
class ImportPreview:
    """The rows an import would produce, plus warnings that do not stop it."""

    source: str  # the file or repository read, as the user named it
    rows: list[PreviewRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "skip": 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts

    def summary(self) -> str:
        c = self.counts()
        return f"{c['create']} to create, {c['update']} to update, {c['skip']} to skip"

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "counts": self.counts(),
            "rows": [
                {
                    "action": r.action,
                    "kind": r.kind,
                    "key": r.key,
                    "title": r.title,
                    "reason": r.reason,
                    "source": r.source,
                }
                for r in self.rows
            ],
            "warnings": list(self.warnings),
        }
