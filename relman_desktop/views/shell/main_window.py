"""The main window: menus, the navigator and its pages, the inspector, the status bar; and
the welcome and "could not open" pages shown inside the window (never a modal dialog).

The pages it shows besides the navigator's (the releases list and editor, the inspector's
summary, the welcome and "could not open" pages) are in ``window_pages.py``; the menu bar is
built by ``window_menus.py``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QByteArray,
    QRect,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from relman_desktop.models.planfile import PLAN_SUFFIX, default_plan_path
from relman_desktop.services import templates
from relman_desktop.services.text import as_sentence

from ..common.confirm import ask_before_delete
from ..conflicts.conflicts_page import ClickableLabel, ConflictBadge
from ..releases.releases_view import ReleasesView
from .backup_support import install as install_backups
from .commands import Refused
from .exports_menu import install as install_file_transfers
from .interchange_import import install as install_interchange
from .keys import install as install_keys
from .screens import PAGES, PageSpec
from .settings import Settings
from .store import Store
from .theme import apply_theme
from .toolchain_import import install as install_toolchain_imports
from .unsaved import settle_drafts, unsaved_drafts
from .window_menus import add_action, build_menus
from .window_pages import APP_TITLE, Inspector, PlanErrorPage, ReleasesPage, WelcomePage

if TYPE_CHECKING:
    from ..releases.release_editor import ReleaseEditor

PLAN_FILTER = f"Release Manager plans (*{PLAN_SUFFIX});;All files (*)"


# the attribute a page's factory sets on the window -> that page's name (see screens.PAGES)
_PAGE_ATTRIBUTES = {
    "calendar_view": "calendar",
    "conflicts_page": "conflicts",
    "graph_view": "dependencies",
    "kpi_dashboard": "kpis",
}


class LazyPages(Mapping[str, QWidget]):
    """The navigator's pages by name, each built by ``build`` the first time it is asked for
    (``pages[name]``, ``.get``, ``.items()``); ``name in pages`` and iteration build nothing."""

    def __init__(self, specs: dict[str, PageSpec], build: Callable[[PageSpec], QWidget]) -> None:
        self._specs = specs
        self._build = build
        self._built: dict[str, QWidget] = {}

    def __getitem__(self, name: str) -> QWidget:
        widget = self._built.get(name)
        if widget is None:
            widget = self._built[name] = self._build(self._specs[name])
        return widget

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def built(self, name: str) -> bool:
        return name in self._built


class MainWindow(QMainWindow):
    # the status bar's background conflict check (exports_menu.install sets it)
    conflict_status: Any
    # the menus other modules fill or the window refills (window_menus.build_menus sets them)
    recent_menu: QMenu
    import_menu: QMenu
    export_menu: QMenu
    template_menu: QMenu

    def __init__(
        self,
        store: Store | None = None,
        settings: Settings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.store = store or Store(parent=self)
        self.settings = settings or Settings()
        self.actions_by_name: dict[str, QAction] = {}
        self._dialogs: list[Any] = []  # non-modal dialogs kept alive while open
        self._fitted_once = False
        self.setWindowTitle(APP_TITLE)

        self.central = QStackedWidget()
        self.welcome = WelcomePage()
        self.error_page = PlanErrorPage()
        self.workspace = QSplitter(Qt.Orientation.Horizontal)
        self.navigator = QListWidget()
        self.navigator.setObjectName("navigator")
        self.navigator.setAccessibleName("Navigator")
        self.pages = QStackedWidget()
        self._page_holders: dict[str, QScrollArea] = {}
        # a page other than the releases list is built the first time it is shown or asked for
        # (issue 16: the start to an interactive list does not wait for eight pages nobody sees)
        self.page_widgets = LazyPages({spec.name: spec for spec in PAGES}, self._build_page)
        for spec in PAGES:
            self._add_page(spec)
        self.page_widgets["releases"]  # the first page shown: built now
        self.navigator.setSpacing(1)
        nav_width = self.fontMetrics().horizontalAdvance("Dependencies") + 56
        self.navigator.setMinimumWidth(nav_width)
        self.navigator.setMaximumWidth(nav_width + 80)
        self.navigator.currentRowChanged.connect(self._show_row)
        self.navigator.setCurrentRow(0)
        self.workspace.addWidget(self.navigator)
        self.workspace.addWidget(self.pages)
        self.workspace.setStretchFactor(0, 0)
        self.workspace.setStretchFactor(1, 1)
        self.workspace.setSizes([nav_width, 10_000])
        self.workspace.setCollapsible(1, False)
        for w in (self.welcome, self.error_page, self.workspace):
            self.central.addWidget(w)
        self.setCentralWidget(self.central)

        self.inspector = Inspector()
        self.inspector_dock = QDockWidget("Inspector", self)
        self.inspector_dock.setObjectName("inspector_dock")
        self.inspector_dock.setWidget(self.inspector)
        fm = self.fontMetrics()  # room for the widest value: a key, a date and time
        roomy = (
            fm.horizontalAdvance("Planned start:") + fm.horizontalAdvance("2026-12-31 22:00") + 48
        )
        # at least 200 px, so the window still fits an 800-pixel screen with the large
        # high-contrast font (a value wraps there); it opens roomier where there is room
        self.inspector_dock.setMinimumWidth(min(roomy, 200))
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.inspector_dock)
        self.resizeDocks([self.inspector_dock], [roomy], Qt.Orientation.Horizontal)

        self.plan_label = QLabel("No plan open")
        self.plan_label.setObjectName("plan_path_label")
        self.conflicts_label = ClickableLabel("Conflicts: not checked")
        self.conflicts_label.setObjectName("conflicts_label")
        self.conflicts_label.setToolTip("Open the Conflicts page")
        self.conflicts_label.clicked.connect(lambda: self.show_conflicts())
        self.statusBar().addPermanentWidget(self.conflicts_label)
        self.statusBar().addPermanentWidget(self.plan_label)

        self._build_menus()
        self._connect()
        self.file_transfers = install_file_transfers(self)  # File > Import/Export, conflict count
        self._install_conflict_badges()
        self.toolchain_imports = install_toolchain_imports(
            self
        )  # File > Import: tests, git, CI, incidents
        self.backups = install_backups(self)  # automatic backups, File > Restore from Backup
        self.interchange = install_interchange(
            self
        )  # MS Project, GanttProject, .ics, tracker sheets
        install_keys(self)  # Ctrl+1…8 pages, a field's own Ctrl+Z first
        self._restore_geometry()
        self.show_welcome() if not self.store.has_plan else self._plan_opened(
            str(self.store.plan_path)
        )

    # --- pages --------------------------------------------------------------------------------

    def _add_page(self, spec: PageSpec) -> None:
        # A page wider or taller than the window scrolls instead of forcing the whole window to
        # grow past a small laptop's screen (the CAB page alone wants ~810 px).
        holder = QScrollArea()
        holder.setObjectName(f"page_{spec.name}")
        holder.setWidgetResizable(True)
        holder.setFrameShape(QFrame.Shape.NoFrame)
        self._page_holders[spec.name] = holder
        self.pages.addWidget(holder)
        item = QListWidgetItem(spec.title)
        item.setData(Qt.ItemDataRole.UserRole, spec.name)
        item.setToolTip(spec.description)
        item.setSizeHint(QSize(0, self.fontMetrics().height() + 14))
        self.navigator.addItem(item)

    def _build_page(self, spec: PageSpec) -> QWidget:
        if spec.factory is None:  # the shell's own page: the releases list and editor
            widget: QWidget = ReleasesPage(
                self.store, settings=self.settings, on_editor=self._editor_built
            )
        else:
            widget = spec.factory(self.store, self)
        self._page_holders[spec.name].setWidget(widget)
        # one background check of the whole plan feeds the status bar, the badges and the page
        status = self.__dict__.get("conflict_status")
        if spec.name == "conflicts" and status is not None and hasattr(widget, "use_source"):
            widget.use_source(status)
        return widget

    def _show_row(self, row: int) -> None:
        item = self.navigator.item(row)
        if item is not None:
            self.page_widgets[str(item.data(Qt.ItemDataRole.UserRole))]  # built on first show
        self.pages.setCurrentIndex(row)

    def __getattr__(self, name: str) -> Any:
        # the attributes a page's factory sets on the window (window.calendar_view, ...): asking
        # for one builds its page, as when every page was built at start
        page = _PAGE_ATTRIBUTES.get(name)
        pages = self.__dict__.get("page_widgets")
        if name == "conflict_badge" and pages is not None and pages.built("releases"):
            if not self.releases_page.editor_built():
                self.releases_page.build_editor()  # the badge comes with it (_editor_built)
                return self.__dict__[name]
        if page is None or pages is None or pages.built(page):
            raise AttributeError(name)
        pages[page]
        return self.__dict__[name] if name in self.__dict__ else super().__getattribute__(name)

    @property
    def releases_page(self) -> ReleasesPage:
        return self.page_widgets["releases"]  # type: ignore[return-value]

    @property
    def releases_view(self) -> ReleasesView:
        return self.releases_page.list

    @property
    def editor(self) -> ReleaseEditor:
        return self.releases_page.editor

    def show_page(self, name: str) -> bool:
        for i in range(self.navigator.count()):
            if self.navigator.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.navigator.setCurrentRow(i)
                self.central.setCurrentWidget(self.workspace)
                return True
        return False

    def show_conflicts(self, release: str | None = None) -> bool:
        """The Conflicts page, filtered on ``release`` when given (the editor's badge)."""
        if not self.show_page("conflicts"):
            return False
        page = self.page_widgets["conflicts"]
        if release and hasattr(page, "filter_release"):
            page.filter_release(release)
        return True

    def _editor_built(self, editor: ReleaseEditor) -> None:
        """What the window adds to the release editor when it is first built: the conflict
        badge in its header (opening the Conflicts page on that release) and the guard links
        that land on another page."""
        self.conflict_badge = ConflictBadge()
        self.conflict_badge.set_counts(self.__dict__.get("_counts_by_release", {}))
        self.conflict_badge.set_release(self.store.selection.key or None)
        editor.top.insertWidget(2, self.conflict_badge)
        self.conflict_badge.open_requested.connect(lambda key: self.show_conflicts(key))
        editor.tool_requested.connect(self.run_tool)

    def _badge_follows(self, key: object) -> None:
        # the editor shows the current release (Store.selection), so the badge follows it
        badge = self.__dict__.get("conflict_badge")
        if badge is not None:
            badge.set_release(str(key) if key else None)

    def _install_conflict_badges(self) -> None:
        """The conflict count per release badges the list's Key cells and, once the release
        editor is built, the editor's header (see ``_editor_built``)."""
        self._counts_by_release: dict[str, tuple[int, int]] = {}  # for an editor built later
        self.store.selection.changed.connect(self._badge_follows)
        self.conflict_status.per_release.connect(self._conflict_counts)
        # one background check of the whole plan feeds the status bar, the badges and the page
        # (a Conflicts page built later is given it in _build_page)
        if self.page_widgets.built("conflicts"):
            page = self.page_widgets["conflicts"]
            if hasattr(page, "use_source"):
                page.use_source(self.conflict_status)

    def _conflict_counts(self, by_release: dict[str, tuple[int, int]]) -> None:
        model = self.releases_view.model
        model.conflicts = by_release
        if model.rowCount():
            model.dataChanged.emit(model.index(0, 0), model.index(model.rowCount() - 1, 0))
        self._counts_by_release = by_release
        badge = self.__dict__.get("conflict_badge")  # none until the editor is built
        if badge is not None:
            badge.set_counts(by_release)

    def current_page(self) -> str:
        item = self.navigator.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else ""

    def open_release(self, key: str, tab: str | None = None) -> None:
        self.show_page("releases")
        self.releases_page.open_release(key, tab)

    def run_tool(self, page: str, tool: str, key: str) -> bool:
        """A guard's fix on another page (see releases/guard_targets.py): show the page with
        the release selected and open the tool ("free_slots": the calendar's "Next free
        slots…" menu; "focus_release": the release in the dependency graph)."""
        if not self.show_page(page):
            return False
        widget: Any = self.page_widgets.get(page)
        if tool == "free_slots" and hasattr(widget, "show_free_slots"):
            widget.select_key(key)
            return widget.show_free_slots(key) is not None
        if tool == "focus_release" and hasattr(widget, "select_release"):
            widget.select_release(key)
            return True
        return False

    def show_welcome(self) -> None:
        self.central.setCurrentWidget(self.welcome)
        self._set_plan_actions(False)

    # --- menus --------------------------------------------------------------------------------

    def _action(
        self, name: str, text: str, slot: Any = None, shortcut: Any = None, *, tip: str = ""
    ) -> QAction:
        """A menu action of this window (``window_menus.add_action``), for code adding one."""
        return add_action(self, name, text, slot, shortcut, tip=tip)

    def _build_menus(self) -> None:
        build_menus(self)

    def _set_plan_actions(self, enabled: bool) -> None:
        for name in ("save_copy", "backup", "find", "new_release", "transition", "delete_release"):
            self.actions_by_name[name].setEnabled(enabled)
        self.template_menu.setEnabled(enabled)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_plans
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_plan(p))
        if not recent:
            self.recent_menu.addAction("No recent plans").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear the list", self.settings.clear_recent_plans)

    def _fill_templates(self) -> None:
        self.template_menu.clear()
        infos = self.store.call(templates.list_templates) if self.store.has_plan else []
        if infos is Store.FAILED:
            infos = []
        for info in infos:
            name = str(getattr(info, "name", info))
            self.template_menu.addAction(
                name, functools.partial(self.new_release_from_template, name)
            )
        if not infos:
            self.template_menu.addAction("No templates in this plan").setEnabled(False)

    # --- store wiring -------------------------------------------------------------------------

    def _show_store_error(self, msg: str) -> None:
        self.statusBar().showMessage(f"⚠ {as_sentence(msg)}", 15000)

    def _show_store_message(self, msg: str) -> None:
        self.statusBar().showMessage(as_sentence(msg), 8000)

    def _inspect_key(self, _key: object = None) -> None:
        self._inspect()

    def _connect(self) -> None:
        s = self.store
        s.plan_opened.connect(self._plan_opened)
        s.plan_failed.connect(self._plan_failed)
        s.plan_closed.connect(self.show_welcome)
        # Bound methods, not lambdas: Qt drops them when this window is gone, while the store
        # (its watcher, a server plan's listener) may live on and still report.
        s.error.connect(self._show_store_error)
        s.message.connect(self._show_store_message)
        # The inspector shows the one current release (Store.selection), from the list's row cache.
        s.selection.changed.connect(self._inspect_key)
        s.release_changed.connect(self._inspect_key)
        s.releases_changed.connect(self._inspect)
        s.plan_closed.connect(self._inspect)
        self.releases_view.new_release_requested.connect(self.new_release)
        self.welcome.demo_requested.connect(self.open_demo)
        self.welcome.new_requested.connect(lambda: self.open_plan(None, create=True))
        self.welcome.open_requested.connect(self.open_plan_dialog)
        self.error_page.open_requested.connect(self.open_plan_dialog)
        self.error_page.new_requested.connect(self.new_plan_dialog)
        self.error_page.back_requested.connect(
            lambda: self.central.setCurrentWidget(self.workspace)
        )

    def _plan_opened(self, path: str) -> None:
        self.plan_label.setText(path)  # a server's URL as shown: never with a password
        self.plan_label.setToolTip(f"The plan: {path}")
        self.setWindowTitle(f"{self.store.ctx.plan.display_name} — {APP_TITLE}")
        self.settings.add_recent_plan(path)
        self.settings.last_plan = path  # reopened on the next start
        self.welcome.show_notice("")
        self.central.setCurrentWidget(self.workspace)
        self._set_plan_actions(True)

    def _plan_failed(self, message: str) -> None:
        self.error_page.show_error(message, can_go_back=self.store.has_plan)
        self.central.setCurrentWidget(self.error_page)

    def set_conflict_counts(self, errors: int | None, warnings: int | None = None) -> None:
        """The status bar's conflict count (the conflicts view fills it in)."""
        if errors is None:
            self.conflicts_label.setText("Conflicts: not checked")
            return
        self.conflicts_label.setText(
            f"Conflicts: {errors} error{'s' if errors != 1 else ''}, "
            f"{warnings or 0} warning{'s' if warnings != 1 else ''}"
        )

    # --- plans --------------------------------------------------------------------------------

    def open_plan(
        self, path: str | Path | None, *, create: bool = False, password: str | None = None
    ) -> bool:
        """Open (or create) a plan, a file or a server URL. A form with unsaved edits is asked
        about first (Save, Discard, Cancel): then the plan opens once they are settled, and this
        answers False."""
        if unsaved_drafts(self):
            settle_drafts(
                self,
                lambda: self.store.open_plan(path, create=create, password=password),
                "opening another plan",
            )
            return False
        return self.store.open_plan(path, create=create, password=password)

    def start(self, plan: str | Path | None) -> None:
        """The first screen: the given plan; else the plan open when the app last closed (the
        demo plan too); else the default plan; else (first start) the welcome page. A last plan
        that is gone is one line on the welcome page, never an error page on start."""
        if plan is not None:
            self.open_plan(plan)
            return
        last = self.settings.last_plan
        if last is not None and Path(last).is_file():
            self.open_plan(last)
        elif last is not None:
            self.settings.last_plan = None
            self.settings.remove_recent_plan(last)
            self.welcome.show_notice(
                f"The plan you had open last time is no longer at {last}; "
                "open it from where it is now, or choose below."
            )
            self.show_welcome()
        elif default_plan_path().exists():
            self.open_plan(None)
        else:
            self.show_welcome()

    def open_demo(self) -> None:
        path = default_plan_path().with_name(f"demo{PLAN_SUFFIX}")
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists()
        if not self.open_plan(path, create=True):
            return
        if fresh and self.store.edits.run_demo() is not Store.FAILED:
            self.store.refresh_all()  # the demo is written in bulk, without an audit event per row

    def _file_dialog(self, title: str, *, save: bool, on_selected: Any) -> QFileDialog:
        dialog = QFileDialog(self, title)
        dialog.setNameFilter(PLAN_FILTER)
        dialog.setDefaultSuffix(PLAN_SUFFIX.lstrip("."))
        if save:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        if self.store.plan_path:
            dialog.setDirectory(str(self.store.plan_path.parent))
        dialog.fileSelected.connect(on_selected)
        dialog.finished.connect(
            lambda _r: self._dialogs.remove(dialog) if dialog in self._dialogs else None
        )
        self._dialogs.append(dialog)
        dialog.open()
        return dialog

    def open_plan_dialog(self) -> QFileDialog:
        return self._file_dialog("Open a plan", save=False, on_selected=lambda p: self.open_plan(p))

    def new_plan_dialog(self) -> QFileDialog:
        def create(path: str) -> None:
            p = Path(path)
            if p.exists():
                self.store.error.emit(
                    f"{p.name} already exists; open it with File > Open, or choose another name"
                )
                return
            self.open_plan(p, create=True)

        return self._file_dialog("New plan", save=True, on_selected=create)

    def save_copy_dialog(self) -> QFileDialog:
        return self._file_dialog(
            "Save a copy of the plan", save=True, on_selected=self.store.save_copy
        )

    def back_up_now(self) -> None:
        if self.store.has_plan:
            self.backups.back_up_now()

    # --- releases -----------------------------------------------------------------------------

    def new_release(self) -> str | None:
        key = self.store.create_release(
            {"key": self.store.next_release_key(), "title": "New release", "type": "minor"}
        )
        if key:
            self.open_release(key, "Overview")
            self.editor.overview.editors["title"].setFocus()
        return key

    def new_release_from_template(self, template: str) -> str | None:
        key = self.store.next_release_key()
        try:
            self.store.edits.create_release_from_template(template, key, dt.date.today())
        except Refused as exc:
            self.store.error.emit(str(exc))
            return None
        self.open_release(key, "Overview")
        return key

    def _current_key(self) -> str:
        """The one current release (Store.selection), "" when none is selected."""
        return self.store.selection.key or ""

    def _inspect(self) -> None:
        self.inspector.show_release(self.releases_view.row_of(self.store.selection.key or ""))

    def transition_current(self) -> None:
        key = self._current_key()
        if not key:
            self.statusBar().showMessage("Select a release first", 5000)
            return
        self.open_release(key)
        buttons = list(self.editor.lifecycle.buttons.values())
        if buttons:
            buttons[0].setFocus(Qt.FocusReason.ShortcutFocusReason)

    def delete_current(self) -> None:
        """Release > Delete Release: asks first (Delete or Cancel), then deletes (undoable)."""
        key = self._current_key()
        if key:
            ask_before_delete(
                self,
                f"release {key}",
                lambda: self._delete_release(key),
                "Its tasks, approvals, evidence and dependencies go with it; Edit > Undo brings "
                "them back.",
            )

    def _delete_release(self, key: str) -> None:
        if self.store.delete_release(key):
            self.statusBar().showMessage(
                f"Deleted {key} (Undo brings back its fields and dependencies)", 10000
            )

    def find_release(self) -> None:
        """Edit > Find: the releases list with its search field focused (QWidget.find is Qt's)."""
        self.show_page("releases")
        self.releases_page.show_list()
        self.releases_view.focus_search()

    # --- view ---------------------------------------------------------------------------------

    def set_theme(self, name: str) -> None:
        self.settings.theme = name
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, name, self.settings.text_size_delta)
        action = self.actions_by_name.get(f"theme_{name}")
        if action:
            action.setChecked(True)

    def change_text_size(self, step: int) -> None:
        self.settings.text_size_delta = 0 if step == 0 else self.settings.text_size_delta + step
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.settings.theme, self.settings.text_size_delta)

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def show_shortcuts(self) -> QDialog:
        """Every key the window answers to, read from its QActions and QShortcuts (F1)."""
        from .keys import shortcuts_dialog

        return shortcuts_dialog(self)

    def show_about(self) -> QDialog:
        from .about_dialog import AboutDialog

        dialog = AboutDialog(self.store.plan_path, self)
        dialog.open()
        return dialog

    # --- geometry -----------------------------------------------------------------------------

    @staticmethod
    def screen_key(name: str, size: QSize) -> str:
        """Which screen a remembered geometry belongs to: its name and size ("eDP-1 1366x768")."""
        return f"{name} {size.width()}x{size.height()}"

    def _screen_facts(self) -> tuple[str, QRect] | None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return None
        return self.screen_key(screen.name(), screen.size()), screen.availableGeometry()

    def _restore_geometry(
        self, screen_key: str | None = None, available: QRect | None = None
    ) -> None:
        """The window as it was last on this screen (keyed by the screen's name and size), or
        1280×800; either way never larger than the screen's available area, so on a 1366×768
        laptop the status bar is on screen."""
        facts = self._screen_facts()
        if screen_key is None and facts is not None:
            screen_key = facts[0]
        if available is None and facts is not None:
            available = facts[1]
        geometry = self.settings.geometry_for(screen_key) if screen_key else None
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = self.settings.window_state
        if state is not None:
            self.restoreState(state)
        if available is not None:
            self.fit_to_screen(available)

    def fit_to_screen(self, available: QRect) -> None:
        """Shrink and move the window (its frame included) into ``available``."""
        if self.isMaximized() or self.isFullScreen() or not available.isValid():
            return
        frame, inner = self.frameGeometry(), self.geometry()
        extra_w = max(0, frame.width() - inner.width())
        extra_h = max(0, frame.height() - inner.height())
        if extra_h == 0 and QGuiApplication.platformName() not in ("offscreen", "minimal"):
            # Not decorated yet (before the window manager framed it): leave room for a title
            # bar, so the status bar is on screen from the first frame.
            extra_h = 2 * self.fontMetrics().height() + 8
        width = min(self.width(), available.width() - extra_w)
        height = min(self.height(), available.height() - extra_h)
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        frame = self.frameGeometry()
        x = min(max(frame.x(), available.left()), available.right() + 1 - frame.width())
        y = min(max(frame.y(), available.top()), available.bottom() + 1 - frame.height())
        if (x, y) != (frame.x(), frame.y()):
            self.move(max(x, available.left()), max(y, available.top()))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        # The window manager's frame is known only once shown; an offscreen "screen" (tests,
        # screenshots at a chosen size) is no screen to fit.
        if not self._fitted_once and QGuiApplication.platformName() not in ("offscreen", "minimal"):
            self._fitted_once = True
            QTimer.singleShot(0, self._fit_current_screen)
            QTimer.singleShot(600, self._fit_current_screen)  # once the frame surely exists

    def _fit_current_screen(self) -> None:
        facts = self._screen_facts()
        if facts is not None:
            self.fit_to_screen(facts[1])

    def save_geometry(self) -> None:
        geometry = QByteArray(self.saveGeometry())
        self.settings.window_geometry = geometry
        facts = self._screen_facts()
        if facts is not None:
            self.settings.set_geometry_for(facts[0], geometry)
        self.settings.window_state = QByteArray(self.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if unsaved_drafts(self):  # never quit over unsaved edits: ask, then close again
            event.ignore()
            settle_drafts(self, self.close, "closing the window")
            return
        self.save_geometry()
        super().closeEvent(event)
