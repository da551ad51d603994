"""Station time: instants read on the station's calendar, whatever the machine's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from playlists.clock import (
    station_date,
    station_instant,
    station_iso,
    station_time,
    station_today,
    utc_now,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")  # UTC+8, no DST
URUMQI = ZoneInfo("Asia/Urumqi")  # UTC+6, no DST: the zone some Xinjiang stations keep
KATHMANDU = dt.timezone(dt.timedelta(hours=5, minutes=45))  # a fixed offset off the hour
GMT_MINUS_8 = ZoneInfo("Etc/GMT+8")  # POSIX sign: eight hours behind UTC
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("now", "tz", "today"),
    [
        (utc(2023, 3, 27, 15, 59, 59), SHANGHAI, dt.date(2023, 3, 27)),
        (utc(2023, 3, 27, 16, 0, 0), SHANGHAI, dt.date(2023, 3, 28)),
        (utc(2023, 3, 27, 23, 59, 59), SHANGHAI, dt.date(2023, 3, 28)),
        (utc(2023, 3, 28, 0, 0, 0), SHANGHAI, dt.date(2023, 3, 28)),
        (utc(2023, 3, 31, 16, 0, 0), SHANGHAI, dt.date(2023, 4, 1)),
        (utc(2023, 12, 31, 16, 0, 0), SHANGHAI, dt.date(2024, 1, 1)),
        (utc(2024, 2, 28, 16, 0, 0), SHANGHAI, dt.date(2024, 2, 29)),
        (utc(2023, 3, 27, 17, 59, 59), URUMQI, dt.date(2023, 3, 27)),
        (utc(2023, 3, 27, 18, 0, 0), URUMQI, dt.date(2023, 3, 28)),
        (utc(2023, 3, 27, 18, 14, 59), KATHMANDU, dt.date(2023, 3, 27)),
        (utc(2023, 3, 27, 18, 15, 0), KATHMANDU, dt.date(2023, 3, 28)),
        (utc(2023, 3, 28, 7, 59, 59), GMT_MINUS_8, dt.date(2023, 3, 27)),
        (utc(2023, 3, 28, 8, 0, 0), GMT_MINUS_8, dt.date(2023, 3, 28)),
        (utc(2023, 3, 28, 0, 0, 0), dt.UTC, dt.date(2023, 3, 28)),
        (
            dt.datetime(2023, 3, 28, 0, 30, tzinfo=ZoneInfo("America/New_York")),
            SHANGHAI,
            dt.date(2023, 3, 28),
        ),
    ],
    ids=[
        "shanghai-last-second-before-station-midnight",
        "shanghai-station-midnight-is-16h-utc",
        "shanghai-utc-evening-is-next-station-day",
        "shanghai-utc-midnight-same-station-day",
        "shanghai-month-end",
        "shanghai-new-year",
        "shanghai-leap-day",
        "urumqi-before-station-midnight",
        "urumqi-station-midnight",
        "fixed-offset-quarter-hour-before",
        "fixed-offset-quarter-hour-at",
        "behind-utc-still-yesterday",
        "behind-utc-station-midnight",
        "utc-station",
        "instant-given-in-another-zone",
    ],
)
def test_station_today(now: dt.datetime, tz: dt.tzinfo, today: dt.date) -> None:
    assert station_today(now, tz) == today
    assert station_date(now, tz) == today


@pytest.mark.parametrize(
    ("instant", "tz", "time"),
    [
        (utc(2023, 3, 27, 23, 30), SHANGHAI, dt.time(7, 30)),
        (utc(2023, 3, 27, 14, 0), SHANGHAI, dt.time(22, 0)),
        (utc(2023, 3, 27, 16, 0), SHANGHAI, dt.time(0, 0)),
        (utc(2023, 3, 27, 16, 15), KATHMANDU, dt.time(22, 0)),
        (utc(2023, 3, 27, 16, 0, 0, 500000), SHANGHAI, dt.time(0, 0, 0, 500000)),
    ],
    ids=["morning", "quiet-hours-start", "station-midnight", "fixed-offset", "keeps-microseconds"],
)
def test_station_time(instant: dt.datetime, tz: dt.tzinfo, time: dt.time) -> None:
    assert station_time(instant, tz) == time
    assert station_time(instant, tz).tzinfo is None  # compared with naive quiet-hour bounds


@pytest.mark.parametrize(
    ("day", "time", "tz", "expected"),
    [
        (dt.date(2023, 3, 28), dt.time(7, 30), SHANGHAI, utc(2023, 3, 27, 23, 30)),
        (dt.date(2023, 3, 28), dt.time(0, 0), SHANGHAI, utc(2023, 3, 27, 16, 0)),
        (dt.date(2023, 3, 28), dt.time(23, 59), URUMQI, utc(2023, 3, 28, 17, 59)),
        (dt.date(2023, 3, 28), dt.time(0, 0), KATHMANDU, utc(2023, 3, 27, 18, 15)),
        (dt.date(2023, 3, 28), dt.time(7, 0), GMT_MINUS_8, utc(2023, 3, 28, 15, 0)),
        # 02:30 does not exist in Berlin on 26 March 2023: it plays at 03:30 CEST.
        (dt.date(2023, 3, 26), dt.time(2, 30), BERLIN, utc(2023, 3, 26, 1, 30)),
    ],
    ids=[
        "shanghai-morning",
        "shanghai-midnight",
        "urumqi-late",
        "fixed-offset-midnight",
        "behind-utc",
        "dst-gap-moves-forward",
    ],
)
def test_station_instant(day: dt.date, time: dt.time, tz: dt.tzinfo, expected: dt.datetime) -> None:
    instant = station_instant(day, time, tz)
    assert instant == expected
    assert instant.utcoffset() == expected.astimezone(tz).utcoffset()


@pytest.mark.parametrize(
    ("instant", "tz", "text"),
    [
        (utc(2023, 3, 27, 23, 30), SHANGHAI, "2023-03-28T07:30:00+08:00"),
        (utc(2023, 3, 27, 16, 0), SHANGHAI, "2023-03-28T00:00:00+08:00"),
        (utc(2023, 3, 27, 18, 15), KATHMANDU, "2023-03-28T00:00:00+05:45"),
        (utc(2023, 3, 28, 7, 0), GMT_MINUS_8, "2023-03-27T23:00:00-08:00"),
        (None, SHANGHAI, None),
    ],
    ids=["shanghai", "shanghai-midnight", "fixed-offset", "behind-utc", "none-stays-none"],
)
def test_station_iso(instant: dt.datetime | None, tz: dt.tzinfo, text: str | None) -> None:
    assert station_iso(instant, tz) == text


def test_utc_now_is_aware_utc() -> None:
    before = dt.datetime.now(dt.UTC)
    now = utc_now()
    assert now.utcoffset() == dt.timedelta(0)
    assert before <= now <= dt.datetime.now(dt.UTC)
