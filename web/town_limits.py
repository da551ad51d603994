"""How fast each village may call the town: requests a minute and as-run rows an hour.

A village over its rate gets 429 with Retry-After (web/town_views.py) and its sync
waits that long (scheduler/sync_thread.py); what it did not send stays pending at
the village, so nothing is lost. Each rate is a token bucket per village, full at
the start: a burst up to a minute's requests or an hour's rows, then the steady rate.
The buckets live in memory in the single panel process; a restart fills them again.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from playlists.settings import TownSettings


class TokenBucket:
    """Hold up to `capacity` tokens, refilled at `per_second`."""

    def __init__(self, capacity: float, per_second: float, now: float) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.tokens = capacity
        self.at = now

    def take(self, count: float, now: float) -> float:
        """Take count tokens and return 0, or take none and return the seconds to wait."""
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens >= count:
            self.tokens -= count
            return 0.0
        return (count - self.tokens) / self.per_second


class VillageLimits:
    """The request and as-run row buckets of every village."""

    def __init__(self, town: TownSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.requests_per_minute = town.village_requests_per_minute
        self.rows_per_hour = town.village_asrun_rows_per_hour
        self.clock = clock
        self._requests: dict[int, TokenBucket] = {}
        self._rows: dict[int, TokenBucket] = {}
        self._lock = threading.Lock()  # waitress serves requests on several threads

    def request(self, village_id: int) -> int:
        """Count one request; return 0, or the whole seconds to wait before the next."""
        return self._take(self._requests, village_id, 1, self.requests_per_minute, 60)

    def asrun_rows(self, village_id: int, count: int) -> int:
        """Count a batch of as-run rows; return 0, or the whole seconds until it fits."""
        return self._take(self._rows, village_id, count, self.rows_per_hour, 3600)

    def _take(
        self, buckets: dict[int, TokenBucket], key: int, count: int, capacity: int, period: int
    ) -> int:
        now = self.clock()
        with self._lock:
            bucket = buckets.get(key)
            if bucket is None:
                bucket = buckets[key] = TokenBucket(capacity, capacity / period, now)
            return math.ceil(bucket.take(count, now))
