"""The station's plan over some days, kept until what plays changes.

Expanding a busy campaign's schedule entries and pairing up their overlaps takes
tens of milliseconds, and the calendar and the report need them on every view.
What plays changes only when content or schedules do, and every such change bumps
meta.plan_revision (playlists/schema.py): the signal the player re-arms on too.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import threading
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from playlists.model import PlannedBroadcast, QuietHours, ScheduleEntry
from playlists.plan import day_range, in_plan_order, merged_in_order, occurrences
from playlists.schedule import calendar, entry_table
from web.state import settings, store

LEAD = dt.timedelta(days=1)  # planned before a calendar page's first day (shown_plan)
KEPT = 4  # stretches of days kept: the campaign, and a few report ranges
# ...and at most this many broadcasts in all, besides the newest plan: a year of a busy
# station is 180,000 of them, over a kilobyte each.
KEPT_BROADCASTS = 40_000
# A new plan puts the new broadcasts into the earlier plan's order while they are at most
# this share of it (one in 32: an edit's hundred or so among a month's 12,500, merged in
# a fifth of the time of a sort); more are sorted with the rest.
MERGED_SHARE = 32


Expanded = dict[ScheduleEntry, list[PlannedBroadcast]]


class Plan:
    """The broadcasts due on days first..last in plan order, their conflicts and grid."""

    def __init__(
        self,
        planned: Sequence[PlannedBroadcast],
        first: dt.date,
        last: dt.date,
        tz: ZoneInfo,
        quiet: QuietHours | None,
        by_entry: Expanded | None = None,
    ) -> None:
        self.planned = tuple(planned)
        self.by_entry: Expanded = by_entry or {}  # each entry's broadcasts, for the next plan
        self.first, self.last, self.tz, self.quiet = first, last, tz, quiet
        self._grid_lock = threading.Lock()
        self._stretch: tuple[tuple[dt.date, dt.date], calendar.Grid] | None = None

    @functools.cached_property
    def entries(self) -> frozenset[ScheduleEntry]:
        """Return the entries planned: two plans of the same days with equal ones are equal."""
        return frozenset(self.by_entry)

    @functools.cached_property
    def grid(self) -> calendar.Grid:
        return calendar.build_grid(self.planned, self.first, self.last, self.tz, self.quiet)

    def grid_of(self, first: dt.date, last: dt.date) -> calendar.Grid:
        """Return the grid of days first..last of this plan, kept for the last stretch asked.

        A year-long campaign's calendar shows some weeks: its grid is laid out for
        those days' broadcasts alone, not for the whole year's.
        """
        if (first, last) == (self.first, self.last):
            return self.grid
        with self._grid_lock:
            if self._stretch is not None and self._stretch[0] == (first, last):
                return self._stretch[1]
        shown = self.between(first, last)
        grid = calendar.build_grid(shown, first, last, self.tz, self.quiet)
        with self._grid_lock:
            self._stretch = ((first, last), grid)
        return grid

    def between(self, first: dt.date, last: dt.date) -> Sequence[PlannedBroadcast]:
        """Return the broadcasts due on days first..last of this plan, in plan order."""
        start, end = day_range(first, last, self.tz)
        return self.planned[
            bisect.bisect_left(self._starts, start) : bisect.bisect_left(self._starts, end)
        ]

    @functools.cached_property
    def _starts(self) -> list[dt.datetime]:
        return [b.start for b in self.planned]  # in plan order, so in time order

    @functools.cached_property
    def conflicts(self) -> tuple[calendar.Conflict, ...]:
        return tuple(calendar.conflicts_in_order(self.planned, self.tz))  # planned: in order

    @functools.cached_property
    def conflicts_of(self) -> dict[str, list[calendar.Conflict]]:
        """Index the conflicts by the occurrence key of both broadcasts in each."""
        return calendar.conflicts_by_key(self.conflicts)


_plans: dict[tuple[object, ...], Plan] = {}
_lock = threading.Lock()


def plan_of(first: dt.date, last: dt.date) -> Plan:
    """Return the plan of the station days first..last, kept while it is current."""
    tz, quiet = settings().tz, settings().player.quiet
    # The revision is read first: a plan read after a change is filed under the old
    # revision, which no later request asks for.
    key = (settings().db_path, store().plan_revision(), first, last, tz, quiet)
    with _lock:
        found = _plans.get(key)
    if found is None:
        found = _replan(first, last, tz, quiet, _earlier(key))
        with _lock:
            for stale in [k for k in _plans if _same_days(k, key)]:
                del _plans[stale]  # of an older revision: nobody asks for it again
            _plans[key] = found
            _forget_oldest()
    return found


def _earlier(key: tuple[object, ...]) -> Plan | None:
    """Return the newest kept plan of the same days before a change, if any."""
    with _lock:
        same = [p for k, p in _plans.items() if _same_days(k, key)]
    return same[-1] if same else None


def _same_days(kept: tuple[object, ...], key: tuple[object, ...]) -> bool:
    """Tell whether a kept plan's key names the same store and days as `key`, whatever revision."""
    return kept[0] == key[0] and kept[2:] == key[2:]


def _replan(
    first: dt.date, last: dt.date, tz: ZoneInfo, quiet: QuietHours | None, earlier: Plan | None
) -> Plan:
    """Plan days first..last, expanding again only the entries changed since `earlier`.

    An edit changes one entry, or the entries of one playlist: a busy station's other
    hundred entries keep their broadcasts (and the keys worked out for them).
    """
    start, end = day_range(first, last, tz)
    kept = earlier.by_entry if earlier is not None else {}
    by_entry: Expanded = {}
    fresh: list[PlannedBroadcast] = []
    for entry in entry_table.schedule_entries(store()):
        found = kept.get(entry)
        if found is None:
            found = occurrences(entry, start, end, tz, quiet)
            fresh.extend(found)
        by_entry[entry] = found
    if earlier is None or len(fresh) > len(earlier.planned) // MERGED_SHARE:
        planned = in_plan_order(b for broadcasts in by_entry.values() for b in broadcasts)
    else:  # the earlier plan's order, without the entries changed or gone, and the new ones
        unchanged = {entry.id for entry in by_entry if entry in kept}
        planned = merged_in_order((b for b in earlier.planned if b.schedule_id in unchanged), fresh)
    return Plan(planned, first, last, tz, quiet, by_entry)


def shown_plan(first: dt.date, last: dt.date) -> Plan:
    """Return the plan a calendar page of days first..last needs, and no more.

    It starts a day early: a broadcast begun before midnight may still hold the lane
    when the first shown day's broadcasts come due, and their conflicts say so.
    """
    return plan_of(first - LEAD, last)


def _forget_oldest() -> None:
    """Drop the oldest plans beyond KEPT, or beyond KEPT_BROADCASTS; keep the newest."""
    while len(_plans) > 1 and (
        len(_plans) > KEPT or sum(len(p.planned) for p in _plans.values()) > KEPT_BROADCASTS
    ):
        del _plans[next(iter(_plans))]
