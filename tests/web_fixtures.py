"""Fixtures and helpers for the panel tests: a fresh app per test, users, log-in, CSRF tokens.

Registered as a plugin by tests/conftest.py, so every test module can ask for `app` and
`client`; a module that needs another app (seeded data, another clock) defines its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import pytest
import waitress
from flask import Flask
from flask.testing import FlaskClient
from waitress import wasyncore
from werkzeug.test import TestResponse

from playlists.access import users
from playlists.commands import CommandResult, encode_result
from playlists.content import announcement_table, media_table, playlist_table
from playlists.content.media_table import MediaRecord
from playlists.content.playlist_table import NewItem
from playlists.model import ItemKind, Priority, Review
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store
from web import create_app
from web.state import EXTENSION, PanelState

PASSWORD = "correct-horse"
# 11:00 in Shanghai on the campaign's first day.
NOW = dt.datetime(2023, 3, 28, 3, 0, tzinfo=dt.UTC)
FAKE_SHA = "ab" * 32


def make_app(
    settings: Settings, store: Store, now: dt.datetime = NOW, command_wait: float = 0.0
) -> Flask:
    """Build the panel on a test store with a frozen clock.

    The panel waits ``command_wait`` seconds for the player to answer a command:
    none by default, as most tests run no player.
    """
    config = {"TESTING": True, "COMMAND_WAIT_SECONDS": command_wait, "COMMAND_POLL_SECONDS": 0.01}
    app = create_app(settings, store, test_config=config)
    state(app).clock = lambda: now
    return app


def state(app: Flask) -> PanelState:
    panel: PanelState = app.extensions[EXTENSION]
    return panel


def add_user(
    store: Store,
    username: str,
    role: str,
    must_change: bool = False,
    may_emergency: bool | None = None,
) -> int:
    return users.add_user(
        store,
        username,
        PASSWORD,
        role,
        NOW,
        must_change_password=must_change,
        may_emergency=may_emergency,
    )


def csrf_of(page: TestResponse | str) -> str:
    """Return the CSRF token from a page's first form."""
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return match[1]


def fresh_token(client: FlaskClient) -> str:
    """Return the session's current CSRF token, from the meta tag every page carries."""
    html = client.get("/login", follow_redirects=True).get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match
    return match[1]


def log_in(client: FlaskClient, username: str, password: str = PASSWORD) -> TestResponse:
    token = fresh_token(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def client_for(app: Flask, store: Store, username: str, role: str, **user: Any) -> FlaskClient:
    """Add a user with the role and return a client logged in as them."""
    add_user(store, username, role, **user)
    client = app.test_client()
    log_in(client, username)
    return client


def client_as(app: Flask, store: Store, role: str | None) -> FlaskClient:
    """Return a client logged in as a user named after the role, or an anonymous one."""
    return app.test_client() if role is None else client_for(app, store, role, role)


def add_pause_playlist(
    store: Store,
    name: str,
    seconds: float = 30.0,
    times: tuple[dt.time, ...] = (dt.time(7, 30), dt.time(12, 0), dt.time(18, 30)),
) -> int:
    """Store a playlist of one pause, scheduled over the campaign window (no speech needed)."""
    playlist_id = playlist_table.add_playlist(
        store,
        name,
        "",
        [NewItem(kind=ItemKind.PAUSE, duration=seconds)],
        NOW,
        review=Review.APPROVED,
        created_by="test",
    )
    entry_table.add_schedule(
        store,
        playlist_id,
        dt.date(2023, 3, 28),
        dt.date(2023, 4, 7),
        times,
        frozenset(range(7)),
        Priority.SCHEDULED,
        NOW,
    )
    return playlist_id


def add_fake_announcement(
    store: Store,
    title: str = "通知",
    text: str = "村民朋友们",
    review: Review = Review.APPROVED,
    by: str = "op",
) -> int:
    """Store an announcement whose media row has no file, for tests that never play it."""
    record = MediaRecord(FAKE_SHA, "audio", f"ab/{FAKE_SHA}.wav", 3.0, 100, "espeak-ng")
    media_table.add_media(store, record, NOW)
    return announcement_table.add_announcement(store, title, text, FAKE_SHA, by, NOW, review=review)


def commands_in(store: Store) -> list[dict[str, object]]:
    return [dict(row) for row in store.query("SELECT * FROM commands ORDER BY id")]


class FakePlayer:
    """Take commands from the store as the player daemon does, and answer each one.

    ``answer`` is the result to write, or a function of the command row giving it;
    text is written as it is (an answer the panel cannot read).
    Use as a context manager: the thread runs inside the ``with`` block.
    """

    def __init__(
        self,
        store: Store,
        answer: CommandResult | str | Callable[[dict[str, Any]], CommandResult],
    ) -> None:
        self.store = store
        self.answer = answer
        self.taken: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-player", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for command in self.store.take_commands(NOW):
                self.taken.append(command)
                self.store.finish_command(command["id"], self._text(command))
            self._stop.wait(0.01)

    def _text(self, command: dict[str, Any]) -> str:
        answer = self.answer
        if isinstance(answer, str):
            return answer
        return encode_result(answer if isinstance(answer, CommandResult) else answer(command))

    def __enter__(self) -> FakePlayer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture
def app(settings: Settings, store: Store) -> Flask:
    """A fresh panel on the test store, its clock frozen at NOW."""
    return make_app(settings, store)


@pytest.fixture
def client(app: Flask, store: Store) -> FlaskClient:
    """A client logged in as the operator "op"."""
    add_user(store, "op", "operator")
    client = app.test_client()
    log_in(client, "op")
    return client


class Browser:
    """A logged-in browser: a cookie jar, the CSRF token, and no automatic redirects."""

    def __init__(self, url: str, username: str) -> None:
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        status, _ = self.post("/login", {"username": username, "password": PASSWORD})
        assert status == 200, "logged in, and followed to the dashboard"

    def token(self) -> str:
        html = self.open(urllib.request.Request(self.url + "/login"))[1]
        match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
        assert match
        return match[1]

    def open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def post(self, path: str, fields: dict[str, str | list[str]]) -> tuple[int, str]:
        data = urllib.parse.urlencode({**fields, "csrf_token": self.token()}, doseq=True)
        return self.open(urllib.request.Request(self.url + path, data=data.encode()))

    def upload(self, path: str, field: str, filename: str, data: bytes) -> tuple[int, str]:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{self.token()}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode(),
            data,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
        request = urllib.request.Request(
            self.url + path,
            data=b"".join(parts),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        return self.open(request)


@contextlib.contextmanager
def serving(app: Flask, *, threads: int = 4, port: int = 0) -> Iterator[str]:
    """Serve the panel under waitress on a loopback port (free by default); yield its address."""
    server = waitress.create_server(app, host="127.0.0.1", port=port, threads=threads)
    thread = threading.Thread(target=server.run, name="panel", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop_serving(server, thread)


def stop_serving(server: Any, thread: threading.Thread) -> None:
    """Stop a waitress server running in thread, from the server's own loop."""
    server.task_dispatcher.shutdown()
    # Closed from the server's own loop, which then ends: closing the sockets from
    # here could pull them out from under a select() in progress (EBADF in its thread).
    try:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    except OSError:  # the loop has ended already and closed its trigger with it
        wasyncore.close_all(server._map)
    thread.join(timeout=5)
