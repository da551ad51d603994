"""The schedule calendar in Chromium, in Chinese, on a phone and a PC: finding any day
without JavaScript, and a playlist scheduled while it awaits review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playlists.content import playlist_table, review
from playlists.content.playlist_table import NewItem
from playlists.model import ItemKind, Review
from playlists.settings import Settings
from playlists.store import Store
from tests.browser.kit import FITS_WIDTH
from tests.web_fixtures import NOW, PASSWORD, add_pause_playlist, add_user, make_app, serving

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

WIDTHS = [
    pytest.param(375, 812, id="phone-375"),
    pytest.param(1280, 800, id="desktop-1280"),
]
# No sideways scrolling inside the calendar's card either, on any width.
CARD_FITS = """() => [...document.querySelectorAll('section.card')].every(
  card => card.scrollWidth <= card.clientWidth + 1)"""
SMALL_TARGETS = """() => [...document.querySelectorAll(
  '.calendar-nav a, .calendar-nav button, .calendar-nav input[type=date]')].filter(el => {
    const box = el.getBoundingClientRect();
    return box.height < 44 || box.width < 44;
  }).map(el => el.textContent.trim() || el.name)"""


@pytest.fixture
def frozen_panel_url(settings: Settings, store: Store) -> Iterator[str]:
    """Serve the panel with its clock at NOW (28 March 2023, 11:00 station time)."""
    add_user(store, "op", "operator")
    add_user(store, "rev", "reviewer")
    with serving(make_app(settings, store)) as url:
        yield url


def logged_in_page(browser: Any, url: str, width: int, height: int) -> tuple[Any, Any]:
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("#username", "op")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    return context, page


def check_fits(page: Any) -> None:
    assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
    assert page.evaluate(CARD_FITS), "a card scrolls sideways"
    assert page.evaluate(SMALL_TARGETS) == [], "tap targets under 44 px"


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_operator_finds_any_day_week_or_month(
    browser: Any,
    frozen_panel_url: str,
    store: Store,
    artifacts: Path,
    width: int,
    height: int,
) -> None:
    from playwright.sync_api import expect

    add_pause_playlist(store, "早间宣传", 60.0)
    context, page = logged_in_page(browser, frozen_panel_url, width, height)
    title = page.locator("#calendar-title")
    try:
        page.click("nav.main-nav >> text=播出日程")
        expect(title).to_have_text("2023年3月27日 – 4月2日")  # today's week
        check_fits(page)
        page.screenshot(path=artifacts / f"calendar-week-{width}.png", full_page=True)

        page.click("text=下一周 ›")
        expect(title).to_have_text("2023年4月3日 – 4月9日")
        visible = ".calendar-wide" if width > 720 else ".calendar-days"
        expect(page.locator(visible)).to_contain_text("4月8日")  # after the campaign: shown
        expect(page.locator(f"{visible} .mark-campaign")).to_have_count(5)  # 3–7 April
        check_fits(page)

        page.click(".calendar-views >> text=按月")
        expect(title).to_have_text("2023年4月")
        check_fits(page)
        page.screenshot(path=artifacts / f"calendar-month-{width}.png", full_page=True)
        page.click("a.month-day[href$='date=2023-04-07']")
        expect(title).to_have_text("2023年4月7日 周五")
        expect(page.locator(visible)).to_contain_text("早间宣传")

        page.click(".calendar-steps >> text=今天")
        expect(title).to_have_text("2023年3月28日 周二")
        page.fill("#calendar-date", "2024-02-29")
        page.click(".calendar-jump button")
        expect(title).to_have_text("2024年2月29日 周四")
        expect(page.locator(".calendar-nav")).to_be_visible()
        check_fits(page)
        page.screenshot(path=artifacts / f"calendar-day-{width}.png", full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), WIDTHS)
def test_a_playlist_awaiting_review_is_scheduled_and_airs_once_approved(
    browser: Any,
    frozen_panel_url: str,
    store: Store,
    artifacts: Path,
    width: int,
    height: int,
) -> None:
    from playwright.sync_api import expect

    pause = [NewItem(kind=ItemKind.PAUSE, duration=30.0)]
    pending = playlist_table.add_playlist(
        store, "待审节目", "", pause, NOW, review=Review.DRAFT, created_by="op"
    )
    review.submit(store, review.PLAYLIST, pending, "op", NOW)  # the operator sent it in
    playlist_table.add_playlist(
        store, "草稿节目", "", pause, NOW, review=Review.DRAFT, created_by="op"
    )
    context, page = logged_in_page(browser, frozen_panel_url, width, height)
    try:
        page.click("nav.main-nav >> text=播出日程")
        page.click("text=添加播出安排")
        expect(page.locator("#playlist_id option[disabled]")).to_have_text(
            "草稿节目 (0:30) – 草稿，须先送审"
        )
        page.select_option("#playlist_id", label="待审节目 (0:30) – 待审核，通过后播出")
        page.fill("#start", "2023-03-29")
        page.fill("#end", "2023-03-29")
        page.fill("#times", "09:00")
        page.click("form.schedule-form button[type=submit]")
        expect(page.locator(".flash-info").first).to_contain_text("“待审节目”的播出安排已保存")
        expect(page.locator(".flash-info").nth(1)).to_contain_text("审核通过后才会播出")
        visible = ".calendar-wide" if width > 720 else ".calendar-days"
        expect(page.locator(f"{visible} .mark-review")).to_have_text("待审核：通过后才播出")
        check_fits(page)
        page.screenshot(path=artifacts / f"calendar-pending-{width}.png", full_page=True)

        review.approve(store, review.PLAYLIST, pending, "rev", NOW)
        page.click("nav.main-nav >> text=播出日程")
        expect(page.locator(f"{visible} .mark-review")).to_have_count(0)
        page.goto(f"{frozen_panel_url}/")
        expect(page.locator("#review-news")).to_contain_text("审核通过：节目单“待审节目”。")
        expect(page.locator("#review-news")).to_contain_text("审核人：rev")
        assert page.evaluate(FITS_WIDTH), "the dashboard scrolls sideways"
        page.screenshot(path=artifacts / f"dashboard-review-news-{width}.png", full_page=True)
    finally:
        context.close()
