"""The releases table model and its filter: model rules, filters, search, sorting, speed."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from PySide6.QtCore import Qt

from relman_desktop.services.releases import ReleaseRow
from relman_desktop.views.releases.releases_model import (
    COLUMN_INDEX,
    KEY_ROLE,
    ReleaseFilter,
    ReleasesFilterProxy,
    ReleasesModel,
)


def fake_rows(n: int) -> list[ReleaseRow]:
    statuses = ["Planning", "Build", "Testing", "Approved"]
    levels = ["low", "medium", "high", "critical"]
    base = dt.date(2026, 1, 1)
    return [
        ReleaseRow(
            id=i,
            key=f"REL-{i:05d}",
            title=f"Release {i} {'payments' if i % 7 == 0 else 'portal'} work",
            version=None,
            type=["major", "minor", "patch"][i % 3],
            priority=levels[i % 4],
            risk=levels[(i // 2) % 4],
            status=statuses[i % 4],
            application=f"app{i % 25}",
            manager=f"Manager {i % 9}",
            manager_email=f"m{i % 9}@example.com",
            planned_start=base + dt.timedelta(days=i % 300),
            planned_end=base + dt.timedelta(days=i % 300 + 9),
            deploy_start=dt.datetime(2026, 2, 1, 22, tzinfo=dt.UTC) + dt.timedelta(hours=i),
            deploy_end=None,
        )
        for i in range(n)
    ]


@pytest.fixture
def proxy(qtbot):
    model = ReleasesModel()
    model.set_rows(fake_rows(200))
    proxy = ReleasesFilterProxy()
    proxy.setSourceModel(model)
    return proxy


def keys(proxy) -> list[str]:
    return [proxy.index(r, 0).data(KEY_ROLE) for r in range(proxy.rowCount())]


def test_model_passes_the_model_tester(qtmodeltester):
    model = ReleasesModel()
    model.set_rows(fake_rows(50))
    qtmodeltester.check(model)
    model.sort(COLUMN_INDEX["title"], Qt.SortOrder.DescendingOrder)
    row = model.rows[3]
    model.update_row(dataclasses.replace(row, title="Renamed"))
    model.set_rows(fake_rows(10))
    qtmodeltester.check(model)


def test_proxy_passes_the_model_tester(qtmodeltester, proxy):
    proxy.update_filter(text="payments")
    qtmodeltester.check(proxy)
    proxy.sort(COLUMN_INDEX["risk"], Qt.SortOrder.AscendingOrder)
    qtmodeltester.check(proxy)


def test_cells_show_words_and_dates(proxy):
    model = proxy.sourceModel()
    assert model.index(0, COLUMN_INDEX["type"]).data() == "Major"
    assert model.index(0, COLUMN_INDEX["planned_start"]).data() == "2026-01-01"
    assert (
        model.headerData(COLUMN_INDEX["deployment_window"], Qt.Orientation.Horizontal)
        == "Deployment window"
    )
    assert model.index(0, COLUMN_INDEX["deployment_window"]).data().startswith("from 2026-02-0")


def test_free_text_search_matches_every_word_anywhere(proxy):
    proxy.update_filter(text="PAYMENTS app7")
    found = keys(proxy)
    assert found and all(int(k[4:]) % 7 == 0 and int(k[4:]) % 25 in (7,) for k in found)
    proxy.update_filter(text="no-such-thing")
    assert proxy.rowCount() == 0
    proxy.update_filter(text="")
    assert proxy.rowCount() == 200


def test_filters_by_status_type_risk_manager_application_and_dates(proxy):
    model = proxy.sourceModel()
    proxy.set_filter(ReleaseFilter(statuses={"Build"}, types={"minor"}))
    assert proxy.rowCount() > 0
    for r in range(proxy.rowCount()):
        row = model.rows[proxy.mapToSource(proxy.index(r, 0)).row()]
        assert (row.status, row.type) == ("Build", "minor")
    proxy.set_filter(
        ReleaseFilter(risks={"critical"}, managers={"m3@example.com"}, applications={"app3"})
    )
    for r in range(proxy.rowCount()):
        row = model.rows[proxy.mapToSource(proxy.index(r, 0)).row()]
        assert (row.risk, row.manager_email, row.application) == (
            "critical",
            "m3@example.com",
            "app3",
        )
    proxy.set_filter(ReleaseFilter(date_from=dt.date(2026, 1, 5), date_to=dt.date(2026, 1, 6)))
    # planned windows are [day i, day i + 9]: those overlapping 5–6 Jan start on days 0..5
    assert sorted(int(k[4:]) for k in keys(proxy)) == list(range(6))


def test_sorting_by_a_column(proxy):
    proxy.sort(COLUMN_INDEX["risk"], Qt.SortOrder.DescendingOrder)
    risks = [proxy.index(r, COLUMN_INDEX["risk"]).data() for r in range(proxy.rowCount())]
    order = {"Low": 0, "Medium": 1, "High": 2, "Critical": 3}
    assert [order[x] for x in risks] == sorted((order[x] for x in risks), reverse=True)
    proxy.sort(COLUMN_INDEX["key"], Qt.SortOrder.AscendingOrder)
    assert keys(proxy) == sorted(keys(proxy))


def test_filter_and_sort_hold_at_10000_rows(qtbot):
    """Searching, filtering by status and sorting a 10,000-row list give the rows a user expects
    (how fast is measured in benchmarks/bench_foundation.py, never here)."""
    from PySide6.QtWidgets import QTableView

    model = ReleasesModel()
    model.set_rows(fake_rows(10_000))
    proxy = ReleasesFilterProxy()
    proxy.setSourceModel(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.resize(1200, 700)
    view.show()
    proxy.update_filter(text="payments")
    assert proxy.rowCount() == len([i for i in range(10_000) if i % 7 == 0])
    proxy.update_filter(text="")
    assert proxy.rowCount() == 10_000
    proxy.update_filter(text="", statuses={"Build"})
    assert proxy.rowCount() == 2_500
    proxy.update_filter(statuses=set())
    view.sortByColumn(COLUMN_INDEX["title"], Qt.SortOrder.DescendingOrder)
    titles = [proxy.index(r, COLUMN_INDEX["title"]).data() for r in range(50)]
    assert titles == sorted(titles, key=str.lower, reverse=True)
