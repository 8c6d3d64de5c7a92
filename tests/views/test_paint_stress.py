"""Regression test for PySide6 6.12.0 on CPython 3.11, which crashes (none_dealloc) after many
QPainter calls from Python; 6.11.2 is pinned for that. ~200,000 calls, then check the picture."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen


def test_two_hundred_thousand_paint_calls_paint_what_they_should(qapp):
    image = QImage(400, 300, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    red, blue = QPen(QColor("#ff0000")), QPen(QColor("#0000ff"))
    calls = 0
    path = QPainterPath(QPointF(0, 299))
    for i in range(50_000):
        painter.setPen(red if i % 2 else blue)
        painter.drawRect(QRectF(10 + i % 150, 10 + i % 100, 5, 5))
        path.lineTo(QPointF(i % 400, 299 - (i % 7)))
        painter.setPen(Qt.PenStyle.NoPen)
        calls += 4
    painter.setPen(QPen(QColor("#00a000")))
    painter.drawPath(path)
    painter.fillRect(QRectF(300, 20, 50, 50), QColor("#123456"))
    painter.end()
    assert calls >= 200_000
    assert image.pixelColor(325, 45).name() == "#123456"  # the filled square
    assert image.pixelColor(390, 150).name() == "#ffffff"  # untouched background
    drawn = {image.pixelColor(x, y).name() for x in range(10, 170) for y in range(10, 115)}
    assert {"#ff0000", "#0000ff"} <= drawn  # both pens' rectangles landed
    assert image.pixelColor(200, 299).name() != "#ffffff"  # the path along the bottom
