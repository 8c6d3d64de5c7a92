"""Before the QApplication exists: can Qt's X11 (xcb) platform plugin load on this machine?

Without the X libraries it links to, Qt prints a long warning and aborts (a core dump on a
colleague's fresh desktop). Asking ``ldd`` which of the plugin's libraries are "not found"
costs a few milliseconds and lets ``relman-desktop`` say, in one line, which libraries are
missing and the apt-get line that installs them. No Qt is imported here.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# Sonames of the xcb platform plugin's dependencies -> the Debian/Ubuntu package that has them.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)


def missing_from_ldd(ldd_output: str) -> list[str]:
    """The sonames ``ldd`` could not resolve, in its order, without repeats."""
    seen: list[str] = []
    for name in _NOT_FOUND.findall(ldd_output):
        if name not in seen:
            seen.append(name)
    return seen


def uses_xcb(env: Mapping[str, str]) -> bool:
    """Will Qt pick the X11 plugin? (Linux only; an explicit QT_QPA_PLATFORM decides.)"""
    platform = env.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0]
    if platform:
        return platform == "xcb"
    return not env.get("WAYLAND_DISPLAY")


def xcb_plugin() -> Path | None:
    """Qt's xcb platform plugin in this installation or bundle, if there is one."""
    places: list[Path] = []
    spec = importlib.util.find_spec("PySide6")
    if spec and spec.submodule_search_locations:
        places += [Path(p) for p in spec.submodule_search_locations]
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        places.append(Path(frozen) / "PySide6")
    for base in places:
        plugin = base / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def missing_x_libraries(plugin: Path | None = None) -> list[str]:
    """The X libraries Qt's xcb plugin needs and this machine lacks ([] when unknown)."""
    plugin = plugin or xcb_plugin()
    ldd = shutil.which("ldd")
    if plugin is None or ldd is None:
        return []
    try:
        done = subprocess.run(
            [ldd, str(plugin)], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return missing_from_ldd(done.stdout)


def problem_line(missing: list[str]) -> str:
    packages = [DEBIAN_PACKAGES.get(lib, "") for lib in missing]
    line = f"relman-desktop: cannot start: the X11 libraries {', '.join(missing)} are missing"
    if all(packages):
        line += f"; on Debian/Ubuntu: sudo apt-get install {' '.join(packages)}"
    return line


def check(env: Mapping[str, str] | None = None) -> str | None:
    """One line saying why the GUI cannot start on this display, or None when it can try."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux") or not uses_xcb(env):
        return None
    missing = missing_x_libraries()
    if missing:
        return problem_line(missing)
    if not env.get("DISPLAY") and not env.get("QT_QPA_PLATFORM"):
        return (
            "relman-desktop: cannot start: no display (DISPLAY is not set); run it in a desktop "
            "session, or use the relman command line"
        )
    return None
