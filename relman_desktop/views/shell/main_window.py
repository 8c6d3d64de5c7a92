"""The main window: menus, the navigator and its pages, the inspector, the status bar; and
the welcome and "could not open" pages shown inside the window (never a modal dialog)."""

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
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models.planfile import PLAN_SUFFIX, default_plan_path
from relman_desktop.services import templates
from relman_desktop.services.text import as_sentence

from ..common.confirm import ask_before_delete
from ..conflicts.conflicts_page import ClickableLabel, ConflictBadge
from ..releases.releases_model import words
from ..releases.releases_view import ReleasesView
from .backup_support import install as install_backups
from .commands import Refused
from .connect_dialog import install as install_connect
from .exports_menu import install as install_file_transfers
from .interchange_import import install as install_interchange
from .keys import install as install_keys
from .screens import PAGES, PageSpec
from .settings import THEMES, Settings
from .store import Store
from .theme import apply_theme
from .toolchain_import import install as install_toolchain_imports
from .unsaved import settle_drafts, unsaved_drafts

if TYPE_CHECKING:
    from ..releases.release_editor import ReleaseEditor

APP_TITLE = "Release Manager Desktop"
PLAN_FILTER = f"Release Manager plans (*{PLAN_SUFFIX});;All files (*)"


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "heading")
    label.setWordWrap(True)
    return label


class ReleasesPage(QStackedWidget):
    """The releases list, and the release editor over it (Esc goes back).

    The editor and its nine tabs are built the first time a release is opened or ``editor`` is
    asked for, not at start (issue 16); ``on_editor(editor)`` is then called, for what the
    window adds to it (the conflict badge, guard links to other pages)."""

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        settings: Settings | None = None,
        on_editor: Callable[[ReleaseEditor], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("releases_page")
        self.list = ReleasesView(store, settings=settings)
        self._editor: ReleaseEditor | None = None
        self._on_editor = on_editor
        self.addWidget(self.list)
        self.list.open_release.connect(self.open_release)

    @property
    def editor(self) -> ReleaseEditor:
        return self.build_editor()

    def build_editor(self) -> ReleaseEditor:
        """The release editor, built now if it was not yet."""
        if self._editor is None:
            from ..releases.release_editor import ReleaseEditor
            from .screens import RELEASE_TABS

            self._editor = ReleaseEditor(self.list.store, RELEASE_TABS)
            self.addWidget(self._editor)
            self._editor.back_requested.connect(self.show_list)
            if self._on_editor is not None:
                self._on_editor(self._editor)
        return self._editor

    def editor_built(self) -> bool:
        return self._editor is not None

    def open_release(self, key: str, tab: str | None = None) -> None:
        shown = self._editor.key if self._editor is not None else None
        if shown not in (None, key) and unsaved_drafts(self.editor):
            # Typing in the release shown is never dropped: ask, then open this one.
            settle_drafts(self.editor, lambda: self.open_release(key, tab), f"opening {key}")
            return
        self.list.select_key(key)
        self.editor.set_release(key)
        if tab:
            self.editor.show_tab(tab)
        self.setCurrentWidget(self.editor)

    def show_list(self) -> None:
        shown = self._editor.key if self._editor is not None else None
        key = shown or self.list.store.selection.key
        self.setCurrentWidget(self.list)
        if key:
            self.list.select_key(key)
        self.list.table.setFocus()


class Inspector(QWidget):
    """A summary of the selected release, from the list's row cache (no query)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Nothing selected")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: 600;")
        self.form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for name, label in (
            ("key", "Key"),
            ("status", "Status"),
            ("type", "Type"),
            ("risk", "Risk"),
            ("priority", "Priority"),
            ("application", "Application"),
            ("manager", "Manager"),
            ("planned_start", "Planned start"),
            ("planned_end", "Planned end"),
            ("window_start", "Window start"),
            ("window_end", "Window end"),
        ):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[name] = value
            self.form.addRow(label + ":", value)
        # The dock keeps its width whatever is shown: a long title (or an unbroken URL-like
        # word) wraps, or is cut, inside the width the user gave the dock; it never widens it.
        for shown in (self.title, *self.values.values()):
            shown.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            shown.setMinimumWidth(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addStretch(1)

    def show_release(self, row: Any | None) -> None:
        if row is None:
            self.title.setText("Nothing selected")
            for v in self.values.values():
                v.setText("")
            return
        self.title.setText(row.title)
        self.title.setToolTip(row.title)

        def when(value: Any) -> str:
            if value is None:
                return "—"
            if isinstance(value, dt.datetime):
                return f"{value.astimezone():%Y-%m-%d %H:%M}"
            return value.isoformat()

        for name, text in (
            ("key", row.key),
            ("status", row.status),
            ("type", words(row.type)),
            ("risk", words(row.risk)),
            ("priority", words(row.priority)),
            ("application", row.application or "—"),
            ("manager", row.manager or "—"),
            ("planned_start", when(row.planned_start)),
            ("planned_end", when(row.planned_end)),
            ("window_start", when(row.deploy_start)),
            ("window_end", when(row.deploy_end)),
        ):
            self.values[name].setText(text)


class WelcomePage(QWidget):
    demo_requested = Signal()
    new_requested = Signal()
    open_requested = Signal()
    connect_requested = Signal(str)  # a server URL typed here (connect_dialog.py)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome_page")
        intro = QLabel(
            "Plan releases, bundle approved changes, schedule them into maintenance windows and track "
            "tasks and approvals — all offline, in one plan file you choose like a document."
        )
        intro.setWordWrap(True)
        self.demo_button = QPushButton("Explore the demo plan")
        self.demo_button.setObjectName("welcome_demo")
        demo_note = QLabel(
            "A realistic plan with releases, changes, tasks and approvals to try things out."
        )
        self.new_button = QPushButton("Start a new, empty plan")
        self.new_button.setObjectName("welcome_new")
        new_note = QLabel(f"Kept in your data folder: {default_plan_path()}")
        self.open_button = QPushButton("Open an existing plan…")
        self.open_button.setObjectName("welcome_open")
        open_note = QLabel("A .relman file from a colleague, a backup or another folder.")
        self.server_url = QLineEdit()
        self.server_url.setObjectName("welcome_server_url")
        self.server_url.setPlaceholderText("or a team plan: postgresql://user@host:5432/database")
        self.server_url.returnPressed.connect(
            lambda: self.connect_requested.emit(self.server_url.text().strip())
        )
        self.connect_button = QPushButton("Connect…")
        self.connect_button.setObjectName("welcome_connect")
        self.connect_button.clicked.connect(
            lambda: self.connect_requested.emit(self.server_url.text().strip())
        )
        for note in (demo_note, new_note, open_note):
            note.setProperty("role", "subtle")
            note.setWordWrap(True)
        self.demo_button.clicked.connect(self.demo_requested)
        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(self.open_requested)
        self.notice = QLabel()
        self.notice.setObjectName("welcome_notice")
        self.notice.setProperty("role", "error")
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.hide()

        card = QFrame()
        card.setMaximumWidth(720)
        v = QVBoxLayout(card)
        v.addWidget(self.notice)
        v.addWidget(_heading(f"Welcome to {APP_TITLE}"))
        v.addWidget(intro)
        v.addSpacing(16)
        for button, note in (
            (self.demo_button, demo_note),
            (self.new_button, new_note),
            (self.open_button, open_note),
        ):
            button.setMinimumHeight(button.sizeHint().height() + 12)
            v.addWidget(button)
            v.addWidget(note)
            v.addSpacing(8)
        server_row = QHBoxLayout()
        server_row.addWidget(self.server_url, 1)
        server_row.addWidget(self.connect_button)
        v.addLayout(server_row)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(card)
        column.addStretch(2)
        outer.addLayout(column, 4)
        outer.addStretch(1)

    def show_notice(self, text: str) -> None:
        """One line above the welcome (why the last plan did not reopen); "" hides it."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))


class PlanErrorPage(QWidget):
    """Why a plan could not be opened, in the app's words, with the ways forward."""

    open_requested = Signal()
    new_requested = Signal()
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plan_error_page")
        self.message = QLabel()
        self.message.setObjectName("plan_error_message")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        open_button = QPushButton("Open another plan…")
        new_button = QPushButton("Create a new plan…")
        self.back_button = QPushButton("Back to the open plan")
        open_button.clicked.connect(self.open_requested)
        new_button.clicked.connect(self.new_requested)
        self.back_button.clicked.connect(self.back_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(open_button)
        buttons.addWidget(new_button)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        card = QFrame()
        card.setMaximumWidth(760)
        v = QVBoxLayout(card)
        v.addWidget(_heading("This plan could not be opened"))
        v.addWidget(self.message)
        v.addSpacing(12)
        v.addLayout(buttons)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(48, 48, 48, 48)
        outer.addWidget(card)
        outer.addStretch(1)

    def show_error(self, message: str, *, can_go_back: bool) -> None:
        self.message.setText(message)
        self.back_button.setVisible(can_go_back)


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
        action = QAction(text, self)
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
        self.actions_by_name[name] = action
        return action

    def _build_menus(self) -> None:
        SK = QKeySequence.StandardKey
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addAction(self._action("new_plan", "&New Plan…", self.new_plan_dialog, SK.New))
        file.addAction(self._action("open", "&Open…", self.open_plan_dialog, SK.Open))
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file.addMenu(self.recent_menu)
        install_connect(self, file, self.recent_menu.menuAction())
        file.addSeparator()
        file.addAction(
            self._action("save_copy", "Save a Copy &As…", self.save_copy_dialog, SK.SaveAs)
        )
        file.addAction(
            self._action(
                "backup",
                "&Back Up Now",
                self.back_up_now,
                tip="Copy the plan into its backup folder now (File > Restore from Backup lists them)",
            )
        )
        file.addSeparator()
        self.import_menu = file.addMenu("&Import")
        self.export_menu = file.addMenu("&Export")
        for menu, what in ((self.import_menu, "importers"), (self.export_menu, "exports")):
            placeholder = menu.addAction(f"No {what} yet")
            placeholder.setEnabled(False)
        file.addSeparator()
        file.addAction(self._action("quit", "&Quit", self.close, SK.Quit))

        edit = bar.addMenu("&Edit")
        undo = self.store.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcuts(SK.Undo)
        undo.setObjectName("action_undo")
        redo = self.store.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts(SK.Redo)
        redo.setObjectName("action_redo")
        self.actions_by_name["undo"], self.actions_by_name["redo"] = undo, redo
        edit.addAction(undo)
        edit.addAction(redo)
        edit.addSeparator()
        edit.addAction(self._action("find", "&Find…", self.find_release, SK.Find))

        view = bar.addMenu("&View")
        themes = QActionGroup(self)
        for name in THEMES:
            action = self._action(
                f"theme_{name}",
                name.replace("-", " ").capitalize() + " theme",
                lambda n=name: self.set_theme(n),
            )
            action.setCheckable(True)
            action.setChecked(name == self.settings.theme)
            themes.addAction(action)
            view.addAction(action)
        view.addSeparator()
        view.addAction(
            self._action("text_bigger", "&Bigger Text", lambda: self.change_text_size(1), SK.ZoomIn)
        )
        view.addAction(
            self._action(
                "text_smaller", "&Smaller Text", lambda: self.change_text_size(-1), SK.ZoomOut
            )
        )
        view.addAction(
            self._action(
                "text_reset", "&Reset Text Size", lambda: self.change_text_size(0), "Ctrl+0"
            )
        )
        view.addSeparator()
        full = self._action(
            "full_screen",
            "&Full Screen",
            self.toggle_full_screen,
            SK.FullScreen if QKeySequence.keyBindings(SK.FullScreen) else "F11",
        )
        full.setCheckable(True)
        view.addAction(full)
        view.addAction(self.inspector_dock.toggleViewAction())

        release = bar.addMenu("&Release")
        release.addAction(
            self._action("new_release", "&New Release", self.new_release, "Ctrl+Shift+N")
        )
        self.template_menu = QMenu("New from &Template", self)
        self.template_menu.aboutToShow.connect(self._fill_templates)
        release.addMenu(self.template_menu)
        release.addAction(
            self._action(
                "transition",
                "&Transition…",
                self.transition_current,
                "Ctrl+T",
                tip="Open the selected release at its lifecycle buttons",
            )
        )
        release.addSeparator()
        release.addAction(self._action("delete_release", "&Delete Release", self.delete_current))

        help_ = bar.addMenu("&Help")
        help_.addAction(
            self._action("shortcuts", "&Keyboard Shortcuts", self.show_shortcuts, SK.HelpContents)
        )
        help_.addAction(self._action("about", "&About", self.show_about))

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
