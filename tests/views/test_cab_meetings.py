"""Issue 16, CAB: a long agenda fits a 1366×768 laptop; "New meeting…" plans a meeting in a
dialog (date, time, chair, attendees, cut-off, items); "Close meeting…" asks and stops the timer."""

from __future__ import annotations

import datetime as dt

import pytest
from helpers_builders import (  # noqa: F401
    make_person,
    make_ready_release,
    make_stage,
    plan,
    plan_template,
)
from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from relman_desktop.services import cab
from relman_desktop.services.base import ValidationError
from relman_desktop.views.cab.cab_page import CabPage
from relman_desktop.views.cab.cab_presenter import CabPresenter
from relman_desktop.views.shell.store import Store
from relman_desktop.views.shell.worker import Worker

BOARD = ["marta@example.com", "david@example.com", "sofia@example.com"]
NAMES = ("Marta Kowalski", "David Okafor", "Sofia Rossi")


def _board(ctx) -> None:
    for email, name in zip(BOARD, NAMES, strict=True):
        make_person(ctx, email, name, roles=["cab_member", "approver"])
    make_person(ctx, "guest@example.com", "Gita Guest", roles=["approver"])


def _awaiting(ctx, n: int) -> list[str]:
    start = dt.datetime(2026, 12, 5, 21, 0, tzinfo=dt.UTC)
    keys = []
    for i in range(1, n + 1):
        key = f"REL-2026-{i:03d}"
        make_ready_release(
            ctx,
            key,
            title=f"Release number {i} with a fairly long title",
            status="Awaiting Approval",
            rollback_plan="Redeploy the last build",
            rollback_minutes=30,
            deploy_start=start + dt.timedelta(days=i),
            deploy_end=start + dt.timedelta(days=i, hours=2),
        )
        make_stage(ctx, key, "CAB", "majority", BOARD)
        keys.append(key)
    return keys


@pytest.fixture
def three(ctx):
    _board(ctx)
    return _awaiting(ctx, 3)


# --- a long agenda on a laptop --------------------------------------------------------------------


def test_24_agenda_items_keep_the_timer_and_columns_on_a_1366_screen(qtbot, ctx):
    _board(ctx)
    _awaiting(ctx, 24)
    meeting_id = cab.create_meeting(
        ctx, chair="marta@example.com", title="A very long weekly CAB meeting title " * 3
    ).id
    w = CabPresenter(ctx, meeting_id, worker=Worker(synchronous=True))
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    assert len(w.chips) == 24
    assert w.width() == 1366  # 24 chips did not widen the presenter
    right = w.timer_label.mapTo(w, w.timer_label.rect().topRight()).x()
    assert 0 < right <= w.width(), "the timer is off-screen"
    assert w.timer_label.text().startswith("◷")
    # The right-hand column of sections is on screen too.
    rollback = w.section_labels["Rollback"]
    assert rollback.mapTo(w, rollback.rect().topRight()).x() <= w.width()
    # The strip scrolls on its own: the last item, once current, is in view.
    w.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_End)
    assert "REL-2026-024" in w.title_label.text()
    last = w.chips[-1]
    view = w.strip.viewport()
    top_left = last.mapTo(view, last.rect().topLeft())
    assert 0 <= top_left.x() and top_left.x() + last.width() <= view.width()
    qtbot.keyClick(w, Qt.Key.Key_Home)
    first = w.chips[0]
    assert first.mapTo(view, first.rect().topLeft()).x() >= 0


# --- a big plan: the item's details arrive in the background -------------------------------------


@pytest.fixture
def pool(qtbot):
    w = Worker()
    yield w
    assert w.drain(10_000)


def test_an_items_details_load_in_the_background_and_the_next_is_read_ahead(
    qtbot, ctx, three, pool
):
    meeting_id = cab.create_meeting(ctx, chair="marta@example.com").id
    w = CabPresenter(ctx, meeting_id, worker=pool)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    # The headline is there at once; the sections say they are coming.
    assert three[0] in w.title_label.text()
    assert "Loading this release" in w.section_labels["Changes"].text()
    with qtbot.waitSignal(w.sections_loaded, timeout=10_000) as loaded:
        pass
    assert loaded.args == [three[0]]
    assert "Redeploy the last build" in w.section_labels["Rollback"].text()
    # The next item was read ahead: N shows its sections without waiting.
    qtbot.waitUntil(lambda: three[1] in w._details, timeout=10_000)
    w.next_item()
    assert three[1] in w.title_label.text()
    assert "Loading" not in w.section_labels["Changes"].text()
    assert "Redeploy the last build" in w.section_labels["Rollback"].text()


# --- "New meeting…" -------------------------------------------------------------------------------


@pytest.fixture
def page(qtbot, ctx, three):
    store = Store(ctx)
    p = CabPage(store, worker=Worker(synchronous=True))
    qtbot.addWidget(p)
    p.resize(1366, 700)
    p.show()
    qtbot.waitExposed(p)
    return p


def test_new_meeting_opens_a_dialog_with_the_eligible_releases_selected(qtbot, ctx, page, three):
    assert cab.list_meetings(ctx) == []
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert dialog is not None and dialog.isVisible()
    assert cab.list_meetings(ctx) == []  # nothing is created until the dialog is accepted
    assert dialog.chosen_keys() == three
    assert dialog.items_label.text() == "3 of 3 items on the agenda"
    # CAB members are invited as present; others are offered but not invited.
    assert dialog.attendance["marta@example.com"].currentText() == "present"
    assert dialog.attendance["guest@example.com"].currentText() == "not invited"

    dialog.title_edit.setText("Friday CAB")
    dialog.date_edit.setDate(QDate(2026, 12, 4))
    dialog.time_edit.setTime(QTime(14, 30))
    dialog.cutoff_edit.setDateTime(QDateTime(QDate(2026, 12, 3), QTime(12, 0)))
    dialog.chair_combo.setCurrentIndex(dialog.chair_combo.findData("marta@example.com"))
    dialog.attendance["sofia@example.com"].setCurrentText("apologies")
    dialog.attendance["guest@example.com"].setCurrentText("present")
    dialog.items_list.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert dialog.items_label.text() == "2 of 3 items on the agenda"
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    assert ok.text() == "&Create meeting"
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    (row,) = cab.list_meetings(ctx)
    m = cab.get_meeting(ctx, row.id)
    zone = cab.display_zone(ctx)
    assert m.title == "Friday CAB"
    assert m.held_at.astimezone(zone).replace(tzinfo=None) == dt.datetime(2026, 12, 4, 14, 30)
    assert m.cutoff_at.astimezone(zone).replace(tzinfo=None) == dt.datetime(2026, 12, 3, 12, 0)
    assert m.chair_email == "marta@example.com"
    attendance = {a.email: a.attendance for a in m.attendees}
    assert attendance == {
        "marta@example.com": "present",
        "david@example.com": "present",
        "sofia@example.com": "apologies",
        "guest@example.com": "present",
    }
    assert not m.frozen  # the cut-off is ahead: the agenda is provisional
    assert [i.release_key for i in m.items] == [three[0], three[2]]
    # The page shows the new meeting.
    assert page.meetings.currentData() == m.id
    assert page.presenter is not None and page.presenter.meeting.id == m.id


def test_a_cutoff_after_the_meeting_is_refused_in_the_dialog(qtbot, ctx, page):
    dialog = page.new_meeting()
    assert dialog is not None
    dialog.date_edit.setDate(QDate(2026, 12, 4))
    dialog.time_edit.setTime(QTime(10, 0))
    dialog.cutoff_edit.setDateTime(QDateTime(QDate(2026, 12, 4), QTime(11, 0)))
    dialog.title_edit.setText("Typed and kept")
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()  # still open, what was typed still there
    assert dialog.title_edit.text() == "Typed and kept"
    assert "Cut-off" in dialog.error_label.text() and dialog.error_label.isVisible()
    assert cab.list_meetings(ctx) == []


def test_the_chair_cannot_send_apologies(qtbot, ctx, page):
    dialog = page.new_meeting()
    dialog.chair_combo.setCurrentIndex(dialog.chair_combo.findData("david@example.com"))
    dialog.attendance["david@example.com"].setCurrentText("apologies")
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "chair" in dialog.error_label.text()
    assert cab.list_meetings(ctx) == []


def test_create_meeting_refuses_an_unknown_release_and_writes_nothing(ctx, three):
    with pytest.raises(ValidationError, match="REL-2099-999"):
        cab.create_meeting(ctx, releases=[three[0], "REL-2099-999"])
    assert cab.list_meetings(ctx) == []


def test_create_meeting_with_chosen_items_and_apologies_freezes_only_those(ctx, three):
    m = cab.create_meeting(
        ctx, chair="marta@example.com", apologies=["david@example.com"], releases=[three[1]]
    )
    assert m.frozen and [i.release_key for i in m.items] == [three[1]]
    assert {a.email: a.attendance for a in m.attendees}["david@example.com"] == "apologies"
    # The releases left out wait for the next meeting.
    assert cab.eligible_releases(ctx) == [three[0], three[2]]


# --- "Close meeting…" -----------------------------------------------------------------------------


def _choose(qtbot, page, meeting_id: int) -> None:
    """Pick the meeting in the page's chooser, as a user would."""
    page.refresh()
    index = page.meetings.findData(meeting_id)
    page.meetings.setCurrentIndex(index)
    page.meetings.activated.emit(index)
    assert page.presenter is not None and page.presenter.meeting.id == meeting_id
    qtbot.waitUntil(page.presenter.isVisible)


def _question(page) -> QMessageBox:
    box = page.question
    assert isinstance(box, QMessageBox) and box.isVisible()
    return box


def test_close_meeting_asks_first_and_cancel_keeps_it_open(qtbot, ctx, page, three):
    meeting_id = cab.create_meeting(ctx, chair="marta@example.com").id
    _choose(qtbot, page, meeting_id)
    assert page.close_button.isEnabled()
    qtbot.mouseClick(page.close_button, Qt.MouseButton.LeftButton)
    box = _question(page)
    assert "3 undecided items will go to the next meeting" in box.informativeText()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert cab.get_meeting(ctx, meeting_id).status == "planned"
    assert page.presenter.timer.isActive()


def test_closing_the_meeting_stops_the_timer(qtbot, ctx, page, three):
    meeting_id = cab.create_meeting(ctx, chair="marta@example.com").id
    _choose(qtbot, page, meeting_id)
    presenter = page.presenter
    assert presenter is not None and presenter.timer.isActive()
    presenter.seconds[three[0]] = 95  # a minute and a half on the first item
    page.close_meeting()
    box = _question(page)
    close = next(b for b in box.buttons() if b.text() == "C&lose meeting")
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    assert cab.get_meeting(ctx, meeting_id).status == "closed"
    presenter = page.presenter
    assert not presenter.timer.isActive()
    assert presenter.timer_label.text() == "◷ 01:35 · closed"
    # the presenter now reads as the record: no key prompt, no decision form
    assert presenter.decision_banner.text() == "○ NOT DECIDED — meeting closed"
    assert presenter.decision_form.isHidden()
    # a closed meeting cannot be closed again; its minutes can still be written
    assert not page.close_button.isEnabled() and page.minutes_button.isEnabled()
    # The time on the item was kept when the clock stopped.
    assert cab.get_meeting(ctx, meeting_id).items[0].seconds_spent == 95
    # Reopening the page does not start the clock again.
    page.hide()
    page.show()
    QApplication.processEvents()
    assert not page.presenter.timer.isActive()


def test_present_full_screen_opens_on_the_item_being_discussed(qtbot, ctx, page, three):
    meeting_id = cab.create_meeting(ctx, chair="marta@example.com").id
    _choose(qtbot, page, meeting_id)
    page.presenter.go_to(1)
    page.present()
    shown = page.full_screen
    assert shown is not None  # deletes itself on close (below)
    assert shown.current.release_key == three[1]
    assert "Loading" not in shown.section_labels["Changes"].text()
    assert "Redeploy the last build" in shown.section_labels["Rollback"].text()
    # A decision there shows on its chip, and only that chip changes.
    before = [c.text() for c in shown.chips]
    shown.setFocus()
    qtbot.keyClick(shown, Qt.Key.Key_A)
    after = [c.text() for c in shown.chips]
    assert after[1] == "2 ✔" and before[1] == "2 ○"
    assert after[0] == before[0] and after[2] == before[2]
    shown.close()


def _close_from_the_question(qtbot, page) -> None:
    page.close_meeting()
    box = _question(page)
    close = next(b for b in box.buttons() if b.text() == "C&lose meeting")
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)


def test_the_chair_closes_after_deciding_in_the_presenter_without_being_refused(
    qtbot, ctx, page, three
):
    meeting_id = cab.create_meeting(ctx, chair="marta@example.com").id
    _choose(qtbot, page, meeting_id)
    errors: list[str] = []
    page.store.error.connect(errors.append)
    presenter = page.presenter
    presenter.setFocus()
    qtbot.keyClick(presenter, Qt.Key.Key_A)  # the first decision also starts the meeting
    assert cab.get_meeting(ctx, meeting_id).status == "running"
    _close_from_the_question(qtbot, page)
    assert errors == []
    assert cab.get_meeting(ctx, meeting_id).status == "closed"


def test_a_close_over_a_change_made_elsewhere_is_refused_in_one_line(qtbot, ctx, page, three):
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services.base import Ctx

    meeting_id = cab.create_meeting(ctx, chair="marta@example.com").id
    _choose(qtbot, page, meeting_id)
    errors: list[str] = []
    page.store.error.connect(errors.append)
    page.close_meeting()  # the chair is asked; meanwhile another chair starts the meeting
    other = open_plan(ctx.plan.path)
    try:
        cab.start_meeting(Ctx(other, actor="raj@example.com"), meeting_id)
    finally:
        other.close()
    box = _question(page)
    close = next(b for b in box.buttons() if b.text() == "C&lose meeting")
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    assert len(errors) == 1 and errors[0].endswith("; reload and try again"), errors
    assert "raj@example.com" in errors[0]
    assert cab.get_meeting(ctx, meeting_id).status == "running"  # not closed blindly
