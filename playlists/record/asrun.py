"""The as-run log: one row for every planned broadcast and every manual one.

A planned occurrence is claimed by inserting its row; the UNIQUE occurrence key
makes a second claim fail, so nothing is ever played or logged twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Iterator

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
    status: Outcome = Outcome.PLAYING,
    reason: str = "",
) -> int:
    """Log a broadcast asked for by a command (it has no occurrence key): on air, or not."""
    started = to_db_time(now) if status is Outcome.PLAYING else None
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO as_run (playlist_id, playlist_name, priority, scheduled_at, started_at, "
            "status, reason, requested_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                playlist_id,
                name,
                priority.value,
                to_db_time(now),
                started,
                status.value,
                reason,
                requested_by,
            ),
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


def progress_and_close(
    store: Store,
    row_id: int,
    on_air: tuple[int, dt.datetime],
    status: Outcome,
    now: dt.datetime,
    reason: str = "",
) -> None:
    """Do `progress` with on_air (item, item_started_at) and then `close`, in one statement."""
    item, item_started_at = on_air
    with store.transaction() as conn:
        conn.execute(
            "UPDATE as_run SET item = ?, item_started_at = ?, "
            "status = CASE status WHEN 'playing' THEN ? ELSE status END, "
            "ended_at = CASE status WHEN 'playing' THEN ? ELSE ended_at END, "
            "reason = CASE status WHEN 'playing' THEN ? ELSE reason END WHERE id = ?",
            (item, to_db_time(item_started_at), status.value, to_db_time(now), reason, row_id),
        )


def progress(store: Store, row_id: int, item: int, item_started_at: dt.datetime) -> None:
    """Record which segment is on air, so a restarted player knows where to resume."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE as_run SET item = ?, item_started_at = ? WHERE id = ?",
            (item, to_db_time(item_started_at), row_id),
        )


def close_orphans(store: Store, reason: str, ended: dt.datetime) -> list[AsRunRow]:
    """Close rows left on air by a player that stopped mid-broadcast; return them as closed."""
    with store.transaction() as conn:
        rows = conn.execute("SELECT * FROM as_run WHERE status = 'playing'").fetchall()
        conn.executemany(
            "UPDATE as_run SET status = 'interrupted', ended_at = ?, reason = ? WHERE id = ?",
            [(to_db_time(max(ended, _started(row))), reason, row["id"]) for row in rows],
        )
    return [
        dataclasses.replace(
            _row(row), status=Outcome.INTERRUPTED, reason=reason, ended_at=max(ended, _started(row))
        )
        for row in rows
    ]


def _started(row: sqlite3.Row) -> dt.datetime:
    started = from_db_time(row["started_at"] or row["scheduled_at"])
    assert started is not None
    return started


def handled(store: Store, keys: list[str]) -> set[str]:
    """Return which occurrence keys already have a row."""
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        marks = ",".join("?" * len(chunk))
        rows = store.query(f"SELECT occurrence FROM as_run WHERE occurrence IN ({marks})", chunk)
        found.update(row["occurrence"] for row in rows)
    return found


def statuses(store: Store, keys: list[str]) -> dict[str, Outcome]:
    """Return the logged outcome of each occurrence key that has a row."""
    found: dict[str, Outcome] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        marks = ",".join("?" * len(chunk))
        rows = store.conn.execute(
            f"SELECT occurrence, status FROM as_run WHERE occurrence IN ({marks})", chunk
        )
        found.update((key, _OUTCOMES[status]) for key, status in rows)
    return found


def rows_between(store: Store, start: dt.datetime, end: dt.datetime) -> list[AsRunRow]:
    """Rows scheduled in [start, end), in time order."""
    rows = store.query(
        "SELECT * FROM as_run WHERE scheduled_at >= ? AND scheduled_at < ? "
        "ORDER BY scheduled_at, id",
        (to_db_time(start), to_db_time(end)),
    )
    return [_row(row) for row in rows]


def iter_rows_between(store: Store, start: dt.datetime, end: dt.datetime) -> Iterator[AsRunRow]:
    """Yield the rows of `rows_between` one at a time, without holding them all."""
    cursor = store.conn.execute(
        "SELECT * FROM as_run WHERE scheduled_at >= ? AND scheduled_at < ? "
        "ORDER BY scheduled_at, id",
        (to_db_time(start), to_db_time(end)),
    )
    for row in cursor:
        yield _row(row)


# A planned occurrence's log row as stored: occurrence, status, reason, scheduled_at (UTC
# text), playlist_name.
PlannedPart = tuple[str, str, str, str, str]


def planned_parts_between(store: Store, start: dt.datetime, end: dt.datetime) -> list[PlannedPart]:
    """Return the rows of planned occurrences scheduled in [start, end), in time order.

    Only what a summary needs, as plain tuples: a campaign's log has thousands of rows,
    and reading whole ones into AsRunRow took most of the report's time.
    """
    cursor = store.conn.cursor()
    cursor.row_factory = None
    rows: list[PlannedPart] = cursor.execute(
        "SELECT occurrence, status, reason, scheduled_at, playlist_name FROM as_run "
        "WHERE scheduled_at >= ? AND scheduled_at < ? AND occurrence IS NOT NULL "
        "ORDER BY scheduled_at, id",
        (to_db_time(start), to_db_time(end)),
    ).fetchall()
    return rows


def manual_between(store: Store, start: dt.datetime, end: dt.datetime) -> list[AsRunRow]:
    """Return the rows of broadcasts asked for by a person, scheduled in [start, end)."""
    rows = store.query(
        "SELECT * FROM as_run WHERE scheduled_at >= ? AND scheduled_at < ? "
        "AND occurrence IS NULL ORDER BY scheduled_at, id",
        (to_db_time(start), to_db_time(end)),
    )
    return [_row(row) for row in rows]


def _where(
    start: dt.datetime, end: dt.datetime, playlist: str, status: Outcome | None
) -> tuple[str, tuple[object, ...]]:
    clauses = ["scheduled_at >= ?", "scheduled_at < ?"]
    params: list[object] = [to_db_time(start), to_db_time(end)]
    if playlist:
        clauses.append("playlist_name = ?")
        params.append(playlist)
    if status is not None:
        clauses.append("status = ?")
        params.append(status.value)
    return " WHERE " + " AND ".join(clauses), tuple(params)


def find(
    store: Store,
    start: dt.datetime,
    end: dt.datetime,
    *,
    playlist: str = "",
    status: Outcome | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[AsRunRow]:
    """Rows scheduled in [start, end) of one playlist and outcome (empty: any), in time
    order, a page at a time: the log grows by hundreds of rows a day."""
    where, params = _where(start, end, playlist, status)
    page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    rows = store.query(f"SELECT * FROM as_run{where} ORDER BY scheduled_at, id{page}", params)
    return [_row(row) for row in rows]


def count(
    store: Store,
    start: dt.datetime,
    end: dt.datetime,
    *,
    playlist: str = "",
    status: Outcome | None = None,
) -> int:
    where, params = _where(start, end, playlist, status)
    row = store.query_one(f"SELECT COUNT(*) AS n FROM as_run{where}", params)
    return int(row["n"]) if row else 0


def all_rows(store: Store) -> list[AsRunRow]:
    return [_row(row) for row in store.query("SELECT * FROM as_run ORDER BY scheduled_at, id")]


# Plain lookups: calling the enum classes costs more than the rest of a row together.
_PRIORITIES = {p.value: p for p in Priority}
_OUTCOMES = {o.value: o for o in Outcome}


def _row(row: sqlite3.Row) -> AsRunRow:
    scheduled = from_db_time(row["scheduled_at"])
    assert scheduled is not None  # NOT NULL in the schema
    return AsRunRow(
        id=row["id"],
        occurrence=row["occurrence"],
        playlist_id=row["playlist_id"],
        playlist_name=row["playlist_name"],
        priority=_PRIORITIES[row["priority"]],
        scheduled_at=scheduled,
        started_at=from_db_time(row["started_at"]),
        ended_at=from_db_time(row["ended_at"]),
        status=_OUTCOMES[row["status"]],
        reason=row["reason"],
        requested_by=row["requested_by"],
        schedule_id=row["schedule_id"],
        item=row["item"],
        item_started_at=from_db_time(row["item_started_at"]),
    )
