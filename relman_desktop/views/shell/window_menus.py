"""The main window's menu bar: File, Edit, View, Release and Help, and the helper that makes
their actions (``add_action``: named ``action_<name>``, kept in ``window.actions_by_name``).

Apart from ``main_window.py`` (which calls ``build_menus`` once, from its constructor, and keeps
the slots the actions call); File > Import / Export are filled by ``exports_menu.install`` and
the other ``install`` functions, File > Connect by ``connect_dialog.install``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from .connect_dialog import install as install_connect
from .settings import THEMES

if TYPE_CHECKING:
    from .main_window import MainWindow


def add_action(
    window: MainWindow,
    name: str,
    text: str,
    slot: Any = None,
    shortcut: Any = None,
    *,
    tip: str = "",
) -> QAction:
    """A menu action named ``action_<name>``, kept in ``window.actions_by_name[name]``."""
    action = QAction(text, window)
    action.setObjectName(f"action_{name}")
    if shortcut is not None:
        if isinstance(shortcut, QKeySequence.StandardKey):
            action.setShortcuts(shortcut)
        else:
            action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    if slot is not None:
        action.triggered.connect(lambda _checked=False: slot())
    window.actions_by_name[name] = action
    return action


def build_menus(window: MainWindow) -> None:
    """The menu bar of ``window``: File, Edit, View, Release and Help (``install`` functions
    of other modules then fill File > Import / Export and add their own actions)."""
    SK = QKeySequence.StandardKey
    bar = window.menuBar()
    file = bar.addMenu("&File")
    file.addAction(add_action(window, "new_plan", "&New Plan…", window.new_plan_dialog, SK.New))
    file.addAction(add_action(window, "open", "&Open…", window.open_plan_dialog, SK.Open))
    window.recent_menu = QMenu("Open &Recent", window)
    window.recent_menu.aboutToShow.connect(window._fill_recent)
    file.addMenu(window.recent_menu)
    install_connect(window, file, window.recent_menu.menuAction())
    file.addSeparator()
    file.addAction(
        add_action(window, "save_copy", "Save a Copy &As…", window.save_copy_dialog, SK.SaveAs)
    )
    file.addAction(
        add_action(
            window,
            "backup",
            "&Back Up Now",
            window.back_up_now,
            tip="Copy the plan into its backup folder now (File > Restore from Backup lists them)",
        )
    )
    file.addSeparator()
    window.import_menu = file.addMenu("&Import")
    window.export_menu = file.addMenu("&Export")
    for menu, what in ((window.import_menu, "importers"), (window.export_menu, "exports")):
        placeholder = menu.addAction(f"No {what} yet")
        placeholder.setEnabled(False)
    file.addSeparator()
    file.addAction(add_action(window, "quit", "&Quit", window.close, SK.Quit))

    edit = bar.addMenu("&Edit")
    undo = window.store.undo_stack.createUndoAction(window, "&Undo")
    undo.setShortcuts(SK.Undo)
    undo.setObjectName("action_undo")
    redo = window.store.undo_stack.createRedoAction(window, "&Redo")
    redo.setShortcuts(SK.Redo)
    redo.setObjectName("action_redo")
    window.actions_by_name["undo"], window.actions_by_name["redo"] = undo, redo
    edit.addAction(undo)
    edit.addAction(redo)
    edit.addSeparator()
    edit.addAction(add_action(window, "find", "&Find…", window.find_release, SK.Find))

    view = bar.addMenu("&View")
    themes = QActionGroup(window)
    for name in THEMES:
        action = add_action(
            window,
            f"theme_{name}",
            name.replace("-", " ").capitalize() + " theme",
            lambda n=name: window.set_theme(n),
        )
        action.setCheckable(True)
        action.setChecked(name == window.settings.theme)
        themes.addAction(action)
        view.addAction(action)
    view.addSeparator()
    view.addAction(
        add_action(
            window, "text_bigger", "&Bigger Text", lambda: window.change_text_size(1), SK.ZoomIn
        )
    )
    view.addAction(
        add_action(
            window, "text_smaller", "&Smaller Text", lambda: window.change_text_size(-1), SK.ZoomOut
        )
    )
    view.addAction(
        add_action(
            window, "text_reset", "&Reset Text Size", lambda: window.change_text_size(0), "Ctrl+0"
        )
    )
    view.addSeparator()
    full = add_action(
        window,
        "full_screen",
        "&Full Screen",
        window.toggle_full_screen,
        SK.FullScreen if QKeySequence.keyBindings(SK.FullScreen) else "F11",
    )
    full.setCheckable(True)
    view.addAction(full)
    view.addAction(window.inspector_dock.toggleViewAction())

    release = bar.addMenu("&Release")
    release.addAction(
        add_action(window, "new_release", "&New Release", window.new_release, "Ctrl+Shift+N")
    )
    window.template_menu = QMenu("New from &Template", window)
    window.template_menu.aboutToShow.connect(window._fill_templates)
    release.addMenu(window.template_menu)
    release.addAction(
        add_action(
            window,
            "transition",
            "&Transition…",
            window.transition_current,
            "Ctrl+T",
            tip="Open the selected release at its lifecycle buttons",
        )
    )
    release.addSeparator()
    release.addAction(
        add_action(window, "delete_release", "&Delete Release", window.delete_current)
    )

    help_ = bar.addMenu("&Help")
    help_.addAction(
        add_action(
            window, "shortcuts", "&Keyboard Shortcuts", window.show_shortcuts, SK.HelpContents
        )
    )
    help_.addAction(add_action(window, "about", "&About", window.show_about))


__all__ = ["add_action", "build_menus"]
