"""What a person reporting a problem is asked for: the app's version, Python, Qt, SQLite, the
plan's schema revision, and where the log and the backups are (``relman --version``, Help >
About). Qt's version is passed in by the caller (only the views import Qt)."""

from __future__ import annotations

import platform
import sqlite3
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from relman_desktop.models.plancopy import peek_plan
from relman_desktop.models.planfile import PlanError, schema_head


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("relman-desktop")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


@dataclass(frozen=True)
class AboutFacts:
    version: str
    python: str
    qt: str | None
    sqlite: str
    platform: str
    schema_head: str  # the newest plan schema this version writes
    plan: str | None
    plan_schema: str | None  # the open plan's revision (or why it could not be read)
    log_file: str
    crash_file: str
    backup_folder: str

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) pairs, in the order a person reads them."""
        rows = [
            ("Release Manager Desktop", self.version),
            ("Python", self.python),
            ("Qt", self.qt or "not loaded"),
            ("SQLite", self.sqlite),
            ("Platform", self.platform),
            (
                "Plan schema",
                f"{self.plan_schema or 'no plan'} (this version writes {self.schema_head})",
            ),
        ]
        if self.plan:
            rows.append(("Plan", self.plan))
        rows += [
            ("Log", self.log_file),
            ("Crash log", self.crash_file),
            ("Backups", self.backup_folder),
        ]
        return rows


def about_facts(plan: Path | None = None, *, qt: str | None = None) -> AboutFacts:
    from relman_desktop.logging_setup import crash_file, log_file
    from relman_desktop.services.backups import backup_folder, backup_root

    plan_schema: str | None = None
    if plan is not None:
        try:
            plan_schema = peek_plan(Path(plan)).revision
        except PlanError as exc:
            plan_schema = f"unreadable: {exc}"
    return AboutFacts(
        version=app_version(),
        python=f"{platform.python_version()} ({sys.executable})",
        qt=qt,
        sqlite=sqlite3.sqlite_version,
        platform=platform.platform(terse=True),
        schema_head=schema_head(),
        plan=str(plan) if plan else None,
        plan_schema=plan_schema,
        log_file=str(log_file()),
        crash_file=str(crash_file()),
        backup_folder=str(backup_folder(Path(plan)) if plan else backup_root()),
    )
