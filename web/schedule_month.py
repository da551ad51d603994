"""The month page of the schedule calendar: each day's count of broadcasts and its marks.

A month of a busy station is fifteen thousand broadcasts: the page says how many
each day has and what is marked among them, and a tap opens the day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from playlists.clock import station_date, station_today
from playlists.model import Outcome, PlannedBroadcast
from playlists.schedule.calendar import Conflict, month_weeks
from web.schedule_calendar import Badge, Marker, day_css
from web.schedule_marks import Labels


@dataclasses.dataclass(frozen=True, slots=True)
class MonthDay:
    """One day of a month page; days of the weeks around the month are blank."""

    day: dt.date
    css: str  # "past", "today" or "", " campaign"; "other" outside the month
    in_month: bool
    count: int  # broadcasts due that day
    marks: tuple[Badge, ...]  # each mark with how many of the day's broadcasts have it


def build_month(
    first: dt.date,
    last: dt.date,
    broadcasts: Iterable[PlannedBroadcast],
    conflicts_of: Mapping[str, Sequence[Conflict]],
    outcomes: Mapping[str, Outcome],
    now: dt.datetime,
    tz: ZoneInfo,
    labels: Labels,
    campaign: tuple[dt.date, dt.date] | None = None,
) -> tuple[tuple[MonthDay, ...], ...]:
    """Return the weeks of days first..last, each day with its count and marks.

    `broadcasts` are those due first..last, in time order.
    """
    today = station_today(now, tz)
    marker = Marker(conflicts_of, outcomes, now, tz, labels)
    by_day: dict[dt.date, list[PlannedBroadcast]] = {}
    for b in broadcasts:
        by_day.setdefault(station_date(b.start, tz), []).append(b)
    weeks = []
    for week in month_weeks(first, last):
        days = []
        for day in week:
            if not first <= day <= last:
                days.append(MonthDay(day, "other", False, 0, ()))
                continue
            due = by_day.get(day, [])
            marks = marker.counts(due)
            days.append(MonthDay(day, day_css(day, today, campaign), True, len(due), marks))
        weeks.append(tuple(days))
    return tuple(weeks)
