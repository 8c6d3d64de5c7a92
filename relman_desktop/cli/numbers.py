"""Whole-number arguments with bounds: a number no plan can hold (an id past SQLite's 64-bit
integers, a slip of a million years) is a usage error naming the argument, exit 2 — not an
``OverflowError`` traceback from SQLite or the date arithmetic."""

from __future__ import annotations

import argparse
from collections.abc import Callable

SQLITE_MAX = 2**63 - 1  # the largest integer SQLite stores (ids, LIMIT)
MAX_SLIP_DAYS = 36_500  # a hundred years either way: beyond it no plan date is meaningful


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{text[:30]!r} must be at least {low:,}")
        if value > high:
            raise argparse.ArgumentTypeError(f"{text[:30]!r} is too large (at most {high:,})")
        return value

    return parse


record_id = whole_number(1, SQLITE_MAX)  # a meeting's id, a --limit
