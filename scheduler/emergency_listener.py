"""The village hears town emergencies, on the town's broker and by sync, in threads of the player.

paho's network thread keeps the connection: it reconnects by itself, waiting from
``MIN_RECONNECT`` seconds doubling up to ``MAX_RECONNECT``, and the broker keeps the
village's session (its subscriptions and the messages queued meanwhile, until each
message's expiry) for a day. The sync thread hands over the town's live emergencies from
each poll (`deliver`): the broker's fallback. Either way a message goes to one worker
thread, so that making speech never holds the connection and an id heard both ways is
judged once: the worker judges it, answers ``received``, plays it through the command
contract and answers ``started`` or ``failed``, then ``played`` (or ``failed`` with the
outcome) once its as-run row is closed. An answer goes on the broker when connected,
else by the next sync, which it brings forward. A "poll now" from the town, or the
broker coming back after a cut, brings the next sync forward too, after a random wait of
up to ``sync.poll_now_jitter_seconds`` so that a town's villages do not call at once.
Playout itself runs in the player's own threads and never waits for any of this.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paho.mqtt.enums import MQTTErrorCode

from playlists import commands as contract
from playlists.bundles.keys import PublicKey, parse_public_key
from playlists.settings import Settings
from playlists.store import Store
from playlists.sync import broker_client, broker_topics
from playlists.sync import emergency_receive as receive
from playlists.sync.emergency_outbox import AnswerOutbox
from playlists.sync.emergency_wire import ACK_SUBJECT, SUBJECT, AckState, encode_ack

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

    from playlists.content.ingest import Ingest

log = logging.getLogger(__name__)

MIN_RECONNECT = 1
MAX_RECONNECT = 60
PLAYER_WAIT = contract.Waiting(seconds=10.0, poll=0.05)
AIRING_POLL = 0.2  # seconds between looks at the as-run rows of emergencies on air
BROKER, SYNC = "broker", "sync"  # where a message came from
Inbox = queue.Queue[tuple[bytes, str] | None]


class EmergencyListener:
    """Hear the town's emergencies and play them; start() and stop() from the player.

    ``wake_sync(within)`` brings the village's next sync forward to a random instant
    within that many seconds; the player sets it to its sync thread's `wake`.
    """

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
        self.answers = AnswerOutbox.in_data_dir(settings.data_dir)
        self.wake_sync: Callable[[float], None] = lambda within: None
        self.client = self._broker_client() if sync.broker_host else None
        self.inbox: Inbox = queue.Queue()
        self.connected = threading.Event()
        self._lost = False  # the broker connection was up and was cut
        self._expired: set[str] = set()  # ids answered expired (sync serves them each poll)
        self._ingest: Ingest | None = None
        self.on_air: dict[str, tuple[dt.datetime, dt.datetime]] = {}  # id → (since, deadline)
        self._worker = threading.Thread(target=self._work, name="town-emergency", daemon=True)

    def _broker_client(self) -> mqtt.Client:
        sync = self.settings.sync
        client = broker_client.make_client(
            self.user, sync.device_token, Path(sync.broker_ca), client_id=self.user
        )
        client.reconnect_delay_set(MIN_RECONNECT, MAX_RECONNECT)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def start(self) -> None:
        sync = self.settings.sync
        self._worker.start()
        if self.client is None:
            return
        self.client.connect_async(
            sync.broker_host,
            sync.broker_port,
            clean_start=False,
            properties=broker_client.connect_properties(keep_session=True),
        )
        self.client.loop_start()

    def stop(self) -> None:
        self.connected.clear()  # a disconnection asked for, not one to warn about
        if self.client is not None:
            self.client.disconnect()
            self.client.loop_stop()
        self.inbox.put(None)
        self._worker.join(timeout=30)

    def deliver(self, payload: bytes) -> None:
        """Take a message the sync brought; it is judged like one from the broker."""
        self.inbox.put((payload, SYNC))

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("the town's broker refused this village: %s", reason)
            return
        log.info("connected to the town's broker as %s", self.user)
        self.connected.set()
        client.subscribe(
            [
                (broker_topics.to_village(self.user, SUBJECT), 1),
                (broker_topics.to_all(SUBJECT), 1),
                (broker_topics.to_all(broker_topics.POLL_NOW), 1),
            ]
        )
        if self._lost:  # what was sent meanwhile may be known only to the town's sync
            self._lost = False
            self.wake_sync(self.settings.sync.poll_now_jitter_seconds)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if self.connected.is_set():
            log.warning("lost the town's broker (%s); reconnecting", reason)
            self._lost = True
        self.connected.clear()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if message.topic == broker_topics.to_all(broker_topics.POLL_NOW):
            self.wake_sync(self.settings.sync.poll_now_jitter_seconds)
            return
        self.inbox.put((bytes(message.payload), BROKER))

    def _work(self) -> None:
        while True:
            try:
                item = self.inbox.get(timeout=AIRING_POLL if self.on_air else None)
            except queue.Empty:
                item = (b"", BROKER)
            if item is None:
                return
            try:
                if item[0]:
                    self.handle(*item)
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

    def handle(self, payload: bytes, source: str = BROKER) -> None:
        """Judge one message, play it if it is to be played, and answer the town."""
        judged = receive.judge(payload, self.trusted, self.seen, self.now())
        message = judged.message
        if judged.verdict is not receive.Verdict.PLAY or message is None:
            self._not_played(judged, source)
            return
        log.warning("town emergency %s (%s): playing %r", message.id, source, message.text[:40])
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

    def _not_played(self, judged: receive.Judgement, source: str) -> None:
        """Log why a message is not played; answer an expired one once."""
        message, verdict = judged.message, judged.verdict
        ident = message.id if message else "?"
        # The sync brings every live emergency at each poll: taken already is the rule.
        usual = (source, verdict) == (SYNC, receive.Verdict.REPLAYED)
        level = logging.DEBUG if usual else logging.WARNING
        log.log(level, "town emergency %s not played: %s %s", ident, verdict, judged.detail)
        expired = verdict is receive.Verdict.EXPIRED and message is not None
        if expired and message is not None and message.id not in self._expired:
            self._expired.add(message.id)
            self._answer(message.id, AckState.FAILED, "expired")

    def ingest(self) -> Ingest:
        if self._ingest is None:
            # speech engines: only when needed
            from media.tts import SAVE_TIME_ENGINES
            from playlists.content.ingest import Ingest, chain_from_settings

            resident = chain_from_settings(self.settings, leave_out=SAVE_TIME_ENGINES)
            self._ingest = Ingest(self.store, self.settings, resident)
        return self._ingest

    def _answer(self, ident: str, state: AckState, reason: str) -> None:
        """Answer on the broker when connected, else by the next sync, brought forward."""
        now = self.now()
        by_sync = bool(self.settings.sync.town_url)
        if self.client is not None and (self.connected.is_set() or not by_sync):
            topic = broker_topics.from_village(self.user, ACK_SUBJECT)
            # Without a sync, paho keeps the answer while the connection is down.
            info = self.client.publish(topic, encode_ack(ident, state, reason, now), qos=1)
            if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS or not by_sync:
                return
        self.answers.put(ident, state, reason, now)
        self.wake_sync(0.0)
