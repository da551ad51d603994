"""Today first: the record opens on the station's day, other days one tap away."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playlists.model import Outcome, Priority
from playlists.record import asrun
from playlists.settings import Settings
from playlists.store import Store
from tests.browser.kit import FITS_WIDTH
from tests.web_fixtures import PASSWORD, add_pause_playlist, add_user, make_app, serving

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

# 10:00 in Shanghai on 30 March 2023, the campaign's third day.
NOW = dt.datetime(2023, 3, 30, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def panel_at_now(settings: Settings, store: Store) -> Iterator[str]:
    """Serve the panel at NOW on loopback; one broadcast logged today, one yesterday."""
    add_user(store, "op", "operator")
    add_pause_playlist(store, "宣传")  # something due: the dashboard links the town's report
    for name, when in (("今天的通知", NOW), ("昨天的通知", NOW - dt.timedelta(days=1))):
        row = asrun.open_manual(store, name, None, Priority.MANUAL, "op", when)
        asrun.close(store, row, Outcome.PLAYED, when + dt.timedelta(minutes=1))
    app = make_app(settings, store, now=NOW)
    with serving(app, threads=2) as url:
        yield url


@pytest.mark.parametrize("width", [375, 1280], ids=["phone-375", "desktop-1280"])
def test_todays_record_is_one_tap_from_the_dashboard(
    browser: Any, panel_at_now: str, artifacts: Path, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 812}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{panel_at_now}/login")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")

        page.click("nav.main-nav >> text=播出记录")
        assert "共 1 条播出记录" in page.inner_text("main")
        assert "今天的通知" in page.inner_text("main")
        chosen = page.locator(".quick-ranges [aria-current]")
        assert chosen.inner_text() == "今天"
        for button in page.locator(".quick-ranges .button").all():
            box = button.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44, button.inner_text()
        assert page.evaluate(FITS_WIDTH), "the record fits the width"
        page.screenshot(path=artifacts / f"asrun-today-{width}.png", full_page=True)

        page.click(".quick-ranges >> text=昨天")
        main = page.inner_text("main")
        assert "昨天的通知" in main and "今天的通知" not in main
        assert page.locator("input[name=from]").input_value() == "2023-03-29"

        page.click(".quick-ranges >> text=本周")
        assert "共 2 条播出记录" in page.inner_text("main")

        page.goto(f"{panel_at_now}/")
        page.click("text=报送镇里的播出报告")
        assert "2023-03-30 – 2023-03-30" in page.inner_text("main")
        assert page.locator(".quick-ranges [aria-current]").inner_text() == "今天"
        # The report's own table is wider than a phone (issue 12, item 8); its tools fit.
        for button in page.locator(".quick-ranges .button").all():
            box = button.bounding_box()
            assert box["x"] + box["width"] <= width and box["height"] >= 44, button.inner_text()
    finally:
        context.close()
