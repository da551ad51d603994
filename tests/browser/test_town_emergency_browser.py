"""The town emergency on a 375 px phone in Chinese: sent in a few taps, answers live."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from playlists.sync import emergency_wire as wire
from tests.broker_kit import broker
from tests.browser.kit import FITS_WIDTH, assert_tappable
from tests.browser.test_accessibility_browser import axe_problems
from tests.web.test_town_emergency_views import WEST, TownPanel, ack, town, village
from tests.web_fixtures import PASSWORD

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml
__all__ = ["broker", "town"]  # the fixtures, used by name

WIDTH = 375


def log_in(page: Any, url: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#username", "chief")
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")


def test_the_live_table_follows_each_answer_within_a_second(
    browser: Any, town: TownPanel, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    west = village(town.broker, WEST)
    context = browser.new_context(viewport={"width": WIDTH, "height": 812}, locale="zh-CN")
    try:
        page = context.new_page()
        log_in(page, town.url)
        page.click("nav.main-nav >> text=镇紧急广播")
        page.fill("#town-emergency-text", "河水上涨，请沿河村民立即转移。")
        page.select_option("#town-emergency-repeat", "2")
        for tap in (
            "#town-emergency-repeat",
            "label.confirm",
            "#town-emergency-form button[type=submit]",
        ):
            assert_tappable(page.locator(tap), WIDTH)
        assert page.evaluate(FITS_WIDTH), "the form fits the phone"
        assert axe_problems(page) == []
        page.screenshot(path=artifacts / "town-emergency-form-375.png", full_page=True)
        page.check("input[name=confirm]")
        page.click("#town-emergency-form button[type=submit]")

        expect(page.locator(".flash-info")).to_contain_text("紧急广播已发往各村")
        row = page.locator("#answers tr[data-village='西村']")
        expect(row.locator(".state")).to_have_text("无回应")
        [message] = west.wait_messages(1, timeout=10)
        ident = page.locator("#answers-card").get_attribute("data-answers-url").rsplit("/", 1)[1]
        assert ident in message.payload.decode("utf-8")

        for state, words in (
            (wire.AckState.RECEIVED, "已收到"),
            (wire.AckState.STARTED, "正在播出"),
            (wire.AckState.PLAYED, "已播出"),
        ):
            sent = time.monotonic()
            ack(west, WEST, ident, state)
            # Looked at every frame; shown within a second, three allowed under load.
            page.wait_for_function(
                "words => document.querySelector(\"#answers tr[data-village='西村'] .state\")"
                ".textContent === words",
                arg=words,
                polling="raf",
                timeout=3000,
            )
            print(f"{state.value}: shown {time.monotonic() - sent:.2f} s after the answer")
        expect(page.locator("#answers tr[data-village='东村'] .state")).to_have_text("无回应")
        expect(page.locator("#answers-stale")).to_be_hidden()  # the panel answered throughout
        assert page.evaluate(FITS_WIDTH), "the live table fits the phone"
        assert axe_problems(page) == []
        page.screenshot(path=artifacts / "town-emergency-live-375.png", full_page=True)
    finally:
        context.close()
        west.close()


def test_without_javascript_the_refresh_link_shows_the_answers(
    browser: Any, town: TownPanel
) -> None:
    from playwright.sync_api import expect

    west = village(town.broker, WEST)
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 812}, locale="zh-CN", java_script_enabled=False
    )
    try:
        page = context.new_page()
        log_in(page, town.url)
        page.goto(f"{town.url}/town-emergencies")
        page.fill("#town-emergency-text", "停水通知")
        page.check("input[name=confirm]")
        page.click("#town-emergency-form button[type=submit]")
        row = page.locator("#answers tr[data-village='西村']")
        expect(row.locator(".state")).to_have_text("无回应")
        ident = page.locator("#answers-card").get_attribute("data-answers-url").rsplit("/", 1)[1]
        ack(west, WEST, ident, wire.AckState.FAILED, "expired")
        deadline = time.monotonic() + 5
        while town.answers(ident)[1][1] != "failed" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert_tappable(page.locator("#refresh"), WIDTH)
        page.click("#refresh")
        expect(row.locator(".state")).to_have_text("失败")
        expect(row.locator(".why")).to_have_text("到达时已过有效时间")
    finally:
        context.close()
        west.close()
