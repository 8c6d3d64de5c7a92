"""The app says a plan is damaged instead of showing "0 releases" (issue 20)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def test_a_dropped_table_is_an_error_not_an_empty_list(store, qtbot) -> None:
    path = Path(store.ctx.plan.path)
    assert store.releases()
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute("DROP TABLE releases")
    con.commit()
    con.close()
    with qtbot.waitSignal(store.error) as shown:
        assert store.releases() == []
    assert "is damaged" in shown.args[0] and "releases" in shown.args[0]
    store.close_plan()
    with qtbot.waitSignal(store.plan_failed) as refused:
        assert store.open_plan(path) is False
    assert (
        refused.args[0]
        == f"{path.name} is damaged: its table releases is missing; restore it from a backup"
    )
