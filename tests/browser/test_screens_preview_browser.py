"""The screens preview in Chromium: every screen's live page, scaled to its card, on a phone too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from playlists.settings import Settings
from playlists.store import Store
from tests.browser.kit import FITS_WIDTH
from tests.web_fixtures import NOW, PASSWORD

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

# Each preview box and the frame in it as drawn (the frame's rectangle includes its scale).
GEOMETRY = """() => [...document.querySelectorAll(".screen-preview")].map(box => {
  const outer = box.getBoundingClientRect();
  const frame = box.querySelector("iframe");
  const inner = frame.getBoundingClientRect();
  const pad = getComputedStyle(box.parentElement);
  const room = box.parentElement.clientWidth
    - parseFloat(pad.paddingLeft) - parseFloat(pad.paddingRight);
  return {
    width: Number(box.dataset.width), height: Number(box.dataset.height),
    card: room, box: [outer.width, outer.height],
    frame: [inner.left - outer.left, inner.top - outer.top, inner.width, inner.height],
    scriptScaled: frame.style.transform !== "",
  };
})"""
# Pretend to be an older browser without container units or tan/atan2 in CSS.
OLD_CSS = """(() => {
  const supports = CSS.supports.bind(CSS);
  CSS.supports = (...args) => !String(args.join(" ")).match(/cqw|atan2/) && supports(...args);
})();"""


@pytest.mark.parametrize(
    ("width", "old_css"),
    [(375, False), (1280, False), (375, True)],
    ids=["phone-375", "desktop-1280", "phone-375-older-browser"],
)
def test_screens_page_shows_every_screen_scaled_to_fit(
    browser: Any,
    panel_url: str,
    store: Store,
    settings: Settings,
    artifacts: Path,
    width: int,
    old_css: bool,
) -> None:
    from playwright.sync_api import expect

    for screen in settings.screens:
        state = {"mode": "idle", "on_air": None, "slides": [_text_slide(screen.name)]}
        store.set_screen_state(screen.name, state, NOW)
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
    if old_css:
        context.add_init_script(OLD_CSS)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        page.goto(f"{panel_url}/screens")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        expect(page.locator("h1")).to_have_text("屏幕")
        for number, screen in enumerate(settings.screens, 1):
            frame = page.frame_locator(f"#screen-{number} iframe")
            expect(frame.locator("#stage")).to_have_attribute("data-screen", screen.name)
            expect(frame.locator("#title")).to_have_text(f"屏幕 {screen.name}")
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
        for shown in page.evaluate(GEOMETRY):
            _check_fit(shown)
            assert shown["scriptScaled"] is old_css  # CSS scales it; screens.js only if it cannot
        name = f"screens-{width}" + ("-older-browser" if old_css else "")
        page.screenshot(path=artifacts / f"{name}.png", full_page=True)
    finally:
        context.close()
    assert problems == [], problems  # no script errors, no CSP refusals of the frames


def _text_slide(name: str) -> dict[str, Any]:
    return {"image": None, "scroll": None, "title": f"屏幕 {name}", "body": "", "seconds": 30}


def _check_fit(shown: dict[str, Any]) -> None:
    """The box is as wide as the card allows, up to the screen's width, at the screen's ratio;
    the frame fills it exactly."""
    box_width, box_height = shown["box"]
    assert box_width == pytest.approx(min(shown["card"], shown["width"]), abs=1), shown
    assert box_height == pytest.approx(box_width * shown["height"] / shown["width"], abs=1), shown
    left, top, frame_width, frame_height = shown["frame"]
    assert (left, top) == (pytest.approx(0, abs=0.5), pytest.approx(0, abs=0.5)), shown
    assert frame_width == pytest.approx(box_width, abs=1), shown
    assert frame_height == pytest.approx(box_height, abs=1), shown
