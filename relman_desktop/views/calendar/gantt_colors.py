"""The Gantt chart's colours: one palette per theme (light, dark, high contrast), the theme the
application shows now, and ``_c`` turning a palette entry ("#rrggbb" or "#rrggbbaa") into a
QColor.

Split out of ``gantt_render``, which paints with them; the legend and the exports use the same
palettes, so the paper and the key look like the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor


@dataclass(frozen=True)
class GanttColors:
    base: str
    alternate: str
    text: str
    subtle: str
    grid: str
    header: str
    weekend: str
    bar: str
    bar_border: str
    bar_text: str
    task: str
    task_done: str
    actual: str
    deploy: str
    deploy_border: str
    maintenance: str
    maintenance_border: str
    freeze: str
    event: str
    holiday: str
    today: str
    critical: str
    baseline: str
    arrow: str
    error: str
    error_text: str
    warning: str
    warning_text: str
    selection: str
    preview: str


THEMES: dict[str, GanttColors] = {
    "light": GanttColors(
        base="#ffffff",
        alternate="#f6f7f9",
        text="#1b1f24",
        subtle="#5c6570",
        grid="#dde1e6",
        header="#eef0f3",
        weekend="#f0f1f4",
        bar="#4c7fbf",
        bar_border="#1f4f8a",
        bar_text="#ffffff",
        task="#9cc0e6",
        task_done="#3f6fa8",
        actual="#1b1f24",
        deploy="#f08c00",
        deploy_border="#5c3300",
        maintenance="#2f9e4433",
        maintenance_border="#2b8a3e",
        freeze="#c92a2a",
        event="#7048e833",
        holiday="#86868640",
        today="#d6336c",
        critical="#c2410c",
        baseline="#5c6570",
        arrow="#5c6773",
        error="#b3261e",
        error_text="#ffffff",
        warning="#f5b400",
        warning_text="#1b1f24",
        selection="#2f6fb3",
        preview="#1c7ed6",
    ),
    "dark": GanttColors(
        base="#16181b",
        alternate="#1d2024",
        text="#e6e8eb",
        subtle="#a3abb5",
        grid="#30353c",
        header="#23272c",
        weekend="#1b1e22",
        bar="#3f78c9",
        bar_border="#9cc4ff",
        bar_text="#ffffff",
        task="#30557f",
        task_done="#6ea0e0",
        actual="#e6e8eb",
        deploy="#ff9f2e",
        deploy_border="#fff0d6",
        maintenance="#51cf6633",
        maintenance_border="#69db7c",
        freeze="#ff6b6b",
        event="#9775fa40",
        holiday="#c8c8c833",
        today="#f06595",
        critical="#ff922b",
        baseline="#c3cad3",
        arrow="#aeb6c0",
        error="#ff8a80",
        error_text="#16181b",
        warning="#ffd43b",
        warning_text="#16181b",
        selection="#8ab8ff",
        preview="#74c0fc",
    ),
    "high-contrast": GanttColors(
        base="#000000",
        alternate="#121212",
        text="#ffffff",
        subtle="#ffffff",
        grid="#5a5a5a",
        header="#000000",
        weekend="#0b0b0b",
        bar="#00e5ff",
        bar_border="#ffffff",
        bar_text="#000000",
        task="#00707d",
        task_done="#00e5ff",
        actual="#ffffff",
        deploy="#ffff00",
        deploy_border="#000000",
        maintenance="#00ff0040",
        maintenance_border="#00ff00",
        freeze="#ff5c5c",
        event="#ff00ff40",
        holiday="#ffffff30",
        today="#ff00ff",
        critical="#ffff00",
        baseline="#ffffff",
        arrow="#ffffff",
        error="#ff9e9e",
        error_text="#000000",
        warning="#ffff00",
        warning_text="#000000",
        selection="#ffff00",
        preview="#00ffff",
    ),
}


def colors_for(theme: str | None) -> GanttColors:
    return THEMES.get(theme or "light", THEMES["light"])


def current_theme() -> str:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    name = app.property("relman_theme") if app is not None else None
    return str(name) if name in THEMES else "light"


def _c(value: str) -> QColor:
    return QColor(value) if len(value) != 9 else QColor.fromRgba(int(value[7:9] + value[1:7], 16))
