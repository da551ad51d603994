"""As-run notes in the reader's language: every code in Chinese and English, on every surface."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from playlists.commands import PlayPlaylist, Request, Skip, Stop, encode_request
from playlists.model import Priority
from playlists.record import asrun
from playlists.record.notes import Note, NoteCode, encode, note, read
from playlists.settings import Settings
from playlists.store import Store
from playlists.town import village_asrun, villages
from scheduler.simulate import Simulation
from tests.playlists.town.test_villages import asrun_row
from tests.web_fixtures import NOW, add_pause_playlist, add_user, log_in, make_app
from web.asrun_words import WORDS, note_words

TABLE = [
    (note(NoteCode.PLAYER_STOPPED), "播放器已关闭", "the player was shut down"),
    (
        note(NoteCode.PLAYER_CUT),
        "播出中播放器停止运行",
        "the player stopped during the broadcast",
    ),
    (
        note(NoteCode.CONTINUED_AFTER_RESTART, policy="resume"),
        "播放器重启后接着播",
        "resumed after the player restarted",
    ),
    (
        note(NoteCode.CONTINUED_AFTER_RESTART, policy="restart"),
        "播放器重启后从头重播",
        "played again from the start after the player restarted",
    ),
    (note(NoteCode.PLAYER_DOWN), "播放器没有运行", "the player was not running"),
    (
        note(NoteCode.QUIET_HOURS, start="22:00", end="06:30"),
        "静音时段（22:00–06:30）",
        "quiet hours (22:00–06:30)",
    ),
    (
        note(NoteCode.AWAITING_REVIEW, name="宣传"),
        "等待审核：“宣传”尚未审核通过",
        "awaiting review: “宣传” is not approved",
    ),
    (
        note(NoteCode.LOAD_FAILED, detail="disk"),
        "无法载入：disk",
        "could not be loaded: disk",
    ),
    (
        note(NoteCode.CLOCK_JUMPED, seconds=600),
        "时钟向前跳了 600 秒，越过了播出时间",
        "the clock jumped forward 600 s, past its time",
    ),
    (
        note(NoteCode.LATE, seconds=45),
        "晚了 45 秒：播放器正忙或已停止",
        "45 s late: the player was busy or stopped",
    ),
    (note(NoteCode.SLOT_BUSY, on_air="新闻"), "当时正在播出“新闻”", "“新闻” was on air"),
    (
        note(NoteCode.INTERRUPTED, priority="emergency", name="紧急通知", then="resume"),
        "被紧急广播“紧急通知”打断，之后接着播",
        "interrupted by the emergency broadcast “紧急通知”; will resume",
    ),
    (
        note(NoteCode.INTERRUPTED, priority="manual", name="宣传", then="restart"),
        "被手动广播“宣传”打断，之后从头重播",
        "interrupted by the manual broadcast “宣传”; will play again from the start",
    ),
    (
        note(NoteCode.INTERRUPTED, priority="emergency", name="紧急通知", then=""),
        "被紧急广播“紧急通知”打断",
        "interrupted by the emergency broadcast “紧急通知”",
    ),
    (
        note(NoteCode.CONTINUED_AFTER, policy="resume", priority="emergency", name="紧急通知"),
        "紧急广播“紧急通知”之后接着播",
        "resumed after the emergency broadcast “紧急通知”",
    ),
    (
        note(NoteCode.CONTINUED_AFTER, policy="restart", priority="emergency", name="紧急通知"),
        "紧急广播“紧急通知”之后从头重播",
        "played again from the start after the emergency broadcast “紧急通知”",
    ),
    (note(NoteCode.STOPPED_BY, who="xiaowang"), "被 xiaowang 停止", "stopped by xiaowang"),
    (
        note(NoteCode.ITEM_SKIPPED, items="2", who="王五"),
        "第 2 条被 王五 跳过",
        "item 2 skipped by 王五",
    ),
    (
        note(NoteCode.ITEM_SKIPPED, items="2, 3", who="王五"),
        "第 2、3 条被 王五 跳过",
        "items 2, 3 skipped by 王五",
    ),
    (
        note(NoteCode.WAITED_TOO_LONG, waited=240, wait=120),
        "等正在播出的广播等了 240 秒，超过允许的 120 秒",
        "waited 240 s for the broadcast on air, longer than its 120 s",
    ),
    (
        note(NoteCode.AUDIO_FAILED, sink="alsa", detail="no device"),
        "音频输出 alsa 出错：no device",
        "audio output alsa failed: no device",
    ),
    (
        note(NoteCode.EMERGENCY, text="河水上涨，请转移。", repeat=3, gap=5),
        "紧急广播（播 3 遍，每遍间隔 5 秒）：河水上涨，请转移。",
        "emergency, said 3 times 5 s apart: 河水上涨，请转移。",
    ),
    (
        note(NoteCode.EMERGENCY, text="停水通知", repeat=1, gap=3),
        "紧急广播：停水通知",
        "emergency: 停水通知",
    ),
]
IDS = [f"{n.code.value}-{i}" for i, (n, _, _) in enumerate(TABLE)]


def test_every_code_has_words() -> None:
    assert set(WORDS) == set(NoteCode) == {n.code for n, _, _ in TABLE}


@pytest.mark.parametrize(("one", "zh", "en"), TABLE, ids=IDS)
def test_each_note_in_chinese_and_english(app: Flask, one: Note, zh: str, en: str) -> None:
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert note_words(encode((one,))) == zh
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert note_words(encode((one,))) == en


def test_several_notes_and_old_rows(app: Flask) -> None:
    two = encode((note(NoteCode.PLAYER_DOWN), note(NoteCode.STOPPED_BY, who="王五")))
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert note_words(two) == "播放器没有运行；被 王五 停止"
        assert note_words("stopped by xiaowang") == "stopped by xiaowang"  # as stored
        assert note_words("") == note_words(None) == ""


# -- a day with an emergency, a stop, a skip and a missed broadcast, read in Chinese ----

DAY = dt.date(2023, 3, 28)
TZ_HOURS = 8  # Asia/Shanghai


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    local = dt.datetime.combine(DAY, dt.time(hour, minute, second))
    return (local - dt.timedelta(hours=TZ_HOURS)).replace(tzinfo=dt.UTC)


# English words of the player's notes; none may reach a Chinese page, CSV or report.
ENGLISH_WORDS = re.compile(
    r"interrupted by|will resume|resumed after|stopped by|skipped by|player was|"
    r"slot busy|quiet hours|s late|the lane"
)


def a_day_in_the_log(settings: Settings, store: Store) -> Settings:
    """Play a day through the real player: interrupted, resumed, skipped, stopped, quiet."""
    quiet = dataclasses.replace(settings.player, quiet_hours=("22:00", "06:30"))
    settings = dataclasses.replace(settings, player=quiet)
    add_pause_playlist(store, "早间新闻", 60.0, (dt.time(6, 0), dt.time(8, 0), dt.time(9, 0)))
    alarm = add_pause_playlist(store, "紧急通知", 10.0, (dt.time(23, 0),))  # after the day
    simulation = Simulation.build(settings, store, at(5))

    def give(request: Request, when: dt.datetime) -> Callable[[], None]:
        def action() -> None:
            store.add_command(request.kind.value, encode_request(request), "王五", when)
            simulation.player.run_commands()

        return action

    simulation.run(
        at(10),
        at={
            at(8, 0, 20): give(PlayPlaylist(alarm, Priority.EMERGENCY), at(8, 0, 20)),
            at(8, 0, 50): give(Skip(), at(8, 0, 50)),
            at(9, 0, 10): give(Stop(), at(9, 0, 10)),
        },
    )
    return settings


@pytest.fixture
def day(settings: Settings, store: Store) -> FlaskClient:
    """A reviewer at noon after that day, reading the panel in Chinese."""
    app = make_app(a_day_in_the_log(settings, store), store, now=at(12))
    add_user(store, "viewer", "reviewer")
    client = app.test_client()
    log_in(client, "viewer")
    return client


def test_the_day_logs_every_kind_of_note(day: FlaskClient, store: Store) -> None:
    codes = [
        [n.code for n in read(row.reason)]  # type: ignore[union-attr]
        for row in sorted(asrun.all_rows(store), key=lambda r: r.id)
    ]
    assert codes == [
        [NoteCode.QUIET_HOURS],
        [NoteCode.INTERRUPTED],
        [],
        [NoteCode.CONTINUED_AFTER, NoteCode.ITEM_SKIPPED],
        [NoteCode.STOPPED_BY],
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/asrun?from=2023-03-28&to=2023-03-28",
        "/asrun/report?from=2023-03-28&to=2023-03-28",
        "/asrun.csv?from=2023-03-28&to=2023-03-28",
    ],
    ids=["dashboard", "record", "report", "csv"],
)
def test_no_english_note_reaches_a_chinese_page_csv_or_report(day: FlaskClient, path: str) -> None:
    text = day.get(path, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert not ENGLISH_WORDS.search(text), ENGLISH_WORDS.search(text)
    if path != "/":
        assert "被紧急广播“紧急通知”打断，之后接着播" in text or path.startswith("/asrun/report")
        assert "静音时段（22:00–06:30）" in text


def test_the_csv_says_each_note_in_chinese(day: FlaskClient) -> None:
    body = day.get("/asrun.csv?from=2023-03-28&to=2023-03-28").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r["备注"] for r in rows] == [
        "静音时段（22:00–06:30）",
        "被紧急广播“紧急通知”打断，之后接着播",
        "紧急广播“紧急通知”之后接着播；第 1 条被 王五 跳过",
        "",  # the emergency itself, played through
        "被 王五 停止",
    ]


def test_the_api_keeps_english_reasons_and_adds_the_codes(day: FlaskClient) -> None:
    rows = day.get("/api/v1/asrun?from=2023-03-28&to=2023-03-28").json
    assert rows is not None
    stopped = rows[-1]
    assert stopped["reason"] == "stopped by 王五"
    assert stopped["note"] == [{"code": "stopped-by", "params": {"who": "王五"}}]


def test_the_town_says_a_villages_notes_in_chinese(app: Flask, store: Store) -> None:
    device = villages.verify(store, villages.add_village(store, "东村", "cli:town", NOW))
    assert device is not None
    stopped = encode((note(NoteCode.STOPPED_BY, who="王五"),))
    row = asrun_row(1, status="interrupted", reason=stopped, ended="2023-03-28T08:00:05+08:00")
    village_asrun.store_batch(store, device.id, [row], NOW)
    add_user(store, "chief", "reviewer")
    client = app.test_client()
    log_in(client, "chief")
    for page in ("/fleet/report", "/fleet/report.csv"):
        page += "?from=2023-03-28&to=2023-03-28"
        text = client.get(page).get_data(as_text=True)
        assert "被 王五 停止 × 1" in text
        assert "stopped" not in text
