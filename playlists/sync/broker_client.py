"""A paho MQTT v5 client for the town's broker: TLS against the town's CA, user and password.

Town and village make their clients here, so both speak the same protocol version and
verify the broker's certificate the same way.
"""

from __future__ import annotations

from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

SESSION_SECONDS = 24 * 3600  # a village's subscriptions and queued messages outlive a cut


def make_client(user: str, password: str, ca_cert: Path, client_id: str = "") -> mqtt.Client:
    """Return a client that logs in as user over TLS (its id: client_id, else the broker's)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.username_pw_set(user, password)
    client.tls_set(ca_certs=str(ca_cert))
    client.enable_logger()
    return client


def connect_properties(keep_session: bool) -> Properties | None:
    """Return CONNECT properties: a session that outlives a cut for a village, else none."""
    if not keep_session:
        return None
    # paho's Properties has no annotations on __init__ (paho-mqtt 2.1).
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = SESSION_SECONDS
    return properties


def expiring(seconds: int) -> Properties:
    """Return PUBLISH properties that make the broker drop the message after seconds."""
    properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    properties.MessageExpiryInterval = max(1, seconds)
    return properties
