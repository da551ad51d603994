"""The town's media files kept at the village, and a bundle assembled from them.

Files are kept by content in data_dir/town/media/<sha256>, each checked against
the manifest's size and SHA-256 before it is kept (written under a temporary name,
then renamed), so a new version of a playlist downloads only what it does not share
with the old one. The bundle folder is then checked exactly as an uploaded zip.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

from media.audio import sha256_file
from media.files import atomic_output
from playlists.bundles.bundle import CheckedBundle, bundle_workdir, check_unpacked
from playlists.bundles.manifest import MANIFEST, PLAYLIST, SIGNATURE, parse_manifest
from playlists.bundles.unpack import Unpacked, checked_entries
from playlists.errors import ContentError, MediaDownloadError
from playlists.settings import Settings
from playlists.sync.transport import TownApi

_CHUNK = 1 << 16
KEEP_UNUSED = 24 * 3600.0  # seconds an unused file stays (a cycle may be using it)


@dataclasses.dataclass
class Downloads:
    """What a sync fetched from the town's media endpoint."""

    files: int = 0
    bytes: int = 0


class MediaCache:
    """Content-addressed copies of the town's media files."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = settings.data_dir / "town" / "media"

    def path(self, sha256: str) -> Path:
        return self.folder / sha256

    def holds(self, want: Unpacked) -> bool:
        """Tell whether the file is here whole (read again: SD cards lose bits)."""
        path = self.path(want.sha256)
        try:
            if path.stat().st_size == want.size and sha256_file(path) == want.sha256:
                return True
        except FileNotFoundError:
            return False
        path.unlink(missing_ok=True)
        return False

    def fetch(self, api: TownApi, name: str, want: Unpacked, downloads: Downloads) -> None:
        """Download one file, keeping it only if its size and SHA-256 are the manifest's."""
        self.folder.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with api.media(want.sha256) as reply, atomic_output(self.path(want.sha256), ".part") as tmp:
            with tmp.open("wb") as out:
                while chunk := reply.read(_CHUNK):
                    size += len(chunk)
                    downloads.bytes += len(chunk)
                    if size > want.size:
                        raise MediaDownloadError(
                            f"{name} from the town: more than the {want.size} bytes "
                            f"{MANIFEST} says; it was not kept"
                        )
                    digest.update(chunk)
                    out.write(chunk)
            if size != want.size or digest.hexdigest() != want.sha256:
                raise MediaDownloadError(
                    f"{name} from the town: {size} bytes with SHA-256 "
                    f"{digest.hexdigest()[:16]}…, but {MANIFEST} says {want.size} bytes "
                    f"and {want.sha256[:16]}…; it was not kept"
                )
        downloads.files += 1

    def prune(self, keep: Iterable[str], max_age: float = KEEP_UNUSED) -> int:
        """Delete files no imported version uses, once they are a day old; return how many."""
        kept, removed, cutoff = set(keep), 0, time.time() - max_age
        for path in self.folder.glob("*") if self.folder.is_dir() else ():
            if path.name not in kept and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def assemble(
    settings: Settings, api: TownApi, index_files: dict[str, bytes], downloads: Downloads
) -> CheckedBundle:
    """Lay out a bundle from the town's index and media, then check it like a zip.

    index_files holds manifest.json, playlist.yaml and (if signed) manifest.sig.
    """
    limits = settings.bundles
    expected = parse_manifest(index_files[MANIFEST])
    # The town's names become paths here: judge them as a zip's entries are.
    checked_entries([_entry(name, want.size) for name, want in sorted(expected.items())], limits)
    cache = MediaCache(settings)
    media = {name: want for name, want in expected.items() if name != PLAYLIST}
    missing = [(name, want) for name, want in sorted(media.items()) if not cache.holds(want)]
    _check_space(settings, sum(want.size for _, want in missing))
    for name, want in missing:
        cache.fetch(api, name, want, downloads)
    tmp = bundle_workdir(settings.data_dir, "sync-")
    try:
        folder = Path(tmp.name)
        files = {name: _write(folder, name, data) for name, data in index_files.items()}
        for name, want in media.items():
            _place(cache.path(want.sha256), folder / name)
            files[name] = want  # checked when it was kept, and again by holds()
        spec, signer = check_unpacked(folder, files, limits)
    except BaseException:
        tmp.cleanup()
        raise
    return CheckedBundle(spec, folder, signer, tmp)


def index_files(manifest: bytes, signature: bytes | None, playlist_yaml: bytes) -> dict[str, bytes]:
    """Name the parts of a bundle index as the files of a bundle."""
    files = {MANIFEST: manifest, PLAYLIST: playlist_yaml}
    if signature is not None:
        files[SIGNATURE] = signature
    return files


def media_sha256s(manifest: bytes) -> list[str]:
    """Return the SHA-256 of every media file a manifest lists."""
    return sorted(
        {want.sha256 for name, want in parse_manifest(manifest).items() if name != PLAYLIST}
    )


def _entry(name: str, size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.file_size = info.compress_size = size
    return info


def _write(folder: Path, name: str, data: bytes) -> Unpacked:
    (folder / name).write_bytes(data)
    return Unpacked(len(data), hashlib.sha256(data).hexdigest())


def _place(source: Path, target: Path) -> None:
    """Put a cached file into the bundle folder: a hard link where possible, else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _check_space(settings: Settings, needed: int) -> None:
    """Refuse a download that would leave less than storage.min_free_mb free."""
    folder = settings.data_dir
    folder.mkdir(parents=True, exist_ok=True)
    free_mb = (shutil.disk_usage(folder).free - needed) / 1e6
    if free_mb < settings.storage.min_free_mb:
        raise ContentError(
            f"the town's playlist needs {needed / 1e6:.0f} MB, which would leave only "
            f"{max(free_mb, 0):.0f} MB free (at least {settings.storage.min_free_mb} MB "
            "are kept free); delete old content or use a larger card"
        )
