"""The town's record of its emergencies: a row per village, moved on by each answer."""

from __future__ import annotations

import datetime as dt

import pytest

from playlists.access.tokens import hash_secret
from playlists.errors import NotFoundError
from playlists.store import Store
from playlists.sync import broker_topics
from playlists.sync.emergency_wire import AckState, new_emergency
from playlists.town import emergency_log

NOW = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)
TOKENS = {"东村": "vcd_east-" + "e" * 34, "西村": "vcd_west-" + "w" * 34}
EAST = broker_topics.user_for_token(TOKENS["东村"])


@pytest.fixture
def town(store: Store) -> Store:
    for name, token in TOKENS.items():
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO villages (name, token_hash, created_at) VALUES (?, ?, ?)",
                (name, hash_secret(token), NOW.isoformat()),
            )
    return store


def sent(store: Store, villages: list[str], text: str = "河水上涨。") -> str:
    message = new_emergency("防汛", text, 2, dt.timedelta(minutes=30), NOW)
    emergency_log.record_sent(store, message, villages, "zhang", NOW)
    return message.id


def states(store: Store, ident: str) -> list[tuple[str, str, str]]:
    return [(a.village, a.state, a.reason) for a in emergency_log.answers(store, ident)]


@pytest.mark.parametrize(
    ("villages", "rows"),
    [
        pytest.param([], ["东村", "西村"], id="every-village"),
        pytest.param(["西村"], ["西村"], id="one-village"),
    ],
)
def test_a_sent_emergency_waits_for_each_village_it_went_to(
    town: Store, villages: list[str], rows: list[str]
) -> None:
    ident = sent(town, villages)
    assert states(town, ident) == [(name, "no answer", "") for name in rows]
    kept = emergency_log.get_sent(town, ident)
    assert (kept.text, kept.repeat, kept.everyone, kept.sent_by) == (
        "河水上涨。",
        2,
        not villages,
        "zhang",
    )
    assert kept.deadline == NOW + dt.timedelta(minutes=30)


def test_an_unknown_village_keeps_nothing(town: Store) -> None:
    message = new_emergency("", "河水上涨。", 1, dt.timedelta(minutes=30), NOW)
    with pytest.raises(NotFoundError, match="北村"):
        emergency_log.record_sent(town, message, ["东村", "北村"], "zhang", NOW)
    assert town.query("SELECT * FROM town_emergency_sent") == []
    assert town.query("SELECT * FROM town_emergency_answers") == []


@pytest.mark.parametrize(
    ("answers", "shown"),
    [
        pytest.param([("received", "")], ("received", ""), id="received"),
        pytest.param([("received", ""), ("started", "")], ("started", ""), id="started"),
        pytest.param(
            [("received", ""), ("started", ""), ("played", "")], ("played", ""), id="played"
        ),
        pytest.param([("played", ""), ("received", "")], ("played", ""), id="late-received"),
        pytest.param([("started", ""), ("received", "")], ("started", ""), id="late-after-start"),
        pytest.param(
            [("received", ""), ("failed", "expired")], ("failed", "expired"), id="failed-why"
        ),
        pytest.param(
            [("failed", "player-not-answering"), ("received", "")],
            ("failed", "player-not-answering"),
            id="late-after-failure",
        ),
    ],
)
def test_each_answer_moves_the_row_on_never_back(
    town: Store, answers: list[tuple[str, str]], shown: tuple[str, str]
) -> None:
    ident = sent(town, [])
    for state, reason in answers:
        emergency_log.record_answer(town, ident, EAST, AckState(state), reason, NOW)
    assert states(town, ident)[0] == ("东村", *shown)
    assert states(town, ident)[1] == ("西村", "no answer", "")


@pytest.mark.parametrize(
    ("ident_of", "user"),
    [
        pytest.param(lambda real: "ab" * 16, EAST, id="another-emergency"),
        pytest.param(lambda real: real, "village-0000000000000000", id="unknown-village"),
        pytest.param(lambda real: real, "town", id="not-a-village"),
    ],
)
def test_answers_about_nothing_this_town_sent_change_nothing(
    town: Store, ident_of: object, user: str
) -> None:
    ident = sent(town, ["东村"])
    assert callable(ident_of)
    changed = emergency_log.record_answer(town, ident_of(ident), user, AckState.PLAYED, "", NOW)
    assert not changed
    assert states(town, ident) == [("东村", "no answer", "")]


def test_a_village_it_was_not_sent_to_cannot_answer(town: Store) -> None:
    ident = sent(town, ["西村"])
    assert not emergency_log.record_answer(town, ident, EAST, AckState.PLAYED, "", NOW)
    assert states(town, ident) == [("西村", "no answer", "")]


def test_recent_counts_each_state_newest_first(town: Store) -> None:
    first = sent(town, [], "第一条")
    second = sent(town, [], "第二条")
    emergency_log.record_answer(town, second, EAST, AckState.PLAYED, "", NOW)
    tallies = emergency_log.recent(town)
    assert [t.emergency.text for t in tallies] == ["第二条", "第一条"]
    assert tallies[0].counts == {
        "no answer": 1,
        "received": 0,
        "started": 0,
        "played": 1,
        "failed": 0,
    }
    assert tallies[1].counts["no answer"] == 2 and tallies[1].villages == 2
    assert tallies[1].emergency.id == first


def test_a_missing_emergency_is_not_found(town: Store) -> None:
    with pytest.raises(NotFoundError):
        emergency_log.get_sent(town, "ab" * 16)


@pytest.mark.parametrize(
    ("audio", "voice", "recording"),
    [
        pytest.param(b"", "", False, id="text-each-village-speaks"),
        pytest.param(b"OggS-recording", "", True, id="operators-recording"),
        pytest.param(b"OggS-speech", "fastspeech2", False, id="spoken-at-the-town"),
    ],
)
def test_what_the_villages_play_is_kept_with_the_emergency(
    town: Store, audio: bytes, voice: str, recording: bool
) -> None:
    message = new_emergency("防汛", "河水上涨。", 1, dt.timedelta(minutes=30), NOW, audio)
    emergency_log.record_sent(town, message, [], "zhang", NOW, voice)
    kept = emergency_log.get_sent(town, message.id)
    assert (kept.recording, kept.voice) == (recording, voice)
    [tally] = emergency_log.recent(town)
    assert (tally.emergency.recording, tally.emergency.voice) == (recording, voice)
