"""What the schedule pages say about broadcasts and conflicts, in the page's language.

Translated once per page: a busy campaign's calendar marks a thousand and more.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from playlists.clock import station_time
from playlists.model import InterruptPolicy, Outcome, Priority
from playlists.schedule.calendar import Conflict, Effect
from web.formatting import OUTCOME_LABELS, PRIORITY_LABELS, duration, translated
from web.schedule_form import POLICY_LABELS

DayLabel = Callable[[dt.date], tuple[str, str]]  # a day's date and weekday, as shown


@dataclasses.dataclass(frozen=True)
class Labels:
    """What the calendar says, in the page's language: translated once per page."""

    priorities: Mapping[Priority, str]
    outcomes: Mapping[Outcome, str]
    policies: Mapping[InterruptPolicy, str]
    no_record: str
    quiet: str  # a broadcast's mark, and the short form a folded cell counts
    quiet_short: str
    unapproved: str
    unapproved_short: str
    conflict_short: str
    waits: str  # templates for a conflict's mark, with %(name)s (and %(wait)s, %(policy)s)
    skipped: str
    cut: str
    overlaps: str
    broadcasts: str  # "Broadcasts: %(n)d"

    @classmethod
    def current(cls) -> Labels:
        """Return the labels in this request's language."""
        return cls(
            priorities=translated(PRIORITY_LABELS),
            outcomes=translated(OUTCOME_LABELS),
            policies=translated(POLICY_LABELS),
            no_record=_("no record"),
            quiet=_("quiet hours: will be skipped"),
            quiet_short=_("quiet hours"),
            unapproved=_("awaiting review: plays only once approved"),
            unapproved_short=_("awaiting review"),
            conflict_short=_("conflict"),
            # No variables given: gettext returns the template, filled in per conflict.
            waits=_("conflict: waits %(wait)s for %(name)s"),
            skipped=_("conflict: skipped, %(name)s is on air"),
            cut=_("conflict: cut by %(name)s, then: %(policy)s"),
            overlaps=_("conflict: overlaps %(name)s"),
            broadcasts=_("Broadcasts: %(n)d"),
        )

    def conflict(self, conflict: Conflict, key: str) -> str:
        """Say what a conflict does to the broadcast with this occurrence key."""
        if conflict.affected.key != key:
            return self.overlaps % {"name": conflict.affected.playlist_name}
        name = conflict.by.playlist_name
        if conflict.effect is Effect.WAITS:
            return self.waits % {"wait": duration(conflict.wait), "name": name}
        if conflict.effect is Effect.SKIPPED:
            return self.skipped % {"name": name}
        policy = self.policies[conflict.affected.on_interrupt]
        return self.cut % {"name": name, "policy": policy}


@dataclasses.dataclass(frozen=True, slots=True)
class ConflictRow:
    """One conflict in the list under the calendar, or before saving an entry."""

    day: str
    time: str
    name: str
    priority: str
    text: str


def conflict_rows(
    conflicts: Sequence[Conflict], tz: ZoneInfo, labels: Labels, day_label: DayLabel
) -> list[ConflictRow]:
    """Return a list of conflicts as each affected broadcast sees it."""
    rows = []
    for c in conflicts:
        date, weekday = day_label(c.day)
        rows.append(
            ConflictRow(
                day=f"{date} {weekday}",
                time=f"{station_time(c.affected.start, tz):%H:%M}",
                name=c.affected.playlist_name,
                priority=labels.priorities[c.affected.priority],
                text=labels.conflict(c, c.affected.key),
            )
        )
    return rows
