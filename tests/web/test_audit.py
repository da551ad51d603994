"""The audit log page: filters, pages, station times, CSV for Excel, and log-ins recorded."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from playlists.record import audit
from playlists.store import Store
from tests.web_fixtures import NOW, add_user, csrf_of, log_in

NASTY = '<script>alert(1)</script> "宣传" & 村民'
# 23:30 on 28 March in Shanghai is 15:30 UTC; 00:30 on the 29th is 16:30 UTC the 28th.
LATE_28 = dt.datetime(2023, 3, 28, 15, 30, tzinfo=dt.UTC)
EARLY_29 = dt.datetime(2023, 3, 28, 16, 30, tzinfo=dt.UTC)


@pytest.fixture
def admin(app: Flask, store: Store) -> FlaskClient:
    add_user(store, "boss", "admin")
    client = app.test_client()
    log_in(client, "boss")
    return client


@pytest.fixture
def logged(store: Store) -> Store:
    """A few rows from two users on two station days, besides boss's log-in at NOW."""
    for at, user, action, detail in [
        (LATE_28, "wang", "create", "防火通知"),
        (EARLY_29, "wang", "play", "playlist 1"),
        (EARLY_29 + dt.timedelta(minutes=1), "li", "approve", "防火通知"),
    ]:
        audit.record(store, user, action, at, subject="announcement", subject_id=7, detail=detail)
    return store


def table_rows(html: str) -> list[list[str]]:
    """Return the audit table's cells, row by row, as shown."""
    body = html.split('<table class="cards audit">', 1)[-1].split("</table>", 1)[0]
    body = body.split("<tbody>", 1)[-1]
    return [
        [re.sub(r"<[^>]+>", "", td).strip() for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def shown(client: FlaskClient, query: str = "") -> str:
    response = client.get(f"/audit{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# -- the page ----------------------------------------------------------------------


def test_rows_are_newest_first_in_station_time_and_chinese(
    admin: FlaskClient, logged: Store
) -> None:
    html = shown(admin)
    assert "<h1>操作记录</h1>" in html and "共 4 条" in html
    rows = table_rows(html)
    assert [r[:3] for r in rows] == [
        ["2023-03-29 00:31:00", "li", "已通过"],
        ["2023-03-29 00:30:00", "wang", "立即播放"],
        ["2023-03-28 23:30:00", "wang", "新建"],
        ["2023-03-28 11:00:00", "boss", "登录"],
    ]
    assert rows[0][3:] == ["通知 #7", "防火通知"]


@pytest.mark.parametrize(
    ("query", "users"),
    [
        pytest.param("?user=wang", ["wang", "wang"], id="by-user"),
        pytest.param("?action=approve", ["li"], id="by-action"),
        pytest.param("?day=2023-03-28", ["wang", "boss"], id="station-day-28"),
        pytest.param("?day=2023-03-29", ["li", "wang"], id="station-day-29-from-utc-28th"),
        pytest.param("?user=wang&day=2023-03-29", ["wang"], id="user-and-day"),
        pytest.param("?user=nobody", [], id="no-match"),
        pytest.param("?user=&action=&day=", ["li", "wang", "wang", "boss"], id="empty-is-all"),
    ],
)
def test_filters(admin: FlaskClient, logged: Store, query: str, users: list[str]) -> None:
    html = shown(admin, query)
    assert [row[1] for row in table_rows(html)] == users
    assert f"共 {len(users)} 条" in html
    if not users:
        assert "没有符合筛选条件的记录。" in html


def test_filters_stay_in_the_form_and_the_csv_link(admin: FlaskClient, logged: Store) -> None:
    html = shown(admin, "?user=wang&action=play&day=2023-03-29")
    assert 'name="user" value="wang"' in html
    assert '<option value="play" selected>立即播放</option>' in html
    assert 'name="day" type="date" value="2023-03-29"' in html
    link = re.search(r'href="(/audit\.csv[^"]*)"', html)
    assert link and parse_qs(urlsplit(link[1].replace("&amp;", "&")).query) == {
        "user": ["wang"],
        "action": ["play"],
        "day": ["2023-03-29"],
    }


@pytest.mark.parametrize("day", ["29-03-2023", "2023-02-30", "yesterday"])
def test_a_bad_day_is_named_and_ignored(admin: FlaskClient, logged: Store, day: str) -> None:
    html = shown(admin, f"?day={day}&user=wang")
    assert "日期格式应为 2023-03-28。" in html
    assert [row[1] for row in table_rows(html)] == ["wang", "wang"]  # the other filters hold


def test_pages_of_a_hundred_keep_the_filters(admin: FlaskClient, store: Store) -> None:
    for n in range(250):
        audit.record(store, "wang", "edit", NOW + dt.timedelta(seconds=n), detail=f"change {n}")
    audit.record(store, "li", "edit", NOW, detail="not wang")
    first = shown(admin, "?user=wang&action=edit")
    assert "共 250 条" in first and "第 1 页，共 3 页" in first
    rows = table_rows(first)
    assert len(rows) == 100 and rows[0][4] == "change 249" and rows[-1][4] == "change 150"
    assert 'rel="prev"' not in first
    next_link = re.search(r'rel="next" href="([^"]+)"', first)
    assert next_link
    query = parse_qs(urlsplit(next_link[1].replace("&amp;", "&")).query)
    assert query == {"user": ["wang"], "action": ["edit"], "page": ["2"]}
    last = shown(admin, "?user=wang&action=edit&page=3")
    assert [row[4] for row in table_rows(last)][-1] == "change 0"
    assert len(table_rows(last)) == 50 and 'rel="next"' not in last and 'rel="prev"' in last
    assert "第 3 页，共 3 页" in shown(admin, "?user=wang&action=edit&page=99")  # kept in range
    assert "第 1 页，共 3 页" in shown(admin, "?user=wang&action=edit&page=x")


def test_details_and_names_are_escaped(admin: FlaskClient, store: Store) -> None:
    audit.record(store, NASTY, NASTY, NOW, subject=NASTY, detail=NASTY)
    html = shown(admin)
    assert "<script>alert(1)</script>" not in html
    assert html.count(str(escape(NASTY))) >= 4  # user, action, subject, detail (+ the filter)
    assert "<script>" not in shown(admin, f"?user={NASTY}&action={NASTY}")


# -- log-ins recorded ------------------------------------------------------------


def test_log_in_failed_log_in_and_log_out_are_recorded(
    app: Flask, admin: FlaskClient, store: Store
) -> None:
    stranger = app.test_client()
    log_in(stranger, "boss", "wrong-password")
    log_in(stranger, NASTY, "whatever")
    admin.post("/logout", data={"csrf_token": csrf_of(admin.get("/"))})
    actions = [(r.username, r.action, r.subject_id) for r in reversed(audit.rows(store))]
    boss_id = store.query("SELECT id FROM users WHERE username = 'boss'")[0]["id"]
    assert actions == [
        ("boss", "login", boss_id),
        ("boss", "login_failed", None),
        (NASTY, "login_failed", None),
        ("boss", "logout", boss_id),
    ]
    assert all(r.detail == "from 127.0.0.1" for r in audit.rows(store))
    log_in(admin, "boss")
    html = shown(admin, "?action=login_failed")
    assert [row[1] for row in table_rows(html)] == [str(escape(NASTY)), "boss"]
    assert "登录失败" in html


def test_a_flood_of_failed_log_ins_writes_a_few_rows(app: Flask, store: Store) -> None:
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "192.168.1.66"
    for _ in range(200):  # the throttle refuses most of them; each is counted all the same
        log_in(attacker, "boss", "guess-guess")
    for n in range(60):
        log_in(attacker, f"name{n}", "guess-guess")
    rows = audit.rows(store, action="login_failed")
    assert len(rows) == audit.MAX_NAMES_PER_ADDRESS + 1
    details = {row.username: row.detail for row in rows}
    assert details["boss"] == "from 192.168.1.66, 200 times"
    assert details[audit.MANY] == "from 192.168.1.66, 41 times"


def test_a_long_tried_name_is_cut_short(app: Flask, store: Store) -> None:
    log_in(app.test_client(), "x" * 5000, "whatever")
    (row,) = audit.rows(store)
    assert row.username == "x" * 64


# -- CSV -----------------------------------------------------------------------------


def test_csv_has_the_filtered_rows_for_excel(admin: FlaskClient, logged: Store) -> None:
    audit.record(logged, "wang", "edit", EARLY_29, detail="=HYPERLINK(1)")
    response = admin.get("/audit.csv?user=wang&day=2023-03-29")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=audit-2023-03-29.csv"
    data = response.get_data()
    assert data.startswith("\ufeff".encode())  # the BOM: Excel then reads UTF-8, not GBK
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["time", "user", "action", "subject", "subject_id", "detail"],
        ["2023-03-29T00:30:00+08:00", "wang", "edit", "", "", "'=HYPERLINK(1)"],
        ["2023-03-29T00:30:00+08:00", "wang", "play", "announcement", "7", "playlist 1"],
    ]


@pytest.mark.slow
def test_csv_of_everything_streams_past_one_chunk(admin: FlaskClient, store: Store) -> None:
    for n in range(2100):
        audit.record(store, "wang", "edit", NOW, detail=f"改动 {n}")
    response = admin.get("/audit.csv")
    assert response.headers["Content-Disposition"] == "attachment; filename=audit.csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    details = [row[5] for row in rows[1:]]
    assert len(details) == 2101 and details[0] == "改动 2099" and details[-2] == "改动 0"
    assert len(set(details)) == 2101  # no row twice


def test_csv_refuses_a_bad_day(admin: FlaskClient) -> None:
    response = admin.get("/audit.csv?day=2023-13-01")
    assert response.status_code == 400
    assert "日期格式应为 2023-03-28。" in response.get_data(as_text=True)
