"""The town keeps its live emergencies for the villages' sync, and their answers by sync."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from playlists.bundles.keys import generate_keys, load_signing_key
from playlists.errors import ContentError
from playlists.sync import emergency_wire as wire
from playlists.town import emergency_relay as relay

NOW = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
EAST, WEST = "village-" + "e" * 16, "village-" + "w" * 16


def signed(tmp_path: Path, lifetime: dt.timedelta = HOUR) -> tuple[wire.TownEmergency, bytes]:
    key_file = tmp_path / "keys" / "town.key"
    if not key_file.exists():
        generate_keys(tmp_path / "keys", "town")
    message = wire.new_emergency("防汛", "河水上涨，请立即转移。", 1, lifetime, NOW)
    return message, wire.encode(message, load_signing_key(key_file))


@pytest.mark.parametrize(
    ("users", "asking", "at", "served"),
    [
        (None, EAST, NOW, True),
        ([EAST], EAST, NOW, True),
        ([EAST], WEST, NOW, False),
        (None, EAST, NOW + HOUR, False),
        (None, EAST, NOW + 2 * HOUR, False),
    ],
    ids=["to-all", "to-this-village", "to-another-village", "at-its-deadline", "expired"],
)
def test_a_kept_emergency_is_served_to_its_villages_until_its_deadline(
    tmp_path: Path, users: list[str] | None, asking: str, at: dt.datetime, served: bool
) -> None:
    message, payload = signed(tmp_path)
    relay.keep(tmp_path, message, payload, users, NOW)
    live = relay.live_for(tmp_path, asking, at)
    assert live == ([payload.decode("utf-8")] if served else [])


def test_the_served_message_is_the_signed_one_byte_for_byte(tmp_path: Path) -> None:
    message, payload = signed(tmp_path)
    relay.keep(tmp_path, message, payload, None, NOW)
    [served] = relay.live_for(tmp_path, EAST, NOW)
    public = load_signing_key(tmp_path / "keys" / "town.key").public
    assert wire.decode(served.encode("utf-8"), [public]) == message


def test_emergencies_are_pruned_a_day_after_their_deadline(tmp_path: Path) -> None:
    old, old_payload = signed(tmp_path)
    relay.keep(tmp_path, old, old_payload, None, NOW)
    later = NOW + HOUR + relay.KEEP_AFTER_DEADLINE + dt.timedelta(seconds=1)
    message, payload = signed(tmp_path)
    relay.keep(tmp_path, message, payload, None, later)
    assert not (relay.folder(tmp_path) / old.id).exists()
    assert (relay.folder(tmp_path) / message.id / relay.MESSAGE).is_file()


@pytest.mark.parametrize(
    ("states", "kept"),
    [
        (["received", "started", "played"], ("played", "")),
        (["received", "played", "started"], ("played", "")),
        (["started", "failed"], ("failed", "interrupted")),
        (["played", "received"], ("played", "")),
    ],
    ids=["in-order", "late-started", "failed-after-started", "late-received"],
)
def test_a_villages_latest_answer_is_kept_never_a_step_back(
    tmp_path: Path, states: list[str], kept: tuple[str, str]
) -> None:
    message, payload = signed(tmp_path)
    relay.keep(tmp_path, message, payload, None, NOW)
    for state in states:
        reason = "interrupted" if state == "failed" else ""
        relay.record_answers(tmp_path, EAST, [(message.id, wire.AckState(state), reason)], NOW)
    assert relay.answers_for(tmp_path, message.id) == {EAST: (wire.AckState(kept[0]), kept[1])}


def test_answers_to_an_emergency_the_town_did_not_send_are_not_kept(tmp_path: Path) -> None:
    stranger = "f" * 32
    assert relay.record_answers(tmp_path, EAST, [(stranger, wire.AckState.PLAYED, "")], NOW) == 0
    assert relay.answers_for(tmp_path, stranger) == {}
    assert not relay.folder(tmp_path).exists()


def test_two_villages_answers_are_kept_apart(tmp_path: Path) -> None:
    message, payload = signed(tmp_path)
    relay.keep(tmp_path, message, payload, None, NOW)
    relay.record_answers(tmp_path, EAST, [(message.id, wire.AckState.PLAYED, "")], NOW)
    relay.record_answers(tmp_path, WEST, [(message.id, wire.AckState.FAILED, "expired")], NOW)
    assert relay.answers_for(tmp_path, message.id) == {
        EAST: (wire.AckState.PLAYED, ""),
        WEST: (wire.AckState.FAILED, "expired"),
    }


ANSWER = {"id": "a" * 32, "state": "played", "reason": "", "at": NOW.isoformat()}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "'answers' must be a list"),
        ({"answers": "played"}, "'answers' must be a list"),
        ({"answers": [ANSWER] * (relay.MAX_ANSWERS + 1)}, "at most 100"),
        ({"answers": [{**ANSWER, "state": "heard"}]}, "answer 0: the answer's state is unknown"),
        ({"answers": [ANSWER, {**ANSWER, "id": "../x"}]}, "answer 1: the answer needs an id"),
    ],
    ids=["not-an-object", "not-a-list", "too-many", "unknown-state", "bad-id"],
)
def test_a_bad_answers_body_is_refused_whole(body: object, problem: str) -> None:
    with pytest.raises(ContentError, match=problem):
        relay.check_answers(body)


def test_a_good_answers_body_is_read() -> None:
    assert relay.check_answers({"answers": [ANSWER]}) == [("a" * 32, wire.AckState.PLAYED, "")]
