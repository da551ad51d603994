"""The town's broker files run a real mosquitto: TLS, passwords, ACLs and revocation."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from playlists.access.tokens import hash_secret
from playlists.errors import BrokerError
from playlists.sync import broker_topics
from playlists.town import broker_passwords, broker_setup
from tests.broker_kit import NOW, Broker, Client, broker

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml
__all__ = ["broker"]  # the fixture, used by name

EAST, WEST = "vcd_east-" + "e" * 34, "vcd_west-" + "w" * 34


def village(broker: Broker, token: str) -> Client:
    return Client(broker, broker_topics.user_for_token(token), token)


def town(broker: Broker) -> Client:
    return Client(broker, broker_topics.TOWN_USER, broker_setup.town_password(broker.files))


def test_init_writes_owner_only_files_and_refuses_a_second_ca(tmp_path: Path) -> None:
    files = broker_setup.BrokerFiles(tmp_path / "broker")
    broker_setup.init_broker(files, "东镇", ["127.0.0.1"], 8883, "", NOW)
    config = files.config.read_text()
    assert "allow_anonymous false" in config and "listener 8883\n" in config
    assert f"password_file {files.passwords}" in config and f"acl_file {files.acl}" in config
    assert list(broker_passwords.read_entries(files.passwords)) == ["town"]
    for path in files.folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    before = files.ca_cert.read_bytes()
    with pytest.raises(BrokerError, match="already exists"):
        broker_setup.init_broker(files, "东镇", ["127.0.0.1"], 8883, "", NOW)
    assert files.ca_cert.read_bytes() == before


def test_village_connects_over_tls_and_hears_its_own_and_town_wide_topics(
    broker: Broker,
) -> None:
    user = broker_setup.grant_village(broker.files, EAST)
    east, sender = village(broker, EAST), town(broker)
    try:
        assert east.connect(), east.reason
        assert east.subscribe(broker_topics.to_village(user, "#")) == [1]
        assert east.subscribe(broker_topics.to_all("#")) == [1]
        assert sender.connect(), sender.reason
        sender.mqtt.publish(broker_topics.to_village(user, "emergency"), b"one", qos=1)
        sender.mqtt.publish(broker_topics.to_all("emergency"), b"all", qos=1)
        got = east.wait_messages(2, timeout=10)
        assert [m.payload for m in got] == [b"one", b"all"]
    finally:
        east.close()
        sender.close()


def test_a_village_cannot_read_or_answer_for_another(broker: Broker) -> None:
    east_user = broker_setup.grant_village(broker.files, EAST)
    broker_setup.grant_village(broker.files, WEST)
    west, sender = village(broker, WEST), town(broker)
    try:
        assert west.connect() and sender.connect()
        # mosquitto grants the subscription but never delivers what the ACL denies.
        west.subscribe(broker_topics.to_village(east_user, "#"))
        west.subscribe(broker_topics.to_all("#"))
        assert sender.subscribe(f"{broker_topics.FROM}/#") == [1]
        sender.mqtt.publish(broker_topics.to_village(east_user, "emergency"), b"east", qos=1)
        west.mqtt.publish(broker_topics.from_village(east_user, "ack"), b"forged", qos=1)
        west_user = broker_topics.user_for_token(WEST)
        west.mqtt.publish(broker_topics.from_village(west_user, "ack"), b"own", qos=1)
        sender.mqtt.publish(broker_topics.to_all("emergency"), b"all", qos=1)
        # Each sender's messages arrive in order: the last one seen means the rest are in.
        assert [m.payload for m in west.wait_messages(1, timeout=10)] == [b"all"]
        assert [m.payload for m in sender.wait_messages(1, timeout=10)] == [b"own"]
        assert [m.payload for m in west.messages] == [b"all"]
        assert [m.payload for m in sender.messages] == [b"own"]
    finally:
        west.close()
        sender.close()


def test_every_village_hears_the_towns_poll_now_and_none_can_send_one(broker: Broker) -> None:
    broker_setup.grant_village(broker.files, EAST)
    broker_setup.grant_village(broker.files, WEST)
    east, west, sender = village(broker, EAST), village(broker, WEST), town(broker)
    poll_now = broker_topics.to_all(broker_topics.POLL_NOW)
    try:
        assert east.connect() and west.connect() and sender.connect()
        assert east.subscribe(poll_now) == [1]
        assert sender.subscribe(f"{broker_topics.FROM}/#") == [1]
        west.mqtt.publish(poll_now, b"forged", qos=1)  # the ACL drops it
        west_user = broker_topics.user_for_token(WEST)
        west.mqtt.publish(broker_topics.from_village(west_user, "ack"), b"own", qos=1)
        # One client's messages are handled in order: once "own" is in, so was "forged".
        assert [m.payload for m in sender.wait_messages(1, timeout=10)] == [b"own"]
        sender.mqtt.publish(poll_now, b"{}", qos=1)
        assert [m.payload for m in east.wait_messages(1, timeout=10)] == [b"{}"]
        assert [m.payload for m in east.messages] == [b"{}"]
    finally:
        for client in (east, west, sender):
            client.close()


@pytest.mark.parametrize(
    ("user", "password"),
    [
        (broker_topics.user_for_token(EAST), "vcd_wrong"),
        ("", ""),
        (broker_topics.TOWN_USER, EAST),
    ],
    ids=["wrong-password", "anonymous", "village-token-as-town"],
)
def test_bad_credentials_are_refused(broker: Broker, user: str, password: str) -> None:
    broker_setup.grant_village(broker.files, EAST)
    client = Client(broker, user, password)
    try:
        assert not client.connect()
        assert client.reason in ("Not authorized", "Bad user name or password")
    finally:
        client.close()


def test_a_removed_village_is_cut_off_and_cannot_connect_again(broker: Broker) -> None:
    broker_setup.grant_village(broker.files, EAST)
    east = village(broker, EAST)
    try:
        assert east.connect()
        assert broker_setup.revoke_village(broker.files, hash_secret(EAST)) is True
        east.mqtt.loop_stop()
        assert not east.mqtt.is_connected() or _dropped(east)
    finally:
        east.close()
    again = village(broker, EAST)
    try:
        assert not again.connect()
    finally:
        again.close()
    assert broker_setup.revoke_village(broker.files, hash_secret(EAST)) is False


def _dropped(client: Client) -> bool:
    """Run the client's network loop until the broker drops it; True if it did."""
    for _ in range(100):
        client.mqtt.loop(timeout=0.1)
        if not client.mqtt.is_connected():
            return True
    return False


def test_a_stale_pid_file_naming_another_process_is_not_signalled(tmp_path: Path) -> None:
    files = broker_setup.BrokerFiles(tmp_path / "broker")
    files.folder.mkdir()
    files.pid.write_text(f"{os.getpid()}\n")  # this test's python, not a mosquitto
    assert broker_setup.reload_broker(files) is False
    files.pid.write_text("not a pid\n")
    assert broker_setup.reload_broker(files) is False
