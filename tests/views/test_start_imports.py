"""Issue 16, start to an interactive list: the window's start imports only what the list needs.

Measured in benchmarks/bench_gui.py; here, without timing, what would bring the slow start back:
the window started the way ``app.py`` starts it, in a fresh process (offscreen), on a plan with
no release open, must not have imported networkx, matplotlib, the release editor and its tabs,
or the code of a page nobody opened. Opening a release then builds the editor, with its badge.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

# what the start must leave for later: imported when a graph is built, a page or release opened
NOT_AT_START = (
    "networkx",
    "matplotlib",
    "openpyxl",
    "docx",
    "relman_desktop.services.demo",
    "relman_desktop.views.releases.release_editor",
    "relman_desktop.views.releases.overview_tab",
    "relman_desktop.views.releases.tab_tasks",
    "relman_desktop.views.releases.tab_approvals",
    "relman_desktop.views.releases.tab_evidence",
    "relman_desktop.views.releases.tab_history",
    "relman_desktop.views.changes.changes_page",
    "relman_desktop.views.cis.cis_page",
    "relman_desktop.views.settings.settings_page",
    "relman_desktop.views.calendar.calendar_view",
    "relman_desktop.views.graph.graph_view",
    "relman_desktop.views.kpis.kpi_dashboard",
    "relman_desktop.views.cab.cab_page",
)

START = """
import json, sys
from PySide6.QtWidgets import QApplication
from relman_desktop.app import build_window

app = QApplication([])
window = build_window(sys.argv[1], app=app)
window.show()
app.processEvents()
watched = json.loads(sys.argv[2])
model = window.releases_view.model
facts = {
    "rows": [model.index(r, 0).data() for r in range(model.rowCount())],
    "page": window.current_page(),
    "imported": [name for name in watched if name in sys.modules],
    "editor_built": window.releases_page.editor_built(),
}
window.open_release("REL-2026-002", "Tasks")
app.processEvents()
facts["opened"] = {
    "shown": window.releases_page.currentWidget() is window.editor,
    "heading": window.editor.heading.text(),
    "tab": window.editor.current_tab(),
    "badge_in_header": window.conflict_badge.parentWidget() is window.editor,
    "editor_imported": "relman_desktop.views.releases.release_editor" in sys.modules,
}
print(json.dumps(facts))
window.store.close_plan(announce=False)
"""


def test_the_start_imports_no_graph_library_editor_or_unopened_page(releases_ctx):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            START,
            str(releases_ctx.plan.path),
            json.dumps(NOT_AT_START),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    # the list the user sees is there
    assert facts["page"] == "releases"
    assert sorted(facts["rows"]) == ["REL-2026-001", "REL-2026-002", "REL-2026-003"]
    # and nothing that only a graph, an export, a release or another page needs
    assert facts["imported"] == []
    assert facts["editor_built"] is False
    # a release opens as before: the editor is built then, on the tab asked for, with its badge
    assert facts["opened"] == {
        "shown": True,
        "heading": "REL-2026-002 — Quarterly security patch",
        "tab": "Tasks",
        "badge_in_header": True,
        "editor_imported": True,
    }
