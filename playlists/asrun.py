"""The as-run log: one row for every planned broadcast and every manual one.

A planned occurrence is claimed by inserting its row; the UNIQUE occurrence key
makes a second claim fail, so nothing is ever played or logged twice.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from playlists.model import AsRunRow, Outcome, PlannedBroadcast, Priority
from playlists.store import Store, from_db_time, to_db_time


def claim(
    store: Store, broadcast: PlannedBroadcast, status: Outcome, now: dt.datetime, reason: str = ""
) -> int | None:
    """Insert the occurrence's row; None if it already has one (it was handled before)."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO as_run (occurrence, schedule_id, playlist_id, playlist_name, "
            "priority, scheduled_at, started_at, ended_at, status, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                broadcast.key,
                broadcast.schedule_id,
                broadcast.playlist_id,
                broadcast.playlist_name,
                broadcast.priority.value,
                to_db_time(broadcast.start),
                to_db_time(now) if status is Outcome.PLAYING else None,
                None,  # a broadcast that never started has no end either
                status.value,
                reason,
            ),
        )
    return int(cursor.lastrowid) if cursor.rowcount == 1 and cursor.lastrowid else None


def open_manual(
    store: Store,
    name: str,
    playlist_id: int | None,
    priority: Priority,
    requested_by: str,
    now: dt.datetime,
) -> int:
    """Log a broadcast started by a command; it has no occurrence key."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO as_run (playlist_id, playlist_name, priority, scheduled_at, started_at, "
            "status, requested_by) VALUES (?, ?, ?, ?, ?, 'playing', ?)",
            (playlist_id, name, priority.value, to_db_time(now), to_db_time(now), requested_by),
        )
    return int(cursor.lastrowid or 0)


def close(store: Store, row_id: int, status: Outcome, now: dt.datetime, reason: str = "") -> None:
    """Close an on-air row with its outcome."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE as_run SET status = ?, ended_at = ?, reason = ? "
            "WHERE id = ? AND status = 'playing'",
            (status.value, to_db_time(now), reason, row_id),
        )


def close_orphans(store: Store, reason: str, now: dt.datetime) -> list[int]:
    """Close rows left on air by a player that stopped mid-broadcast; return their ids."""
    with store.transaction() as conn:
        ids = [r["id"] for r in conn.execute("SELECT id FROM as_run WHERE status = 'playing'")]
        conn.executemany(
            "UPDATE as_run SET status = 'interrupted', ended_at = COALESCE(ended_at, ?), "
            "reason = ? WHERE id = ?",
            [(to_db_time(now), reason, row_id) for row_id in ids],
        )
    return ids


def handled(store: Store, keys: list[str]) -> set[str]:
    """Return which occurrence keys already have a row."""
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        marks = ",".join("?" * len(chunk))
        rows = store.query(f"SELECT occurrence FROM as_run WHERE occurrence IN ({marks})", chunk)
        found.update(row["occurrence"] for row in rows)
    return found


def rows_between(store: Store, start: dt.datetime, end: dt.datetime) -> list[AsRunRow]:
    """Rows scheduled in [start, end), in time order."""
    rows = store.query(
        "SELECT * FROM as_run WHERE scheduled_at >= ? AND scheduled_at < ? "
        "ORDER BY scheduled_at, id",
        (to_db_time(start), to_db_time(end)),
    )
    return [_row(row) for row in rows]


def all_rows(store: Store) -> list[AsRunRow]:
    return [_row(row) for row in store.query("SELECT * FROM as_run ORDER BY scheduled_at, id")]


def _row(row: sqlite3.Row) -> AsRunRow:
    scheduled = from_db_time(row["scheduled_at"])
    assert scheduled is not None  # NOT NULL in the schema
    return AsRunRow(
        id=row["id"],
        occurrence=row["occurrence"],
        playlist_id=row["playlist_id"],
        playlist_name=row["playlist_name"],
        priority=Priority(row["priority"]),
        scheduled_at=scheduled,
        started_at=from_db_time(row["started_at"]),
        ended_at=from_db_time(row["ended_at"]),
        status=Outcome(row["status"]),
        reason=row["reason"],
        requested_by=row["requested_by"],
    )
