"""What the player has armed, and what a re-arm must change on the timeline.

A re-arm plans again only the schedule entries that changed since the last arm, and
for the others only the new end of the horizon; the timeline is told about the
broadcasts that differ from what it holds. `ArmedPlan.replan` with `full=True` plans
everything again, as at start-up and after the wall clock jumped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from playlists.model import PlannedBroadcast, QuietHours, ScheduleEntry
from playlists.plan import plan


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
    """The entries the last arm planned from, how far ahead, and what is armed."""

    entries: dict[int, ScheduleEntry] = dataclasses.field(default_factory=dict)
    until: dt.datetime | None = None
    broadcasts: dict[str, PlannedBroadcast] = dataclasses.field(default_factory=dict)

    def replan(self, entries: list[ScheduleEntry], window: Window, full: bool) -> Replan:
        """Plan what the window needs beyond what is armed: changed entries, then new time."""
        until = self.until
        if full or until is None or until < window.start:
            planned = plan(entries, window.start, window.end, window.tz, window.quiet)
            ids = frozenset(self.entries) | {e.id for e in entries}
            return Replan(planned, ids, len(entries), True)
        changed = [e for e in entries if self.entries.get(e.id) != e]
        same = [e for e in entries if self.entries.get(e.id) == e]
        removed = self.entries.keys() - {e.id for e in entries}
        planned = plan(changed, window.start, window.end, window.tz, window.quiet)
        if window.end > until:
            planned += plan(same, until, window.end, window.tz, window.quiet)
        replaced = frozenset(removed) | {e.id for e in changed}
        return Replan(planned, replaced, len(changed) + len(removed), False)

    def changes(
        self, replan: Replan, wanted: dict[str, PlannedBroadcast], live: set[str], window: Window
    ) -> Changes:
        """Compare what should be armed with what the timeline holds (`live` keys)."""
        drop: dict[str, PlannedBroadcast | None] = {}
        for key in live - wanted.keys():
            armed = self.broadcasts.get(key)
            if armed is None or _leaves(armed, replan, window):
                drop[key] = armed
        if replan.full:
            arm = wanted
        else:
            arm = {k: b for k, b in wanted.items() if k not in live or self.broadcasts.get(k) != b}
        return Changes(arm, drop, len(live) - len(drop) - len(arm.keys() & live))

    def record(
        self, entries: list[ScheduleEntry], window: Window, changes: Changes, live: set[str]
    ) -> None:
        """Remember what is armed after the changes were made on the timeline."""
        kept = {k: b for k, b in self.broadcasts.items() if k in live and k not in changes.drop}
        self.broadcasts = kept | changes.arm
        self.entries = {e.id: e for e in entries}
        self.until = window.end


def _leaves(armed: PlannedBroadcast, replan: Replan, window: Window) -> bool:
    """Tell whether an armed broadcast no longer belongs on the timeline."""
    if armed.schedule_id in replan.replaced:
        return True
    return not window.start <= armed.start < window.end
