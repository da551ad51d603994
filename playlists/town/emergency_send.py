"""The town sends an emergency: signed, to every village or to named ones, over its broker.

The town dials its own broker on this machine as the user ``town``. Each message is
published at QoS 1 with an MQTT v5 message expiry at its signed deadline, so the broker
drops it for a village that comes back too late; the village checks the deadline itself.
The message is also kept for the villages' sync, which carries it when the broker is
down, and a town-wide "poll now" follows it on the broker so that every village syncs
soon (each after a random wait of its own).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path

from playlists.bundles.keys import load_signing_key
from playlists.errors import BrokerError, NotFoundError
from playlists.record import audit
from playlists.settings import Settings
from playlists.store import Store
from playlists.sync import broker_client, broker_topics, emergency_wire
from playlists.sync.emergency_wire import TownEmergency, encode
from playlists.town import broker_setup, emergency_relay

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
SUBJECT = "town_emergency"  # in the audit log
POLL_NOW_SECONDS = 120  # a "poll now" the broker still holds after this is of no use
Outgoing = tuple[str, bytes, int]  # topic, payload, seconds the broker keeps it


def users_for(store: Store, villages: Sequence[str]) -> list[str] | None:
    """Return the broker users of the named villages, or None (every village) when none is."""
    if not villages:
        return None
    users = []
    for name in villages:
        token_hash = broker_setup.village_token_hash(store, name)
        if token_hash is None:
            raise NotFoundError(
                f"no village is named {name!r}; `villagecast village list` names them"
            )
        users.append(broker_topics.user_for_token_hash(token_hash))
    return users


def topics_for(store: Store, villages: Sequence[str]) -> list[str]:
    """Return the topics that reach the named villages, or every village when none is named."""
    users = users_for(store, villages)
    if users is None:
        return [broker_topics.to_all(emergency_wire.SUBJECT)]
    return [broker_topics.to_village(user, emergency_wire.SUBJECT) for user in users]


def send(
    settings: Settings,
    store: Store,
    message: TownEmergency,
    villages: Sequence[str],
    by: str,
    now: dt.datetime,
    timeout: float = 10.0,
) -> list[str]:
    """Sign and send the message, audited; return the topics the broker took it on.

    The message is kept for the villages' sync first (playlists/town/emergency_relay.py),
    so a broker that is down or refuses it delays nobody past their next poll: then the
    list is empty, and the villages' sync carries it.
    """
    if not settings.town.signing_key:
        raise BrokerError("set town.signing_key: villages play only what the town's key signed")
    payload = encode(message, load_signing_key(Path(settings.town.signing_key)))
    users = users_for(store, villages)
    topics = topics_for(store, villages)
    emergency_relay.keep(settings.data_dir, message, payload, users, now)
    try:
        publish(settings, [(t, payload, message.seconds_left(now)) for t in topics], timeout)
    except BrokerError as exc:
        log.warning("emergency %s not sent over the broker (%s): sync carries it", message.id, exc)
        topics = []
    reached = ", ".join(villages) if villages else "all villages"
    way = "" if topics else " (broker down: by sync)"
    audit.record(
        store,
        by,
        "play",
        now,
        subject=SUBJECT,
        detail=f"{message.id} → {reached}{way}: {message.text}",
    )
    return topics


def publish(settings: Settings, messages: Sequence[Outgoing], timeout: float = 10.0) -> None:
    """Publish (topic, payload, seconds to live) at QoS 1, then ask every village to poll."""
    files = broker_setup.BrokerFiles.in_data_dir(settings.data_dir)
    client = broker_client.make_client(
        broker_topics.TOWN_USER, broker_setup.town_password(files), files.ca_cert
    )
    try:
        code = client.connect(HOST, settings.town.broker_port)
    except OSError as exc:
        raise BrokerError(
            f"the town's broker does not answer on port {settings.town.broker_port}: {exc}"
        ) from None
    if code != 0:
        raise BrokerError(f"the town's broker refused the town's login (code {code})")
    client.loop_start()
    try:
        infos = [
            client.publish(topic, payload, qos=1, properties=broker_client.expiring(seconds))
            for topic, payload, seconds in [*messages, poll_now_message()]
        ]
        for info in infos:
            info.wait_for_publish(timeout)
            if not info.is_published():
                raise BrokerError(f"the broker did not take the message within {timeout:g} s")
    finally:
        client.disconnect()
        client.loop_stop()


def poll_now_message() -> Outgoing:
    """Return the town-wide "poll now": each village syncs within its jitter, not at once."""
    return broker_topics.to_all(broker_topics.POLL_NOW), b"{}", POLL_NOW_SECONDS


def ask_villages_to_poll(settings: Settings) -> bool:
    """Publish only the "poll now" (after sharing a playlist); False if the broker is down."""
    try:
        publish(settings, [], timeout=5.0)
    except BrokerError as exc:
        log.info("villages not asked to poll now (%s): they sync at their usual time", exc)
        return False
    return True
