"""The broadcast record: filters, pages, the CSV export, the JSON API and the printed report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from playlists.model import Outcome, PlannedBroadcast, Priority
from playlists.plan import day_range, station_plan
from playlists.record import asrun
from playlists.record.report import campaign_report
from playlists.settings import Settings
from playlists.store import Store
from tests.browser.conftest import ARTIFACTS
from tests.web_fixtures import (
    PASSWORD,
    add_pause_playlist,
    add_user,
    log_in,
    make_app,
    serving,
)

# 17:00 in Shanghai on the campaign's third day: its 18:30 broadcasts are not due yet.
LATER = dt.datetime(2023, 3, 30, 9, 0, tzinfo=dt.UTC)
MARCH_28, MARCH_29, MARCH_30 = dt.date(2023, 3, 28), dt.date(2023, 3, 29), dt.date(2023, 3, 30)
NASTY = "<script>alert(1)</script> 村民"
QUOTED = '防火, "安全" 宣传'

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def app(settings: Settings, store: Store) -> Flask:
    return make_app(settings, store, now=LATER)


@pytest.fixture
def client(app: Flask, store: Store) -> FlaskClient:
    add_user(store, "viewer", "reviewer")  # the least role: the record is for everyone
    client = app.test_client()
    log_in(client, "viewer")
    return client


def planned(store: Store, settings: Settings, first: dt.date, last: dt.date) -> list[Any]:
    return station_plan(store, settings, *day_range(first, last, settings.tz))


def log(store: Store, broadcast: PlannedBroadcast, outcome: Outcome, reason: str = "") -> None:
    """Log a broadcast as the player does: on air, then closed; or claimed as not played."""
    if outcome is Outcome.PLAYED:
        row = asrun.claim(store, broadcast, Outcome.PLAYING, broadcast.start)
        assert row is not None
        asrun.close(store, row, outcome, broadcast.end)
    else:
        asrun.claim(store, broadcast, outcome, broadcast.start, reason)


@pytest.fixture
def campaign(store: Store, settings: Settings) -> None:
    """Two playlists at 07:30, 12:00 and 18:30 on 28 and 29 March: 12 occurrences.

    Everything played except the 18:30 宣传 on the 29th (missed) and its 12:00 (skipped).
    """
    add_pause_playlist(store, "宣传")
    add_pause_playlist(store, "防火")
    for broadcast in planned(store, settings, MARCH_28, MARCH_29):
        local = broadcast.start.astimezone(settings.tz)
        if broadcast.playlist_name == "宣传" and local.day == 29 and local.hour == 18:
            log(store, broadcast, Outcome.MISSED, "player was down")
        elif broadcast.playlist_name == "宣传" and local.day == 29 and local.hour == 12:
            log(store, broadcast, Outcome.SKIPPED, "emergency on air")
        else:
            log(store, broadcast, Outcome.PLAYED)
    manual = asrun.open_manual(
        store, "紧急通知", None, Priority.EMERGENCY, "op", LATER - dt.timedelta(hours=30)
    )
    asrun.close(store, manual, Outcome.PLAYED, LATER - dt.timedelta(hours=29))


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def listed_count(html: str) -> int:
    match = re.search(r"共 (\d+) 条播出记录", html)
    assert match, "the page says how many rows match"
    return int(match[1])


# -- who may look ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/asrun", "/asrun.csv", "/asrun/report"])
def test_anonymous_visitors_are_sent_to_log_in(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_anonymous_api_calls_are_refused(app: Flask) -> None:
    response = app.test_client().get("/api/v1/asrun")
    assert response.status_code == 401
    assert set(response.json or {}) == {"error"}


def test_the_record_is_in_the_navigation(client: FlaskClient) -> None:
    html = page(client, "/asrun")
    assert '<a href="/asrun" aria-current="page">播出记录</a>' in html


# -- filters and pages ------------------------------------------------------------

FILTERS = [
    pytest.param("?from=2023-03-28&to=2023-03-30", 13, id="campaign-so-far"),
    pytest.param("?from=2023-03-28&to=2023-03-28", 6, id="one-day"),
    pytest.param("?from=2023-03-29&to=2023-03-29", 7, id="day-with-manual-broadcast"),
    pytest.param("?from=2023-03-28&to=2023-03-29&playlist=宣传", 6, id="playlist"),
    pytest.param("?from=2023-03-28&to=2023-03-29&status=missed", 1, id="outcome"),
    pytest.param("?from=2023-03-29&to=2023-03-29&playlist=宣传&status=played", 1, id="both"),
    pytest.param("?from=2023-04-01&to=2023-04-02", 0, id="nothing-yet"),
]


@pytest.mark.usefixtures("campaign")
@pytest.mark.parametrize(("query", "count"), FILTERS)
def test_filters_pick_rows(client: FlaskClient, query: str, count: int) -> None:
    html = page(client, f"/asrun{query}")
    assert listed_count(html) == count
    assert html.count('<span class="badge outcome-') == count
    api = client.get(f"/api/v1/asrun{query}")
    assert api.status_code == 200
    assert len(api.json or []) == count


@pytest.mark.usefixtures("campaign")
def test_rows_show_station_time_chinese_outcome_reason_and_who_asked(client: FlaskClient) -> None:
    html = page(client, "/asrun?from=2023-03-29&to=2023-03-29")
    assert "2023-03-29 18:30" in html  # Shanghai time; the store keeps 10:30 UTC
    assert '<span class="badge outcome-missed">错过</span>' in html
    assert "player was down" in html
    assert "操作人：op" in html


BAD_QUERIES = [
    pytest.param("?from=2023-02-30", "日期格式应为 2023-03-28。", id="no-such-day"),
    pytest.param("?from=yesterday&to=2023-03-29", "日期格式应为", id="not-a-date"),
    pytest.param("?from=2023-03-29&to=2023-03-28", "结束日期早于开始日期", id="reversed"),
    pytest.param("?from=2020-01-01&to=2023-03-28", "366", id="too-long"),
    pytest.param("?status=lost", "没有这种播出结果", id="bad-outcome"),
]


@pytest.mark.usefixtures("campaign")
@pytest.mark.parametrize(("query", "message"), BAD_QUERIES)
def test_bad_filters_flash_and_show_the_default(
    client: FlaskClient, query: str, message: str
) -> None:
    for path in ("/asrun", "/asrun/report"):
        html = page(client, path + query)
        assert 'class="flash flash-error"' in html
        assert message in html
    assert listed_count(page(client, "/asrun" + query)) == 0  # today: nothing logged yet
    for path in ("/asrun.csv", "/api/v1/asrun"):
        assert client.get(path + query).status_code == 400, path


def test_ten_thousand_rows_are_paged(client: FlaskClient, store: Store) -> None:
    start = dt.datetime(2023, 3, 28, 0, 0, tzinfo=dt.UTC)
    with store.transaction() as conn:  # open_manual 10,000 times would commit 10,000 times
        conn.executemany(
            "INSERT INTO as_run (playlist_name, priority, scheduled_at, status, requested_by) "
            "VALUES (?, 'manual', ?, 'played', 'op')",
            [
                (f"节目{n:05d}", (start + dt.timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ"))
                for n in range(10_000)
            ],
        )
    assert asrun.rows_between(store, start, LATER)[0].playlist_name == "节目00000"

    first = page(client, "/asrun?from=2023-03-28&to=2023-03-30")
    assert listed_count(first) == 10_000
    assert "第 1 页，共 100 页" in first
    assert first.count("<tr>") == 101  # the heading and 100 rows
    assert "节目00099" in first and "节目00100" not in first
    assert 'rel="next" href="/asrun?page=2&amp;from=2023-03-28&amp;to=2023-03-30"' in first

    second = page(client, "/asrun?page=2&from=2023-03-28&to=2023-03-30")
    assert "节目00100" in second and "节目00199" in second and "节目00099" not in second
    days = "&from=2023-03-28&to=2023-03-30"
    last = page(client, "/asrun?page=100" + days)
    assert "节目09999" in last and 'rel="next"' not in last
    assert "第 100 页，共 100 页" in page(client, "/asrun?page=999" + days)  # clamped
    assert "第 1 页，共 100 页" in page(client, "/asrun?page=x" + days)


# -- today first ------------------------------------------------------------------


@pytest.mark.usefixtures("campaign")
def test_the_page_opens_on_today_the_api_on_the_campaign_so_far(client: FlaskClient) -> None:
    html = page(client, "/asrun")
    assert listed_count(html) == 0  # nothing logged yet on the 30th
    assert '<span class="muted">2023-03-30 – 2023-03-30</span>' in html
    assert len(client.get("/api/v1/asrun").json or []) == 13  # scripts keep their default


def quick_links(html: str) -> dict[str, str]:
    """Return the one-tap ranges as label -> href, the chosen one's label starred."""
    nav = html.split('<nav class="quick-ranges"')[1].split("</nav>")[0]
    links = re.findall(r'<a class="button" href="([^"]+)"( aria-current="true")?>([^<]+)</a>', nav)
    return {label + ("*" if current else ""): href for href, current, label in links}


@pytest.mark.usefixtures("campaign")
def test_the_record_opens_on_the_station_day_of_the_apps_clock(
    settings: Settings, store: Store
) -> None:
    # 23:30 UTC on the 28th is already 07:30 on the 29th in Shanghai: the station's day wins.
    late = make_app(settings, store, now=dt.datetime(2023, 3, 28, 23, 30, tzinfo=dt.UTC))
    add_user(store, "viewer", "reviewer")
    client = late.test_client()
    log_in(client, "viewer")
    html = page(client, "/asrun")
    assert listed_count(html) == 7  # the 29th: six scheduled rows and the manual one
    assert '<span class="muted">2023-03-29 – 2023-03-29</span>' in html
    assert 'value="2023-03-29"' in html


QUICK = [
    pytest.param("今天", "2023-03-30", "2023-03-30", 0, id="today"),
    pytest.param("昨天", "2023-03-29", "2023-03-29", 7, id="yesterday"),
    pytest.param("本周", "2023-03-27", "2023-03-30", 13, id="this-week-from-monday"),
    pytest.param("宣传期", "2023-03-28", "2023-04-07", 13, id="campaign-period"),
]


@pytest.mark.usefixtures("campaign")
@pytest.mark.parametrize(("label", "first", "last", "count"), QUICK)
def test_one_tap_ranges(client: FlaskClient, label: str, first: str, last: str, count: int) -> None:
    links = quick_links(page(client, "/asrun"))
    assert list(links) == ["今天*", "昨天", "本周", "宣传期"]  # today is chosen on opening
    href = links[label + "*" if label == "今天" else label]
    assert href == f"/asrun?from={first}&amp;to={last}"
    html = page(client, href.replace("&amp;", "&"))
    assert listed_count(html) == count
    assert label + "*" in quick_links(html)


@pytest.mark.usefixtures("campaign")
def test_one_tap_ranges_keep_the_playlist_and_outcome(client: FlaskClient) -> None:
    links = quick_links(page(client, "/asrun?from=2023-03-29&to=2023-03-29&status=missed"))
    assert links["昨天*"] == "/asrun?status=missed&amp;from=2023-03-29&amp;to=2023-03-29"
    assert listed_count(page(client, "/asrun?status=missed&from=2023-03-29&to=2023-03-29")) == 1


@pytest.mark.usefixtures("campaign")
def test_the_report_opens_on_today_with_the_same_ranges(client: FlaskClient) -> None:
    html = page(client, "/asrun/report")
    assert "2023-03-30 – 2023-03-30" in html  # days reported
    links = quick_links(html)
    assert links["今天*"] == "/asrun/report?from=2023-03-30&amp;to=2023-03-30"
    assert links["宣传期"] == "/asrun/report?from=2023-03-28&amp;to=2023-04-07"


@pytest.mark.usefixtures("campaign")
def test_the_dashboard_report_link_opens_today(client: FlaskClient) -> None:
    html = page(client, "/")
    assert 'href="/asrun/report?from=2023-03-30&amp;to=2023-03-30"' in html


# -- CSV -----------------------------------------------------------------------


def test_csv_export_opens_in_excel(client: FlaskClient, store: Store, settings: Settings) -> None:
    add_pause_playlist(store, QUOTED)
    morning = planned(store, settings, MARCH_28, MARCH_28)[0]
    log(store, morning, Outcome.PLAYED)
    asrun.open_manual(store, "=HYPERLINK()", None, Priority.MANUAL, "op", LATER, Outcome.SKIPPED)

    response = client.get("/asrun.csv?from=2023-03-28&to=2023-03-30")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=asrun-2023-03-28-2023-03-30.csv"
    )
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    text = body.decode("utf-8-sig")
    assert '"防火, ""安全"" 宣传"' in text  # quoted, the inner quotes doubled
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["计划时间", "开始", "结束", "节目单", "优先级", "状态", "备注", "操作人"],
        [
            "2023-03-28T07:30:00+08:00",
            "2023-03-28T07:30:00+08:00",
            "2023-03-28T07:30:30+08:00",
            QUOTED,
            "定时",
            "已播出",
            "",
            "",
        ],
        ["2023-03-30T17:00:00+08:00", "", "", "'=HYPERLINK()", "手动", "已跳过", "", "op"],
    ]


@pytest.mark.usefixtures("campaign")
def test_csv_export_in_english_keeps_the_column_codes_order(client: FlaskClient) -> None:
    response = client.get("/asrun.csv?from=2023-03-29&to=2023-03-29", headers=ENGLISH)
    header = next(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert header == ["Due", "Started", "Ended", "Playlist", "Priority", "Status", "Note",
                      "Requested by"]  # fmt: skip


@pytest.mark.usefixtures("campaign")
def test_csv_export_keeps_the_filters(client: FlaskClient) -> None:
    response = client.get("/asrun.csv?from=2023-03-29&to=2023-03-29&status=missed")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [(r[0], r[3], r[5], r[6]) for r in rows[1:]] == [
        ("2023-03-29T18:30:00+08:00", "宣传", "错过", "player was down")
    ]
    html = page(client, "/asrun?from=2023-03-29&to=2023-03-29&status=missed")
    assert 'href="/asrun.csv?from=2023-03-29&amp;to=2023-03-29&amp;status=missed"' in html


# -- escaping ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/asrun", "/asrun/report"])
def test_playlist_names_are_escaped(
    client: FlaskClient, store: Store, settings: Settings, path: str
) -> None:
    add_pause_playlist(store, NASTY)
    log(store, planned(store, settings, MARCH_28, MARCH_28)[0], Outcome.MISSED, NASTY)
    asrun.open_manual(store, NASTY, None, Priority.MANUAL, NASTY, LATER)

    html = page(client, path)

    assert "<script>alert(1)</script>" not in html
    assert str(escape("<script>alert(1)</script>")) in html


# -- the town's report ---------------------------------------------------------------


@pytest.mark.usefixtures("campaign")
def test_report_totals_match_campaign_report(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    report = campaign_report(store, settings, MARCH_28, MARCH_30, LATER)
    assert (report.totals.planned, report.totals.due, report.totals.played) == (18, 16, 10)
    assert (report.totals.missed, report.totals.skipped, report.totals.unlogged) == (1, 1, 4)

    html = page(client, "/asrun/report?from=2023-03-28&to=2023-03-30")

    footer = html.split("<tfoot>")[1].split("</tfoot>")[0]
    numbers = [int(n) for n in re.findall(r'<th class="num"[^>]*>(\d+)</th>', footer)]
    assert numbers == [18, 16, 10, 6]  # planned, due so far, played, not played
    assert "错过 1 · 已跳过 1 · 未播出（无记录） 4" in footer
    for text in (
        "示范村广播站",
        "2023年社会工作主题宣传活动",
        "2023-03-28 – 2023-04-07",
        "2023-03-30 17:00",  # generated at, station time
        "player was down × 1",
        "emergency on air × 1",
        "紧急通知",
        "手动播出 1 次，已播出 1 次。",
        "村委会盖章",
        "填报人",
    ):
        assert text in html, text
    assert '<script src="/static/report.js"></script>' in html


@pytest.mark.usefixtures("campaign")
def test_report_follows_the_log_and_the_schedule(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    path = "/asrun/report?from=2023-03-30&to=2023-03-30"

    def totals() -> list[int]:
        footer = page(client, path).split("<tfoot>")[1].split("</tfoot>")[0]
        return [int(n) for n in re.findall(r'<th class="num"[^>]*>(\d+)</th>', footer)]

    assert totals() == [6, 4, 0, 4]  # planned, due so far, played, not played
    morning = planned(store, settings, MARCH_30, MARCH_30)[0]
    log(store, morning, Outcome.PLAYED)
    assert totals() == [6, 4, 1, 3]
    add_pause_playlist(store, "安全", times=(dt.time(8, 0),))
    assert totals() == [7, 5, 1, 4]


# -- on paper ------------------------------------------------------------------------


@pytest.fixture
def live_panel(settings: Settings, store: Store) -> Iterator[str]:
    """Serve the panel on a free loopback port, as tests/browser does."""
    add_user(store, "op", "operator")
    app = make_app(settings, store, now=LATER)
    with serving(app, threads=2) as url:
        yield url


def media_box(pdf: bytes) -> tuple[float, float]:
    match = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert match, "the PDF names its page size"
    return float(match[1]), float(match[2])


@pytest.mark.slow
@pytest.mark.usefixtures("campaign")
def test_report_prints_on_a4(live_panel: str, browser: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(locale="zh-CN", viewport={"width": 794, "height": 1123})
    try:
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{live_panel}/login")
        page.fill("#username", "op")
        page.fill("#password", PASSWORD)
        page.click("form button[type=submit]")
        page.goto(f"{live_panel}/asrun/report?from=2023-03-28&to=2023-03-30")
        page.emulate_media(media="print")
        assert not page.locator("header.site-header").is_visible()
        assert not page.locator("#print-report").is_visible()
        assert page.locator("h1").inner_text() == "播出情况报告"
        page.screenshot(path=ARTIFACTS / "asrun-report-print.png", full_page=True)
        pdf = page.pdf(format="A4", path=ARTIFACTS / "asrun-report.pdf")
        assert not problems, problems
    finally:
        page.close()
    # A4 is 595.28 × 841.89 pt; Chromium rounds the sheet to whole CSS pixels (596 × 843).
    width, height = media_box(pdf)
    assert width == pytest.approx(595.28, abs=1.5)
    assert height == pytest.approx(841.89, abs=1.5)


@pytest.mark.usefixtures("campaign")
def test_report_covers_every_playlist_and_outcome(client: FlaskClient) -> None:
    # The town wants the whole picture, whatever the record page was filtered by.
    html = page(client, "/asrun/report?from=2023-03-29&to=2023-03-29&playlist=防火&status=missed")
    body = html.split("<tbody>")[1]
    assert "宣传" in body and "防火" in body
    assert 'href="/asrun?from=2023-03-29&amp;to=2023-03-29"' in html  # back link
