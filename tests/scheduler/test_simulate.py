"""simulate(): the player on a copy of the store, its writes batched, its rows streamed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from playlists.content import playlist_table
from playlists.model import InterruptPolicy, ItemKind, Outcome, Priority, Review, Slide
from playlists.record import asrun
from playlists.schedule import entry_table
from playlists.settings import BroadcastSettings, Settings
from playlists.store import Store
from scheduler.simulate import simulate, simulated_rows

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2023, 3, 28)


def at(hour: int, day: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY + dt.timedelta(days=day), dt.time(hour), tzinfo=TZ)


def schedule(store: Store, days: int) -> None:
    items = [playlist_table.NewItem(ItemKind.PAUSE, 5.0)]
    playlist = playlist_table.add_playlist(
        store, "节目", "", items, at(0), review=Review.APPROVED, created_by="test"
    )
    entry_table.add_schedule(
        store, playlist, DAY, DAY + dt.timedelta(days=days - 1), (dt.time(8), dt.time(12)),
        frozenset(range(7)), Priority.SCHEDULED, at(0),
    )  # fmt: skip


def media_rows(store: Store) -> int:
    return len(store.query("SELECT sha256 FROM media"))


def test_lead_in_and_chime_are_made_once_for_every_simulation(
    settings: Settings, store: Store
) -> None:
    settings = dataclasses.replace(settings, broadcast=BroadcastSettings())
    schedule(store, 1)
    first = simulate(settings, store, at(0), at(0, day=1))
    made = media_rows(store)
    assert made == 2  # the lead-in and the chime, kept in the real store as the player does
    second = simulate(settings, store, at(0), at(0, day=1))
    assert media_rows(store) == made
    assert first == second
    assert [r.status for r in first] == [Outcome.PLAYED, Outcome.PLAYED]
    assert asrun.all_rows(store) == [], "simulation never writes the real log"


def test_rows_stream_in_time_order_over_many_days(settings: Settings, store: Store) -> None:
    schedule(store, 40)
    with simulated_rows(settings, store, at(0), at(0, day=40)) as rows:
        starts = [r.scheduled_at for r in rows]
    assert len(starts) == 80
    assert starts == sorted(starts)
    assert starts[-1] == at(12, day=39)


def station(store: Store, *playlists: tuple[str, list[float], dt.time, Priority, float]) -> None:
    """Schedule each (name, pause lengths, time, priority, wait) for three days; with slides."""
    for name, lengths, time, priority, wait in playlists:
        items = [
            playlist_table.NewItem(ItemKind.PAUSE, length, slide=Slide(title=f"{name} {n}"))
            for n, length in enumerate(lengths)
        ]
        playlist = playlist_table.add_playlist(
            store, name, "", items, at(0), review=Review.APPROVED, created_by="test"
        )
        entry_table.add_schedule(
            store, playlist, DAY, DAY + dt.timedelta(days=2), (time,), frozenset(range(7)),
            priority, at(0), on_interrupt=InterruptPolicy.RESUME, wait_seconds=wait,
        )  # fmt: skip


LONG = [60.0, 60.0, 60.0]
STATIONS = {
    "one a day": [("早间", LONG, dt.time(8), Priority.SCHEDULED, 300.0)],
    "cut in and resumed": [
        ("长节目", LONG, dt.time(8), Priority.SCHEDULED, 300.0),
        ("插播", [30.0, 30.0], dt.time(8, 1, 30), Priority.MANUAL, 300.0),
    ],
    "waited too long": [
        ("先到", LONG, dt.time(9), Priority.SCHEDULED, 300.0),
        ("后到", [10.0], dt.time(9, 1), Priority.SCHEDULED, 30.0),
    ],
    "on air across the day's step and the range's end": [
        ("午间", LONG, dt.time(11, 59), Priority.SCHEDULED, 300.0),
    ],
}
EXPECTED = {
    "one a day": {Outcome.PLAYED},
    "cut in and resumed": {Outcome.PLAYED, Outcome.INTERRUPTED},
    "waited too long": {Outcome.PLAYED, Outcome.SKIPPED},
    "on air across the day's step and the range's end": {Outcome.PLAYED},
}


@pytest.mark.parametrize("name", list(STATIONS), ids=list(STATIONS))
def test_batched_writes_leave_the_as_run_rows_as_the_daemons_writes_do(
    settings: Settings, store: Store, name: str
) -> None:
    station(store, *STATIONS[name])
    start, end = at(12), at(12, day=2)  # a step is a day from the start: 11:59 spans one
    batched = simulate(settings, store, start, end)
    unbatched = simulate(settings, store, start, end, batched=False)
    assert {r.status for r in batched} == EXPECTED[name]
    assert batched == unbatched  # every column: outcome, times, notes, last item and its start
    on_air = [r for r in batched if r.started_at is not None]
    assert on_air and all(r.item_started_at is not None for r in on_air)
