"""Campaign evidence: per station day and playlist, what was planned, what played, and why not.

The town asks every village to report its broadcasts (the 9 April report). The
numbers come from the plan (what the schedules say) and the as-run log (what the
player did). An occurrence that was interrupted and resumed has several log rows
("<schedule>@<utc>", "<schedule>@<utc>#2", ...) and counts once: as played if
any part played.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

from playlists.clock import station_date
from playlists.model import AsRunRow, Outcome, PlannedBroadcast
from playlists.plan import day_range, station_plan
from playlists.record import asrun
from playlists.record.asrun import PlannedPart
from playlists.record.tally import TALLY_FIELDS, ReasonCount, ReportLine, Tally, combined_outcome
from playlists.settings import Settings
from playlists.store import Store, to_db_time


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


def base_key(occurrence: str) -> str:
    """Return the occurrence key without its part suffix ("#2")."""
    return occurrence.partition("#")[0]


def _part(row: PlannedPart) -> int:
    _, _, part = row[0].partition("#")
    return int(part) if part.isdigit() else 1


def occurrence_outcome(parts: Sequence[PlannedPart]) -> tuple[Outcome, str]:
    """Return what happened to one occurrence, from its parts' log rows, and the reason."""
    if len(parts) == 1:  # nearly every occurrence: one row, its own outcome
        _, status, reason, _, _ = parts[0]
        outcome = _OUTCOMES[status]
        return outcome, "" if outcome in _ON_AIR else reason
    return combined_outcome([(_part(row), row[1], row[2]) for row in parts])


_OUTCOMES = {outcome.value: outcome for outcome in Outcome}  # faster than calling Outcome
_ON_AIR = (Outcome.PLAYED, Outcome.PLAYING)  # outcomes that need no reason


def campaign_report(
    store: Store,
    settings: Settings,
    first: dt.date,
    last: dt.date,
    now: dt.datetime,
    planned: Sequence[PlannedBroadcast] | None = None,
) -> Report:
    """Report the station days first..last (inclusive) as they stand at `now`.

    `planned` is the station plan of those days, when the caller has it already.
    """
    tz = settings.tz
    start, end = day_range(first, last, tz)
    if planned is None:
        planned = station_plan(store, settings, start, end)
    logged = _Logged(asrun.planned_parts_between(store, start, end))
    counts = _Counts()
    for b in planned:
        parts = logged.take(b.key)
        counts.add(station_date(b.start, tz), b.playlist_name, b.start < now, parts)
    # The rest have rows but are no longer planned: their schedule was since changed or
    # deleted (every row of an old campaign, once its entries are removed). They were
    # planned when they ran, and were due.
    days = _StationDays(first, last, tz)
    singles, several = logged.rest()
    for day, rows in days.split(singles):
        counts.add_rows(day, rows)
    for parts in several:
        _, _, _, scheduled_at, name = parts[0]
        counts.add(days.of(scheduled_at), name, True, parts)
    manual = tuple(asrun.manual_between(store, start, end))
    return Report(
        first,
        last,
        now,
        counts.lines(),
        manual,
        counts.totals(),
        _reason_counts(counts.all_reasons()),
    )


class _Logged:
    """The log's planned rows by occurrence: taken one occurrence at a time."""

    def __init__(self, rows: Iterable[PlannedPart]) -> None:
        # Nearly every occurrence has one row: only the parts after an interruption
        # ("#2", ...) are collected in lists, so ten thousand rows cost little.
        self.first: dict[str, PlannedPart] = {}
        self.later: defaultdict[str, list[PlannedPart]] = defaultdict(list)
        for row in rows:
            if "#" in row[0]:
                self.later[base_key(row[0])].append(row)
            else:
                self.first[row[0]] = row

    def take(self, key: str) -> list[PlannedPart]:
        """Return an occurrence's rows in time order (none if it has none) and forget them."""
        row = self.first.pop(key, None)
        later = self.later.pop(key, [])
        return later if row is None else [row, *later]

    def rest(self) -> tuple[list[PlannedPart], list[list[PlannedPart]]]:
        """Return the occurrences not taken: one-row ones in time order, and the rest."""
        singles = [row for key, row in self.first.items() if key not in self.later]
        several = [
            [self.first[key], *parts] if key in self.first else parts
            for key, parts in self.later.items()
        ]
        return singles, several


class _StationDays:
    """The station days first..last, told from instants as the store keeps them.

    Stored times are fixed-width UTC text that sorts in time order, so comparing it
    with each day's first instant finds the day without parsing thousands of times.
    """

    def __init__(self, first: dt.date, last: dt.date, tz: ZoneInfo) -> None:
        self.days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        self.starts = [to_db_time(day_range(day, day, tz)[0]) for day in self.days]

    def of(self, stored: str) -> dt.date:
        # Every row read lies in [first day's start, end): bisect_right finds a day from 1 up.
        return self.days[bisect.bisect_right(self.starts, stored) - 1]

    def split(self, rows: Sequence[PlannedPart]) -> Iterator[tuple[dt.date, Sequence[PlannedPart]]]:
        """Cut rows in time order into each day's."""
        times = [row[3] for row in rows]
        ends = [bisect.bisect_left(times, start) for start in self.starts[1:]] + [len(rows)]
        begin = 0
        for day, end in zip(self.days, ends, strict=True):
            yield day, rows[begin:end]
            begin = end


class _Counts:
    """Tallies and reasons per station day and playlist, one occurrence at a time."""

    def __init__(self) -> None:
        # Plain dicts of counts: Counter and dataclass updates cost more than the rest.
        self.tallies: dict[tuple[dt.date, str], dict[str, int]] = {}
        self.reasons: defaultdict[tuple[dt.date, str], Counter[str]] = defaultdict(Counter)

    def tally(self, day: dt.date, name: str) -> dict[str, int]:
        tally = self.tallies.get((day, name))
        if tally is None:
            tally = self.tallies[day, name] = dict.fromkeys(TALLY_FIELDS, 0)
        return tally

    def add(self, day: dt.date, name: str, due: bool, parts: Sequence[PlannedPart]) -> None:
        """Count one occurrence from its parts' rows (none if the log has none)."""
        tally = self.tally(day, name)
        tally["planned"] += 1
        tally["due"] += due
        if not parts:
            tally["unlogged"] += due
            return
        outcome, reason = occurrence_outcome(parts)
        tally[outcome] += 1  # a StrEnum: it finds its value's key
        if reason and outcome not in _ON_AIR:
            self.reasons[day, name][reason] += 1

    def add_rows(self, day: dt.date, rows: Iterable[PlannedPart]) -> None:
        """Count due occurrences of one row each on one day, all alike ones at once."""
        alike = Counter((name, status, reason) for _, status, reason, _, name in rows)
        for (name, status, reason), n in alike.items():
            tally = self.tally(day, name)
            outcome = _OUTCOMES[status]
            tally["planned"] += n
            tally["due"] += n
            tally[outcome] += n
            if reason and outcome not in _ON_AIR:
                self.reasons[day, name][reason] += n

    def totals(self) -> Tally:
        tallies = self.tallies.values()
        return Tally(**{name: sum(tally[name] for tally in tallies) for name in TALLY_FIELDS})

    def all_reasons(self) -> Counter[str]:
        reasons: Counter[str] = Counter()
        for counted in self.reasons.values():
            reasons.update(counted)
        return reasons

    def lines(self) -> tuple[ReportLine, ...]:
        return tuple(
            ReportLine(day, name, Tally(**tally), _reason_counts(self.reasons[day, name]))
            for (day, name), tally in sorted(self.tallies.items())
        )


def _reason_counts(reasons: Counter[str]) -> tuple[ReasonCount, ...]:
    ordered = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    return tuple(ReasonCount(reason, count) for reason, count in ordered)
