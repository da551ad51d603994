"""The playlist editor's words: why a change was refused, and how a schedule entry reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask_babel import gettext as _

from playlists.content.playlist_contents import ScheduleUse
from playlists.errors import EditError, EmergencyRightError, ScheduleLimitError
from web.schedule_messages import schedule_limit_message

_LENGTH: dict[str, Callable[[int, int], str]] = {
    "name-length": lambda n, limit: _(
        "The name has %(n)d characters; at most %(limit)d are allowed.", n=n, limit=limit
    ),
    "description-length": lambda n, limit: _(
        "The description has %(n)d characters; at most %(limit)d are allowed.", n=n, limit=limit
    ),
    "slide-title-length": lambda n, limit: _(
        "The screen title has %(n)d characters; at most %(limit)d are allowed.", n=n, limit=limit
    ),
    "slide-body-length": lambda n, limit: _(
        "The screen text has %(n)d characters; at most %(limit)d are allowed.", n=n, limit=limit
    ),
}


def edit_message(error: EditError) -> str:
    """Say in the operator's language which rule a change broke."""
    values: dict[str, Any] = error.values
    if error.rule in _LENGTH:
        return _LENGTH[error.rule](values["n"], values["limit"])
    low, high = f"{values.get('low', 0):g}", f"{values.get('high', 0):g}"
    messages: dict[str, Callable[[], str]] = {
        "name-empty": lambda: _("Give the playlist a name."),
        "name-taken": lambda: _(
            "A playlist named “%(name)s” already exists. Choose another name.",
            name=values["name"],
        ),
        "repeat": lambda: _("Repeat must be a whole number from %(low)s to %(high)s.", low=low,
                            high=high),
        "pause-seconds": lambda: _("A pause lasts from %(low)s to %(high)s seconds.", low=low,
                                   high=high),
        "image-seconds": lambda: _("A picture stays on the screens for %(low)s to %(high)s "
                                   "seconds.", low=low, high=high),
        "first": lambda: _("That item is already the first."),
        "last": lambda: _("That item is already the last."),
        "empty": lambda: _("Add at least one item first: an empty playlist cannot be sent for "
                           "review, nor broadcast."),
        "in-use": lambda: _(
            "“%(name)s” is still on the schedule: %(entries)s. Remove those schedule entries "
            "first, then delete the playlist.",
            name=values["name"],
            entries=describe_uses(values["uses"]),
        ),
    }  # fmt: skip
    return messages[error.rule]() if error.rule in messages else str(error)


def describe_use(use: ScheduleUse) -> str:
    """Say when a schedule entry plays, e.g. "2023-03-28 to 2023-04-07 at 07:30, 12:00"."""
    times = ", ".join(t.strftime("%H:%M") for t in use.times)
    if use.start == use.end:
        return _("%(day)s at %(times)s", day=use.start.isoformat(), times=times)
    return _(
        "%(start)s to %(end)s at %(times)s",
        start=use.start.isoformat(),
        end=use.end.isoformat(),
        times=times,
    )


def describe_uses(uses: Sequence[ScheduleUse]) -> str:
    return "; ".join(describe_use(use) for use in uses)


def import_refusal(exc: EmergencyRightError | ScheduleLimitError) -> str:
    """Say in the user's language why an import was refused by the right or a cap."""
    if isinstance(exc, ScheduleLimitError):
        return schedule_limit_message(exc)
    return _("Your account may not schedule emergency broadcasts.")
