"""GUI figures a user notices on a big plan, printed as a table.

1. Start-up: from process start to an interactive main window (shown, first event-loop turn
   done) on a 10,000-release plan, against a bare QApplication + QMainWindow started the same
   way in the same run (the floor: Python + Qt start-up). Best of ``--repeat`` runs each.
2. The releases list at 10,000 rows: free-text search, a status filter, and a sort by title.
3. The real pages of the main window on that plan (issue 16): each page's first open (the GUI
   thread's time from the click to the page painted; a page that reads in the background
   shows a placeholder, and the time until its data is in is a separate row), next to the
   floor of switching between two empty pages of a bare QStackedWidget in the same process;
   then the clicks a release manager makes there: the next CAB item, the presenter opened full
   screen, a release dropped one day later on the calendar (and undone).

    .venv/bin/python benchmarks/bench_gui.py                      # generates a 10,000-release plan
    .venv/bin/python benchmarks/bench_gui.py --plan /tmp/big.relman

Runs offscreen (QT_QPA_PLATFORM=offscreen unless set). The page rows work on a copy of the
plan (the drop writes, then is undone). ``--profile PAGE`` prints cProfile's top entries for
that page's first open.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
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
QTimer.singleShot(0, lambda: print(time.time() - t0, rows, flush=True))
# a big plan's list fills in the background: when is every release in?
def whole():
    if not w.releases_view.complete:
        return QTimer.singleShot(20, whole)
    print(time.time() - t0, w.releases_view.model.rowCount())
    app.quit()
QTimer.singleShot(0, whole)
app.exec()
"""


def _started(script: str, *args: str) -> list[str]:
    """What ``script`` prints, run in a fresh process (a first start: its own HOME) that is
    given its start time."""
    env = dict(os.environ, HOME=tempfile.mkdtemp(prefix="relman-bench-home-"))
    t0 = time.time()
    return subprocess.run(
        [sys.executable, "-c", script, repr(t0), *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.split()


def start_times(script: str, *args: str) -> tuple[float, str, float, str]:
    """Start to interactive (and what is listed then), start to the whole list in."""
    out = _started(script, *args)
    return float(out[0]), out[1], float(out[2]), out[3]


def start_time(script: str, *args: str) -> tuple[float, str]:
    out = _started(script, *args)
    return float(out[0]), " ".join(out[1:])


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


PAGES = ("calendar", "dependencies", "changes", "cis", "kpis", "cab", "settings")


def _settle(app) -> None:
    """Let the window paint what it was just asked to (posted events, a repaint)."""
    for _ in range(2):
        app.processEvents()


def _background(app) -> None:
    """Wait for the background readers (the shared worker) and deliver what they found."""
    from relman_desktop.views.shell.worker import shared_worker

    shared_worker().wait(120_000)
    _settle(app)


def page_rows(app, plan_path: str, profile: str | None) -> list[tuple[str, str, str]]:
    """First open of each page of the real main window, and the clicks measured on them."""
    from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget

    from relman_desktop.app import build_window

    floor_window = QMainWindow()
    stack = QStackedWidget()
    for _ in range(2):
        stack.addWidget(QWidget())
    floor_window.setCentralWidget(stack)
    floor_window.resize(1366, 768)
    floor_window.show()
    _settle(app)

    def switch() -> None:
        stack.setCurrentIndex(1 - stack.currentIndex())
        _settle(app)

    floor = best(switch, 5)
    floor_window.close()
    rows = [("page: bare QStackedWidget switch", f"{floor * 1000:.1f} ms", "the floor")]

    window = build_window(plan_path, app=app)
    window.resize(1366, 768)
    window.show()
    _settle(app)
    _background(app)
    for name in PAGES:
        t = time.perf_counter()
        if profile == name:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.runcall(lambda n=name: (window.show_page(n), _settle(app)))
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        else:
            window.show_page(name)
            _settle(app)
        opened = time.perf_counter() - t
        _background(app)
        loaded = time.perf_counter() - t
        note = f"{opened / floor:.0f}× the floor; aim ≤ 300 ms"
        if loaded - opened > 0.05:
            note += f"; its data in after {loaded:.2f} s (placeholder meanwhile)"
        rows.append((f"page: {name} (first open)", f"{opened * 1000:.0f} ms", note))

    page = window.page_widgets["cab"]
    window.show_page("cab")
    _background(app)
    presenter = page.presenter
    if presenter is not None and len(presenter.items) > 2:
        n = len(presenter.items)
        presenter.go_to(0)
        _background(app)  # item 1 shown, item 2 read ahead

        def next_item() -> None:
            presenter.next_item()
            _settle(app)

        t = time.perf_counter()
        next_item()
        rows.append(
            (
                "CAB: next item (N)",
                f"{(time.perf_counter() - t) * 1000:.0f} ms",
                f"{n} items on the agenda; read ahead in the background; aim ≤ 100 ms",
            )
        )
        t = time.perf_counter()
        presenter.go_to(n - 1)
        _settle(app)
        jump = time.perf_counter() - t
        _background(app)
        rows.append(
            (
                "CAB: jump to the last item (End)",
                f"{jump * 1000:.0f} ms",
                f"not read ahead: sections arrive after {time.perf_counter() - t:.2f} s",
            )
        )
        t = time.perf_counter()
        page.present()
        _settle(app)
        rows.append(
            (
                "CAB: presenter full screen (F5)",
                f"{(time.perf_counter() - t) * 1000:.0f} ms",
                "aim ≤ 300 ms",
            )
        )
        _background(app)
        if page.full_screen is not None:
            page.full_screen.close()
            _settle(app)

    cal = getattr(window, "calendar_view", None)
    if cal is not None:
        window.show_page("calendar")
        _background(app)
        rows_ = cal.renderer.rows
        key = next(
            (r.release.key for r in rows_ if r.task is None and not r.release.read_only), None
        )
        if key is not None:
            t = time.perf_counter()
            moved = cal.move_item(key, 1)
            _settle(app)
            drop = time.perf_counter() - t
            rows.append(
                (
                    "calendar: drop a release one day later",
                    f"{drop * 1000:.0f} ms",
                    f"{key} {'moved' if moved else 'NOT moved'} (undone after); aim ≤ 100 ms",
                )
            )
            if moved:
                window.store.undo_stack.undo()
                _settle(app)
    rows.extend(edit_rows(app, window))
    window.close()
    _settle(app)
    return rows


def edit_rows(app, window) -> list[tuple[str, str, str]]:
    """What the conflict count, badges and Conflicts page cost after one edit (the page off
    screen, as while editing in the list): the status bar's handling of each change set."""
    from relman_desktop.services import releases
    from relman_desktop.views.shell.commands import Step, edit, op

    status = getattr(window, "conflict_status", None)
    if status is None or status.tally is None:
        return []
    window.show_page("releases")
    _settle(app)
    keys = [r.key for r in window.releases_view.model.rows if not r.read_only][:9]
    handle = status._changed
    times: list[float] = []

    def timed(changes) -> None:
        t = time.perf_counter()
        handle(changes)
        times.append(time.perf_counter() - t)

    window.store.changed.disconnect(handle)
    window.store.changed.connect(timed)
    for key in keys:
        edit(window.store, "bench", Step(op(releases.update_release, key, {"title": f"{key} b"})))
        _settle(app)
    window.store.changed.disconnect(timed)
    window.store.changed.connect(handle)
    if not times:
        return []
    times.sort()
    return [
        (
            "edit: conflict count and badges",
            f"{times[len(times) // 2] * 1000:.0f} ms",
            f"median of {len(times)} title edits (the tally's apply, badges, count); "
            f"{status.tally.full_reads} whole-plan read(s) in all",
        )
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", help="an existing plan (default: generate 10,000 releases)")
    parser.add_argument("--releases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", choices=PAGES, help="cProfile this page's first open")
    parser.add_argument("--no-pages", action="store_true", help="skip the page rows")
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
    runs = [start_times(APP, plan_path) for _ in range(args.repeat)]
    app_s = min(r[0] for r in runs)
    shown = runs[0][1]
    whole_s = min(r[2] for r in runs)
    rows.append(("start: bare QApplication + QMainWindow", f"{bare * 1000:.0f} ms", "the floor"))
    rows.append(
        (
            "start: main window on the plan",
            f"{app_s * 1000:.0f} ms",
            f"{shown} releases listed (interactive); {app_s - bare:+.2f} s over the floor; "
            "aim ≤ 1.5 s",
        )
    )
    rows.append(
        (
            "start: every release in the list",
            f"{whole_s * 1000:.0f} ms",
            f"{runs[0][3]} releases, read in the background after the window was interactive",
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
    from relman_desktop.views.shell.worker import shared_worker

    shared_worker().wait(120_000)  # the list's background read of every release
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

    if not args.no_pages:
        home = tempfile.mkdtemp(prefix="relman-bench-home-")
        os.environ["HOME"] = home  # the window's settings: a first start, not this user's
        work = Path(home) / "pages.relman"
        shutil.copyfile(plan_path, work)
        rows.extend(page_rows(app, str(work), args.profile))

    width = max(len(r[0]) for r in rows)
    print(f"{'step'.ljust(width)}  {'time':>9}  notes")
    for name, t, note in rows:
        print(f"{name.ljust(width)}  {t:>9}  {note}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
