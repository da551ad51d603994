"""Evidence photos and videos the villages send to the town, in resumable pieces, once each.

A village offers an item by its SHA-256 and size; the town answers how many bytes of
it it holds (all of them when the item is stored already), the village sends the rest
in pieces, then finishes with the item's caption, topic and day. Only then does the
town check the whole file: its SHA-256, and the same checks as an upload at a village
(playlists/evidence/writer.py), and stores it with a thumbnail of its own making.
Parts survive a restart of either side (appended and synced piece by piece).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import threading
from pathlib import Path

from media.errors import MediaError
from media.photos import save_clean
from media.videos import VideoInfo, make_thumbnail
from playlists.errors import (
    EvidenceError,
    NotFoundError,
    VillageEvidenceError,
)
from playlists.evidence.limits import VIDEO_TOOL_SECONDS, largest_upload, photo_limits
from playlists.evidence.model import MAX_CAPTION
from playlists.evidence.writer import evidence_dir, file_sha256, probe
from playlists.settings import Settings
from playlists.store import Store, from_db_time, to_db_time

MAX_PIECE = 1024 * 1024
SHA256 = re.compile(r"[0-9a-f]{64}")
_APPENDING = threading.Lock()
_META = {"kind": str, "caption": str, "topic": str, "taken_on": str, "added_by": str}


@dataclasses.dataclass(frozen=True)
class VillageItem:
    id: int
    village_id: int
    village: str
    sha256: str
    kind: str
    caption: str
    topic: str
    taken_on: dt.date
    added_by: str
    file: str
    thumbnail: str
    bytes: int
    duration: float | None
    received_at: dt.datetime
    review: str = "new"  # new, accepted, more (the town asks for more)
    review_comment: str = ""


def town_dir(settings: Settings) -> Path:
    return evidence_dir(settings) / "villages"


def offer(store: Store, settings: Settings, village_id: int, sha256: str, size: int) -> int:
    """Return how many bytes of the item the town holds; its size when it is stored."""
    _check_offer(settings, sha256, size)
    if _stored(store, village_id, sha256):
        return size
    part, meta = _part(settings, village_id, sha256)
    part.parent.mkdir(parents=True, exist_ok=True)
    if not meta.exists() or json.loads(meta.read_text(encoding="utf-8"))["size"] != size:
        part.write_bytes(b"")
        meta.write_text(json.dumps({"size": size}), encoding="utf-8")
    return part.stat().st_size


def append(settings: Settings, village_id: int, sha256: str, offset: int, data: bytes) -> int:
    """Add a piece at offset, which must be where the part stands; return the bytes held."""
    if len(data) > MAX_PIECE:
        raise VillageEvidenceError(f"a piece may hold at most {MAX_PIECE} bytes")
    with _APPENDING:
        part, meta = _part(settings, village_id, sha256)
        if not SHA256.fullmatch(sha256) or not meta.exists():
            raise NotFoundError("offer the item first")
        held = part.stat().st_size
        size = int(json.loads(meta.read_text(encoding="utf-8"))["size"])
        if offset != held:
            raise VillageEvidenceError(f"the town holds {held} bytes, not {offset}")
        if held + len(data) > size:
            raise VillageEvidenceError("more bytes than the item was offered with")
        with part.open("ab") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        return held + len(data)


def finish(
    store: Store, settings: Settings, village_id: int, sha256: str, body: object, now: dt.datetime
) -> int:
    """Check and store a whole item with its fields; return its id (the same when sent twice)."""
    meta = _checked_meta(body)
    stored = _stored(store, village_id, sha256)
    if stored is not None:
        return stored
    part, sidecar = _part(settings, village_id, sha256)
    if not sidecar.exists():
        raise NotFoundError("offer the item first")
    try:
        return _store_part(store, settings, village_id, sha256, part, meta, now)
    except (VillageEvidenceError, EvidenceError, MediaError) as exc:
        part.unlink(missing_ok=True)  # refused whole: the next offer starts again
        sidecar.unlink(missing_ok=True)
        raise VillageEvidenceError(str(exc)) from None


def _store_part(
    store: Store,
    settings: Settings,
    village_id: int,
    sha256: str,
    part: Path,
    meta: dict[str, str],
    now: dt.datetime,
) -> int:
    if file_sha256(part) != sha256:
        raise VillageEvidenceError("the file's SHA-256 differs from the one offered")
    found = probe(part, settings)
    if found.kind != meta["kind"]:
        raise VillageEvidenceError(f"the file is a {found.kind}, not a {meta['kind']}")
    folder = town_dir(settings) / str(village_id)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = found.info.suffix if isinstance(found.info, VideoInfo) else _photo_suffix(part)
    name, thumbnail = f"{sha256}.{suffix}", f"{sha256}.thumb.jpg"
    _thumbnail(part, folder / thumbnail, found.info, settings)
    size = part.stat().st_size
    os.replace(part, folder / name)
    _part(settings, village_id, sha256)[1].unlink(missing_ok=True)
    duration = found.info.duration if isinstance(found.info, VideoInfo) else None
    with store.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO village_evidence (village_id, sha256, kind, caption, topic, taken_on, "
            "added_by, file, thumbnail, bytes, duration, received_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                village_id, sha256, meta["kind"], meta["caption"], meta["topic"],
                meta["taken_on"], meta["added_by"], name, thumbnail, size, duration,
                to_db_time(now),
            ),
        )  # fmt: skip
    return int(cursor.lastrowid or 0)


def _thumbnail(part: Path, target: Path, info: object, settings: Settings) -> None:
    if isinstance(info, VideoInfo):
        make_thumbnail(part, target, info.duration, timeout=VIDEO_TOOL_SECONDS)
        return
    scratch = target.with_suffix(".scratch")
    try:
        save_clean(part, scratch, target, keep_gps=True, limits=photo_limits(settings))
    finally:
        scratch.unlink(missing_ok=True)


def _photo_suffix(part: Path) -> str:
    with part.open("rb") as file:
        return "png" if file.read(4) == b"\x89PNG" else "jpg"


def list_items(store: Store) -> list[VillageItem]:
    rows = store.query(
        "SELECT e.*, v.name AS village FROM village_evidence e JOIN villages v "
        "ON v.id = e.village_id ORDER BY v.name, e.topic, e.taken_on, e.id"
    )
    return [_item(row) for row in rows]


def get_item(store: Store, item_id: int) -> VillageItem:
    row = store.query_one(
        "SELECT e.*, v.name AS village FROM village_evidence e JOIN villages v "
        "ON v.id = e.village_id WHERE e.id = ?",
        (item_id,),
    )
    if row is None:
        raise NotFoundError(f"village evidence {item_id} does not exist")
    return _item(row)


def item_path(settings: Settings, item: VillageItem, name: str) -> Path:
    return town_dir(settings) / str(item.village_id) / name


def _item(row: sqlite3.Row) -> VillageItem:
    received = from_db_time(row["received_at"])
    assert received is not None  # NOT NULL in the schema
    return VillageItem(
        row["id"], row["village_id"], row["village"], row["sha256"], row["kind"], row["caption"],
        row["topic"], dt.date.fromisoformat(row["taken_on"]), row["added_by"], row["file"],
        row["thumbnail"], row["bytes"], row["duration"], received, row["review"],
        row["review_comment"],
    )  # fmt: skip


def _stored(store: Store, village_id: int, sha256: str) -> int | None:
    row = store.query_one(
        "SELECT id FROM village_evidence WHERE village_id = ? AND sha256 = ?", (village_id, sha256)
    )
    return None if row is None else int(row["id"])


def _part(settings: Settings, village_id: int, sha256: str) -> tuple[Path, Path]:
    folder = town_dir(settings) / "incoming"
    return folder / f"{village_id}-{sha256}.part", folder / f"{village_id}-{sha256}.json"


def _check_offer(settings: Settings, sha256: str, size: int) -> None:
    if not SHA256.fullmatch(sha256):
        raise VillageEvidenceError("sha256 must be 64 lower-case hex digits")
    limit = largest_upload(settings)
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= limit:
        raise VillageEvidenceError(f"size must be from 1 to {limit} bytes")
    free_mb = (shutil.disk_usage(evidence_dir(settings).parent).free - 2 * size) / 1e6
    if free_mb < settings.storage.min_free_mb:
        raise VillageEvidenceError("the town's disk is full; try again later")


def _checked_meta(body: object) -> dict[str, str]:
    if not isinstance(body, dict) or set(body) != set(_META):
        raise VillageEvidenceError(f"send exactly these fields: {', '.join(sorted(_META))}")
    if not all(isinstance(body[key], str) for key in _META):
        raise VillageEvidenceError("every field must be text")
    meta: dict[str, str] = dict(body)
    if meta["kind"] not in ("photo", "video"):
        raise VillageEvidenceError("kind must be photo or video")
    if not 0 < len(meta["caption"]) <= MAX_CAPTION or not 0 < len(meta["topic"]) <= 100:
        raise VillageEvidenceError(f"caption (up to {MAX_CAPTION}) and topic must not be empty")
    if len(meta["added_by"]) > 100:
        raise VillageEvidenceError("added_by is too long")
    try:
        dt.date.fromisoformat(meta["taken_on"])
    except ValueError:
        raise VillageEvidenceError("taken_on must be a date like 2023-03-30") from None
    return meta
