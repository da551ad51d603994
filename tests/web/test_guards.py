"""Every route that changes anything refuses anonymous users, wrong roles and forged forms.

The routes come from the app's own URL map, so a new route cannot slip through: the
coverage test fails until ALLOWED says who may use it.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from playlists.settings import Settings
from playlists.store import Store
from tests.web_fixtures import (
    add_fake_announcement,
    add_pause_playlist,
    add_user,
    fresh_token,
    log_in,
    make_app,
)

READING = {"GET", "HEAD", "OPTIONS"}
# Open to anyone: logging in is how a user gets a role.
OPEN = {"auth.login"}
# Open to villages' device tokens only (web/town_views.py): no session, role or CSRF
# token lets anyone in, so every user here gets 401 like an anonymous one.
OPEN_TO_DEVICES = {
    "town_api.heartbeat",
    "town_api.asrun",
    "town_api.emergency_answers",
    *(f"town_evidence_api.{name}" for name in ("offer", "piece", "finish")),
}
ANY = ("operator", "reviewer", "admin")  # any logged-in user
PLAYLIST_EDITS = (
    "create", "update_details", "submit", "delete", "add_announcement", "add_recording",
    "add_image", "add_pause", "update_item", "move_item", "remove_item",
)  # fmt: skip
# Who may use each changing endpoint. "emergency" is the per-user right (admins hold it).
ALLOWED: dict[str, tuple[str, ...]] = {
    "auth.logout": ANY,
    "auth.password": ANY,
    "announcements.create": ("operator", "admin"),
    "announcements.edit": ("operator", "admin"),
    "announcements.submit": ("operator", "admin"),
    "announcements.set_voice": ("operator", "admin"),
    "announcements.schedule": ("operator", "admin"),
    **{
        f"archive.{step}_{subject}": ("operator", "admin")
        for step in ("archive", "restore")
        for subject in ("announcement", "playlist")
    },
    "playlists.import_yaml": ("operator", "admin"),
    "commands.play": ("operator", "admin"),
    "commands.stop": ("operator", "admin"),
    "commands.skip": ("operator", "admin"),
    "emergency.broadcast": ("emergency", "admin"),
    "town_emergency.send": ("emergency", "admin"),
    "town_emergency_api.send": ("emergency", "admin"),
    "review.approve": ("reviewer", "admin"),
    "review.reject": ("reviewer", "admin"),
    "api.send_command": ("operator", "admin"),
    "bundles.import_bundle_upload": ("operator", "admin"),
    **{f"playlists.{name}": ("operator", "admin") for name in PLAYLIST_EDITS},
    "schedule.new": ("operator", "admin"),
    "schedule.edit": ("operator", "admin"),
    "schedule.remove": ("operator", "admin"),
    "users.add": ("admin",),
    "users.change_role": ("admin",),
    "users.change_emergency": ("admin",),
    "users.change_access": ("admin",),
    "users.reset_password": ("admin",),
    "tokens.create": ANY,
    "tokens.revoke": ANY,
    "api.emergency": ("emergency", "admin"),
    "api.add_schedule": ("operator", "admin"),
    "api.delete_schedule": ("operator", "admin"),
    "api_content.create_announcement": ("operator", "admin"),
    "api_content.submit_announcement": ("operator", "admin"),
    "api_content.submit_playlist": ("operator", "admin"),
    "api_content.approve": ("reviewer", "admin"),
    "api_content.reject": ("reviewer", "admin"),
    "fleet.share": ("reviewer", "admin"),
    "fleet.unshare": ("reviewer", "admin"),
    "fleet_evidence.review": ("reviewer", "admin"),
    **{
        f"evidence.{name}": ("operator", "admin")
        for name in ("add", "start_upload", "upload_chunk", "probe_upload")
    },
}
ROLES = ("operator", "reviewer", "admin")


def changing_rules(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, example URL) for every rule that accepts a changing method."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - READING):
            url = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
            found.append((rule.endpoint, method, url))
    return sorted(found)


def fingerprint(store: Store) -> str:
    """A digest of every table but the log of events, which a refused request may write."""
    digest = hashlib.sha256()
    tables = store.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    for table in (row["name"] for row in tables):
        if table == "events":
            continue
        for row in store.query(f"SELECT * FROM {table} ORDER BY rowid"):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture
def app(settings: Settings, store: Store) -> Flask:
    add_pause_playlist(store, "定时节目")
    add_fake_announcement(store)
    return make_app(settings, store)


def send(client: FlaskClient, method: str, url: str, token: str | None) -> int:
    if url.startswith(("/api/", "/town/")):
        headers = {"X-CSRF-Token": token} if token else {}
        return client.open(url, method=method, json={}, headers=headers).status_code
    data = {"csrf_token": token} if token else {}
    return client.open(url, method=method, data=data).status_code


def test_every_changing_route_says_who_may_use_it(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _method, _url in changing_rules(app)}
    assert endpoints - OPEN - OPEN_TO_DEVICES - ALLOWED.keys() == set(), "add them to ALLOWED"
    assert (ALLOWED.keys() | OPEN_TO_DEVICES) - endpoints == set(), "no such routes"


def test_anonymous_users_change_nothing(app: Flask, store: Store) -> None:
    client = app.test_client()
    before = fingerprint(store)
    for endpoint, method, url in changing_rules(app):
        if endpoint in OPEN:
            continue
        status = send(client, method, url, fresh_token(client))
        expected = 401 if url.startswith(("/api/", "/town/")) else 302
        assert status == expected, (endpoint, method, url, status)
    assert fingerprint(store) == before


@pytest.mark.parametrize("role", ROLES)
def test_users_without_the_role_are_refused_and_change_nothing(
    app: Flask, store: Store, role: str
) -> None:
    add_user(store, "someone", role, may_emergency=False)
    client = app.test_client()
    log_in(client, "someone")
    before = fingerprint(store)
    for endpoint, method, url in changing_rules(app):
        if endpoint in OPEN or role in ALLOWED.get(endpoint, ()):
            continue
        status = send(client, method, url, fresh_token(client))
        expected = 401 if endpoint in OPEN_TO_DEVICES else 403
        assert status == expected, (role, endpoint, method, url, status)
    assert fingerprint(store) == before


@pytest.mark.parametrize("token", [None, "forged"], ids=["missing", "forged"])
def test_forms_without_their_csrf_token_are_refused(
    app: Flask, store: Store, token: str | None
) -> None:
    add_user(store, "chief", "admin")
    client = app.test_client()
    log_in(client, "chief")
    before = fingerprint(store)
    for endpoint, method, url in changing_rules(app):
        status = send(client, method, url, token)
        expected = 401 if endpoint in OPEN_TO_DEVICES else 400  # the device token is missing
        assert status == expected, (endpoint, method, url, status)
    assert fingerprint(store) == before
