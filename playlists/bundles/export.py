"""Write a stored playlist as a bundle: playlist.yaml, its media, manifest.json, manifest.sig.

The same playlist always gives the same bytes (sorted names, fixed timestamps, and
Ed25519 signatures are deterministic), so a town can tell two exports apart by hash.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from media.audio import sha256_file
from media.files import atomic_output
from playlists.bundles.keys import SigningKey
from playlists.bundles.manifest import (
    MANIFEST,
    PLAYLIST,
    SIGNATURE,
    build_manifest,
    build_signature,
)
from playlists.bundles.unpack import Unpacked
from playlists.content import announcement_table, media_table, playlist_table
from playlists.content.playlist_format import FORMAT, parse_playlist
from playlists.errors import BundleTooLargeError, ContentError
from playlists.model import WEEKDAYS, ItemKind, Playlist, PlaylistItem, ScheduleEntry, Slide
from playlists.schedule import entry_table
from playlists.settings import Settings
from playlists.store import Store

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # zip's earliest date: no build time leaks into the bytes
_FILE_ATTR = (stat.S_IFREG | 0o644) << 16


@dataclasses.dataclass(frozen=True)
class ExportSummary:
    name: str
    items: int
    files: int  # playlist.yaml and media, not counting the manifest and signature
    bytes: int
    signed_by: str | None


def export_bundle(
    store: Store,
    settings: Settings,
    playlist_id: int,
    out_path: Path,
    signing_key: SigningKey | None = None,
) -> ExportSummary:
    """Write playlist_id as a bundle to out_path, atomically; sign it when a key is given."""
    playlist = playlist_table.get_playlist(store, playlist_id, settings.media_dir)
    media: dict[str, Path] = {}
    document = _document(store, settings.media_dir, playlist, media)
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=1000)
    data = text.encode("utf-8")
    parse_playlist(data, PLAYLIST)  # what is written must read back
    files = {PLAYLIST: Unpacked(len(data), hashlib.sha256(data).hexdigest())}
    files.update(
        {name: Unpacked(path.stat().st_size, sha256_file(path)) for name, path in media.items()}
    )
    total = sum(f.size for f in files.values())
    if total > settings.bundles.max_bytes:
        raise BundleTooLargeError(
            f"the bundle would be {total} bytes; "
            f"bundles.max_bytes allows {settings.bundles.max_bytes}"
        )
    manifest = build_manifest(files)
    with atomic_output(out_path, ".tmp.zip") as tmp, zipfile.ZipFile(tmp, "w") as archive:
        _write(archive, PLAYLIST, data)
        for name, path in sorted(media.items()):
            _copy(archive, name, path)
        _write(archive, MANIFEST, manifest)
        if signing_key is not None:
            _write(archive, SIGNATURE, build_signature(signing_key, manifest))
    return ExportSummary(
        name=playlist.name,
        items=len(playlist.items),
        files=len(files),
        bytes=out_path.stat().st_size,
        signed_by=signing_key.public.label if signing_key else None,
    )


def _document(
    store: Store, media_dir: Path, playlist: Playlist, media: dict[str, Path]
) -> dict[str, Any]:
    """Return the playlist@1 document of a stored playlist, collecting its media files."""
    document: dict[str, Any] = {"format": FORMAT, "name": playlist.name}
    if playlist.description:
        document["description"] = playlist.description
    document["items"] = [_item(store, media_dir, item, media) for item in playlist.items]
    schedule = [
        _schedule(e) for e in entry_table.schedule_entries(store) if e.playlist_id == playlist.id
    ]
    if schedule:
        document["schedule"] = schedule
    return document


def _item(
    store: Store, media_dir: Path, item: PlaylistItem, media: dict[str, Path]
) -> dict[str, Any]:
    if item.kind is ItemKind.PAUSE:
        return {"pause": item.duration}
    if item.kind is ItemKind.IMAGE:
        return {"image": _media(media_dir, store, item, media), "duration": item.duration}
    entry: dict[str, Any]
    if item.kind is ItemKind.ANNOUNCEMENT and not _recorded(store, item):
        entry = {"announcement": item.text}
        if item.slide != Slide(body=item.text):
            entry.update(_slide(item.slide))
    else:
        # playlist@1 has no announcement spoken by a recording: the recording is the
        # item, and its text is what the screens show.
        entry = {"audio": _media(media_dir, store, item, media)}
        shown = item.slide
        if item.kind is ItemKind.ANNOUNCEMENT and not (shown.title or shown.body):
            shown = Slide(body=item.text)
        entry.update(_slide(shown))
    if item.repeat != 1:
        entry["repeat"] = item.repeat
    return entry


def _recorded(store: Store, item: PlaylistItem) -> bool:
    """Tell whether an announcement speaks with an uploaded recording instead of TTS."""
    if item.announcement_id is None:
        return False
    return announcement_table.get_announcement(store, item.announcement_id).engine == "recording"


def _slide(slide: Slide) -> dict[str, Any]:
    shown = {key: value for key, value in (("title", slide.title), ("body", slide.body)) if value}
    return {"slide": shown} if shown else {}


def _media(media_dir: Path, store: Store, item: PlaylistItem, media: dict[str, Path]) -> str:
    """Name an item's file inside the bundle by its hash, checking it is whole on disk."""
    record = media_table.get_media(store, item.media_sha256 or "")
    where = f"item {item.position} ({item.kind.value})"
    if record is None:
        raise ContentError(f"{where}: its media is not in the store")
    path = media_dir / record.path
    if not path.is_file():
        raise ContentError(f"{where}: the media file {record.path} is missing from the data folder")
    name = f"media/{record.sha256[:16]}{PurePosixPath(record.path).suffix}"
    if name not in media:
        if sha256_file(path) != record.sha256:
            raise ContentError(f"{where}: the media file {record.path} is damaged on disk")
        media[name] = path
    return name


def _schedule(entry: ScheduleEntry) -> dict[str, Any]:
    result: dict[str, Any] = {
        "start": entry.start.isoformat(),
        "end": entry.end.isoformat(),
        "times": [t.strftime("%H:%M") for t in entry.times],
    }
    if entry.weekdays != frozenset(range(7)):
        result["weekdays"] = [WEEKDAYS[day] for day in sorted(entry.weekdays)]
    result.update(
        priority=entry.priority.value,
        on_interrupt=entry.on_interrupt.value,
        wait=entry.wait_seconds,
    )
    return result


def _info(name: str, size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = _FILE_ATTR
    info.create_system = 3  # Unix, so the mode above is read as one
    info.file_size = size
    return info


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    archive.writestr(_info(name, len(data)), data)


def _copy(archive: zipfile.ZipFile, name: str, path: Path) -> None:
    """Stream a media file into the zip: a long recording never sits in memory."""
    with path.open("rb") as source, archive.open(_info(name, path.stat().st_size), "w") as target:
        shutil.copyfileobj(source, target, 1 << 20)
