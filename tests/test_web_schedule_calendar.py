"""The calendar's cells as plain data: lines, marks, counts of a crowded hour, kept renders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask

from playlists import calendar
from playlists.model import Outcome, PlannedBroadcast, QuietHours, ScheduleEntry
from playlists.plan import day_range, plan
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import add_pause_playlist, add_user, log_in, make_app
from web import schedule_calendar
from web.schedule_calendar import FOLD_OVER, CalendarView, Labels, build_calendar

DAY = dt.date(2023, 3, 28)
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
        start=DAY,
        end=DAY,
        times=tuple(dt.time.fromisoformat(t) for t in times.split()),
        duration=seconds,
        **kw,  # type: ignore[arg-type]
    )


def one_day(
    settings: Settings, *entries: ScheduleEntry, outcomes: dict[int, Outcome] | None = None
) -> tuple[CalendarView, list[PlannedBroadcast]]:
    """Build one day's calendar at 12:00 station time; outcomes by the broadcast's index."""
    tz = settings.tz
    planned = plan(entries, *day_range(DAY, DAY, tz), tz, QUIET)
    grid = calendar.build_grid(planned, DAY, DAY, tz, QUIET)
    conflicts_of = calendar.conflicts_by_key(calendar.find_conflicts(planned, tz))
    logged = {planned[i].key: outcome for i, outcome in (outcomes or {}).items()}
    noon = dt.datetime.combine(DAY, dt.time(12), tzinfo=tz)
    view = build_calendar(
        grid, conflicts_of, logged, noon, tz, Labels.current(), lambda d: (str(d), "周二")
    )
    return view, planned


@pytest.mark.usefixtures("app")
def test_a_line_says_when_what_and_every_mark(settings: Settings) -> None:
    view, _ = one_day(
        settings,
        entry(1, "07:30", 600.0),
        entry(2, "07:35"),
        entry(3, "23:00", approved=False),
        outcomes={0: Outcome.PLAYED},
    )
    [(hour, cells), (late, late_cells)] = view.rows
    assert (hour, late) == ("07:00", "23:00")
    first, second = cells[0].lines
    assert (first.time, first.name, first.meta) == ("07:30", "节目1", "定时 · 10:00")
    assert first.badges == (
        ("outcome-played", "已播出"),
        ("mark-conflict", "冲突：与“节目2”重叠"),
    )
    assert second.css == "bc clash"
    assert second.badges == (
        ("outcome-missed", "无记录"),
        ("mark-conflict", "冲突：等待 5:00，等“节目1”播完"),
    )
    [night] = late_cells[0].lines
    assert night.css == "bc held"
    assert night.badges == (("mark-quiet", "静音时段，将跳过"), ("mark-review", "待审核：不会播出"))
    assert late_cells[0].quiet and late_cells[0].css == "today quiet"


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize(
    ("count", "folded"), [(FOLD_OVER, False), (FOLD_OVER + 1, True)], ids=["few", "crowded"]
)
def test_a_crowded_hour_folds(settings: Settings, count: int, folded: bool) -> None:
    entries = [entry(n, f"08:{10 * n:02d}") for n in range(count)]
    view, _ = one_day(settings, *entries)
    [(_, [cell])] = view.rows
    assert cell.folded is folded and len(cell.lines) == count
    assert cell.summary == (f"播出 {count} 次" if folded else "")


@pytest.mark.usefixtures("app")
def test_a_folded_hour_counts_each_mark_conflicts_first(settings: Settings) -> None:
    entries = [entry(1, "07:00", 900.0), *(entry(n, f"07:{5 * n:02d}") for n in range(2, 5))]
    entries.append(entry(5, "07:50", approved=False))
    view, _ = one_day(settings, *entries, outcomes={0: Outcome.PLAYED, 1: Outcome.SKIPPED})
    [(_, [cell])] = view.rows
    assert cell.counts == (
        ("mark-conflict", "冲突 2"),  # 07:00 runs into 07:10
        ("mark-review", "待审核 1"),
        ("outcome-played", "已播出 1"),
        ("outcome-skipped", "已跳过 1"),
        ("outcome-missed", "无记录 3"),
    )


@pytest.mark.usefixtures("app")
def test_day_cards_hold_the_hours_with_something_due(settings: Settings) -> None:
    view, planned = one_day(settings, entry(1, "07:30 12:30"), entry(2, "12:45"))
    [day] = view.days
    assert (day.date, day.weekday, day.css, day.today, day.count) == (
        "2023-03-28",
        "周二",
        "today",
        True,
        3,
    )
    assert [hour for hour, _ in day.slots] == ["07:00", "12:00"]
    assert day.slots[1][1] is view.rows[1][1][0]  # the same cell: rendered once, shown twice
    assert len(planned) == 3


def test_the_page_renders_the_calendar_once_while_nothing_changes(
    settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_pause_playlist(store, "早间宣传", 60.0, times=(dt.time(7, 30),))
    built: list[CalendarView] = []
    real = schedule_calendar.build_calendar

    def counting(*args: object, **kwargs: object) -> CalendarView:
        built.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return built[-1]

    monkeypatch.setattr(schedule_calendar, "build_calendar", counting)
    app = make_app(settings, store)
    add_user(store, "op", "operator")
    client = app.test_client()
    log_in(client, "op")
    first = client.get("/schedule").get_data(as_text=True)
    second = client.get("/schedule").get_data(as_text=True)
    assert len(built) == 1 and first == second
    client.get("/schedule", headers={"Accept-Language": "en"})
    assert len(built) == 2  # another language, another calendar
    add_pause_playlist(store, "午间新闻", 60.0, times=(dt.time(12, 0),))
    assert "午间新闻" in client.get("/schedule").get_data(as_text=True)
    assert len(built) == 3
