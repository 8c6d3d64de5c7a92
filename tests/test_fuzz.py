"""A standing fuzz harness (issue 18): hypothesis feeds hostile input to the importer, every
exporter and every command, and ``fuzz_checks`` holds each result to the promise — a clear
refusal or a correct result, never a traceback, never a changed plan after a refusal, never a
document another program refuses to open.

Bounded so CI stays fast (a few seconds per test); ``RELMAN_FUZZ_EXAMPLES=500`` runs longer,
and ``benchmarks/fuzz_hostile.py`` prints a tally per kind of input."""

from __future__ import annotations

import io
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from fuzz_checks import (
    COMMANDS,
    TEXT_COLUMNS,
    check_command,
    check_exports,
    check_import,
    leaf_paths,
    with_value,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relman_desktop.cli import main
from relman_desktop.models.planfile import open_plan, sqlite_copy

SCALE = int(os.environ.get("RELMAN_FUZZ_EXAMPLES", "0"))


def bounded(n: int) -> Any:
    # CI runs the same examples every time (derandomize); a longer run explores new ones.
    return settings(
        max_examples=SCALE or n,
        deadline=None,
        database=None,
        derandomize=not SCALE,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo plan (REL-2026-001 among its releases) with a CAB meeting (id 1)."""
    path = tmp_path_factory.mktemp("fuzz") / "demo.relman"
    out, err = io.StringIO(), io.StringIO()
    assert (
        main(["--plan", str(path), "demo", "--releases", "4", "--seed", "7"], out=out, err=err) == 0
    )
    assert (
        main(
            [
                "--plan",
                str(path),
                "cab",
                "new",
                "--date",
                "2026-12-01T10:00",
                "--cutoff",
                "2026-11-30",
            ],
            out=out,
            err=err,
        )
        == 0
    )
    settled = path.with_name("settled.relman")  # one file, WAL folded in: copies of it are whole
    sqlite_copy(path, settled)
    return settled


@pytest.fixture(scope="module")
def empty_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz-empty") / "empty.relman"
    open_plan(path, create=True).close()
    return path


@pytest.fixture(scope="module")
def export_doc(demo_plan: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("fuzz-doc") / "plan.json"
    assert main(["--plan", str(demo_plan), "export", "plan", str(target)], out=io.StringIO()) == 0
    return json.loads(target.read_text(encoding="utf-8"))


HOSTILE_SNIPPETS = [
    "\x00",
    "\x07",
    "\x1b[2J",
    "\x9b",
    "\ufffe",
    "\uffff",
    "\ud800",
    "\udfff",
    "\u2028",
    "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n",
    "=1+1",
    "@SUM(A1)",
    "&lt;",
    "<w:p/>",
    "]]>",
    "%s%n",
    "\\",
    '"',
    "‮",
    "🦄",
    "x" * 400,
]

hostile_text = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=60),
    st.lists(st.sampled_from(HOSTILE_SNIPPETS), min_size=1, max_size=4).map("".join),
    st.integers(0, 120_000).map(lambda n: "y" * n),
)

hostile_value = st.one_of(
    hostile_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**31, 2**53 + 1, 2**63, 2**64, -(2**63) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "0001-01-01T00:30:00+05:00",
            "9999-12-31T23:30:00-05:00",
            "2026-02-30",
            "FREQ=SECONDLY",
            "FREQ=DAILY;INTERVAL=0",
            "#zzzzzz",
            "no_such_guard",
        ]
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@bounded(12)
@given(data=st.data())
def test_fuzz_plan_json_mutations(
    export_doc: dict[str, Any], empty_plan: Path, tmp_path: Path, data: Any
) -> None:
    paths = leaf_paths(export_doc)
    doc = export_doc
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        path = data.draw(st.sampled_from(paths), label="path")
        how = data.draw(st.sampled_from(["replace", "delete", "add field"]), label="how")
        try:
            if how == "replace":
                value = data.draw(hostile_value, label="value")
                doc = with_value(doc, path, lambda _old, v=value: v)
            elif how == "delete" and isinstance(path[-1], str):
                gone = path[-1]
                if len(path) > 1:
                    doc = with_value(
                        doc, path[:-1], lambda p, g=gone: {k: v for k, v in p.items() if k != g}
                    )
                else:
                    doc = {k: v for k, v in doc.items() if k != gone}
            elif how == "add field" and len(path) > 1:
                doc = with_value(
                    doc, path[:-1], lambda p: {**p, "unexpected": 1} if isinstance(p, dict) else p
                )
        except (KeyError, IndexError, TypeError):
            continue  # a path an earlier mutation removed
    text = json.dumps(doc, allow_nan=True)
    check_import(empty_plan, tmp_path, text)


@bounded(20)
@given(
    text=st.one_of(
        st.just(""),
        st.text(max_size=2000),
        st.binary(max_size=2000).map(lambda b: b.decode("latin-1")),
        st.integers(0, 10).map(lambda n: "[" * (n * 1000)),
    )
)
def test_fuzz_junk_plan_json_files(empty_plan: Path, tmp_path: Path, text: str) -> None:
    check_import(empty_plan, tmp_path, text)


@bounded(3)
@given(column=st.sampled_from(TEXT_COLUMNS), text=hostile_text)
def test_fuzz_every_text_field_through_every_exporter(
    demo_plan: Path, tmp_path: Path, column: tuple[str, str], text: str
) -> None:
    check_exports(demo_plan, tmp_path, column, text)


@bounded(1)
@given(
    column=st.sampled_from(TEXT_COLUMNS[::-1]),
    text=st.lists(st.sampled_from(HOSTILE_SNIPPETS[:10]), min_size=3, max_size=6).map("".join),
)
def test_fuzz_text_into_calendar_pictures(
    demo_plan: Path, tmp_path: Path, column: tuple[str, str], text: str
) -> None:
    check_exports(demo_plan, tmp_path, column, text, pictures=True)


@bounded(20)
@given(data=st.data())
def test_fuzz_junk_and_truncated_plan_files_through_every_command(
    demo_plan: Path, tmp_path: Path, data: Any
) -> None:
    whole = demo_plan.read_bytes()
    kind = data.draw(
        st.sampled_from(["truncated", "flipped", "junk after header", "zeroed page"]), label="kind"
    )
    seed = data.draw(st.integers(0, 2**32), label="seed")
    rng = random.Random(seed)
    if kind == "truncated":
        body = whole[: rng.randrange(0, len(whole))]
    elif kind == "flipped":
        raw = bytearray(whole)
        for _ in range(rng.randint(1, 20)):
            raw[rng.randrange(100, len(raw))] ^= 1 << rng.randrange(8)
        body = bytes(raw)
    elif kind == "junk after header":
        body = whole[:100] + rng.randbytes(rng.randrange(0, 20_000))
    else:
        raw = bytearray(whole)
        page = rng.randrange(1, len(raw) // 4096)
        raw[page * 4096 : (page + 1) * 4096] = bytes(4096)
        body = bytes(raw)
    plan = tmp_path / "junk.relman"
    for leftover in (plan, Path(f"{plan}-wal"), Path(f"{plan}-shm")):
        leftover.unlink(missing_ok=True)
    plan.write_bytes(body)
    argv = data.draw(st.sampled_from(COMMANDS), label="command")
    check_command(plan, tmp_path, argv)
