"""Live for everyone in the window (issue 12): on a server plan a window hears every other
window's and the CLI's writes by LISTEN/NOTIFY and announces them the way it announces its own;
a plan file's windows keep watching the file's data_version."""

from __future__ import annotations

from relman_desktop.models.database import open_database
from relman_desktop.services import releases
from relman_desktop.services.base import Ctx
from relman_desktop.services.changeset import ChangeSet, Kind
from relman_desktop.views.shell.store import Store

# an upper bound so a broken test ends, not a speed check (a busy CI machine is slow)
WAIT_MS = 15_000

NEW = {"key": "REL-7", "title": "Payments", "type": "minor"}


def two_windows(target) -> tuple[Store, Store]:
    return Store(Ctx(open_database(target), actor="ana")), Store(
        Ctx(open_database(target), actor="raj")
    )


def is_release(key: str):
    return lambda changes: key in changes.created(Kind.RELEASES) | changes.updated(Kind.RELEASES)


def test_a_write_in_another_window_reaches_this_one_on_a_server_plan(qtbot, server_url):
    first, second = two_windows(server_url)
    try:
        assert first._listener is not None  # the server's change sets, not data_version
        heard: list[ChangeSet] = []
        second.outside_change.connect(heard.append)
        with qtbot.waitSignal(first.changed, timeout=WAIT_MS, check_params_cb=is_release("REL-7")):
            assert second.run(releases.create_release, NEW) == "REL-7"
        assert first.call(releases.get_release, "REL-7").title == "Payments"
        # the window that wrote it announced it once, when it wrote it: not again as "elsewhere"
        second.check_outside_changes()
        assert heard == []
    finally:
        first.close_plan()
        second.close_plan()


def test_a_cli_write_on_a_second_connection_reaches_the_window(qtbot, server_url):
    window = Store(Ctx(open_database(server_url), actor="ana"))
    cli = open_database(server_url)  # what `relman --plan URL releases new` opens
    try:
        releases.create_release(Ctx(cli, actor="raj"), NEW)
        messages: list[str] = []
        window.message.connect(messages.append)
        with qtbot.waitSignal(window.release_changed, timeout=WAIT_MS) as changed:
            releases.update_release(Ctx(cli, actor="raj"), "REL-7", {"title": "Cards"})
        assert changed.args == ["REL-7"]
        assert messages and messages[0].startswith("Changed elsewhere")
        assert window.call(releases.get_release, "REL-7").title == "Cards"
    finally:
        cli.close()
        window.close_plan()


def test_a_reload_everything_marker_refreshes_every_list(qtbot, server_url, pg_cluster):
    window = Store(Ctx(open_database(server_url), actor="ana"))
    try:
        with (
            qtbot.waitSignal(
                window.changed, timeout=WAIT_MS, check_params_cb=lambda c: c.whole_plan
            ),
            qtbot.waitSignal(window.releases_changed, timeout=WAIT_MS),
            qtbot.waitSignal(window.people_changed, timeout=WAIT_MS),
        ):  # what a change set over NOTIFY's payload limit (or anything unreadable) says
            pg_cluster.sql(server_url.rsplit("/", 1)[1], "NOTIFY relman_changes, 'garbage'")
    finally:
        window.close_plan()


def test_closing_or_switching_the_plan_stops_listening(qtbot, server_url, plan_path):
    window = Store(Ctx(open_database(server_url), actor="ana"))
    listener = window._listener
    assert listener is not None
    assert window.open_plan(plan_path, create=True)  # switch to a file plan
    assert listener._conn.closed and window._listener is None
    assert window.open_plan(server_url)  # and back: listening again
    again = window._listener
    assert again is not None and not again._conn.closed
    window.close_plan()
    assert again._conn.closed


def test_a_plan_file_still_watches_its_data_version(qtbot, plan_path):
    open_database(plan_path, create=True).close()
    first, second = two_windows(plan_path)
    try:
        assert first._listener is None
        with qtbot.waitSignal(first.changed, timeout=WAIT_MS, check_params_cb=is_release("REL-7")):
            second.run(releases.create_release, NEW)
        assert first.call(releases.get_release, "REL-7").title == "Payments"
    finally:
        first.close_plan()
        second.close_plan()
