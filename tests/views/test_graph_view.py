"""The Dependencies view, driven with the mouse and keys as a user would (pytest-qt, offscreen)."""

from __future__ import annotations

import pytest
from graph_plan import load_graph_plan
from PySide6.QtCore import QPoint, Qt

from relman_desktop.services import graph as G
from relman_desktop.services.releases import get_release


@pytest.fixture
def graph_store(ctx):
    from relman_desktop.views.shell.store import Store

    load_graph_plan(ctx)
    return Store(ctx)


@pytest.fixture
def gview(graph_store, qtbot):
    from relman_desktop.views.graph.graph_view import GraphView

    view = GraphView(graph_store)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    qtbot.waitExposed(view)
    view.canvas.fit()
    view.stack = graph_store.undo_stack  # the app's one stack
    return view


def _at(view, key: str) -> QPoint:
    return view.canvas.mapFromScene(view.nodes[key].scenePos())


def _drag(qtbot, view, source: str, target: str) -> None:
    port = view.canvas.viewport()
    a, b = _at(view, source), _at(view, target)
    qtbot.mousePress(port, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(port, pos=(a + b) / 2)
    qtbot.mouseMove(port, pos=b)
    qtbot.mouseRelease(port, Qt.MouseButton.LeftButton, pos=b)


def _deps(ctx) -> set[tuple[str, str, str]]:
    return {
        (e.prerequisite, e.dependent, e.kind)
        for e in G.release_graph(ctx, with_conflicts=False).edges
    }


def test_draws_every_linked_release_and_arrow_without_overlap(gview):
    from relman_desktop.views.graph.graph_layout import overlapping_pairs

    assert set(gview.nodes) == {"REL-A", "REL-B", "REL-C", "REL-D"}
    assert set(gview.edges) == {("REL-A", "REL-B"), ("REL-A", "REL-C"), ("REL-B", "REL-D")}
    assert overlapping_pairs(gview.layout_result) == []
    # prerequisites left of dependents
    assert gview.nodes["REL-A"].x() < gview.nodes["REL-B"].x() < gview.nodes["REL-D"].x()
    assert gview.edges[("REL-B", "REL-D")].edge.kind == "together"
    assert gview.nodes["REL-A"].critical and gview.nodes["REL-C"].critical  # the critical chain


def test_drag_from_one_release_to_another_adds_the_dependency_and_undo_removes_it(
    gview, qtbot, ctx
):
    _drag(qtbot, gview, "REL-C", "REL-D")
    assert ("REL-C", "REL-D", "before") in _deps(ctx)
    assert ("REL-C", "REL-D") in gview.edges
    assert gview.stack.count() == 1
    assert gview.stack.undoText() == "make REL-D depend on REL-C"  # what Edit > Undo shows
    assert "REL-D now depends on REL-C" in gview.message.text()
    gview.stack.undo()
    assert ("REL-C", "REL-D", "before") not in _deps(ctx)
    assert ("REL-C", "REL-D") not in gview.edges
    gview.stack.redo()
    assert ("REL-C", "REL-D", "before") in _deps(ctx)


def test_a_drag_that_closes_a_loop_is_refused_and_names_it(gview, qtbot, ctx):
    before = _deps(ctx)
    _drag(qtbot, gview, "REL-D", "REL-A")  # REL-A would depend on REL-D
    assert "REL-A → REL-D → REL-B → REL-A" in gview.message.text()
    assert gview.message.text().startswith("Refused")
    assert _deps(ctx) == before
    assert gview.stack.count() == 0


def test_click_selects_the_release(gview, qtbot):
    port = gview.canvas.viewport()
    with qtbot.waitSignal(gview.release_selected) as sig:
        qtbot.mouseClick(port, Qt.MouseButton.LeftButton, pos=_at(gview, "REL-B"))
    assert sig.args == ["REL-B"]
    assert gview.nodes["REL-B"].isSelected()


def test_delete_removes_the_selected_arrow_undoably(gview, qtbot, ctx):
    edge = gview.edges[("REL-A", "REL-C")]
    edge.setSelected(True)
    gview.canvas.setFocus()
    qtbot.keyClick(gview.canvas, Qt.Key.Key_Delete)
    assert ("REL-A", "REL-C", "before") not in _deps(ctx)
    assert ("REL-A", "REL-C") not in gview.edges
    assert gview.stack.undoText() == "remove REL-C's dependency on REL-A"
    gview.stack.undo()
    assert ("REL-A", "REL-C", "before") in _deps(ctx)
    assert ("REL-A", "REL-C") in gview.edges


def test_a_drag_onto_an_existing_dependency_is_refused_and_nothing_pushed(gview, qtbot, ctx):
    before = _deps(ctx)
    _drag(qtbot, gview, "REL-A", "REL-B")
    assert gview.message.text() == "Refused: REL-B already depends on REL-A"
    assert _deps(ctx) == before and gview.stack.count() == 0


def test_an_undo_the_plan_no_longer_allows_is_reported_to_the_app(gview, qtbot, ctx, graph_store):
    """The graph's steps are ordinary steps of the app's stack: a refused undo reaches the status
    bar (the store's error line) even when the Dependencies page is not on screen."""
    _drag(qtbot, gview, "REL-C", "REL-D")
    G.remove_dependency(ctx, "REL-D", "REL-C")  # e.g. from the command line, meanwhile
    gview.hide()
    with qtbot.waitSignal(graph_store.error) as said:
        graph_store.undo_stack.undo()
    assert said.args == [
        "Undo of “make REL-D depend on REL-C” was refused: REL-D does not depend on REL-C"
    ]
    assert graph_store.undo_stack.count() == 0  # dropped, not left half-applied


def test_what_if_then_cancel_leaves_the_plan_unchanged(gview, ctx):
    before = get_release(ctx, "REL-B").deploy_start
    result = gview.show_what_if("REL-A", 3)
    assert {m.key for m in result.moved if m.kind == "release"} == {"REL-A", "REL-B", "REL-D"}
    assert gview.nodes["REL-B"].moved_days == 2 and gview.nodes["REL-C"].moved_days is None
    assert gview.apply_button.isEnabled()
    gview.cancel_button.click()
    assert get_release(ctx, "REL-B").deploy_start == before
    assert gview.what_if is None and gview.nodes["REL-B"].moved_days is None
    assert "unchanged" in gview.message.text()
    assert gview.stack.count() == 0


def test_what_if_apply_is_one_undo_step(gview, ctx):
    before = {k: get_release(ctx, k).deploy_start for k in ("REL-A", "REL-B", "REL-D")}
    gview.show_what_if("REL-A", 3)
    gview.apply_button.click()
    assert gview.stack.count() == 1
    assert gview.stack.undoText() == "shift REL-A by +3 days"
    shifted = {k: get_release(ctx, k).deploy_start for k in before}
    assert shifted["REL-B"] != before["REL-B"]
    assert gview.what_if is None and gview.nodes["REL-B"].moved_days is None
    gview.stack.undo()
    assert {k: get_release(ctx, k).deploy_start for k in before} == before
    gview.stack.redo()  # the same dates again
    assert {k: get_release(ctx, k).deploy_start for k in before} == shifted
    gview.stack.undo()
    assert {k: get_release(ctx, k).deploy_start for k in before} == before


def test_graph_edits_are_undone_from_another_page_with_edit_undo(qtbot, ctx, graph_store):
    from relman_desktop.views.shell.main_window import MainWindow
    from relman_desktop.views.shell.settings import Settings

    win = MainWindow(graph_store, Settings.in_memory())
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    win.show_page("dependencies")
    view = win.graph_view
    assert view.connect_releases("REL-C", "REL-D")
    graph_store.update_release(
        "REL-A", {"title": "Billing 2.5"}
    )  # an edit on another page, after it
    undo = win.actions_by_name["undo"]
    win.show_page("releases")
    undo.trigger()
    assert get_release(ctx, "REL-A").title == "Billing 2.4"
    assert undo.text() == "&Undo make REL-D depend on REL-C"
    undo.trigger()
    assert ("REL-C", "REL-D", "before") not in _deps(ctx)
    win.show_page("dependencies")
    assert ("REL-C", "REL-D") not in view.edges  # redrawn when shown again


def test_what_if_shows_new_conflicts_and_violations(gview):
    gview.show_what_if("REL-B", -5)
    assert gview.nodes["REL-B"].violated and gview.edges[("REL-A", "REL-B")].violated
    assert gview.nodes["REL-B"].new_conflicts >= 1
    assert "REL-B (needs REL-A)" in gview.message.text()


def test_focus_levels_and_application_filter(gview):
    gview.focus_on("REL-D", up=1, down=0)
    assert set(gview.nodes) == {"REL-B", "REL-D"}
    gview.focus_on(None)
    gview.set_application("Billing")
    assert set(gview.nodes) == {"REL-A", "REL-B"}


def test_zoom_keys_and_fit(gview, qtbot):
    scale = gview.canvas.scale_factor()
    gview.canvas.setFocus()
    qtbot.keyClick(gview.canvas, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert gview.canvas.scale_factor() > scale
    qtbot.keyClick(gview.canvas, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(gview.canvas, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert gview.canvas.scale_factor() < scale
    qtbot.keyClick(gview.canvas, Qt.Key.Key_F)
    assert gview.canvas.scale_factor() == pytest.approx(scale)


@pytest.mark.parametrize(
    "suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]
)
def test_exports(gview, tmp_path, suffix, magic):
    target = gview.export(tmp_path / f"graph{suffix}")
    assert target.read_bytes().startswith(magic)
    if suffix == ".svg":
        assert "REL-A" in target.read_text(encoding="utf-8")


def test_registered_as_the_dependencies_page_and_screenshot(window):
    # (the page's module is imported when the page is first built: see screens._later)
    from relman_desktop.views.graph.graph_view import GraphView
    from relman_desktop.views.shell.screens import SCREENSHOT_VIEWS

    SCREENSHOT_VIEWS["dependencies"](window, None)
    assert window.current_page() == "dependencies"
    page = window.page_widgets["dependencies"]
    assert isinstance(page, GraphView) and window.graph_view is page
    assert window.pages.currentWidget().widget() is page


def test_node_text_stays_inside_its_box_on_a_high_resolution_page(qapp):
    """A PDF page has many more dots per inch than the screen: text sized in points came out
    three times too big there ("REL-2026-0(" clipped, the status line below the box)."""
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtWidgets import QStyleOptionGraphicsItem

    from relman_desktop.services.graph import GraphNode
    from relman_desktop.views.graph.graph_layout import NODE_H, NODE_W
    from relman_desktop.views.graph.graph_view import NodeItem

    node = GraphNode(
        "REL-2026-001",
        "Billing 3.0 – VAT breakdown on invoices",
        "Awaiting Approval",
        "#c28a00",
        "Billing",
        None,
        None,
    )
    item = NodeItem(node, NODE_W, NODE_H)
    scale = 3.0
    image = QImage(int(300 * scale), int(120 * scale), QImage.Format.Format_ARGB32)
    image.setDotsPerMeterX(int(image.dotsPerMeterX() * scale))  # a 288-dpi device, as a PDF
    image.setDotsPerMeterY(int(image.dotsPerMeterY() * scale))
    image.fill(QColor("white"))
    p = QPainter(image)
    p.scale(scale, scale)
    p.translate(150, 60)
    option = QStyleOptionGraphicsItem()
    item.paint(p, option)
    p.end()
    box = item.box().translated(150, 60)
    bottom = int((box.bottom() + 2) * scale)
    dark_below = [
        (x, y)
        for y in range(bottom, image.height(), 2)
        for x in range(0, image.width(), 2)
        if image.pixelColor(x, y).lightness() < 100
    ]
    assert dark_below == []  # nothing drawn under the box
    right = int((box.right() + 2) * scale)
    dark_right = [
        (x, y)
        for y in range(0, image.height(), 2)
        for x in range(right, image.width(), 2)
        if image.pixelColor(x, y).lightness() < 100
    ]
    assert dark_right == []
