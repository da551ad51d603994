"""The tally of a broadcast report: occurrences counted by outcome, and why they did not play.

One shape for the station's own campaign report (playlists/record/report.py) and the
town's report of its villages (playlists/town/fleet.py). An occurrence interrupted and
resumed has several parts ("<key>", "<key>#2", ...) and counts once: played if any
part played.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from playlists.model import Outcome


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
    unlogged: int = 0  # due, but the station's log has no row for it
    unreadable: int = 0  # rows a village sent that the town cannot read (logged); not planned

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


TALLY_FIELDS = tuple(field.name for field in dataclasses.fields(Tally))


@dataclasses.dataclass(frozen=True)
class ReasonCount:
    """How often one reason was given for what did not play."""

    reason: str
    count: int


@dataclasses.dataclass(frozen=True)
class ReportLine:
    """One playlist on one station day (in one village, in the town's report)."""

    day: dt.date
    playlist_name: str
    tally: Tally
    reasons: tuple[ReasonCount, ...]  # why what did not play did not play, most common first
    village: str = ""  # the station's own report is of one station


Part = tuple[int, str, str]  # (part number, status, reason) of one as-run row


def combined_outcome(parts: Sequence[Part]) -> tuple[Outcome, str]:
    """Return what happened to one occurrence, from its parts' rows, and the reason given."""
    ordered = sorted(parts, key=lambda part: part[0])
    statuses = {status for _, status, _ in ordered}
    reason = next((reason for _, _, reason in reversed(ordered) if reason), "")
    if Outcome.PLAYED in statuses:
        return Outcome.PLAYED, ""
    if Outcome.PLAYING in statuses:
        return Outcome.PLAYING, ""
    if Outcome.INTERRUPTED in statuses:  # it was on air, but never to the end
        return Outcome.INTERRUPTED, reason
    return Outcome(ordered[-1][1]), reason
