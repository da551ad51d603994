"""The schedules table: store, change, delete and read schedule entries."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from playlists.content import archive
from playlists.content.playlist_format import ScheduleSpec
from playlists.content.review import PLAYABLE_SQL, PLAYLIST, SCHEDULABLE_SQL
from playlists.errors import ContentError, NotFoundError
from playlists.model import DEFAULT_WAIT, InterruptPolicy, Priority, ScheduleEntry
from playlists.schedule import limits
from playlists.store import Store, to_db_time


def add_schedule(
    store: Store,
    playlist_id: int,
    start: dt.date,
    end: dt.date,
    times: tuple[dt.time, ...],
    weekdays: frozenset[int],
    priority: Priority,
    now: dt.datetime,
    *,
    on_interrupt: InterruptPolicy = InterruptPolicy.RESUME,
    wait_seconds: float = DEFAULT_WAIT,
    with_content: bool = False,
) -> int:
    """Schedule a playlist that is approved or awaiting review (held until approved).

    with_content: the entry arrives with its playlist (an import) and is reviewed with
    it, so the playlist may be a draft yet; until it is approved, the plan holds it.
    """
    columns = _schedule_columns(
        store, playlist_id, start, end, times, weekdays, priority, on_interrupt, wait_seconds,
        checked=not with_content,
    )  # fmt: skip
    with store.transaction() as conn:
        _check_counts(conn, playlist_id, len(times), None)
        cursor = conn.execute(
            "INSERT INTO schedules (playlist_id, start_date, end_date, times, weekdays, "
            "priority, on_interrupt, wait_seconds, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*columns, to_db_time(now)),
        )
    return int(cursor.lastrowid or 0)


def add_with_content(store: Store, playlist_id: int, entry: ScheduleSpec, now: dt.datetime) -> int:
    """Store a schedule entry that came with its playlist (a YAML file, a bundle, the sync)."""
    return add_schedule(
        store, playlist_id, entry.start, entry.end, entry.times, entry.weekdays, entry.priority,
        now, on_interrupt=entry.on_interrupt, wait_seconds=entry.wait, with_content=True,
    )  # fmt: skip


def _schedule_columns(
    store: Store,
    playlist_id: int,
    start: dt.date,
    end: dt.date,
    times: tuple[dt.time, ...],
    weekdays: frozenset[int],
    priority: Priority,
    on_interrupt: InterruptPolicy,
    wait_seconds: float,
    *,
    checked: bool,
) -> tuple[object, ...]:
    """Check a schedule entry and return its column values, playlist_id first.

    checked: the playlist must be approved or awaiting review (not a draft). An archived
    playlist is refused either way.
    """
    try:
        archive.refuse_archived(store.conn, PLAYLIST, playlist_id)
    except NotFoundError:
        raise NotFoundError(f"playlist {playlist_id} does not exist") from None
    if checked:
        row = store.query_one(
            f"SELECT {SCHEDULABLE_SQL} AS schedulable FROM playlists p WHERE p.id = ?",
            (playlist_id,),
        )
        if row is None:
            raise NotFoundError(f"playlist {playlist_id} does not exist")
        if not row["schedulable"]:
            raise ContentError(
                "only playlists approved or awaiting review can be scheduled; "
                "send it for review first"
            )
    if end < start:
        raise ContentError(f"the schedule ends ({end}) before it starts ({start})")
    if not times:
        raise ContentError("a schedule needs at least one time of day")
    limits.check_entry(len(times), start, end, wait_seconds)
    return (
        playlist_id,
        start.isoformat(),
        end.isoformat(),
        json.dumps([t.strftime("%H:%M:%S") for t in sorted(times)]),
        json.dumps(sorted(weekdays)),
        priority.value,
        on_interrupt.value,
        wait_seconds,
    )


def _check_counts(
    conn: sqlite3.Connection, playlist_id: int, times: int, replacing: int | None
) -> None:
    """Refuse an entry that takes its playlist or the station over a schedule cap."""
    row = conn.execute(
        "SELECT COUNT(*) FROM schedules WHERE playlist_id = ? AND id IS NOT ?",
        (playlist_id, replacing),
    ).fetchone()
    limits.check_playlist(int(row[0]) + 1)
    limits.check_station(conn, [times], replacing)


def schedule_entries(store: Store) -> list[ScheduleEntry]:
    """Every enabled schedule entry with its playlist's name and length."""
    rows = store.query(
        f"SELECT s.*, p.name AS playlist_name, {PLAYABLE_SQL} AS approved, "
        "(SELECT COALESCE(SUM(duration * repeat), 0) FROM playlist_items "
        " WHERE playlist_id = p.id) AS duration "
        "FROM schedules s JOIN playlists p ON p.id = s.playlist_id "
        "WHERE s.enabled = 1 ORDER BY s.id"
    )
    return [
        ScheduleEntry(
            id=row["id"],
            playlist_id=row["playlist_id"],
            playlist_name=row["playlist_name"],
            start=dt.date.fromisoformat(row["start_date"]),
            end=dt.date.fromisoformat(row["end_date"]),
            times=tuple(dt.time.fromisoformat(t) for t in json.loads(row["times"])),
            weekdays=frozenset(json.loads(row["weekdays"])),
            priority=Priority(row["priority"]),
            duration=float(row["duration"]),
            on_interrupt=InterruptPolicy(row["on_interrupt"]),
            wait_seconds=float(row["wait_seconds"]),
            approved=bool(row["approved"]),
        )
        for row in rows
    ]


def delete_schedule(store: Store, schedule_id: int) -> None:
    with store.transaction() as conn:
        cursor = conn.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,))
        if cursor.rowcount == 0:
            raise NotFoundError(f"schedule entry {schedule_id} does not exist")


def delete_entries_of(conn: sqlite3.Connection, playlist_id: int, entry_ids: list[int]) -> None:
    """Delete those of these entries that schedule the playlist, inside a transaction."""
    conn.executemany(
        "DELETE FROM schedules WHERE id = ? AND playlist_id = ?",
        [(entry_id, playlist_id) for entry_id in entry_ids],
    )


def get_schedule(store: Store, schedule_id: int) -> ScheduleEntry:
    """Return one schedule entry with its playlist's name and length."""
    # A station has a handful of entries: reuse the one reading of rows into entries.
    for entry in schedule_entries(store):
        if entry.id == schedule_id:
            return entry
    raise NotFoundError(f"schedule entry {schedule_id} does not exist")


def update_schedule(
    store: Store,
    schedule_id: int,
    playlist_id: int,
    start: dt.date,
    end: dt.date,
    times: tuple[dt.time, ...],
    weekdays: frozenset[int],
    priority: Priority,
    *,
    on_interrupt: InterruptPolicy = InterruptPolicy.RESUME,
    wait_seconds: float = DEFAULT_WAIT,
) -> None:
    """Change a schedule entry; the same checks as add_schedule (reviewed playlist and all)."""
    with store.transaction() as conn:
        columns = _schedule_columns(
            store, playlist_id, start, end, times, weekdays, priority, on_interrupt,
            wait_seconds, checked=True,
        )  # fmt: skip
        _check_counts(conn, playlist_id, len(times), schedule_id)
        cursor = conn.execute(
            "UPDATE schedules SET playlist_id = ?, start_date = ?, end_date = ?, times = ?, "
            "weekdays = ?, priority = ?, on_interrupt = ?, wait_seconds = ? WHERE id = ?",
            (*columns, schedule_id),
        )
        if cursor.rowcount == 0:
            raise NotFoundError(f"schedule entry {schedule_id} does not exist")
