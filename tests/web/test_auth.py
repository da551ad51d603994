"""Log-in, lock-out, forced password change, and the guards on every state-changing route."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from playlists.access import tokens, users
from playlists.content import announcement_table
from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import (
    FAKE_SHA,
    NOW,
    PASSWORD,
    add_fake_announcement,
    add_pause_playlist,
    add_user,
    commands_in,
    csrf_of,
    fresh_token,
    log_in,
    make_app,
    state,
)
from web.throttle import LoginThrottle


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# -- log in and out ----------------------------------------------------------------


def test_login_with_right_password_opens_the_dashboard(client: FlaskClient, store: Store) -> None:
    add_user(store, "op", "operator")
    response = log_in(client, "op")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_login_with_wrong_password_is_refused(client: FlaskClient, store: Store) -> None:
    add_user(store, "op", "operator")
    response = log_in(client, "op", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_goes_back_to_the_page_asked_for(client: FlaskClient, store: Store) -> None:
    add_user(store, "op", "operator")
    assert client.get("/plan?day=2023-03-28").headers["Location"].startswith("/login?next=")
    token = csrf_of(client.get("/login"))
    response = client.post(
        "/login?next=/plan?day%3D2023-03-28",
        data={"username": "op", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/plan?day=2023-03-28"


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example"], ids=str
)
def test_login_never_redirects_to_another_site(
    client: FlaskClient, store: Store, target: str
) -> None:
    add_user(store, "op", "operator")
    token = csrf_of(client.get("/login"))
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "op", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(client: FlaskClient, store: Store) -> None:
    add_user(store, "op", "operator")
    log_in(client, "op")
    token = csrf_of(client.get("/"))
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=True)
    assert "您已退出登录" in response.get_data(as_text=True)
    assert client.get("/").headers["Location"].startswith("/login")


def test_log_in_costs_the_same_for_an_unknown_name(
    client: FlaskClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(store, "op", "operator")
    runs: list[str] = []
    real = hashlib.scrypt

    def counting(password: bytes, **kwargs: Any) -> bytes:
        runs.append(f"{kwargs['n']}/{kwargs['r']}/{kwargs['p']}")
        return real(password, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    log_in(client, "op", "wrong-password")
    known = list(runs)
    runs.clear()
    log_in(client, "nobody", "wrong-password")
    assert runs == known and len(known) == 1  # one run at the same cost: no timing tell


# -- a copied cookie dies with the session it was copied from ---------------------

COOKIE = "villagecast_session"


def _copy_cookie(app: Flask, source: FlaskClient) -> FlaskClient:
    """Return a second browser holding a copy of the first one's session cookie."""
    cookie = source.get_cookie(COOKIE)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie.value)
    return thief


def _assert_logged_out(thief: FlaskClient) -> None:
    page = thief.get("/announcements")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login")
    api = thief.get("/api/v1/status")
    assert api.status_code == 401
    assert api.json and "error" in api.json


def _log_out(owner: FlaskClient, admin: FlaskClient) -> None:
    owner.post("/logout", data={"csrf_token": fresh_token(owner)})


def _change_own_password(owner: FlaskClient, admin: FlaskClient) -> None:
    form = {
        "current_password": PASSWORD,
        "new_password": "a-new-secret",
        "confirm": "a-new-secret",
        "csrf_token": csrf_of(owner.get("/password")),
    }
    assert owner.post("/password", data=form).headers["Location"] == "/"
    assert owner.get("/announcements").status_code == 200  # the owner's browser stays in


def _admin_post(admin: FlaskClient, path: str, **form: str) -> None:
    form["csrf_token"] = csrf_of(admin.get("/users"))
    assert admin.post(path, data=form).status_code in (200, 302)


def _reset_password(owner: FlaskClient, admin: FlaskClient) -> None:
    _admin_post(admin, "/users/password", username="op")


def _disable_and_enable(owner: FlaskClient, admin: FlaskClient) -> None:
    _admin_post(admin, "/users/access", username="op", disabled="yes")
    _admin_post(admin, "/users/access", username="op", disabled="no")


def _change_role(owner: FlaskClient, admin: FlaskClient) -> None:
    _admin_post(admin, "/users/role", username="op", role="reviewer")


@pytest.mark.parametrize(
    "event",
    [_log_out, _change_own_password, _reset_password, _disable_and_enable, _change_role],
    ids=["log-out", "own-password-change", "admin-reset", "disable-enable", "role-change"],
)
def test_a_copied_cookie_dies_with_the_session(
    app: Flask, store: Store, event: Callable[[FlaskClient, FlaskClient], None]
) -> None:
    add_user(store, "op", "operator")
    add_user(store, "boss", "admin")
    owner, admin = app.test_client(), app.test_client()
    log_in(owner, "op")
    log_in(admin, "boss")
    thief = _copy_cookie(app, owner)
    assert thief.get("/announcements").status_code == 200  # the copy works until the event
    event(owner, admin)
    _assert_logged_out(thief)


def test_a_session_ends_a_week_after_log_in_however_often_it_is_used(
    app: Flask, client: FlaskClient, store: Store
) -> None:
    add_user(store, "op", "operator")
    log_in(client, "op")
    thief = _copy_cookie(app, client)
    start = NOW
    for day in range(6):  # used every day: each answer may re-sign the cookie
        state(app).clock = lambda day=day: start + dt.timedelta(days=day, hours=23)
        assert thief.get("/announcements").status_code == 200
        assert client.get("/announcements").status_code == 200
    state(app).clock = lambda: start + dt.timedelta(days=7, minutes=1)
    _assert_logged_out(thief)
    assert client.get("/announcements").headers["Location"].startswith("/login")


def test_an_answer_does_not_re_sign_an_unchanged_session(client: FlaskClient, store: Store) -> None:
    add_user(store, "op", "operator")
    log_in(client, "op")
    client.get("/announcements")
    answer = client.get("/announcements")
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers


def test_a_disabled_users_token_stays_dead_after_enabling(
    app: Flask, client: FlaskClient, store: Store
) -> None:
    add_user(store, "op", "operator")
    add_user(store, "boss", "admin")
    secret = tokens.create_token(store, "op", "script", NOW)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/status", headers=bearer).status_code == 200
    log_in(client, "boss")
    _disable_and_enable(client, client)
    other = app.test_client()
    refused = other.get("/api/v1/status", headers=bearer)
    assert refused.status_code == 401
    assert refused.json and "error" in refused.json


# -- lock-out ----------------------------------------------------------------------


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def test_five_failures_lock_the_user_name_for_fifteen_minutes(
    app: Flask, client: FlaskClient, store: Store
) -> None:
    add_user(store, "op", "operator")
    add_user(store, "other", "operator")
    clock = FakeMonotonic()
    state(app).throttle = LoginThrottle(clock=clock)
    for _ in range(5):
        log_in(client, "op", "wrong-password")
        clock.value += 60
    refused = log_in(client, "op")  # the right password, but locked
    assert refused.status_code == 200
    assert "登录失败次数过多" in refused.get_data(as_text=True)
    assert log_in(client, "other").status_code == 302  # only that name is locked

    clock.value += 15 * 60
    assert log_in(client, "op").status_code == 302


def test_failures_spread_over_more_than_the_window_do_not_lock(
    app: Flask, client: FlaskClient, store: Store
) -> None:
    add_user(store, "op", "operator")
    clock = FakeMonotonic()
    state(app).throttle = LoginThrottle(clock=clock)
    for _ in range(6):
        log_in(client, "op", "wrong-password")
        clock.value += 4 * 60  # five failures never fall inside 15 minutes
    assert log_in(client, "op").status_code == 302


def _from(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_an_attacker_cannot_lock_the_admin_out_of_the_station(app: Flask, store: Store) -> None:
    add_user(store, "boss", "admin")
    attacker = _from(app, "192.168.1.66")
    for _ in range(30):
        log_in(attacker, "boss", "guess-guess")
    for n in range(60):  # and from many more addresses: the global backoff starts
        log_in(_from(app, f"192.168.2.{n + 1}"), "boss", "guess-guess")
    assert state(app).throttle.under_attack()
    refused = log_in(attacker, "boss")  # even the right password, from the attacker's address
    assert "登录失败次数过多" in refused.get_data(as_text=True)
    station = _from(app, "127.0.0.1")
    assert log_in(station, "boss").headers["Location"] == "/"
    assert station.get("/users").status_code == 200


def test_the_current_password_on_the_password_page_is_throttled(
    client: FlaskClient, store: Store
) -> None:
    add_user(store, "op", "operator")
    log_in(client, "op")

    def change(current: str) -> TestResponse:
        form = {
            "current_password": current,
            "new_password": "a-new-secret",
            "confirm": "a-new-secret",
            "csrf_token": csrf_of(client.get("/password")),
        }
        return client.post("/password", data=form)

    for _ in range(5):
        assert "当前密码不正确" in change("guess-guess").get_data(as_text=True)
    refused = change(PASSWORD)
    assert "登录失败次数过多" in refused.get_data(as_text=True)
    assert users.authenticate(store, "op", PASSWORD) is not None


# -- forced password change -------------------------------------------------------


def test_one_time_password_leads_to_the_password_page_first(
    client: FlaskClient, store: Store
) -> None:
    add_user(store, "op", "operator", must_change=True)
    assert log_in(client, "op").headers["Location"] == "/password"
    assert client.get("/announcements").headers["Location"] == "/password"
    api = client.get("/api/v1/status")
    assert api.status_code == 403
    assert api.json and "error" in api.json

    page = client.get("/password")
    form = {
        "current_password": PASSWORD,
        "new_password": "a-new-secret",
        "confirm": "a-new-secret",
        "csrf_token": csrf_of(page),
    }
    response = client.post("/password", data=form)
    assert response.headers["Location"] == "/"
    assert client.get("/announcements").status_code == 200
    user = users.authenticate(store, "op", "a-new-secret")
    assert user is not None and not user.must_change_password


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong-one", "a-new-secret", "a-new-secret", "当前密码不正确"),
        (PASSWORD, "short", "short", "新密码至少需要 8 个字符"),
        (PASSWORD, "a-new-secret", "another-one", "两次输入的新密码不一致"),
        (PASSWORD, PASSWORD, PASSWORD, "新密码不能与当前密码相同"),
    ],
    ids=["wrong-current", "too-short", "mismatch", "unchanged"],
)
def test_bad_password_change_is_refused(
    client: FlaskClient, store: Store, current: str, new: str, confirm: str, message: str
) -> None:
    add_user(store, "op", "operator", must_change=True)
    log_in(client, "op")
    form = {
        "current_password": current,
        "new_password": new,
        "confirm": confirm,
        "csrf_token": csrf_of(client.get("/password")),
    }
    response = client.post("/password", data=form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert users.authenticate(store, "op", PASSWORD) is not None


# -- every state-changing route is guarded ----------------------------------------


def _yaml_upload() -> dict[str, object]:
    text = b"format: villagecast/playlist@1\nname: P\nitems:\n  - pause: 1\n"
    return {"playlist": (io.BytesIO(text), "p.yaml")}


def _recording_upload() -> dict[str, object]:
    # Never looked at: every request here is refused before the file is read.
    return {"recording": (io.BytesIO(b"ID3 not really audio"), "voice.mp3")}


EMERGENCY = {"text": "村民朋友们，请立即撤离河道。", "confirm": "yes"}


# (path, form fields or None for JSON, JSON body, operator only)
POST_ROUTES = [
    pytest.param("/password", {"current_password": "x"}, None, False, id="password"),
    pytest.param("/announcements", {"text": "村民朋友们"}, None, True, id="announcement-create"),
    pytest.param("/playlists/import", "upload", None, True, id="playlist-import"),
    pytest.param("/commands/play", {"playlist_id": "1"}, None, True, id="play-playlist"),
    pytest.param("/commands/play", {"announcement_id": "1"}, None, True, id="play-announcement"),
    pytest.param("/commands/stop", {}, None, True, id="stop"),
    pytest.param("/commands/skip", {}, None, True, id="skip"),
    pytest.param("/emergency", EMERGENCY, None, True, id="emergency"),
    pytest.param("/announcements/1/voice", "recording", None, True, id="voice-upload"),
    pytest.param("/api/v1/commands", None, {"kind": "stop"}, True, id="api-commands"),
    pytest.param("/api/v1/commands", None, {"kind": "skip"}, True, id="api-skip"),
]


def _post(
    client: FlaskClient,
    path: str,
    form: dict[str, str] | str | None,
    body: object,
    token: str | None,
) -> TestResponse:
    """Send a route's request as a browser would: a form, an upload or JSON."""
    if body is not None:
        headers = {"X-CSRF-Token": token} if token else {}
        return client.post(path, json=body, headers=headers)
    if form == "upload":
        data = _yaml_upload()
    elif form == "recording":
        data = _recording_upload()
    else:
        data = dict(form or {})
    if token is not None:
        data["csrf_token"] = token
    return client.post(path, data=data)


@pytest.fixture
def seeded(store: Store) -> Store:
    add_pause_playlist(store, "定时节目")
    add_fake_announcement(store)
    return store


def assert_nothing_changed(store: Store) -> None:
    """No command for the player, no new media, the announcement keeps its voice."""
    assert commands_in(store) == []
    assert [row["sha256"] for row in store.query("SELECT sha256 FROM media")] == [FAKE_SHA]
    assert announcement_table.get_announcement(store, 1).media_sha256 == FAKE_SHA


@pytest.mark.parametrize(("path", "form", "body", "operator_only"), POST_ROUTES)
def test_anonymous_posts_are_sent_to_log_in(
    client: FlaskClient,
    seeded: Store,
    path: str,
    form: dict[str, str] | str | None,
    body: object,
    operator_only: bool,
) -> None:
    response = _post(client, path, form, body, fresh_token(client))
    if path.startswith("/api/"):
        assert response.status_code == 401
        assert response.json == {"error": "请先登录。"}
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    assert_nothing_changed(seeded)


@pytest.mark.parametrize(
    ("path", "form", "body", "operator_only"), [p for p in POST_ROUTES if p.values[3]]
)
def test_reviewers_may_not_do_operator_actions(
    client: FlaskClient,
    seeded: Store,
    path: str,
    form: dict[str, str] | str | None,
    body: object,
    operator_only: bool,
) -> None:
    add_user(seeded, "rev", "reviewer")
    log_in(client, "rev")
    response = _post(client, path, form, body, fresh_token(client))
    assert response.status_code == 403
    assert_nothing_changed(seeded)


@pytest.mark.parametrize("token", [None, "forged-token"], ids=["missing", "wrong"])
@pytest.mark.parametrize(("path", "form", "body", "operator_only"), POST_ROUTES)
def test_posts_without_the_right_csrf_token_are_refused(
    client: FlaskClient,
    seeded: Store,
    path: str,
    form: dict[str, str] | str | None,
    body: object,
    operator_only: bool,
    token: str | None,
) -> None:
    add_user(seeded, "op", "operator")
    log_in(client, "op")
    response = _post(client, path, form, body, token)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "表单已过期或来自其他网站" in text
    assert_nothing_changed(seeded)


@pytest.mark.parametrize(
    ("sent", "as_header"),
    [
        ("forged-token", False),
        ("forgé-token", False),
        ("伪造的令牌", False),
        ("forgé-token", True),
    ],
    ids=["wrong", "accented", "chinese", "accented-header"],
)
def test_a_wrong_token_beside_the_sessions_own_is_refused(
    client: FlaskClient, seeded: Store, sent: str, as_header: bool
) -> None:
    # The session holds its token, so the sent one is compared with it: text that is not
    # ASCII must be refused like any other wrong token, not crash the comparison.
    add_user(seeded, "op", "operator")
    log_in(client, "op")
    fresh_token(client)
    if as_header:
        response = client.post(
            "/api/v1/commands", json={"kind": "stop"}, headers={"X-CSRF-Token": sent}
        )
    else:
        response = client.post("/commands/stop", data={"csrf_token": sent})
    assert response.status_code == 400
    assert commands_in(seeded) == []


@pytest.mark.parametrize("path", ["/login", "/logout"])
def test_login_and_logout_need_the_csrf_token_too(client: FlaskClient, path: str) -> None:
    response = client.post(path, data={"username": "op", "password": PASSWORD})
    assert response.status_code == 400


def test_admin_may_do_what_an_operator_does(client: FlaskClient, seeded: Store) -> None:
    add_user(seeded, "boss", "admin")
    log_in(client, "boss")
    response = _post(client, "/commands/stop", {}, None, fresh_token(client))
    assert response.status_code == 302
    assert [c["kind"] for c in commands_in(seeded)] == ["stop"]


def test_secret_key_is_made_once_private_and_reused(settings: Settings, store: Store) -> None:
    first = make_app(settings, store).secret_key
    path: Path = settings.data_dir / "secret_key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert make_app(settings, store).secret_key == first
    assert len(str(first)) == 64


def test_login_page_sends_a_logged_in_user_home(client: FlaskClient, store: Store) -> None:
    add_user(store, "op", "operator")
    log_in(client, "op")
    assert client.get("/login").headers["Location"] == "/"


def test_language_choice_survives_log_in_and_out(client: FlaskClient, store: Store) -> None:
    add_user(store, "op", "operator")
    client.get("/language/en")
    log_in(client, "op")
    assert "On air now" in client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": fresh_token(client)})
    assert "Log in" in client.get("/login").get_data(as_text=True)
