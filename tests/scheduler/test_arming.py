"""Incremental re-arming: an edit re-arms only the broadcasts it touches.

Each case counts the timeline calls a re-arm makes for occurrences (not time), and
checks that what is armed afterwards is exactly what a player arming everything
afresh at the same instant would arm.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from playlists.content import playlist_table
from playlists.model import ItemKind, PlannedBroadcast, Priority, Review
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store
from scheduler.player import OCCURRENCE_PREFIX, Player
from scheduler.sinks import RecordingSink
from scheduler.timeline import Callback, VirtualTimeline

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2023, 3, 28)
TIMES = (dt.time(8, 0), dt.time(12, 0), dt.time(18, 0))


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=TZ)


class CountingTimeline(VirtualTimeline):
    """A virtual timeline that counts the occurrence callbacks armed and cancelled."""

    touched = 0

    def call_at(self, key: str, when: dt.datetime, callback: Callback) -> None:
        self.touched += key.startswith(OCCURRENCE_PREFIX)
        super().call_at(key, when, callback)

    def cancel(self, key: str) -> None:
        self.touched += key.startswith(OCCURRENCE_PREFIX)
        super().cancel(key)

    def fall_behind(self, to: dt.datetime) -> None:
        """Move the clock without calling back what came due, as a stalled scheduler."""
        self._now = to


def add(store: Store, name: str, times: tuple[dt.time, ...], *seconds: float) -> int:
    items = [playlist_table.NewItem(ItemKind.PAUSE, length) for length in seconds or (5.0,)]
    playlist = playlist_table.add_playlist(
        store, name, "", items, at(0), review=Review.APPROVED, created_by="test"
    )
    return entry_table.add_schedule(
        store, playlist, DAY, DAY + dt.timedelta(days=7), times, frozenset(range(7)),
        Priority.SCHEDULED, at(0),
    )  # fmt: skip


def change(store: Store, schedule_id: int, **fields: object) -> None:
    entry = dataclasses.replace(entry_table.get_schedule(store, schedule_id), **fields)
    entry_table.update_schedule(
        store, entry.id, entry.playlist_id, entry.start, entry.end, entry.times,
        entry.weekdays, entry.priority,
    )  # fmt: skip


def replace_items(store: Store, schedule_id: int, name: str, *seconds: float) -> None:
    playlist_id = entry_table.get_schedule(store, schedule_id).playlist_id
    items = [playlist_table.NewItem(ItemKind.PAUSE, length) for length in seconds]
    playlist_table.replace_playlist(
        store, playlist_id, name, "", items, at(0), review=Review.APPROVED, created_by="test"
    )


def armed(player: Player) -> dict[str, PlannedBroadcast]:
    """What the player's timeline holds, with the broadcast each key plays."""
    live = player.timeline.armed(OCCURRENCE_PREFIX)
    return {k: b for k, b in player._plan.broadcasts.items() if k in live}


def timeline_of(player: Player) -> CountingTimeline:
    assert isinstance(player.timeline, CountingTimeline)
    return player.timeline


Edit = Callable[[Store, list[int], Player], None]

CASES: list[tuple[str, Edit, int]] = [
    ("add a playlist", lambda s, ids, p: add(s, "新增", (dt.time(9, 30),)), 2),
    ("add a time", lambda s, ids, p: change(s, ids[1], times=(*TIMES, dt.time(20, 0))), 2),
    ("move a time", lambda s, ids, p: change(s, ids[1], times=(*TIMES[:2], dt.time(19, 0))), 4),
    ("change the priority", lambda s, ids, p: change(s, ids[2], priority=Priority.EMERGENCY), 6),
    ("rename the playlist", lambda s, ids, p: replace_items(s, ids[0], "改名", 5), 6),
    ("lengthen the playlist", lambda s, ids, p: replace_items(s, ids[0], "节目0", 5, 5), 6),
    ("same length, new items", lambda s, ids, p: replace_items(s, ids[0], "节目0", 2, 3), 0),
    ("delete an entry", lambda s, ids, p: entry_table.delete_schedule(s, ids[3]), 6),
    ("shorten the range", lambda s, ids, p: change(s, ids[4], end=DAY), 3),
    # The hourly re-arm at 08:30: the 08:00 broadcasts played, the horizon reaches
    # the day after tomorrow's 08:00 ones.
    ("shift the horizon", lambda s, ids, p: timeline_of(p).run_until(at(8, 31)), 5),
    # A re-arm at 09:00 whose timeline never called back the 08:00 broadcasts: they
    # are dropped (logged missed), and the horizon gains the day after tomorrow's 08:00.
    ("timeline fell behind", lambda s, ids, p: (timeline_of(p).fall_behind(at(9)), p.arm()), 10),
]


@pytest.mark.parametrize(("edit", "touched"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rearm_touches_only_what_changed_and_equals_a_full_arm(
    settings: Settings, store: Store, edit: Edit, touched: int
) -> None:
    ids = [add(store, f"节目{n}", TIMES) for n in range(5)]
    timeline = CountingTimeline(at(7, 30))
    player = Player(settings, store, timeline, RecordingSink(timeline))
    player.start()
    assert len(armed(player)) == 30  # 5 playlists x 3 times x 2 days in the 48-hour horizon
    timeline.touched = 0
    edit(store, ids, player)
    player.check_store()
    assert timeline.touched == touched
    fresh_timeline = VirtualTimeline(timeline.now())
    fresh = Player(settings, store, fresh_timeline, RecordingSink(fresh_timeline))
    fresh.arm_all()
    assert armed(player) == armed(fresh)


def test_rearm_writes_one_info_line_with_counts(
    settings: Settings, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    ids = [add(store, f"节目{n}", TIMES) for n in range(5)]
    timeline = VirtualTimeline(at(7, 30))
    player = Player(settings, store, timeline, RecordingSink(timeline))
    player.start()
    caplog.clear()
    change(store, ids[1], times=(*TIMES[:2], dt.time(19, 0)))
    with caplog.at_level(logging.DEBUG, logger="scheduler"):
        player.check_store()
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert info == [
        "re-armed: 2 armed, 2 cancelled, 28 kept (1 of 5 entries changed); "
        "30 up to 2023-03-30 07:30"
    ]
    assert len([r for r in caplog.records if r.levelno == logging.DEBUG]) >= 4


def test_slides_are_prepared_once_per_plan_revision(
    settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [add(store, f"节目{n}", TIMES) for n in range(5)]
    timeline = VirtualTimeline(at(7, 30))
    player = Player(settings, store, timeline, RecordingSink(timeline))
    prepared: list[int] = []
    real = player.screens.prepare
    monkeypatch.setattr(
        player.screens, "prepare", lambda segments: (prepared.append(1), real(segments))
    )
    player.start()
    assert len(prepared) == 5  # each scheduled playlist
    timeline.run_until(at(10, 31))  # three hourly re-arms: the same playlists
    assert len(prepared) == 5
    change(store, ids[0], times=(dt.time(9, 0),))
    player.check_store()  # an edit: content may have changed under any entry
    assert len(prepared) == 10


def random_step(rng: random.Random, store: Store, ids: list[int], player: Player) -> str:
    """Make one edit or move the clock; return what it did."""
    kind = rng.choice(["add", "times", "priority", "delete", "items", "clock", "clock"])
    alive = [i for i in ids if i in {e.id for e in entry_table.schedule_entries(store)}]
    if kind == "add" or not alive:
        times = tuple(sorted({dt.time(rng.randrange(7, 21), rng.choice((0, 30))) for _ in "ab"}))
        ids.append(add(store, f"新增{len(ids)}", times))
    elif kind == "times":
        change(store, rng.choice(alive), times=(dt.time(rng.randrange(7, 21), 15),))
    elif kind == "priority":
        change(store, rng.choice(alive), priority=rng.choice(list(Priority)))
    elif kind == "delete":
        entry_table.delete_schedule(store, rng.choice(alive))
    elif kind == "items":
        entry = entry_table.get_schedule(store, rng.choice(alive))
        replace_items(store, entry.id, entry.playlist_name, *[rng.choice((2.0, 5.0))] * 2)
    else:
        timeline_of(player).run_until(
            timeline_of(player).now() + dt.timedelta(minutes=rng.randrange(20, 300))
        )
    return kind


@pytest.mark.parametrize("seed", [1, 2, 3, 4], ids=lambda s: f"seed-{s}")
def test_every_step_of_a_random_run_arms_what_a_full_arm_would(
    settings: Settings, store: Store, seed: int
) -> None:
    rng = random.Random(seed)
    ids = [add(store, f"节目{n}", TIMES) for n in range(4)]
    timeline = CountingTimeline(at(7, 30))
    player = Player(settings, store, timeline, RecordingSink(timeline))
    player.start()
    for step in range(12):
        kind = random_step(rng, store, ids, player)
        player.check_store()
        fresh_timeline = VirtualTimeline(timeline.now())
        fresh = Player(settings, store, fresh_timeline, RecordingSink(fresh_timeline))
        fresh.arm_all()
        # The hourly re-arm moves the horizon an hour at a time, as it always has.
        until = player._plan.until
        assert until is not None
        expected = {k: b for k, b in armed(fresh).items() if b.start < until}
        assert armed(player) == expected, f"step {step}: {kind}"
