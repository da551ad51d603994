"""What town and village agree on byte for byte: the as-run row digest and the limits.

Both sides hash an as-run row the same way, so a village knows which rows the town
already holds (its acknowledgement carries the digest) and sends a row again only
when it changed (playing → played). The digest is over the row dict exactly as sent
in POST /town/v1/asrun: canonical JSON (sorted keys, no spaces, UTF-8 kept as is).
"""

from __future__ import annotations

import hashlib
import json

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
FEED_REVISION_META = "town_feed_revision"


def canonical_row(row: dict[str, object]) -> str:
    """Return the canonical JSON text of a row: sorted keys, compact, non-ASCII kept."""
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_digest(row: dict[str, object]) -> str:
    """Return the SHA-256 (hex) of a row's canonical JSON in UTF-8."""
    return hashlib.sha256(canonical_row(row).encode("utf-8")).hexdigest()
