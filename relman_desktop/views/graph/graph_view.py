"""The Dependencies view: a layered drawing of the release dependency graph.

Prerequisites on the left, dependents on the right (laid out by ``graph_layout``: grandalf's
Sugiyama layering with crossing reduction). A box shows the key, the title, the status (a
colour stripe *and* its name) and, when conflicts name the release, a badge with a warning
sign and their count. Arrows run prerequisite → dependent: solid for "before", dashed and
labelled "together" for "deploy together". The critical chain (the longest dependency chain
by dates) is drawn thick, with a "critical" tag on its boxes.

Mouse and keys: drag the background to pan; wheel or Ctrl+= / Ctrl+- to zoom; F to fit; click
a box to select the release (``release_selected``); drag from one box to another to make the
second depend on the first (undoable; a loop is refused and named in the message line);
click an arrow and press Delete to remove that dependency (undoable).

"What if": pick a release and a shift in days, press *What if*: the releases and tasks that
would move are outlined with their shift, new conflicts get a "NEW" badge, nothing is written.
*Apply* writes it as one undo step; *Cancel* leaves the plan as it was.

Exports: PNG, SVG (QSvgGenerator) and PDF (QPdfWriter) of the whole scene.

Where things live: this module holds the page (``GraphView``: reading, filtering, focus,
edits, what-if) and its registration in the window; the boxes and arrows are in
``graph_items``, the pan/zoom/drag canvas in ``graph_canvas``, the file export in
``graph_export``, the layered layout in ``graph_layout``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGraphicsScene,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models.planfile import PlanError
from relman_desktop.services import graph as G
from relman_desktop.services import impact
from relman_desktop.services.base import ServiceError

from ..shell.commands import Refused
from ..shell.store import Store
from ..shell.worker import DebouncedTask, Task, Worker
from .graph_canvas import GraphCanvas
from .graph_export import export_scene
from .graph_items import EdgeItem, NodeItem

ALL_APPS = "All applications"
# More releases than this to draw at once: the page opens on a focused neighbourhood instead
# (a layered layout of thousands of boxes takes seconds), the whole graph on "Show all".
FOCUS_ABOVE = 300


# --- the view ----------------------------------------------------------------------------------------


class GraphView(QWidget):
    """The Dependencies page over the app's ``store``: its edits are steps on the store's one
    undo stack (``commands.edit``), so Edit > Undo takes them back from any page."""

    release_selected = Signal(str)
    open_release_requested = Signal(str)

    def __init__(
        self, store: Store, parent: QWidget | None = None, *, worker: Worker | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("graph_view")
        self.store = store
        # The read and the layout run on ``worker`` (the main window passes the shared one: the
        # page opens at once on a placeholder); without one they run inline.
        self.worker = worker or Worker(self, synchronous=True)
        self.conflict_source: Any = None  # the window's ConflictStatus (its tally), if any
        self.host: Any = None  # the main window holding this page, if any
        self.drawn = 0  # layouts drawn (tests follow the background work with it)
        self._auto_focus = True  # a big graph opens focused until the user asks for all
        self._tally_seen: Any = None  # the conflict tally the badges were last drawn from
        self._fit_next = False
        self._reader = DebouncedTask(self._read_job, delay_ms=0, worker=self.worker, parent=self)
        self._reader.result.connect(self._graph_read)
        self._reader.error.connect(lambda m: self._failed(m))
        self._layouter = DebouncedTask(
            self._layout_job, delay_ms=0, worker=self.worker, parent=self
        )
        self._layouter.result.connect(self._draw)
        self._layouter.error.connect(lambda m: self._failed(m))
        self.graph: G.ReleaseGraph = G.ReleaseGraph([], [])
        self.layout_result: Any = None  # a graph_layout.GraphLayout once the graph is drawn
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[tuple[str, str], EdgeItem] = {}
        self.selected_key: str | None = None
        self.what_if: Any = None  # the ImpactResult shown, if any
        self.focus_key: str | None = None
        self.hidden_isolated = 0

        self.scene = QGraphicsScene(self)
        self.canvas = GraphCanvas(self.scene, self)
        self.app_filter = QComboBox()
        self.app_filter.setObjectName("graph_app_filter")
        self.app_filter.setAccessibleName("Filter by application")
        self.show_isolated = QCheckBox("Releases without dependencies")
        self.show_isolated.setToolTip(
            "Also show releases that neither depend on nor are depended on by another"
        )
        self.up_levels, self.down_levels = QSpinBox(), QSpinBox()
        for box, what in ((self.up_levels, "prerequisites"), (self.down_levels, "dependents")):
            box.setRange(0, 20)
            box.setValue(2)
            box.setToolTip(f"Levels of {what} to show around the focused release")
        self.focus_button = QPushButton("Focus")
        self.focus_button.setToolTip("Show only the selected release with N levels up and down")
        self.unfocus_button = QPushButton("Show all")
        self.shift_days = QSpinBox()
        self.shift_days.setRange(-365, 365)
        self.shift_days.setValue(3)
        self.shift_days.setSuffix(" d")
        self.shift_days.setAccessibleName("What-if shift in days")
        self.what_if_button = QPushButton("What if…")
        self.what_if_button.setToolTip(
            "Show what moves and what breaks if the selected release slips"
        )
        self.apply_button = QPushButton("Apply")
        self.cancel_button = QPushButton("Cancel")
        self.fit_button = QPushButton("Fit")
        self.legend = QLabel("→ before   ⇢ together   ━ critical chain   ⚠ conflicts")
        self.legend.setProperty("role", "subtle")
        self.message = QLabel("")
        self.message.setObjectName("graph_message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        bar = QHBoxLayout()  # what to show
        bar.addWidget(self.app_filter)
        bar.addWidget(self.show_isolated)
        bar.addSpacing(8)
        bar.addWidget(QLabel("Up"))
        bar.addWidget(self.up_levels)
        bar.addWidget(QLabel("Down"))
        bar.addWidget(self.down_levels)
        bar.addWidget(self.focus_button)
        bar.addWidget(self.unfocus_button)
        bar.addStretch(1)
        bar.addWidget(self.fit_button)
        bar2 = QHBoxLayout()  # what if
        bar2.addWidget(QLabel("What if the selected release slips"))
        bar2.addWidget(self.shift_days)
        bar2.addWidget(self.what_if_button)
        bar2.addWidget(self.apply_button)
        bar2.addWidget(self.cancel_button)
        bar2.addSpacing(12)
        bar2.addWidget(self.legend, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addLayout(bar2)
        layout.addWidget(self.message)
        self.placeholder = QLabel("Reading the dependencies…")
        self.placeholder.setObjectName("graph_placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setProperty("role", "subtle")
        self.placeholder.hide()
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.canvas, 1)
        # the window decides the width: the toolbars may be clipped, never widen the window
        self.setMinimumSize(320, 240)
        self.legend.setMinimumWidth(10)
        self.message.setMinimumWidth(10)

        self.canvas.node_clicked.connect(self.select_release)
        self.canvas.open_requested.connect(self.open_release_requested)
        self.canvas.connect_requested.connect(self.connect_releases)
        self.canvas.delete_requested.connect(self.remove_dependency)
        self.app_filter.currentIndexChanged.connect(lambda _i: self._rebuild(fit=True))
        self.show_isolated.toggled.connect(lambda _on: self._rebuild(fit=True))
        self.focus_button.clicked.connect(lambda: self.focus_on(self.selected_key))
        self.unfocus_button.clicked.connect(self.show_all)
        self.what_if_button.clicked.connect(
            lambda: self.show_what_if(self.selected_key, self.shift_days.value())
        )
        self.apply_button.clicked.connect(self.apply_what_if)
        self.cancel_button.clicked.connect(self.cancel_what_if)
        self.fit_button.clicked.connect(self.canvas.fit)
        self._listen(store)
        self._set_what_if_buttons()
        self.reload(fit=True)

    # --- data ---------------------------------------------------------------------------------

    @property
    def ctx(self) -> Any:
        return self.store.ctx

    def _listen(self, store: Store) -> None:
        for signal in (store.releases_changed, store.calendar_changed, store.plan_opened):
            signal.connect(self._store_changed)  # bound: Qt drops it with the view
        store.release_changed.connect(self._release_changed)

    def _store_changed(self, *_args: object) -> None:
        self.reload()

    def _release_changed(self, _key: str) -> None:
        if not getattr(self, "_editing", False):
            self.reload()

    def _edit(self, action: Callable[[], object]) -> bool:
        """One store edit (one undoable step); a refusal is shown in the message line and
        nothing is pushed. The graph is read once afterwards, not once per release announced."""
        self._editing = True
        try:
            action()
        except Refused as exc:
            self.show_message(str(exc), error=True)
            return False
        finally:
            self._editing = False
        self.reload()
        return True

    def reload(self, *, fit: bool = False, force: bool = False) -> None:
        """Read the graph again (one service call) and redraw; while the view is hidden this
        only marks it stale, and it reloads when shown (the store signals every edit). With a
        background worker the read and the layout run there, the page showing a placeholder
        until its first drawing."""
        if not force and not self.isVisible():
            self._stale = True
            self._fit_when_shown = getattr(self, "_fit_when_shown", False) or fit
            return
        self._stale = False
        self._fit_next = self._fit_next or fit
        if self._inline():
            job = self._read_job()
            if job is None:
                return
            try:
                graph = job(None)
            except (ServiceError, PlanError) as exc:
                graph = G.ReleaseGraph([], [])
                self.show_message(str(exc), error=True)
            self._graph_read(graph)
        else:
            if self.drawn == 0:
                self._placeholder("Reading the dependencies…")
            self._reader.trigger()

    def _inline(self) -> bool:
        return self.worker.synchronous or getattr(self, "_now", False)

    def load_now(self) -> None:
        """Read and draw on this thread (the screenshot command has no event loop)."""
        self._reader.stop()
        self._layouter.stop()
        self._now = True
        try:
            self.reload(force=True)
        finally:
            self._now = False

    def _read_job(self) -> Callable[[Task | None], Any] | None:
        if not self.store.has_plan:
            return None
        if self.conflict_source is None and self.host is not None:
            source = getattr(self.host, "conflict_status", None)
            if source is not None:
                self.use_conflicts(source)
        ctx = self.ctx
        with_conflicts = self.conflict_source is None

        def read(_task: Task | None) -> G.ReleaseGraph:
            return G.release_graph(ctx, with_conflicts=with_conflicts)

        return read

    def _failed(self, message: str) -> None:
        self._placeholder(None)
        self.show_message(message, error=True)

    def _placeholder(self, text: str | None) -> None:
        """Show ``text`` instead of the drawing (None: the drawing)."""
        if text is not None:
            self.placeholder.setText(text)
        self.placeholder.setVisible(text is not None)
        self.canvas.setVisible(text is None)

    def _graph_read(self, graph: G.ReleaseGraph) -> None:
        self.graph = graph
        apps = self.graph.applications()
        current = self.app_filter.currentText()
        self.app_filter.blockSignals(True)
        self.app_filter.clear()
        self.app_filter.addItems([ALL_APPS, *apps])
        self.app_filter.setCurrentIndex(max(0, self.app_filter.findText(current)))
        self.app_filter.blockSignals(False)
        if self._auto_focus and self.focus_key is None:
            self._focus_if_big()
        fit, self._fit_next = self._fit_next, False
        self._rebuild(fit=fit)

    def _focus_if_big(self) -> None:
        """A graph too big to lay out at once opens on one release's neighbourhood: the
        selected release, else the first of the critical chain (what drives the plan's end)."""
        keys = self.visible_keys()
        if len(keys) <= FOCUS_ABOVE:
            return
        known = {n.key for n in self.graph.nodes}
        chosen = self.store.selection.key if hasattr(self.store, "selection") else None
        if chosen not in known:
            chosen = next(iter(self.graph.critical_chain), None)
        if chosen is None:
            chosen = next((e.prerequisite for e in self.graph.edges), None)
        if chosen is None:
            return
        self.focus_key = chosen
        self.selected_key = chosen
        self._focused_from = len(keys)

    def show_all(self) -> None:
        """Every release (linked ones, unless the box is ticked): laid out in the background,
        with a note saying how many while it runs."""
        self._auto_focus = False
        self.focus_on(None)

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        if getattr(self, "_stale", False):
            fit, self._fit_when_shown = getattr(self, "_fit_when_shown", False), False
            self.reload(fit=fit, force=True)

    def visible_keys(self) -> set[str]:
        g = self.graph
        keys = {n.key for n in g.nodes}
        app = self.app_filter.currentText()
        if app and app != ALL_APPS:
            keys = {n.key for n in g.nodes if n.application == app}
        if self.focus_key is not None and g.node(self.focus_key) is not None:
            keys &= G.neighbourhood(
                g.digraph(), self.focus_key, self.up_levels.value(), self.down_levels.value()
            )
        linked = {e.prerequisite for e in g.edges if e.dependent in keys} | {
            e.dependent for e in g.edges if e.prerequisite in keys
        }
        self.hidden_isolated = 0
        many = len(keys) > 300  # a grid of thousands of unlinked boxes helps nobody
        if not self.show_isolated.isChecked() and (g.edges or many) and self.focus_key is None:
            isolated = {k for k in keys if k not in linked}
            self.hidden_isolated = len(isolated)
            keys -= isolated
        return keys

    def _rebuild(self, *, fit: bool = False) -> None:
        """Lay out what ``visible_keys`` picks (on the worker when there is one) and draw it."""
        keys = self.visible_keys()
        sub = self.graph.subgraph(keys)
        self._fit_next = self._fit_next or fit
        self._pending = sub
        if self._inline():
            job = self._layout_job()
            if job is not None:
                self._draw(job(None))
            return
        if len(sub.nodes) > FOCUS_ABOVE or self.drawn == 0:
            self._placeholder(f"Laying out {len(sub.nodes):,} releases…")
        self._layouter.trigger()

    def _layout_job(self) -> Callable[[Task | None], Any] | None:
        sub = getattr(self, "_pending", None)
        if sub is None:
            return None

        def lay_out(_task: Task | None) -> tuple[G.ReleaseGraph, Any]:
            from .graph_layout import layered_layout  # grandalf: loaded when used

            return sub, layered_layout(
                [n.key for n in sub.nodes], [(e.prerequisite, e.dependent) for e in sub.edges]
            )

        return lay_out

    def _draw(self, result: tuple[G.ReleaseGraph, Any]) -> None:
        self._last_drawn = result
        sub, lay = result
        fit, self._fit_next = self._fit_next, False
        self._placeholder(None)
        self.drawn += 1
        self.scene.clear()
        self.canvas._rubber = None
        self.nodes, self.edges = {}, {}
        self.layout_result = lay
        chain = set(self.graph.critical_chain)
        critical_edges = self.graph.critical_edges()
        from relman_desktop.services.plan_zone import plan_zone_name

        zone = plan_zone_name(self.store.ctx) if self.store.has_plan else "UTC"
        tally = getattr(self.conflict_source, "tally", None)
        self._tally_seen = tally
        for n in sub.nodes:
            if tally is not None:  # the badges from the window's tally, not a check here
                rules = [c.rule for c in tally.for_release(n.key)]
                n = replace(n, conflicts=len(rules), conflict_rules=tuple(sorted(set(rules))))
            item = NodeItem(n, lay.node_w, lay.node_h, zone)
            item.critical = n.key in chain
            item.setPos(*lay.positions[n.key])
            self.scene.addItem(item)
            self.nodes[n.key] = item
        half = lay.node_w / 2
        for e in sub.edges:
            a, b = lay.positions[e.prerequisite], lay.positions[e.dependent]
            points = [QPointF(a[0] + half, a[1])]
            for x, y in lay.routes.get((e.prerequisite, e.dependent), []):
                # through a column straight, in the gap grandalf left for it, never across a box
                points += [QPointF(x - half, y), QPointF(x + half, y)]
            points.append(QPointF(b[0] - half, b[1]))
            edge = EdgeItem(e, points, (e.prerequisite, e.dependent) in critical_edges)
            self.scene.addItem(edge)
            self.edges[(e.prerequisite, e.dependent)] = edge
        self.scene.setSceneRect(QRectF(-40, -40, lay.width + 80, lay.height + 80))
        if self.selected_key in self.nodes:
            self.nodes[self.selected_key].setSelected(True)
        if self.what_if is not None:
            self._paint_what_if()
        focused_from = getattr(self, "_focused_from", 0)
        if focused_from and self.focus_key is not None and not self.message.property("sticky"):
            self.show_message(
                f"Showing {self.focus_key} and its neighbours ({len(self.nodes)} of "
                f"{focused_from:,} linked releases); press “Show all” to lay out the whole "
                "graph (it takes a while).",
                sticky=False,
            )
        elif self.hidden_isolated and not self.message.property("sticky"):
            self.show_message(
                f"{self.hidden_isolated} releases without dependencies are hidden "
                "(tick “Releases without dependencies” to show them).",
                sticky=False,
            )
        if fit:
            self.canvas.fit_readable()

    def use_conflicts(self, source: Any) -> None:
        """Take the conflict badges from ``source`` (the main window's ``ConflictStatus`` and
        its tally) instead of checking the whole plan on every read."""
        self.conflict_source = source
        source.rows_ready.connect(self._tally_ready)

    def _tally_ready(self, *_args: Any) -> None:
        """The window's tally built (or rebuilt): draw the badges from it. After an edit the
        graph is read again anyway, and takes the tally's figures then."""
        tally = getattr(self.conflict_source, "tally", None)
        last = getattr(self, "_last_drawn", None)
        if tally is not None and tally is not self._tally_seen and last is not None:
            self._draw(last)

    # --- messages ----------------------------------------------------------------------------------

    def show_message(self, text: str, *, error: bool = False, sticky: bool = True) -> None:
        """A one-line note above the graph (never a dialog); errors are marked in words too."""
        self.message.setText(
            ("Refused: " if error and not text.startswith(("Refused", "Undo", "Redo")) else "")
            + text
        )
        self.message.setProperty("role", "error" if error else "subtle")
        self.message.setProperty("sticky", sticky)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    # --- selection, focus --------------------------------------------------------------------------

    def follow_selection(self, key: str) -> None:
        """The release picked elsewhere (``Store.selection``) is the node selected here."""
        if key and key != self.selected_key and key in self.nodes:
            self.select_release(key)

    def select_release(self, key: str) -> None:
        self.selected_key = key
        item = self.nodes.get(key)
        if item is not None and not item.isSelected():
            self.scene.clearSelection()
            item.setSelected(True)
        self.release_selected.emit(key)

    def focus_on(self, key: str | None, up: int | None = None, down: int | None = None) -> None:
        """Only ``key`` with ``up`` levels of prerequisites and ``down`` of dependents (None: all)."""
        if up is not None:
            self.up_levels.setValue(up)
        if down is not None:
            self.down_levels.setValue(down)
        self.focus_key = key
        self._focused_from = 0  # the user's own focus: no note about an automatic one
        self._rebuild(fit=True)
        if key is not None:
            self.select_release(key)

    def set_application(self, app: str | None) -> None:
        index = self.app_filter.findText(app or ALL_APPS)
        self.app_filter.setCurrentIndex(max(0, index))

    # --- edits ----------------------------------------------------------------------------------------

    def connect_releases(self, prerequisite: str, dependent: str, kind: str = "before") -> bool:
        """``dependent`` depends on ``prerequisite`` (a drag from the first box to the second).
        The service refuses a loop (naming it) or a dependency that is already there."""
        if not self._edit(lambda: self.store.edits.add_dependency(dependent, prerequisite, kind)):
            return False
        self.show_message(f"{dependent} now depends on {prerequisite} (Ctrl+Z to undo)")
        return True

    def remove_dependency(self, prerequisite: str, dependent: str) -> bool:
        edge = next(
            (
                e
                for e in self.graph.edges
                if e.prerequisite == prerequisite and e.dependent == dependent
            ),
            None,
        )
        if edge is None:
            return False
        kind = edge.kind
        if not self._edit(
            lambda: self.store.edits.remove_dependency(dependent, prerequisite, kind)
        ):
            return False
        self.show_message(f"{dependent} no longer depends on {prerequisite} (Ctrl+Z to undo)")
        return True

    # --- what if ----------------------------------------------------------------------------------------

    def show_what_if(self, key: str | None, days: int) -> Any:
        """Highlight what moves and what breaks if ``key`` slips ``days``; writes nothing."""
        if not key:
            self.show_message("Select a release first, then press What if…", error=True)
            return None
        try:
            result = impact.impact(self.ctx, key, days)
        except (ServiceError, PlanError) as exc:
            self.show_message(str(exc), error=True)
            return None
        self.what_if = result
        self._rebuild()
        releases = [m for m in result.moved if m.kind == "release"]
        tasks = [m for m in result.moved if m.kind == "task"]
        parts = [
            f"What if {key} slips {days:+d} days: {len(releases)} release(s) and {len(tasks)} task(s) move"
        ]
        if result.new_conflicts:
            parts.append(
                f"{len(result.new_conflicts)} new conflict(s): "
                + "; ".join(f"{c.rule} {', '.join(c.releases)}" for c in result.new_conflicts[:4])
            )
        if result.prerequisite_violations:
            parts.append(
                "deploys before its prerequisite: "
                + ", ".join(
                    f"{v.release} (needs {v.prerequisite})" for v in result.prerequisite_violations
                )
            )
        if result.freezes_hit:
            parts.append(
                "freeze hit: "
                + ", ".join(f"{f['release']} in {f['window']}" for f in result.freezes_hit)
            )
        self.show_message(". ".join(parts) + ". Apply or Cancel.", error=False)
        self._set_what_if_buttons()
        return result

    def _paint_what_if(self) -> None:
        result = self.what_if
        for m in result.moved:
            if m.kind == "release" and m.key in self.nodes:
                self.nodes[m.key].moved_days = m.days
        for c in result.new_conflicts:
            for k in c.releases:
                if k in self.nodes:
                    self.nodes[k].new_conflicts += 1
        for v in result.prerequisite_violations:
            if v.release in self.nodes:
                self.nodes[v.release].violated = True
            edge = self.edges.get((v.prerequisite, v.release))
            if edge is not None:
                edge.violated = True
        self.scene.update()

    def apply_what_if(self) -> bool:
        if self.what_if is None:
            return False
        result, self.what_if = self.what_if, None
        self._set_what_if_buttons()
        # One step for the whole shift: undo restores every date it wrote, redo writes them again.
        if not self._edit(lambda: self.store.edits.apply_shift(result.key, result.shift_days)):
            self._rebuild()  # the what-if outlines go; the refusal stays in the message line
            return False
        self.show_message(f"Shifted {result.key} by {result.shift_days:+d} days (Ctrl+Z to undo)")
        return True

    def cancel_what_if(self) -> None:
        self.what_if = None
        self.show_message("What-if cancelled: the plan is unchanged.")
        self._set_what_if_buttons()
        self._rebuild()

    def _set_what_if_buttons(self) -> None:
        active = self.what_if is not None
        self.apply_button.setEnabled(active)
        self.cancel_button.setEnabled(active)

    # --- export -------------------------------------------------------------------------------------------

    def export(self, path: str | Path) -> Path:
        return export_scene(self.scene, path)


def export_graph_file(ctx: Any, path: str | Path, *, keys: Iterable[str] | None = None) -> Path:
    """Headless export for ``relman export graph``: the view built offscreen, its scene saved."""
    from ..shell.screenshot import ensure_app

    ensure_app()
    view = GraphView(Store(ctx))
    view.reload(force=True)
    try:
        if keys is not None:
            wanted = set(keys)
            view.show_isolated.setChecked(True)
            view.graph = view.graph.subgraph(wanted)
            view._rebuild()
        return view.export(path)
    finally:
        view.deleteLater()


# --- registration in the main window -----------------------------------------------------------------


def page_factory(store: Any, window: Any) -> QWidget:
    from ..shell.worker import shared_worker

    view = GraphView(store, worker=shared_worker())
    view.host = window  # its ConflictStatus (installed after the pages) gives the badges
    view.open_release_requested.connect(lambda key: window.open_release(key))
    view.release_selected.connect(store.selection.set)  # the one selection (see Store.selection)
    store.selection.changed.connect(view.follow_selection)
    window.graph_view = view
    return view


def prepare_screenshot(window: Any, key: str | None) -> None:
    window.show_page("dependencies")
    view = getattr(window, "graph_view", None)
    if view is not None:
        view.load_now()
        view.canvas.fit_readable()


__all__ = [
    "GraphCanvas",
    "GraphView",
    "NodeItem",
    "export_graph_file",
    "export_scene",
    "page_factory",
    "prepare_screenshot",
]
