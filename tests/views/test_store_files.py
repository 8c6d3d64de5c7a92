"""File > Save a Copy As and Back Up Now through the store: never over the open plan."""

from __future__ import annotations

from pathlib import Path

from relman_desktop.services import releases


def test_save_copy_onto_the_open_plan_is_refused_and_the_plan_kept(store, qtbot) -> None:
    plan = Path(store.ctx.plan.path)
    before = [r.key for r in releases.list_releases(store.ctx)]
    assert before
    for target in (plan, Path(f"{plan}-wal"), Path(f"{plan}-shm")):
        with qtbot.waitSignal(store.error) as blocker:
            assert store.save_copy(target) is None
        assert "open plan" in blocker.args[0]
    assert [r.key for r in releases.list_releases(store.ctx)] == before
    backup = store.back_up_now()
    assert backup is not None and backup != plan and backup.read_bytes()[:6] == b"SQLite"
