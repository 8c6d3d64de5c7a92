"""Light, dark and high-contrast themes: a QPalette on the Fusion style plus a small stylesheet.

The stylesheet only adds what a palette cannot say (the inline error colour, the navigator's
spacing, focus rings); colours come from ``palette(...)`` so one sheet serves every theme.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from .settings import THEMES


@dataclass(frozen=True)
class ThemeColors:
    window: str
    window_text: str
    base: str
    alternate_base: str
    text: str
    button: str
    button_text: str
    highlight: str
    highlighted_text: str
    link: str
    mid: str
    disabled_text: str
    tooltip_base: str
    tooltip_text: str
    error: str
    ok: str
    warning_bg: str
    focus: str
    border_width: int = 1


THEME_COLORS: dict[str, ThemeColors] = {
    "light": ThemeColors(
        window="#f3f4f6",
        window_text="#1b1f24",
        base="#ffffff",
        alternate_base="#f2f4f7",
        text="#1b1f24",
        button="#e6e9ed",
        button_text="#1b1f24",
        highlight="#2f6fb3",
        highlighted_text="#ffffff",
        link="#1a5fb4",
        mid="#b8bec6",
        disabled_text="#7a828c",
        tooltip_base="#ffffe1",
        tooltip_text="#1b1f24",
        error="#b3261e",
        ok="#1f7a3a",
        warning_bg="#fff4ce",
        focus="#2f6fb3",
    ),
    "dark": ThemeColors(
        window="#1f2226",
        window_text="#e6e8eb",
        base="#16181b",
        alternate_base="#202429",
        text="#e6e8eb",
        button="#2c3137",
        button_text="#e6e8eb",
        highlight="#3d7dd8",
        highlighted_text="#ffffff",
        link="#8ab8ff",
        mid="#4a5058",
        disabled_text="#8a9099",
        tooltip_base="#2c3137",
        tooltip_text="#e6e8eb",
        error="#ff8a80",
        ok="#7ddc92",
        warning_bg="#3b3320",
        focus="#8ab8ff",
    ),
    "high-contrast": ThemeColors(
        window="#000000",
        window_text="#ffffff",
        base="#000000",
        alternate_base="#141414",
        text="#ffffff",
        button="#000000",
        button_text="#ffffff",
        highlight="#ffff00",
        highlighted_text="#000000",
        link="#00ffff",
        mid="#ffffff",
        disabled_text="#c0c0c0",
        tooltip_base="#000000",
        tooltip_text="#ffffff",
        error="#ff9e9e",
        ok="#7dff7d",
        warning_bg="#000000",
        focus="#ffff00",
        border_width=2,
    ),
}


def palette_for(name: str) -> QPalette:
    c = THEME_COLORS[name]
    pal = QPalette()
    R, G = QPalette.ColorRole, QPalette.ColorGroup
    for role, value in (
        (R.Window, c.window),
        (R.WindowText, c.window_text),
        (R.Base, c.base),
        (R.AlternateBase, c.alternate_base),
        (R.Text, c.text),
        (R.Button, c.button),
        (R.ButtonText, c.button_text),
        (R.Highlight, c.highlight),
        (R.HighlightedText, c.highlighted_text),
        (R.Link, c.link),
        (R.LinkVisited, c.link),
        (R.ToolTipBase, c.tooltip_base),
        (R.ToolTipText, c.tooltip_text),
        (R.PlaceholderText, c.disabled_text),
        (R.Mid, c.mid),
        (R.Dark, c.mid),
        (R.BrightText, c.error),
        (R.Light, c.alternate_base),
        (R.Midlight, c.alternate_base),
    ):
        pal.setColor(role, QColor(value))
    for role in (R.WindowText, R.Text, R.ButtonText):
        pal.setColor(G.Disabled, role, QColor(c.disabled_text))
    return pal


def stylesheet_for(name: str, point_size: float = 10.0) -> str:
    c = THEME_COLORS[name]
    bw = c.border_width
    heading = round(point_size * 1.5, 1)
    return (
        f"""
QLabel[role="error"] {{ color: {c.error}; font-weight: 600; }}
QLabel[role="ok"] {{ color: {c.ok}; }}
QLabel[role="heading"] {{ font-size: {heading}pt; font-weight: 600; }}
QLabel[role="subtle"] {{ color: {c.disabled_text}; }}
QFrame[role="banner"] {{ background: {c.warning_bg}; border: {bw}px solid {c.mid}; border-radius: 4px; }}
QListWidget#navigator {{ border: none; padding: 4px; background: {c.alternate_base}; }}
QListWidget#navigator::item {{ border-radius: 4px; padding-left: 8px; }}
QListWidget#navigator::item:selected {{ background: {c.highlight}; color: {c.highlighted_text}; }}
QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus, QTableView:focus {{ border: {bw + 1}px solid {c.focus}; }}
QTreeView:focus, QListView:focus, QGraphicsView:focus, QAbstractScrollArea#calendar_chart:focus,
QListWidget#navigator:focus {{ border: {bw + 1}px solid {c.focus}; }}
QPushButton:focus {{ border: 2px solid {c.focus}; border-radius: 3px; padding: 1px 4px;
    background: {c.button}; color: {c.button_text}; }}
QCheckBox:focus, QRadioButton:focus {{ border: 2px solid {c.focus}; border-radius: 3px; }}
QLineEdit[invalid="true"], QPlainTextEdit[invalid="true"] {{ border: {bw + 1}px solid {c.error}; }}
QPushButton[role="link"] {{ border: none; color: {c.link}; text-decoration: underline; text-align: left; padding: 0; }}
QTableView {{ gridline-color: {c.mid}; }}
QToolTip {{ color: {c.tooltip_text}; background: {c.tooltip_base}; border: 1px solid {c.mid}; }}
"""
        + (_HIGH_CONTRAST_EXTRA.format(c=c) if name == "high-contrast" else "")
        + (_DARK_EXTRA.format(c=c) if name == "dark" else "")
    )


# Fusion draws field frames in shades the high-contrast palette flattens to black on black:
# give every control a plain white outline, and checked boxes a solid fill.
_HIGH_CONTRAST_EXTRA = """
QLineEdit, QPlainTextEdit, QPushButton, QComboBox, QTabBar::tab, QGroupBox {{
    border: 2px solid {c.mid}; border-radius: 2px; }}
QLineEdit, QPlainTextEdit, QComboBox {{ padding: 2px 4px; }}
QPushButton {{ padding: 3px 10px; }}
QPushButton:focus, QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus {{ border: 3px solid {c.focus}; }}
QTabBar::tab {{ padding: 4px 10px; margin-right: 2px; }}
QTabBar::tab:selected {{ background: {c.highlight}; color: {c.highlighted_text}; }}
QGroupBox {{ margin-top: 1.4em; padding-top: 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; }}
QCheckBox::indicator, QAbstractItemView::indicator {{ width: 14px; height: 14px; border: 2px solid {c.mid};
    background: {c.base}; }}
QCheckBox::indicator:checked, QAbstractItemView::indicator:checked {{ background: {c.highlight}; }}
QPushButton[role="link"] {{ border: none; }}
"""


# Fusion outlines an unchecked box in a darker shade of the window colour: on the dark theme's
# near-black that outline disappears, so the box does too (a check box's, and a checkable list item's).
# A text field's frame goes the same way: two fields one above the other read as one dark block.
_DARK_EXTRA = """
QCheckBox::indicator, QAbstractItemView::indicator {{ width: 13px; height: 13px; border: 1px solid {c.disabled_text};
    border-radius: 2px; background: {c.base}; }}
QCheckBox::indicator:checked, QAbstractItemView::indicator:checked {{ background: {c.highlight};
    border-color: {c.highlight}; }}
QCheckBox::indicator:disabled, QAbstractItemView::indicator:disabled {{ border-color: {c.mid}; }}
QLineEdit, QPlainTextEdit {{ border: 1px solid {c.mid}; border-radius: 2px; background: {c.base}; }}
QLineEdit {{ padding: 1px 3px; }}
QLineEdit:disabled, QPlainTextEdit:disabled {{ border-color: {c.button}; }}
"""


_BASE_POINT_SIZE: dict[str, float] = {}


def apply_theme(app: QApplication, name: str, text_size_delta: int = 0) -> None:
    """Restyle the whole application. ``text_size_delta`` is in points around the default."""
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; themes: {', '.join(THEMES)}")
    if app.style().name().lower() != "fusion":
        fusion = QStyleFactory.create("Fusion")
        if fusion is not None:
            app.setStyle(fusion)
    # First, so widgets redrawing on the palette change below already see the new theme's name.
    app.setProperty("relman_theme", name)
    app.setPalette(palette_for(name))
    base = _BASE_POINT_SIZE.setdefault(
        "size", app.font().pointSizeF() if app.font().pointSizeF() > 0 else 10.0
    )
    font = QFont(app.font())
    font.setPointSizeF(max(6.0, base + text_size_delta))
    app.setFont(font)
    app.setStyleSheet(stylesheet_for(name, font.pointSizeF()))


def error_color(name: str | None = None) -> QColor:
    app = QApplication.instance()
    theme = name or (app.property("relman_theme") if app else None) or "light"
    return QColor(THEME_COLORS.get(str(theme), THEME_COLORS["light"]).error)
