"""What every request needs: settings, store, ingest, clock, throttle, checks, and who asks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Literal

from flask import current_app, g

from playlists.access.users import User
from playlists.clock import utc_now
from playlists.content.ingest import Ingest
from playlists.settings import Settings
from playlists.store import Store
from playlists.town.poll_memo import PollMemo
from web.system import CheckCache
from web.throttle import LoginThrottle
from web.town_limits import VillageLimits

EXTENSION = "villagecast"

# How the user of a request proved who they are (web/auth.py).
AuthVia = Literal["session", "token"]


@dataclasses.dataclass
class PanelState:
    """The panel's collaborators, kept on ``app.extensions`` (never in ``app.config``)."""

    settings: Settings
    store: Store
    ingest: Ingest
    throttle: LoginThrottle = dataclasses.field(default_factory=LoginThrottle)
    checks: CheckCache = dataclasses.field(default_factory=CheckCache)
    village_limits: VillageLimits = dataclasses.field(init=False)  # from the settings
    town_polls: PollMemo = dataclasses.field(init=False)  # from the store and the settings
    # Tests replace the clock, so "now" is never read from the machine behind their back.
    clock: Callable[[], dt.datetime] = utc_now

    def __post_init__(self) -> None:
        self.village_limits = VillageLimits(self.settings.town)
        self.town_polls = PollMemo(self.store, self.settings)


def panel() -> PanelState:
    """Return the current app's panel state."""
    state: PanelState = current_app.extensions[EXTENSION]
    return state


def settings() -> Settings:
    return panel().settings


def store() -> Store:
    return panel().store


def ingest() -> Ingest:
    return panel().ingest


def now() -> dt.datetime:
    """Return the current instant as an aware UTC datetime."""
    return panel().clock()


def set_user(user: User | None, via: AuthVia | None) -> None:
    """Record who this request acts for (``g.user``, which templates read too)."""
    g.user = user
    g.auth_via = via


def signed_in_user() -> User | None:
    """Return the user this request acts for, or None for an anonymous one."""
    user: User | None = g.get("user")
    return user


def current_user() -> User:
    """Return the user of a view that only a logged-in user reaches (login_required)."""
    user = signed_in_user()
    if user is None:
        raise RuntimeError("no user on this request: the view is not behind login_required")
    return user


def auth_via() -> AuthVia | None:
    """Return how this request's user proved who they are, None when anonymous."""
    via: AuthVia | None = g.get("auth_via")
    return via
