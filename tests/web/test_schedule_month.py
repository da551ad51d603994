"""The month page: each day's count of broadcasts and its marks, in whole weeks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask

from playlists.model import Outcome, Priority, QuietHours, ScheduleEntry
from playlists.plan import day_range, plan
from playlists.schedule import calendar
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import make_app
from web.schedule_marks import Labels
from web.schedule_month import build_month

MARCH = (dt.date(2023, 3, 1), dt.date(2023, 3, 31))
QUIET = QuietHours(dt.time(22, 0), dt.time(6, 30))


@pytest.fixture
def app(settings: Settings, store: Store) -> Iterator[Flask]:
    app = make_app(settings, store)
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        yield app


def entry(schedule_id: int, times: str, seconds: float = 60.0, **kw: object) -> ScheduleEntry:
    return ScheduleEntry(
        id=schedule_id,
        playlist_id=schedule_id,
        playlist_name=f"节目{schedule_id}",
        start=dt.date(2023, 3, 27),
        end=dt.date(2023, 3, 29),
        times=tuple(dt.time.fromisoformat(t) for t in times.split()),
        duration=seconds,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.usefixtures("app")
def test_each_day_counts_its_broadcasts_and_their_marks(settings: Settings) -> None:
    tz = settings.tz
    entries = [
        entry(1, "07:30", 600.0),
        entry(2, "07:35 22:30", approved=False),
        entry(3, "12:00", priority=Priority.IDLE),
    ]
    planned = plan(entries, *day_range(*MARCH, tz), tz, QUIET)
    conflicts_of = calendar.conflicts_by_key(calendar.find_conflicts(planned, tz))
    noon = dt.datetime(2023, 3, 28, 12, 30, tzinfo=tz)
    played = {planned[0].key: Outcome.PLAYED}  # 27 March, 07:30
    weeks = build_month(*MARCH, planned, conflicts_of, played, noon, tz, Labels.current(), MARCH)
    assert len(weeks) == 5 and [d.day.day for d in weeks[0][:3]] == [27, 28, 1]
    assert [d.in_month for d in weeks[0]] == [False, False, True, True, True, True, True]
    assert weeks[0][0].css == "other" and weeks[0][0].count == 0
    by_day = {d.day: d for week in weeks for d in week if d.in_month}
    monday, today, tomorrow = (by_day[dt.date(2023, 3, n)] for n in (27, 28, 29))
    assert (monday.css, today.css, tomorrow.css) == ("past campaign", "today campaign", "campaign")
    assert [d.count for d in (monday, today, tomorrow)] == [4, 4, 4]
    assert monday.marks == (
        ("mark-conflict", "冲突 2"),  # 07:35 waits for the ten-minute 07:30: both marked
        ("mark-review", "待审核 2"),
        ("mark-quiet", "静音时段 1"),
        ("outcome-played", "已播出 1"),
        ("outcome-missed", "未播出（无记录） 3"),
    )
    assert tomorrow.marks == (
        ("mark-conflict", "冲突 2"),
        ("mark-review", "待审核 2"),
        ("mark-quiet", "静音时段 1"),
    )
    assert by_day[dt.date(2023, 3, 30)].marks == () and by_day[dt.date(2023, 3, 30)].count == 0
