"""Prune the media cache: files nothing uses any more, once they are old enough.

Kept: every clip an announcement or playlist item plays, the slides of current
content on every screen, the generated lead-in and chime, and anything younger
than `storage.cache_days` (speech for texts typed but not yet saved, a slide for
a screen just added). The database rows go first, in one transaction; the files
after, so a power cut in between leaves only files a later prune removes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import time

from playlists.clock import utc_now
from playlists.content import announcement_table
from playlists.content.slide_cache import SlideCache
from playlists.model import Slide
from playlists.settings import Settings
from playlists.store import Store, to_db_time

log = logging.getLogger(__name__)
TMP_MAX_AGE = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class PruneReport:
    media_rows: int
    files: int
    bytes: int


def prune(store: Store, settings: Settings, now: dt.datetime) -> PruneReport:
    """Delete unused cached media older than the configured age; return what went."""
    cutoff = to_db_time(now - dt.timedelta(days=settings.storage.cache_days))
    keep_slides = _current_slide_keys(store, settings)
    with store.transaction() as conn:
        conn.execute(
            "DELETE FROM tts_cache WHERE created_at < ? AND media_sha256 NOT IN "
            "(SELECT media_sha256 FROM announcements)",
            (cutoff,),
        )
        stale = [
            row["key"]
            for row in conn.execute("SELECT key FROM slide_images WHERE created_at < ?", (cutoff,))
            if row["key"] not in keep_slides
        ]
        conn.executemany("DELETE FROM slide_images WHERE key = ?", [(key,) for key in stale])
        generated = [v for k, v in _meta_items(store) if k.startswith("generated:")]
        rows = conn.execute(
            "SELECT sha256, path FROM media WHERE created_at < ? "
            "AND sha256 NOT IN (SELECT media_sha256 FROM announcements) "
            "AND sha256 NOT IN (SELECT media_sha256 FROM playlist_items "
            "                   WHERE media_sha256 IS NOT NULL) "
            "AND sha256 NOT IN (SELECT media_sha256 FROM tts_cache) "
            "AND sha256 NOT IN (SELECT image_sha256 FROM slide_images) "
            "AND sha256 NOT IN (SELECT scroll_sha256 FROM slide_images "
            "                   WHERE scroll_sha256 IS NOT NULL)",
            (cutoff,),
        ).fetchall()
        doomed = [row for row in rows if row["sha256"] not in generated]
        conn.executemany("DELETE FROM media WHERE sha256 = ?", [(r["sha256"],) for r in doomed])
    files, freed = _remove_files(settings, {r["path"] for r in doomed}, store)
    if doomed or files:
        log.info("pruned %d cached media, %d files, %.1f MB", len(doomed), files, freed / 1e6)
    return PruneReport(len(doomed), files, freed)


def _current_slide_keys(store: Store, settings: Settings) -> set[str]:
    """Keys of the slides that current announcements and playlist items show."""
    slides: set[tuple[Slide, str | None]] = set()
    for announcement in announcement_table.list_announcements(store):
        slides.add((Slide(announcement.title, announcement.text), None))
    for row in store.query(
        "SELECT kind, media_sha256, slide_title, slide_body FROM playlist_items"
    ):
        image = row["media_sha256"] if row["kind"] == "image" else None
        slides.add((Slide(row["slide_title"], row["slide_body"]), image))
    cache = SlideCache(store, settings, utc_now)
    return {
        cache.key(screen, slide, image) for screen in settings.screens for slide, image in slides
    }


def _meta_items(store: Store) -> list[tuple[str, str]]:
    return [(row["key"], row["value"]) for row in store.query("SELECT key, value FROM meta")]


def _remove_files(settings: Settings, paths: set[str], store: Store) -> tuple[int, int]:
    """Delete the files of pruned rows, and files no row names that are a day old."""
    known = {row["path"] for row in store.query("SELECT path FROM media")}
    removed = freed = 0
    old = time.time() - TMP_MAX_AGE.total_seconds()
    media_dir = settings.media_dir
    candidates = list(media_dir.rglob("*")) if media_dir.is_dir() else []
    tmp_dir = settings.data_dir / "tmp"
    candidates += list(tmp_dir.rglob("*")) if tmp_dir.is_dir() else []
    for path in candidates:
        if not path.is_file() or path.is_symlink():
            continue
        relative = path.relative_to(media_dir).as_posix() if path.is_relative_to(media_dir) else ""
        unnamed = relative not in known and path.stat().st_mtime < old
        if relative in paths or unnamed:
            size = path.stat().st_size
            try:
                os.unlink(path)
            except OSError as exc:
                log.warning("cannot remove %s: %s", path, exc)
                continue
            removed += 1
            freed += size
    return removed, freed
