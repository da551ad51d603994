"""As-run rows the villages send to the town (POST /town/v1/asrun), checked and kept.

A batch is checked whole before anything is stored: one bad row refuses the batch,
naming the row and the field. Rows are upserted by (village, the village's own row
id), so a row sent again after a lost answer, or sent again because it changed
(playing → played), replaces its earlier copy and is never counted twice. The
answer acknowledges each row with its digest (playlists/sync/wire.py), which the
village keeps to know what the town holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from playlists.errors import AsRunBatchError
from playlists.model import Outcome, Priority
from playlists.store import Store, to_db_time
from playlists.sync.wire import (
    ASRUN_FIELDS,
    MAX_ASRUN_ROWS,
    OCCURRENCE,
    row_digest,
    text_allowed,
)
from playlists.town.villages import parse_instant

# reason: notes, with an emergency's text (up to 500 characters) among them.
MAX_ASRUN_FIELD = {"occurrence": 100, "playlist": 200, "reason": 2000, "requested_by": 100}
_FIELDS = frozenset(ASRUN_FIELDS)
_PRIORITIES = frozenset(p.value for p in Priority)
_OUTCOMES = frozenset(o.value for o in Outcome)


def check_batch(body: object) -> list[dict[str, object]]:
    """Return the rows of a POST /town/v1/asrun body, each checked; else AsRunBatchError."""
    if not isinstance(body, dict) or set(body) != {"rows"} or not isinstance(body["rows"], list):
        raise AsRunBatchError('the body must be a JSON object {"rows": [...]}')
    rows = body["rows"]
    if len(rows) > MAX_ASRUN_ROWS:
        raise AsRunBatchError(f"send at most {MAX_ASRUN_ROWS} rows at once (got {len(rows)})")
    for number, row in enumerate(rows):
        problem = _problem(row)
        if problem:
            raise AsRunBatchError(f"row {number}: {problem}")
    return rows


def _problem(row: object) -> str | None:
    """Say what is wrong with one row, or None."""
    if not isinstance(row, dict):
        return "must be a JSON object"
    missing = sorted(_FIELDS - row.keys())
    if missing:
        return f"lacks the field {missing[0]!r}"
    unknown = sorted(row.keys() - _FIELDS)
    if unknown:
        return f"has an unknown field {unknown[0]!r}"
    row_id = row["id"]
    if isinstance(row_id, bool) or not isinstance(row_id, int) or not 0 < row_id < 2**63:
        return "'id' must be a positive whole number"
    # Text first: a list or an object is unhashable, and `in` a set would raise.
    if not isinstance(row["priority"], str) or row["priority"] not in _PRIORITIES:
        return f"'priority' must be one of: {', '.join(sorted(_PRIORITIES))}"
    if not isinstance(row["status"], str) or row["status"] not in _OUTCOMES:
        return f"'status' must be one of: {', '.join(sorted(_OUTCOMES))}"
    if parse_instant(row["scheduled"]) is None:
        return "'scheduled' must be a time from 1970 to 2099 like 2023-03-28T07:30:00+08:00"
    for field in ("started", "ended"):
        if row[field] is not None and parse_instant(row[field]) is None:
            return f"{field!r} must be a time from 1970 to 2099 with its UTC offset, or null"
    return _text_problem(row) or _occurrence_problem(row["occurrence"])


def _occurrence_problem(occurrence: object) -> str | None:
    if occurrence is None or OCCURRENCE.fullmatch(str(occurrence)):
        return None
    return "'occurrence' must be null or like 12@2023-03-28T07:30:00Z or 12@2023-03-28T07:30:00Z#2"


def _text_problem(row: Mapping[str, object]) -> str | None:
    for field, limit in MAX_ASRUN_FIELD.items():
        value = row[field]
        nullable = field in ("occurrence", "requested_by")
        if value is None and nullable:
            continue
        if not isinstance(value, str) or len(value) > limit or not text_allowed(value):
            kind = "text or null" if nullable else "text"
            return f"{field!r} must be {kind} of at most {limit} characters, no control characters"
    if not str(row["playlist"]).strip():
        return "'playlist' must not be empty"
    return None


def store_batch(
    store: Store, village_id: int, rows: list[dict[str, object]], now: dt.datetime
) -> list[dict[str, object]]:
    """Upsert checked rows in one transaction; return each row's id with its digest."""
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO village_asrun (village_id, remote_id, occurrence, playlist_name, "
            "priority, scheduled_at, started_at, ended_at, status, reason, requested_by, "
            "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (village_id, remote_id) DO UPDATE SET occurrence = excluded.occurrence, "
            "playlist_name = excluded.playlist_name, priority = excluded.priority, "
            "scheduled_at = excluded.scheduled_at, started_at = excluded.started_at, "
            "ended_at = excluded.ended_at, status = excluded.status, reason = excluded.reason, "
            "requested_by = excluded.requested_by, received_at = excluded.received_at",
            [_values(village_id, row, now) for row in rows],
        )
    return [{"id": row["id"], "digest": row_digest(row)} for row in rows]


def _values(village_id: int, row: Mapping[str, object], now: dt.datetime) -> tuple[object, ...]:
    return (
        village_id,
        row["id"],
        row["occurrence"],
        row["playlist"],
        row["priority"],
        _db_time(row["scheduled"]),
        _db_time(row["started"]),
        _db_time(row["ended"]),
        row["status"],
        row["reason"],
        row["requested_by"],
        to_db_time(now),
    )


def _db_time(value: object) -> str | None:
    instant = parse_instant(value)
    return None if instant is None else to_db_time(instant)
