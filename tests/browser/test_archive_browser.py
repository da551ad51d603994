"""Archiving in a real browser at phone and desktop width: archive, find it, restore it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playlists.content import editing, playlist_table
from playlists.model import ItemKind
from playlists.settings import Settings
from playlists.store import Store
from tests.browser.kit import FITS_WIDTH, assert_tappable
from tests.web_fixtures import (
    NOW,
    PASSWORD,
    add_fake_announcement,
    add_pause_playlist,
    add_user,
    make_app,
    serving,
)

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml


@pytest.fixture
def panel(settings: Settings, store: Store) -> Iterator[str]:
    """Serve the panel on loopback: an old playlist, a scheduled one and a notice."""
    add_user(store, "op", "operator")
    old = editing.create_playlist(store, "去年的宣传", "", "op", NOW)
    editing.add_item(store, old, ItemKind.PAUSE, "op", NOW, seconds=2.0)
    add_pause_playlist(store, "防火宣传")  # on the schedule
    add_fake_announcement(store, "旧通知")
    with serving(make_app(settings, store)) as url:
        yield url


@pytest.mark.parametrize("width", [375, 1280], ids=["phone-375", "desktop-1280"])
def test_archive_and_restore(
    browser: Any, panel: str, store: Store, artifacts: Path, width: int
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": width, "height": 812}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{panel}/login")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")

        # A playlist on the schedule is not archived; the message names the schedule.
        page.click("nav.main-nav >> text=节目单")
        scheduled = page.locator("article.playlist", has_text="防火宣传")
        scheduled.locator("form.archive button").click()
        expect(page.locator(".flash-error")).to_contain_text(
            "“防火宣传”没有归档：播出日程还在播它（节目单“防火宣传”，2023-03-28 至 2023-04-07"
        )
        assert page.evaluate(FITS_WIDTH), "the refusal fits the width"

        # An old one is archived: gone from the list, found under 已归档, restored.
        old = page.locator("article.playlist", has_text="去年的宣传")
        assert_tappable(old.locator("form.archive button"), width)
        old.locator("form.archive button").click()
        expect(page.locator(".flash-info")).to_have_text(
            "已归档：不再显示在列表里，也不会播出。可在“已归档”中恢复。"
        )
        expect(page.locator("article.playlist", has_text="去年的宣传")).to_have_count(0)
        page.click("#show-archived")
        expect(page.locator("h2#saved-title")).to_have_text("已归档的节目单")
        archived = page.locator("article.playlist", has_text="去年的宣传")
        expect(archived.locator(".badge.archived")).to_have_text("已归档")
        expect(archived.locator("summary.play")).to_have_count(0)
        assert page.evaluate(FITS_WIDTH), "the archived list fits the width"
        page.screenshot(path=artifacts / f"archive-playlists-{width}.png", full_page=True)
        restore = archived.locator("button", has_text="恢复")
        assert_tappable(restore, width)
        restore.click()
        expect(page.locator(".flash-info")).to_have_text("已恢复：它回到了列表中，内容不变。")
        expect(page.locator("article.playlist", has_text="去年的宣传")).to_be_visible()
        assert playlist_table.count_archived(store) == 0

        # A notice, the same way.
        page.click("nav.main-nav >> text=广播通知")
        notice = page.locator("article.announcement", has_text="旧通知")
        notice.locator("form.archive button").click()
        expect(page.locator("article.announcement", has_text="旧通知")).to_have_count(0)
        expect(page.locator("#show-archived")).to_have_text("已归档（1）")
        page.click("#show-archived")
        expect(page.locator("article.announcement", has_text="旧通知")).to_be_visible()
        assert page.evaluate(FITS_WIDTH), "the archived notices fit the width"
        page.screenshot(path=artifacts / f"archive-announcements-{width}.png", full_page=True)
    finally:
        context.close()
