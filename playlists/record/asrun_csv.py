"""The as-run log as CSV that Excel on a Chinese Windows opens correctly, for files and packages.

The same columns as the panel's download (web/asrun_export.py), so a clerk sees one
layout whether the file came from the panel or from an evidence package.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from zoneinfo import ZoneInfo

from playlists.clock import station_iso
from playlists.model import AsRunRow
from playlists.record import notes

COLUMNS = (
    "scheduled",
    "started",
    "ended",
    "playlist",
    "priority",
    "status",
    "reason",
    "requested_by",
)
# Excel reads a CSV without a byte-order mark as the local code page (GBK in China).
BOM = "\ufeff"
# A cell starting with one of these is a formula to Excel; a leading quote keeps it text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def excel_text(value: str | None) -> str:
    """Return a cell's text so Excel shows it as text, never runs it as a formula."""
    value = value or ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def excel_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Return a whole CSV document with a BOM and Excel's line ends."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def asrun_csv(rows: Iterable[AsRunRow], tz: ZoneInfo) -> str:
    """Return the as-run rows as one CSV document, times in the station's zone."""
    return excel_csv(COLUMNS, (asrun_values(row, tz) for row in rows))


def _iso(value: dt.datetime | None, tz: ZoneInfo) -> str:
    return station_iso(value, tz) or ""


def asrun_values(
    row: AsRunRow, tz: ZoneInfo, say: Callable[[str], str] = notes.english
) -> list[str]:
    """Return one row's cells; `say` words its coded reason (English unless told)."""
    return [
        _iso(row.scheduled_at, tz),
        _iso(row.started_at, tz),
        _iso(row.ended_at, tz),
        excel_text(row.playlist_name),
        row.priority.value,
        row.status.value,
        excel_text(say(row.reason) if row.reason else row.reason),
        excel_text(row.requested_by),
    ]
