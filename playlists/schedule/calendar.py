"""The schedule calendar: campaign days × hours of the day, quiet hours and conflicts.

Pure functions over `playlists.plan` output, so the panel's calendar shows what the
player will do. Conflicts follow the playout rules (scheduler/playout.py): a higher
priority cuts into a lower one; an equal or lower one waits for the lane up to its
wait, or is skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from playlists.clock import station_date
from playlists.model import InterruptPolicy, PlannedBroadcast, QuietHours, ScheduleEntry
from playlists.plan import day_range, plan


class Effect(enum.StrEnum):
    """What an overlap does to the broadcast it affects."""

    WAITS = "waits"  # due while the lane is busy: it starts when the other one ends
    SKIPPED = "skipped"  # the lane stays busy longer than it waits, or its policy is skip
    CUT = "cut"  # a higher priority cuts in; then it resumes, restarts or is dropped


@dataclasses.dataclass(frozen=True)
class Conflict:
    """Two broadcasts whose time spans overlap: `affected` waits, is skipped or is cut."""

    day: dt.date  # the station day the affected broadcast is due on
    affected: PlannedBroadcast
    by: PlannedBroadcast  # the broadcast holding the lane, or cutting in
    effect: Effect
    wait: float  # seconds the affected one would wait for the lane (0 when it is cut)


@dataclasses.dataclass(frozen=True)
class Cell:
    """The broadcasts due in one hour of one day, in time order."""

    day: dt.date
    hour: dt.time  # the hour's start: 07:00 holds 07:00..07:59
    quiet: bool  # the whole hour lies in the quiet hours: only emergencies play
    broadcasts: tuple[PlannedBroadcast, ...]


@dataclasses.dataclass(frozen=True)
class Grid:
    """Days (columns) × the hours anything is due in (rows) of a stretch of the plan.

    Rows are hours, not distinct times: a busy campaign has a hundred and more
    distinct times a day, and nobody reads a calendar that long.
    """

    days: tuple[dt.date, ...]
    hours: tuple[dt.time, ...]
    rows: tuple[tuple[Cell, ...], ...]  # rows[i][j] is hours[i] on days[j]


def campaign_days(first: dt.date, last: dt.date) -> tuple[dt.date, ...]:
    """Return every calendar day first..last (inclusive), across month ends."""
    return tuple(first + dt.timedelta(days=n) for n in range((last - first).days + 1))


def build_grid(
    planned: Iterable[PlannedBroadcast],
    first: dt.date,
    last: dt.date,
    tz: ZoneInfo,
    quiet: QuietHours | None = None,
) -> Grid:
    """Lay planned broadcasts out as days first..last × the hours anything is due in."""
    days = campaign_days(first, last)
    due: dict[tuple[dt.date, int], list[PlannedBroadcast]] = {}
    for broadcast in planned:
        local = broadcast.start.astimezone(tz)
        if first <= local.date() <= last:
            due.setdefault((local.date(), local.hour), []).append(broadcast)
    hours = sorted({hour for _, hour in due})
    rows = tuple(
        tuple(
            Cell(
                day=day,
                hour=dt.time(hour),
                quiet=quiet_hour(hour, quiet),
                broadcasts=tuple(sorted(due.get((day, hour), ()), key=lambda b: b.start)),
            )
            for day in days
        )
        for hour in hours
    )
    return Grid(days=days, hours=tuple(dt.time(hour) for hour in hours), rows=rows)


def quiet_hour(hour: int, quiet: QuietHours | None) -> bool:
    """Tell whether the whole hour lies in the quiet hours (a part of it is not enough)."""
    if quiet is None or not quiet.contains(dt.time(hour)):
        return False
    # The hour starts quiet; it stays quiet unless the stretch ends inside it.
    return not (quiet.end.hour == hour and quiet.end > dt.time(hour))


def find_conflicts(planned: Sequence[PlannedBroadcast], tz: ZoneInfo) -> list[Conflict]:
    """Return the overlaps that hold broadcasts up, at most one per broadcast, in plan order.

    One sort and one sweep: each broadcast is judged against the one holding the lane
    when it comes due, the earlier broadcast that ends last. Pairing every overlapping
    pair instead grew with the square of a crowded slot (80 entries at one time made
    3,160 pairs a slot and gigabytes per calendar view). Broadcasts in the quiet hours
    never sound, so they hold up nobody. The first of a pair is the one the player
    starts first: earlier, or at the same instant of higher (or equal) priority, as
    `plan` orders them.
    """
    audible = sorted(
        (b for b in planned if not b.quiet and b.end > b.start),  # zero-length: occupies nothing
        key=lambda b: (b.start, -b.priority.rank, b.schedule_id),
    )
    conflicts = []
    holder: PlannedBroadcast | None = None
    for broadcast in audible:
        if holder is not None and broadcast.start < holder.end:
            conflicts.append(_conflict(holder, broadcast, tz))
        if holder is None or broadcast.end > holder.end:
            holder = broadcast
    return conflicts


def _conflict(first: PlannedBroadcast, second: PlannedBroadcast, tz: ZoneInfo) -> Conflict:
    """Judge an overlapping pair: `second` starts while `first` is (due to be) on air."""
    if second.start > first.start and second.priority.rank > first.priority.rank:
        return Conflict(station_date(first.start, tz), first, second, Effect.CUT, 0.0)
    wait = (first.end - second.start).total_seconds()
    gives_up = second.on_interrupt is InterruptPolicy.SKIP or wait > second.wait_seconds
    effect = Effect.SKIPPED if gives_up else Effect.WAITS
    return Conflict(station_date(second.start, tz), second, first, effect, wait)


def conflicts_by_key(conflicts: Iterable[Conflict]) -> dict[str, list[Conflict]]:
    """Index conflicts by the occurrence key of both broadcasts in each."""
    index: dict[str, list[Conflict]] = {}
    for conflict in conflicts:
        index.setdefault(conflict.affected.key, []).append(conflict)
        if conflict.by.key != conflict.affected.key:
            index.setdefault(conflict.by.key, []).append(conflict)
    return index


def preview_conflicts(
    entry: ScheduleEntry,
    others: Iterable[ScheduleEntry],
    tz: ZoneInfo,
    quiet: QuietHours | None = None,
) -> list[Conflict]:
    """Return the conflicts an entry (new, or edited: same id) would have over its dates."""
    start, end = day_range(entry.start, entry.end, tz)
    rest = [other for other in others if other.id != entry.id]
    planned = plan([entry, *rest], start, end, tz, quiet)
    return [
        conflict
        for conflict in find_conflicts(planned, tz)
        if entry.id in (conflict.affected.schedule_id, conflict.by.schedule_id)
    ]
