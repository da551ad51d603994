"""The town's cache of shared bundles: data_dir/town/bundles/<version>.zip, made once each.

A bundle's version is the SHA-256 of its manifest.json, so the same content gives the
same name (playlists/bundles/export.py writes the same bytes for the same playlist) and
a village can compare versions without downloading anything. Media are served out of
these zips, found by the SHA-256 the manifest lists: no path ever comes from a request.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import threading
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from playlists.bundles.export import export_bundle
from playlists.bundles.keys import SigningKey, load_signing_key
from playlists.bundles.manifest import MANIFEST, PLAYLIST, SIGNATURE, parse_manifest
from playlists.settings import Settings, TownSettings
from playlists.store import Store

_CHUNK = 1 << 16
_BUILDING = ".building-"


@dataclasses.dataclass(frozen=True)
class CachedBundle:
    name: str  # the playlist's name
    version: str  # SHA-256 of manifest.json
    media: dict[str, str]  # SHA-256 → file name inside the bundle


@dataclasses.dataclass(frozen=True)
class SharedMedia:
    """Where a media file of a shared bundle is."""

    bundle: Path
    name: str
    size: int


def bundles_dir(settings: Settings) -> Path:
    return settings.data_dir / "town" / "bundles"


def bundle_path(settings: Settings, version: str) -> Path:
    return bundles_dir(settings) / f"{version}.zip"


def signing_key(town: TownSettings) -> SigningKey | None:
    """Return the key of ``town.signing_key``, or None when bundles go unsigned."""
    path = town.signing_key
    return load_signing_key(Path(path)) if path else None


def content_key(store: Store, playlist_id: int, key: SigningKey | None) -> str:
    """Digest every row a playlist's bundle is made from, and the key that signs it."""
    digest = hashlib.sha256((key.public.line if key else "unsigned").encode())
    queries = (
        "SELECT name, description, updated_at FROM playlists WHERE id = ?",
        "SELECT * FROM playlist_items WHERE playlist_id = ? ORDER BY position",
        "SELECT a.* FROM announcements a WHERE a.id IN "
        "(SELECT announcement_id FROM playlist_items WHERE playlist_id = ?) ORDER BY a.id",
        "SELECT m.* FROM media m WHERE m.sha256 IN "
        "(SELECT media_sha256 FROM playlist_items WHERE playlist_id = ?) ORDER BY m.sha256",
        "SELECT * FROM schedules WHERE playlist_id = ? ORDER BY id",
    )
    for sql in queries:
        for row in store.query(sql, (playlist_id,)):
            digest.update(repr(tuple(row)).encode("utf-8"))
    return digest.hexdigest()


def build_bundle(
    store: Store, settings: Settings, playlist_id: int, key: SigningKey | None
) -> CachedBundle:
    """Export a playlist's bundle into the cache, named by its version."""
    folder = bundles_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    building = folder / f"{_BUILDING}{os.getpid()}-{threading.get_ident()}-{playlist_id}.zip"
    try:
        summary = export_bundle(store, settings, playlist_id, building, key)
        with zipfile.ZipFile(building) as archive:
            manifest = archive.read(MANIFEST)
        version = hashlib.sha256(manifest).hexdigest()
        building.replace(bundle_path(settings, version))
    finally:
        building.unlink(missing_ok=True)
    media = {f.sha256: name for name, f in parse_manifest(manifest).items() if name != PLAYLIST}
    return CachedBundle(summary.name, version, media)


def prune_bundles(settings: Settings, keep: Iterable[str]) -> None:
    """Delete cached bundles whose version is not in keep (villages fetch the new ones)."""
    names = {f"{version}.zip" for version in keep}
    folder = bundles_dir(settings)
    if folder.is_dir():
        for path in folder.glob("*.zip"):
            if path.name not in names and not path.name.startswith(_BUILDING):
                path.unlink(missing_ok=True)


def read_index(path: Path) -> dict[str, Any]:
    """Return a cached bundle's manifest, signature (base64 or None) and playlist.yaml."""
    with zipfile.ZipFile(path) as archive:
        signature = archive.read(SIGNATURE) if SIGNATURE in archive.namelist() else None
        return {
            "manifest": archive.read(MANIFEST).decode("utf-8"),
            "signature": base64.b64encode(signature).decode("ascii") if signature else None,
            "playlist_yaml": archive.read(PLAYLIST).decode("utf-8"),
        }


def locate_media(path: Path, name: str) -> SharedMedia:
    with zipfile.ZipFile(path) as archive:
        return SharedMedia(path, name, archive.getinfo(name).file_size)


def media_chunks(media: SharedMedia) -> Iterator[bytes]:
    """Yield a media file's bytes out of its bundle, a chunk at a time."""
    with zipfile.ZipFile(media.bundle) as archive, archive.open(media.name) as stream:
        while chunk := stream.read(_CHUNK):
            yield chunk
