"""An operator records an announcement's voice with the phone's microphone, in Chromium.

Chromium's fake microphone plays a WAV file of espeak-ng speech (looped) into
getUserMedia; the page records it with MediaRecorder, plays it back and uploads it
through the announcement's voice form.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from media.audio import probe
from media.tts import EspeakEngine
from playlists.content import announcement_table, announcing, media_table
from playlists.content.ingest import Ingest
from playlists.model import Review
from playlists.settings import Settings
from playlists.store import Store
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.kit import FITS_WIDTH
from tests.web_fixtures import PASSWORD

PLAYBACK_READY = """() => {
  const audio = document.querySelector(".recorder-playback");
  return audio !== null && !audio.hidden && audio.readyState >= 1 && audio.src.startsWith("blob:");
}"""

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml


@pytest.fixture
def microphone_browser(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Chromium whose microphone says a notice, answering yes to the microphone prompt."""
    folder = tmp_path_factory.mktemp("microphone")
    speech = folder / "speech.wav"
    EspeakEngine().synthesize("村民朋友们，明天上午八点到十点停水，请提前储水。", speech)
    voice = folder / "microphone.wav"  # 16-bit PCM at 48 kHz, as a sound card gives
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(speech), "-ar", "48000",
         "-ac", "1", "-c:a", "pcm_s16le", str(voice)],
        check=True,
    )  # fmt: skip
    fake_microphone = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={voice}",
    ]
    # A second Chromium from the session's Playwright: the flags are per process.
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *fake_microphone]
    )
    yield chromium
    chromium.close()


def integrated_loudness(path: Path) -> float:
    log = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path),
         "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    found = re.search(r"I:\s+(-?\d+\.\d) LUFS", log[log.rindex("Summary:") :])
    assert found, log
    return float(found.group(1))


def test_operator_records_the_voice_on_a_phone(
    microphone_browser: Any,
    panel_url: str,
    settings: Settings,
    store: Store,
    artifacts: Path,
) -> None:
    from playwright.sync_api import expect

    ingest = Ingest(store, settings)
    announcement_id = announcing.create(
        ingest, "停水通知", "村民朋友们，明天上午停水。", "op", review=Review.APPROVED
    )
    before = announcement_table.get_announcement(store, announcement_id)
    assert before.engine == "espeak-ng"

    context = microphone_browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{panel_url}/announcements")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        article = page.locator(f"#announcement-{announcement_id}")
        article.locator(".voice-upload summary").click()
        recorder = article.locator(".recorder")
        expect(recorder).to_be_visible()
        expect(article.locator(".recorder-unavailable")).to_be_hidden()

        recorder.locator("button.record").click()
        status = recorder.locator(".recorder-status")
        expect(status).to_contain_text("正在录音…")
        expect(status).to_have_text("正在录音… 0:03", timeout=15000)
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways while recording"
        recorder.locator("button.stop-recording").click()
        expect(status).to_have_text(re.compile(r"^已录好 0:0[34]。请先试听，再上传。$"))
        page.wait_for_function(PLAYBACK_READY)
        expect(recorder.locator("button.record")).to_have_text("● 重新录音")
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
        page.screenshot(path=artifacts / "microphone-375.png", full_page=True)

        recorder.locator("button.recorder-upload").click()
        expect(page.locator(".flash-info")).to_contain_text("“停水通知”已改用录音播出。请提交审核")
        expect(page.locator(f"#announcement-{announcement_id}")).to_contain_text("语音：自录语音")
    finally:
        context.close()
    assert problems == [], problems

    after = announcement_table.get_announcement(store, announcement_id)
    assert (after.engine, after.review, after.changed_by) == ("recording", Review.DRAFT, "op")
    assert after.media_sha256 != before.media_sha256
    record = media_table.get_media(store, after.media_sha256)
    assert record is not None and record.voice is not None
    assert re.fullmatch(r"microphone\.(webm|ogg|m4a)", record.voice), record.voice
    clip = settings.media_dir / record.path
    info = probe(clip)
    assert (info.codec, info.sample_rate, info.channels) == ("pcm_s16le", 44100, 1)
    # About three seconds were recorded; the leveling trims only silence at the ends.
    assert 2.0 < info.duration < 4.5
    assert after.duration == pytest.approx(info.duration, abs=0.01)
    assert integrated_loudness(clip) == pytest.approx(-16, abs=0.5)


def test_where_the_browser_cannot_record_it_says_to_upload_a_file(
    browser: Any, panel_url: str, settings: Settings, store: Store
) -> None:
    """A plain http:// address on the village LAN has no getUserMedia: the page says why."""
    from playwright.sync_api import expect

    announcing.create(Ingest(store, settings), "停水通知", "明天上午停水。", "op")
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    # What an insecure origin looks like to a script: no navigator.mediaDevices.
    context.add_init_script("Object.defineProperty(navigator, 'mediaDevices', {value: undefined})")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        page.goto(f"{panel_url}/announcements")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        article = page.locator("article.announcement").first
        article.locator(".voice-upload summary").click()
        expect(article.locator(".recorder-unavailable")).to_contain_text("https://")
        expect(article.locator(".recorder")).to_be_hidden()
        expect(article.locator("input[type=file]")).to_be_visible()
        assert page.evaluate(FITS_WIDTH), "the page scrolls sideways"
    finally:
        context.close()
    assert problems == [], problems
