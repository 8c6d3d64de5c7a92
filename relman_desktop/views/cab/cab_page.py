"""The navigator's CAB page: meeting chooser, new meeting, present, minutes, close; and the
``cab`` screenshot view. The presenter itself is ``cab_presenter.CabPresenter``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relman_desktop.models.planfile import PlanError
from relman_desktop.services import cab
from relman_desktop.services.base import ServiceError
from relman_desktop.services.people import list_people

from ..common.run_here import run_here
from ..shell.store import Store
from ..shell.worker import DebouncedTask, Task, Worker
from .cab_backend import preview_meeting
from .cab_presenter import CabPresenter
from .new_meeting_dialog import Candidate, Invitee, NewMeetingDialog

# --- the navigator page -------------------------------------------------------------------------------


class CabPage(QWidget):
    """The main window's CAB page: pick a meeting (or preview the next agenda), start a new one,
    present it full screen, write its minutes, close it. The presenter is embedded below."""

    def __init__(
        self,
        store: Any,
        window: Any = None,
        parent: QWidget | None = None,
        *,
        worker: Worker | None = None,
    ) -> None:
        super().__init__(parent)
        self.worker = worker  # reads each item's detail off the GUI thread (None: the app's)
        self.setObjectName("cab_page")
        self.store = store
        self.window_ref = window
        self.full_screen: CabPresenter | None = None
        self.dialog: NewMeetingDialog | None = None
        self.question: QMessageBox | None = None
        self.meetings = QComboBox()
        self.meetings.setAccessibleName("CAB meeting")
        self.meetings.setMinimumContentsLength(28)
        self.new_button = QPushButton("&New meeting…")
        self.present_button = QPushButton("&Present full screen (F5)")
        self.minutes_button = QPushButton("Write &minutes…")
        self.close_button = QPushButton("C&lose meeting…")
        bar = QHBoxLayout()
        for w in (
            QLabel("Meeting:"),
            self.meetings,
            self.new_button,
            self.present_button,
            self.minutes_button,
            self.close_button,
        ):
            bar.addWidget(w)
        bar.addStretch(1)
        self.holder = QVBoxLayout()
        self.presenter: CabPresenter | None = None
        # The next agenda's preview reads every eligible release (seconds on a big plan): it is
        # read in the background, behind this line, like an item's sections in the presenter.
        self.placeholder = QLabel("<i>Reading the next agenda…</i>")
        self.placeholder.setObjectName("cab_placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.hide()
        self.holder.addWidget(self.placeholder)
        self.preview = DebouncedTask(self._preview_job, delay_ms=0, worker=worker, parent=self)
        self.preview.result.connect(self._preview_read)
        self.preview.error.connect(self._preview_failed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 0)
        layout.addLayout(bar)
        layout.addLayout(self.holder, 1)
        self.meetings.activated.connect(lambda _i: self._show_meeting(self.meetings.currentData()))
        self.new_button.clicked.connect(self.new_meeting)
        self.present_button.clicked.connect(self.present)
        # F5 as an action of the page, so Help > Keyboard Shortcuts (F1) lists it
        self.present_action = QAction("Present the meeting full screen", self)
        self.present_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.present_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.present_action.triggered.connect(self.present)
        self.addAction(self.present_action)
        self.minutes_button.clicked.connect(self.write_minutes)
        self.close_button.clicked.connect(self.close_meeting)
        # The store outlives the page: it calls bound methods, which Qt drops with the page (a
        # lambda would call into a deleted page).
        for signal in (store.releases_changed, store.approvals_changed):
            signal.connect(self._changed)
        # Meetings changed (here or by `relman cab`): re-read once the current step is done,
        # since reading a meeting can itself freeze its agenda and announce that.
        self._refresh_soon = QTimer(self, singleShot=True, interval=0)
        self._refresh_soon.timeout.connect(self.refresh)
        store.cab_changed.connect(self._refresh_soon.start)
        store.plan_opened.connect(self._plan_opened)
        self.refresh()

    def _plan_opened(self, *_args: object) -> None:
        """Another plan: no meeting of the old one stays chosen (ids repeat across plans)."""
        self.meetings.clear()
        self.refresh()

    def _changed(self, *_args: object) -> None:
        self.refresh()

    def _has_plan(self) -> bool:
        return self.store.has_plan

    def refresh(self, *, force: bool = False) -> None:
        """Re-read the meetings; while the page is hidden this waits until it is shown (the
        preview agenda reads every eligible release, which a big plan should not pay for at start)."""
        if not self._has_plan():
            return
        if not force and self.parentWidget() is not None and not self.isVisible():
            self._stale = True
            return
        self._stale = False
        try:
            rows = cab.list_meetings(self.store.ctx)
        except (ServiceError, PlanError) as exc:
            self.store.error.emit(str(exc))
            return
        first = self.meetings.count() == 0
        wanted = self.meetings.currentData()
        self.meetings.clear()
        self.meetings.addItem("Next agenda (preview)", None)
        for r in rows:
            self.meetings.addItem(
                f"#{r.id} {r.title} · {r.status} · {r.decided}/{r.items} decided", r.id
            )
        ids = [None] + [r.id for r in rows]
        chosen = wanted if wanted in ids and not first else (rows[0].id if rows else None)
        self.meetings.setCurrentIndex(ids.index(chosen))
        self._show_meeting(chosen)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if getattr(self, "_stale", False):
            self.refresh(force=True)

    def _show_meeting(self, meeting_id: int | None) -> None:
        if meeting_id is None:  # the preview: read off the GUI thread (see __init__)
            self.minutes_button.setEnabled(False)
            self.close_button.setEnabled(False)
            if self.presenter is None or self.presenter.meeting_id is not None:
                self._put_presenter(None)
                self.placeholder.setText("<i>Reading the next agenda…</i>")
                self.placeholder.show()
            self.preview.run_now()
            return
        self.preview.stop()
        if self.presenter is not None and self.presenter.meeting_id == meeting_id:
            self.presenter.reload()
        else:
            # a meeting is read here: reading one past its cut-off freezes its agenda, a write
            self._put_presenter(CabPresenter(self.store, meeting_id, worker=self.worker))
        # minutes can be written for any meeting; a closed one cannot be closed again
        meeting = self.presenter.meeting if self.presenter is not None else None
        self.minutes_button.setEnabled(meeting is not None)
        self.close_button.setEnabled(meeting is not None and meeting.status != "closed")

    def _put_presenter(self, presenter: CabPresenter | None) -> None:
        if self.presenter is not None:
            self.presenter.deleteLater()
        self.presenter = presenter
        if presenter is not None:
            self.placeholder.hide()
            presenter.left.connect(lambda: self.meetings.setFocus())
            self.holder.addWidget(presenter)

    def _preview_job(self) -> Any:
        if not self._has_plan():
            return None
        ctx = self.store.ctx

        def read(_task: Task) -> cab.Meeting:
            return preview_meeting(ctx)

        return read

    def _preview_read(self, meeting: cab.Meeting) -> None:
        if self.meetings.currentData() is not None:  # another meeting was chosen meanwhile
            return
        if self.presenter is not None and self.presenter.meeting_id is None:
            self.presenter.reload(meeting)
        else:
            self._put_presenter(CabPresenter(self.store, None, worker=self.worker, meeting=meeting))

    def _preview_failed(self, message: str) -> None:
        self.placeholder.setText(f"⚠ The next agenda could not be read: {message}")
        self.placeholder.show()

    def new_meeting(self) -> NewMeetingDialog | None:
        """Open the "New meeting" dialog (date, time, chair, attendees, cut-off, items); the
        meeting is created when it is accepted. Returns the open dialog (never exec())."""
        if not self._has_plan():
            return None
        ctx = self.store.ctx
        try:
            zone = cab.display_zone(ctx)
            people = sorted(  # the board first: a plan holds hundreds of people
                (Invitee(p.email, p.name, "cab_member" in p.roles) for p in list_people(ctx)),
                key=lambda i: (not i.cab_member, i.name.casefold()),
            )
            candidates = [Candidate(*row) for row in cab.eligible_summaries(ctx)]
        except (ServiceError, PlanError) as exc:
            self.store.error.emit(str(exc))
            return None
        dialog = NewMeetingDialog(people, candidates, ctx.now(), zone, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._create(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _create(self, dialog: NewMeetingDialog) -> None:
        request = dialog.request
        if request is None:
            return
        m = self.store.edits.run_create_cab_meeting(**request.kwargs())
        if m is Store.FAILED:
            return
        state = "frozen" if m.frozen else f"provisional until {request.cutoff_at:%Y-%m-%d %H:%M}"
        self.store.message.emit(
            f"CAB meeting #{m.id} {m.title!r} created; its agenda of {len(m.items)} item(s) is "
            f"{state}"
        )
        self.meetings.addItem(m.title, m.id)
        self.meetings.setCurrentIndex(self.meetings.count() - 1)
        self.refresh()

    def present(self) -> None:
        meeting_id = self.meetings.currentData()
        shown = (
            self.presenter if self.presenter and self.presenter.meeting_id == meeting_id else None
        )
        self.full_screen = CabPresenter(
            self.store,
            meeting_id,
            worker=self.worker,
            meeting=shown.meeting if shown else None,
            details=shown._details if shown else None,
        )
        if shown is not None:
            self.full_screen.go_to(shown.index)  # the item the room was looking at
        self.full_screen.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.full_screen.setWindowTitle("CAB presenter")
        self.full_screen.left.connect(self.full_screen.close)
        self.full_screen.destroyed.connect(self._changed)
        self.full_screen.present_full_screen()

    def write_minutes(self) -> None:
        meeting_id = self.meetings.currentData()
        if meeting_id is None:
            return
        dialog = QFileDialog(
            self, "Write CAB minutes", f"cab-minutes-{meeting_id}.docx", "Word documents (*.docx)"
        )
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("docx")
        dialog.fileSelected.connect(lambda path: self._write_minutes(meeting_id, path))
        dialog.open()  # never exec(): the page keeps running

    def _write_minutes(self, meeting_id: int, path: str) -> None:
        from relman_desktop.exports.cab_minutes import export_minutes

        try:
            target = export_minutes(self.store.ctx, meeting_id, path)
        except (ServiceError, PlanError) as exc:
            self.store.error.emit(str(exc))
            return
        self.store.message.emit(f"Minutes written to {target}")

    def close_meeting(self) -> QMessageBox | None:
        """Ask first (undecided items go to the next meeting; decisions can no longer change);
        closing stops the presenter's timer. Returns the open question (never exec())."""
        meeting_id = self.meetings.currentData()
        if meeting_id is None:
            return None
        meeting = self.presenter.meeting if self.presenter is not None else None
        if meeting is not None and meeting.status == "closed":
            self.store.message.emit(f"{meeting.title} is already closed")
            return None
        open_items = sum(1 for i in meeting.items if not i.decided) if meeting is not None else 0
        title = meeting.title if meeting is not None else f"meeting #{meeting_id}"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Close meeting",
            f"Close {title}?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(
            (
                f"{open_items} undecided item{'s' if open_items != 1 else ''} will go to the "
                "next meeting's agenda. "
                if open_items
                else ""
            )
            + "Its decisions can no longer change and its timer stops."
        )
        close = box.addButton("C&lose meeting", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # the meeting as the chair saw it when asked: closed over someone else's later change
        # (its title, date, attendees), the close is refused in one line, not applied blindly
        version = meeting.version if meeting is not None else None
        box.buttonClicked.connect(
            lambda button: self._close(meeting_id, version) if button is close else None
        )
        self.question = box
        box.open()
        return box

    def _close(self, meeting_id: int, version: int | None = None) -> None:
        if self.presenter is not None and self.presenter.meeting_id == meeting_id:
            self.presenter.stop_clock()  # its time is saved before the meeting is closed
        closed = self.store.edits.run_close_cab_meeting(meeting_id, version=version)
        if closed is Store.FAILED:
            return
        self.store.message.emit(f"{closed.title} closed; its timer is stopped")
        self.refresh()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() == Qt.Key.Key_F5:  # a key the shortcut system did not deliver
            self.present_action.trigger()
        else:
            super().keyPressEvent(event)


# --- the page and its screenshot -------------------------------------------------------------------------------------


def prepare_screenshot(window: Any, _key: str | None) -> None:
    """``relman screenshot cab``: the CAB page presenting the first agenda item of the latest
    meeting (or of the next agenda, when the plan has no meeting yet)."""
    window.show_page("cab")
    page = getattr(window, "page_widgets", {}).get("cab")
    if isinstance(page, CabPage) and page.presenter is None:  # the preview, read here
        run_here(page._preview_job, page._preview_read, stop=page.preview, name="cab preview")
    if isinstance(page, CabPage) and page.presenter is not None:
        page.presenter.go_to(0)
        page.presenter.worker.wait()  # the item's sections, read in the background


def page_factory(store: Store, window: Any) -> CabPage:
    return CabPage(store, window)


__all__ = ["CabPage", "page_factory", "prepare_screenshot"]
