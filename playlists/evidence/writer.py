"""Add an evidence item: check the file and fields, store the clean file, row and audit at once.

Nothing is stored unless every check passes: the file is checked (media/photos.py,
media/videos.py), cleaned into a temporary name inside data_dir/evidence, renamed
to its SHA-256, and only then are its row and audit row written, in one transaction.
A refused file leaves no file, no row and no audit row behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from media.errors import MediaError
from media.photos import PhotoInfo, check_photo, save_clean
from media.videos import VideoInfo, copy_clean, make_thumbnail, probe_video
from playlists.clock import station_date, station_today
from playlists.errors import EvidenceError
from playlists.evidence.limits import (
    VIDEO_TOOL_SECONDS,
    looks_like_photo,
    photo_limits,
    video_limits,
)
from playlists.evidence.model import MAX_CAPTION, EvidenceFields, EvidenceItem, Kind, item_from_row
from playlists.record import audit
from playlists.settings import Settings
from playlists.store import Store, to_db_time

FIRST_DAY = dt.date(2000, 1, 1)
_CHUNK = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Probe:
    """What a checked upload is, and the station day it was taken on, if the file says."""

    kind: Kind
    taken_on: dt.date | None
    info: PhotoInfo | VideoInfo


def evidence_dir(settings: Settings) -> Path:
    return settings.data_dir / "evidence"


def thumbs_dir(settings: Settings) -> Path:
    return evidence_dir(settings) / "thumbs"


def probe(path: Path, settings: Settings) -> Probe:
    """Check an upload against the limits and read the day it was taken; store nothing."""
    try:
        if looks_like_photo(path):
            photo = check_photo(path, photo_limits(settings))
            # EXIF times are the camera's wall clock: the day is the day shown on it.
            day = photo.taken.date() if photo.taken else None
            return Probe("photo", day, photo)
        video = probe_video(path, video_limits(settings))
    except MediaError as exc:
        raise EvidenceError(str(exc)) from None
    # creation_time is UTC: the station's time zone names the day.
    day = station_date(video.recorded, settings.tz) if video.recorded else None
    return Probe("video", day, video)


def add_evidence(
    store: Store,
    settings: Settings,
    upload: Path,
    fields: EvidenceFields,
    username: str,
    now: dt.datetime,
) -> EvidenceItem:
    """Check an uploaded file and its fields, then store it; refuse it whole otherwise."""
    caption = _checked_caption(fields.caption)
    topic = _checked_topic(fields.topic, settings)
    _check_free_space(upload, settings)
    source_sha256 = file_sha256(upload)
    _refuse_duplicate(store, source_sha256)
    found = probe(upload, settings)
    taken_on = _checked_day(fields.taken_on or found.taken_on, now, settings)
    with _cleaned(upload, found, settings) as (clean, thumb, suffix):
        sha256 = file_sha256(clean)
        name = f"{sha256}.{suffix}"
        thumbnail = f"{sha256}.jpg"
        os.replace(thumb, thumbs_dir(settings) / thumbnail)
        os.replace(clean, evidence_dir(settings) / name)
    width, height, duration = _sizes(found)
    values = {
        "kind": found.kind,
        "caption": caption,
        "topic": topic,
        "taken_on": taken_on.isoformat(),
        "added_by": username,
        "sha256": sha256,
        "source_sha256": source_sha256,
        "file": name,
        "thumbnail": thumbnail,
        "bytes": (evidence_dir(settings) / name).stat().st_size,
        "width": width,
        "height": height,
        "duration": duration,
        "created_at": to_db_time(now),
    }
    return _insert(store, values, username, now, settings)


def _insert(
    store: Store, values: dict[str, object], username: str, now: dt.datetime, settings: Settings
) -> EvidenceItem:
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    try:
        with store.transaction() as conn:
            if conn.execute(
                "SELECT 1 FROM evidence WHERE sha256 = ?", (values["sha256"],)
            ).fetchone():
                raise EvidenceError("this photo or video is already stored")
            cursor = conn.execute(
                f"INSERT INTO evidence ({columns}) VALUES ({marks})", tuple(values.values())
            )
            item_id = int(cursor.lastrowid or 0)
            audit.record(
                store,
                username,
                "create",
                now,
                subject="evidence",
                subject_id=item_id,
                detail=f"{values['kind']} {values['topic']}: {values['caption']}",
            )
            row = conn.execute("SELECT * FROM evidence WHERE id = ?", (item_id,)).fetchone()
    except EvidenceError:
        raise  # the same file is stored already: it stays as it is
    except BaseException:
        _remove_files(settings, str(values["file"]), str(values["thumbnail"]))
        raise
    return item_from_row(row)


def _remove_files(settings: Settings, name: str, thumbnail: str) -> None:
    (evidence_dir(settings) / name).unlink(missing_ok=True)
    (thumbs_dir(settings) / thumbnail).unlink(missing_ok=True)


@contextlib.contextmanager
def _cleaned(upload: Path, found: Probe, settings: Settings) -> Iterator[tuple[Path, Path, str]]:
    """Yield the cleaned file, its thumbnail and suffix in temporary names; delete leftovers."""
    thumbs_dir(settings).mkdir(parents=True, exist_ok=True)
    folder = evidence_dir(settings)
    clean = Path(tempfile.mkstemp(prefix=".incoming-", dir=folder)[1])
    thumb = Path(tempfile.mkstemp(prefix=".incoming-", suffix=".jpg", dir=folder)[1])
    try:
        suffix = _write_clean(upload, found, clean, thumb, settings)
        yield clean, thumb, suffix
    finally:
        clean.unlink(missing_ok=True)
        thumb.unlink(missing_ok=True)


def _write_clean(upload: Path, found: Probe, clean: Path, thumb: Path, settings: Settings) -> str:
    keep = settings.evidence.keep_gps
    try:
        if isinstance(found.info, VideoInfo):
            # ffmpeg picks the container by the name: copy into a named sibling first.
            named = clean.with_suffix(f".{found.info.suffix}")
            try:
                copy_clean(upload, named, keep_metadata=keep, timeout=VIDEO_TOOL_SECONDS)
                os.replace(named, clean)
            finally:
                named.unlink(missing_ok=True)
            make_thumbnail(clean, thumb, found.info.duration, timeout=VIDEO_TOOL_SECONDS)
            return found.info.suffix
        return save_clean(upload, clean, thumb, keep_gps=keep, limits=photo_limits(settings))
    except MediaError as exc:
        raise EvidenceError(str(exc)) from None


def _sizes(found: Probe) -> tuple[int, int, float | None]:
    if isinstance(found.info, VideoInfo):
        return found.info.width, found.info.height, found.info.duration
    return found.info.width, found.info.height, None


def _checked_caption(caption: str) -> str:
    text = " ".join(caption.split())
    if not text:
        raise EvidenceError("write a caption: what the photo or video shows")
    if len(text) > MAX_CAPTION:
        raise EvidenceError(f"the caption is too long: at most {MAX_CAPTION} characters")
    return text


def _checked_topic(topic: str, settings: Settings) -> str:
    if topic not in settings.campaign.topics:
        listed = "、".join(settings.campaign.topics)
        raise EvidenceError(f"choose one of the campaign's topics: {listed}")
    return topic


def _checked_day(day: dt.date | None, now: dt.datetime, settings: Settings) -> dt.date:
    if day is None:
        raise EvidenceError("the file does not say when it was taken: enter the day")
    today = station_today(now, settings.tz)
    if day > today or day < FIRST_DAY:
        raise EvidenceError(f"the day taken must be from 2000-01-01 to today ({today})")
    return day


def _check_free_space(upload: Path, settings: Settings) -> None:
    folder = evidence_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    free_mb = (shutil.disk_usage(folder).free - 2 * upload.stat().st_size) / 1e6
    if free_mb < settings.storage.min_free_mb:
        raise EvidenceError(
            f"not enough free space: storing this would leave {max(free_mb, 0):.0f} MB "
            f"(at least {settings.storage.min_free_mb} MB must stay free)"
        )


def _refuse_duplicate(store: Store, source_sha256: str) -> None:
    row = store.query_one("SELECT id FROM evidence WHERE source_sha256 = ?", (source_sha256,))
    if row is not None:
        raise EvidenceError(f"this file is already stored (item {row['id']})")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
