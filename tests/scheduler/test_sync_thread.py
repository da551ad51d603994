"""The sync thread of the player daemon (scheduler/sync_thread.py): backoff, state, playout.

Backoff and state are driven step by step with a fake town and a fake clock; the last
test runs the real daemon against a town that accepts connections and never answers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from playlists.content.ingest import Ingest
from playlists.model import Outcome
from playlists.settings import Settings, SyncSettings
from playlists.store import Store
from scheduler import sync_thread
from scheduler.daemon import Daemon
from scheduler.sync_thread import BACKOFF_JITTER, SyncThread, Waker, backoff_seconds
from tests.bundle_kit import playlist_yaml
from tests.conftest import OFFLINE_TTS, live_player, make_settings
from tests.realtime import MachineLag
from tests.scheduler.test_daemon import schedule_in, wait_for_row
from tests.sync_kit import TOKEN, TOWN_URL, FakeTown

NOW = dt.datetime(2023, 3, 28, 1, 0, tzinfo=dt.UTC)
SYNC = SyncSettings(town_url=TOWN_URL, device_token=TOKEN, poll_seconds=10, max_backoff_seconds=60)


class NoJitter(random.Random):
    def random(self) -> float:
        return 0.0


@pytest.fixture
def village(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", sync=SYNC)


@pytest.fixture
def vstore(village: Settings) -> Iterator[Store]:
    store = Store.open(village.db_path)
    yield store
    store.close()


@pytest.mark.parametrize(
    ("failures", "base"),
    [(1, 20), (2, 40), (3, 60), (4, 60), (200, 60)],
    ids=["first", "doubled", "capped", "stays-capped", "no-overflow"],
)
def test_backoff_doubles_up_to_the_maximum_less_a_random_part(failures: int, base: float) -> None:
    rng = random.Random(failures)
    waits = [backoff_seconds(SYNC, failures, rng) for _ in range(200)]
    assert all(base * (1 - BACKOFF_JITTER) <= wait <= base for wait in waits)
    assert len({round(wait, 3) for wait in waits}) > 100  # villages do not call back together


def test_the_usual_wait_is_poll_seconds_give_or_take_ten_percent() -> None:
    waits = [backoff_seconds(SYNC, 0, random.Random(n)) for n in range(100)]
    assert all(9 <= wait <= 11 for wait in waits)


def test_an_unreachable_town_backs_off_logs_once_and_recovers(
    village: Settings, vstore: Store, caplog: pytest.LogCaptureFixture
) -> None:
    town = FakeTown()
    clock = [NOW]
    thread = SyncThread(village, vstore, lambda: clock[0], client=town, rng=NoJitter())
    town.down = True
    caplog.set_level(logging.INFO, logger="scheduler.sync_thread")
    waits = [thread.step() for _ in range(5)]
    assert waits == [20, 40, 60, 60, 60]
    status = vstore.status()["sync"]
    assert (status["state"], status["failures"]) == ("failing", 5)
    assert "Errno 111" in status["last_error"] and status["last_success"] is None
    assert status["next_attempt"] == (NOW + dt.timedelta(seconds=60)).isoformat()
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # once, not five times
    town.down = False
    clock[0] = NOW + dt.timedelta(minutes=5)
    assert thread.step() == pytest.approx(9.0)  # poll_seconds less 10% (no jitter drawn)
    status = vstore.status()["sync"]
    assert (status["state"], status["failures"]) == ("ok", 0)
    assert status["last_success"] == clock[0].isoformat()
    assert status["last_error"] is not None  # kept: the page says what went wrong last
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]


@pytest.mark.slow  # the real fastspeech2 model: a few seconds
def test_the_towns_playlists_are_spoken_by_the_clearest_voice_not_the_instant_one(
    tmp_path: Path,
) -> None:
    tts = dataclasses.replace(OFFLINE_TTS, engines=("fastspeech2", "mbrola", "espeak-ng"))
    village = make_settings(tmp_path / "data", sync=SYNC, tts=tts)
    store = Store.open(village.db_path)
    try:
        town = FakeTown()
        town.share(
            1, "防汛宣传", {"playlist.yaml": playlist_yaml("  - announcement: 汛期请远离河道。\n")}
        )
        thread = SyncThread(village, store, lambda: NOW, client=town, rng=NoJitter())
        thread.step()
        assert store.status()["sync"]["state"] == "ok"
        [spoken] = store.query(
            "SELECT m.engine FROM announcements a JOIN media m ON m.sha256 = a.media_sha256"
        )
        assert spoken["engine"] == "fastspeech2"
    finally:
        store.close()


def test_a_broken_answer_is_a_failure_and_the_thread_goes_on(
    village: Settings, vstore: Store
) -> None:
    town = FakeTown()

    def broken(*args: object, **kwargs: object) -> object:
        raise KeyError("surprise")

    town.request = broken  # type: ignore[method-assign]
    thread = SyncThread(village, vstore, lambda: NOW, client=town, rng=NoJitter())
    assert thread.step() == 20
    assert vstore.status()["sync"]["last_error"] == "KeyError: 'surprise'"


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [
        pytest.param("45", 45, id="longer-than-the-backoff"),
        pytest.param("5", 20, id="shorter-than-the-backoff"),
        pytest.param("99999", 60, id="capped-at-the-longest-backoff"),
        pytest.param("soon", 20, id="unreadable"),
        pytest.param(None, 20, id="absent"),
    ],
)
def test_a_busy_town_is_waited_for_and_no_row_is_lost(
    village: Settings, vstore: Store, retry_after: str | None, wait: float
) -> None:
    with vstore.transaction() as conn:
        conn.executemany(
            "INSERT INTO as_run (playlist_name, priority, scheduled_at, status) "
            "VALUES ('通知', 'scheduled', ?, 'played')",
            [(f"2023-03-28T01:{n // 60:02d}:{n % 60:02d}.000+00:00",) for n in range(1200)],
        )
    town = FakeTown()
    town.busy_after_posts, town.retry_after = 1, retry_after
    thread = SyncThread(village, vstore, lambda: NOW, client=town, rng=NoJitter())
    assert thread.step() == wait
    status = vstore.status()["sync"]
    assert status["state"] == "failing" and "429" in status["last_error"]
    assert len(town.asrun) == 500
    town.busy_after_posts = None
    assert thread.step() == pytest.approx(9.0)
    assert len(town.asrun) == 1200  # every row, each once (kept by its id)
    assert vstore.query_one("SELECT COUNT(*) AS n FROM asrun_sent")["n"] == 1200  # type: ignore[index]


@pytest.fixture
def silent_town() -> Iterator[str]:
    """A town that accepts connections and never answers, as a stopped process does."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


@pytest.mark.slow
def test_playout_keeps_time_while_the_town_hangs(tmp_path: Path, silent_town: str) -> None:
    sync = dataclasses.replace(
        SYNC, town_url=silent_town, poll_seconds=1, max_backoff_seconds=2, timeout_seconds=1
    )
    settings = make_settings(tmp_path / "data", sync=sync, player=live_player())
    store = Store.open(settings.db_path)
    clip = Ingest(store, settings).speak("村民朋友们，请注意收听。")
    daemon = Daemon(settings, store)
    assert daemon.sync is not None
    when = schedule_in(store, settings, 4, clip.sha256, clip.duration or 1.0)
    runner = threading.Thread(target=daemon.run, daemon=True)
    runner.start()
    try:
        row = wait_for_row(store, {Outcome.PLAYED, Outcome.FAILED}, timeout=30)
    finally:
        daemon.stop()
        runner.join(timeout=15)
    assert not runner.is_alive(), "the daemon did not stop"
    assert row.status is Outcome.PLAYED and row.started_at is not None
    lag = (row.started_at - when).total_seconds()
    machine = MachineLag.measure()
    assert 0 <= lag < machine.allow(0.5), f"started {lag:.3f} s late, town hung; {machine}"
    status = store.status()["sync"]
    assert status["state"] == "failing" and "timed out" in status["last_error"]
    store.close()


class FixedRandom(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize(
    ("within", "share", "due"),
    [(30, 0.0, 100.0), (30, 0.5, 115.0), (30, 0.999, 129.97), (0, 0.7, 100.0), (-5, 0.7, 100.0)],
    ids=["at-once", "half-way", "at-most-the-jitter", "no-jitter", "negative-is-none"],
)
def test_a_wake_brings_the_next_sync_to_a_random_instant_within_the_jitter(
    within: float, share: float, due: float
) -> None:
    waker = Waker(FixedRandom(share), monotonic=lambda: 100.0)
    assert waker.wake(within) == pytest.approx(due)


def test_a_wake_while_a_sync_runs_shortens_the_next_wait() -> None:
    clock = [100.0]
    waker = Waker(FixedRandom(0.0), monotonic=lambda: clock[0])
    waker.wake(30)  # no wait is running: a sync is under way
    assert waker.sleeping is False
    assert waker.wait(3600) is True  # returns at once instead of in an hour
    waker.stop()
    assert waker.wait(3600) is False


def test_a_poll_now_wakes_a_sleeping_sync_thread_and_stop_ends_it(
    village: Settings, vstore: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_thread, "FIRST_DELAY", 3600.0)  # only a wake makes it sync
    town = FakeTown()
    hourly = dataclasses.replace(village, sync=dataclasses.replace(SYNC, poll_seconds=3600))
    thread = SyncThread(hourly, vstore, lambda: NOW, client=town, rng=NoJitter())
    thread.start()
    try:
        for polls in (1, 2):
            thread.wake(30)  # NoJitter: the random part of the 30 s is none
            assert _wait_until(lambda polls=polls: len(town.heartbeats) == polls)
            assert _wait_until(lambda: thread.waker.sleeping)
        assert len(town.heartbeats) == 2  # nothing more while it sleeps for its hour
    finally:
        stopping = threading.Thread(target=thread.stop)
        stopping.start()
        stopping.join(timeout=10)
    assert not thread._thread.is_alive()


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll condition until it holds or timeout passes (the thread works in real time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
