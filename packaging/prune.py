"""What the bundle leaves out, and why: read by packaging/relman.spec on every platform.

Two kinds of cuts:

- ``EXCLUDED_MODULES``: Python modules PyInstaller must not follow (and so neither the shared
  libraries only they link). ``tests/test_packaging.py`` checks that relman_desktop imports
  none of them.
- ``dropped(dest)``: files that PyInstaller's hooks collect although nothing the app runs loads
  them (Qt plugins for other platforms or image formats, translations, sample data, and on
  Linux the GTK stack that only Qt's GTK theme plugin links). ``dest`` is the path inside the
  bundle as PyInstaller names it; the rules match the layout of every platform (Linux
  ``PySide6/Qt/plugins/imageformats/libqtiff.so``, Windows ``PySide6/plugins/imageformats/
  qtiff.dll``, macOS ``PySide6/Qt/plugins/imageformats/libqtiff.dylib``), so the Windows and
  macOS builds prune the same way. Only the Linux build has been run (see packaging/README.md).
"""

from __future__ import annotations

import re

EXCLUDED_MODULES = [
    # GUI toolkits and tools of other stacks; docs and tests (not unittest: pyparsing, for
    # grandalf, imports it)
    "tkinter", "_tkinter", "pydoc_data", "IPython", "pytest", "hypothesis",
    # Qt modules the app never imports (it uses QtCore, QtGui, QtWidgets, QtSvg)
    "PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets",
    "PySide6.QtQuickControls2", "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtSql",
    "PySide6.QtXml", "PySide6.QtConcurrent", "PySide6.QtDBus", "PySide6.QtDesigner",
    "PySide6.QtHelp", "PySide6.QtUiTools", "PySide6.QtTest", "PySide6.QtMultimedia",
    "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets", "PySide6.Qt3DCore",
    "PySide6.QtCharts", "PySide6.QtDataVisualization", "PySide6.QtPdf", "PySide6.QtSvgWidgets",
    # The KPI charts are painted with Qt (views/kpis/line_chart.py): no matplotlib, and none of
    # what it brought (numpy and its OpenBLAS, Pillow, contourpy, kiwisolver, fontTools: about
    # 70 MB). Listed so that a build venv which has them anyway (openpyxl and grandalf import
    # Pillow and numpy if present) still leaves them out.
    "matplotlib", "numpy", "PIL", "contourpy", "kiwisolver", "fontTools",
    # python-docx and openpyxl use lxml.etree only
    "lxml.objectify", "lxml.html", "lxml.isoschematron",
    # a plan is SQLite or PostgreSQL; SQLAlchemy's hook would add every dialect
    "sqlalchemy.dialects.mysql", "sqlalchemy.dialects.mssql", "sqlalchemy.dialects.oracle",
]  # fmt: skip

# Qt plugins by folder: the names (without lib prefix and .so/.dll/.dylib) left out, or "*".
# The app runs on X11 (xcb), Wayland, Windows, macOS, or offscreen (screenshots, exports);
# PNG is built into QtGui, SVG draws the icon, ICO is the Windows icon.
QT_PLUGINS_DROPPED = {
    # Windows' Direct2D platform is an alternative to qwindows that is never picked by default
    "platforms": {"qvnc", "qlinuxfb", "qeglfs", "qminimalegl", "qvkkhrdisplay", "qdirect2d"},
    # macOS' HEIF and JPEG 2000 readers included
    "imageformats": {"qtiff", "qwebp", "qjpeg", "qicns", "qgif", "qpdf", "qmacheif", "qmacjp2"},
    # the on-screen keyboard needs QtQuick (not in the bundle); ibus and compose stay
    "platforminputcontexts": {"qtvirtualkeyboardplugin"},
    # the GTK theme plugin drags in GTK's stack; the app draws with Qt's Fusion style
    "platformthemes": {"qgtk3"},
    # Wayland compositor-side ("server") buffer plugins: the app is a client
    "wayland-graphics-integration-client": {
        "dmabuf-server", "drm-egl-server", "vulkan-server", "shm-emulation-server",
    },
    "generic": "*",  # evdev/tslib input for framebuffer devices
    "egldeviceintegrations": "*",  # EGLFS (embedded, no window system)
}  # fmt: skip

# Qt libraries only the dropped plugins (or no one) link: Qt6Network comes with PySide6's hooks.
QT_LIBS_DROPPED = ("Network", "EglFSDeviceIntegration", "EglFsKmsSupport")

# Linux: libraries PyInstaller copies from the build machine because a dropped plugin (GTK
# theme) or a dropped module linked them; nothing left in the bundle links or opens them
# (packaging/unlinked.py lists any such library after a build).
LINUX_LIBS_DROPPED = (
    "libgtk-3.", "libgdk-3.", "libatk-1.0.", "libatk-bridge-2.0.", "libatspi.", "libepoxy.",
    "libpango", "libcairo", "libgdk_pixbuf", "libpixman", "libthai", "libdatrie", "libfribidi",
    "libharfbuzz.", "libgraphite2.", "libgio-2.0.", "libgobject-2.0.", "libgmodule-2.0.",
    "libmount.", "libblkid.", "libselinux.", "libXi.", "libXext.", "libXrandr.", "libXinerama.",
    "libXcomposite.", "libXdamage.", "libXdmcp.", "libXau.", "libbsd.", "libmd.",
    # Kerberos from the system: psycopg's libpq brings its own copy in psycopg_binary.libs
    "libkrb5.", "libkrb5support.", "libk5crypto.", "libgssapi_krb5.", "libcom_err.",
    "libkeyutils.",
    # JPEG for gdk-pixbuf (the GTK stack above); Qt's JPEG plugin is dropped too
    "libjpeg.so.62",
)  # fmt: skip

# Windows: Qt's software OpenGL renderer (opengl32sw.dll, about 20 MB) is for OpenGL contexts
# without a GPU driver; the app paints with the raster engine and never asks for one.
WINDOWS_LIBS_DROPPED = ("opengl32sw.dll",)

# Qt's own translations (PySide6/translations/ on Windows, PySide6/Qt/translations/ elsewhere):
# the app is in English.
QT_TRANSLATIONS = ("PySide6/translations/", "PySide6/Qt/translations/")

_PLUGIN = re.compile(r"(?:^|/)plugins/([^/]+)/(?:lib)?([^/]+?)(?:\.so|\.dll|\.dylib)$")
_QT_LIB = re.compile(r"(?:^|/)(?:lib)?Qt6?(\w+?)(?:\.so|\.dll|\.dylib|\.framework/)")


def dropped(dest: str) -> bool:
    """Whether the file PyInstaller would put at ``dest`` (relative to the bundle) stays out."""
    dest = dest.replace("\\", "/")
    name = dest.rsplit("/", 1)[-1]
    if dest.startswith("PySide6/"):
        plugin = _PLUGIN.search(dest)
        if plugin is not None:
            drop = QT_PLUGINS_DROPPED.get(plugin.group(1), ())
            return drop == "*" or plugin.group(2) in drop
        if dest.startswith(QT_TRANSLATIONS):
            return True
    qt_lib = _QT_LIB.search(dest)
    if qt_lib is not None and qt_lib.group(1) in QT_LIBS_DROPPED:
        return True
    if "/" not in dest and ".so" in name and name.startswith(LINUX_LIBS_DROPPED):
        return True
    return name.lower() in WINDOWS_LIBS_DROPPED
