"""The hostile-input tally (issue 18): every kind of bad input the test suite knows, and as many
random ones as asked, held to the promise — a clear refusal or a correct result, never a
crash. Prints one table: inputs tried per kind, refused cleanly, correct results, crashes.

    .venv/bin/python benchmarks/fuzz_hostile.py              # about a minute
    .venv/bin/python benchmarks/fuzz_hostile.py --random 300 # more random inputs per kind

Exit status 1 when anything crashed (each crash is printed with its input).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import traceback
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from fuzz_checks import (  # noqa: E402
    COMMANDS,
    TEXT_COLUMNS,
    check_command,
    check_exports,
    check_import,
    leaf_paths,
    with_value,
)
from hostile_inputs import MUTATIONS, mutated, raw_mutations  # noqa: E402

from relman_desktop.cli import main  # noqa: E402
from relman_desktop.models.planfile import open_plan, sqlite_copy  # noqa: E402

SNIPPETS = [
    "\x00",
    "\x07",
    "\x1b[2J",
    "\x9b",
    "\ufffe",
    "\uffff",
    "\ud800",
    "\u2028",
    "\r\nEND:VEVENT\r\n",
    "=1+1",
    "@SUM(A1)",
    "<w:p/>",
    "]]>",
    "‮",
    "🦄",
    "x" * 400,
    "y" * 100_000,
    "",
    " ",
]
VALUES: list[object] = [
    2**64,
    -(2**64),
    2**63,
    10**12,
    -1,
    0,
    1.5,
    float("nan"),
    float("inf"),
    None,
    True,
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:30:00+05:00",
    "FREQ=SECONDLY",
    "FREQ=DAILY;INTERVAL=0",
    "#zzzzzz",
    "no_such_guard",
    [],
    {},
    "x" * 5000,
    *SNIPPETS,
]


class Tally:
    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {}
        self.crashes: list[str] = []

    def run(self, kind: str, label: str, fn: object) -> None:
        counter = self.counts.setdefault(kind, Counter())
        counter["tried"] += 1
        try:
            counter[fn()] += 1  # type: ignore[operator]
        except BaseException as exc:  # noqa: BLE001 - every failure is the finding
            counter["crashed"] += 1
            self.crashes.append(
                f"{kind} / {label[:80]!r}: {type(exc).__name__}: {str(exc)[:200]}\n"
                + "".join(traceback.format_exception(exc)[-3:])
            )


def main_(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--random", type=int, default=60, help="random inputs per kind (default 60)"
    )
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo = folder / "demo.relman"
        sink = io.StringIO()
        main(["--plan", str(demo), "demo", "--releases", "4", "--seed", "7"], out=sink, err=sink)
        main(
            [
                "--plan",
                str(demo),
                "cab",
                "new",
                "--date",
                "2026-12-01T10:00",
                "--cutoff",
                "2026-11-30",
            ],
            out=sink,
            err=sink,
        )
        settled = folder / "settled.relman"
        sqlite_copy(demo, settled)
        empty = folder / "empty.relman"
        open_plan(empty, create=True).close()
        main(
            ["--plan", str(settled), "export", "plan", str(folder / "base.json")],
            out=sink,
            err=sink,
        )
        base = json.loads((folder / "base.json").read_text(encoding="utf-8"))
        work = folder / "work"
        work.mkdir()

        for name, apply in MUTATIONS:
            text = json.dumps(mutated(base, apply))
            tally.run(
                "plan JSON: named mutations", name, lambda t=text: check_import(empty, work, t)
            )
        for name, text in raw_mutations(base):
            tally.run("plan JSON: raw documents", name, lambda t=text: check_import(empty, work, t))
        paths = leaf_paths(base)
        for _ in range(args.random):
            doc = base
            for _ in range(rng.randint(1, 3)):
                path = rng.choice(paths)
                value = rng.choice(VALUES)
                try:
                    doc = with_value(doc, path, lambda _old, v=value: v)
                except (KeyError, IndexError, TypeError):
                    pass
            text = json.dumps(doc, allow_nan=True)
            tally.run(
                "plan JSON: random mutations",
                text[:80],
                lambda t=text: check_import(empty, work, t),
            )

        for column in TEXT_COLUMNS:
            for _ in range(max(1, args.random // len(TEXT_COLUMNS))):
                text = "".join(rng.choice(SNIPPETS) for _ in range(rng.randint(1, 3)))
                tally.run(
                    "text field through .docx/.xlsx/.ics/minutes",
                    f"{column} {text}",
                    lambda c=column, t=text: check_exports(settled, work, c, t),
                )
        for column in TEXT_COLUMNS[:3]:
            text = "".join(SNIPPETS[:8])
            tally.run(
                "text field through .pdf/.png",
                f"{column}",
                lambda c=column, t=text: check_exports(settled, work, c, t, pictures=True),
            )

        whole = settled.read_bytes()
        for i in range(args.random):
            kind = rng.choice(["truncated", "flipped", "junk after header", "zeroed page"])
            if kind == "truncated":
                body = whole[: rng.randrange(0, len(whole))]
            elif kind == "flipped":
                raw = bytearray(whole)
                for _ in range(rng.randint(1, 20)):
                    raw[rng.randrange(100, len(raw))] ^= 1 << rng.randrange(8)
                body = bytes(raw)
            elif kind == "junk after header":
                body = whole[:100] + rng.randbytes(rng.randrange(0, 20_000))
            else:
                raw = bytearray(whole)
                page = rng.randrange(1, len(raw) // 4096)
                raw[page * 4096 : (page + 1) * 4096] = bytes(4096)
                body = bytes(raw)
            plan = work / f"junk{i}.relman"
            plan.write_bytes(body)
            argv = rng.choice(COMMANDS)
            tally.run(
                f"junk plan file ({kind}) through a command",
                f"{argv}",
                lambda p=plan, a=argv: check_command(p, work, a),
            )

    print("Release Manager Desktop — hostile inputs")
    width = max(len(k) for k in tally.counts)
    print(f"{'kind':<{width}}  {'tried':>6}  {'refused':>7}  {'correct':>7}  {'crashed':>7}")
    for kind, c in tally.counts.items():
        print(
            f"{kind:<{width}}  {c['tried']:>6}  {c['refused']:>7}  {c['correct']:>7}  {c['crashed']:>7}"
        )
    total = sum((c for c in tally.counts.values()), Counter())
    print(
        f"{'all':<{width}}  {total['tried']:>6}  {total['refused']:>7}  {total['correct']:>7}  {total['crashed']:>7}"
    )
    for crash in tally.crashes:
        print("\nCRASH", crash)
    return 1 if tally.crashes else 0


if __name__ == "__main__":
    sys.exit(main_())
