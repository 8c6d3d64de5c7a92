"""Form fields read as separate fields in every theme: rows keep a gap under the app's style
sheet (which sets the style's layout spacing to 0), and the dark theme outlines text fields
(Fusion draws their frame in a shade of the near-black window colour, so it vanished)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from relman_desktop.views.common.tab_forms import Field, Form
from relman_desktop.views.shell.theme import THEME_COLORS, apply_theme


@pytest.mark.parametrize("theme", ["light", "dark", "high-contrast"])
def test_rows_of_a_form_do_not_touch(qtbot, theme):
    app = QApplication.instance()
    apply_theme(app, theme)
    try:
        form = Form([Field("a", "Incidents"), Field("b", "Closed at"), Field("c", "Closed by")])
        qtbot.addWidget(form)
        form.resize(500, 200)
        form.show()
        qtbot.waitExposed(form)
        a, b, c = (form.editors[n].mapTo(form, form.editors[n].rect().topLeft()) for n in "abc")
        height = form.editors["a"].height()
        assert b.y() - (a.y() + height) >= 4 and c.y() - (b.y() + height) >= 4, (a, b, c, height)
    finally:
        apply_theme(app, "light")


def test_the_dark_theme_outlines_text_fields():
    app = QApplication.instance()
    apply_theme(app, "dark")
    try:
        sheet = app.styleSheet()
        mid = THEME_COLORS["dark"].mid
        assert f"QLineEdit, QPlainTextEdit {{ border: 1px solid {mid};" in sheet
    finally:
        apply_theme(app, "light")


def test_a_long_heading_ends_in_an_ellipsis_and_keeps_its_whole_text(qtbot):
    from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

    from relman_desktop.views.common.elided_label import ElidedLabel

    row = QWidget()
    layout = QHBoxLayout(row)
    title = "REL-2026-146 — Notifications Service 4.2 – Configurable notifications for every team"
    heading = ElidedLabel(title)
    layout.addWidget(heading, 1)
    layout.addWidget(QLabel("Status: Awaiting Approval"))
    qtbot.addWidget(row)
    row.resize(420, 40)
    row.show()
    qtbot.waitExposed(row)
    assert heading.text() == title and heading.toolTip() == title
    shown = heading.shown_text()
    assert shown.endswith("…") and title.startswith(shown[:-1]) and len(shown) < len(title)
    row.resize(2000, 40)
    qtbot.waitUntil(lambda: heading.shown_text() == title, timeout=10_000)
