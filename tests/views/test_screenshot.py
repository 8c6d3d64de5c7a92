"""``relman screenshot``: a PNG of the requested size, in each theme; clear errors."""

from __future__ import annotations

import io

import pytest
from PySide6.QtGui import QImage

from relman_desktop.cli import main as relman


@pytest.fixture
def plan_file(releases_ctx):
    releases_ctx.plan.close()
    return releases_ctx.plan.path


@pytest.mark.parametrize(
    ("view", "size", "theme"),
    [
        ("releases", "1366x768", "light"),
        ("release", "1920x1080", "dark"),
        ("settings", "800x600", "high-contrast"),
        ("calendar", "1024x700", "light"),
    ],
)
def test_screenshot_writes_a_png_of_the_size_asked(plan_file, tmp_path, view, size, theme):
    out = tmp_path / f"{view}.png"
    stdout = io.StringIO()
    code = relman(
        ["--plan", str(plan_file), "screenshot", view, str(out), "--size", size, "--theme", theme],
        out=stdout,
    )
    assert code == 0, stdout.getvalue()
    image = QImage(str(out))
    w, h = (int(x) for x in size.split("x"))
    assert (image.width(), image.height()) == (w, h)
    assert (
        len({image.pixel(x, y) for x in range(0, w, 37) for y in range(0, h, 37)}) > 3
    )  # not blank


def test_screenshot_of_a_release_by_key_and_unknown_ones(plan_file, tmp_path):
    err = io.StringIO()
    out = tmp_path / "r.png"
    assert (
        relman(
            ["--plan", str(plan_file), "screenshot", "tasks", str(out), "--release", "REL-2026-003"]
        )
        == 0
    )
    assert QImage(str(out)).width() == 1366
    assert (
        relman(
            ["--plan", str(plan_file), "screenshot", "release", str(out), "--release", "NOPE"],
            err=err,
        )
        == 2
    )
    assert "no release 'NOPE'" in err.getvalue()
    err = io.StringIO()
    assert (
        relman(["--plan", str(plan_file), "screenshot", "view", "nowhere", str(out)], err=err) == 2
    )
    assert "no view 'nowhere'" in err.getvalue()
