"""Real-time promises checked on a busy machine: the promise plus this machine's own lag.

A test that asserts "the emergency starts within 300 ms" measures, right before, how late
this machine is now: a bare 10 ms sleep's overshoot (the scheduler's wake-up) and a bare
process start (the player's). The allowance is the promise plus a few times that
baseline, so the test keeps its meaning on a quiet machine (where the baseline is a few
milliseconds) and does not fail because a neighbour is compiling.
"""

from __future__ import annotations

import dataclasses
import statistics
import subprocess
import time

# The player's path from a command to sound crosses a few wake-ups (store poll, scheduler,
# sink thread) and one process start: three of each baseline covers it.
STEPS = 3


@dataclasses.dataclass(frozen=True)
class MachineLag:
    wake: float  # a 10 ms sleep's overshoot, 90th percentile, seconds
    spawn: float  # starting and reaping a bare process, median, seconds

    @classmethod
    def measure(cls, samples: int = 10) -> MachineLag:
        """Measure how late a sleep wakes and how long a process takes to start, now."""
        overshoots = []
        for _ in range(samples):
            began = time.perf_counter()
            time.sleep(0.01)
            overshoots.append(time.perf_counter() - began - 0.01)
        spawns = []
        for _ in range(max(3, samples // 2)):
            began = time.perf_counter()
            subprocess.run(["true"], check=True)
            spawns.append(time.perf_counter() - began)
        return cls(statistics.quantiles(overshoots, n=10)[-1], statistics.median(spawns))

    @property
    def margin(self) -> float:
        return STEPS * (max(self.wake, 0.0) + self.spawn)

    def allow(self, promise: float) -> float:
        """Return the promise plus the time this machine's load adds to it now."""
        return promise + self.margin

    def __str__(self) -> str:
        return (
            f"machine lag now: wake {self.wake * 1000:.1f} ms, spawn {self.spawn * 1000:.1f} ms,"
            f" margin {self.margin * 1000:.0f} ms"
        )
