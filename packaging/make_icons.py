"""``make_icons.py ICON.svg HICOLOR``: the app icon as PNG at the usual sizes, rendered with
Qt's own SVG renderer (no extra tool), into HICOLOR/NxN/apps/relman-desktop.png."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main(svg: str, hicolor: str) -> int:
    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - fonts and painting
    renderer = QSvgRenderer(svg)
    if not renderer.isValid():
        print(f"make_icons: {svg} is not a valid SVG", file=sys.stderr)
        return 2
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        target = Path(hicolor) / f"{size}x{size}" / "apps" / "relman-desktop.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target)):
            print(f"make_icons: cannot write {target}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
