"""How much a schedule may hold, declared once for every door.

The YAML format (and so bundles and the town's sync), the panel's form, the API and
the store itself (entry_table.add_schedule, update_schedule) all ask here. Every planned
broadcast costs the calendar, the report and the player: without caps a 26 KB file
of 80 entries made one view of /schedule take 16 s and 1.5 GB.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from collections.abc import Iterable

from playlists.errors import ScheduleLimitError

MAX_TIMES = 48  # times of day in one entry: every half hour; more is surely a mistake
MAX_WAIT = 3600  # seconds a broadcast may wait for the lane
MAX_DAYS = 366  # days one entry spans: a year; a longer range is a typo in the year
MAX_ENTRIES_PER_PLAYLIST = 20
MAX_ENTRIES_PER_STATION = 200
MAX_TIMES_PER_STATION = 500  # times of day over all enabled entries: broadcasts per day

TIMES = "times"
WAIT = "wait"
DAYS = "days"
PLAYLIST_ENTRIES = "playlist-entries"
STATION_ENTRIES = "station-entries"
STATION_TIMES = "station-times"


def check_entry(times: int, start: dt.date, end: dt.date, wait: float) -> None:
    """Refuse one entry with too many times, too long a span or too long a wait."""
    check_times(times)
    check_days(start, end)
    check_wait(wait)


def check_times(times: int) -> None:
    """Refuse more times of day in one entry than the cap."""
    if times > MAX_TIMES:
        raise ScheduleLimitError(
            TIMES, f"an entry has {times} times of day; at most {MAX_TIMES}", MAX_TIMES, times
        )


def check_days(start: dt.date, end: dt.date) -> None:
    """Refuse an entry that spans more days than the cap."""
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise ScheduleLimitError(
            DAYS, f"an entry spans {days} days; at most {MAX_DAYS}", MAX_DAYS, days
        )


def check_wait(wait: float) -> None:
    """Refuse a wait for the lane below 0 or over the cap (NaN too)."""
    if not 0 <= wait <= MAX_WAIT:
        found = int(wait) if math.isfinite(wait) else -1  # int(nan) would raise ValueError
        raise ScheduleLimitError(
            WAIT, f"the wait must be from 0 to {MAX_WAIT} seconds", MAX_WAIT, found
        )


def check_playlist(entries: int) -> None:
    """Refuse more schedule entries for one playlist than the cap."""
    if entries > MAX_ENTRIES_PER_PLAYLIST:
        raise ScheduleLimitError(
            PLAYLIST_ENTRIES,
            f"a playlist has {entries} schedule entries; at most {MAX_ENTRIES_PER_PLAYLIST}",
            MAX_ENTRIES_PER_PLAYLIST,
            entries,
        )


def check_station(
    conn: sqlite3.Connection, added: Iterable[int], replacing: int | None = None
) -> None:
    """Refuse entries (their numbers of times) that would take the station over its caps.

    replacing: the id of an entry being changed, whose own times no longer count.
    """
    row = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(json_array_length(times)), 0) FROM schedules "
        "WHERE enabled = 1 AND id IS NOT ?",
        (replacing,),
    ).fetchone()
    new = list(added)
    entries, times = int(row[0]) + len(new), int(row[1]) + sum(new)
    if entries > MAX_ENTRIES_PER_STATION:
        raise ScheduleLimitError(
            STATION_ENTRIES,
            f"the station would have {entries} schedule entries; at most "
            f"{MAX_ENTRIES_PER_STATION}: remove some first",
            MAX_ENTRIES_PER_STATION,
            entries,
        )
    if times > MAX_TIMES_PER_STATION:
        raise ScheduleLimitError(
            STATION_TIMES,
            f"the station's schedule would hold {times} times of day; at most "
            f"{MAX_TIMES_PER_STATION}: remove some entries or times first",
            MAX_TIMES_PER_STATION,
            times,
        )
