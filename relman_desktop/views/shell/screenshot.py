"""Render the main window showing one view to a PNG, offscreen (``relman screenshot``).

The views are listed in the shell's composition root (``screens.SCREENSHOT_VIEWS``): each
``prepare(window, release_key)`` puts the window in the state to photograph (``release_key`` is
``--release`` or the first release). Every navigator page is a view by its page name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEFAULT_SIZE = (1366, 768)


def known_views() -> list[str]:
    from .screens import SCREENSHOT_VIEWS

    return sorted(SCREENSHOT_VIEWS)


def png_bytes(image: Any) -> bytes:
    """A QImage as PNG bytes, encoded in memory: the file is then written by Python, so a
    full disk is an ``OSError`` that says so (libpng writing to a file only prints an error)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("the picture could not be encoded as PNG")
    buffer.close()
    return bytes(data.data())


def ensure_app() -> Any:
    """The QApplication, made offscreen unless a platform was asked for."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(["relman-screenshot"])
    return app


def render(
    ctx: Any,
    view: str,
    out: str | Path,
    *,
    release: str | None = None,
    size: tuple[int, int] = DEFAULT_SIZE,
    theme: str = "light",
) -> Path:
    """Photograph ``view`` of the plan in ``ctx`` at ``size``; returns the PNG's path.
    Raises LookupError for an unknown view or release (one line, for the CLI to show)."""
    app = ensure_app()
    from .main_window import MainWindow
    from .screens import SCREENSHOT_VIEWS
    from .settings import Settings
    from .store import Store
    from .theme import apply_theme

    if view not in known_views():
        raise LookupError(f"no view {view!r}; views: {', '.join(known_views())}")
    settings = Settings.in_memory()
    settings.theme = theme
    apply_theme(app, theme, 0)
    store = Store(ctx)
    window = MainWindow(store, settings)
    try:
        window.store.set_ctx(ctx)
        window.releases_view.load_here()  # a big plan's list is read lazily in the app
        key = release
        if key is None:
            rows = window.releases_view.model.rows
            key = rows[0].key if rows else None
        elif window.releases_view.model.row_of_key(key) < 0:
            raise LookupError(f"no release {key!r} in this plan")
        window.resize(*size)
        window.show()
        # the status bar's conflict count, the list's and the editor's conflict badges and the
        # Conflicts page, as a user sees them once the background check has answered
        status = getattr(window, "conflict_status", None)  # set by exports_menu.install
        if status is not None:
            status.count_here()
        SCREENSHOT_VIEWS[view](window, key)
        window.resize(*size)
        for _ in range(3):
            app.processEvents()
        image = window.grab()
        from relman_desktop.exports.safe_write import write_atomically

        data = png_bytes(image)
        return write_atomically(out, lambda tmp: tmp.write_bytes(data), complete=True)
    finally:
        from PySide6.QtCore import QCoreApplication, QEvent

        window.close()
        window.deleteLater()
        # deleteLater outside an event loop waits for one; a CLI run never starts one.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
