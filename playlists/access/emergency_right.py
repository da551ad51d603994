"""The emergency right: who may put `priority: emergency` on the air, at every door.

An emergency broadcast interrupts everything and plays through quiet hours, so it is
a right an admin gives to named users (`villagecast user add --emergency`, the users
page); admins hold it always. Every way a schedule entry comes in asks here: the
panel's form and API, YAML and bundle imports in the panel and on the command line,
and the town's sync. Whoever runs commands on the station is trusted like an admin;
a bundle signed by a key the station trusts carries the town's right (the town's
own doors asked it when the entry was written there).
"""

from __future__ import annotations

from collections.abc import Iterable

from playlists.access.users import User
from playlists.errors import EmergencyRightError
from playlists.model import Priority

ADMIN = "admin"


def holds(user: User | None) -> bool:
    """Tell whether a user may schedule or send emergency broadcasts."""
    return user is not None and (user.role == ADMIN or user.may_emergency)


def check(priorities: Iterable[Priority], allowed: bool) -> None:
    """Refuse emergency priorities unless whoever brings them holds the right."""
    if not allowed and Priority.EMERGENCY in set(priorities):
        raise EmergencyRightError(
            "priority: emergency needs the emergency right (an admin gives it on the users "
            "page); ask such a user, or use another priority"
        )
