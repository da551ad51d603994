"""An operator's first minutes in a real browser, on a phone and on a desktop."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from playlists.commands import ReasonCode, answer
from playlists.settings import AudioSettings, Settings
from playlists.store import Store
from scheduler.daemon import Daemon
from tests.browser.kit import FITS_WIDTH
from tests.conftest import live_player
from tests.web.test_uploads import pink_noise
from tests.web_fixtures import PASSWORD, FakePlayer, add_fake_announcement

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

TEXT = "村民朋友们，今晚七点在村委会召开防火安全会议，请每户派一名代表参加。"

AUDIO_READY = """() => {
  const audio = document.querySelector("article.announcement audio");
  return audio !== null && audio.readyState >= 1 && audio.duration > 0;
}"""


MPV_NULL = ("mpv", "--ao=null", "--no-video", "--no-terminal", "--really-quiet",
            "--start={offset}", "{file}")  # fmt: skip


@pytest.fixture
def player(settings: Settings) -> Iterator[Daemon]:
    """The real player daemon in a thread, playing on `mpv --ao=null` in real time."""
    live = dataclasses.replace(
        settings,
        audio=AudioSettings(sink="command", command=MPV_NULL),
        player=live_player(poll_seconds=0.05),
    )
    store = Store.open(live.db_path)
    daemon = Daemon(live, store)
    thread = threading.Thread(target=daemon.run, name="player", daemon=True)
    thread.start()
    yield daemon
    daemon.stop()
    thread.join(timeout=10)
    store.close()


def log_in_as(context: Any, panel_url: str, username: str) -> Any:
    page = context.new_page()
    page.goto(f"{panel_url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    return page


@pytest.mark.parametrize(
    ("width", "height"), [(375, 812), (1280, 800)], ids=["phone-375", "desktop-1280"]
)
def test_a_notice_from_writing_to_the_as_run_csv(
    browser: Any,
    panel_url: str,
    store: Store,
    player: Daemon,
    artifacts: Path,
    width: int,
    height: int,
) -> None:
    """Write, hear, submit; a reviewer approves; schedule, calendar, play now, dashboard, CSV."""
    from playwright.sync_api import expect

    options = {"viewport": {"width": width, "height": height}, "locale": "zh-CN"}
    operator, reviewer = browser.new_context(**options), browser.new_context(**options)
    problems: list[str] = []
    shots = artifacts / f"flow-{width}"
    shots.mkdir(exist_ok=True)

    def shot(page: Any, name: str) -> None:
        assert page.evaluate(FITS_WIDTH), f"{name}: the page scrolls sideways"
        page.screenshot(path=shots / f"{name}.png", full_page=True)

    try:
        page = log_in_as(operator, panel_url, "op")
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        expect(page.locator("h1")).to_have_text("正在播出")

        # The operator writes the notice and hears it.
        page.click("nav.main-nav >> text=广播通知")
        page.fill("#title", "防火安全会议")
        page.fill("#text", TEXT)
        expect(page.locator("#text-count")).to_have_text(f"{len(TEXT)} 字，预计播出约 0:07")
        page.click("#compose button[type=submit]")
        expect(page.locator(".flash-info")).to_contain_text("通知已保存")
        article = page.locator("article.announcement").first
        expect(article.locator("h3")).to_contain_text("防火安全会议")
        expect(article.locator(".badge")).to_have_text("草稿")
        page.wait_for_function(AUDIO_READY, timeout=10000)
        shot(page, "1-written")
        article.locator("text=提交审核").click()
        expect(page.locator(".flash-info")).to_contain_text("已提交审核")

        # ... puts it in a playlist and sends that for review too.
        page.click("nav.main-nav >> text=节目单")
        page.fill("#name", "防火宣传")
        page.click("#new button[type=submit]")
        page.locator("details.add-item summary").first.click()  # 通知
        page.select_option("#announcement", index=1)
        page.click("text=添加通知")
        expect(page.locator(".flash-info")).to_contain_text("已添加通知")
        page.click("#summary >> text=提交审核")
        expect(page.locator(".flash-info")).to_contain_text("已提交审核")
        shot(page, "2-playlist")

        # A reviewer hears it and approves the playlist with its notice in one tap.
        review = log_in_as(reviewer, panel_url, "rev")
        review.click("nav.main-nav >> text=审核")
        expect(review.locator("article.review-entry")).to_have_count(2)
        review.wait_for_function(
            "() => { const a = document.querySelector('article.review-entry audio');"
            " return a !== null && a.readyState >= 1 && a.duration > 0; }",
            timeout=10000,
        )
        shot(review, "3-review")
        review.locator("article[id^=review-playlist]").locator("text=审核通过").click()
        expect(review.locator(".flash-info")).to_contain_text("及其中的通知")
        expect(review.locator(".empty")).to_have_text("没有待审核的内容。")

        # The operator schedules it every evening of the campaign and sees the calendar.
        page.click("nav.main-nav >> text=播出日程")
        page.click("text=添加播出安排")
        page.select_option("#playlist_id", index=1)
        # The form opens on today (the real clock here): ask for the campaign's days.
        page.fill("#start", "2023-03-28")
        page.fill("#end", "2023-04-07")
        page.fill("#times", "19:00")
        page.click("form.schedule-form button[type=submit]")
        expect(page.locator(".flash-info")).to_contain_text("的播出安排已保存")
        calendar = page.locator(".calendar-days" if width < 720 else ".calendar-wide")
        expect(calendar).to_contain_text("防火宣传")
        expect(calendar).to_contain_text("19:00")
        shot(page, "4-calendar")

        # Play now: the player plays it and the dashboard says so.
        page.click("nav.main-nav >> text=节目单")
        # The first tap asks, the second plays to the whole village.
        card = page.locator("article.playlist", has_text="防火宣传")
        card.locator("summary.play").click()
        expect(card.locator(".play-question")).to_contain_text("将立即在全村所有喇叭播出")
        card.locator("button.play").click()
        expect(page.locator(".flash-info")).to_have_text("播放器已开始播出。", timeout=5000)
        expect(page.locator("#now-playing-name")).to_have_text("防火宣传", timeout=5000)
        shot(page, "5-on-air")
        page.locator(".when-idle").wait_for(state="visible", timeout=30000)

        # The as-run CSV of today has the broadcast as played.
        today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
        page.goto(f"{panel_url}/asrun?from={today}&to={today}")
        expect(page.locator("table")).to_contain_text("防火宣传")
        shot(page, "6-asrun")
        with page.expect_download() as download:
            page.click("text=导出 CSV")
        csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    finally:
        operator.close()
        reviewer.close()
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [(r["节目单"], r["状态"], r["操作人"]) for r in rows] == [("防火宣传", "已播出", "op")]
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

        form.locator("#emergency-repeat").select_option("2")  # said twice, 3 s apart
        form.locator("input[name=confirm]").check()
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
        page.screenshot(path=artifacts / "emergency-375.png", full_page=True)
        with FakePlayer(store, answer(ReasonCode.STARTED)):
            form.locator("button[type=submit]").click()
            expect(page.locator(".flash-info")).to_have_text(
                "紧急广播正在播出：“紧急通知”，共播 2 遍。", timeout=15000
            )
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
    finally:
        context.close()
    [command] = store.query("SELECT kind, payload FROM commands")
    assert command["kind"] == "play" and '"priority": "emergency"' in command["payload"]
    assert '"repeat": 2, "gap": 3' in command["payload"]
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
        article.locator(".voice-upload summary").click()  # folded away until asked for
        article.locator("input[type=file]").set_input_files(str(recording))
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
        page.screenshot(path=artifacts / "recording-375.png", full_page=True)
        article.locator(".voice-upload button[type=submit]").click()
        expect(page.locator(".flash-info")).to_contain_text("“停水通知”已改用录音播出。请提交审核")
        expect(page.locator("article.announcement").first).to_contain_text("语音：自录语音")
    finally:
        context.close()
    assert problems == [], problems
