"""What town and village agree on byte for byte: the feed, the as-run row digest, the limits.

The feed (GET /town/v1/feed) is written by the town (playlists/town/sharing.py) and
read by the village (playlists/sync/transport.py) through `Feed` here, so both sides
hold one schema.

Both sides hash an as-run row the same way, so a village knows which rows the town
already holds (its acknowledgement carries the digest) and sends a row again only
when it changed (playing → played). The digest is over the row dict exactly as sent
in POST /town/v1/asrun: canonical JSON (sorted keys, no spaces, UTF-8 kept as is).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from typing import Any

from playlists.errors import TownAnswerError

API_PREFIX = "/town/v1"
DEVICE_TOKEN_PREFIX = "vcd_"
MAX_ASRUN_ROWS = 500  # per POST /town/v1/asrun
# The keys of one row in POST /town/v1/asrun, in the order the spec lists them.
ASRUN_FIELDS = (
    "id",
    "occurrence",
    "playlist",
    "priority",
    "scheduled",
    "started",
    "ended",
    "status",
    "reason",
    "requested_by",
)
# The keys of a POST /town/v1/heartbeat body: the village sends exactly these.
HEARTBEAT_FIELDS = frozenset(
    {"now", "clock_synchronized", "now_playing", "free_mb", "version", "player_running"}
)
FEED_REVISION_META = "town_feed_revision"
# The instants a village may send (as-run times, the heartbeat's clock). A Pi without a
# real-time clock may boot in 1970, so that is allowed; years 1 or 9999 overflow the
# moment they are moved to another time zone, so they are not.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
# An occurrence key as playlists/model.py writes it: "<schedule id>@<UTC time>[#<part>]".
# ASCII digits only: str.isdigit() also takes "²" and "٣", which int() refuses.
OCCURRENCE = re.compile(
    r"[0-9]{1,19}@[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z(?:#[0-9]{1,6})?"
)
# Characters no text field carries: control characters other than tab and line breaks,
# and lone surrogates (JSON can spell them; UTF-8 cannot store them).
_UNWANTED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def text_allowed(value: str) -> bool:
    """Tell whether a text field holds only characters the protocol allows."""
    return _UNWANTED.search(value) is None


def canonical_row(row: dict[str, object]) -> str:
    """Return the canonical JSON text of a row: sorted keys, compact, non-ASCII kept."""
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_digest(row: dict[str, object]) -> str:
    """Return the SHA-256 (hex) of a row's canonical JSON in UTF-8."""
    return hashlib.sha256(canonical_row(row).encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class FeedEntry:
    """One shared playlist as the feed lists it."""

    id: int
    name: str
    version: str  # SHA-256 of the bundle's manifest.json

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "version": self.version}

    @classmethod
    def from_json(cls, entry: object) -> FeedEntry:
        """Read one listed playlist; raise TownAnswerError naming what is wrong."""
        if not isinstance(entry, dict):
            raise TownAnswerError("/feed: every playlist must be an object")
        playlist_id, name, version = entry.get("id"), entry.get("name"), entry.get("version")
        if isinstance(playlist_id, bool) or not isinstance(playlist_id, int):
            raise TownAnswerError("/feed: a playlist's 'id' must be a whole number")
        if not isinstance(name, str) or not isinstance(version, str) or not version:
            raise TownAnswerError(f"/feed: playlist {playlist_id} needs a 'name' and a 'version'")
        return cls(playlist_id, name, version)


@dataclasses.dataclass(frozen=True)
class Feed:
    """The body of GET /town/v1/feed: the shared playlists at one revision, also its ETag."""

    revision: str
    playlists: tuple[FeedEntry, ...]

    def to_json(self) -> dict[str, Any]:
        return {"revision": self.revision, "playlists": [e.to_json() for e in self.playlists]}

    @classmethod
    def from_json(cls, document: dict[str, Any], revision: str) -> Feed:
        """Read a feed body; `revision` is the ETag it came with ("" when none)."""
        listing = document.get("playlists")
        if not isinstance(listing, list):
            raise TownAnswerError("/feed: 'playlists' must be a list")
        return cls(revision, tuple(FeedEntry.from_json(entry) for entry in listing))
