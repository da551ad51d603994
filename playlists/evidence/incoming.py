"""Uploads in chunks: a large video arrives a piece at a time and resumes where it stopped.

An upload is started with its size, gets an id, and receives its bytes in order;
a client that lost its connection asks how much arrived and goes on from there.
Parts live in data_dir/evidence/incoming, owned by the user who started them; a
part left unfinished for STALE_AFTER is deleted when the next upload starts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import secrets
import shutil
import threading
from pathlib import Path

from playlists.errors import EvidenceError, NotFoundError
from playlists.evidence.limits import largest_upload
from playlists.settings import Settings

STALE_AFTER = dt.timedelta(days=2)
MAX_OPEN_PER_USER = 4
MAX_CHUNK = 1024 * 1024  # under the panel's small-body limit (web/uploads.py)
_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_APPENDING = threading.Lock()


@dataclasses.dataclass(frozen=True)
class Incoming:
    id: str
    owner: str
    size: int
    received: int
    started_at: dt.datetime

    @property
    def complete(self) -> bool:
        return self.received == self.size


def incoming_dir(settings: Settings) -> Path:
    return settings.data_dir / "evidence" / "incoming"


def start(settings: Settings, owner: str, size: int, now: dt.datetime) -> Incoming:
    """Open an upload of size bytes for owner; refuse a size over the limits or the disk."""
    limit = largest_upload(settings)
    if not 0 < size <= limit:
        raise EvidenceError(f"a photo or video must be from 1 byte to {limit / 1e6:g} MB")
    folder = incoming_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder, now)
    if len([i for i in _all(folder) if i.owner == owner]) >= MAX_OPEN_PER_USER:
        raise EvidenceError("too many unfinished uploads: finish or cancel one first")
    free_mb = (shutil.disk_usage(folder).free - 3 * size) / 1e6
    if free_mb < settings.storage.min_free_mb:
        raise EvidenceError(f"not enough free space for {size / 1e6:.0f} MB more")
    upload = Incoming(secrets.token_urlsafe(16), owner, size, 0, now)
    _part(folder, upload.id).touch()
    _write_meta(folder, upload)
    return upload


def find(settings: Settings, upload_id: str, owner: str) -> Incoming:
    """Return an upload of owner's; anyone else's or an unknown id is not found."""
    folder = incoming_dir(settings)
    if not _ID.fullmatch(upload_id):
        raise NotFoundError("no such upload")
    upload = _read(folder, upload_id)
    if upload is None or upload.owner != owner:
        raise NotFoundError("no such upload; start it again")
    return upload


def append(settings: Settings, upload_id: str, owner: str, offset: int, data: bytes) -> Incoming:
    """Add bytes at offset, which must be where the upload stands; return the new state."""
    if len(data) > MAX_CHUNK:
        raise EvidenceError(f"a piece may hold at most {MAX_CHUNK} bytes")
    with _APPENDING:
        upload = find(settings, upload_id, owner)
        if offset != upload.received:
            raise EvidenceError(f"the upload stands at byte {upload.received}, not {offset}")
        if upload.received + len(data) > upload.size:
            raise EvidenceError("more bytes than the upload said it would send")
        with _part(incoming_dir(settings), upload_id).open("ab") as part:
            part.write(data)
            part.flush()
            os.fsync(part.fileno())
        return dataclasses.replace(upload, received=upload.received + len(data))


def part_path(settings: Settings, upload: Incoming) -> Path:
    """Return the file of a complete upload, to check and store."""
    if not upload.complete:
        raise EvidenceError(f"the upload is incomplete: {upload.received} of {upload.size} bytes")
    return _part(incoming_dir(settings), upload.id)


def discard(settings: Settings, upload_id: str) -> None:
    folder = incoming_dir(settings)
    if _ID.fullmatch(upload_id):
        _part(folder, upload_id).unlink(missing_ok=True)
        (folder / f"{upload_id}.json").unlink(missing_ok=True)


def _part(folder: Path, upload_id: str) -> Path:
    return folder / f"{upload_id}.part"


def _write_meta(folder: Path, upload: Incoming) -> None:
    meta = {"owner": upload.owner, "size": upload.size, "started_at": upload.started_at.isoformat()}
    temporary = folder / f".{upload.id}.json"
    temporary.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(temporary, folder / f"{upload.id}.json")


def _read(folder: Path, upload_id: str) -> Incoming | None:
    try:
        meta = json.loads((folder / f"{upload_id}.json").read_text(encoding="utf-8"))
        received = _part(folder, upload_id).stat().st_size
    except (OSError, ValueError):
        return None
    started = dt.datetime.fromisoformat(meta["started_at"])
    return Incoming(upload_id, meta["owner"], int(meta["size"]), received, started)


def _all(folder: Path) -> list[Incoming]:
    found = (_read(folder, meta.stem) for meta in folder.glob("*.json"))
    return [upload for upload in found if upload is not None]


def _prune(folder: Path, now: dt.datetime) -> None:
    for upload in _all(folder):
        if now - upload.started_at > STALE_AFTER:
            _part(folder, upload.id).unlink(missing_ok=True)
            (folder / f"{upload.id}.json").unlink(missing_ok=True)
