"""What the player has armed, and what a re-arm must change on the timeline.

A re-arm plans again only the schedule entries that changed since the last arm, and
for the others only the new end of the horizon; the timeline is told about the
broadcasts that differ from what it holds. `ArmedPlan.replan` with `full=True` plans
everything again, as at start-up and after the wall clock jumped.
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import datetime as dt
import heapq
from zoneinfo import ZoneInfo

from playlists.clock import station_date
from playlists.model import PlannedBroadcast, QuietHours, ScheduleEntry
from playlists.plan import day_range, plan


@dataclasses.dataclass(frozen=True)
class Window:
    """The instants a re-arm covers: [start, end), in the station's zone and quiet hours."""

    start: dt.datetime
    end: dt.datetime
    tz: ZoneInfo
    quiet: QuietHours | None


@dataclasses.dataclass(frozen=True)
class Replan:
    """Broadcasts planned by a re-arm, and the entries whose every armed broadcast it replaces."""

    planned: list[PlannedBroadcast]
    replaced: frozenset[int]  # schedule ids: changed, removed or (full) all
    changed_entries: int
    full: bool


@dataclasses.dataclass(frozen=True)
class Changes:
    """What a re-arm does on the timeline, by occurrence key."""

    arm: dict[str, PlannedBroadcast]
    drop: dict[str, PlannedBroadcast | None]  # None: armed by no plan this player knows
    kept: int


@dataclasses.dataclass
class ArmedPlan:
    """The entries the last arm planned from, how far ahead, and what is armed.

    `broadcasts` holds what waits on the timeline: the player calls `fired` when one
    comes due (from the timeline's thread; the re-arm's thread forgets it). `_queue`
    orders them by start, so an hourly re-arm finds the ones left behind without
    looking at every armed broadcast.
    """

    entries: dict[int, ScheduleEntry] = dataclasses.field(default_factory=dict)
    until: dt.datetime | None = None
    broadcasts: dict[str, PlannedBroadcast] = dataclasses.field(default_factory=dict)
    days: DayPlans | None = None
    _queue: list[tuple[float, str]] = dataclasses.field(default_factory=list)
    _fired: collections.deque[str] = dataclasses.field(default_factory=collections.deque)

    def replan(self, entries: list[ScheduleEntry], window: Window, full: bool) -> Replan:
        """Plan what the window needs beyond what is armed: changed entries, then new time."""
        days = self._days(entries, window)
        until = self.until
        if full or until is None or not window.start <= until <= window.end:
            planned = days.between(window.start, window.end)
            ids = frozenset(self.entries) | {e.id for e in entries}
            return Replan(planned, ids, len(entries), True)
        known = self.entries
        # `is` first: an hourly re-arm plans from the very entries it kept.
        changed = [e for e in entries if known.get(e.id) is not e and known.get(e.id) != e]
        removed = self.entries.keys() - {e.id for e in entries}
        replaced = frozenset(removed) | {e.id for e in changed}
        planned = plan(changed, window.start, window.end, window.tz, window.quiet)
        later = days.between(until, window.end)
        planned += [b for b in later if b.schedule_id not in replaced]
        return Replan(planned, replaced, len(changed) + len(removed), False)

    def _days(self, entries: list[ScheduleEntry], window: Window) -> DayPlans:
        """Return the day plans of these entries, made anew when the entries changed."""
        days = self.days
        if days is None or days.entries != entries or days.tz != window.tz:
            days = self.days = DayPlans(entries, window.tz, window.quiet)
        days.forget_before(window.start)
        return days

    def fired(self, key: str) -> None:
        """Note that the timeline called a broadcast back; safe from the timeline's threads.

        The broadcast is forgotten by the next re-arm, in the thread that re-arms.
        """
        self._fired.append(key)

    def _forget_fired(self) -> None:
        while self._fired:
            self.broadcasts.pop(self._fired.popleft(), None)

    def changes(
        self,
        replan: Replan,
        wanted: dict[str, PlannedBroadcast],
        live: set[str] | None,
        window: Window,
    ) -> Changes:
        """Compare what should be armed with what is armed.

        live: the keys the timeline holds, after an edit or for a full arm; None for an
        hourly re-arm with nothing changed, which only moves the window in time.
        """
        self._forget_fired()
        if live is None:
            drop = self._passed(window.start)
            arm = {k: b for k, b in wanted.items() if k not in self.broadcasts}
            return Changes(arm, drop, len(self.broadcasts) - len(drop))
        drop = {}
        armed, replaced = self.broadcasts, replan.replaced
        for key in live - wanted.keys():
            b = armed.get(key)
            if b is None or b.schedule_id in replaced or not window.start <= b.start < window.end:
                drop[key] = b
        if replan.full:
            arm = wanted
        else:
            arm = {k: b for k, b in wanted.items() if k not in live or armed.get(k) != b}
        return Changes(arm, drop, len(live) - len(drop) - len(arm.keys() & live))

    def _passed(self, start: dt.datetime) -> dict[str, PlannedBroadcast | None]:
        """Take from the queue the armed broadcasts due before start that never fired."""
        passed: dict[str, PlannedBroadcast | None] = {}
        limit = start.timestamp()
        while self._queue and self._queue[0][0] < limit:
            _, key = heapq.heappop(self._queue)
            b = self.broadcasts.get(key)
            if b is not None and b.start < start:
                passed[key] = b
        return passed

    def record(
        self,
        entries: list[ScheduleEntry],
        window: Window,
        changes: Changes,
        live: set[str] | None,
    ) -> None:
        """Remember what is armed after the changes were made on the timeline."""
        if live is None:
            for key in changes.drop:
                self.broadcasts.pop(key, None)
            self.broadcasts.update(changes.arm)
        else:
            armed = self.broadcasts.items()
            kept = {k: b for k, b in armed if k in live and k not in changes.drop}
            self.broadcasts = kept | changes.arm
        if len(self._queue) > 2 * len(self.broadcasts) + 64:  # mostly fired or dropped
            self._queue = [(b.start.timestamp(), k) for k, b in self.broadcasts.items()]
            heapq.heapify(self._queue)
        else:
            for key, b in changes.arm.items():
                heapq.heappush(self._queue, (b.start.timestamp(), key))
        self.entries = {e.id: e for e in entries}
        self.until = window.end


class DayPlans:
    """The station's plan a station day at a time, each day planned once and kept.

    An hourly re-arm extends the horizon by an hour: it takes that hour from the day
    already planned instead of expanding every entry again.
    """

    def __init__(
        self, entries: list[ScheduleEntry], tz: ZoneInfo, quiet: QuietHours | None
    ) -> None:
        self.entries = entries
        self.tz = tz
        self.quiet = quiet
        self._days: dict[dt.date, tuple[list[dt.datetime], list[PlannedBroadcast]]] = {}

    def between(self, start: dt.datetime, end: dt.datetime) -> list[PlannedBroadcast]:
        """Return the broadcasts due in [start, end), in plan order."""
        found: list[PlannedBroadcast] = []
        day = station_date(start, self.tz)
        while start < end:
            starts, planned = self._day(day)
            found += planned[bisect.bisect_left(starts, start) : bisect.bisect_left(starts, end)]
            day += dt.timedelta(days=1)
            start = max(start, day_range(day, day, self.tz)[0])
        return found

    def forget_before(self, instant: dt.datetime) -> None:
        """Drop the days that end before an instant."""
        first = station_date(instant, self.tz) - dt.timedelta(days=1)
        for day in [d for d in self._days if d < first]:
            del self._days[day]

    def _day(self, day: dt.date) -> tuple[list[dt.datetime], list[PlannedBroadcast]]:
        if day not in self._days:
            start, end = day_range(day, day, self.tz)
            planned = plan(self.entries, start, end, self.tz, self.quiet)
            self._days[day] = ([b.start for b in planned], planned)
        return self._days[day]
