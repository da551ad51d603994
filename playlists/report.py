"""Campaign evidence: per station day and playlist, what was planned, what played, and why not.

The town asks every village to report its broadcasts (the 9 April report). The
numbers come from the plan (what the schedules say) and the as-run log (what the
player did). An occurrence that was interrupted and resumed has several log rows
("<schedule>@<utc>", "<schedule>@<utc>#2", ...) and counts once: as played if
any part played.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from playlists import asrun
from playlists.model import AsRunRow, Outcome
from playlists.plan import day_range, station_plan
from playlists.settings import Settings
from playlists.store import Store


@dataclasses.dataclass(frozen=True)
class Tally:
    """Counts of occurrences; every occurrence is in `planned` and in at most one outcome."""

    planned: int = 0
    due: int = 0  # planned before the report's `now`
    played: int = 0
    interrupted: int = 0  # cut off and never completed
    skipped: int = 0
    missed: int = 0
    failed: int = 0
    playing: int = 0  # on air as the report is made
    unlogged: int = 0  # due, but the log has no row for it

    @property
    def not_played(self) -> int:
        return self.interrupted + self.skipped + self.missed + self.failed + self.unlogged

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            **{
                field.name: getattr(self, field.name) + getattr(other, field.name)
                for field in dataclasses.fields(self)
            }
        )


@dataclasses.dataclass(frozen=True)
class ReasonCount:
    reason: str
    count: int


@dataclasses.dataclass(frozen=True)
class ReportLine:
    """One playlist on one station day."""

    day: dt.date
    playlist_name: str
    tally: Tally
    reasons: tuple[ReasonCount, ...]  # why what did not play did not play, most common first


@dataclasses.dataclass(frozen=True)
class Report:
    first: dt.date
    last: dt.date
    generated_at: dt.datetime
    lines: tuple[ReportLine, ...]
    manual: tuple[AsRunRow, ...]  # broadcasts asked for by a person, not by a schedule
    totals: Tally
    reasons: tuple[ReasonCount, ...]

    @property
    def manual_played(self) -> int:
        return sum(1 for row in self.manual if row.status is Outcome.PLAYED)


@dataclasses.dataclass
class _Occurrence:
    day: dt.date
    playlist_name: str
    due: bool
    parts: list[AsRunRow] = dataclasses.field(default_factory=list)


def base_key(occurrence: str) -> str:
    """Return the occurrence key without its part suffix ("#2")."""
    return occurrence.partition("#")[0]


def _part(row: AsRunRow) -> int:
    _, _, part = (row.occurrence or "").partition("#")
    return int(part) if part.isdigit() else 1


def occurrence_outcome(parts: list[AsRunRow]) -> tuple[Outcome, str]:
    """Return what happened to one occurrence, from all its parts, and the reason it gives."""
    ordered = sorted(parts, key=_part)
    statuses = {row.status for row in ordered}
    reason = next((row.reason for row in reversed(ordered) if row.reason), "")
    if Outcome.PLAYED in statuses:
        return Outcome.PLAYED, ""
    if Outcome.PLAYING in statuses:
        return Outcome.PLAYING, ""
    if Outcome.INTERRUPTED in statuses:  # it was on air, but never to the end
        return Outcome.INTERRUPTED, reason
    return ordered[-1].status, reason


def campaign_report(
    store: Store, settings: Settings, first: dt.date, last: dt.date, now: dt.datetime
) -> Report:
    """Report the station days first..last (inclusive) as they stand at `now`."""
    tz = settings.tz
    start, end = day_range(first, last, tz)
    occurrences: dict[str, _Occurrence] = {}
    for planned in station_plan(store, settings, start, end):
        day = planned.start.astimezone(tz).date()
        occurrences[planned.key] = _Occurrence(day, planned.playlist_name, planned.start < now)
    manual: list[AsRunRow] = []
    for row in asrun.rows_between(store, start, end):
        if row.occurrence is None:
            manual.append(row)
            continue
        # A row whose schedule was since changed or deleted was still planned when it ran.
        found = occurrences.setdefault(
            base_key(row.occurrence),
            _Occurrence(row.scheduled_at.astimezone(tz).date(), row.playlist_name, True),
        )
        found.parts.append(row)
    lines = _lines(occurrences.values())
    totals = sum((line.tally for line in lines), Tally())
    reasons: Counter[str] = Counter()
    for line in lines:
        reasons.update({r.reason: r.count for r in line.reasons})
    return Report(first, last, now, lines, tuple(manual), totals, _reason_counts(reasons))


def _lines(occurrences: Iterable[_Occurrence]) -> tuple[ReportLine, ...]:
    counts: defaultdict[tuple[dt.date, str], Counter[str]] = defaultdict(Counter)
    reasons: defaultdict[tuple[dt.date, str], Counter[str]] = defaultdict(Counter)
    for occurrence in occurrences:
        group = (occurrence.day, occurrence.playlist_name)
        tally = counts[group]
        tally["planned"] += 1
        tally["due"] += occurrence.due
        if not occurrence.parts:
            tally["unlogged"] += occurrence.due
            continue
        outcome, reason = occurrence_outcome(occurrence.parts)
        tally[outcome.value] += 1
        if reason and outcome not in (Outcome.PLAYED, Outcome.PLAYING):
            reasons[group][reason] += 1
    return tuple(
        ReportLine(day, name, Tally(**counts[day, name]), _reason_counts(reasons[day, name]))
        for day, name in sorted(counts)
    )


def _reason_counts(reasons: Counter[str]) -> tuple[ReasonCount, ...]:
    ordered = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    return tuple(ReasonCount(reason, count) for reason, count in ordered)
