"""Issue 16, list and shell polish: Delete asks, export dialogs open in Documents or the last
folder used, hidden columns say so, and the Inspector keeps its width whatever the title."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import QMessageBox

from relman_desktop.services import changes
from relman_desktop.views.common.confirm import answer_delete


def _open_question(window) -> QMessageBox:
    boxes = [b for b in window.findChildren(QMessageBox, "confirm_delete") if b.isVisible()]
    assert len(boxes) == 1
    return boxes[0]


def test_deleting_a_release_asks_and_cancel_is_the_default(window, qtbot):
    window.show()
    window.releases_view.select_key("REL-2026-003")
    window.actions_by_name["delete_release"].trigger()
    box = _open_question(window)
    assert box.text() == "Delete release REL-2026-003?"
    assert box.defaultButton().text() == "Cancel"
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert window.releases_view.row_of("REL-2026-003") is not None
    window.actions_by_name["delete_release"].trigger()
    assert answer_delete(window)
    assert window.releases_view.row_of("REL-2026-003") is None


def test_deleting_a_change_asks_from_the_button_and_the_delete_key(window, qtbot, store):
    store.call(
        changes.create_change, {"title": "Drop legacy API", "type": "normal", "category": "fix"}
    )
    window.show()
    window.show_page("changes")
    page = window.page_widgets["changes"]
    page.reload()
    qtbot.waitUntil(lambda: page.loads > 0 and not page.loading, timeout=10_000)  # background read
    assert page.select_key("CHG-001")
    page.delete_button.click()
    assert _open_question(window).text() == "Delete change CHG-001?"
    assert answer_delete(window, yes=False)
    assert [c.key for c in store.call(changes.list_changes)] == ["CHG-001"]
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    assert answer_delete(window)
    assert store.call(changes.list_changes) == []


def test_export_dialogs_open_in_documents_then_the_last_folder(window, tmp_path):
    documents = Path(
        QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    )
    documents.mkdir(parents=True, exist_ok=True)
    window.releases_view.select_key("REL-2026-001")
    dialog = window.file_transfers.runbook_dialog()
    assert Path(dialog.directory().absolutePath()) == documents
    target = tmp_path / "exports" / "runbook.docx"
    target.parent.mkdir()
    dialog.fileSelected.emit(str(target))
    dialog.close()
    assert window.settings.last_export_folder == str(target.parent)
    again = window.file_transfers.kpi_workbook_dialog()
    assert Path(again.directory().absolutePath()) == target.parent
    again.close()


def test_the_kpi_chart_save_dialog_opens_where_the_other_exports_do(window, qtbot, tmp_path):
    """It opened in the plan's folder; like every export it opens in the last export folder (or
    Documents), and a chart saved there becomes the last export folder."""
    window.show()
    window.show_page("kpis")
    page = window.page_widgets["kpis"]
    qtbot.waitUntil(lambda: bool(page.charts), timeout=20_000)
    last = tmp_path / "exports"
    last.mkdir()
    window.settings.last_export_folder = str(last)
    dialog = page.save_chart_dialog("lead_time")
    assert Path(dialog.directory().absolutePath()) == last
    assert Path(dialog.directory().absolutePath()) != Path(window.store.plan_path).parent
    charts = tmp_path / "charts"
    charts.mkdir()
    dialog.fileSelected.emit(str(charts / "lead_time.png"))
    dialog.close()
    assert (charts / "lead_time.png").is_file()
    assert window.settings.last_export_folder == str(charts)
    again = window.file_transfers.kpi_workbook_dialog()
    assert Path(again.directory().absolutePath()) == charts
    again.close()
    window.settings.last_export_folder = str(tmp_path / "removed since")
    documents = Path(
        QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    )
    documents.mkdir(parents=True, exist_ok=True)
    fallback = page.save_chart_dialog("mttr")
    assert Path(fallback.directory().absolutePath()) == documents
    fallback.close()


def test_hidden_columns_are_shown_as_hidden(window, qtbot):
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    view = window.releases_view
    chooser = view.columns
    chooser.set_hidden(["priority", "type"])
    indicator = chooser.indicator
    assert indicator.isVisible()
    assert indicator.text() == "2 columns hidden ▾"
    assert indicator.toolTip().startswith("Hidden: Type, Priority.")
    menu = chooser.menu()
    checks = {a.text(): a.isChecked() for a in menu.actions() if a.isCheckable()}
    assert checks["Type"] is False and checks["Priority"] is False and checks["Title"] is True
    chooser.set_hidden([])
    assert not indicator.isVisible()


def test_the_inspector_keeps_its_width_whatever_the_title(window, qtbot, store):
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    view = window.releases_view
    view.select_key("REL-2026-002")
    qtbot.wait(10)
    width = window.inspector_dock.width()
    long_title = "Payments " + "x" * 180 + " and a very long tail of words " * 4
    assert store.update_release("REL-2026-002", {"title": long_title[:200]})
    view.select_key("REL-2026-001")
    view.select_key("REL-2026-002")
    qtbot.wait(10)
    assert window.inspector.title.text() == long_title[:200]
    assert window.inspector_dock.width() == width


def test_an_indicator_no_view_placed_never_becomes_a_window(window, qtbot):
    from PySide6.QtWidgets import QApplication, QPushButton

    window.resize(1366, 768)
    window.show()
    window.show_page("settings")
    qtbot.waitExposed(window)
    for section in window.findChildren(QPushButton):
        assert section.isWindow() is False or not section.isVisible()
    stray = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QPushButton) and w.isVisible()
    ]
    assert stray == []
