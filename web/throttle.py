"""Limit password guesses by address and name together, so nobody can lock others out.

Every password check (``/login`` and the current password of ``/password``) asks
`begin` first and reports with `finish`. The budgets, over a sliding window of 15
minutes:

- one address and one name: 5 failures, then that pair waits 15 minutes;
- one address, any names: 20 failures, then the address waits 15 minutes;
- the whole panel: past 50 failures from all addresses the panel is under attack,
  and every pair gets 2 failures and waits 60 minutes (the global backoff).

A lock belongs to the address that earned it. An attacker locks their own address,
never the name for everyone: the admin logging in from another address (the station
itself, 127.0.0.1) keeps a budget at least as large as a fresh address of the
attacker gets, and the right password works. IPv6 addresses count by their /64
network, which one host can fill with addresses of its own.

Attempts in progress count as failures until they finish, so parallel requests
cannot get past a budget. The counters live in memory in the single panel process:
a restart forgets them. Move them to the store if the panel ever runs as several
processes.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

WINDOW_SECONDS = 15 * 60
MAX_TRACKED = 10_000  # keys with recent failures kept before stale ones are pruned
MAX_NAME = 64


@dataclasses.dataclass(frozen=True)
class Budget:
    """How many failures a key may have in the window, and how long it then waits."""

    failures: int
    lock_seconds: float


PAIR = Budget(failures=5, lock_seconds=15 * 60)
ADDRESS = Budget(failures=20, lock_seconds=15 * 60)
PAIR_UNDER_ATTACK = Budget(failures=2, lock_seconds=60 * 60)
UNDER_ATTACK_AFTER = 50  # failures from all addresses in the window


def address_key(address: str | None) -> str:
    """Return what an address counts as: IPv4 as is, IPv6 by its /64 network."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        if not ip.is_link_local and not ip.is_loopback:
            return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class _Counter:
    """Failure times, attempts in progress and lock end of one key."""

    def __init__(self) -> None:
        self.failures: deque[float] = deque()
        self.pending = 0
        self.locked_until = 0.0

    def forget_before(self, cutoff: float) -> None:
        while self.failures and self.failures[0] <= cutoff:
            self.failures.popleft()

    def idle(self, now: float) -> bool:
        return not self.failures and not self.pending and self.locked_until <= now


class LoginThrottle:
    """Count failed password checks per (address, name), per address and overall."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._counters: dict[Hashable, _Counter] = {}
        self._everyone: deque[float] = deque(maxlen=UNDER_ATTACK_AFTER * 4)
        self._lock = threading.Lock()  # waitress serves requests on several threads

    def under_attack(self) -> bool:
        """Tell whether failures from all addresses passed the global threshold."""
        with self._lock:
            return self._recent_everyone(self.clock()) >= UNDER_ATTACK_AFTER

    def begin(self, address: str | None, name: str) -> float:
        """Return the seconds this attempt must wait, or 0 and count it as in progress."""
        now = self.clock()
        with self._lock:
            pair_budget = self._pair_budget(now)
            checks = [(self._pair(address, name), pair_budget), (self._address(address), ADDRESS)]
            wait = max(self._wait(counter, budget, now) for counter, budget in checks)
            if wait > 0:
                return wait
            for counter, _budget in checks:
                counter.pending += 1
            return 0.0

    def finish(self, address: str | None, name: str, succeeded: bool) -> None:
        """Record how an attempt `begin` let through ended."""
        now = self.clock()
        with self._lock:
            pair, whole = self._pair(address, name), self._address(address)
            pair.pending = max(0, pair.pending - 1)
            whole.pending = max(0, whole.pending - 1)
            if succeeded:
                pair.failures.clear()  # the address's count stays: it may be spraying names
                return
            self._everyone.append(now)
            for counter, budget in ((pair, self._pair_budget(now)), (whole, ADDRESS)):
                counter.failures.append(now)
                counter.forget_before(now - WINDOW_SECONDS)
                if len(counter.failures) >= budget.failures:
                    counter.locked_until = now + budget.lock_seconds
                    counter.failures.clear()
            if len(self._counters) > MAX_TRACKED:
                self._prune(now)

    def _pair_budget(self, now: float) -> Budget:
        return PAIR_UNDER_ATTACK if self._recent_everyone(now) >= UNDER_ATTACK_AFTER else PAIR

    def _recent_everyone(self, now: float) -> int:
        while self._everyone and self._everyone[0] <= now - WINDOW_SECONDS:
            self._everyone.popleft()
        return len(self._everyone)

    def _wait(self, counter: _Counter, budget: Budget, now: float) -> float:
        if counter.locked_until > now:
            return counter.locked_until - now
        counter.forget_before(now - WINDOW_SECONDS)
        if len(counter.failures) + counter.pending < budget.failures:
            return 0.0
        if counter.pending:
            return 1.0  # attempts in progress fill the budget: wait for their answer
        # The budget shrank (an attack began): wait until the oldest failure is forgotten.
        return counter.failures[0] + WINDOW_SECONDS - now

    def _pair(self, address: str | None, name: str) -> _Counter:
        # No user name is longer than 32 characters; a huge typed one must not be kept.
        return self._counters.setdefault((address_key(address), name[:MAX_NAME]), _Counter())

    def _address(self, address: str | None) -> _Counter:
        return self._counters.setdefault(address_key(address), _Counter())

    def _prune(self, now: float) -> None:
        # Many made-up names must not grow memory without bound; the address budget
        # caps how many new keys one address adds per window.
        for key, counter in list(self._counters.items()):
            counter.forget_before(now - WINDOW_SECONDS)
            if counter.idle(now):
                del self._counters[key]
