"""The broadcast record as CSV (that Excel on a Chinese Windows opens correctly) and as JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from playlists.clock import station_iso
from playlists.model import AsRunRow
from playlists.record import notes
from playlists.record.asrun_csv import BOM, COLUMNS, asrun_values


def _iso(value: dt.datetime | None, tz: ZoneInfo) -> str:
    return station_iso(value, tz) or ""


_PRIORITY = COLUMNS.index("priority")
_STATUS = COLUMNS.index("status")


def csv_row(
    row: AsRunRow, tz: ZoneInfo, words: Mapping[str, str], labels: Mapping[str, str]
) -> list[str]:
    values = asrun_values(row, tz, lambda reason: words.get(reason, reason))
    for column in (_PRIORITY, _STATUS):
        values[column] = labels.get(values[column], values[column])
    return values


def csv_lines(
    rows: Iterable[AsRunRow],
    tz: ZoneInfo,
    words: Mapping[str, str],
    header: Iterable[str] = COLUMNS,
    labels: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Yield the CSV a line at a time, so a long export is streamed, not built whole.

    `words` holds each reason, `header` the column names and `labels` each priority and
    status in the reader's language, made in the request: the body is written after it
    ends, when the language is no longer known. The columns are those of the evidence
    package's CSV, in the same order.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # Excel's line ends
    yield BOM
    said = labels or {}
    for values in ([*header], *(csv_row(row, tz, words, said) for row in rows)):
        writer.writerow(values)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def asrun_json(row: AsRunRow, tz: ZoneInfo) -> dict[str, Any]:
    """Shape one as-run row for the JSON API, times in the station's zone."""
    return {
        "id": row.id,
        "occurrence": row.occurrence,  # null for a manual or emergency broadcast
        "scheduled": _iso(row.scheduled_at, tz),
        "started": _iso(row.started_at, tz) or None,
        "ended": _iso(row.ended_at, tz) or None,
        "playlist": row.playlist_name,
        "playlist_id": row.playlist_id,
        "priority": row.priority.value,
        "status": row.status.value,
        "reason": notes.english(row.reason),  # English words, as before notes were codes
        "note": _coded(row.reason),
        "requested_by": row.requested_by,
    }


def _coded(reason: str) -> list[dict[str, Any]] | None:
    """Return a row's notes as {code, params}; None for a row from before they were codes."""
    read = notes.read(reason)
    if isinstance(read, str):
        return None
    return [{"code": n.code.value, "params": dict(n.params)} for n in read]
