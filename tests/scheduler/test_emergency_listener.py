"""A village hears the town's emergency on a real mosquitto, plays it once and answers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from playlists.access.tokens import hash_secret
from playlists.bundles.keys import generate_keys, load_signing_key
from playlists.commands import PlaySpeech, ReasonCode, answer, decode_request
from playlists.errors import NotFoundError
from playlists.model import Outcome, Priority
from playlists.record import asrun
from playlists.record.notes import english
from playlists.settings import AudioSettings, BundleSettings, Settings, SyncSettings, TownSettings
from playlists.store import Store
from playlists.sync import broker_topics
from playlists.sync import emergency_wire as wire
from playlists.town import broker_setup, emergency_dispatch, emergency_log, emergency_send
from playlists.town.answer_recorder import AnswerRecorder
from scheduler.daemon import Daemon
from scheduler.emergency_listener import EmergencyListener
from tests.broker_kit import TOWN_DATA, Broker, Client, broker
from tests.conftest import live_player, make_settings
from tests.scheduler.test_cli import villagecast
from tests.web_fixtures import NOW, FakePlayer

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml
__all__ = ["broker"]  # the fixture, used by name

TOKEN = "vcd_listener-" + "l" * 30
HOUR = dt.timedelta(hours=1)


@dataclasses.dataclass
class Town:
    settings: Settings
    watcher: Client  # the town's view of the villages' answers


@pytest.fixture
def town(broker: Broker, tmp_path: Path) -> Iterator[Town]:
    private, _ = generate_keys(tmp_path / "keys", "town")
    settings = make_settings(
        tmp_path / TOWN_DATA,
        town=TownSettings(signing_key=str(private), broker_port=broker.port),
    )
    watcher = Client(broker, broker_topics.TOWN_USER, broker_setup.town_password(broker.files))
    assert watcher.connect()
    assert watcher.subscribe(f"{broker_topics.FROM}/#") == [1]
    yield Town(settings, watcher)
    watcher.close()


Listen = Callable[[dt.datetime], EmergencyListener]


@pytest.fixture
def listen(broker: Broker, town: Town, settings: Settings, store: Store) -> Iterator[Listen]:
    """Start the village's listener with a clock standing at a given instant."""
    broker_setup.grant_village(broker.files, TOKEN)
    public = load_signing_key(Path(town.settings.town.signing_key)).public
    village_settings = dataclasses.replace(
        settings,
        sync=SyncSettings(
            device_token=TOKEN,
            broker_host="127.0.0.1",
            broker_port=broker.port,
            broker_ca=str(broker.files.ca_cert),
        ),
        bundles=BundleSettings(trusted_keys=(public.line,)),
    )
    started: list[EmergencyListener] = []

    def start(now: dt.datetime) -> EmergencyListener:
        listener = EmergencyListener(village_settings, store, lambda: now)
        started.append(listener)
        listener.start()
        assert listener.connected.wait(10), "the village did not reach the broker"
        return listener

    yield start
    for listener in started:
        listener.stop()


@pytest.fixture
def village(listen: Listen) -> EmergencyListener:
    return listen(NOW)


def answers(town: Town, count: int) -> list[tuple[str, wire.AckState, str]]:
    return [wire.decode_ack(m.payload) for m in town.watcher.wait_messages(count, timeout=30)]


def test_the_village_plays_the_town_emergency_at_once_and_answers(
    town: Town, village: EmergencyListener, store: Store, tmp_path: Path
) -> None:
    message = wire.new_emergency("防汛", "河水上涨，请立即转移。", 1, HOUR, NOW)
    with FakePlayer(store, answer(ReasonCode.STARTED)) as player:
        sent_at = time.monotonic()
        topics = emergency_send.send(town.settings, store, message, [], "test", NOW)
        got = answers(town, 2)
        took = time.monotonic() - sent_at
    assert topics == [broker_topics.to_all(wire.SUBJECT)]
    assert got == [
        (message.id, wire.AckState.RECEIVED, ""),
        (message.id, wire.AckState.STARTED, ""),
    ]
    (command,) = player.taken
    request = decode_request(command["kind"], command["payload"])
    assert isinstance(request, PlaySpeech) and request.priority is Priority.EMERGENCY
    print(f"town send → village 'started' answer: {took:.2f} s")


def test_a_replayed_or_wrongly_signed_message_is_refused_and_logged(
    town: Town,
    village: EmergencyListener,
    store: Store,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    message = wire.new_emergency("", "请注意", 1, HOUR, NOW)
    key = load_signing_key(Path(town.settings.town.signing_key))
    stranger = load_signing_key(generate_keys(tmp_path / "keys", "stranger")[0])
    payload = wire.encode(message, key)
    topic = broker_topics.to_all(wire.SUBJECT)
    with FakePlayer(store, answer(ReasonCode.STARTED)) as player:
        town.watcher.mqtt.publish(topic, payload, qos=1)
        assert len(answers(town, 2)) == 2
        town.watcher.mqtt.publish(topic, payload, qos=1)
        forged = wire.new_emergency("", "假消息", 1, HOUR, NOW)
        town.watcher.mqtt.publish(topic, wire.encode(forged, stranger), qos=1)
        deadline = time.monotonic() + 30
        while "untrusted" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    assert f"town emergency {message.id} not played: replayed" in caplog.text
    assert "town emergency ? not played: refused untrusted" in caplog.text
    assert len(player.taken) == 1
    assert len(town.watcher.messages) == 2  # nothing more was answered


@pytest.mark.parametrize(
    ("back_at", "played"),
    [(NOW + HOUR / 2, True), (NOW + 2 * HOUR, False)],
    ids=["back-before-the-deadline", "back-after-the-deadline"],
)
def test_a_village_offline_during_the_send_plays_it_only_before_the_deadline(
    town: Town, listen: Listen, store: Store, back_at: dt.datetime, played: bool
) -> None:
    listen(NOW).stop()  # the broker now keeps this village's session while it is away
    message = wire.new_emergency("", "请注意", 1, HOUR, NOW)
    with FakePlayer(store, answer(ReasonCode.STARTED)) as player:
        emergency_send.send(town.settings, store, message, [], "test", NOW)
        listen(back_at)
        got = answers(town, 2 if played else 1)
    if played:
        assert [state for _, state, _ in got] == [wire.AckState.RECEIVED, wire.AckState.STARTED]
        assert len(player.taken) == 1
    else:
        assert got == [(message.id, wire.AckState.FAILED, "expired")]
        assert player.taken == []


def test_the_town_names_villages_or_speaks_to_all(town: Town, store: Store) -> None:
    from playlists.town import villages

    token = villages.add_village(store, "东村", "test", NOW)
    east = broker_topics.user_for_token(token)
    assert emergency_send.topics_for(store, ["东村"]) == [
        broker_topics.to_village(east, wire.SUBJECT)
    ]
    assert emergency_send.topics_for(store, []) == [broker_topics.to_all(wire.SUBJECT)]
    with pytest.raises(NotFoundError, match="no village is named '西村'"):
        emergency_send.topics_for(store, ["西村"])


MPV = ["mpv", "--ao=null", "--no-video", "--no-terminal", "--really-quiet",
       "--start={offset}", "{file}"]  # fmt: skip


@dataclasses.dataclass
class RunningVillage:
    user: str
    store: Store
    daemon: Daemon
    thread: threading.Thread


def start_village(broker: Broker, town: Town, folder: Path, token: str) -> RunningVillage:
    """Start a village's real player daemon (mpv --ao=null) that listens to the broker."""
    broker_setup.grant_village(broker.files, token)
    public = load_signing_key(Path(town.settings.town.signing_key)).public
    settings = make_settings(
        folder,
        audio=AudioSettings(sink="command", command=tuple(MPV)),
        player=live_player(grace_seconds=60, poll_seconds=0.05),
        sync=SyncSettings(
            device_token=token,
            broker_host="127.0.0.1",
            broker_port=broker.port,
            broker_ca=str(broker.files.ca_cert),
        ),
        bundles=BundleSettings(trusted_keys=(public.line,)),
    )
    store = Store.open(settings.db_path)
    daemon = Daemon(settings, store)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    return RunningVillage(broker_topics.user_for_token(token), store, daemon, thread)


def add_village_row(store: Store, name: str, token: str) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO villages (name, token_hash, created_at) VALUES (?, ?, ?)",
            (name, hash_secret(token), "2023-03-28T03:00:00"),
        )


def wait_for(
    read: Callable[[], list[emergency_log.Answer]], state: str, timeout: float = 10
) -> list[emergency_log.Answer]:
    """Read the town's kept answers until every village is in the state (or timeout)."""
    deadline = time.monotonic() + timeout
    kept = read()
    while any(a.state != state for a in kept) and time.monotonic() < deadline:
        time.sleep(0.05)
        kept = read()
    return kept


def test_three_running_players_air_the_town_emergency_and_record_it(
    broker: Broker, town: Town, tmp_path: Path
) -> None:
    running: list[RunningVillage] = []
    town_store = Store.open(town.settings.db_path)
    # The town's panel keeps the answers (playlists/town/answer_recorder.py).
    recorder = AnswerRecorder(town.settings, town_store, lambda: dt.datetime.now(dt.UTC))
    recorder.start()
    try:
        for index in range(3):
            token = f"vcd_village{index}-" + "v" * 30
            add_village_row(town_store, f"村{index}", token)
            running.append(start_village(broker, town, tmp_path / f"village{index}", token))
        for village in running:
            assert village.daemon.emergencies is not None
            assert village.daemon.emergencies.connected.wait(10), "a player did not connect"
        assert recorder.subscribed.wait(10), "the town's listener did not subscribe"
        now = dt.datetime.now(dt.UTC)  # the players keep real time
        message = wire.new_emergency("防汛", "河水上涨。", 2, HOUR, now)
        sent_at = time.monotonic()
        emergency_dispatch.dispatch(town.settings, town_store, message, [], "test", now)
        states: dict[str, list[wire.AckState]] = {v.user: [] for v in running}
        started: dict[str, float] = {}
        for got in town.watcher.wait_messages(9, timeout=60):
            user = got.topic.split("/")[-2]
            _, state, _ = wire.decode_ack(got.payload)
            states[user].append(state)
            if state is wire.AckState.STARTED:
                started[user] = got.timestamp - sent_at
        expected = [wire.AckState.RECEIVED, wire.AckState.STARTED, wire.AckState.PLAYED]
        assert states == {v.user: expected for v in running}
        for village in running:
            (row,) = asrun.all_rows(village.store)
            assert (row.status, row.priority, row.requested_by) == (
                Outcome.PLAYED,
                Priority.EMERGENCY,
                "town:emergency",
            )
            # The row carries the text and the repeats, and travels so to the town.
            assert english(row.reason) == "emergency said 2 times, 3 s apart: 河水上涨。"
        print("town send → 'started' per village:", sorted(f"{t:.2f} s" for t in started.values()))
        kept = wait_for(lambda: emergency_log.answers(town_store, message.id), "played")
        assert [(a.village, a.state) for a in kept] == [(f"村{i}", "played") for i in range(3)]
    finally:
        recorder.stop()
        for village in running:
            village.daemon.stop()
        for village in running:
            village.thread.join(timeout=30)
            village.store.close()
        town_store.close()
    assert not any(v.thread.is_alive() for v in running), "a daemon did not stop"


def test_villagecast_emergency_shows_each_villages_answer(
    broker: Broker, town: Town, listen: Listen, store: Store, tmp_path: Path
) -> None:
    """`villagecast emergency` at the town (scheduler/town_commands.py), two villages."""
    town_store = Store.open(town.settings.db_path)
    try:
        for name, token in (("东村", TOKEN), ("西村", "vcd_silent-" + "s" * 32)):
            with town_store.transaction() as conn:
                conn.execute(
                    "INSERT INTO villages (name, token_hash, created_at) VALUES (?, ?, ?)",
                    (name, hash_secret(token), "2023-03-28T03:00:00"),
                )
    finally:
        town_store.close()
    config = tmp_path / "config.yaml"
    config.write_text(
        f"data_dir: {TOWN_DATA}\n"
        f"town: {{signing_key: {town.settings.town.signing_key}, broker_port: {broker.port}}}\n",
        encoding="utf-8",
    )
    listen(dt.datetime.now(dt.UTC))  # 东村 listens; 西村 never connects
    with FakePlayer(store, answer(ReasonCode.STARTED)):
        result = villagecast(
            "emergency", "河水上涨，请立即转移。", "--title", "防汛", "--watch", "8", config=config
        )
    assert result.returncode == 1, result.stderr  # 西村 did not answer
    assert "  东村: received\n  东村: started\n" in result.stdout
    table = result.stdout.split("village ")[-1].splitlines()[1:]
    assert [line.split()[:2] for line in table] == [["东村", "started"], ["西村", "no"]]
