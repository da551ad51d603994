"""The town's MQTT topics and broker user names, agreed by town and village.

A village's broker user name comes from its device token, so the village needs no
second secret: ``village-`` and the first 16 hex digits of the token's SHA-256, which
the town keeps anyway (playlists/town/villages.py). The token itself is the password.

    villagecast/v1/all/...              the town speaks to every village (read by all)
    villagecast/v1/to/<user>/...        the town speaks to one village (read by it only)
    villagecast/v1/from/<user>/...      one village answers (written by it only)
    villagecast/v1/all/poll-now         the town asks every village to sync soon
"""

from __future__ import annotations

import hashlib

TOWN_USER = "town"
VILLAGE_USER_PREFIX = "village-"
_USER_HEX = 16
ROOT = "villagecast/v1"
ALL = f"{ROOT}/all"
TO = f"{ROOT}/to"
FROM = f"{ROOT}/from"
POLL_NOW = "poll-now"  # on the town-wide topic: every village syncs soon (it chooses when)


def user_for_token_hash(token_hash: str) -> str:
    """Return the broker user name of the village whose device token has this SHA-256."""
    return VILLAGE_USER_PREFIX + token_hash[:_USER_HEX]


def user_for_token(device_token: str) -> str:
    """Return this village's broker user name, from its device token."""
    return user_for_token_hash(hashlib.sha256(device_token.encode("utf-8")).hexdigest())


def to_village(user: str, subject: str) -> str:
    """Return the topic the town sends one village a subject on."""
    return f"{TO}/{user}/{subject}"


def to_all(subject: str) -> str:
    """Return the topic the town sends every village a subject on."""
    return f"{ALL}/{subject}"


def from_village(user: str, subject: str) -> str:
    """Return the topic a village answers on."""
    return f"{FROM}/{user}/{subject}"


def acl_lines() -> list[str]:
    """Return mosquitto's ACL: each village reads its own and the town-wide topics only."""
    return [
        f"user {TOWN_USER}",
        f"topic readwrite {ROOT}/#",
        "",
        "# every other user is a village: %u is its user name",
        f"pattern read {ALL}/#",
        f"pattern read {TO}/%u/#",
        f"pattern write {FROM}/%u/#",
    ]
