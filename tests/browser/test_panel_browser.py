"""An operator's first minutes in a real browser, on a phone and on a desktop."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from playlists.store import Store
from tests.test_web_uploads import pink_noise
from tests.web_fixtures import PASSWORD, FakePlayer, add_fake_announcement

TEXT = "村民朋友们，今晚七点在村委会召开防火安全会议，请每户派一名代表参加。"

AUDIO_READY = """() => {
  const audio = document.querySelector("article.announcement audio");
  return audio !== null && audio.readyState >= 1 && audio.duration > 0;
}"""
FITS_WIDTH = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize(
    ("width", "height"), [(375, 812), (1280, 800)], ids=["phone-375", "desktop-1280"]
)
def test_operator_writes_hears_and_plays_an_announcement(
    browser: Any, panel_url: str, store: Store, artifacts: Path, width: int, height: int
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        page.goto(f"{panel_url}/")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        expect(page.locator("h1")).to_have_text("正在播出")

        # The status box follows the player's heartbeat through the JSON poll.
        now = dt.datetime.now(dt.UTC)
        store.set_status({"heartbeat": now.isoformat()}, now)
        expect(page.locator("#player-status")).to_have_attribute("data-player", "up", timeout=6000)
        expect(page.get_by_text("播放器正在运行。")).to_be_visible()
        page.screenshot(path=artifacts / f"dashboard-{width}.png", full_page=True)

        page.click("nav.main-nav >> text=广播通知")
        page.fill("#title", "防火安全会议")
        page.fill("#text", TEXT)
        expect(page.locator("#text-count")).to_have_text(f"{len(TEXT)} 字，播出约 8 秒")
        page.click("#compose button[type=submit]")
        expect(page.locator(".flash-info")).to_contain_text("通知已保存")
        article = page.locator("article.announcement").first
        expect(article.locator("h3")).to_have_text("防火安全会议")
        expect(article).to_contain_text("离线语音（espeak-ng）")
        page.wait_for_function(AUDIO_READY, timeout=10000)
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
        page.screenshot(path=artifacts / f"announcements-{width}.png", full_page=True)

        with FakePlayer(store, "started"):
            article.locator("button.play").click()
            expect(page.locator(".flash-info")).to_have_text("播放器已开始播出。")
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
        page.screenshot(path=artifacts / f"sent-{width}.png", full_page=True)
    finally:
        context.close()
    [command] = store.query("SELECT kind, payload, created_by FROM commands")
    assert command["kind"] == "play" and '"announcement_id": 1' in command["payload"]
    assert problems == [], problems  # no script errors, no CSP violations


def test_emergency_broadcast_on_a_phone(
    browser: Any, panel_url: str, store: Store, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        page.goto(f"{panel_url}/")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        form = page.locator("#emergency-form")
        expect(form).to_be_visible()
        form.locator("#emergency-text").fill("村民朋友们，河水上涨，请立即撤离河道。")

        # Without the confirmation box the browser does not send the form at all.
        form.locator("button[type=submit]").click()
        assert (
            page.evaluate("() => document.querySelector('#emergency-form').checkValidity()")
            is False
        )
        assert store.query("SELECT id FROM commands") == []

        form.locator("input[name=confirm]").check()
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
        page.screenshot(path=artifacts / "emergency-375.png", full_page=True)
        with FakePlayer(store, "started"):
            form.locator("button[type=submit]").click()
            expect(page.locator(".flash-info")).to_have_text("播放器已开始播出。", timeout=15000)
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
    finally:
        context.close()
    [command] = store.query("SELECT kind, payload FROM commands")
    assert command["kind"] == "play" and '"priority": "emergency"' in command["payload"]
    assert problems == [], problems


def test_recording_replaces_a_voice_on_a_phone(
    browser: Any, panel_url: str, store: Store, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    add_fake_announcement(store, title="停水通知")
    recording = tmp_path / "停水录音.mp3"
    pink_noise(recording, 2)
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        page.goto(f"{panel_url}/announcements")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        article = page.locator("article.announcement").first
        article.locator("summary").click()  # the form is folded away until asked for
        article.locator("input[type=file]").set_input_files(str(recording))
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
        page.screenshot(path=artifacts / "recording-375.png", full_page=True)
        article.locator(".voice-upload button[type=submit]").click()
        expect(page.locator(".flash-info")).to_have_text("“停水通知”已改用录音播出。")
        expect(page.locator("article.announcement").first).to_contain_text("语音：录音")
    finally:
        context.close()
    assert problems == [], problems
