"""The town sends an emergency: signed, to every village or to named ones, over its broker.

The town dials its own broker on this machine as the user ``town``. Each message is
published at QoS 1 with an MQTT v5 message expiry at its signed deadline, so the broker
drops it for a village that comes back too late; the village checks the deadline itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from playlists.bundles.keys import load_signing_key
from playlists.errors import BrokerError, NotFoundError
from playlists.record import audit
from playlists.settings import Settings
from playlists.store import Store
from playlists.sync import broker_client, broker_topics, emergency_wire
from playlists.sync.emergency_wire import TownEmergency, encode
from playlists.town import broker_setup

HOST = "127.0.0.1"
SUBJECT = "town_emergency"  # in the audit log


def topics_for(store: Store, villages: Sequence[str]) -> list[str]:
    """Return the topics that reach the named villages, or every village when none is named."""
    if not villages:
        return [broker_topics.to_all(emergency_wire.SUBJECT)]
    topics = []
    for name in villages:
        token_hash = broker_setup.village_token_hash(store, name)
        if token_hash is None:
            raise NotFoundError(
                f"no village is named {name!r}; `villagecast village list` names them"
            )
        topics.append(
            broker_topics.to_village(
                broker_topics.user_for_token_hash(token_hash), emergency_wire.SUBJECT
            )
        )
    return topics


def send(
    settings: Settings,
    store: Store,
    message: TownEmergency,
    villages: Sequence[str],
    by: str,
    now: dt.datetime,
    timeout: float = 10.0,
) -> list[str]:
    """Sign and publish the message, audited; return the topics the broker took it on."""
    if not settings.town.signing_key:
        raise BrokerError("set town.signing_key: villages play only what the town's key signed")
    payload = encode(message, load_signing_key(Path(settings.town.signing_key)))
    topics = topics_for(store, villages)
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
            client.publish(
                topic, payload, qos=1, properties=broker_client.expiring(message.seconds_left(now))
            )
            for topic in topics
        ]
        for info in infos:
            info.wait_for_publish(timeout)
            if not info.is_published():
                raise BrokerError(
                    f"the town's broker did not take the emergency within {timeout:g} s"
                )
    finally:
        client.disconnect()
        client.loop_stop()
    reached = ", ".join(villages) if villages else "all villages"
    audit.record(
        store, by, "play", now, subject=SUBJECT, detail=f"{message.id} → {reached}: {message.text}"
    )
    return topics
