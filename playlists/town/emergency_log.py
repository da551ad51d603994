"""The town's record of the emergencies it sent and of each village's latest answer.

A sent emergency gets one answer row per village it went to, "no answer" until the
village speaks; the town's listener (playlists/town/answer_recorder.py) moves each row
on as answers come: received, started, then played or failed (with the village's
reason). A late answer never moves a row back, so the table always shows how far each
village got.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Sequence

from playlists.errors import NotFoundError
from playlists.store import Store, from_db_time, to_db_time
from playlists.sync import broker_topics
from playlists.sync.emergency_wire import AckState, TownEmergency
from playlists.town.emergency_acks import NO_ANSWER

# How far along each state is; a row only moves to a state further along.
RANK = {NO_ANSWER: 0, "received": 1, "started": 2, "played": 3, "failed": 3}
MAX_REASON = 100  # a village's reason code, as it sent it


@dataclasses.dataclass(frozen=True)
class SentEmergency:
    id: str
    title: str
    text: str
    repeat: int
    recording: bool  # an operator's recording is played, the text only shown
    deadline: dt.datetime
    everyone: bool
    sent_by: str
    sent_at: dt.datetime
    voice: str = ""  # the engine that spoke the text for the villages; "": each speaks it


@dataclasses.dataclass(frozen=True)
class Answer:
    village: str
    state: str  # NO_ANSWER or an AckState's value
    reason: str
    answered_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class Tally:
    """How many villages are in each state, for one emergency."""

    emergency: SentEmergency
    counts: dict[str, int]

    @property
    def villages(self) -> int:
        return sum(self.counts.values())


def village_ids(store: Store, names: Sequence[str]) -> list[int]:
    """Return the ids of the named villages, or of every village when none is named."""
    if not names:
        return [int(row["id"]) for row in store.query("SELECT id FROM villages ORDER BY name")]
    ids = []
    for name in names:
        row = store.query_one("SELECT id FROM villages WHERE name = ?", (name,))
        if row is None:
            raise NotFoundError(
                f"no village is named {name!r}; `villagecast village list` names them"
            )
        ids.append(int(row["id"]))
    return sorted(set(ids))


def record_sent(
    store: Store,
    message: TownEmergency,
    villages: Sequence[str],
    by: str,
    now: dt.datetime,
    voice: str = "",
) -> None:
    """Keep a sent emergency with a "no answer" row for each village it goes to.

    voice names the engine whose speech of the text the message carries; a message with
    audio and no voice carries an operator's recording.
    """
    with store.transaction() as conn:
        ids = village_ids(store, villages)
        conn.execute(
            "INSERT INTO town_emergency_sent (id, title, text, repeat, recording, deadline, "
            "everyone, sent_by, sent_at, voice) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message.id,
                message.title,
                message.text,
                message.repeat,
                1 if message.audio and not voice else 0,
                to_db_time(message.deadline),
                0 if villages else 1,
                by,
                to_db_time(now),
                voice,
            ),
        )
        conn.executemany(
            "INSERT INTO town_emergency_answers (emergency_id, village_id) VALUES (?, ?)",
            [(message.id, village_id) for village_id in ids],
        )


def forget(store: Store, ident: str) -> None:
    """Drop an emergency that never left the town (its broker refused it)."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM town_emergency_sent WHERE id = ?", (ident,))


def record_answer(
    store: Store, ident: str, user: str, state: AckState, reason: str, now: dt.datetime
) -> bool:
    """Move a village's row on to the state it answered; tell whether the row changed.

    user is the village's broker user; an answer about an emergency this town did not
    send, from a village it was not sent to, or one behind what the row shows is ignored.
    """
    village = _village_of_user(store, user)
    if village is None:
        return False
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT state FROM town_emergency_answers WHERE emergency_id = ? AND village_id = ?",
            (ident, village),
        ).fetchone()
        if row is None or RANK[str(row["state"])] > RANK[state.value]:
            return False
        if str(row["state"]) == state.value and state is not AckState.FAILED:
            return False
        conn.execute(
            "UPDATE town_emergency_answers SET state = ?, reason = ?, answered_at = ? "
            "WHERE emergency_id = ? AND village_id = ?",
            (state.value, reason[:MAX_REASON], to_db_time(now), ident, village),
        )
    return True


def _village_of_user(store: Store, user: str) -> int | None:
    prefix = broker_topics.VILLAGE_USER_PREFIX
    if not user.startswith(prefix):
        return None
    hex_part = user[len(prefix) :]
    rows = store.query(
        "SELECT id, token_hash FROM villages WHERE substr(token_hash, 1, ?) = ?",
        (len(hex_part), hex_part),
    )
    for row in rows:
        if broker_topics.user_for_token_hash(str(row["token_hash"])) == user:
            return int(row["id"])
    return None


def get_sent(store: Store, ident: str) -> SentEmergency:
    """Return a sent emergency; NotFoundError when the town sent none with that id."""
    row = store.query_one("SELECT * FROM town_emergency_sent WHERE id = ?", (ident,))
    if row is None:
        raise NotFoundError(f"the town sent no emergency {ident!r}")
    return _sent(row)


def answers(store: Store, ident: str) -> list[Answer]:
    """Return each village's latest answer to an emergency, by village name."""
    rows = store.query(
        "SELECT v.name, a.state, a.reason, a.answered_at FROM town_emergency_answers a "
        "JOIN villages v ON v.id = a.village_id WHERE a.emergency_id = ? ORDER BY v.name",
        (ident,),
    )
    return [
        Answer(str(r["name"]), str(r["state"]), str(r["reason"]), from_db_time(r["answered_at"]))
        for r in rows
    ]


def recent(store: Store, limit: int = 20) -> list[Tally]:
    """Return the latest emergencies sent, newest first, with their villages' states counted."""
    sent = store.query(
        "SELECT * FROM town_emergency_sent ORDER BY sent_at DESC, rowid DESC LIMIT ?", (limit,)
    )
    tallies = []
    for row in sent:
        counts = {state: 0 for state in RANK}
        for count in store.query(
            "SELECT state, COUNT(*) AS n FROM town_emergency_answers "
            "WHERE emergency_id = ? GROUP BY state",
            (row["id"],),
        ):
            counts[str(count["state"])] = int(count["n"])
        tallies.append(Tally(_sent(row), counts))
    return tallies


def _sent(row: sqlite3.Row) -> SentEmergency:
    deadline, sent_at = from_db_time(row["deadline"]), from_db_time(row["sent_at"])
    assert deadline is not None and sent_at is not None
    return SentEmergency(
        id=str(row["id"]),
        title=str(row["title"]),
        text=str(row["text"]),
        repeat=int(row["repeat"]),
        recording=bool(row["recording"]),
        deadline=deadline,
        everyone=bool(row["everyone"]),
        sent_by=str(row["sent_by"]),
        sent_at=sent_at,
        voice=str(row["voice"]),
    )
