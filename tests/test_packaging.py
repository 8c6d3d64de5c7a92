"""The parts of the bundle that need no bundle build (that one runs in .github/workflows/
bundle.yml): the desktop entry, the MIME type and the AppStream metainfo agree on the app and
the .relman type, and the icons render at the usual sizes."""

from __future__ import annotations

import configparser
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "packaging"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(PKG / "relman-desktop.desktop")
    return parser["Desktop Entry"]


def test_desktop_entry_mime_type_and_metainfo_agree_on_the_plan_type():
    entry = desktop_entry()
    assert entry["Exec"] == "relman-desktop %f" and entry["Icon"] == "relman-desktop"
    mime = ET.parse(PKG / "relman-desktop-mime.xml").getroot().find(f"{MIME_NS}mime-type")
    assert mime is not None
    plan_type = mime.get("type")
    assert entry["MimeType"].rstrip(";") == plan_type == "application/x-relman-plan"
    assert [g.get("pattern") for g in mime.findall(f"{MIME_NS}glob")] == ["*.relman"]
    meta = ET.parse(PKG / "io.github.relman_desktop.metainfo.xml").getroot()
    assert meta.findtext("launchable") == "relman-desktop.desktop"
    assert [m.text for m in meta.iter("mediatype")] == [plan_type]
    assert sorted(b.text or "" for b in meta.iter("binary")) == ["relman", "relman-desktop"]
    from importlib.metadata import version

    assert meta.find("releases/release").get("version") == version("relman-desktop")  # type: ignore[union-attr]


def test_the_icon_renders_at_the_usual_sizes(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(PKG / "make_icons.py"),
            str(ROOT / "resources" / "relman-desktop.svg"),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    from PySide6.QtGui import QImage

    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        image = QImage(str(tmp_path / f"{size}x{size}" / "apps" / "relman-desktop.png"))
        assert (image.width(), image.height()) == (size, size)
        assert image.pixelColor(size // 2, size // 2).alpha() > 0  # something is drawn
