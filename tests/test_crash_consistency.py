"""kill -9 at random moments while a process writes: the plan stays a sound SQLite file, the
audit chain verifies, and every write the writer reported as done is there (issue 18).

The writer is a real process doing what the app and the command line do (one transaction per
action, through the services); the test kills it at a random point after a random number of
reported writes, ``KILLS`` times, then checks the plan. ``RELMAN_CRASH_KILLS`` raises the count
for a longer run."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from relman_desktop.models.planfile import open_plan
from relman_desktop.services import audit
from relman_desktop.services.base import Ctx

KILLS = int(os.environ.get("RELMAN_CRASH_KILLS", "8"))

WRITER = r"""
import sys
from relman_desktop.models.planfile import open_plan
from relman_desktop.services import releases, tasks
from relman_desktop.services.base import Ctx

plan_path, first = sys.argv[1], int(sys.argv[2])
ctx = Ctx(open_plan(plan_path), actor="writer")
n = first
while True:
    key = f"REL-{n}"
    releases.create_release(ctx, {"key": key, "title": f"Release {n}", "type": "minor",
                                  "scope": "x" * (n % 7) * 500})
    print(f"done {key}", flush=True)
    tasks.add_task(ctx, key, {"title": f"Task of {key}"})
    print(f"done {key}/T1", flush=True)
    if n % 3 == 0:
        releases.update_release(ctx, key, {"title": f"Release {n} (renamed)"})
        print(f"done {key} renamed", flush=True)
    n += 1
"""


def _check(plan_path: Path, reported: list[str]) -> None:
    con = sqlite3.connect(plan_path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = {k for (k,) in con.execute("SELECT key FROM releases")}
        titles = dict(con.execute("SELECT key, title FROM releases"))
        task_of = {
            k
            for (k,) in con.execute(
                "SELECT r.key FROM tasks t JOIN releases r ON r.id = t.release_id"
            )
        }
    finally:
        con.close()
    for line in reported:
        what = line.removeprefix("done ")
        if what.endswith("/T1"):
            assert what[:-3] in task_of, f"reported {what} is not in the plan"
        elif what.endswith(" renamed"):
            key = what.removesuffix(" renamed")
            assert titles[key].endswith("(renamed)"), f"reported rename of {key} is not in the plan"
        else:
            assert what in keys, f"reported {what} is not in the plan"
    plan = open_plan(plan_path)
    try:
        result = audit.verify(Ctx(plan))
    finally:
        plan.close()
    assert result.ok, result.problems


def test_kill_9_at_random_moments_loses_nothing_reported_done(tmp_path: Path) -> None:
    plan_path = tmp_path / "crash.relman"
    open_plan(plan_path, create=True).close()
    rng = random.Random(18)
    reported: list[str] = []
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    next_number = 1
    for _ in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(plan_path), str(next_number)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        wanted = rng.randint(1, 12)
        lines = []
        while len(lines) < wanted:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "writer ended"
            lines.append(line.strip())
        time.sleep(rng.random() * 0.03)  # somewhere inside the next transaction, or between two
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        lines += [x.strip() for x in proc.stdout.read().splitlines() if x.strip()]
        proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
        reported += lines
        _check(plan_path, reported)
        con = sqlite3.connect(plan_path)
        next_number = con.execute("SELECT count(*) FROM releases").fetchone()[0] + 1
        con.close()
    assert len([r for r in reported if r.count(" ") == 1 and "/" not in r]) >= KILLS
