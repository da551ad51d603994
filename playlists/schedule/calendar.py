"""The schedule calendar: days × hours of the day, quiet hours, conflicts, the shown window.

Pure functions over `playlists.plan` output, so the panel's calendar shows what the
player will do. Conflicts follow the playout rules (scheduler/playout.py): a higher
priority cuts into a lower one; an equal or lower one waits for the lane up to its
wait, or is skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from playlists.clock import station_date
from playlists.model import InterruptPolicy, PlannedBroadcast, QuietHours, ScheduleEntry
from playlists.plan import day_range, in_plan_order, plan


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


class View(enum.StrEnum):
    """How many days the calendar shows at once."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


# The calendar's dates: far enough for any campaign, and a step off either end stays a date.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


@dataclasses.dataclass(frozen=True)
class Window:
    """The days one calendar page shows, and the dates its previous and next pages open on."""

    view: View
    day: dt.date  # the date asked for: it stays when the view changes
    first: dt.date
    last: dt.date
    previous: dt.date | None  # None past FIRST_DAY or LAST_DAY
    next: dt.date | None

    @property
    def days(self) -> tuple[dt.date, ...]:
        return campaign_days(self.first, self.last)


def window(view: View, day: dt.date) -> Window:
    """Return the page of `view` holding `day`: the day, its week (Monday first), its month.

    Previous and next keep the day's place: a week back keeps the weekday, a month back
    the day of the month (the 31st becomes the month's last day).
    """
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"the calendar shows {FIRST_DAY} to {LAST_DAY}, not {day}")
    if view is View.DAY:
        first = last = day
        previous, following = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    elif view is View.WEEK:
        first = day - dt.timedelta(days=day.weekday())
        last = first + dt.timedelta(days=6)
        previous, following = day - dt.timedelta(days=7), day + dt.timedelta(days=7)
    else:
        first = day.replace(day=1)
        last = _add_months(first, 1) - dt.timedelta(days=1)
        previous, following = _add_months(day, -1), _add_months(day, 1)
    return Window(
        view, day, first, last, _within(previous, first), _within(following, last, after=True)
    )


def _within(day: dt.date, edge: dt.date, *, after: bool = False) -> dt.date | None:
    """Return a neighbouring page's date kept inside the calendar, or None past its ends."""
    if after:
        return min(day, LAST_DAY) if edge < LAST_DAY else None
    return max(day, FIRST_DAY) if edge > FIRST_DAY else None


def _add_months(day: dt.date, months: int) -> dt.date:
    """Return the same day `months` later (or earlier), kept inside the target month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (following - dt.timedelta(days=1)).day))


def month_weeks(first: dt.date, last: dt.date) -> tuple[tuple[dt.date, ...], ...]:
    """Return the weeks (Monday first) a month page lays days first..last out in."""
    start = first - dt.timedelta(days=first.weekday())
    weeks = []
    while start <= last:
        weeks.append(campaign_days(start, start + dt.timedelta(days=6)))
        start += dt.timedelta(days=7)
    return tuple(weeks)


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


def find_conflicts(planned: Iterable[PlannedBroadcast], tz: ZoneInfo) -> list[Conflict]:
    """Return the overlaps that hold broadcasts up, at most one per broadcast, in plan order.

    One sort and one sweep: each broadcast is judged against the one holding the lane
    when it comes due, the earlier broadcast that ends last. Pairing every overlapping
    pair instead grew with the square of a crowded slot (80 entries at one time made
    3,160 pairs a slot and gigabytes per calendar view). Broadcasts in the quiet hours
    never sound, so they hold up nobody. The first of a pair is the one the player
    starts first: earlier, or at the same instant of higher (or equal) priority, as
    `plan` orders them.
    """
    return conflicts_in_order(in_plan_order(planned), tz)


def conflicts_in_order(planned: Iterable[PlannedBroadcast], tz: ZoneInfo) -> list[Conflict]:
    """Return what `find_conflicts` does, of broadcasts already in plan order: no sort.

    A busy month is 15,000 broadcasts, and a plan keeps them in that order already.
    """
    conflicts = []
    holder: PlannedBroadcast | None = None
    for broadcast in planned:
        if broadcast.quiet or broadcast.end <= broadcast.start:  # zero-length: occupies nothing
            continue
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
