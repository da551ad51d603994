"""The sd_notify client, against a real AF_UNIX datagram socket standing in for systemd."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from playlists.settings import PlayerSettings, Settings
from playlists.store import Store
from scheduler.daemon import Daemon
from scheduler.sdnotify import Notifier, notify_address, watchdog_interval


def listen(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(5)
    return sock


def received(sock: socket.socket) -> list[str]:
    """Return every datagram waiting on the socket."""
    messages = []
    sock.setblocking(False)
    try:
        while True:
            messages.append(sock.recv(4096).decode())
    except BlockingIOError:
        return messages
    finally:
        sock.settimeout(5)


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket where systemd would listen, and its NOTIFY_SOCKET value."""
    path = str(tmp_path / "notify")
    with listen(path) as sock:
        yield sock, path


def test_ready_status_and_stopping_arrive(systemd: tuple[socket.socket, str]) -> None:
    sock, path = systemd
    notifier = Notifier({"NOTIFY_SOCKET": path})
    assert notifier.ready("running; audio sink aplay")
    assert notifier.status("on air: 社会工作")
    assert notifier.stopping()
    assert received(sock) == [
        "READY=1\nSTATUS=running; audio sink aplay",
        "STATUS=on air: 社会工作",
        "STOPPING=1",
    ]


def test_abstract_socket_name(tmp_path: Path) -> None:
    name = f"villagecast-test-{os.getpid()}-{id(tmp_path)}"
    with listen("\0" + name) as sock:
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).ready()
        assert sock.recv(4096) == b"READY=1"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 15.0),
        ({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": str(os.getpid())}, 0.5),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
    ids=["half-of-usec", "pid-is-ours", "pid-is-another", "zero", "garbage", "unset"],
)
def test_watchdog_interval(environ: dict[str, str], expected: float | None) -> None:
    assert watchdog_interval(environ, os.getpid()) == expected


def test_watchdog_pings_at_half_the_timeout(systemd: tuple[socket.socket, str]) -> None:
    sock, path = systemd
    now = [100.0]
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"}, clock=lambda: now[0])
    pinged = []
    for now[0] in (100.0, 105.0, 114.9, 115.0, 129.0, 130.0):
        pinged.append(notifier.watchdog())
    assert pinged == [True, False, False, True, False, True]
    assert received(sock) == ["WATCHDOG=1"] * 3


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("/run/systemd/notify", "/run/systemd/notify"),
        ("@/org/freedesktop/systemd1/notify/42", "\0/org/freedesktop/systemd1/notify/42"),
        ("", None),
        ("vsock:2:1234", None),
        ("relative/path", None),
    ],
    ids=["path", "abstract", "empty", "vsock", "relative"],
)
def test_notify_address(value: str, address: str | None) -> None:
    assert notify_address(value) == address


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = Notifier({"WATCHDOG_USEC": "30000000"})
    assert notifier.address is None
    assert notifier.watchdog_interval is None
    assert not notifier.ready()
    assert not notifier.watchdog()
    assert not notifier.stopping()


def test_a_dead_socket_is_logged_once_and_never_raises(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = Notifier(
        {"NOTIFY_SOCKET": str(tmp_path / "gone"), "WATCHDOG_USEC": "2"}, clock=lambda: 0.0
    )
    with caplog.at_level(logging.WARNING, logger="scheduler.sdnotify"):
        assert not notifier.ready()
        assert not notifier.watchdog()
        assert not notifier.watchdog()  # a failed ping is retried on the next call
        assert not notifier.stopping()
    assert len(caplog.records) == 1
    assert "cannot notify systemd" in caplog.records[0].getMessage()


def test_the_player_daemon_reports_to_systemd(
    systemd: tuple[socket.socket, str],
    settings: Settings,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sock, path = systemd
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", "100000")  # ping every 0.05 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    fast = dataclasses.replace(settings, player=PlayerSettings(poll_seconds=0.01))
    daemon = Daemon(fast, store)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    assert sock.recv(4096) == b"READY=1\nSTATUS=running; audio sink recording"
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert sock.recv(4096) == b"WATCHDOG=1"
    daemon.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert received(sock)[-1] == "STOPPING=1"


def test_children_do_not_inherit_the_socket(
    systemd: tuple[socket.socket, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sock, path = systemd
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    notifier = Notifier()
    assert "NOTIFY_SOCKET" not in os.environ
    assert "WATCHDOG_USEC" not in os.environ
    assert notifier.watchdog_interval == 15.0
    assert notifier.ready()
    assert sock.recv(4096) == b"READY=1"
