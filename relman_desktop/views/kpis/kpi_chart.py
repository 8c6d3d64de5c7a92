"""One KPI's card on the KPIs page (``KpiChart``): title, headline, DORA tier, the trend as a
:class:`~.line_chart.LineChart` with the tier bands in the theme's colours, Copy and Save PNG.
What the numbers say comes from ``kpi_specs``; ``kpi_dashboard`` lays the cards out.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.services import kpis

from ..shell.screenshot import png_bytes
from ..shell.theme import THEME_COLORS
from .kpi_specs import KpiSpec, headline, series_values, tier_bands, tier_text
from .line_chart import Band, Line, LineChart, Plot

TIER_COLORS = {
    "light": {"elite": "#1b7f3b", "high": "#1f5fa8", "medium": "#b7791f", "low": "#b3261e"},
    "dark": {"elite": "#5ccf7e", "high": "#6ea8ff", "medium": "#f0b54a", "low": "#ff7b72"},
    "high-contrast": {"elite": "#00ff00", "high": "#00ffff", "medium": "#ffff00", "low": "#ff6060"},
}
BAND_ALPHA = {"light": 0.13, "dark": 0.2, "high-contrast": 0.28}


def _theme_name() -> str:
    app = QApplication.instance()
    name = app.property("relman_theme") if app is not None else None
    return str(name) if name in TIER_COLORS else "light"


class KpiChart(QFrame):
    """A KPI's card: title, headline, DORA tier, the trend chart, Copy and Save PNG."""

    def __init__(self, spec: KpiSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.setObjectName(f"kpi_card_{spec.name}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.report: kpis.KpiReport | None = None
        self.values: list[float | None] = []
        self.periods: list[str] = []
        self.partial: list[bool] = []
        self.partial_note = ""
        self.title = QLabel(spec.title)
        self.title.setStyleSheet("font-weight: 600;")
        self.title.setToolTip(spec.what)
        self.value_label = QLabel("—")
        self.value_label.setObjectName(f"kpi_value_{spec.name}")
        font = self.value_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.value_label.setFont(font)
        self.detail_label = QLabel("")
        self.detail_label.setWordWrap(True)
        self.tier_label = QLabel("")
        self.tier_label.setObjectName(f"kpi_tier_{spec.name}")
        self.tier_label.setWordWrap(True)
        self.tier_label.setProperty("role", "subtle")
        self.canvas = LineChart()
        self.canvas.setMinimumHeight(190)
        self.canvas.setAccessibleName(f"{spec.title} chart")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy this chart to the clipboard as a picture")
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setToolTip("Save this chart as a PNG image")
        for b in (self.copy_button, self.save_button):
            b.setAccessibleName(f"{b.text().rstrip('…')} {spec.title} chart")
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.copy_button)
        top.addWidget(self.save_button)
        numbers = QHBoxLayout()
        numbers.addWidget(self.value_label)
        numbers.addSpacing(8)
        numbers.addWidget(self.detail_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addLayout(numbers)
        layout.addWidget(self.tier_label)
        layout.addWidget(self.canvas, 1)

    def show_report(
        self, report: kpis.KpiReport, partial: list[bool] | None = None, note: str = ""
    ) -> None:
        """Show ``report``; ``partial`` marks the periods counted only in part (drawn hollow,
        reached by a dotted line, ticked with "*"), explained by ``note``."""
        self.report = report
        self.partial = partial if partial is not None else [False] * len(report.series)
        self.partial_note = note
        value, detail = headline(self.spec, report)
        self.value_label.setText(value)
        self.detail_label.setText(detail)
        self.tier_label.setText(tier_text(self.spec, report))
        self.values = series_values(self.spec, report)
        self.periods = [row.period for row in report.series]
        self.redraw()

    def redraw(self) -> None:
        # The app's theme decides (a palette inherited by this widget may lag a theme switch).
        theme = _theme_name()
        colors = THEME_COLORS[theme]
        plot = Plot(face=colors.base, text=colors.text, grid=colors.mid, line=colors.link)
        report = self.report
        if report is None or all(v is None for v in self.values):  # "No data in this range"
            self.canvas.set_plot(plot)
            return
        scale, plot.unit = self._scale()
        ys = [None if v is None else v * scale for v in self.values]
        present = [y for y in ys if y is not None]
        plot.top = top = self._top(present, scale)
        tier_colors = TIER_COLORS[theme]
        for lo, hi, tier in tier_bands(self.spec, report.tiers.report_year, report.by):
            plot.bands.append(
                Band(
                    lo * scale,
                    min(hi * scale, top * 4),
                    tier_colors[tier],
                    BAND_ALPHA[theme],
                    label=tier,
                    hatched=theme == "high-contrast" and tier == "low",
                )
            )
        # A period the range covers only in part (this month, two days in) is drawn hollow and
        # reached by a dotted line: its count is not comparable with a whole period's.
        partial = self.partial
        plot.lines = [
            Line(ys, style="dotted", width=1.4),
            Line([None if partial[i] else y for i, y in enumerate(ys)], markers="filled"),
            Line([y if partial[i] else None for i, y in enumerate(ys)], "none", markers="hollow"),
        ]
        if self.spec.name == "mttr":
            means = [
                None if r.mttr_hours_mean is None else r.mttr_hours_mean * scale
                for r in report.series
            ]
            plot.lines.append(Line(means, style="dashed", width=1.2, alpha=0.8))
        plot.labels = [p + ("*" if partial[i] else "") for i, p in enumerate(self.periods)]
        plot.note = self.partial_note
        self.canvas.set_plot(plot)

    def _scale(self) -> tuple[float, str]:
        if self.spec.kind == "rate":
            return 100.0, "%"
        if self.spec.kind == "count":
            return 1.0, f"deployments / {self.report.by if self.report else 'period'}"
        present = [v for v in self.values if v is not None]
        if present and max(present) >= 72:
            return 1 / 24, "days"
        return 1.0, "hours"

    def _top(self, present: list[float], scale: float) -> float:
        if self.spec.kind == "rate" and self.spec.tier_metric is None:
            return 105.0
        if self.spec.kind == "rate":  # change failure rate: the tier limits sit low on the scale
            return min(105.0, max(25.0, max(present, default=0.0) * 1.3))
        top = max(present) * 1.25 if present else 0.0
        if top <= 0:
            bands = (
                tier_bands(self.spec, self.report.tiers.report_year, self.report.by)
                if self.report is not None
                else []
            )
            top = bands[1][0] * scale * 1.5 if len(bands) > 1 else 1.0
        return max(top, 1.0 if self.spec.kind == "count" else 0.1)

    # --- leaving the app --------------------------------------------------------------------------

    def png_bytes(self, dpi: int = 150) -> bytes:
        """The chart with its title and headline, as PNG (``dpi`` / 96 times the screen size)."""
        title = f"{self.spec.title}: {self.value_label.text()}"
        return png_bytes(self.canvas.image(dpi / 96, title=title))

    def copy_to_clipboard(self) -> QImage:
        image = QImage.fromData(self.png_bytes())
        QGuiApplication.clipboard().setImage(image)
        return image

    def save_png(self, path: str | Path) -> Path:
        """Write the chart to ``path`` (atomically; a missing folder is a ``ServiceError``)."""
        from relman_desktop.exports.safe_write import write_atomically

        data = self.png_bytes()
        return write_atomically(path, lambda tmp: tmp.write_bytes(data))
