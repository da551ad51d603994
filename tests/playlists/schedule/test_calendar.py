"""The schedule calendar: the campaign grid across a month end, quiet hours and conflicts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from playlists.model import (
    InterruptPolicy,
    PlannedBroadcast,
    Priority,
    QuietHours,
    ScheduleEntry,
)
from playlists.plan import day_range, plan
from playlists.schedule.calendar import (
    FIRST_DAY,
    LAST_DAY,
    Effect,
    View,
    build_grid,
    campaign_days,
    conflicts_by_key,
    conflicts_in_order,
    find_conflicts,
    month_weeks,
    preview_conflicts,
    window,
)

TZ = ZoneInfo("Asia/Shanghai")
FIRST, LAST = dt.date(2023, 3, 28), dt.date(2023, 4, 7)
QUIET = QuietHours(dt.time(22, 0), dt.time(6, 30))


def entry(
    schedule_id: int,
    name: str,
    times: str,
    seconds: float = 60.0,
    **changes: object,
) -> ScheduleEntry:
    """A schedule entry over the campaign window; times written "07:30 12:00"."""
    base = ScheduleEntry(
        id=schedule_id,
        playlist_id=schedule_id,
        playlist_name=name,
        start=FIRST,
        end=LAST,
        times=tuple(dt.time.fromisoformat(t) for t in times.split()),
        duration=seconds,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def campaign_plan(
    *entries: ScheduleEntry, quiet: QuietHours | None = QUIET
) -> list[PlannedBroadcast]:
    start, end = day_range(FIRST, LAST, TZ)
    return plan(entries, start, end, TZ, quiet)


# -- the window a page shows ---------------------------------------------------------


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("view", "day", "first", "last", "previous", "following"),
    [
        pytest.param(View.DAY, "2023-03-31", "2023-03-31", "2023-03-31", "2023-03-30",
                     "2023-04-01", id="day-across-the-month-end"),
        pytest.param(View.DAY, "2024-02-29", "2024-02-29", "2024-02-29", "2024-02-28",
                     "2024-03-01", id="leap-day"),
        pytest.param(View.WEEK, "2023-03-28", "2023-03-27", "2023-04-02", "2023-03-21",
                     "2023-04-04", id="week-from-monday-keeps-the-weekday"),
        pytest.param(View.WEEK, "2023-04-02", "2023-03-27", "2023-04-02", "2023-03-26",
                     "2023-04-09", id="sunday-ends-its-week"),
        pytest.param(View.WEEK, "2026-12-31", "2026-12-28", "2027-01-03", "2026-12-24",
                     "2027-01-07", id="week-across-the-year-end"),
        pytest.param(View.MONTH, "2023-03-28", "2023-03-01", "2023-03-31", "2023-02-28",
                     "2023-04-28", id="month-keeps-the-day"),
        pytest.param(View.MONTH, "2024-01-31", "2024-01-01", "2024-01-31", "2023-12-31",
                     "2024-02-29", id="the-31st-becomes-the-leap-february-29th"),
        pytest.param(View.MONTH, "2023-03-31", "2023-03-01", "2023-03-31", "2023-02-28",
                     "2023-04-30", id="the-31st-becomes-the-30th"),
        pytest.param(View.MONTH, "2023-12-15", "2023-12-01", "2023-12-31", "2023-11-15",
                     "2024-01-15", id="december-into-january"),
    ],
)  # fmt: skip
def test_a_page_shows_its_days_and_steps_to_its_neighbours(
    view: View, day: str, first: str, last: str, previous: str, following: str
) -> None:
    shown = window(view, d(day))
    assert (shown.first, shown.last) == (d(first), d(last))
    assert (shown.previous, shown.next) == (d(previous), d(following))
    assert shown.day == d(day) and shown.days == campaign_days(d(first), d(last))
    # Stepping there and back again lands on the same page.
    assert shown.next is not None
    back = window(view, shown.next).previous
    assert back is not None and window(view, back).first == shown.first


@pytest.mark.parametrize(
    ("view", "day", "previous", "following"),
    [
        pytest.param(View.DAY, FIRST_DAY, None, dt.date(2000, 1, 2), id="first-day"),
        pytest.param(View.DAY, LAST_DAY, dt.date(2099, 12, 30), None, id="last-day"),
        pytest.param(View.WEEK, dt.date(2000, 1, 5), FIRST_DAY, dt.date(2000, 1, 12),
                     id="a-week-back-stops-at-the-first-day"),
        pytest.param(View.WEEK, dt.date(2099, 12, 30), dt.date(2099, 12, 23), None,
                     id="the-last-week-has-no-next"),
        pytest.param(View.MONTH, dt.date(2099, 12, 5), dt.date(2099, 11, 5), None,
                     id="the-last-month-has-no-next"),
    ],
)  # fmt: skip
def test_the_calendar_ends_where_its_dates_end(
    view: View, day: dt.date, previous: dt.date | None, following: dt.date | None
) -> None:
    shown = window(view, day)
    assert (shown.previous, shown.next) == (previous, following)


@pytest.mark.parametrize(
    "day", [dt.date(1999, 12, 31), dt.date(2100, 1, 1)], ids=["before", "after"]
)
def test_a_date_outside_the_calendar_is_refused(day: dt.date) -> None:
    with pytest.raises(ValueError, match="the calendar shows 2000-01-01 to 2099-12-31"):
        window(View.WEEK, day)


@pytest.mark.parametrize(
    ("month", "weeks", "first_monday", "last_sunday"),
    [
        pytest.param("2023-03", 5, "2023-02-27", "2023-04-02", id="march-2023"),
        pytest.param("2021-02", 4, "2021-02-01", "2021-02-28", id="february-of-four-weeks"),
        pytest.param("2026-08", 6, "2026-07-27", "2026-09-06", id="six-weeks"),
    ],
)
def test_a_month_is_laid_out_in_whole_weeks_from_monday(
    month: str, weeks: int, first_monday: str, last_sunday: str
) -> None:
    shown = window(View.MONTH, d(f"{month}-01"))
    laid_out = month_weeks(shown.first, shown.last)
    assert len(laid_out) == weeks and all(len(week) == 7 for week in laid_out)
    assert (laid_out[0][0], laid_out[-1][-1]) == (d(first_monday), d(last_sunday))
    assert all(week[0].weekday() == 0 for week in laid_out)


# -- the grid ----------------------------------------------------------------------


def test_campaign_days_cross_the_month_end() -> None:
    days = campaign_days(FIRST, LAST)
    assert len(days) == 11
    assert days[0] == FIRST and days[-1] == LAST
    assert dt.date(2023, 3, 31) in days and dt.date(2023, 4, 1) in days
    assert all((b - a).days == 1 for a, b in itertools.pairwise(days))


def test_grid_has_a_column_per_day_and_a_row_per_hour_with_something_due() -> None:
    planned = campaign_plan(
        entry(1, "早间", "07:30 18:30"), entry(2, "午间", "12:00 18:30", priority=Priority.IDLE)
    )
    grid = build_grid(planned, FIRST, LAST, TZ, QUIET)
    assert grid.days == campaign_days(FIRST, LAST)
    assert [f"{t:%H:%M}" for t in grid.hours] == ["07:00", "12:00", "18:00"]
    evening = grid.rows[2]
    assert len(evening) == 11
    for cell in evening:  # both entries are due at 18:30 on every day, the 31st and 1st too
        assert [b.playlist_name for b in cell.broadcasts] == ["早间", "午间"]
    month_end = grid.days.index(dt.date(2023, 3, 31))
    assert grid.rows[0][month_end].broadcasts[0].start == dt.datetime(2023, 3, 31, 7, 30, tzinfo=TZ)


def test_grid_leaves_days_empty_that_the_weekdays_skip() -> None:
    weekend = entry(1, "周末", "09:00", weekdays=frozenset({5, 6}))
    grid = build_grid(campaign_plan(weekend), FIRST, LAST, TZ, QUIET)
    filled = [cell.day for cell in grid.rows[0] if cell.broadcasts]
    assert filled == [dt.date(2023, 4, 1), dt.date(2023, 4, 2)]


def test_an_hour_holds_its_broadcasts_in_time_order() -> None:
    planned = campaign_plan(entry(1, "晚", "07:50"), entry(2, "早", "07:05 07:30"))
    grid = build_grid(planned, FIRST, LAST, TZ, QUIET)
    assert grid.hours == (dt.time(7),)
    cell = grid.rows[0][0]
    assert cell.hour == dt.time(7) and cell.day == FIRST
    assert [f"{b.start:%H:%M} {b.playlist_name}" for b in cell.broadcasts] == [
        "07:05 早",
        "07:30 早",
        "07:50 晚",
    ]


def test_grid_reads_times_in_the_station_zone() -> None:
    # 07:30 in Shanghai is 23:30 UTC the day before: the cell is the local day and time.
    grid = build_grid(campaign_plan(entry(1, "早间", "07:30")), FIRST, LAST, TZ, QUIET)
    assert grid.hours == (dt.time(7),)
    assert grid.rows[0][0].day == FIRST and grid.rows[0][0].broadcasts


def test_grid_ignores_broadcasts_outside_its_days() -> None:
    planned = campaign_plan(entry(1, "早间", "07:30"))
    grid = build_grid(planned, dt.date(2023, 4, 1), dt.date(2023, 4, 2), TZ, QUIET)
    assert len(grid.days) == 2
    assert sum(len(cell.broadcasts) for row in grid.rows for cell in row) == 2


def test_empty_plan_gives_days_and_no_rows() -> None:
    grid = build_grid([], FIRST, LAST, TZ, QUIET)
    assert len(grid.days) == 11 and grid.hours == () and grid.rows == ()


MIDDAY = QuietHours(dt.time(12, 30), dt.time(14, 0))


@pytest.mark.parametrize(
    ("time", "quiet", "held", "hour_quiet"),
    [
        ("07:30", QUIET, False, False),
        ("06:29", QUIET, True, False),  # 06:30..06:59 plays: the hour is not hatched
        ("06:30", QUIET, False, False),
        ("22:00", QUIET, True, True),
        ("23:45", QUIET, True, True),
        ("00:10", QUIET, True, True),
        ("23:45", None, False, False),
        ("13:00", MIDDAY, True, True),
        ("12:45", MIDDAY, True, False),
        ("06:15", QuietHours(dt.time(22, 0), dt.time(7, 0)), True, True),
    ],
    ids=[
        "morning",
        "just-before-quiet-ends",
        "quiet-ends",
        "quiet-starts",
        "late-night",
        "after-midnight",
        "no-quiet-hours",
        "midday-rest",
        "midday-rest-starts-mid-hour",
        "quiet-ends-on-the-hour",
    ],
)
def test_quiet_hours_cells(
    time: str, quiet: QuietHours | None, held: bool, hour_quiet: bool
) -> None:
    planned = campaign_plan(entry(1, "通知", time), quiet=quiet)
    grid = build_grid(planned, FIRST, LAST, TZ, quiet)
    assert all(cell.quiet is hour_quiet for cell in grid.rows[0])
    assert all(b.quiet is held for cell in grid.rows[0] for b in cell.broadcasts)


def test_emergency_in_quiet_hours_is_not_held_but_its_cell_is_quiet() -> None:
    alarm = entry(1, "防汛", "23:00", priority=Priority.EMERGENCY)
    grid = build_grid(campaign_plan(alarm), FIRST, LAST, TZ, QUIET)
    cell = grid.rows[0][0]
    assert cell.quiet and not cell.broadcasts[0].quiet


# -- conflicts ---------------------------------------------------------------------

LONG = 600.0  # ten minutes on air

CONFLICTS = [
    pytest.param(
        [entry(1, "A", "07:30", LONG), entry(2, "B", "07:35")],
        [("B", "A", Effect.WAITS, 300.0)],
        id="same-priority-later-one-waits",
    ),
    pytest.param(
        [entry(1, "A", "07:30", LONG), entry(2, "B", "07:35", wait_seconds=120.0)],
        [("B", "A", Effect.SKIPPED, 300.0)],
        id="waits-longer-than-allowed-is-skipped",
    ),
    pytest.param(
        [entry(1, "A", "07:30", LONG), entry(2, "B", "07:35", on_interrupt=InterruptPolicy.SKIP)],
        [("B", "A", Effect.SKIPPED, 300.0)],
        id="skip-policy-never-waits",
    ),
    pytest.param(
        [entry(1, "A", "07:30", LONG, priority=Priority.IDLE), entry(2, "B", "07:35")],
        [("A", "B", Effect.CUT, 0.0)],
        id="higher-priority-cuts-in",
    ),
    pytest.param(
        [entry(1, "A", "07:30", LONG, priority=Priority.MANUAL), entry(2, "B", "07:35")],
        [("B", "A", Effect.WAITS, 300.0)],
        id="lower-priority-waits-for-higher",
    ),
    pytest.param(
        [entry(1, "A", "07:30", LONG), entry(2, "B", "07:30", LONG, priority=Priority.MANUAL)],
        [("A", "B", Effect.SKIPPED, LONG)],
        id="same-instant-higher-goes-first",
    ),
    pytest.param(
        [entry(1, "A", "07:30", 120.0), entry(2, "B", "07:30")],
        [("B", "A", Effect.WAITS, 120.0)],
        id="same-instant-same-priority-by-entry",
    ),
    pytest.param(
        [entry(1, "A", "07:30", 300.0), entry(2, "B", "07:35")],
        [],
        id="back-to-back-is-no-conflict",
    ),
    pytest.param(
        [entry(1, "A", "23:00", LONG), entry(2, "B", "23:05")],
        [],
        id="quiet-hours-hold-nobody-up",
    ),
    pytest.param(
        [entry(1, "A", "07:30", 0.0), entry(2, "B", "07:30")],
        [],
        id="empty-playlist-occupies-nothing",
    ),
    pytest.param(
        [entry(1, "A", "07:30", LONG, weekdays=frozenset({0})), entry(2, "B", "07:35")],
        [("B", "A", Effect.WAITS, 300.0)],
        id="only-on-the-days-both-play",
    ),
]


@pytest.mark.parametrize(("entries", "expected"), CONFLICTS)
def test_conflicts(
    entries: list[ScheduleEntry], expected: list[tuple[str, str, Effect, float]]
) -> None:
    conflicts = find_conflicts(campaign_plan(*entries), TZ)
    # One per campaign day the pair meets; compare the first day's and count the rest.
    days = {c.day for c in conflicts}
    first_day = [
        (c.affected.playlist_name, c.by.playlist_name, c.effect, c.wait)
        for c in conflicts
        if c.day == min(days, default=None)
    ]
    assert first_day == expected
    if expected:
        both = set.intersection(*(set(e.weekdays) for e in entries))
        assert len(days) == sum(1 for d in campaign_days(FIRST, LAST) if d.weekday() in both)


@pytest.mark.parametrize(("entries", "expected"), CONFLICTS)
def test_a_plan_in_order_has_the_conflicts_of_the_same_broadcasts_in_any_order(
    entries: list[ScheduleEntry], expected: list[tuple[str, str, Effect, float]]
) -> None:
    planned = campaign_plan(*entries)
    shuffled = planned[1::2] + planned[::2]
    assert conflicts_in_order(planned, TZ) == find_conflicts(shuffled, TZ)
    assert len(conflicts_in_order(planned, TZ)) >= len(expected)


def test_conflict_day_is_the_station_day_across_the_month_end() -> None:
    planned = campaign_plan(entry(1, "A", "00:10", LONG), entry(2, "B", "00:15"), quiet=None)
    conflicts = find_conflicts(planned, TZ)
    days = [c.day for c in conflicts]
    assert dt.date(2023, 3, 31) in days and dt.date(2023, 4, 1) in days
    assert days[0] == FIRST  # 00:15 in Shanghai is still the 27th in UTC


def test_conflicts_by_key_marks_both_broadcasts() -> None:
    [conflict, *_] = find_conflicts(
        campaign_plan(entry(1, "A", "07:30", LONG), entry(2, "B", "07:35")), TZ
    )
    index = conflicts_by_key([conflict])
    assert index[conflict.affected.key] == [conflict]
    assert index[conflict.by.key] == [conflict]


def test_preview_shows_only_the_new_entrys_conflicts() -> None:
    existing = [
        entry(1, "A", "07:30", LONG),
        entry(2, "B", "07:35"),  # A and B already clash; that is not the new entry's doing
        entry(3, "C", "18:00", LONG),
    ]
    new = entry(0, "新", "18:05", start=dt.date(2023, 4, 6), end=dt.date(2023, 4, 7))
    conflicts = preview_conflicts(new, existing, TZ, QUIET)
    assert [(c.day, c.affected.playlist_name, c.by.playlist_name) for c in conflicts] == [
        (dt.date(2023, 4, 6), "新", "C"),
        (dt.date(2023, 4, 7), "新", "C"),
    ]


def test_preview_of_an_edit_ignores_the_entrys_old_self() -> None:
    old = entry(1, "A", "07:30", LONG)
    moved = dataclasses.replace(old, times=(dt.time(7, 35),))
    assert preview_conflicts(moved, [old], TZ, QUIET) == []
    assert preview_conflicts(dataclasses.replace(moved, id=0), [old], TZ, QUIET) != []


def test_preview_counts_an_entrys_own_times_that_overlap() -> None:
    crowded = entry(0, "A", "07:30 07:35", LONG, start=FIRST, end=FIRST)
    [conflict] = preview_conflicts(crowded, [], TZ, QUIET)
    assert conflict.effect is Effect.WAITS and conflict.affected.start.minute == 35


def test_a_crowded_slot_holds_each_broadcast_up_once_by_the_one_on_air() -> None:
    entries = [entry(n, f"P{n}", "07:30", LONG) for n in (1, 2, 3)]
    entries.append(entry(4, "P4", "07:35", LONG))  # due while P1 is still on air
    conflicts = [c for c in find_conflicts(campaign_plan(*entries), TZ) if c.day == FIRST]
    assert [(c.affected.playlist_name, c.by.playlist_name, c.effect) for c in conflicts] == [
        ("P2", "P1", Effect.SKIPPED),  # the lane is busy 600 s; P2 waits 300 s at most
        ("P3", "P1", Effect.SKIPPED),
        ("P4", "P1", Effect.WAITS),
    ]


def test_conflicts_grow_with_the_broadcasts_not_their_pairs() -> None:
    """80 entries at the same 48 times: pairing them made 3,160 conflicts a slot."""
    times = " ".join(f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30))
    entries = [entry(n, f"P{n}", times, LONG) for n in range(1, 81)]
    planned = campaign_plan(*entries)
    conflicts = find_conflicts(planned, TZ)
    assert len(planned) > 20_000
    assert len(conflicts) < len(planned)
    held_up = [c.affected.key for c in conflicts]
    assert len(held_up) == len(set(held_up)), "each broadcast is judged once"
