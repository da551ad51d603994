"""The town's table of the villages' answers to one emergency, on a real mosquitto."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from playlists.access.tokens import hash_secret
from playlists.settings import TownSettings
from playlists.store import Store
from playlists.sync import broker_topics
from playlists.sync.emergency_wire import ACK_SUBJECT, AckState, encode_ack
from playlists.town import broker_setup
from playlists.town.emergency_acks import NO_ANSWER, AckWatcher, VillageAnswer
from tests.broker_kit import NOW, TOWN_DATA, Broker, Client, broker
from tests.conftest import make_settings

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml
__all__ = ["broker"]  # the fixture, used by name

IDENT, OTHER = "ab" * 16, "cd" * 16
EAST, WEST = "vcd_east-" + "e" * 34, "vcd_west-" + "w" * 34


def test_each_village_keeps_its_latest_answer_to_this_emergency(
    broker: Broker, store: Store, tmp_path: Path
) -> None:
    for name, token in (("东村", EAST), ("西村", WEST)):
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO villages (name, token_hash, created_at) VALUES (?, ?, ?)",
                (name, hash_secret(token), "2026-12-05T08:00:00"),
            )
    settings = make_settings(tmp_path / TOWN_DATA, town=TownSettings(broker_port=broker.port))
    seen: list[VillageAnswer] = []
    watcher = AckWatcher(settings, store, seen.append)
    watcher.expect(IDENT)
    watcher.start()
    sender = Client(broker, broker_topics.TOWN_USER, broker_setup.town_password(broker.files))
    try:
        assert sender.connect()
        east = broker_topics.from_village(broker_topics.user_for_token(EAST), ACK_SUBJECT)
        for ident, state in (
            (IDENT, AckState.STARTED),
            (OTHER, AckState.FAILED),  # another emergency's answer
            (IDENT, AckState.PLAYED),
            (IDENT, AckState.RECEIVED),  # late: never undoes "played"
        ):
            sender.mqtt.publish(east, encode_ack(ident, state, "", NOW), qos=1)
        sender.mqtt.publish(east, b"not json", qos=1)
        # One sender's messages arrive in order: once 西村's is in, all of 东村's are.
        west = broker_topics.from_village(broker_topics.user_for_token(WEST), ACK_SUBJECT)
        sender.mqtt.publish(west, encode_ack(IDENT, AckState.RECEIVED, "", NOW), qos=1)
        deadline = time.monotonic() + 10
        while len(seen) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        sender.close()
        watcher.stop()
    assert [(answer.village, answer.state) for answer in seen] == [
        ("东村", "started"),
        ("东村", "played"),
        ("西村", "received"),
    ]
    assert watcher.table() == [VillageAnswer("东村", "played"), VillageAnswer("西村", "received")]


def test_a_village_that_did_not_answer_is_named(
    broker: Broker, store: Store, tmp_path: Path
) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO villages (name, token_hash, created_at) VALUES (?, ?, ?)",
            ("北村", hash_secret(EAST), "2026-12-05T08:00:00"),
        )
    settings = make_settings(tmp_path / TOWN_DATA, town=TownSettings(broker_port=broker.port))
    assert AckWatcher(settings, store).table() == [VillageAnswer("北村", NO_ANSWER)]
