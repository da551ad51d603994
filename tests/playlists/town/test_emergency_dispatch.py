"""The town's one door for an emergency: kept, signed, published; refused, nothing kept."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from media.audio import probe
from media.fastspeech2_engine import FastSpeech2Engine
from media.mbrola import MbrolaEngine
from media.tts import URGENT_ONLINE_SECONDS, EngineChain, EspeakEngine, TtsEngine
from playlists.bundles.keys import load_signing_key
from playlists.content import emergency_speech
from playlists.content.ingest import Ingest
from playlists.errors import BrokerError, NotFoundError
from playlists.record import audit
from playlists.settings import Settings, TownSettings
from playlists.store import Store
from playlists.sync import broker_topics
from playlists.sync import emergency_wire as wire
from playlists.town import emergency_dispatch, emergency_log, emergency_relay
from tests.broker_kit import NOW, Broker, Client, add_village, broker, free_port, town_settings
from tests.playlists.content.test_emergency_speech import BlockedGoogle

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


# -- the town speaks the text for the villages -------------------------------------------

TEXT = "河水上涨，请沿河村民立即转移。"


def espeak_as(name: str) -> EspeakEngine:
    """The real espeak-ng under another engine's name: an online voice, faked."""
    engine = EspeakEngine()
    engine.name = name
    return engine


def chain_of(store: Store, settings: Settings, *engines: TtsEngine) -> Ingest:
    return Ingest(store, settings, EngineChain(engines))


@pytest.mark.parametrize(
    ("engines", "voice"),
    [
        pytest.param(
            lambda: [FastSpeech2Engine(), EspeakEngine()], "fastspeech2", id="clear-offline"
        ),
        pytest.param(lambda: [espeak_as("edge-tts")], "edge-tts", id="online-microsoft"),
        pytest.param(lambda: [espeak_as("gtts")], "gtts", id="online-google"),
        pytest.param(lambda: [MbrolaEngine(), EspeakEngine()], "", id="no-clearer-than-mbrola"),
        pytest.param(lambda: [espeak_as("kokoro")], "", id="kokoro-less-clear"),
        pytest.param(lambda: [EspeakEngine()], "", id="backup-only"),
    ],
)
def test_the_town_speaks_the_text_when_its_voice_is_clearer_than_the_villages(
    store: Store, settings: Settings, engines: Callable[[], list[TtsEngine]], voice: str
) -> None:
    ingest = chain_of(store, settings, *engines())
    message = wire.new_emergency("防汛", TEXT, 2, HALF_HOUR, NOW)
    carried, engine = emergency_dispatch.spoken_by_town(ingest, message)
    assert engine == voice
    if not voice:
        assert carried == message, "the villages speak the text themselves"
        return
    assert dataclasses.replace(carried, audio=b"") == message, "only the speech was added"
    assert carried.audio.startswith(b"OggS")
    [spoken] = store.query("SELECT * FROM media WHERE engine = ?", (voice,))
    # A village plays the town's speech, said as many times as the town asked.
    played = emergency_speech.repeated_recording(ingest, carried.audio, 2, 3)
    once = float(spoken["duration"])
    assert played.duration == pytest.approx(2 * once + 3, abs=0.3)
    assert probe(ingest.path_of(played)).duration == pytest.approx(played.duration, abs=0.05)


def test_the_town_waits_for_a_blocked_online_voice_a_few_seconds_at_most(
    store: Store, settings: Settings
) -> None:
    google = BlockedGoogle(timeout=10)
    ingest = chain_of(store, settings, google, FastSpeech2Engine())
    message = wire.new_emergency("", TEXT, 1, HALF_HOUR, NOW)
    carried, engine = emergency_dispatch.spoken_by_town(ingest, message)
    assert google.waited == [URGENT_ONLINE_SECONDS] and engine == "fastspeech2"
    assert carried.audio.startswith(b"OggS")


def test_a_recording_goes_as_it_is(store: Store, settings: Settings) -> None:
    ingest = chain_of(store, settings, espeak_as("gtts"))
    message = wire.new_emergency("", TEXT, 1, HALF_HOUR, NOW, b"OggS-recording")
    assert emergency_dispatch.spoken_by_town(ingest, message) == (message, "")
    assert store.query("SELECT * FROM media") == [], "nothing was spoken"


def test_a_town_that_does_not_speak_its_emergencies_sends_the_text(
    store: Store, settings: Settings
) -> None:
    quiet = dataclasses.replace(
        settings, town=dataclasses.replace(settings.town, speak_emergencies=False)
    )
    ingest = chain_of(store, quiet, espeak_as("gtts"))
    message = wire.new_emergency("", TEXT, 1, HALF_HOUR, NOW)
    assert emergency_dispatch.spoken_by_town(ingest, message) == (message, "")
    assert store.query("SELECT * FROM media") == [], "nothing was spoken"


def test_speech_the_villages_cannot_carry_leaves_the_text_to_them(
    store: Store,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(emergency_dispatch, "MAX_RECORDING_SECONDS", 1)
    ingest = chain_of(store, settings, espeak_as("gtts"))
    message = wire.new_emergency("", TEXT, 1, HALF_HOUR, NOW)
    with caplog.at_level(logging.WARNING):
        assert emergency_dispatch.spoken_by_town(ingest, message) == (message, "")
    assert f"the villages speak emergency {message.id} themselves" in caplog.text


def test_the_towns_speech_reaches_the_villages_and_is_kept_with_its_voice(
    broker: Broker, town: Town
) -> None:
    west = listening(broker, WEST)
    try:
        ingest = chain_of(town.store, town.settings, espeak_as("edge-tts"))
        message, voice = emergency_dispatch.spoken_by_town(
            ingest, wire.new_emergency("防汛", TEXT, 1, HALF_HOUR, NOW)
        )
        emergency_dispatch.dispatch(town.settings, town.store, message, [], "zhang", NOW, voice)
        [got] = west.wait_messages(1, timeout=10)
        public = load_signing_key(Path(town.settings.town.signing_key)).public
        assert wire.decode(got.payload, [public]).audio == message.audio != b""
    finally:
        west.close()
    kept = emergency_log.get_sent(town.store, message.id)
    assert (kept.voice, kept.recording) == ("edge-tts", False)
