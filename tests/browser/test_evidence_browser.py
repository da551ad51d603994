"""An operator adds a photo and a short video to 活动影像 on a 375 px phone, in Chromium.

The photo carries an EXIF GPS position and time (made by Pillow), the video a
creation_time (made by ffmpeg). The upload goes in small pieces and one piece is
lost on the way: the page resumes. What is stored has no GPS; the video has a thumbnail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from playlists.evidence import incoming, items
from playlists.settings import Settings
from playlists.store import Store
from tests.browser.kit import FITS_WIDTH
from tests.evidence_kit import has_gps, phone_photo, short_video
from tests.web_fixtures import PASSWORD

IMAGE_LOADED = "(img) => img.complete && img.naturalWidth > 0"

pytestmark = pytest.mark.slow  # a real browser: see pyproject.toml


def add_item(page: Any, file: Path, ready: str, day: str, caption: str, topic: str) -> None:
    from playwright.sync_api import expect

    page.set_input_files("#evidence-file", str(file))
    expect(page.locator("#upload-status")).to_have_text(ready, timeout=20000)
    expect(page.locator("#taken-on")).to_have_value(day)
    assert page.evaluate("() => document.getElementById('upload-progress').value") == 100
    page.fill("#caption", caption)
    page.select_option("#topic", topic)
    page.click("#evidence-save")
    expect(page.locator(".flash-info")).to_contain_text(f"已保存：{caption}")


def test_operator_adds_a_photo_and_a_video_on_a_phone(
    browser: Any,
    panel_url: str,
    settings: Settings,
    store: Store,
    tmp_path: Path,
    artifacts: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import expect

    monkeypatch.setattr(incoming, "MAX_CHUNK", 16 * 1024)  # several pieces for small files
    photo = phone_photo(tmp_path / "IMG_0330.jpg", size=(1200, 900))
    assert has_gps(photo)
    video = short_video(tmp_path / "VID_0331.mp4", seconds=2, created="2023-03-31T02:00:00Z")

    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    lost: list[str] = []

    def lose_one_piece(route: Any) -> None:
        # The first piece after the start never arrives, as on a phone that lost the network.
        if not lost and "offset=0" not in route.request.url:
            lost.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/evidence/uploads/*?offset=*", lose_one_piece)
    try:
        page.goto(f"{panel_url}/evidence")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        page.goto(f"{panel_url}/evidence")
        expect(page.locator("h1")).to_have_text("宣传照片和视频")
        add_item(
            page,
            photo,
            "照片已收到。请核对日期、填写说明后保存。",
            "2023-03-30",
            "广场宣传横幅",
            "五社联动",
        )
        add_item(
            page,
            video,
            "视频已收到。请核对日期、填写说明后保存。",
            "2023-03-31",
            "社工站宣传视频",
            "社会工作服务",
        )
        for thumb in page.locator(".evidence-item img").all():
            assert thumb.evaluate(IMAGE_LOADED), "a thumbnail did not load"
        expect(page.locator(".evidence-video .video-mark")).to_have_text("▶ 0:02")
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
        page.screenshot(path=artifacts / "evidence-375.png", full_page=True)
    finally:
        context.close()
    assert problems == [], problems
    assert lost, "no piece was lost: the resume was not exercised"

    stored = {item.kind: item for item in items.list_items(store)}
    assert set(stored) == {"photo", "video"}
    assert not has_gps(items.file_path(settings, stored["photo"]))
    assert stored["video"].topic == "社会工作服务"
    assert items.thumbnail_path(settings, stored["video"]).stat().st_size > 0
