"""The media table: content-addressed files and the speech cache that names them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3

from playlists.store import Store, to_db_time


@dataclasses.dataclass(frozen=True)
class MediaRecord:
    sha256: str
    kind: str
    path: str  # relative to the media folder
    duration: float | None
    bytes: int
    engine: str | None = None
    voice: str | None = None


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
