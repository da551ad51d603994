"""The player daemon: real time, a real audio sink, and a loop that watches the store.

The loop polls the store every `player.poll_seconds` for panel commands (at once
when the panel rings its doorbell after queueing one), writes a heartbeat, and
watches the wall clock against the monotonic clock: a Pi without a real-time clock
jumps when NTP corrects it after boot. Plan edits and clock jumps are re-armed in a
thread of their own (`Rearmer`), so that a stop or an emergency never waits for a
re-arm.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from playlists.commands import Doorbell
from playlists.content.prune import prune
from playlists.health import clock_synchronized
from playlists.record import events
from playlists.settings import Settings
from playlists.store import Store, from_db_time, to_db_time
from scheduler.player import Player
from scheduler.sdnotify import Notifier
from scheduler.sinks import AudioSink, build_sink
from scheduler.stopping import stop_on_signals
from scheduler.sync_thread import SyncThread
from scheduler.timeline import SchedulerTimeline

if TYPE_CHECKING:
    from scheduler.emergency_listener import EmergencyListener

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
JUMP_TOLERANCE = 2.0  # seconds the wall clock may drift from the monotonic one per check
CLOCK_CHECK_SECONDS = 60.0
PRUNE_EVERY = dt.timedelta(days=1)
PRUNE_CHECK_SECONDS = 3600.0


class ClockWatch:
    """Notice when the wall clock jumps relative to the monotonic clock."""

    def __init__(
        self, wall: Callable[[], float] = time.time, mono: Callable[[], float] = time.monotonic
    ) -> None:
        self.wall, self.mono = wall, mono
        self._offset = wall() - mono()

    def jumped(self) -> float:
        """Return how far the wall clock jumped since the last call (0.0 if it did not)."""
        offset = self.wall() - self.mono()
        jump, self._offset = offset - self._offset, offset
        return jump if abs(jump) > JUMP_TOLERANCE else 0.0


class Rearmer:
    """Re-arm the player after plan edits and clock jumps, in a thread of its own."""

    def __init__(self, player: Player, poll_seconds: float) -> None:
        self.player = player
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._jumps: queue.SimpleQueue[float] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="re-arm", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def nudge(self) -> None:
        """Look for a plan edit now."""
        self._wake.set()

    def clock_jumped(self, seconds: float) -> None:
        """Re-arm everything: the wall clock jumped by seconds."""
        self._jumps.put(seconds)
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread after the re-arm under way, if any."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if self._stopping.is_set():
                return
            # Errors are logged and the thread goes on, as the daemon's loop does.
            try:
                self.rearm()
            except Exception:
                log.exception("re-arm failed")

    def rearm(self) -> None:
        """Re-arm what the clock's jumps and the store's edits since the last call ask for."""
        jumped = 0.0
        while not self._jumps.empty():
            jumped += self._jumps.get_nowait()
        if jumped:
            self.player.clock_jumped(jumped)
        self.player.check_store()


class Daemon:
    def __init__(self, settings: Settings, store: Store, sink: AudioSink | None = None) -> None:
        self.settings = settings
        self.store = store
        self.timeline = SchedulerTimeline(settings.tz, settings.player.grace_seconds)
        pid_file = settings.data_dir / "player-sink.pids"
        self.sink = sink or build_sink(settings.audio, self.timeline, pid_file)
        self.player = Player(settings, store, self.timeline, self.sink)
        self.rearmer = Rearmer(self.player, settings.player.poll_seconds)
        self.stopping = threading.Event()
        self.doorbell = Doorbell(store.path)  # the panel rings after queueing a command
        self.clock = ClockWatch()
        self._prune_checked = float("-inf")  # monotonic; the loop asks the store hourly only
        self.systemd = Notifier()  # no-op unless run by systemd with Type=notify
        # A village takes the town's playlists in its own thread; playout never waits for it.
        # Town emergencies come on the broker and, as its fallback, with each sync.
        sync = settings.sync
        self.emergencies = self._emergency_listener() if sync.broker_host or sync.town_url else None
        self.sync = (
            SyncThread(
                settings,
                store,
                self.timeline.now,
                on_emergency=self.emergencies.deliver if self.emergencies else None,
            )
            if sync.town_url
            else None
        )
        if self.emergencies is not None and self.sync is not None:
            self.emergencies.wake_sync = self.sync.wake

    def run(self) -> None:
        """Run until stop() is called (or SIGTERM/SIGINT when installed)."""
        if stopped := self.sink.recover():
            log.warning("silenced %d player process(es) left by a killed player", stopped)
        self.player.start()
        self.rearmer.start()
        self.timeline.start()
        log.info("player running: sink %s, time zone %s", self.sink.name, self.settings.tz)
        self.systemd.ready(f"running; audio sink {self.sink.name}")
        if self.sync is not None:
            self.sync.start()
        if self.emergencies is not None:
            self.emergencies.start()
        last_heartbeat = last_clock_check = float("-inf")
        synchronized = None
        if not self.doorbell.listen():
            log.warning("another player listens on this database; commands wait for the poll")
        try:
            while not self._wait():
                self._step()
                self.systemd.watchdog()
                mono = time.monotonic()
                if mono - last_clock_check >= CLOCK_CHECK_SECONDS:
                    synchronized, last_clock_check = clock_synchronized(), mono
                    self.store.set_status(
                        {"clock": {"synchronized": synchronized}}, self.timeline.now()
                    )
                if mono - last_heartbeat >= HEARTBEAT_SECONDS or self.player.status_dirty:
                    self.player.write_status()
                    last_heartbeat = mono
        finally:
            self.systemd.stopping()
            self.rearmer.stop()
            self.player.playout.shutdown()
            self.timeline.shutdown()
            self.player.write_status(force=True)
            self.doorbell.close()
            if self.emergencies is not None:
                self.emergencies.stop()
            if self.sync is not None:  # after playout: a request may wait for its timeout
                self.sync.stop()
            log.info("player stopped")

    def _wait(self) -> bool:
        """Wait poll_seconds, or less when a command rings the doorbell; True to stop."""
        if not self.stopping.is_set():
            self.doorbell.wait(self.settings.player.poll_seconds)
        return self.stopping.is_set()

    def _emergency_listener(self) -> EmergencyListener:
        """Hear the town's emergencies, on its broker and by sync (paho is imported only then)."""
        from scheduler.emergency_listener import EmergencyListener

        return EmergencyListener(self.settings, self.store, self.timeline.now)

    def _step(self) -> None:
        # Errors are logged and the loop goes on: the daemon must outlive any bad row.
        try:
            jump = self.clock.jumped()
            if jump:
                self.timeline.wakeup()
                self.rearmer.clock_jumped(jump)
            # Commands here, re-arms in the rearmer's thread: a stop or an emergency never
            # waits for a re-arm, however long a plan edit or a clock jump takes to arm.
            self.player.run_commands()
            self.rearmer.nudge()
            self._prune_daily()
        except Exception:
            log.exception("player loop step failed")

    def _prune_daily(self) -> None:
        """Prune the media cache once a day (here, never in a simulation: it deletes files)."""
        mono = self.timeline.monotonic()
        if mono - self._prune_checked < PRUNE_CHECK_SECONDS:
            return  # the loop runs ten times a second; the store need not be asked as often
        self._prune_checked = mono
        now = self.timeline.now()
        last = from_db_time(self.store.meta("last_prune"))
        if last is not None and now - last < PRUNE_EVERY and last <= now:
            return
        self.store.set_meta("last_prune", to_db_time(now))
        prune(self.store, self.settings, now)

    def stop(self) -> None:
        self.stopping.set()
        self.doorbell.ring()

    def install_signal_handlers(self) -> None:
        stop_on_signals(self.stopping, "player")


def run_player(settings: Settings) -> None:
    store = Store.open(settings.db_path)
    events.install(store, "player")  # the panel's system page shows what went wrong
    daemon = Daemon(settings, store)
    daemon.install_signal_handlers()
    daemon.run()
    store.close()
