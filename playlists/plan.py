"""What plays when: schedule entries expanded over a time range.

The calendar, `villagecast plan`, the simulator and the player daemon all call
`plan`, so what the operator sees is what will play.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from playlists.clock import station_date, station_instant, station_time
from playlists.model import PlannedBroadcast, Priority, QuietHours, ScheduleEntry
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store


def plan(
    entries: Iterable[ScheduleEntry],
    start: dt.datetime,
    end: dt.datetime,
    tz: ZoneInfo,
    quiet: QuietHours | None = None,
) -> list[PlannedBroadcast]:
    """Expand schedule entries into the broadcasts due in [start, end), in order.

    Broadcasts below emergency that fall in the quiet hours are marked `quiet`.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("plan() needs aware datetimes")
    planned = [b for entry in entries for b in _occurrences(entry, start, end, tz, quiet)]
    planned.sort(key=lambda b: (b.start, -b.priority.rank, b.schedule_id))
    return planned


def _occurrences(
    entry: ScheduleEntry,
    start: dt.datetime,
    end: dt.datetime,
    tz: ZoneInfo,
    quiet: QuietHours | None,
) -> Iterator[PlannedBroadcast]:
    # Walk real calendar days, so a window that crosses a month end is no special case.
    first = max(entry.start, station_date(start, tz))
    last = min(entry.end, station_date(end, tz))
    silenced = quiet is not None and entry.priority is not Priority.EMERGENCY
    day = first
    while day <= last:
        if day.weekday() in entry.weekdays:
            for time in entry.times:
                instant = station_instant(day, time, tz)
                if start <= instant < end:
                    local = station_time(instant, tz)
                    yield entry.occurrence(
                        instant, quiet=silenced and quiet is not None and quiet.contains(local)
                    )
        day += dt.timedelta(days=1)


def station_plan(
    store: Store, settings: Settings, start: dt.datetime, end: dt.datetime
) -> list[PlannedBroadcast]:
    """Plan every enabled schedule entry of the store in the station's zone and quiet hours."""
    return plan(entry_table.schedule_entries(store), start, end, settings.tz, settings.player.quiet)


def day_range(first: dt.date, last: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """Return the instants bounding whole station days first..last (inclusive)."""
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start, end
