"""The player on a virtual clock: the daemon's own code with a recording sink.

Each test asserts the exact as-run rows a user would read in the log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from playlists.commands import (
    CommandResult,
    PlayPlaylist,
    PlaySpeech,
    ReasonCode,
    Request,
    Skip,
    Stop,
    answer,
    decode_result,
    encode_request,
)
from playlists.content import media_table, playlist_table
from playlists.content.ingest import Ingest
from playlists.model import InterruptPolicy, ItemKind, Outcome, Priority, Review
from playlists.record import asrun, notes
from playlists.record.notes import NoteCode, english, note
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store
from scheduler.player import Player
from scheduler.simulate import Simulation, simulate
from scheduler.sinks import DoneCallback, RecordingSink
from scheduler.timeline import VirtualTimeline

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2023, 3, 28)


def at(hour: int, minute: int = 0, second: float = 0, day: dt.date = DAY) -> dt.datetime:
    whole = int(second)
    micro = round((second - whole) * 1e6)
    return dt.datetime.combine(day, dt.time(hour, minute, whole, micro), tzinfo=TZ)


def pause_playlist(
    store: Store,
    name: str,
    *seconds: float,
    times: tuple[dt.time, ...] = (),
    priority: Priority = Priority.SCHEDULED,
    on_interrupt: InterruptPolicy = InterruptPolicy.RESUME,
    wait: float = 300,
) -> int:
    """A playlist of pauses, so tests control its exact length."""
    now = at(0)
    items = [playlist_table.NewItem(ItemKind.PAUSE, length) for length in seconds]
    playlist = playlist_table.add_playlist(
        store, name, "", items, now, review=Review.APPROVED, created_by="test"
    )
    if times:
        entry_table.add_schedule(
            store,
            playlist,
            DAY,
            DAY,
            times,
            frozenset(range(7)),
            priority,
            now,
            on_interrupt=on_interrupt,
            wait_seconds=wait,
        )
    return playlist


def rows(store: Store) -> list[tuple[str, str, str | None, str | None, str]]:
    """The as-run log as (playlist, status, started, ended, reason in English), station time."""

    def local(value: dt.datetime | None) -> str | None:
        return None if value is None else value.astimezone(TZ).strftime("%H:%M:%S")

    return [
        (r.playlist_name, r.status.value, local(r.started_at), local(r.ended_at), english(r.reason))
        for r in sorted(asrun.all_rows(store), key=lambda r: r.id)
    ]


@pytest.mark.slow
def test_sample_campaign_plays_every_slot_on_time(
    sample_settings: Settings, sample_store: Store
) -> None:
    start, end = at(0), at(0, day=dt.date(2023, 4, 8))
    result = simulate(sample_settings, sample_store, start, end)
    assert len(result) == 33
    assert {r.status for r in result} == {Outcome.PLAYED}
    assert all(r.started_at == r.scheduled_at for r in result)
    length = result[0].ended_at - result[0].started_at  # type: ignore[operator]
    assert dt.timedelta(seconds=30) < length < dt.timedelta(minutes=5)
    assert asrun.all_rows(sample_store) == [], "simulation never writes the real log"


def test_simulated_play_order_follows_the_playlist(
    sample_settings: Settings, sample_store: Store
) -> None:
    simulation = Simulation.build(sample_settings, sample_store, at(7, 29))
    simulation.run(at(7, 40))
    playlist = playlist_table.get_playlist(sample_store, 1, sample_settings.media_dir)
    audio = [item.audio_path for item in playlist.items if item.audio_path]
    assert [play.path for play in simulation.sink.plays] == audio
    assert simulation.sink.plays[0].started == at(7, 30)


def test_overlapping_broadcast_waits_for_the_one_on_air(settings: Settings, store: Store) -> None:
    pause_playlist(store, "long", 30, times=(dt.time(8, 0),))
    pause_playlist(store, "next", 5, times=(dt.time(8, 0, 20),))
    Simulation.build(settings, store, at(7)).run(at(9))
    assert rows(store) == [
        ("long", "played", "08:00:00", "08:00:30", ""),
        ("next", "played", "08:00:30", "08:00:35", ""),
    ]


def test_broadcast_that_waits_past_its_wait_is_skipped(settings: Settings, store: Store) -> None:
    pause_playlist(store, "long", 300, times=(dt.time(8, 0),))
    pause_playlist(store, "next", 5, times=(dt.time(8, 1),), wait=120)
    Simulation.build(settings, store, at(7)).run(at(9))
    assert rows(store) == [
        ("long", "played", "08:00:00", "08:05:00", ""),
        (
            "next",
            "skipped",
            None,
            None,
            "the lane was busy for 240 s, longer than its wait of 120 s",
        ),
    ]


def test_busy_slot_with_skip_policy_is_skipped_at_once(settings: Settings, store: Store) -> None:
    pause_playlist(store, "long", 30, times=(dt.time(8, 0),))
    pause_playlist(store, "next", 5, times=(dt.time(8, 0, 10),), on_interrupt=InterruptPolicy.SKIP)
    Simulation.build(settings, store, at(7)).run(at(9))
    assert rows(store) == [
        ("long", "played", "08:00:00", "08:00:30", ""),
        ("next", "skipped", None, None, "slot busy: long was on air"),
    ]


def give(store: Store, request: Request, when: dt.datetime) -> int:
    """Queue a command as the panel does, from 王五."""
    return store.add_command(request.kind.value, encode_request(request), "王五", when)


def answer_to(store: Store, command_id: int) -> CommandResult:
    row = store.command(command_id)
    assert row is not None and row["result"] is not None
    return decode_result(row["result"])


def command_at(
    simulation: Simulation, store: Store, request: Request, when: dt.datetime
) -> Callable[[], None]:
    """An action that sends a panel command at an instant and lets the player take it."""

    def action() -> None:
        give(store, request, when)
        simulation.player.run_commands()

    return action


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param(
            InterruptPolicy.RESUME,
            [
                (
                    "news",
                    "interrupted",
                    "08:00:00",
                    "08:00:40",
                    "interrupted by emergency: alarm; will resume",
                ),
                ("alarm", "played", "08:00:40", "08:00:50", ""),
                ("news", "played", "08:00:50", "08:01:10", "resumed after emergency: alarm"),
            ],
            id="resume",
        ),
        pytest.param(
            InterruptPolicy.RESTART,
            [
                (
                    "news",
                    "interrupted",
                    "08:00:00",
                    "08:00:40",
                    "interrupted by emergency: alarm; will restart",
                ),
                ("alarm", "played", "08:00:40", "08:00:50", ""),
                ("news", "played", "08:00:50", "08:01:50", "restarted after emergency: alarm"),
            ],
            id="restart",
        ),
        pytest.param(
            InterruptPolicy.SKIP,
            [
                ("news", "interrupted", "08:00:00", "08:00:40", "interrupted by emergency: alarm"),
                ("alarm", "played", "08:00:40", "08:00:50", ""),
            ],
            id="skip",
        ),
    ],
)
def test_emergency_cuts_into_a_scheduled_broadcast(
    settings: Settings, store: Store, policy: InterruptPolicy, expected: list[tuple[object, ...]]
) -> None:
    pause_playlist(store, "news", 30, 30, times=(dt.time(8, 0),), on_interrupt=policy)
    alarm = pause_playlist(store, "alarm", 10)
    simulation = Simulation.build(settings, store, at(7))
    emergency = PlayPlaylist(alarm, Priority.EMERGENCY)
    simulation.run(at(9), at={at(8, 0, 40): command_at(simulation, store, emergency, at(8, 0, 40))})
    assert rows(store) == expected


@pytest.mark.parametrize(
    ("stop_after", "status", "words"),
    [
        pytest.param(None, "played", "", id="played-through"),
        pytest.param(0.5, "interrupted", "; stopped by 王五", id="stopped"),
    ],
)
def test_an_emergencys_text_and_repeats_stay_on_its_row(
    settings: Settings,
    store: Store,
    ingest: Ingest,
    stop_after: float | None,
    status: str,
    words: str,
) -> None:
    clip = ingest.speak("河水上涨")
    text = "河水上涨，请沿河村民立即转移。"
    speech = PlaySpeech(clip.sha256, "紧急通知", text, Priority.EMERGENCY, 2, 3)
    simulation = Simulation.build(settings, store, at(7))
    actions = {at(8): command_at(simulation, store, speech, at(8))}
    if stop_after is not None:
        actions[at(8, 0, stop_after)] = command_at(simulation, store, Stop(), at(8, 0, stop_after))
    simulation.run(at(8, 5), at=actions)
    [row] = asrun.all_rows(store)
    assert (row.playlist_name, row.status.value) == ("紧急通知", status)
    assert english(row.reason) == f"emergency said 2 times, 3 s apart: {text}{words}"


class WitnessSink(RecordingSink):
    """A recording sink that notes, as each clip starts, what another process reads."""

    def __init__(self, timeline: VirtualTimeline, db_path: Path) -> None:
        super().__init__(timeline)
        self.other = Store(db_path)  # its own connection: only committed writes show
        self.seen: list[tuple[list[tuple[str, str]], list[bool]]] = []

    def start(self, path: Path, offset: float, duration: float, on_done: DoneCallback) -> None:
        logged = [(r.status.value, english(r.reason)) for r in asrun.all_rows(self.other)]
        taken = [r["taken_at"] is not None for r in self.other.query("SELECT * FROM commands")]
        self.seen.append((logged, taken))
        super().start(path, offset, duration, on_done)


@pytest.mark.parametrize(
    ("fail_with", "status", "after"),
    [
        pytest.param(None, "played", "", id="sink-plays"),
        pytest.param(
            "no sound card", "failed", "; audio output recording: no sound card", id="sink-fails"
        ),
    ],
)
def test_an_emergencys_row_is_committed_before_its_sound_starts(
    settings: Settings,
    store: Store,
    ingest: Ingest,
    fail_with: str | None,
    status: str,
    after: str,
) -> None:
    clip = ingest.speak("河水上涨")
    text = "河水上涨，请沿河村民立即转移。"
    timeline = VirtualTimeline(at(7))
    sink = WitnessSink(timeline, settings.db_path)
    sink.fail_with = fail_with
    simulation = Simulation(Player(settings, store, timeline, sink), timeline, sink)
    speech = PlaySpeech(clip.sha256, "紧急通知", text, Priority.EMERGENCY)
    simulation.run(at(8, 5), at={at(8): command_at(simulation, store, speech, at(8))})
    label = f"emergency: {text}"
    # Another process (the panel, or the player after a power cut) finds the command
    # taken and the row on air at the instant the sound is asked for.
    assert sink.seen == [([("playing", label)], [True])]
    [row] = asrun.all_rows(store)
    assert (row.status.value, english(row.reason)) == (status, label + after)
    sink.other.close()


def test_an_emergency_s_slides_are_made_by_the_player_as_the_sound_starts(
    settings: Settings, store: Store, ingest: Ingest
) -> None:
    """The panel sends an emergency without its slides: the screens still show it."""
    clip = ingest.speak("河水上涨")
    text = "河水上涨，请沿河村民立即转移。"
    simulation = Simulation.build(settings, store, at(7))
    speech = PlaySpeech(clip.sha256, "紧急通知", text, Priority.EMERGENCY)
    simulation.run(at(8, 0, 1), at={at(8): command_at(simulation, store, speech, at(8))})
    assert settings.screens
    for screen in settings.screens:
        found = store.screen_state(screen.name)
        assert found is not None
        _, state = found
        [slide] = state["slides"]
        assert (state["mode"], slide["title"], slide["body"]) == ("broadcast", "紧急通知", text)
        picture = store.query_one("SELECT path FROM media WHERE sha256 = ?", (slide["image"],))
        assert picture is not None and (settings.media_dir / picture["path"]).is_file()


def test_interruption_longer_than_the_wait_gives_up(settings: Settings, store: Store) -> None:
    pause_playlist(store, "news", 60, times=(dt.time(8, 0),), wait=30)
    alarm = pause_playlist(store, "alarm", 45)
    simulation = Simulation.build(settings, store, at(7))
    emergency = PlayPlaylist(alarm, Priority.EMERGENCY)
    simulation.run(at(9), at={at(8, 0, 10): command_at(simulation, store, emergency, at(8, 0, 10))})
    assert rows(store) == [
        (
            "news",
            "interrupted",
            "08:00:00",
            "08:00:10",
            "interrupted by emergency: alarm; will resume",
        ),
        ("alarm", "played", "08:00:10", "08:00:55", ""),
        ("news", "skipped", None, None, "the lane was busy for 45 s, longer than its wait of 30 s"),
    ]


def test_manual_play_interrupts_a_scheduled_broadcast(settings: Settings, store: Store) -> None:
    pause_playlist(
        store, "scheduled", 60, times=(dt.time(8, 0),), on_interrupt=InterruptPolicy.SKIP
    )
    manual = pause_playlist(store, "manual", 10)
    simulation = Simulation.build(settings, store, at(7))
    play = PlayPlaylist(manual)
    simulation.run(at(9), at={at(8, 0, 20): command_at(simulation, store, play, at(8, 0, 20))})
    assert rows(store) == [
        ("scheduled", "interrupted", "08:00:00", "08:00:20", "interrupted by manual: manual"),
        ("manual", "played", "08:00:20", "08:00:30", ""),
    ]
    assert asrun.all_rows(store)[1].requested_by == "王五"


def test_skip_command_moves_to_the_next_item(settings: Settings, store: Store) -> None:
    pause_playlist(store, "news", 30, 30, times=(dt.time(8, 0),))
    simulation = Simulation.build(settings, store, at(7))
    simulation.run(at(9), at={at(8, 0, 10): command_at(simulation, store, Skip(), at(8, 0, 10))})
    assert rows(store) == [("news", "played", "08:00:00", "08:00:40", "item 1 skipped by 王五")]


def test_stop_command_ends_the_broadcast(settings: Settings, store: Store) -> None:
    pause_playlist(store, "scheduled", 60, times=(dt.time(8, 0),))
    simulation = Simulation.build(settings, store, at(7))

    def stop() -> None:
        give(store, Stop(), at(8, 0, 5))
        simulation.player.run_commands()

    simulation.run(at(9), at={at(8, 0, 5): stop})
    assert rows(store) == [("scheduled", "interrupted", "08:00:00", "08:00:05", "stopped by 王五")]


def test_stale_command_is_not_played_late(settings: Settings, store: Store) -> None:
    manual = pause_playlist(store, "manual", 10)
    simulation = Simulation.build(settings, store, at(8))
    command = give(store, PlayPlaylist(manual), at(7, 58))
    simulation.player.run_commands()
    assert answer_to(store, command) == answer(ReasonCode.PLAYER_NOT_RUNNING, seconds=120)
    assert rows(store) == []


@pytest.mark.parametrize(
    ("kind", "payload", "expected"),
    [
        pytest.param(
            "play",
            '{"playlist_id": 99}',
            answer(ReasonCode.NOT_FOUND, subject="playlist", id=99),
            id="unknown-playlist",
        ),
        pytest.param(
            "play",
            '{"announcement_id": 42}',
            answer(ReasonCode.NOT_FOUND, subject="announcement", id=42),
            id="unknown-announcement",
        ),
        pytest.param(
            "play",
            '{"media_sha256": "ab12", "title": "t", "text": "t"}',
            answer(ReasonCode.AUDIO_MISSING, sha256="ab12"),
            id="speech-without-audio",
        ),
        pytest.param(
            "play",
            '{"v": 2, "playlist_id": 1}',
            answer(
                ReasonCode.BAD_COMMAND,
                detail="the command's payload has format 2; this villagecast reads 1",
            ),
            id="newer-format",
        ),
        pytest.param(
            "play",
            "not json",
            answer(ReasonCode.BAD_COMMAND, detail="the command's payload is not JSON: 'not json'"),
            id="not-json",
        ),
        pytest.param("skip", "{}", answer(ReasonCode.NOTHING_PLAYING), id="skip-when-idle"),
        pytest.param("stop", "{}", answer(ReasonCode.NOTHING_PLAYING), id="stop-when-idle"),
    ],
)
def test_commands_that_cannot_be_carried_out_are_answered_with_a_code(
    settings: Settings, store: Store, kind: str, payload: str, expected: CommandResult
) -> None:
    simulation = Simulation.build(settings, store, at(8))
    command = store.add_command(kind, payload, "王五", at(8))
    simulation.player.run_commands()
    assert answer_to(store, command) == expected
    assert rows(store) == []


def test_a_queued_command_names_what_it_waits_for(settings: Settings, store: Store) -> None:
    pause_playlist(store, "news", 30, times=(dt.time(8, 0),))
    manual = pause_playlist(store, "manual", 5, priority=Priority.SCHEDULED)
    simulation = Simulation.build(settings, store, at(7))
    results: list[CommandResult] = []

    def play() -> None:
        command = give(store, PlayPlaylist(manual, Priority.SCHEDULED), at(8, 0, 10))
        simulation.player.run_commands()
        results.append(answer_to(store, command))

    simulation.run(at(9), at={at(8, 0, 10): play})
    assert results == [answer(ReasonCode.WAITING, on_air="news")]


def test_slots_missed_while_the_player_was_down(settings: Settings, store: Store) -> None:
    pause_playlist(
        store, "p", 5, times=(dt.time(6, 0), dt.time(8, 0), dt.time(9, 0), dt.time(10, 0))
    )
    store.set_status({"heartbeat": at(5, 50).isoformat()}, at(5, 50))
    Simulation.build(settings, store, at(9, 30)).run(at(11))
    assert rows(store) == [
        ("p", "skipped", None, None, "quiet hours 22:00–06:30"),
        ("p", "missed", None, None, "the player was not running"),
        ("p", "missed", None, None, "the player was not running"),
        ("p", "played", "10:00:00", "10:00:05", ""),
    ]


def test_start_within_grace_plays_late(settings: Settings, store: Store) -> None:
    pause_playlist(store, "p", 5, times=(dt.time(8, 0),))
    Simulation.build(settings, store, at(8, 0, 30)).run(at(9))
    assert rows(store) == [("p", "played", "08:00:30", "08:00:35", "")]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param(
            InterruptPolicy.RESUME,
            [
                ("p", "interrupted", "08:00:00", "08:00:10", "player stopped during the broadcast"),
                ("p", "played", "08:00:20", "08:01:10", "resumed after the player stopped"),
            ],
            id="resume",
        ),
        pytest.param(
            InterruptPolicy.RESTART,
            [
                ("p", "interrupted", "08:00:00", "08:00:10", "player stopped during the broadcast"),
                ("p", "played", "08:00:20", "08:01:20", "restarted after the player stopped"),
            ],
            id="restart",
        ),
        pytest.param(
            InterruptPolicy.SKIP,
            [
                ("p", "interrupted", "08:00:00", "08:00:10", "player stopped during the broadcast"),
            ],
            id="skip",
        ),
    ],
)
def test_restart_mid_broadcast_closes_it_and_follows_its_policy(
    settings: Settings, store: Store, policy: InterruptPolicy, expected: list[tuple[object, ...]]
) -> None:
    pause_playlist(store, "p", 60, times=(dt.time(8, 0),), on_interrupt=policy)
    Simulation.build(settings, store, at(7)).run(at(8, 0, 10))  # killed on air at 08:00:10
    store.set_status({"heartbeat": at(8, 0, 10).isoformat()}, at(8, 0, 10))
    assert rows(store)[0][1] == "playing"
    Simulation.build(settings, store, at(8, 0, 20)).run(at(9))
    assert rows(store) == expected
    Simulation.build(settings, store, at(9)).run(at(10))  # and again: nothing plays twice
    assert rows(store) == expected


def test_plan_changes_are_armed(settings: Settings, store: Store) -> None:
    simulation = Simulation.build(settings, store, at(7))
    simulation.run(at(7, 30))
    pause_playlist(store, "added", 5, times=(dt.time(8, 0),))
    simulation.player.check_store()
    simulation.timeline.run_until(at(9))
    assert rows(store) == [("added", "played", "08:00:00", "08:00:05", "")]


def test_sink_failure_is_logged_and_next_broadcast_tries_again(
    settings: Settings, store: Store, ingest: object
) -> None:
    from playlists.content.ingest import Ingest

    assert isinstance(ingest, Ingest)
    clip = ingest.speak("测试")
    playlist = playlist_table.add_playlist(
        store,
        "speech",
        "",
        [
            playlist_table.NewItem(
                ItemKind.ANNOUNCEMENT, clip.duration or 1, media_sha256=clip.sha256
            )
        ],
        at(0),
        review=Review.APPROVED,
        created_by="test",
    )
    entry_table.add_schedule(
        store,
        playlist,
        DAY,
        DAY,
        (dt.time(8), dt.time(9)),
        frozenset(range(7)),
        Priority.SCHEDULED,
        at(0),
    )
    simulation = Simulation.build(settings, store, at(7))
    simulation.sink.fail_with = "no sound card"
    simulation.run(at(8, 30))
    simulation.sink.fail_with = None
    simulation.timeline.run_until(at(10))
    statuses = [(r[1], r[4]) for r in rows(store)]
    assert statuses == [("failed", "audio output recording: no sound card"), ("played", "")]


@pytest.mark.parametrize("tz_name", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_machine_tz_does_not_matter(
    tz_name: str, monkeypatch: pytest.MonkeyPatch, settings: Settings, store: Store
) -> None:
    import time

    monkeypatch.setenv("TZ", tz_name)
    time.tzset()
    try:
        pause_playlist(store, "p", 5, times=(dt.time(7, 30),))
        result = simulate(settings, store, at(0), at(0, day=dt.date(2023, 3, 29)))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert [r.started_at.astimezone(TZ).isoformat() for r in result if r.started_at] == [
        "2023-03-28T07:30:00+08:00"
    ]


def test_forward_clock_jump_misses_skipped_slots_without_a_burst(
    settings: Settings, store: Store
) -> None:
    pause_playlist(store, "p", 5, times=(dt.time(8, 0), dt.time(8, 30), dt.time(9, 30)))
    simulation = Simulation.build(settings, store, at(7, 50))
    simulation.run(at(7, 55))
    simulation.timeline.jump(3600)  # NTP corrects the clock at 07:55 to 08:55
    simulation.player.clock_jumped(3600)
    simulation.timeline.run_until(at(10))
    assert rows(store) == [
        ("p", "missed", None, None, "the clock jumped forward 3600 s past it"),
        ("p", "missed", None, None, "the clock jumped forward 3600 s past it"),
        ("p", "played", "09:30:00", "09:30:05", ""),
    ]


def test_backward_clock_jump_never_replays(settings: Settings, store: Store) -> None:
    pause_playlist(store, "p", 5, times=(dt.time(8, 0), dt.time(8, 30)))
    simulation = Simulation.build(settings, store, at(7, 50))
    simulation.run(at(8, 10))
    simulation.timeline.jump(-3600)  # 08:10 becomes 07:10
    simulation.player.clock_jumped(-3600)
    simulation.timeline.run_until(at(9))
    assert rows(store) == [
        ("p", "played", "08:00:00", "08:00:05", ""),
        ("p", "played", "08:30:00", "08:30:05", ""),
    ]


def test_quiet_hours_skip_planned_and_refuse_manual(settings: Settings, store: Store) -> None:
    pause_playlist(store, "night", 5, times=(dt.time(6, 0), dt.time(7, 0)))
    manual = pause_playlist(store, "manual", 5)
    simulation = Simulation.build(settings, store, at(5))
    results: dict[str, CommandResult] = {}

    def play(priority: str) -> Callable[[], None]:
        def action() -> None:
            now = simulation.timeline.now()
            command = give(store, PlayPlaylist(manual, Priority(priority)), now)
            simulation.player.run_commands()
            results[priority] = answer_to(store, command)

        return action

    simulation.run(at(8), at={at(5, 10): play("manual"), at(5, 20): play("emergency")})
    assert results["manual"] == answer(ReasonCode.QUIET_HOURS, start="22:00", end="06:30")
    assert results["emergency"] == answer(ReasonCode.STARTED)
    assert rows(store) == [
        ("manual", "played", "05:20:00", "05:20:05", ""),
        ("night", "skipped", None, None, "quiet hours 22:00–06:30"),
        ("night", "played", "07:00:00", "07:00:05", ""),
    ]


def test_screens_follow_the_broadcast_and_fall_back_to_the_idle_rotation(
    sample_settings: Settings, sample_store: Store
) -> None:
    from PIL import Image

    simulation = Simulation.build(sample_settings, sample_store, at(7, 29))
    seen: dict[str, list[str]] = {}

    def look() -> None:
        for screen in sample_settings.screens:
            state = sample_store.screen_state(screen.name)
            assert state is not None
            mode = state[1]["mode"]
            titles = [slide["title"] for slide in state[1]["slides"]]
            seen.setdefault(screen.name, []).append(f"{mode}:{'/'.join(titles)}")

    first_clip = (
        playlist_table.get_playlist(sample_store, 1, sample_settings.media_dir).items[0].duration
    )
    moments = [at(7, 29, 30), at(7, 30, 1), at(7, 30, first_clip + 1), at(7, 45)]
    simulation.run(at(7, 50), at={moment: look for moment in moments})
    for screen in sample_settings.screens:
        idle = "idle:社会工作知识/社会工作体系/社会工作人才政策/社会工作服务/五社联动"
        assert seen[screen.name] == [
            idle,
            "broadcast:社会工作知识",
            "broadcast:社会工作知识",  # the pause after it keeps its slide
            idle,
        ]
        state = sample_store.screen_state(screen.name)
        assert state is not None
        for slide in state[1]["slides"]:
            media = media_table.get_media(sample_store, slide["image"])
            assert media is not None and media.kind == "image"
            with Image.open(sample_settings.media_dir / media.path) as image:
                assert image.size == (screen.width, screen.height)


def test_the_screens_are_published_afresh_when_the_player_starts(
    sample_settings: Settings, sample_store: Store
) -> None:
    # Screen states are written without waiting for the disk: one a power cut took back,
    # or left from a broadcast cut off, must not stay on the street after the restart.
    assert sample_settings.screens
    cut_off = {"mode": "broadcast", "on_air": {"name": "cut off"}, "slides": []}
    for screen in sample_settings.screens:
        sample_store.set_screen_state(screen.name, cut_off, at(7))
    Simulation.build(sample_settings, sample_store, at(7, 29)).player.start()
    for screen in sample_settings.screens:
        state = sample_store.screen_state(screen.name)
        assert state is not None and state[1]["mode"] == "idle", screen.name


def test_broadcast_opens_with_lead_in_and_chime_and_gaps_between_items(
    sample_settings: Settings, sample_store: Store
) -> None:
    from playlists.settings import BroadcastSettings

    settings = dataclasses.replace(
        sample_settings,
        broadcast=BroadcastSettings(chime=True, lead_in_seconds=1.0, gap_seconds=0.5),
    )
    simulation = Simulation.build(settings, sample_store, at(7, 29))
    titles: list[str] = []

    def look() -> None:
        state = sample_store.screen_state("led-bar")
        assert state is not None
        titles.append(state[1]["slides"][0]["title"])

    simulation.run(at(7, 45), at={at(7, 30, 2): look})
    openers = simulation.player.ingest.openers()
    assert openers.lead_in is not None and openers.chime is not None
    plays = simulation.sink.plays
    lead_in, chime = (simulation.player.ingest.path_of(r) for r in (openers.lead_in, openers.chime))
    assert [p.path for p in plays[:2]] == [lead_in, chime]
    assert plays[0].started == at(7, 30)
    assert plays[1].started == at(7, 30, 1)
    assert openers.chime.duration is not None and 1.5 < openers.chime.duration < 3
    assert titles == ["社会工作知识"], "the screens change with the chime"
    playlist = playlist_table.get_playlist(sample_store, 1, settings.media_dir)
    first = playlist.items[0].duration
    # Item 1 starts after the chime; item 2 follows the explicit 2 s pause, with no extra gap.
    assert plays[2].started == at(7, 30, 1 + openers.chime.duration)
    assert (plays[3].started - plays[2].started).total_seconds() == pytest.approx(first + 2)
    (row,) = asrun.all_rows(sample_store)
    assert row.status is Outcome.PLAYED


def test_content_scheduled_while_awaiting_review_airs_only_once_approved(
    settings: Settings, store: Store
) -> None:
    from playlists.content import review
    from playlists.schedule import scheduling

    items = [playlist_table.NewItem(ItemKind.PAUSE, 5)]
    pending = playlist_table.add_playlist(
        store, "待审", "", items, at(0), review=Review.PENDING, created_by="op"
    )
    asked = scheduling.ScheduleRequest(
        pending, DAY, DAY, (dt.time(8, 0), dt.time(9, 0)), frozenset(range(7)), Priority.SCHEDULED
    )
    scheduling.add(store, asked, "op", at(0), may_emergency=False)
    simulation = Simulation.build(settings, store, at(7))

    def approve() -> None:
        review.approve(store, review.PLAYLIST, pending, "rev", simulation.timeline.now())

    simulation.run(at(10), at={at(8, 30): approve})
    assert rows(store) == [
        ("待审", "skipped", None, None, "awaiting review: playlist “待审” is not approved"),
        ("待审", "played", "09:00:00", "09:00:05", ""),
    ]
    (skipped, _played) = asrun.all_rows(store)
    assert skipped.reason == notes.encode((note(NoteCode.AWAITING_REVIEW, name="待审"),))


def test_content_that_went_back_to_review_is_skipped_and_refused(
    settings: Settings, store: Store
) -> None:
    from playlists.content import review

    changed = pause_playlist(store, "changed", 5, times=(dt.time(8, 0), dt.time(9, 0)))
    simulation = Simulation.build(settings, store, at(7))
    results: list[CommandResult] = []

    def edit_and_play() -> None:
        review.mark_changed(store, review.PLAYLIST, changed, "王五", simulation.timeline.now())
        now = simulation.timeline.now()
        command = give(store, PlayPlaylist(changed), now)
        simulation.player.run_commands()
        results.append(answer_to(store, command))

    simulation.run(at(10), at={at(8, 30): edit_and_play})
    assert results == [answer(ReasonCode.NOT_APPROVED, subject="playlist", name="changed")]
    assert rows(store) == [
        ("changed", "played", "08:00:00", "08:00:05", ""),
        (
            "changed",
            "skipped",
            None,
            None,
            "awaiting review: playlist “changed” is not approved",
        ),
    ]
