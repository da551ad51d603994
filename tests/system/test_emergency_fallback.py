"""A town emergency when the broker is down: it goes by the village's sync, played once.

A real mosquitto (the project's broker files) and the town's real panel under waitress on
loopback; the village's emergency listener and sync thread in this process, the sync
driven one poll at a time (`SyncThread.step`), a fake player answering the commands.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import waitress
from flask import Flask

from playlists.bundles.keys import generate_keys, load_signing_key
from playlists.commands import PlaySpeech, ReasonCode, answer, decode_request
from playlists.content.ingest import Ingest
from playlists.model import Outcome, Priority
from playlists.record import asrun, audit
from playlists.settings import (
    AudioSettings,
    BundleSettings,
    Settings,
    SyncSettings,
    TownSettings,
)
from playlists.store import Store
from playlists.sync import broker_topics
from playlists.sync import emergency_wire as wire
from playlists.sync.emergency_outbox import AnswerOutbox
from playlists.sync.transport import UrllibClient
from playlists.town import broker_setup, emergency_relay, emergency_send, sharing, villages
from scheduler.daemon import Daemon
from scheduler.emergency_listener import EmergencyListener
from scheduler.sync_thread import SyncThread
from tests import processes
from tests.broker_kit import TOWN_DATA, Broker, Client, start_broker
from tests.conftest import live_player, make_settings
from tests.town_kit import add_media_playlist
from tests.web_fixtures import NOW, FakePlayer, add_user, csrf_of, log_in, stop_serving
from web import create_app
from web.state import EXTENSION

pytestmark = pytest.mark.slow  # real processes or real time: see pyproject.toml

HOUR = dt.timedelta(hours=1)
TEXT = "河水上涨，请沿河村民立即转移。"


@dataclasses.dataclass
class Town:
    settings: Settings
    store: Store
    url: str
    broker: Broker
    broker_processes: processes.Processes
    app: Flask

    def stop_broker(self) -> None:
        self.broker_processes.end_all()

    def start_broker_again(self) -> None:
        """Start mosquitto again on the same files and port (its sessions are gone)."""
        process = self.broker_processes.start(
            ["mosquitto", "-v", "-c", str(self.broker.files.config)],
            stdout=processes.subprocess.PIPE,
            stderr=processes.subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        processes.Output(process.stdout).wait_for(r"mosquitto version .* running", timeout=10)


@dataclasses.dataclass
class Village:
    user: str
    store: Store
    listener: EmergencyListener
    sync: SyncThread
    clock: list[dt.datetime]
    outbox: AnswerOutbox


@pytest.fixture
def town(tmp_path: Path) -> Iterator[Town]:
    """The town: its broker and its panel on loopback, its clock standing at NOW."""
    broker_processes = processes.Processes()
    server = None
    try:
        broker = start_broker(tmp_path, broker_processes)
        private, _ = generate_keys(tmp_path / "keys", "赤溪镇")
        settings = make_settings(
            tmp_path / TOWN_DATA,
            town=TownSettings(signing_key=str(private), broker_port=broker.port),
        )
        store = Store.open(settings.db_path)
        app = create_app(settings, store)
        app.extensions[EXTENSION].clock = lambda: NOW
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
        thread = threading.Thread(target=server.run, name="town", daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.effective_port}"
        yield Town(settings, store, url, broker, broker_processes, app)
        store.close()
    finally:
        if server is not None:
            stop_serving(server, thread)
        broker_processes.end_all()


@pytest.fixture
def village(town: Town, tmp_path: Path) -> Iterator[Village]:
    """東村 listening on the broker and syncing with the town's panel (one step at a time)."""
    token = villages.add_village(town.store, "东村", "cli:town", NOW)
    broker_setup.grant_village(town.broker.files, token)
    public = load_signing_key(Path(town.settings.town.signing_key)).public
    settings = make_settings(
        tmp_path / "village",
        sync=SyncSettings(
            town_url=town.url,
            device_token=token,
            broker_host="127.0.0.1",
            broker_port=town.broker.port,
            broker_ca=str(town.broker.files.ca_cert),
            poll_now_jitter_seconds=0,
        ),
        bundles=BundleSettings(trusted_keys=(public.line,)),
    )
    store = Store.open(settings.db_path)
    clock = [NOW]
    listener = EmergencyListener(settings, store, lambda: clock[0])
    sync = SyncThread(
        settings, store, lambda: clock[0], client=UrllibClient(10), on_emergency=listener.deliver
    )
    listener.wake_sync = sync.wake
    listener.start()
    assert listener.connected.wait(10), "the village did not reach the broker"
    user = broker_topics.user_for_token(token)
    try:
        yield Village(
            user, store, listener, sync, clock, AnswerOutbox.in_data_dir(settings.data_dir)
        )
    finally:
        listener.stop()
        store.close()


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def answered(town: Town, village: Village, ident: str, state: str) -> bool:
    """Tell whether the village gave this answer: waiting for a sync, or at the town."""
    waiting = any(kept["state"] == state for _path, kept in village.outbox.pending())
    at_town = emergency_relay.answers_for(town.settings.data_dir, ident).get(village.user)
    return waiting or (at_town is not None and at_town[0].value == state)


def cut_broker(town: Town, village: Village) -> None:
    town.stop_broker()
    assert wait_until(lambda: not village.listener.connected.is_set()), "still connected"


def test_with_the_broker_down_the_emergency_comes_with_the_next_poll_and_plays_once(
    town: Town, village: Village, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="scheduler.emergency_listener")
    cut_broker(town, village)
    message = wire.new_emergency("防汛", TEXT, 1, HOUR, NOW)
    with FakePlayer(village.store, answer(ReasonCode.STARTED)) as player:
        assert emergency_send.send(town.settings, town.store, message, [], "chief", NOW) == []
        village.sync.step()  # one poll
        assert wait_until(lambda: len(player.taken) == 1), "the emergency was not played"
        assert wait_until(lambda: answered(town, village, message.id, "started")), "no answer kept"
        village.sync.step()  # the answers go; the same emergency comes again
        assert wait_until(lambda: "not played: replayed" in caplog.text)
    (command,) = player.taken
    request = decode_request(command["kind"], command["payload"])
    assert isinstance(request, PlaySpeech) and request.priority is Priority.EMERGENCY
    assert request.text == TEXT
    assert village.outbox.pending() == []
    assert emergency_relay.answers_for(town.settings.data_dir, message.id) == {
        village.user: (wire.AckState.STARTED, "")
    }
    [row] = audit.rows(town.store, username="chief", limit=1)
    assert "broker down: by sync" in row.detail


def test_the_town_table_shows_answers_that_came_by_sync(town: Town, village: Village) -> None:
    from scheduler.town_commands import with_sync_answers

    cut_broker(town, village)
    message = wire.new_emergency("", TEXT, 1, HOUR, NOW)
    with FakePlayer(village.store, answer(ReasonCode.STARTED)):
        emergency_send.send(town.settings, town.store, message, [], "chief", NOW)
        village.sync.step()
        assert wait_until(lambda: answered(town, village, message.id, "started"))
        village.sync.step()
    table = with_sync_answers(town.settings, town.store, message.id, None)
    assert [(row.village, row.state) for row in table] == [("东村", "started")]


@pytest.mark.parametrize("first", ["broker", "sync"], ids=["broker-then-sync", "sync-then-broker"])
def test_the_same_emergency_by_both_ways_plays_once(
    town: Town, village: Village, first: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="scheduler.emergency_listener")
    message = wire.new_emergency("", TEXT, 1, HOUR, NOW)
    payload = wire.encode(message, load_signing_key(Path(town.settings.town.signing_key)))
    publisher = Client(
        town.broker, broker_topics.TOWN_USER, broker_setup.town_password(town.broker.files)
    )
    assert publisher.connect()
    try:
        with FakePlayer(village.store, answer(ReasonCode.STARTED)) as player:
            emergency_relay.keep(town.settings.data_dir, message, payload, None, NOW)
            for way in (first, "sync" if first == "broker" else "broker"):
                if way == "broker":
                    publisher.mqtt.publish(broker_topics.to_all(wire.SUBJECT), payload, qos=1)
                else:
                    village.sync.step()
                assert wait_until(lambda: len(player.taken) == 1), f"not played ({way})"
            assert wait_until(lambda: "not played: replayed" in caplog.text)
    finally:
        publisher.close()
    assert len(player.taken) == 1
    assert village.outbox.pending() == []  # answered on the broker, which was up


def test_an_emergency_expired_on_the_villages_clock_is_not_played_by_sync(
    town: Town, village: Village, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="scheduler.emergency_listener")
    cut_broker(town, village)
    message = wire.new_emergency("", TEXT, 1, HOUR, NOW)
    village.clock[0] = NOW + 2 * HOUR  # the town still serves it: its clock says NOW
    with FakePlayer(village.store, answer(ReasonCode.STARTED)) as player:
        emergency_send.send(town.settings, town.store, message, [], "chief", NOW)
        refused = f"town emergency {message.id} not played: expired"
        village.sync.step()
        assert wait_until(lambda: refused in caplog.text)
        assert wait_until(lambda: answered(town, village, message.id, "failed"))
        village.sync.step()  # the answer goes; the emergency comes again and is refused again
        assert wait_until(lambda: caplog.text.count(refused) == 2)
        village.sync.step()
    assert player.taken == []
    assert village.outbox.pending() == []
    assert emergency_relay.answers_for(town.settings.data_dir, message.id) == {
        village.user: (wire.AckState.FAILED, "expired")
    }


def test_a_poll_now_and_the_brokers_return_bring_the_next_sync_forward(
    town: Town, village: Village
) -> None:
    woken: list[float] = []
    village.listener.wake_sync = woken.append
    assert emergency_send.ask_villages_to_poll(town.settings) is True
    assert wait_until(lambda: woken == [0.0]), "the poll-now did not reach the village"
    cut_broker(town, village)
    assert emergency_send.ask_villages_to_poll(town.settings) is False
    town.start_broker_again()
    assert village.listener.connected.wait(30), "the village did not reconnect"
    assert wait_until(lambda: woken == [0.0, 0.0]), "the broker's return did not wake the sync"


def test_sharing_a_playlist_in_the_panel_asks_the_villages_to_sync_soon(
    town: Town, village: Village, tmp_path: Path
) -> None:
    woken: list[float] = []
    village.listener.wake_sync = woken.append
    playlist_id = add_media_playlist(Ingest(town.store, town.settings), tmp_path)
    add_user(town.store, "checker", "reviewer")
    client = town.app.test_client()
    log_in(client, "checker")
    page = client.get("/fleet/playlists")
    shared = client.post(
        f"/fleet/playlists/{playlist_id}/share", data={"csrf_token": csrf_of(page)}
    )
    assert shared.status_code == 302
    assert sharing.shared_ids(town.store) == {playlist_id}
    assert wait_until(lambda: woken == [0.0]), "the villages were not asked to sync"


MPV = ["mpv", "--ao=null", "--no-video", "--no-terminal", "--really-quiet",
       "--start={offset}", "{file}"]  # fmt: skip


def test_a_running_player_airs_it_by_sync_and_the_town_hears_played(
    town: Town, tmp_path: Path
) -> None:
    """The real daemon (mpv --ao=null): its listener and sync thread wired as in the field."""
    token = villages.add_village(town.store, "西村", "cli:town", NOW)
    broker_setup.grant_village(town.broker.files, token)
    public = load_signing_key(Path(town.settings.town.signing_key)).public
    settings = make_settings(
        tmp_path / "player",
        audio=AudioSettings(sink="command", command=tuple(MPV)),
        player=live_player(grace_seconds=60, poll_seconds=0.05),
        sync=SyncSettings(
            town_url=town.url,
            device_token=token,
            poll_seconds=1,
            broker_host="127.0.0.1",
            broker_port=town.broker.port,
            broker_ca=str(town.broker.files.ca_cert),
        ),
        bundles=BundleSettings(trusted_keys=(public.line,)),
    )
    store = Store.open(settings.db_path)
    daemon = Daemon(settings, store)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    user = broker_topics.user_for_token(token)
    try:
        listener = daemon.emergencies
        assert listener is not None and listener.connected.wait(10), "no broker connection"
        town.stop_broker()
        assert wait_until(lambda: not listener.connected.is_set())
        now = dt.datetime.now(dt.UTC)  # the player keeps real time
        message = wire.new_emergency("防汛", "河水上涨。", 1, HOUR, now)
        emergency_send.send(town.settings, town.store, message, [], "chief", now)
        played = (wire.AckState.PLAYED, "")
        answers = emergency_relay.answers_for
        assert wait_until(lambda: answers(town.settings.data_dir, message.id) == {user: played}, 60)
        time.sleep(2.5)  # two more polls bring the same emergency again
        (row,) = asrun.all_rows(store)
        assert (row.status, row.priority, row.requested_by) == (
            Outcome.PLAYED,
            Priority.EMERGENCY,
            "town:emergency",
        )
    finally:
        daemon.stop()
        thread.join(timeout=30)
        store.close()
    assert not thread.is_alive(), "the daemon did not stop"
