"""The playlist editor on a 375 px phone without JavaScript: build, reorder, send for review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from playlists.content import playlist_table
from playlists.content.playlist_contents import items_of
from playlists.store import Store
from tests.browser.kit import FITS_WIDTH
from tests.web_fixtures import PASSWORD

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

LONG_NAME = "2023年社会工作主题宣传活动：推进五社联动，关爱一小一老，社会工作者在您身边"
# Every visible button and summary, by its height in CSS pixels (a thumb needs about 44).
SMALLEST_TAP = """() => Math.min(...[...document.querySelectorAll('main button, main summary')]
  .filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect().height))"""


def test_operator_builds_a_playlist_on_a_phone(
    browser: Any, panel_url: str, store: Store, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    poster = tmp_path / "海报.png"
    Image.new("RGB", (640, 360), (30, 90, 200)).save(poster)
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(f"{panel_url}/login")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        page.click("nav.main-nav >> text=节目单")
        page.fill("#name", LONG_NAME)
        page.click("text=创建并添加内容")
        expect(page.locator(".flash-info")).to_contain_text("现在请添加内容")

        for seconds in ("3", "5"):
            page.click("summary:has-text('停顿（静音）')")
            page.fill("#seconds-pause", seconds)
            page.click("form[action$='/pause'] button[type=submit]")
        page.click("summary:has-text('屏幕图片')")
        page.set_input_files("#image", str(poster))
        page.fill("#seconds-image", "10")
        page.click("form[action$='/image'] button[type=submit]")
        expect(page.locator(".flash-info")).to_contain_text("已添加图片“海报.png”")
        expect(page.locator(".total")).to_have_text("总时长：0:18")

        # The picture (last) moves up one place with a plain form button.
        page.locator(".item").nth(2).locator("button[value=up]").click()
        expect(page.locator(".flash-info")).to_contain_text("已移到第 2 条")
        expect(page.locator(".item .badge").nth(1)).to_have_text("图片")
        assert page.evaluate(FITS_WIDTH), "the editor scrolls sideways"
        assert page.evaluate(SMALLEST_TAP) >= 40, "a button is too small for a thumb"
        page.screenshot(path=artifacts / "playlist-editor-375.png", full_page=True)

        page.click("text=提交审核")
        expect(page.locator(".flash-info")).to_contain_text("已提交审核")
        page.click("text=全部节目单")
        expect(page.locator(".playlist .badge")).to_have_text("待审核")
        assert page.evaluate(FITS_WIDTH), "the list scrolls sideways"
        page.screenshot(path=artifacts / "playlists-375.png", full_page=True)
    finally:
        context.close()
    [playlist] = playlist_table.list_playlists(store)
    assert [item.kind.value for item in items_of(store, playlist["id"])] == [
        "pause",
        "image",
        "pause",
    ]
