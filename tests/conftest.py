"""Shared fixtures. Qt runs offscreen; every plan lives in tmp_path, never the user's data folder."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")
# A plan that names no time zone uses the machine's (tzlocal reads TZ first): tests see the
# same times on every developer's machine and in CI.
os.environ["TZ"] = "UTC"

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """platformdirs and QSettings look here instead of the real home folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))


@pytest.fixture
def plan_path(tmp_path: Path) -> Path:
    return tmp_path / "test.relman"


@pytest.fixture
def plan(plan_path: Path):
    from relman_desktop.models.planfile import open_plan

    p = open_plan(plan_path, create=True)
    yield p
    p.close()


FIXED_NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def ctx(plan):
    from relman_desktop.services.base import Ctx

    return Ctx(plan, actor="tester@example.com", clock=lambda: FIXED_NOW)
