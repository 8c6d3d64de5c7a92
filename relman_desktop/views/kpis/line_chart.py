"""A small line chart painted with QPainter: the KPI trend charts (PRODUCT.md §6).

It draws what it is given as plain data (:class:`Plot`): coloured bands with their labels at
the right, lines that break at gaps (``None``), round markers (filled or hollow), a y axis with
nice ticks and its unit, period labels under the x axis (at most ~8, rotated when many) and a
footnote at the top right. What it drew stays readable for tests: ``ticks``, ``title_text``,
``plot``. It replaces a matplotlib canvas, which brought numpy, Pillow and friends (~70 MB) into
the bundle for seven line charts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

MAX_TICKS = 8  # x labels drawn at most (every n-th period when there are more)
ROTATE_ABOVE = 5  # more x labels than this are drawn slanted, as they would collide


@dataclass(frozen=True)
class Band:
    lo: float  # in the plotted unit
    hi: float
    color: str
    alpha: float
    label: str = ""  # drawn at the right when the band is tall enough
    hatched: bool = False


@dataclass(frozen=True)
class Line:
    ys: list[float | None]  # one per x; None breaks the line
    style: str = "solid"  # solid | dotted | dashed | none (markers only)
    width: float = 2.5
    markers: str = ""  # "" | filled | hollow
    alpha: float = 1.0


@dataclass
class Plot:
    labels: list[str] = field(default_factory=list)  # one per x
    lines: list[Line] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    top: float = 1.0
    unit: str = ""
    note: str = ""  # the footnote at the top right
    face: str = "#ffffff"
    text: str = "#000000"
    grid: str = "#a0a0a0"
    line: str = "#1f5fa8"
    empty: str = "No data in this range"


def nice_step(top: float, most: int = 6) -> float:
    """The tick step a reader expects (1, 2, 2.5, 5 × 10ⁿ) giving at most ``most`` intervals."""
    if top <= 0:
        return 1.0
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= raw - 1e-12:
            return m * power
    return 10 * power


def y_ticks(top: float, most: int = 6) -> list[tuple[float, str]]:
    """``(value, label)`` from 0 up to ``top``, every :func:`nice_step`."""
    step = nice_step(top, most)
    decimals = 0
    while decimals < 4 and abs(round(step, decimals) - step) > 1e-9:
        decimals += 1
    count = int(math.floor(top / step + 1e-9))
    return [(i * step, f"{i * step:.{decimals}f}") for i in range(count + 1)]


def shown_ticks(labels: list[str]) -> list[tuple[int, str]]:
    step = max(1, math.ceil(len(labels) / MAX_TICKS))
    return [(i, labels[i]) for i in range(0, len(labels), step)]


def _color(name: str, alpha: float = 1.0) -> QColor:
    c = QColor(name)
    c.setAlphaF(alpha)
    return c


class LineChart(QWidget):
    """Paints a :class:`Plot`; set one with :meth:`set_plot`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = Plot()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # what a reader sees, as data
    @property
    def ticks(self) -> list[str]:
        """The x labels drawn, left to right."""
        return [label for _i, label in shown_ticks(self.plot.labels)]

    @property
    def title_text(self) -> str:
        return self.plot.note

    def set_plot(self, plot: Plot) -> None:
        self.plot = plot
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(400, 220)

    def paintEvent(self, _event: object) -> None:  # noqa: N802
        painter = QPainter(self)
        try:
            self.paint(painter, QRectF(self.rect()))
        finally:
            painter.end()

    def image(self, scale: float, size: QSize | None = None, title: str = "") -> QImage:
        """The chart (with ``title`` above it) as an image ``scale`` times its logical size."""
        size = size or self.size().expandedTo(QSize(480, 260))
        head = self._font(1.25, bold=True)
        head_h = math.ceil(QFontMetricsF(head).height()) + 8 if title else 0
        w, h = size.width(), size.height() + head_h
        image = QImage(round(w * scale), round(h * scale), QImage.Format.Format_ARGB32)
        image.setDevicePixelRatio(scale)
        image.fill(QColor(self.plot.face))
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            if title:
                painter.setFont(head)
                painter.setPen(QColor(self.plot.text))
                painter.drawText(QRectF(0, 4, w, head_h - 4), Qt.AlignmentFlag.AlignCenter, title)
            self.paint(painter, QRectF(0, head_h, w, size.height()))
        finally:
            painter.end()
        return image

    # --- painting ----------------------------------------------------------------------------

    def _font(self, factor: float = 0.85, *, bold: bool = False) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(6.5, font.pointSizeF() * factor))
        font.setBold(bold)
        return font

    def paint(self, p: QPainter, area: QRectF) -> None:
        plot = self.plot
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(area, QColor(plot.face))
        font = self._font()
        fm = QFontMetricsF(font)
        p.setFont(font)
        text, grid = QColor(plot.text), QColor(plot.grid)
        if not plot.labels:
            frame = area.adjusted(8, 8, -8, -8)
            p.setPen(QPen(grid, 1))
            p.drawRect(frame)
            p.setPen(text)
            p.drawText(frame, Qt.AlignmentFlag.AlignCenter, plot.empty)
            return
        xt = shown_ticks(plot.labels)
        slanted = len(xt) > ROTATE_ABOVE
        widest = max(fm.horizontalAdvance(label) for _i, label in xt)
        below = fm.height() + 6 + (widest * 0.5 if slanted else 0)
        top_pad = fm.height() + 4 if plot.note else fm.height() / 2
        height = area.height() - top_pad - below
        # as many y ticks as fit with room between them (matplotlib's MaxNLocator does so too)
        yt = y_ticks(plot.top, max(3, min(8, int(height / (fm.height() * 1.7)))))
        left = fm.height() + 6 + max(fm.horizontalAdvance(s) for _v, s in yt) + 8
        r = QRectF(area.left() + left, area.top() + top_pad, area.width() - left - 8, height)
        if r.width() < 20 or r.height() < 20:
            return
        n = len(plot.labels)

        def x(i: float) -> float:
            return r.left() + (i + 0.5) / n * r.width()

        def y(v: float) -> float:
            return r.bottom() - min(max(v, 0.0), plot.top) / plot.top * r.height()

        # bands, their labels at the right
        bold = self._font(0.8, bold=True)
        for band in plot.bands:
            if band.lo >= plot.top:
                continue
            rect = QRectF(r.left(), y(band.hi), r.width(), y(band.lo) - y(band.hi))
            p.fillRect(rect, _color(band.color, band.alpha))
            if band.hatched:
                p.fillRect(
                    rect,
                    QBrush(
                        _color(band.color, min(1.0, band.alpha * 2)), Qt.BrushStyle.BDiagPattern
                    ),
                )
            if band.label and min(band.hi, plot.top) - band.lo >= plot.top * 0.07:
                p.setFont(bold)
                p.setPen(QColor(band.color))
                p.drawText(
                    rect.adjusted(0, 0, -4, 0),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    band.label,
                )
        p.setFont(font)
        # grid, frame, y ticks and unit
        p.setPen(QPen(_color(plot.grid, 0.6), 0.7))
        for v, _s in yt:
            p.drawLine(QPointF(r.left(), y(v)), QPointF(r.right(), y(v)))
        p.setPen(QPen(grid, 1))
        p.drawRect(r)
        p.setPen(text)
        for v, s in yt:
            p.drawLine(QPointF(r.left() - 3, y(v)), QPointF(r.left(), y(v)))
            p.drawText(
                QRectF(area.left(), y(v) - fm.height() / 2, left - 6, fm.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                s,
            )
        p.save()
        p.translate(area.left() + 2, r.center().y())
        p.rotate(-90)
        p.drawText(
            QRectF(-r.height() / 2, 0, r.height(), fm.height()),
            Qt.AlignmentFlag.AlignCenter,
            plot.unit,
        )
        p.restore()
        # x ticks
        for i, label in xt:
            px = x(i)
            p.drawLine(QPointF(px, r.bottom()), QPointF(px, r.bottom() + 3))
            if slanted:
                p.save()
                p.translate(px + fm.height() / 3, r.bottom() + 5)
                p.rotate(-30)
                w = fm.horizontalAdvance(label)
                p.drawText(QRectF(-w, 0, w, fm.height()), Qt.AlignmentFlag.AlignRight, label)
                p.restore()
            else:
                p.drawText(
                    QRectF(px - 60, r.bottom() + 4, 120, fm.height()),
                    Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                    label,
                )
        if plot.note:
            p.drawText(
                QRectF(area.left(), area.top() + 2, area.width() - 8, fm.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                plot.note,
            )
        # the lines, clipped to the plot
        p.save()
        p.setClipRect(r.adjusted(-6, -6, 6, 6))
        styles = {"solid": Qt.PenStyle.SolidLine, "dotted": Qt.PenStyle.DotLine}
        for line in plot.lines:
            color = _color(plot.line, line.alpha)
            pen = QPen(color, line.width, styles.get(line.style, Qt.PenStyle.DashLine))
            pen.setCapStyle(
                Qt.PenCapStyle.RoundCap if line.style != "dashed" else Qt.PenCapStyle.FlatCap
            )
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            path, drawing = QPainterPath(), False
            for i, value in enumerate(line.ys):
                if value is None:
                    drawing = False
                elif drawing:
                    path.lineTo(x(i), y(value))
                else:
                    path.moveTo(x(i), y(value))
                    drawing = True
            if line.style != "none":
                p.drawPath(path)
            if line.markers:
                hollow = line.markers == "hollow"
                p.setPen(QPen(color, 1.4) if hollow else Qt.PenStyle.NoPen)
                p.setBrush(QColor(plot.face) if hollow else color)
                radius = 3.4 if hollow else 2.9
                for i, value in enumerate(line.ys):
                    if value is not None:
                        p.drawEllipse(QPointF(x(i), y(value)), radius, radius)
        p.restore()
