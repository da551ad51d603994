"""Count the taps of an operator's eight everyday tasks, done in Chromium on a 375 px phone.

Run: .venv/bin/python bench/tap_count.py [--width PX]

A sample station (bench/sample_panel.py) with its player running on `mpv --ao=null`; the
panel in Chinese. Each task starts where an operator would start it (the dashboard,
logged in) and is done the way the pages offer, by clicking. A tap is a click on a link,
button, checkbox, toggle or an audio player, or a choice in a list; typing is not a tap.
Counts do not depend on the machine's speed. Printed: one row a task with its taps and
the target of issue 12 where it sets one; the exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sample_panel import OPERATOR, PASSWORD, REVIEWER, log_in, sample_panel  # noqa: E402
from playlists.access import users  # noqa: E402
from playlists.clock import utc_now  # noqa: E402
from playlists.settings import AudioSettings, PlayerSettings  # noqa: E402
from playlists.store import Store  # noqa: E402
from scheduler.daemon import Daemon  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MPV_NULL = ("mpv", "--ao=null", "--no-video", "--no-terminal", "--really-quiet",
            "--start={offset}", "{file}")  # fmt: skip
NOTICE = "村民朋友们，本周六上午八点在村委会广场开展秸秆禁烧宣传，请各户派一名代表参加。"
EMERGENCY = "紧急通知：河水上涨，请沿河住户立即转移到村小学。"
NEW_USER = "xiaowang"


@dataclasses.dataclass(frozen=True)
class TaskCount:
    """One everyday task: the taps it took and the most issue 12 allows (None: no target)."""

    name: str
    taps: int
    target: int | None

    @property
    def met(self) -> bool:
        return self.target is None or self.taps <= self.target


class Taps:
    """A page whose clicks are counted; waits for the page each click leads to."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.count = 0

    def tap(self, locator: Any) -> None:
        locator.click()
        self.page.wait_for_load_state()
        self.count += 1

    def choose(self, locator: Any, label: str) -> None:
        locator.select_option(label=label)
        self.count += 1

    def hear(self, audio: Any) -> None:
        """Tap an audio player's ▶ (its left end) and wait until it plays."""
        audio.scroll_into_view_if_needed()
        self.page.wait_for_function("a => a.readyState >= 1", arg=audio.element_handle())
        box = audio.bounding_box()
        self.page.mouse.click(box["x"] + 18, box["y"] + box["height"] / 2)
        self.count += 1
        audio.evaluate("a => a.paused", timeout=10_000)
        self.page.wait_for_function(
            "a => !a.paused || a.ended", arg=audio.element_handle(), timeout=10_000
        )

    def nav(self, label: str) -> None:
        self.tap(self.page.locator("nav.main-nav").get_by_role("link", name=label))

    def button(self, label: str, within: Any = None) -> None:
        self.tap((within or self.page).get_by_role("button", name=label).first)

    def flash(self) -> str:
        return " ".join(self.page.locator("main .flash").all_inner_texts())


def first_log_in(taps: Taps, url: str) -> None:
    page = taps.page
    page.goto(f"{url}/login")
    page.fill("#username", NEW_USER)
    page.fill("#password", PASSWORD)
    taps.button("登录")
    page.fill("#current_password", PASSWORD)
    page.fill("#new_password", "xiaowang-2024-new")
    page.fill("#confirm", "xiaowang-2024-new")
    taps.button("修改密码")
    assert page.url == f"{url}/", page.url


def write_hear_submit(taps: Taps, url: str) -> None:
    page = taps.page
    taps.nav("广播通知")
    page.fill("#title", "秸秆禁烧")
    page.fill("#text", NOTICE)
    taps.button("保存并生成语音")
    notice = page.locator("article.announcement", has_text="秸秆禁烧").first
    taps.hear(notice.locator("audio[src]"))
    taps.button("提交审核", within=notice)
    assert "待审核" in notice.inner_text() or "审核" in taps.flash(), taps.flash()


def build_playlist(taps: Taps, url: str) -> None:
    """安排播出 on the notice makes its playlist, sends it for review and opens the form."""
    taps.nav("广播通知")
    notice = taps.page.locator("article.announcement", has_text="秸秆禁烧").first
    taps.button("安排播出", within=notice)
    assert "/schedule/new" in taps.page.url, taps.page.url


def approve_playlist(taps: Taps, url: str) -> None:
    page = taps.page
    taps.nav("审核")
    entry = page.locator("article[id^=review-playlist-]", has_text="秸秆禁烧")
    taps.button("审核通过", within=entry)
    assert "秸秆禁烧" in taps.flash() and not entry.count(), taps.flash()
    left = page.locator("article.review-entry", has_text="秸秆禁烧").count()
    assert left == 0, "the notice is approved along with its playlist"


def schedule_it(taps: Taps, url: str) -> None:
    page = taps.page
    taps.nav("广播通知")
    notice = page.locator("article.announcement", has_text="秸秆禁烧").first
    taps.button("安排播出", within=notice)
    assert "秸秆禁烧" in page.locator("#playlist_id option:checked").inner_text()
    page.fill("#times", "19:00")
    taps.tap(page.locator("form.schedule-form button[type=submit]"))
    if page.locator("form.schedule-form").count():  # a warning asks to save anyway
        taps.tap(page.locator("form.schedule-form button[type=submit]"))
    assert page.url.startswith(f"{url}/schedule") and "/new" not in page.url, taps.flash()


def play_and_stop(taps: Taps, url: str) -> None:
    page = taps.page
    taps.nav("节目单")
    card = page.locator("article.playlist", has_text="秸秆禁烧").first
    taps.tap(card.locator("details.play-confirm > summary"))
    taps.tap(card.get_by_role("button", name="确认，立即向全村播放"))
    if not page.locator("#player-status").count():
        taps.nav("播出状态")
    page.locator("#player-status[data-playing=yes]").wait_for(timeout=20_000)
    taps.button("停止播放")
    page.locator("#player-status[data-playing=no]").wait_for(timeout=20_000)


def emergency(taps: Taps, url: str) -> None:
    page = taps.page
    page.fill("#emergency-text", EMERGENCY)
    taps.tap(page.locator("#emergency-form label.confirm"))
    taps.tap(page.locator("#emergency-form button[type=submit]"))
    assert page.locator("main .flash-info").count(), taps.flash()


def todays_record(taps: Taps, url: str) -> None:
    page = taps.page
    taps.nav("播出记录")
    assert page.locator(".quick-ranges [aria-current]").inner_text().strip() == "今天"
    assert page.locator("main table tbody tr").count() >= 1, "today's broadcasts are listed"


def town_report(taps: Taps, url: str) -> None:
    taps.tap(taps.page.get_by_role("link", name="报送镇里的播出报告"))
    assert "/asrun/report" in taps.page.url


def street_screens(taps: Taps, url: str) -> None:
    taps.nav("屏幕")
    assert taps.page.locator("iframe").count() >= 1


# (task, who does it, where it starts, target of issue 12)
TASKS: tuple[tuple[str, Callable[[Taps, str], None], str | None, int | None], ...] = (
    ("first log-in (choose a password)", first_log_in, None, None),
    ("write + hear + submit a notice", write_hear_submit, OPERATOR, 5),
    ("put it in a playlist (sent for review)", build_playlist, OPERATOR, None),
    ("approve the playlist with its notices", approve_playlist, REVIEWER, 3),
    ("schedule it", schedule_it, OPERATOR, 6),
    ("play it now and stop it", play_and_stop, OPERATOR, None),
    ("emergency broadcast", emergency, OPERATOR, 3),
    ("today's record", todays_record, OPERATOR, 1),
    ("the report for the town", town_report, OPERATOR, None),
    ("the street screens", street_screens, OPERATOR, None),
)


def run_tasks(browser: Any, url: str, width: int = 375) -> list[TaskCount]:
    """Do every task in order, each in a fresh browser context, and count its taps."""
    counts = []
    for name, task, user, target in TASKS:
        context = browser.new_context(viewport={"width": width, "height": 812}, locale="zh-CN")
        try:
            page = context.new_page()
            if user:
                log_in(page, url, user)
            taps = Taps(page)
            print(f"{name}…", file=sys.stderr, flush=True)
            task(taps, url)
            counts.append(TaskCount(name, taps.count, target))
        finally:
            context.close()
    return counts


@contextmanager
def station_with_player(data_dir: Path) -> Iterator[str]:
    """Serve a sample panel and run its player in a thread (no quiet hours, mpv --ao=null)."""
    changes = {
        "audio": AudioSettings(sink="command", command=MPV_NULL),
        "player": PlayerSettings(quiet_hours=(), poll_seconds=0.05),
    }
    with sample_panel(data_dir, **changes) as (url, settings, store):
        users.add_user(store, NEW_USER, PASSWORD, "operator", utc_now(), must_change_password=True)
        player_store = Store.open(settings.db_path)
        daemon = Daemon(settings, player_store)
        thread = threading.Thread(target=daemon.run, name="player", daemon=True)
        thread.start()
        try:
            yield url
        finally:
            daemon.stop()
            thread.join(timeout=10)
            player_store.close()


def table(counts: list[TaskCount]) -> str:
    rows = [f"{'task':<48} {'taps':>4}  {'target':>6}  met"]
    for c in counts:
        target = f"≤ {c.target}" if c.target is not None else "–"
        rows.append(f"{c.name:<48} {c.taps:>4}  {target:>6}  {'yes' if c.met else 'NO'}")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=375, help="viewport width in px")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as tmp,
        station_with_player(Path(tmp) / "data") as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            counts = run_tasks(browser, url, args.width)
        finally:
            browser.close()
    print(table(counts))
    return 0 if all(c.met for c in counts) else 1


if __name__ == "__main__":
    sys.exit(main())
