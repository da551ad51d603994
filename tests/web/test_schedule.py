"""The schedule page: the campaign calendar, and adding, changing and removing entries."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from playlists.content import playlist_table
from playlists.content.playlist_table import NewItem
from playlists.model import ItemKind, Outcome, Priority, Review
from playlists.plan import day_range, station_plan
from playlists.record import asrun, audit
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import (
    NOW,
    add_pause_playlist,
    client_for,
    csrf_of,
    log_in,
    make_app,
)

NASTY = '<script>alert(1)</script> "广播" & 村民'
# A valid new entry: the first playlist, every day of the campaign's second half, at 09:00.
GOOD = {
    "playlist_id": "1",
    "start": "2023-04-01",
    "end": "2023-04-07",
    "times": "09:00",
    "weekdays": [str(day) for day in range(7)],
    "priority": "scheduled",
    "on_interrupt": "resume",
    "wait": "300",
}


@pytest.fixture
def app(settings: Settings, store: Store) -> Flask:
    add_pause_playlist(store, "早间宣传", 60.0, times=(dt.time(7, 30), dt.time(18, 30)))
    return make_app(settings, store)


@pytest.fixture
def client(app: Flask, store: Store) -> FlaskClient:
    return client_for(app, store, "op", "operator")


def page(client: FlaskClient, path: str = "/schedule", **kwargs: object) -> str:
    response = client.get(path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def post(client: FlaskClient, path: str, form: dict[str, object]) -> str:
    """Post a schedule form with the session's CSRF token; return the page it leads to."""
    data = {"csrf_token": csrf_of(client.get("/schedule/new")), **form}
    response = client.post(path, data=data, follow_redirects=True)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def snapshot(store: Store) -> tuple[list[dict[str, object]], int]:
    """Every schedule row and the audit log's length: what must not change on an error."""
    rows = [dict(row) for row in store.query("SELECT * FROM schedules ORDER BY id")]
    return rows, audit.count(store)


def audit_rows(store: Store, action: str) -> list[audit.AuditRow]:
    return audit.rows(store, action=action)


# -- the calendar ------------------------------------------------------------------


def test_calendar_opens_on_todays_week_with_the_campaign_marked(client: FlaskClient) -> None:
    html = page(client)
    assert "播出日程" in html  # the heading and the menu link
    assert '<h2 id="calendar-title">2023年3月27日 – 4月2日</h2>' in html  # today: 28 March
    for day in ("3月27日", "3月28日", "3月31日", "4月1日", "4月2日"):
        assert f">{day}<br>" in html
    assert ">4月3日<br>" not in html
    # Monday 27 March is before the campaign: shown, not marked.
    assert '<th scope="col" class="past"><a href="/schedule?view=day&amp;date=2023-03-27">' in html
    assert '<th scope="col" class="today campaign">' in html
    assert html.count("周二") >= 2  # 28 March and the weekday row
    assert "07:30" in html and "18:30" in html and "早间宣传" in html
    assert '<a href="/schedule" aria-current="page">播出日程</a>' in html


@pytest.mark.parametrize(
    ("path", "heading", "previous", "following"),
    [
        pytest.param(
            "/schedule?view=day", "2023年3月28日 周二", "view=day&amp;date=2023-03-27",
            "view=day&amp;date=2023-03-29", id="today",
        ),
        pytest.param(
            "/schedule?view=week&date=2024-02-29", "2024年2月26日 – 3月3日",
            "view=week&amp;date=2024-02-22", "view=week&amp;date=2024-03-07", id="leap-week",
        ),
        pytest.param(
            "/schedule?view=month", "2023年3月", "view=month&amp;date=2023-02-28",
            "view=month&amp;date=2023-04-28", id="this-month",
        ),
        pytest.param(
            "/schedule?view=month&date=2023-01-31", "2023年1月", "view=month&amp;date=2022-12-31",
            "view=month&amp;date=2023-02-28", id="the-31st-into-february",
        ),
    ],
)  # fmt: skip
def test_calendar_goes_to_any_day_week_or_month(
    client: FlaskClient, path: str, heading: str, previous: str, following: str
) -> None:
    html = page(client, path)
    assert f'<h2 id="calendar-title">{heading}</h2>' in html
    assert f'<a rel="prev" href="/schedule?{previous}">' in html
    assert f'<a rel="next" href="/schedule?{following}">' in html
    view = path.partition("view=")[2].partition("&")[0]
    assert f'href="/schedule?view={view}&amp;date=2023-03-28"' in html  # 今天, the station's
    assert '<input type="date" id="calendar-date" name="date"' in html  # any date, no script


@pytest.mark.parametrize(
    ("query", "says"),
    [
        pytest.param("view=year", "按日、按周或按月", id="unknown-view"),
        pytest.param("date=28.3.2023", "“28.3.2023”", id="not-iso"),
        pytest.param("date=2023-02-30", "“2023-02-30”", id="no-such-day"),
        pytest.param("date=1999-12-31", "2000-01-01", id="before-the-calendar"),
    ],
)
def test_calendar_refuses_a_view_or_date_it_cannot_show(
    client: FlaskClient, query: str, says: str
) -> None:
    response = client.get(f"/schedule?{query}")
    assert response.status_code == 400
    assert says in response.get_data(as_text=True)


def test_a_schedule_outside_the_campaign_shows_on_its_days(
    client: FlaskClient, store: Store
) -> None:
    post(client, "/schedule/new", {**GOOD, "start": "2023-04-08", "end": "2023-04-09"})
    html = page(client, "/schedule?view=week&date=2023-04-08")
    assert '<th scope="col" class=""><a href="/schedule?view=day&amp;date=2023-04-08">' in html
    assert html.count('<span class="bc-time">09:00</span> 早间宣传') == 2 * 2  # table, cards
    month = page(client, "/schedule?view=month&date=2023-04-08")
    assert (
        '<td class="campaign"><a class="month-day" href="/schedule?view=day&amp;date=2023-04-07">'
        in month
    )
    assert (
        '<td class=""><a class="month-day" href="/schedule?view=day&amp;date=2023-04-08">' in month
    )


def test_calendar_in_english(client: FlaskClient) -> None:
    html = page(client, headers={"Accept-Language": "en"})
    assert "Broadcast schedule" in html and "Mar 31" in html and "Apr 1" in html
    assert "Tue" in html and "播出日程" not in html


def test_past_days_show_the_log_and_today_is_marked(
    settings: Settings, store: Store, client: FlaskClient
) -> None:
    start, end = day_range(dt.date(2023, 3, 28), dt.date(2023, 3, 28), settings.tz)
    morning, _evening = station_plan(store, settings, start, end)
    asrun.claim(store, morning, Outcome.PLAYED, morning.start)
    later = make_app(settings, store, now=dt.datetime(2023, 3, 29, 3, 0, tzinfo=dt.UTC))
    client = later.test_client()
    log_in(client, "op")
    html = page(client)
    assert 'class="badge outcome-played">已播出' in html  # 28 March, 07:30
    assert "未播出（无记录）" in html  # 28 March, 18:30: the log has nothing
    day_page = '<a href="/schedule?view=day&amp;date='
    assert f'<th scope="col" class="past campaign">{day_page}2023-03-28">3月28日' in html
    assert f'<th scope="col" class="today campaign">{day_page}2023-03-29">3月29日' in html
    assert "今天" in html


def test_calendar_marks_quiet_hours_review_and_conflicts(
    settings: Settings, store: Store, client: FlaskClient
) -> None:
    add_pause_playlist(store, "夜间", 60.0, times=(dt.time(22, 30),))
    add_pause_playlist(store, "长节目", 600.0, times=(dt.time(7, 25),))
    draft = playlist_table.add_playlist(
        store,
        "待审节目",
        "",
        [NewItem(kind=ItemKind.PAUSE, duration=30.0)],
        NOW,
        review=Review.DRAFT,
        created_by="op",
    )
    entry_table.add_schedule(
        store,
        draft,
        dt.date(2023, 3, 28),
        dt.date(2023, 3, 28),
        (dt.time(12, 0),),
        frozenset(range(7)),
        Priority.SCHEDULED,
        NOW,
        with_content=True,
    )
    html = page(client)
    assert "静音时段，将跳过" in html  # 22:30
    assert "待审核：通过后才播出" in html  # the draft at 12:00
    assert "冲突：等待 5:00，等“长节目”播完" in html  # 07:30 waits out 07:25 + 10 min
    assert "冲突：与“早间宣传”重叠" in html
    assert 'id="conflicts"' in html


def test_a_crowded_plan_lists_the_first_conflicts_and_marks_them_all(
    store: Store, client: FlaskClient
) -> None:
    # Thirteen ten-minute playlists at 07:30: twelve wait for the lane each day, 72 on the
    # week's six campaign days (each broadcast is held up once, by the one on air).
    for n in range(12):
        add_pause_playlist(store, f"节目{n}", 600.0, times=(dt.time(7, 30),))
    html = page(client)
    assert '播出冲突 <span class="muted">72</span>' in html
    assert "另有 12 处冲突已在日历中标出" in html


@pytest.mark.parametrize(
    ("path", "listed"),
    [("/schedule", False), ("/schedule?view=day", True)],
    ids=["a-week-links-to-the-day", "a-day-lists-them"],
)
def test_a_crowded_hour_folds_into_its_counts(
    store: Store, client: FlaskClient, path: str, listed: bool
) -> None:
    for minute in (40, 45, 50, 55):  # five broadcasts from 07:30 to 07:55 every day
        add_pause_playlist(store, f"节目{minute}", 60.0, times=(dt.time(7, minute),))
    html = page(client, path)
    # 28 March is today: 07:xx is over and the log has nothing; later days are to come.
    if listed:
        assert (
            '<details class="fold"><summary>播出 5 次 '
            '<span class="badge outcome-missed">未播出（无记录） 5' in html
        )
        assert '<span class="bc-time">07:55</span> 节目55</span>' in html  # listed inside
    else:
        assert (
            '<a class="fold" href="/schedule?view=day&amp;date=2023-03-28">播出 5 次 '
            '<span class="badge outcome-missed">未播出（无记录） 5' in html
        )
        assert (
            html.count('<a class="fold" href="/schedule?view=day&amp;date=2023-') == 2 * 6
        )  # table, cards
        assert '<span class="bc-time">07:55</span>' not in html  # the day's page lists it
    assert "播出 5 次" not in html.split('<th scope="row">18:00</th>')[1].split("</tr>")[0]


def test_the_calendar_follows_the_log_the_clock_and_the_schedule(
    settings: Settings, store: Store, client: FlaskClient
) -> None:
    start, end = day_range(dt.date(2023, 3, 28), dt.date(2023, 3, 28), settings.tz)
    morning, evening = station_plan(store, settings, start, end)
    first_card = page(client).split('class="day-card')[2]  # 28 March: Monday comes first
    assert "未播出（无记录）" in first_card and "已播出" not in first_card
    asrun.claim(store, morning, Outcome.PLAYED, morning.start)
    first_card = page(client).split('class="day-card')[2]
    assert first_card.count("已播出") == 1 and first_card.count("未播出（无记录）") == 0
    later = make_app(settings, store, now=evening.start + dt.timedelta(minutes=1))
    late_client = later.test_client()
    log_in(late_client, "op")
    first_card = page(late_client).split('class="day-card')[2]
    assert (
        first_card.count("已播出") == 1 and first_card.count("未播出（无记录）") == 1
    )  # 18:30 now due
    add_pause_playlist(store, "晚间新闻", 60.0, times=(dt.time(20, 0),))
    assert "晚间新闻" in page(late_client)
    assert "no record" in page(late_client, headers={"Accept-Language": "en"})


def test_calendar_uses_the_station_zone_not_the_machines(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        html = page(client)
    finally:
        monkeypatch.undo()
        time.tzset()
    # Rows are hours; each broadcast shows its own time.
    assert '<th scope="row">07:00</th>' in html and '<span class="bc-time">07:30</span>' in html
    assert '<th scope="row">19:00</th>' not in html and os.environ.get("TZ") != "America/New_York"
    assert '<span class="bc-time">19:30</span>' not in html


def test_page_lists_entries_with_edit_and_remove(client: FlaskClient) -> None:
    html = page(client)
    assert 'id="entry-1"' in html
    assert "2023-03-28 – 2023-04-07" in html and "07:30, 18:30" in html
    assert "每天" in html and "从中断处继续" in html and "300 秒" in html
    assert 'href="/schedule/1/edit"' in html and 'href="/schedule/1/remove"' in html


# -- adding ------------------------------------------------------------------------


def test_add_stores_the_entry_and_audits_it(client: FlaskClient, store: Store) -> None:
    html = post(client, "/schedule/new", {**GOOD, "times": "09:00, 15:30", "weekdays": ["5", "6"]})
    assert "“早间宣传”的播出安排已保存" in html
    entry = entry_table.get_schedule(store, 2)
    assert entry.times == (dt.time(9, 0), dt.time(15, 30))
    assert entry.weekdays == frozenset({5, 6})
    assert (entry.start, entry.end) == (dt.date(2023, 4, 1), dt.date(2023, 4, 7))
    [row] = audit_rows(store, "schedule")
    assert (row.username, row.subject, row.subject_id) == ("op", "schedule", 2)
    assert "09:00,15:30" in row.detail


def test_form_marks_playlists_awaiting_review_and_greys_out_drafts(
    client: FlaskClient, store: Store
) -> None:
    for name, state in (("草稿节目", Review.DRAFT), ("待审节目", Review.PENDING)):
        playlist_table.add_playlist(
            store, name, "", [NewItem(kind=ItemKind.PAUSE, duration=30.0)], NOW,
            review=state, created_by="op",
        )  # fmt: skip
    html = page(client, "/schedule/new")
    assert '<option value="1">早间宣传 (1:00)</option>' in html
    assert '<option value="3">待审节目 (0:30) – 待审核，通过后播出</option>' in html
    assert '<option value="2" disabled>草稿节目 (0:30) – 草稿，须先送审</option>' in html
    assert 'value="2023-03-28"' in html and 'value="2023-04-07"' in html
    assert html.count('name="weekdays"') == 7 and html.count("checked") == 7
    assert 'value="emergency"' not in html


def test_a_playlist_awaiting_review_is_scheduled_and_held_until_approved(
    settings: Settings, client: FlaskClient, store: Store
) -> None:
    pending = playlist_table.add_playlist(
        store, "待审节目", "", [NewItem(kind=ItemKind.PAUSE, duration=30.0)], NOW,
        review=Review.PENDING, created_by="op",
    )  # fmt: skip
    html = post(client, "/schedule/new", {**GOOD, "playlist_id": str(pending)})
    assert "“待审节目”的播出安排已保存" in html
    assert "“待审节目”正在等待审核：审核通过后才会播出。" in html
    entry = entry_table.get_schedule(store, 2)
    assert (entry.playlist_id, entry.approved) == (pending, False)
    week = page(client, "/schedule?view=week&date=2023-04-01")
    assert '<span class="badge mark-review">待审核：通过后才播出</span>' in week
    assert '<span class="badge mark-review">待审核</span>' in week  # in the entries table


def test_form_without_schedulable_playlists_says_what_to_do(
    settings: Settings, store: Store
) -> None:
    client = client_for(make_app(settings, store), store, "op", "operator")
    html = page(client, "/schedule/new")
    assert "还没有审核通过或待审核的节目单" in html and 'href="/playlists"' in html
    assert 'name="times"' not in html


def test_conflicts_are_shown_before_saving(client: FlaskClient, store: Store) -> None:
    before = snapshot(store)
    html = post(client, "/schedule/new", {**GOOD, "times": "07:30"})
    assert "保存前请检查" in html and "冲突：等待 1:00，等“早间宣传”播完" in html
    assert "仍然保存" in html
    assert snapshot(store) == before  # nothing stored yet
    seen = html.split('name="seen" value="')[1].split('"')[0]
    html = post(client, "/schedule/new", {**GOOD, "times": "07:30", "seen": seen})
    assert "已保存" in html
    assert len(entry_table.schedule_entries(store)) == 2


def test_a_changed_form_is_checked_again(client: FlaskClient, store: Store) -> None:
    html = post(client, "/schedule/new", {**GOOD, "times": "07:30"})
    seen = html.split('name="seen" value="')[1].split('"')[0]
    html = post(client, "/schedule/new", {**GOOD, "times": "18:30", "seen": seen})
    assert "保存前请检查" in html
    assert len(entry_table.schedule_entries(store)) == 1


def test_past_days_outside_the_campaign_warn_first(client: FlaskClient, store: Store) -> None:
    html = post(client, "/schedule/new", {**GOOD, "start": "2023-03-20"})
    assert "超出了宣传活动期" in html and len(entry_table.schedule_entries(store)) == 1
    seen = html.split('name="seen" value="')[1].split('"')[0]
    post(client, "/schedule/new", {**GOOD, "start": "2023-03-20", "seen": seen})
    assert entry_table.get_schedule(store, 2).start == dt.date(2023, 3, 20)


# The campaign runs 2023-03-28 – 2023-04-07; its days need no warning.
OUTSIDE = [
    pytest.param("2023-03-28", "2023-03-28", "2023-04-10", False, id="after-the-campaign-to-come"),
    pytest.param("2023-03-28", "2023-04-20", "2023-04-25", False, id="wholly-after-to-come"),
    pytest.param("2023-03-28", "2023-03-27", "2023-03-30", True, id="starts-yesterday-before"),
    pytest.param("2023-03-28", "2023-03-01", "2023-03-05", True, id="wholly-before-past"),
    pytest.param("2023-04-12", "2023-04-08", "2023-04-15", True, id="after-but-days-past"),
    pytest.param("2023-04-12", "2023-04-12", "2023-04-15", False, id="after-from-today"),
    pytest.param("2023-03-20", "2023-03-25", "2023-03-27", False, id="before-but-to-come"),
]


def operator_at(settings: Settings, store: Store, clock: dt.datetime) -> FlaskClient:
    """Return an operator's client on a panel whose clock reads `clock`, with a playlist."""
    add_pause_playlist(store, "早间宣传", 60.0, times=(dt.time(7, 30), dt.time(18, 30)))
    return client_for(make_app(settings, store, now=clock), store, "op", "operator")


@pytest.mark.parametrize(("today", "start", "end", "warned"), OUTSIDE)
def test_only_past_days_outside_the_campaign_warn(
    settings: Settings, store: Store, today: str, start: str, end: str, warned: bool
) -> None:
    noon = dt.datetime.combine(dt.date.fromisoformat(today), dt.time(4, 0), tzinfo=dt.UTC)
    client = operator_at(settings, store, noon)
    html = post(client, "/schedule/new", {**GOOD, "start": start, "end": end})
    assert ("超出了宣传活动期" in html) is warned
    assert len(entry_table.schedule_entries(store)) == (1 if warned else 2)


NEW_FORM_DAYS = [
    pytest.param("2023-03-28", "2023-03-28", "2023-04-07", id="first-day-to-campaign-end"),
    pytest.param("2023-04-01", "2023-04-01", "2023-04-07", id="mid-campaign-to-its-end"),
    pytest.param("2023-04-05", "2023-04-05", "2023-04-07", id="near-the-end-to-the-end"),
    pytest.param("2023-04-07", "2023-04-07", "2023-04-13", id="last-day-then-a-week"),
    pytest.param("2023-05-10", "2023-05-10", "2023-05-16", id="after-the-campaign-a-week"),
    pytest.param("2023-03-01", "2023-03-01", "2023-04-07", id="before-it-through-its-end"),
]


@pytest.mark.parametrize(("today", "first", "last"), NEW_FORM_DAYS)
def test_a_new_entry_starts_today(
    settings: Settings, store: Store, today: str, first: str, last: str
) -> None:
    # 23:00 UTC the day before is already 07:00 on `today` in Shanghai: the station's day.
    clock = dt.datetime.combine(
        dt.date.fromisoformat(today) - dt.timedelta(days=1), dt.time(23, 0), tzinfo=dt.UTC
    )
    html = page(operator_at(settings, store, clock), "/schedule/new")
    assert f'name="start" type="date" value="{first}"' in html
    assert f'name="end" type="date" value="{last}"' in html


BAD_INPUT = [
    pytest.param({"times": "25:00"}, "“25:00”不是时刻", id="hour-25"),
    pytest.param({"times": "7.30"}, "“7.30”不是时刻", id="dot-not-colon"),
    pytest.param({"times": "07:30, 12:60"}, "“12:60”不是时刻", id="second-time-bad"),
    pytest.param({"times": ""}, "请至少写一个时刻", id="no-time"),
    pytest.param({"start": "2023-04-07", "end": "2023-04-01"}, "早于第一天", id="end-before-start"),
    pytest.param({"start": "2023-02-30"}, "请把第一天写成", id="no-such-date"),
    pytest.param({"end": ""}, "请把最后一天写成", id="no-last-day"),
    pytest.param({"end": "2025-04-07"}, "最多跨 366 天", id="years-long"),
    pytest.param({"playlist_id": "99"}, "该节目单不存在", id="unknown-playlist"),
    pytest.param({"playlist_id": ""}, "请选择节目单", id="no-playlist"),
    pytest.param({"playlist_id": "2"}, "还是草稿：请先送审", id="draft-playlist"),
    pytest.param({"weekdays": []}, "请至少勾选一天", id="no-weekday"),
    pytest.param({"weekdays": ["7"]}, "请从列表中选择星期", id="bad-weekday"),
    pytest.param({"wait": "3601"}, "0 到 3600", id="wait-too-long"),
    pytest.param({"wait": "-5"}, "0 到 3600", id="wait-negative"),
    pytest.param({"wait": "five"}, "0 到 3600", id="wait-not-a-number"),
    pytest.param({"priority": "loud"}, "请从列表中选择优先级", id="unknown-priority"),
    pytest.param({"priority": "emergency"}, "您的账号不能安排紧急", id="emergency-without-right"),
    pytest.param({"on_interrupt": "later"}, "请从列表中选择被中断后", id="unknown-policy"),
]


def add_draft(store: Store, name: str = "草稿节目") -> int:
    return playlist_table.add_playlist(
        store,
        name,
        "",
        [NewItem(kind=ItemKind.PAUSE, duration=30.0)],
        NOW,
        review=Review.DRAFT,
        created_by="op",
    )


@pytest.mark.parametrize(("change", "message"), BAD_INPUT)
def test_bad_input_flashes_and_stores_nothing(
    client: FlaskClient, store: Store, change: dict[str, object], message: str
) -> None:
    add_draft(store)
    before = snapshot(store)
    html = post(client, "/schedule/new", {**GOOD, **change})
    assert 'class="flash flash-error"' in html and message in html, html[-3000:]
    assert snapshot(store) == before
    if change.get("times"):
        assert f'value="{change["times"]}"' in html  # the form keeps what was typed


@pytest.mark.parametrize(("change", "message"), BAD_INPUT)
def test_bad_edit_flashes_and_changes_nothing(
    client: FlaskClient, store: Store, change: dict[str, object], message: str
) -> None:
    add_draft(store)
    before = snapshot(store)
    html = post(client, "/schedule/1/edit", {**GOOD, **change})
    assert 'class="flash flash-error"' in html and message in html
    assert snapshot(store) == before


def test_every_error_is_named_at_once(client: FlaskClient, store: Store) -> None:
    html = post(client, "/schedule/new", {**GOOD, "times": "7.30", "wait": "9999", "weekdays": []})
    assert html.count('class="flash flash-error"') == 3


@pytest.mark.parametrize(
    ("role", "may_emergency"),
    [("operator", True), ("admin", False)],
    ids=["operator-with-the-right", "admin"],
)
def test_emergency_priority_for_those_allowed(
    app: Flask, store: Store, role: str, may_emergency: bool
) -> None:
    client = client_for(app, store, "boss", role, may_emergency=may_emergency)
    assert 'value="emergency"' in page(client, "/schedule/new")
    post(client, "/schedule/new", {**GOOD, "priority": "emergency"})
    assert entry_table.get_schedule(store, 2).priority is Priority.EMERGENCY


# -- changing and removing -----------------------------------------------------------


def test_edit_form_shows_the_entry(client: FlaskClient) -> None:
    html = page(client, "/schedule/1/edit")
    assert 'value="07:30, 18:30"' in html and 'value="2023-03-28"' in html
    assert '<option value="1" selected>' in html and 'value="300"' in html


def test_edit_changes_the_entry_and_audits_it(client: FlaskClient, store: Store) -> None:
    change = {**GOOD, "times": "08:00", "priority": "idle", "on_interrupt": "skip", "wait": "0"}
    html = post(client, "/schedule/1/edit", change)
    assert "已保存" in html
    entry = entry_table.get_schedule(store, 1)
    assert entry.times == (dt.time(8, 0),) and entry.priority is Priority.IDLE
    assert entry.wait_seconds == 0 and entry.on_interrupt.value == "skip"
    [row] = audit_rows(store, "edit")
    assert row.subject == "schedule" and row.subject_id == 1 and "08:00" in row.detail


def test_edit_of_a_missing_entry_is_404(client: FlaskClient) -> None:
    assert client.get("/schedule/42/edit").status_code == 404
    assert client.get("/schedule/42/remove").status_code == 404


def test_remove_asks_for_confirmation(client: FlaskClient, store: Store) -> None:
    html = page(client, "/schedule/1/remove")
    assert 'name="confirm"' in html and "早间宣传" in html
    before = snapshot(store)
    html = post(client, "/schedule/1/remove", {})
    assert "请勾选确认" in html and snapshot(store) == before
    html = post(client, "/schedule/1/remove", {"confirm": "yes"})
    assert "已删除" in html
    assert entry_table.schedule_entries(store) == []
    [row] = audit_rows(store, "unschedule")
    assert row.subject_id == 1 and "早间宣传" in row.detail


# -- who may do what -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/schedule", "/schedule/new", "/schedule/1/edit"])
def test_anonymous_visitors_are_sent_to_log_in(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.fixture
def reviewer(app: Flask, store: Store) -> Iterator[FlaskClient]:
    yield client_for(app, store, "rev", "reviewer")


def test_reviewers_see_the_schedule_but_may_not_change_it(
    reviewer: FlaskClient, store: Store
) -> None:
    html = page(reviewer)
    assert "早间宣传" in html and 'href="/schedule/new"' not in html
    assert 'href="/schedule/1/edit"' not in html
    token = csrf_of(reviewer.get("/schedule"))
    before = snapshot(store)
    for path in ("/schedule/new", "/schedule/1/edit", "/schedule/1/remove"):
        assert reviewer.get(path).status_code == 403
        data = {**GOOD, "confirm": "yes", "csrf_token": token}
        assert reviewer.post(path, data=data).status_code == 403
    assert snapshot(store) == before


@pytest.mark.parametrize("path", ["/schedule/new", "/schedule/1/edit", "/schedule/1/remove"])
def test_posts_without_csrf_are_refused(client: FlaskClient, store: Store, path: str) -> None:
    before = snapshot(store)
    assert client.post(path, data={**GOOD, "confirm": "yes"}).status_code == 400
    assert snapshot(store) == before


def test_playlist_names_are_escaped(client: FlaskClient, store: Store) -> None:
    add_pause_playlist(store, NASTY, 30.0, times=(dt.time(12, 0),))
    for path in ("/schedule", "/schedule/new", "/schedule/2/edit", "/schedule/2/remove"):
        html = page(client, path)
        assert "<script>alert(1)</script>" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    html = post(client, "/schedule/new", {**GOOD, "playlist_id": "2", "times": "12:00"})
    assert "<script>alert(1)</script>" not in html


@pytest.mark.parametrize(
    ("start", "end", "shown"),
    [
        ("2023-03-20", "2023-04-07", "2023-03-28"),  # it plays today: today's week
        ("2023-05-02", "2023-05-09", "2023-05-02"),  # later: the week it starts
        ("2023-01-02", "2023-01-09", "2023-01-02"),  # over: the week it started
    ],
    ids=["covers-today", "later", "over"],
)
def test_a_saved_entry_opens_the_calendar_where_it_plays(
    client: FlaskClient, start: str, end: str, shown: str
) -> None:
    data = {"csrf_token": csrf_of(client.get("/schedule/new")), **GOOD, "start": start, "end": end}
    data["seen"] = ""
    response = client.post("/schedule/new", data=data)
    if response.status_code == 200:  # warned first (days past outside the campaign)
        seen = response.get_data(as_text=True).split('name="seen" value="')[1].split('"')[0]
        response = client.post("/schedule/new", data={**data, "seen": seen})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/schedule?date={shown}#entry-2"
