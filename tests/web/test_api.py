"""The JSON API: shapes of status, plan and commands, and errors as {"error": ...}."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from playlists.commands import ReasonCode, answer
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import (
    NOW,
    FakePlayer,
    add_fake_announcement,
    add_pause_playlist,
    add_user,
    commands_in,
    fresh_token,
    log_in,
    make_app,
)

OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


def post_command(client: FlaskClient, body: object) -> tuple[int, dict[str, object]]:
    response = client.post(
        "/api/v1/commands", json=body, headers={"X-CSRF-Token": fresh_token(client)}
    )
    assert response.is_json
    return response.status_code, response.json  # type: ignore[return-value]


def test_status_reports_player_clock_now_playing_and_next(
    client: FlaskClient, store: Store
) -> None:
    add_pause_playlist(store, "社会工作宣传", seconds=90)
    store.set_status(
        {
            "heartbeat": "2023-03-28T02:59:59+00:00",
            "clock": {"synchronized": True},
            "now_playing": {"playlist_name": "应急通知", "priority": "emergency"},
        },
        NOW,
    )
    body = client.get("/api/v1/status").json
    assert body is not None
    assert body["now"] == "2023-03-28T11:00:00+08:00"
    assert body["player"] == {"running": True, "heartbeat": "2023-03-28T10:59:59+08:00"}
    assert body["clock"] == {"synchronized": True}
    assert body["now_playing"] == {
        "name": "应急通知",
        "priority": "emergency",
        "started_at": None,
        "item": None,
        "items": None,
    }
    assert body["next"][0] == {
        "start": "2023-03-28T12:00:00+08:00",
        "end": "2023-03-28T12:01:30+08:00",
        "playlist": "社会工作宣传",
        "playlist_id": 1,
        "priority": "scheduled",
        "quiet": False,
        "approved": True,
    }
    assert [b["start"][11:16] for b in body["next"]] == ["12:00", "18:30", "07:30"]


def test_status_of_a_stopped_player(client: FlaskClient, store: Store) -> None:
    store.set_status({"heartbeat": "2023-03-28T02:50:00+00:00", "now_playing": "旧节目"}, NOW)
    body = client.get("/api/v1/status").json
    assert body is not None
    assert body["player"]["running"] is False
    assert body["now_playing"] is None  # a stopped player plays nothing
    assert body["clock"] == {"synchronized": None}
    assert body["next"] == []


def test_plan_lists_broadcasts_with_station_offsets(client: FlaskClient, store: Store) -> None:
    add_pause_playlist(store, "社会工作宣传")
    response = client.get("/api/v1/plan?from=2023-04-06&to=2023-04-08")
    assert response.status_code == 200
    broadcasts = response.json
    assert isinstance(broadcasts, list)
    assert len(broadcasts) == 6  # the campaign ends on 7 April
    assert set(broadcasts[0]) == {
        "start",
        "end",
        "playlist",
        "playlist_id",
        "priority",
        "quiet",
        "approved",
    }
    assert all(OFFSET.match(b["start"]) and OFFSET.match(b["end"]) for b in broadcasts)
    assert broadcasts[0]["start"] == "2023-04-06T07:30:00+08:00"
    assert broadcasts[-1]["start"] == "2023-04-07T18:30:00+08:00"


def test_plan_marks_quiet_hours(client: FlaskClient, store: Store) -> None:
    add_pause_playlist(store, "夜间节目", times=(dt.time(12, 0), dt.time(23, 0)))
    broadcasts = client.get("/api/v1/plan?from=2023-03-28").json or []
    assert [(b["start"][11:16], b["quiet"]) for b in broadcasts] == [
        ("12:00", False),
        ("23:00", True),
    ]


def test_plan_defaults_to_today(client: FlaskClient, store: Store) -> None:
    add_pause_playlist(store, "社会工作宣传")
    broadcasts = client.get("/api/v1/plan").json
    assert [b["start"] for b in broadcasts or []] == [
        "2023-03-28T07:30:00+08:00",
        "2023-03-28T12:00:00+08:00",
        "2023-03-28T18:30:00+08:00",
    ]


@pytest.mark.parametrize(
    "query",
    ["from=2023-3-28", "from=2023-04-02&to=2023-04-01", "from=2023-01-01&to=2023-12-31"],
    ids=["bad-date", "backwards", "too-long"],
)
def test_plan_refuses_bad_ranges(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/v1/plan?{query}")
    assert response.status_code == 400
    assert set(response.json or {}) == {"error"}


@pytest.mark.parametrize("kind", ["stop", "skip"])
def test_stop_and_skip_commands(client: FlaskClient, store: Store, kind: str) -> None:
    status, body = post_command(client, {"kind": kind})
    assert status == 201
    assert body == {  # no player ran
        "id": 1,
        "kind": kind,
        "payload": {},
        "result": None,
        "outcome": None,
        "reason": None,
        "message": "播放器没有运行，命令尚未执行。请检查播放器（树莓派）是否开机；"
        "如果它在一分钟内启动，仍会执行这条命令。",
    }
    assert [(c["kind"], c["created_by"]) for c in commands_in(store)] == [(kind, "op")]


def test_command_answer_carries_the_players_result(settings: Settings, store: Store) -> None:
    add_user(store, "op", "operator")
    client = make_app(settings, store, command_wait=5.0).test_client()
    log_in(client, "op")
    with FakePlayer(store, answer(ReasonCode.ITEM_SKIPPED, item=3)):
        status, body = post_command(client, {"kind": "skip"})
    assert status == 201
    assert body == {
        "id": 1,
        "kind": "skip",
        "payload": {},
        "result": "skipped item 3; the next one follows",
        "outcome": "done",
        "reason": {"code": "item-skipped", "params": {"item": 3}},
        "message": "已跳过正在播出的这一条，接着播下一条。",
    }


def test_play_commands(client: FlaskClient, store: Store) -> None:
    playlist_id = add_pause_playlist(store, "社会工作宣传")
    announcement_id = add_fake_announcement(store)
    status, body = post_command(client, {"kind": "play", "playlist_id": playlist_id})
    assert status == 201
    assert body["payload"] == {"playlist_id": playlist_id, "priority": "manual"}
    status, body = post_command(client, {"kind": "play", "announcement_id": announcement_id})
    assert body["payload"] == {"announcement_id": announcement_id, "priority": "manual"}
    assert len(commands_in(store)) == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"kind": "play", "playlist_id": 99}, 404),
        ({"kind": "play", "announcement_id": 99}, 404),
        ({"kind": "play"}, 400),
        ({"kind": "play", "playlist_id": 1, "announcement_id": 1}, 400),
        ({"kind": "play", "playlist_id": "1"}, 400),
        ({"kind": "play", "playlist_id": True}, 400),
        ({"kind": "dance"}, 400),
        ([1, 2], 400),
        ("stop", 400),
    ],
    ids=[
        "unknown-playlist",
        "unknown-announcement",
        "nothing-to-play",
        "two-things",
        "id-as-text",
        "id-as-bool",
        "unknown-kind",
        "a-list",
        "a-string",
    ],
)
def test_bad_commands_answer_an_error_and_write_nothing(
    client: FlaskClient, store: Store, body: object, status: int
) -> None:
    add_pause_playlist(store, "社会工作宣传")
    got, answer = post_command(client, body)
    assert got == status
    assert set(answer) == {"error"} and answer["error"]
    assert commands_in(store) == []


def test_non_json_body_is_refused(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/commands",
        data="kind=stop",
        headers={"X-CSRF-Token": fresh_token(client)},
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert set(response.json or {}) == {"error"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/nowhere", 404),
        ("delete", "/api/v1/commands", 405),
        ("get", "/api/v1/commands", 405),
    ],
    ids=["unknown-path", "delete", "get-commands"],
)
def test_api_errors_are_json(client: FlaskClient, method: str, path: str, status: int) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.is_json and set(response.json) == {"error"}


@pytest.mark.parametrize("path", ["/api/v1/status", "/api/v1/plan", "/api/v1/system"])
def test_anonymous_api_calls_get_401(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 401
    assert response.json == {"error": "请先登录。"}


def test_api_errors_follow_the_language(app: Flask) -> None:
    response = app.test_client().get("/api/v1/status", headers={"Accept-Language": "en"})
    assert response.json == {"error": "Log in first."}


def test_reviewer_may_read_but_not_command(app: Flask, store: Store) -> None:
    add_user(store, "rev", "reviewer")
    client = app.test_client()
    log_in(client, "rev")
    assert client.get("/api/v1/status").status_code == 200
    status, body = post_command(client, {"kind": "stop"})
    assert status == 403 and set(body) == {"error"}


def test_html_clients_get_pages_and_json_clients_get_json_for_the_same_error(
    client: FlaskClient,
) -> None:
    page = client.get("/nowhere")
    assert page.status_code == 404 and page.mimetype == "text/html"
    data = client.get("/nowhere", headers={"Accept": "application/json"})
    assert data.status_code == 404 and data.json == {"error": "这个地址没有内容。"}
