"""A real mosquitto on loopback for tests, set up by the project's own broker files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from playlists.settings import Settings
from playlists.store import Store
from playlists.town import broker_setup
from tests import processes

NOW = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)
HOST = "127.0.0.1"
TOWN_DATA = "town-data"  # the town's data_dir inside a test's folder


def free_port() -> int:
    """Return a loopback port that was free a moment ago (mosquitto cannot take port 0)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass
class Broker:
    files: broker_setup.BrokerFiles
    port: int
    output: processes.Output


def start_broker(folder: Path, started: processes.Processes) -> Broker:
    """Make the town's broker files in folder's data folder and start mosquitto on them."""
    files = broker_setup.BrokerFiles.in_data_dir(folder / TOWN_DATA)
    port = free_port()
    broker_setup.init_broker(files, "测试镇", [HOST, "localhost"], port, HOST, NOW)
    process = started.start(
        ["mosquitto", "-v", "-c", str(files.config)],
        stdout=processes.subprocess.PIPE,
        stderr=processes.subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = processes.Output(process.stdout)
    output.wait_for(r"mosquitto version .* running", timeout=10)
    return Broker(files, port, output)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A running mosquitto with the project's files; ended after the test, passed or not."""
    started = processes.Processes()
    try:
        yield start_broker(tmp_path, started)
    finally:
        started.end_all()


class Client:
    """A paho MQTT v5 client over TLS that keeps what it receives."""

    def __init__(self, broker: Broker, user: str, password: str) -> None:
        self.messages: list[mqtt.MQTTMessage] = []
        self.connected = threading.Event()
        self.answered = threading.Event()
        self.reason: str | None = None
        self._changed = threading.Condition()
        self.mqtt = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.mqtt.username_pw_set(user, password)
        self.mqtt.tls_set(ca_certs=str(broker.files.ca_cert))
        self.mqtt.on_connect = self._on_connect
        self.mqtt.on_message = self._on_message
        self.broker = broker

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self.reason = str(reason)
        if not reason.is_failure:
            self.connected.set()
        self.answered.set()

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()

    def connect(self, timeout: float = 10.0) -> bool:
        """Connect and return whether the broker let this client in."""
        self.mqtt.connect(HOST, self.broker.port)
        self.mqtt.loop_start()
        assert self.answered.wait(timeout), "the broker did not answer the connection"
        return self.connected.is_set()

    def subscribe(self, topic: str, timeout: float = 10.0) -> list[int]:
        """Subscribe and return the reason codes the broker granted (0-2 ok, 128+ refused)."""
        granted = threading.Event()
        codes: list[int] = []

        def on_subscribe(client: Any, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
            codes.extend(int(r.value) for r in reasons)
            granted.set()

        self.mqtt.on_subscribe = on_subscribe
        self.mqtt.subscribe(topic, qos=1)
        assert granted.wait(timeout), "the broker did not answer the subscription"
        return codes

    def wait_messages(self, count: int, timeout: float) -> list[mqtt.MQTTMessage]:
        """Wait until count messages came (or timeout); return those that came."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)

    def close(self) -> None:
        self.mqtt.disconnect()
        self.mqtt.loop_stop()


def town_settings(broker: Broker, folder: Path) -> Settings:
    """Return a town's settings on the broker's data folder, with a signing key made here."""
    from playlists.bundles.keys import generate_keys
    from playlists.settings import TownSettings
    from tests.conftest import make_settings

    private, _ = generate_keys(folder / "keys", "town")
    town = TownSettings(signing_key=str(private), broker_port=broker.port)
    return make_settings(folder / TOWN_DATA, town=town)


def add_village(store: Store, broker: Broker, name: str, token: str) -> str:
    """Register a village at the town as `village add` does; return its broker user."""
    from playlists.access.tokens import hash_secret

    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO villages (name, token_hash, created_at) VALUES (?, ?, ?)",
            (name, hash_secret(token), NOW.isoformat()),
        )
    return broker_setup.grant_village(broker.files, token)
