"""Settings > Time zone: the plan's zone, set in one undoable step, refused with a reason."""

from __future__ import annotations

from relman_desktop.services.plan_zone import plan_zone_name


def test_setting_the_plan_zone_is_one_undoable_step(store, qtbot):
    from relman_desktop.views.settings.settings_timezone import TimeZoneSection

    section = TimeZoneSection(store)
    qtbot.addWidget(section)
    assert section.zone.currentText() == plan_zone_name(store.ctx)
    before = plan_zone_name(store.ctx)
    section.zone.setCurrentText("Europe/Berlin")
    section.apply.click()
    assert plan_zone_name(store.ctx) == "Europe/Berlin"
    store.undo_stack.undo()
    assert plan_zone_name(store.ctx) == before
    section.zone.setCurrentText("Mars/Base")
    section.apply.click()
    assert "not an IANA time zone" in section.problem.text()
    assert plan_zone_name(store.ctx) == before
