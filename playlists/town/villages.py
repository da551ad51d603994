"""The villages a town serves: each with a device token, and its last heartbeat.

A village's station authenticates to the town with a device token (``vcd_`` and 43
URL-safe characters, shown once by `villagecast village add`); only its SHA-256 is
kept, as for API tokens (playlists/access/tokens.py says why that is enough). Each sync
cycle the village sends a heartbeat: its clock, what it plays, free disk, version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import sqlite3
from typing import Any

from playlists.access.tokens import hash_secret
from playlists.errors import ContentError, HeartbeatError, NotFoundError
from playlists.record import audit
from playlists.store import Store, from_db_time, to_db_time
from playlists.sync.wire import (
    DEVICE_TOKEN_PREFIX,
    EARLIEST,
    HEARTBEAT_FIELDS,
    LATEST,
    text_allowed,
)

MAX_NAME = 100
SUBJECT = "village"
MAX_HEARTBEAT_TEXT = 200  # now_playing and version in a heartbeat
MAX_FREE_MB = 10**9  # a petabyte: anything more is not a disk


@dataclasses.dataclass(frozen=True)
class Village:
    id: int
    name: str
    created_at: dt.datetime
    last_seen_at: dt.datetime | None
    heartbeat: dict[str, Any]  # the last heartbeat's body as sent


@dataclasses.dataclass(frozen=True)
class Device:
    """The village a request's device token belongs to."""

    id: int
    name: str


def add_village(store: Store, name: str, by: str, now: dt.datetime) -> str:
    """Register a village and return its device token; this is the only time it is seen."""
    name = name.strip()
    if not name:
        raise ContentError("give the village a name")
    if len(name) > MAX_NAME:
        raise ContentError(f"a village name has at most {MAX_NAME} characters")
    secret = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as conn:
        if conn.execute("SELECT 1 FROM villages WHERE name = ?", (name,)).fetchone():
            raise ContentError(f"a village named {name!r} already exists")
        cursor = conn.execute(
            "INSERT INTO villages (name, token_hash, created_at) VALUES (?, ?, ?)",
            (name, hash_secret(secret), to_db_time(now)),
        )
        audit.record(
            store, by, "create", now, subject=SUBJECT, subject_id=cursor.lastrowid, detail=name
        )
    return secret


def list_villages(store: Store) -> list[Village]:
    """Every village, by name."""
    return [_village(row) for row in store.query("SELECT * FROM villages ORDER BY name")]


def has_villages(store: Store) -> bool:
    """Say whether any village is registered here (this station is a town)."""
    return store.query_one("SELECT 1 FROM villages LIMIT 1") is not None


def get_village(store: Store, name: str) -> Village:
    row = store.query_one("SELECT * FROM villages WHERE name = ?", (name,))
    if row is None:
        raise NotFoundError(f"no village is named {name!r}; `villagecast village list` names them")
    return _village(row)


def remove_village(store: Store, name: str, by: str, now: dt.datetime) -> Village:
    """Remove a village: its token stops working and the as-run rows it sent go with it."""
    with store.transaction() as conn:
        village = get_village(store, name)
        conn.execute("DELETE FROM villages WHERE id = ?", (village.id,))
        audit.record(store, by, "delete", now, subject=SUBJECT, subject_id=village.id, detail=name)
    return village


def verify(store: Store, secret: str) -> Device | None:
    """Return the village a device token belongs to, or None; one indexed lookup."""
    if not secret.startswith(DEVICE_TOKEN_PREFIX):
        return None
    row = store.query_one(
        "SELECT id, name FROM villages WHERE token_hash = ?", (hash_secret(secret),)
    )
    return None if row is None else Device(int(row["id"]), str(row["name"]))


def record_heartbeat(store: Store, village_id: int, body: object, now: dt.datetime) -> None:
    """Check a heartbeat body whole, then keep it with the town's time of arrival."""
    heartbeat = check_heartbeat(body)
    with store.transaction() as conn:
        conn.execute(
            "UPDATE villages SET heartbeat = ?, last_seen_at = ? WHERE id = ?",
            (json.dumps(heartbeat, ensure_ascii=False), to_db_time(now), village_id),
        )


def check_heartbeat(body: object) -> dict[str, Any]:
    """Return the heartbeat if every field is as the protocol says; else HeartbeatError."""
    if not isinstance(body, dict):
        raise HeartbeatError("the heartbeat must be a JSON object")
    missing = sorted(HEARTBEAT_FIELDS - body.keys())
    if missing:
        raise HeartbeatError(f"the heartbeat lacks the field {missing[0]!r}")
    unknown = sorted(body.keys() - HEARTBEAT_FIELDS)
    if unknown:
        raise HeartbeatError(f"the heartbeat has an unknown field {unknown[0]!r}")
    if parse_instant(body["now"]) is None:
        raise HeartbeatError("'now' must be a time like 2023-03-28T11:00:00+08:00")
    if body["clock_synchronized"] is not None and not isinstance(body["clock_synchronized"], bool):
        raise HeartbeatError("'clock_synchronized' must be true, false or null")
    if not isinstance(body["player_running"], bool):
        raise HeartbeatError("'player_running' must be true or false")
    free = body["free_mb"]
    # Compared, not converted: NaN and infinity fail, and a huge integer cannot overflow.
    if isinstance(free, bool) or not isinstance(free, int | float) or not 0 <= free <= MAX_FREE_MB:
        raise HeartbeatError(f"'free_mb' must be a number from 0 to {MAX_FREE_MB}")
    for field, optional in (("now_playing", True), ("version", False)):
        value = body[field]
        if value is None and optional:
            continue
        if isinstance(value, str) and len(value) <= MAX_HEARTBEAT_TEXT and text_allowed(value):
            continue
        kind = "text or null" if optional else "text"
        raise HeartbeatError(
            f"{field!r} must be {kind} of at most {MAX_HEARTBEAT_TEXT} characters, "
            "no control characters"
        )
    return dict(body)


def parse_instant(value: object) -> dt.datetime | None:
    """Read an ISO 8601 time with its UTC offset from 1970 to 2099; None for anything else."""
    if not isinstance(value, str) or len(value) > 40 or not value.isascii():
        return None
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if instant.tzinfo is None or not EARLIEST.year <= instant.year < LATEST.year:
        return None
    return instant if EARLIEST <= instant < LATEST else None


def _village(row: sqlite3.Row) -> Village:
    try:
        heartbeat = json.loads(row["heartbeat"])
    except ValueError:
        heartbeat = {}
    return Village(
        id=row["id"],
        name=row["name"],
        created_at=from_db_time(row["created_at"]) or dt.datetime.min.replace(tzinfo=dt.UTC),
        last_seen_at=from_db_time(row["last_seen_at"]),
        heartbeat=heartbeat if isinstance(heartbeat, dict) else {},
    )
