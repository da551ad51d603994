"""The announcements table: store, change, re-voice and read announcements."""

from __future__ import annotations

import datetime as dt
import sqlite3

from playlists.content import playlist_table
from playlists.content.media_table import MediaRecord
from playlists.content.review import MARK_DRAFT_SQL, review_columns
from playlists.errors import NotFoundError
from playlists.model import Announcement, Review, Slide
from playlists.store import Store, from_db_time, to_db_time


def add_announcement(
    store: Store,
    title: str,
    text: str,
    media_sha256: str,
    created_by: str,
    now: dt.datetime,
    *,
    review: Review,
) -> int:
    """Store an announcement in a review state; approved content names its approver."""
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO announcements (title, text, media_sha256, created_by, created_at, "
            "updated_at, review, changed_by, reviewed_by, reviewed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                title,
                text,
                media_sha256,
                created_by,
                to_db_time(now),
                to_db_time(now),
                *review_columns(review, created_by, now),
            ),
        )
    return int(cursor.lastrowid or 0)


def update_announcement(
    store: Store,
    announcement_id: int,
    title: str,
    text: str,
    media_sha256: str,
    changed_by: str,
    now: dt.datetime,
) -> None:
    """Change an announcement's words and clip; it goes back to draft for review.

    Playlist items that show the announcement's own words on the screens show the new
    words; items given their own screen text keep it.
    """
    with store.transaction() as conn:
        old = conn.execute(
            "SELECT title, text FROM announcements WHERE id = ?", (announcement_id,)
        ).fetchone()
        if old is None:
            raise NotFoundError(f"announcement {announcement_id} does not exist")
        conn.execute(
            "UPDATE announcements SET title = ?, text = ?, media_sha256 = ? WHERE id = ?",
            (title, text, media_sha256, announcement_id),
        )
        old_words, new_words = Slide(old["title"], old["text"]), Slide(title, text)
        playlist_table.follow_announcement_words(conn, announcement_id, old_words, new_words)
        duration = conn.execute(
            "SELECT duration FROM media WHERE sha256 = ?", (media_sha256,)
        ).fetchone()
        seconds = (duration[0] if duration else None) or 0.0
        playlist_table.follow_announcement_clip(conn, announcement_id, media_sha256, seconds)
        _mark_draft(conn, "announcements", announcement_id, changed_by, now)


def set_announcement_voice(
    store: Store, announcement_id: int, record: MediaRecord, changed_by: str, now: dt.datetime
) -> None:
    """Give an announcement another clip, in every playlist that plays it too.

    A new voice is new content: the announcement goes back to draft for review.
    """
    with store.transaction() as conn:
        cursor = conn.execute(
            "UPDATE announcements SET media_sha256 = ? WHERE id = ?",
            (record.sha256, announcement_id),
        )
        if cursor.rowcount == 0:
            raise NotFoundError(f"announcement {announcement_id} does not exist")
        playlist_table.follow_announcement_clip(
            conn, announcement_id, record.sha256, record.duration or 0.0
        )
        _mark_draft(conn, "announcements", announcement_id, changed_by, now)


def delete_unplayed(conn: sqlite3.Connection, announcement_ids: list[int]) -> None:
    """Delete those of these announcements that no playlist plays any more."""
    conn.executemany(
        "DELETE FROM announcements WHERE id = ? AND NOT EXISTS "
        "(SELECT 1 FROM playlist_items WHERE announcement_id = announcements.id)",
        [(announcement_id,) for announcement_id in announcement_ids],
    )


def _mark_draft(
    conn: sqlite3.Connection, table: str, row_id: int, changed_by: str, now: dt.datetime
) -> None:
    conn.execute(MARK_DRAFT_SQL.format(table=table), (changed_by, to_db_time(now), row_id))


_ANNOUNCEMENT_SQL = (
    "SELECT a.*, m.engine, m.duration FROM announcements a "
    "JOIN media m ON m.sha256 = a.media_sha256"
)


def get_announcement(store: Store, announcement_id: int) -> Announcement:
    row = store.query_one(f"{_ANNOUNCEMENT_SQL} WHERE a.id = ?", (announcement_id,))
    if row is None:
        raise NotFoundError(f"announcement {announcement_id} does not exist")
    return _announcement(row)


def list_announcements(store: Store, archived: bool | None = None) -> list[Announcement]:
    """Newest first: every announcement, or only the archived (True) or the others (False)."""
    where = {
        None: "",
        True: " WHERE a.archived_at IS NOT NULL",
        False: " WHERE a.archived_at IS NULL",
    }
    rows = store.query(f"{_ANNOUNCEMENT_SQL}{where[archived]} ORDER BY a.id DESC")
    return [_announcement(row) for row in rows]


def count_archived(store: Store) -> int:
    row = store.query_one("SELECT COUNT(*) AS n FROM announcements WHERE archived_at IS NOT NULL")
    return int(row["n"]) if row else 0


def _announcement(row: sqlite3.Row) -> Announcement:
    return Announcement(
        id=row["id"],
        title=row["title"],
        text=row["text"],
        media_sha256=row["media_sha256"],
        engine=row["engine"] or "",
        duration=row["duration"] or 0.0,
        created_at=from_db_time(row["created_at"]) or dt.datetime.min,
        review=Review(row["review"]),
        review_comment=row["review_comment"],
        reviewed_by=row["reviewed_by"],
        changed_by=row["changed_by"],
        archived_at=from_db_time(row["archived_at"]),
    )
