"""File > Connect to Server… and the welcome page's server field (issue 12): a plan on a real
PostgreSQL server opens in the window; a password typed in the dialog is used, never kept."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pgcluster import PASSWORD, PASSWORD_ROLE  # noqa: E402

from relman_desktop.views.shell.connect_dialog import ConnectDialog  # noqa: E402
from relman_desktop.views.shell.main_window import MainWindow  # noqa: E402
from relman_desktop.views.shell.settings import Settings  # noqa: E402
from relman_desktop.views.shell.store import Store  # noqa: E402


def open_dialog() -> ConnectDialog:
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ConnectDialog)]
    visible = [d for d in dialogs if d.isVisible()]
    assert len(visible) == 1
    return visible[0]


def stored_settings(settings: Settings) -> str:
    return repr(settings._prefs._values)  # Settings.in_memory(): everything the app would save


def test_a_server_plan_from_the_welcome_page_with_a_typed_password(qtbot, pg_cluster, server_url):
    db = server_url.rsplit("/", 1)[1]
    pg_cluster.sql(db, f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {PASSWORD_ROLE}")
    pg_cluster.sql(db, f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {PASSWORD_ROLE}")
    url = pg_cluster.url(db, user=PASSWORD_ROLE)
    settings = Settings.in_memory()
    win = MainWindow(Store(), settings)
    qtbot.addWidget(win)
    win.start(None)
    win.welcome.server_url.setText(url)
    win.welcome.connect_button.click()
    dialog = open_dialog()
    assert dialog.url() == url
    dialog.password_edit.setText(PASSWORD)
    with qtbot.waitSignal(win.store.plan_opened):
        dialog.accept()
    assert win.central.currentWidget() is win.workspace
    assert win.windowTitle().startswith(f"{db} on 127.0.0.1")
    assert win.plan_label.text() == url
    assert settings.recent_plans[0] == url
    assert PASSWORD not in stored_settings(settings) and PASSWORD not in win.windowTitle()


def test_connect_refuses_an_address_that_is_not_a_server_url_and_shows_a_bad_password(
    qtbot, pg_cluster, server_url, monkeypatch
):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    win = MainWindow(Store(), Settings.in_memory())
    qtbot.addWidget(win)
    win.start(None)
    file_menu = win.menuBar().actions()[0].menu()
    next(a for a in file_menu.actions() if a.objectName() == "connect_server").trigger()
    dialog = open_dialog()
    dialog.url_edit.setText("db.example.com/releases")
    dialog._accept()
    assert dialog.isVisible() and "postgresql://user@host:5432/database" in dialog.problem.text()
    db = server_url.rsplit("/", 1)[1]
    dialog.url_edit.setText(pg_cluster.url(db, user=PASSWORD_ROLE))
    dialog.password_edit.setText("wrong")
    with qtbot.waitSignal(win.store.plan_failed):
        dialog._accept()
    assert win.central.currentWidget() is win.error_page
    assert f"refused the password of {PASSWORD_ROLE}" in win.error_page.message.text()
