"""How the CAB presenter looks: decision words and colours, its keys' help, the style sheet that
scales type with the screen. Split out of ``cab_presenter.py``; no state here."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QWidget

WORD = {
    "approve": "APPROVED",
    "reject": "REJECTED",
    "defer": "DEFERRED",
    "more_info": "MORE INFORMATION NEEDED",
    None: "NOT DECIDED YET",
}
KEY_DECISION = {
    Qt.Key.Key_A: "approve",
    Qt.Key.Key_R: "reject",
    Qt.Key.Key_D: "defer",
    Qt.Key.Key_I: "more_info",
}
DECISION_LABEL = {
    "approve": "Approve",
    "reject": "Reject",
    "defer": "Defer",
    "more_info": "More info",
}
HELP_TEXT = (
    "A approve · R reject · D defer · I more info · C conditions · N/→ next · P/← previous · "
    "Space select · B bulk · Ctrl+Z undo · Esc leave"
)
LEGEND = "✔ approved  ✘ rejected  ↷ deferred  ? more info  ○ open  ■ selected"
# A closed meeting's presenter is a record: no decision keys, nothing "open" on it.
CLOSED_WORD = "NOT DECIDED"
CLOSED_HELP_TEXT = (
    "N/→ next · P/← previous · Home first · End last · Esc leave · the meeting is closed: "
    "decisions can no longer change"
)
CLOSED_LEGEND = "✔ approved  ✘ rejected  ↷ deferred  ? more info  ○ not decided"


def _colours(dark: bool) -> dict[str | None, str]:
    if dark:  # on black / dark grey: light tints, all above 7:1 against black
        return {
            "approve": "#7dff7d",
            "reject": "#ff9e9e",
            "defer": "#ffd54f",
            "more_info": "#80d8ff",
            None: "#ffffff",
        }
    return {
        "approve": "#1f6b34",
        "reject": "#a4161a",
        "defer": "#7a4b00",
        "more_info": "#0b4f9c",
        None: "#1b1f24",
    }


def stylesheet(pal: QPalette, body: float, dark: bool) -> str:
    """The presenter's style sheet: ``body`` pt text, headings larger, colours from ``pal``."""
    fg = pal.color(QPalette.ColorRole.WindowText).name()
    mid = pal.color(QPalette.ColorRole.Mid).name()
    base = pal.color(QPalette.ColorRole.Base).name()
    focus = pal.color(QPalette.ColorRole.Highlight).name()
    bg = pal.color(QPalette.ColorRole.Window).name()
    return f"""
#cab_presenter, #cab_presenter QWidget {{ font-size: {body}pt; color: {fg}; background: {bg}; }}
#cab_presenter QComboBox, #cab_presenter QComboBox QAbstractItemView {{ border: 2px solid {mid};
    selection-background-color: {focus}; selection-color: {pal.color(QPalette.ColorRole.HighlightedText).name()}; }}
#cab_presenter QComboBox:focus {{ border: 4px solid {focus}; }}
#cab_presenter QLabel[cab="h1"] {{ font-size: {round(body * 1.8, 1)}pt; font-weight: bold; }}
#cab_presenter QLabel[cab="h2"] {{ font-size: {round(body * 1.25, 1)}pt; font-weight: bold; }}
#cab_presenter QLabel[cab="h3"] {{ font-weight: bold; }}
#cab_presenter QLabel[cab="facts"] {{ font-size: {round(body * 1.1, 1)}pt; }}
#cab_presenter QLabel[cab="meta"] {{ font-size: {round(body * 0.9, 1)}pt; }}
#cab_presenter QLabel[cab="timer"] {{ font-size: {round(body * 1.25, 1)}pt; font-weight: bold; }}
#cab_presenter QLabel[cab="small"] {{ font-size: {round(max(12.0, body * 0.75), 1)}pt; }}
#cab_presenter QLabel#cab_decision_banner {{ font-size: {round(body * 1.3, 1)}pt; }}
#cab_presenter QLineEdit {{ color: {fg}; background: {base}; border: 2px solid {mid}; padding: 4px 8px; }}
#cab_presenter QLineEdit:focus {{ border: 4px solid {focus}; }}
#cab_presenter QLineEdit[invalid="true"] {{ border: 4px solid {_colours(dark)["reject"]}; }}
"""


def _rule() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Plain)
    line.setLineWidth(2)
    return line


def high_contrast(widget: QWidget) -> None:
    """Give one widget the high-contrast palette (tests and screenshots, without restyling the
    app); a presenter re-derives its style sheet from it."""
    from ..shell.theme import palette_for

    widget.setPalette(palette_for("high-contrast"))
    restyle = getattr(widget, "_restyle", None)
    if restyle is not None:
        widget._body_pt = 0.0  # type: ignore[attr-defined]
        restyle()
