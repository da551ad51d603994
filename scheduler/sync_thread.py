"""The village's sync with its town, in its own thread of the player daemon.

Playout never waits for it: the thread has its own store connection, every request
has a timeout, and the speech and leveling of an imported playlist run at a lower
CPU priority than the player. While the town does not answer, the thread waits
`sync.poll_seconds`, doubling with every failure up to `sync.max_backoff_seconds`,
less a random part so that villages cut off together do not call back together; a
town that answers 429 is waited for at least its Retry-After (at most
`sync.max_backoff_seconds`), and the as-run rows it did not take stay pending. The
wait can be cut short (`wake`): the town's "poll now" on its broker, the broker coming
back, or an emergency answer that could not go on the broker bring the next sync forward.
It logs when the state changes (the town stops or starts answering), not every
attempt, and writes its state to the player status for the panel's system page.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from media.tts import PANEL_ONLY_ENGINES
from playlists.content.ingest import Ingest, chain_from_settings
from playlists.errors import SyncError, TownBusyError
from playlists.settings import Settings, SyncSettings
from playlists.store import Store
from playlists.sync.client import CycleReport, run_cycle
from playlists.sync.transport import HttpClient, UrllibClient

log = logging.getLogger(__name__)

FIRST_DELAY = 2.0  # seconds after start: the player arms its plan first
POLL_JITTER = 0.1  # the usual wait varies by ±10%
BACKOFF_JITTER = 0.25  # a wait after failures is up to 25% shorter
SYNC_NICE = 10  # speech and leveling of town content yield the CPU to playout
STATUS_KEY = "sync"


def backoff_seconds(sync: SyncSettings, failures: int, rng: random.Random) -> float:
    """Return the wait before the next attempt after this many failures in a row."""
    if failures == 0:
        return sync.poll_seconds * (1 + POLL_JITTER * (2 * rng.random() - 1))
    base = min(sync.max_backoff_seconds, sync.poll_seconds * 2.0 ** min(failures, 32))
    return base * (1 - BACKOFF_JITTER * rng.random())


@dataclasses.dataclass
class SyncState:
    """What the system page shows about the town."""

    state: str = "starting"  # starting | ok | failing
    failures: int = 0
    last_success: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    next_attempt: dt.datetime | None = None
    refused: list[str] = dataclasses.field(default_factory=list)

    def as_status(self, town_url: str) -> dict[str, Any]:
        return {
            "town_url": town_url,
            "state": self.state,
            "failures": self.failures,
            "last_success": _iso(self.last_success),
            "last_error": self.last_error,
            "last_error_at": _iso(self.last_error_at),
            "next_attempt": _iso(self.next_attempt),
            "refused": self.refused,
        }


class Waker:
    """When the next sync is due: after its wait, or sooner when woken; stop() ends waiting."""

    def __init__(
        self,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rng = rng or random.Random()
        self.monotonic = monotonic
        self._changed = threading.Condition()
        self._due = float("inf")  # monotonic instant the running wait ends
        self._early: float | None = None  # a wake-up asked for while no wait ran
        self._stopped = False

    def wait(self, seconds: float) -> bool:
        """Wait this long or until the instant a wake() chose; return False once stopped."""
        with self._changed:
            self._due = self.monotonic() + seconds
            if self._early is not None:
                self._due, self._early = min(self._due, self._early), None
            while not self._stopped:
                left = self._due - self.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            self._due = float("inf")
            return not self._stopped

    def wake(self, within: float) -> float:
        """Bring the next sync forward to a random instant within this many seconds; return it."""
        with self._changed:
            at = self.monotonic() + max(0.0, within) * self.rng.random()
            if self._due == float("inf"):  # a sync runs now: the next wait starts shorter
                self._early = at if self._early is None else min(self._early, at)
            else:
                self._due = min(self._due, at)
                self._changed.notify_all()
            return at

    @property
    def sleeping(self) -> bool:
        """Tell whether a wait is running (no sync is under way)."""
        with self._changed:
            return self._due != float("inf")

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()


class SyncThread:
    """Sync with the town every poll, backing off while it does not answer."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        now: Callable[[], dt.datetime],
        client: HttpClient | None = None,
        rng: random.Random | None = None,
        on_emergency: Callable[[bytes], None] | None = None,
    ) -> None:
        self.settings, self.store, self.now = settings, store, now
        # The town's playlists are saved here, so they are spoken as content saved on the
        # panel is, fastspeech2 included (its short-lived model process inherits this
        # thread's low priority); only the optional neural extra stays out of the player.
        # Emergencies, spoken the instant they arrive, keep to the player's instant chain.
        chain = chain_from_settings(settings, leave_out=PANEL_ONLY_ENGINES)
        self.ingest = Ingest(store, settings, chain, now=now)
        self.client = client or UrllibClient(settings.sync.timeout_seconds)
        self.rng = rng or random.Random()
        self.on_emergency = on_emergency  # the town's live emergencies go to the listener
        self.state = SyncState()
        self.refused: dict[str, str] = {}  # origin → version the checks refused
        self.waker = Waker(self.rng)
        self._thread = threading.Thread(target=self._run, name="town-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to stop; an import under way is rolled back if the process ends."""
        self.waker.stop()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def wake(self, within: float) -> None:
        """Sync at a random instant within this many seconds instead of at the usual time."""
        self.waker.wake(within)

    def _run(self) -> None:
        _lower_priority()
        delay = FIRST_DELAY
        while self.waker.wait(delay):
            delay = self.step()

    def step(self) -> float:
        """Sync once, record the outcome; return the seconds to wait before the next."""
        started = self.now()
        asked_wait = 0.0
        try:
            report = run_cycle(
                self.store,
                self.settings,
                self.ingest,
                self.client,
                started,
                self.refused,
                self.on_emergency,
            )
        except TownBusyError as exc:
            self._failed(str(exc))
            asked_wait = exc.retry_after or 0.0
        except SyncError as exc:
            self._failed(str(exc))
        except Exception as exc:  # the thread outlives any bad answer; the player goes on
            log.exception("town sync failed")
            self._failed(f"{type(exc).__name__}: {exc}")
        else:
            self._succeeded(report)
        delay = backoff_seconds(self.settings.sync, self.state.failures, self.rng)
        # The town's own word, but never longer than the longest backoff: a wrong
        # Retry-After must not stop a village's reports for days.
        delay = max(delay, min(asked_wait, self.settings.sync.max_backoff_seconds))
        finished = self.now()
        self.state.next_attempt = finished + dt.timedelta(seconds=delay)
        self._publish(finished)
        return delay

    def _failed(self, message: str) -> None:
        state = self.state
        if state.state != "failing":
            log.warning(
                "the town %s does not answer (%s); playing on, trying again with backoff",
                self.settings.sync.town_url,
                message,
            )
        state.state, state.failures = "failing", state.failures + 1
        state.last_error, state.last_error_at = message, self.now()

    def _succeeded(self, report: CycleReport) -> None:
        state = self.state
        if state.state == "failing":
            log.info("the town answers again after %d failed attempts", state.failures)
        elif state.state == "starting":
            log.info("synced with the town %s", self.settings.sync.town_url)
        for line in report.imported:
            log.info("from the town: imported %s", line)
        state.state, state.failures, state.last_success = "ok", 0, self.now()
        state.refused = list(report.refused)

    def _publish(self, now: dt.datetime) -> None:
        try:
            status = self.state.as_status(self.settings.sync.town_url)
            self.store.set_status({STATUS_KEY: status}, now)
        except Exception:  # a locked or full database must not end the thread
            log.exception("cannot record the sync state")


def _lower_priority() -> None:
    """Lower this thread's CPU priority (Linux: per thread, inherited by ffmpeg)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SYNC_NICE)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()
