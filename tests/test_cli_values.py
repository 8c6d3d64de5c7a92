"""Command-line values beyond what a person could mean, terminals that are not UTF-8, and escape
sequences in stored text: one line and exit 2, degraded output, nothing obeyed (issue 18)."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from relman_desktop.cli import main
from relman_desktop.models.planfile import sqlite_copy


def run(*argv: str, out: io.StringIO | None = None) -> tuple[int, str, str]:
    out = out or io.StringIO()
    err = io.StringIO()
    rc = main(list(argv), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-values") / "demo.relman"
    assert run("--plan", str(path), "demo", "--releases", "4", "--seed", "5")[0] == 0
    return path


@pytest.fixture(scope="module")
def a_key(demo_plan: Path) -> str:
    return run("--plan", str(demo_plan), "releases")[1].splitlines()[1].split()[0]


HOSTILE = [
    (["kpis", "--from", "0001-01-01"], "outside the years 1900–2199"),
    (["kpis", "--to", "9999-12-31", "--by", "week"], "outside the years 1900–2199"),
    (["kpis", "--from", "2026-13-01"], "is not a date"),
    (
        [
            "export",
            "kpis",
            "{tmp}/k.xlsx",
            "--from",
            "0001-01-01",
            "--to",
            "9999-12-31",
            "--by",
            "week",
        ],
        "outside the years",
    ),
    (
        ["export", "calendar", "{tmp}/c.png", "--from", "0001-01-01", "--to", "9999-12-31"],
        "outside the years",
    ),
    (
        ["export", "calendar", "{tmp}/c.png", "--from", "1900-01-01", "--to", "2199-12-31"],
        "pixels wide is more than viewers open",
    ),
    (
        ["export", "calendar", "{tmp}/c.pdf", "--from", "1900-01-01", "--to", "2199-12-31"],
        "pages (at most",
    ),
    (["impact", "{key}", "--days", "10000000"], "must be from -3,650 to 3,650"),
    (["impact", "{key}", "--days", "-800000"], "must be from -3,650 to 3,650"),
    (["impact", "{key}", "--days", str(2**63)], "must be from -3,650 to 3,650"),
    (["impact", "{key}", "--days", "1" * 5000], "is not a whole number"),
    (["export", "minutes", str(2**70), "{tmp}/m.docx"], "MEETING: must be from 1 to"),
    (["cab", "show", str(2**70)], "must be from 1 to"),
    (["cab", "show", "-1"], "must be from 1 to"),
    (["slots", "{key}", "--days", "100000000"], "must be from 1 to 3,650"),
    (["audit", "log", "--limit", str(10**20)], "must be from 1 to"),
    (["graph", "--up", str(10**19)], "must be from 0 to 1,000"),
    (["demo", "--releases", str(10**19)], "must be from 1 to 100,000"),
    (["--actor", "evil\x1b[2J", "releases"], "holds a control character (U+001B)"),
    (["cab", "new", "--date", "0001-01-01"], "outside the years 1900–2199"),
    (["cab", "new", "--date", "9999-12-31T23:59-05:00"], "outside the years 1900–2199"),
    (["cab", "new", "--title", "CAB \x1b]0;x\x07"], "holds a control character (U+001B)"),
    (["releases", "--no-such-option"], "unrecognized arguments"),
]


@pytest.mark.parametrize(("argv", "expected"), HOSTILE, ids=[" ".join(a)[:60] for a, _ in HOSTILE])
def test_a_value_no_one_could_mean_is_one_line_and_exit_2(
    demo_plan: Path, a_key: str, tmp_path: Path, argv: list[str], expected: str
) -> None:
    argv = [a.format(tmp=tmp_path, key=a_key) for a in argv]
    rc, _, err = run("--plan", str(demo_plan), *argv)
    assert rc == 2
    assert err.count("\n") == 1 and expected in err, err
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_the_widest_allowed_values_still_give_a_result(
    demo_plan: Path, a_key: str, tmp_path: Path
) -> None:
    assert run("--plan", str(demo_plan), "impact", a_key, "--days", "3650")[0] == 0
    assert run("--plan", str(demo_plan), "impact", a_key, "--days", "-3650")[0] == 0
    rc, out, _ = run(
        "--plan",
        str(demo_plan),
        "kpis",
        "--from",
        "1900-01-01",
        "--to",
        "2199-12-31",
        "--by",
        "week",
    )
    assert rc == 0 and out.startswith("KPIs 1900-01-01 – 2199-12-31")
    pdf = tmp_path / "c.pdf"
    rc, _, _ = run(
        "--plan",
        str(demo_plan),
        "export",
        "calendar",
        str(pdf),
        "--from",
        "1990-01-01",
        "--to",
        "2199-12-31",
        "--zoom",
        "quarter",
    )
    assert rc == 0 and pdf.read_bytes().startswith(b"%PDF")


class _Console(io.StringIO):
    """A terminal whose encoding is not UTF-8: writing a character it lacks raises, as a real
    console's stream does."""

    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._enc = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._enc

    def write(self, s: str) -> int:
        s.encode(self._enc)  # UnicodeEncodeError, like a console stream with errors="strict"
        return super().write(s)


@pytest.mark.parametrize("encoding", ["ascii", "iso-8859-1"])
@pytest.mark.parametrize("command", [["releases"], ["show", "{key}"], ["kpis"], ["conflicts"]])
def test_a_terminal_that_is_not_utf8_gets_plain_spellings_not_an_encoding_error(
    demo_plan: Path, a_key: str, encoding: str, command: list[str]
) -> None:
    console = _Console(encoding)
    rc, out, err = run(
        "--plan", str(demo_plan), *[c.format(key=a_key) for c in command], out=console
    )
    assert (rc, err) == (0, "")
    assert a_key in out or command[0] in ("kpis", "conflicts")
    if command == ["releases"]:
        assert " -> " in out and "→" not in out


def test_escape_sequences_in_stored_titles_and_actors_are_shown_not_obeyed(
    demo_plan: Path, tmp_path: Path
) -> None:
    plan = tmp_path / "esc.relman"
    sqlite_copy(demo_plan, plan)
    con = sqlite3.connect(plan)
    con.execute(
        "UPDATE releases SET title = 'Bad \x1b]0;owned\x07 \x1b[2J\x9b31m title' WHERE id = 1"
    )
    con.execute("UPDATE audit_events SET actor = 'x\x1b[31mred' WHERE id = 1")
    con.commit()
    con.close()
    _, listing, _ = run("--plan", str(plan), "releases")
    _, log, _ = run("--plan", str(plan), "audit", "log", "--limit", "100000")
    for out in (listing, log):
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "Bad \\x1b]0;owned\\x07 \\x1b[2J\\x9b31m title" in listing
    assert "x\\x1b[31mred" in log
