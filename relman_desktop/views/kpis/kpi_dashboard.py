"""The KPIs page: one line chart per KPI (PRODUCT.md §6), with DORA tier bands.

Filters (dates, period, application, DORA report year) recompute the KPIs off the GUI thread
through the worker helper (``services.kpis.compute_kpis``); a newer answer replaces an older
one. Each chart is a :class:`~.line_chart.LineChart` painted with QPainter (no matplotlib: it
brought numpy and Pillow, ~70 MB of the bundle) that can be copied to the clipboard or saved as
PNG. Importing this module registers the ``kpis`` page and screenshot view.

Where things live: this module holds the page (``KpiDashboard``: filters, the background
computation, the grid of cards) and its registration; one KPI's card is ``kpi_chart.KpiChart``,
what each KPI is and how its numbers read (specs, headlines, tiers, partial periods) is
``kpi_specs``, the painted chart ``line_chart``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QSize, Signal
from PySide6.QtGui import QImage, QPalette, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.services import kpis
from relman_desktop.services.base import ServiceError

from ..shell.exports_menu import export_folder
from ..shell.worker import DebouncedTask, Task, Worker, shared_worker
from .kpi_chart import KpiChart, _theme_name
from .kpi_specs import (
    KPI_SPECS,
    KpiSpec,
    fmt_rate,
    headline,
    partial_note,
    partial_periods,
    series_values,
    tier_bands,
)

if TYPE_CHECKING:
    from ..shell.store import Store

NO_DATE = QDate(2000, 1, 1)  # the date edits' "no limit" value (shown as their special text)


# --- the page ----------------------------------------------------------------------------------


class KpiDashboard(QWidget):
    """The KPIs page."""

    updated = Signal()  # new KPIs are on screen
    failed = Signal(str)

    def __init__(
        self,
        store: Store,
        window: Any = None,
        parent: QWidget | None = None,
        *,
        worker: Worker | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("kpi_dashboard")
        self.store = store
        self.window_ = window
        self._worker = worker
        self.report: kpis.KpiReport | None = None
        self.charts: dict[str, KpiChart] = {}
        self._dirty = True
        self._columns = 0
        self._dialogs: list[QFileDialog] = []

        heading = QLabel("KPIs")
        heading.setProperty("role", "heading")
        self.date_from = self._date_edit("earliest")
        self.date_to = self._date_edit("latest")
        self.period = QComboBox()
        for p in kpis.PERIODS:
            self.period.addItem(p.capitalize(), p)
        self.period.setCurrentIndex(self.period.findData("month"))
        self.application = QComboBox()
        self.application.addItem("All applications", None)

        self.report_year = QComboBox()
        for year in kpis.REPORT_YEARS:
            self.report_year.addItem(f"DORA {year}", year)
        self.report_year.setCurrentIndex(self.report_year.count() - 1)
        for combo in (self.period, self.application, self.report_year):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(7)
        self.application.setMinimumContentsLength(12)
        reset = QPushButton("All dates")
        reset.setToolTip("Clear the date range: every deployment and decision in the plan")
        reset.clicked.connect(self.clear_dates)
        # Two short rows rather than one long one: the page must fit beside the navigator and
        # the inspector at 1366 px, in the high-contrast theme's wider controls too.
        dates, choices = QHBoxLayout(), QHBoxLayout()
        for row, fields in (
            (dates, (("From", self.date_from), ("to", self.date_to))),
            (
                choices,
                (
                    ("Period", self.period),
                    ("Application", self.application),
                    ("Tiers", self.report_year),
                ),
            ),
        ):
            row.setSpacing(6)
            for label, widget in fields:
                caption = QLabel(label)
                caption.setBuddy(widget)
                row.addWidget(caption)
                row.addWidget(widget)
                row.addSpacing(6)
        dates.addWidget(reset)
        dates.addStretch(1)
        self.status = QLabel("")
        self.status.setObjectName("kpi_status")
        self.status.setWordWrap(True)
        self.status.setProperty("role", "subtle")

        self.quality_title = QLabel("Data quality")
        self.quality_title.setStyleSheet("font-weight: 600;")
        self.quality = QListWidget()
        self.quality.setObjectName("kpi_data_quality")
        self.quality.setAccessibleName("Data quality")
        self.quality.setWordWrap(True)
        self.quality.setMaximumHeight(self.fontMetrics().height() * 4 + 14)

        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(10)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(self.grid_host)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.setSpacing(6)
        head = QHBoxLayout()
        head.addWidget(heading)
        head.addSpacing(16)
        head.addLayout(dates, 1)
        layout.addLayout(head)
        choices.addWidget(self.status, 1)
        layout.addLayout(choices)
        layout.addWidget(self.quality_title)
        layout.addWidget(self.quality)
        layout.addWidget(self.scroll_area, 1)

        self.recompute = DebouncedTask(self._job, delay_ms=150, worker=worker, parent=self)
        self.recompute.result.connect(self._show)
        self.recompute.error.connect(self._failed)
        for w in (self.period, self.application, self.report_year):
            w.currentIndexChanged.connect(self._filters_changed)
        for d in (self.date_from, self.date_to):
            d.dateChanged.connect(self._filters_changed)
        for signal in (
            store.plan_opened,
            store.releases_changed,
            store.release_changed,
            store.evidence_changed,
            store.approvals_changed,
            store.changes_changed,
        ):
            signal.connect(self._plan_changed)
        store.plan_closed.connect(self._plan_closed)
        self._restyle()

    # --- filters ----------------------------------------------------------------------------------

    def _date_edit(self, special: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText(special)
        edit.setDate(NO_DATE)
        edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("2026-12-31") + 44)
        return edit

    def clear_dates(self) -> None:
        self.date_from.setDate(NO_DATE)
        self.date_to.setDate(NO_DATE)

    @staticmethod
    def _date_of(edit: QDateEdit) -> dt.date | None:
        q = edit.date()
        return None if q == NO_DATE else dt.date(q.year(), q.month(), q.day())

    def filters(self) -> dict[str, Any]:
        """The chosen filters, as ``compute_kpis`` / ``kpis.collect`` take them."""
        return {
            "start": self._date_of(self.date_from),
            "end": self._date_of(self.date_to),
            "by": self.period.currentData(),
            "application": self.application.currentData(),
            "report_year": self.report_year.currentData(),
        }

    def set_filters(
        self,
        *,
        start: dt.date | None = None,
        end: dt.date | None = None,
        by: str | None = None,
        application: str | None = None,
        report_year: int | None = None,
    ) -> None:
        if start is not None:
            self.date_from.setDate(QDate(start.year, start.month, start.day))
        if end is not None:
            self.date_to.setDate(QDate(end.year, end.month, end.day))
        if by is not None:
            self.period.setCurrentIndex(self.period.findData(by))
        if application is not None:
            i = self.application.findData(application)
            if i < 0:
                self.application.addItem(application, application)
                i = self.application.count() - 1
            self.application.setCurrentIndex(i)
        if report_year is not None:
            self.report_year.setCurrentIndex(self.report_year.findData(report_year))

    def _filters_changed(self, *_args: Any) -> None:
        self._dirty = True
        if self.isVisible():
            self.status.setText("Recomputing…")
            self.recompute.trigger()

    def _plan_changed(self, *_args: Any) -> None:
        self._dirty = True
        if self.isVisible():
            self.recompute.trigger()

    def _plan_closed(self) -> None:
        self.recompute.stop()
        self.report = None
        self._dirty = True

    # --- computing --------------------------------------------------------------------------------

    @property
    def worker(self) -> Worker:
        return self._worker or shared_worker()

    def _job(self) -> Any:
        if not self.store.has_plan:
            return None
        ctx, filters = self.store.ctx, self.filters()

        def compute(task: Task) -> dict[str, Any]:
            from relman_desktop.services import releases

            task.progress(10, "reading the plan")
            report = kpis.compute_kpis(ctx, **filters)
            today = ctx.today()
            task.check()
            apps = sorted(
                {r.application for r in releases.list_releases(ctx) if r.application}, key=str.lower
            )
            task.progress(100, "done")
            return {"report": report, "applications": apps, "filters": filters, "today": today}

        return compute

    def refresh_now(self) -> Any:
        """Recompute at once (no debounce); returns the job, or None without a plan."""
        self._dirty = False
        self.status.setText("Computing…")
        return self.recompute.run_now()

    def compute_here(self) -> None:
        """Compute on this thread (the screenshot command has no event loop to wait in)."""
        fn = self._job()
        if fn is None:
            return
        self._dirty = False
        job = Worker(synchronous=True).submit(fn, name="kpis")
        if job.state == "succeeded":
            self._show(job.result)
        else:
            self._failed(job.error or "cancelled")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._dirty and self.store.has_plan:
            self.refresh_now()

    def _failed(self, message: str) -> None:
        self.status.setText(f"⚠ {message}")
        self.status.setProperty("role", "error")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.failed.emit(message)

    def _show(self, result: dict[str, Any]) -> None:
        report = result["report"]
        self.report = report
        self._fill_applications(result["applications"])
        self._ensure_charts()
        filters, today = result["filters"], result["today"]
        partial = partial_periods(
            report,
            today,
            start_given=filters["start"] is not None,
            end_given=filters["end"] is not None,
        )
        note = partial_note(report, partial, today)
        for chart in self.charts.values():
            chart.show_report(report, partial, note)
        rng = report.range
        span = f"{rng.start} to {rng.end}" if rng.start else "no deployments or decisions yet"
        app = report.application or "all applications"
        self.status.setProperty("role", "subtle")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setText(f"{span} · per {report.by} · {app} · DORA {report.report_year} tiers")
        self._fill_quality(report.data_quality)
        self.updated.emit()

    def _fill_applications(self, apps: list[str]) -> None:
        current = self.application.currentData()
        known = [self.application.itemData(i) for i in range(1, self.application.count())]
        if known == apps:
            return
        self.application.blockSignals(True)
        self.application.clear()
        self.application.addItem("All applications", None)
        for a in apps:
            self.application.addItem(a, a)
        if current and current not in apps:
            self.application.addItem(current, current)
        self.application.setCurrentIndex(max(0, self.application.findData(current)))
        self.application.blockSignals(False)

    def _fill_quality(self, issues: list[dict[str, str]]) -> None:
        self.quality.clear()
        self.quality_title.setText(
            f"Data quality ({len(issues)} record{'s' if len(issues) != 1 else ''} "
            "not counted everywhere)"
            if issues
            else "Data quality"
        )
        if not issues:
            item = QListWidgetItem(
                "No gaps: every deployment, change and approval in range could be counted."
            )
            self.quality.addItem(item)
        for issue in issues:
            self.quality.addItem(QListWidgetItem(f"{issue['record']}: {issue['issue']}"))
        rows = max(1, min(4, len(issues)))
        self.quality.setMaximumHeight(self.fontMetrics().height() * rows + 8 + 6 * rows)

    # --- charts -----------------------------------------------------------------------------------

    def _ensure_charts(self) -> None:
        if self.charts:
            return
        for spec in KPI_SPECS:
            chart = KpiChart(spec)
            chart.copy_button.clicked.connect(lambda _c=False, n=spec.name: self.copy_chart(n))
            chart.save_button.clicked.connect(
                lambda _c=False, n=spec.name: self.save_chart_dialog(n)
            )
            self.charts[spec.name] = chart
        self._layout_charts(force=True)

    def _layout_charts(self, *, force: bool = False) -> None:
        width = self.scroll_area.viewport().width() or self.width()
        columns = 3 if width >= 1250 else 2 if width >= 700 else 1
        if columns == self._columns and not force:
            return
        self._columns = columns
        for chart in self.charts.values():
            self.grid.removeWidget(chart)
        for i, chart in enumerate(self.charts.values()):
            self.grid.addWidget(chart, i // columns, i % columns)
        for c in range(3):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)
        height = max(300, min(360, (self.scroll_area.viewport().height() - 10) // 2))
        for chart in self.charts.values():
            chart.setMinimumHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.charts:
            self._layout_charts()

    def changeEvent(self, event: Any) -> None:  # noqa: N802
        super().changeEvent(event)
        from PySide6.QtCore import QEvent

        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._restyle()
            for chart in self.charts.values():
                chart.redraw()

    def _restyle(self) -> None:
        # The high-contrast sheet outlines line edits and combos but not date edits.
        mid = self.palette().color(QPalette.ColorRole.Mid).name()
        sheet = (
            f"QDateEdit {{ border: 2px solid {mid}; padding: 2px 4px; }}"
            if _theme_name() == "high-contrast"
            else ""
        )
        for edit in (self.date_from, self.date_to):
            if edit.styleSheet() != sheet:
                edit.setStyleSheet(sheet)

    def copy_chart(self, name: str) -> QImage:
        image = self.charts[name].copy_to_clipboard()
        self._note(f"Copied the {self.charts[name].spec.title.lower()} chart to the clipboard")
        return image

    def save_chart(self, name: str, path: str | Path) -> Path | None:
        """Save one chart as PNG; a refused write is shown (and returns None)."""
        try:
            target = self.charts[name].save_png(path)
        except ServiceError as exc:
            self._failed(str(exc))
            return None
        self._note(f"Saved {Path(target).name}")
        return target

    @staticmethod
    def _remember_folder(settings: Any, path: str) -> None:
        if settings is not None and path:
            settings.last_export_folder = str(Path(path).parent)

    def save_chart_dialog(self, name: str) -> QFileDialog:
        dialog = QFileDialog(self, f"Save the {self.charts[name].spec.title.lower()} chart")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("PNG images (*.png)")
        dialog.setDefaultSuffix("png")
        # like every export: the folder the last export went to, else Documents (never the
        # plan's folder, which may be a shared drive or the app's data folder)
        settings = getattr(self.window(), "settings", None)
        dialog.setDirectory(export_folder(settings))
        dialog.selectFile(f"{name}.png")
        dialog.fileSelected.connect(lambda path, n=name: self.save_chart(n, path))
        dialog.fileSelected.connect(lambda path: self._remember_folder(settings, path))
        dialog.finished.connect(
            lambda _r, d=dialog: self._dialogs.remove(d) if d in self._dialogs else None
        )
        self._dialogs.append(dialog)
        dialog.open()
        return dialog

    def _note(self, message: str) -> None:
        window = self.window_
        if window is not None and hasattr(window, "statusBar"):
            window.statusBar().showMessage(message, 8000)
        else:
            self.store.message.emit(message)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(900, 700)


# --- registration ------------------------------------------------------------------------------


def page_factory(store: Store, window: Any) -> QWidget:
    page = KpiDashboard(store, window)
    if window is not None:
        window.kpi_dashboard = page
    return page


def prepare_screenshot(window: Any, _key: str | None) -> None:
    page = window.page_widgets.get("kpis")
    if isinstance(page, KpiDashboard):
        page._dirty = False  # no background job: compute here, before the picture is taken
    window.show_page("kpis")
    if isinstance(page, KpiDashboard):
        page.compute_here()
    status = getattr(window, "conflict_status", None)
    if status is not None:
        status.count_here()
        QApplication.processEvents()
        page._layout_charts(force=True)


__all__ = [
    "KPI_SPECS",
    "KpiChart",
    "KpiDashboard",
    "KpiSpec",
    "fmt_rate",
    "headline",
    "partial_note",
    "partial_periods",
    "page_factory",
    "prepare_screenshot",
    "series_values",
    "tier_bands",
]
