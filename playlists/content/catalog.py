"""Content in the store: media files, announcements, playlists and schedule entries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from pathlib import Path

from playlists.content.review import MARK_DRAFT_SQL, PLAYABLE_SQL
from playlists.errors import ContentError, NotFoundError
from playlists.model import (
    DEFAULT_WAIT,
    Announcement,
    InterruptPolicy,
    ItemKind,
    Playlist,
    PlaylistItem,
    Priority,
    Review,
    ScheduleEntry,
    Slide,
)
from playlists.schedule import limits
from playlists.store import Store, from_db_time, to_db_time


@dataclasses.dataclass(frozen=True)
class MediaRecord:
    sha256: str
    kind: str
    path: str  # relative to the media folder
    duration: float | None
    bytes: int
    engine: str | None = None
    voice: str | None = None


@dataclasses.dataclass(frozen=True)
class NewItem:
    """An item about to be stored; announcements and audio name their media by hash."""

    kind: ItemKind
    duration: float
    repeat: int = 1
    slide: Slide = Slide()
    announcement_id: int | None = None
    media_sha256: str | None = None


# -- media -------------------------------------------------------------------------


def add_media(store: Store, record: MediaRecord, now: dt.datetime) -> None:
    """Record a content-addressed file; adding the same content again changes nothing."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO media "
            "(sha256, kind, path, duration, bytes, engine, voice, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.sha256,
                record.kind,
                record.path,
                record.duration,
                record.bytes,
                record.engine,
                record.voice,
                to_db_time(now),
            ),
        )


def get_media(store: Store, sha256: str) -> MediaRecord | None:
    row = store.query_one("SELECT * FROM media WHERE sha256 = ?", (sha256,))
    return None if row is None else _media(row)


def cached_speech(store: Store, key: str) -> MediaRecord | None:
    row = store.query_one(
        "SELECT media.* FROM tts_cache JOIN media ON media.sha256 = tts_cache.media_sha256 "
        "WHERE tts_cache.key = ?",
        (key,),
    )
    return None if row is None else _media(row)


def remember_speech(store: Store, key: str, record: MediaRecord, now: dt.datetime) -> None:
    with store.transaction() as conn:
        add_media(store, record, now)
        conn.execute(
            "INSERT OR REPLACE INTO tts_cache (key, engine, voice, media_sha256, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (key, record.engine, record.voice, record.sha256, to_db_time(now)),
        )


def _media(row: sqlite3.Row) -> MediaRecord:
    return MediaRecord(
        sha256=row["sha256"],
        kind=row["kind"],
        path=row["path"],
        duration=row["duration"],
        bytes=row["bytes"],
        engine=row["engine"],
        voice=row["voice"],
    )


# -- announcements -----------------------------------------------------------------


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
                *_review_columns(review, created_by, now),
            ),
        )
    return int(cursor.lastrowid or 0)


def _review_columns(
    review: Review, by: str, now: dt.datetime
) -> tuple[str, str, str | None, str | None]:
    approved = review is Review.APPROVED
    return review.value, by, by if approved else None, to_db_time(now) if approved else None


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
        conn.execute(
            "UPDATE playlist_items SET slide_title = ?, slide_body = ? "
            "WHERE announcement_id = ? AND slide_title = ? AND slide_body = ?",
            (title, text, announcement_id, old["title"], old["text"]),
        )
        duration = conn.execute(
            "SELECT duration FROM media WHERE sha256 = ?", (media_sha256,)
        ).fetchone()
        conn.execute(
            "UPDATE playlist_items SET media_sha256 = ?, duration = ? WHERE announcement_id = ?",
            (media_sha256, (duration[0] if duration else None) or 0.0, announcement_id),
        )
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
        conn.execute(
            "UPDATE playlist_items SET media_sha256 = ?, duration = ? WHERE announcement_id = ?",
            (record.sha256, record.duration or 0.0, announcement_id),
        )
        _mark_draft(conn, "announcements", announcement_id, changed_by, now)


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


def list_announcements(store: Store) -> list[Announcement]:
    return [_announcement(row) for row in store.query(f"{_ANNOUNCEMENT_SQL} ORDER BY a.id DESC")]


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
    )


# -- playlists ---------------------------------------------------------------------


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
                *_review_columns(review, created_by, now),
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
            (name, description, to_db_time(now), *_review_columns(review, created_by, now),
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


def _insert_items(conn: sqlite3.Connection, playlist_id: int, items: list[NewItem]) -> None:
    conn.executemany(
        "INSERT INTO playlist_items (playlist_id, position, kind, announcement_id, "
        "media_sha256, duration, repeat, slide_title, slide_body) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
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
            for position, item in enumerate(items, 1)
        ],
    )


def set_reviewer(store: Store, playlist_id: int, reviewed_by: str) -> None:
    """Name who approved a playlist and its announcements (a town's signing key)."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE playlists SET reviewed_by = ? WHERE id = ?", (reviewed_by, playlist_id)
        )
        conn.execute(
            "UPDATE announcements SET reviewed_by = ? WHERE id IN "
            "(SELECT announcement_id FROM playlist_items WHERE playlist_id = ?)",
            (reviewed_by, playlist_id),
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


def list_playlists(store: Store) -> list[sqlite3.Row]:
    """Summaries: id, name, description, item count, total seconds, review state and
    whether it may air (`playable`: it and every announcement in it approved)."""
    return store.query(
        "SELECT p.id, p.name, p.description, p.review, p.review_comment, p.reviewed_by, "
        f"p.changed_by, {PLAYABLE_SQL} AS playable, COUNT(i.id) AS items, "
        "COALESCE(SUM(i.duration * i.repeat), 0) AS duration FROM playlists p "
        "LEFT JOIN playlist_items i ON i.playlist_id = p.id GROUP BY p.id ORDER BY p.name"
    )


# -- schedule entries --------------------------------------------------------------


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
    """Schedule an approved playlist.

    with_content: the entry arrives with its playlist (an import) and is reviewed with
    it, so the playlist need not be approved yet; until it is, the plan holds it.
    """
    columns = _schedule_columns(
        store, playlist_id, start, end, times, weekdays, priority, on_interrupt, wait_seconds,
        approved_only=not with_content,
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
    approved_only: bool,
) -> tuple[object, ...]:
    """Check a schedule entry and return its column values, playlist_id first."""
    if approved_only:
        row = store.query_one(
            f"SELECT {PLAYABLE_SQL} AS playable FROM playlists p WHERE p.id = ?", (playlist_id,)
        )
        if row is None:
            raise NotFoundError(f"playlist {playlist_id} does not exist")
        if not row["playable"]:
            raise ContentError("only approved playlists can be scheduled; send it for review first")
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
    """Change a schedule entry; the same checks as add_schedule (approved playlist and all)."""
    with store.transaction() as conn:
        columns = _schedule_columns(
            store, playlist_id, start, end, times, weekdays, priority, on_interrupt,
            wait_seconds, approved_only=True,
        )  # fmt: skip
        _check_counts(conn, playlist_id, len(times), schedule_id)
        cursor = conn.execute(
            "UPDATE schedules SET playlist_id = ?, start_date = ?, end_date = ?, times = ?, "
            "weekdays = ?, priority = ?, on_interrupt = ?, wait_seconds = ? WHERE id = ?",
            (*columns, schedule_id),
        )
        if cursor.rowcount == 0:
            raise NotFoundError(f"schedule entry {schedule_id} does not exist")
