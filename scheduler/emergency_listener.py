"""The village listens for town emergencies on the town's broker, in threads of the player.

paho's network thread keeps the connection: it reconnects by itself, waiting from
``MIN_RECONNECT`` seconds doubling up to ``MAX_RECONNECT``, and the broker keeps the
village's session (its subscriptions and the messages queued meanwhile, until each
message's expiry) for a day. A message is handed to a worker thread, so that making
speech never holds the connection; the worker judges it, answers ``received``, plays it
through the command contract and answers ``started`` or ``failed``, then ``played`` (or
``failed`` with the outcome) once its as-run row is closed. Playout itself runs in the
player's own threads and never waits for either.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playlists import commands as contract
from playlists.bundles.keys import PublicKey, parse_public_key
from playlists.settings import Settings
from playlists.store import Store
from playlists.sync import broker_client, broker_topics
from playlists.sync import emergency_receive as receive
from playlists.sync.emergency_wire import ACK_SUBJECT, SUBJECT, AckState, encode_ack

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

    from playlists.content.ingest import Ingest

log = logging.getLogger(__name__)

MIN_RECONNECT = 1
MAX_RECONNECT = 60
PLAYER_WAIT = contract.Waiting(seconds=10.0, poll=0.05)
AIRING_POLL = 0.2  # seconds between looks at the as-run rows of emergencies on air


class EmergencyListener:
    """Hear the town's emergencies and play them; start() and stop() from the player."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        now: Callable[[], dt.datetime],
        waiting: contract.Waiting = PLAYER_WAIT,
    ) -> None:
        sync = settings.sync
        self.settings, self.store, self.now, self.waiting = settings, store, now, waiting
        self.user = broker_topics.user_for_token(sync.device_token)
        self.trusted: list[PublicKey] = [parse_public_key(k) for k in settings.bundles.trusted_keys]
        self.seen = receive.SeenIds(settings.data_dir / receive.SEEN_FILE)
        self.client = broker_client.make_client(
            self.user, sync.device_token, Path(sync.broker_ca), client_id=self.user
        )
        self.client.reconnect_delay_set(MIN_RECONNECT, MAX_RECONNECT)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.inbox: queue.Queue[bytes | None] = queue.Queue()
        self.connected = threading.Event()
        self._ingest: Ingest | None = None
        self.on_air: dict[str, tuple[dt.datetime, dt.datetime]] = {}  # id → (since, deadline)
        self._worker = threading.Thread(target=self._work, name="town-emergency", daemon=True)

    def start(self) -> None:
        sync = self.settings.sync
        self._worker.start()
        self.client.connect_async(
            sync.broker_host,
            sync.broker_port,
            clean_start=False,
            properties=broker_client.connect_properties(keep_session=True),
        )
        self.client.loop_start()

    def stop(self) -> None:
        self.connected.clear()  # a disconnection asked for, not one to warn about
        self.client.disconnect()
        self.client.loop_stop()
        self.inbox.put(None)
        self._worker.join(timeout=30)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("the town's broker refused this village: %s", reason)
            return
        log.info("connected to the town's broker as %s", self.user)
        self.connected.set()
        client.subscribe(
            [(broker_topics.to_village(self.user, SUBJECT), 1), (broker_topics.to_all(SUBJECT), 1)]
        )

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if self.connected.is_set():
            log.warning("lost the town's broker (%s); reconnecting", reason)
        self.connected.clear()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.inbox.put(bytes(message.payload))

    def _work(self) -> None:
        while True:
            try:
                payload = self.inbox.get(timeout=AIRING_POLL if self.on_air else None)
            except queue.Empty:
                payload = b""
            if payload is None:
                return
            try:
                if payload:
                    self.handle(payload)
                self.follow_on_air()
            except Exception:  # one bad message must not end the listener
                log.exception("a town emergency could not be handled")

    def follow_on_air(self) -> None:
        """Answer played or failed for each emergency on air whose as-run row is closed."""
        now = self.now()
        for ident, (since, deadline) in list(self.on_air.items()):
            row = receive.aired(self.store, since, now)
            if row is not None:
                self._answer(ident, *receive.final_answer(row))
            if row is not None or now > deadline:
                del self.on_air[ident]

    def handle(self, payload: bytes) -> None:
        """Judge one message, play it if it is to be played, and answer the town."""
        judged = receive.judge(payload, self.trusted, self.seen, self.now())
        message = judged.message
        if judged.verdict is not receive.Verdict.PLAY or message is None:
            ident = message.id if message else "?"
            log.warning("town emergency %s not played: %s %s", ident, judged.verdict, judged.detail)
            if judged.verdict is receive.Verdict.EXPIRED and message is not None:
                self._answer(message.id, AckState.FAILED, "expired")
            return
        log.warning("town emergency %s: playing %r", message.id, message.text[:40])
        self._answer(message.id, AckState.RECEIVED, "")
        since = self.now()
        try:
            state, reason = receive.play(
                self.store, self.ingest(), message, self.waiting, self.now()
            )
        except Exception as exc:  # VillagecastError, MediaError, ...: the town must hear of it
            log.exception("town emergency %s could not be played", message.id)
            state, reason = AckState.FAILED, type(exc).__name__
        self._answer(message.id, state, reason)
        if state is AckState.STARTED:
            self.on_air[message.id] = (since, message.deadline)

    def ingest(self) -> Ingest:
        if self._ingest is None:
            # speech engines: only when needed
            from playlists.content.ingest import Ingest, chain_from_settings

            resident = chain_from_settings(self.settings, resident=True)
            self._ingest = Ingest(self.store, self.settings, resident)
        return self._ingest

    def _answer(self, ident: str, state: AckState, reason: str) -> None:
        topic = broker_topics.from_village(self.user, ACK_SUBJECT)
        self.client.publish(topic, encode_ack(ident, state, reason, self.now()), qos=1)
