"""GUI figures a user notices on a big plan, printed as a table.

1. Start-up: from process start to an interactive main window (shown, first event-loop turn
   done) on a 10,000-release plan, against a bare QApplication + QMainWindow started the same
   way in the same run (the floor: Python + Qt start-up). Best of ``--repeat`` runs each.
2. The releases list at 10,000 rows: free-text search, a status filter, and a sort by title.

    .venv/bin/python benchmarks/bench_gui.py                      # generates a 10,000-release plan
    .venv/bin/python benchmarks/bench_gui.py --plan /tmp/big.relman

Runs offscreen (QT_QPA_PLATFORM=offscreen unless set).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BARE = """
import sys, time
t0 = float(sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow(); w.resize(1366, 768); w.show()
QTimer.singleShot(0, lambda: (print(time.time() - t0), app.quit()))
app.exec()
"""

APP = """
import sys, time
t0 = float(sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from relman_desktop.app import build_window
app = QApplication([])
w = build_window(sys.argv[2], app=app); w.resize(1366, 768); w.show()
rows = w.releases_view.model.rowCount()
QTimer.singleShot(0, lambda: (print(time.time() - t0, rows), app.quit()))
app.exec()
"""


def start_time(script: str, *args: str) -> tuple[float, str]:
    env = dict(os.environ, HOME=tempfile.mkdtemp(prefix="relman-bench-home-"))
    t0 = time.time()
    out = subprocess.run(
        [sys.executable, "-c", script, repr(t0), *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.split()
    return float(out[0]), " ".join(out[1:])


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", help="an existing plan (default: generate 10,000 releases)")
    parser.add_argument("--releases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services.base import Ctx

    tmp = None
    plan_path = args.plan
    if plan_path is None:
        from relman_desktop.services.demo import generate_demo

        tmp = tempfile.TemporaryDirectory()
        plan_path = str(Path(tmp.name) / "bench.relman")
        plan = open_plan(plan_path, create=True)
        generate_demo(Ctx(plan), releases=args.releases, seed=1, today=dt.date(2026, 11, 27))
        plan.close()

    rows: list[tuple[str, str, str]] = []
    bare = min(start_time(BARE)[0] for _ in range(args.repeat))
    runs = [start_time(APP, plan_path) for _ in range(args.repeat)]
    app_s = min(t for t, _ in runs)
    shown = runs[0][1]
    rows.append(("start: bare QApplication + QMainWindow", f"{bare * 1000:.0f} ms", "the floor"))
    rows.append(
        (
            "start: main window on the plan",
            f"{app_s * 1000:.0f} ms",
            f"{shown} releases listed; {app_s - bare:+.2f} s over the floor; aim ≤ 1.5 s",
        )
    )

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from relman_desktop.views.releases.releases_view import ReleasesView
    from relman_desktop.views.shell.store import Store

    app = QApplication.instance() or QApplication([])
    plan = open_plan(plan_path)
    store = Store(Ctx(plan))
    view = ReleasesView(store)
    view.resize(1366, 700)
    view.show()
    app.processEvents()
    n = view.model.rowCount()

    def search() -> None:
        view.set_search_text("billing")
        view.set_search_text("")

    status_combo = view.status_filter

    def status() -> None:
        status_combo.setCurrentIndex(min(2, status_combo.count() - 1))
        status_combo.setCurrentIndex(0)

    def sort() -> None:
        view.proxy.sort(2, Qt.SortOrder.AscendingOrder)
        view.proxy.sort(0, Qt.SortOrder.AscendingOrder)

    rows.append(
        (
            "list: search 'billing' and clear",
            f"{best(search, args.repeat) * 1000:.0f} ms",
            f"{n} rows; aim ≤ 100 ms each way",
        )
    )
    rows.append(
        (
            "list: status filter on and off",
            f"{best(status, args.repeat) * 1000:.0f} ms",
            f"{n} rows",
        )
    )
    rows.append(
        (
            "list: sort by title, then by key",
            f"{best(sort, args.repeat) * 1000:.0f} ms",
            f"{n} rows",
        )
    )
    view.close()
    plan.close()

    width = max(len(r[0]) for r in rows)
    print(f"{'step'.ljust(width)}  {'time':>9}  notes")
    for name, t, note in rows:
        print(f"{name.ljust(width)}  {t:>9}  {note}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
