"""The content API with tokens: every call's happy path, and refusals that change nothing."""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from playlists.access import tokens, users
from playlists.content import announcement_table, media_table, playlist_table, review
from playlists.content.media_table import MediaRecord
from playlists.content.playlist_table import NewItem
from playlists.model import ItemKind, Review
from playlists.record import audit
from playlists.schedule import entry_table
from playlists.settings import ReviewSettings, Settings
from playlists.store import Store
from tests.web_fixtures import (
    FAKE_SHA,
    NOW,
    add_pause_playlist,
    add_user,
    commands_in,
    fresh_token,
    log_in,
    make_app,
    serving,
)
from web import create_app


@dataclasses.dataclass
class Station:
    """A panel with content in every review state and a token per kind of user."""

    app: Flask
    store: Store
    tokens: dict[str, str]
    approved_playlist: int
    draft_playlist: int
    schedule: int
    draft_announcement: int
    pending_announcement: int

    def ids(self) -> dict[str, int]:
        """The ids of the content, by field name, for path templates."""
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}

    def call(
        self, method: str, path: str, who: str | None = "op", body: Any = None, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = kwargs.pop("headers", {})
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        client = kwargs.pop("client", None) or self.app.test_client()
        if body is not None:
            kwargs["json"] = body
        response = getattr(client, method)(path, headers=headers, **kwargs)
        assert response.is_json, (path, response.status_code)
        return response.status_code, response.json


def add_announcement(store: Store, title: str, review_state: Review, by: str = "op") -> int:
    """Store an announcement whose media row has no file (never played in these tests)."""
    record = MediaRecord(FAKE_SHA, "audio", f"ab/{FAKE_SHA}.wav", 3.0, 100, "espeak-ng")
    media_table.add_media(store, record, NOW)
    return announcement_table.add_announcement(
        store, title, "村民朋友们", FAKE_SHA, by, NOW, review=review_state
    )


@pytest.fixture
def station(settings: Settings, store: Store) -> Station:
    people = {"admin": "admin", "op": "operator", "rev": "reviewer", "quiet": "operator"}
    for name, role in people.items():
        add_user(store, name, role, may_emergency=name in ("admin", "op"))
    draft_playlist = playlist_table.add_playlist(
        store,
        "草稿节目",
        "",
        [NewItem(kind=ItemKind.PAUSE, duration=5)],
        NOW,
        review=Review.DRAFT,
        created_by="op",
    )
    approved = add_pause_playlist(store, "社会工作宣传")
    pending = add_announcement(store, "待审", Review.PENDING)
    return Station(
        app=make_app(settings, store),
        store=store,
        tokens={name: tokens.create_token(store, name, "tests", NOW) for name in people},
        approved_playlist=approved,
        draft_playlist=draft_playlist,
        schedule=entry_table.schedule_entries(store)[0].id,
        draft_announcement=add_announcement(store, "草稿", Review.DRAFT),
        pending_announcement=pending,
    )


def snapshot(store: Store) -> dict[str, object]:
    """Everything an API call could change."""
    tables = ("announcements", "playlists", "schedules", "commands", "audit", "api_tokens")
    found = {t: [tuple(r) for r in store.query(f"SELECT * FROM {t} ORDER BY id")] for t in tables}
    # Last use is noted on the first call of each token; that is not a change of content.
    found["api_tokens"] = [row[:5] for row in found["api_tokens"]]  # type: ignore[index]
    return found


def schedule_body(station: Station, **changes: Any) -> dict[str, Any]:
    body = {
        "playlist_id": station.approved_playlist,
        "start": "2023-03-28",
        "end": "2023-04-07",
        "times": ["09:00", "15:30"],
        "weekdays": [0, 2, 4],
        "priority": "scheduled",
        "on_interrupt": "skip",
        "wait_seconds": 60,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


# -- happy paths -----------------------------------------------------------------------


def test_reading_content(station: Station) -> None:
    status, listed = station.call("get", "/api/v1/announcements", "rev")
    assert status == 200
    assert [(a["title"], a["review"]) for a in listed] == [("草稿", "draft"), ("待审", "pending")]
    status, one = station.call("get", f"/api/v1/announcements/{station.pending_announcement}")
    assert status == 200 and one == {
        "id": station.pending_announcement,
        "title": "待审",
        "text": "村民朋友们",
        "review": "pending",
        "review_comment": "",
        "reviewed_by": None,
        "changed_by": "op",
        "engine": "espeak-ng",
        "duration": 3.0,
        "media_sha256": FAKE_SHA,
        "created_at": "2023-03-28T11:00:00+08:00",
        "archived_at": None,
    }
    status, playlists = station.call("get", "/api/v1/playlists", "rev")
    assert [(p["name"], p["review"], p["playable"]) for p in playlists] == [
        ("社会工作宣传", "approved", True),
        ("草稿节目", "draft", False),
    ]
    status, detail = station.call("get", f"/api/v1/playlists/{station.draft_playlist}", "rev")
    assert status == 200 and detail["items"] == [
        {
            "position": 1,
            "kind": "pause",
            "duration": 5.0,
            "repeat": 1,
            "slide": {"title": "", "body": ""},
            "announcement_id": None,
            "text": "",
        }
    ]
    status, entries = station.call("get", "/api/v1/schedule", "rev")
    assert status == 200 and entries == [
        {
            "id": station.schedule,
            "playlist_id": station.approved_playlist,
            "playlist": "社会工作宣传",
            "start": "2023-03-28",
            "end": "2023-04-07",
            "times": ["07:30", "12:00", "18:30"],
            "weekdays": [0, 1, 2, 3, 4, 5, 6],
            "priority": "scheduled",
            "on_interrupt": "resume",
            "wait_seconds": 300.0,
            "approved": True,
        }
    ]


def test_write_submit_and_approve_an_announcement(station: Station) -> None:
    status, made = station.call(
        "post", "/api/v1/announcements", body={"title": "停水通知", "text": "明天上午停水。"}
    )
    assert status == 201, made
    assert (made["title"], made["review"], made["changed_by"]) == ("停水通知", "draft", "op")
    assert made["duration"] > 0 and made["engine"] == "espeak-ng"
    path = f"/api/v1/announcements/{made['id']}"
    status, sent = station.call("post", f"{path}/submit")
    assert status == 200 and sent["review"] == "pending" and sent["label"] == "停水通知"
    status, queue = station.call("get", "/api/v1/review", "rev")
    assert [(q["subject"], q["id"]) for q in queue] == [
        ("announcement", station.pending_announcement),
        ("announcement", made["id"]),
    ]
    status, approved = station.call(
        "post", f"/api/v1/review/announcement/{made['id']}/approve", "rev"
    )
    assert status == 200 and (approved["review"], approved["reviewed_by"]) == ("approved", "rev")
    actions = [(r.username, r.action, r.subject_id) for r in audit.rows(station.store, limit=3)]
    assert actions == [
        ("rev", "approve", made["id"]),
        ("op", "submit", made["id"]),
        ("op", "create", made["id"]),
    ]


def test_send_back_with_a_comment(station: Station) -> None:
    path = f"/api/v1/review/announcement/{station.pending_announcement}/reject"
    status, state = station.call("post", path, "rev", body={"comment": " 电话号码写错了 "})
    assert status == 200
    assert (state["review"], state["comment"]) == ("rejected", "电话号码写错了")
    assert audit.rows(station.store)[0].action == "reject"


def test_submit_and_approve_a_playlist_then_schedule_and_unschedule_it(station: Station) -> None:
    playlist = station.draft_playlist
    status, state = station.call("post", f"/api/v1/playlists/{playlist}/submit", body={})
    assert status == 200 and state["review"] == "pending"
    status, state = station.call("post", f"/api/v1/review/playlist/{playlist}/approve", "admin")
    assert status == 200 and state["review"] == "approved"
    status, entry = station.call(
        "post", "/api/v1/schedule", body=schedule_body(station, playlist_id=playlist)
    )
    assert status == 201, entry
    assert entry == {
        "id": entry["id"],
        "playlist_id": playlist,
        "playlist": "草稿节目",
        "start": "2023-03-28",
        "end": "2023-04-07",
        "times": ["09:00", "15:30"],
        "weekdays": [0, 2, 4],
        "priority": "scheduled",
        "on_interrupt": "skip",
        "wait_seconds": 60.0,
        "approved": True,
    }
    status, gone = station.call("delete", f"/api/v1/schedule/{entry['id']}")
    assert status == 200 and gone == entry
    assert [e.id for e in entry_table.schedule_entries(station.store)] == [station.schedule]
    log = [(r.action, r.subject, r.subject_id) for r in audit.rows(station.store, limit=4)]
    assert log == [
        ("unschedule", "schedule", entry["id"]),
        ("schedule", "schedule", entry["id"]),
        ("approve", "playlist", playlist),
        ("submit", "playlist", playlist),
    ]


def test_emergency_speaks_now_at_emergency_priority(station: Station) -> None:
    status, sent = station.call(
        "post", "/api/v1/emergency", body={"text": "山洪预警，请立即转移。"}
    )
    assert status == 201, sent
    assert sent["kind"] == "play" and sent["result"] is None  # no player runs here
    assert sent["payload"]["priority"] == "emergency"
    assert sent["payload"]["title"] == "紧急通知"
    (command,) = commands_in(station.store)
    assert command["created_by"] == "op"
    assert audit.rows(station.store)[0].action == "play"


def test_an_emergency_said_twice_with_a_pause(station: Station) -> None:
    body = {"text": "山洪预警，请立即转移。", "repeat": 2, "gap": 1}
    status, sent = station.call("post", EMERGENCY, body=body)
    assert status == 201, sent
    assert (sent["payload"]["repeat"], sent["payload"]["gap"]) == (2, 1)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"repeat": 4}, "1 to 3 times"),
        ({"repeat": "2"}, "1 to 3 times"),
        ({"repeat": True}, "1 to 3 times"),
        ({"gap": 31}, "0 to 30 seconds"),
        ({"gap": -1}, "0 to 30 seconds"),
        ({"gap": 1.5}, "0 to 30 seconds"),
    ],
    ids=["repeat-4", "repeat-text", "repeat-bool", "gap-long", "gap-negative", "gap-fraction"],
)
def test_a_wrong_repeat_or_pause_is_400_and_nothing_is_sent(
    station: Station, fields: dict[str, object], words: str
) -> None:
    before = snapshot(station.store)
    status, answer = station.call(
        "post",
        EMERGENCY,
        body={"text": "山洪预警", **fields},
        headers={"Accept-Language": "en"},
    )
    assert status == 400 and words in answer["error"], answer
    assert snapshot(station.store) == before


def test_admin_reads_the_audit_log(station: Station) -> None:
    for n in range(3):
        audit.record(station.store, "op", "stop", NOW, subject="command", subject_id=n)
    status, page = station.call(
        "get", "/api/v1/audit?user=op&action=stop&limit=2&offset=1", "admin"
    )
    assert status == 200
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert [r["subject_id"] for r in page["rows"]] == [1, 0]
    assert page["rows"][0] == {
        "id": page["rows"][0]["id"],
        "at": "2023-03-28T11:00:00+08:00",
        "user": "op",
        "action": "stop",
        "subject": "command",
        "subject_id": 1,
        "detail": "",
    }


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=ten", "offset=-1", "limit=1.5"])
def test_audit_paging_is_checked(station: Station, query: str) -> None:
    status, body = station.call("get", f"/api/v1/audit?{query}", "admin")
    assert status == 400 and set(body) == {"error"}


def test_token_scripts_need_no_csrf_header(station: Station) -> None:
    status, body = station.call("post", "/api/v1/commands", body={"kind": "stop"})
    assert status == 201 and body["kind"] == "stop"
    status, body = station.call("get", "/api/v1/status", "rev")
    assert status == 200 and "player" in body


def test_a_user_with_a_one_time_password_still_works_by_token(station: Station) -> None:
    users.set_password(station.store, "op", "temporary-1", must_change=True)
    status, _body = station.call("get", "/api/v1/announcements")
    assert status == 200


# -- refusals: who may call --------------------------------------------------------------

ANNOUNCE = "/api/v1/announcements"
SUBMIT_DRAFT = ANNOUNCE + "/{draft_announcement}/submit"
PLAYLISTS = "/api/v1/playlists"
REVIEW = "/api/v1/review"
PENDING = REVIEW + "/announcement/{pending_announcement}"
SCHEDULE = "/api/v1/schedule"
SUBMIT_PLAYLIST = PLAYLISTS + "/{draft_playlist}/submit"
PENDING_SUBMIT = ANNOUNCE + "/{pending_announcement}/submit"
APPROVED_SUBMIT = PLAYLISTS + "/{approved_playlist}/submit"
DRAFT_APPROVE = REVIEW + "/announcement/{draft_announcement}/approve"
APPROVED_APPROVE = REVIEW + "/playlist/{approved_playlist}/approve"
EMERGENCY = "/api/v1/emergency"

# (method, path template, body, who may, who may not)
CHANGES = [
    pytest.param("post", ANNOUNCE, {"text": "通知"}, "op", "rev", id="create"),
    pytest.param("post", SUBMIT_DRAFT, None, "op", "rev", id="submit-announcement"),
    pytest.param("post", SUBMIT_PLAYLIST, None, "op", "rev", id="submit-playlist"),
    pytest.param("post", PENDING + "/approve", None, "rev", "op", id="approve"),
    pytest.param("post", PENDING + "/reject", {"comment": "改"}, "rev", "op", id="reject"),
    pytest.param("post", SCHEDULE, "schedule", "op", "rev", id="schedule"),
    pytest.param("delete", "/api/v1/schedule/{schedule}", None, "op", "rev", id="unschedule"),
    pytest.param("post", EMERGENCY, {"text": "紧急"}, "op", "quiet", id="emergency"),
    pytest.param("post", "/api/v1/commands", {"kind": "stop"}, "op", "rev", id="command"),
]  # fmt: skip


def change_args(station: Station, path: str, body: Any) -> tuple[str, Any]:
    fields = station.ids()
    return path.format(**fields), schedule_body(station) if body == "schedule" else body


@pytest.mark.parametrize(("method", "path", "body", "allowed", "refused"), CHANGES)
def test_changes_need_a_valid_token_of_the_right_role(
    station: Station, method: str, path: str, body: Any, allowed: str, refused: str
) -> None:
    path, body = change_args(station, path, body)
    before = snapshot(station.store)
    assert station.call(method, path, None, body)[0] == 401
    status, answer = station.call(method, path, refused, body)
    assert status == 403 and set(answer) == {"error"}
    (token,) = tokens.list_tokens(station.store, allowed)
    tokens.revoke(station.store, token.id, "admin", NOW)
    status, answer = station.call(method, path, allowed, body)
    assert status == 401 and set(answer) == {"error"}
    after = snapshot(station.store)
    assert after["audit"][:-1] == before["audit"]  # type: ignore[index]  # only the revocation
    del after["audit"], before["audit"], after["api_tokens"], before["api_tokens"]
    assert after == before


@pytest.mark.parametrize(("method", "path", "body", "allowed", "refused"), CHANGES)
def test_a_session_without_the_csrf_header_is_refused(
    station: Station, method: str, path: str, body: Any, allowed: str, refused: str
) -> None:
    path, body = change_args(station, path, body)
    client = station.app.test_client()
    log_in(client, allowed)
    before = snapshot(station.store)
    status, answer = station.call(method, path, None, body, client=client)
    assert status == 400 and set(answer) == {"error"}
    assert snapshot(station.store) == before


def test_a_session_with_the_csrf_header_may_change(station: Station) -> None:
    client = station.app.test_client()
    log_in(client, "op")
    headers = {"X-CSRF-Token": fresh_token(client)}
    status, _body = station.call(
        "delete", f"/api/v1/schedule/{station.schedule}", None, client=client, headers=headers
    )
    assert status == 200


def test_a_bad_token_beside_a_good_session_is_refused(station: Station) -> None:
    client = station.app.test_client()
    log_in(client, "op")
    headers = {"Authorization": "Bearer vc_not-a-real-token"}
    status, body = station.call("get", "/api/v1/status", None, client=client, headers=headers)
    assert status == 401 and set(body) == {"error"}
    assert client.get("/api/v1/status").status_code == 200  # the session alone still works


def test_a_disabled_users_token_is_refused(station: Station) -> None:
    users.update_user(station.store, "op", disabled=True)
    status, body = station.call("get", "/api/v1/announcements")
    assert status == 401 and set(body) == {"error"}


def test_other_authorization_schemes_are_left_to_the_session(station: Station) -> None:
    """A proxy's Basic log-in in front of the panel must not lock the panel's users out."""
    client = station.app.test_client()
    log_in(client, "op")
    status, _body = station.call(
        "get", "/api/v1/status", None, client=client, headers={"Authorization": "Basic b3A6eA=="}
    )
    assert status == 200


# -- refusals: what is sent ---------------------------------------------------------------

BAD_BODIES = [
    pytest.param("post", ANNOUNCE, {"text": ""}, id="announcement-empty-text"),
    pytest.param("post", ANNOUNCE, {"text": 5}, id="announcement-text-number"),
    pytest.param("post", ANNOUNCE, {"title": "标题"}, id="announcement-no-text"),
    pytest.param("post", ANNOUNCE, {"text": "x" * 2001}, id="announcement-too-long"),
    pytest.param("post", ANNOUNCE, {"text": "x", "title": "t" * 101}, id="announcement-long-title"),
    pytest.param("post", ANNOUNCE, {"text": "x", "colour": "red"}, id="announcement-unknown-field"),
    pytest.param("post", ANNOUNCE, ["text"], id="announcement-a-list"),
    pytest.param("post", SUBMIT_DRAFT, {"now": True}, id="submit-unknown-field"),
    pytest.param("post", SUBMIT_DRAFT, [1], id="submit-a-list"),
    pytest.param("post", PENDING + "/approve", {"ok": 1}, id="approve-unknown-field"),
    pytest.param("post", PENDING + "/reject", {}, id="reject-no-comment"),
    pytest.param("post", PENDING + "/reject", {"comment": "  "}, id="reject-blank-comment"),
    pytest.param("post", PENDING + "/reject", {"comment": 3}, id="reject-comment-number"),
    pytest.param("post", PENDING + "/reject", {"comment": "x" * 501}, id="reject-long-comment"),
    pytest.param("post", SCHEDULE, {"playlist_id": None}, id="schedule-no-playlist"),
    pytest.param("post", SCHEDULE, {"playlist_id": "1"}, id="schedule-id-as-text"),
    pytest.param("post", SCHEDULE, {"playlist_id": True}, id="schedule-id-as-bool"),
    pytest.param("post", SCHEDULE, {"start": "2023-3-28"}, id="schedule-short-date"),
    pytest.param("post", SCHEDULE, {"start": "20230328"}, id="schedule-basic-date"),
    pytest.param("post", SCHEDULE, {"end": "2023-02-30"}, id="schedule-no-such-day"),
    pytest.param("post", SCHEDULE, {"end": "2023-03-27"}, id="schedule-ends-before-start"),
    pytest.param("post", SCHEDULE, {"end": None}, id="schedule-no-end"),
    pytest.param("post", SCHEDULE, {"times": []}, id="schedule-no-times"),
    pytest.param("post", SCHEDULE, {"times": "07:30"}, id="schedule-times-not-a-list"),
    pytest.param("post", SCHEDULE, {"times": ["7:30"]}, id="schedule-time-one-digit"),
    pytest.param("post", SCHEDULE, {"times": ["24:00"]}, id="schedule-time-24"),
    pytest.param("post", SCHEDULE, {"times": ["07:30:00"]}, id="schedule-time-seconds"),
    pytest.param("post", SCHEDULE, {"times": [450]}, id="schedule-time-number"),
    pytest.param("post", SCHEDULE, {"times": ["07:30"] * 49}, id="schedule-too-many-times"),
    pytest.param("post", SCHEDULE, {"weekdays": [7]}, id="schedule-weekday-7"),
    pytest.param("post", SCHEDULE, {"weekdays": ["mon"]}, id="schedule-weekday-name"),
    pytest.param("post", SCHEDULE, {"weekdays": [True]}, id="schedule-weekday-bool"),
    pytest.param("post", SCHEDULE, {"weekdays": []}, id="schedule-no-weekdays"),
    pytest.param("post", SCHEDULE, {"priority": "urgent"}, id="schedule-priority"),
    pytest.param("post", SCHEDULE, {"on_interrupt": "pause"}, id="schedule-on-interrupt"),
    pytest.param("post", SCHEDULE, {"wait_seconds": -1}, id="schedule-wait-negative"),
    pytest.param("post", SCHEDULE, {"wait_seconds": 3601}, id="schedule-wait-too-long"),
    pytest.param("post", SCHEDULE, {"wait_seconds": "300"}, id="schedule-wait-text"),
    pytest.param("post", SCHEDULE, {"wait_seconds": False}, id="schedule-wait-bool"),
    pytest.param("post", SCHEDULE, {"repeat": 2}, id="schedule-unknown-field"),
    pytest.param("post", EMERGENCY, {"text": ""}, id="emergency-empty"),
    pytest.param("post", EMERGENCY, {"text": "x" * 501}, id="emergency-too-long"),
    pytest.param("post", EMERGENCY, {"text": "x", "title": "t" * 101}, id="emergency-long-title"),
    pytest.param("post", EMERGENCY, {"text": ["x"]}, id="emergency-text-list"),
    pytest.param("post", EMERGENCY, {"title": "x"}, id="emergency-no-text"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body"), BAD_BODIES)
def test_bad_input_is_a_400_that_changes_nothing(
    station: Station, method: str, path: str, body: Any
) -> None:
    path = path.format(**station.ids())
    if path == "/api/v1/schedule":
        body = schedule_body(station, **body)
    before = snapshot(station.store)
    status, answer = station.call(method, path, "admin", body)
    assert status == 400, answer
    assert set(answer) == {"error"} and answer["error"]
    assert snapshot(station.store) == before


def test_missing_fields_are_named(station: Station) -> None:
    body = schedule_body(station, times=None)
    status, answer = station.call("post", "/api/v1/schedule", body=body)
    assert status == 400 and "times" in answer["error"]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param("{not json", "application/json", id="broken-json"),
        pytest.param("text=停水", "application/x-www-form-urlencoded", id="a-form"),
    ],
)
def test_a_body_that_is_no_json_object_is_a_400(
    station: Station, data: str, content_type: str
) -> None:
    before = snapshot(station.store)
    status, answer = station.call(
        "post", "/api/v1/announcements", data=data, content_type=content_type
    )
    assert status == 400 and set(answer) == {"error"}
    assert snapshot(station.store) == before


def test_a_huge_body_is_a_413(station: Station) -> None:
    big = json.dumps({"text": "x" * 3_000_000})
    status, answer = station.call(
        "post", "/api/v1/announcements", data=big, content_type="application/json"
    )
    assert status == 413 and set(answer) == {"error"}
    assert announcement_table.list_announcements(station.store)[0].title == "草稿"


# -- refusals: the state of the content ----------------------------------------------------


def test_an_unapproved_playlist_cannot_be_scheduled(station: Station) -> None:
    before = snapshot(station.store)
    body = schedule_body(station, playlist_id=station.draft_playlist)
    status, answer = station.call("post", "/api/v1/schedule", body=body)
    assert status == 409
    assert "草稿节目" in answer["error"] and "审核" in answer["error"]
    assert snapshot(station.store) == before


def test_an_unapproved_playlist_cannot_be_played(station: Station) -> None:
    body = {"kind": "play", "playlist_id": station.draft_playlist}
    status, answer = station.call("post", "/api/v1/commands", body=body)
    assert status == 409 and "草稿节目" in answer["error"]
    assert commands_in(station.store) == []


@pytest.mark.parametrize(
    ("method", "path", "who", "status"),
    [
        pytest.param("post", PENDING_SUBMIT, "op", 409, id="submit-pending"),
        pytest.param("post", APPROVED_SUBMIT, "op", 409, id="submit-approved"),
        pytest.param("post", DRAFT_APPROVE, "rev", 409, id="approve-draft"),
        pytest.param("post", APPROVED_APPROVE, "rev", 409, id="approve-approved"),
        pytest.param("post", PENDING + "/approve", "op", 403, id="approve-as-operator"),
        pytest.param("get", "/api/v1/announcements/99", "op", 404, id="no-announcement"),
        pytest.param("get", "/api/v1/playlists/99", "op", 404, id="no-playlist"),
        pytest.param("post", "/api/v1/playlists/99/submit", "op", 404, id="submit-no-playlist"),
        pytest.param("post", REVIEW + "/announcement/99/approve", "rev", 404, id="approve-nothing"),
        pytest.param("post", REVIEW + "/schedule/1/approve", "rev", 404, id="approve-a-schedule"),
        pytest.param("delete", "/api/v1/schedule/99", "op", 404, id="unschedule-nothing"),
        pytest.param("get", "/api/v1/review", "op", 403, id="queue-as-operator"),
        pytest.param("get", "/api/v1/audit", "op", 403, id="audit-as-operator"),
        pytest.param("get", "/api/v1/audit", "rev", 403, id="audit-as-reviewer"),
        pytest.param("put", SCHEDULE, "op", 405, id="put"),
    ],
)  # fmt: skip
def test_state_conflicts_and_missing_things(
    station: Station, method: str, path: str, who: str, status: int
) -> None:
    before = snapshot(station.store)
    got, answer = station.call(method, path.format(**station.ids()), who)
    assert got == status and set(answer) == {"error"}
    assert snapshot(station.store) == before


def test_schedule_of_a_missing_playlist_is_a_404(station: Station) -> None:
    status, answer = station.call(
        "post", "/api/v1/schedule", body=schedule_body(station, playlist_id=99)
    )
    assert status == 404 and "99" in answer["error"]


def test_nobody_approves_their_own_change_unless_the_village_allows_it(
    settings: Settings, station: Station
) -> None:
    review.submit(station.store, "announcement", station.draft_announcement, "rev", NOW)
    station.store.conn.execute(
        "UPDATE announcements SET changed_by = 'rev' WHERE id = ?", (station.draft_announcement,)
    )
    path = f"/api/v1/review/announcement/{station.draft_announcement}/approve"
    status, answer = station.call("post", path, "rev")
    assert status == 403 and set(answer) == {"error"}
    alone = dataclasses.replace(settings, review=ReviewSettings(self_approval=True))
    station.app = make_app(alone, station.store)
    assert station.call("post", path, "rev")[0] == 200


def pending_playlist_of(store: Store, name: str, announcement_id: int) -> int:
    playlist = playlist_table.add_playlist(
        store,
        name,
        "",
        [NewItem(ItemKind.ANNOUNCEMENT, 3.0, announcement_id=announcement_id)],
        NOW,
        review=Review.DRAFT,
        created_by="op",
    )
    store.conn.execute("UPDATE playlists SET review = 'pending' WHERE id = ?", (playlist,))
    return playlist


def test_a_playlist_is_approved_with_its_pending_announcements(
    station: Station, store: Store
) -> None:
    playlist = pending_playlist_of(store, "含待审", station.pending_announcement)
    status, answer = station.call("post", f"/api/v1/review/playlist/{playlist}/approve", "rev")
    assert status == 200 and answer["review"] == "approved"
    status, notice = station.call("get", f"/api/v1/announcements/{station.pending_announcement}")
    assert notice["review"] == "approved"


def test_a_playlist_with_a_draft_announcement_waits_for_it(station: Station, store: Store) -> None:
    playlist = pending_playlist_of(store, "含草稿", station.draft_announcement)
    status, answer = station.call("post", f"/api/v1/review/playlist/{playlist}/approve", "rev")
    assert status == 409 and "请先提交其中的通知审核：“草稿”" in answer["error"]


# -- over real HTTP ------------------------------------------------------------------------


@pytest.fixture
def served(station: Station, settings: Settings) -> Iterator[str]:
    """The panel under waitress on a free loopback port, as `villagecast panel` runs it."""
    with serving(create_app(settings, station.store), threads=2) as url:
        yield url


def http(url: str, token: str | None, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_script_over_http(station: Station, served: str) -> None:
    token = station.tokens["op"]
    status, body = http(f"{served}/api/v1/playlists", token)
    assert status == 200 and body[0]["name"] == "社会工作宣传"
    status, entry = http(f"{served}/api/v1/schedule", token, "POST", schedule_body(station))
    assert status == 201 and entry["times"] == ["09:00", "15:30"]
    status, _gone = http(f"{served}/api/v1/schedule/{entry['id']}", token, "DELETE")
    assert status == 200
    assert http(f"{served}/api/v1/schedule", None)[0] == 401
    assert http(f"{served}/api/v1/schedule", "vc_wrong")[0] == 401
    with urllib.request.urlopen(f"{served}/static/openapi.yaml", timeout=10) as response:
        assert response.read().startswith(b"openapi: 3.1")
    assert tokens.list_tokens(station.store, "op")[0].last_used_at is not None
