"""Security headers: every private answer (page, CSV, JSON, error) is never cached."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import add_fake_announcement, add_pause_playlist, add_user, log_in, make_app
from web.security import is_public

# Views that choose their own caching: media files (private, by content hash), the
# screens' size sheet (no-cache), the villages' feed and bundles (device token).
OWN_RULE = {"media_files.", "screens_preview.sizes_css", "town_api."}


@pytest.fixture
def app(settings: Settings, store: Store) -> Flask:
    add_user(store, "boss", "admin")
    add_pause_playlist(store, "定时节目")
    add_fake_announcement(store)
    return make_app(settings, store)


def _get_paths(app: Flask) -> list[tuple[str, str]]:
    """Every GET route with sample arguments: (endpoint, path)."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()):
                continue
            values = {arg: 1 if arg.endswith("id") else "x" for arg in rule.arguments}
            if rule.endpoint == "static":
                values = {"filename": "admin.css"}
            found.append((rule.endpoint, rule.build(values, append_unknown=False)[1]))
    return found


def test_every_private_answer_says_no_store(app: Flask) -> None:
    client: FlaskClient = app.test_client()
    log_in(client, "boss")
    checked = 0
    for endpoint, path in _get_paths(app):
        if is_public(endpoint) or any(endpoint.startswith(own) for own in OWN_RULE):
            continue
        response = client.get(path)
        assert response.headers.get("Cache-Control") == "no-store", (path, response.status_code)
        checked += 1
    assert checked > 30


@pytest.mark.parametrize(
    "path",
    ["/asrun.csv", "/audit.csv", "/api/v1/status", "/login", "/nothing-here"],
    ids=str,
)
def test_csv_json_log_in_and_errors_say_no_store(app: Flask, path: str) -> None:
    client = app.test_client()
    log_in(client, "boss")
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_kiosk_pages_and_static_files_may_be_cached(app: Flask, settings: Settings) -> None:
    client = app.test_client()
    screen = settings.screens[0].name
    for path in (f"/screen/{screen}", f"/screen/{screen}/state", "/static/admin.css"):
        response = client.get(path)
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")
