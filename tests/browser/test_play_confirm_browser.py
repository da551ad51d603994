"""Risky controls without JavaScript: play now asks first, stop and skip only on air."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playlists.settings import Settings
from playlists.store import Store
from tests.browser.kit import FITS_WIDTH, assert_tappable
from tests.web_fixtures import (
    NOW,
    PASSWORD,
    add_pause_playlist,
    add_user,
    commands_in,
    make_app,
    serving,
)

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

RUNNING = {"heartbeat": NOW.isoformat()}


@pytest.fixture
def panel(settings: Settings, store: Store) -> Iterator[str]:
    """Serve the panel at NOW on loopback, with an operator and one approved playlist."""
    add_user(store, "op", "operator")
    add_pause_playlist(store, "防火宣传")
    store.set_status(RUNNING, NOW)
    with serving(make_app(settings, store)) as url:
        yield url


@pytest.mark.parametrize("width", [375, 1280], ids=["phone-375", "desktop-1280"])
def test_play_now_asks_and_stop_shows_only_on_air(
    browser: Any, panel: str, store: Store, artifacts: Path, width: int
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport={"width": width, "height": 812}, locale="zh-CN", java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(f"{panel}/login")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")

        # Nothing plays: no stop, no skip.
        expect(page.locator(".when-idle")).to_be_visible()
        expect(page.locator("button.stop")).to_be_hidden()
        expect(page.locator("button.skip")).to_be_hidden()

        # The first tap only asks; nothing is sent to the player.
        page.click("nav.main-nav >> text=节目单")
        card = page.locator("article.playlist", has_text="防火宣传")
        expect(card.locator("button.play")).to_be_hidden()
        card.locator("summary.play").click()
        question = card.locator(".play-question")
        expect(question).to_contain_text("“防火宣传”将立即在全村所有喇叭播出。")
        assert_tappable(card.locator("summary.play"), width)
        assert_tappable(card.locator("button.play"), width)
        assert page.evaluate(FITS_WIDTH), "the question fits the width"
        page.screenshot(path=artifacts / f"play-confirm-{width}.png", full_page=True)
        assert commands_in(store) == []

        # The second tap plays.
        card.locator("button.play").click()
        assert [row["kind"] for row in commands_in(store)] == ["play"]

        # While something plays, stop and skip are there.
        store.set_status({**RUNNING, "now_playing": {"name": "防火宣传"}}, NOW)
        page.goto(f"{panel}/")
        assert_tappable(page.locator("button.stop"), width)
        assert_tappable(page.locator("button.skip"), width)
        page.screenshot(path=artifacts / f"on-air-controls-{width}.png", full_page=True)
    finally:
        context.close()
