"""What plays when: schedule entries expanded over a time range.

The calendar, `villagecast plan`, the simulator and the player daemon all call
`plan`, so what the operator sees is what will play.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
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
    return in_plan_order(b for entry in entries for b in occurrences(entry, start, end, tz, quiet))


def occurrences(
    entry: ScheduleEntry,
    start: dt.datetime,
    end: dt.datetime,
    tz: ZoneInfo,
    quiet: QuietHours | None = None,
) -> list[PlannedBroadcast]:
    """Return one entry's broadcasts due in [start, end), in time order (see `plan`).

    A caller that keeps them may reuse them while the entry and the range are the same.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("plan() needs aware datetimes")
    return list(_occurrences(entry, start, end, tz, quiet))


def plan_order(broadcast: PlannedBroadcast) -> tuple[dt.datetime, int, int]:
    """Return what broadcasts are ordered by: time, then higher priority, then entry."""
    return broadcast.start, -broadcast.priority.rank, broadcast.schedule_id


def in_plan_order(broadcasts: Iterable[PlannedBroadcast]) -> list[PlannedBroadcast]:
    """Return broadcasts in the order the player starts them: by time, higher priority first."""
    planned = list(broadcasts)
    planned.sort(key=plan_order)
    return planned


def merged_in_order(
    planned: Iterable[PlannedBroadcast], added: Iterable[PlannedBroadcast]
) -> list[PlannedBroadcast]:
    """Return `in_plan_order` of both, `planned` being in plan order already.

    The added broadcasts are put in their places by bisection, the stretches of
    `planned` between them copied whole: for the few an edit makes among a busy month's
    15,000, much less than sorting them all again.
    """
    kept = list(planned)
    merged: list[PlannedBroadcast] = []
    done = 0
    for broadcast in in_plan_order(added):
        # After those it ties with, as a stable sort of kept + added places it.
        at = bisect.bisect_right(kept, plan_order(broadcast), lo=done, key=plan_order)
        merged.extend(kept[done:at])
        merged.append(broadcast)
        done = at
    merged.extend(kept[done:])
    return merged


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
            steady = _steady(day, tz)
            for time in entry.times:
                # On a day without a clock change, the wall time is the instant as it is.
                if steady:
                    instant = dt.datetime.combine(day, time, tzinfo=tz)
                else:
                    instant = station_instant(day, time, tz)
                if start <= instant < end:
                    local = time if steady else station_time(instant, tz)
                    yield entry.occurrence(
                        instant, quiet=silenced and quiet is not None and quiet.contains(local)
                    )
        day += dt.timedelta(days=1)


@functools.lru_cache(maxsize=1024)  # asked for every entry on every day
def _steady(day: dt.date, tz: ZoneInfo) -> bool:
    """Tell whether the station's clock keeps one UTC offset from this midnight to the next."""
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return (
        midnight.utcoffset() == next_midnight.utcoffset()
        and midnight.utcoffset() == midnight.replace(fold=1).utcoffset()
    )


def station_plan(
    store: Store, settings: Settings, start: dt.datetime, end: dt.datetime
) -> list[PlannedBroadcast]:
    """Plan every enabled schedule entry of the store in the station's zone and quiet hours."""
    return plan(entry_table.schedule_entries(store), start, end, settings.tz, settings.player.quiet)


def iter_plan(
    entries: Iterable[ScheduleEntry],
    start: dt.datetime,
    end: dt.datetime,
    tz: ZoneInfo,
    quiet: QuietHours | None = None,
) -> Iterator[PlannedBroadcast]:
    """Yield what `plan` returns, in the same order, a station day at a time.

    Memory holds one day's broadcasts, not the range's: a year of a busy station is
    hundreds of thousands.
    """
    entries = list(entries)
    for day_start, day_end in _days(start, end, tz):
        yield from plan(entries, day_start, day_end, tz, quiet)


def iter_station_plan(
    store: Store, settings: Settings, start: dt.datetime, end: dt.datetime
) -> Iterator[PlannedBroadcast]:
    """Yield the station's plan over [start, end) a day at a time (see `station_plan`)."""
    entries = entry_table.schedule_entries(store)
    return iter_plan(entries, start, end, settings.tz, settings.player.quiet)


def _days(
    start: dt.datetime, end: dt.datetime, tz: ZoneInfo
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Cut [start, end) at each station midnight."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("plan() needs aware datetimes")
    piece = start
    day = station_date(start, tz)
    while piece < end:
        day += dt.timedelta(days=1)
        midnight = station_instant(day, dt.time(), tz)
        if midnight <= piece:
            continue
        yield piece, min(midnight, end)
        piece = midnight


def day_range(first: dt.date, last: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """Return the instants bounding whole station days first..last (inclusive)."""
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start, end
