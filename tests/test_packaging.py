"""The parts of the bundle that need no bundle build (that one runs in .github/workflows/
bundle.yml): the desktop entry, the MIME type and the AppStream metainfo agree on the app and
the .relman type, and the icons render at the usual sizes."""

from __future__ import annotations

import configparser
import functools
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


def _prune():
    sys.path.insert(0, str(PKG))
    try:
        import prune
    finally:
        sys.path.remove(str(PKG))
    return prune


@functools.cache
def _imports_of_the_app() -> list[tuple[str, str]]:
    """(where, module) for every absolute import in relman_desktop, and every module named by
    a string to importlib.import_module (the CLI loads its commands that way)."""
    import ast

    found = []
    for path in sorted((ROOT / "relman_desktop").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                found += [(where, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append((where, node.module))
                found += [(where, f"{node.module}.{alias.name}") for alias in node.names]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "import_module"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append((where, node.args[0].value))
    return found


def test_the_bundle_leaves_out_no_module_the_app_imports():
    excluded = _prune().EXCLUDED_MODULES
    imports = _imports_of_the_app()
    assert any(module == "PySide6.QtSvg" for _, module in imports)  # the scan sees the app
    clashes = [
        f"{where} imports {module}, which packaging/prune.py leaves out of the bundle"
        for where, module in imports
        for gone in excluded
        if module == gone or module.startswith(gone + ".")
    ]
    assert clashes == []


def test_the_prune_rules_keep_what_runs_on_linux_windows_and_macos():
    dropped = _prune().dropped
    kept = [
        # Linux
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
        "PySide6/Qt/lib/libQt6Core.so.6",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libQt6Svg.so.6",
        "PySide6/Qt/lib/libQt6XcbQpa.so.6",
        "PySide6/Qt/lib/libQt6WaylandClient.so.6",
        "PySide6/Qt/lib/libicudata.so.73",
        "libX11.so.6",
        "libXcursor.so.1",  # libX11 opens it for cursor themes
        "libxcb-cursor.so.0",
        "libglib-2.0.so.0",  # QtCore links it
        "libgcc_s.so.1",
        # Windows
        "PySide6\\plugins\\platforms\\qwindows.dll",
        "PySide6\\plugins\\platforms\\qoffscreen.dll",
        "PySide6\\plugins\\imageformats\\qico.dll",
        "PySide6\\plugins\\styles\\qmodernwindowsstyle.dll",
        "PySide6\\Qt6Core.dll",
        "PySide6\\Qt6Gui.dll",
        # macOS
        "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
        "PySide6/Qt/lib/QtCore.framework/Versions/A/QtCore",
        "PySide6/Qt/lib/QtGui.framework/Versions/A/QtGui",
        # everywhere
        "relman_desktop/schema/plan-v1.schema.json",
        "relman_desktop/models/migrations/env.py",
    ]
    gone = [
        "PySide6/Qt/plugins/imageformats/libqtiff.so",
        "PySide6\\plugins\\imageformats\\qtiff.dll",
        "PySide6/Qt/plugins/imageformats/libqtiff.dylib",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/generic/libqevdevmouseplugin.so",
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6\\translations\\qtbase_de.qm",
        "PySide6/Qt/lib/libQt6Network.so.6",
        "libQt6Network.so.6",
        "PySide6\\Qt6Network.dll",
        "PySide6/Qt/lib/QtNetwork.framework/Versions/A/QtNetwork",
        "libgtk-3.so.0",
        "libgdk-3.so.0",
        "libkrb5.so.3",
        "PySide6\\opengl32sw.dll",
    ]
    assert [dest for dest in kept if dropped(dest)] == []
    assert [dest for dest in gone if not dropped(dest)] == []


def test_no_qt_library_or_plugin_the_bundle_keeps_links_a_library_it_drops():
    """What prune.py drops must not be linked by what stays: from the Qt bindings the app
    imports and the Qt plugins PyInstaller's hooks collect for them (minus the dropped ones),
    follow the NEEDED entries of their ELF headers through Qt's libraries; none may name a
    library, Qt library or plugin the bundle leaves out."""
    import re

    import PySide6

    prune = _prune()
    base = Path(PySide6.__file__).parent
    qt_lib = base / "Qt" / "lib"
    used = {m for _, m in _imports_of_the_app() if re.fullmatch(r"PySide6\.Qt\w+", m)}
    assert {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtSvg"} <= used
    roots = [base / f"{module.split('.')[1]}.abi3.so" for module in sorted(used)]

    def needed(path: Path) -> list[str]:
        out = subprocess.run(
            ["readelf", "-d", str(path)], capture_output=True, text=True, check=True
        ).stdout
        return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)

    # the plugin folders PyInstaller's hooks collect for QtGui, QtWidgets and QtSvg on Linux;
    # like the hooks, a plugin whose Qt libraries are not all installed is not collected
    folders = {
        "platforms", "platformthemes", "platforminputcontexts", "imageformats", "iconengines",
        "xcbglintegrations", "wayland-decoration-client", "wayland-graphics-integration-client",
        "wayland-shell-integration", "egldeviceintegrations", "generic",
    }  # fmt: skip
    for plugin in sorted((base / "Qt" / "plugins").glob("*/*.so")):
        rel = plugin.relative_to(base.parent).as_posix()
        if plugin.parent.name not in folders or prune.dropped(rel):
            continue
        qt_needed = [name for name in needed(plugin) if name.startswith("libQt6")]
        if all((qt_lib / name).is_file() for name in qt_needed):
            roots.append(plugin)
    assert any(p.name == "libqxcb.so" for p in roots) and all(p.is_file() for p in roots)
    links, seen, todo = [], set(), list(roots)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in needed(path):
            if prune.dropped(name) or prune.dropped(f"PySide6/Qt/lib/{name}"):
                links.append(f"{path.relative_to(base)} links {name}")
            if (qt_lib / name).is_file():
                todo.append(qt_lib / name)
    assert qt_lib / "libQt6XcbQpa.so.6" in seen  # the walk reached Qt's libraries
    assert links == []


_BLOCKED_RUN = """
import importlib, importlib.abc, json, pkgutil, sys

EXCLUDED = json.loads(sys.stdin.read())


class LeftOut(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == gone or name.startswith(gone + ".") for gone in EXCLUDED):
            raise ModuleNotFoundError(f"No module named {name!r} (left out of the bundle)", name=name)
        return None


sys.meta_path.insert(0, LeftOut())
import relman_desktop

for info in pkgutil.walk_packages(relman_desktop.__path__, "relman_desktop."):
    if not info.name.endswith(".__main__"):  # that one runs the CLI
        importlib.import_module(info.name)

# a KPI chart's Copy / Save PNG (painted by Qt) and the dependency graph's layout (grandalf,
# which uses numpy only when it is there)
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from relman_desktop.views.graph.graph_layout import layered_layout
from relman_desktop.views.kpis.line_chart import Line, LineChart, Plot
from relman_desktop.views.shell.screenshot import png_bytes

app = QApplication([])
chart = LineChart()
chart.set_plot(Plot(labels=["2026-01", "2026-02", "2026-03"], lines=[Line([1.0, 3.0, 2.0])], top=4))
image = QImage.fromData(png_bytes(chart.image(2.0, QSize(100, 50))))
layout = layered_layout(["A", "B", "C"], [("A", "B"), ("B", "C")])
columns = [layout.columns[key] for key in "ABC"]
import sqlalchemy

with sqlalchemy.create_engine("sqlite://").connect() as connection:
    sqlite = connection.exec_driver_sql("select sqlite_version()").scalar()
postgres = sqlalchemy.create_engine("postgresql+psycopg://relman@localhost/plan").dialect.name
print(json.dumps({
    "png": [image.width(), image.height()], "columns": columns, "sqlite": bool(sqlite),
    "pg": postgres, "loaded": sorted(m for m in EXCLUDED if m in sys.modules),
}))
"""


def test_the_app_and_its_libraries_work_without_the_modules_the_bundle_leaves_out():
    """Every relman_desktop module imports, a KPI chart is written as PNG, the dependency
    graph is laid out in columns (grandalf without numpy) and SQLAlchemy makes SQLite and
    PostgreSQL engines while importing any module prune.py leaves out (numpy, matplotlib,
    Pillow among them) fails: what a library imports on the way is checked too, not only the
    app."""
    import json

    excluded = _prune().EXCLUDED_MODULES
    assert {"numpy", "matplotlib", "PIL", "contourpy", "kiwisolver", "fontTools"} <= set(excluded)
    done = subprocess.run(
        [sys.executable, "-c", _BLOCKED_RUN],
        input=json.dumps(excluded),
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "png": [200, 100],  # drawn at twice its size, as for a 192 dpi Save PNG
        "columns": [0, 1, 2],
        "sqlite": True,
        "pg": "postgresql",
        "loaded": [],
    }


def test_the_prune_rules_on_the_windows_and_macos_wheels_of_pyside6():
    """On the real file names of PySide6-Essentials 6.11.2 for Windows and macOS (the Windows
    and macOS builds have never run here): the platform plugin, PNG/SVG/ICO, the native style
    and Qt's Core/Gui/Widgets/Svg stay; translations, other platforms and formats, QtNetwork and
    the software OpenGL DLL go."""
    dropped = _prune().dropped
    listing = ROOT / "tests" / "fixtures" / "pyside6-6.11.2-windows-macos-files.txt"
    files = [line for line in listing.read_text().splitlines() if not line.startswith("#")]
    kept: dict[tuple[str, str], set[str]] = {}
    gone: dict[tuple[str, str], set[str]] = {}
    for dest in files:
        system = "macos" if dest.startswith("PySide6/Qt/") else "windows"
        parts = dest.split("/")
        folder = parts[-2] if "plugins" in parts or "translations" in parts else "lib"
        name = parts[-1].removeprefix("lib").split(".")[0]
        (gone if dropped(dest) else kept).setdefault((system, folder), set()).add(name)
    for system, native, style in (
        ("windows", "qwindows", "qmodernwindowsstyle"),
        ("macos", "qcocoa", "qmacstyle"),
    ):
        assert kept[(system, "platforms")] == {native, "qoffscreen", "qminimal"}
        assert {"qsvg", "qico"} <= kept[(system, "imageformats")]
        assert {"qtiff", "qwebp", "qjpeg", "qgif", "qpdf"} <= gone[(system, "imageformats")]
        assert kept[(system, "styles")] == {style}
        assert kept[(system, "iconengines")] == {"qsvgicon"}
        assert (system, "translations") not in kept and len(gone[(system, "translations")]) > 4
        assert (system, "generic") not in kept
        assert (system, "platforminputcontexts") not in kept
    assert gone[("windows", "platforms")] == {"qdirect2d"}
    assert {"Qt6Core", "Qt6Gui", "Qt6Widgets", "Qt6Svg"} <= kept[("windows", "lib")]
    assert {"Qt6Network", "opengl32sw"} <= gone[("windows", "lib")]
    assert {"QtCore", "QtGui", "QtWidgets", "QtSvg"} <= kept[("macos", "lib")]
    assert "QtNetwork" in gone[("macos", "lib")]
