"""The Dependencies view's scene written to a file: PNG, SVG (QSvgGenerator) or PDF
(QPdfWriter), atomically. ``graph_view`` re-exports ``export_scene`` and builds the headless
``relman export graph`` on it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsScene


def export_scene(scene: QGraphicsScene, path: str | Path) -> Path:
    """The whole scene to ``path``: .png (2× for sharpness, capped), .svg or .pdf, written
    beside it and renamed once complete (``exports.safe_write``)."""
    from relman_desktop.exports.safe_write import write_atomically

    suffix = Path(path).suffix.lower()
    if suffix not in (".png", ".svg", ".pdf"):
        raise ValueError(f"{Path(path).name}: export to .png, .svg or .pdf")
    return write_atomically(path, lambda tmp: _render_scene(scene, tmp, suffix), complete=True)


def _render_scene(scene: QGraphicsScene, target: Path, suffix: str) -> bool:
    """Paint the scene into ``target`` as ``suffix``; False when the writer failed."""
    source = scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
    if source.isEmpty():
        source = QRectF(0, 0, 200, 100)
    if suffix == ".png":
        scale = min(2.0, 16000 / max(source.width(), source.height()))
        image = QImage(
            QSize(max(1, int(source.width() * scale)), max(1, int(source.height() * scale))),
            QImage.Format.Format_ARGB32,
        )
        image.fill(QColor("#ffffff"))
        painter = QPainter(image)
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
        )
        scene.render(painter, QRectF(image.rect()), source)
        painter.end()
        from ..shell.screenshot import png_bytes

        target.write_bytes(png_bytes(image))
        return True
    if suffix == ".svg":
        from PySide6.QtSvg import QSvgGenerator

        gen = QSvgGenerator()
        gen.setFileName(str(target))
        gen.setSize(QSize(int(source.width()), int(source.height())))
        gen.setViewBox(QRectF(0, 0, source.width(), source.height()))
        gen.setTitle("Release dependencies")
        painter = QPainter(gen)
        scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
        return painter.end()
    if suffix == ".pdf":
        from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter

        writer = QPdfWriter(str(target))
        writer.setTitle("Release dependencies")
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A3))
        landscape = source.width() >= source.height()
        writer.setPageOrientation(
            QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
        )
        writer.setResolution(150)
        painter = QPainter(writer)
        page = QRectF(painter.viewport())
        scene.render(painter, page, source, Qt.AspectRatioMode.KeepAspectRatio)
        return painter.end()
    return False
