"""plan(): schedule entries expanded over a range in the station's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from playlists.model import Priority, QuietHours, ScheduleEntry
from playlists.plan import day_range, in_plan_order, iter_plan, merged_in_order, occurrences, plan

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def entry(**changes: object) -> ScheduleEntry:
    values: dict[str, object] = {
        "id": 1,
        "playlist_id": 7,
        "playlist_name": "社会工作主题宣传",
        "start": dt.date(2023, 3, 28),
        "end": dt.date(2023, 4, 7),
        "times": (dt.time(7, 30), dt.time(12, 0), dt.time(18, 30)),
        "duration": 90.0,
    }
    values.update(changes)
    return ScheduleEntry(**values)  # type: ignore[arg-type]


def test_campaign_window_crossing_a_month_end() -> None:
    start, end = day_range(dt.date(2023, 3, 28), dt.date(2023, 4, 8), SHANGHAI)
    planned = plan([entry()], start, end, SHANGHAI)
    assert len(planned) == 33
    assert planned[0].start.isoformat() == "2023-03-28T07:30:00+08:00"
    assert planned[-1].start.isoformat() == "2023-04-07T18:30:00+08:00"
    assert {b.start.astimezone(SHANGHAI).date() for b in planned} == {
        dt.date(2023, 3, 28) + dt.timedelta(days=n) for n in range(11)
    }
    assert planned[0].end - planned[0].start == dt.timedelta(seconds=90)


@pytest.mark.parametrize(
    ("changes", "first", "last", "count"),
    [
        pytest.param({}, dt.date(2023, 3, 1), dt.date(2023, 3, 27), 0, id="before-window"),
        pytest.param({}, dt.date(2023, 4, 7), dt.date(2023, 4, 7), 3, id="last-day-inclusive"),
        pytest.param(
            {"weekdays": frozenset({5, 6})},
            dt.date(2023, 3, 28),
            dt.date(2023, 4, 7),
            6,
            id="weekends-only",
        ),
        pytest.param(
            {"times": (dt.time(0, 0),)},
            dt.date(2023, 3, 31),
            dt.date(2023, 4, 1),
            2,
            id="midnight-both-days",
        ),
        pytest.param(
            {"start": dt.date(2023, 12, 30), "end": dt.date(2024, 1, 2)},
            dt.date(2023, 12, 1),
            dt.date(2024, 1, 31),
            12,
            id="year-end",
        ),
        pytest.param(
            {"start": dt.date(2024, 2, 28), "end": dt.date(2024, 3, 1)},
            dt.date(2024, 2, 1),
            dt.date(2024, 3, 31),
            9,
            id="leap-day",
        ),
    ],
)
def test_occurrence_counts(
    changes: dict[str, object], first: dt.date, last: dt.date, count: int
) -> None:
    start, end = day_range(first, last, SHANGHAI)
    assert len(plan([entry(**changes)], start, end, SHANGHAI)) == count


def test_range_is_half_open_at_instants() -> None:
    at = dt.datetime(2023, 3, 28, 12, 0, tzinfo=SHANGHAI)
    planned = plan([entry()], at, at + dt.timedelta(hours=6, minutes=30), SHANGHAI)
    assert [b.start.strftime("%H:%M") for b in planned] == ["12:00"]


def test_order_is_time_then_priority() -> None:
    manual = entry(id=2, priority=Priority.EMERGENCY, times=(dt.time(12, 0),))
    start, end = day_range(dt.date(2023, 3, 28), dt.date(2023, 3, 28), SHANGHAI)
    planned = plan([entry(), manual], start, end, SHANGHAI)
    assert [(b.start.hour, b.schedule_id) for b in planned] == [(7, 1), (12, 2), (12, 1), (18, 1)]


MERGE_DAYS = day_range(dt.date(2023, 3, 28), dt.date(2023, 3, 30), SHANGHAI)
BESIDE = entry(id=2, times=(dt.time(7, 30), dt.time(12, 0)))  # due with entry 1


@pytest.mark.parametrize(
    "added",
    [
        pytest.param(entry(id=3, times=(dt.time(6, 0),)), id="before-all-each-day"),
        pytest.param(entry(id=3, times=(dt.time(23, 0),)), id="after-all-each-day"),
        pytest.param(entry(id=0, times=(dt.time(12, 0),)), id="same-instant-lower-id"),
        pytest.param(entry(id=9, times=(dt.time(12, 0),)), id="same-instant-higher-id"),
        pytest.param(
            entry(id=9, times=(dt.time(7, 30),), priority=Priority.MANUAL),
            id="same-instant-higher-priority",
        ),
        pytest.param(entry(id=3, times=(dt.time(12, 0), dt.time(12, 0))), id="twice-an-instant"),
        pytest.param(entry(id=3, weekdays=frozenset()), id="nothing"),
    ],
)
def test_broadcasts_merged_into_a_plan_take_the_places_a_sort_gives(added: ScheduleEntry) -> None:
    planned = plan([entry(), BESIDE], *MERGE_DAYS, SHANGHAI)
    new = occurrences(added, *MERGE_DAYS, SHANGHAI)
    assert merged_in_order(planned, new) == in_plan_order([*planned, *new])
    assert merged_in_order(planned, new) == plan([entry(), BESIDE, added], *MERGE_DAYS, SHANGHAI)


def test_station_zone_not_machine_zone() -> None:
    start, end = day_range(dt.date(2023, 3, 28), dt.date(2023, 3, 28), SHANGHAI)
    utc_hours = [b.start.astimezone(dt.UTC).hour for b in plan([entry()], start, end, SHANGHAI)]
    assert utc_hours == [23, 4, 10]


def test_dst_gap_time_still_plays_once() -> None:
    # 02:30 does not exist in Berlin on 2024-03-31; it plays at the real instant after the gap.
    gap = entry(start=dt.date(2024, 3, 31), end=dt.date(2024, 3, 31), times=(dt.time(2, 30),))
    start, end = day_range(dt.date(2024, 3, 31), dt.date(2024, 3, 31), BERLIN)
    planned = plan([gap], start, end, BERLIN)
    assert len(planned) == 1
    assert planned[0].start.utcoffset() == dt.timedelta(hours=2)


def test_occurrence_key_is_stable_and_unique() -> None:
    start, end = day_range(dt.date(2023, 3, 28), dt.date(2023, 4, 7), SHANGHAI)
    keys = [b.key for b in plan([entry()], start, end, SHANGHAI)]
    assert len(set(keys)) == 33
    assert keys[0] == "1@2023-03-27T23:30:00Z"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        plan([entry()], dt.datetime(2023, 3, 28), dt.datetime(2023, 3, 29), SHANGHAI)


@pytest.mark.parametrize(
    ("quiet", "moment", "inside"),
    [
        pytest.param(("22:00", "06:30"), "23:15", True, id="night"),
        pytest.param(("22:00", "06:30"), "00:00", True, id="midnight"),
        pytest.param(("22:00", "06:30"), "06:30", False, id="end-exclusive"),
        pytest.param(("22:00", "06:30"), "22:00", True, id="start-inclusive"),
        pytest.param(("22:00", "06:30"), "12:00", False, id="noon"),
        pytest.param(("12:00", "14:00"), "13:00", True, id="same-day-nap"),
        pytest.param(("12:00", "12:00"), "12:00", False, id="empty"),
    ],
)
def test_quiet_hours_contains(quiet: tuple[str, str], moment: str, inside: bool) -> None:
    from playlists.model import QuietHours

    hours = QuietHours(dt.time.fromisoformat(quiet[0]), dt.time.fromisoformat(quiet[1]))
    assert hours.contains(dt.time.fromisoformat(moment)) is inside


def test_quiet_hours_mark_all_but_emergencies() -> None:
    from playlists.model import QuietHours

    quiet = QuietHours(dt.time(22), dt.time(6, 30))
    night = entry(times=(dt.time(6, 0), dt.time(7, 30), dt.time(22, 30)))
    alarm = entry(id=2, times=(dt.time(23, 0),), priority=Priority.EMERGENCY)
    start, end = day_range(dt.date(2023, 3, 28), dt.date(2023, 3, 28), SHANGHAI)
    planned = plan([night, alarm], start, end, SHANGHAI, quiet)
    assert [(b.start.strftime("%H:%M"), b.quiet) for b in planned] == [
        ("06:00", True),
        ("07:30", False),
        ("22:30", True),
        ("23:00", False),
    ]


SANTIAGO = ZoneInfo("America/Santiago")  # its clocks change at midnight


@pytest.mark.parametrize(
    ("tz", "start", "end"),
    [
        pytest.param(
            SHANGHAI,
            dt.datetime(2023, 3, 28, 12, 0, tzinfo=SHANGHAI),
            dt.datetime(2023, 4, 7, 12, 0, tzinfo=SHANGHAI),
            id="mid-day-to-mid-day",
        ),
        pytest.param(
            SHANGHAI,
            dt.datetime(2023, 3, 27, 16, 0, tzinfo=dt.UTC),
            dt.datetime(2023, 4, 8, 16, 0, tzinfo=dt.UTC),
            id="utc-bounds",
        ),
        pytest.param(
            BERLIN,
            dt.datetime(2023, 3, 25, tzinfo=BERLIN),
            dt.datetime(2023, 4, 3, tzinfo=BERLIN),
            id="dst-spring",
        ),
        pytest.param(
            SANTIAGO,
            dt.datetime(2023, 3, 28, tzinfo=SANTIAGO),
            dt.datetime(2023, 4, 8, tzinfo=SANTIAGO),
            id="dst-at-midnight",
        ),
        pytest.param(
            SHANGHAI,
            dt.datetime(2023, 3, 30, 7, 0, tzinfo=SHANGHAI),
            dt.datetime(2023, 3, 30, 7, 0, tzinfo=SHANGHAI),
            id="empty",
        ),
    ],
)
def test_iter_plan_yields_the_plan_a_day_at_a_time(
    tz: ZoneInfo, start: dt.datetime, end: dt.datetime
) -> None:
    entries = [
        entry(start=dt.date(2023, 3, 20)),
        entry(id=2, priority=Priority.EMERGENCY, times=(dt.time(0, 0), dt.time(12, 0))),
        entry(id=3, times=(dt.time(23, 59),), weekdays=frozenset({0, 3})),
    ]
    quiet = QuietHours(dt.time(22, 0), dt.time(6, 30))
    assert list(iter_plan(entries, start, end, tz, quiet)) == plan(entries, start, end, tz, quiet)


@pytest.mark.parametrize("tz", [SHANGHAI, BERLIN, SANTIAGO], ids=str)
def test_every_instant_of_a_year_is_the_wall_time_through_utc(tz: ZoneInfo) -> None:
    times = (dt.time(0, 0), dt.time(0, 30), dt.time(2, 30), dt.time(12, 0), dt.time(23, 59))
    year = entry(start=dt.date(2023, 1, 1), end=dt.date(2023, 12, 31), times=times)
    start, end = day_range(dt.date(2023, 1, 1), dt.date(2023, 12, 31), tz)
    planned = plan([year], start, end, tz)
    expected = sorted(
        dt.datetime.combine(day, time, tzinfo=tz).astimezone(dt.UTC).astimezone(tz)
        for day in (dt.date(2023, 1, 1) + dt.timedelta(days=n) for n in range(365))
        for time in times
    )
    assert [b.start for b in planned] == [e for e in expected if start <= e < end]
    assert [b.start.utcoffset() for b in planned] == [
        e.utcoffset() for e in expected if start <= e < end
    ]
