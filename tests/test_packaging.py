"""The parts of the bundle that need no bundle build (that one runs in .github/workflows/
bundle.yml): the desktop entry, the MIME type and the AppStream metainfo agree on the app and
the .relman type, and the icons render at the usual sizes."""

from __future__ import annotations

import configparser
import os
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


def _slim_icu():
    sys.path.insert(0, str(PKG))
    try:
        import slim_icu
    finally:
        sys.path.remove(str(PKG))
    return slim_icu


def test_the_bundle_keeps_icu_sorting_for_every_language_and_english_names_only():
    slim_icu = _slim_icu()
    kept = [
        "coll/sv.res",
        "coll/ucadata.icu",
        "coll/de_.res",
        "en.res",
        "en_GB.res",
        "root.res",
        "curr/en.res",
        "curr/root.res",
        "brkitr/thaidict.dict",
        "cnvalias.icu",
        "pool.res",
        "ibm-5348_P100-1997.cnv",
        "zoneinfo64.res",
        "supplementalData.res",
        "nfkc.nrm",
    ]
    gone = [
        "de.res",
        "zh_Hant_TW.res",
        "es_.res",
        "curr/fr.res",
        "zone/ja.res",
        "lang/sv.res",
        "translit/root.res",
        "gb18030.cnv",
        "ibm-1390_P110-2003.cnv",
    ]
    assert [item for item in kept if slim_icu.dropped(item)] == []
    assert [item for item in gone if not slim_icu.dropped(item)] == []


def test_slimming_icu_data_keeps_swedish_collation_or_leaves_the_library_alone(tmp_path):
    """With ICU's tools the bundle's libicudata shrinks and Qt still sorts Swedish names the
    Swedish way (Å after Z) from it; without them the library is left byte for byte."""
    import PySide6

    slim_icu = _slim_icu()
    original = next(Path(PySide6.__file__).parent.glob("Qt/lib/libicudata.so.*[0-9]"))
    lib_dir = tmp_path / "lib"
    lib_dir.mkdir()
    copy = lib_dir / original.name
    copy.write_bytes(original.read_bytes())
    said = slim_icu.slim(copy)
    if said.startswith("left as is"):
        assert "not installed" in said
        assert copy.read_bytes() == original.read_bytes()
        return
    assert copy.stat().st_size < original.stat().st_size / 2, said
    script = (
        "from PySide6.QtCore import QCollator, QLocale\n"
        "c = QCollator(QLocale('sv_SE'))\n"
        "print(sorted(['Zebra', 'apple', 'Åsa'], key=c.sortKey))\n"
    )
    env = {
        **os.environ,
        "LD_LIBRARY_PATH": str(lib_dir),
        "QT_QPA_PLATFORM": "offscreen",
    }
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "['apple', 'Zebra', 'Åsa']", out.stderr
