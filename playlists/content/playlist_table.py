"""The playlists table and its items: the one module that writes them.

Whole playlists are stored and replaced here (imports, the town's sync); the
editor's and the town's single changes are the functions that take a connection,
run inside their caller's transaction. Review states are review.py's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from pathlib import Path

from playlists.content.review import PLAYABLE_SQL, SCHEDULABLE_SQL, review_columns
from playlists.errors import ContentError, NotFoundError
from playlists.model import ItemKind, Playlist, PlaylistItem, Review, Slide
from playlists.store import Store, to_db_time


@dataclasses.dataclass(frozen=True)
class NewItem:
    """An item about to be stored; announcements and audio name their media by hash."""

    kind: ItemKind
    duration: float
    repeat: int = 1
    slide: Slide = Slide()
    announcement_id: int | None = None
    media_sha256: str | None = None


def add_playlist(
    store: Store,
    name: str,
    description: str,
    items: list[NewItem],
    now: dt.datetime,
    *,
    review: Review,
    created_by: str,
) -> int:
    """Store a playlist and its items in one transaction."""
    with store.transaction() as conn:
        _check_playlist(conn, name, items)
        cursor = conn.execute(
            "INSERT INTO playlists (name, description, created_at, updated_at, review, "
            "changed_by, reviewed_by, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                description,
                to_db_time(now),
                to_db_time(now),
                *review_columns(review, created_by, now),
            ),
        )
        playlist_id = int(cursor.lastrowid or 0)
        _insert_items(conn, playlist_id, items)
    return playlist_id


def replace_playlist(
    store: Store,
    playlist_id: int,
    name: str,
    description: str,
    items: list[NewItem],
    now: dt.datetime,
    *,
    review: Review,
    created_by: str,
) -> None:
    """Give a playlist new details and items in place (its id and schedule entries stay)."""
    with store.transaction() as conn:
        _check_playlist(conn, name, items, playlist_id)
        cursor = conn.execute(
            "UPDATE playlists SET name = ?, description = ?, updated_at = ?, review = ?, "
            "changed_by = ?, reviewed_by = ?, reviewed_at = ?, review_comment = '' WHERE id = ?",
            (name, description, to_db_time(now), *review_columns(review, created_by, now),
             playlist_id),
        )  # fmt: skip
        if cursor.rowcount == 0:
            raise NotFoundError(f"playlist {playlist_id} does not exist")
        conn.execute("DELETE FROM playlist_items WHERE playlist_id = ?", (playlist_id,))
        _insert_items(conn, playlist_id, items)


def _check_playlist(
    conn: sqlite3.Connection, name: str, items: list[NewItem], playlist_id: int = 0
) -> None:
    """Refuse a playlist without items, or named like another one."""
    if not items:
        raise ContentError("a playlist needs at least one item")
    other = conn.execute(
        "SELECT 1 FROM playlists WHERE name = ? AND id != ?", (name, playlist_id)
    ).fetchone()
    if other:
        raise ContentError(f"a playlist named {name!r} already exists")


_INSERT_ITEM = (
    "INSERT INTO playlist_items (playlist_id, position, kind, announcement_id, "
    "media_sha256, duration, repeat, slide_title, slide_body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _insert_items(conn: sqlite3.Connection, playlist_id: int, items: list[NewItem]) -> None:
    conn.executemany(
        _INSERT_ITEM, [_item_row(playlist_id, n, item) for n, item in enumerate(items, 1)]
    )


def _item_row(playlist_id: int, position: int, item: NewItem) -> tuple[object, ...]:
    return (
        playlist_id,
        position,
        item.kind.value,
        item.announcement_id,
        item.media_sha256,
        item.duration,
        item.repeat,
        item.slide.title,
        item.slide.body,
    )


def playlist_id_by_name(store: Store, name: str) -> int | None:
    row = store.query_one("SELECT id FROM playlists WHERE name = ?", (name,))
    return None if row is None else int(row["id"])


def get_playlist(store: Store, playlist_id: int, media_dir: Path) -> Playlist:
    """Load a playlist with every item's audio file resolved under media_dir."""
    row = store.query_one("SELECT * FROM playlists WHERE id = ?", (playlist_id,))
    if row is None:
        raise NotFoundError(f"playlist {playlist_id} does not exist")
    items = store.query(
        "SELECT i.*, m.path AS media_path, a.text AS text FROM playlist_items i "
        "LEFT JOIN media m ON m.sha256 = i.media_sha256 "
        "LEFT JOIN announcements a ON a.id = i.announcement_id "
        "WHERE i.playlist_id = ? ORDER BY i.position",
        (playlist_id,),
    )
    return Playlist(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        items=tuple(
            PlaylistItem(
                position=item["position"],
                kind=ItemKind(item["kind"]),
                duration=item["duration"],
                repeat=item["repeat"],
                slide=Slide(item["slide_title"], item["slide_body"]),
                announcement_id=item["announcement_id"],
                media_sha256=item["media_sha256"],
                audio_path=media_dir / item["media_path"] if item["media_path"] else None,
                text=item["text"] or "",
            )
            for item in items
        ),
    )


def list_playlists(store: Store, archived: bool | None = None) -> list[sqlite3.Row]:
    """Summaries: id, name, description, item count, total seconds, review state,
    archived_at, whether it may air (`playable`: it and every announcement in it approved,
    none archived) and whether it may be scheduled (`schedulable`: playable, or awaiting
    review). Every playlist, or only the archived (True) or the others (False)."""
    where = {
        None: "",
        True: "WHERE p.archived_at IS NOT NULL ",
        False: "WHERE p.archived_at IS NULL ",
    }
    return store.query(
        "SELECT p.id, p.name, p.description, p.review, p.review_comment, p.reviewed_by, "
        f"p.changed_by, p.archived_at, {PLAYABLE_SQL} AS playable, "
        f"{SCHEDULABLE_SQL} AS schedulable, COUNT(i.id) AS items, "
        "COALESCE(SUM(i.duration * i.repeat), 0) AS duration FROM playlists p "
        f"LEFT JOIN playlist_items i ON i.playlist_id = p.id {where[archived]}"
        "GROUP BY p.id ORDER BY p.name"
    )


def count_archived(store: Store) -> int:
    row = store.query_one("SELECT COUNT(*) AS n FROM playlists WHERE archived_at IS NOT NULL")
    return int(row["n"]) if row else 0


# -- single changes, inside the caller's transaction ------------------------------------


def insert_draft(
    conn: sqlite3.Connection, name: str, description: str, user: str, now: dt.datetime
) -> int:
    """Store a new, empty draft playlist; return its id."""
    cursor = conn.execute(
        "INSERT INTO playlists (name, description, created_at, updated_at, review, "
        "changed_by) VALUES (?, ?, ?, ?, 'draft', ?)",
        (name, description, to_db_time(now), to_db_time(now), user),
    )
    return int(cursor.lastrowid or 0)


def set_details(conn: sqlite3.Connection, playlist_id: int, name: str, description: str) -> None:
    conn.execute(
        "UPDATE playlists SET name = ?, description = ? WHERE id = ?",
        (name, description, playlist_id),
    )


def delete_playlist(conn: sqlite3.Connection, playlist_id: int) -> None:
    """Delete a playlist and its items (its schedule entries are the caller's to refuse)."""
    conn.execute("DELETE FROM playlist_items WHERE playlist_id = ?", (playlist_id,))
    conn.execute("DELETE FROM playlists WHERE id = ?", (playlist_id,))


def set_shared(conn: sqlite3.Connection, playlist_id: int, shared: bool) -> None:
    """Offer a playlist to the villages (a town's), or stop offering it."""
    conn.execute("UPDATE playlists SET shared = ? WHERE id = ?", (int(shared), playlist_id))


def set_origin(conn: sqlite3.Connection, playlist_id: int, origin: str, version: str) -> None:
    """Mark a playlist as the village's copy of the town's origin at a version."""
    conn.execute(
        "UPDATE playlists SET origin = ?, origin_version = ? WHERE id = ?",
        (origin, version, playlist_id),
    )


def append_item(conn: sqlite3.Connection, playlist_id: int, position: int, item: NewItem) -> int:
    """Store one item at a position; return its id."""
    return int(conn.execute(_INSERT_ITEM, _item_row(playlist_id, position, item)).lastrowid or 0)


def set_item(
    conn: sqlite3.Connection, item_id: int, repeat: int, slide: Slide, duration: float
) -> None:
    conn.execute(
        "UPDATE playlist_items SET repeat = ?, slide_title = ?, slide_body = ?, duration = ? "
        "WHERE id = ?",
        (repeat, slide.title, slide.body, duration, item_id),
    )


def delete_item(conn: sqlite3.Connection, item_id: int) -> None:
    conn.execute("DELETE FROM playlist_items WHERE id = ?", (item_id,))


def renumber(conn: sqlite3.Connection, playlist_id: int, order: list[int]) -> None:
    """Give the items positions 1..n in this order, never two on one position at a time.

    SQLite checks UNIQUE(playlist_id, position) row by row, so the items park on
    negative positions first.
    """
    conn.execute(
        "UPDATE playlist_items SET position = -position WHERE playlist_id = ?", (playlist_id,)
    )
    conn.executemany(
        "UPDATE playlist_items SET position = ? WHERE id = ?",
        [(position, item_id) for position, item_id in enumerate(order, 1)],
    )


def follow_announcement_words(
    conn: sqlite3.Connection, announcement_id: int, old: Slide, new: Slide
) -> None:
    """Show an announcement's new words on the items that showed its old ones."""
    conn.execute(
        "UPDATE playlist_items SET slide_title = ?, slide_body = ? "
        "WHERE announcement_id = ? AND slide_title = ? AND slide_body = ?",
        (new.title, new.body, announcement_id, old.title, old.body),
    )


def follow_announcement_clip(
    conn: sqlite3.Connection, announcement_id: int, sha256: str, duration: float
) -> None:
    """Play an announcement's new clip in every playlist that plays it."""
    conn.execute(
        "UPDATE playlist_items SET media_sha256 = ?, duration = ? WHERE announcement_id = ?",
        (sha256, duration, announcement_id),
    )
