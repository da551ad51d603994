"""What the system page shows: the station checks, run at most every 10 s, and recent events.

The checks take about a second (the audio check opens the sound card with
aplay), so they run when the page or the API asks, never in a background
thread, and their results are kept briefly on the app (``PanelState.checks``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from playlists import health
from playlists.clock import station_iso
from playlists.health import CheckResult
from playlists.record.events import Event
from playlists.settings import Settings
from playlists.store import from_db_time

CHECKS_MAX_AGE = 10.0  # seconds
EVENTS_SHOWN = 50


class CheckCache:
    """Keep the last check results for a few seconds, so reloads do not re-run aplay."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_age: float = CHECKS_MAX_AGE
    ) -> None:
        self.clock = clock
        self.max_age = max_age
        self._results: list[CheckResult] | None = None
        self._taken_at = 0.0
        self._lock = threading.Lock()  # waitress serves requests on several threads

    def results(self, settings: Settings, now: dt.datetime) -> list[CheckResult]:
        """Return results younger than max_age, running the checks when there are none."""
        # The lock is held while the checks run: a second request waits for these
        # results instead of opening the sound card again.
        with self._lock:
            started = self.clock()
            if self._results is None or started - self._taken_at >= self.max_age:
                self._results = health.run_checks(settings, now)
                self._taken_at = started
            return self._results


def check_json(result: CheckResult) -> dict[str, Any]:
    return result.as_json()


def event_json(event: Event, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "at": station_iso(event.at, tz),
        "process": event.process,
        "level": event.level,
        "source": event.source,
        "message": event.message,
    }


@dataclasses.dataclass(frozen=True)
class SyncView:
    """The village's sync with its town as the system page shows it."""

    town_url: str
    state: str  # not-started | starting | ok | failing
    last_success: dt.datetime | None
    last_error: str | None
    last_error_at: dt.datetime | None
    next_attempt: dt.datetime | None
    refused: list[str]


def sync_view(settings: Settings, status: dict[str, Any]) -> SyncView | None:
    """Read the sync state the player wrote; None where this station has no town."""
    if not settings.sync.town_url:
        return None
    state = status.get("sync")
    if not isinstance(state, dict) or state.get("town_url") != settings.sync.town_url:
        return SyncView(settings.sync.town_url, "not-started", None, None, None, None, [])
    return SyncView(
        town_url=settings.sync.town_url,
        state=str(state.get("state", "starting")),
        last_success=from_db_time(state.get("last_success")),
        last_error=state.get("last_error"),
        last_error_at=from_db_time(state.get("last_error_at")),
        next_attempt=from_db_time(state.get("next_attempt")),
        refused=[str(line) for line in state.get("refused") or []],
    )
