"""Issue 16: the History tab speaks words — who approved which stage, who moved the release
from where to where — and marks overrides; dates recorded by a move show up there too."""

from __future__ import annotations

from relman_desktop.services import approvals, lifecycle, releases
from relman_desktop.views.releases.release_editor import ReleaseEditor
from relman_desktop.views.shell.screens import RELEASE_TABS

KEY = "REL-2026-001"


def test_history_tab_reads_approvals_moves_and_overrides_in_words(store, qtbot):
    ctx = store.ctx
    ctx.actor = "ann@example.com"  # the actor is a person in the plan: named, not mailed
    approvals.add_stage(ctx, KEY, "CAB", approvers=["bo@example.com"])
    approval = approvals.approval_id_for(ctx, KEY, "CAB", "bo@example.com")
    approvals.decide(ctx, approval, "approved")
    releases.update_release(ctx, KEY, {"scope": "Checkout pages"})
    lifecycle.transition(ctx, KEY, "Build", reason="kick-off agreed by phone")
    editor = ReleaseEditor(store, RELEASE_TABS)
    qtbot.addWidget(editor)
    editor.set_release(KEY)
    editor.resize(1366, 700)
    editor.show()
    editor.show_tab("History")
    lines = editor.tab_widgets["History"].summaries()
    assert "Bo Chen approved the CAB stage (recorded by Ann Lee)" in lines
    assert "The CAB stage is now approved (1 of 1 approver approved, all must approve)" in lines
    moved = [t for t in lines if "Ann Lee moved REL-2026-001 from Planning to Build" in t]
    assert moved and moved[0].startswith("OVERRIDE:") and "kick-off agreed by phone" in moved[0]
    today = ctx.today().isoformat()  # the plan's clock (fixed in tests)
    assert f"Actual start recorded: {today} (moved to Build)" in lines
    assert releases.get_release(ctx, KEY).actual_start == ctx.today()
    assert not any(t.startswith("Decide approval") for t in lines)
