"""The town's one door for an emergency: kept, signed, published; refused, nothing kept."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from playlists.bundles.keys import load_signing_key
from playlists.errors import BrokerError, NotFoundError
from playlists.record import audit
from playlists.settings import Settings, TownSettings
from playlists.store import Store
from playlists.sync import broker_topics
from playlists.sync import emergency_wire as wire
from playlists.town import emergency_dispatch, emergency_log, emergency_relay
from tests.broker_kit import NOW, Broker, Client, add_village, broker, free_port, town_settings

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml
__all__ = ["broker"]  # the fixture, used by name

EAST, WEST = "vcd_east-" + "e" * 34, "vcd_west-" + "w" * 34
HALF_HOUR = dt.timedelta(minutes=30)


@dataclasses.dataclass
class Town:
    settings: Settings
    store: Store


@pytest.fixture
def town(broker: Broker, tmp_path: Path) -> Town:
    settings = town_settings(broker, tmp_path)
    store = Store.open(settings.db_path)
    add_village(store, broker, "东村", EAST)
    add_village(store, broker, "西村", WEST)
    return Town(settings, store)


def listening(broker: Broker, token: str) -> Client:
    user = broker_topics.user_for_token(token)
    client = Client(broker, user, token)
    assert client.connect()
    assert client.subscribe(broker_topics.to_all(wire.SUBJECT)) == [1]
    assert client.subscribe(broker_topics.to_village(user, wire.SUBJECT)) == [1]
    return client


def kept(store: Store) -> list[object]:
    sent = store.query("SELECT * FROM town_emergency_sent")
    return [*sent, *store.query("SELECT * FROM town_emergency_answers")]


@pytest.mark.parametrize(
    ("villages", "east_hears", "rows"),
    [
        pytest.param([], True, ["东村", "西村"], id="every-village"),
        pytest.param(["西村"], False, ["西村"], id="chosen"),
    ],
)
def test_the_emergency_is_kept_signed_and_reaches_the_villages(
    broker: Broker, town: Town, villages: list[str], east_hears: bool, rows: list[str]
) -> None:
    east, west = listening(broker, EAST), listening(broker, WEST)
    try:
        message = wire.new_emergency("防汛", "河水上涨。", 3, HALF_HOUR, NOW)
        emergency_dispatch.dispatch(town.settings, town.store, message, villages, "zhang", NOW)
        [got] = west.wait_messages(1, timeout=10)
        public = load_signing_key(Path(town.settings.town.signing_key)).public
        assert wire.decode(got.payload, [public]) == message
        assert bool(east.wait_messages(1, timeout=1 if not east_hears else 10)) is east_hears
    finally:
        east.close()
        west.close()
    answers = emergency_log.answers(town.store, message.id)
    assert [(a.village, a.state) for a in answers] == [(name, "no answer") for name in rows]
    [row] = audit.rows(town.store, action="play")
    assert row.username == "zhang" and "河水上涨。" in (row.detail or "")


def test_an_unknown_village_sends_nothing_and_keeps_nothing(broker: Broker, town: Town) -> None:
    west = listening(broker, WEST)
    try:
        message = wire.new_emergency("", "河水上涨。", 1, HALF_HOUR, NOW)
        with pytest.raises(NotFoundError):
            emergency_dispatch.dispatch(town.settings, town.store, message, ["北村"], "zhang", NOW)
        assert west.wait_messages(1, timeout=1) == []
    finally:
        west.close()
    assert kept(town.store) == []


def test_a_send_without_the_towns_key_keeps_nothing(town: Town) -> None:
    settings = dataclasses.replace(
        town.settings, town=dataclasses.replace(town.settings.town, signing_key="")
    )
    assert isinstance(settings.town, TownSettings)
    message = wire.new_emergency("", "河水上涨。", 1, HALF_HOUR, NOW)
    with pytest.raises(BrokerError):
        emergency_dispatch.dispatch(settings, town.store, message, [], "zhang", NOW)
    assert kept(town.store) == []
    assert audit.rows(town.store, action="play") == []


def test_with_the_broker_down_the_emergency_is_kept_for_the_villages_sync(town: Town) -> None:
    settings = dataclasses.replace(
        town.settings, town=dataclasses.replace(town.settings.town, broker_port=free_port())
    )
    message = wire.new_emergency("", "河水上涨。", 1, HALF_HOUR, NOW)
    assert emergency_dispatch.dispatch(settings, town.store, message, [], "zhang", NOW) == []
    assert kept(town.store) != []  # the live table waits for the answers by sync
    assert [
        m.parent.name for m in emergency_relay.folder(settings.data_dir).glob("*/message.json")
    ] == [message.id]
