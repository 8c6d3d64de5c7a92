"""Views listen to long-lived objects through bound methods, never lambdas (issue 11).

The store (``views/shell/store.py``) outlives pages, editors and dialogs; so do its selection,
its undo stack and its edits, the shared background worker and the jobs it runs, and the main
window's ``ConflictStatus`` and its tally. A connection from one of their signals to a bound
method of a ``QObject`` is dropped by Qt when that object is destroyed. A lambda, a nested
function or a ``functools.partial`` has no receiver Qt knows of: it is never disconnected, and
once its widget is gone it calls into a deleted C++ object ("Internal C++ object already
deleted"). PySide6 6.11 does not look inside a ``functools.partial`` of a bound method either
(checked: it still calls the deleted receiver), so a partial is no better than a lambda.

The rule the structural test enforces, over the source (AST) of every module under
``relman_desktop/views``: in ``<sender>.<signal>.connect(<callable>)``, when ``<sender>`` is
long-lived, ``<callable>`` must be an attribute (a bound method ``self._on_plan_opened``, a
signal to forward to, a method of another object) — not a ``lambda``, a ``partial(...)`` or a
function defined inside the calling function. The same holds for the callbacks handed to
``Worker.submit(on_result=..., ...)``, which are connected to the job's signals. A sender is
long-lived when its expression names one of ``LONG_LIVED`` (``store.``, ``self.store.``,
``window.store.``, ``.selection.``, ``.undo_stack.``, ``.worker``, ``shared_worker()``,
``conflict_status`` …), directly or through a local name bound to such an expression
(``s = self.store``, ``job = self.worker.submit(...)``, ``for signal in (store.a, store.b)``).
A button's ``clicked`` connected to a lambda inside its own widget is left alone: the sender
dies with the widget the lambda calls into. A local function connected and disconnected within
the same function (``connect(heard) ... finally: disconnect(heard)``) is allowed: it cannot
outlive the call."""

from __future__ import annotations

import ast
from pathlib import Path

import relman_desktop.views

VIEWS = Path(relman_desktop.views.__file__).parent
# Names of the objects that outlive the widgets listening to them.
LONG_LIVED = frozenset(
    {
        "store",
        "_store",
        "selection",
        "undo_stack",
        "edits",
        "worker",
        "_worker",
        "shared_worker",
        "conflict_status",
        "conflict_source",
        "tally",
    }
)
CALLBACKS = ("on_progress", "on_result", "on_error", "on_cancelled", "on_finished")


def _names(expr: ast.AST) -> set[str]:
    """Every name and attribute an expression mentions (``window.store.selection`` gives
    window, store, selection). A call counts by what is called, not by its arguments:
    ``self.worker.submit(...)`` hands out one of the worker's jobs, ``Dialog(self.store)`` is a
    new dialog, not the store."""
    found: set[str] = set()
    todo = [expr]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Call):
            todo.append(node.func)
            if isinstance(node.func, ast.Name) and node.func.id == "getattr" and node.args:
                todo.append(node.args[0])  # getattr(store, name) is one of the store's signals
            continue
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        todo.extend(ast.iter_child_nodes(node))
    return found


class _Scope:
    """One function body: what each local name is bound to."""

    def __init__(self, func: ast.AST, nodes: list[ast.AST]) -> None:
        self.bound: dict[str, list[ast.AST]] = {}
        self.local_functions: set[str] = set()
        self.disconnected: set[str] = set()
        for node in nodes:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    for name in _target_names(target):
                        self.bound.setdefault(name, []).append(node.value)
            elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
                for name in _target_names(node.target):
                    self.bound.setdefault(name, []).append(node.value)
            elif isinstance(node, ast.For | ast.comprehension):
                for name in _target_names(node.target):
                    self.bound.setdefault(name, []).append(node.iter)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                for name in _target_names(node.optional_vars):
                    self.bound.setdefault(name, []).append(node.context_expr)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node is not func:
                self.local_functions.add(node.name)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "disconnect"
                and node.args
                and isinstance(node.args[0], ast.Name)
            ):
                self.disconnected.add(node.args[0].id)

    def expanded(self, expr: ast.AST) -> set[str]:
        """The names ``expr`` mentions, following local names to what they were bound to."""
        seen: set[str] = set()
        todo = [expr]
        names: set[str] = set()
        while todo:
            for name in _names(todo.pop()):
                names.add(name)
                if name in self.bound and name not in seen:
                    seen.add(name)
                    todo.extend(self.bound[name])
        return names

    def dangling(self, callable_: ast.AST, seen: frozenset[str] = frozenset()) -> str | None:
        """What kind of receiver-less callable this is, or None for a bound method."""
        if isinstance(callable_, ast.Lambda):
            return "a lambda"
        if isinstance(callable_, ast.Call) and "partial" in _names(callable_.func):
            return "a partial"
        if isinstance(callable_, ast.Name):
            name = callable_.id
            if name in self.local_functions and name not in self.disconnected:
                return f"the local function {name}"
            if name in seen or name in self.disconnected:
                return None
            for value in self.bound.get(name, []):
                kind = self.dangling(value, seen | {name})
                if kind is not None:
                    return kind
        return None


def _own_nodes(func: ast.AST) -> list[ast.AST]:
    """The nodes of ``func``'s body, not descending into nested functions or classes (their
    own scope) — but a nested function's name is bound here."""
    nodes: list[ast.AST] = []
    todo = list(ast.iter_child_nodes(func))
    while todo:
        node = todo.pop()
        nodes.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return nodes


def _target_names(target: ast.AST) -> list[str]:
    """The local names an assignment binds (``a, b = ...``), not ``self`` in ``self.x = ...``."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def violations(name: str, source: str) -> list[str]:
    """Each place in ``source`` that connects a long-lived object's signal to a lambda, a
    partial or a local function."""
    tree = ast.parse(source)
    found: list[str] = []
    scopes = [tree] + [
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    for func in scopes:
        nodes = _own_nodes(func)
        scope: _Scope | None = None  # read only where something is connected to a non-attribute
        for node in nodes:
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            pairs: list[tuple[ast.AST, ast.AST]] = []  # (sender, callable)
            if node.func.attr == "connect" and node.args:
                pairs.append((node.func.value, node.args[0]))
            elif node.func.attr == "submit":  # Worker.submit: connected to its job's signals
                pairs += [(node.func.value, k.value) for k in node.keywords if k.arg in CALLBACKS]
            for sender, callable_ in pairs:
                if isinstance(callable_, ast.Attribute):
                    continue  # a bound method, or a signal to forward to
                scope = scope or _Scope(func, nodes)
                kind = scope.dangling(callable_)
                if kind is None:
                    continue
                reached = scope.expanded(sender) & LONG_LIVED
                if reached:
                    found.append(
                        f"{name}:{node.lineno} connects {ast.unparse(sender)} "
                        f"(long-lived: {', '.join(sorted(reached))}) to {kind}"
                    )
    return found


def _view_sources() -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(VIEWS.parent.parent)), path.read_text(encoding="utf-8"))
        for path in sorted(VIEWS.rglob("*.py"))
    ]


def test_views_listen_to_long_lived_objects_through_bound_methods() -> None:
    sources = _view_sources()
    assert len(sources) > 60  # every view module was read (the folder holds about 80)
    found = [v for path, source in sources for v in violations(path, source)]
    assert found == [], "connections that outlive their widget:\n" + "\n".join(found)


def test_the_check_catches_each_way_a_listener_outlives_its_widget() -> None:
    """The checker is not blind: each pattern the rule forbids, in a made-up view module, and
    the patterns it leaves alone."""
    forbidden = {
        "store.changed.connect(lambda _c: self.refresh())": "store.changed",
        "self.store.plan_opened.connect(lambda _p: self.reset())": "self.store.plan_opened",
        "window.store.selection.changed.connect(lambda k: view.pick(k))": "selection",
        "self.store.undo_stack.indexChanged.connect(lambda _i: self.x())": "undo_stack",
        "s = self.store\ns.release_changed.connect(lambda _k: self.reload())": "s.release_",
        "for sig in (store.a, store.b):\n    sig.connect(lambda *_a: self.reload())": "sig",
        "getattr(store, name).connect(lambda: self.refresh())": "getattr(store, name)",
        "store.changed.connect(partial(self.reload, True))": "a partial",
        "store.changed.connect(functools.partial(self.reload, True))": "a partial",
        "def later(_c):\n    self.refresh()\nstore.changed.connect(later)": "local function",
        "self.conflict_status.per_release.connect(lambda c: self.paint(c))": "conflict_status",
        "job = self.worker.submit(fn)\njob.succeeded.connect(lambda r: self.show(r))": "job",
        "self.worker.submit(fn, on_result=lambda r: self.show(r))": "self.worker",
        "shared_worker().job_started.connect(lambda j: self.busy(j))": "shared_worker",
    }
    for body, what in forbidden.items():
        source = "def build(self, store, window, name, fn):\n" + "".join(
            f"    {line}\n" for line in body.splitlines()
        )
        found = violations("made_up.py", source)
        assert len(found) == 1 and what in found[0], (body, found)
    allowed = [
        "store.changed.connect(self._store_changed)",
        "store.plan_opened.connect(self.table.clearSelection)",
        "store.selection.changed.connect(view.follow_selection)",
        "self.button.clicked.connect(lambda: self.move(-1))",  # dies with its widget
        "dialog = Dialog(self.store)\ndialog.accepted.connect(lambda: self.apply(dialog))",
        "def heard(m):\n    seen.append(m)\nstore.error.connect(heard)\nstore.error.disconnect(heard)",
        "self.store.selection.changed.connect(self.badge.set_release)",
    ]
    for body in allowed:
        source = "def build(self, store, window, name, fn):\n" + "".join(
            f"    {line}\n" for line in body.splitlines()
        )
        assert violations("made_up.py", source) == [], body


# --- behaviour: a deleted widget hears nothing more from the store ----------------------------

STORE_SIGNALS = ("plan_opened(QString)", "plan_closed()", "changed(PyObject)")


def _listeners(store) -> dict[str, int]:
    from PySide6.QtCore import SIGNAL

    counts = {name: store.receivers(SIGNAL(name)) for name in STORE_SIGNALS}
    counts["selection"] = store.selection.receivers(SIGNAL("changed(QString)"))
    return counts


def test_a_deleted_editor_and_settings_page_hear_nothing_from_the_store(
    store, qtbot, tmp_path
) -> None:
    """The release editor (with all its tabs and its lifecycle bar) and the Settings page are
    built on the store, shown, and deleted; the store lives on. An edit, then another plan,
    then no plan: nothing calls into the deleted widgets (no "Internal C++ object already
    deleted" reaching the app's crash dialog), and the store has exactly the listeners it had
    before they were built."""
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    from relman_desktop.views.releases.release_editor import ReleaseEditor
    from relman_desktop.views.settings.settings_page import SettingsPage
    from relman_desktop.views.shell.screens import RELEASE_TABS

    before = _listeners(store)
    editor = ReleaseEditor(store, RELEASE_TABS)
    editor.set_release("REL-2026-001")
    settings = SettingsPage(store)
    for widget in (editor, settings):
        widget.resize(1200, 800)
        widget.show()
        qtbot.waitExposed(widget)
    assert _listeners(store)["plan_opened(QString)"] > before["plan_opened(QString)"]
    for widget in (editor, settings):
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(editor) and not shiboken6.isValid(settings)

    with qtbot.captureExceptions() as exceptions:
        assert store.update_release("REL-2026-001", {"title": "Checkout, second try"})
        assert store.open_plan(tmp_path / "other.relman", create=True)
        store.close_plan()
    assert [str(e[1]) for e in exceptions] == []
    assert _listeners(store) == before


def test_a_deleted_main_window_leaves_no_listener_on_the_store(store, qtbot, tmp_path) -> None:
    """The store outlives the window (a test's store, or a window closed and built again): once
    the window and every page it built are deleted, another plan reaches none of them."""
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    from relman_desktop.views.shell.main_window import MainWindow
    from relman_desktop.views.shell.settings import Settings

    before = _listeners(store)
    window = MainWindow(store, Settings.in_memory())
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    for name in ("releases", "calendar", "dependencies", "conflicts", "settings"):
        assert window.show_page(name), name
    window.open_release("REL-2026-002")
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(window)

    with qtbot.captureExceptions() as exceptions:
        store.selection.set("REL-2026-003")
        assert store.update_release("REL-2026-003", {"title": "Invoice export, second try"})
        assert store.open_plan(tmp_path / "other.relman", create=True)
        store.close_plan()
    assert [str(e[1]) for e in exceptions] == []
    assert _listeners(store) == before
