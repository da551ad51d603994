"""A street screen in a real kiosk browser: it follows the player, scrolls, and outlives the panel.

The player is another process; here a second connection to the same database
stands in for it, publishing states as the daemon does.
"""

from __future__ import annotations

import hashlib
import io
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import waitress
from PIL import Image

from media.fonts import find_cjk_font
from media.slides import render_slide, slide_png, theme_for
from playlists.content import media_table
from playlists.content.media_table import MediaRecord
from playlists.settings import Settings
from playlists.store import Store
from tests.realtime import MachineLag
from tests.web_fixtures import NOW, serving, stop_serving
from web import create_app

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

RGB = tuple[int, int, int]
RED, GREEN, BLUE, YELLOW = (220, 20, 20), (20, 200, 40), (30, 60, 230), (240, 220, 10)
LONG_NOTICE = (
    "村民朋友们，今晚七点在村委会召开防火安全会议，请每户派一名代表参加，"
    "会上将讲解秸秆禁烧、用电安全和灭火器的使用方法，请大家相互转告。"
)
SHOWN = """sha => {
  const still = document.getElementById("still");
  return still.classList.contains("on") && still.complete && still.src.endsWith(sha + ".png");
}"""
STRIP_SHOWN = """sha => {
  const strip = document.getElementById("strip");
  return document.getElementById("scroll").classList.contains("on")
    && strip.complete && strip.src.endsWith(sha + ".png");
}"""
NO_SCROLLBARS = """() => {
  const root = document.documentElement;
  return root.scrollWidth <= window.innerWidth && root.scrollHeight <= window.innerHeight;
}"""
# Record (frame time, strip position) in each animation frame for at least 500 ms. The
# page's own frame callback registered first, so it has already placed the strip for
# this frame's time: the pairs are exact however few frames a loaded machine draws.
STRIP_MOTION = """() => new Promise(resolve => {
  const strip = document.getElementById("strip");
  const frames = [];
  function sample(time) {
    frames.push([time, new DOMMatrix(getComputedStyle(strip).transform).m41]);
    const span = time - frames[0][0];
    if ((frames.length >= 3 && span >= 500) || span >= 5000) resolve(frames);
    else requestAnimationFrame(sample);
  }
  requestAnimationFrame(sample);
})"""


class ScreenServer:
    """The panel under waitress on a loopback port, which a test may shut down."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.server = waitress.create_server(
            create_app(settings, store), host="127.0.0.1", port=0, threads=4
        )
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, name="panel", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Close the listener and every open connection, as when the panel process dies."""
        if self.thread.is_alive():
            stop_serving(self.server, self.thread)


@pytest.fixture
def server(settings: Settings, store: Store) -> Iterator[ScreenServer]:
    running = ScreenServer(settings, store)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def player(settings: Settings, store: Store) -> Iterator[Store]:
    """A second connection to the database, publishing as the player daemon does."""
    publisher = Store.open(settings.db_path)
    yield publisher
    publisher.close()


@pytest.fixture
def shots(artifacts: Path) -> Path:
    folder = artifacts / "screens"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def kiosk(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page at the LED bar's size, and the script errors and CSP violations it logs."""
    context = browser.new_context(viewport={"width": 352, "height": 80})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    yield page, problems
    context.close()


def add_png(store: Store, settings: Settings, colour: RGB, size: tuple[int, int]) -> str:
    """Store a solid-colour PNG as an image media row; return its hash."""
    return add_image(store, settings, Image.new("RGB", size, colour))


def add_image(store: Store, settings: Settings, image: Image.Image) -> str:
    """Store an image as a PNG media row, as the player does for rendered slides."""
    data = slide_png(image)
    sha = hashlib.sha256(data).hexdigest()
    relative = f"{sha[:2]}/{sha}.png"
    (settings.media_dir / sha[:2]).mkdir(parents=True, exist_ok=True)
    (settings.media_dir / relative).write_bytes(data)
    media_table.add_media(store, MediaRecord(sha, "image", relative, None, len(data)), NOW)
    return sha


def slide(image: str | None, title: str = "推进五社联动", seconds: float = 10, **more: Any) -> dict:
    return {"image": image, "scroll": None, "title": title, "body": "关爱一小一老"} | {
        "seconds": seconds,
        **more,
    }


def idle(*slides: dict) -> dict:
    return {"mode": "idle", "slides": list(slides), "on_air": None}


def broadcast(one: dict, item: int = 1) -> dict:
    on_air = {"name": "社会工作宣传", "priority": "scheduled", "item": item, "items": 9}
    return {"mode": "broadcast", "slides": [one], "on_air": on_air}


def pixel(page: Any, x: int = 176, y: int = 40) -> RGB:
    with Image.open(io.BytesIO(page.screenshot())) as shot:
        red, green, blue = shot.convert("RGB").getpixel((x, y))
    return red, green, blue


def close_to(actual: RGB, wanted: RGB) -> bool:
    return all(abs(a - w) <= 12 for a, w in zip(actual, wanted, strict=True))


def publish_and_time(page: Any, player: Store, state: dict, sha: str) -> float:
    """Publish a state and return the seconds until Chromium shows its picture."""
    start = time.monotonic()
    player.set_screen_state("led-bar", state, NOW)
    page.wait_for_function(SHOWN, arg=sha, polling=20, timeout=1000)
    return time.monotonic() - start


def test_screen_follows_the_player_within_a_second(
    kiosk: tuple[Any, list[str]],
    server: ScreenServer,
    player: Store,
    settings: Settings,
    shots: Path,
) -> None:
    page, problems = kiosk
    red, green, blue, yellow = (
        add_png(player, settings, colour, (352, 80)) for colour in (RED, GREEN, BLUE, YELLOW)
    )
    player.set_screen_state("led-bar", idle(slide(red, seconds=1), slide(green, seconds=1)), NOW)
    page.goto(f"{server.url}/screen/led-bar")
    page.wait_for_function(SHOWN, arg=red, polling=20, timeout=3000)
    # Idle slides rotate in the page, each for its seconds.
    page.wait_for_function(SHOWN, arg=green, polling=20, timeout=2500)
    page.wait_for_function(SHOWN, arg=red, polling=20, timeout=2500)
    page.screenshot(path=shots / "idle.png")

    machine = MachineLag.measure()
    latencies = [publish_and_time(page, player, broadcast(slide(blue)), blue)]
    assert close_to(pixel(page), BLUE)
    page.screenshot(path=shots / "broadcast-blue.png")
    latencies.append(publish_and_time(page, player, broadcast(slide(yellow), item=2), yellow))
    assert close_to(pixel(page), YELLOW)
    for item in range(3, 9):  # switch back and forth for a few more samples
        sha = blue if item % 2 else yellow
        latencies.append(publish_and_time(page, player, broadcast(slide(sha), item), sha))
    print(
        f"set_screen_state -> shown: median {statistics.median(latencies) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms over {len(latencies)} switches"
    )
    assert max(latencies) < machine.allow(1.0), machine
    assert page.get_attribute("#stage", "data-mode") == "broadcast"
    assert page.get_attribute("#stage", "data-link") == "up"
    assert problems == [], problems


def test_screen_keeps_showing_and_rotating_when_the_panel_is_gone(
    kiosk: tuple[Any, list[str]],
    server: ScreenServer,
    player: Store,
    settings: Settings,
    shots: Path,
) -> None:
    page, _problems = kiosk
    red, green = (add_png(player, settings, colour, (352, 80)) for colour in (RED, GREEN))
    player.set_screen_state("led-bar", idle(slide(red, seconds=1), slide(green, seconds=1)), NOW)
    page.goto(f"{server.url}/screen/led-bar")
    page.wait_for_function(SHOWN, arg=green, polling=20, timeout=4000)

    server.stop()
    page.wait_for_function(
        "() => document.getElementById('stage').dataset.link === 'down'", timeout=3000
    )
    page.wait_for_timeout(2000)
    # Still a picture from the last state, still rotating from what the page holds.
    page.wait_for_function(SHOWN, arg=red, polling=20, timeout=1500)
    page.wait_for_function(SHOWN, arg=green, polling=20, timeout=1500)
    assert any(close_to(pixel(page), colour) for colour in (RED, GREEN))
    assert page.inner_text("body").strip() == ""  # no error text on the street
    assert page.evaluate(NO_SCROLLBARS)
    page.screenshot(path=shots / "panel-down.png")


def test_screen_reconnects_by_itself(
    kiosk: tuple[Any, list[str]],
    server: ScreenServer,
    player: Store,
    settings: Settings,
    store: Store,
) -> None:
    page, _problems = kiosk
    red, blue = (add_png(player, settings, colour, (352, 80)) for colour in (RED, BLUE))
    player.set_screen_state("led-bar", broadcast(slide(red)), NOW)
    page.goto(f"{server.url}/screen/led-bar")
    page.wait_for_function(SHOWN, arg=red, polling=20, timeout=3000)
    port = int(server.url.rsplit(":", 1)[1])
    server.stop()
    page.wait_for_timeout(3000)  # long enough to back off to the slowest retry

    player.set_screen_state("led-bar", broadcast(slide(blue)), NOW)
    with serving(create_app(settings, store), port=port):
        # Retries back off to 2 s at most, so the new state shows soon after the panel returns.
        page.wait_for_function(SHOWN, arg=blue, polling=20, timeout=3500)
        assert page.get_attribute("#stage", "data-link") == "up"


def test_scroll_strip_moves_right_to_left_at_a_readable_speed(
    kiosk: tuple[Any, list[str]],
    server: ScreenServer,
    player: Store,
    settings: Settings,
    shots: Path,
) -> None:
    page, problems = kiosk
    rendered = render_slide(
        "防火安全", LONG_NOTICE, 352, 80, theme=theme_for(352, 80), font=find_cjk_font()
    )
    assert rendered.scroll is not None, "the notice should be too long for the bar"
    still = add_image(player, settings, rendered.image)
    strip = add_image(player, settings, rendered.scroll)
    player.set_screen_state("led-bar", broadcast(slide(still, scroll=strip)), NOW)
    page.goto(f"{server.url}/screen/led-bar")
    page.wait_for_function(STRIP_SHOWN, arg=strip, polling=20, timeout=3000)
    page.screenshot(path=shots / "scroll-start.png")
    frames = page.evaluate(STRIP_MOTION)
    (t0, x0), (t1, x1) = frames[0], frames[-1]
    assert x1 < x0 <= 0  # it starts where the still does and moves right to left
    speed = (x0 - x1) / ((t1 - t0) / 1000)
    print(f"strip moved {x0 - x1:.0f} px in {t1 - t0:.0f} ms over {len(frames)} frames")
    assert speed == pytest.approx(1.5 * 80, abs=5)  # 1.5 screen heights per second
    page.wait_for_timeout(1500)
    page.screenshot(path=shots / "scroll-later.png")
    assert page.evaluate(NO_SCROLLBARS)
    assert problems == [], problems


@pytest.mark.parametrize(
    ("window", "screen", "size"),
    [((352, 80), "led-bar", (352, 80)), ((1280, 720), "led-wall", (960, 576))],
    ids=["bar-window", "wall-in-larger-window"],
)
def test_text_fallback_is_escaped_fitted_and_never_scrolls(
    browser: Any,
    server: ScreenServer,
    player: Store,
    shots: Path,
    window: tuple[int, int],
    screen: str,
    size: tuple[int, int],
) -> None:
    nasty = "<img src=x onerror=\"window.pwned=1\"> 关于开展'社会工作宣传周'活动的通知"
    long_body = "请各村于4月9日前将宣传活动开展情况及图片资料报送镇民政办。" * 4
    player.set_screen_state(screen, broadcast(slide(None, title=nasty, body=long_body)), NOW)
    context = browser.new_context(viewport={"width": window[0], "height": window[1]})
    page = context.new_page()
    try:
        page.goto(f"{server.url}/screen/{screen}")
        page.wait_for_function(
            "() => document.getElementById('stage').dataset.seq === '1'", timeout=3000
        )
        assert page.text_content("#title") == nasty
        assert page.evaluate("() => document.querySelectorAll('img').length") == 2  # ours only
        assert page.evaluate("() => window.pwned") is None
        assert page.evaluate(NO_SCROLLBARS)
        box = page.locator("#stage").bounding_box()
        assert box == {"x": 0, "y": 0, "width": size[0], "height": size[1]}
        words = page.locator("#words").bounding_box()
        assert words is not None and words["height"] <= size[1]
        page.screenshot(path=shots / f"text-{screen}.png")
    finally:
        context.close()


def test_station_name_shows_before_the_first_state(
    kiosk: tuple[Any, list[str]], server: ScreenServer, settings: Settings
) -> None:
    page, problems = kiosk
    page.goto(f"{server.url}/screen/led-bar")
    page.wait_for_function("() => document.getElementById('stage').dataset.seq === '0'")
    assert page.text_content("#title") == settings.station.name
    assert page.evaluate("() => document.getElementById('text').classList.contains('on')")
    assert page.evaluate(NO_SCROLLBARS)
    assert problems == [], problems
