"""The schedule page in a real browser: day cards on a phone, a table on a desktop, no JS needed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from playlists.schedule import entry_table
from playlists.store import Store
from tests.browser.kit import FITS_WIDTH
from tests.web_fixtures import PASSWORD, add_pause_playlist

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

LONG_NAME = "2023年社会工作主题宣传活动：推进五社联动，关爱一小一老，社会工作者在您身边" * 2


@pytest.mark.parametrize(
    ("width", "height", "shown", "hidden"),
    [
        (375, 812, ".calendar-days", ".calendar-wide"),
        (1280, 800, ".calendar-wide", ".calendar-days"),
    ],
    ids=["phone-375", "desktop-1280"],
)
def test_operator_schedules_a_broadcast(
    browser: Any,
    panel_url: str,
    store: Store,
    artifacts: Path,
    width: int,
    height: int,
    shown: str,
    hidden: str,
) -> None:
    from playwright.sync_api import expect

    add_pause_playlist(store, LONG_NAME, 600.0, times=(dt.time(7, 30), dt.time(18, 30)))
    add_pause_playlist(store, "午间新闻", 60.0, times=(dt.time(12, 0),))
    # No JavaScript: every step is a plain form or link.
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(f"{panel_url}/login")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        page.click("nav.main-nav >> text=播出日程")
        expect(page.locator("h1")).to_have_text("播出日程")
        page.click("text=查看宣传期")  # the calendar opens on today (the real clock here)
        expect(page.locator(shown)).to_be_visible()
        expect(page.locator(hidden)).to_be_hidden()
        expect(page.locator(shown)).to_contain_text("3月31日")
        expect(page.locator(shown)).to_contain_text("4月1日")
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
        page.screenshot(path=artifacts / f"schedule-{width}.png", full_page=True)

        page.click("text=添加播出安排")
        page.select_option("#playlist_id", label="午间新闻 (1:00)")
        # The form opens on today (the real clock here): ask for the campaign's days.
        page.fill("#start", "2023-03-28")
        page.fill("#end", "2023-04-07")
        page.fill("#times", "07:35, 20:00")
        page.uncheck("input[name=weekdays][value='6']")
        page.click("form.schedule-form button[type=submit]")
        expect(page.locator("#warnings")).to_contain_text("保存前请检查")
        assert page.evaluate(FITS_WIDTH), "the warning page scrolls sideways"
        page.screenshot(path=artifacts / f"schedule-warning-{width}.png", full_page=True)
        page.click("text=仍然保存")
        expect(page.locator(".flash-info")).to_contain_text("“午间新闻”的播出安排已保存")

        page.click("#entry-3 >> text=删除")
        page.check("input[name=confirm]")
        page.click("form button.primary")
        expect(page.locator(".flash-info")).to_contain_text("已删除")
    finally:
        context.close()
    assert [entry.id for entry in entry_table.schedule_entries(store)] == [1, 2]
