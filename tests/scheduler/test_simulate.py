"""simulate(): the player on a copy of the store, its writes batched, its rows streamed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from playlists.content import playlist_table
from playlists.model import ItemKind, Outcome, Priority, Review
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
