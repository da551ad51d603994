"""Run the real player on a virtual clock over a date range and report its as-run log.

The simulation works on a copy of the store, so the real as-run log is never
touched; the player, playout and plan are the daemon's own code, with a
`VirtualTimeline` and a `RecordingSink` plugged into their seams.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from media.errors import MediaError
from playlists.content.ingest import Ingest
from playlists.errors import VillagecastError
from playlists.model import AsRunRow
from playlists.record import asrun
from playlists.settings import Settings
from playlists.store import Store
from scheduler.player import Player
from scheduler.sinks import RecordingSink
from scheduler.timeline import VirtualTimeline

# Room after the range for a broadcast that started inside it to finish.
RUN_OUT = dt.timedelta(hours=6)
# Simulated time whose as-run writes go to the copy in one transaction.
STEP = dt.timedelta(days=1)


@dataclasses.dataclass
class Simulation:
    """A player wired to a virtual clock and a recording sink, over a store."""

    player: Player
    timeline: VirtualTimeline
    sink: RecordingSink

    @classmethod
    def build(cls, settings: Settings, store: Store, start: dt.datetime) -> Simulation:
        timeline = VirtualTimeline(start)
        sink = RecordingSink(timeline)
        return cls(Player(settings, store, timeline, sink), timeline, sink)

    def run(
        self,
        end: dt.datetime,
        at: dict[dt.datetime, Callable[[], None]] | None = None,
    ) -> None:
        """Start the player and run to end, calling each `at` action at its instant."""
        for when, action in (at or {}).items():
            self.timeline.call_at(f"sim:{when.isoformat()}", when, action)
        self.player.start()
        self.timeline.run_until(end)

    def run_in_steps(
        self,
        end: dt.datetime,
        step: dt.timedelta = STEP,
        keep_plays: bool = True,
        batched: bool = True,
    ) -> None:
        """Start the player and run to end, each step's writes in one transaction.

        Only for a store the simulation owns: a step's writes are visible to other
        connections when the step ends, not as each is made. Without keep_plays the
        sink forgets each step's plays (the as-run log has them): a year of a busy
        station is over half a million. Batched, the player also reads each playlist
        once, writes a row's progress once (its last segment, as the row closes or the
        step ends) and a screen's state only when it changed: nothing else writes to
        the store, and the as-run rows come out the same.
        """
        if batched:
            self.batch_writes()
        store = self.player.store
        with store.transaction():
            self.player.start()
        while self.timeline.now() < end:
            with store.transaction():
                self.timeline.run_until(min(self.timeline.now() + step, end))
                self.player.playout.flush_progress()
            if not keep_plays:
                self.sink.plays.clear()

    def batch_writes(self) -> None:
        """Let the player skip reads and writes that only matter when others share the store."""
        self.player.keep_content()
        self.player.screens.remember_states()
        self.player.playout.defer_progress = True


def simulate(
    settings: Settings,
    store: Store,
    start: dt.datetime,
    end: dt.datetime,
    batched: bool = True,
) -> list[AsRunRow]:
    """Return the as-run rows the player would write for broadcasts due in [start, end)."""
    with simulated_rows(settings, store, start, end, batched) as rows:
        return list(rows)


@contextlib.contextmanager
def simulated_rows(
    settings: Settings,
    store: Store,
    start: dt.datetime,
    end: dt.datetime,
    batched: bool = True,
) -> Iterator[Iterator[AsRunRow]]:
    """Simulate [start, end) on a copy of the store; give its as-run rows as a stream.

    The rows are read from the copy one at a time while the block runs: a year of a
    busy station is hundreds of thousands of them. Unbatched, the player writes and
    reads the copy as the daemon does its store (Simulation.run_in_steps).
    """
    _make_openers(settings, store)
    with tempfile.TemporaryDirectory(prefix="villagecast-sim-") as folder:
        copy = _copy_store(store, Path(folder) / "simulation.db")
        try:
            # The copy holds real history; the simulated player starts fresh at `start`.
            with copy.transaction() as conn:
                conn.execute("DELETE FROM as_run")
                conn.execute("DELETE FROM commands")
                conn.execute("DELETE FROM player_status")
            simulation = Simulation.build(settings, copy, start)
            simulation.run_in_steps(end, keep_plays=False, batched=batched)
            with copy.transaction():
                _run_out(simulation, end)
                simulation.player.playout.flush_progress()
            yield asrun.iter_rows_between(copy, start, end)
        finally:
            copy.close()


def _make_openers(settings: Settings, store: Store) -> None:
    """Make the lead-in and chime in the real store, once, as the player does at start.

    They are a cache of generated media, not history: made on the copy, they were made
    again by every simulation (about a second each time).
    """
    # On failure (no engine, a read-only store) the simulated player makes them on its
    # copy, or says so in the log and plays without them.
    with contextlib.suppress(MediaError, OSError, sqlite3.Error, VillagecastError):
        Ingest(store, settings).openers()


def _run_out(simulation: Simulation, end: dt.datetime) -> None:
    """Let a broadcast on air at the end of the range finish, without starting new ones."""
    playout = simulation.player.playout
    limit = end + RUN_OUT
    while playout.current is not None and simulation.timeline.now() < limit:
        for key in simulation.timeline.armed("occurrence:"):
            simulation.timeline.cancel(key)
        simulation.timeline.run_until(simulation.timeline.now() + dt.timedelta(minutes=1))


def _copy_store(store: Store, path: Path) -> Store:
    target = sqlite3.connect(path)
    try:
        store.conn.backup(target)
    finally:
        target.close()
    copy = Store.open(path)
    # A scratch file, deleted after the run: a crash loses nothing worth a flush per write.
    copy.conn.execute("PRAGMA synchronous = OFF")
    return copy
