"""Demo plans of a given size, generated once and kept in a cache folder between runs.

A plan is keyed by its size, its seed and the schema revision it was written with, so a new
migration (or another seed) gives a new file instead of measuring a stale one. A plan is
written under a temporary name and renamed when complete: an interrupted generation never
leaves a half-written plan in the cache.

    .venv/bin/python benchmarks/scale_plans.py 100000            # generate (or find) one plan
    .venv/bin/python benchmarks/scale_plans.py 1000 10000 --seed 2
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relman_desktop.models.migrations.revisions import HEAD  # noqa: E402

TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
DEFAULT_CACHE = Path(
    os.environ.get("RELMAN_BENCH_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "relman-bench-scale"
)


def plan_path(cache: Path, size: int, seed: int) -> Path:
    return cache / f"demo-{size}-seed{seed}-rev{HEAD}.relman"


def cached_plan(cache: Path, size: int, seed: int, *, log=print) -> Path:
    """The cached plan of ``size`` releases, generating it first when it is missing."""
    path = plan_path(cache, size, seed)
    if path.exists():
        return path
    from relman_desktop.models.planfile import open_plan
    from relman_desktop.services.base import Ctx
    from relman_desktop.services.demo import generate_demo

    cache.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + f".part{os.getpid()}")
    for leftover in (part, *(part.with_name(part.name + s) for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    log(f"generating {size:,} releases (seed {seed}) into {path} ...")
    t0 = time.perf_counter()
    plan = open_plan(part, create=True)
    try:
        ctx = Ctx(plan, actor="bench@example.com", clock=lambda: NOW)
        generate_demo(ctx, releases=size, seed=seed, today=TODAY)
    finally:
        plan.close()
    part.replace(path)
    log(f"  done in {time.perf_counter() - t0:.0f} s")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    for size in args.sizes:
        print(cached_plan(args.cache, size, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
