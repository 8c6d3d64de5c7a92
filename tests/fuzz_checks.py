"""The properties the fuzz harness holds every hostile input to, shared by ``test_fuzz.py``
(bounded, for CI) and ``benchmarks/fuzz_hostile.py`` (long runs with a tally per kind).

Each check returns ``"refused"`` (one clear line or path-prefixed lines, exit 2, nothing
changed) or ``"correct"`` (a result that the reading program accepts), and raises
``AssertionError`` for anything else — a traceback, a changed plan after a refusal, a document
another program refuses to open.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from relman_desktop.cli import main

COMMANDS: list[list[str]] = [
    ["releases"],
    ["releases", "--json"],
    ["show", "REL-2026-001"],
    ["kpis"],
    ["conflicts"],
    ["audit", "verify"],
    ["audit", "log"],
    ["export", "plan", "{out}/plan.json"],
    ["export", "kpis", "{out}/kpis.xlsx"],
    ["export", "ics", "{out}/plan.ics"],
    ["export", "notes", "REL-2026-001", "{out}/notes.docx"],
    ["cab", "list"],
    ["graph"],
]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(argv), out=out, err=err)  # an exception here is the failure being looked for
    return rc, out.getvalue(), err.getvalue()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "-"


def plan_state(path: Path) -> tuple[Any, ...]:
    """What a user would call "the plan": its rows, not its bytes (WAL checkpoints move bytes)."""
    con = sqlite3.connect(path)
    try:
        return tuple(
            con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("releases", "tasks", "changes", "people", "calendar_windows", "audit_events")
        )
    finally:
        con.close()


def check_import(empty_plan: Path, folder: Path, text: str) -> str:
    """``relman import plan`` of ``text`` into a copy of ``empty_plan``."""
    plan = folder / "fuzz.relman"
    shutil.copy(empty_plan, plan)
    before = plan_state(plan)
    doc = folder / "fuzz.json"
    doc.write_text(text, encoding="utf-8", errors="surrogatepass")
    rc, out, err = run("--plan", str(plan), "import", "plan", str(doc))
    assert "Traceback" not in err
    if rc == 0:
        exported = folder / "again.json"
        assert run("--plan", str(plan), "export", "plan", str(exported))[0] == 0
        from relman_desktop.importers.plan_json import schema_problems

        assert schema_problems(json.loads(exported.read_text(encoding="utf-8"))) == []
        return "correct"
    assert rc == 2 and out == "", (rc, err)
    lines = err.splitlines()
    assert lines and lines[0].startswith("relman: "), err
    assert all(line.strip() and "Traceback" not in line for line in lines)
    assert plan_state(plan) == before, "a refused import changed the plan"
    return "refused"


def check_command(plan: Path, folder: Path, argv: list[str]) -> str:
    """One command on a (possibly junk) plan file: one line and exit 2, or a correct result;
    the file is never changed by a refusal."""
    before = digest(plan)
    out_dir = folder / "out"
    out_dir.mkdir(exist_ok=True)
    rc, _, err = run("--plan", str(plan), *[a.format(out=out_dir) for a in argv])
    assert "Traceback" not in err
    if rc == 0:
        for produced in out_dir.iterdir():
            reopen(produced)
        return "correct"
    assert rc in (1, 2), (rc, err)
    if argv[:2] != ["audit", "verify"]:
        assert err.count("\n") == 1, err
        assert digest(plan) == before, "a refused command changed the plan file"
    return "refused"


def reopen(path: Path) -> None:
    """Open ``path`` with the library another program would use; it raises if it cannot."""
    suffix = path.suffix
    if suffix == ".docx":
        from docx import Document

        Document(str(path))
    elif suffix == ".xlsx":
        import openpyxl

        openpyxl.load_workbook(path).close()
    elif suffix == ".ics":
        import icalendar

        icalendar.Calendar.from_ical(path.read_bytes())
    elif suffix == ".json":
        json.loads(path.read_text(encoding="utf-8"))
    elif suffix == ".pdf":
        data = path.read_bytes()
        assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    elif suffix == ".png":
        from PySide6.QtGui import QImage

        assert not QImage(str(path)).isNull()


TEXT_COLUMNS = [
    ("releases", "title"),
    ("releases", "scope"),
    ("releases", "rollback_plan"),
    ("releases", "application"),
    ("releases", "version"),
    ("changes", "title"),
    ("changes", "release_note"),
    ("changes", "known_issues"),
    ("calendar_windows", "title"),
    ("people", "name"),
    ("tasks", "title"),
    ("cab_meetings", "title"),
]


def check_exports(
    base_plan: Path, folder: Path, column: tuple[str, str], text: str, pictures: bool = False
) -> str:
    """``text`` stored (as an older version or raw SQL could) in one column of every row, then
    every document written and reopened by the library that reads it."""
    from relman_desktop.models.planfile import sqlite_copy

    plan = folder / "texts.relman"
    plan.unlink(missing_ok=True)
    sqlite_copy(base_plan, plan)
    con = sqlite3.connect(plan)
    try:
        table, name = column
        if _has_surrogate(text):  # what a raw edit can leave: text that is not valid UTF-8
            con.execute(
                f"UPDATE {table} SET {name} = CAST(? AS TEXT)",
                (text.encode("utf-8", "surrogatepass"),),
            )
        else:
            con.execute(f"UPDATE {table} SET {name} = ?", (text,))
        con.commit()
    except sqlite3.IntegrityError:
        return "refused"  # the plan's own constraints (an empty title, say) keep it out
    finally:
        con.close()
    out = folder / "docs"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    argvs = [
        ["export", "notes", "REL-2026-001", f"{out}/n.docx"],
        ["export", "kpis", f"{out}/k.xlsx"],
        ["export", "ics", f"{out}/c.ics"],
        ["export", "minutes", "1", f"{out}/m.docx"],
        ["releases"],
    ]
    if pictures:
        argvs += [
            ["export", "calendar", f"{out}/cal.pdf"],
            ["export", "calendar", f"{out}/cal.png"],
        ]
    for argv in argvs:
        rc, _, err = run("--plan", str(plan), *argv)
        assert rc == 0 or (rc == 2 and err.count("\n") == 1), (argv, rc, err[:300])
    for produced in out.iterdir():
        reopen(produced)
    return "correct"


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def leaf_paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in ``doc`` (objects and lists included), for mutations."""
    paths = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            paths += leaf_paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            paths += leaf_paths(v, (*prefix, i))
    return paths


def with_value(
    doc: dict[str, Any], path: tuple[Any, ...], change: Callable[[Any], Any]
) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    node: Any = new
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = change(node[path[-1]])
    return new
