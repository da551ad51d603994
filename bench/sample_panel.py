"""A panel with today's sample data on loopback, for the browser checks of every page.

`villagecast init` (the sample campaign, approved), then what a station holds after a day:
the sample playlist scheduled from today, a notice and a playlist waiting for review,
today's broadcast record (played, missed, a manual and an emergency broadcast), an API
token, and two villages that sent their records, so the town's pages are not empty either.
Used by bench/tap_count.py and tests/browser/test_accessibility_browser.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import waitress

from playlists.access import tokens, users
from playlists.clock import station_today, utc_now
from playlists.content import announcement_table, playlist_table
from playlists.content.ingest import Ingest
from playlists.model import ItemKind, Outcome, Priority, Review
from playlists.schedule import entry_table
from playlists.settings import AudioSettings, BroadcastSettings, Settings, TtsSettings
from playlists.store import Store, to_db_time
from playlists.town import village_asrun, villages
from web import create_app

PASSWORD = "sample-password"
# Who opens which page: the least role that may (admin pages as the admin).
OPERATOR, REVIEWER, ADMIN = "op", "rev", "chief"
ROLES = {OPERATOR: "operator", REVIEWER: "reviewer", ADMIN: "admin"}
PENDING_TEXT = "村民朋友们，明天上午九点在村委会开展免费体检，请六十五岁以上老人带好身份证参加。"
VILLAGES = ("东风村", "红旗村（社区）")


def sample_settings(data_dir: Path) -> Settings:
    """Return settings for a sample station: offline speech, audio to a file, no openers."""
    return Settings(
        data_dir=data_dir,
        tts=TtsSettings(engines=("espeak-ng",)),
        audio=AudioSettings(sink="recording"),
        broadcast=BroadcastSettings(chime=False, lead_in_seconds=0, gap_seconds=0),
    )


def build_station(settings: Settings) -> None:
    """Initialize the data folder and fill it as a station looks after a day of work."""
    from scheduler import commands

    with contextlib.redirect_stdout(io.StringIO()):  # init prints the admin's password
        commands.init(settings)
    store = Store.open(settings.db_path)
    try:
        _seed(store, settings, utc_now())
    finally:
        store.close()


def _seed(store: Store, settings: Settings, now: dt.datetime) -> None:
    for username, role in ROLES.items():
        users.add_user(store, username, PASSWORD, role, now, may_emergency=role == "operator")
    tokens.create_token(store, ADMIN, "广播机房电脑", now)
    sample_id = store.query("SELECT id FROM playlists ORDER BY id")[0]["id"]
    today = station_today(now, settings.tz)
    times = (dt.time(7, 30), dt.time(12, 0), dt.time(18, 30))
    entry_table.add_schedule(
        store, sample_id, today, today + dt.timedelta(days=6), times, frozenset(range(7)),
        Priority.SCHEDULED, now,
    )  # fmt: skip
    _add_pending(store, settings, now)
    _add_record(store, sample_id, now)
    _add_villages(store, now)


def _add_pending(store: Store, settings: Settings, now: dt.datetime) -> None:
    record = Ingest(store, settings).speak(PENDING_TEXT)
    notice = announcement_table.add_announcement(
        store, "免费体检通知", PENDING_TEXT, record.sha256, OPERATOR, now, review=Review.PENDING
    )
    item = playlist_table.NewItem(
        ItemKind.ANNOUNCEMENT, record.duration, announcement_id=notice, media_sha256=record.sha256
    )
    playlist_table.add_playlist(
        store, "健康服务宣传", "", [item], now, review=Review.PENDING, created_by=OPERATOR
    )


def _add_record(store: Store, playlist_id: int, now: dt.datetime) -> None:
    """Today's broadcasts so far: two scheduled ones, a manual one and an emergency."""
    rows = [
        (f"{playlist_id}@sample-1", Priority.SCHEDULED, Outcome.PLAYED, 3, None),
        (f"{playlist_id}@sample-2", Priority.SCHEDULED, Outcome.MISSED, 2, None),
        (None, Priority.MANUAL, Outcome.PLAYED, 1, OPERATOR),
        (None, Priority.EMERGENCY, Outcome.PLAYED, 0.5, OPERATOR),
    ]
    with store.transaction() as conn:
        for occurrence, priority, status, hours_ago, by in rows:
            start = now - dt.timedelta(hours=hours_ago)
            played = status is Outcome.PLAYED
            conn.execute(
                "INSERT INTO as_run (occurrence, schedule_id, playlist_id, playlist_name, "
                "priority, scheduled_at, started_at, ended_at, status, reason, requested_by) "
                "VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, '', ?)",
                (
                    occurrence, playlist_id, "社会工作主题宣传", priority.value, to_db_time(start),
                    to_db_time(start) if played else None,
                    to_db_time(start + dt.timedelta(seconds=95)) if played else None,
                    status.value, by,
                ),
            )  # fmt: skip


def _add_villages(store: Store, now: dt.datetime) -> None:
    """Two villages that reported today: the town's pages have rows with long names."""
    for number, name in enumerate(VILLAGES, start=1):
        device = villages.verify(store, villages.add_village(store, name, "cli:town", now))
        assert device is not None
        heartbeat = {
            "now": now.isoformat(), "clock_synchronized": True, "now_playing": "",
            "free_mb": 2048.0, "version": "0.9", "player_running": True,
        }  # fmt: skip
        villages.record_heartbeat(store, device.id, heartbeat, now)
        start = now - dt.timedelta(hours=number)
        row = {
            "id": 1, "occurrence": f"1@{to_db_time(start)}", "playlist": "社会工作主题宣传",
            "priority": "scheduled", "scheduled": start.isoformat(),
            "started": start.isoformat(), "ended": (start + dt.timedelta(minutes=2)).isoformat(),
            "status": "played", "reason": "", "requested_by": None,
        }  # fmt: skip
        village_asrun.store_batch(store, device.id, [row], now)


@dataclasses.dataclass
class Served:
    """A panel serving on a loopback port; close() ends it."""

    url: str
    server: object
    thread: threading.Thread

    def close(self) -> None:
        self.server.close()  # type: ignore[attr-defined]
        self.thread.join(timeout=5)


def serve(settings: Settings, store: Store) -> Served:
    """Serve the panel with waitress on a free loopback port, in a thread."""
    server = waitress.create_server(
        create_app(settings, store), host="127.0.0.1", port=0, threads=4
    )
    thread = threading.Thread(target=server.run, name="panel", daemon=True)
    thread.start()
    return Served(f"http://127.0.0.1:{server.effective_port}", server, thread)


@contextlib.contextmanager
def sample_panel(data_dir: Path, **changes: object) -> Iterator[tuple[str, Settings, Store]]:
    """Build a sample station in data_dir and serve its panel while the block runs."""
    settings = dataclasses.replace(sample_settings(data_dir), **changes)  # type: ignore[arg-type]
    build_station(settings)
    store = Store.open(settings.db_path)
    served = serve(settings, store)
    try:
        yield served.url, settings, store
    finally:
        served.close()
        store.close()


def log_in(page: object, url: str, username: str) -> None:
    """Log a Playwright page in as one of the sample users; it lands on the dashboard."""
    page.goto(f"{url}/login")  # type: ignore[attr-defined]
    page.fill("#username", username)  # type: ignore[attr-defined]
    page.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    page.click("form.stack button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{url}/")  # type: ignore[attr-defined]
