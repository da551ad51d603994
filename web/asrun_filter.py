"""What part of the broadcast record to show: a day range, a playlist and an outcome."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from flask_babel import gettext as _

from playlists.model import AsRunRow, Outcome
from playlists.settings import CampaignSettings
from web.api_fields import day_of

MAX_DAYS = 366  # a year of rows is a few thousand: enough for any campaign, cheap to page


@dataclasses.dataclass(frozen=True)
class AsRunFilter:
    first: dt.date
    last: dt.date  # inclusive
    playlist: str = ""  # "" for every playlist
    status: Outcome | None = None  # None for every outcome

    def picks(self, row: AsRunRow) -> bool:
        if self.playlist and row.playlist_name != self.playlist:
            return False
        return self.status is None or row.status is self.status

    def query(self) -> dict[str, str]:
        """Return the filter as query parameters, for links that keep it."""
        values = {"from": self.first.isoformat(), "to": self.last.isoformat()}
        if self.playlist:
            values["playlist"] = self.playlist
        if self.status is not None:
            values["status"] = self.status.value
        return values

    def kept(self) -> dict[str, str]:
        """Return the filters besides the days, for links that change only the days."""
        return {k: v for k, v in self.query().items() if k not in ("from", "to")}


@dataclasses.dataclass(frozen=True)
class QuickRange:
    """A range of days one tap away: today, yesterday, this week, the campaign."""

    label: str
    first: dt.date
    last: dt.date  # inclusive

    def query(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}

    def matches(self, chosen: AsRunFilter) -> bool:
        return (self.first, self.last) == (chosen.first, chosen.last)


def default_range(campaign: CampaignSettings, today: dt.date) -> tuple[dt.date, dt.date]:
    """Return the campaign window clipped to today (just today before the campaign starts).

    The API's default; the record page opens on today instead.
    """
    first = min(campaign.start, today)
    return first, max(first, min(campaign.end, today))


def campaign_range(campaign: CampaignSettings) -> tuple[dt.date, dt.date]:
    """Return the campaign window, its last MAX_DAYS days if it is longer."""
    first = max(campaign.start, campaign.end - dt.timedelta(days=MAX_DAYS - 1))
    return first, campaign.end


def quick_ranges(today: dt.date, campaign: CampaignSettings) -> list[QuickRange]:
    """Return the one-tap ranges: today, yesterday, this week so far and the campaign."""
    yesterday = today - dt.timedelta(days=1)
    monday = today - dt.timedelta(days=today.weekday())
    return [
        QuickRange(_("Today"), today, today),
        QuickRange(_("Yesterday"), yesterday, yesterday),
        QuickRange(_("This week"), monday, today),
        QuickRange(_("Campaign period"), *campaign_range(campaign)),
    ]


def read_filter(
    args: Mapping[str, str], default: tuple[dt.date, dt.date]
) -> tuple[AsRunFilter, list[str]]:
    """Read the filter from query parameters; each wrong value falls back to its default.

    The errors name what was wrong, so a page can flash them and an API refuse.
    """
    errors: list[str] = []
    first, last = default
    try:
        if args.get("from") or args.get("to"):
            # One day given alone is a range of that one day.
            first = day_of(args.get("from") or args.get("to"))
            last = day_of(args.get("to") or args.get("from"))
    except ValueError:
        errors.append(_("Write the day as a date like 2023-03-28."))
        first, last = default
    if last < first:
        errors.append(_("The last day is before the first."))
        first, last = default
    elif (last - first).days >= MAX_DAYS:
        errors.append(_("Ask for at most %(n)d days at once.", n=MAX_DAYS))
        first, last = default
    status = None
    if args.get("status"):
        try:
            status = Outcome(args["status"])
        except ValueError:
            errors.append(_("There is no such outcome."))
    playlist = (args.get("playlist") or "").strip()
    return AsRunFilter(first, last, playlist, status), errors
