"""The villages' answers to a town emergency, as they come: one row per village.

The town listens on every village's answer topic as the user ``town`` and keeps, for the
emergency it sent, each village's latest state: received, started, played or failed
(with why); a village that has not answered is "no answer".
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from playlists.errors import BrokerError, TownEmergencyError
from playlists.settings import Settings
from playlists.store import Store
from playlists.sync import broker_client, broker_topics
from playlists.sync.emergency_wire import ACK_SUBJECT, AckState, decode_ack, outranks
from playlists.town import broker_setup

NO_ANSWER = "no answer"


@dataclasses.dataclass(frozen=True)
class VillageAnswer:
    village: str
    state: str  # an AckState's value, or NO_ANSWER
    reason: str = ""


def village_names(store: Store) -> dict[str, str]:
    """Return broker user → village name for every village of this town."""
    rows = store.query("SELECT name, token_hash FROM villages ORDER BY name")
    return {broker_topics.user_for_token_hash(str(r["token_hash"])): str(r["name"]) for r in rows}


class AckWatcher:
    """Collect the villages' answers to one emergency; on_change is called with each change."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        on_change: Callable[[VillageAnswer], None] = lambda answer: None,
    ) -> None:
        self.names = village_names(store)
        self.settings = settings
        self.on_change = on_change
        self.ident = ""
        self.answers: dict[str, VillageAnswer] = {}
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        files = broker_setup.BrokerFiles.in_data_dir(settings.data_dir)
        self.client = broker_client.make_client(
            broker_topics.TOWN_USER, broker_setup.town_password(files), files.ca_cert
        )
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self._subscribed.set()

    def start(self, timeout: float = 10.0) -> None:
        """Connect and listen, before the emergency is sent so no answer is missed."""
        port = self.settings.town.broker_port
        try:
            self.client.connect("127.0.0.1", port)
        except OSError as exc:
            raise BrokerError(f"the town's broker does not answer on port {port}: {exc}") from None
        self.client.loop_start()
        self.client.subscribe(f"{broker_topics.FROM}/+/{ACK_SUBJECT}", qos=1)
        if not self._subscribed.wait(timeout):
            self.stop()
            raise BrokerError("the town's broker did not take the town's subscription")

    def expect(self, ident: str) -> None:
        """Collect answers to this emergency id from now on."""
        with self._lock:
            self.ident = ident

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def table(self) -> list[VillageAnswer]:
        """Return every village's latest answer, villages without one as "no answer", by name."""
        with self._lock:
            return [
                self.answers.get(user, VillageAnswer(name, NO_ANSWER))
                for user, name in sorted(self.names.items(), key=lambda item: item[1])
            ]

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        user = message.topic.split("/")[-2]
        try:
            ident, state, reason = decode_ack(bytes(message.payload))
        except TownEmergencyError:
            return
        with self._lock:
            if ident != self.ident or user not in self.names:
                return
            before = self.answers.get(user)
            # A later state never gives way to an earlier one that arrives late.
            if before is not None and not outranks(state, AckState(before.state)):
                return
            answer = VillageAnswer(self.names[user], state.value, reason)
            self.answers[user] = answer
        self.on_change(answer)
