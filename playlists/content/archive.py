"""Archive (归档) announcements and playlists: off the lists and the air, kept for the record.

Nothing is deleted: archived content keeps its text, speech, items and history, shows
in the lists only when asked for, and can be restored. Archiving is refused while a
schedule entry plays the content (for an announcement: plays a playlist holding it),
naming the entries. Archived content never plays (`review.PLAYABLE_SQL` asks
`archived_at`), and is never added to a playlist nor scheduled (`refuse_archived`).
Every archive and restore is one transaction with its audit row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3

from playlists.content.playlist_contents import ScheduleUse
from playlists.content.review import ANNOUNCEMENT, PLAYLIST
from playlists.errors import ArchiveError, NotFoundError
from playlists.record import audit
from playlists.store import Store, to_db_time

SCHEDULED = "scheduled"  # ArchiveError.code: a schedule entry still plays it
ARCHIVED = "archived"  # ArchiveError.code: archived content may not be used

_TABLES = {ANNOUNCEMENT: "announcements", PLAYLIST: "playlists"}
_LABELS = {ANNOUNCEMENT: "title", PLAYLIST: "name"}
# The schedule entries that play a playlist, or a playlist holding an announcement.
_USES_SQL = {
    PLAYLIST: "s.playlist_id = ?",
    ANNOUNCEMENT: "s.playlist_id IN (SELECT playlist_id FROM playlist_items "
    "WHERE announcement_id = ?)",
}


@dataclasses.dataclass(frozen=True)
class ScheduledUse:
    """A schedule entry that keeps content from being archived, with its playlist's name."""

    playlist: str
    entry: ScheduleUse


def archive(store: Store, subject: str, subject_id: int, user: str, now: dt.datetime) -> bool:
    """Archive an announcement or playlist; return False if it already was.

    Raises ArchiveError (SCHEDULED, with the entries in `uses`) while it is scheduled.
    """
    with store.transaction() as conn:
        label, archived = _current(conn, subject, subject_id)
        if archived:
            return False
        uses = scheduled_uses(conn, subject, subject_id)
        if uses:
            entries = ", ".join(str(use.entry.id) for use in uses)
            raise ArchiveError(
                f"“{label}” is still scheduled (entries {entries}): remove them first",
                SCHEDULED,
                (label,),
                tuple(uses),
            )
        _set(conn, subject, subject_id, to_db_time(now))
        audit.record(
            store, user, "archive", now, subject=subject, subject_id=subject_id, detail=label
        )
    return True


def restore(store: Store, subject: str, subject_id: int, user: str, now: dt.datetime) -> bool:
    """Bring archived content back to the lists as it was; return False if it was not archived."""
    with store.transaction() as conn:
        label, archived = _current(conn, subject, subject_id)
        if not archived:
            return False
        _set(conn, subject, subject_id, None)
        audit.record(
            store, user, "restore", now, subject=subject, subject_id=subject_id, detail=label
        )
    return True


def refuse_archived(conn: sqlite3.Connection, subject: str, subject_id: int) -> None:
    """Raise ArchiveError (ARCHIVED) if the content is archived; it may not be used then."""
    label, archived = _current(conn, subject, subject_id)
    if archived:
        raise ArchiveError(f"“{label}” is archived: restore it first", ARCHIVED, (label,))


def is_archived(store: Store, subject: str, subject_id: int) -> bool:
    """Tell whether an announcement or playlist is archived."""
    return _current(store.conn, subject, subject_id)[1]


def scheduled_uses(conn: sqlite3.Connection, subject: str, subject_id: int) -> list[ScheduledUse]:
    """Return the schedule entries, enabled or not, that play the content."""
    rows = conn.execute(
        "SELECT s.id, s.start_date, s.end_date, s.times, p.name FROM schedules s "
        f"JOIN playlists p ON p.id = s.playlist_id WHERE {_USES_SQL[subject]} ORDER BY s.id",
        (subject_id,),
    ).fetchall()
    return [
        ScheduledUse(
            playlist=row["name"],
            entry=ScheduleUse(
                id=row["id"],
                start=dt.date.fromisoformat(row["start_date"]),
                end=dt.date.fromisoformat(row["end_date"]),
                times=tuple(dt.time.fromisoformat(t) for t in json.loads(row["times"])),
            ),
        )
        for row in rows
    ]


def _current(conn: sqlite3.Connection, subject: str, subject_id: int) -> tuple[str, bool]:
    row = conn.execute(
        f"SELECT {_LABELS[subject]} AS label, archived_at FROM {_TABLES[subject]} WHERE id = ?",
        (subject_id,),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"{subject} {subject_id} does not exist")
    return str(row["label"]), row["archived_at"] is not None


def _set(conn: sqlite3.Connection, subject: str, subject_id: int, value: str | None) -> None:
    conn.execute(f"UPDATE {_TABLES[subject]} SET archived_at = ? WHERE id = ?", (value, subject_id))
