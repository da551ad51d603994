"""Which as-run rows the town still needs, and remembering what it acknowledged.

A row is sent when the town has never acknowledged it or when it changed since
(a broadcast on air is sent as `playing`, then again as `played`). The town keeps
rows by (village, row id), so a row sent twice, because an acknowledgement was
lost on the way back, replaces its earlier copy and is never counted twice.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from playlists.clock import station_iso
from playlists.store import Store, from_db_time, to_db_time
from playlists.sync.wire import MAX_ASRUN_ROWS, row_digest


def wire_row(row: sqlite3.Row, tz: ZoneInfo) -> dict[str, Any]:
    """Return an as-run row as POST /town/v1/asrun carries it (times with their offset)."""
    return {
        "id": row["id"],
        "occurrence": row["occurrence"],
        "playlist": row["playlist_name"],
        "priority": row["priority"],
        "scheduled": _local(row["scheduled_at"], tz),
        "started": _local(row["started_at"], tz),
        "ended": _local(row["ended_at"], tz),
        "status": row["status"],
        "reason": row["reason"],
        "requested_by": row["requested_by"],
    }


def pending(store: Store, tz: ZoneInfo, limit: int = MAX_ASRUN_ROWS) -> list[dict[str, Any]]:
    """Return up to limit rows the town lacks or holds in an older form, oldest first."""
    rows: list[dict[str, Any]] = []
    cursor = store.conn.execute(
        "SELECT r.*, s.digest AS sent FROM as_run r "
        "LEFT JOIN asrun_sent s ON s.as_run_id = r.id ORDER BY r.id"
    )
    try:
        for row in cursor:
            wire = wire_row(row, tz)
            if row["sent"] != row_digest(wire):
                rows.append(wire)
                if len(rows) >= limit:
                    break
    finally:
        cursor.close()
    return rows


def mark_sent(store: Store, acked: Iterable[tuple[int, str]], now: dt.datetime) -> int:
    """Remember the digests the town acknowledged; return how many rows they cover."""
    pairs = list(acked)
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO asrun_sent (as_run_id, digest, acked_at) "
            "SELECT id, ?, ? FROM as_run WHERE id = ? "
            "ON CONFLICT (as_run_id) DO UPDATE SET digest = excluded.digest, "
            "acked_at = excluded.acked_at",
            [(digest, to_db_time(now), row_id) for row_id, digest in pairs],
        )
    return len(pairs)


def _local(value: str | None, tz: ZoneInfo) -> str | None:
    moment = from_db_time(value)
    return station_iso(moment, tz)
