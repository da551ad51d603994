"""The player's sense of time: what time it is, and a way to be called back at an instant.

Two implementations of one small interface:

- `SchedulerTimeline`, the daemon's: APScheduler 3.x in the background, with an
  explicit time zone, coalescing and a misfire grace time;
- `VirtualTimeline`, the simulator's: a clock that jumps from one callback to the
  next, so eleven days run in seconds through the same player code.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from playlists.clock import utc_now

log = logging.getLogger(__name__)

Callback = Callable[[], None]

# APScheduler writes an INFO line for every job it adds, removes and runs: ~1,300 on a
# busy station's re-arm. The player logs one line per re-arm; these go to DEBUG.
JOB_DETAIL_LOGGERS = ("apscheduler.scheduler", "apscheduler.executors.default")
JOB_DETAIL = ("Added job ", "Removed job ", "Running job ", "Job ")


class JobDetailToDebug(logging.Filter):
    """Lower APScheduler's per-job INFO lines to DEBUG; keep start, stop and warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not str(record.msg).startswith(JOB_DETAIL):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def lower_job_detail() -> None:
    """Install JobDetailToDebug on APScheduler's loggers, once."""
    for name in JOB_DETAIL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, JobDetailToDebug) for f in logger.filters):
            logger.addFilter(JobDetailToDebug())


class Timeline(Protocol):
    def now(self) -> dt.datetime:
        """Return the current instant (aware, UTC)."""
        ...

    def monotonic(self) -> float:
        """Return seconds on a clock that never jumps."""
        ...

    def call_at(self, key: str, when: dt.datetime, callback: Callback) -> None:
        """Call back at an instant, replacing any callback armed under the same key."""
        ...

    def cancel(self, key: str) -> None:
        """Forget the callback armed under a key, if any."""
        ...

    def armed(self, prefix: str = "") -> set[str]:
        """Return the keys armed now that start with prefix."""
        ...


class SchedulerTimeline:
    """Real time, with callbacks run by an APScheduler BackgroundScheduler."""

    def __init__(self, tz: ZoneInfo, grace_seconds: float) -> None:
        self._callbacks: dict[str, Callback] = {}
        self._lock = threading.Lock()
        lower_job_detail()
        self.scheduler = BackgroundScheduler(
            timezone=tz,
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={
                "coalesce": True,
                "misfire_grace_time": int(grace_seconds),
                "max_instances": 1,
            },
        )
        # A job APScheduler judges too late is not run; the callback still gets it, so the
        # player logs the occurrence as missed instead of it vanishing.
        self.scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)

    def start(self) -> None:
        self.scheduler.start()

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)

    def wakeup(self) -> None:
        """Make APScheduler recompute its wait, after the wall clock jumped."""
        self.scheduler.wakeup()

    def now(self) -> dt.datetime:
        return utc_now()

    def monotonic(self) -> float:
        return time.monotonic()

    def call_at(self, key: str, when: dt.datetime, callback: Callback) -> None:
        with self._lock:
            self._callbacks[key] = callback
        self.scheduler.add_job(
            self._run, "date", run_date=when, args=[key], id=key, replace_existing=True
        )

    def cancel(self, key: str) -> None:
        with self._lock:
            self._callbacks.pop(key, None)
        job = self.scheduler.get_job(key)
        if job is not None:
            job.remove()

    def armed(self, prefix: str = "") -> set[str]:
        with self._lock:
            return {key for key in self._callbacks if key.startswith(prefix)}

    def _run(self, key: str) -> None:
        with self._lock:
            callback = self._callbacks.pop(key, None)
        if callback is None:
            return
        try:
            callback()
        except Exception:  # the daemon must outlive any one broadcast's error
            log.exception("callback %s failed", key)

    def _on_missed(self, event: JobExecutionEvent) -> None:
        log.warning("APScheduler missed %s (scheduled %s)", event.job_id, event.scheduled_run_time)
        self._run(event.job_id)


class VirtualTimeline:
    """Simulated time: `run_until` jumps straight from one armed instant to the next."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start.astimezone(dt.UTC)
        self._offset = 0.0
        self._heap: list[tuple[dt.datetime, int, str]] = []
        self._callbacks: dict[str, tuple[int, Callback]] = {}
        self._seq = itertools.count()

    def now(self) -> dt.datetime:
        return self._now

    def monotonic(self) -> float:
        return (self._now - dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).total_seconds() - self._offset

    def call_at(self, key: str, when: dt.datetime, callback: Callback) -> None:
        seq = next(self._seq)
        self._callbacks[key] = (seq, callback)
        heapq.heappush(self._heap, (max(when, self._now), seq, key))

    def cancel(self, key: str) -> None:
        self._callbacks.pop(key, None)

    def armed(self, prefix: str = "") -> set[str]:
        return {key for key in self._callbacks if key.startswith(prefix)}

    def run_until(self, end: dt.datetime) -> None:
        """Run every callback due before end, in time order, then stand at end."""
        while self._heap and self._heap[0][0] < end:
            when, seq, key = heapq.heappop(self._heap)
            armed = self._callbacks.get(key)
            if armed is None or armed[0] != seq:
                continue  # cancelled or re-armed since
            del self._callbacks[key]
            self._now = max(self._now, when)
            armed[1]()
        self._now = max(self._now, end)

    def jump(self, seconds: float) -> None:
        """Move the wall clock without the monotonic clock, as an NTP correction does."""
        self._now += dt.timedelta(seconds=seconds)
        self._offset += seconds
