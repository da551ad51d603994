"""The campaign report: occurrences counted once, outcomes and reasons per day and playlist."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from playlists.content import playlist_table
from playlists.content.playlist_table import NewItem
from playlists.model import ItemKind, Outcome, PlannedBroadcast, Priority, Review
from playlists.plan import day_range, station_plan
from playlists.record import asrun
from playlists.record.report import Report, campaign_report
from playlists.record.tally import ReasonCount, Tally
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store, to_db_time
from tests.conftest import make_settings

CREATED = dt.datetime(2023, 3, 1, tzinfo=dt.UTC)
DAY1 = dt.date(2023, 3, 28)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    store = Store.open(settings.db_path)
    yield store
    store.close()


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC) - dt.timedelta(
        hours=8
    )


def schedule(
    store: Store,
    name: str,
    first: dt.date,
    last: dt.date,
    times: tuple[dt.time, ...] = (dt.time(7, 30),),
) -> None:
    playlist_id = playlist_table.add_playlist(
        store,
        name,
        "",
        [NewItem(kind=ItemKind.PAUSE, duration=60)],
        CREATED,
        review=Review.APPROVED,
        created_by="test",
    )
    entry_table.add_schedule(
        store, playlist_id, first, last, times, frozenset(range(7)), Priority.SCHEDULED, CREATED
    )


def planned_on(store: Store, settings: Settings, day: dt.date) -> list[PlannedBroadcast]:
    return station_plan(store, settings, *day_range(day, day, settings.tz))


def log_parts(store: Store, planned: PlannedBroadcast, parts: list[tuple[Outcome, str]]) -> None:
    """Log each part as the player does: claim it on air, then close it with its outcome."""
    for number, (outcome, reason) in enumerate(parts, 1):
        part = dataclasses.replace(planned, part=number)
        when = planned.start + dt.timedelta(minutes=number)
        if outcome in (Outcome.PLAYED, Outcome.INTERRUPTED, Outcome.FAILED):
            row = asrun.claim(store, part, Outcome.PLAYING, when)
            assert row is not None
            asrun.close(store, row, outcome, when + dt.timedelta(seconds=30), reason)
        else:
            asrun.claim(store, part, outcome, when, reason)


def report_of(store: Store, settings: Settings, now: dt.datetime) -> Report:
    return campaign_report(store, settings, DAY1, DAY1, now)


OUTCOMES = [
    pytest.param([(Outcome.PLAYED, "")], "played", (), id="played"),
    pytest.param(
        [(Outcome.INTERRUPTED, "emergency"), (Outcome.PLAYED, "")],
        "played",
        (),
        id="resumed-part-played-counts-once",
    ),
    pytest.param(
        [(Outcome.INTERRUPTED, "emergency"), (Outcome.INTERRUPTED, "player stopped")],
        "interrupted",
        (ReasonCount("player stopped", 1),),
        id="interrupted-twice-never-completed",
    ),
    pytest.param(
        [(Outcome.INTERRUPTED, "emergency"), (Outcome.SKIPPED, "")],
        "interrupted",
        (ReasonCount("emergency", 1),),
        id="interrupted-then-given-up",
    ),
    pytest.param(
        [(Outcome.MISSED, "player was down for 40 min")],
        "missed",
        (ReasonCount("player was down for 40 min", 1),),
        id="missed",
    ),
    pytest.param(
        [(Outcome.FAILED, "no audio device")],
        "failed",
        (ReasonCount("no audio device", 1),),
        id="failed",
    ),
    pytest.param([(Outcome.PLAYING, "")], "playing", (), id="on-air"),
    pytest.param([], "unlogged", (), id="due-without-a-row"),
]


@pytest.mark.parametrize(("parts", "counted_as", "reasons"), OUTCOMES)
def test_each_occurrence_counts_once_with_its_reason(
    store: Store,
    settings: Settings,
    parts: list[tuple[Outcome, str]],
    counted_as: str,
    reasons: tuple[ReasonCount, ...],
) -> None:
    schedule(store, "宣传", DAY1, DAY1)
    (planned,) = planned_on(store, settings, DAY1)
    log_parts(store, planned, parts)

    report = report_of(store, settings, local(DAY1, 12))

    (line,) = report.lines
    assert (line.day, line.playlist_name) == (DAY1, "宣传")
    assert line.tally == Tally(planned=1, due=1, **{counted_as: 1})
    assert line.reasons == reasons
    assert report.totals == line.tally
    assert report.reasons == reasons


def test_quiet_hour_skips_show_their_reason(store: Store, settings: Settings) -> None:
    schedule(store, "夜间提醒", DAY1, DAY1, (dt.time(22, 30), dt.time(23, 0)))
    reason = f"quiet hours {settings.player.quiet}"
    for planned in planned_on(store, settings, DAY1):
        assert planned.quiet
        log_parts(store, planned, [(Outcome.SKIPPED, reason)])

    report = report_of(store, settings, local(DAY1 + dt.timedelta(days=1), 8))

    (line,) = report.lines
    assert line.tally == Tally(planned=2, due=2, skipped=2)
    assert line.tally.not_played == 2
    assert line.reasons == (ReasonCount("quiet hours 22:00–06:30", 2),)


def test_future_slots_are_planned_but_not_due(store: Store, settings: Settings) -> None:
    schedule(store, "宣传", DAY1, DAY1, (dt.time(7, 30), dt.time(12, 0), dt.time(18, 30)))
    morning = planned_on(store, settings, DAY1)[0]
    log_parts(store, morning, [(Outcome.PLAYED, "")])

    report = report_of(store, settings, local(DAY1, 11))

    assert report.totals == Tally(planned=3, due=1, played=1)
    assert report.totals.not_played == 0


def test_days_across_a_month_boundary_are_reported_separately(
    store: Store, settings: Settings
) -> None:
    march_31, april_1 = dt.date(2023, 3, 31), dt.date(2023, 4, 1)
    schedule(store, "宣传", dt.date(2023, 3, 30), dt.date(2023, 4, 2), (dt.time(0, 30),))
    schedule(store, "防火", march_31, april_1, (dt.time(7, 30),))
    for planned in station_plan(store, settings, *day_range(march_31, april_1, settings.tz)):
        log_parts(store, planned, [(Outcome.PLAYED, "")])

    report = campaign_report(store, settings, march_31, april_1, local(april_1, 12))

    assert [(line.day, line.playlist_name, line.tally.played) for line in report.lines] == [
        (march_31, "宣传", 1),
        (march_31, "防火", 1),
        (april_1, "宣传", 1),
        (april_1, "防火", 1),
    ]
    assert report.totals.planned == 4


def test_manual_broadcasts_are_listed_apart(store: Store, settings: Settings) -> None:
    schedule(store, "宣传", DAY1, DAY1)
    row = asrun.open_manual(store, "紧急通知", None, Priority.EMERGENCY, "op", local(DAY1, 9))
    asrun.close(store, row, Outcome.PLAYED, local(DAY1, 9, 2))
    asrun.open_manual(
        store, "会议", 1, Priority.MANUAL, "op", local(DAY1, 23), Outcome.SKIPPED, "refused"
    )

    report = report_of(store, settings, local(DAY1 + dt.timedelta(days=1), 8))

    assert [(r.playlist_name, r.requested_by) for r in report.manual] == [
        ("紧急通知", "op"),
        ("会议", "op"),
    ]
    assert report.manual_played == 1
    assert report.totals == Tally(planned=1, due=1, unlogged=1)


def test_rows_of_a_deleted_schedule_still_count(store: Store, settings: Settings) -> None:
    schedule(store, "旧节目", DAY1, DAY1)
    (planned,) = planned_on(store, settings, DAY1)
    log_parts(store, planned, [(Outcome.PLAYED, "")])
    entry_table.delete_schedule(store, planned.schedule_id)

    report = report_of(store, settings, local(DAY1, 12))

    assert [(line.playlist_name, line.tally) for line in report.lines] == [
        ("旧节目", Tally(planned=1, due=1, played=1))
    ]


@pytest.mark.parametrize(
    "time",
    [dt.time(0, 0), dt.time(7, 59), dt.time(8, 0), dt.time(23, 59)],
    ids=["station-midnight", "utc-day-before", "utc-midnight", "last-minute"],
)
def test_a_deleted_schedules_rows_count_on_their_station_day(
    store: Store, settings: Settings, time: dt.time
) -> None:
    march_31, april_1 = dt.date(2023, 3, 31), dt.date(2023, 4, 1)
    schedule(store, "旧节目", march_31, april_1, (time,))
    for planned in station_plan(store, settings, *day_range(march_31, april_1, settings.tz)):
        log_parts(store, planned, [(Outcome.PLAYED, "")])
    entry_table.delete_schedule(store, 1)

    report = campaign_report(store, settings, march_31, april_1, local(april_1, 23, 59))

    assert [(line.day, line.tally) for line in report.lines] == [
        (march_31, Tally(planned=1, due=1, played=1)),
        (april_1, Tally(planned=1, due=1, played=1)),
    ]


def test_the_log_is_read_as_planned_parts_and_manual_rows(store: Store, settings: Settings) -> None:
    schedule(store, "宣传", DAY1, DAY1)
    (planned,) = planned_on(store, settings, DAY1)
    log_parts(store, planned, [(Outcome.INTERRUPTED, "emergency"), (Outcome.PLAYED, "")])
    asrun.open_manual(store, "紧急通知", None, Priority.EMERGENCY, "op", local(DAY1, 9))
    start, end = day_range(DAY1, DAY1, settings.tz)

    parts = asrun.planned_parts_between(store, start, end)
    manual = asrun.manual_between(store, start, end)

    assert [(occurrence, status, reason) for occurrence, status, reason, _, _ in parts] == [
        (planned.key, "interrupted", "emergency"),
        (f"{planned.key}#2", "played", ""),
    ]
    assert {(at, name) for _, _, _, at, name in parts} == {(to_db_time(planned.start), "宣传")}
    assert [(row.playlist_name, row.occurrence) for row in manual] == [("紧急通知", None)]


@pytest.mark.parametrize("first_row", [True, False], ids=["all-parts", "first-part-gone"])
@pytest.mark.parametrize("deleted", [False, True], ids=["still-planned", "schedule-deleted"])
def test_an_interrupted_occurrence_counts_once(
    store: Store, settings: Settings, deleted: bool, first_row: bool
) -> None:
    schedule(store, "宣传", DAY1, DAY1)
    (planned,) = planned_on(store, settings, DAY1)
    log_parts(
        store,
        planned,
        [
            (Outcome.INTERRUPTED, "emergency"),
            (Outcome.INTERRUPTED, "stopped"),
            (Outcome.PLAYED, ""),
        ],
    )
    if not first_row:  # e.g. removed by hand: parts 2 and 3 are left
        with store.transaction() as conn:
            conn.execute("DELETE FROM as_run WHERE occurrence = ?", (planned.key,))
    if deleted:
        entry_table.delete_schedule(store, planned.schedule_id)

    report = report_of(store, settings, local(DAY1, 12))

    assert [(line.playlist_name, line.tally) for line in report.lines] == [
        ("宣传", Tally(planned=1, due=1, played=1))
    ]
