"""Station time: the one wall clock, and instants read on the station's calendar.

Every instant villagecast keeps is aware (the store holds UTC). The station's zone
comes from config.yaml (`settings.tz`), never from the machine, so "today", "the
time of day" and the times a person reads are all taken through these helpers.
"""

from __future__ import annotations

import datetime as dt
from typing import overload


def utc_now() -> dt.datetime:
    """Return the current instant, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def station_date(instant: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """Return the station's calendar date at an instant."""
    return instant.astimezone(tz).date()


def station_today(now: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """Return the station's date today, `now` being the current instant."""
    return station_date(now, tz)


def station_time(instant: dt.datetime, tz: dt.tzinfo) -> dt.time:
    """Return the station's wall-clock time of day at an instant."""
    return instant.astimezone(tz).time()


def station_instant(day: dt.date, time: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """Return the instant a station wall-clock time names, moving times a DST gap skips."""
    aware = dt.datetime.combine(day, time, tzinfo=tz)
    # A round trip through UTC moves a time inside a spring-forward gap to a real instant.
    return aware.astimezone(dt.UTC).astimezone(tz)


@overload
def station_iso(instant: dt.datetime, tz: dt.tzinfo) -> str: ...


@overload
def station_iso(instant: dt.datetime | None, tz: dt.tzinfo) -> str | None: ...


def station_iso(instant: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    """Write an instant as ISO 8601 with the station's offset (None stays None)."""
    return None if instant is None else instant.astimezone(tz).isoformat()
