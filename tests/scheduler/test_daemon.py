"""The player daemon in real time, with a real player process and no sound card.

`mpv --ao=null` plays in real time without audio hardware, so start and end
times measured here are those a loudspeaker would hear.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from playlists.commands import PlaySpeech, Stop, encode_request
from playlists.content import media_table, playlist_table
from playlists.content.ingest import Ingest
from playlists.model import AsRunRow, ItemKind, Outcome, Priority, Review, Slide
from playlists.record import asrun
from playlists.record.notes import english
from playlists.schedule import entry_table
from playlists.settings import AudioSettings, PlayerSettings, Settings, SyncSettings, TtsSettings
from playlists.store import Store
from scheduler.daemon import Daemon
from scheduler.sinks import RecordingSink
from scheduler.timeline import SchedulerTimeline
from tests.conftest import live_player, make_settings, station_zone_at
from tests.realtime import MachineLag

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

MPV = ["mpv", "--ao=null", "--no-video", "--no-terminal", "--really-quiet",
       "--start={offset}", "{file}"]  # fmt: skip


@pytest.fixture
def rt_settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path / "data",
        audio=AudioSettings(sink="command", command=tuple(MPV)),
        player=live_player(grace_seconds=60, poll_seconds=0.05),
    )


@pytest.fixture
def rt_store(rt_settings: Settings) -> Iterator[Store]:
    store = Store.open(rt_settings.db_path)
    yield store
    store.close()


@pytest.fixture
def daemon(rt_settings: Settings, rt_store: Store) -> Iterator[Daemon]:
    daemon = Daemon(rt_settings, rt_store)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    yield daemon
    daemon.stop()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the daemon did not stop"


def schedule_in(
    store: Store, settings: Settings, seconds: float, clip_sha: str, duration: float
) -> dt.datetime:
    """Schedule a one-clip playlist a few seconds from now; return the instant."""
    now = dt.datetime.now(dt.UTC)
    when = (now + dt.timedelta(seconds=seconds)).replace(microsecond=0)
    local = when.astimezone(settings.tz)
    playlist = playlist_table.add_playlist(
        store,
        f"p{time.monotonic_ns()}",
        "",
        [
            playlist_table.NewItem(
                ItemKind.ANNOUNCEMENT, duration, slide=Slide("社会工作"), media_sha256=clip_sha
            )
        ],
        now,
        review=Review.APPROVED,
        created_by="test",
    )
    entry_table.add_schedule(
        store,
        playlist,
        local.date(),
        local.date(),
        (local.time(),),
        frozenset(range(7)),
        Priority.SCHEDULED,
        now,
    )
    return when


def wait_for_row(store: Store, done: set[Outcome], timeout: float) -> AsRunRow:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = asrun.all_rows(store)
        if rows and rows[-1].status in done:
            return rows[-1]
        time.sleep(0.05)
    raise AssertionError(f"no finished as-run row within {timeout} s: {asrun.all_rows(store)}")


@pytest.fixture
def unreachable_gtts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Route gTTS through a closed loopback port, as if Google were unreachable."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_scheduled_clip_plays_on_time_with_gtts_unreachable(
    rt_settings: Settings, rt_store: Store, unreachable_gtts: None
) -> None:
    online_first = dataclasses.replace(rt_settings, tts=TtsSettings(engines=("gtts", "espeak-ng")))
    clip = Ingest(rt_store, online_first).speak("村民朋友们，今天下午三点在村委会开会。")
    assert clip.engine == "espeak-ng", "espeak-ng spoke when gTTS could not"
    assert clip.duration is not None
    daemon = Daemon(rt_settings, rt_store)
    when = schedule_in(rt_store, rt_settings, 3, clip.sha256, clip.duration)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    try:
        row = wait_for_row(rt_store, {Outcome.PLAYED, Outcome.FAILED}, timeout=30)
    finally:
        daemon.stop()
        thread.join(timeout=10)
    assert row.status is Outcome.PLAYED, row.reason
    assert row.started_at is not None and row.ended_at is not None
    lag = (row.started_at - when).total_seconds()
    machine = MachineLag.measure()
    assert 0 <= lag < machine.allow(0.5), f"started {lag:.3f} s after the instant; {machine}"
    assert (row.ended_at - row.started_at).total_seconds() >= clip.duration - 0.05
    media = media_table.get_media(rt_store, clip.sha256)
    assert media is not None and media.engine == "espeak-ng"


def test_stop_command_cuts_the_player_process(
    rt_settings: Settings, rt_store: Store, daemon: Daemon
) -> None:
    clip = Ingest(rt_store, rt_settings).speak(
        "社会工作是帮助有困难的群众、服务社区的专业工作。" * 3
    )
    assert clip.duration is not None and clip.duration > 5
    schedule_in(rt_store, rt_settings, 1, clip.sha256, clip.duration)
    wait_for_row(rt_store, {Outcome.PLAYING}, timeout=10)
    time.sleep(1.0)
    machine = MachineLag.measure()
    rt_store.add_command("stop", encode_request(Stop()), "王五", dt.datetime.now(dt.UTC))
    sent = time.monotonic()
    row = wait_for_row(rt_store, {Outcome.INTERRUPTED}, timeout=5)
    took = time.monotonic() - sent
    assert took < machine.allow(1.0), f"stopped after {took:.3f} s; {machine}"
    assert english(row.reason) == "stopped by 王五"


def test_missing_player_program_is_a_failed_row(rt_settings: Settings, rt_store: Store) -> None:
    broken = dataclasses.replace(
        rt_settings, audio=AudioSettings(sink="command", command=("no-such-player", "{file}"))
    )
    clip = Ingest(rt_store, broken).speak("测试")
    daemon = Daemon(broken, rt_store)
    schedule_in(rt_store, broken, 1, clip.sha256, clip.duration or 1)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    try:
        row = wait_for_row(rt_store, {Outcome.FAILED, Outcome.PLAYED}, timeout=10)
    finally:
        daemon.stop()
        thread.join(timeout=10)
    assert row.status is Outcome.FAILED
    assert "cannot start no-such-player" in english(row.reason)


@pytest.mark.parametrize(
    ("wall_step", "expected"),
    [
        pytest.param(1.0, 0.0, id="steady"),
        pytest.param(1.5, 0.0, id="small-drift"),
        pytest.param(3601.0, 3600.0, id="ntp-forward"),
        pytest.param(-3599.0, -3600.0, id="backward"),
    ],
)
def test_clock_watch_sees_jumps(wall_step: float, expected: float) -> None:
    from scheduler.daemon import ClockWatch

    clock = {"wall": 1_000_000.0, "mono": 50.0}
    watch = ClockWatch(lambda: clock["wall"], lambda: clock["mono"])
    clock["wall"] += wall_step
    clock["mono"] += 1.0
    assert watch.jumped() == pytest.approx(expected)
    clock["wall"] += 1.0
    clock["mono"] += 1.0
    assert watch.jumped() == 0.0


def test_say_plays_at_once_on_the_running_player(
    rt_settings: Settings, rt_store: Store, daemon: Daemon, capsys: pytest.CaptureFixture[str]
) -> None:
    from scheduler import commands

    assert commands.say(rt_settings, "村委会通知：今晚七点开会。", wait=5) == 0
    assert "player: started the broadcast (espeak-ng" in capsys.readouterr().out
    row = wait_for_row(rt_store, {Outcome.PLAYED, Outcome.FAILED}, timeout=20)
    assert row.status is Outcome.PLAYED, row.reason
    assert row.priority is Priority.MANUAL
    assert row.playlist_name == "村委会通知：今晚七点开会。"
    assert row.requested_by is not None and row.requested_by.startswith("cli:")


def test_a_command_is_taken_at_the_panels_ring_not_at_the_next_poll(
    rt_settings: Settings,
) -> None:
    from playlists import commands as contract

    settings = dataclasses.replace(
        rt_settings, player=dataclasses.replace(rt_settings.player, poll_seconds=5.0)
    )
    store = Store.open(settings.db_path)
    # The speech is made first, as the panel does before it sends the command.
    clip = Ingest(store, settings).speak("村委会通知：今晚七点开会。")
    daemon = Daemon(settings, store)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    try:
        # Each step of a 5-second loop writes the heartbeat: send right after one.
        first = store.status().get("heartbeat")
        deadline = time.monotonic() + 30
        while store.status().get("heartbeat") == first and time.monotonic() < deadline:
            time.sleep(0.01)
        speech = PlaySpeech(clip.sha256, "通知", "村委会通知", Priority.MANUAL)
        waiting = contract.Waiting(seconds=3.5)  # the next poll is 5 s after that step
        sent = contract.send_and_await(store, speech, "test", dt.datetime.now(dt.UTC), waiting)
    finally:
        daemon.stop()
        thread.join(timeout=15)
        store.close()
    assert not thread.is_alive(), "the daemon did not stop"
    assert sent.result is not None, "the player took the command only at its next poll"
    assert contract.english(sent.result) == "started the broadcast"


def test_emergency_cuts_the_audio_within_300_ms_and_switches_the_screens(
    rt_settings: Settings, rt_store: Store
) -> None:
    from scheduler.sinks import ProcessSink

    class WatchedSink(ProcessSink):
        """The configured mpv sink, noting when each clip's process starts and is stopped."""

        def __init__(self) -> None:
            super().__init__(MPV, name="mpv")
            self.events: list[tuple[str, float]] = []

        def start(self, path, offset, duration, on_done):  # type: ignore[no-untyped-def]
            super().start(path, offset, duration, on_done)
            self.events.append(("start", time.monotonic()))

        def stop(self) -> None:
            super().stop()
            self.events.append(("stopped", time.monotonic()))

    ingest = Ingest(rt_store, rt_settings)
    news = ingest.speak("社会工作是帮助有困难的群众、服务社区的专业工作。" * 3)
    alarm = ingest.speak("紧急通知：今晚有大风，请关好门窗。")
    ingest.render_slides(Slide("紧急通知", "今晚有大风"))  # as the panel does when it is written
    assert news.duration is not None and news.duration > 8
    sink = WatchedSink()
    daemon = Daemon(rt_settings, rt_store, sink=sink)
    schedule_in(rt_store, rt_settings, 1, news.sha256, news.duration)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    try:
        wait_for_row(rt_store, {Outcome.PLAYING}, timeout=10)
        time.sleep(1.0)
        machine = MachineLag.measure()
        before = rt_store.screen_state("led-bar")
        payload = encode_request(
            PlaySpeech(alarm.sha256, "紧急通知", "今晚有大风", Priority.EMERGENCY)
        )
        sent = time.monotonic()
        rt_store.add_command("play", payload, "王五", dt.datetime.now(dt.UTC))
        while len(sink.events) < 3 and time.monotonic() - sent < 5:
            time.sleep(0.005)
        switched = None
        while time.monotonic() - sent < 5:
            states = [rt_store.screen_state(s.name) for s in rt_settings.screens]
            titles = {s[1]["slides"][0]["title"] if s and s[1]["slides"] else "" for s in states}
            if titles == {"紧急通知"}:
                switched = time.monotonic()
                break
            time.sleep(0.005)
    finally:
        daemon.stop()
        thread.join(timeout=10)
    kinds = [kind for kind, _ in sink.events[:3]]
    assert kinds == ["start", "stopped", "start"], sink.events
    within = machine.allow(0.3)
    assert sink.events[1][1] - sent < within, f"the scheduled audio stops in 300 ms; {machine}"
    assert sink.events[2][1] - sent < within, f"the emergency starts in 300 ms; {machine}"
    assert before is not None and before[1]["mode"] == "broadcast"
    assert switched is not None, "every screen switches too"
    assert switched - sent < within, f"every screen switches in 300 ms; {machine}"
    rows = asrun.all_rows(rt_store)
    assert rows[0].status is Outcome.INTERRUPTED
    assert english(rows[0].reason).startswith("interrupted by emergency: 紧急通知")


def test_the_daemon_prunes_once_a_day(rt_settings: Settings, rt_store: Store) -> None:
    daemon = Daemon(rt_settings, rt_store)
    daemon._prune_daily()
    first = rt_store.meta("last_prune")
    assert first is not None
    daemon._prune_daily()
    assert rt_store.meta("last_prune") == first
    rt_store.set_meta("last_prune", "2000-01-01T00:00:00.000+00:00")
    daemon._prune_daily()
    assert rt_store.meta("last_prune") == "2000-01-01T00:00:00.000+00:00", "asked hourly only"
    daemon._prune_checked -= 3600
    daemon._prune_daily()
    assert rt_store.meta("last_prune") != "2000-01-01T00:00:00.000+00:00"


@pytest.mark.parametrize("cause", ["edit", "clock-jump"])
def test_a_command_never_waits_for_a_re_arm(
    rt_settings: Settings, rt_store: Store, monkeypatch: pytest.MonkeyPatch, cause: str
) -> None:
    """A stop or an emergency is carried out while a slow re-arm is still under way."""
    clip = Ingest(rt_store, rt_settings).speak("河水上涨")
    sink = RecordingSink(SchedulerTimeline(rt_settings.tz, rt_settings.player.grace_seconds))
    daemon = Daemon(rt_settings, rt_store, sink=sink)
    daemon.player.start()
    before = daemon.player.revision
    arming, release, armed = threading.Event(), threading.Event(), threading.Event()
    for name in ("arm", "arm_all"):
        real = getattr(daemon.player, name)

        def slow(real: Callable[[], None] = real) -> None:
            arming.set()
            release.wait(20)  # a re-arm that takes as long as the test wants
            real()
            armed.set()

        monkeypatch.setattr(daemon.player, name, slow)
    if cause == "edit":
        schedule_in(rt_store, rt_settings, 3600, clip.sha256, clip.duration or 1.0)
    else:
        daemon.clock = JumpedOnce()
    daemon.timeline.start()
    daemon.rearmer.start()
    try:
        daemon._step()  # the loop finds the edit or the jump and hands it over
        assert arming.wait(10), "no re-arm started"
        speech = PlaySpeech(clip.sha256, "紧急通知", "河水上涨", Priority.EMERGENCY)
        rt_store.add_command("play", encode_request(speech), "test", dt.datetime.now(dt.UTC))
        daemon._step()  # the next poll, while the re-arm is still under way
        assert not armed.is_set()
        playing = daemon.player.playout.current
        assert playing is not None and playing.priority is Priority.EMERGENCY
        assert len(sink.plays) == 1, "the emergency waited for the re-arm"
        release.set()
        assert armed.wait(10)
    finally:
        release.set()
        daemon.rearmer.stop()
        daemon.player.playout.shutdown()
        daemon.timeline.shutdown()
    if cause == "edit":
        assert before != daemon.player.revision == rt_store.plan_revision()
    else:
        assert daemon.player.last_jump is not None and daemon.player.last_jump[1] == 600


class JumpedOnce:
    """A clock watch that sees the wall clock jump by ten minutes once."""

    def __init__(self) -> None:
        self.jumps = [600.0]

    def jumped(self) -> float:
        return self.jumps.pop() if self.jumps else 0.0


def play_one_scheduled(settings: Settings) -> AsRunRow:
    """Schedule a short clip a second from now on a fresh store, run the daemon, return its row."""
    store = Store.open(settings.db_path)
    clip = Ingest(store, settings).speak("测试")
    daemon = Daemon(settings, store)
    schedule_in(store, settings, 1, clip.sha256, clip.duration or 1.0)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    try:
        return wait_for_row(store, {Outcome.PLAYED, Outcome.FAILED, Outcome.SKIPPED}, timeout=20)
    finally:
        daemon.stop()
        thread.join(timeout=10)
        store.close()


@pytest.mark.parametrize("hour", [3, 12, 23], ids=["03h-default-quiet", "12h", "23h-default-quiet"])
def test_real_time_settings_play_at_any_station_hour(rt_settings: Settings, hour: int) -> None:
    at_hour = dataclasses.replace(rt_settings, station=station_zone_at(hour))
    assert dt.datetime.now(at_hour.tz).hour in (hour, (hour + 1) % 24)  # an hour may turn
    row = play_one_scheduled(at_hour)
    assert row.status is Outcome.PLAYED, row.reason


def test_default_quiet_hours_hold_a_broadcast_at_0300_station_time(rt_settings: Settings) -> None:
    quiet_station = dataclasses.replace(
        rt_settings,
        station=station_zone_at(3),
        player=dataclasses.replace(rt_settings.player, quiet_hours=PlayerSettings().quiet_hours),
    )
    row = play_one_scheduled(quiet_station)
    assert row.status is Outcome.SKIPPED
    assert "quiet hours" in english(row.reason)


@pytest.mark.parametrize(
    ("sync", "listens", "syncs"),
    [
        (SyncSettings(), False, False),
        (SyncSettings(town_url="http://town.test:8080", device_token="vcd_x"), True, True),
    ],
    ids=["no-town", "town-without-broker"],
)
def test_town_emergencies_come_by_sync_even_without_a_broker(
    tmp_path: Path, sync: SyncSettings, listens: bool, syncs: bool
) -> None:
    settings = make_settings(tmp_path / "data", sync=sync)
    store = Store.open(settings.db_path)
    try:
        daemon = Daemon(settings, store)
        assert (daemon.emergencies is not None, daemon.sync is not None) == (listens, syncs)
        if daemon.emergencies is not None and daemon.sync is not None:
            assert daemon.emergencies.client is None  # no broker: the sync alone brings them
            assert daemon.sync.on_emergency == daemon.emergencies.deliver
            assert daemon.emergencies.wake_sync == daemon.sync.wake
    finally:
        store.close()
