"""What the panel says, in the user's language, when the core refuses a schedule entry."""

from __future__ import annotations

from flask_babel import gettext as _

from playlists.errors import ScheduleLimitError
from playlists.schedule import limits


def schedule_limit_message(exc: ScheduleLimitError) -> str:
    """Say in the user's language which schedule cap was reached."""
    n, most = exc.found, exc.maximum
    if exc.limit == limits.TIMES:
        return _("Write at most %(max)d times of day.", max=most)
    if exc.limit == limits.DAYS:
        return _("A schedule entry may span at most %(max)d days.", max=most)
    if exc.limit == limits.WAIT:
        return _("The wait must be a whole number of seconds from 0 to %(max)d.", max=most)
    if exc.limit == limits.PLAYLIST_ENTRIES:
        return _(
            "A playlist may have at most %(max)d schedule entries (this one would have %(n)d).",
            max=most,
            n=n,
        )
    if exc.limit == limits.STATION_ENTRIES:
        return _(
            "The station may have at most %(max)d schedule entries (it would have %(n)d): "
            "remove some first.",
            max=most,
            n=n,
        )
    return _(
        "The station's schedule may hold at most %(max)d times of day (it would hold %(n)d): "
        "remove some entries or times first.",
        max=most,
        n=n,
    )
