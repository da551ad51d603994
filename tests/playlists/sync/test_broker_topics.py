"""Broker user names and topics that town and village derive on their own."""

from __future__ import annotations

from playlists.access.tokens import hash_secret
from playlists.sync import broker_topics


def test_village_and_town_derive_the_same_user_name() -> None:
    token = "vcd_" + "x" * 43
    user = broker_topics.user_for_token(token)
    assert user == broker_topics.user_for_token_hash(hash_secret(token))
    assert user.startswith("village-") and len(user) == len("village-") + 16
    assert token not in user


def test_topics_of_a_village_are_under_its_user_name() -> None:
    assert broker_topics.to_village("village-ab", "emergency") == (
        "villagecast/v1/to/village-ab/emergency"
    )
    assert broker_topics.from_village("village-ab", "ack") == "villagecast/v1/from/village-ab/ack"
    assert broker_topics.to_all("emergency") == "villagecast/v1/all/emergency"
