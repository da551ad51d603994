"""The calendar's cells as plain data: lines, marks, counts of a crowded hour, kept renders."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from jinja2 import Template
from markupsafe import Markup

from playlists.content import playlist_table
from playlists.model import ItemKind, Outcome, Priority, QuietHours, Review, ScheduleEntry
from playlists.plan import day_range, plan, station_plan
from playlists.record import asrun
from playlists.schedule import calendar, entry_table
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import NOW, add_pause_playlist, add_user, log_in, make_app
from web import plan_cache, schedule_calendar
from web.schedule_calendar import (
    FOLD_OVER,
    CalendarView,
    CellView,
    Marker,
    build_calendar,
    counted,
)
from web.schedule_marks import Labels

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
) -> tuple[CalendarView, list[CellView]]:
    """Build one day's calendar at 12:00 station time; outcomes by the broadcast's index.

    Return it with each cell's view, in the order they were rendered (table order).
    """
    tz = settings.tz
    planned = plan(entries, *day_range(DAY, DAY, tz), tz, QUIET)
    grid = calendar.build_grid(planned, DAY, DAY, tz, QUIET)
    conflicts_of = calendar.conflicts_by_key(calendar.find_conflicts(planned, tz))
    logged = {planned[i].key: outcome for i, outcome in (outcomes or {}).items()}
    noon = dt.datetime.combine(DAY, dt.time(12), tzinfo=tz)
    rendered: list[CellView] = []

    def render(view: CellView) -> Markup:
        rendered.append(view)
        return Markup(f"<i>cell {len(rendered)}</i>")

    view = build_calendar(
        grid, conflicts_of, logged, noon, tz, Labels.current(), lambda d: (str(d), "周二"), render
    )
    return view, rendered


@pytest.mark.usefixtures("app")
def test_a_line_says_when_what_and_every_mark(settings: Settings) -> None:
    view, [morning, night_cell] = one_day(
        settings,
        entry(1, "07:30", 600.0),
        entry(2, "07:35"),
        entry(3, "23:00", approved=False),
        outcomes={0: Outcome.PLAYED},
    )
    [(hour, _), (late, [late_slot])] = view.rows
    assert (hour, late) == ("07:00", "23:00")
    first, second = morning.lines
    assert (first.time, first.name, first.meta) == ("07:30", "节目1", "定时 · 10:00")
    assert first.badges == (
        ("outcome-played", "已播出"),
        ("mark-conflict", "冲突：与“节目2”重叠"),
    )
    assert second.css == "bc clash"
    assert second.badges == (
        ("outcome-missed", "未播出（无记录）"),
        ("mark-conflict", "冲突：等待 5:00，等“节目1”播完"),
    )
    [night] = night_cell.lines
    assert night.css == "bc held"
    assert night.badges == (
        ("mark-quiet", "静音时段，将跳过"),
        ("mark-review", "待审核：通过后才播出"),
    )
    assert late_slot.quiet and late_slot.css == "today quiet"
    assert late_slot.body == Markup("<i>cell 2</i>")


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize(
    ("count", "folded"), [(FOLD_OVER, False), (FOLD_OVER + 1, True)], ids=["few", "crowded"]
)
def test_a_crowded_hour_folds(settings: Settings, count: int, folded: bool) -> None:
    entries = [entry(n, f"08:{10 * n:02d}") for n in range(count)]
    _, [cell] = one_day(settings, *entries)
    assert cell.folded is folded and len(cell.lines) == count
    assert cell.summary == (f"播出 {count} 次" if folded else "")


@pytest.mark.usefixtures("app")
def test_a_folded_hour_counts_each_mark_conflicts_first(settings: Settings) -> None:
    entries = [entry(1, "07:00", 900.0), *(entry(n, f"07:{5 * n:02d}") for n in range(2, 5))]
    entries.append(entry(5, "07:50", approved=False))
    _, [cell] = one_day(settings, *entries, outcomes={0: Outcome.PLAYED, 1: Outcome.SKIPPED})
    assert cell.counts == (
        ("mark-conflict", "冲突 2"),  # 07:00 runs into 07:10
        ("mark-review", "待审核 1"),
        ("outcome-played", "已播出 1"),
        ("outcome-skipped", "已跳过 1"),
        ("outcome-missed", "未播出（无记录） 3"),
    )


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize(
    "logged",
    [
        pytest.param({}, id="nothing-logged"),
        pytest.param({0: Outcome.PLAYED, 1: Outcome.SKIPPED, 3: Outcome.MISSED}, id="logged"),
    ],
)
def test_counts_made_without_lines_are_those_of_the_lines_marks(
    settings: Settings, logged: dict[int, Outcome]
) -> None:
    tz = settings.tz
    entries = [
        entry(1, "07:00 23:00", 900.0),
        *(entry(n, f"07:{5 * n:02d} 12:{n:02d}") for n in range(2, 6)),
        entry(6, "07:50 22:30", approved=False),
    ]
    planned = plan(entries, *day_range(DAY, DAY, tz), tz, QUIET)
    conflicts_of = calendar.conflicts_by_key(calendar.find_conflicts(planned, tz))
    outcomes = {planned[i].key: outcome for i, outcome in logged.items()}
    noon = dt.datetime.combine(DAY, dt.time(12), tzinfo=tz)
    marker = Marker(conflicts_of, outcomes, noon, tz, Labels.current())
    from_lines = Counter[tuple[str, str]]()
    for b in planned:
        from_lines.update(marker.line(b)[1])
    assert len(from_lines) >= 4  # missed or logged, quiet, review and conflict among them
    assert marker.counts(planned) == counted(from_lines)


@pytest.mark.usefixtures("app")
def test_day_cards_hold_the_hours_with_something_due(settings: Settings) -> None:
    view, rendered = one_day(settings, entry(1, "07:30 12:30"), entry(2, "12:45"))
    [day] = view.days
    assert (day.date, day.weekday, day.css, day.today, day.count) == (
        "2023-03-28",
        "周二",
        "today",
        True,
        3,
    )
    assert [hour for hour, _ in day.slots] == ["07:00", "12:00"]
    assert day.slots[1][1] is view.rows[1][1][0]  # the same slot: rendered once, shown twice
    assert len(rendered) == 2


def test_only_the_cells_that_changed_are_rendered_again(
    settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_pause_playlist(store, "早间宣传", 60.0, times=(dt.time(7, 30), dt.time(18, 30)))
    rendered: list[CellView] = []
    real = schedule_calendar._render_cell

    def counting(template: Template, day_page: str, view: CellView) -> Markup:
        rendered.append(view)
        return real(template, day_page, view)

    monkeypatch.setattr(schedule_calendar, "_render_cell", counting)
    add_user(store, "op", "operator")
    client = make_app(settings, store).test_client()
    log_in(client, "op")

    def views(path: str = "/schedule", **kw: Any) -> int:
        rendered.clear()
        assert client.get(path, **kw).status_code == 200
        return len(rendered)

    assert views() == 12  # 07:00 and 18:00 on the six campaign days of today's week
    assert views() == 0
    start, end = day_range(DAY, DAY, settings.tz)
    morning = station_plan(store, settings, start, end)[0]
    asrun.claim(store, morning, Outcome.PLAYED, morning.start)
    assert views() == 1  # 28 March, 07:00
    assert views(headers={"Accept-Language": "en"}) == 12  # another language
    assert views("/schedule?view=day") == 2  # another page: its own plan
    add_pause_playlist(store, "午间新闻", 60.0, times=(dt.time(12, 0),))
    assert views() == 18  # a new plan: every cell again


YEAR_FIRST, YEAR_LAST = dt.date(2030, 1, 1), dt.date(2030, 12, 31)


@pytest.mark.parametrize(
    ("path", "shown", "hidden"),
    [
        pytest.param("/schedule", ["6月10日", "6月16日"], ["6月9日", "6月17日"], id="todays-week"),
        pytest.param("/schedule?view=day", ["6月15日"], ["6月14日", "6月16日"], id="today"),
        pytest.param(
            "/schedule?view=week&date=2030-12-31",
            ["12月30日", "12月31日", "1月1日", "1月5日"],
            ["12月29日", "1月6日"],
            id="the-campaigns-last-week-reaches-into-the-next-year",
        ),
    ],
)
def test_a_year_long_campaign_plans_only_the_days_on_the_page(
    settings: Settings,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    shown: list[str],
    hidden: list[str],
) -> None:
    year = dataclasses.replace(
        settings, campaign=dataclasses.replace(settings.campaign, start=YEAR_FIRST, end=YEAR_LAST)
    )
    items = [playlist_table.NewItem(ItemKind.PAUSE, 60.0)]
    playlist_id = playlist_table.add_playlist(
        store, "全年宣传", "", items, NOW, review=Review.APPROVED, created_by="test"
    )
    entry_table.add_schedule(
        store, playlist_id, YEAR_FIRST, YEAR_LAST, (dt.time(7, 30),), frozenset(range(7)),
        Priority.SCHEDULED, NOW,
    )  # fmt: skip
    planned: list[tuple[dt.datetime, dt.datetime]] = []
    real = plan_cache.occurrences

    def recording(entry: ScheduleEntry, start: dt.datetime, end: dt.datetime, *a: Any) -> Any:
        planned.append((start, end))
        return real(entry, start, end, *a)

    monkeypatch.setattr(plan_cache, "occurrences", recording)
    add_user(store, "op", "operator")
    now = dt.datetime(2030, 6, 15, 9, tzinfo=settings.tz)  # a Saturday
    client = make_app(year, store, now=now).test_client()
    log_in(client, "op")
    page = client.get(path).get_data(as_text=True)
    assert all(day in page for day in shown)
    assert not [day for day in hidden if f">{day}<" in page]
    [(start, end)] = planned
    assert (end - start).days <= 8  # the page's days and the one before: never the year


TZ_SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")  # 29 October 2023: 02:00–02:59 is shown twice
FIRST_0230 = dt.datetime(2023, 10, 29, 0, 30, tzinfo=dt.UTC)  # 02:30 CEST
SECOND_0230 = dt.datetime(2023, 10, 29, 1, 30, tzinfo=dt.UTC)  # 02:30 CET, an hour later


@pytest.mark.parametrize(
    ("now", "instant"),
    [
        pytest.param(SECOND_0230, FIRST_0230, id="now-in-the-repeated-hour-instant-before"),
        pytest.param(FIRST_0230, SECOND_0230, id="now-in-the-repeated-hour-instant-after"),
        pytest.param(SECOND_0230 - dt.timedelta(minutes=10), FIRST_0230, id="same-wall-minutes"),
        pytest.param(SECOND_0230 + dt.timedelta(hours=1), SECOND_0230, id="after-the-fold"),
        pytest.param(FIRST_0230 - dt.timedelta(hours=1), FIRST_0230, id="before-the-fold"),
        pytest.param(FIRST_0230, FIRST_0230, id="the-same-instant"),
    ],
)
def test_started_before_is_exact_around_a_repeated_hour(
    now: dt.datetime, instant: dt.datetime
) -> None:
    over = schedule_calendar.started_before(now, BERLIN)
    assert over(instant.astimezone(BERLIN)) is (instant < now)
    assert over(instant.astimezone(TZ_SHANGHAI)) is (instant < now)  # any zone: still exact
