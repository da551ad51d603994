"""What every request needs: settings, store, ingest, clock, login throttle and check cache."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from flask import current_app

from playlists.clock import utc_now
from playlists.content.ingest import Ingest
from playlists.settings import Settings
from playlists.store import Store
from web.system import CheckCache
from web.throttle import LoginThrottle
from web.town_limits import VillageLimits

EXTENSION = "villagecast"


@dataclasses.dataclass
class PanelState:
    """The panel's collaborators, kept on ``app.extensions`` (never in ``app.config``)."""

    settings: Settings
    store: Store
    ingest: Ingest
    throttle: LoginThrottle = dataclasses.field(default_factory=LoginThrottle)
    checks: CheckCache = dataclasses.field(default_factory=CheckCache)
    village_limits: VillageLimits = dataclasses.field(init=False)  # from the settings
    # Tests replace the clock, so "now" is never read from the machine behind their back.
    clock: Callable[[], dt.datetime] = utc_now

    def __post_init__(self) -> None:
        self.village_limits = VillageLimits(self.settings.town)


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
