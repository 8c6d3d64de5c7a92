"""No export, copy or backup loses data: never over the plan, never half a file, never over a
device, and a file system that refuses gets one clear line (issues 18 and 20)."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from relman_desktop.cli import main
from relman_desktop.exports.plan_copy import save_copy
from relman_desktop.exports.safe_write import write_atomically
from relman_desktop.models.planfile import open_plan
from relman_desktop.models.tempfiles import remove_stale_temp_files
from relman_desktop.services.base import Ctx, ServiceError


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.relman"
    code, _, err = run("--plan", str(path), "demo", "--releases", "4")
    assert code == 0, err
    code, _, err = run("--plan", str(path), "cab", "new", "--date", "2026-12-01T10:00")
    assert code == 0, err
    import sqlite3

    con = sqlite3.connect(path)  # everything into the main file: the tests copy only that
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return path


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "p.relman"
    shutil.copyfile(demo_template, path)
    return path


def first_key(plan: Path) -> str:
    code, out, _ = run("--plan", str(plan), "releases")
    return out.splitlines()[1].split()[0]


def plan_intact(plan: Path) -> None:
    """The plan still opens, holds its releases and its audit trail verifies."""
    code, out, err = run("--plan", str(plan), "releases")
    assert code == 0, err
    assert len(out.splitlines()) == 5  # header + 4 releases
    assert run("--plan", str(plan), "audit", "verify")[0] == 0


EXPORTS = {
    "plan": lambda plan, target: ("export", "plan", target),
    "kpis": lambda plan, target: ("export", "kpis", target),
    "ics": lambda plan, target: ("export", "ics", target),
    "notes": lambda plan, target: ("export", "notes", first_key(plan), target),
    "minutes": lambda plan, target: ("export", "minutes", "1", target),
}


@pytest.mark.parametrize("kind", sorted(EXPORTS))
@pytest.mark.parametrize("companion", ["", "-wal", "-shm", "-journal"])
def test_no_export_writes_over_the_plan_or_its_journal(
    demo: Path, kind: str, companion: str
) -> None:
    target = Path(f"{demo}{companion}")
    argv = EXPORTS[kind](demo, str(target))
    code, out, err = run("--plan", str(demo), *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "open plan" in err, err
    if target.exists():  # SQLite's own file (or gone, when the last connection closed)
        assert not target.read_bytes().startswith((b"{", b"PK", b"BEGIN:"))
    plan_intact(demo)


def test_another_spelling_a_hard_link_or_a_symlink_of_the_plan_is_refused(demo: Path) -> None:
    os.link(demo, demo.with_name("hard.json"))
    demo.with_name("soft.xlsx").symlink_to(demo.name)
    for target in (
        f"{demo.parent}/./{demo.name}",
        demo.with_name("hard.json"),
        demo.with_name("soft.xlsx"),
    ):
        code, _, err = run(
            "--plan", str(demo), "export", "plan" if "json" in str(target) else "kpis", str(target)
        )
        assert code == 2 and "open plan" in err, (target, err)
    assert demo.with_name("soft.xlsx").is_symlink()
    plan_intact(demo)


def test_an_export_never_replaces_another_plan_nor_its_journal(demo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.relman"
    shutil.copyfile(demo, other)
    Path(f"{other}-wal").write_bytes(b"")  # another process has it open
    for target in (other, Path(f"{other}-wal")):
        code, _, err = run("--plan", str(demo), "export", "ics", str(target))
        assert code == 2 and "plan" in err and err.count("\n") == 1, err
    assert other.read_bytes() == demo.read_bytes()
    assert Path(f"{other}-wal").read_bytes() == b""


def test_save_copy_and_backup_never_land_on_the_plan(demo: Path, tmp_path: Path) -> None:
    plan = open_plan(demo)
    try:
        before = demo.read_bytes()
        for target in (demo, Path(f"{demo}-wal"), Path(f"{demo}-shm")):
            with pytest.raises(ServiceError, match="open plan"):
                save_copy(plan, target)
        assert demo.read_bytes() == before
        copy = save_copy(plan, tmp_path / "copy.relman")
        again = save_copy(plan, copy)  # a copy may replace an older copy
        assert again == copy
    finally:
        plan.close()
    plan_intact(copy)


@pytest.mark.parametrize("kind", ["plan", "ics", "kpis", "calendar", "graph"])
def test_special_files_are_refused(demo: Path, tmp_path: Path, kind: str) -> None:
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.png"
    folder.mkdir()
    for target in (fifo, folder, Path(os.devnull)):
        code, _, err = run("--plan", str(demo), "export", kind, str(target))
        assert code == 2 and err.count("\n") == 1, (target, err)
        assert any(
            w in err for w in ("pipe", "folder", "device", "can be written as", "export to")
        ), err
    assert Path(os.devnull).is_char_device()
    assert fifo.is_fifo() and folder.is_dir()


def test_a_symlink_is_written_through_and_stays_a_link(demo: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real.name)
    dangling = tmp_path / "dangling.ics"
    dangling.symlink_to("made.ics")
    assert run("--plan", str(demo), "export", "plan", str(link))[0] == 0
    assert run("--plan", str(demo), "export", "ics", str(dangling))[0] == 0
    assert link.is_symlink() and dangling.is_symlink()
    assert '"format": "relman-plan"' in real.read_text()
    assert (tmp_path / "made.ics").read_text().startswith("BEGIN:VCALENDAR")


# A full disk, played by a file-size limit on a child process: every write beyond LIMIT bytes
# fails with EFBIG, as writes to a full disk fail with ENOSPC (and Qt's writers report neither).
FULL_DISK = textwrap.dedent(
    """
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), resource.RLIM_INFINITY))
    from relman_desktop.cli import main
    sys.exit(main(sys.argv[2:]))
    """
)


def run_on_full_disk(limit: int, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(limit), *argv],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("name", ["cal.pdf", "cal.png", "graph.svg", "graph.pdf", "plan.json"])
def test_a_full_disk_says_so_and_keeps_the_old_file(demo: Path, tmp_path: Path, name: str) -> None:
    kind = {"cal": "calendar", "graph": "graph", "plan": "plan"}[name.split(".")[0]]
    target = tmp_path / name
    assert run("--plan", str(demo), "export", kind, str(target))[0] == 0
    good = target.read_bytes()
    assert len(good) > 6000
    done = run_on_full_disk(4096, "--plan", str(demo), "export", kind, str(target))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert "disk is full" in done.stderr or "incomplete" in done.stderr, done.stderr
    assert target.read_bytes() == good
    assert list(tmp_path.glob(".*relman-tmp*")) == []  # no temporary file left behind


@pytest.mark.parametrize(("kind", "limit"), [("notes", 512), ("minutes", 512), ("kpis", 4096)])
def test_a_full_disk_under_a_word_or_excel_export_is_one_line(
    demo: Path, tmp_path: Path, kind: str, limit: int
) -> None:
    """python-docx and openpyxl write through zip and lxml writers: a full disk inside them
    was an lxml SerialisationError traceback, or the right line followed by "Exception
    ignored" tracebacks from their half-closed archives."""
    target = tmp_path / ("out.xlsx" if kind == "kpis" else "out.docx")
    if kind == "minutes":
        assert run("--plan", str(demo), "cab", "new", "--date", "2027-01-05T10:00")[0] == 0
        with contextlib.closing(sqlite3.connect(demo)) as con:  # the meeting into the file itself:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # this test is about the export
    args = {"notes": ["notes", first_key(demo)], "minutes": ["minutes", "1"], "kpis": ["kpis"]}[
        kind
    ]
    assert run("--plan", str(demo), "export", *args, str(target))[0] == 0
    good = target.read_bytes()
    with contextlib.closing(sqlite3.connect(demo)) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # RLIMIT_FSIZE refuses a write past 512 bytes even inside an existing 32 KiB -shm index, which
    # a real full disk allows: start from the plan file alone, as a copied plan would be.
    for companion in ("-wal", "-shm"):
        Path(f"{demo}{companion}").unlink(missing_ok=True)
    done = run_on_full_disk(limit, "--plan", str(demo), "export", *args, str(target))
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"relman: cannot write {target.name}: the disk is full; nothing was "
        "written and any earlier file was kept\n"
    )
    assert target.read_bytes() == good
    assert list(tmp_path.glob(".*relman-tmp*")) == []


def test_read_commands_work_on_a_full_disk_and_writes_are_refused(demo: Path) -> None:
    done = run_on_full_disk(4096, "--plan", str(demo), "releases")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 5
    done = run_on_full_disk(4096, "--plan", str(demo), "audit", "verify")
    assert done.returncode == 0 and "intact" in done.stdout, done.stderr
    done = run_on_full_disk(4096, "--plan", str(demo), "cab", "new", "--date", "2027-01-05")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "nothing was changed" in done.stderr
    plan_intact(demo)
    assert "2027-01-05" not in run("--plan", str(demo), "cab", "list")[1]


def test_read_commands_work_on_a_read_only_plan(demo: Path, tmp_path: Path) -> None:
    demo.chmod(0o444)
    demo.parent.chmod(0o555)
    try:
        code, out, err = run("--plan", str(demo), "releases")
        assert code == 0 and len(out.splitlines()) == 5, err
        code, out, err = run(
            "--plan", str(demo), "export", "ics", str(tmp_path.parent / f"{tmp_path.name}.ics")
        )
        assert code == 0, err
        code, _, err = run("--plan", str(demo), "cab", "new", "--date", "2027-01-05")
        assert code == 2 and "read-only" in err and err.count("\n") == 1, err
    finally:
        demo.parent.chmod(0o755)
        demo.chmod(0o644)
        (tmp_path.parent / f"{tmp_path.name}.ics").unlink(missing_ok=True)


def test_a_read_only_folder_is_one_line(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def refused(*args: object, **kwargs: object) -> object:  # what a read-only folder answers
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    for kind in ("plan", "ics", "kpis", "calendar"):
        target = tmp_path / f"out.{'pdf' if kind == 'calendar' else 'x'}"
        code, _, err = run("--plan", str(demo), "export", kind, str(target))
        assert code == 2 and err.count("\n") == 1 and "read-only" in err, err
        assert not target.exists()


def test_leftovers_of_a_killed_export_are_removed_on_the_next_run(
    demo: Path, tmp_path: Path
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(gone.stdout)
    stale = tmp_path / f".cal.pdf.relman-tmp-{dead}-abcd1234"
    stale.write_bytes(b"%PDF-1.4 half")
    mine = tmp_path / f".cal.pdf.relman-tmp-{os.getpid()}-efgh5678"  # a live writer's file
    mine.write_bytes(b"in progress")
    assert run("--plan", str(demo), "export", "ics", str(tmp_path / "c.ics"))[0] == 0
    assert not stale.exists() and mine.exists()
    assert remove_stale_temp_files(tmp_path) == []


def test_a_kill_during_an_export_leaves_the_old_file(demo: Path, tmp_path: Path) -> None:
    target = tmp_path / "cal.pdf"
    assert run("--plan", str(demo), "export", "calendar", str(target))[0] == 0
    good = target.read_bytes()
    # the writer dies after writing part of its temporary file: the target is untouched
    kill = textwrap.dedent(
        """
        import os, sys
        from relman_desktop.exports.safe_write import write_atomically
        def half(tmp):
            tmp.write_bytes(b"%PDF-1.4 half")
            os._exit(9)
        write_atomically(sys.argv[1], half, complete=True)
        """
    )
    done = subprocess.run([sys.executable, "-c", kill, str(target)], timeout=120)
    assert done.returncode == 9
    assert target.read_bytes() == good
    assert len(list(tmp_path.glob(".cal.pdf.relman-tmp-*"))) == 1
    assert run("--plan", str(demo), "export", "calendar", str(target))[0] == 0
    assert list(tmp_path.glob(".cal.pdf.relman-tmp-*")) == []


def test_an_incomplete_file_is_not_renamed(tmp_path: Path) -> None:
    target = tmp_path / "g.pdf"
    target.write_bytes(b"old")
    with pytest.raises(ServiceError, match="incomplete"):
        write_atomically(target, lambda tmp: tmp.write_bytes(b"%PDF-1.4 cut short"), complete=True)
    with pytest.raises(ServiceError, match="nothing was written"):
        write_atomically(target, lambda tmp: None)
    with pytest.raises(ServiceError, match="writer failed"):
        write_atomically(target, lambda tmp: False)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["g.pdf"]


def test_init_and_demo_refuse_devices_and_files_that_are_not_plans(tmp_path: Path) -> None:
    for argv in (("init",), ("demo", "--releases", "1")):
        code, _, err = run("--plan", os.devnull, *argv)
        assert code == 2 and "not a plan file" in err and err.count("\n") == 1, err
    assert Path(os.devnull).is_char_device()
    fifo = tmp_path / "pipe.relman"
    os.mkfifo(fifo)
    notes = tmp_path / "notes.relman"
    notes.write_text("my notes")
    for target in (fifo, notes):
        code, _, err = run("--plan", str(target), "init")
        assert code == 2 and "not a plan file" in err, err
    assert fifo.is_fifo() and notes.read_text() == "my notes"


def test_init_through_a_symlink_writes_the_plan_at_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.relman"
    link.symlink_to("real.relman")
    assert run("--plan", str(link), "init")[0] == 0
    assert link.is_symlink() and (tmp_path / "real.relman").read_bytes().startswith(
        b"SQLite format 3"
    )


def test_import_from_a_fifo_with_no_writer_does_not_hang(demo: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "in.json"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "relman_desktop", "--plan", str(demo), "import", "plan", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "not a regular file" in done.stderr, done.stderr


def test_a_path_longer_than_the_file_system_allows_is_one_line(demo: Path, tmp_path: Path) -> None:
    long = tmp_path / ("a" * 300 + ".relman")
    for argv in (("releases",), ("init",)):
        code, _, err = run("--plan", str(long), *argv)
        assert code == 2 and err.count("\n") == 1 and "longer than the file system allows" in err, (
            err
        )
    code, _, err = run("--plan", str(demo), "export", "ics", str(tmp_path / ("b" * 300 + ".ics")))
    assert code == 2 and err.count("\n") == 1 and "longer than the file system allows" in err, err


def test_the_open_plan_in_this_process_is_protected_without_being_named(ctx: Ctx) -> None:
    with pytest.raises(ServiceError, match="open plan"):
        write_atomically(ctx.plan.path, lambda tmp: tmp.write_bytes(b"x"))
