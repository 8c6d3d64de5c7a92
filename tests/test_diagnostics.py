"""relman --version / About facts, the rotating log and faulthandler's crash file, and the
X-library check that runs before Qt starts."""

from __future__ import annotations

import io
import json
import logging
import logging.handlers
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from relman_desktop import display_check
from relman_desktop.cli import main as cli
from relman_desktop.logging_setup import crash_file, log_file, setup_logging
from relman_desktop.models.migrations.revisions import HEAD
from relman_desktop.services import backups


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return cli(list(args), out=out, err=err), out.getvalue(), err.getvalue()


@pytest.fixture
def logs(tmp_path, monkeypatch):
    monkeypatch.setenv("RELMAN_LOG_DIR", str(tmp_path / "logs"))
    yield tmp_path / "logs"
    logger = logging.getLogger("relman_desktop")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def test_version_names_the_app_python_qt_sqlite_schema_log_and_backups(tmp_path, logs, capsys):
    plan = tmp_path / "p.relman"
    assert run("--plan", str(plan), "init")[0] == 0
    code, out, _ = run("--plan", str(plan), "version", "--json")
    facts = json.loads(out)
    assert code == 0
    assert facts["version"] == version("relman-desktop")
    assert facts["python"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")
    assert facts["sqlite"] == sqlite3.sqlite_version
    assert facts["qt"].startswith("6.")
    assert facts["plan_schema"] == HEAD and facts["schema_head"] == HEAD
    assert facts["log_file"] == str(logs / "relman-desktop.log")
    assert facts["backup_folder"] == str(backups.backup_folder(plan))
    assert cli(["--plan", str(plan), "--version"]) == 0
    printed = capsys.readouterr().out
    assert f"Release Manager Desktop  {version('relman-desktop')}" in printed
    assert f"Plan schema              {HEAD} (this version writes {HEAD})" in printed


def test_relman_version_is_a_top_level_option(tmp_path):
    done = subprocess.run(
        [str(Path(sys.executable).with_name("relman")), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "SQLite" in done.stdout and "Backups" in done.stdout


def test_the_log_rotates_in_the_log_folder(logs):
    path = setup_logging()
    assert path == log_file() == logs / "relman-desktop.log"
    handler = next(
        h
        for h in logging.getLogger("relman_desktop").handlers
        if isinstance(h, logging.handlers.RotatingFileHandler)
    )
    handler.maxBytes = 2000  # rotate quickly for the test
    for i in range(100):
        logging.getLogger("relman_desktop.test").info("line %d of a long session", i)
    assert (logs / "relman-desktop.log.1").exists()
    assert "line 99 of a long session" in (logs / "relman-desktop.log").read_text()


def test_a_hard_crash_leaves_its_stack_in_the_crash_log(logs, tmp_path):
    code = (
        "from relman_desktop.logging_setup import setup_logging; setup_logging(); "
        "import faulthandler; faulthandler._sigsegv()"
    )
    env = {"RELMAN_LOG_DIR": str(logs), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode != 0
    text = crash_file().read_text()
    assert "Fatal Python error: Segmentation fault" in text


def test_an_unwritable_log_folder_falls_back_to_stderr(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("RELMAN_LOG_DIR", str(blocker / "logs"))
    assert setup_logging() is None
    assert "cannot write the log in" in capsys.readouterr().err
    logger = logging.getLogger("relman_desktop")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)


LDD = """\
\tlinux-vdso.so.1 (0x00007ffc)
\tlibQt6XcbQpa.so.6 => /opt/app/_internal/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)
"""


def test_missing_x_libraries_are_named_in_one_line_with_the_packages():
    missing = display_check.missing_from_ldd(LDD)
    assert missing == ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert display_check.problem_line(missing) == (
        "relman-desktop: cannot start: the X11 libraries libxcb-cursor.so.0, libxcb-icccm.so.4, "
        "libxcb-keysyms.so.1 are missing; on Debian/Ubuntu: sudo apt-get install libxcb-cursor0 "
        "libxcb-icccm4 libxcb-keysyms1"
    )


def test_the_check_runs_only_for_x11(monkeypatch):
    monkeypatch.setattr(
        display_check, "missing_x_libraries", lambda plugin=None: ["libxcb-icccm.so.4"]
    )
    assert display_check.check({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display_check.check({"WAYLAND_DISPLAY": "wayland-0"}) is None
    line = display_check.check({"DISPLAY": ":0"})
    assert line is not None and "libxcb-icccm.so.4" in line and "\n" not in line
    monkeypatch.setattr(display_check, "missing_x_libraries", lambda plugin=None: [])
    assert display_check.check({"DISPLAY": ":0"}) is None
    assert "no display" in (display_check.check({}) or "")


def test_the_app_prints_the_line_and_exits_before_qt_starts(monkeypatch, capsys):
    from relman_desktop import app

    monkeypatch.setattr(
        display_check,
        "check",
        lambda env=None: "relman-desktop: cannot start: the X11 libraries x are missing",
    )
    assert app.main(["relman-desktop"]) == 2
    assert (
        capsys.readouterr().err == "relman-desktop: cannot start: the X11 libraries x are missing\n"
    )


def test_the_real_xcb_plugin_is_found_and_ldd_answers():
    plugin = display_check.xcb_plugin()
    assert plugin is not None and plugin.name == "libqxcb.so"
    missing = display_check.missing_x_libraries(plugin)
    assert all(name.startswith("lib") and ".so" in name for name in missing)


def test_relman_desktop_version_needs_no_display(monkeypatch, capsys):
    from relman_desktop import app

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(
        display_check, "check", lambda env=None: pytest.fail("--version must not check the display")
    )
    assert app.main(["relman-desktop", "--version"]) == 0
    assert f"Release Manager Desktop  {version('relman-desktop')}" in capsys.readouterr().out
