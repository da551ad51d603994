"""Commands and what the player made of them: skip, results in the operator's words, emergency."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from playlists.commands import CommandResult, ReasonCode, SentCommand, Stop, answer, decode_result
from playlists.content import media_table
from playlists.model import Review
from playlists.settings import Settings
from playlists.store import Store
from tests.paths import REPO
from tests.web_fixtures import (
    NOW,
    FakePlayer,
    add_fake_announcement,
    add_pause_playlist,
    add_user,
    commands_in,
    csrf_of,
    log_in,
    make_app,
    state,
)
from web.commands import describe

NASTY = '<script>alert(1)</script> "双引号" & 村民'
RUNNING = {"heartbeat": "2023-03-28T02:59:59+00:00"}  # a second before NOW


def logged_in(app: Flask, store: Store) -> FlaskClient:
    """An operator an admin has given the emergency right."""
    add_user(store, "op", "operator", may_emergency=True)
    client = app.test_client()
    log_in(client, "op")
    return client


@pytest.fixture
def client(settings: Settings, store: Store) -> FlaskClient:
    """An operator on a panel that waits long enough for the fake player to answer."""
    return logged_in(make_app(settings, store, command_wait=5.0), store)


@pytest.fixture
def impatient(settings: Settings, store: Store) -> FlaskClient:
    """An operator on a panel that gives up on the player after a tenth of a second."""
    return logged_in(make_app(settings, store, command_wait=0.1), store)


def post(client: FlaskClient, path: str, form: dict[str, str]) -> str:
    """Post a dashboard form and return the page it leads to."""
    data = {**form, "csrf_token": csrf_of(client.get("/"))}
    response = client.post(path, data=data, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def payload_of(row: dict[str, object]) -> dict[str, object]:
    payload: dict[str, object] = json.loads(str(row["payload"]))
    return payload


# -- skip ----------------------------------------------------------------------------


def on_air_controls(html: str) -> str:
    """Return the stop and skip forms' block, which CSS shows only while something plays."""
    return html.split('<div class="on-air-controls when-playing">')[1].split("</div>")[0]


@pytest.mark.parametrize(
    ("status", "playing"),
    [
        pytest.param({}, "no", id="player-down"),
        pytest.param(RUNNING, "no", id="idle"),
        pytest.param({**RUNNING, "now_playing": {"name": "早间新闻"}}, "yes", id="on-air"),
    ],
)
def test_stop_and_skip_show_only_while_something_plays(
    client: FlaskClient, store: Store, status: dict[str, object], playing: str
) -> None:
    store.set_status(status, NOW)
    html = client.get("/").get_data(as_text=True)
    assert f'data-playing="{playing}"' in html  # [data-playing="no"] .when-playing is hidden
    controls = on_air_controls(html)
    assert 'action="/commands/stop"' in controls
    assert 'action="/commands/skip"' in controls and "跳过这一条" in controls
    assert '[data-playing="no"] .when-playing' in css("style.css")


def css(name: str) -> str:
    return (REPO / "web" / "static" / name).read_text(encoding="utf-8")


# -- play now asks first -------------------------------------------------------------

PLAY_PAGES = [
    pytest.param("/playlists", "早间新闻", id="playlists"),
    pytest.param("/playlists/1", "早间新闻", id="playlist-editor"),
    pytest.param("/announcements", "停水通知", id="announcements"),
]


@pytest.mark.parametrize(("path", "name"), PLAY_PAGES)
def test_play_now_asks_before_playing_to_the_whole_village(
    client: FlaskClient, store: Store, path: str, name: str
) -> None:
    add_pause_playlist(store, "早间新闻")
    add_fake_announcement(store, "停水通知", "明天停水。", review=Review.APPROVED)
    html = client.get(path).get_data(as_text=True)
    question = html.split('<details class="play-confirm">')[1].split("</details>")[0]
    # The first tap opens the question (no JavaScript); only its button posts.
    assert '<summary class="button play">▶ 立即播放</summary>' in question
    assert f"“{name}”将立即在全村所有喇叭播出。" in question
    assert 'action="/commands/play"' in question and "确认，立即向全村播放" in question
    assert html.count('action="/commands/play"') == html.count('<details class="play-confirm">')


def test_skip_writes_a_skip_command_and_shows_what_the_player_did(
    client: FlaskClient, store: Store
) -> None:
    with FakePlayer(store, answer(ReasonCode.ITEM_SKIPPED, item=2)) as player:
        html = post(client, "/commands/skip", {})
    assert "已跳过正在播出的这一条，接着播下一条。" in html
    [row] = commands_in(store)
    assert (row["kind"], payload_of(row), row["created_by"]) == ("skip", {"v": 1}, "op")
    assert decode_result(str(row["result"])) == answer(ReasonCode.ITEM_SKIPPED, item=2)
    assert [c["kind"] for c in player.taken] == ["skip"]


# -- results in the operator's words -----------------------------------------------


@pytest.mark.parametrize(
    ("path", "result", "shown", "category"),
    [
        pytest.param(
            "/commands/play", answer(ReasonCode.STARTED), "播放器已开始播出。", "info", id="started"
        ),
        pytest.param(
            "/commands/play",
            answer(ReasonCode.WAITING, on_air="早间新闻"),
            "已排队：正在播出的“早间新闻”结束后开始播出。",
            "info",
            id="waiting",
        ),
        pytest.param(
            "/commands/play",
            answer(ReasonCode.NOT_PLAYED),
            "播放器没有播出，原因见今日播出记录。",
            "warning",
            id="not-played",
        ),
        pytest.param(
            "/commands/play",
            answer(ReasonCode.QUIET_HOURS, start="22:00", end="06:00"),
            "没有播出：现在是静音时段（22:00–06:00），只有紧急广播可以播出。",
            "warning",
            id="quiet-hours",
        ),
        pytest.param(
            "/commands/play",
            answer(ReasonCode.PLAYER_NOT_RUNNING, seconds=75),
            "没有执行：发出命令时播放器没有运行。",
            "warning",
            id="expired",
        ),
        pytest.param(
            "/commands/play",
            answer(ReasonCode.AUDIO_MISSING, sha256="abc"),
            "没有播出：广播站上找不到这段录音，请重新生成语音。",
            "error",
            id="audio-missing",
        ),
        pytest.param(
            "/commands/stop",
            answer(ReasonCode.STOPPED),
            "已停止播出。",
            "info",
            id="stopped",
        ),
        pytest.param(
            "/commands/stop",
            answer(ReasonCode.NOTHING_PLAYING),
            "当前没有正在播出的内容，无需操作。",
            "info",
            id="nothing-playing",
        ),
        pytest.param(
            "/commands/play",
            '{"v": 2, "outcome": "done"}',
            "无法读取播放器的回复：the command&#39;s result has format 2",
            "error",
            id="unreadable",
        ),
    ],
)
def test_the_players_answer_is_flashed_in_chinese(
    client: FlaskClient,
    store: Store,
    path: str,
    result: CommandResult | str,
    shown: str,
    category: str,
) -> None:
    playlist_id = add_pause_playlist(store, "定时节目")
    form = {"playlist_id": str(playlist_id)} if path == "/commands/play" else {}
    with FakePlayer(store, result):
        html = post(client, path, form)
    assert f'<p class="flash flash-{category}"' in html
    assert shown in html


def test_a_player_that_is_not_running_is_named(impatient: FlaskClient, store: Store) -> None:
    html = post(impatient, "/commands/stop", {})
    assert "播放器没有运行，命令尚未执行" in html
    assert 'class="flash flash-warning" role="alert"' in html
    [row] = commands_in(store)
    assert row["result"] is None and row["taken_at"] is None  # kept for the player


def test_a_running_player_that_does_not_answer_is_named(
    impatient: FlaskClient, store: Store
) -> None:
    store.set_status(RUNNING, NOW)  # a fresh heartbeat, but nobody takes the command
    html = post(impatient, "/commands/stop", {})
    assert "播放器正在运行，但没有及时回应" in html
    assert "播放器没有运行，命令尚未执行" not in html


def test_english_results_for_english_operators(settings: Settings, store: Store) -> None:
    app = make_app(settings, store)
    sent = SentCommand(1, Stop(), answer(ReasonCode.QUIET_HOURS, start="22:00", end="06:30"))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert describe(sent) == (
            "warning",
            "Not played: these are quiet hours (22:00–06:30); only emergency broadcasts play now.",
        )


# -- emergency broadcast -------------------------------------------------------------


def emergency(client: FlaskClient, **form: str) -> str:
    return post(client, "/emergency", form)


def test_dashboard_has_the_emergency_form_with_a_confirm_box(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'class="card emergency"' in html and "紧急广播" in html
    assert 'maxlength="500"' in html
    assert '<input type="checkbox" name="confirm" value="yes" required>' in html
    assert "我确认立即播出" in html


def test_reviewers_see_no_emergency_form(settings: Settings, store: Store) -> None:
    add_user(store, "rev", "reviewer")
    client = make_app(settings, store).test_client()
    log_in(client, "rev")
    html = client.get("/").get_data(as_text=True)
    assert 'action="/emergency"' not in html
    assert 'action="/commands/skip"' not in html


@pytest.mark.parametrize(
    ("role", "granted", "allowed"),
    [
        pytest.param("operator", None, False, id="operator-by-default"),
        pytest.param("operator", True, True, id="operator-granted"),
        pytest.param("reviewer", True, True, id="reviewer-granted"),
        pytest.param("admin", None, True, id="admin-always"),
        pytest.param("admin", False, True, id="admin-even-unticked"),
    ],
)
def test_emergency_is_a_right_given_per_user(
    settings: Settings, store: Store, role: str, granted: bool | None, allowed: bool
) -> None:
    add_user(store, "someone", role, may_emergency=granted)
    client = make_app(settings, store, command_wait=0.1).test_client()
    log_in(client, "someone")
    html = client.get("/").get_data(as_text=True)
    assert ('action="/emergency"' in html) is allowed
    form = {"text": "河水上涨，请撤离。", "confirm": "yes", "csrf_token": csrf_of(html)}
    response = client.post("/emergency", data=form)
    if allowed:
        assert response.status_code == 302
        assert store.query("SELECT kind FROM commands")[0]["kind"] == "play"
    else:
        assert response.status_code == 403
        assert store.query("SELECT * FROM commands") == []


def test_emergency_makes_speech_and_plays_it_above_everything(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    text = "村民朋友们，河水上涨，请立即撤离河道。"
    with FakePlayer(store, answer(ReasonCode.STARTED)):
        html = emergency(client, text=text, confirm="yes")
    assert "紧急广播正在播出：“紧急通知”。" in html
    assert "播放器已开始播出" not in html
    [row] = commands_in(store)
    assert row["kind"] == "play" and row["created_by"] == "op"
    payload = payload_of(row)
    assert payload == {
        "v": 1,
        "media_sha256": payload["media_sha256"],
        "title": "紧急通知",  # the screens' title when none is given
        "text": text,
        "priority": "emergency",
        "repeat": 1,
        "gap": 3,
    }
    record = media_table.get_media(store, str(payload["media_sha256"]))
    assert record is not None and record.engine == "espeak-ng"
    assert (settings.media_dir / record.path).is_file()


def test_emergency_keeps_its_own_title(client: FlaskClient, store: Store) -> None:
    with FakePlayer(store, answer(ReasonCode.STARTED)):
        emergency(client, title="停水通知", text="今天下午停水。", confirm="yes")
    [row] = commands_in(store)
    assert payload_of(row)["title"] == "停水通知"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"text": "请立即撤离。"}, "请先勾选“我确认立即播出”"),
        ({"text": "请立即撤离。", "confirm": "no"}, "请先勾选“我确认立即播出”"),
        ({"text": "  ", "confirm": "yes"}, "请先填写紧急广播的内容"),
        ({"text": "撤" * 501, "confirm": "yes"}, "内容有 501 字，最多允许 500 字"),
        ({"title": "标" * 101, "text": "撤离", "confirm": "yes"}, "标题最多 100 字"),
    ],
    ids=["not-confirmed", "confirm-wrong-value", "empty", "too-long", "title-too-long"],
)
def test_refused_emergency_writes_nothing_and_keeps_the_text(
    client: FlaskClient, store: Store, form: dict[str, str], message: str
) -> None:
    html = emergency(client, **form)
    assert message in html
    assert 'class="flash flash-error"' in html
    if form["text"].strip():
        assert f">{form['text']}</textarea>" in html
    assert commands_in(store) == []
    assert store.query("SELECT * FROM media") == []  # no speech was made either


def test_an_emergency_said_three_times_is_one_clip_with_pauses(
    client: FlaskClient, store: Store, settings: Settings
) -> None:
    text = "河水上涨，请立即撤离。"
    with FakePlayer(store, answer(ReasonCode.STARTED)):
        html = emergency(client, text=text, repeat="3", gap="2", confirm="yes")
    assert "紧急广播正在播出：“紧急通知”，共播 3 遍。" in html
    [row] = commands_in(store)
    payload = payload_of(row)
    assert (payload["repeat"], payload["gap"]) == (3, 2)
    clip = media_table.get_media(store, str(payload["media_sha256"]))
    once = media_table.get_media(store, state(client.application).ingest.speak(text).sha256)
    assert clip is not None and once is not None
    assert clip.duration is not None and once.duration is not None
    # Three times the speech and two pauses of 2 s, in one file.
    assert abs(clip.duration - (3 * once.duration + 4)) < 0.2
    assert (settings.media_dir / clip.path).is_file()


def test_the_form_offers_one_to_three_times_and_a_bounded_pause(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert re.findall(r'<option value="(\d)"', html.split('id="emergency-repeat"')[1])[:3] == [
        "1",
        "2",
        "3",
    ]
    assert 'name="gap" type="number" min="0" max="30"' in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"repeat": "0"}, "紧急广播可播 1 到 3 遍。"),
        ({"repeat": "4"}, "紧急广播可播 1 到 3 遍。"),
        ({"repeat": "两"}, "紧急广播可播 1 到 3 遍。"),
        ({"gap": "31"}, "每遍之间的停顿为 0 到 30 秒。"),
        ({"gap": "-1"}, "每遍之间的停顿为 0 到 30 秒。"),
        ({"gap": "1.5"}, "每遍之间的停顿为 0 到 30 秒。"),
    ],
    ids=["zero", "four", "not-a-number", "gap-long", "gap-negative", "gap-fraction"],
)
def test_a_wrong_repeat_or_pause_is_refused_and_nothing_is_made(
    client: FlaskClient, store: Store, fields: dict[str, str], message: str
) -> None:
    html = emergency(client, text="请立即撤离。", confirm="yes", **fields)
    assert message in html and 'class="flash flash-error"' in html
    assert ">请立即撤离。</textarea>" in html
    assert commands_in(store) == []
    assert store.query("SELECT * FROM media") == []


def test_emergency_text_is_escaped_on_the_dashboard(client: FlaskClient, store: Store) -> None:
    # Refused (no confirmation): the form comes back holding the text.
    html = emergency(client, title=NASTY, text=NASTY)
    assert "<script>alert(1)</script>" not in html
    assert f">{escape(NASTY)}</textarea>" in html
    assert f'value="{escape(NASTY)}"' in html

    # Sent: the player then reports it on air under its title.
    with FakePlayer(store, answer(ReasonCode.STARTED)):
        emergency(client, title=NASTY, text=NASTY, confirm="yes")
    store.set_status({**RUNNING, "now_playing": {"name": NASTY, "priority": "emergency"}}, NOW)
    html = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert str(escape("<script>alert(1)</script>")) in html


@pytest.mark.parametrize("api", [False, True], ids=["form", "api"])
def test_content_not_approved_is_refused_in_the_players_words(
    client: FlaskClient, store: Store, api: bool
) -> None:
    draft = add_fake_announcement(store, title="停水通知", review=Review.DRAFT)
    if api:
        response = client.post(
            "/api/v1/commands",
            json={"kind": "play", "announcement_id": draft},
            headers={"X-CSRF-Token": csrf_of(client.get("/"))},
        )
        shown = str((response.json or {}).get("error"))
    else:
        data = {"announcement_id": str(draft), "csrf_token": csrf_of(client.get("/"))}
        response = client.post("/commands/play", data=data)
        shown = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "没有播出：通知“停水通知”还没有审核通过。" in shown
    assert commands_in(store) == []
