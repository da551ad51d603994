"""The town keeps its villages' answers to its emergencies, in the panel's own process.

The panel is what shows the answers, and it runs whenever the town's station runs, so
it listens: one MQTT connection as the user ``town`` under a fixed client id with a
session that outlives a cut (a day), so the broker keeps the answers that come while
the panel restarts and hands them over when it is back. paho reconnects by itself (1 s
doubling up to 60 s); serving pages never waits on it. Each answer moves its village's
row on (playlists/town/emergency_log.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from playlists.errors import TownEmergencyError
from playlists.settings import Settings
from playlists.store import Store
from playlists.sync import broker_client, broker_topics
from playlists.sync.emergency_wire import ACK_SUBJECT, decode_ack
from playlists.town import broker_setup, emergency_log
from playlists.town.emergency_send import HOST

log = logging.getLogger(__name__)

CLIENT_ID = "town-panel"
MIN_RECONNECT = 1
MAX_RECONNECT = 60
ANSWERS = f"{broker_topics.FROM}/+/{ACK_SUBJECT}"


def broker_ready(settings: Settings) -> bool:
    """Tell whether this station is a town with its broker set up (`villagecast broker init`)."""
    return broker_setup.BrokerFiles.in_data_dir(settings.data_dir).town_secret.is_file()


class AnswerRecorder:
    """Listen for every village's answers and keep them; start() and stop() from the panel."""

    def __init__(self, settings: Settings, store: Store, now: Callable[[], Any]) -> None:
        self.settings, self.store, self.now = settings, store, now
        files = broker_setup.BrokerFiles.in_data_dir(settings.data_dir)
        self.client = broker_client.make_client(
            broker_topics.TOWN_USER,
            broker_setup.town_password(files),
            files.ca_cert,
            client_id=CLIENT_ID,
        )
        self.client.reconnect_delay_set(MIN_RECONNECT, MAX_RECONNECT)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda *args: self.subscribed.set()

    def start(self) -> None:
        """Connect in the background: a broker that is down now is tried again and again."""
        self.client.connect_async(
            HOST,
            self.settings.town.broker_port,
            clean_start=False,
            properties=broker_client.connect_properties(keep_session=True),
        )
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("the town's broker refused the panel's listener: %s", reason)
            return
        client.subscribe(ANSWERS, qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        user = message.topic.split("/")[-2]
        try:
            ident, state, reason = decode_ack(bytes(message.payload))
            emergency_log.record_answer(self.store, ident, user, state, reason, self.now())
        except TownEmergencyError as exc:
            log.warning("an unreadable answer from %s: %s", user, exc)
        except Exception:  # one bad answer must not end the listener
            log.exception("the answer from %s could not be kept", user)
