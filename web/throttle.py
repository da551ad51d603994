"""Refuse log-ins for a user name after repeated failures.

The counters live in memory in the panel process: a restart forgets them, which
is acceptable for a single-process panel on a village LAN. Move them to the
store if the panel ever runs as several processes.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
LOCK_SECONDS = 15 * 60
MAX_TRACKED = 1000  # user names with recent failures kept before old ones are pruned


class LoginThrottle:
    """Count failed log-ins per user name and lock the name out for a while."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        lock_for: float = LOCK_SECONDS,
    ) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.window = window
        self.lock_for = lock_for
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()  # waitress serves requests on several threads

    def locked_for(self, username: str) -> float:
        """Return the seconds left on the user name's lock, 0 if it may try."""
        with self._lock:
            until = self._locked_until.get(username)
            if until is None:
                return 0.0
            left = until - self.clock()
            if left <= 0:
                del self._locked_until[username]
                return 0.0
            return left

    def failed(self, username: str) -> None:
        """Record a failed attempt, locking the name when too many fall in the window."""
        now = self.clock()
        with self._lock:
            recent = self._failures.setdefault(username, deque())
            recent.append(now)
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.max_failures:
                self._locked_until[username] = now + self.lock_for
                recent.clear()
            if len(self._failures) > MAX_TRACKED:
                self._forget_before(now - self.window)

    def _forget_before(self, cutoff: float) -> None:
        # Someone trying many made-up names must not grow memory without bound.
        for name in [n for n, times in self._failures.items() if not times or times[-1] <= cutoff]:
            del self._failures[name]

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)
