"""Argument types for every command: each value checked once, at parse time, against the bounds
in ``services/limits.py``, so a 70-bit meeting id or a shift of 10,000,000 days is one line and
exit status 2 instead of an OverflowError from SQLite or ``datetime``."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable

from relman_desktop.services import limits, text


def whole_number(least: int, most: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``least`` to ``most``."""

    def parse(text: str) -> int:
        stripped = text.strip()
        digits = stripped.lstrip("+-")
        if not digits.isdigit() or len(digits) > 30:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number")
        value = int(stripped)
        if not least <= value <= most:
            shown = f"{value:,}" if len(digits) <= 19 else f"a number of {len(digits)} digits"
            raise argparse.ArgumentTypeError(f"must be from {least:,} to {most:,}, not {shown}")
        return value

    parse.__name__ = "whole number"  # argparse names the type in its messages
    return parse


def day(text: str) -> dt.date:
    """An argparse type: a date ``YYYY-MM-DD`` within the years a plan may hold."""
    try:
        value = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a date like 2026-11-30") from None
    problem = limits.date_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


record_id = whole_number(1, limits.MAX_ID)
shift_days = whole_number(-limits.MAX_SHIFT_DAYS, limits.MAX_SHIFT_DAYS)


def actor(value: str) -> str:
    """An argparse type: who is acting, as the audit trail will record it (one line of text)."""
    problem = text.text_problem(value, max_length=254, single_line=True)
    if problem or not value.strip():
        raise argparse.ArgumentTypeError(problem or "must not be empty")
    return value.strip()
