"""The CAB presenter, driven from the keyboard alone; rendered for the back of the room."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from docx import Document
from helpers_builders import (  # noqa: F401
    make_change,
    make_person,
    make_ready_release,
    make_stage,
    plan,
    plan_template,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from relman_desktop.services import approvals, cab
from relman_desktop.views.cab.cab_page import CabPage
from relman_desktop.views.cab.cab_presenter import CabPresenter, high_contrast
from relman_desktop.views.shell.worker import Worker

BOARD = ["marta@example.com", "david@example.com", "sofia@example.com"]
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture
def meeting_id(ctx):
    for email, name in zip(BOARD, ("Marta Kowalski", "David Okafor", "Sofia Rossi"), strict=True):
        make_person(ctx, email, name, roles=["cab_member", "approver"])
    start = dt.datetime(2026, 12, 5, 21, 0, tzinfo=dt.UTC)
    for n, title in enumerate(
        ("Payments API 2.4", "Identity 3.0.4 – fixes", "Mobile App 2.14 – Dark theme"), 1
    ):
        key = f"REL-2026-00{n}"
        make_ready_release(
            ctx,
            key,
            title=title,
            status="Awaiting Approval",
            rollback_plan="Redeploy the last build",
            rollback_minutes=30,
            deploy_start=start + dt.timedelta(days=n),
            deploy_end=start + dt.timedelta(days=n, hours=2),
            strategy="blue_green",
        )
        make_change(ctx, f"CHG-10{n}", key, title=f"Change {n} of {title}")
        make_stage(ctx, key, "CAB", "majority", BOARD)
    return cab.create_meeting(ctx, chair="marta@example.com", title="Weekly CAB").id


def press(qtbot, key, text: str | None = None) -> None:
    """One key to whatever has the keyboard focus, as a person at the keyboard would."""
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    if text is not None:
        qtbot.keyClicks(widget, text)
    else:
        qtbot.keyClick(widget, key)


@pytest.fixture
def presenter(qtbot, ctx, meeting_id):
    w = CabPresenter(ctx, meeting_id, worker=Worker(synchronous=True))
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w)
    return w


def test_a_whole_meeting_from_the_keyboard(qtbot, ctx, presenter, meeting_id, tmp_path):
    w = presenter
    assert "REL-2026-001" in w.title_label.text()
    press(qtbot, Qt.Key.Key_A)  # approve the first: no rationale needed
    assert "APPROVED" in w.decision_banner.text()
    press(qtbot, Qt.Key.Key_N)
    assert "REL-2026-002" in w.title_label.text()

    press(qtbot, Qt.Key.Key_R)  # reject needs a reason: the rationale box takes the keyboard
    assert QApplication.focusWidget() is w.rationale_edit
    assert "REJECT?" in w.decision_banner.text()
    press(qtbot, None, "Rollback never rehearsed")
    press(qtbot, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is w
    assert "REJECTED — Rollback never rehearsed" in w.decision_banner.text()

    press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_D)
    assert QApplication.focusWidget() is w.rationale_edit
    press(qtbot, None, "Wait for the vendor patch")
    press(qtbot, Qt.Key.Key_Return)
    assert "DEFERRED" in w.decision_banner.text()
    assert [c.text() for c in w.chips] == ["1 ✔", "2 ✘", "3 ↷"]

    press(qtbot, Qt.Key.Key_Left)
    assert "REL-2026-002" in w.title_label.text()
    with qtbot.waitSignal(w.left, timeout=10_000):
        press(qtbot, Qt.Key.Key_Escape)

    # the plan holds the decisions: the CAB approvals and the agenda items
    decisions = {
        st.name: {a.decision for a in st.approvers}
        for st in approvals.list_stages(ctx, "REL-2026-001")
    }
    assert decisions["CAB"] == {"approved"}
    rejected = approvals.list_stages(ctx, "REL-2026-002")[0].approvers
    assert {a.decision for a in rejected} == {"rejected"}
    assert all("Rollback never rehearsed" in (a.comment or "") for a in rejected)
    assert {a.decision for a in approvals.list_stages(ctx, "REL-2026-003")[0].approvers} == {
        "pending"
    }
    m = cab.get_meeting(ctx, meeting_id)
    assert [(i.release_key, i.decision, i.rationale) for i in m.items] == [
        ("REL-2026-001", "approve", None),
        ("REL-2026-002", "reject", "Rollback never rehearsed"),
        ("REL-2026-003", "defer", "Wait for the vendor patch"),
    ]

    # and the minutes list them
    from relman_desktop.exports.cab_minutes import export_minutes

    doc = Document(str(export_minutes(ctx, meeting_id, tmp_path / "minutes.docx")))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    for expected in (
        "Approved",
        "Rejected",
        "Rollback never rehearsed",
        "Deferred",
        "Wait for the vendor patch",
    ):
        assert expected in cells
    assert any("REL-2026-002" in p.text for p in doc.paragraphs)


def test_reject_with_an_empty_reason_is_not_recorded_and_esc_cancels(
    qtbot, ctx, presenter, meeting_id
):
    w = presenter
    press(qtbot, Qt.Key.Key_R)
    press(qtbot, Qt.Key.Key_Return)  # nothing typed: refused, the box keeps the focus
    assert QApplication.focusWidget() is w.rationale_edit
    assert "needs a rationale" in w.message.text()
    press(qtbot, Qt.Key.Key_Escape)  # cancels the decision, does not leave
    assert QApplication.focusWidget() is w
    assert "NOT DECIDED" in w.decision_banner.text()
    assert cab.get_meeting(ctx, meeting_id).items[0].decision is None


def test_ctrl_z_undoes_the_last_decision(qtbot, ctx, presenter, meeting_id):
    w = presenter
    press(qtbot, Qt.Key.Key_A)
    assert cab.get_meeting(ctx, meeting_id).items[0].decision == "approve"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert cab.get_meeting(ctx, meeting_id).items[0].decision is None
    assert {a.decision for a in approvals.list_stages(ctx, "REL-2026-001")[0].approvers} == {
        "pending"
    }
    assert "NOT DECIDED" in w.decision_banner.text() and "Undone" in w.message.text()


@pytest.fixture
def cab_store(ctx, meeting_id):
    from relman_desktop.views.shell.store import Store

    return Store(ctx)


@pytest.fixture
def on_store(qtbot, cab_store, meeting_id):
    """The presenter over the app's store, as the CAB page builds it."""
    w = CabPresenter(cab_store, meeting_id, worker=Worker(synchronous=True))
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w)
    return w


def _decisions(ctx, meeting_id) -> list:
    return [(i.decision, i.rationale) for i in cab.get_meeting(ctx, meeting_id).items]


def test_each_decision_is_one_step_on_the_apps_undo_stack(
    qtbot, ctx, on_store, cab_store, meeting_id
):
    w, stack = on_store, cab_store.undo_stack
    press(qtbot, Qt.Key.Key_A)
    assert stack.undoText() == "CAB: approve REL-2026-001"
    press(qtbot, Qt.Key.Key_N)
    press(qtbot, Qt.Key.Key_R)
    press(qtbot, None, "Rollback never rehearsed")
    press(qtbot, Qt.Key.Key_Return)
    assert stack.count() == 2 and stack.undoText() == "CAB: reject REL-2026-002"

    stack.undo()  # Edit > Undo: the presenter on screen shows it
    assert _decisions(ctx, meeting_id)[:2] == [("approve", None), (None, None)]
    assert {a.decision for a in approvals.list_stages(ctx, "REL-2026-002")[0].approvers} == {
        "pending"
    }
    assert "NOT DECIDED" in w.decision_banner.text() and w.chips[1].text() == "2 ○"
    stack.redo()  # recorded again, with the same outcome and rationale
    assert _decisions(ctx, meeting_id)[:2] == [
        ("approve", None),
        ("reject", "Rollback never rehearsed"),
    ]
    rejected = approvals.list_stages(ctx, "REL-2026-002")[0].approvers
    assert all(
        a.decision == "rejected" and "Rollback never rehearsed" in a.comment for a in rejected
    )
    assert w.decision_banner.text().startswith("✘ REJECTED — Rollback never rehearsed")

    # the presenter's Ctrl+Z is that same undo
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stack.index() == 1 and stack.redoText() == "CAB: reject REL-2026-002"
    assert _decisions(ctx, meeting_id)[1] == (None, None)
    assert w.message.text() == "↶ Undone: CAB: reject REL-2026-002"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _decisions(ctx, meeting_id)[0] == (None, None) and stack.index() == 0
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.message.text() == "Nothing to undo."


def test_a_bulk_decision_is_one_step_undone_and_redone_whole(
    qtbot, ctx, on_store, cab_store, meeting_id
):
    w, stack = on_store, cab_store.undo_stack
    press(qtbot, Qt.Key.Key_B)  # nothing selected: every undecided item
    (_, _c1, reason1), (_, combo2, reason2), (_, combo3, reason3) = w.bulk_rows
    reason1.setText("Low risk")
    combo2.setCurrentIndex(combo2.findData("reject"))
    reason2.setText("Clashes with the payroll run")
    combo3.setCurrentIndex(combo3.findData("more_info"))
    reason3.setText("Which database version?")
    w.record_bulk()
    assert stack.count() == 1
    assert stack.undoText() == (
        "CAB: approve REL-2026-001, reject REL-2026-002, more info REL-2026-003"
    )
    decided = _decisions(ctx, meeting_id)
    stack.undo()
    assert _decisions(ctx, meeting_id) == [(None, None)] * 3
    assert [c.text() for c in w.chips] == ["1 ○", "2 ○", "3 ○"]
    stack.redo()
    assert _decisions(ctx, meeting_id) == decided


def test_an_undo_of_a_decision_no_longer_the_last_is_refused_on_screen(
    qtbot, ctx, on_store, cab_store, meeting_id
):
    w = on_store
    press(qtbot, Qt.Key.Key_A)
    cab.record_decision(
        ctx, meeting_id, "REL-2026-003", "defer", "Vendor patch"
    )  # meanwhile, elsewhere
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.message.text() == (
        "⚠ Undo of “CAB: approve REL-2026-001” was refused: the last decision in 'Weekly CAB' is on "
        "REL-2026-003, not REL-2026-001: the meeting's decisions changed since"
    )
    assert _decisions(ctx, meeting_id) == [
        ("approve", None),
        (None, None),
        ("defer", "Vendor patch"),
    ]
    assert cab_store.undo_stack.count() == 0  # dropped, not left half-applied


def test_edit_undo_in_the_main_window_takes_back_a_cab_decision(qtbot, ctx, cab_store, meeting_id):
    from relman_desktop.views.shell.main_window import MainWindow
    from relman_desktop.views.shell.settings import Settings

    win = MainWindow(cab_store, Settings.in_memory())
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    win.show_page("cab")
    page = win.page_widgets["cab"]
    page.presenter.request("approve")
    undo = win.actions_by_name["undo"]
    assert undo.text() == "&Undo CAB: approve REL-2026-001"
    undo.trigger()
    assert _decisions(ctx, meeting_id)[0] == (None, None)
    assert "NOT DECIDED" in page.presenter.decision_banner.text()


def test_bulk_decision_each_with_its_own_reason(qtbot, ctx, presenter, meeting_id):
    w = presenter
    press(qtbot, Qt.Key.Key_Space)  # select item 1
    press(qtbot, Qt.Key.Key_N)
    press(qtbot, Qt.Key.Key_Space)  # and item 2
    assert w.chips[0].text().startswith("■") and w.chips[1].text().startswith("■")
    press(qtbot, Qt.Key.Key_B)
    assert [k for k, _c, _r in w.bulk_rows] == ["REL-2026-001", "REL-2026-002"]
    (_, combo1, reason1), (_, combo2, reason2) = w.bulk_rows
    assert QApplication.focusWidget() is combo1  # approve is the first choice: keep it
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, None, "Low risk, tests green")
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is combo2
    press(qtbot, Qt.Key.Key_Down)  # reject
    assert combo2.currentData() == "reject"
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, None, "Clashes with the payroll run")
    qtbot.keyClick(
        QApplication.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )
    m = cab.get_meeting(ctx, meeting_id)
    assert [(i.decision, i.rationale) for i in m.items[:2]] == [
        ("approve", "Low risk, tests green"),
        ("reject", "Clashes with the payroll run"),
    ]
    assert w.stack.currentIndex() == 0 and not w.selected


def test_the_timer_counts_and_the_time_is_saved_with_the_decision(
    qtbot, ctx, presenter, meeting_id
):
    w = presenter
    w.timer.setInterval(10)
    qtbot.waitUntil(lambda: w.seconds["REL-2026-001"] >= 3, timeout=10_000)
    press(qtbot, Qt.Key.Key_A)
    assert cab.get_meeting(ctx, meeting_id).items[0].seconds_spent >= 3
    assert w.timer_label.text().startswith("◷ 00:0")


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
def test_presenter_renders_large_and_unclipped_in_high_contrast(qtbot, ctx, meeting_id, size):
    w = CabPresenter(ctx, meeting_id, worker=Worker(synchronous=True))
    qtbot.addWidget(w)
    high_contrast(w)
    w.resize(*size)
    w.show()
    cab.record_decision(ctx, meeting_id, "REL-2026-002", "reject", "Rollback never rehearsed")
    w.reload()
    w.go_to(1)
    QApplication.processEvents()
    if size == (1920, 1080):
        assert w.body_point_size() >= 18
        assert w.section_labels["Changes"].font().pointSizeF() >= 18
        assert w.title_label.font().pointSizeF() > w.body_point_size()
        assert w.section_heads["Changes"].font().pointSizeF() > w.body_point_size()
    # every line of chrome fits: nothing wider than the screen, nothing hidden
    for label in (w.title_label, w.decision_banner, w.keys_help, w.meeting_label):
        assert label.geometry().right() <= w.width()
        assert label.isVisible()
    assert w.decision_banner.text().startswith("✘ REJECTED")
    image = w.grab()
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert image.save(str(SHOTS / f"cab-presenter-{size[0]}x{size[1]}.png"))
    assert image.width() == size[0] and image.height() == size[1]


def test_cab_page_previews_the_next_agenda_and_embeds_the_presenter(qtbot, ctx, meeting_id):
    from relman_desktop.views.shell.store import Store

    store = Store(ctx)
    page = CabPage(store)
    qtbot.addWidget(page)
    assert page.meetings.currentData() == meeting_id
    assert page.presenter is not None and len(page.presenter.items) == 3
    page.meetings.setCurrentIndex(0)
    page._show_meeting(None)
    # the preview reads every eligible release: in the background, behind a placeholder
    assert page.presenter is None and "Reading the next agenda" in page.placeholder.text()
    qtbot.waitUntil(lambda: page.presenter is not None, timeout=15_000)
    assert page.presenter.meeting.id == 0  # preview: what is eligible now
    assert page.placeholder.isHidden()


def test_approvals_so_far_follow_a_decision_and_its_undo(
    qtbot, ctx, on_store, cab_store, meeting_id
):
    """The item's "Approvals so far" section is read again after a decision and after Edit > Undo,
    not kept from when the item was first shown."""
    w = on_store
    shown = w.section_labels["Approvals so far"]
    assert ": approved" not in shown.text() and ": pending" in shown.text()
    press(qtbot, Qt.Key.Key_A)  # approve REL-2026-001: the CAB stage's approvers say so
    press(qtbot, Qt.Key.Key_P)  # back to it (a decision moves on to the next item)
    assert w.current.release_key == "REL-2026-001"
    assert ": approved" in shown.text() and ": pending" not in shown.text()
    cab_store.undo_stack.undo()
    assert ": approved" not in shown.text() and ": pending" in shown.text()


def test_a_closed_meetings_presenter_reads_as_a_record(qtbot, ctx, meeting_id):
    """Undecided items of a closed meeting say so (and where they went), the decision keys say
    the meeting is closed and record nothing, and times after a UTC alias say "UTC"."""
    from relman_desktop.models.entities import PlanMeta

    with ctx.plan.write() as s:
        s.add(PlanMeta(key="timezone", value="Etc/UTC"))
    cab.record_decision(ctx, meeting_id, "REL-2026-001", "approve")
    first = cab.close_meeting(ctx, meeting_id)
    later = cab.create_meeting(
        ctx, held_at=first.held_at + dt.timedelta(days=7), cutoff_at=first.held_at, title="Next CAB"
    )
    assert [i.release_key for i in later.items] == ["REL-2026-002", "REL-2026-003"]

    w = CabPresenter(ctx, meeting_id, worker=Worker(synchronous=True))
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w, timeout=10_000)
    assert w.decision_banner.text().startswith("✔ APPROVED")
    assert "closed" in w.meeting_label.text()
    assert w.decision_form.isHidden() and "press A" not in w.keys_help.text()
    assert "○ open" not in w.legend.text()

    press(qtbot, Qt.Key.Key_N)
    banner = w.decision_banner.text()
    assert banner.startswith("○ NOT DECIDED — meeting closed · carried over to Next CAB, ")
    assert "press A" not in banner and "YET" not in banner
    window = w.section_labels["Deployment"].text()
    assert " UTC" in window and "Etc/UTC" not in window
    for key in (Qt.Key.Key_A, Qt.Key.Key_R, Qt.Key.Key_C, Qt.Key.Key_Space, Qt.Key.Key_B):
        w.show_message("")
        press(qtbot, key)
        assert QApplication.focusWidget() is w  # no rationale box, no bulk panel
        assert w.message.text().startswith("⚠ The meeting 'Weekly CAB' is closed")
        assert w.stack.currentIndex() == 0 and not w.selected
    assert w.decision_banner.text() == banner
    assert [i.decision for i in cab.get_meeting(ctx, meeting_id).items] == ["approve", None, None]
