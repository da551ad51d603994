"""The panel's server (web/serving.py) under attack from the LAN: the attacks themselves,
run against the real server (waitress on loopback, as `villagecast panel` serves it)."""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from playlists.content import announcement_table
from playlists.settings import PanelSettings, Settings
from playlists.store import Store
from playlists.town import villages
from tests.paths import REPO
from tests.playlists.town.test_villages import HEARTBEAT
from tests.web_fixtures import (
    NOW,
    add_fake_announcement,
    add_user,
    csrf_of,
    log_in,
    make_app,
    stop_serving,
)
from web.serving import PanelServer, build_server
from web.uploads import serving_limits

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

MB = 1_000_000


@dataclasses.dataclass
class Served:
    """The panel on a loopback port, its app and its settings."""

    app: Flask
    settings: Settings
    port: int

    def connect(self, source: str = "127.0.0.1", timeout: float = 10) -> socket.socket:
        """Open a connection from a loopback address (all of 127/8 is this machine)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", self.port))
        return sock


@pytest.fixture
def panel_settings(settings: Settings) -> Settings:
    # Small limits keep the uploads quick; a short header timeout keeps the waits short.
    return dataclasses.replace(
        settings,
        audio=dataclasses.replace(settings.audio, max_upload_mb=5),
        panel=PanelSettings(host="127.0.0.1", port=0, header_timeout=3),
    )


@pytest.fixture
def served(
    panel_settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Served]:
    # The system's temporary folder does not exist: whatever spooled there would fail.
    monkeypatch.setattr(tempfile, "tempdir", str(panel_settings.data_dir / "no-such-folder"))
    app = make_app(panel_settings, store)
    server = build_server(app, panel_settings.panel, serving_limits(app, panel_settings))
    assert isinstance(server, PanelServer)
    thread = threading.Thread(target=server.run, name="panel", daemon=True)
    thread.start()
    try:
        yield Served(app, panel_settings, int(server.effective_port))
    finally:
        stop_serving(server, thread)


def read_answer(sock: socket.socket) -> bytes:
    """Read until the server closes the connection or the answer is complete."""
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
        head, _sep, body = data.partition(b"\r\n\r\n")
        if _sep and b"content-length:" in head.lower():
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            if len(body) >= length:
                break
    return data


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def head(method: str, path: str, *fields: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *fields, "", ""]
    return "\r\n".join(lines).encode()


def spooled(settings: Settings) -> list[Path]:
    folder = settings.data_dir / "tmp"
    return sorted(folder.iterdir()) if folder.exists() else []


def session_of(app: Flask, username: str) -> tuple[str, str]:
    """Log in with the test client; return the session cookie and its CSRF token."""
    client: FlaskClient = app.test_client()
    log_in(client, username)
    token = csrf_of(client.get("/announcements"))
    cookie = client.get_cookie("villagecast_session")
    assert cookie is not None
    return f"villagecast_session={cookie.value}", token


# -- bodies: refused from their head, by route and by who sends them ----------------------


@pytest.mark.parametrize(
    ("path", "declared"),
    [
        pytest.param("/login", 50 * MB, id="50-MB-log-in-form"),
        pytest.param("/api/v1/schedule", 3 * MB, id="3-MB-JSON"),
        pytest.param("/announcements/1/voice", 4 * MB, id="anonymous-recording-upload"),
        pytest.param("/bundles/import", 50 * MB, id="anonymous-bundle-upload"),
        pytest.param("/no/such/page", 50 * MB, id="unknown-page"),
    ],
)
def test_a_big_anonymous_body_is_refused_before_it_is_read(
    served: Served, path: str, declared: int
) -> None:
    started = time.monotonic()
    with served.connect() as sock:
        # Only the head and the first bytes: the answer comes without the rest.
        fields = ("Content-Type: application/x-www-form-urlencoded", f"Content-Length: {declared}")
        sock.sendall(head("POST", path, *fields) + b"x" * 65536)
        answer = read_answer(sock)
    assert status_of(answer) == 413
    assert b"Connection: close" in answer
    assert time.monotonic() - started < 10
    assert spooled(served.settings) == []


def test_the_log_in_page_says_why_in_chinese(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(head("POST", "/login", f"Content-Length: {50 * MB}"))
        answer = read_answer(sock)
    assert status_of(answer) == 413
    assert "上传的文件太大" in answer.decode()


def test_a_chunked_body_is_cut_off_at_the_small_limit(served: Served) -> None:
    chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
    sent = 0
    with served.connect() as sock:
        sock.sendall(head("POST", "/login", "Transfer-Encoding: chunked"))
        sock.setblocking(False)
        while sent < 50 * MB:
            readable, writable, _ = select.select([sock], [sock], [], 10)
            if readable or not writable:
                break
            try:
                sent += sock.send(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.settimeout(10)
        answer = read_answer(sock)
    assert status_of(answer) == 413
    # The server stopped reading near 2 MB; the rest of the 50 MB was never taken.
    assert sent < 20 * MB
    assert spooled(served.settings) == []


def recording(folder: Path, seconds: float) -> bytes:
    path = folder / "录音.wav"
    noise = f"anoisesrc=d={seconds}:c=pink:a=0.3"
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", noise]
    subprocess.run([*command, "-ac", "1", str(path)], check=True)
    return path.read_bytes()


def multipart(token: str, content: bytes) -> tuple[str, bytes]:
    boundary = "villagecast-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f"--{boundary}\r\nContent-Disposition: form-data; "
            'name="recording"; filename="voice.wav"\r\nContent-Type: audio/wav\r\n\r\n'
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", body


def test_an_operator_uploads_a_recording_up_to_the_upload_limit(
    served: Served, store: Store, tmp_path: Path
) -> None:
    add_user(store, "op", "operator")
    announcement_id = add_fake_announcement(store)
    cookie, token = session_of(served.app, "op")
    content = recording(tmp_path, 36)  # 3.2 MB: over the small limit, under 5 MB
    assert 3 * MB < len(content) < 5 * MB
    content_type, body = multipart(token, content)
    with served.connect(timeout=60) as sock:
        fields = (f"Cookie: {cookie}", f"Content-Type: {content_type}")
        sock.sendall(
            head(
                "POST",
                f"/announcements/{announcement_id}/voice",
                *fields,
                f"Content-Length: {len(body)}",
            )
            + body
        )
        answer = read_answer(sock)
    assert status_of(answer) == 302, answer[:300]
    assert announcement_table.get_announcement(store, announcement_id).engine == "recording"
    assert spooled(served.settings) == []  # the spooled body is gone with its request


def test_an_operator_upload_over_the_limit_is_refused_before_it_is_read(
    served: Served, store: Store
) -> None:
    add_user(store, "op", "operator")
    announcement_id = add_fake_announcement(store)
    cookie, _token = session_of(served.app, "op")
    with served.connect() as sock:
        fields = (f"Cookie: {cookie}", "Content-Type: multipart/form-data; boundary=x")
        sock.sendall(
            head(
                "POST",
                f"/announcements/{announcement_id}/voice",
                *fields,
                f"Content-Length: {7 * MB}",
            )
        )
        answer = read_answer(sock)
    assert status_of(answer) == 413
    assert "5 MB" in answer.decode()


# -- YAML that would burn minutes of CPU ---------------------------------------------------


def post_file(
    served: Served, path: str, cookie: str, token: str, field: str, name: str, content: bytes
) -> tuple[int, dict[str, str]]:
    boundary = "villagecast-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: application/x-yaml\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        connection.request(
            "POST",
            path,
            body,
            {"Cookie": cookie, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        connection.close()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"items: " + b"[" * 10_000 + b"]" * 10_000, id="20-KB-nested-10000-deep"),
        pytest.param(
            b"format: villagecast/playlist@1\nname: n\nitems:\n" + b"- pause: 1\n" * 100_000,
            id="100000-items",
        ),
    ],
)
def test_a_hostile_playlist_file_is_refused_at_once_over_http(
    served: Served, store: Store, content: bytes
) -> None:
    add_user(store, "op", "operator")
    cookie, token = session_of(served.app, "op")
    started = time.monotonic()
    status, headers = post_file(
        served, "/playlists/import", cookie, token, "playlist", "evil.yaml", content
    )
    elapsed = time.monotonic() - started
    assert status == 302 and headers["Location"] == "/playlists"  # back, with the reason
    assert elapsed < 5, f"{elapsed:.1f} s"  # was 41 s and more
    assert store.query("SELECT COUNT(*) FROM playlists")[0][0] == 0
    flashed = headers["Set-Cookie"].split(";")[0]  # the session now carries the reason
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    connection.request("GET", "/playlists", headers={"Cookie": flashed})
    page = connection.getresponse().read().decode()
    connection.close()
    assert "evil.yaml" in page and ("nest" in page or "20,000" in page)


# -- connections: one client cannot take them all, slow ones are closed --------------------


def get(served: Served, path: str, source: str, **fields: str) -> int:
    """GET a page from one loopback address; return the status."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", served.port, timeout=30, source_address=(source, 0)
    )
    try:
        connection.request("GET", path, headers=fields)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def closed_by_server(sock: socket.socket) -> bool:
    """Tell whether the server has closed this connection (without waiting)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def wait_until_closed(socks: list[socket.socket], limit: float) -> float:
    """Wait until the server closed every socket; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if all(closed_by_server(sock) for sock in socks):
            break
        time.sleep(0.1)
    return time.monotonic() - started


def slow_attackers(served: Served, sources: list[str], each: int) -> list[socket.socket]:
    """Open idle connections and ones that send a header line now and then (slowloris)."""
    socks = []
    for source in sources:
        for n in range(each):
            sock = served.connect(source)
            if n % 2:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            socks.append(sock)
    return socks


def trickle(socks: list[socket.socket], stop: threading.Event) -> None:
    """Send one more header line on every open slow socket every half second."""
    while not stop.wait(0.5):
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.send(b"X-Slow: 1\r\n")


@pytest.fixture
def village_token(store: Store) -> str:
    return villages.add_village(store, "东村", "admin", NOW)


@pytest.fixture
def operator_cookie(served: Served, store: Store) -> str:
    add_user(store, "op", "operator", may_emergency=True)
    return session_of(served.app, "op")[0]


def everyone_is_served(served: Served, cookie: str, village_token: str, source: str) -> None:
    """The kiosk, the emergency form and a village's sync all answer from `source`."""
    screen = served.settings.screens[0].name
    assert get(served, f"/screen/{screen}/state", source) == 200
    assert get(served, "/", source, Cookie=cookie) == 200  # the dashboard's emergency form
    assert get(served, "/town/v1/feed", source, Authorization=f"Bearer {village_token}") == 200


def test_150_connections_from_one_client_leave_the_panel_to_everyone_else(
    served: Served, operator_cookie: str, village_token: str
) -> None:
    attackers = [served.connect("127.0.0.2") for _ in range(150)]
    try:
        started = time.monotonic()
        everyone_is_served(served, operator_cookie, village_token, "127.0.0.3")
        # At once: nobody waited for the attacker's sockets to time out.
        assert time.monotonic() - started < served.settings.panel.header_timeout
        time.sleep(0.5)
        still_open = [sock for sock in attackers if not closed_by_server(sock)]
        assert len(still_open) == served.settings.panel.connections_per_client
    finally:
        for sock in attackers:
            sock.close()


def test_the_station_s_own_kiosks_are_never_refused_by_the_quota(served: Served) -> None:
    own = [served.connect("127.0.0.1") for _ in range(30)]  # five kiosks of six each
    try:
        time.sleep(0.5)
        assert not any(closed_by_server(sock) for sock in own)
    finally:
        for sock in own:
            sock.close()


def test_slow_sockets_are_closed_within_the_header_timeout(
    served: Served, operator_cookie: str, village_token: str
) -> None:
    # 150 slow sockets from 10 addresses (15 each, under the quota): more than the 100
    # connections the server takes, so the rest wait in the kernel until it frees some.
    sources = [f"127.0.0.{n}" for n in range(10, 20)]
    attackers = slow_attackers(served, sources, 15)
    stop = threading.Event()
    sender = threading.Thread(target=trickle, args=(attackers, stop), daemon=True)
    sender.start()
    timeout = served.settings.panel.header_timeout
    try:
        started = time.monotonic()
        everyone_is_served(served, operator_cookie, village_token, "127.0.0.3")
        # Served once the first hundred were closed: one header timeout and a check later.
        assert time.monotonic() - started < 3 * timeout + 2
        # The accepted ones closed after one timeout, those waiting in the kernel after two.
        assert wait_until_closed(attackers, limit=30) < 2 * (timeout + 1) + 3
    finally:
        stop.set()
        sender.join()
        for sock in attackers:
            sock.close()


def test_a_body_trickling_in_is_cut_off(served: Served) -> None:
    with served.connect() as sock:
        fields = ("Content-Type: application/x-www-form-urlencoded", "Content-Length: 100000")
        sock.sendall(head("POST", "/login", *fields))
        started = time.monotonic()
        while time.monotonic() - started < 30:
            try:
                sock.sendall(b"a=1&")  # 8 bytes a second, far under 10 KB/s
            except OSError:
                break
            if closed_by_server(sock):
                break
            sock.setblocking(True)
            time.sleep(0.5)
        elapsed = time.monotonic() - started
    # header_timeout of grace plus what it sent at the least rate, and one check.
    assert elapsed < served.settings.panel.header_timeout + 1 + 3


# -- keep-alive after an answer without a body (RFC 9112, 6.3) ----------------------------


def read_one_answer(sock: socket.socket) -> bytes:
    """Read one answer: its head, and the body its Content-Length announces (if any)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head_part, _sep, body = data.partition(b"\r\n\r\n")
    fields = head_part.lower().split(b"\r\n")
    length = next((int(f.split(b":")[1]) for f in fields if f.startswith(b"content-length:")), 0)
    while len(body) < length:
        body += sock.recv(65536)
    return data


def feed_etag(served: Served, village_token: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        authorization = {"Authorization": f"Bearer {village_token}"}
        connection.request("GET", "/town/v1/feed", headers=authorization)
        response = connection.getresponse()
        response.read()
        return str(response.headers["ETag"])
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("asked", "fields", "status", "kept_open"),
    [
        pytest.param("feed-unchanged", (), 304, True, id="304"),
        pytest.param("feed-unchanged", ("Connection: close",), 304, False, id="304-client-closes"),
        pytest.param("heartbeat", (), 204, True, id="204"),
        pytest.param("feed", (), 200, True, id="200"),
        pytest.param("feed", ("Connection: close",), 200, False, id="200-client-closes"),
        pytest.param("wrong-token", (), 401, True, id="401"),
    ],
)
def test_a_connection_stays_open_after_each_answer_unless_the_client_closes_it(
    served: Served,
    village_token: str,
    asked: str,
    fields: tuple[str, ...],
    status: int,
    kept_open: bool,
) -> None:
    token = f"Authorization: Bearer {village_token}"
    etag = feed_etag(served, village_token)
    body = json.dumps(HEARTBEAT).encode()
    first = {
        "feed-unchanged": head("GET", "/town/v1/feed", token, f"If-None-Match: {etag}", *fields),
        "feed": head("GET", "/town/v1/feed", token, *fields),
        "wrong-token": head("GET", "/town/v1/feed", "Authorization: Bearer vcd_wrong", *fields),
        "heartbeat": head(
            "POST", "/town/v1/heartbeat", token, "Content-Type: application/json",
            f"Content-Length: {len(body)}", *fields,
        ) + body,
    }[asked]  # fmt: skip
    with served.connect() as sock:
        sock.sendall(first)
        answer = read_one_answer(sock)
        assert status_of(answer) == status
        assert (b"Connection: close" not in answer) == kept_open
        if kept_open:  # the next request goes over the same connection
            sock.sendall(head("GET", "/town/v1/feed", token))
            assert status_of(read_one_answer(sock)) == 200
        else:
            assert sock.recv(1) == b""  # closed by the server


def test_settling_the_heap_leaves_start_up_s_objects_out_of_full_collections() -> None:
    script = (
        "import gc\n"
        "from web import create_app\n"
        "from web.serving import settle_heap\n"
        "before = gc.get_freeze_count()\n"
        "settle_heap()\n"
        "print(before, gc.get_freeze_count(), len(gc.get_objects()))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout.split()
    before, frozen, tracked = (int(n) for n in shown)
    assert before == 0
    assert frozen > 10 * tracked  # the imported modules' objects: no longer walked
