"""File > Import for the toolchain: a preview table before anything is written, Apply as one
undoable step, the evidence in the Tests and Deployments tabs with its source."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from relman_desktop.services import evidence

HERE = Path(__file__).resolve().parents[1]
CORPUS = Path("/work/shared/corpus/junit")
if not CORPUS.is_dir():
    CORPUS = HERE.parents[1] / "shared" / "corpus" / "junit"
KEY = "REL-2026-003"


@pytest.fixture
def imports(window):
    window.open_release(KEY, "Tests")
    return window.toolchain_imports


def test_the_import_menu_offers_each_toolchain_source(window) -> None:
    texts = [a.text().replace("&", "") for a in window.import_menu.actions() if a.text()]
    for wanted in (
        "Test Reports (JUnit, NUnit XML)…",
        "Git History of the Release…",
        "Releases from Git Tags…",
        "Pipeline Run (Jenkins, GitHub, GitLab JSON)…",
        "Incidents (CSV, Alertmanager JSON)…",
    ):
        assert wanted in texts


def test_the_preview_lists_what_will_happen_and_writes_nothing(
    imports, store, qtmodeltester
) -> None:
    dialog = imports.preview(
        "tests",
        {
            "paths": [str(CORPUS / "pytest_junitxml.xml"), str(CORPUS / "go-junit-report_001.xml")],
            "release": KEY,
        },
    )
    assert dialog is not None
    qtmodeltester.check(dialog.model)
    m = dialog.model
    cells = [[m.index(r, c).data() for c in range(m.columnCount())] for r in range(m.rowCount())]
    assert cells[0][:5] == [
        "create",
        "test run",
        "pytest_junitxml.xml",
        "unit: 6 passed, 2 failed, 2 skipped",
        "pytest_junitxml.xml",
    ]
    assert cells[0][5].startswith("suite pytest says tests=15 (counted 10)")
    assert cells[1][2:4] == ["go-junit-report_001.xml", "unit: 2 passed, 1 failed, 2 skipped"]
    assert "tests=15 (counted 10)" in dialog.warnings.text()
    assert evidence.list_test_runs(store.ctx, KEY) == []  # nothing written until Apply
    dialog.reject()
    assert evidence.list_test_runs(store.ctx, KEY) == []


def test_apply_is_one_undo_step_and_the_tests_tab_shows_the_source(imports, window, store) -> None:
    dialog = imports.preview(
        "tests",
        {
            "paths": [str(CORPUS / "pytest_junitxml.xml"), str(CORPUS / "nunit3_dotnet-nunit.xml")],
            "release": KEY,
        },
    )
    depth = store.undo_stack.count()
    dialog.accept()
    assert store.undo_stack.count() == depth + 1
    assert store.undo_stack.undoText() == "Import test reports"
    runs = evidence.list_test_runs(store.ctx, KEY)
    assert sorted(r["source"] for r in runs) == ["nunit3_dotnet-nunit.xml", "pytest_junitxml.xml"]
    tab = window.editor.tab_widgets["Tests"]
    tab.load()
    model = tab.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    shown = {
        model.index(r, headers.index("Source")).data(): model.index(
            r, headers.index("Failed tests")
        ).data()
        for r in range(model.rowCount())
    }
    assert (
        shown["pytest_junitxml.xml"] == "tests.test_lib.test_always_fail, tests.test_lib.test_error"
    )
    assert shown["nunit3_dotnet-nunit.xml"].endswith("and 2 more")
    store.undo_stack.undo()
    assert evidence.list_test_runs(store.ctx, KEY) == []
    store.undo_stack.redo()
    assert len(evidence.list_test_runs(store.ctx, KEY)) == 2


def test_a_refused_file_is_named_and_no_dialog_opens(imports, store, qtbot, tmp_path) -> None:
    bad = tmp_path / "report.xml"
    bad.write_text("<html/>")
    with qtbot.waitSignal(store.error) as blocker:
        assert imports.preview("tests", {"paths": [str(bad)], "release": KEY}) is None
    assert blocker.args[0].startswith(f"{bad}: <html> is not a test report this app reads")


def test_an_import_with_nothing_new_cannot_be_applied(imports, store) -> None:
    params = {"paths": [str(CORPUS / "go-junit-report_001.xml")], "release": KEY}
    imports.preview("tests", params).accept()
    again = imports.preview("tests", params)
    assert again.model.index(0, 0).data() == "skip"
    assert not again.buttons.button(again.buttons.StandardButton.Apply).isEnabled()


def test_a_pipeline_run_shows_in_the_deployments_tab_with_its_source(
    imports, window, store
) -> None:
    imports.preview(
        "pipeline",
        {"path": str(HERE / "fixtures" / "pipelines" / "jenkins_build.json"), "release": KEY},
    ).accept()
    rows = evidence.list_deployments(store.ctx, KEY)
    assert [(r["environment"], r["source"]) for r in rows] == [
        ("production", "Jenkins billing » deploy #42")
    ]
    tab = window.editor.tab_widgets["Deployments"]
    tab.load()
    headers = [
        tab.model.headerData(c, Qt.Orientation.Horizontal) for c in range(tab.model.columnCount())
    ]
    assert tab.model.index(0, headers.index("Source")).data() == "Jenkins billing » deploy #42"
    store.undo_stack.undo()
    assert evidence.list_deployments(store.ctx, KEY) == []
