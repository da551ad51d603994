"""Hostile numbers, days and JSON get a 400 with a message, never a 500, on every surface."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import add_fake_announcement, add_pause_playlist, add_user, log_in, make_app
from tests.web_fixtures import fresh_token as csrf_token
from web.api_fields import FIRST_DAY, LAST_DAY, day_of, id_of

HUGE = str(10**30)
DIGITS = "9" * 4000
DEEP = "[" * 50_000 + "]" * 50_000
SCHEDULE = {"playlist_id": 1, "start": "2023-03-28", "end": "2023-03-29", "times": ["07:30"]}


@pytest.fixture
def admin(settings: Settings, store: Store) -> FlaskClient:
    app: Flask = make_app(settings, store)
    add_user(store, "boss", "admin")
    add_pause_playlist(store, "定时节目")
    add_fake_announcement(store)
    client = app.test_client()
    log_in(client, "boss")
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/plan?day=9999-12-31",
        "/plan?day=0001-01-01",
        "/api/v1/plan?from=9999-12-31",
        "/api/v1/plan?from=0001-01-01",
        "/api/v1/asrun?from=9999-12-31",
        "/api/v1/asrun?from=0001-01-01&to=0001-01-02",
        "/audit.csv?day=9999-12-31",
        "/asrun.csv?from=9999-12-31",
        f"/playlists/{HUGE}",
        f"/playlists/{DIGITS}",
        f"/schedule/{HUGE}/edit",
        f"/api/v1/announcements/{HUGE}",
        f"/api/v1/playlists/{DIGITS}",
    ],
    ids=lambda path: path[:50],
)
def test_hostile_query_or_path_is_a_400(admin: FlaskClient, path: str) -> None:
    response = admin.get(path)
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.json and response.json["error"]


@pytest.mark.parametrize(
    "path",
    ["/audit?day=0001-01-01", "/asrun?from=9999-12-31", "/fleet/report?from=9999-12-31"],
    ids=str,
)
def test_pages_with_a_filter_flash_the_bad_day_and_show_the_default(
    admin: FlaskClient, path: str
) -> None:
    response = admin.get(path)
    assert response.status_code == 200
    assert "日期格式应为 2023-03-28。" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param(
            "/api/v1/schedule", json.dumps({**SCHEDULE, "playlist_id": 10**30}), id="id-10^30"
        ),
        pytest.param(
            "/api/v1/schedule",
            json.dumps({**SCHEDULE, "playlist_id": int(DIGITS)}),
            id="id-4000-digits",
        ),
        pytest.param(
            "/api/v1/schedule", json.dumps({**SCHEDULE, "start": "0001-01-01"}), id="start-year-1"
        ),
        pytest.param(
            "/api/v1/schedule", json.dumps({**SCHEDULE, "end": "9999-12-31"}), id="end-year-9999"
        ),
        pytest.param(
            "/api/v1/commands", json.dumps({"kind": "play", "playlist_id": 10**30}), id="command-id"
        ),
        pytest.param("/api/v1/schedule", DEEP, id="json-50000-deep"),
        pytest.param("/api/v1/commands", DEEP, id="command-json-50000-deep"),
        pytest.param(
            "/api/v1/announcements", '{"text": ' + "9" * 5000 + "}", id="5000-digit-number"
        ),
    ],
)
def test_hostile_json_is_a_400_that_changes_nothing(
    admin: FlaskClient, store: Store, path: str, body: str
) -> None:
    before = store.query_one("SELECT COUNT(*) AS n FROM schedules")["n"]  # type: ignore[index]
    headers = {"X-CSRF-Token": csrf_token(admin), "Content-Type": "application/json"}
    response = admin.post(path, data=body, headers=headers)
    assert response.status_code == 400
    assert response.json and response.json["error"]
    assert store.query_one("SELECT COUNT(*) AS n FROM schedules")["n"] == before  # type: ignore[index]
    assert store.query("SELECT * FROM commands") == []


@pytest.mark.parametrize(
    ("path", "form"),
    [
        pytest.param("/commands/play", {"playlist_id": HUGE}, id="play-id-10^30"),
        pytest.param("/commands/play", {"announcement_id": "²"}, id="play-id-superscript"),
        pytest.param(f"/review/playlist/{HUGE}/approve", {}, id="review-id-10^30"),
        pytest.param(f"/account/tokens/{HUGE}/revoke", {}, id="token-id-10^30"),
    ],
)
def test_hostile_form_ids_are_a_400(admin: FlaskClient, path: str, form: dict[str, str]) -> None:
    response = admin.post(path, data={**form, "csrf_token": csrf_token(admin)})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("text", "day"),
    [
        pytest.param("2023-03-28", dt.date(2023, 3, 28), id="a-day"),
        pytest.param(FIRST_DAY.isoformat(), FIRST_DAY, id="first"),
        pytest.param(LAST_DAY.isoformat(), LAST_DAY, id="last"),
        pytest.param("1999-12-31", None, id="before-first"),
        pytest.param("2100-01-01", None, id="after-last"),
        pytest.param("9999-12-31", None, id="year-9999"),
        pytest.param("0001-01-01", None, id="year-1"),
        pytest.param("2023-02-30", None, id="impossible"),
        pytest.param("2023-3-28", None, id="short"),
        pytest.param("２０２３-03-28", None, id="full-width-digits"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_day_of(text: str | None, day: dt.date | None) -> None:
    if day is None:
        with pytest.raises(ValueError):
            day_of(text)
    else:
        assert day_of(text) == day


@pytest.mark.parametrize(
    ("text", "number"),
    [
        pytest.param("7", 7, id="small"),
        pytest.param(str(2**63 - 1), 2**63 - 1, id="largest"),
        pytest.param(str(2**63), None, id="past-sqlite"),
        pytest.param(DIGITS, None, id="4000-digits"),
        pytest.param("0", None, id="zero"),
        pytest.param("-3", None, id="negative"),
        pytest.param("²", None, id="superscript"),
        pytest.param("", None, id="empty"),
    ],
)
def test_id_of(text: str, number: int | None) -> None:
    if number is None:
        with pytest.raises(ValueError):
            id_of(text)
    else:
        assert id_of(text) == number
