"""What the town sees of its villages: who is in touch, what plays, and the broadcast record.

Everything here comes from what the villages sent: heartbeats and as-run rows. The
town does not know a village's plan, so "planned" counts the scheduled occurrences a
village logged (rows with an occurrence key); an occurrence interrupted and resumed
has several rows ("<key>", "<key>#2") and counts once: played if any part played.

The door (playlists/town/village_asrun.py) refuses rows that do not follow the protocol;
a stored row the report still cannot read (kept from before a check existed) is
logged and counted as unreadable, so one row never takes a page down.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from playlists.clock import station_date
from playlists.model import Outcome
from playlists.record.tally import Part, ReasonCount, ReportLine, Tally, combined_outcome
from playlists.store import Store, from_db_time, to_db_time
from playlists.town.villages import Village, list_villages, parse_instant

log = logging.getLogger(__name__)

_PART = re.compile(r"[0-9]{1,6}")  # ASCII digits: "²".isdigit() is true, int("²") fails
_OUTCOMES = {o.value: o for o in Outcome}

# Villages poll every sync.poll_seconds (300 by default): three missed polls is a sign.
STALE_AFTER = dt.timedelta(minutes=15)
# A village clock this far from the town's when its heartbeat arrived is called wrong.
CLOCK_TOLERANCE = dt.timedelta(minutes=2)


@dataclasses.dataclass(frozen=True)
class VillageStatus:
    village: Village
    stale: bool  # no heartbeat for STALE_AFTER (or never)
    clock: str  # "ok", "unsynchronized", "off" (differs from the town's), "unknown"
    clock_offset: dt.timedelta | None  # the village clock minus the town's
    campaign: Tally

    @property
    def now_playing(self) -> str | None:
        value = self.village.heartbeat.get("now_playing")
        return value if isinstance(value, str) and value else None


@dataclasses.dataclass
class _Occurrence:
    village: str
    scheduled: str  # UTC text of its first part
    playlist: str
    parts: list[Part]  # none if unreadable


def village_statuses(
    store: Store, now: dt.datetime, first: dt.datetime, end: dt.datetime
) -> list[VillageStatus]:
    """Every village with its link, clock and campaign tally from first to end."""
    tallies: defaultdict[str, Tally] = defaultdict(Tally)
    for occurrence in _occurrences(store, first, end):
        tallies[occurrence.village] += _tally(occurrence)
    return [_status(v, now, tallies[v.name]) for v in list_villages(store)]


def _status(village: Village, now: dt.datetime, tally: Tally) -> VillageStatus:
    seen = village.last_seen_at
    stale = seen is None or now - seen > STALE_AFTER
    sent = parse_instant(village.heartbeat.get("now"))
    offset = sent - seen if sent is not None and seen is not None else None
    synchronized = village.heartbeat.get("clock_synchronized")
    if offset is not None and abs(offset) > CLOCK_TOLERANCE:
        clock = "off"
    elif synchronized is False:
        clock = "unsynchronized"
    elif synchronized is True:
        clock = "ok"
    else:
        clock = "unknown"
    return VillageStatus(village, stale, clock, offset, tally)


def fleet_report(
    store: Store, tz: ZoneInfo, first: dt.datetime, end: dt.datetime
) -> list[ReportLine]:
    """Per village, station day and playlist: what played, what did not and why."""
    tallies: defaultdict[tuple[str, dt.date, str], Tally] = defaultdict(Tally)
    reasons: defaultdict[tuple[str, dt.date, str], Counter[str]] = defaultdict(Counter)
    for occurrence in _occurrences(store, first, end):
        day = _station_day(occurrence.scheduled, tz)
        if day is None:
            log.warning("village %s: an as-run row scheduled at %r is left out of the report",
                        occurrence.village, occurrence.scheduled)  # fmt: skip
            continue
        group = (occurrence.village, day, occurrence.playlist)
        tallies[group] += _tally(occurrence)
        if not occurrence.parts:
            continue
        status, reason = combined_outcome(occurrence.parts)
        if status not in (Outcome.PLAYED, Outcome.PLAYING):
            reasons[group][reason or status.value] += 1
    return [_line(group, tallies[group], reasons[group]) for group in sorted(tallies)]


def _line(group: tuple[str, dt.date, str], tally: Tally, reasons: Counter[str]) -> ReportLine:
    village, day, playlist = group
    counts = tuple(ReasonCount(reason, n) for reason, n in reasons.most_common())
    return ReportLine(day, playlist, tally, counts, village)


def totals(lines: Iterable[ReportLine]) -> Tally:
    return sum((line.tally for line in lines), Tally())


def _tally(occurrence: _Occurrence) -> Tally:
    if not occurrence.parts:
        return Tally(unreadable=1)
    return _count(combined_outcome(occurrence.parts)[0])


def _station_day(scheduled: str, tz: ZoneInfo) -> dt.date | None:
    """Return the station day of a stored UTC time, None if it cannot be read or moved."""
    try:
        at = from_db_time(scheduled)
        return None if at is None else station_date(at, tz)
    except (ValueError, OverflowError):
        return None


def _count(status: Outcome) -> Tally:
    # A village logs an occurrence once its time has come: every logged one was due.
    return dataclasses.replace(Tally(planned=1, due=1), **{status.value: 1})


def _occurrences(store: Store, first: dt.datetime, end: dt.datetime) -> Iterable[_Occurrence]:
    """The occurrences villages logged with a scheduled time in [first, end)."""
    rows = store.query(
        "SELECT r.id, v.name AS village, r.occurrence, r.playlist_name, r.scheduled_at, r.status, "
        "r.reason FROM village_asrun r JOIN villages v ON v.id = r.village_id "
        "WHERE r.occurrence IS NOT NULL AND r.scheduled_at >= ? AND r.scheduled_at < ? "
        "ORDER BY r.scheduled_at",
        (to_db_time(first), to_db_time(end)),
    )
    found: dict[tuple[str, str], _Occurrence] = {}
    for row in rows:
        key, _sep, part = str(row["occurrence"]).partition("#")
        read = _read_part(row, part)
        if read is None:
            # Its own occurrence, with no parts: counted as unreadable, never guessed at.
            key = f"unreadable row {row['id']}"
        occurrence = found.setdefault(
            (row["village"], key),
            _Occurrence(row["village"], row["scheduled_at"], str(row["playlist_name"]), []),
        )
        if read is not None:
            occurrence.parts.append(read)
    return found.values()


def _read_part(row: sqlite3.Row, part: str) -> Part | None:
    """Return a stored row's (part number, status, reason); log and None if unreadable."""
    status = _OUTCOMES.get(row["status"])
    if (part and not _PART.fullmatch(part)) or status is None:
        log.warning(
            "village %s: as-run row %d is unreadable (occurrence %r, status %r); "
            "the report counts it as unreadable",
            row["village"], row["id"], row["occurrence"], row["status"],
        )  # fmt: skip
        return None
    return (int(part) if part else 1, status.value, str(row["reason"]))
